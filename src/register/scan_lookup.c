/* Scanned and typed codes to catalog variants, with in-store price and
 * weight codes read through the register's template setting. */
#include "register/scan_lookup.h"

#include "common/err.h"
#include "common/xalloc.h"
#include "core/barcode.h"
#include "core/money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		strlcpy_t(err, msg, errlen);
}

int scan_find_variant(struct rstore *st, const char *code, struct rstore_variant *out)
{
	int rc = rstore_find_variant(st, code, out);
	if (rc != TALAD_ENOTFOUND)
		return rc;
	/* Scanners differ in whether a UPC-A arrives as 12 digits or as its
	   13-digit GTIN, and so do catalogs: try the other form. */
	struct barcode_scan sc;
	if (barcode_classify(code, &sc, NULL, 0) != TALAD_OK)
		return TALAD_ENOTFOUND;
	char alt[BARCODE_CODE_MAX];
	if (sc.kind == BARCODE_KIND_UPCA)
		snprintf(alt, sizeof(alt), "0%s", code);
	else if (sc.kind == BARCODE_KIND_EAN13 && code[0] == '0')
		strlcpy_t(alt, code + 1, sizeof(alt));
	else
		return TALAD_ENOTFOUND;
	return rstore_find_variant(st, alt, out);
}

/* The variant's title with the weight, cut at a character boundary so that
 * the suffix always fits. */
static void weighed_title(const char *title, int64_t grams, char out[CART_TITLE_MAX])
{
	char kg[MONEY_STRLEN];
	money_format(grams, 3, kg);
	char suffix[MONEY_STRLEN + 8];
	snprintf(suffix, sizeof(suffix), " %s kg", kg);
	size_t room = CART_TITLE_MAX - 1 - strlen(suffix);
	size_t n = strlen(title);
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)title[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, title, n);
	strcpy(out + n, suffix);
}

static int lookup_instore(struct rstore *st, const char *code, struct scan_match *out, char *err,
                          size_t errlen, bool *matched)
{
	*matched = false;
	char *spec = NULL;
	int rc = rstore_setting_get(st, SCAN_TEMPLATE_KEY, &spec);
	if (rc == TALAD_ENOTFOUND)
		return TALAD_OK;
	if (rc != TALAD_OK) {
		set_err(err, errlen, "cannot read the scale-barcode-template setting");
		return rc;
	}
	struct barcode_template t;
	char terr[192] = "";
	rc = barcode_template_parse(spec, &t, terr, sizeof(terr));
	free(spec);
	if (rc != TALAD_OK) {
		char msg[256];
		snprintf(msg, sizeof(msg), "setting %s: %s", SCAN_TEMPLATE_KEY, terr);
		set_err(err, errlen, msg);
		return rc;
	}
	struct barcode_instore in;
	rc = barcode_instore_decode(&t, code, &in, err, errlen);
	if (rc == TALAD_ENOTFOUND)
		return TALAD_OK;
	if (rc != TALAD_OK)
		return rc;
	*matched = true;
	/* The catalog lists a variable-measure item by its code with the
	   measure zeroed, or by its item digits as the SKU. */
	rc = scan_find_variant(st, in.base, &out->variant);
	if (rc == TALAD_ENOTFOUND)
		rc = rstore_find_variant(st, in.item, &out->variant);
	if (rc == TALAD_ENOTFOUND) {
		char msg[160];
		snprintf(msg, sizeof(msg), "no item for in-store code %s (item %s, listed as %s)",
		         code, in.item, in.base);
		set_err(err, errlen, msg);
		return rc;
	}
	if (rc != TALAD_OK) {
		set_err(err, errlen, "cannot read the catalog");
		return rc;
	}
	out->instore = true;
	if (in.has_price) {
		out->unit_price = in.price;
		strlcpy_t(out->title, out->variant.title, sizeof(out->title));
	} else {
		rc = barcode_weight_price(out->variant.price, in.weight_g, &out->unit_price);
		if (rc != TALAD_OK) {
			set_err(err, errlen, "the weighed price is out of range");
			return rc;
		}
		out->weight_g = in.weight_g;
		weighed_title(out->variant.title, in.weight_g, out->title);
	}
	return TALAD_OK;
}

int scan_lookup(struct rstore *st, const char *code, struct scan_match *out, char *err,
                size_t errlen)
{
	memset(out, 0, sizeof(*out));
	char msg[BARCODE_CODE_MAX + 48];
	if (!code || !*code) {
		set_err(err, errlen, "not a barcode");
		return TALAD_EINVAL;
	}
	/* A code the catalog lists exactly is that item, whatever it looks like
	   (an in-store code of a fixed-price item, a SKU of 13 digits). */
	int rc = rstore_find_variant(st, code, &out->variant);
	if (rc == TALAD_OK) {
		out->unit_price = out->variant.price;
		strlcpy_t(out->title, out->variant.title, sizeof(out->title));
		return TALAD_OK;
	}
	if (rc != TALAD_ENOTFOUND) {
		set_err(err, errlen, "cannot read the catalog");
		return rc;
	}
	bool matched;
	rc = lookup_instore(st, code, out, err, errlen, &matched);
	if (rc != TALAD_OK || matched) {
		if (rc != TALAD_OK)
			memset(out, 0, sizeof(*out));
		return rc;
	}
	struct barcode_scan sc;
	if (barcode_classify(code, &sc, NULL, 0) != TALAD_OK &&
	    sc.verdict == BARCODE_BAD_CHECK_DIGIT) {
		snprintf(msg, sizeof(msg), "bad check digit in %.*s", BARCODE_CODE_MAX, code);
		set_err(err, errlen, msg);
		return TALAD_EINVAL;
	}
	rc = scan_find_variant(st, code, &out->variant);
	if (rc == TALAD_OK) {
		out->unit_price = out->variant.price;
		strlcpy_t(out->title, out->variant.title, sizeof(out->title));
		return TALAD_OK;
	}
	memset(out, 0, sizeof(*out));
	snprintf(msg, sizeof(msg), "no item with barcode or sku '%.*s'", BARCODE_CODE_MAX, code);
	set_err(err, errlen, rc == TALAD_ENOTFOUND ? msg : "cannot read the catalog");
	return rc;
}

void scan_match_line(const struct scan_match *m, struct cart_line *line)
{
	memset(line, 0, sizeof(*line));
	strlcpy_t(line->variant_id, m->variant.id, sizeof(line->variant_id));
	strlcpy_t(line->sku, m->variant.sku, sizeof(line->sku));
	strlcpy_t(line->title, m->title, sizeof(line->title));
	line->quantity = 1;
	line->unit_price = m->unit_price;
	line->taxable = m->variant.taxable;
}
