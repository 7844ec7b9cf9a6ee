/* Unit tests for core/cart: known totals, discounts and both tax roundings,
 * validation, largest-remainder allocation, and thousands of random carts
 * checked against an independent reference (seed printed on failure;
 * TALAD_TEST_SEED overrides it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../lib/fixtures.h"
#include "common/err.h"
#include "common/uuid.h"
#include "core/cart.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct tax_rule thai = {70000, true, TAX_ROUND_LINE};

static void add(struct cart *c, int64_t qty, int64_t price, bool taxable)
{
	struct cart_line l = fx_line("item", qty, price, taxable);
	char err[128] = "";
	int rc = cart_add_line(c, &l, err, sizeof(err));
	if (rc)
		print_error("cart_add_line: %s\n", err);
	assert_int_equal(rc, TALAD_OK);
}

/* The reference rounding for non-negative values, written differently from
 * money_muldiv: floor((2 a num + den) / (2 den)) is half up, which is half
 * away from zero when nothing is negative. */
static int64_t ref_round(int64_t a, int64_t num, int64_t den)
{
	unsigned __int128 p = (unsigned __int128)a * (uint64_t)num;
	return (int64_t)((2 * p + (uint64_t)den) / (2 * (unsigned __int128)(uint64_t)den));
}

/* Largest remainder by its definition: every part is the floor of its exact
 * share or one more, they add up, and a part that got the extra unit has a
 * larger remainder than one that did not (an equal one only at an earlier
 * index). A negative total is the mirror image. */
static bool is_largest_remainder(int64_t total, const int64_t *w, size_t n, const int64_t *parts)
{
	__int128 wsum = 0, sum = 0;
	int sign = total < 0 ? -1 : 1;
	__int128 mag = total < 0 ? -(__int128)total : total;

	for (size_t i = 0; i < n; i++) {
		wsum += w[i];
		sum += parts[i];
	}
	if (sum != total)
		return false;
	if (n == 0)
		return total == 0;
	if (wsum == 0) {
		for (size_t i = 1; i < n; i++) {
			if (parts[i] != 0)
				return false;
		}
		return parts[0] == total;
	}
	for (size_t i = 0; i < n; i++) {
		__int128 fl = mag * w[i] / wsum, p = sign * (__int128)parts[i];
		if (p != fl && p != fl + 1)
			return false;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			__int128 ri = mag * w[i] % wsum, rj = mag * w[j] % wsum;
			bool gi = sign * (__int128)parts[i] != mag * w[i] / wsum;
			bool gj = sign * (__int128)parts[j] != mag * w[j] / wsum;
			if (gi && !gj && !(ri > rj || (ri == rj && i < j)))
				return false;
		}
	}
	return true;
}

static void test_protocol_example(void **state)
{
	struct cart c;
	char err[128];
	(void)state;

	cart_init(&c, &thai);
	add(&c, 2, 4500, true);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.lines[0].gross == 9000);
	assert_true(c.lines[0].line_discount == 0 && c.lines[0].order_discount == 0);
	assert_true(c.lines[0].net == 9000);
	assert_true(c.lines[0].tax == 589);
	assert_true(c.lines[0].total == 9000);
	assert_true(c.subtotal == 9000 && c.discount_total == 0);
	assert_true(c.tax_total == 589 && c.total == 9000);
	cart_release(&c);
}

static void test_thai_vat_known(void **state)
{
	struct cart c;
	char err[128];
	(void)state;

	/* 107.00 incl. 7 % holds 7.00; 100.00 holds 6.54 */
	cart_init(&c, &thai);
	add(&c, 1, 10700, true);
	add(&c, 1, 10000, true);
	add(&c, 3, 2500, false); /* not taxable: no tax */
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.lines[0].tax == 700);
	assert_true(c.lines[1].tax == 654);
	assert_true(c.lines[2].tax == 0 && c.lines[2].total == 7500);
	assert_true(c.tax_total == 1354);
	assert_true(c.total == 10700 + 10000 + 7500);
	cart_release(&c);
}

static void test_line_discounts(void **state)
{
	struct cart c;
	char err[128];
	(void)state;

	cart_init(&c, &thai);
	add(&c, 3, 3333, true); /* 99.99 */
	add(&c, 1, 5000, true);
	add(&c, 2, 1000, true);
	assert_int_equal(cart_set_line_discount(&c, 0, (struct discount){DISCOUNT_PERCENT, 100000}),
	                 TALAD_OK);
	assert_int_equal(cart_set_line_discount(&c, 1, (struct discount){DISCOUNT_AMOUNT, 5000}),
	                 TALAD_OK);
	assert_int_equal(
	    cart_set_line_discount(&c, 2, (struct discount){DISCOUNT_PERCENT, TAX_PPM_ONE}),
	    TALAD_OK);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.lines[0].line_discount == 1000); /* 999.9 -> 1000 */
	assert_true(c.lines[0].net == 8999);
	assert_true(c.lines[1].net == 0 && c.lines[1].tax == 0); /* the whole line off */
	assert_true(c.lines[2].net == 0);
	assert_true(c.subtotal == 9999 + 5000 + 2000);
	assert_true(c.discount_total == 1000 + 5000 + 2000);
	assert_true(c.total == 8999);
	assert_true(c.tax_total == 589); /* 8999 * 7 / 107 = 588.7 */
	cart_release(&c);
}

static void test_order_discount(void **state)
{
	struct cart c;
	char err[128];
	(void)state;

	/* 10.00 off 100.00 + 200.00: 3.333 and 6.667 -> 3.33 and 6.67 */
	cart_init(&c, &thai);
	add(&c, 1, 10000, true);
	add(&c, 1, 20000, true);
	assert_int_equal(cart_set_order_discount(&c, (struct discount){DISCOUNT_AMOUNT, 1000}),
	                 TALAD_OK);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.lines[0].order_discount == 333 && c.lines[1].order_discount == 667);
	assert_true(c.lines[0].net == 9667 && c.lines[1].net == 19333);
	assert_true(c.discount_total == 1000 && c.total == 29000);
	assert_true(c.tax_total == c.lines[0].tax + c.lines[1].tax);
	cart_release(&c);

	/* ties go to the earlier line */
	cart_init(&c, &thai);
	add(&c, 1, 100, true);
	add(&c, 1, 100, true);
	add(&c, 1, 100, true);
	c.order_discount = (struct discount){DISCOUNT_AMOUNT, 1};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.lines[0].order_discount == 1 && c.lines[1].order_discount == 0 &&
	            c.lines[2].order_discount == 0);
	c.order_discount = (struct discount){DISCOUNT_AMOUNT, 2};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.lines[0].order_discount == 1 && c.lines[1].order_discount == 1 &&
	            c.lines[2].order_discount == 0);
	cart_release(&c);

	/* a percent applies to the lines after their own discounts: 10 % of
	 * (90.00 + 30.00 - 10.00) = 11.00, shared 9.00 and 2.00 */
	cart_init(&c, &thai);
	add(&c, 2, 4500, true);
	add(&c, 1, 3000, true);
	c.lines[1].discount = (struct discount){DISCOUNT_AMOUNT, 1000};
	c.order_discount = (struct discount){DISCOUNT_PERCENT, 100000};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.lines[0].order_discount + c.lines[1].order_discount == 1100);
	assert_true(c.lines[0].order_discount == 900 && c.lines[1].order_discount == 200);
	assert_true(c.total == 12000 - 1000 - 1100);
	assert_true(c.discount_total == 2100);
	cart_release(&c);
}

static void test_tax_rounding_modes(void **state)
{
	struct tax_rule r;
	struct cart c;
	char err[128];
	(void)state;

	/* Three 1.00 lines incl. 7 %: 0.0654 each. Per line 0.07 * 3 = 0.21;
	 * per order 0.1963 -> 0.20, shared 7, 7, 6. */
	r = (struct tax_rule){70000, true, TAX_ROUND_LINE};
	cart_init(&c, &r);
	add(&c, 1, 100, true);
	add(&c, 1, 100, true);
	add(&c, 1, 100, true);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.tax_total == 21 && c.total == 300);
	c.tax.rounding = TAX_ROUND_ORDER;
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.tax_total == 20 && c.total == 300);
	assert_true(c.lines[0].tax == 7 && c.lines[1].tax == 7 && c.lines[2].tax == 6);
	cart_release(&c);

	/* Excluded: three 0.10 lines at 7 %: per line 0.007 -> 0.01 each, 0.03;
	 * per order 0.021 -> 0.02 shared 1, 1, 0. A non-taxable line in the
	 * middle gets none in either mode. */
	r = (struct tax_rule){70000, false, TAX_ROUND_LINE};
	cart_init(&c, &r);
	add(&c, 1, 10, true);
	add(&c, 1, 500, false);
	add(&c, 1, 10, true);
	add(&c, 1, 10, true);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.tax_total == 3 && c.total == 533);
	assert_true(c.lines[1].tax == 0 && c.lines[1].total == 500);
	assert_true(c.lines[0].total == 11);
	c.tax.rounding = TAX_ROUND_ORDER;
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.tax_total == 2 && c.total == 532);
	assert_true(c.lines[0].tax == 1 && c.lines[1].tax == 0 && c.lines[2].tax == 1 &&
	            c.lines[3].tax == 0);
	assert_true(c.lines[3].total == 10);
	cart_release(&c);

	/* New York 8.875 % on 100.00 excluded */
	r = (struct tax_rule){88750, false, TAX_ROUND_ORDER};
	cart_init(&c, &r);
	add(&c, 4, 2500, true);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.tax_total == 888 && c.total == 10888);
	cart_release(&c);

	/* only non-taxable lines */
	r = (struct tax_rule){70000, true, TAX_ROUND_ORDER};
	cart_init(&c, &r);
	add(&c, 1, 100, false);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.tax_total == 0 && c.total == 100);
	cart_release(&c);
}

static void test_price_errors(void **state)
{
	struct cart c;
	char err[128];
	(void)state;

	cart_init(&c, &thai);
	add(&c, 1, 1000, true);
	add(&c, 2, 500, true);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.total == 2000);

	/* a line discount larger than its line; the cart keeps its last prices */
	c.lines[1].discount = (struct discount){DISCOUNT_AMOUNT, 1001};
	err[0] = '\0';
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "line 2: the discount is larger than the line");
	assert_true(c.total == 2000 && c.lines[1].net == 1000 && c.tax_total == 130);
	c.lines[1].discount = (struct discount){DISCOUNT_AMOUNT, 1000}; /* exactly the line */
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.total == 1000);

	/* an order discount larger than the order */
	c.order_discount = (struct discount){DISCOUNT_AMOUNT, 1001};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "the order discount is larger than the order");
	assert_true(c.total == 1000);
	c.order_discount = (struct discount){DISCOUNT_AMOUNT, 1000};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.total == 0 && c.tax_total == 0);

	/* percent over 100 %, set directly as a JSON reader might */
	c.order_discount = (struct discount){DISCOUNT_PERCENT, 1000001};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_EINVAL);
	c.order_discount = (struct discount){DISCOUNT_NONE, 0};
	c.lines[0].discount = (struct discount){DISCOUNT_PERCENT, -1};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_EINVAL);
	assert_non_null(strstr(err, "line 1"));
	c.lines[0].discount = (struct discount){(enum discount_kind)7, 0};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_EINVAL);
	c.lines[0].discount = (struct discount){DISCOUNT_NONE, 5};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_EINVAL);
	c.lines[0].discount = (struct discount){DISCOUNT_NONE, 0};
	c.lines[0].quantity = 0;
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_EINVAL);
	c.lines[0].quantity = 1;
	c.tax.rate_ppm = TAX_PPM_ONE + 1;
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_EINVAL);
	c.tax.rate_ppm = 70000;
	c.tax.rounding = (enum tax_rounding)5;
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_EINVAL);
	c.tax.rounding = TAX_ROUND_LINE;
	assert_int_equal(cart_price(&c, NULL, 0), TALAD_OK);
	cart_release(&c);

	/* an empty cart costs nothing, and cannot take an amount off */
	cart_init(&c, &thai);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.total == 0 && c.subtotal == 0 && c.tax_total == 0);
	c.order_discount = (struct discount){DISCOUNT_PERCENT, 100000};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	c.order_discount = (struct discount){DISCOUNT_AMOUNT, 1};
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_EINVAL);
	cart_release(&c);
}

static void test_overflow(void **state)
{
	struct cart c;
	struct tax_rule ex = {70000, false, TAX_ROUND_LINE};
	char err[128];
	(void)state;

	cart_init(&c, &thai);
	add(&c, 3, INT64_MAX / 2, true);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_ERANGE);
	assert_string_equal(err, "line 1: amount too large");
	cart_release(&c);

	cart_init(&c, &thai);
	add(&c, 1, INT64_MAX / 2 + 1, true);
	add(&c, 1, INT64_MAX / 2 + 1, true);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_ERANGE);
	cart_release(&c);

	/* the largest price is fine tax-included, too large with tax added */
	cart_init(&c, &thai);
	add(&c, 1, INT64_MAX, true);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.total == INT64_MAX);
	c.tax = ex;
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_ERANGE);
	c.tax.rounding = TAX_ROUND_ORDER;
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_ERANGE);
	assert_true(c.total == INT64_MAX); /* still the last good prices */
	cart_release(&c);

	/* lines that each fit but whose totals do not add up in int64_t */
	cart_init(&c, &ex);
	add(&c, 1, INT64_MAX / 2, false);
	add(&c, 1, INT64_MAX / 2, true);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_ERANGE);
	cart_release(&c);
}

static void test_add_line_validation(void **state)
{
	struct cart c;
	struct cart_line l;
	char err[128];
	(void)state;

	cart_init(&c, &thai);

	l = fx_line("", 1, 100, true);
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "line 1: empty title");

	l = fx_line("x", 0, 100, true);
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "line 1: quantity must be 1 to 1000000");
	l.quantity = CART_MAX_QUANTITY + 1;
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	l.quantity = -1;
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);

	l = fx_line("x", 1, -1, true);
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "line 1: the price cannot be negative");

	l = fx_line("x", 1, 100, true);
	strcpy(l.variant_id, "not-a-uuid");
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "line 1: the variant id is not a uuid");
	memset(l.variant_id, 'a', sizeof(l.variant_id)); /* not terminated */
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);

	l = fx_line("x", 1, 100, true);
	l.discount = (struct discount){DISCOUNT_PERCENT, TAX_PPM_ONE + 1};
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	l.discount = (struct discount){DISCOUNT_AMOUNT, -5};
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "line 1: a discount cannot be negative");
	l.discount = (struct discount){(enum discount_kind)3, 5};
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);

	l = fx_line("bad \xff utf-8", 1, 100, true);
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	l = fx_line("overlong \xc0\xaf", 1, 100, true);
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	l = fx_line("cut \xe0\xb8", 1, 100, true);
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	l = fx_line("tab\there", 1, 100, true);
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	l = fx_line("x", 1, 100, true);
	memset(l.title, 'a', sizeof(l.title)); /* not terminated */
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	l = fx_line("x", 1, 100, true);
	strcpy(l.sku, "SKU\x01");
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(c.nlines, 0);

	/* good lines: Thai text, a catalog variant, computed fields ignored */
	l = fx_line("กาแฟเย็น", 2, 4500, true);
	uuid_v7(l.variant_id);
	strcpy(l.sku, "CF-001");
	l.total = 123;
	l.net = -5;
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_OK);
	assert_int_equal(c.nlines, 1);
	assert_true(c.lines[0].total == 0 && c.lines[0].net == 0);
	assert_string_equal(c.lines[0].title, "กาแฟเย็น");
	assert_int_equal(cart_add_line(&c, &l, NULL, 0), TALAD_OK);

	while (c.nlines < CART_MAX_LINES)
		assert_int_equal(cart_add_line(&c, &l, NULL, 0), TALAD_OK);
	assert_int_equal(cart_add_line(&c, &l, err, sizeof(err)), TALAD_ETOOBIG);
	assert_string_equal(err, "a cart holds at most 500 lines");
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.total == 500 * 9000);
	cart_release(&c);
	cart_release(&c); /* twice is fine */
	cart_release(NULL);
}

static void test_edit_lines(void **state)
{
	struct cart c, d;
	char err[128];
	(void)state;

	cart_init(&c, &thai);
	add(&c, 1, 100, true);
	add(&c, 1, 200, true);
	add(&c, 1, 300, true);

	assert_int_equal(cart_set_quantity(&c, 1, 5), TALAD_OK);
	assert_int_equal(cart_set_quantity(&c, 1, 0), TALAD_EINVAL);
	assert_int_equal(cart_set_quantity(&c, 1, CART_MAX_QUANTITY + 1), TALAD_EINVAL);
	assert_int_equal(cart_set_quantity(&c, 3, 1), TALAD_ENOTFOUND);
	assert_int_equal(cart_set_line_discount(&c, 3, (struct discount){DISCOUNT_NONE, 0}),
	                 TALAD_ENOTFOUND);
	assert_int_equal(cart_set_line_discount(&c, 0, (struct discount){DISCOUNT_AMOUNT, -1}),
	                 TALAD_EINVAL);
	assert_int_equal(cart_set_order_discount(&c, (struct discount){DISCOUNT_PERCENT, -1}),
	                 TALAD_EINVAL);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.total == 100 + 1000 + 300);

	assert_int_equal(cart_remove_line(&c, 3), TALAD_ENOTFOUND);
	assert_int_equal(cart_remove_line(&c, 0), TALAD_OK);
	assert_int_equal(c.nlines, 2);
	assert_true(c.lines[0].unit_price == 200 && c.lines[0].quantity == 5);
	assert_int_equal(cart_remove_line(&c, 1), TALAD_OK);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.total == 1000);

	/* a deep copy prices the same and is independent of the original */
	cart_copy(&d, &c);
	assert_true(d.lines != c.lines && d.nlines == 1 && d.total == 1000);
	assert_int_equal(cart_set_quantity(&d, 0, 1), TALAD_OK);
	assert_int_equal(cart_price(&d, err, sizeof(err)), TALAD_OK);
	assert_true(d.total == 200);
	assert_int_equal(cart_price(&c, err, sizeof(err)), TALAD_OK);
	assert_true(c.total == 1000);
	add(&d, 1, 1, true); /* the copy can grow */
	cart_release(&d);

	assert_int_equal(cart_remove_line(&c, 0), TALAD_OK);
	cart_copy(&d, &c); /* empty */
	assert_true(d.lines == NULL && d.nlines == 0);
	add(&d, 1, 1, true);
	cart_release(&d);
	cart_release(&c);
}

static void test_allocate_known(void **state)
{
	int64_t parts[8];
	(void)state;

	assert_int_equal(cart_allocate(10, (int64_t[]){1, 1, 1}, 3, parts), TALAD_OK);
	assert_true(parts[0] == 4 && parts[1] == 3 && parts[2] == 3);
	assert_int_equal(cart_allocate(-10, (int64_t[]){1, 1, 1}, 3, parts), TALAD_OK);
	assert_true(parts[0] == -4 && parts[1] == -3 && parts[2] == -3);
	assert_int_equal(cart_allocate(2, (int64_t[]){1, 2, 2}, 3, parts), TALAD_OK);
	assert_true(parts[0] == 0 && parts[1] == 1 && parts[2] == 1);
	assert_int_equal(cart_allocate(1, (int64_t[]){1, 1}, 2, parts), TALAD_OK);
	assert_true(parts[0] == 1 && parts[1] == 0);
	assert_int_equal(cart_allocate(100, (int64_t[]){0, 0}, 2, parts), TALAD_OK);
	assert_true(parts[0] == 100 && parts[1] == 0);
	assert_int_equal(cart_allocate(7, (int64_t[]){0, 3, 0, 4}, 4, parts), TALAD_OK);
	assert_true(parts[0] == 0 && parts[1] == 3 && parts[2] == 0 && parts[3] == 4);
	assert_int_equal(cart_allocate(1000, (int64_t[]){10000, 20000}, 2, parts), TALAD_OK);
	assert_true(parts[0] == 333 && parts[1] == 667);
	assert_int_equal(cart_allocate(INT64_MIN, (int64_t[]){5}, 1, parts), TALAD_OK);
	assert_true(parts[0] == INT64_MIN);
	assert_int_equal(cart_allocate(INT64_MAX, (int64_t[]){INT64_MAX - 1, 1}, 2, parts),
	                 TALAD_OK);
	assert_true(parts[0] == INT64_MAX - 1 && parts[1] == 1);
	assert_int_equal(cart_allocate(INT64_MIN, (int64_t[]){1, 1}, 2, parts), TALAD_OK);
	assert_true(parts[0] == INT64_MIN / 2 && parts[1] == INT64_MIN / 2);

	assert_int_equal(cart_allocate(0, NULL, 0, parts), TALAD_OK);
	assert_int_equal(cart_allocate(5, NULL, 0, parts), TALAD_EINVAL);
	assert_int_equal(cart_allocate(5, (int64_t[]){1, -1}, 2, parts), TALAD_EINVAL);
	assert_int_equal(cart_allocate(5, (int64_t[]){INT64_MAX, 1}, 2, parts), TALAD_ERANGE);
}

static void test_allocate_random(void **state)
{
	int64_t w[24], parts[24];
	(void)state;

	for (int iter = 0; iter < 5000; iter++) {
		size_t n = 1 + fx_rnd() % 24;
		int64_t total;
		int64_t wmax = fx_rnd() % 3 == 0 ? INT64_MAX / 24 : fx_rnd() % 2 ? 1000 : 3;

		for (size_t i = 0; i < n; i++)
			w[i] = fx_rnd() % 5 == 0 ? 0 : fx_rnd_range(0, wmax);
		switch (fx_rnd() % 4) {
		case 0:
			total = fx_rnd_range(-100, 100);
			break;
		case 1:
			total = fx_rnd_range(0, 1000000);
			break;
		case 2:
			total = (int64_t)fx_rnd();
			break;
		default:
			total = fx_rnd() % 2 ? INT64_MAX : INT64_MIN;
		}
		FX_CHECK(cart_allocate(total, w, n, parts) == TALAD_OK, iter);
		FX_CHECK(is_largest_remainder(total, w, n, parts), iter);
	}
}

/* A discount for something worth base: none, a percent, or an amount from
 * 0 to base (now and then exactly base). */
static struct discount rnd_discount(int64_t base)
{
	switch (fx_rnd() % 4) {
	case 0:
	case 1:
		return (struct discount){DISCOUNT_NONE, 0};
	case 2: {
		static const int64_t common[] = {50000, 100000, 150000, 333333, TAX_PPM_ONE};
		int64_t v = fx_rnd() % 2 ? common[fx_rnd() % 5] : fx_rnd_range(0, TAX_PPM_ONE);
		return (struct discount){DISCOUNT_PERCENT, v};
	}
	default:
		return (struct discount){DISCOUNT_AMOUNT,
		                         fx_rnd() % 8 ? fx_rnd_range(0, base) : base};
	}
}

static int64_t ref_discount(const struct discount *d, int64_t base)
{
	if (d->kind == DISCOUNT_PERCENT)
		return ref_round(base, d->value, TAX_PPM_ONE);
	return d->kind == DISCOUNT_AMOUNT ? d->value : 0;
}

static int64_t ref_tax(const struct tax_rule *r, int64_t net)
{
	return r->included ? ref_round(net, r->rate_ppm, TAX_PPM_ONE + r->rate_ppm)
	                   : ref_round(net, r->rate_ppm, TAX_PPM_ONE);
}

static void check_priced(const struct cart *c, int iter)
{
	int64_t after[64], od_parts[64], taxable_nets[64], tax_parts[64];
	int64_t sum_after = 0, sum_gross = 0, sum_disc = 0, sum_tax = 0, sum_total = 0;
	int64_t sum_taxable = 0, od;
	size_t ntax = 0;

	for (size_t i = 0; i < c->nlines; i++) {
		const struct cart_line *l = &c->lines[i];
		FX_CHECK(l->gross == l->quantity * l->unit_price, iter);
		FX_CHECK(l->line_discount == ref_discount(&l->discount, l->gross), iter);
		after[i] = l->gross - l->line_discount;
		sum_after += after[i];
		od_parts[i] = l->order_discount;
		FX_CHECK(l->net == l->gross - l->line_discount - l->order_discount, iter);
		FX_CHECK(l->net >= 0 && l->order_discount >= 0 && l->line_discount >= 0, iter);
		FX_CHECK(l->total == (c->tax.included ? l->net : l->net + l->tax), iter);
		if (!l->taxable) {
			FX_CHECK(l->tax == 0, iter);
		} else {
			FX_CHECK(l->tax >= 0, iter);
			if (c->tax.included)
				FX_CHECK(l->tax <= l->net, iter);
			if (c->tax.rounding == TAX_ROUND_LINE)
				FX_CHECK(l->tax == ref_tax(&c->tax, l->net), iter);
			taxable_nets[ntax] = l->net;
			tax_parts[ntax++] = l->tax;
			sum_taxable += l->net;
		}
		sum_gross += l->gross;
		sum_disc += l->line_discount + l->order_discount;
		sum_tax += l->tax;
		sum_total += l->total;
	}
	od = ref_discount(&c->order_discount, sum_after);
	FX_CHECK(is_largest_remainder(od, after, c->nlines, od_parts), iter);
	if (c->tax.rounding == TAX_ROUND_ORDER && ntax) {
		FX_CHECK(is_largest_remainder(ref_tax(&c->tax, sum_taxable), taxable_nets, ntax,
		                              tax_parts),
		         iter);
	}
	FX_CHECK(c->subtotal == sum_gross, iter);
	FX_CHECK(c->discount_total == sum_disc, iter);
	FX_CHECK(c->tax_total == sum_tax, iter);
	FX_CHECK(c->total == sum_total, iter);
	FX_CHECK(c->total == (c->tax.included ? c->subtotal - c->discount_total
	                                      : c->subtotal - c->discount_total + c->tax_total),
	         iter);
}

static void test_random_carts(void **state)
{
	static const int64_t rates[] = {0, 70000, 88750, 100000, 200000, TAX_PPM_ONE};
	int priced = 0, refused = 0;
	(void)state;

	for (int iter = 0; iter < 5000; iter++) {
		struct tax_rule r;
		struct cart c, d;
		char err[128] = "";
		size_t n = fx_rnd() % 10 == 0 ? 0 : 1 + fx_rnd() % (fx_rnd() % 4 ? 8 : 60);
		int64_t sum_after = 0;
		bool too_much = false;
		int rc;

		r.rate_ppm = fx_rnd() % 3 ? rates[fx_rnd() % 6] : fx_rnd_range(0, TAX_PPM_ONE);
		r.included = fx_rnd() % 2;
		r.rounding = fx_rnd() % 2 ? TAX_ROUND_ORDER : TAX_ROUND_LINE;
		cart_init(&c, &r);
		for (size_t i = 0; i < n; i++) {
			struct cart_line l;
			int64_t qty =
			    fx_rnd() % 5 ? fx_rnd_range(1, 5) : fx_rnd_range(1, CART_MAX_QUANTITY);
			int64_t price = fx_rnd() % 10 == 0 ? 0
			                : fx_rnd() % 5     ? fx_rnd_range(1, 20000)
			                                   : fx_rnd_range(1, 1000000000);
			l = fx_line("random item", qty, price, fx_rnd() % 5 != 0);
			l.discount = rnd_discount(qty * price);
			FX_CHECK(cart_add_line(&c, &l, err, sizeof(err)) == TALAD_OK, iter);
			sum_after += qty * price - ref_discount(&l.discount, qty * price);
			/* now and then a discount larger than its line */
			if (fx_rnd() % 50 == 0) {
				c.lines[i].discount =
				    (struct discount){DISCOUNT_AMOUNT, qty * price + 1};
				too_much = true;
			}
		}
		c.order_discount = rnd_discount(sum_after);
		if (fx_rnd() % 50 == 0) {
			c.order_discount = (struct discount){DISCOUNT_AMOUNT, sum_after + 1};
			too_much = true;
		}

		rc = cart_price(&c, err, sizeof(err));
		if (too_much) {
			if (rc != TALAD_EINVAL || !strstr(err, "larger than"))
				print_error("rc %d: %s\n", rc, err);
			FX_CHECK(rc == TALAD_EINVAL && strstr(err, "larger than"), iter);
			FX_CHECK(c.total == 0 && c.tax_total == 0, iter); /* left as it was */
			refused++;
			cart_release(&c);
			continue;
		}
		if (rc != TALAD_OK)
			print_error("cart_price: %s\n", err);
		FX_CHECK(rc == TALAD_OK, iter);
		check_priced(&c, iter);
		priced++;

		/* the server re-prices a copy of what the register sold */
		cart_copy(&d, &c);
		for (size_t i = 0; i < d.nlines; i++)
			d.lines[i].total = d.lines[i].tax = d.lines[i].net = 0;
		d.total = d.tax_total = 0;
		FX_CHECK(cart_price(&d, err, sizeof(err)) == TALAD_OK, iter);
		FX_CHECK(d.total == c.total && d.tax_total == c.tax_total &&
		             d.discount_total == c.discount_total && d.subtotal == c.subtotal,
		         iter);
		FX_CHECK(c.nlines == 0 ||
		             memcmp(d.lines, c.lines, c.nlines * sizeof(*c.lines)) == 0,
		         iter);
		cart_release(&d);
		cart_release(&c);
	}
	/* the generator must exercise both outcomes, or the test proves little */
	assert_true(priced > 3000 && refused > 50);
}

static void test_discount_parse(void **state)
{
	static const struct {
		const char *s;
		int exponent;
		enum discount_kind kind;
		int64_t value;
	} good[] = {
	    {"10%", 2, DISCOUNT_PERCENT, 100000}, {"12.5%", 2, DISCOUNT_PERCENT, 125000},
	    {"0.0001%", 2, DISCOUNT_PERCENT, 1},  {"100%", 2, DISCOUNT_PERCENT, 1000000},
	    {"0%", 2, DISCOUNT_PERCENT, 0},       {"25.00", 2, DISCOUNT_AMOUNT, 2500},
	    {"25", 2, DISCOUNT_AMOUNT, 2500},     {"500", 0, DISCOUNT_AMOUNT, 500},
	    {"1.005", 3, DISCOUNT_AMOUNT, 1005},  {"0", 2, DISCOUNT_AMOUNT, 0},
	};
	static const struct {
		const char *s;
		const char *msg;
	} bad[] = {
	    {"", "empty discount"},
	    {"100.5%", "more than 100 %"},
	    {"-5%", "bad percentage"},
	    {"%", "bad percentage"},
	    {"10.00001%", "bad percentage"},
	    {"10 %", "bad percentage"},
	    {"%10", "not a number"},
	    {"25.001", "too many decimal places for this currency (2 allowed)"},
	    {"-1", "a discount cannot be negative"},
	    {"abc", "not a number: abc"},
	    {"99999999999999999999", "amount too large"},
	    {"1000000000000000000000000000000000000%", "bad percentage"},
	};
	struct discount d;
	char err[128];
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&d, 0, sizeof(d));
		assert_int_equal(discount_parse(good[i].s, good[i].exponent, &d, err, sizeof(err)),
		                 TALAD_OK);
		assert_int_equal(d.kind, good[i].kind);
		assert_true(d.value == good[i].value);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		d = (struct discount){DISCOUNT_AMOUNT, 42};
		assert_int_equal(discount_parse(bad[i].s, 2, &d, err, sizeof(err)), TALAD_EINVAL);
		if (!strstr(err, bad[i].msg))
			print_error("'%s': '%s'\n", bad[i].s, err);
		assert_non_null(strstr(err, bad[i].msg));
		assert_true(d.kind == DISCOUNT_AMOUNT && d.value == 42);
	}
	assert_int_equal(discount_parse(NULL, 2, &d, NULL, 0), TALAD_EINVAL);
	assert_int_equal(discount_parse("12.5", 0, &d, NULL, 0), TALAD_EINVAL);
}

static void test_discount_kind_names(void **state)
{
	enum discount_kind k;
	(void)state;

	assert_string_equal(discount_kind_name(DISCOUNT_PERCENT), "percent");
	assert_string_equal(discount_kind_name(DISCOUNT_AMOUNT), "amount");
	assert_null(discount_kind_name(DISCOUNT_NONE));
	assert_int_equal(discount_kind_parse("percent", &k), TALAD_OK);
	assert_int_equal(k, DISCOUNT_PERCENT);
	assert_int_equal(discount_kind_parse("amount", &k), TALAD_OK);
	assert_int_equal(k, DISCOUNT_AMOUNT);
	assert_int_equal(discount_kind_parse("none", &k), TALAD_EINVAL);
	assert_int_equal(discount_kind_parse("Percent", &k), TALAD_EINVAL);
	assert_int_equal(discount_kind_parse(NULL, &k), TALAD_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_protocol_example),   cmocka_unit_test(test_thai_vat_known),
	    cmocka_unit_test(test_line_discounts),     cmocka_unit_test(test_order_discount),
	    cmocka_unit_test(test_tax_rounding_modes), cmocka_unit_test(test_price_errors),
	    cmocka_unit_test(test_overflow),           cmocka_unit_test(test_add_line_validation),
	    cmocka_unit_test(test_edit_lines),         cmocka_unit_test(test_allocate_known),
	    cmocka_unit_test(test_allocate_random),    cmocka_unit_test(test_random_carts),
	    cmocka_unit_test(test_discount_parse),     cmocka_unit_test(test_discount_kind_names),
	};
	return cmocka_run_group_tests(tests, fx_setup_seed, NULL);
}
