/* Barcodes as the till sees them: what kind of code was scanned (EAN-13,
 * EAN-8, UPC-A, or a shop's own code such as a SKU), GS1 check digits, and
 * in-store codes (GS1 prefixes 20-29) that carry an item code with a price
 * or a weight, read through a template from the register's settings. No I/O:
 * the register, the server and the label printer all use it. */
#ifndef TALAD_BARCODE_H
#define TALAD_BARCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BARCODE_CODE_MAX      64 /* bytes of a scanned code, with the NUL */
#define BARCODE_TEMPLATES_MAX 8  /* templates in one setting */
#define BARCODE_TEMPLATE_LEN  13 /* the longest template: an EAN-13 */

enum barcode_kind {
	BARCODE_KIND_OTHER = 0, /* not a GS1 retail code: a SKU, a Code 128 */
	BARCODE_KIND_EAN13 = 1,
	BARCODE_KIND_EAN8 = 2,
	BARCODE_KIND_UPCA = 3,
};

enum barcode_verdict {
	BARCODE_VALID = 0,
	BARCODE_BAD_CHECK_DIGIT = 1, /* 8, 12 or 13 digits whose check digit is wrong */
	BARCODE_NOT_A_BARCODE = 2,   /* empty, too long, spaces or control bytes */
};

struct barcode_scan {
	enum barcode_kind kind;
	enum barcode_verdict verdict;
	bool instore; /* a GS1 restricted-circulation code: EAN-13 prefix 20-29,
	                 UPC-A number system 2, EAN-8 prefix 2 */
};

/* "ean13", "ean8", "upca", "other". */
const char *barcode_kind_name(enum barcode_kind k);
/* "valid", "bad check digit", "not a barcode". */
const char *barcode_verdict_message(enum barcode_verdict v);

/* The GS1 mod-10 check digit (0-9) of n digits, the check digit itself not
 * included: "400638133393" gives 1. TALAD_OK, or TALAD_EINVAL when n is 0 or
 * a byte is not a digit. */
int barcode_check_digit(const char *digits, size_t n, int *out);

/* Classifies a scanned or typed code. Digits-only codes of 13, 12 and 8
 * digits are EAN-13, UPC-A and EAN-8 and must carry a right check digit;
 * any other code of printable ASCII (a SKU) is BARCODE_KIND_OTHER. Returns
 * TALAD_OK for a valid code, else TALAD_EINVAL with out->verdict saying why
 * and, when err is not NULL, "bad check digit" or "not a barcode" in err.
 * out is always filled. */
int barcode_classify(const char *code, struct barcode_scan *out, char *err, size_t errlen);

/* The GTIN-13 form of an EAN-13 or UPC-A code (a UPC-A gets a leading 0) so
 * that "036000291452" and "0036000291452" compare equal; EAN-8 and other
 * codes are copied as they are. out holds BARCODE_CODE_MAX bytes. TALAD_OK,
 * or TALAD_EINVAL for a code barcode_classify refuses. */
int barcode_normalize(const char *code, char out[BARCODE_CODE_MAX]);

/* In-store codes. A template is as long as the code it reads (8, 12 or 13)
 * and spells each position: a digit must be there as it is (the prefix; the
 * first position is always the digit 2, the GS1 in-store range), I is a
 * digit of the item code, P of the price in minor units, W of the weight in
 * grams, X a digit that is ignored (a price check digit), and the last
 * position is C, the code's check digit. I, P and W each form one run; a
 * template has an item code and exactly one of price or weight:
 * "2IIIIIPPPPPC" (UPC-A, price), "20IIIIIWWWWWC" (EAN-13, weight). A setting
 * may list several templates separated by commas; the first that matches a
 * code decodes it. */
struct barcode_template {
	size_t n;
	char pattern[BARCODE_TEMPLATES_MAX][BARCODE_TEMPLATE_LEN + 1];
};

/* TALAD_OK, or TALAD_EINVAL with a message naming the fault in err. An empty
 * string gives a set of no templates (nothing is decoded as in-store). */
int barcode_template_parse(const char *spec, struct barcode_template *out, char *err,
                           size_t errlen);

struct barcode_instore {
	char item[BARCODE_TEMPLATE_LEN + 1]; /* the item digits, leading zeros kept */
	bool has_price;
	int64_t price; /* minor units, when has_price */
	bool has_weight;
	int64_t weight_g; /* grams, when has_weight */
	/* The code with the price or weight digits zeroed and the check digit
	   made again: what the catalog lists for a variable-measure item. */
	char base[BARCODE_TEMPLATE_LEN + 1];
	size_t template_index; /* which template matched */
};

/* Decodes code with the first matching template. A 13-digit code with a
 * leading 0 is read as the UPC-A it holds for 12-position templates.
 * TALAD_OK; TALAD_ENOTFOUND when no template matches (an ordinary barcode
 * or SKU: look it up as it is); TALAD_EINVAL when the code matches a
 * template's shape but its check digit is wrong ("bad check digit" in err). */
int barcode_instore_decode(const struct barcode_template *t, const char *code,
                           struct barcode_instore *out, char *err, size_t errlen);

/* The price of a weighed item: price_per_kg * grams / 1000, rounded half
 * away from zero. TALAD_OK, TALAD_EINVAL (negative input) or TALAD_ERANGE. */
int barcode_weight_price(int64_t price_per_kg, int64_t grams, int64_t *out);

#endif
