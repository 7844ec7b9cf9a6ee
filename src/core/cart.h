/* The cart: lines (a catalog variant or a custom item), line and order
 * discounts, and the totals with their tax breakdown. cart_price() is the one
 * place a total is computed, on the register when selling and on the server
 * when an order arrives, so both always agree. */
#ifndef TALAD_CART_H
#define TALAD_CART_H

#include "common/uuid.h"
#include "core/tax.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CART_SKU_MAX      64  /* bytes, with the NUL */
#define CART_TITLE_MAX    256 /* bytes of UTF-8, with the NUL */
#define CART_MAX_LINES    500
#define CART_MAX_QUANTITY 1000000

enum discount_kind {
	DISCOUNT_NONE = 0,
	DISCOUNT_PERCENT = 1, /* value in millionths: 10 % is 100000 */
	DISCOUNT_AMOUNT = 2,  /* value in minor units, off the whole line/order */
};

struct discount {
	enum discount_kind kind;
	int64_t value;
};

struct cart_line {
	/* Set by the caller. */
	char variant_id[UUID_STRLEN + 1]; /* "" for a custom line item */
	char sku[CART_SKU_MAX];           /* "" for a custom line item */
	char title[CART_TITLE_MAX];
	int64_t quantity;   /* 1 .. CART_MAX_QUANTITY */
	int64_t unit_price; /* >= 0, minor units, as shelf prices are (tax
	                       included or not, per the cart's tax rule) */
	bool taxable;
	struct discount discount;

	/* Computed by cart_price(). */
	int64_t gross;          /* quantity * unit_price */
	int64_t line_discount;  /* from the line's own discount */
	int64_t order_discount; /* this line's share of the order discount */
	int64_t net;            /* gross - both discounts */
	int64_t tax;            /* tax contained in (included) or added to (excluded) net */
	int64_t total;          /* what the line costs the customer: net, or net + tax */
};

struct cart {
	struct cart_line *lines;
	size_t nlines;
	size_t cap;
	struct discount order_discount;
	struct tax_rule tax;

	/* Computed by cart_price(). */
	int64_t subtotal;       /* sum of gross */
	int64_t discount_total; /* sum of line and order discounts */
	int64_t tax_total;      /* sum of line tax */
	int64_t total;          /* sum of line totals: what the customer owes */
};

void cart_init(struct cart *c, const struct tax_rule *tax);
/* Frees the lines; cart_init makes the struct usable again. NULL is fine. */
void cart_release(struct cart *c);
/* Deep copy of src into dst (dst is initialised here). */
void cart_copy(struct cart *dst, const struct cart *src);

/* Checks and appends a copy of line (its computed fields are ignored).
 * TALAD_OK, TALAD_EINVAL (empty title, bad quantity, negative price, bad
 * discount, a bad variant id) or TALAD_ETOOBIG (CART_MAX_LINES). When err is
 * not NULL a message is written there on failure. */
int cart_add_line(struct cart *c, const struct cart_line *line, char *err, size_t errlen);
/* These return TALAD_OK, TALAD_ENOTFOUND (no line at index) or TALAD_EINVAL
 * (a bad quantity or discount). Call cart_price() again afterwards. */
int cart_remove_line(struct cart *c, size_t index);
int cart_set_quantity(struct cart *c, size_t index, int64_t quantity);
int cart_set_line_discount(struct cart *c, size_t index, struct discount d);
int cart_set_order_discount(struct cart *c, struct discount d);

/* Computes every line's parts and the cart totals. The order discount is
 * allocated across lines in proportion to their net after line discounts,
 * by largest remainder, so the parts add up exactly. Order-level tax
 * rounding allocates the rounded order tax the same way. TALAD_OK,
 * TALAD_EINVAL (a discount larger than what it applies to, a percent over
 * 100 %, a bad quantity or price) or TALAD_ERANGE
 * (overflow). On failure the computed fields keep their previous values. */
int cart_price(struct cart *c, char *err, size_t errlen);

/* Allocates total across n weights (all >= 0) in proportion, by largest
 * remainder: the parts add up to total exactly. Ties go to the earlier
 * index. With all weights zero, everything goes to part 0 (n > 0). A
 * negative total is split as the mirror image of the positive one.
 * TALAD_OK, TALAD_EINVAL (a negative weight; n == 0 with total != 0) or
 * TALAD_ERANGE (the weights add up beyond int64_t). */
int cart_allocate(int64_t total, const int64_t *weights, size_t n, int64_t *parts);

/* Text for a discount kind: "percent", "amount", or NULL for none; and back.
 * discount_parse accepts "10%" (percent, up to 4 decimals) or an amount in
 * the currency ("25.00"), 0 or more. TALAD_OK or TALAD_EINVAL. */
const char *discount_kind_name(enum discount_kind k);
int discount_kind_parse(const char *s, enum discount_kind *out);
int discount_parse(const char *s, int exponent, struct discount *out, char *err, size_t errlen);

#endif
