/* ESC/POS: the byte commands thermal receipt printers understand, and a
 * receipt (src/core/receipt.h rows) turned into a print job, either as text
 * in the printer's own code page (Thai as CP874/TIS-620) or, for printers
 * without Thai firmware, as a raster image drawn with a Thai font. Nothing
 * here touches a device: jobs are bytes in a struct buf (see transport.h). */
#ifndef TALAD_ESCPOS_H
#define TALAD_ESCPOS_H

#include "common/buf.h"
#include "core/receipt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESCPOS_ENCODING_MAX 32
#define ESCPOS_FONT_MAX     256
#define ESCPOS_JOB_MAX      (4u << 20) /* a receipt job, raster included */

/* Per-printer settings (the register keeps them as config keys). */
struct escpos_settings {
	int width;                          /* columns: 32 (58 mm), 42 or 48 (80 mm) */
	int codepage;                       /* ESC t n for the text; -1 sends none */
	char encoding[ESCPOS_ENCODING_MAX]; /* iconv name of that code page: "CP874",
	                                       "TIS-620", "ASCII", "CP437" */
	bool raster;                        /* draw the receipt as an image (GS v 0) */
	int dots;                           /* raster width in dots; 0: 12 per column
	                                       (384 at 32, 504 at 42, 576 at 48) */
	char font[ESCPOS_FONT_MAX];         /* raster font file; "": the first Thai
	                                       TLWG font found (escpos_find_font) */
	int drawer_pin;                     /* 2 or 5: the drawer connector pin */
	int drawer_pulse_ms;                /* on time of the kick, 2 .. 510 ms */
};

/* Defaults: 48 columns, Epson's Thai code page 21 with CP874, text mode,
 * drawer on pin 2 with a 100 ms pulse. */
void escpos_settings_init(struct escpos_settings *ps);

/* Checks the settings: width 24..80, code page -1..255, an encoding iconv
 * knows, pin 2 or 5, pulse 2..510 ms, dots 0 or 8..2048. TALAD_OK or
 * TALAD_EINVAL with a lower-case message in err. */
int escpos_settings_check(const struct escpos_settings *ps, char *err, size_t errlen);

/* Single commands, appended to b. Each returns TALAD_OK or TALAD_ETOOBIG
 * when b's cap is reached (b then holds a partial job: discard it). */
int escpos_init(struct buf *b);                        /* ESC @ */
int escpos_codepage(struct buf *b, int n);             /* ESC t n */
int escpos_bold(struct buf *b, bool on);               /* ESC E n */
int escpos_size(struct buf *b, bool big);              /* GS ! n: double width and height */
int escpos_align(struct buf *b, enum receipt_align a); /* ESC a n */
int escpos_feed(struct buf *b, int lines);             /* ESC d n, 0..255 */
int escpos_cut(struct buf *b);                         /* GS V 1: partial cut */
/* ESC p m t1 t2: m 0 for pin 2, 1 for pin 5; t1 = pulse_ms / 2; TALAD_EINVAL
 * for another pin or a pulse outside 2..510 ms. */
int escpos_drawer_kick(struct buf *b, int pin, int pulse_ms);
/* A QR code of data (1..700 bytes) with GS ( k: model 2, module size 6,
 * error correction M, then print. TALAD_EINVAL for empty or too long data. */
int escpos_qr(struct buf *b, const char *data);
/* GS v 0: a 1-bit image, rows of (width_dots + 7) / 8 bytes, most
 * significant bit leftmost, 1 = black. Images taller than 255 dots are sent
 * as several commands (the buffer of small printers). */
int escpos_raster(struct buf *b, const uint8_t *bits, int width_dots, int height);
/* DLE EOT n (n 1..4): asks for a status byte. */
int escpos_status_query(struct buf *b, int n);

/* Text converted from UTF-8 to the iconv encoding; a character the encoding
 * lacks becomes '?', and control bytes become spaces, so the text can never
 * carry a command. TALAD_OK, TALAD_EINVAL (encoding unknown to iconv) or
 * TALAD_ETOOBIG. */
int escpos_text(struct buf *b, const char *utf8, const char *encoding);

/* The whole receipt as a job: ESC @, the code page, each row (text or
 * raster as ps says), the QR code, feed and cut. TALAD_OK, TALAD_EINVAL with
 * a message in err (bad settings, no font for raster), TALAD_EIO (the font cannot be read) or
 * TALAD_ETOOBIG. */
int escpos_receipt(const struct receipt *r, const struct escpos_settings *ps, struct buf *out,
                   char *err, size_t errlen);

/* Lays out the order at the printer's width (rs->width is ignored) and
 * encodes it as escpos_receipt does. */
int escpos_receipt_order(const struct order *o, const struct receipt_settings *rs,
                         const struct escpos_settings *ps, struct buf *out, char *err,
                         size_t errlen);

/* Finds a Thai TLWG font for raster mode: TALAD_FONT from the environment,
 * then the TLWG fonts Debian's fonts-thai-tlwg installs (Loma first).
 * TALAD_OK with the path in out, or TALAD_ENOTFOUND. */
int escpos_find_font(char *out, size_t outlen);

/* What the printer says about itself, from the DLE EOT replies. */
struct escpos_status {
	bool known;         /* at least one reply was read */
	bool offline;       /* n=1 bit 3 */
	bool drawer_open;   /* n=1 bit 2: the drawer kick connector pin 3 */
	bool cover_open;    /* n=2 bit 2 */
	bool feed_button;   /* n=2 bit 3: paper being fed by the button */
	bool paper_stop;    /* n=2 bit 5: printing stopped for lack of paper */
	bool error;         /* n=2 bit 6 */
	bool cutter_error;  /* n=3 bit 3 */
	bool unrecoverable; /* n=3 bit 5 */
	bool paper_low;     /* n=4 bits 2,3: paper near its end */
	bool paper_out;     /* n=4 bits 5,6: paper end */
};

/* Folds the reply byte to DLE EOT n into st. TALAD_OK, or TALAD_EPROTO for a
 * byte that is not a status reply (bits 1 and 4 must be set, 0 and 7 clear). */
int escpos_status_parse(int n, uint8_t byte, struct escpos_status *st);
/* True when the printer cannot print now (offline, cover open, paper out,
 * an error). */
bool escpos_status_blocking(const struct escpos_status *st);
/* Plain words: "ready", "unknown", or a comma list such as
 * "paper out, cover open". out should hold 128 bytes. */
void escpos_status_words(const struct escpos_status *st, char *out, size_t outlen);

#endif
