/* Unit tests for the back office's payments (server/payments.c) on a real
 * SQLite store: gift card holds and their declines, idempotent requests,
 * voids, expiry, the checks an order's payments must pass and their capture
 * exactly once, and two threads holding the same gift card at once never
 * taking it below zero. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../lib/fixtures.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "core/order.h"
#include "server/payments.h"
#include "server/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY_MS (24LL * 3600 * 1000)

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
	struct st_register reg, other;
};

static void add_card(struct store *st, const char *code, int64_t balance)
{
	struct st_giftcard g;
	memset(&g, 0, sizeof(g));
	strcpy(g.code, code);
	strcpy(g.currency, "THB");
	g.initial = g.balance = balance;
	g.created_at = g.updated_at = time_now_ms();
	assert_int_equal(st->ops->giftcard_add(st, &g), TALAD_OK);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	assert_int_equal(fx_server_store("talad-pay-test", f->dir, f->path, &f->st), 0);
	uuid_v7(f->reg.id);
	strcpy(f->reg.code, "R01");
	uuid_v7(f->other.id);
	strcpy(f->other.code, "R02");
	add_card(f->st, "GIFT-1", 10000);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = fx_server_store_done(f->st, f->dir);
	free(f);
	return rc;
}

static int gift(struct store *st, const struct st_register *reg, const char *order_id,
                const char *id, const char *code, int64_t amount, int64_t ttl, struct st_auth *a,
                int64_t *available)
{
	struct payments_request rq = {.id = id,
	                              .order_id = order_id,
	                              .method = TENDER_GIFT_CARD,
	                              .amount = amount,
	                              .gift_code = code};
	return payments_authorize(st, reg, "THB", &rq, ttl, a, available);
}

static int card(struct store *st, const struct st_register *reg, const char *order_id,
                const char *id, const char *number, int64_t amount, struct st_auth *a)
{
	struct payments_request rq = {.id = id,
	                              .order_id = order_id,
	                              .method = TENDER_CARD,
	                              .amount = amount,
	                              .card_number = number};
	return payments_authorize(st, reg, "THB", &rq, DAY_MS, a, NULL);
}

static struct st_giftcard card_now(struct store *st, const char *code)
{
	struct st_giftcard g;
	/* As the API shows it: due holds swept first. */
	assert_int_equal(st->ops->begin(st, ST_TX_WRITE), TALAD_OK);
	assert_int_equal(payments_expire(st, time_now_ms()), TALAD_OK);
	assert_int_equal(st->ops->giftcard_get(st, code, &g), TALAD_OK);
	assert_int_equal(st->ops->commit(st), TALAD_OK);
	return g;
}

static void test_gift_holds_and_declines(void **state)
{
	struct fx *f = *state;
	char oid[UUID_STRLEN + 1], id[UUID_STRLEN + 1];
	struct st_auth a;
	int64_t avail;
	uuid_v7(oid);

	uuid_v7(id);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "gift-1", 6000, DAY_MS, &a, &avail),
	                 TALAD_OK);
	assert_string_equal(a.status, "authorized");
	assert_string_equal(a.gift_code, "GIFT-1");
	assert_string_equal(a.gateway, "gift_card");
	assert_int_equal(avail, 4000);
	assert_int_equal(card_now(f->st, "GIFT-1").held, 6000);

	uuid_v7(id);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "GIFT-1", 4001, DAY_MS, &a, &avail),
	                 TALAD_OK);
	assert_string_equal(a.status, "declined");
	assert_string_equal(a.decline_code, "insufficient_funds");
	assert_non_null(strstr(a.decline_message, "40.00 THB"));
	assert_int_equal(avail, 4000);

	uuid_v7(id);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "GIFT-1", 4000, DAY_MS, &a, &avail),
	                 TALAD_OK);
	assert_string_equal(a.status, "authorized"); /* exactly what is left */
	assert_int_equal(avail, 0);

	uuid_v7(id);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "NOPE-1", 100, DAY_MS, &a, &avail),
	                 TALAD_OK);
	assert_string_equal(a.decline_code, "unknown_gift_card");
	assert_int_equal(avail, -1);

	uuid_v7(id);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "a b", 100, DAY_MS, &a, NULL), TALAD_EINVAL);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "GIFT-1", 0, DAY_MS, &a, NULL),
	                 TALAD_EINVAL);
	struct st_giftcard g = card_now(f->st, "GIFT-1");
	assert_int_equal(g.balance, 10000);
	assert_int_equal(g.held, 10000);
}

static void test_repeats(void **state)
{
	struct fx *f = *state;
	char oid[UUID_STRLEN + 1], id[UUID_STRLEN + 1], cid[UUID_STRLEN + 1];
	struct st_auth a, b;
	uuid_v7(oid);
	uuid_v7(id);
	uuid_v7(cid);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "GIFT-1", 3000, DAY_MS, &a, NULL), TALAD_OK);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "gift-1", 3000, DAY_MS, &b, NULL), TALAD_OK);
	assert_string_equal(a.reference, b.reference);
	assert_int_equal(card_now(f->st, "GIFT-1").held, 3000); /* held once */
	assert_int_equal(gift(f->st, &f->reg, oid, id, "GIFT-1", 3001, DAY_MS, &b, NULL),
	                 TALAD_ECONFLICT);
	assert_int_equal(gift(f->st, &f->other, oid, id, "GIFT-1", 3000, DAY_MS, &b, NULL),
	                 TALAD_ECONFLICT);

	assert_int_equal(card(f->st, &f->reg, oid, cid, "4242424242424242", 500, &a), TALAD_OK);
	assert_int_equal(card(f->st, &f->reg, oid, cid, "4242 4242 4242 4242", 500, &b), TALAD_OK);
	assert_string_equal(a.reference, b.reference); /* the gateway was not asked again */
	assert_string_equal(b.status, "authorized");
	assert_int_equal(card(f->st, &f->reg, oid, cid, "4242424242424242", 501, &b),
	                 TALAD_ECONFLICT);
}

static void test_card_outcomes(void **state)
{
	struct fx *f = *state;
	char oid[UUID_STRLEN + 1], id[UUID_STRLEN + 1];
	struct st_auth a, got;
	uuid_v7(oid);
	const char *numbers[] = {"4242424242424242", "4000000000000002", "4000000000009995",
	                         "4111111111111111"};
	const char *codes[] = {"", "card_declined", "insufficient_funds", "invalid_number"};
	for (int i = 0; i < 4; i++) {
		uuid_v7(id);
		assert_int_equal(card(f->st, &f->reg, oid, id, numbers[i], 900, &a), TALAD_OK);
		assert_string_equal(a.status, i == 0 ? "authorized" : "declined");
		assert_string_equal(a.decline_code, codes[i]);
		assert_string_equal(a.gateway, "test");
		assert_non_null(strstr(a.reference, "TEST GATEWAY"));
		assert_int_equal(f->st->ops->auth_get(f->st, id, &got), TALAD_OK);
		assert_string_equal(got.card_last4, numbers[i] + 12);
		assert_string_equal(got.card_brand, "visa");
	}
}

static void test_void(void **state)
{
	struct fx *f = *state;
	char oid[UUID_STRLEN + 1], id[UUID_STRLEN + 1], cid[UUID_STRLEN + 1];
	struct st_auth a;
	uuid_v7(oid);
	uuid_v7(id);
	uuid_v7(cid);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "GIFT-1", 2500, DAY_MS, &a, NULL), TALAD_OK);
	assert_int_equal(payments_void(f->st, f->other.id, id, &a), TALAD_ENOTFOUND);
	assert_int_equal(payments_void(f->st, f->reg.id, id, &a), TALAD_OK);
	assert_string_equal(a.status, "voided");
	assert_true(a.voided_at > 0);
	assert_int_equal(card_now(f->st, "GIFT-1").held, 0);
	assert_int_equal(payments_void(f->st, f->reg.id, id, &a), TALAD_OK); /* again: as it is */
	assert_int_equal(card_now(f->st, "GIFT-1").held, 0);
	assert_int_equal(payments_void(f->st, f->reg.id, cid, &a), TALAD_ENOTFOUND);
	assert_int_equal(card(f->st, &f->reg, oid, cid, "4242424242424242", 100, &a), TALAD_OK);
	assert_int_equal(payments_void(f->st, f->reg.id, cid, &a), TALAD_OK);
	assert_string_equal(a.status, "voided");
}

static void test_expiry(void **state)
{
	struct fx *f = *state;
	char oid[UUID_STRLEN + 1], id[UUID_STRLEN + 1], keep[UUID_STRLEN + 1];
	struct st_auth a;
	uuid_v7(oid);
	uuid_v7(id);
	uuid_v7(keep);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "GIFT-1", 3000, 1, &a, NULL), TALAD_OK);
	assert_int_equal(gift(f->st, &f->reg, oid, keep, "GIFT-1", 1000, DAY_MS, &a, NULL),
	                 TALAD_OK);
	usleep(5000);
	assert_string_equal(payments_shown_status(&a, time_now_ms() + 2 * DAY_MS), "expired");
	struct st_giftcard g = card_now(f->st, "GIFT-1");
	assert_int_equal(g.held, 1000); /* only the one still due to live */
	assert_int_equal(f->st->ops->auth_get(f->st, id, &a), TALAD_OK);
	assert_string_equal(a.status, "expired");
	assert_int_equal(f->st->ops->auth_get(f->st, keep, &a), TALAD_OK);
	assert_string_equal(a.status, "authorized");
	assert_int_equal(payments_void(f->st, f->reg.id, id, &a), TALAD_OK);
	assert_string_equal(a.status, "expired");
	assert_int_equal(card_now(f->st, "GIFT-1").held, 1000);
}

/* An order whose payments are the given authorizations (no lines: only
 * the settlement and the id matter to the payment checks). */
static void make_order(struct order *o, const char *oid, const struct st_auth *auths, size_t n)
{
	struct tax_rule none = {0};
	order_init(o, &none);
	strcpy(o->id, oid);
	for (size_t i = 0; i < n; i++) {
		struct payment *p = &o->settlement.payments[i];
		p->kind = strcmp(auths[i].method, "card") ? TENDER_GIFT_CARD : TENDER_CARD;
		strcpy(p->reference, auths[i].reference);
		strcpy(p->card_brand, auths[i].card_brand);
		strcpy(p->card_last4, auths[i].card_last4);
		strcpy(p->name, auths[i].gift_code);
		p->amount = p->tendered = auths[i].amount;
	}
	o->settlement.npayments = n;
}

static bool check(struct fx *f, const char *register_id, const struct order *o, char *code)
{
	bool refused;
	char msg[256];
	assert_int_equal(f->st->ops->begin(f->st, ST_TX_WRITE), TALAD_OK);
	assert_int_equal(payments_check_order(f->st, register_id, o, time_now_ms(), &refused, code,
	                                      40, msg, sizeof(msg)),
	                 TALAD_OK);
	f->st->ops->rollback(f->st);
	return refused;
}

static void capture(struct fx *f, const struct order *o)
{
	assert_int_equal(f->st->ops->begin(f->st, ST_TX_WRITE), TALAD_OK);
	assert_int_equal(payments_capture_order(f->st, o, time_now_ms()), TALAD_OK);
	assert_int_equal(f->st->ops->commit(f->st), TALAD_OK);
}

static void test_check_and_capture(void **state)
{
	struct fx *f = *state;
	char oid[UUID_STRLEN + 1], id1[UUID_STRLEN + 1], id2[UUID_STRLEN + 1], code[40];
	struct st_auth a[2], got;
	struct order o;
	uuid_v7(oid);
	uuid_v7(id1);
	uuid_v7(id2);
	assert_int_equal(gift(f->st, &f->reg, oid, id1, "GIFT-1", 6000, DAY_MS, &a[0], NULL),
	                 TALAD_OK);
	assert_int_equal(card(f->st, &f->reg, oid, id2, "4242424242424242", 3000, &a[1]), TALAD_OK);
	make_order(&o, oid, a, 2);
	assert_false(check(f, f->reg.id, &o, code));
	capture(f, &o);
	struct st_giftcard g = card_now(f->st, "GIFT-1");
	assert_int_equal(g.balance, 4000);
	assert_int_equal(g.held, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(f->st->ops->auth_get(f->st, a[i].id, &got), TALAD_OK);
		assert_string_equal(got.status, "captured");
		assert_true(got.captured_at > 0);
	}
	/* Captured stays captured: checked again it passes, captured again
	   nothing moves. */
	assert_false(check(f, f->reg.id, &o, code));
	capture(f, &o);
	assert_int_equal(card_now(f->st, "GIFT-1").balance, 4000);
	struct st_auth v;
	assert_int_equal(payments_void(f->st, f->reg.id, id1, &v), TALAD_ECONFLICT);
	order_release(&o);
}

static void test_check_refusals(void **state)
{
	struct fx *f = *state;
	char oid[UUID_STRLEN + 1], id[UUID_STRLEN + 1], code[40];
	struct st_auth a[2], v;
	struct order o;
	uuid_v7(oid);
	uuid_v7(id);
	assert_int_equal(card(f->st, &f->reg, oid, id, "4242424242424242", 3000, &a[0]), TALAD_OK);

	make_order(&o, oid, a, 1);
	assert_true(check(f, f->other.id, &o, code)); /* another register's */
	assert_string_equal(code, "payment_not_authorized");
	o.settlement.payments[0].amount = 3001;
	assert_true(check(f, f->reg.id, &o, code));
	o.settlement.payments[0].amount = 3000;
	strcpy(o.settlement.payments[0].card_last4, "4243");
	assert_true(check(f, f->reg.id, &o, code));
	strcpy(o.settlement.payments[0].card_last4, "4242");
	o.settlement.payments[0].reference[0] = '\0';
	assert_true(check(f, f->reg.id, &o, code));
	strcpy(o.settlement.payments[0].reference, "TEST GATEWAY, ref test_000");
	assert_true(check(f, f->reg.id, &o, code));
	order_release(&o);

	char other_order[UUID_STRLEN + 1];
	uuid_v7(other_order);
	make_order(&o, other_order, a, 1);
	assert_true(check(f, f->reg.id, &o, code)); /* authorized for another order */
	order_release(&o);

	a[1] = a[0];
	make_order(&o, oid, a, 2); /* the same authorization twice */
	o.settlement.payments[1].amount = 3000;
	assert_true(check(f, f->reg.id, &o, code));
	order_release(&o);

	make_order(&o, oid, a, 1);
	assert_false(check(f, f->reg.id, &o, code));
	assert_int_equal(payments_void(f->st, f->reg.id, id, &v), TALAD_OK);
	assert_true(check(f, f->reg.id, &o, code)); /* voided */
	order_release(&o);

	uuid_v7(id);
	assert_int_equal(card(f->st, &f->reg, oid, id, "4000000000000002", 3000, &a[0]), TALAD_OK);
	make_order(&o, oid, a, 1);
	assert_true(check(f, f->reg.id, &o, code)); /* declined */
	order_release(&o);
}

/* A gift card hold that expired before its order arrived: captured while
 * the card still has the amount free, refused once it does not. */
static void test_expired_gift_capture(void **state)
{
	struct fx *f = *state;
	char oid[UUID_STRLEN + 1], id[UUID_STRLEN + 1], id2[UUID_STRLEN + 1], code[40];
	struct st_auth a, b;
	struct order o;
	uuid_v7(oid);
	uuid_v7(id);
	assert_int_equal(gift(f->st, &f->reg, oid, id, "GIFT-1", 6000, 1, &a, NULL), TALAD_OK);
	usleep(5000);
	make_order(&o, oid, &a, 1);
	uuid_v7(id2);
	/* Someone else takes 5000 of the freed balance meanwhile. */
	assert_int_equal(gift(f->st, &f->reg, oid, id2, "GIFT-1", 5000, DAY_MS, &b, NULL),
	                 TALAD_OK);
	assert_true(check(f, f->reg.id, &o, code));
	assert_string_equal(code, "gift_card_insufficient");
	struct st_auth v;
	assert_int_equal(payments_void(f->st, f->reg.id, id2, &v), TALAD_OK);
	assert_false(check(f, f->reg.id, &o, code));
	capture(f, &o);
	struct st_giftcard g = card_now(f->st, "GIFT-1");
	assert_int_equal(g.balance, 4000);
	assert_int_equal(g.held, 0);
	order_release(&o);
}

struct racer {
	const char *path;
	const struct st_register *reg;
	int won, lost, errors;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct store *st;
	char err[256], oid[UUID_STRLEN + 1], id[UUID_STRLEN + 1];
	if (store_sqlite_open(r->path, false, &st, err, sizeof(err)) != TALAD_OK) {
		r->errors++;
		return NULL;
	}
	for (int i = 0; i < 25; i++) {
		struct st_auth a;
		uuid_v7(oid);
		uuid_v7(id);
		if (gift(st, r->reg, oid, id, "RACE-1", 700, DAY_MS, &a, NULL) != TALAD_OK)
			r->errors++;
		else if (!strcmp(a.status, "authorized"))
			r->won++;
		else
			r->lost++;
	}
	st->ops->close(st);
	return NULL;
}

static void test_two_at_once(void **state)
{
	struct fx *f = *state;
	add_card(f->st, "RACE-1", 10000);
	struct racer r[2] = {{f->path, &f->reg, 0, 0, 0}, {f->path, &f->other, 0, 0, 0}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r[0].errors + r[1].errors, 0);
	assert_int_equal(r[0].won + r[1].won, 14); /* 14 * 700 <= 10000 < 15 * 700 */
	assert_int_equal(r[0].lost + r[1].lost, 36);
	struct st_giftcard g = card_now(f->st, "RACE-1");
	assert_int_equal(g.held, 9800);
	assert_true(g.balance - g.held >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_gift_holds_and_declines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repeats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_card_outcomes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_void, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_and_capture, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expired_gift_capture, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_at_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
