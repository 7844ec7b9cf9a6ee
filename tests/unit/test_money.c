/* Unit tests for core/money: currencies, parsing and its error messages,
 * formatting, overflow-checked arithmetic, rounding; randomized round trips
 * with a fixed seed (TALAD_TEST_SEED overrides it, printed on failure). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../lib/fixtures.h"
#include "common/err.h"
#include "core/money.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A random amount: often small, sometimes at the edges of int64_t. */
static int64_t rnd_amount(void)
{
	switch (fx_rnd() % 6) {
	case 0:
		return (int64_t)(fx_rnd() % 1000) - 500;
	case 1:
		return (int64_t)(fx_rnd() % 100000000);
	case 2:
		return INT64_MAX - (int64_t)(fx_rnd() % 1000);
	case 3:
		return INT64_MIN + (int64_t)(fx_rnd() % 1000);
	default:
		return (int64_t)fx_rnd();
	}
}

static void test_currency_lookup(void **state)
{
	static const struct {
		const char *code;
		int exponent;
	} want[] = {
	    {"THB", 2}, {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"JPY", 0}, {"KRW", 0}, {"VND", 0},
	    {"KWD", 3}, {"BHD", 3}, {"OMR", 3}, {"CHF", 2}, {"SGD", 2}, {"MYR", 2}, {"IDR", 2},
	    {"PHP", 2}, {"LAK", 2}, {"MMK", 2}, {"KHR", 2}, {"CNY", 2}, {"HKD", 2}, {"TWD", 2},
	    {"INR", 2}, {"AUD", 2}, {"NZD", 2}, {"CAD", 2},
	};
	struct currency c;
	(void)state;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(currency_lookup(want[i].code, &c), TALAD_OK);
		assert_string_equal(c.code, want[i].code);
		assert_int_equal(c.exponent, want[i].exponent);
	}
	assert_int_equal(currency_lookup("thb", &c), TALAD_OK);
	assert_string_equal(c.code, "THB");
	assert_int_equal(currency_lookup("jPy", &c), TALAD_OK);
	assert_int_equal(c.exponent, 0);
	assert_int_equal(currency_lookup("XYZ", &c), TALAD_ENOTFOUND);
	assert_int_equal(currency_lookup("", &c), TALAD_ENOTFOUND);
	assert_int_equal(currency_lookup("TH", &c), TALAD_ENOTFOUND);
	assert_int_equal(currency_lookup("THBX", &c), TALAD_ENOTFOUND);
	assert_int_equal(currency_lookup(NULL, &c), TALAD_ENOTFOUND);
}

static void test_parse_good(void **state)
{
	static const struct {
		const char *s;
		int exponent;
		int64_t want;
	} cases[] = {
	    {"120.5", 2, 12050},
	    {"-3", 2, -300},
	    {"0.25", 2, 25},
	    {"0", 2, 0},
	    {"-0", 2, 0},
	    {"007", 2, 700},
	    {"12.34", 2, 1234},
	    {"0.05", 2, 5},
	    {"-0.05", 2, -5},
	    {"500", 0, 500},
	    {"1.234", 3, 1234},
	    {"1.2", 3, 1200},
	    {"92233720368547758.07", 2, INT64_MAX},
	    {"-92233720368547758.08", 2, INT64_MIN},
	    {"9223372036854775807", 0, INT64_MAX},
	    {"-9223372036854775808", 0, INT64_MIN},
	    {"0000000000000000000000000001", 0, 1},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 42;
		char err[128] = "";
		int rc = money_parse(cases[i].s, cases[i].exponent, &v, err, sizeof(err));
		if (rc != TALAD_OK || v != cases[i].want)
			print_error("%s: rc %d value %lld (%s)\n", cases[i].s, rc, (long long)v,
			            err);
		assert_int_equal(rc, TALAD_OK);
		assert_true(v == cases[i].want);
	}
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *s;
		int exponent;
		int rc;
		const char *msg; /* expected in the message */
	} cases[] = {
	    {"12.345", 2, TALAD_EINVAL, "too many decimal places for this currency (2 allowed)"},
	    {"12.5", 0, TALAD_EINVAL, "too many decimal places for this currency (0 allowed)"},
	    {"12.340", 2, TALAD_EINVAL, "too many decimal places"},
	    {"abc", 2, TALAD_EINVAL, "not a number: abc"},
	    {"-", 2, TALAD_EINVAL, "not a number: -"},
	    {"", 2, TALAD_EINVAL, "empty amount"},
	    {"1e5", 2, TALAD_EINVAL, "not a number: 1e5"},
	    {" 12", 2, TALAD_EINVAL, "spaces are not allowed"},
	    {"12 ", 2, TALAD_EINVAL, "spaces are not allowed"},
	    {"1 000", 2, TALAD_EINVAL, "spaces are not allowed"},
	    {"1,000.00", 2, TALAD_EINVAL, "grouping commas are not allowed"},
	    {"+5", 2, TALAD_EINVAL, "only one leading '-'"},
	    {"--5", 2, TALAD_EINVAL, "only one leading '-'"},
	    {"5-", 2, TALAD_EINVAL, "only one leading '-'"},
	    {"12.", 2, TALAD_EINVAL, "no digits after the decimal point: 12."},
	    {".5", 2, TALAD_EINVAL, "no digits before the decimal point: .5 (write 0.5)"},
	    {"-.5", 2, TALAD_EINVAL, "(write -0.5)"},
	    {".", 2, TALAD_EINVAL, "not a number: ."},
	    {"1.2.3", 2, TALAD_EINVAL, "not a number: 1.2.3"},
	    {"0x10", 2, TALAD_EINVAL, "not a number: 0x10"},
	    {"١٢", 2, TALAD_EINVAL, "not a number"},
	    {"92233720368547758.08", 2, TALAD_ERANGE, "amount too large"},
	    {"-92233720368547758.09", 2, TALAD_ERANGE, "amount too large"},
	    {"9223372036854775808", 0, TALAD_ERANGE, "amount too large"},
	    {"-9223372036854775809", 0, TALAD_ERANGE, "amount too large"},
	    {"99999999999999999999999999", 2, TALAD_ERANGE, "amount too large"},
	    {"1", -1, TALAD_EINVAL, "bad currency exponent"},
	    {"1", 19, TALAD_EINVAL, "bad currency exponent"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 42;
		char err[128] = "";
		int rc = money_parse(cases[i].s, cases[i].exponent, &v, err, sizeof(err));
		if (rc != cases[i].rc || !strstr(err, cases[i].msg))
			print_error("'%s': rc %d message '%s'\n", cases[i].s, rc, err);
		assert_int_equal(rc, cases[i].rc);
		assert_non_null(strstr(err, cases[i].msg));
		assert_true(v == 42); /* untouched on failure */
		/* the same without a message buffer */
		assert_int_equal(money_parse(cases[i].s, cases[i].exponent, &v, NULL, 0),
		                 cases[i].rc);
	}
	int64_t v = 42;
	assert_int_equal(money_parse(NULL, 2, &v, NULL, 0), TALAD_EINVAL);

	/* a short buffer gets a truncated, terminated message */
	char small[8];
	memset(small, 'x', sizeof(small));
	assert_int_equal(money_parse("abc", 2, &v, small, sizeof(small)), TALAD_EINVAL);
	assert_string_equal(small, "not a n");
}

static void test_format(void **state)
{
	static const struct {
		int64_t v;
		int exponent;
		const char *plain, *grouped;
	} cases[] = {
	    {123450, 2, "1234.50", "1,234.50"},
	    {-5, 2, "-0.05", "-0.05"},
	    {7, 0, "7", "7"},
	    {0, 2, "0.00", "0.00"},
	    {0, 0, "0", "0"},
	    {999, 2, "9.99", "9.99"},
	    {100000, 2, "1000.00", "1,000.00"},
	    {100000000, 2, "1000000.00", "1,000,000.00"},
	    {-123456789, 0, "-123456789", "-123,456,789"},
	    {1234, 3, "1.234", "1.234"},
	    {-1, 3, "-0.001", "-0.001"},
	    {123456, 3, "123.456", "123.456"},
	    {INT64_MAX, 2, "92233720368547758.07", "92,233,720,368,547,758.07"},
	    {INT64_MIN, 2, "-92233720368547758.08", "-92,233,720,368,547,758.08"},
	    {INT64_MIN, 0, "-9223372036854775808", "-9,223,372,036,854,775,808"},
	    {1, 18, "0.000000000000000001", "0.000000000000000001"},
	};
	char out[MONEY_STRLEN];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		money_format(cases[i].v, cases[i].exponent, out);
		assert_string_equal(out, cases[i].plain);
		money_format_grouped(cases[i].v, cases[i].exponent, out);
		assert_string_equal(out, cases[i].grouped);
	}
}

static void strip_commas(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s != ',')
			*o++ = *s;
	}
	*o = '\0';
}

static void test_roundtrip_random(void **state)
{
	char out[MONEY_STRLEN], err[128];
	(void)state;

	for (int iter = 0; iter < 20000; iter++) {
		int exponent = (int)(fx_rnd() % 5); /* 0..4: every currency and tax rates */
		int64_t v = rnd_amount(), back = 0;
		int rc;

		money_format(v, exponent, out);
		FX_CHECK(strlen(out) < MONEY_STRLEN, iter);
		rc = money_parse(out, exponent, &back, err, sizeof(err));
		FX_CHECK(rc == TALAD_OK, iter);
		FX_CHECK(back == v, iter);

		money_format_grouped(v, exponent, out);
		strip_commas(out);
		rc = money_parse(out, exponent, &back, err, sizeof(err));
		FX_CHECK(rc == TALAD_OK && back == v, iter);
	}
}

static void test_arith(void **state)
{
	int64_t r = 42;
	(void)state;

	assert_int_equal(money_add(1, 2, &r), TALAD_OK);
	assert_true(r == 3);
	assert_int_equal(money_add(INT64_MAX, -1, &r), TALAD_OK);
	assert_true(r == INT64_MAX - 1);
	r = 42;
	assert_int_equal(money_add(INT64_MAX, 1, &r), TALAD_ERANGE);
	assert_int_equal(money_add(INT64_MIN, -1, &r), TALAD_ERANGE);
	assert_true(r == 42);

	assert_int_equal(money_sub(5, 7, &r), TALAD_OK);
	assert_true(r == -2);
	r = 42;
	assert_int_equal(money_sub(INT64_MIN, 1, &r), TALAD_ERANGE);
	assert_int_equal(money_sub(0, INT64_MIN, &r), TALAD_ERANGE);
	assert_true(r == 42);
	assert_int_equal(money_sub(-1, INT64_MIN, &r), TALAD_OK);
	assert_true(r == INT64_MAX);

	assert_int_equal(money_mul(4500, 2, &r), TALAD_OK);
	assert_true(r == 9000);
	r = 42;
	assert_int_equal(money_mul(INT64_MAX / 2 + 1, 2, &r), TALAD_ERANGE);
	assert_int_equal(money_mul(INT64_MIN, -1, &r), TALAD_ERANGE);
	assert_true(r == 42);
	assert_int_equal(money_mul(INT64_MIN, 1, &r), TALAD_OK);
	assert_true(r == INT64_MIN);
}

static void test_muldiv(void **state)
{
	static const struct {
		int64_t a, num, den, want;
	} cases[] = {
	    {10000, 7, 107, 654}, /* 654.2 */
	    {10700, 7, 107, 700},
	    {-10000, 7, 107, -654},
	    {5, 1, 2, 3},   /* 2.5 away from zero */
	    {-5, 1, 2, -3}, /* -2.5 away from zero */
	    {3, 1, 2, 2},
	    {1, 1, 3, 0},
	    {2, 1, 3, 1},
	    {-2, 1, 3, -1},
	    {0, 5, 7, 0},
	    {10000, 88750, 1000000, 888}, /* 887.5 */
	    {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX},
	    {INT64_MIN, INT64_MAX, INT64_MAX, INT64_MIN},
	    {INT64_MIN, 1, 1, INT64_MIN},
	    {INT64_MAX, 1, 2, INT64_MAX / 2 + 1},
	};
	int64_t r;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = 42;
		assert_int_equal(money_muldiv(cases[i].a, cases[i].num, cases[i].den, &r),
		                 TALAD_OK);
		if (r != cases[i].want)
			print_error("case %zu: got %lld\n", i, (long long)r);
		assert_true(r == cases[i].want);
	}
	r = 42;
	assert_int_equal(money_muldiv(1, 1, 0, &r), TALAD_EINVAL);
	assert_int_equal(money_muldiv(1, 1, -1, &r), TALAD_EINVAL);
	assert_int_equal(money_muldiv(INT64_MAX, 2, 1, &r), TALAD_ERANGE);
	assert_int_equal(money_muldiv(INT64_MIN, -1, 1, &r), TALAD_ERANGE);
	assert_true(r == 42);
}

/* Checks the rounding of random products against its definition rather than
 * a second implementation: |p - q*den| <= den/2, ties away from zero. */
static void test_muldiv_random(void **state)
{
	(void)state;

	for (int iter = 0; iter < 20000; iter++) {
		int64_t a = rnd_amount();
		int64_t num = (int64_t)(fx_rnd() % 2000001) - 1000000;
		int64_t den = 1 + (int64_t)(fx_rnd() % (fx_rnd() % 2 ? 2000000 : INT64_MAX));
		int64_t q;
		__int128 p = (__int128)a * num;
		__int128 wq = p / den;
		int rc = money_muldiv(a, num, den, &q);

		/* Rounding moves the truncated quotient away from zero or not at
		 * all, so only a quotient at or past the edge can overflow. */
		if (rc == TALAD_ERANGE) {
			FX_CHECK(wq >= INT64_MAX || wq <= INT64_MIN, iter);
			continue;
		}
		FX_CHECK(rc == TALAD_OK, iter);
		__int128 diff = p - (__int128)q * den;
		__int128 ad = diff < 0 ? -diff : diff;
		FX_CHECK(2 * ad <= den, iter);
		if (2 * ad == den) /* a tie: the result is the one further from 0 */
			FX_CHECK((p >= 0 && diff <= 0) || (p < 0 && diff >= 0), iter);
	}
}

static void test_round_to(void **state)
{
	static const struct {
		int64_t v, inc, want;
	} cases[] = {
	    {9990, 25, 10000},
	    {9987, 25, 9975},
	    {-9990, 25, -10000},
	    {-9987, 25, -9975},
	    {12, 25, 0},
	    {13, 25, 25},
	    {-13, 25, -25},
	    {125, 50, 150},
	    {-125, 50, -150},
	    {175, 50, 200},
	    {100, 25, 100},
	    {0, 25, 0},
	    {7, 1, 7},
	    {12345, 5, 12345},
	    {12347, 5, 12345},
	    {12348, 5, 12350},
	    {INT64_MIN, 1, INT64_MIN},
	    {INT64_MAX, 1, INT64_MAX},
	    {INT64_MAX - 400, 1000, INT64_MAX - 807},
	};
	int64_t r;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = 42;
		assert_int_equal(money_round_to(cases[i].v, cases[i].inc, &r), TALAD_OK);
		if (r != cases[i].want)
			print_error("case %zu: got %lld\n", i, (long long)r);
		assert_true(r == cases[i].want);
	}
	r = 42;
	assert_int_equal(money_round_to(100, 0, &r), TALAD_EINVAL);
	assert_int_equal(money_round_to(100, -25, &r), TALAD_EINVAL);
	assert_int_equal(money_round_to(INT64_MAX, 1000, &r), TALAD_ERANGE);
	assert_int_equal(money_round_to(INT64_MIN, 1000, &r), TALAD_ERANGE);
	assert_true(r == 42);
}

static void test_round_to_random(void **state)
{
	(void)state;

	for (int iter = 0; iter < 20000; iter++) {
		int64_t v = (int64_t)(fx_rnd() % 2000000001) - 1000000000;
		int64_t inc = 1 + (int64_t)(fx_rnd() % 1000);
		int64_t r;
		FX_CHECK(money_round_to(v, inc, &r) == TALAD_OK, iter);
		FX_CHECK(r % inc == 0, iter);
		int64_t d = r - v, ad = d < 0 ? -d : d;
		FX_CHECK(2 * ad <= inc, iter);
		if (2 * ad == inc)
			FX_CHECK((v >= 0 && d > 0) || (v < 0 && d < 0), iter);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_currency_lookup),  cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_bad),        cmocka_unit_test(test_format),
	    cmocka_unit_test(test_roundtrip_random), cmocka_unit_test(test_arith),
	    cmocka_unit_test(test_muldiv),           cmocka_unit_test(test_muldiv_random),
	    cmocka_unit_test(test_round_to),         cmocka_unit_test(test_round_to_random),
	};
	return cmocka_run_group_tests(tests, fx_setup_seed, NULL);
}
