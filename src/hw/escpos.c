/* ESC/POS encoding: single printer commands, text converted to the printer's
 * code page with iconv, and whole receipts either as text or as a raster
 * image drawn with FreeType (for printers without Thai firmware). */
#include "hw/escpos.h"
#include "common/err.h"
#include "common/xalloc.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <zint.h>

#define ESC 0x1b
#define GS  0x1d
#define DLE 0x10
#define EOT 0x04

#define QR_MAX       700 /* bytes: a model 2 code at level M stays printable */
#define CELL_DOTS    12  /* font A is 12 dots wide on 58 and 80 mm printers */
#define RASTER_SLICE 255 /* rows per GS v 0, for printers with small buffers */
#define QR_MODULE    6   /* dots per module, as the text-mode QR command asks */

void escpos_settings_init(struct escpos_settings *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->width = 48;
	ps->codepage = 21;
	strlcpy_t(ps->encoding, "CP874", sizeof(ps->encoding));
	ps->raster = false;
	ps->dots = 0;
	ps->drawer_pin = 2;
	ps->drawer_pulse_ms = 100;
}

int escpos_settings_check(const struct escpos_settings *ps, char *err, size_t errlen)
{
	iconv_t cd;

	if (ps->width < 24 || ps->width > 80) {
		talad_seterr(err, errlen, "printer width must be 24 to 80 columns");
		return TALAD_EINVAL;
	}
	if (ps->codepage < -1 || ps->codepage > 255) {
		talad_seterr(err, errlen, "printer code page must be 0 to 255");
		return TALAD_EINVAL;
	}
	if (!ps->encoding[0]) {
		talad_seterr(err, errlen, "printer encoding is empty");
		return TALAD_EINVAL;
	}
	cd = iconv_open(ps->encoding, "UTF-8");
	if (cd == (iconv_t)-1) {
		talad_seterr(err, errlen, "unknown printer encoding: %s", ps->encoding);
		return TALAD_EINVAL;
	}
	iconv_close(cd);
	if (ps->drawer_pin != 2 && ps->drawer_pin != 5) {
		talad_seterr(err, errlen, "drawer pin must be 2 or 5");
		return TALAD_EINVAL;
	}
	if (ps->drawer_pulse_ms < 2 || ps->drawer_pulse_ms > 510) {
		talad_seterr(err, errlen, "drawer pulse must be 2 to 510 ms");
		return TALAD_EINVAL;
	}
	if (ps->dots != 0 && (ps->dots < 8 || ps->dots > 2048)) {
		talad_seterr(err, errlen, "raster width must be 8 to 2048 dots");
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

static int put(struct buf *b, const uint8_t *bytes, size_t n)
{
	return buf_append(b, bytes, n);
}

int escpos_init(struct buf *b)
{
	const uint8_t c[] = {ESC, '@'};
	return put(b, c, sizeof(c));
}

int escpos_codepage(struct buf *b, int n)
{
	const uint8_t c[] = {ESC, 't', (uint8_t)n};

	if (n < 0 || n > 255)
		return TALAD_EINVAL;
	return put(b, c, sizeof(c));
}

int escpos_bold(struct buf *b, bool on)
{
	const uint8_t c[] = {ESC, 'E', on ? 1 : 0};
	return put(b, c, sizeof(c));
}

int escpos_size(struct buf *b, bool big)
{
	const uint8_t c[] = {GS, '!', big ? 0x11 : 0x00};
	return put(b, c, sizeof(c));
}

int escpos_align(struct buf *b, enum receipt_align a)
{
	const uint8_t c[] = {ESC, 'a', a == RECEIPT_CENTER ? 1 : a == RECEIPT_RIGHT ? 2 : 0};
	return put(b, c, sizeof(c));
}

int escpos_feed(struct buf *b, int lines)
{
	const uint8_t c[] = {ESC, 'd', (uint8_t)lines};

	if (lines < 0 || lines > 255)
		return TALAD_EINVAL;
	return put(b, c, sizeof(c));
}

int escpos_cut(struct buf *b)
{
	const uint8_t c[] = {GS, 'V', 1};
	return put(b, c, sizeof(c));
}

int escpos_drawer_kick(struct buf *b, int pin, int pulse_ms)
{
	uint8_t c[] = {ESC, 'p', 0, 0, 0};

	if ((pin != 2 && pin != 5) || pulse_ms < 2 || pulse_ms > 510)
		return TALAD_EINVAL;
	c[2] = pin == 2 ? 0 : 1;
	c[3] = (uint8_t)(pulse_ms / 2);
	/* The off time must not be shorter than the on time; 500 ms lets the
	 * solenoid rest before any second kick. */
	c[4] = 250;
	return put(b, c, sizeof(c));
}

int escpos_qr(struct buf *b, const char *data)
{
	size_t n = data ? strlen(data) : 0;
	const uint8_t model[] = {GS, '(', 'k', 4, 0, 49, 65, 50, 0};
	const uint8_t size[] = {GS, '(', 'k', 3, 0, 49, 67, QR_MODULE};
	const uint8_t level[] = {GS, '(', 'k', 3, 0, 49, 69, 49};
	const uint8_t print[] = {GS, '(', 'k', 3, 0, 49, 81, 48};
	uint8_t store[8] = {GS, '(', 'k', 0, 0, 49, 80, 48};
	int rc;

	if (n == 0 || n > QR_MAX)
		return TALAD_EINVAL;
	store[3] = (uint8_t)((n + 3) & 0xff);
	store[4] = (uint8_t)((n + 3) >> 8);
	if ((rc = put(b, model, sizeof(model))) || (rc = put(b, size, sizeof(size))) ||
	    (rc = put(b, level, sizeof(level))) || (rc = put(b, store, sizeof(store))) ||
	    (rc = buf_append(b, data, n)) || (rc = put(b, print, sizeof(print))))
		return rc;
	return TALAD_OK;
}

int escpos_raster(struct buf *b, const uint8_t *bits, int width_dots, int height)
{
	int stride = (width_dots + 7) / 8;
	int y = 0, rc;

	if (width_dots <= 0 || width_dots > 65535 || height < 0)
		return TALAD_EINVAL;
	while (y < height) {
		int h = height - y > RASTER_SLICE ? RASTER_SLICE : height - y;
		const uint8_t c[] = {GS,
		                     'v',
		                     '0',
		                     0,
		                     (uint8_t)(stride & 0xff),
		                     (uint8_t)(stride >> 8),
		                     (uint8_t)(h & 0xff),
		                     (uint8_t)(h >> 8)};

		if ((rc = put(b, c, sizeof(c))) != TALAD_OK)
			return rc;
		rc = buf_append(b, bits + (size_t)y * (size_t)stride, (size_t)h * (size_t)stride);
		if (rc != TALAD_OK)
			return rc;
		y += h;
	}
	return TALAD_OK;
}

int escpos_status_query(struct buf *b, int n)
{
	const uint8_t c[] = {DLE, EOT, (uint8_t)n};

	if (n < 1 || n > 4)
		return TALAD_EINVAL;
	return put(b, c, sizeof(c));
}

/* Length of the UTF-8 sequence at s (1 for an invalid byte). */
static size_t u8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 1;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

int escpos_text(struct buf *b, const char *utf8, const char *encoding)
{
	const unsigned char *s = (const unsigned char *)utf8;
	iconv_t cd = iconv_open(encoding, "UTF-8");
	int rc = TALAD_OK;

	if (cd == (iconv_t)-1)
		return TALAD_EINVAL;
	while (*s && rc == TALAD_OK) {
		size_t n = u8_len(s);
		char in[4], outb[16];
		char *ip = in, *op = outb;
		size_t il = n, ol = sizeof(outb);

		if (*s < 0x20 || *s == 0x7f) {
			rc = buf_puts(b, " ");
			s += 1;
			continue;
		}
		memcpy(in, s, n);
		iconv(cd, NULL, NULL, NULL, NULL);
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0) {
			/* A mark of no width that the code page lacks (a
			 * zero-width space) is dropped; anything else shows as
			 * '?' so the columns stay where they were counted. */
			char one[5] = {0};
			memcpy(one, s, n);
			if (n == 1 || receipt_cells(one) > 0)
				rc = buf_puts(b, "?");
		} else {
			size_t k, m = sizeof(outb) - ol;
			/* A byte that decodes to a C0 control in the target
			 * (some single-byte sets map them) must not reach
			 * the printer either. */
			for (k = 0; k < m; k++)
				if ((unsigned char)outb[k] < 0x20 || outb[k] == 0x7f)
					outb[k] = ' ';
			rc = buf_append(b, outb, m);
		}
		s += n;
	}
	iconv_close(cd);
	return rc;
}

int escpos_find_font(char *out, size_t outlen)
{
	/* Loma reads best at 12 dots a column on thermal paper; the others
	 * are what fonts-thai-tlwg ships under other names and versions. */
	static const char *const known[] = {
	    "/usr/share/fonts/truetype/tlwg/Loma.ttf",
	    "/usr/share/fonts/truetype/tlwg/Garuda.ttf",
	    "/usr/share/fonts/truetype/tlwg/Waree.ttf",
	    "/usr/share/fonts/truetype/tlwg/TlwgMono.ttf",
	    "/usr/share/fonts/opentype/tlwg/Loma.otf",
	    "/usr/share/fonts/opentype/tlwg/Garuda.otf",
	    "/usr/share/fonts/opentype/tlwg/TlwgMono.otf",
	};
	const char *env = getenv("TALAD_FONT");
	size_t i;

	if (env && *env && access(env, R_OK) == 0) {
		if (strlcpy_t(out, env, outlen) >= outlen)
			return TALAD_ENOTFOUND;
		return TALAD_OK;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (access(known[i], R_OK) == 0 && strlcpy_t(out, known[i], outlen) < outlen)
			return TALAD_OK;
	}
	return TALAD_ENOTFOUND;
}

/* ---- Raster mode ---------------------------------------------------- */

/* A 1-bit canvas that grows downwards as rows are drawn. */
struct canvas {
	uint8_t *bits;
	int width, stride, height, cap;
	size_t max_bytes;
};

static int canvas_grow(struct canvas *cv, int rows)
{
	int need = cv->height + rows;

	if ((size_t)need * (size_t)cv->stride > cv->max_bytes)
		return TALAD_ETOOBIG;
	if (need > cv->cap) {
		int cap = cv->cap ? cv->cap : 256;
		while (cap < need)
			cap *= 2;
		cv->bits = xreallocarray(cv->bits, (size_t)cap, (size_t)cv->stride);
		cv->cap = cap;
	}
	memset(cv->bits + (size_t)cv->height * (size_t)cv->stride, 0,
	       (size_t)rows * (size_t)cv->stride);
	cv->height = need;
	return TALAD_OK;
}

static void canvas_set(struct canvas *cv, int x, int y)
{
	if (x < 0 || y < 0 || x >= cv->width || y >= cv->height)
		return;
	cv->bits[(size_t)y * (size_t)cv->stride + (size_t)(x >> 3)] |= (uint8_t)(0x80 >> (x & 7));
}

struct raster_font {
	FT_Library lib;
	FT_Face face;
	int cell;   /* dots per column */
	int ascent; /* baseline below the top of a line, in dots */
	int line;   /* line height in dots */
};

static void raster_font_release(struct raster_font *rf)
{
	if (rf->face)
		FT_Done_Face(rf->face);
	if (rf->lib)
		FT_Done_FreeType(rf->lib);
	rf->face = NULL;
	rf->lib = NULL;
}

/* Opens the font and sizes it so that a digit's advance fits one column:
 * columns are counted in cells, so the image must keep to the same grid. */
static int raster_font_open(struct raster_font *rf, const char *path, int cell, char *err,
                            size_t errlen)
{
	int px = cell * 2, adv;

	memset(rf, 0, sizeof(*rf));
	rf->cell = cell;
	if (FT_Init_FreeType(&rf->lib)) {
		rf->lib = NULL;
		talad_seterr(err, errlen, "cannot start freetype");
		return TALAD_EIO;
	}
	if (FT_New_Face(rf->lib, path, 0, &rf->face)) {
		rf->face = NULL;
		raster_font_release(rf);
		talad_seterr(err, errlen, "cannot read font %s", path);
		return TALAD_EIO;
	}
	if (FT_Set_Pixel_Sizes(rf->face, 0, (FT_UInt)px) ||
	    FT_Load_Char(rf->face, '0', FT_LOAD_DEFAULT)) {
		raster_font_release(rf);
		talad_seterr(err, errlen, "cannot use font %s", path);
		return TALAD_EIO;
	}
	adv = (int)(rf->face->glyph->advance.x >> 6);
	if (adv > cell) {
		px = px * cell / adv;
		if (px < 8)
			px = 8;
		if (FT_Set_Pixel_Sizes(rf->face, 0, (FT_UInt)px)) {
			raster_font_release(rf);
			talad_seterr(err, errlen, "cannot use font %s", path);
			return TALAD_EIO;
		}
	}
	rf->ascent = (int)((rf->face->size->metrics.ascender + 63) >> 6);
	rf->line = rf->ascent + (int)((-rf->face->size->metrics.descender + 63) >> 6);
	if (rf->line < px)
		rf->line = px;
	return TALAD_OK;
}

/* Draws the glyph in the face's slot with its origin at (x, baseline y),
 * each dot as a scale x scale block, twice (shifted one dot) for bold. */
static void blit_glyph(struct canvas *cv, FT_GlyphSlot g, int x, int y, int scale, bool bold)
{
	FT_Bitmap *bm = &g->bitmap;
	unsigned int r, c;
	int pass;

	for (pass = 0; pass < (bold ? 2 : 1); pass++) {
		for (r = 0; r < bm->rows; r++) {
			for (c = 0; c < bm->width; c++) {
				unsigned char v = bm->buffer[r * (unsigned)bm->pitch + c];
				int dx, dy, px, py;

				if (v < 128)
					continue;
				px = x + (g->bitmap_left + (int)c) * scale + pass;
				py = y + (-g->bitmap_top + (int)r) * scale;
				for (dy = 0; dy < scale; dy++)
					for (dx = 0; dx < scale; dx++)
						canvas_set(cv, px + dx, py + dy);
			}
		}
	}
}

static size_t u8_decode(const unsigned char *s, uint32_t *cp)
{
	size_t n = u8_len(s), i;
	uint32_t c;

	if (n == 1) {
		*cp = s[0] < 0x80 ? s[0] : '?';
		return 1;
	}
	c = s[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
	for (i = 1; i < n; i++)
		c = (c << 6) | (s[i] & 0x3f);
	*cp = c;
	return n;
}

/* One text row: characters on the column grid, each base character centred
 * in its cell. Fonts place Thai marks one of two ways without a shaper:
 * proportional TLWG fonts give them no advance and a negative bearing (draw
 * them where the base character ended), monospace TLWG fonts give them a
 * full cell and draw them inside it (draw them at the base's origin). */
static int raster_text(struct canvas *cv, struct raster_font *rf, const struct receipt_row *row,
                       int columns)
{
	int scale = row->big ? 2 : 1;
	int top = cv->height, base_y, x, col = 0, pen = 0, origin = 0;
	size_t cells = receipt_cells(row->text);
	const unsigned char *s = (const unsigned char *)row->text;
	int rc;

	if ((rc = canvas_grow(cv, rf->line * scale)) != TALAD_OK)
		return rc;
	base_y = top + rf->ascent * scale;
	if ((int)cells * scale < columns) {
		if (row->align == RECEIPT_CENTER)
			col = (columns - (int)cells * scale) / 2;
		else if (row->align == RECEIPT_RIGHT)
			col = columns - (int)cells * scale;
	}
	x = col * rf->cell;
	pen = origin = x;
	while (*s) {
		uint32_t c;
		char one[5] = {0};
		size_t n = u8_decode(s, &c);
		size_t w;

		memcpy(one, s, n);
		s += n;
		w = receipt_cells(one);
		if (FT_Load_Char(rf->face, c, FT_LOAD_RENDER))
			continue;
		if (w == 0) {
			bool spacing = rf->face->glyph->advance.x > 0;
			blit_glyph(cv, rf->face->glyph, spacing ? origin : pen, base_y, scale,
			           row->bold);
			continue;
		}
		{
			int cellw = rf->cell * (int)w * scale;
			int adv = (int)(rf->face->glyph->advance.x >> 6) * scale;
			int gx = x + (adv < cellw ? (cellw - adv) / 2 : 0);

			if (c != ' ')
				blit_glyph(cv, rf->face->glyph, gx, base_y, scale, row->bold);
			origin = gx;
			pen = gx + adv;
			x += cellw;
		}
	}
	return TALAD_OK;
}

static int raster_rule(struct canvas *cv, struct raster_font *rf)
{
	int top = cv->height, y, x, rc;

	if ((rc = canvas_grow(cv, rf->line)) != TALAD_OK)
		return rc;
	for (y = top + rf->line / 2 - 1; y <= top + rf->line / 2; y++)
		for (x = 0; x < cv->width; x++)
			canvas_set(cv, x, y);
	return TALAD_OK;
}

/* The QR code drawn into the image with libzint, centred, so printers
 * without the GS ( k command print it too. */
static int raster_qr(struct canvas *cv, const char *data, char *err, size_t errlen)
{
	struct zint_symbol *sym = ZBarcode_Create();
	int rc = TALAD_OK, zr, px, mod, qx, qy, top, r, c, dx, dy;

	if (!sym) {
		talad_seterr(err, errlen, "cannot make a qr code");
		return TALAD_EIO;
	}
	sym->symbology = BARCODE_QRCODE;
	sym->option_1 = 2; /* error correction M */
	sym->input_mode = DATA_MODE;
	sym->output_options = OUT_BUFFER_INTERMEDIATE;
	zr = ZBarcode_Encode_and_Buffer(sym, (const unsigned char *)data, (int)strlen(data), 0);
	if (zr >= ZINT_ERROR || sym->width <= 0 || sym->bitmap_width < sym->width) {
		talad_seterr(err, errlen, "cannot make a qr code: %s", sym->errtxt);
		rc = TALAD_EINVAL;
		goto out;
	}
	px = sym->bitmap_width / sym->width;
	mod = QR_MODULE;
	while (mod > 1 && (sym->width + 8) * mod > cv->width)
		mod--;
	top = cv->height;
	if ((rc = canvas_grow(cv, (sym->width + 4) * mod)) != TALAD_OK)
		goto out;
	qx = (cv->width - sym->width * mod) / 2;
	qy = top + 2 * mod;
	for (r = 0; r < sym->width; r++) {
		for (c = 0; c < sym->width; c++) {
			int sx = c * px + px / 2, sy = r * px + px / 2;
			if (sy >= sym->bitmap_height ||
			    sym->bitmap[(size_t)sy * (size_t)sym->bitmap_width + (size_t)sx] != '1')
				continue;
			for (dy = 0; dy < mod; dy++)
				for (dx = 0; dx < mod; dx++)
					canvas_set(cv, qx + c * mod + dx, qy + r * mod + dy);
		}
	}
out:
	ZBarcode_Delete(sym);
	return rc;
}

static int flush_canvas(struct buf *out, struct canvas *cv)
{
	int rc = TALAD_OK;

	if (cv->height > 0)
		rc = escpos_raster(out, cv->bits, cv->width, cv->height);
	cv->height = 0;
	return rc;
}

static int receipt_raster(const struct receipt *r, const struct escpos_settings *ps,
                          struct buf *out, char *err, size_t errlen)
{
	struct raster_font rf;
	struct canvas cv = {0};
	char font[ESCPOS_FONT_MAX];
	int dots = ps->dots ? ps->dots : ps->width * CELL_DOTS;
	int cell = dots / ps->width;
	size_t i;
	int rc;

	if (ps->font[0]) {
		strlcpy_t(font, ps->font, sizeof(font));
	} else if (escpos_find_font(font, sizeof(font)) != TALAD_OK) {
		talad_seterr(err, errlen,
		             "no thai font for raster printing (install fonts-thai-tlwg)");
		return TALAD_EINVAL;
	}
	if (cell < 4) {
		talad_seterr(err, errlen, "raster width too small for the columns");
		return TALAD_EINVAL;
	}
	if ((rc = raster_font_open(&rf, font, cell, err, errlen)) != TALAD_OK)
		return rc;
	cv.width = dots;
	cv.stride = (dots + 7) / 8;
	cv.max_bytes = ESCPOS_JOB_MAX;
	rc = escpos_init(out);
	for (i = 0; i < r->nrows && rc == TALAD_OK; i++) {
		const struct receipt_row *row = &r->rows[i];

		switch (row->kind) {
		case RECEIPT_TEXT:
			rc = raster_text(&cv, &rf, row, ps->width);
			break;
		case RECEIPT_RULE:
			rc = raster_rule(&cv, &rf);
			break;
		case RECEIPT_QR:
			rc = raster_qr(&cv, row->text, err, errlen);
			break;
		case RECEIPT_FEED:
			if ((rc = flush_canvas(out, &cv)) == TALAD_OK)
				rc = escpos_feed(out, 4);
			break;
		case RECEIPT_CUT:
			if ((rc = flush_canvas(out, &cv)) == TALAD_OK)
				rc = escpos_cut(out);
			break;
		}
	}
	if (rc == TALAD_OK)
		rc = flush_canvas(out, &cv);
	if (rc == TALAD_ETOOBIG)
		talad_seterr(err, errlen, "receipt image too large");
	free(cv.bits);
	raster_font_release(&rf);
	return rc;
}

/* Text mode: commands only where the style changes, so a job stays small
 * on slow Bluetooth links. */
static int receipt_text(const struct receipt *r, const struct escpos_settings *ps, struct buf *out)
{
	bool bold = false, big = false;
	enum receipt_align align = RECEIPT_LEFT;
	size_t i;
	int rc;

	if ((rc = escpos_init(out)) != TALAD_OK)
		return rc;
	if (ps->codepage >= 0 && (rc = escpos_codepage(out, ps->codepage)) != TALAD_OK)
		return rc;
	for (i = 0; i < r->nrows; i++) {
		const struct receipt_row *row = &r->rows[i];
		bool want_bold = row->kind == RECEIPT_TEXT && row->bold;
		bool want_big = row->kind == RECEIPT_TEXT && row->big;
		enum receipt_align want_align = row->kind == RECEIPT_QR     ? RECEIPT_CENTER
		                                : row->kind == RECEIPT_TEXT ? row->align
		                                                            : RECEIPT_LEFT;

		if (row->kind == RECEIPT_FEED) {
			rc = escpos_feed(out, 4);
		} else if (row->kind == RECEIPT_CUT) {
			rc = escpos_cut(out);
		} else {
			if (want_align != align && (rc = escpos_align(out, want_align)) != TALAD_OK)
				return rc;
			align = want_align;
			if (want_bold != bold && (rc = escpos_bold(out, want_bold)) != TALAD_OK)
				return rc;
			bold = want_bold;
			if (want_big != big && (rc = escpos_size(out, want_big)) != TALAD_OK)
				return rc;
			big = want_big;
			if (row->kind == RECEIPT_QR) {
				rc = escpos_qr(out, row->text);
				if (rc == TALAD_EINVAL)
					rc = TALAD_OK; /* no code rather than no receipt */
			} else {
				rc = escpos_text(out, row->text, ps->encoding);
				if (rc == TALAD_OK)
					rc = buf_puts(out, "\n");
			}
		}
		if (rc != TALAD_OK)
			return rc;
	}
	if (bold)
		rc = escpos_bold(out, false);
	if (rc == TALAD_OK && big)
		rc = escpos_size(out, false);
	if (rc == TALAD_OK && align != RECEIPT_LEFT)
		rc = escpos_align(out, RECEIPT_LEFT);
	return rc;
}

int escpos_receipt(const struct receipt *r, const struct escpos_settings *ps, struct buf *out,
                   char *err, size_t errlen)
{
	int rc = escpos_settings_check(ps, err, errlen);

	if (rc != TALAD_OK)
		return rc;
	if (ps->raster)
		return receipt_raster(r, ps, out, err, errlen);
	rc = receipt_text(r, ps, out);
	if (rc == TALAD_ETOOBIG)
		talad_seterr(err, errlen, "receipt too large");
	else if (rc == TALAD_EINVAL)
		talad_seterr(err, errlen, "unknown printer encoding: %s", ps->encoding);
	return rc;
}

int escpos_receipt_order(const struct order *o, const struct receipt_settings *rs,
                         const struct escpos_settings *ps, struct buf *out, char *err,
                         size_t errlen)
{
	struct receipt_settings copy = *rs;
	struct receipt r;
	int rc;

	copy.width = ps->width;
	rc = receipt_layout(o, &copy, &r);
	if (rc != TALAD_OK) {
		talad_seterr(err, errlen, "cannot lay out the receipt: %s", talad_strerror(rc));
		return rc;
	}
	rc = escpos_receipt(&r, ps, out, err, errlen);
	receipt_release(&r);
	return rc;
}

int escpos_status_parse(int n, uint8_t byte, struct escpos_status *st)
{
	/* Every status reply has bits 1 and 4 set and bits 0 and 7 clear:
	 * that is how it is told apart from other bytes on the line. */
	if ((byte & 0x93) != 0x12 || n < 1 || n > 4)
		return TALAD_EPROTO;
	st->known = true;
	switch (n) {
	case 1:
		st->drawer_open = (byte & 0x04) != 0;
		st->offline = (byte & 0x08) != 0;
		break;
	case 2:
		st->cover_open = (byte & 0x04) != 0;
		st->feed_button = (byte & 0x08) != 0;
		st->paper_stop = (byte & 0x20) != 0;
		st->error = (byte & 0x40) != 0;
		break;
	case 3:
		st->cutter_error = (byte & 0x08) != 0;
		st->unrecoverable = (byte & 0x20) != 0;
		break;
	case 4:
		st->paper_low = (byte & 0x0c) != 0;
		st->paper_out = (byte & 0x60) != 0;
		break;
	}
	return TALAD_OK;
}

bool escpos_status_blocking(const struct escpos_status *st)
{
	return st->known && (st->offline || st->cover_open || st->paper_out || st->paper_stop ||
	                     st->error || st->cutter_error || st->unrecoverable);
}

void escpos_status_words(const struct escpos_status *st, char *out, size_t outlen)
{
	struct {
		bool on;
		const char *word;
	} w[] = {
	    {st->paper_out || st->paper_stop, "paper out"},
	    {st->paper_low && !st->paper_out && !st->paper_stop, "paper low"},
	    {st->cover_open, "cover open"},
	    {st->cutter_error, "cutter error"},
	    {st->unrecoverable, "unrecoverable error"},
	    {st->error && !st->cutter_error && !st->unrecoverable, "error"},
	    {st->offline, "offline"},
	    {st->drawer_open, "drawer open"},
	};
	size_t i, used = 0;

	if (!outlen)
		return;
	out[0] = '\0';
	if (!st->known) {
		strlcpy_t(out, "unknown", outlen);
		return;
	}
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		int n;
		if (!w[i].on)
			continue;
		n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", w[i].word);
		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
	if (!used)
		strlcpy_t(out, "ready", outlen);
}
