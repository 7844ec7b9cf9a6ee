/* Unit tests of the till's pieces that carry state across a restart: the
 * cart in progress saved as JSON (round trip, damaged text, telling whether a
 * sale went in before the till died, the card authorizations it carries)
 * and the staff lock (PINs against argon2id hashes, lock-out after wrong PINs
 * kept in the store, manager approval, the discount limit from the back
 * office and how the register setting can only lower it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../lib/fixtures.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/cart.h"
#include "core/order.h"
#include "core/tender.h"
#include "register/rstore.h"
#include "register/till_cart.h"
#include "register/till_lock.h"
#include "register/till_qr.h"

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REG_ID FX_REG_ID
#define LOC_ID FX_LOC_ID
#define V_TEA  "01900000-0000-7000-8000-000000000101"

struct fixture {
	char dir[64];
	char path[128];
	struct rstore *st;
	struct tax_rule tax;
};

/* Cheap hashes: the till verifies whatever parameters the hash string says. */
static void pin_hash(const char *pin, char out[crypto_pwhash_STRBYTES])
{
	assert_true(sodium_init() >= 0);
	assert_int_equal(crypto_pwhash_str(out, pin, strlen(pin), crypto_pwhash_OPSLIMIT_MIN,
	                                   crypto_pwhash_MEMLIMIT_MIN),
	                 0);
}

static void load_snapshot(struct rstore *st)
{
	char cashier[crypto_pwhash_STRBYTES], owner[crypto_pwhash_STRBYTES];
	char err[256] = "";
	pin_hash("1111", cashier);
	pin_hash("9999", owner);
	json_t *snap = json_pack(
	    "{s:I, s:s, s:{s:s, s:s, s:I, s:b, s:s, s:I, s:s, s:s, s:s, s:n},"
	    " s:{s:s, s:s, s:s}, s:{s:s, s:s},"
	    " s:[{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:I}]}],"
	    " s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:n}],"
	    " s:[{s:s, s:s}]}",
	    "cursor", (json_int_t)5, "server_time", "2026-01-01T00:00:00.000Z", "shop", "name",
	    "Test Shop", "currency", "THB", "tax_rate_ppm", (json_int_t)70000, "tax_included", 1,
	    "tax_rounding", "line", "cash_increment", (json_int_t)0, "tax_id", "0105551234567",
	    "address", "1 Market Rd", "receipt_footer", "Thank you", "promptpay_id", "register",
	    "id", REG_ID, "name", "Counter 1", "code", "R01", "location", "id", LOC_ID, "name",
	    "Main", "products", "id", "p1", "title", "ชาไทย", "variants", "id", V_TEA, "sku",
	    "TEA-1", "barcode", "8850001000014", "title", "", "price", (json_int_t)4500, "taxable",
	    1, "tracked", 1, "available", (json_int_t)10, "staff", "id", "s1", "name", "Somchai",
	    "role", "cashier", "pin_hash", cashier, "id", "s2", "name", "Ann", "role", "owner",
	    "pin_hash", owner, "id", "s3", "name", "Nopin", "role", "manager", "pin_hash",
	    "payment_methods", "id", "m1", "name", "PromptPay QR");
	assert_non_null(snap);
	int rc = rstore_apply_snapshot(st, snap, NULL, NULL, NULL, err, sizeof(err));
	if (rc)
		fail_msg("snapshot: %s", err);
	json_decref(snap);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	if (fx_tmpdir("talad-till", f->dir, sizeof(f->dir)))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/register.db", f->dir);
	if (fx_register_store(f->path, NULL, false, &f->st))
		return -1;
	load_snapshot(f->st);
	assert_int_equal(rstore_set_logged_in(f->st, true), TALAD_OK);
	f->tax = (struct tax_rule){.rate_ppm = 70000, .included = true, .rounding = TAX_ROUND_LINE};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rstore_close(f->st);
	int rc = fx_rmtree(f->dir);
	free(f);
	return rc;
}

static void add(struct till_cart *tc, const char *variant, const char *title, int64_t qty,
                int64_t price)
{
	struct cart_line l;
	memset(&l, 0, sizeof(l));
	strcpy(l.variant_id, variant);
	strcpy(l.title, title);
	l.quantity = qty;
	l.unit_price = price;
	l.taxable = true;
	assert_int_equal(cart_add_line(&tc->cart, &l, NULL, 0), TALAD_OK);
}

/* ---- cart ---- */

static void test_cart_round_trip(void **state)
{
	struct fixture *f = *state;
	struct till_cart a, b;
	char err[256] = "";

	till_cart_init(&a, &f->tax);
	add(&a, V_TEA, "ชาไทย", 2, 4500);
	add(&a, "", "Gift wrap", 1, 2000);
	a.cart.lines[1].discount = (struct discount){DISCOUNT_AMOUNT, 500};
	a.cart.order_discount = (struct discount){DISCOUNT_PERCENT, 100000};
	a.tenders[0].t = (struct tender){.kind = TENDER_CUSTOM, .has_amount = true, .amount = 3000};
	strcpy(a.tenders[0].t.name, "PromptPay QR");
	a.ntenders = 1;
	strcpy(a.staff_id, "s1");
	assert_int_equal(cart_price(&a.cart, err, sizeof(err)), TALAD_OK);
	assert_int_equal(till_cart_save(f->st, &a), TALAD_OK);

	till_cart_init(&b, &f->tax);
	assert_int_equal(till_cart_load(f->st, &b, err, sizeof(err)), TALAD_OK);
	assert_int_equal(cart_price(&b.cart, err, sizeof(err)), TALAD_OK);
	assert_int_equal(b.cart.nlines, 2);
	assert_string_equal(b.cart.lines[0].title, "ชาไทย");
	assert_string_equal(b.cart.lines[0].variant_id, V_TEA);
	assert_int_equal(b.cart.lines[0].quantity, 2);
	assert_string_equal(b.cart.lines[1].variant_id, "");
	assert_int_equal(b.cart.lines[1].discount.kind, DISCOUNT_AMOUNT);
	assert_int_equal(b.cart.lines[1].discount.value, 500);
	assert_int_equal(b.cart.order_discount.kind, DISCOUNT_PERCENT);
	assert_int_equal(b.cart.total, a.cart.total);
	assert_int_equal(b.ntenders, 1);
	assert_int_equal(b.tenders[0].t.kind, TENDER_CUSTOM);
	assert_string_equal(b.tenders[0].t.name, "PromptPay QR");
	assert_int_equal(b.tenders[0].t.amount, 3000);
	assert_true(b.tenders[0].t.has_amount);
	assert_string_equal(b.staff_id, "s1");
	assert_false(b.paying);

	/* An emptied cart leaves nothing behind. */
	till_cart_reset(&b);
	assert_true(till_cart_empty(&b));
	assert_string_equal(b.staff_id, "s1");
	assert_int_equal(till_cart_save(f->st, &b), TALAD_OK);
	assert_int_equal(till_cart_load(f->st, &b, err, sizeof(err)), TALAD_ENOTFOUND);
	assert_int_equal(till_cart_clear(f->st), TALAD_OK);
	till_cart_release(&a);
	till_cart_release(&b);
}

/* A card payment carries its authorization and the sale the order id it
 * was authorized under, so that the commit uses that id. */
static void test_cart_authorized(void **state)
{
	struct fixture *f = *state;
	struct till_cart a, b;
	char err[256] = "";
	static const char order_id[] = "01900000-0000-7000-8000-0000000000f1";
	static const char auth_id[] = "01900000-0000-7000-8000-0000000000f2";

	till_cart_init(&a, &f->tax);
	add(&a, V_TEA, "ชาไทย", 1, 4500);
	a.tenders[0].t = (struct tender){.kind = TENDER_CARD, .has_amount = true, .amount = 4000};
	strcpy(a.tenders[0].reference, "TEST GATEWAY -- no real money moves, ref test_1");
	strcpy(a.tenders[0].card_brand, "visa");
	strcpy(a.tenders[0].card_last4, "4242");
	strcpy(a.tenders[0].auth_id, auth_id);
	a.ntenders = 1;
	strcpy(a.order_id, order_id);
	assert_int_equal(till_cart_save(f->st, &a), TALAD_OK);
	till_cart_init(&b, &f->tax);
	assert_int_equal(till_cart_load(f->st, &b, err, sizeof(err)), TALAD_OK);
	assert_string_equal(b.order_id, order_id);
	assert_int_equal(b.ntenders, 1);
	assert_int_equal(b.tenders[0].t.kind, TENDER_CARD);
	assert_string_equal(b.tenders[0].auth_id, auth_id);
	assert_string_equal(b.tenders[0].card_last4, "4242");
	assert_string_equal(b.tenders[0].reference, a.tenders[0].reference);
	/* The sale's id goes with the cart. */
	till_cart_reset(&b);
	assert_string_equal(b.order_id, "");

	/* A cart saved before these existed reads without them. */
	assert_int_equal(rstore_setting_set(f->st, TILL_CART_KEY,
	                                    "{\"version\": 1, \"lines\": [], \"tenders\": "
	                                    "[{\"method\": \"cash\", \"amount\": 5}]}"),
	                 TALAD_OK);
	assert_int_equal(till_cart_load(f->st, &b, err, sizeof(err)), TALAD_OK);
	assert_string_equal(b.order_id, "");
	assert_string_equal(b.tenders[0].auth_id, "");
	till_cart_release(&a);
	till_cart_release(&b);
}

static void test_cart_bad_text(void **state)
{
	struct fixture *f = *state;
	struct till_cart tc;
	char err[256] = "";
	char *kept = NULL;
	static const char *const bad[] = {
	    "not json",
	    "[]",
	    "{\"version\": 2, \"lines\": [], \"tenders\": []}",
	    "{\"version\": 1, \"lines\": [{\"title\": \"x\", \"quantity\": 0, \"unit_price\": 1,"
	    " \"taxable\": true}], \"tenders\": []}",
	    "{\"version\": 1, \"lines\": [{\"title\": \"x\", \"quantity\": 1, \"unit_price\": -5,"
	    " \"taxable\": true}], \"tenders\": []}",
	    "{\"version\": 1, \"lines\": [{\"title\": \"\\u0007\", \"quantity\": 1,"
	    " \"unit_price\": 5, \"taxable\": true}], \"tenders\": []}",
	    "{\"version\": 1, \"lines\": [], \"tenders\": [{\"method\": \"cheque\", \"amount\": "
	    "5}]}",
	    "{\"version\": 1, \"order_id\": \"not-a-uuid\", \"lines\": [], \"tenders\": []}",
	    "{\"version\": 1, \"lines\": [], \"tenders\": [{\"method\": \"card\", \"amount\": 5,"
	    " \"authorization\": \"12345\"}]}",
	    "{\"version\": 1, \"lines\": [], \"tenders\": [{\"method\": \"custom\", \"amount\": "
	    "5}]}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		till_cart_init(&tc, &f->tax);
		assert_int_equal(rstore_setting_set(f->st, TILL_CART_KEY, bad[i]), TALAD_OK);
		err[0] = '\0';
		assert_int_equal(till_cart_load(f->st, &tc, err, sizeof(err)), TALAD_EINVAL);
		assert_true(strncmp(err, "saved cart: ", 12) == 0);
		assert_true(till_cart_empty(&tc));
		/* Set aside, not lost, and no longer in the way. */
		assert_int_equal(rstore_setting_get(f->st, "till.cart-bad", &kept), TALAD_OK);
		assert_string_equal(kept, bad[i]);
		free(kept);
		assert_int_equal(till_cart_load(f->st, &tc, err, sizeof(err)), TALAD_ENOTFOUND);
		till_cart_release(&tc);
	}
}

static int commit(struct fixture *f, struct till_cart *tc, char *number)
{
	struct order o;
	struct tender t = {.kind = TENDER_CASH};
	char err[256] = "";
	order_init(&o, &f->tax);
	cart_release(&o.cart);
	cart_copy(&o.cart, &tc->cart);
	strcpy(o.currency, "THB");
	assert_int_equal(cart_price(&o.cart, err, sizeof(err)), TALAD_OK);
	assert_int_equal(tender_settle(o.cart.total, &t, 1, 0, &o.settlement, err, sizeof(err)),
	                 TALAD_OK);
	int rc = rstore_commit_sale(f->st, &o, err, sizeof(err));
	if (rc)
		fail_msg("commit: %s", err);
	strcpy(number, o.number);
	order_release(&o);
	return rc;
}

static void test_cart_paying_mark(void **state)
{
	struct fixture *f = *state;
	struct till_cart tc, back;
	struct rstore_pairing p;
	char err[256] = "", number[ORDER_NUMBER_MAX], found[ORDER_NUMBER_MAX];

	till_cart_init(&tc, &f->tax);
	add(&tc, V_TEA, "ชาไทย", 1, 4500);
	assert_int_equal(cart_price(&tc.cart, err, sizeof(err)), TALAD_OK);
	assert_int_equal(commit(f, &tc, number), TALAD_OK); /* an earlier sale, same total */

	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	tc.paying = true;
	tc.paying_since = time_now_ms();
	tc.paying_counter = p.receipt_counter;
	tc.paying_total = tc.cart.total;
	assert_int_equal(till_cart_save(f->st, &tc), TALAD_OK);

	/* Killed before the commit: the earlier sale must not be mistaken
	   for this one. */
	till_cart_init(&back, &f->tax);
	assert_int_equal(till_cart_load(f->st, &back, err, sizeof(err)), TALAD_OK);
	assert_true(back.paying);
	assert_int_equal(back.paying_counter, p.receipt_counter);
	assert_int_equal(till_cart_find_committed(f->st, &back, found, sizeof(found)),
	                 TALAD_ENOTFOUND);

	/* Killed after the commit: found by number and total. */
	assert_int_equal(commit(f, &tc, number), TALAD_OK);
	assert_int_equal(till_cart_find_committed(f->st, &back, found, sizeof(found)), TALAD_OK);
	assert_string_equal(found, number);
	assert_string_equal(found, "R01-000002");

	/* Another sale with another total, by someone else, is not it. */
	back.paying_total += 1;
	assert_int_equal(till_cart_find_committed(f->st, &back, found, sizeof(found)),
	                 TALAD_ENOTFOUND);
	till_cart_release(&tc);
	till_cart_release(&back);
}

/* ---- lock ---- */

static void test_lock_pins(void **state)
{
	struct fixture *f = *state;
	struct rstore_staff who;
	struct till_pin_result res;
	struct till_lock_state ls;
	int64_t now = 1800000000000;

	assert_int_equal(till_lock_check(f->st, "1111", false, now, &who, &res), TALAD_OK);
	assert_string_equal(who.name, "Somchai");
	assert_int_equal(till_lock_check(f->st, "9999", false, now, &who, &res), TALAD_OK);
	assert_string_equal(who.name, "Ann");
	/* Not PINs at all: refused without counting. */
	assert_int_equal(till_lock_check(f->st, "12", false, now, &who, &res), TALAD_EINVAL);
	assert_int_equal(till_lock_check(f->st, "12a4", false, now, &who, &res), TALAD_EINVAL);
	assert_int_equal(till_lock_check(f->st, "1234567890123", false, now, &who, &res),
	                 TALAD_EINVAL);
	assert_int_equal(till_lock_load(f->st, &ls), TALAD_OK);
	assert_int_equal(ls.failures, 0);

	/* Two wrong, then right: the count starts again. */
	assert_int_equal(till_lock_check(f->st, "0000", false, now, &who, &res), TALAD_EAUTH);
	assert_int_equal(res.tries_left, 2);
	assert_int_equal(till_lock_check(f->st, "0001", false, now, &who, &res), TALAD_EAUTH);
	assert_int_equal(res.tries_left, 1);
	assert_int_equal(till_lock_check(f->st, "1111", false, now, &who, &res), TALAD_OK);
	assert_int_equal(till_lock_load(f->st, &ls), TALAD_OK);
	assert_int_equal(ls.failures, 0);

	/* Three wrong: locked out, even for the right PIN. */
	assert_int_equal(till_lock_check(f->st, "0000", false, now, &who, &res), TALAD_EAUTH);
	assert_int_equal(till_lock_check(f->st, "0000", false, now, &who, &res), TALAD_EAUTH);
	assert_int_equal(till_lock_check(f->st, "0000", false, now, &who, &res), TALAD_EBUSY);
	assert_int_equal(res.wait_ms, TILL_LOCK_BASE_MS);
	assert_int_equal(till_lock_check(f->st, "1111", false, now + 1000, &who, &res),
	                 TALAD_EBUSY);
	assert_int_equal(res.wait_ms, TILL_LOCK_BASE_MS - 1000);

	/* Kept in the store: a new handle (a restarted till) sees it. */
	struct rstore *st2;
	char err[256];
	assert_int_equal(rstore_open(f->path, &st2, err, sizeof(err)), TALAD_OK);
	assert_int_equal(till_lock_check(st2, "1111", false, now + 2000, &who, &res), TALAD_EBUSY);
	rstore_close(st2);

	/* After the wait, three more wrong PINs lock out twice as long. */
	now += TILL_LOCK_BASE_MS;
	for (int i = 0; i < 2; i++)
		assert_int_equal(till_lock_check(f->st, "4321", false, now, &who, &res),
		                 TALAD_EAUTH);
	assert_int_equal(till_lock_check(f->st, "4321", false, now, &who, &res), TALAD_EBUSY);
	assert_int_equal(res.wait_ms, 2 * TILL_LOCK_BASE_MS);

	/* A clock set back cannot make the wait longer than the maximum. */
	assert_int_equal(till_lock_load(f->st, &ls), TALAD_OK);
	assert_int_equal(till_lock_wait(&ls, now - 10LL * TILL_LOCK_MAX_MS), TILL_LOCK_MAX_MS);

	/* The right PIN after the wait clears everything. */
	now += 2 * TILL_LOCK_BASE_MS;
	assert_int_equal(till_lock_check(f->st, "1111", false, now, &who, &res), TALAD_OK);
	assert_int_equal(till_lock_load(f->st, &ls), TALAD_OK);
	assert_int_equal(ls.failures, 0);
	assert_int_equal(ls.lockouts, 0);
	assert_int_equal(ls.locked_until, 0);
}

static void test_lock_manager(void **state)
{
	struct fixture *f = *state;
	struct rstore_staff who;
	struct till_pin_result res;
	int64_t now = 1800000000000;

	assert_int_equal(till_lock_check(f->st, "9999", true, now, &who, &res), TALAD_OK);
	assert_true(till_lock_is_manager(&who));
	/* A cashier's right PIN cannot approve, and is not a wrong PIN. */
	assert_int_equal(till_lock_check(f->st, "1111", true, now, &who, &res), TALAD_EREFUSED);
	assert_string_equal(who.role, "cashier");
	assert_false(till_lock_is_manager(&who));
	struct till_lock_state ls;
	assert_int_equal(till_lock_load(f->st, &ls), TALAD_OK);
	assert_int_equal(ls.failures, 0);

	/* A damaged record does not hand out fresh tries. */
	assert_int_equal(rstore_setting_set(f->st, TILL_LOCK_KEY, "{broken"), TALAD_OK);
	assert_int_equal(till_lock_check(f->st, "5555", false, now, &who, &res), TALAD_EBUSY);
}

/* A shop change as the back office's feed sends it, with the limit given
 * as limit_json ("150000", "null", or NULL for none at all). */
static int shop_change(struct rstore *st, int64_t seq, const char *limit_json, char *err,
                       size_t errlen)
{
	char text[1024];
	snprintf(text, sizeof(text),
	         "{\"changes\": [{\"seq\": %lld, \"type\": \"shop\", \"data\": {\"name\": "
	         "\"Test Shop\", \"currency\": \"THB\", \"tax_rate_ppm\": 70000, "
	         "\"tax_included\": true, \"tax_rounding\": \"line\", \"cash_increment\": 0%s%s}}],"
	         " \"cursor\": %lld, \"more\": false}",
	         (long long)seq, limit_json ? ", \"discount_limit_ppm\": " : "",
	         limit_json ? limit_json : "", (long long)seq);
	json_t *page = json_loads(text, 0, NULL);
	assert_non_null(page);
	int64_t cursor = 0;
	bool more = false;
	int rc = rstore_apply_changes(st, page, NULL, &cursor, &more, err, errlen);
	json_decref(page);
	return rc;
}

static int64_t limit_now(struct rstore *st)
{
	struct rstore_shop shop;
	assert_int_equal(rstore_get_shop(st, &shop), TALAD_OK);
	return till_lock_discount_limit(st, &shop);
}

static void test_discount_limit(void **state)
{
	struct fixture *f = *state;
	struct rstore_shop shop;
	char err[256] = "";

	/* A back office that sends no limit: 10 %. */
	assert_int_equal(rstore_get_shop(f->st, &shop), TALAD_OK);
	assert_false(shop.has_discount_limit);
	assert_int_equal(limit_now(f->st), TILL_DISCOUNT_LIMIT_DEFAULT);
	assert_int_equal(till_lock_discount_limit(f->st, NULL), TILL_DISCOUNT_LIMIT_DEFAULT);

	/* The back office's limit, from the change feed. */
	assert_int_equal(shop_change(f->st, 6, "250000", err, sizeof(err)), TALAD_OK);
	assert_int_equal(rstore_get_shop(f->st, &shop), TALAD_OK);
	assert_true(shop.has_discount_limit);
	assert_int_equal(shop.discount_limit_ppm, 250000);
	assert_int_equal(limit_now(f->st), 250000);
	assert_int_equal(shop_change(f->st, 7, "0", err, sizeof(err)), TALAD_OK);
	assert_int_equal(limit_now(f->st), 0); /* every discount needs a manager */

	/* The register setting only ever lowers it. */
	assert_int_equal(shop_change(f->st, 8, "250000", err, sizeof(err)), TALAD_OK);
	assert_int_equal(rstore_setting_set(f->st, TILL_DISCOUNT_LIMIT_KEY, "50"), TALAD_OK);
	assert_int_equal(limit_now(f->st), 250000);
	assert_int_equal(rstore_setting_set(f->st, TILL_DISCOUNT_LIMIT_KEY, "7.5"), TALAD_OK);
	assert_int_equal(limit_now(f->st), 75000);
	assert_int_equal(rstore_setting_set(f->st, TILL_DISCOUNT_LIMIT_KEY, "lots"), TALAD_OK);
	assert_int_equal(limit_now(f->st), 250000);
	assert_int_equal(rstore_setting_unset(f->st, TILL_DISCOUNT_LIMIT_KEY), TALAD_OK);

	/* Out of range or not a number: the page is refused, the limit kept. */
	assert_int_equal(shop_change(f->st, 9, "1000001", err, sizeof(err)), TALAD_EINVAL);
	assert_non_null(strstr(err, "discount_limit_ppm"));
	assert_int_equal(shop_change(f->st, 9, "-1", err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(shop_change(f->st, 9, "\"10\"", err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(limit_now(f->st), 250000);

	/* null, or a back office that stops sending it: the default again. */
	assert_int_equal(shop_change(f->st, 10, "null", err, sizeof(err)), TALAD_OK);
	assert_int_equal(limit_now(f->st), TILL_DISCOUNT_LIMIT_DEFAULT);
	assert_int_equal(shop_change(f->st, 11, "150000", err, sizeof(err)), TALAD_OK);
	assert_int_equal(shop_change(f->st, 12, NULL, err, sizeof(err)), TALAD_OK);
	assert_int_equal(limit_now(f->st), TILL_DISCOUNT_LIMIT_DEFAULT);
}

/* A store of schema 1 (before the limit) is migrated in place: the shop
 * keeps its settings, without a limit until the back office sends one. */
static void test_discount_limit_migration(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	sqlite3 *db;
	int v = 0;

	rstore_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "ALTER TABLE shop DROP COLUMN discount_limit_ppm;"
	                              "PRAGMA user_version = 1;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(rstore_open(f->path, &f->st, err, sizeof(err)), TALAD_OK);
	assert_int_equal(rstore_schema_version(f->st, &v), TALAD_OK);
	assert_int_equal(v, 2);
	struct rstore_shop shop;
	assert_int_equal(rstore_get_shop(f->st, &shop), TALAD_OK);
	assert_string_equal(shop.name, "Test Shop");
	assert_false(shop.has_discount_limit);
	assert_int_equal(shop_change(f->st, 6, "200000", err, sizeof(err)), TALAD_OK);
	assert_int_equal(limit_now(f->st), 200000);
}

static void test_lock_duty(void **state)
{
	struct fixture *f = *state;
	char id[RSTORE_ID_MAX];

	assert_int_equal(till_lock_get_duty(f->st, id, sizeof(id)), TALAD_ENOTFOUND);
	assert_int_equal(till_lock_set_duty(f->st, "s1"), TALAD_OK);
	assert_int_equal(till_lock_get_duty(f->st, id, sizeof(id)), TALAD_OK);
	assert_string_equal(id, "s1");
	assert_int_equal(till_lock_set_duty(f->st, NULL), TALAD_OK);
	assert_int_equal(till_lock_get_duty(f->st, id, sizeof(id)), TALAD_ENOTFOUND);
	assert_int_equal(till_lock_set_duty(f->st, NULL), TALAD_OK);
}

static void test_lock_no_pins(void **state)
{
	struct fixture *f = *state;
	struct rstore_staff who;
	struct till_pin_result res;
	char err[256] = "";
	/* A change page that takes every PIN away. */
	json_t *page = json_pack(
	    "{s:[{s:I, s:s, s:{s:s, s:s, s:s, s:n}}, {s:I, s:s, s:{s:s, s:s, s:s, s:n}}],"
	    " s:I, s:b, s:s}",
	    "changes", "seq", (json_int_t)6, "type", "staff", "data", "id", "s1", "name", "Somchai",
	    "role", "cashier", "pin_hash", "seq", (json_int_t)7, "type", "staff", "data", "id",
	    "s2", "name", "Ann", "role", "owner", "pin_hash", "cursor", (json_int_t)7, "more", 0,
	    "server_time", "2026-01-01T00:00:00.000Z");
	int64_t cursor;
	bool more;
	assert_non_null(page);
	assert_int_equal(rstore_apply_changes(f->st, page, NULL, &cursor, &more, err, sizeof(err)),
	                 TALAD_OK);
	json_decref(page);
	assert_int_equal(till_lock_check(f->st, "1111", false, 1800000000000, &who, &res),
	                 TALAD_ENOTFOUND);
}

/* ---- PromptPay QR ---- */

/* The payload without its CRC equals want, and the CRC is right. */
static void check_payload(const char *got, const char *want)
{
	size_t n = strlen(got);
	char crc[5];
	assert_true(n == strlen(want) + 4);
	assert_memory_equal(got, want, n - 4);
	snprintf(crc, sizeof(crc), "%04X", till_qr_crc16(got, n - 4));
	assert_string_equal(got + n - 4, crc);
}

static void test_qr_payload(void **state)
{
	char out[TILL_QR_PAYLOAD_MAX], err[256];
	(void)state;

	/* The check value of CRC-16/CCITT-FALSE. */
	assert_int_equal(till_qr_crc16("123456789", 9), 0x29b1);

	/* A mobile number travels as 0066 and the number without its 0; no
	   amount makes a static code (11). */
	assert_int_equal(till_qr_promptpay("081-234-5678", 0, out, err, sizeof(err)), TALAD_OK);
	check_payload(out, "000201010211"
	                   "29370016A000000677010111"
	                   "01130066812345678"
	                   "5303764"
	                   "5802TH"
	                   "6304");
	/* A tax id (13 digits) with an amount: a one-off code (12). */
	assert_int_equal(till_qr_promptpay("0105551234567", 12345, out, err, sizeof(err)),
	                 TALAD_OK);
	check_payload(out, "000201010212"
	                   "29370016A000000677010111"
	                   "02130105551234567"
	                   "5303764"
	                   "5406123.45"
	                   "5802TH"
	                   "6304");
	/* An e-wallet id (15 digits). */
	assert_int_equal(till_qr_promptpay("123456789012345", 100, out, err, sizeof(err)),
	                 TALAD_OK);
	assert_non_null(strstr(out, "0315123456789012345"));
	assert_non_null(strstr(out, "54041.00"));

	static const char *const bad[] = {
	    "", "12345", "1812345678", "08123456789", "08x2345678", "01055512345678"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(till_qr_promptpay(bad[i], 100, out, err, sizeof(err)),
		                 TALAD_EINVAL);
		assert_non_null(strstr(err, "PromptPay id"));
	}
	assert_int_equal(till_qr_promptpay("0812345678", -1, out, err, sizeof(err)), TALAD_EINVAL);
}

/* The fields of an EMVCo payload by tag, without the CRC (63), sorted: the
 * standard lets the fields between 00 and 63 come in any order, so two
 * payloads mean the same when these agree. */
static int cmp_field(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void payload_fields(const char *p, char out[][128], size_t *n)
{
	size_t len = strlen(p), at = 0;
	*n = 0;
	while (at + 4 <= len) {
		char tag[3] = {p[at], p[at + 1], 0}, l[3] = {p[at + 2], p[at + 3], 0};
		size_t vl = (size_t)atoi(l);
		assert_true(at + 4 + vl <= len);
		if (strcmp(tag, "63"))
			snprintf(out[(*n)++], 128, "%s%s%.*s", tag, l, (int)vl, p + at + 4);
		at += 4 + vl;
	}
	assert_int_equal(at, len);
	qsort(out, *n, 128, cmp_field);
}

/* Published PromptPay payloads -- the cases of the promptpay-qr library
 * (github.com/dtinth/promptpay-qr, index.test.js), which Thai banking apps
 * have read for years: their CRC-16/CCITT-FALSE is what ours computes, and
 * our payload for the same id and amount carries the same fields with a
 * valid CRC of its own. */
static void test_qr_published(void **state)
{
	static const struct {
		const char *id;
		int64_t amount;
		const char *payload;
	} cases[] = {
	    {"0801234567", 0,
	     "00020101021129370016A000000677010111011300668012345675802TH530376463046197"},
	    {"080-123-4567", 0,
	     "00020101021129370016A000000677010111011300668012345675802TH530376463046197"},
	    {"1111111111111", 0,
	     "00020101021129370016A000000677010111021311111111111115802TH530376463047B5A"},
	    {"1-1111-11111-11-1", 0,
	     "00020101021129370016A000000677010111021311111111111115802TH530376463047B5A"},
	    {"0123456789012", 0,
	     "00020101021129370016A000000677010111021301234567890125802TH530376463040CBD"},
	    {"000-000-0000", 422,
	     "00020101021229370016A000000677010111011300660000000005802TH530376454044.226304E469"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *pub = cases[i].payload;
		size_t n = strlen(pub);
		char crc[5], out[TILL_QR_PAYLOAD_MAX], err[256];
		snprintf(crc, sizeof(crc), "%04X", till_qr_crc16(pub, n - 4));
		assert_string_equal(crc, pub + n - 4);

		assert_int_equal(
		    till_qr_promptpay(cases[i].id, cases[i].amount, out, err, sizeof(err)),
		    TALAD_OK);
		size_t m = strlen(out);
		snprintf(crc, sizeof(crc), "%04X", till_qr_crc16(out, m - 4));
		assert_string_equal(crc, out + m - 4);
		assert_memory_equal(out + m - 8, "6304", 4);
		char a[12][128], b[12][128];
		size_t na, nb;
		payload_fields(pub, a, &na);
		payload_fields(out, b, &nb);
		assert_int_equal(na, nb);
		for (size_t k = 0; k < na; k++)
			assert_string_equal(a[k], b[k]);
	}
}

/* The matrix the till draws reads back as the payload (zbarimg, when it is
 * installed). */
static void test_qr_matrix(void **state)
{
	char payload[TILL_QR_PAYLOAD_MAX], err[256];
	struct till_qr *qr = xcalloc(1, sizeof(*qr));
	(void)state;

	assert_int_equal(till_qr_promptpay("0812345678", 4250, payload, err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(till_qr_encode(payload, qr, err, sizeof(err)), TALAD_OK);
	/* Small enough for an 80x24 till: 2 modules a row, a 2-module quiet zone. */
	assert_true(qr->size >= 21 && qr->size <= 37);
	assert_true((qr->size + 4 + 1) / 2 <= 19);
	/* The finder patterns sit in three corners. */
	assert_true(qr->dark[0][0] && qr->dark[0][6] && qr->dark[6][0] && !qr->dark[1][1]);
	assert_true(qr->dark[0][qr->size - 1] && qr->dark[qr->size - 1][0]);
	assert_false(qr->dark[qr->size - 1][qr->size - 1] && qr->dark[qr->size - 2][qr->size - 2] &&
	             qr->dark[qr->size - 3][qr->size - 3]);

	if (system("command -v zbarimg >/dev/null 2>&1") != 0) {
		free(qr);
		return;
	}
	char path[] = "/tmp/talad-till-qr.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	const int scale = 4, quiet = 4, side = (qr->size + 2 * quiet) * scale;
	fprintf(f, "P1\n%d %d\n", side, side);
	for (int y = 0; y < side; y++) {
		for (int x = 0; x < side; x++) {
			int r = y / scale - quiet, c = x / scale - quiet;
			bool dark =
			    r >= 0 && c >= 0 && r < qr->size && c < qr->size && qr->dark[r][c];
			fputc(dark ? '1' : '0', f);
		}
		fputc('\n', f);
	}
	fclose(f);
	char cmd[128], got[256] = "";
	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q %s 2>/dev/null", path);
	FILE *z = popen(cmd, "r");
	assert_non_null(z);
	if (!fgets(got, sizeof(got), z))
		got[0] = '\0';
	got[strcspn(got, "\r\n")] = '\0';
	pclose(z);
	unlink(path);
	assert_string_equal(got, payload);
	free(qr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_cart_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cart_authorized, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cart_bad_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cart_paying_mark, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_pins, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_manager, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_discount_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_discount_limit_migration, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_duty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_no_pins, setup, teardown),
	    cmocka_unit_test(test_qr_payload),
	    cmocka_unit_test(test_qr_published),
	    cmocka_unit_test(test_qr_matrix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
