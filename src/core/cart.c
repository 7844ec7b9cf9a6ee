/* The cart and cart_price(), the one computation of an order's amounts:
 * line and order discounts, the order discount and order-rounded tax spread
 * over lines by largest remainder, and totals that are sums of line parts. */
#include "core/cart.h"

#include "common/err.h"
#include "common/text.h"
#include "common/xalloc.h"
#include "core/money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_discount(const struct discount *d, char *err, size_t errlen, const char *what)
{
	switch (d->kind) {
	case DISCOUNT_NONE:
		if (d->value != 0) {
			talad_seterr(err, errlen, "%s: a discount of no kind must have value 0",
			             what);
			return TALAD_EINVAL;
		}
		return TALAD_OK;
	case DISCOUNT_PERCENT:
		if (d->value < 0 || d->value > TAX_PPM_ONE) {
			talad_seterr(err, errlen, "%s: a percent discount must be 0 to 100 %%",
			             what);
			return TALAD_EINVAL;
		}
		return TALAD_OK;
	case DISCOUNT_AMOUNT:
		if (d->value < 0) {
			talad_seterr(err, errlen, "%s: a discount cannot be negative", what);
			return TALAD_EINVAL;
		}
		return TALAD_OK;
	}
	talad_seterr(err, errlen, "%s: unknown discount kind %d", what, (int)d->kind);
	return TALAD_EINVAL;
}

/* The fields cart_price() relies on; cart_add_line also checks the text. */
static int check_amounts(const struct cart_line *l, char *err, size_t errlen, const char *what)
{
	if (l->quantity < 1 || l->quantity > CART_MAX_QUANTITY) {
		talad_seterr(err, errlen, "%s: quantity must be 1 to %d", what, CART_MAX_QUANTITY);
		return TALAD_EINVAL;
	}
	if (l->unit_price < 0) {
		talad_seterr(err, errlen, "%s: the price cannot be negative", what);
		return TALAD_EINVAL;
	}
	return check_discount(&l->discount, err, errlen, what);
}

void cart_init(struct cart *c, const struct tax_rule *tax)
{
	memset(c, 0, sizeof(*c));
	if (tax)
		c->tax = *tax;
}

void cart_release(struct cart *c)
{
	if (!c)
		return;
	free(c->lines);
	c->lines = NULL;
	c->nlines = 0;
	c->cap = 0;
}

void cart_copy(struct cart *dst, const struct cart *src)
{
	*dst = *src;
	dst->lines = NULL;
	dst->cap = 0;
	if (src->nlines) {
		dst->lines = xreallocarray(NULL, src->nlines, sizeof(*dst->lines));
		memcpy(dst->lines, src->lines, src->nlines * sizeof(*dst->lines));
		dst->cap = src->nlines;
	}
}

int cart_add_line(struct cart *c, const struct cart_line *line, char *err, size_t errlen)
{
	struct cart_line *l;
	char what[32];
	int rc;

	snprintf(what, sizeof(what), "line %zu", c->nlines + 1);
	if (c->nlines >= CART_MAX_LINES) {
		talad_seterr(err, errlen, "a cart holds at most %d lines", CART_MAX_LINES);
		return TALAD_ETOOBIG;
	}
	if (!text_ok(line->title, sizeof(line->title))) {
		talad_seterr(err, errlen, "%s: the title must be UTF-8 text of at most %zu bytes",
		             what, sizeof(line->title) - 1);
		return TALAD_EINVAL;
	}
	if (!line->title[0]) {
		talad_seterr(err, errlen, "%s: empty title", what);
		return TALAD_EINVAL;
	}
	if (!text_ok(line->sku, sizeof(line->sku))) {
		talad_seterr(err, errlen, "%s: the sku must be text of at most %zu bytes", what,
		             sizeof(line->sku) - 1);
		return TALAD_EINVAL;
	}
	if (!memchr(line->variant_id, '\0', sizeof(line->variant_id)) ||
	    (line->variant_id[0] && !uuid_valid(line->variant_id))) {
		talad_seterr(err, errlen, "%s: the variant id is not a uuid", what);
		return TALAD_EINVAL;
	}
	rc = check_amounts(line, err, errlen, what);
	if (rc)
		return rc;

	if (c->nlines == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		if (cap > CART_MAX_LINES)
			cap = CART_MAX_LINES;
		c->lines = xreallocarray(c->lines, cap, sizeof(*c->lines));
		c->cap = cap;
	}
	l = &c->lines[c->nlines];
	*l = *line;
	l->gross = l->line_discount = l->order_discount = 0;
	l->net = l->tax = l->total = 0;
	c->nlines++;
	return TALAD_OK;
}

int cart_remove_line(struct cart *c, size_t index)
{
	if (index >= c->nlines)
		return TALAD_ENOTFOUND;
	memmove(&c->lines[index], &c->lines[index + 1],
	        (c->nlines - index - 1) * sizeof(*c->lines));
	c->nlines--;
	return TALAD_OK;
}

int cart_set_quantity(struct cart *c, size_t index, int64_t quantity)
{
	if (index >= c->nlines)
		return TALAD_ENOTFOUND;
	if (quantity < 1 || quantity > CART_MAX_QUANTITY)
		return TALAD_EINVAL;
	c->lines[index].quantity = quantity;
	return TALAD_OK;
}

int cart_set_line_discount(struct cart *c, size_t index, struct discount d)
{
	if (index >= c->nlines)
		return TALAD_ENOTFOUND;
	if (check_discount(&d, NULL, 0, "line") != TALAD_OK)
		return TALAD_EINVAL;
	c->lines[index].discount = d;
	return TALAD_OK;
}

int cart_set_order_discount(struct cart *c, struct discount d)
{
	if (check_discount(&d, NULL, 0, "order") != TALAD_OK)
		return TALAD_EINVAL;
	c->order_discount = d;
	return TALAD_OK;
}

/* What a discount takes off base (>= 0); larger than base is refused. */
static int discount_amount(const struct discount *d, int64_t base, int64_t *amount)
{
	switch (d->kind) {
	case DISCOUNT_NONE:
		*amount = 0;
		return TALAD_OK;
	case DISCOUNT_PERCENT:
		return money_muldiv(base, d->value, TAX_PPM_ONE, amount);
	case DISCOUNT_AMOUNT:
		if (d->value > base)
			return TALAD_EINVAL;
		*amount = d->value;
		return TALAD_OK;
	}
	return TALAD_EINVAL;
}

/* One line's computed parts, gathered before anything is stored so that a
 * failure leaves the cart as it was. */
struct parts {
	int64_t gross, line_discount, order_discount, net, tax, total;
};

static int price_lines(const struct cart *c, struct parts *pt, int64_t *work, char *err,
                       size_t errlen)
{
	const struct tax_rule *tr = &c->tax;
	int64_t sum = 0, od, taxable = 0, order_tax;
	size_t ntax = 0;
	char what[32];
	int rc;

	if (tr->rate_ppm < 0 || tr->rate_ppm > TAX_PPM_ONE) {
		talad_seterr(err, errlen, "the tax rate must be 0 to 100 %%");
		return TALAD_EINVAL;
	}
	if (tr->rounding != TAX_ROUND_LINE && tr->rounding != TAX_ROUND_ORDER) {
		talad_seterr(err, errlen, "unknown tax rounding %d", (int)tr->rounding);
		return TALAD_EINVAL;
	}
	rc = check_discount(&c->order_discount, err, errlen, "order");
	if (rc)
		return rc;

	for (size_t i = 0; i < c->nlines; i++) {
		const struct cart_line *l = &c->lines[i];
		snprintf(what, sizeof(what), "line %zu", i + 1);
		rc = check_amounts(l, err, errlen, what);
		if (rc)
			return rc;
		if (money_mul(l->quantity, l->unit_price, &pt[i].gross)) {
			talad_seterr(err, errlen, "%s: amount too large", what);
			return TALAD_ERANGE;
		}
		rc = discount_amount(&l->discount, pt[i].gross, &pt[i].line_discount);
		if (rc) {
			talad_seterr(err, errlen, "%s: the discount is larger than the line", what);
			return rc;
		}
		work[i] = pt[i].gross - pt[i].line_discount;
		if (money_add(sum, work[i], &sum)) {
			talad_seterr(err, errlen, "order amount too large");
			return TALAD_ERANGE;
		}
	}

	rc = discount_amount(&c->order_discount, sum, &od);
	if (rc) {
		talad_seterr(err, errlen, "the order discount is larger than the order");
		return rc;
	}
	if (c->nlines) {
		int64_t *share = xreallocarray(NULL, c->nlines, sizeof(*share));
		rc = cart_allocate(od, work, c->nlines, share);
		for (size_t i = 0; rc == TALAD_OK && i < c->nlines; i++) {
			pt[i].order_discount = share[i];
			pt[i].net = work[i] - share[i];
		}
		free(share);
		if (rc) {
			talad_seterr(err, errlen, "order amount too large");
			return rc;
		}
	}

	/* Tax: work[] now collects the nets of the taxable lines. */
	for (size_t i = 0; i < c->nlines; i++) {
		pt[i].tax = 0;
		if (!c->lines[i].taxable)
			continue;
		if (tr->rounding == TAX_ROUND_LINE) {
			rc = tr->included ? tax_included_part(pt[i].net, tr->rate_ppm, &pt[i].tax)
			                  : tax_on_excluded(pt[i].net, tr->rate_ppm, &pt[i].tax);
			if (rc) {
				talad_seterr(err, errlen, "line %zu: tax out of range", i + 1);
				return rc;
			}
		} else {
			work[ntax++] = pt[i].net;
			taxable += pt[i].net; /* cannot overflow: nets add up to <= sum */
		}
	}
	if (tr->rounding == TAX_ROUND_ORDER && ntax) {
		int64_t *share = xreallocarray(NULL, ntax, sizeof(*share));
		size_t k = 0;
		rc = tr->included ? tax_included_part(taxable, tr->rate_ppm, &order_tax)
		                  : tax_on_excluded(taxable, tr->rate_ppm, &order_tax);
		if (rc == TALAD_OK)
			rc = cart_allocate(order_tax, work, ntax, share);
		for (size_t i = 0; rc == TALAD_OK && i < c->nlines; i++) {
			if (c->lines[i].taxable)
				pt[i].tax = share[k++];
		}
		free(share);
		if (rc) {
			talad_seterr(err, errlen, "tax out of range");
			return rc;
		}
	}

	for (size_t i = 0; i < c->nlines; i++) {
		if (!tr->included) {
			if (money_add(pt[i].net, pt[i].tax, &pt[i].total)) {
				talad_seterr(err, errlen, "line %zu: amount too large", i + 1);
				return TALAD_ERANGE;
			}
		} else {
			pt[i].total = pt[i].net;
		}
	}
	return TALAD_OK;
}

int cart_price(struct cart *c, char *err, size_t errlen)
{
	struct parts *pt = NULL;
	int64_t *work = NULL;
	int64_t subtotal = 0, discounts = 0, tax = 0, total = 0;
	int rc;

	if (c->nlines) {
		pt = xcalloc(c->nlines, sizeof(*pt));
		work = xcalloc(c->nlines, sizeof(*work));
	}
	rc = price_lines(c, pt, work, err, errlen);
	if (rc)
		goto out;
	/* Every discount is at most its line, so these sums are bounded by the
	 * sum of gross only for subtotal; check each anyway. */
	for (size_t i = 0; i < c->nlines; i++) {
		if (money_add(subtotal, pt[i].gross, &subtotal) ||
		    money_add(discounts, pt[i].line_discount, &discounts) ||
		    money_add(discounts, pt[i].order_discount, &discounts) ||
		    money_add(tax, pt[i].tax, &tax) || money_add(total, pt[i].total, &total)) {
			talad_seterr(err, errlen, "order amount too large");
			rc = TALAD_ERANGE;
			goto out;
		}
	}
	for (size_t i = 0; i < c->nlines; i++) {
		struct cart_line *l = &c->lines[i];
		l->gross = pt[i].gross;
		l->line_discount = pt[i].line_discount;
		l->order_discount = pt[i].order_discount;
		l->net = pt[i].net;
		l->tax = pt[i].tax;
		l->total = pt[i].total;
	}
	c->subtotal = subtotal;
	c->discount_total = discounts;
	c->tax_total = tax;
	c->total = total;
out:
	free(pt);
	free(work);
	return rc;
}

struct remainder {
	uint64_t share; /* floor(|total| * weight / sum), then + 1 or not */
	uint64_t rem;   /* (|total| * weight) mod sum */
	size_t index;
};

static int by_remainder(const void *a, const void *b)
{
	const struct remainder *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int cart_allocate(int64_t total, const int64_t *weights, size_t n, int64_t *parts)
{
	unsigned __int128 wsum = 0;
	uint64_t mag, given = 0;
	struct remainder *rems;

	if (n == 0)
		return total == 0 ? TALAD_OK : TALAD_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (weights[i] < 0)
			return TALAD_EINVAL;
		wsum += (uint64_t)weights[i];
		if (wsum > INT64_MAX)
			return TALAD_ERANGE;
	}
	if (wsum == 0) {
		parts[0] = total;
		for (size_t i = 1; i < n; i++)
			parts[i] = 0;
		return TALAD_OK;
	}

	/* Work on the magnitude so that a negative total splits as the mirror
	 * image of the positive one. */
	mag = total < 0 ? (uint64_t)0 - (uint64_t)total : (uint64_t)total;
	rems = xreallocarray(NULL, n, sizeof(*rems));
	for (size_t i = 0; i < n; i++) {
		unsigned __int128 p = (unsigned __int128)mag * (uint64_t)weights[i];
		rems[i].share = (uint64_t)(p / wsum);
		rems[i].rem = (uint64_t)(p % wsum);
		rems[i].index = i;
		given += rems[i].share;
	}
	/* The floors fall short by less than one unit per non-zero weight. */
	qsort(rems, n, sizeof(*rems), by_remainder);
	for (size_t k = 0; k < mag - given; k++)
		rems[k].share++;
	/* Each share is at most |total|, so it fits once the sign is back. */
	for (size_t k = 0; k < n; k++) {
		uint64_t v = rems[k].share;
		int64_t *dst = &parts[rems[k].index];
		if (total >= 0)
			*dst = (int64_t)v;
		else
			*dst = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	}
	free(rems);
	return TALAD_OK;
}

const char *discount_kind_name(enum discount_kind k)
{
	switch (k) {
	case DISCOUNT_PERCENT:
		return "percent";
	case DISCOUNT_AMOUNT:
		return "amount";
	case DISCOUNT_NONE:
		break;
	}
	return NULL;
}

int discount_kind_parse(const char *s, enum discount_kind *out)
{
	if (s && strcmp(s, "percent") == 0) {
		*out = DISCOUNT_PERCENT;
		return TALAD_OK;
	}
	if (s && strcmp(s, "amount") == 0) {
		*out = DISCOUNT_AMOUNT;
		return TALAD_OK;
	}
	return TALAD_EINVAL;
}

int discount_parse(const char *s, int exponent, struct discount *out, char *err, size_t errlen)
{
	size_t len;
	int64_t v;
	int rc;

	if (!s || !*s) {
		talad_seterr(err, errlen, "empty discount");
		return TALAD_EINVAL;
	}
	len = strlen(s);
	if (s[len - 1] == '%') {
		char body[32];
		/* a percent has up to 4 decimals: ten-thousandths of a percent
		 * are millionths, so it parses as an amount with exponent 4 */
		if (len - 1 >= sizeof(body) || s[0] == '-') {
			talad_seterr(err, errlen,
			             "bad percentage: %.64s (0 to 100, up to 4 decimals)", s);
			return TALAD_EINVAL;
		}
		memcpy(body, s, len - 1);
		body[len - 1] = '\0';
		if (money_parse(body, 4, &v, NULL, 0) != TALAD_OK) {
			talad_seterr(err, errlen,
			             "bad percentage: %.64s (0 to 100, up to 4 decimals)", s);
			return TALAD_EINVAL;
		}
		if (v > TAX_PPM_ONE) {
			talad_seterr(err, errlen, "a discount cannot be more than 100 %%");
			return TALAD_EINVAL;
		}
		out->kind = DISCOUNT_PERCENT;
		out->value = v;
		return TALAD_OK;
	}
	rc = money_parse(s, exponent, &v, err, errlen);
	if (rc)
		return TALAD_EINVAL;
	if (v < 0) {
		talad_seterr(err, errlen, "a discount cannot be negative");
		return TALAD_EINVAL;
	}
	out->kind = DISCOUNT_AMOUNT;
	out->value = v;
	return TALAD_OK;
}
