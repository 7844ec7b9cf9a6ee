/* Barcode labels: layout (title wrapped to two lines, price, barcode sized to
 * whole printer dots per module), ZPL for Zebra printers, and PNG / SVG drawn
 * here from libzint's raster and vector output (zint 2.11 cannot write files
 * to memory) with FreeType for the text. */
#include "hw/label.h"

#include "common/err.h"
#include "common/text.h"
#include "common/xalloc.h"
#include "core/barcode.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zint.h>

#define TITLE_LINES 2
#define TEXT_MAX    512 /* code points of a title we look at */

void label_settings_init(struct label_settings *ls)
{
	memset(ls, 0, sizeof(*ls));
	ls->dpmm = 8;
	ls->width_mm = 50;
	ls->height_mm = 30;
}

int label_size_parse(const char *s, int *width_mm, int *height_mm)
{
	int w = 0, h = 0, used = 0;
	if (!s || sscanf(s, "%3d%*[xX]%3d%n", &w, &h, &used) != 2 || s[used] != '\0')
		return TALAD_EINVAL;
	if (w < 15 || w > 200 || h < 10 || h > 300)
		return TALAD_EINVAL;
	*width_mm = w;
	*height_mm = h;
	return TALAD_OK;
}

/* Names for the values of an enum; the first entry is also what an
 * unknown value is called. */
struct named {
	const char *name;
	int value;
};

static const struct named formats[] = {{"zpl", LABEL_ZPL}, {"png", LABEL_PNG}, {"svg", LABEL_SVG}};
static const struct named symbols[] = {
    {"code128", LABEL_CODE128}, {"ean13", LABEL_EAN13}, {"upca", LABEL_UPCA}, {"ean8", LABEL_EAN8}};

static const char *name_of(const struct named *t, size_t n, int value)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return t[0].name;
}

const char *label_format_name(enum label_format f)
{
	return name_of(formats, sizeof(formats) / sizeof(formats[0]), (int)f);
}

int label_format_parse(const char *s, enum label_format *out)
{
	for (size_t i = 0; s && i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!strcmp(s, formats[i].name)) {
			*out = (enum label_format)formats[i].value;
			return TALAD_OK;
		}
	}
	return TALAD_EINVAL;
}

const char *label_symbol_name(enum label_symbol sym)
{
	return name_of(symbols, sizeof(symbols) / sizeof(symbols[0]), (int)sym);
}

/* Code 128 as we print it: printable ASCII, short enough to scan. */
static bool code128_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n >= BARCODE_CODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

int label_pick_code(const char *barcode, const char *sku, const char **code, enum label_symbol *sym,
                    char *err, size_t errlen)
{
	struct barcode_scan sc;
	bool bad_gs1 = false;
	if (barcode && *barcode) {
		int rc = barcode_classify(barcode, &sc, NULL, 0);
		if (rc == TALAD_OK && sc.kind != BARCODE_KIND_OTHER) {
			*code = barcode;
			*sym = sc.kind == BARCODE_KIND_EAN13  ? LABEL_EAN13
			       : sc.kind == BARCODE_KIND_UPCA ? LABEL_UPCA
			                                      : LABEL_EAN8;
			return TALAD_OK;
		}
		bad_gs1 = sc.verdict == BARCODE_BAD_CHECK_DIGIT;
	}
	if (code128_ok(sku)) {
		*code = sku;
		*sym = LABEL_CODE128;
		return TALAD_OK;
	}
	/* A shop's own barcode that is not a GS1 number still scans back to
	   the variant, so it is the next best thing to a SKU. */
	if (!bad_gs1 && code128_ok(barcode)) {
		*code = barcode;
		*sym = LABEL_CODE128;
		return TALAD_OK;
	}
	talad_seterr(err, errlen, "%s",
	             bad_gs1
	                 ? "the barcode has a bad check digit and there is no sku to print instead"
	                 : "nothing to print: no valid barcode and no sku");
	return TALAD_EINVAL;
}

/* ---- text: UTF-8 to code points, measuring, wrapping ---- */

static size_t utf8_decode(const char *s, uint32_t *out, size_t max)
{
	const char *p = s ? s : "";
	size_t n = 0;
	while (*p && n < max) {
		uint32_t cp;
		size_t len = text_utf8_next(p, strnlen(p, 4), &cp);
		/* Invalid or overlong sequences become U+FFFD, one byte at a
		   time, so nothing malformed reaches a printer or an SVG. */
		if (len == 0) {
			cp = 0xfffd;
			len = 1;
		}
		/* Control characters in a title would be commands to a printer. */
		if (cp < 0x20 || cp == 0x7f)
			cp = ' ';
		out[n++] = cp;
		p += len;
	}
	return n;
}

static void utf8_put(struct buf *b, uint32_t cp)
{
	char c[4];
	size_t n;
	if (cp < 0x80) {
		c[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		c[0] = (char)(0xc0 | (cp >> 6));
		c[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		c[0] = (char)(0xe0 | (cp >> 12));
		c[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		c[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		c[0] = (char)(0xf0 | (cp >> 18));
		c[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		c[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		c[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(b, c, n);
}

/* Marks that sit on the previous character and take no width of their own:
 * Thai above/below vowels and tone marks, and general combining marks. */
static bool is_mark(uint32_t cp)
{
	return cp == 0x0e31 || (cp >= 0x0e34 && cp <= 0x0e3a) || (cp >= 0x0e47 && cp <= 0x0e4e) ||
	       (cp >= 0x0300 && cp <= 0x036f);
}

struct pen {
	FT_Face face; /* NULL: widths estimated (ZPL without a local font) */
	int px;       /* font size in dots */
};

static int advance(const struct pen *p, uint32_t cp)
{
	if (!p->face)
		return is_mark(cp) ? 0 : p->px * 55 / 100;
	if (FT_Load_Char(p->face, cp, FT_LOAD_DEFAULT) != 0)
		return p->px / 2;
	return (int)(p->face->glyph->advance.x >> 6);
}

static int measure(const struct pen *p, const uint32_t *cp, size_t n)
{
	int w = 0;
	for (size_t i = 0; i < n; i++)
		w += advance(p, cp[i]);
	return w;
}

struct line {
	uint32_t cp[TEXT_MAX + 3];
	size_t n;
};

/* Greedy wrap into at most maxlines lines of maxw dots: breaks at spaces,
 * else between characters (never before a mark, which would orphan it);
 * text that does not fit ends the last line with "...". Returns the number
 * of lines. */
static size_t wrap(const struct pen *p, const uint32_t *cp, size_t n, int maxw, size_t maxlines,
                   struct line *lines)
{
	static const uint32_t dots[3] = {'.', '.', '.'};
	size_t i = 0, nl = 0;
	while (nl < maxlines) {
		while (i < n && cp[i] == ' ')
			i++;
		if (i >= n)
			break;
		size_t end = i, last_space = 0;
		int w = 0;
		while (end < n) {
			int a = advance(p, cp[end]);
			if (w + a > maxw && end > i && !is_mark(cp[end]))
				break;
			if (cp[end] == ' ')
				last_space = end;
			w += a;
			end++;
		}
		bool more = end < n;
		if (more && last_space > i)
			end = last_space;
		struct line *l = &lines[nl++];
		if (more && nl == maxlines) {
			/* Cut so that "..." fits too. */
			int dw = measure(p, dots, 3);
			end = i;
			w = 0;
			size_t fit = i;
			while (end < n) {
				w += advance(p, cp[end]);
				end++;
				if (w + dw > maxw)
					break;
				if (end >= n || !is_mark(cp[end]))
					fit = end;
			}
			while (fit > i && cp[fit - 1] == ' ')
				fit--;
			l->n = fit - i;
			memcpy(l->cp, cp + i, l->n * sizeof(uint32_t));
			memcpy(l->cp + l->n, dots, sizeof(dots));
			l->n += 3;
			break;
		}
		size_t e = end;
		while (e > i && cp[e - 1] == ' ')
			e--;
		l->n = e - i;
		memcpy(l->cp, cp + i, l->n * sizeof(uint32_t));
		i = end;
	}
	return nl;
}

/* ---- fonts ---- */

struct fonts {
	FT_Library lib;
	FT_Face regular;
	FT_Face bold;
};

static FT_Face load_first(FT_Library lib, const char *const *paths)
{
	for (size_t i = 0; paths[i]; i++) {
		FT_Face f;
		if (FT_New_Face(lib, paths[i], 0, &f) == 0)
			return f;
	}
	return NULL;
}

static void fonts_close(struct fonts *fs)
{
	if (fs->bold && fs->bold != fs->regular)
		FT_Done_Face(fs->bold);
	if (fs->regular)
		FT_Done_Face(fs->regular);
	if (fs->lib)
		FT_Done_FreeType(fs->lib);
	memset(fs, 0, sizeof(*fs));
}

/* TALAD_OK with both faces, or TALAD_EINVAL (message in err). */
static int fonts_open(struct fonts *fs, const struct label_settings *ls, char *err, size_t errlen)
{
	static const char *const regular[] = {
	    "/usr/share/fonts/truetype/tlwg/Garuda.ttf",
	    "/usr/share/fonts/truetype/tlwg/Loma.ttf",
	    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	    NULL,
	};
	static const char *const bold[] = {
	    "/usr/share/fonts/truetype/tlwg/Garuda-Bold.ttf",
	    "/usr/share/fonts/truetype/tlwg/Loma-Bold.ttf",
	    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
	    NULL,
	};
	memset(fs, 0, sizeof(*fs));
	if (FT_Init_FreeType(&fs->lib) != 0) {
		fs->lib = NULL;
		talad_seterr(err, errlen, "cannot start freetype");
		return TALAD_EINVAL;
	}
	if (ls->font[0]) {
		const char *mine[] = {ls->font, NULL};
		fs->regular = load_first(fs->lib, mine);
		fs->bold = fs->regular;
		if (!fs->regular) {
			char msg[LABEL_FONT_MAX + 48];
			snprintf(msg, sizeof(msg), "cannot load label font %s", ls->font);
			talad_seterr(err, errlen, "%s", msg);
			fonts_close(fs);
			return TALAD_EINVAL;
		}
		return TALAD_OK;
	}
	fs->regular = load_first(fs->lib, regular);
	fs->bold = load_first(fs->lib, bold);
	if (!fs->bold)
		fs->bold = fs->regular;
	if (!fs->regular) {
		talad_seterr(err, errlen,
		             "no font for label text: install fonts-thai-tlwg or set label-font");
		fonts_close(fs);
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

static void pen_size(struct pen *p, FT_Face face, int px)
{
	p->face = face;
	p->px = px;
	if (face)
		FT_Set_Pixel_Sizes(face, 0, (FT_UInt)px);
}

/* ---- layout ---- */

struct layout {
	int w, h;               /* label in dots */
	int mx, mt;             /* side and top/bottom margins */
	int title_px, price_px; /* font sizes */
	struct line title[TITLE_LINES];
	size_t ntitle;
	struct line price;
	int title_y[TITLE_LINES]; /* top of each title line */
	int price_y;
	int bar_y, bar_h; /* the region for the symbol and its digits */
};

static int check_settings(const struct label_settings *ls, char *err, size_t errlen)
{
	if (ls->dpmm < 4 || ls->dpmm > 24 || ls->width_mm < 15 || ls->width_mm > 200 ||
	    ls->height_mm < 10 || ls->height_mm > 300) {
		talad_seterr(err, errlen,
		             "bad label settings: 4..24 dots/mm, 15..200 mm wide, 10..300 mm high");
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

static void lay_out(const struct label_item *item, const struct label_settings *ls, FT_Face regular,
                    FT_Face bold, struct layout *L)
{
	memset(L, 0, sizeof(*L));
	L->w = ls->width_mm * ls->dpmm;
	L->h = ls->height_mm * ls->dpmm;
	L->mx = L->w * 4 / 100;
	L->mt = L->h * 5 / 100;
	L->title_px = L->h * 12 / 100;
	L->price_px = L->h * 16 / 100;
	/* Big labels do not need shouting text. */
	if (L->title_px > 6 * ls->dpmm)
		L->title_px = 6 * ls->dpmm;
	if (L->price_px > 9 * ls->dpmm)
		L->price_px = 9 * ls->dpmm;
	int gap = L->h * 2 / 100;
	int textw = L->w - 2 * L->mx;

	uint32_t cp[TEXT_MAX];
	struct pen p;
	pen_size(&p, regular, L->title_px);
	size_t n = utf8_decode(item->title, cp, TEXT_MAX);
	L->ntitle = wrap(&p, cp, n, textw, TITLE_LINES, L->title);
	int y = L->mt;
	for (size_t i = 0; i < L->ntitle; i++) {
		L->title_y[i] = y;
		y += L->title_px * 115 / 100;
	}
	y += gap;
	pen_size(&p, bold, L->price_px);
	n = utf8_decode(item->price, cp, TEXT_MAX);
	struct line one[1];
	if (wrap(&p, cp, n, textw, 1, one) == 1)
		L->price = one[0];
	L->price_y = y;
	if (L->price.n)
		y += L->price_px * 115 / 100 + gap;
	L->bar_y = y;
	L->bar_h = L->h - L->mt - y;
}

/* ---- the symbol ---- */

/* Quiet zones and widths in modules, as a printer without zint lays them. */
static int symbol_modules(enum label_symbol s, const char *code, int *quiet)
{
	switch (s) {
	case LABEL_EAN13:
		*quiet = 11 + 7;
		return 95;
	case LABEL_UPCA:
		*quiet = 9 + 9;
		return 95;
	case LABEL_EAN8:
		*quiet = 7 + 7;
		return 67;
	case LABEL_CODE128:
		break;
	}
	/* ZPL prints subset B: start, one per character, check, stop (13). */
	*quiet = 10 + 10;
	return 11 * ((int)strlen(code) + 2) + 13;
}

static int max_module(int dpmm)
{
	/* About 0.33 mm, the nominal X dimension of retail EAN/UPC. */
	int m = (dpmm * 33 + 99) / 100;
	return m < 1 ? 1 : m;
}

/* Encodes with zint into a raster or vector sized to the region: whole
 * dots per module, no wider than the label, no taller than the region. */
static int zint_make(const struct label_item *item, const struct layout *L, int dpmm, bool vector,
                     struct zint_symbol **out, char *err, size_t errlen)
{
	char msg[256];
	struct zint_symbol *z = ZBarcode_Create();
	int rc = TALAD_OK;
	switch (item->symbol) {
	case LABEL_EAN13:
	case LABEL_EAN8:
		z->symbology = BARCODE_EANX_CHK;
		break;
	case LABEL_UPCA:
		z->symbology = BARCODE_UPCA_CHK;
		break;
	case LABEL_CODE128:
		z->symbology = BARCODE_CODE128;
		break;
	}
	z->output_options |= BARCODE_QUIET_ZONES;
	z->show_hrt = 1;
	z->scale = 0.5f; /* one dot per module: learn the width in modules */
	const char *code = item->code;
	if (ZBarcode_Encode(z, (const unsigned char *)code, (int)strlen(code)) >= ZINT_ERROR ||
	    ZBarcode_Buffer(z, 0) >= ZINT_ERROR) {
		snprintf(msg, sizeof(msg), "cannot encode '%.40s' as %s: %s", code,
		         label_symbol_name(item->symbol), z->errtxt);
		talad_seterr(err, errlen, "%s", msg);
		rc = TALAD_EINVAL;
		goto out;
	}
	int modules = z->bitmap_width;
	int m = L->w / modules; /* quiet zones may use the margins */
	if (m > max_module(dpmm))
		m = max_module(dpmm);
	if (m < 1) {
		snprintf(msg, sizeof(msg), "'%.40s' is too long for a %d mm wide label", code,
		         L->w / dpmm);
		talad_seterr(err, errlen, "%s", msg);
		rc = TALAD_EINVAL;
		goto out;
	}
	/* zint draws 2 units per module at scale 1; its digits take about 8
	   modules under the bars. */
	float height = (float)(L->bar_h / m - 8);
	for (int tries = 0; tries < 4; tries++) {
		if (height < 15.0f) {
			talad_seterr(err, errlen, "label too small for the barcode");
			rc = TALAD_EINVAL;
			goto out;
		}
		ZBarcode_Clear(z);
		z->symbology = item->symbol == LABEL_UPCA      ? BARCODE_UPCA_CHK
		               : item->symbol == LABEL_CODE128 ? BARCODE_CODE128
		                                               : BARCODE_EANX_CHK;
		z->output_options |= BARCODE_QUIET_ZONES;
		z->show_hrt = 1;
		z->scale = (float)m / 2.0f;
		z->height = height;
		if (ZBarcode_Encode(z, (const unsigned char *)code, (int)strlen(code)) >=
		    ZINT_ERROR) {
			snprintf(msg, sizeof(msg), "cannot encode '%.40s': %s", code, z->errtxt);
			talad_seterr(err, errlen, "%s", msg);
			rc = TALAD_EINVAL;
			goto out;
		}
		int got = vector ? ZBarcode_Buffer_Vector(z, 0) : ZBarcode_Buffer(z, 0);
		if (got >= ZINT_ERROR) {
			snprintf(msg, sizeof(msg), "cannot draw '%.40s': %s", code, z->errtxt);
			talad_seterr(err, errlen, "%s", msg);
			rc = TALAD_EINVAL;
			goto out;
		}
		int hh = vector ? (int)(z->vector->height + 0.99f) : z->bitmap_height;
		if (hh <= L->bar_h)
			goto out;
		height -= (float)((hh - L->bar_h + m - 1) / m);
	}
	talad_seterr(err, errlen, "label too small for the barcode");
	rc = TALAD_EINVAL;
out:
	if (rc != TALAD_OK) {
		ZBarcode_Delete(z);
		z = NULL;
	}
	*out = z;
	return rc;
}

/* ---- ZPL ---- */

/* Field data after ^FH_: the format and control prefixes and the escape
 * itself as hex, so a title can never start a command. */
static void zpl_text(struct buf *b, const struct line *l)
{
	struct buf u = BUF_INIT(4 * (TEXT_MAX + 3) + 1);
	for (size_t i = 0; i < l->n; i++)
		utf8_put(&u, l->cp[i]);
	for (const char *s = buf_str(&u); *s; s++) {
		if (*s == '^' || *s == '~' || *s == '_')
			buf_printf(b, "_%02X", (unsigned char)*s);
		else
			buf_append(b, s, 1);
	}
	buf_release(&u);
}

static void zpl_font(struct buf *b, const struct label_settings *ls, int px)
{
	if (ls->zpl_font[0])
		buf_printf(b, "^A@N,%d,%d,%s", px, px, ls->zpl_font);
	else
		buf_printf(b, "^A0N,%d,%d", px, px);
}

static int render_zpl(const struct label_item *item, const struct label_settings *ls, int copies,
                      struct buf *out, char *err, size_t errlen)
{
	struct fonts fs = {0};
	/* Titles are measured with a local font when there is one; the
	   printer's font is close enough in width, and without one an
	   estimate does. */
	bool have_fonts = fonts_open(&fs, ls, NULL, 0) == TALAD_OK;
	struct layout L;
	lay_out(item, ls, have_fonts ? fs.regular : NULL, have_fonts ? fs.bold : NULL, &L);
	if (have_fonts)
		fonts_close(&fs);

	int quiet;
	int modules = symbol_modules(item->symbol, item->code, &quiet);
	int m = L.w / (modules + quiet);
	if (m > max_module(ls->dpmm))
		m = max_module(ls->dpmm);
	if (m < 1) {
		char msg[128];
		snprintf(msg, sizeof(msg), "'%.40s' is too long for a %d mm wide label", item->code,
		         ls->width_mm);
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	/* The printer puts the digits under the bars, about 10 modules. */
	int bar_h = L.bar_h - 10 * m;
	if (bar_h < 15 * m) {
		talad_seterr(err, errlen, "label too small for the barcode");
		return TALAD_EINVAL;
	}
	int x = (L.w - modules * m) / 2;
	int textw = L.w - 2 * L.mx;

	struct buf b = BUF_INIT(LABEL_MAX_BYTES);
	buf_printf(&b, "^XA\n^CI28\n^PW%d\n^LL%d\n^LH0,0\n", L.w, L.h);
	for (size_t i = 0; i < L.ntitle; i++) {
		buf_printf(&b, "^FO%d,%d", L.mx, L.title_y[i]);
		zpl_font(&b, ls, L.title_px);
		buf_printf(&b, "^FB%d,1,0,C^FH_^FD", textw);
		zpl_text(&b, &L.title[i]);
		buf_puts(&b, "^FS\n");
	}
	if (L.price.n) {
		buf_printf(&b, "^FO%d,%d", L.mx, L.price_y);
		zpl_font(&b, ls, L.price_px);
		buf_printf(&b, "^FB%d,1,0,C^FH_^FD", textw);
		zpl_text(&b, &L.price);
		buf_puts(&b, "^FS\n");
	}
	buf_printf(&b, "^FO%d,%d^BY%d", x, L.bar_y, m);
	const char *c = item->code;
	switch (item->symbol) {
	case LABEL_EAN13:
		/* The printer adds the check digit itself. */
		buf_printf(&b, "^BEN,%d,Y,N^FD%.12s^FS\n", bar_h, c);
		break;
	case LABEL_UPCA:
		buf_printf(&b, "^BUN,%d,Y,N,Y^FD%.11s^FS\n", bar_h, c);
		break;
	case LABEL_EAN8:
		buf_printf(&b, "^B8N,%d,Y,N^FD%.7s^FS\n", bar_h, c);
		break;
	case LABEL_CODE128:
		buf_printf(&b, "^BCN,%d,Y,N,N^FD>:", bar_h);
		/* Subset B; ^ > ~ are written as their invocation codes. */
		for (const char *s = c; *s; s++) {
			if (*s == '^')
				buf_puts(&b, "><");
			else if (*s == '>')
				buf_puts(&b, ">0");
			else if (*s == '~')
				buf_puts(&b, ">=");
			else
				buf_append(&b, s, 1);
		}
		buf_puts(&b, "^FS\n");
		break;
	}
	buf_printf(&b, "^PQ%d\n^XZ\n", copies);
	int rc = buf_append(out, b.data, b.len);
	buf_release(&b);
	if (rc != TALAD_OK)
		talad_seterr(err, errlen, "label output too large");
	return rc;
}

/* ---- raster (PNG) ---- */

struct canvas {
	int w, h;
	unsigned char *px; /* 8-bit grey, 255 white */
};

static void draw_line(struct canvas *cv, FT_Face face, int px, const struct line *l, int top)
{
	struct pen p;
	pen_size(&p, face, px);
	int x = (cv->w - measure(&p, l->cp, l->n)) / 2;
	int baseline = top + px * 85 / 100;
	for (size_t i = 0; i < l->n; i++) {
		if (FT_Load_Char(face, l->cp[i], FT_LOAD_RENDER) != 0)
			continue;
		FT_GlyphSlot g = face->glyph;
		FT_Bitmap *bm = &g->bitmap;
		int gx = x + g->bitmap_left, gy = baseline - g->bitmap_top;
		for (unsigned r = 0; r < bm->rows; r++) {
			for (unsigned c = 0; c < bm->width; c++) {
				int X = gx + (int)c, Y = gy + (int)r;
				if (X < 0 || Y < 0 || X >= cv->w || Y >= cv->h)
					continue;
				unsigned char cov;
				if (bm->pixel_mode == FT_PIXEL_MODE_MONO)
					cov = (bm->buffer[r * (unsigned)bm->pitch + c / 8] >>
					       (7 - c % 8)) &
					              1
					          ? 255
					          : 0;
				else
					cov = bm->buffer[r * (unsigned)bm->pitch + c];
				unsigned char v = (unsigned char)(255 - cov);
				unsigned char *d = &cv->px[(size_t)Y * (size_t)cv->w + (size_t)X];
				if (v < *d)
					*d = v;
			}
		}
		x += (int)(g->advance.x >> 6);
	}
}

static uint32_t crc_table[256];

static void crc_init(void)
{
	if (crc_table[1])
		return;
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char c[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 8), (unsigned char)v};
	buf_append(b, c, 4);
}

static void png_chunk(struct buf *b, const char *type, const unsigned char *data, size_t n)
{
	put32(b, (uint32_t)n);
	size_t start = b->len;
	buf_append(b, type, 4);
	if (n)
		buf_append(b, data, n);
	put32(b, crc32_of((const unsigned char *)b->data + start, n + 4));
}

/* A 1-bit greyscale PNG: thermal label printers print dots, not greys. The
 * image data goes in stored (uncompressed) deflate blocks, which every PNG
 * reader takes and which need no compression library. */
static int png_write(const struct canvas *cv, int dpmm, struct buf *out)
{
	crc_init();
	size_t stride = ((size_t)cv->w + 7) / 8 + 1;
	size_t rawlen = stride * (size_t)cv->h;
	unsigned char *raw = xcalloc(rawlen, 1);
	for (int y = 0; y < cv->h; y++) {
		unsigned char *row = raw + (size_t)y * stride;
		row[0] = 0; /* filter: none */
		for (int x = 0; x < cv->w; x++)
			if (cv->px[(size_t)y * (size_t)cv->w + (size_t)x] >= 128)
				row[1 + x / 8] |= (unsigned char)(0x80 >> (x % 8));
	}
	struct buf z = BUF_INIT(LABEL_MAX_BYTES);
	unsigned char hdr[2] = {0x78, 0x01};
	buf_append(&z, hdr, 2);
	uint32_t a = 1, s2 = 0;
	for (size_t i = 0; i < rawlen; i++) {
		a = (a + raw[i]) % 65521u;
		s2 = (s2 + a) % 65521u;
	}
	size_t off = 0;
	do {
		size_t n = rawlen - off > 65535 ? 65535 : rawlen - off;
		unsigned char bh[5] = {(unsigned char)(off + n == rawlen ? 1 : 0),
		                       (unsigned char)(n & 0xff), (unsigned char)(n >> 8),
		                       (unsigned char)(~n & 0xff),
		                       (unsigned char)((~n >> 8) & 0xff)};
		buf_append(&z, bh, 5);
		buf_append(&z, raw + off, n);
		off += n;
	} while (off < rawlen);
	put32(&z, (s2 << 16) | a);
	free(raw);

	struct buf b = BUF_INIT(LABEL_MAX_BYTES);
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	buf_append(&b, sig, 8);
	unsigned char ihdr[13] = {(unsigned char)(cv->w >> 24),
	                          (unsigned char)(cv->w >> 16),
	                          (unsigned char)(cv->w >> 8),
	                          (unsigned char)cv->w,
	                          (unsigned char)(cv->h >> 24),
	                          (unsigned char)(cv->h >> 16),
	                          (unsigned char)(cv->h >> 8),
	                          (unsigned char)cv->h,
	                          1 /* bit depth */,
	                          0 /* greyscale */,
	                          0,
	                          0,
	                          0};
	png_chunk(&b, "IHDR", ihdr, sizeof(ihdr));
	/* Dots per metre, so that CUPS prints the label at its real size. */
	uint32_t ppm = (uint32_t)dpmm * 1000u;
	unsigned char phys[9] = {
	    (unsigned char)(ppm >> 24), (unsigned char)(ppm >> 16), (unsigned char)(ppm >> 8),
	    (unsigned char)ppm,         (unsigned char)(ppm >> 24), (unsigned char)(ppm >> 16),
	    (unsigned char)(ppm >> 8),  (unsigned char)ppm,         1};
	png_chunk(&b, "pHYs", phys, sizeof(phys));
	png_chunk(&b, "IDAT", (const unsigned char *)z.data, z.len);
	png_chunk(&b, "IEND", NULL, 0);
	buf_release(&z);
	int rc = buf_append(out, b.data, b.len);
	buf_release(&b);
	return rc;
}

static int render_png(const struct label_item *item, const struct label_settings *ls,
                      struct buf *out, char *err, size_t errlen)
{
	struct fonts fs;
	int rc = fonts_open(&fs, ls, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	struct layout L;
	lay_out(item, ls, fs.regular, fs.bold, &L);
	struct zint_symbol *z = NULL;
	struct canvas cv = {L.w, L.h, NULL};
	rc = zint_make(item, &L, ls->dpmm, false, &z, err, errlen);
	if (rc != TALAD_OK)
		goto out;
	cv.px = xmalloc((size_t)cv.w * (size_t)cv.h);
	memset(cv.px, 255, (size_t)cv.w * (size_t)cv.h);
	for (size_t i = 0; i < L.ntitle; i++)
		draw_line(&cv, fs.regular, L.title_px, &L.title[i], L.title_y[i]);
	if (L.price.n)
		draw_line(&cv, fs.bold, L.price_px, &L.price, L.price_y);
	int x0 = (cv.w - z->bitmap_width) / 2;
	for (int y = 0; y < z->bitmap_height; y++) {
		for (int x = 0; x < z->bitmap_width; x++) {
			const unsigned char *p =
			    &z->bitmap[3 * ((size_t)y * (size_t)z->bitmap_width + (size_t)x)];
			int X = x0 + x, Y = L.bar_y + y;
			if (X >= 0 && X < cv.w && Y < cv.h)
				cv.px[(size_t)Y * (size_t)cv.w + (size_t)X] = p[0] < 128 ? 0 : 255;
		}
	}
	rc = png_write(&cv, ls->dpmm, out);
	if (rc != TALAD_OK)
		talad_seterr(err, errlen, "label output too large");
out:
	free(cv.px);
	ZBarcode_Delete(z);
	fonts_close(&fs);
	return rc;
}

/* ---- SVG ---- */

static void xml_text(struct buf *b, const struct line *l)
{
	for (size_t i = 0; i < l->n; i++) {
		switch (l->cp[i]) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		default:
			utf8_put(b, l->cp[i]);
			break;
		}
	}
}

static int render_svg(const struct label_item *item, const struct label_settings *ls,
                      struct buf *out, char *err, size_t errlen)
{
	struct fonts fs;
	int rc = fonts_open(&fs, ls, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	struct layout L;
	lay_out(item, ls, fs.regular, fs.bold, &L);
	fonts_close(&fs);
	struct zint_symbol *z = NULL;
	rc = zint_make(item, &L, ls->dpmm, true, &z, err, errlen);
	if (rc != TALAD_OK)
		return rc;

	struct buf b = BUF_INIT(LABEL_MAX_BYTES);
	buf_printf(&b,
	           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%dmm\" height=\"%dmm\" "
	           "viewBox=\"0 0 %d %d\">\n"
	           "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
	           "<g font-family=\"Garuda, Loma, 'DejaVu Sans', sans-serif\" "
	           "text-anchor=\"middle\" fill=\"#000000\">\n",
	           ls->width_mm, ls->height_mm, L.w, L.h, L.w, L.h);
	for (size_t i = 0; i < L.ntitle; i++) {
		buf_printf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"%d\">", L.w / 2,
		           L.title_y[i] + L.title_px * 85 / 100, L.title_px);
		xml_text(&b, &L.title[i]);
		buf_puts(&b, "</text>\n");
	}
	if (L.price.n) {
		buf_printf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" font-weight=\"bold\">",
		           L.w / 2, L.price_y + L.price_px * 85 / 100, L.price_px);
		xml_text(&b, &L.price);
		buf_puts(&b, "</text>\n");
	}
	buf_puts(&b, "</g>\n");
	float x0 = ((float)L.w - z->vector->width) / 2.0f;
	buf_printf(&b, "<g transform=\"translate(%.2f %d)\" fill=\"#000000\">\n", (double)x0,
	           L.bar_y);
	for (struct zint_vector_rect *r = z->vector->rectangles; r; r = r->next)
		buf_printf(&b, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>\n",
		           (double)r->x, (double)r->y, (double)r->width, (double)r->height);
	for (struct zint_vector_string *s = z->vector->strings; s; s = s->next) {
		const char *anchor = s->halign == 1 ? "start" : s->halign == 2 ? "end" : "middle";
		buf_printf(&b,
		           "<text x=\"%.2f\" y=\"%.2f\" font-family=\"'DejaVu Sans Mono', "
		           "monospace\" font-size=\"%.1f\" text-anchor=\"%s\">",
		           (double)s->x, (double)s->y, (double)s->fsize, anchor);
		uint32_t cp[TEXT_MAX];
		struct line l;
		l.n = utf8_decode((const char *)s->text, cp, TEXT_MAX);
		memcpy(l.cp, cp, l.n * sizeof(uint32_t));
		xml_text(&b, &l);
		buf_puts(&b, "</text>\n");
	}
	buf_puts(&b, "</g>\n</svg>\n");
	ZBarcode_Delete(z);
	rc = buf_append(out, b.data, b.len);
	buf_release(&b);
	if (rc != TALAD_OK)
		talad_seterr(err, errlen, "label output too large");
	return rc;
}

int label_render(const struct label_item *item, const struct label_settings *ls,
                 enum label_format f, int copies, struct buf *out, char *err, size_t errlen)
{
	int rc = check_settings(ls, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	if (copies < 1 || copies > LABEL_MAX_COPIES) {
		talad_seterr(err, errlen, "copies must be 1 to 1000");
		return TALAD_EINVAL;
	}
	if (!item->code || !*item->code) {
		talad_seterr(err, errlen, "no code to print");
		return TALAD_EINVAL;
	}
	/* The symbology must agree with the code: the check digit of a GS1
	   code is verified here, not left to the printer to replace. */
	struct barcode_scan sc;
	int crc = barcode_classify(item->code, &sc, NULL, 0);
	bool ok;
	switch (item->symbol) {
	case LABEL_EAN13:
		ok = crc == TALAD_OK && sc.kind == BARCODE_KIND_EAN13;
		break;
	case LABEL_UPCA:
		ok = crc == TALAD_OK && sc.kind == BARCODE_KIND_UPCA;
		break;
	case LABEL_EAN8:
		ok = crc == TALAD_OK && sc.kind == BARCODE_KIND_EAN8;
		break;
	default:
		ok = code128_ok(item->code);
		break;
	}
	if (!ok) {
		char msg[128];
		snprintf(msg, sizeof(msg), "'%.40s' is not a valid %s code", item->code,
		         label_symbol_name(item->symbol));
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	switch (f) {
	case LABEL_PNG:
		return render_png(item, ls, out, err, errlen);
	case LABEL_SVG:
		return render_svg(item, ls, out, err, errlen);
	case LABEL_ZPL:
		break;
	}
	return render_zpl(item, ls, copies, out, err, errlen);
}
