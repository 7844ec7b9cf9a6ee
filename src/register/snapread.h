/* A snapshot's products as the register keeps them, checked field by field
 * (docs/PROTOCOL.md), either from a jansson value or straight from the
 * JSON text: the text reader makes no JSON tree and no allocation per value,
 * so a catalog of 100,000 variants is read in a fraction of jansson's time.
 * Both accept the same inputs as jansson followed by the checks, and give
 * the same records and the same messages -- but for a NUL byte, which the
 * text reader always refuses (jansson skips one after a number or literal). */
#ifndef TALAD_SNAPREAD_H
#define TALAD_SNAPREAD_H

#include "register/rstore.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct snapread_variant {
	char id[RSTORE_ID_MAX];
	char sku[CART_SKU_MAX];        /* "" for none */
	char barcode[RSTORE_CODE_MAX]; /* "" for none */
	char title[CART_TITLE_MAX];    /* cut at a character boundary when longer */
	int64_t price;
	bool taxable;
	bool tracked;
	bool has_level; /* with_level and an "available" that is not null */
	int64_t available;
};

struct snapread_product {
	char id[RSTORE_ID_MAX];
	char title[CART_TITLE_MAX];
	size_t n;
	struct snapread_variant v[]; /* n of them */
};

/* Checks a product of a snapshot (with_level: its variants' "available") or
 * of the change feed into *out, the caller's to free. TALAD_OK, or
 * TALAD_EINVAL with the field in err ("variants[2].price: not an
 * integer") and *out NULL. */
int snapread_product_json(const json_t *p, bool with_level, struct snapread_product **out,
                          char *err, size_t errlen);

/* The same for the JSON value at text[*pos] (white space first is fine),
 * len bytes of text in all: *pos ends just after the value. Text that is
 * not JSON is TALAD_EINVAL with "not valid json at byte N: ..." in err, N
 * counted from the start of text. */
int snapread_product_text(const char *text, size_t len, size_t *pos, bool with_level,
                          struct snapread_product **out, char *err, size_t errlen);

#endif
