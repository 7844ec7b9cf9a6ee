/* What a scanned or typed code sells as: a catalog variant found by barcode
 * or SKU (a UPC-A also under its 13-digit form and back), or an in-store
 * code with a price or weight read through the `scale-barcode-template`
 * setting. A code with a wrong check digit is refused, never sold. */
#ifndef TALAD_SCAN_LOOKUP_H
#define TALAD_SCAN_LOOKUP_H

#include "core/cart.h"
#include "register/rstore.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCAN_TEMPLATE_KEY "scale-barcode-template"

struct scan_match {
	struct rstore_variant variant;
	bool instore;               /* the price or weight came from the code */
	int64_t unit_price;         /* the variant's price, or what the code says */
	int64_t weight_g;           /* > 0 for a weighed item */
	char title[CART_TITLE_MAX]; /* the variant's, with " 1.250 kg" when weighed */
};

/* Finds a variant by the exact code, then by the other GTIN form of an
 * EAN-13/UPC-A. TALAD_OK or TALAD_ENOTFOUND. */
int scan_find_variant(struct rstore *st, const char *code, struct rstore_variant *out);

/* Looks code up as a sale would: exactly (barcode, then SKU), then as an
 * in-store code (the catalog lists it with the price or weight zeroed, or
 * by its item digits as SKU; a weight prices the variant's price per kg),
 * then under its other GTIN form. TALAD_OK; TALAD_EINVAL for a wrong check
 * digit ("bad check digit") or an unusable template setting; TALAD_ENOTFOUND
 * ("no item with barcode or sku 'X'"); the store's error otherwise. A
 * message is written to err on failure. */
int scan_lookup(struct rstore *st, const char *code, struct scan_match *out, char *err,
                size_t errlen);

/* A cart line of quantity 1 for the match (its computed fields zero). */
void scan_match_line(const struct scan_match *m, struct cart_line *line);

#endif
