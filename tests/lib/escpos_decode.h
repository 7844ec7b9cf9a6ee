/* A small ESC/POS decoder for the tests: turns the bytes a printer would
 * receive back into text lines (UTF-8, with their bold/double/align flags),
 * cuts, drawer kicks, code page changes, raster images and QR payloads, so
 * tests compare what would be printed rather than raw bytes. Unknown or
 * truncated commands are errors: they are what a real printer would garble. */
#ifndef TALAD_TEST_ESCPOS_DECODE_H
#define TALAD_TEST_ESCPOS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct escpos_dline {
	char *text; /* UTF-8, converted back from the printer's encoding */
	bool bold;
	bool big;  /* double width and height (GS ! 0x11 or ESC ! 0x30) */
	int align; /* 0 left, 1 centre, 2 right */
};

struct escpos_kick {
	int pin;      /* 2 or 5 */
	int pulse_ms; /* on time */
	int off_ms;
};

struct escpos_image {
	int width;     /* dots */
	int height;    /* dots; slices sent back to back are joined */
	size_t black;  /* dots set: a blank image is a rendering bug */
	uint8_t *bits; /* rows of (width + 7) / 8 bytes */
};

struct escpos_doc {
	struct escpos_dline *lines;
	size_t nlines;
	struct escpos_kick *kicks;
	size_t nkicks;
	int *codepages; /* every ESC t n, in order */
	size_t ncodepages;
	struct escpos_image *images;
	size_t nimages;
	char **qr; /* payloads printed with GS ( k fn 81 */
	size_t nqr;
	int inits;          /* ESC @ */
	int cuts;           /* GS V */
	int feeds;          /* lines fed by ESC d */
	int status_queries; /* DLE EOT */
};

/* Decodes len bytes; encoding is the iconv name the text was sent in
 * ("CP874"). Returns 0, or -1 with a message in err (unknown command, a
 * command cut short, a control byte in text, text the encoding cannot
 * decode). doc is filled as far as decoding went; free it with
 * escpos_doc_free either way. */
int escpos_decode(const uint8_t *data, size_t len, const char *encoding, struct escpos_doc *doc,
                  char *err, size_t errlen);
void escpos_doc_free(struct escpos_doc *doc);

/* The text lines joined with '\n' (each line ending in one), for golden
 * comparisons. The caller frees it. */
char *escpos_doc_text(const struct escpos_doc *doc);

#endif
