/* Unit tests for core/tax: known Thai VAT and US sales tax values, rate
 * parsing and formatting, rounding-mode names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/err.h"
#include "core/tax.h"

#include <stdint.h>
#include <string.h>

static void test_included_known(void **state)
{
	static const struct {
		int64_t gross, rate, want;
	} cases[] = {
	    {10700, 70000, 700}, /* 107.00 THB incl. 7 % VAT: 7.00 */
	    {10000, 70000, 654}, /* 100.00: 6.542 -> 6.54 */
	    {9000, 70000, 589},  /* 90.00: 5.887 -> 5.89 (PROTOCOL example) */
	    {100, 70000, 7},     /* 1.00: 0.0654 -> 0.07 */
	    {5350, 70000, 350},  /* 53.50: exactly 3.50 */
	    {1, 70000, 0},       /* 0.01: 0.0007 -> 0 */
	    {0, 70000, 0},
	    {10000, 0, 0},
	    {10000, 1000000, 5000},                 /* 100 %: half of the gross */
	    {12000, 200000, 2000},                  /* UK VAT 20 %: 120.00 -> 20.00 */
	    {11900, 190000, 1900},                  /* German VAT 19 % */
	    {-10000, 70000, -654},                  /* a refund mirrors the sale */
	    {INT64_MAX, 70000, 603398170635359165}, /* 128-bit intermediate */
	};
	int64_t tax;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tax = 42;
		assert_int_equal(tax_included_part(cases[i].gross, cases[i].rate, &tax), TALAD_OK);
		if (tax != cases[i].want)
			print_error("case %zu: got %lld\n", i, (long long)tax);
		assert_true(tax == cases[i].want);
	}
	tax = 42;
	assert_int_equal(tax_included_part(100, -1, &tax), TALAD_EINVAL);
	assert_int_equal(tax_included_part(100, 1000001, &tax), TALAD_EINVAL);
	assert_true(tax == 42);
}

static void test_excluded_known(void **state)
{
	static const struct {
		int64_t net, rate, want;
	} cases[] = {
	    {10000, 88750, 888},                    /* New York 8.875 % on 100.00: 8.875 -> 8.88 */
	    {10000, 70000, 700}, {1000, 88750, 89}, /* 0.8875 -> 0.89 */
	    {400, 88750, 36},                       /* 0.355 -> 0.36 (half away from zero) */
	    {-400, 88750, -36},  {3, 70000, 0},     /* 0.0021 */
	    {10000, 0, 0},       {10000, 1000000, 10000}, {INT64_MAX, 1000000, INT64_MAX},
	};
	int64_t tax;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tax = 42;
		assert_int_equal(tax_on_excluded(cases[i].net, cases[i].rate, &tax), TALAD_OK);
		if (tax != cases[i].want)
			print_error("case %zu: got %lld\n", i, (long long)tax);
		assert_true(tax == cases[i].want);
	}
	tax = 42;
	assert_int_equal(tax_on_excluded(100, -1, &tax), TALAD_EINVAL);
	assert_int_equal(tax_on_excluded(100, TAX_PPM_ONE + 1, &tax), TALAD_EINVAL);
	assert_true(tax == 42);
}

/* Including tax and taking it out again must give back the net for every
 * price a Thai shop can have, give or take the one satang of rounding. */
static void test_included_consistent(void **state)
{
	(void)state;

	for (int64_t net = 0; net < 200000; net += 7) {
		int64_t added, gross, part;
		assert_int_equal(tax_on_excluded(net, 70000, &added), TALAD_OK);
		gross = net + added;
		assert_int_equal(tax_included_part(gross, 70000, &part), TALAD_OK);
		assert_true(part - added >= -1 && part - added <= 1);
		assert_true(part >= 0 && part <= gross);
	}
}

static void test_rate_parse(void **state)
{
	static const struct {
		const char *s;
		int64_t want;
	} good[] = {
	    {"7", 70000},          {"7.5", 75000}, {"8.875", 88750}, {"0", 0},
	    {"100", 1000000},      {"0.0001", 1},  {"19", 190000},   {"20.00", 200000},
	    {"100.0000", 1000000}, {"07", 70000},
	};
	static const char *bad[] = {
	    "",    "-1",  "-0",  "12.34567", "100.0001",
	    "101", "abc", "7%",  " 7",       "7 ",
	    "7.",  ".5",  "1e1", "+7",       "9999999999999999999999",
	};
	int64_t r;
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		r = -1;
		assert_int_equal(tax_rate_parse(good[i].s, &r), TALAD_OK);
		assert_true(r == good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = 42;
		if (tax_rate_parse(bad[i], &r) != TALAD_EINVAL)
			print_error("accepted '%s'\n", bad[i]);
		assert_int_equal(tax_rate_parse(bad[i], &r), TALAD_EINVAL);
		assert_true(r == 42);
	}
	assert_int_equal(tax_rate_parse(NULL, &r), TALAD_EINVAL);
}

static void test_rate_format(void **state)
{
	static const struct {
		int64_t ppm;
		const char *want;
	} cases[] = {
	    {70000, "7"},     {75000, "7.5"},       {88750, "8.875"},       {0, "0"},
	    {1000000, "100"}, {1, "0.0001"},        {100000, "10"},         {999999, "99.9999"},
	    {-1, "invalid"},  {1000001, "invalid"}, {INT64_MIN, "invalid"},
	};
	char out[TAX_RATE_STRLEN];
	int64_t back;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tax_rate_format(cases[i].ppm, out);
		assert_string_equal(out, cases[i].want);
	}
	/* every valid rate survives a round trip */
	for (int64_t ppm = 0; ppm <= TAX_PPM_ONE; ppm += 1 + ppm / 50) {
		tax_rate_format(ppm, out);
		assert_int_equal(tax_rate_parse(out, &back), TALAD_OK);
		assert_true(back == ppm);
	}
}

static void test_rounding_names(void **state)
{
	enum tax_rounding r;
	(void)state;

	assert_int_equal(tax_rounding_parse("line", &r), TALAD_OK);
	assert_int_equal(r, TAX_ROUND_LINE);
	assert_int_equal(tax_rounding_parse("order", &r), TALAD_OK);
	assert_int_equal(r, TAX_ROUND_ORDER);
	assert_int_equal(tax_rounding_parse("Order", &r), TALAD_EINVAL);
	assert_int_equal(tax_rounding_parse("", &r), TALAD_EINVAL);
	assert_int_equal(tax_rounding_parse(NULL, &r), TALAD_EINVAL);
	assert_string_equal(tax_rounding_name(TAX_ROUND_LINE), "line");
	assert_string_equal(tax_rounding_name(TAX_ROUND_ORDER), "order");
	assert_string_equal(tax_rounding_name((enum tax_rounding)9), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_included_known),      cmocka_unit_test(test_excluded_known),
	    cmocka_unit_test(test_included_consistent), cmocka_unit_test(test_rate_parse),
	    cmocka_unit_test(test_rate_format),         cmocka_unit_test(test_rounding_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
