/* Drawing and input for the till: UTF-8 text placed by display cells (the
 * receipt's own cell count, so Thai names line up in the terminal as on
 * paper), big digits for totals and change, one-line input fields and modal
 * prompts that keep the status bar alive while they wait. */
#include "register/till.h"

#include "core/receipt.h"

#include <curses.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#define TEXT_MAX 1024 /* characters drawn in one call */

/* Splits UTF-8 into wide characters with their cells; control bytes become
 * spaces and invalid bytes '?', so nothing can steer the terminal. Returns
 * the number of characters (at most max). */
static size_t decode(const char *s, wchar_t *wc, int *cells, size_t max)
{
	mbstate_t ps;
	size_t n = 0, len = strlen(s);
	const char *p = s, *end = s + len;

	memset(&ps, 0, sizeof(ps));
	while (p < end && n < max) {
		wchar_t w;
		size_t used = mbrtowc(&w, p, (size_t)(end - p), &ps);
		char one[8];
		if (used == (size_t)-1 || used == (size_t)-2 || used == 0) {
			memset(&ps, 0, sizeof(ps));
			w = L'?';
			used = 1;
		}
		if (w < 0x20 || w == 0x7f || (w >= 0x80 && w < 0xa0))
			w = L' ';
		size_t cp = used < sizeof(one) ? used : sizeof(one) - 1;
		memcpy(one, p, cp);
		one[cp] = '\0';
		wc[n] = w;
		cells[n] = (int)receipt_cells(one);
		/* A mark with no letter before it still needs a cell. */
		if (n == 0 && cells[n] == 0)
			cells[n] = 1;
		n++;
		p += used;
	}
	return n;
}

void till_ui_text(int y, int x, int width, enum till_align align, const char *utf8)
{
	static wchar_t wc[TEXT_MAX];
	static int cells[TEXT_MAX];
	size_t n, i;
	int used = 0;

	if (width <= 0)
		return;
	n = decode(utf8 ? utf8 : "", wc, cells, TEXT_MAX);
	for (i = 0; i < n; i++) {
		if (used + cells[i] > width)
			break;
		used += cells[i];
	}
	/* Marks that follow the last letter kept belong to it. */
	while (i < n && cells[i] == 0)
		i++;
	int pad = width - used;
	int before = align == TILL_RIGHT ? pad : align == TILL_CENTER ? pad / 2 : 0;
	move(y, x);
	for (int k = 0; k < before; k++)
		addch(' ');
	if (i > 0 && wc[0] != 0)
		addnwstr(wc, (int)i);
	/* Placed by our own count, whatever the terminal thinks a width is. */
	move(y, x + before + used);
	for (int k = before + used; k < width; k++)
		addch(' ');
}

void till_ui_textf(int y, int x, int width, enum till_align align, const char *fmt, ...)
{
	char buf[TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	till_ui_text(y, x, width, align, buf);
}

void till_ui_money(const struct till *t, int64_t v, char out[MONEY_STRLEN])
{
	money_format_grouped(v, t->cur.exponent, out);
}

/* Three rows per glyph, drawn with half and full blocks. */
struct glyph {
	char c;
	const char *row[3];
};

static const struct glyph glyphs[] = {
    {'0', {"█▀█", "█ █", "▀▀▀"}}, {'1', {"▀█ ", " █ ", "▀▀▀"}}, {'2', {"▀▀█", "█▀▀", "▀▀▀"}},
    {'3', {"▀▀█", " ▀█", "▀▀▀"}}, {'4', {"█ █", "▀▀█", "  ▀"}}, {'5', {"█▀▀", "▀▀█", "▀▀▀"}},
    {'6', {"█▀▀", "█▀█", "▀▀▀"}}, {'7', {"▀▀█", "  █", "  ▀"}}, {'8', {"█▀█", "█▀█", "▀▀▀"}},
    {'9', {"█▀█", "▀▀█", "▀▀▀"}}, {'.', {" ", " ", "▀"}},       {',', {" ", " ", "▄"}},
    {'-', {"   ", "▀▀▀", "   "}},
};

static const struct glyph *find_glyph(char c)
{
	for (size_t i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++)
		if (glyphs[i].c == c)
			return &glyphs[i];
	return NULL;
}

int till_ui_big(int y, int x, int width, const char *text)
{
	int need = 0;
	for (const char *p = text; *p; p++) {
		const struct glyph *g = find_glyph(*p);
		if (!g)
			return 0;
		need += (int)receipt_cells(g->row[0]) + 1;
	}
	if (need > width)
		return 0;
	int cx = x + width - need; /* right-aligned, as amounts are */
	for (const char *p = text; *p; p++) {
		const struct glyph *g = find_glyph(*p);
		int w = (int)receipt_cells(g->row[0]);
		for (int r = 0; r < 3; r++)
			till_ui_text(y + r, cx, w + 1, TILL_LEFT, g->row[r]);
		cx += w + 1;
	}
	return need;
}

void till_ui_box(int y, int x, int h, int w, const char *title)
{
	for (int r = y + 1; r < y + h - 1; r++) {
		move(r, x + 1);
		for (int c = 0; c < w - 2; c++)
			addch(' ');
	}
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y, x, ACS_ULCORNER);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	if (title && *title) {
		char buf[256];
		snprintf(buf, sizeof(buf), " %s ", title);
		int tw = (int)receipt_cells(buf);
		if (tw > w - 4)
			tw = w - 4;
		attron(A_BOLD);
		till_ui_text(y, x + 2, tw, TILL_LEFT, buf);
		attroff(A_BOLD);
	}
}

/* ---- input fields ---- */

void till_field_clear(struct till_field *f)
{
	f->len = 0;
	f->buf[0] = L'\0';
}

void till_field_set(struct till_field *f, const char *utf8)
{
	static int cells[TILL_INPUT_MAX];
	till_field_clear(f);
	f->len = decode(utf8, f->buf, cells, TILL_INPUT_MAX);
	f->buf[f->len] = L'\0';
}

static bool accepts(const struct till_field *f, wint_t ch)
{
	if (f->digits)
		return ch >= L'0' && ch <= L'9';
	if (f->amount) {
		if (ch == L'.')
			return !wcschr(f->buf, L'.');
		return ch >= L'0' && ch <= L'9';
	}
	return iswprint(ch) != 0;
}

bool till_field_key(struct till_field *f, const struct till_key *k)
{
	if (k->fn) {
		if (k->ch == KEY_BACKSPACE || k->ch == KEY_DC) {
			if (f->len > 0)
				f->buf[--f->len] = L'\0';
			return true;
		}
		return false;
	}
	if (k->ch == 127 || k->ch == 8) {
		if (f->len > 0)
			f->buf[--f->len] = L'\0';
		return true;
	}
	if (k->ch == 21) { /* Ctrl-U, as in a shell */
		till_field_clear(f);
		return true;
	}
	if (!accepts(f, k->ch))
		return false;
	if (f->len < TILL_INPUT_MAX) {
		f->buf[f->len++] = (wchar_t)k->ch;
		f->buf[f->len] = L'\0';
	}
	return true;
}

void till_field_utf8(const struct till_field *f, char *out, size_t outlen)
{
	mbstate_t ps;
	size_t o = 0;

	memset(&ps, 0, sizeof(ps));
	for (size_t i = 0; i < f->len; i++) {
		char mb[MB_LEN_MAX];
		size_t n = wcrtomb(mb, f->buf[i], &ps);
		if (n == (size_t)-1) {
			memset(&ps, 0, sizeof(ps));
			continue;
		}
		if (o + n + 1 > outlen)
			break;
		memcpy(out + o, mb, n);
		o += n;
	}
	if (outlen)
		out[o] = '\0';
}

void till_field_draw(const struct till_field *f, int y, int x, int width)
{
	char text[4 * TILL_INPUT_MAX + 1];

	if (f->secret) {
		size_t i;
		for (i = 0; i < f->len && i < sizeof(text) - 1; i++)
			text[i] = '*';
		text[i] = '\0';
	} else {
		till_field_utf8(f, text, sizeof(text));
	}
	/* The end of a long entry stays in view: drop characters from the front
	 * until it fits with the cursor cell. */
	const char *show = text;
	while (*show && (int)receipt_cells(show) > width - 1) {
		show++;
		while ((*show & 0xc0) == 0x80)
			show++;
	}
	attron(A_UNDERLINE);
	till_ui_text(y, x, width, TILL_LEFT, show);
	attroff(A_UNDERLINE);
	int cx = x + (int)receipt_cells(show);
	if (cx < x + width) {
		attron(A_REVERSE);
		mvaddch(y, cx, ' ');
		attroff(A_REVERSE);
	}
}

/* ---- modal prompts ---- */

int till_ui_key(struct till *t, struct till_key *k)
{
	till_draw_status(t);
	refresh();
	if (!till_getkey(t, k))
		return -1;
	if (till_key_tick(k))
		return 0;
	if (!k->fn && k->ch == 27)
		return -1;
	return 1;
}

bool till_prompt(struct till *t, void (*redraw)(struct till *), const char *title,
                 const char *label, const char *hint, struct till_field *f, char *out,
                 size_t outlen)
{
	struct till_key k;

	for (;;) {
		if (redraw)
			redraw(t);
		int w = t->cols - 8 < 70 ? t->cols - 8 : 70;
		int h = hint ? 7 : 6;
		int y = (t->rows - 2 - h) / 2, x = (t->cols - w) / 2;
		till_ui_box(y, x, h, w, title);
		till_ui_text(y + 2, x + 2, w - 4, TILL_LEFT, label);
		till_field_draw(f, y + 3, x + 2, w - 4);
		if (hint)
			till_ui_text(y + 4, x + 2, w - 4, TILL_LEFT, hint);
		till_ui_text(y + h - 2, x + 2, w - 4, TILL_RIGHT, "Enter: OK   Esc: cancel");
		int got = till_ui_key(t, &k);
		if (got < 0)
			return false;
		if (got == 0)
			continue;
		if ((!k.fn && (k.ch == L'\n' || k.ch == L'\r')) || (k.fn && k.ch == KEY_ENTER)) {
			till_field_utf8(f, out, outlen);
			return true;
		}
		till_field_key(f, &k);
	}
}

bool till_confirm(struct till *t, void (*redraw)(struct till *), const char *question)
{
	struct till_key k;

	for (;;) {
		if (redraw)
			redraw(t);
		int w = t->cols - 8 < 70 ? t->cols - 8 : 70;
		int y = (t->rows - 2 - 5) / 2, x = (t->cols - w) / 2;
		till_ui_box(y, x, 5, w, "Please confirm");
		till_ui_text(y + 2, x + 2, w - 4, TILL_LEFT, question);
		till_ui_text(y + 3, x + 2, w - 4, TILL_RIGHT, "y: yes   n or Esc: no");
		int got = till_ui_key(t, &k);
		if (got < 0)
			return false;
		if (got == 0 || k.fn)
			continue;
		if (k.ch == L'y' || k.ch == L'Y')
			return true;
		if (k.ch == L'n' || k.ch == L'N')
			return false;
	}
}
