/* Barcode labels for the shelf and the product, made on the register without
 * the internet: a title, a price and the barcode (EAN-13, UPC-A or EAN-8
 * when the variant has one, Code 128 of the SKU otherwise), as ZPL for Zebra
 * printers or as PNG / SVG images for DYMO and other printers (through CUPS)
 * or for a file. The symbol comes from libzint; the images are drawn here. */
#ifndef TALAD_LABEL_H
#define TALAD_LABEL_H

#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>

#define LABEL_FONT_MAX   256
#define LABEL_MAX_COPIES 1000
#define LABEL_MAX_BYTES  (16u << 20) /* cap on one rendered label */

enum label_format {
	LABEL_ZPL = 0,
	LABEL_PNG = 1,
	LABEL_SVG = 2,
};

enum label_symbol {
	LABEL_EAN13 = 0,
	LABEL_UPCA = 1,
	LABEL_EAN8 = 2,
	LABEL_CODE128 = 3,
};

struct label_settings {
	int dpmm;     /* printer dots per mm: 8 (203 dpi), 12 (300 dpi), 24 */
	int width_mm; /* label size; 50 x 30 unless set */
	int height_mm;
	/* TrueType font for the text of PNG and SVG labels (and to measure
	   titles); "" looks for Thai-capable fonts (fonts-thai-tlwg), then
	   DejaVu Sans. */
	char font[LABEL_FONT_MAX];
	/* ZPL font: "" for the printer's font 0 (^A0, Latin only), else a font
	   file on the printer such as "E:ANMDJ.TTF" (^A@), needed for Thai. */
	char zpl_font[64];
};

/* 8 dots/mm, 50 x 30 mm, fonts searched. */
void label_settings_init(struct label_settings *ls);
/* "50x30" (millimetres, 15..200 by 10..300). TALAD_OK or TALAD_EINVAL. */
int label_size_parse(const char *s, int *width_mm, int *height_mm);

/* "zpl", "png", "svg" and back; the name is also the file extension. */
const char *label_format_name(enum label_format f);
int label_format_parse(const char *s, enum label_format *out);
/* "ean13", "upca", "ean8", "code128". */
const char *label_symbol_name(enum label_symbol s);

/* Which code goes on a variant's label: its barcode when that is a valid
 * EAN-13, UPC-A or EAN-8, else its SKU (Code 128). Either may be NULL or "".
 * The result points into barcode or sku. TALAD_OK, or TALAD_EINVAL when
 * neither can be printed (message in err). */
int label_pick_code(const char *barcode, const char *sku, const char **code, enum label_symbol *sym,
                    char *err, size_t errlen);

struct label_item {
	const char *title; /* UTF-8; wrapped to two lines, cut with "..." */
	const char *price; /* as people read it: "45.00 THB" */
	const char *code;  /* what label_pick_code chose */
	enum label_symbol symbol;
};

/* Appends one label format to out. ZPL: one ^XA..^XZ format printed
 * `copies` times (^PQ), UTF-8 text (^CI28). PNG: a 1-bit image with the
 * printer's resolution recorded (pHYs); SVG: millimetre-sized vector art.
 * copies only matters for ZPL (1..LABEL_MAX_COPIES; images are printed
 * `copies` times by whoever prints them). TALAD_OK; TALAD_EINVAL for a code
 * the symbology refuses, a code too wide for the label, bad settings, or
 * no usable font for an image (message in err); TALAD_ETOOBIG past out's
 * cap. Nothing is appended on failure. */
int label_render(const struct label_item *item, const struct label_settings *ls,
                 enum label_format f, int copies, struct buf *out, char *err, size_t errlen);

#endif
