/* The receipt layout, shared by every output: the plain text shown in a
 * terminal, and (in src/hw) ESC/POS for thermal printers, in Thai or any
 * language. Columns are counted in display cells, so Thai names (whose
 * vowel and tone marks take no cell of their own) line up with prices. */
#ifndef TALAD_RECEIPT_H
#define TALAD_RECEIPT_H

#include "common/buf.h"
#include "core/money.h"
#include "core/order.h"

#include <stdbool.h>
#include <stddef.h>

struct receipt_settings {
	char shop_name[128];
	char address[256];
	char tax_id[32];  /* seller's tax ID: abbreviated tax invoice */
	char pos_id[32];  /* the register's POS ID (e.g. code R01) */
	char header[256]; /* extra lines under the shop name, "" for none */
	char footer[256]; /* "Thank you", "" for none */
	char lang[8];     /* "en" or "th": the words the layout uses */
	struct currency currency;
	int width; /* columns: 32 (58 mm), 42 or 48 (80 mm) */
	bool qr;   /* print the order reference as a QR code */
};

/* Fills rs with defaults: English, width 48, no QR, currency as given. */
void receipt_settings_init(struct receipt_settings *rs, const struct currency *cur);

enum receipt_row_kind {
	RECEIPT_TEXT, /* one line of text */
	RECEIPT_RULE, /* a full-width line of dashes */
	RECEIPT_QR,   /* a QR code of text */
	RECEIPT_FEED, /* blank lines before the cut */
	RECEIPT_CUT,
};

enum receipt_align { RECEIPT_LEFT, RECEIPT_CENTER, RECEIPT_RIGHT };

struct receipt_row {
	enum receipt_row_kind kind;
	enum receipt_align align;
	bool bold;
	bool big;   /* double width and height: the total, the change */
	char *text; /* UTF-8, already padded to width cells for two-column rows */
};

struct receipt {
	struct receipt_row *rows;
	size_t nrows;
	size_t cap;
};

/* Lays out an order. The caller owns r and frees it with receipt_release.
 * TALAD_OK or TALAD_EINVAL (bad width). */
int receipt_layout(const struct order *o, const struct receipt_settings *rs, struct receipt *r);
void receipt_release(struct receipt *r);

/* The wording every rendering of an order shares (this layout, and the
 * e-mailed receipt in server/mail.c), in lang "en" or "th" (English for any
 * other). Each returns a string the caller frees. A payment's label: the
 * method; a card by brand and last four digits only; a gift card by the last
 * four characters of its code; a custom method by its name. */
char *receipt_payment_label(const struct payment *p, const char *lang);
/* "Discount" or "Discount 10%" for a line's discount. */
char *receipt_discount_label(const struct discount *d, const char *lang);
/* "VAT 7%", or "VAT 7% included" when the prices include it. */
char *receipt_vat_label(int64_t rate_ppm, bool included, const char *lang);
/* The amount a payment shows: what was handed over for cash (the change is
 * shown after), the amount paid for the rest. */
int64_t receipt_payment_shown(const struct payment *p);

/* The receipt as UTF-8 text lines for a terminal (QR rows as their text). */
int receipt_render_text(const struct order *o, const struct receipt_settings *rs, struct buf *out);

/* Display cells of a UTF-8 string: Thai above/below vowels and tone marks
 * and other combining marks take 0, East Asian wide characters 2, the rest 1.
 * Invalid UTF-8 bytes count 1 each. */
size_t receipt_cells(const char *utf8);

#endif
