/* Unit tests for the back office's test payment gateway: what each test card
 * number decides, that only brand and last four digits come back (never the
 * number), that references are distinct and marked as the test gateway's,
 * and that capture and release take only its own references. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/err.h"
#include "server/gateway.h"

#include <stdio.h>
#include <string.h>

static void authorize(const char *number, struct gateway_decision *d)
{
	const struct gateway *g = gateway_default();
	memset(d, 0x55, sizeof(*d)); /* garbage the gateway must overwrite */
	assert_int_equal(g->authorize(g, number, 9000, "THB", d), TALAD_OK);
}

/* Nothing of the number but brand and last four digits may come back. */
static void assert_no_number(const struct gateway_decision *d, const char *number)
{
	char middle[9];
	size_t n = strlen(number);
	if (n < 12)
		return;
	memcpy(middle, number + 4, 8);
	middle[8] = '\0';
	assert_null(strstr(d->message, middle));
	assert_null(strstr(d->ref, middle));
	assert_true(strlen(d->last4) <= 4);
}

static void test_decisions(void **state)
{
	(void)state;
	struct {
		const char *number;
		bool approved;
		const char *code, *brand, *last4;
	} cases[] = {
	    {"4242424242424242", true, "", "visa", "4242"},
	    {"4242 4242 4242 4242", true, "", "visa", "4242"},
	    {"4000000000000002", false, "card_declined", "visa", "0002"},
	    {"4000000000009995", false, "insufficient_funds", "visa", "9995"},
	    /* Luhn-valid numbers the test gateway does not know: invalid. */
	    {"4111111111111111", false, "invalid_number", "visa", "1111"},
	    {"5555555555554444", false, "invalid_number", "mastercard", "4444"},
	    {"378282246310005", false, "invalid_number", "amex", "0005"},
	    /* A wrong check digit or no number at all: invalid, no card details. */
	    {"4242424242424241", false, "invalid_number", "", ""},
	    {"not a number", false, "invalid_number", "", ""},
	    {"", false, "invalid_number", "", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gateway_decision d;
		authorize(cases[i].number, &d);
		if (d.approved != cases[i].approved || strcmp(d.code, cases[i].code))
			fail_msg("%s: approved %d code '%s'", cases[i].number, d.approved, d.code);
		assert_string_equal(d.brand, cases[i].brand);
		assert_string_equal(d.last4, cases[i].last4);
		assert_true(d.message[0] != '\0');
		assert_int_equal(strncmp(d.ref, "test_", 5), 0);
		assert_no_number(&d, cases[i].number);
	}
}

static void test_decide_matches_authorize(void **state)
{
	(void)state;
	const char *numbers[] = {"4242424242424242", "4000000000000002", "4000000000009995",
	                         "6200000000000005"};
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		struct gateway_decision a, b;
		authorize(numbers[i], &a);
		gateway_test_decide(numbers[i], &b);
		assert_int_equal(a.approved, b.approved);
		assert_string_equal(a.code, b.code);
		assert_string_equal(b.ref, ""); /* decide makes no reference */
	}
}

static void test_refs_distinct(void **state)
{
	(void)state;
	struct gateway_decision a, b;
	authorize("4242424242424242", &a);
	authorize("4242424242424242", &b);
	assert_string_not_equal(a.ref, b.ref);
	assert_int_equal(strlen(a.ref), strlen("test_") + 24);
}

static void test_zero_amount_declined(void **state)
{
	(void)state;
	const struct gateway *g = gateway_default();
	struct gateway_decision d;
	assert_int_equal(g->authorize(g, "4242424242424242", 0, "THB", &d), TALAD_OK);
	assert_false(d.approved);
	assert_string_equal(d.code, "invalid_amount");
}

static void test_table_and_label(void **state)
{
	(void)state;
	const struct gateway *g = gateway_default();
	assert_ptr_equal(gateway_find("test"), g);
	assert_null(gateway_find("stripe"));
	assert_null(gateway_find(NULL));
	assert_true(g->test);
	assert_string_equal(g->name, "test");
	assert_non_null(strstr(g->label, "TEST GATEWAY"));
	assert_non_null(strstr(g->label, "no real money moves"));
	assert_int_equal(g->capture(g, "test_0123", 100), TALAD_OK);
	assert_int_equal(g->release(g, "test_0123"), TALAD_OK);
	assert_int_equal(g->capture(g, "ch_live_0123", 100), TALAD_EREFUSED);
	assert_int_equal(g->release(g, "ch_live_0123"), TALAD_EREFUSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decisions),       cmocka_unit_test(test_decide_matches_authorize),
	    cmocka_unit_test(test_refs_distinct),   cmocka_unit_test(test_zero_amount_declined),
	    cmocka_unit_test(test_table_and_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
