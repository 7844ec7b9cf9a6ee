/* Unit tests of the register's local store: schema and migration, snapshot
 * and change pages, lookups and stock, sales committed whole (even when the
 * process is killed right after the commit returns), outbox order and acks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../lib/fixtures.h"
#include "common/err.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "core/cart.h"
#include "core/order.h"
#include "core/tender.h"
#include "register/rstore.h"

#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REG_ID    FX_REG_ID
#define LOC_ID    FX_LOC_ID
#define LOC2_ID   "01900000-0000-7000-8000-0000000000bb"
#define V_TEA     "01900000-0000-7000-8000-000000000101"
#define V_CAKE    "01900000-0000-7000-8000-000000000102"
#define V_BAG     "01900000-0000-7000-8000-000000000103"
#define V_SHIRT_S "01900000-0000-7000-8000-000000000104"
#define V_SHIRT_L "01900000-0000-7000-8000-000000000105"

struct fixture {
	char dir[64];
	char path[128];
	struct rstore *st;
};

static const char *snapshot_json =
    "{\"cursor\": 10, \"server_time\": \"2026-01-01T00:00:00.000Z\","
    " \"shop\": {\"name\": \"Test Shop\", \"currency\": \"THB\", \"tax_rate_ppm\": 70000,"
    "  \"tax_included\": true, \"tax_rounding\": \"line\", \"cash_increment\": 25,"
    "  \"tax_id\": \"0105551234567\", \"address\": \"1 Market Rd\","
    "  \"receipt_footer\": \"Thank you\", \"promptpay_id\": null},"
    " \"register\": {\"id\": \"" REG_ID "\", \"name\": \"Counter 1\", \"code\": \"R01\"},"
    " \"location\": {\"id\": \"" LOC_ID "\", \"name\": \"Main\"},"
    " \"products\": ["
    "  {\"id\": \"p1\", \"title\": \"Thai tea\", \"variants\": [{\"id\": \"" V_TEA "\","
    "    \"sku\": \"TEA-1\", \"barcode\": \"8850001000014\", \"title\": \"Default\","
    "    \"price\": 4500, \"taxable\": true, \"tracked\": true, \"available\": 12}]},"
    "  {\"id\": \"p2\", \"title\": \"Cake\", \"variants\": [{\"id\": \"" V_CAKE "\","
    "    \"sku\": \"CAKE\", \"barcode\": null, \"title\": \"Cake\","
    "    \"price\": 6000, \"taxable\": true, \"tracked\": true, \"available\": 3}]},"
    "  {\"id\": \"p3\", \"title\": \"Bag\", \"variants\": [{\"id\": \"" V_BAG "\","
    "    \"sku\": \"BAG\", \"barcode\": \"2000000000015\", \"title\": \"\","
    "    \"price\": 100, \"taxable\": false, \"tracked\": false, \"available\": null}]},"
    "  {\"id\": \"p4\", \"title\": \"Shirt\", \"variants\": ["
    "    {\"id\": \"" V_SHIRT_S "\", \"sku\": \"SH-S\", \"barcode\": \"111\", \"title\": \"S\","
    "     \"price\": 25000, \"taxable\": true, \"tracked\": true, \"available\": 5},"
    "    {\"id\": \"" V_SHIRT_L "\", \"sku\": \"SH-L\", \"barcode\": \"112\", \"title\": \"L\","
    "     \"price\": 27000, \"taxable\": true, \"tracked\": true, \"available\": -1}]}"
    " ],"
    " \"staff\": [{\"id\": \"s1\", \"name\": \"Somchai\", \"role\": \"cashier\","
    "   \"pin_hash\": \"$argon2id$x\"}, {\"id\": \"s2\", \"name\": \"Ann\", \"role\": \"owner\","
    "   \"pin_hash\": null}],"
    " \"payment_methods\": [{\"id\": \"m1\", \"name\": \"PromptPay QR\"},"
    "   {\"id\": \"m2\", \"name\": \"Bank transfer\"}]}";

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("bad test json: %s at %d", e.text, e.position);
	return j;
}

static void pair(struct rstore *st)
{
	struct rstore_pairing p;
	fx_pairing(&p);
	assert_int_equal(rstore_set_pairing(st, &p, true), TALAD_OK);
}

static void load_snapshot(struct rstore *st)
{
	char err[256] = "";
	json_t *snap = parse(snapshot_json);
	int rc = rstore_apply_snapshot(st, snap, NULL, NULL, NULL, err, sizeof(err));
	if (rc)
		fail_msg("snapshot: %s", err);
	json_decref(snap);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	if (fx_tmpdir("talad-rstore", f->dir, sizeof(f->dir)))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/register.db", f->dir);
	char err[256];
	if (rstore_open(f->path, &f->st, err, sizeof(err)) != TALAD_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

/* A store paired, with the snapshot applied and logged in. */
static int setup_ready(void **state)
{
	if (setup(state))
		return -1;
	struct fixture *f = *state;
	pair(f->st);
	load_snapshot(f->st);
	assert_int_equal(rstore_set_logged_in(f->st, true), TALAD_OK);
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

static int64_t count_rows(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* Prices a cart of (code, quantity) pairs and settles it in cash. */
static void make_sale(struct rstore *st, const char *const *codes, const int64_t *qty, size_t n,
                      struct order *o)
{
	struct rstore_shop shop;
	char err[256] = "";
	assert_int_equal(rstore_get_shop(st, &shop), TALAD_OK);
	order_init(o, &shop.tax);
	strcpy(o->currency, shop.currency);
	for (size_t i = 0; i < n; i++) {
		struct rstore_variant v;
		assert_int_equal(rstore_find_variant(st, codes[i], &v), TALAD_OK);
		struct cart_line l;
		memset(&l, 0, sizeof(l));
		strcpy(l.variant_id, v.id);
		strcpy(l.sku, v.sku);
		strcpy(l.title, v.title);
		l.quantity = qty[i];
		l.unit_price = v.price;
		l.taxable = v.taxable;
		if (cart_add_line(&o->cart, &l, err, sizeof(err)))
			fail_msg("cart_add_line: %s", err);
	}
	if (cart_price(&o->cart, err, sizeof(err)))
		fail_msg("cart_price: %s", err);
	struct tender t = {.kind = TENDER_CASH};
	if (tender_settle(o->cart.total, &t, 1, shop.cash_increment, &o->settlement, err,
	                  sizeof(err)))
		fail_msg("tender_settle: %s", err);
}

static void sell(struct rstore *st, const char *code, int64_t qty, struct order *o)
{
	make_sale(st, &code, &qty, 1, o);
	char err[256] = "";
	int rc = rstore_commit_sale(st, o, err, sizeof(err));
	if (rc)
		fail_msg("commit: %s", err);
}

/* ---- schema ---- */

static void test_schema_fresh_and_reopen(void **state)
{
	struct fixture *f = *state;
	int v = 0;
	assert_int_equal(rstore_schema_version(f->st, &v), TALAD_OK);
	assert_int_equal(v, RSTORE_SCHEMA_VERSION);
	sqlite3 *db;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);

	assert_int_equal(rstore_setting_set(f->st, "printer", "tcp://10.0.0.5:9100"), TALAD_OK);
	rstore_close(f->st);
	char err[256];
	assert_int_equal(rstore_open(f->path, &f->st, err, sizeof(err)), TALAD_OK);
	assert_int_equal(rstore_schema_version(f->st, &v), TALAD_OK);
	assert_int_equal(v, RSTORE_SCHEMA_VERSION);
	char *val;
	assert_int_equal(rstore_setting_get(f->st, "printer", &val), TALAD_OK);
	assert_string_equal(val, "tcp://10.0.0.5:9100");
	free(val);
	assert_int_equal(rstore_get_pairing(f->st, &(struct rstore_pairing){0}), TALAD_ENOTFOUND);
}

static void test_schema_newer_refused(void **state)
{
	struct fixture *f = *state;
	rstore_close(f->st);
	f->st = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	char err[256] = "";
	assert_int_equal(rstore_open(f->path, &f->st, err, sizeof(err)), TALAD_EDB);
	assert_non_null(strstr(err, "newer"));
	assert_null(f->st);
	/* Not a database at all. */
	char bad[160];
	snprintf(bad, sizeof(bad), "%s/junk.db", f->dir);
	FILE *fp = fopen(bad, "w");
	assert_non_null(fp);
	fputs("this is not sqlite, just some text that is long enough to look like a header\n", fp);
	fclose(fp);
	assert_int_not_equal(rstore_open(bad, &f->st, err, sizeof(err)), TALAD_OK);
	assert_null(f->st);
	assert_int_equal(rstore_open(f->path, &f->st, err, sizeof(err)), TALAD_EDB);
	/* teardown closes NULL happily */
}

static void test_settings(void **state)
{
	struct fixture *f = *state;
	char *v;
	assert_int_equal(rstore_setting_get(f->st, "printer", &v), TALAD_ENOTFOUND);
	assert_int_equal(rstore_setting_set(f->st, "Bad Key", "x"), TALAD_EINVAL);
	assert_int_equal(rstore_setting_set(f->st, "printer", "file:/tmp/a"), TALAD_OK);
	assert_int_equal(rstore_setting_set(f->st, "card-reader", "none"), TALAD_OK);
	assert_int_equal(rstore_setting_set(f->st, "printer", "file:/tmp/b"), TALAD_OK);
	char **keys, **vals;
	size_t n;
	assert_int_equal(rstore_settings_list(f->st, &keys, &vals, &n), TALAD_OK);
	assert_int_equal(n, 2);
	assert_string_equal(keys[0], "card-reader");
	assert_string_equal(keys[1], "printer");
	assert_string_equal(vals[1], "file:/tmp/b");
	rstore_free_strings(keys, n);
	rstore_free_strings(vals, n);
	assert_int_equal(rstore_setting_unset(f->st, "printer"), TALAD_OK);
	assert_int_equal(rstore_setting_unset(f->st, "printer"), TALAD_ENOTFOUND);
}

/* ---- snapshot and changes ---- */

static void test_snapshot(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	json_t *snap = parse(snapshot_json);
	/* Unpaired: refused. */
	assert_int_equal(rstore_apply_snapshot(f->st, snap, NULL, NULL, NULL, err, sizeof(err)),
	                 TALAD_ESTATE);
	pair(f->st);
	struct rstore_apply_stats stats;
	assert_int_equal(rstore_apply_snapshot(f->st, snap, NULL, NULL, &stats, err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(stats.products, 4);
	assert_int_equal(stats.variants, 5);
	assert_int_equal(stats.levels, 4);
	assert_int_equal(stats.staff, 2);
	assert_int_equal(stats.methods, 2);

	int64_t n;
	assert_int_equal(rstore_catalog_count(f->st, &n), TALAD_OK);
	assert_int_equal(n, 5);
	struct rstore_pairing p;
	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	assert_int_equal(p.cursor, 10);
	assert_string_equal(p.shop_name, "Test Shop");
	assert_false(p.logged_in);
	struct rstore_shop shop;
	assert_int_equal(rstore_get_shop(f->st, &shop), TALAD_OK);
	assert_string_equal(shop.currency, "THB");
	assert_int_equal(shop.tax.rate_ppm, 70000);
	assert_true(shop.tax.included);
	assert_int_equal(shop.cash_increment, 25);
	assert_string_equal(shop.tax_id, "0105551234567");
	assert_string_equal(shop.promptpay_id, "");

	char name[TENDER_NAME_MAX];
	assert_int_equal(rstore_payment_method_match(f->st, "promptpay qr", name, sizeof(name)),
	                 TALAD_OK);
	assert_string_equal(name, "PromptPay QR");
	assert_int_equal(rstore_payment_method_match(f->st, "Cheque", name, sizeof(name)),
	                 TALAD_ENOTFOUND);
	char **names;
	size_t nn;
	assert_int_equal(rstore_payment_methods(f->st, &names, &nn), TALAD_OK);
	assert_int_equal(nn, 2);
	assert_string_equal(names[0], "Bank transfer");
	rstore_free_strings(names, nn);
	struct rstore_staff m;
	assert_int_equal(rstore_get_staff(f->st, "s1", &m), TALAD_OK);
	assert_string_equal(m.pin_hash, "$argon2id$x");
	assert_int_equal(rstore_get_staff(f->st, "s2", &m), TALAD_OK);
	assert_string_equal(m.pin_hash, "");

	/* A bad snapshot changes nothing. */
	json_t *v1 = json_array_get(
	    json_object_get(json_array_get(json_object_get(snap, "products"), 1), "variants"), 0);
	json_object_set_new(v1, "price", json_string("60.00"));
	json_object_set_new(snap, "cursor", json_integer(99));
	assert_int_equal(rstore_apply_snapshot(f->st, snap, NULL, NULL, NULL, err, sizeof(err)),
	                 TALAD_EINVAL);
	if (!strstr(err, "products[1].variants[0].price"))
		fail_msg("unexpected message: %s", err);
	assert_int_equal(rstore_catalog_count(f->st, &n), TALAD_OK);
	assert_int_equal(n, 5);
	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	assert_int_equal(p.cursor, 10);

	/* A snapshot for another register is refused. */
	json_object_set_new(v1, "price", json_integer(6000));
	json_object_set_new(json_object_get(snap, "register"), "id",
	                    json_string("01900000-0000-7000-8000-0000000000ff"));
	assert_int_equal(rstore_apply_snapshot(f->st, snap, NULL, NULL, NULL, err, sizeof(err)),
	                 TALAD_ECONFLICT);
	json_decref(snap);
}

static void test_lookup(void **state)
{
	struct fixture *f = *state;
	struct rstore_variant v;
	assert_int_equal(rstore_find_variant(f->st, "8850001000014", &v), TALAD_OK);
	assert_string_equal(v.id, V_TEA);
	assert_string_equal(v.title, "Thai tea");
	assert_int_equal(v.price, 4500);
	assert_true(v.tracked);
	assert_true(v.has_level);
	assert_int_equal(v.available, 12);
	assert_int_equal(rstore_find_variant(f->st, "CAKE", &v), TALAD_OK);
	assert_string_equal(v.id, V_CAKE);
	assert_string_equal(v.barcode, "");
	assert_int_equal(rstore_find_variant(f->st, "BAG", &v), TALAD_OK);
	assert_false(v.has_level);
	assert_false(v.taxable);
	assert_string_equal(v.title, "Bag");
	assert_int_equal(rstore_find_variant(f->st, "112", &v), TALAD_OK);
	assert_string_equal(v.title, "Shirt - L");
	assert_int_equal(v.available, -1);
	assert_int_equal(rstore_find_variant(f->st, "nope", &v), TALAD_ENOTFOUND);
	assert_int_equal(rstore_find_variant(f->st, "", &v), TALAD_ENOTFOUND);

	struct rstore_variant *r;
	size_t n;
	assert_int_equal(rstore_search(f->st, "shirt", 10, &r, &n), TALAD_OK);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].sku, "SH-S");
	free(r);
	assert_int_equal(rstore_search(f->st, "%", 10, &r, &n), TALAD_OK);
	assert_int_equal(n, 0);
	free(r);
	assert_int_equal(rstore_search(f->st, "a", 2, &r, &n), TALAD_OK);
	assert_int_equal(n, 2);
	free(r);
}

static void test_changes(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	json_t *page = parse(
	    "{\"changes\": ["
	    " {\"seq\": 11, \"type\": \"product\", \"data\": {\"id\": \"p4\", \"title\": \"Shirt\","
	    "   \"variants\": [{\"id\": \"" V_SHIRT_S "\", \"sku\": \"SH-S\", \"barcode\": \"111\","
	    "   \"title\": \"S\", \"price\": 20000, \"taxable\": true, \"tracked\": true}]}},"
	    " {\"seq\": 12, \"type\": \"product_deleted\", \"data\": {\"id\": \"p2\"}},"
	    " {\"seq\": 13, \"type\": \"level\", \"data\": {\"variant_id\": \"" V_TEA "\","
	    "   \"location_id\": \"" LOC_ID "\", \"available\": 40}},"
	    " {\"seq\": 14, \"type\": \"level\", \"data\": {\"variant_id\": \"" V_SHIRT_S "\","
	    "   \"location_id\": \"" LOC2_ID "\", \"available\": 999}},"
	    " {\"seq\": 15, \"type\": \"staff\", \"data\": {\"id\": \"s3\", \"name\": \"Noi\","
	    "   \"role\": \"cashier\", \"pin_hash\": null}},"
	    " {\"seq\": 16, \"type\": \"payment_method\", \"data\": {\"id\": \"m3\","
	    "   \"name\": \"Card terminal\"}},"
	    " {\"seq\": 17, \"type\": \"shop\", \"data\": {\"name\": \"Renamed\","
	    "   \"currency\": \"THB\", \"tax_rate_ppm\": 70000, \"tax_included\": true,"
	    "   \"tax_rounding\": \"order\", \"cash_increment\": 0}},"
	    " {\"seq\": 18, \"type\": \"something_new\", \"data\": {}}"
	    "], \"cursor\": 18, \"more\": true, \"server_time\": \"2026-01-01T00:00:00.000Z\"}");
	struct rstore_apply_stats stats;
	int64_t cursor = 0;
	bool more = false;
	assert_int_equal(
	    rstore_apply_changes(f->st, page, &stats, &cursor, &more, err, sizeof(err)), TALAD_OK);
	assert_int_equal(cursor, 18);
	assert_true(more);
	assert_int_equal(stats.changes, 8);
	json_decref(page);

	struct rstore_variant v;
	assert_int_equal(rstore_find_variant(f->st, "111", &v), TALAD_OK);
	assert_int_equal(v.price, 20000);
	assert_string_equal(v.title, "Shirt"); /* one variant left */
	assert_int_equal(v.available, 5);      /* the other location's level ignored */
	assert_int_equal(rstore_find_variant(f->st, "112", &v), TALAD_ENOTFOUND);
	assert_int_equal(rstore_find_variant(f->st, "CAKE", &v), TALAD_ENOTFOUND);
	assert_int_equal(rstore_find_variant(f->st, "TEA-1", &v), TALAD_OK);
	assert_int_equal(v.available, 40);
	struct rstore_staff m;
	assert_int_equal(rstore_get_staff(f->st, "s3", &m), TALAD_OK);
	char name[TENDER_NAME_MAX];
	assert_int_equal(rstore_payment_method_match(f->st, "card terminal", name, sizeof(name)),
	                 TALAD_OK);
	struct rstore_shop shop;
	assert_int_equal(rstore_get_shop(f->st, &shop), TALAD_OK);
	assert_string_equal(shop.name, "Renamed");
	assert_int_equal(shop.tax.rounding, TAX_ROUND_ORDER);
	struct rstore_pairing p;
	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	assert_int_equal(p.cursor, 18);
	assert_string_equal(p.shop_name, "Renamed");

	/* A page with one bad change applies nothing, cursor included. */
	page = parse("{\"changes\": ["
	             " {\"seq\": 19, \"type\": \"level\", \"data\": {\"variant_id\": \"" V_TEA "\","
	             "   \"location_id\": \"" LOC_ID "\", \"available\": 1}},"
	             " {\"seq\": 20, \"type\": \"level\", \"data\": {\"variant_id\": \"" V_TEA "\","
	             "   \"location_id\": \"" LOC_ID "\", \"available\": \"many\"}}"
	             "], \"cursor\": 20, \"more\": false}");
	assert_int_equal(rstore_apply_changes(f->st, page, NULL, &cursor, &more, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "changes[1]"));
	json_decref(page);
	assert_int_equal(rstore_find_variant(f->st, "TEA-1", &v), TALAD_OK);
	assert_int_equal(v.available, 40);
	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	assert_int_equal(p.cursor, 18);

	/* An older page (another process got there first) never moves the
	 * cursor back. */
	page = parse("{\"changes\": [], \"cursor\": 15, \"more\": false}");
	assert_int_equal(rstore_apply_changes(f->st, page, NULL, &cursor, &more, err, sizeof(err)),
	                 TALAD_OK);
	json_decref(page);
	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	assert_int_equal(p.cursor, 18);
}

/* ---- sales ---- */

static void test_commit_sale(void **state)
{
	struct fixture *f = *state;
	const char *codes[] = {"8850001000014", "BAG", "SH-S"};
	int64_t qty[] = {2, 1, 1};
	struct order o;
	make_sale(f->st, codes, qty, 3, &o);
	strcpy(o.email, "buyer@example.com");
	char err[256] = "";
	assert_int_equal(rstore_commit_sale(f->st, &o, err, sizeof(err)), TALAD_OK);
	assert_true(uuid_valid(o.id));
	assert_string_equal(o.number, "R01-000001");
	assert_string_equal(o.register_id, REG_ID);
	assert_string_equal(o.location_id, LOC_ID);
	assert_true(o.created_at > 0);

	assert_int_equal(count_rows(f->path, "SELECT COUNT(*) FROM orders"), 1);
	assert_int_equal(count_rows(f->path, "SELECT COUNT(*) FROM order_lines"), 3);
	assert_int_equal(count_rows(f->path, "SELECT COUNT(*) FROM payments"), 1);
	/* The bag is not tracked: two deltas, not three. */
	assert_int_equal(count_rows(f->path, "SELECT COUNT(*) FROM stock_deltas"), 2);
	assert_int_equal(count_rows(f->path, "SELECT SUM(delta) FROM stock_deltas"), -3);
	assert_int_equal(count_rows(f->path, "SELECT COUNT(*) FROM outbox"), 2);

	struct rstore_outbox_row *rows;
	size_t n;
	assert_int_equal(rstore_outbox_read(f->st, true, 0, 10, &rows, &n), TALAD_OK);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].seq, 1);
	assert_string_equal(rows[0].type, "order.create");
	assert_int_equal(rows[1].seq, 2);
	assert_string_equal(rows[1].type, "receipt.email");
	/* The outbox carries the order as order_to_json wrote it, readable
	 * back by the strict reader the server uses. */
	json_t *j = parse(rows[0].payload);
	struct order back;
	order_init(&back, &o.cart.tax);
	if (order_from_json(j, &back, err, sizeof(err)))
		fail_msg("order_from_json: %s", err);
	assert_string_equal(back.id, o.id);
	assert_string_equal(back.number, o.number);
	assert_int_equal(back.cart.total, o.cart.total);
	assert_int_equal(back.cart.nlines, 3);
	order_release(&back);
	json_decref(j);
	j = parse(rows[1].payload);
	assert_string_equal(json_string_value(json_object_get(j, "order_id")), o.id);
	assert_string_equal(json_string_value(json_object_get(j, "email")), "buyer@example.com");
	json_decref(j);
	rstore_outbox_rows_free(rows, n);

	struct rstore_order_row row;
	char *text;
	assert_int_equal(rstore_get_order(f->st, "R01-000001", &row, &text), TALAD_OK);
	assert_string_equal(row.id, o.id);
	assert_int_equal(row.status, RSTORE_ORDER_WAITING);
	assert_int_equal(row.total, o.cart.total);
	free(text);
	assert_int_equal(rstore_get_order(f->st, o.id, &row, NULL), TALAD_OK);
	assert_int_equal(rstore_get_order(f->st, "R01-000002", &row, NULL), TALAD_ENOTFOUND);
	order_release(&o);
}

static void test_stock_with_deltas(void **state)
{
	struct fixture *f = *state;
	struct order o;
	sell(f->st, "TEA-1", 3, &o);
	order_release(&o);
	sell(f->st, "8850001000014", 1, &o);
	order_release(&o);
	struct rstore_variant v;
	assert_int_equal(rstore_find_variant(f->st, "TEA-1", &v), TALAD_OK);
	assert_int_equal(v.level, 12);
	assert_int_equal(v.unsynced, -4);
	assert_int_equal(v.available, 8);
	/* Oversold offline is a fact, not an error. */
	sell(f->st, "CAKE", 5, &o);
	order_release(&o);
	assert_int_equal(rstore_find_variant(f->st, "CAKE", &v), TALAD_OK);
	assert_int_equal(v.available, -2);

	/* The first sale acknowledged: its delta no longer counts. */
	struct rstore_push_result r = {.seq = 1, .status = RSTORE_OUT_APPLIED};
	assert_int_equal(rstore_record_push(f->st, 1, &r, 1, NULL), TALAD_OK);
	assert_int_equal(rstore_find_variant(f->st, "TEA-1", &v), TALAD_OK);
	assert_int_equal(v.unsynced, -1);
	assert_int_equal(v.available, 11);
	/* The pull then brings the level the back office computed. */
	char err[256];
	json_t *page = parse("{\"changes\": [{\"seq\": 11, \"type\": \"level\", \"data\":"
	                     " {\"variant_id\": \"" V_TEA "\", \"location_id\": \"" LOC_ID "\","
	                     " \"available\": 9}}], \"cursor\": 11, \"more\": false}");
	assert_int_equal(rstore_apply_changes(f->st, page, NULL, NULL, NULL, err, sizeof(err)),
	                 TALAD_OK);
	json_decref(page);
	assert_int_equal(rstore_find_variant(f->st, "TEA-1", &v), TALAD_OK);
	assert_int_equal(v.available, 8);
}

static void test_numbers_gap_free(void **state)
{
	struct fixture *f = *state;
	enum { N = 60 };
	for (int i = 0; i < N; i++) {
		struct order o;
		sell(f->st, i % 2 ? "BAG" : "TEA-1", 1 + i % 3, &o);
		char want[32];
		snprintf(want, sizeof(want), "R01-%06d", i + 1);
		assert_string_equal(o.number, want);
		order_release(&o);
		if (i == 20) {
			/* A sale that fails (logged out) takes no number. */
			assert_int_equal(rstore_set_logged_in(f->st, false), TALAD_OK);
			struct order bad;
			const char *code = "BAG";
			int64_t q = 1;
			rstore_set_logged_in(f->st, true);
			make_sale(f->st, &code, &q, 1, &bad);
			rstore_set_logged_in(f->st, false);
			char err[256] = "";
			assert_int_equal(rstore_commit_sale(f->st, &bad, err, sizeof(err)),
			                 TALAD_ESTATE);
			assert_string_equal(bad.number, "");
			order_release(&bad);
			assert_int_equal(rstore_set_logged_in(f->st, true), TALAD_OK);
		}
	}
	struct rstore_order_row *rows;
	size_t n;
	assert_int_equal(rstore_list_orders(f->st, false, &rows, &n), TALAD_OK);
	assert_int_equal(n, N);
	for (size_t i = 0; i < n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "R01-%06zu", i + 1);
		assert_string_equal(rows[i].number, want);
	}
	free(rows);
	assert_int_equal(
	    count_rows(f->path, "SELECT MAX(seq) - MIN(seq) + 1 - COUNT(*) FROM outbox"), 0);
	assert_int_equal(count_rows(f->path, "SELECT COUNT(*) FROM outbox"), N);
}

/* ---- outbox ---- */

static void test_outbox_order_and_acks(void **state)
{
	struct fixture *f = *state;
	json_t *pl = json_pack("{s:s, s:s}", "reason", "change", "staff_id", "s1");
	int64_t seq = 0;
	struct order o;
	sell(f->st, "TEA-1", 1, &o); /* seq 1 */
	char first[UUID_STRLEN + 1];
	strcpy(first, o.id);
	order_release(&o);
	assert_int_equal(rstore_outbox_append(f->st, "drawer.open", pl, &seq), TALAD_OK);
	assert_int_equal(seq, 2);
	sell(f->st, "SH-S", 1, &o); /* seq 3 */
	char third[UUID_STRLEN + 1];
	strcpy(third, o.id);
	order_release(&o);
	sell(f->st, "CAKE", 1, &o); /* seq 4 */
	order_release(&o);
	assert_int_equal(rstore_outbox_append(f->st, "Drawer Open", pl, &seq), TALAD_EINVAL);
	json_t *arr = json_array();
	assert_int_equal(rstore_outbox_append(f->st, "drawer.open", arr, &seq), TALAD_EINVAL);
	json_decref(arr);

	int64_t pending;
	assert_int_equal(rstore_pending_count(f->st, &pending), TALAD_OK);
	assert_int_equal(pending, 4);
	struct rstore_outbox_row *rows;
	size_t n;
	assert_int_equal(rstore_outbox_read(f->st, true, 0, 3, &rows, &n), TALAD_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(rows[i].seq, (int64_t)i + 1);
	assert_string_equal(rows[1].type, "drawer.open");
	rstore_outbox_rows_free(rows, n);

	/* The server acked through 3: 1 applied, 2 not listed (it had it
	 * already), 3 rejected; a result past acked_through is ignored. */
	struct rstore_push_result res[3] = {
	    {.seq = 1, .status = RSTORE_OUT_APPLIED},
	    {.seq = 3, .status = RSTORE_OUT_REJECTED, .error = "totals_mismatch: no"},
	    {.seq = 4, .status = RSTORE_OUT_APPLIED},
	};
	struct rstore_push_tally t;
	assert_int_equal(rstore_record_push(f->st, 3, res, 3, &t), TALAD_OK);
	assert_int_equal(t.applied, 1);
	assert_int_equal(t.duplicate, 1);
	assert_int_equal(t.rejected, 1);
	assert_int_equal(rstore_pending_count(f->st, &pending), TALAD_OK);
	assert_int_equal(pending, 1);
	assert_int_equal(rstore_outbox_read(f->st, true, 0, 10, &rows, &n), TALAD_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].seq, 4);
	rstore_outbox_rows_free(rows, n);
	assert_int_equal(rstore_outbox_read(f->st, false, 0, 10, &rows, &n), TALAD_OK);
	assert_int_equal(n, 4);
	assert_int_equal(rows[0].status, RSTORE_OUT_APPLIED);
	assert_int_equal(rows[1].status, RSTORE_OUT_DUPLICATE);
	assert_int_equal(rows[2].status, RSTORE_OUT_REJECTED);
	assert_string_equal(rows[2].error, "totals_mismatch: no");
	assert_int_equal(rows[3].status, RSTORE_OUT_PENDING);
	rstore_outbox_rows_free(rows, n);

	struct rstore_order_row row;
	assert_int_equal(rstore_get_order(f->st, first, &row, NULL), TALAD_OK);
	assert_int_equal(row.status, RSTORE_ORDER_SYNCED);
	assert_int_equal(rstore_get_order(f->st, third, &row, NULL), TALAD_OK);
	assert_int_equal(row.status, RSTORE_ORDER_REJECTED);
	assert_string_equal(row.error, "totals_mismatch: no");
	struct rstore_order_row *orows;
	assert_int_equal(rstore_list_orders(f->st, true, &orows, &n), TALAD_OK);
	assert_int_equal(n, 1);
	assert_string_equal(orows[0].number, "R01-000003");
	free(orows);

	/* Recording the same answer again changes nothing. */
	assert_int_equal(rstore_record_push(f->st, 3, res, 3, &t), TALAD_OK);
	assert_int_equal(t.applied + t.duplicate + t.rejected, 0);
	json_decref(pl);
}

static void test_duplicate_op_id(void **state)
{
	struct fixture *f = *state;
	json_t *pl = json_pack("{s:s}", "reason", "float");
	const char *op = "01900000-0000-7000-8000-00000000c0de";
	int64_t seq;
	assert_int_equal(rstore_outbox_append_op(f->st, op, "drawer.open", pl, &seq), TALAD_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(rstore_outbox_append_op(f->st, op, "drawer.open", pl, &seq), TALAD_EEXIST);
	assert_int_equal(rstore_outbox_append_op(f->st, "not-a-uuid", "drawer.open", pl, &seq),
	                 TALAD_EINVAL);
	int64_t pending;
	assert_int_equal(rstore_pending_count(f->st, &pending), TALAD_OK);
	assert_int_equal(pending, 1);
	/* The next row still takes the next number: no gap was left. */
	assert_int_equal(rstore_outbox_append(f->st, "drawer.open", pl, &seq), TALAD_OK);
	assert_int_equal(seq, 2);
	json_decref(pl);
}

static void test_identity(void **state)
{
	struct fixture *f = *state;
	struct order o;
	sell(f->st, "TEA-1", 1, &o);
	order_release(&o);
	/* Logging out keeps the identity and the unsynced sale. */
	assert_int_equal(rstore_set_logged_in(f->st, false), TALAD_OK);
	struct rstore_pairing p;
	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	assert_false(p.logged_in);
	assert_string_equal(p.token, "");
	assert_string_equal(p.register_id, REG_ID);
	/* A new identity is refused while the sale is unsynced. */
	struct rstore_pairing np = p;
	strcpy(np.register_id, "01900000-0000-7000-8000-0000000000e2");
	strcpy(np.token, "other");
	assert_int_equal(rstore_set_pairing(f->st, &np, true), TALAD_ESTATE);
	/* Taking the same register back keeps numbering and outbox. */
	strcpy(p.token, "tok2");
	assert_int_equal(rstore_set_pairing(f->st, &p, false), TALAD_OK);
	assert_int_equal(rstore_set_pairing(f->st, &np, false), TALAD_ECONFLICT);
	assert_int_equal(rstore_set_logged_in(f->st, true), TALAD_OK);
	sell(f->st, "TEA-1", 1, &o);
	assert_string_equal(o.number, "R01-000002");
	order_release(&o);
	/* Once everything is acknowledged a new identity starts from 1. */
	assert_int_equal(rstore_record_push(f->st, 2, NULL, 0, NULL), TALAD_OK);
	strcpy(np.register_code, "R07");
	assert_int_equal(rstore_set_pairing(f->st, &np, true), TALAD_OK);
	assert_int_equal(count_rows(f->path, "SELECT COUNT(*) FROM orders"), 0);
	assert_int_equal(count_rows(f->path, "SELECT COUNT(*) FROM outbox"), 0);
	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	assert_int_equal(p.receipt_counter, 0);
	assert_int_equal(p.cursor, 0);
	assert_string_equal(p.register_code, "R07");
}

static void test_note_sync(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rstore_note_sync(f->st, true, NULL, 1234, true, -400000), TALAD_OK);
	struct rstore_pairing p;
	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	assert_true(p.sync_online);
	assert_int_equal(p.last_sync, 1234);
	assert_int_equal(p.clock_skew_ms, -400000);
	assert_int_equal(rstore_note_sync(f->st, false, "connection refused", 0, false, 0),
	                 TALAD_OK);
	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	assert_false(p.sync_online);
	assert_int_equal(p.last_sync, 1234);
	assert_int_equal(p.clock_skew_ms, -400000);
	assert_string_equal(p.sync_error, "connection refused");
}

/* A child commits a sale and says so the moment the commit returns; the
 * parent kills it at once and must find every part of the sale. */
static void test_kill_after_commit(void **state)
{
	struct fixture *f = *state;
	for (int round = 0; round < 5; round++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			char err[256];
			struct rstore *st;
			if (rstore_open(f->path, &st, err, sizeof(err)))
				_exit(2);
			for (;;) {
				struct order o;
				const char *code = "TEA-1";
				int64_t q = 2;
				make_sale(st, &code, &q, 1, &o);
				if (rstore_commit_sale(st, &o, err, sizeof(err)))
					_exit(3);
				char msg[sizeof(o.id) + sizeof(o.number) + 2];
				snprintf(msg, sizeof(msg), "%s %s\n", o.id, o.number);
				if (write(fds[1], msg, strlen(msg)) < 0)
					_exit(4);
				order_release(&o);
			}
		}
		close(fds[1]);
		char line[128];
		size_t got = 0;
		while (got < sizeof(line) - 1) {
			ssize_t r = read(fds[0], line + got, 1);
			assert_true(r == 1);
			if (line[got++] == '\n')
				break;
		}
		kill(pid, SIGKILL);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		close(fds[0]);
		line[got - 1] = '\0';
		char id[UUID_STRLEN + 1], number[ORDER_NUMBER_MAX];
		assert_int_equal(sscanf(line, "%36s %31s", id, number), 2);

		/* Reopen as a fresh process would. */
		rstore_close(f->st);
		char err[256];
		assert_int_equal(rstore_open(f->path, &f->st, err, sizeof(err)), TALAD_OK);
		struct rstore_order_row row;
		char *text;
		assert_int_equal(rstore_get_order(f->st, id, &row, &text), TALAD_OK);
		assert_string_equal(row.number, number);
		json_t *j = parse(text);
		free(text);
		assert_string_equal(json_string_value(json_object_get(j, "id")), id);
		json_decref(j);
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM order_lines WHERE order_id = '%s'",
		         id);
		assert_int_equal(count_rows(f->path, sql), 1);
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM payments WHERE order_id = '%s'",
		         id);
		assert_int_equal(count_rows(f->path, sql), 1);
		snprintf(sql, sizeof(sql),
		         "SELECT SUM(delta) FROM stock_deltas WHERE order_id = '%s'", id);
		assert_int_equal(count_rows(f->path, sql), -2);
		snprintf(sql, sizeof(sql),
		         "SELECT COUNT(*) FROM outbox WHERE order_id = '%s'"
		         " AND type = 'order.create' AND status = 'pending'",
		         id);
		assert_int_equal(count_rows(f->path, sql), 1);
		/* Whatever the child did after: never half a sale. */
		assert_int_equal(count_rows(f->path,
		                            "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS"
		                            " (SELECT 1 FROM outbox x WHERE x.order_id = o.id)"),
		                 0);
		assert_int_equal(count_rows(f->path,
		                            "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS"
		                            " (SELECT 1 FROM payments x WHERE x.order_id = o.id)"),
		                 0);
	}
	/* Numbers stayed gap-free across the kills. */
	assert_int_equal(count_rows(f->path, "SELECT MAX(counter) - COUNT(*) FROM orders"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_schema_fresh_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_schema_newer_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookup, setup_ready, teardown),
	    cmocka_unit_test_setup_teardown(test_changes, setup_ready, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_sale, setup_ready, teardown),
	    cmocka_unit_test_setup_teardown(test_stock_with_deltas, setup_ready, teardown),
	    cmocka_unit_test_setup_teardown(test_numbers_gap_free, setup_ready, teardown),
	    cmocka_unit_test_setup_teardown(test_outbox_order_and_acks, setup_ready, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate_op_id, setup_ready, teardown),
	    cmocka_unit_test_setup_teardown(test_identity, setup_ready, teardown),
	    cmocka_unit_test_setup_teardown(test_note_sync, setup_ready, teardown),
	    cmocka_unit_test_setup_teardown(test_kill_after_commit, setup_ready, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
