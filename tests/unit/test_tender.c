/* Unit tests for core/tender: kind names, the cashier's tender forms and
 * their errors, settlement with split payments, change and cash rounding,
 * and random tender lists whose settlements must add up (seed printed on
 * failure; TALAD_TEST_SEED overrides it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../lib/fixtures.h"
#include "common/err.h"
#include "core/money.h"
#include "core/tender.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_kinds(void **state)
{
	enum tender_kind k;
	(void)state;

	assert_string_equal(tender_kind_name(TENDER_CASH), "cash");
	assert_string_equal(tender_kind_name(TENDER_CARD), "card");
	assert_string_equal(tender_kind_name(TENDER_GIFT_CARD), "gift_card");
	assert_string_equal(tender_kind_name(TENDER_CUSTOM), "custom");
	for (int i = TENDER_CASH; i <= TENDER_CUSTOM; i++) {
		assert_int_equal(tender_kind_parse(tender_kind_name((enum tender_kind)i), &k),
		                 TALAD_OK);
		assert_int_equal(k, i);
	}
	assert_int_equal(tender_kind_parse("gift", &k), TALAD_EINVAL);
	assert_int_equal(tender_kind_parse("Cash", &k), TALAD_EINVAL);
	assert_int_equal(tender_kind_parse("", &k), TALAD_EINVAL);
	assert_int_equal(tender_kind_parse(NULL, &k), TALAD_EINVAL);

	/* what works offline */
	assert_false(tender_needs_backoffice(TENDER_CASH));
	assert_false(tender_needs_backoffice(TENDER_CUSTOM));
	assert_true(tender_needs_backoffice(TENDER_CARD));
	assert_true(tender_needs_backoffice(TENDER_GIFT_CARD));
}

static void test_parse_good(void **state)
{
	static const struct {
		const char *spec;
		int exponent;
		enum tender_kind kind;
		const char *name;
		bool has_amount;
		int64_t amount;
	} cases[] = {
	    {"cash", 2, TENDER_CASH, "", false, 0},
	    {"cash:100", 2, TENDER_CASH, "", true, 10000},
	    {"CASH:100", 2, TENDER_CASH, "", true, 10000},
	    {"card", 2, TENDER_CARD, "", false, 0},
	    {"card:50.25", 2, TENDER_CARD, "", true, 5025},
	    {"gift:ABCD-1234", 2, TENDER_GIFT_CARD, "ABCD-1234", false, 0},
	    {"gift:ABCD-1234:100", 2, TENDER_GIFT_CARD, "ABCD-1234", true, 10000},
	    {"custom:PromptPay QR", 2, TENDER_CUSTOM, "PromptPay QR", false, 0},
	    {"custom:Bank transfer:250", 2, TENDER_CUSTOM, "Bank transfer", true, 25000},
	    {"custom:Ref: ABC", 2, TENDER_CUSTOM, "Ref: ABC", false, 0},
	    {"custom:Ref: ABC:5", 2, TENDER_CUSTOM, "Ref: ABC", true, 500},
	    {"custom:พร้อมเพย์", 2, TENDER_CUSTOM, "พร้อมเพย์", false, 0},
	    {"cash:1000", 0, TENDER_CASH, "", true, 1000},
	    {"card:1.005", 3, TENDER_CARD, "", true, 1005},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tender t;
		char err[128] = "";
		int rc;

		memset(&t, 0x55, sizeof(t));
		rc = tender_parse(cases[i].spec, cases[i].exponent, &t, err, sizeof(err));
		if (rc)
			print_error("'%s': %s\n", cases[i].spec, err);
		assert_int_equal(rc, TALAD_OK);
		assert_int_equal(t.kind, cases[i].kind);
		assert_string_equal(t.name, cases[i].name);
		assert_int_equal(t.has_amount, cases[i].has_amount);
		assert_true(t.amount == cases[i].amount);
	}
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *spec;
		int exponent;
		const char *msg;
	} cases[] = {
	    {"", 2, "empty tender"},
	    {"bitcoin", 2, "unknown tender: bitcoin"},
	    {"gift_card:X", 2, "unknown tender: gift_card"},
	    {"cashier", 2, "unknown tender"},
	    {"cash:", 2, "missing amount"},
	    {"cash:abc", 2, "not a number: abc"},
	    {"cash:0", 2, "more than zero"},
	    {"cash:-5", 2, "more than zero"},
	    {"cash:100.5", 0, "too many decimal places for this currency (0 allowed)"},
	    {"card:12.345", 2, "too many decimal places"},
	    {"card:1,000", 2, "grouping commas"},
	    {"card: 5", 2, "spaces are not allowed"},
	    {"cash:99999999999999999999", 2, "amount too large"},
	    {"gift", 2, "needs a code"},
	    {"gift:", 2, "needs a code"},
	    {"gift::100", 2, "needs a code"},
	    {"gift:AB CD", 2, "bad gift card code"},
	    {"gift:ABCD:", 2, "missing amount"},
	    {"gift:ABCD:x", 2, "not a number"},
	    {"gift:ABCD:1:2", 2, "not a number: 1:2"},
	    {"custom", 2, "needs a name"},
	    {"custom:", 2, "needs a name"},
	    {"custom: ", 2, "needs a name"},
	    {"custom: PromptPay", 2, "leading or trailing spaces"},
	    {"custom::100", 2, "needs a name"},
	    {"custom:Bank transfer:12.345", 2, "too many decimal places"},
	    {"custom:Bank transfer:", 2, "missing amount"},
	    {"custom:Bank transfer:-3", 2, "more than zero"},
	    {"custom:tab\there", 2, "control characters"},
	    {"custom:bad \xff", 2, "control characters"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tender t;
		char err[128] = "";
		int rc;

		memset(&t, 0x55, sizeof(t));
		rc = tender_parse(cases[i].spec, cases[i].exponent, &t, err, sizeof(err));
		if (rc != TALAD_EINVAL || !strstr(err, cases[i].msg))
			print_error("'%s': rc %d '%s'\n", cases[i].spec, rc, err);
		assert_int_equal(rc, TALAD_EINVAL);
		assert_non_null(strstr(err, cases[i].msg));
		assert_int_equal(t.kind, 0x55555555); /* untouched */
		assert_int_equal(tender_parse(cases[i].spec, cases[i].exponent, &t, NULL, 0),
		                 TALAD_EINVAL);
	}

	/* names and codes up to 63 bytes */
	char spec[128], name[80];
	struct tender t;
	memset(name, 'N', 63);
	name[63] = '\0';
	snprintf(spec, sizeof(spec), "custom:%s", name);
	assert_int_equal(tender_parse(spec, 2, &t, NULL, 0), TALAD_OK);
	assert_string_equal(t.name, name);
	snprintf(spec, sizeof(spec), "gift:%s:1", name);
	assert_int_equal(tender_parse(spec, 2, &t, NULL, 0), TALAD_OK);
	assert_string_equal(t.name, name);
	strcat(name, "N");
	snprintf(spec, sizeof(spec), "custom:%s", name);
	assert_int_equal(tender_parse(spec, 2, &t, NULL, 0), TALAD_EINVAL);
	snprintf(spec, sizeof(spec), "gift:%s", name);
	assert_int_equal(tender_parse(spec, 2, &t, NULL, 0), TALAD_EINVAL);
	assert_int_equal(tender_parse(NULL, 2, &t, NULL, 0), TALAD_EINVAL);
}

static struct tender T(enum tender_kind kind, const char *name, int64_t amount) {
	struct tender t;
	memset(&t, 0, sizeof(t));
	t.kind = kind;
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.has_amount = amount > 0;
	t.amount = amount;
	return t;
}

static void
settle_ok(int64_t total, const struct tender *t, size_t n, int64_t inc, struct settlement *s)
{
	char err[128] = "";
	int rc = tender_settle(total, t, n, inc, s, err, sizeof(err));
	if (rc)
		print_error("tender_settle: %s\n", err);
	assert_int_equal(rc, TALAD_OK);
}

static void test_settle_known(void **state)
{
	struct settlement s;
	struct tender t[4];
	(void)state;

	/* 90.00 paid with a 100 note */
	t[0] = T(TENDER_CASH, "", 10000);
	settle_ok(9000, t, 1, 0, &s);
	assert_int_equal(s.npayments, 1);
	assert_int_equal(s.payments[0].kind, TENDER_CASH);
	assert_true(s.payments[0].amount == 9000 && s.payments[0].tendered == 10000);
	assert_true(s.payments[0].change == 1000);
	assert_true(s.due == 9000 && s.rounding == 0 && s.change == 1000);

	/* a custom method without an amount pays the total */
	t[0] = T(TENDER_CUSTOM, "PromptPay QR", 0);
	settle_ok(9000, t, 1, 25, &s);
	assert_int_equal(s.npayments, 1);
	assert_string_equal(s.payments[0].name, "PromptPay QR");
	assert_true(s.payments[0].amount == 9000 && s.payments[0].tendered == 9000);
	assert_true(s.payments[0].change == 0 && s.rounding == 0 && s.due == 9000);

	/* card 50, cash the rest */
	t[0] = T(TENDER_CARD, "", 5000);
	t[1] = T(TENDER_CASH, "", 0);
	settle_ok(9000, t, 2, 0, &s);
	assert_int_equal(s.npayments, 2);
	assert_true(s.payments[0].amount == 5000 && s.payments[1].amount == 4000);
	assert_true(s.payments[1].tendered == 4000 && s.change == 0);
	assert_string_equal(s.payments[0].name, "");
	assert_string_equal(s.payments[0].card_last4, "");

	/* cash rounding to 0.25: 99.90 -> 100.00 (+0.10), 99.87 -> 99.75 (-0.12) */
	t[0] = T(TENDER_CASH, "", 0);
	settle_ok(9990, t, 1, 25, &s);
	assert_true(s.payments[0].amount == 10000 && s.rounding == 10 && s.due == 10000);
	settle_ok(9987, t, 1, 25, &s);
	assert_true(s.payments[0].amount == 9975 && s.rounding == -12 && s.due == 9975);
	t[0] = T(TENDER_CASH, "", 10000);
	settle_ok(9987, t, 1, 25, &s);
	assert_true(s.payments[0].amount == 9975 && s.payments[0].change == 25);
	assert_true(s.change == 25 && s.rounding == -12);
	/* a half rounds away from zero: 0.125 over a multiple of 0.25 */
	t[0] = T(TENDER_CASH, "", 0);
	settle_ok(1125 + 12, t, 1, 25, &s); /* 11.37 -> 11.25 */
	assert_true(s.due == 1125);
	settle_ok(1150 - 12, t, 1, 25, &s); /* 11.38 -> 11.50 */
	assert_true(s.due == 1150);
	settle_ok(1125, t, 1, 50, &s); /* 11.25 to 0.50: the half goes up */
	assert_true(s.due == 1150 && s.rounding == 25);
	/* no rounding increment: exact */
	settle_ok(9987, t, 1, 0, &s);
	assert_true(s.due == 9987 && s.rounding == 0);

	/* rounding applies to the cash part only, when cash settles it */
	t[0] = T(TENDER_CARD, "", 5000);
	t[1] = T(TENDER_CASH, "", 0);
	settle_ok(9990, t, 2, 25, &s);
	assert_true(s.payments[0].amount == 5000 && s.payments[1].amount == 5000);
	assert_true(s.rounding == 10 && s.due == 10000);
	/* cash first, for a part: no rounding; the card pays the exact rest */
	t[0] = T(TENDER_CASH, "", 5000);
	t[1] = T(TENDER_CARD, "", 0);
	settle_ok(9990, t, 2, 25, &s);
	assert_true(s.payments[0].amount == 5000 && s.payments[1].amount == 4990);
	assert_true(s.rounding == 0 && s.due == 9990);
	/* all by card: no rounding at all */
	t[0] = T(TENDER_CARD, "", 0);
	settle_ok(9990, t, 1, 25, &s);
	assert_true(s.rounding == 0 && s.due == 9990 && s.payments[0].amount == 9990);

	/* a gift card for part, a custom method for the rest, then nothing */
	t[0] = T(TENDER_GIFT_CARD, "ABCD-1234", 2000);
	t[1] = T(TENDER_CUSTOM, "Bank transfer", 0);
	settle_ok(9000, t, 2, 0, &s);
	assert_string_equal(s.payments[0].name, "ABCD-1234");
	assert_true(s.payments[0].amount == 2000 && s.payments[1].amount == 7000);

	/* an order that costs nothing needs no payment */
	settle_ok(0, t, 0, 25, &s);
	assert_true(s.npayments == 0 && s.due == 0 && s.change == 0);

	/* the rounded cash part can be zero: 0.10 to 0.25 */
	t[0] = T(TENDER_CARD, "", 9980);
	t[1] = T(TENDER_CASH, "", 0);
	settle_ok(9990, t, 2, 25, &s);
	assert_true(s.payments[1].amount == 0 && s.rounding == -10 && s.due == 9980);

	/* the largest tender list */
	struct tender many[TENDER_MAX];
	for (int i = 0; i < TENDER_MAX; i++)
		many[i] = T(TENDER_CARD, "", 100);
	settle_ok(100 * TENDER_MAX, many, TENDER_MAX, 0, &s);
	assert_int_equal(s.npayments, TENDER_MAX);
}

static void test_settle_errors(void **state)
{
	static const struct settlement untouched = {.due = 4242};
	struct settlement s;
	struct tender t[TENDER_MAX + 1];
	char err[128];
	(void)state;

#define SETTLE_FAILS(total, n, inc, msg)                                                           \
	do {                                                                                       \
		s = untouched;                                                                     \
		err[0] = '\0';                                                                     \
		assert_int_equal(tender_settle((total), t, (n), (inc), &s, err, sizeof(err)),      \
		                 TALAD_EINVAL);                                                    \
		if (!strstr(err, (msg)))                                                           \
			print_error("message: %s\n", err);                                         \
		assert_non_null(strstr(err, (msg)));                                               \
		assert_true(s.due == 4242 && s.npayments == 0);                                    \
	} while (0)

	t[0] = T(TENDER_CASH, "", 2000);
	SETTLE_FAILS(9000, 1, 0, "the payments do not cover the total");
	t[0] = T(TENDER_CARD, "", 2000);
	t[1] = T(TENDER_CASH, "", 2000);
	SETTLE_FAILS(9000, 2, 0, "the payments do not cover the total");
	SETTLE_FAILS(9000, 0, 0, "the payments do not cover the total");

	/* a card or gift card or custom method cannot pay more than is due */
	t[0] = T(TENDER_CARD, "", 9001);
	SETTLE_FAILS(9000, 1, 0, "tender 1: a card payment cannot be more than is due");
	t[0] = T(TENDER_CASH, "", 5000);
	t[1] = T(TENDER_GIFT_CARD, "G1", 5000);
	SETTLE_FAILS(9000, 2, 0, "tender 2: a gift_card payment cannot be more than is due");
	t[1] = T(TENDER_CUSTOM, "Bank transfer", 4001);
	SETTLE_FAILS(9000, 2, 0, "cannot be more than is due");

	/* nothing may follow the tender that settled the order */
	t[0] = T(TENDER_CASH, "", 10000);
	t[1] = T(TENDER_CARD, "", 0);
	SETTLE_FAILS(9000, 2, 0, "tender 2: nothing left to pay");
	t[0] = T(TENDER_CARD, "", 9000);
	t[1] = T(TENDER_CASH, "", 0);
	SETTLE_FAILS(9000, 2, 0, "tender 2: nothing left to pay");
	t[0] = T(TENDER_CASH, "", 0);
	SETTLE_FAILS(0, 1, 0, "tender 1: nothing left to pay");

	/* too many tenders */
	for (int i = 0; i <= TENDER_MAX; i++)
		t[i] = T(TENDER_CARD, "", 1);
	SETTLE_FAILS(100, TENDER_MAX + 1, 0, "too many tenders (at most 8)");

	/* the exact total in cash is not enough when cash rounds up */
	t[0] = T(TENDER_CASH, "", 9990);
	SETTLE_FAILS(9990, 1, 25, "the cash does not cover the rounded amount due");
	t[0] = T(TENDER_CASH, "", 9995);
	SETTLE_FAILS(9990, 1, 25, "the cash does not cover the rounded amount due");

	/* tenders that did not come from tender_parse */
	t[0] = T(TENDER_CUSTOM, "", 0);
	SETTLE_FAILS(100, 1, 0, "tender 1: a custom tender needs a name");
	t[0] = T(TENDER_GIFT_CARD, "", 0);
	SETTLE_FAILS(100, 1, 0, "tender 1: a gift_card tender needs a name");
	t[0] = T((enum tender_kind)9, "", 0);
	SETTLE_FAILS(100, 1, 0, "unknown kind");
	t[0] = T(TENDER_CASH, "", 0);
	t[0].has_amount = true;
	SETTLE_FAILS(100, 1, 0, "more than zero");
	t[0].amount = -5;
	SETTLE_FAILS(100, 1, 0, "more than zero");

	t[0] = T(TENDER_CASH, "", 0);
	SETTLE_FAILS(-1, 1, 0, "the total cannot be negative");
	SETTLE_FAILS(100, 1, -25, "increment cannot be negative");

	/* without a message buffer */
	assert_int_equal(tender_settle(-1, t, 1, 0, &s, NULL, 0), TALAD_EINVAL);

	/* amounts at the edge of int64_t: rounding that leaves the range */
	t[0] = T(TENDER_CASH, "", 0);
	s = untouched;
	assert_int_equal(tender_settle(INT64_MAX, t, 1, 1000, &s, err, sizeof(err)), TALAD_ERANGE);
	assert_true(s.due == 4242);
	settle_ok(INT64_MAX, t, 1, 0, &s);
	assert_true(s.due == INT64_MAX);
#undef SETTLE_FAILS
}

static void test_settle_random(void **state)
{
	static const int64_t incs[] = {0, 0, 5, 25, 50, 100};
	int ok = 0, failed = 0;
	(void)state;

	for (int iter = 0; iter < 20000; iter++) {
		struct tender t[TENDER_MAX];
		struct settlement s;
		char err[128] = "";
		int64_t total =
		    fx_rnd() % 10 == 0 ? 0 : fx_rnd_range(1, fx_rnd() % 2 ? 20000 : 1000000000);
		int64_t inc = incs[fx_rnd() % 6];
		size_t n = fx_rnd() % 4 == 0 ? 1 + fx_rnd() % TENDER_MAX : 1 + fx_rnd() % 3;
		int64_t sum_amount = 0, sum_change = 0;

		for (size_t i = 0; i < n; i++) {
			enum tender_kind k = (enum tender_kind)(fx_rnd() % 4);
			int64_t amt =
			    fx_rnd() % 3 == 0 ? 0 : fx_rnd_range(1, total / (int64_t)n + 2000);
			t[i] = T(k,
			         k == TENDER_GIFT_CARD ? "GC-1"
			         : k == TENDER_CUSTOM  ? "QR"
			                               : "",
			         amt);
		}
		int rc = tender_settle(total, t, n, inc, &s, err, sizeof(err));
		if (rc != TALAD_OK) {
			FX_CHECK(rc == TALAD_EINVAL && err[0], iter);
			failed++;
			continue;
		}
		ok++;
		FX_CHECK(s.npayments == n, iter);
		for (size_t i = 0; i < s.npayments; i++) {
			const struct payment *p = &s.payments[i];
			FX_CHECK(p->kind == t[i].kind, iter);
			FX_CHECK(p->amount >= 0 && p->tendered >= p->amount, iter);
			FX_CHECK(p->change == p->tendered - p->amount, iter);
			if (p->kind != TENDER_CASH)
				FX_CHECK(p->tendered == p->amount && p->amount > 0, iter);
			if (p->change)
				FX_CHECK(p->kind == TENDER_CASH && i == s.npayments - 1, iter);
			if (t[i].has_amount)
				FX_CHECK(p->tendered == t[i].amount, iter);
			sum_amount += p->amount;
			sum_change += p->change;
		}
		FX_CHECK(sum_amount == s.due, iter);
		FX_CHECK(sum_change == s.change, iter);
		FX_CHECK(s.due == total + s.rounding, iter);
		if (inc == 0)
			FX_CHECK(s.rounding == 0, iter);
		FX_CHECK(2 * (s.rounding < 0 ? -s.rounding : s.rounding) <= inc, iter);
		if (s.rounding)
			FX_CHECK(s.payments[s.npayments - 1].kind == TENDER_CASH, iter);
	}
	/* both outcomes must be common, or the properties prove little */
	assert_true(ok > 3000 && failed > 3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kinds),         cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_bad),     cmocka_unit_test(test_settle_known),
	    cmocka_unit_test(test_settle_errors), cmocka_unit_test(test_settle_random),
	};
	return cmocka_run_group_tests(tests, fx_setup_seed, NULL);
}
