/* The test-side ESC/POS decoder (see escpos_decode.h): a byte-at-a-time
 * reader of the commands Talad sends and the common ones it might, strict
 * about anything else. */
#include "escpos_decode.h"
#include "common/xalloc.h"

#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 100000 /* lines, images, kicks: a cap against runaway input */

struct dec {
	const uint8_t *p, *end, *start;
	const char *encoding;
	struct escpos_doc *doc;
	char *err;
	size_t errlen;
	/* Current print mode. */
	bool bold, big;
	int align;
	/* The line being collected. */
	uint8_t *line;
	size_t linelen, linecap;
	/* The QR symbol stored and waiting for "print". */
	char *qr_stored;
	/* A raster image is joined with the next slice when nothing else
	 * came between them. */
	bool last_was_image;
};

static int fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct dec *d, const char *fmt, ...)
{
	va_list ap;
	size_t off = (size_t)(d->p - d->start);
	int n = 0;

	if (d->err && d->errlen) {
		n = snprintf(d->err, d->errlen, "offset %zu: ", off);
		if (n < 0 || (size_t)n >= d->errlen)
			return -1;
		va_start(ap, fmt);
		vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Room for one more item after n: the capacity doubles whenever n reaches
 * a power of two, so appends stay amortised O(1) without a cap field. */
static void *grow(void *v, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0)
		return xreallocarray(v, n ? n * 2 : 1, size);
	return v;
}

static int need(struct dec *d, size_t n, const char *what)
{
	if ((size_t)(d->end - d->p) < n)
		return fail(d, "%s cut short", what);
	return 0;
}

/* Converts the collected bytes back to UTF-8 and records the line. */
static int flush_line(struct dec *d, bool force)
{
	struct escpos_doc *doc = d->doc;
	struct escpos_dline *l;
	iconv_t cd;
	char *in = (char *)d->line, *out, *op;
	size_t il = d->linelen, ol = d->linelen * 4 + 1;

	if (!force && d->linelen == 0)
		return 0;
	if (doc->nlines >= MAX_ITEMS)
		return fail(d, "too many lines");
	cd = iconv_open("UTF-8", d->encoding);
	if (cd == (iconv_t)-1)
		return fail(d, "unknown encoding %s", d->encoding);
	out = xmalloc(ol);
	op = out;
	if (il && iconv(cd, &in, &il, &op, &ol) == (size_t)-1) {
		iconv_close(cd);
		free(out);
		return fail(d, "text not valid %s", d->encoding);
	}
	iconv_close(cd);
	*op = '\0';
	doc->lines = grow(doc->lines, doc->nlines, sizeof(*doc->lines));
	l = &doc->lines[doc->nlines++];
	l->text = out;
	l->bold = d->bold;
	l->big = d->big;
	l->align = d->align;
	d->linelen = 0;
	d->last_was_image = false;
	return 0;
}

static void add_byte(struct dec *d, uint8_t b)
{
	if (d->linelen == d->linecap) {
		d->linecap = d->linecap ? d->linecap * 2 : 64;
		d->line = xreallocarray(d->line, d->linecap, 1);
	}
	d->line[d->linelen++] = b;
}

static int raster(struct dec *d)
{
	struct escpos_doc *doc = d->doc;
	struct escpos_image *img;
	int wbytes, h;
	size_t n, i, old;

	if (need(d, 5, "GS v 0"))
		return -1;
	/* m (d->p[0]) selects double width/height scaling; Talad sends 0. */
	if (d->p[0] > 3 && !(d->p[0] >= 48 && d->p[0] <= 51))
		return fail(d, "GS v 0 with bad mode %u", d->p[0]);
	wbytes = d->p[1] | d->p[2] << 8;
	h = d->p[3] | d->p[4] << 8;
	d->p += 5;
	n = (size_t)wbytes * (size_t)h;
	if (wbytes == 0 || h == 0)
		return fail(d, "empty raster image");
	if (need(d, n, "raster image data"))
		return -1;
	if (d->linelen)
		return fail(d, "raster image in the middle of a text line");
	if (d->last_was_image && doc->nimages > 0 &&
	    doc->images[doc->nimages - 1].width == wbytes * 8) {
		img = &doc->images[doc->nimages - 1];
	} else {
		if (doc->nimages >= MAX_ITEMS)
			return fail(d, "too many images");
		doc->images = grow(doc->images, doc->nimages, sizeof(*doc->images));
		img = &doc->images[doc->nimages++];
		memset(img, 0, sizeof(*img));
		img->width = wbytes * 8;
	}
	old = (size_t)img->height * (size_t)wbytes;
	img->bits = xreallocarray(img->bits, old + n, 1);
	memcpy(img->bits + old, d->p, n);
	img->height += h;
	for (i = 0; i < n; i++)
		img->black += (size_t)__builtin_popcount(d->p[i]);
	d->p += n;
	d->last_was_image = true;
	return 0;
}

/* GS ( k: the 2D symbol functions; the QR ones (cn 49) are followed. */
static int gs_paren_k(struct dec *d)
{
	size_t plen;
	int cn, fn;

	if (need(d, 2, "GS ( k"))
		return -1;
	plen = (size_t)(d->p[0] | d->p[1] << 8);
	d->p += 2;
	if (plen < 2 || need(d, plen, "GS ( k parameters"))
		return plen < 2 ? fail(d, "GS ( k too short") : -1;
	cn = d->p[0];
	fn = d->p[1];
	if (cn != 49)
		return fail(d, "GS ( k for a symbol other than qr (cn %d)", cn);
	if (fn == 80) {
		if (plen < 3 || d->p[2] != 48)
			return fail(d, "bad qr store command");
		free(d->qr_stored);
		d->qr_stored = xstrndup((const char *)d->p + 3, plen - 3);
		if (strlen(d->qr_stored) != plen - 3)
			return fail(d, "qr data holds a nul byte");
	} else if (fn == 81) {
		struct escpos_doc *doc = d->doc;
		if (!d->qr_stored)
			return fail(d, "qr print with nothing stored");
		if (doc->nqr >= MAX_ITEMS)
			return fail(d, "too many qr codes");
		doc->qr = grow(doc->qr, doc->nqr, sizeof(*doc->qr));
		doc->qr[doc->nqr++] = d->qr_stored;
		d->qr_stored = NULL;
	} else if (fn != 65 && fn != 67 && fn != 69) {
		return fail(d, "unknown qr function %d", fn);
	}
	d->p += plen;
	d->last_was_image = false;
	return 0;
}

static int esc(struct dec *d)
{
	struct escpos_doc *doc = d->doc;
	uint8_t c;

	if (need(d, 1, "ESC"))
		return -1;
	c = *d->p++;
	switch (c) {
	case '@':
		if (d->linelen)
			return fail(d, "ESC @ drops an unprinted line");
		doc->inits++;
		d->bold = d->big = false;
		d->align = 0;
		return 0;
	case 't':
		if (need(d, 1, "ESC t"))
			return -1;
		if (doc->ncodepages >= MAX_ITEMS)
			return fail(d, "too many code pages");
		doc->codepages = grow(doc->codepages, doc->ncodepages, sizeof(*doc->codepages));
		doc->codepages[doc->ncodepages++] = *d->p++;
		return 0;
	case 'E':
	case 'G':
		if (need(d, 1, "ESC E"))
			return -1;
		d->bold = (*d->p++ & 1) != 0;
		return 0;
	case '!':
		if (need(d, 1, "ESC !"))
			return -1;
		d->bold = (*d->p & 0x08) != 0;
		d->big = (*d->p & 0x30) == 0x30;
		d->p++;
		return 0;
	case 'a':
		if (need(d, 1, "ESC a"))
			return -1;
		c = *d->p++;
		if (c >= 48)
			c -= 48;
		if (c > 2)
			return fail(d, "ESC a with bad alignment");
		if (d->linelen)
			return fail(d, "alignment changed in the middle of a line");
		d->align = c;
		return 0;
	case 'd':
		if (need(d, 1, "ESC d"))
			return -1;
		if (flush_line(d, false))
			return -1;
		doc->feeds += *d->p++;
		return 0;
	case 'p': {
		struct escpos_kick *k;
		if (need(d, 3, "ESC p"))
			return -1;
		if (doc->nkicks >= MAX_ITEMS)
			return fail(d, "too many drawer kicks");
		if (d->p[0] != 0 && d->p[0] != 1 && d->p[0] != 48 && d->p[0] != 49)
			return fail(d, "ESC p with bad pin %u", d->p[0]);
		doc->kicks = grow(doc->kicks, doc->nkicks, sizeof(*doc->kicks));
		k = &doc->kicks[doc->nkicks++];
		k->pin = (d->p[0] & 1) ? 5 : 2;
		k->pulse_ms = d->p[1] * 2;
		k->off_ms = d->p[2] * 2;
		d->p += 3;
		return 0;
	}
	case '-':
	case 'M':
	case '3':
		if (need(d, 1, "ESC parameter"))
			return -1;
		d->p++;
		return 0;
	case '2':
		return 0;
	}
	d->p--;
	return fail(d, "unknown command ESC 0x%02x", c);
}

static int gs(struct dec *d)
{
	struct escpos_doc *doc = d->doc;
	uint8_t c;

	if (need(d, 1, "GS"))
		return -1;
	c = *d->p++;
	switch (c) {
	case '!':
		if (need(d, 1, "GS !"))
			return -1;
		if (*d->p != 0x00 && *d->p != 0x11)
			return fail(d, "GS ! size 0x%02x (talad uses 1x or 2x)", *d->p);
		d->big = *d->p++ == 0x11;
		return 0;
	case 'V':
		if (need(d, 1, "GS V"))
			return -1;
		c = *d->p++;
		if (c == 65 || c == 66 || c == 97 || c == 98 || c == 103 || c == 104) {
			if (need(d, 1, "GS V n"))
				return -1;
			doc->feeds += *d->p++;
		} else if (c != 0 && c != 1 && c != 48 && c != 49) {
			return fail(d, "GS V with bad mode %u", c);
		}
		if (flush_line(d, false))
			return -1;
		doc->cuts++;
		d->last_was_image = false;
		return 0;
	case 'v':
		if (need(d, 1, "GS v"))
			return -1;
		if (*d->p++ != '0')
			return fail(d, "unknown command GS v 0x%02x", d->p[-1]);
		return raster(d);
	case '(':
		if (need(d, 1, "GS ("))
			return -1;
		if (*d->p++ != 'k')
			return fail(d, "unknown command GS ( 0x%02x", d->p[-1]);
		return gs_paren_k(d);
	}
	d->p--;
	return fail(d, "unknown command GS 0x%02x", c);
}

int escpos_decode(const uint8_t *data, size_t len, const char *encoding, struct escpos_doc *doc,
                  char *err, size_t errlen)
{
	struct dec d;
	int rc = 0;

	memset(doc, 0, sizeof(*doc));
	memset(&d, 0, sizeof(d));
	d.p = d.start = data;
	d.end = data + len;
	d.encoding = encoding;
	d.doc = doc;
	d.err = err;
	d.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	while (d.p < d.end && rc == 0) {
		uint8_t b = *d.p++;

		switch (b) {
		case 0x0a:
			rc = flush_line(&d, true);
			break;
		case 0x0d:
			break;
		case 0x1b:
			rc = esc(&d);
			break;
		case 0x1d:
			rc = gs(&d);
			break;
		case 0x10:
			if (need(&d, 2, "DLE EOT"))
				rc = -1;
			else if (d.p[0] != 0x04 || d.p[1] < 1 || d.p[1] > 4)
				rc = fail(&d, "unknown command DLE 0x%02x 0x%02x", d.p[0], d.p[1]);
			else {
				doc->status_queries++;
				d.p += 2;
			}
			break;
		default:
			if (b < 0x20 || b == 0x7f) {
				d.p--;
				rc = fail(&d, "control byte 0x%02x in text", b);
			} else {
				add_byte(&d, b);
				d.last_was_image = false;
			}
		}
	}
	if (rc == 0 && d.linelen)
		rc = fail(&d, "text left unprinted at the end (no line feed)");
	free(d.line);
	free(d.qr_stored);
	return rc;
}

void escpos_doc_free(struct escpos_doc *doc)
{
	size_t i;

	if (!doc)
		return;
	for (i = 0; i < doc->nlines; i++)
		free(doc->lines[i].text);
	for (i = 0; i < doc->nimages; i++)
		free(doc->images[i].bits);
	for (i = 0; i < doc->nqr; i++)
		free(doc->qr[i]);
	free(doc->lines);
	free(doc->kicks);
	free(doc->codepages);
	free(doc->images);
	free(doc->qr);
	memset(doc, 0, sizeof(*doc));
}

char *escpos_doc_text(const struct escpos_doc *doc)
{
	size_t i, len = 1;
	char *s, *p;

	for (i = 0; i < doc->nlines; i++)
		len += strlen(doc->lines[i].text) + 1;
	s = p = xmalloc(len);
	for (i = 0; i < doc->nlines; i++) {
		size_t n = strlen(doc->lines[i].text);
		memcpy(p, doc->lines[i].text, n);
		p[n] = '\n';
		p += n + 1;
	}
	*p = '\0';
	return s;
}
