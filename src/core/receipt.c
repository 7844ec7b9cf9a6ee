/* The receipt layout: an order turned into rows of text that fit a paper
 * width counted in display cells, shared by the terminal view and the ESC/POS
 * printers. Text that reaches a row is cleaned of control bytes and invalid
 * UTF-8 here, so no title can smuggle printer commands into a receipt. */
#include "core/receipt.h"
#include "common/err.h"
#include "common/text.h"
#include "common/xalloc.h"
#include "core/tax.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECEIPT_WIDTH_MIN 24
#define RECEIPT_WIDTH_MAX 80

/* The words the layout uses, per language. */
struct words {
	const char *number, *invoice, *tax_id, *pos_id, *subtotal, *discount, *discounts, *vat,
	    *vat_included, *total, *rounding, *due, *cash, *card, *gift_card, *change;
};

static const struct words words_en = {
    .number = "No.",
    .invoice = "ABBREVIATED TAX INVOICE",
    .tax_id = "TAX ID",
    .pos_id = "POS ID",
    .subtotal = "Subtotal",
    .discount = "Discount",
    .discounts = "Discounts",
    .vat = "VAT",
    .vat_included = "included",
    .total = "TOTAL",
    .rounding = "Rounding",
    .due = "Amount due",
    .cash = "Cash",
    .card = "Card",
    .gift_card = "Gift card",
    .change = "Change",
};

static const struct words words_th = {
    .number = "เลขที่",
    .invoice = "ใบกำกับภาษีอย่างย่อ",
    .tax_id = "เลขประจำตัวผู้เสียภาษี",
    .pos_id = "หมายเลขเครื่อง",
    .subtotal = "รวมเป็นเงิน",
    .discount = "ส่วนลด",
    .discounts = "ส่วนลดรวม",
    .vat = "ภาษีมูลค่าเพิ่ม",
    .vat_included = "(รวมในราคา)",
    .total = "ยอดสุทธิ",
    .rounding = "ปัดเศษ",
    .due = "ยอดชำระ",
    .cash = "เงินสด",
    .card = "บัตร",
    .gift_card = "บัตรของขวัญ",
    .change = "เงินทอน",
};

/* Decodes one UTF-8 sequence. Returns the bytes used (>= 1 unless at the
 * end); an invalid byte yields cp = UINT32_MAX and length 1. */
static size_t u8_next(const char *s, uint32_t *cp)
{
	/* The terminating NUL may be read: it ends any sequence it cuts. */
	size_t n = text_utf8_next(s, strnlen(s, 4) + 1, cp);

	if (n == 0) {
		*cp = UINT32_MAX;
		return 1;
	}
	return n;
}

struct range {
	uint32_t lo, hi;
};

/* Characters that take no cell: Thai above and below vowels and tone marks,
 * the combining marks of the scripts a shop is likely to print, zero-width
 * spaces, joiners, direction marks and variation selectors. */
static const struct range zero_width[] = {
    {0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd}, {0x05bf, 0x05bf}, {0x05c1, 0x05c2},
    {0x05c4, 0x05c5}, {0x05c7, 0x05c7}, {0x0610, 0x061a}, {0x064b, 0x065f}, {0x0670, 0x0670},
    {0x06d6, 0x06dc}, {0x06df, 0x06e4}, {0x06e7, 0x06e8}, {0x06ea, 0x06ed}, {0x0e31, 0x0e31},
    {0x0e34, 0x0e3a}, {0x0e47, 0x0e4e}, {0x0eb1, 0x0eb1}, {0x0eb4, 0x0ebc}, {0x0ec8, 0x0ece},
    {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff}, {0x200b, 0x200f}, {0x202a, 0x202e}, {0x2060, 0x2064},
    {0x20d0, 0x20f0}, {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f}, {0xfeff, 0xfeff},
};

/* East Asian wide and fullwidth characters, and the emoji blocks. */
static const struct range wide[] = {
    {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x2e80, 0x303e},
    {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},   {0xa000, 0xa4cf},
    {0xa960, 0xa97f},   {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe10, 0xfe19},
    {0xfe30, 0xfe6f},   {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x1f300, 0x1f64f},
    {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
};

static bool in_ranges(uint32_t c, const struct range *r, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c < r[mid].lo)
			hi = mid;
		else if (c > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static size_t cp_cells(uint32_t c)
{
	if (c == UINT32_MAX)
		return 1;
	if (in_ranges(c, zero_width, sizeof(zero_width) / sizeof(zero_width[0])))
		return 0;
	if (in_ranges(c, wide, sizeof(wide) / sizeof(wide[0])))
		return 2;
	return 1;
}

size_t receipt_cells(const char *utf8)
{
	size_t cells = 0;
	uint32_t c;

	while (*utf8) {
		utf8 += u8_next(utf8, &c);
		cells += cp_cells(c);
	}
	return cells;
}

void receipt_settings_init(struct receipt_settings *rs, const struct currency *cur)
{
	memset(rs, 0, sizeof(*rs));
	strlcpy_t(rs->lang, "en", sizeof(rs->lang));
	rs->currency = *cur;
	rs->width = 48;
	rs->qr = false;
}

/* A copy of s with control characters, DEL, C1 controls and invalid UTF-8
 * replaced, so only printable text reaches a row. Newlines are kept when
 * asked (multi-line settings) and turned into spaces otherwise. */
static char *clean_text(const char *s, bool keep_newlines)
{
	size_t len = strlen(s);
	char *out = xmalloc(len + 1);
	size_t o = 0;

	while (*s) {
		uint32_t c;
		size_t n = u8_next(s, &c);

		if (c == '\n' && keep_newlines)
			out[o++] = '\n';
		else if (c == UINT32_MAX)
			out[o++] = '?';
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
			out[o++] = ' ';
		else {
			memcpy(out + o, s, n);
			o += n;
		}
		s += n;
	}
	out[o] = '\0';
	return out;
}

static void push_row(struct receipt *r, enum receipt_row_kind kind, enum receipt_align align,
                     bool bold, bool big, char *text)
{
	struct receipt_row *row;

	if (r->nrows == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->rows = xreallocarray(r->rows, r->cap, sizeof(*r->rows));
	}
	row = &r->rows[r->nrows++];
	row->kind = kind;
	row->align = align;
	row->bold = bold;
	row->big = big;
	row->text = text ? text : xstrdup("");
}

static char *spaces(size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, ' ', n);
	s[n] = '\0';
	return s;
}

/* Splits one line of clean text into pieces of at most w cells, breaking at
 * the last space that fits, else between two characters (never before a
 * zero-width mark, which belongs to the character before it). Pieces have no
 * leading or trailing spaces. Calls emit(piece) for each; an empty line gives
 * no pieces. */
static void wrap(const char *s, size_t len, size_t w, void (*emit)(void *, const char *, size_t),
                 void *arg)
{
	const char *end = s + len;

	for (;;) {
		const char *p, *last_space = NULL, *cut = NULL;
		size_t cells = 0;

		while (s < end && *s == ' ')
			s++;
		if (s >= end)
			return;
		p = s;
		while (p < end) {
			uint32_t c;
			size_t n = u8_next(p, &c);
			size_t cw = cp_cells(c);

			if (c == ' ')
				last_space = p;
			if (cells + cw > w && cw > 0) {
				cut = p;
				break;
			}
			cells += cw;
			p += n;
		}
		if (!cut) {
			const char *e = end;
			while (e > s && e[-1] == ' ')
				e--;
			emit(arg, s, (size_t)(e - s));
			return;
		}
		if (last_space && last_space > s) {
			const char *e = last_space;
			while (e > s && e[-1] == ' ')
				e--;
			emit(arg, s, (size_t)(e - s));
			s = last_space + 1;
		} else {
			emit(arg, s, (size_t)(cut - s));
			s = cut;
		}
	}
}

struct wrap_ctx {
	struct receipt *r;
	enum receipt_align align;
	bool bold;
};

static void emit_row(void *arg, const char *s, size_t len)
{
	struct wrap_ctx *ctx = arg;

	push_row(ctx->r, RECEIPT_TEXT, ctx->align, ctx->bold, false, xstrndup(s, len));
}

/* Adds text (cleaned here) as rows of at most w cells, one paragraph per
 * '\n' when keep_newlines. */
static void add_text(struct receipt *r, const char *text, enum receipt_align align, bool bold,
                     size_t w)
{
	char *t = clean_text(text, true);
	struct wrap_ctx ctx = {r, align, bold};
	const char *p = t;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		wrap(p, len, w, emit_row, &ctx);
		p += len;
		if (*p == '\n')
			p++;
	}
	free(t);
}

struct pieces {
	char **v;
	size_t n, cap;
};

static void emit_piece(void *arg, const char *s, size_t len)
{
	struct pieces *ps = arg;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 4;
		ps->v = xreallocarray(ps->v, ps->cap, sizeof(*ps->v));
	}
	ps->v[ps->n++] = xstrndup(s, len);
}

/* A two-column row: left text, right text flush with the last column, the
 * whole padded to exactly the width. A big row is laid out in half the width
 * (the printer doubles each character) and falls back to a normal bold row
 * when it does not fit. A left text too long for one row wraps; the right
 * text goes on the last piece when it fits there, else on a row of its own. */
static void add_two(struct receipt *r, const char *left, const char *right, bool bold, bool big,
                    size_t width)
{
	char *l = clean_text(left, false);
	char *rt = clean_text(right, false);
	size_t w = big ? width / 2 : width;
	size_t lc = receipt_cells(l), rc = receipt_cells(rt);
	struct pieces ps = {0};
	size_t i;

	if (big && lc + 1 + rc > w) {
		big = false;
		bold = true;
		w = width;
	}
	if (lc + 1 + rc <= w) {
		char *pad = spaces(w - lc - rc);
		push_row(r, RECEIPT_TEXT, RECEIPT_LEFT, bold, big, xasprintf("%s%s%s", l, pad, rt));
		free(pad);
		goto out;
	}
	wrap(l, strlen(l), w, emit_piece, &ps);
	for (i = 0; i + 1 < ps.n; i++) {
		push_row(r, RECEIPT_TEXT, RECEIPT_LEFT, bold, big, ps.v[i]);
		ps.v[i] = NULL;
	}
	if (ps.n > 0) {
		size_t pc = receipt_cells(ps.v[ps.n - 1]);
		if (pc + 1 + rc <= w) {
			char *pad = spaces(w - pc - rc);
			push_row(r, RECEIPT_TEXT, RECEIPT_LEFT, bold, big,
			         xasprintf("%s%s%s", ps.v[ps.n - 1], pad, rt));
			free(pad);
			goto out;
		}
		push_row(r, RECEIPT_TEXT, RECEIPT_LEFT, bold, big, ps.v[ps.n - 1]);
		ps.v[ps.n - 1] = NULL;
	}
	{
		/* The amount right-aligned on a row of its own. */
		char *pad = spaces(rc < w ? w - rc : 0);
		push_row(r, RECEIPT_TEXT, RECEIPT_LEFT, bold, big, xasprintf("%s%s", pad, rt));
		free(pad);
	}
out:
	for (i = 0; i < ps.n; i++)
		free(ps.v[i]);
	free(ps.v);
	free(l);
	free(rt);
}

static void add_rule(struct receipt *r, size_t width)
{
	char *s = xmalloc(width + 1);

	memset(s, '-', width);
	s[width] = '\0';
	push_row(r, RECEIPT_RULE, RECEIPT_LEFT, false, false, s);
}

static void amount(int64_t v, const struct receipt_settings *rs, char out[MONEY_STRLEN])
{
	money_format_grouped(v, rs->currency.exponent, out);
}

static void add_amount(struct receipt *r, const char *label, int64_t v, bool bold, bool big,
                       const struct receipt_settings *rs)
{
	char a[MONEY_STRLEN];

	amount(v, rs, a);
	add_two(r, label, a, bold, big, (size_t)rs->width);
}

/* "No. R01-000042" and the date on one row when they fit, else two. */
static void add_number_date(struct receipt *r, const struct order *o,
                            const struct receipt_settings *rs, const struct words *wd)
{
	char date[32] = "";
	char *num = NULL;
	time_t t = (time_t)(o->created_at / 1000);
	struct tm tm;

	if (o->created_at > 0 && localtime_r(&t, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	if (o->number[0])
		num = xasprintf("%s %s", wd->number, o->number);
	if (num && date[0])
		add_two(r, num, date, false, false, (size_t)rs->width);
	else if (num)
		add_text(r, num, RECEIPT_LEFT, false, (size_t)rs->width);
	else if (date[0])
		add_text(r, date, RECEIPT_LEFT, false, (size_t)rs->width);
	free(num);
}

static void add_line(struct receipt *r, const struct cart_line *ln,
                     const struct receipt_settings *rs)
{
	size_t width = (size_t)rs->width;
	char unit[MONEY_STRLEN], gross[MONEY_STRLEN], disc[MONEY_STRLEN];

	amount(ln->gross, rs, gross);
	if (ln->quantity == 1) {
		add_two(r, ln->title, gross, false, false, width);
	} else {
		char *qty;

		add_text(r, ln->title, RECEIPT_LEFT, false, width);
		amount(ln->unit_price, rs, unit);
		qty = xasprintf("  %" PRId64 " x %s", ln->quantity, unit);
		add_two(r, qty, gross, false, false, width);
		free(qty);
	}
	if (ln->line_discount != 0) {
		char *dl = receipt_discount_label(&ln->discount, rs->lang);
		char *label = xasprintf("  %s", dl);

		amount(-ln->line_discount, rs, disc);
		add_two(r, label, disc, false, false, width);
		free(label);
		free(dl);
	}
}

/* The words of lang, NULL for a language the receipt does not know. */
static const struct words *words_of(const char *lang)
{
	if (lang && strcmp(lang, "en") == 0)
		return &words_en;
	if (lang && strcmp(lang, "th") == 0)
		return &words_th;
	return NULL;
}

static const struct words *words_or_en(const char *lang)
{
	const struct words *wd = words_of(lang);
	return wd ? wd : &words_en;
}

char *receipt_payment_label(const struct payment *p, const char *lang)
{
	const struct words *wd = words_or_en(lang);

	switch (p->kind) {
	case TENDER_CASH:
		return xstrdup(wd->cash);
	case TENDER_CARD:
		if (p->card_last4[0])
			return xasprintf("%s%s%s ****%s", wd->card, p->card_brand[0] ? " " : "",
			                 p->card_brand, p->card_last4);
		return xstrdup(wd->card);
	case TENDER_GIFT_CARD: {
		/* A gift card code is as good as cash: its last four only. */
		size_t n = strlen(p->name);
		if (n > 0)
			return xasprintf("%s ****%s", wd->gift_card, p->name + (n > 4 ? n - 4 : 0));
		return xstrdup(wd->gift_card);
	}
	case TENDER_CUSTOM:
		return xstrdup(p->name[0] ? p->name : "?");
	}
	return xstrdup("?");
}

int64_t receipt_payment_shown(const struct payment *p)
{
	return p->kind == TENDER_CASH ? p->tendered : p->amount;
}

char *receipt_discount_label(const struct discount *d, const char *lang)
{
	const struct words *wd = words_or_en(lang);

	if (d->kind == DISCOUNT_PERCENT) {
		char pct[TAX_RATE_STRLEN];
		tax_rate_format(d->value, pct);
		return xasprintf("%s %s%%", wd->discount, pct);
	}
	return xstrdup(wd->discount);
}

char *receipt_vat_label(int64_t rate_ppm, bool included, const char *lang)
{
	const struct words *wd = words_or_en(lang);
	char rate[TAX_RATE_STRLEN];

	tax_rate_format(rate_ppm, rate);
	if (included)
		return xasprintf("%s %s%% %s", wd->vat, rate, wd->vat_included);
	return xasprintf("%s %s%%", wd->vat, rate);
}

int receipt_layout(const struct order *o, const struct receipt_settings *rs, struct receipt *r)
{
	const struct words *wd;
	size_t width, i;
	bool cash = false;

	memset(r, 0, sizeof(*r));
	if (rs->width < RECEIPT_WIDTH_MIN || rs->width > RECEIPT_WIDTH_MAX)
		return TALAD_EINVAL;
	if (!(wd = words_of(rs->lang)))
		return TALAD_EINVAL;
	width = (size_t)rs->width;

	/* Header: who sold it, and the fields of an abbreviated tax invoice. */
	if (rs->shop_name[0])
		add_text(r, rs->shop_name, RECEIPT_CENTER, true, width);
	if (rs->header[0])
		add_text(r, rs->header, RECEIPT_CENTER, false, width);
	if (rs->address[0])
		add_text(r, rs->address, RECEIPT_CENTER, false, width);
	if (rs->tax_id[0]) {
		char *s = xasprintf("%s %s", wd->tax_id, rs->tax_id);
		add_text(r, s, RECEIPT_CENTER, false, width);
		free(s);
	}
	if (rs->pos_id[0]) {
		char *s = xasprintf("%s %s", wd->pos_id, rs->pos_id);
		add_text(r, s, RECEIPT_CENTER, false, width);
		free(s);
	}
	add_number_date(r, o, rs, wd);
	if (rs->tax_id[0])
		add_text(r, wd->invoice, RECEIPT_CENTER, true, width);
	add_rule(r, width);

	for (i = 0; i < o->cart.nlines; i++)
		add_line(r, &o->cart.lines[i], rs);
	add_rule(r, width);

	/* Totals. */
	add_amount(r, wd->subtotal, o->cart.subtotal, false, false, rs);
	if (o->cart.discount_total != 0)
		add_amount(r, wd->discounts, -o->cart.discount_total, false, false, rs);
	if (o->cart.tax.rate_ppm > 0 && !o->cart.tax.included) {
		char *s = receipt_vat_label(o->cart.tax.rate_ppm, false, rs->lang);
		add_amount(r, s, o->cart.tax_total, false, false, rs);
		free(s);
	}
	add_amount(r, wd->total, o->cart.total, true, true, rs);
	if (o->cart.tax.rate_ppm > 0 && o->cart.tax.included) {
		char *s = receipt_vat_label(o->cart.tax.rate_ppm, true, rs->lang);
		add_amount(r, s, o->cart.tax_total, false, false, rs);
		free(s);
	}
	if (o->settlement.rounding != 0) {
		add_amount(r, wd->rounding, o->settlement.rounding, false, false, rs);
		add_amount(r, wd->due, o->settlement.due, true, false, rs);
	}

	/* Payments: cash shows what was handed over, then the change. */
	if (o->settlement.npayments > 0)
		add_rule(r, width);
	for (i = 0; i < o->settlement.npayments && i < TENDER_MAX; i++) {
		const struct payment *p = &o->settlement.payments[i];
		char *label = receipt_payment_label(p, rs->lang);

		if (p->kind == TENDER_CASH)
			cash = true;
		add_amount(r, label, receipt_payment_shown(p), false, false, rs);
		free(label);
		/* A card or gift card payment's reference says who holds the
		   money, and a test gateway says that no real money moved. */
		if ((p->kind == TENDER_CARD || p->kind == TENDER_GIFT_CARD) && p->reference[0]) {
			char *ref = xasprintf("  %s", p->reference);
			add_text(r, ref, RECEIPT_LEFT, false, width);
			free(ref);
		}
	}
	if (cash)
		add_amount(r, wd->change, o->settlement.change, true, true, rs);

	if (rs->footer[0]) {
		add_rule(r, width);
		add_text(r, rs->footer, RECEIPT_CENTER, false, width);
	}
	if (rs->qr && o->id[0])
		push_row(r, RECEIPT_QR, RECEIPT_CENTER, false, false, clean_text(o->id, false));
	push_row(r, RECEIPT_FEED, RECEIPT_LEFT, false, false, NULL);
	push_row(r, RECEIPT_CUT, RECEIPT_LEFT, false, false, NULL);
	return TALAD_OK;
}

void receipt_release(struct receipt *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nrows; i++)
		free(r->rows[i].text);
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

static int put_aligned(struct buf *out, const char *text, enum receipt_align align, size_t width)
{
	size_t cells = receipt_cells(text);
	size_t pad = 0;
	int rc;

	if (cells < width) {
		if (align == RECEIPT_CENTER)
			pad = (width - cells) / 2;
		else if (align == RECEIPT_RIGHT)
			pad = width - cells;
	}
	if (pad > 0) {
		char *s = spaces(pad);
		rc = buf_puts(out, s);
		free(s);
		if (rc != TALAD_OK)
			return rc;
	}
	rc = buf_puts(out, text);
	if (rc == TALAD_OK)
		rc = buf_puts(out, "\n");
	return rc;
}

/* A big row holds half a width of text, which the printer doubles; a
 * terminal cannot, so the gap before the amount is widened instead and the
 * amount still ends in the last column. */
static int put_big(struct buf *out, const char *text, size_t width)
{
	const char *gap = strrchr(text, ' ');
	const char *start;
	size_t cells = receipt_cells(text);
	char *pad, *s;
	int rc;

	if (!gap || cells >= width)
		return put_aligned(out, text, RECEIPT_LEFT, width);
	start = gap;
	while (start > text && start[-1] == ' ')
		start--;
	pad = spaces(width - cells + (size_t)(gap - start) + 1);
	s = xasprintf("%.*s%s%s", (int)(start - text), text, pad, gap + 1);
	rc = put_aligned(out, s, RECEIPT_LEFT, width);
	free(s);
	free(pad);
	return rc;
}

int receipt_render_text(const struct order *o, const struct receipt_settings *rs, struct buf *out)
{
	struct receipt r;
	size_t i, j, width;
	int rc;

	rc = receipt_layout(o, rs, &r);
	if (rc != TALAD_OK)
		return rc;
	width = (size_t)rs->width;
	for (i = 0; i < r.nrows && rc == TALAD_OK; i++) {
		const struct receipt_row *row = &r.rows[i];

		switch (row->kind) {
		case RECEIPT_TEXT:
			if (row->big) {
				rc = put_big(out, row->text, width);
				break;
			}
			/* fall through */
		case RECEIPT_RULE:
			rc = put_aligned(out, row->text, row->align, width);
			break;
		case RECEIPT_QR: {
			/* The reference may be wider than the paper (a UUID is
			 * 36 characters): wrap it so no line overflows. */
			struct pieces ps = {0};
			wrap(row->text, strlen(row->text), width, emit_piece, &ps);
			for (j = 0; j < ps.n; j++) {
				if (rc == TALAD_OK)
					rc = put_aligned(out, ps.v[j], RECEIPT_CENTER, width);
				free(ps.v[j]);
			}
			free(ps.v);
			break;
		}
		case RECEIPT_FEED:
		case RECEIPT_CUT:
			break;
		}
	}
	receipt_release(&r);
	return rc;
}
