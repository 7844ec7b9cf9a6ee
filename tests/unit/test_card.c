/* Unit tests for core/card: the Luhn check digit on known good and bad
 * numbers (and every single-digit change of a good one), the brand ranges at
 * their edges, parsing numbers as typed, and the last four digits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/err.h"
#include "core/card.h"

#include <stdio.h>
#include <string.h>

static void test_luhn_known(void **state)
{
	(void)state;
	/* The test numbers of the hosted payment providers, and real-format ones. */
	const char *good[] = {"4242424242424242", "4000000000000002", "4000000000009995",
	                      "5555555555554444", "2223003122003222", "378282246310005",
	                      "371449635398431",  "3530111333300000", "6200000000000005",
	                      "4111111111111111", "4012888888881881", "5105105105105100",
	                      "6011111111111117", "4222222222222"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!card_luhn_ok(good[i]))
			fail_msg("%s should pass the check", good[i]);
	}
	const char *bad[] = {"4242424242424241",
	                     "4000000000000001",
	                     "1234567890123456",
	                     "5555555555554445",
	                     "378282246310006",
	                     "",
	                     "42424242424",
	                     "42424242424242424242",
	                     "4242 4242 4242 4242",
	                     "424242424242424a",
	                     NULL};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (card_luhn_ok(bad[i]))
			fail_msg("%s should fail the check", bad[i] ? bad[i] : "NULL");
	}
}

/* Luhn catches every single-digit error: change each digit of a good number
 * to each other value and the check must fail. */
static void test_luhn_single_digit_errors(void **state)
{
	(void)state;
	char n[] = "4242424242424242";
	for (size_t i = 0; i < strlen(n); i++) {
		char orig = n[i];
		for (char d = '0'; d <= '9'; d++) {
			if (d == orig)
				continue;
			n[i] = d;
			if (card_luhn_ok(n))
				fail_msg("%s passes with digit %zu changed", n, i);
		}
		n[i] = orig;
	}
	assert_true(card_luhn_ok(n));
}

static void test_brand(void **state)
{
	(void)state;
	struct {
		const char *number, *brand;
	} cases[] = {
	    {"4242424242424242", "visa"},       {"4000000000000002", "visa"},
	    {"5100000000000000", "mastercard"}, {"5555555555554444", "mastercard"},
	    {"5000000000000000", "other"},      {"5600000000000000", "other"},
	    {"2221000000000000", "mastercard"}, {"2720990000000000", "mastercard"},
	    {"2220990000000000", "other"},      {"2721000000000000", "other"},
	    {"340000000000000", "amex"},        {"378282246310005", "amex"},
	    {"350000000000000", "other"},       {"3528000000000000", "jcb"},
	    {"3589990000000000", "jcb"},        {"3527990000000000", "other"},
	    {"3590000000000000", "other"},      {"6200000000000005", "unionpay"},
	    {"6011111111111117", "other"},      {"123", "other"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(card_brand(cases[i].number), cases[i].brand);
	assert_string_equal(card_brand(NULL), "other");
}

static void test_parse(void **state)
{
	(void)state;
	char out[CARD_NUMBER_MAX + 1], err[128];
	assert_int_equal(card_number_parse("4242 4242 4242 4242", out, err, sizeof(err)), TALAD_OK);
	assert_string_equal(out, "4242424242424242");
	assert_int_equal(card_number_parse("4000-0000-0000-9995", out, err, sizeof(err)), TALAD_OK);
	assert_string_equal(out, "4000000000009995");

	strcpy(out, "untouched");
	assert_int_equal(card_number_parse("4242424242424241", out, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "check digit"));
	assert_null(strstr(err, "4241")); /* a message never repeats the number */
	assert_string_equal(out, "untouched");
	assert_int_equal(card_number_parse("4242x42424242424", out, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "digits only"));
	assert_int_equal(card_number_parse("42424242", out, err, sizeof(err)), TALAD_EINVAL);
	assert_non_null(strstr(err, "at least"));
	assert_int_equal(card_number_parse("42424242424242424242", out, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "at most"));
	assert_int_equal(card_number_parse("", out, NULL, 0), TALAD_EINVAL);
	assert_int_equal(card_number_parse(NULL, out, NULL, 0), TALAD_EINVAL);
}

static void test_last4_and_wipe(void **state)
{
	(void)state;
	char l4[5];
	card_last4("4242424242424242", l4);
	assert_string_equal(l4, "4242");
	card_last4("4000000000009995", l4);
	assert_string_equal(l4, "9995");
	card_last4("123", l4);
	assert_string_equal(l4, "");
	card_last4(NULL, l4);
	assert_string_equal(l4, "");

	char n[] = "4242424242424242";
	card_wipe(n, sizeof(n));
	for (size_t i = 0; i < sizeof(n); i++)
		assert_int_equal(n[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_luhn_known),     cmocka_unit_test(test_luhn_single_digit_errors),
	    cmocka_unit_test(test_brand),          cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_last4_and_wipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
