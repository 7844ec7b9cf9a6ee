/* Unit tests for the server's store interface on its SQLite backend: the
 * UNIQUE constraints that keep duplicates out (SKU, barcode, e-mail, order
 * id and number, op_id, delta id), product replacement, levels and deltas,
 * the change feed's bounds and pruning, tokens, registers, transactions, and
 * the schema version check. Each test gets a fresh database file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../lib/fixtures.h"
#include "common/err.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "server/store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
	struct st_location loc;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	assert_int_equal(fx_server_store("talad-store-test", f->dir, f->path, &f->st), 0);
	uuid_v7(f->loc.id);
	strcpy(f->loc.name, "Front");
	assert_int_equal(TALAD_OK, f->st->ops->location_add(f->st, &f->loc));
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

static void make_variant(struct st_variant *v, const char *sku, const char *barcode, int64_t price)
{
	memset(v, 0, sizeof(*v));
	uuid_v7(v->id);
	strcpy(v->sku, sku);
	strcpy(v->barcode, barcode);
	v->price = price;
	v->taxable = v->tracked = true;
}

static void make_product(struct st_product *p, const char *title, struct st_variant *vs, size_t n)
{
	memset(p, 0, sizeof(*p));
	uuid_v7(p->id);
	strcpy(p->title, title);
	p->variants = vs;
	p->nvariants = n;
}

static void test_products(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	struct st_variant v[2], w[1];
	struct st_product p, q, got;
	make_variant(&v[0], "A-1", "8850000000010", 2500);
	make_variant(&v[1], "A-2", "", 3000);
	make_product(&p, "Tea", v, 2);
	assert_int_equal(TALAD_OK, st->ops->product_put(st, &p, true));
	assert_int_equal(TALAD_EEXIST, st->ops->product_put(st, &p, true));

	/* A SKU or barcode of another variant is refused. */
	make_variant(&w[0], "A-1", "", 100);
	make_product(&q, "Other", w, 1);
	assert_int_equal(TALAD_EEXIST, st->ops->product_put(st, &q, true));
	make_variant(&w[0], "B-1", "8850000000010", 100);
	assert_int_equal(TALAD_EEXIST, st->ops->product_put(st, &q, true));
	make_variant(&w[0], "B-1", "", 100);
	assert_int_equal(TALAD_OK, st->ops->product_put(st, &q, true));
	/* Two variants without a barcode are fine (NULL is not a duplicate). */
	assert_int_equal(TALAD_OK, st->ops->product_get(st, p.id, &got));
	assert_int_equal(2, got.nvariants);
	assert_string_equal("A-2", got.variants[1].sku);
	assert_string_equal("", got.variants[1].barcode);
	store_product_release(&got);

	/* Replacing: A-2 goes, A-1 changes price, A-3 is new. */
	int64_t level;
	assert_int_equal(TALAD_OK, st->ops->level_add(st, v[1].id, f->loc.id, 5, &level));
	struct st_variant r[2];
	r[0] = v[0];
	r[0].price = 2700;
	make_variant(&r[1], "A-3", "", 3500);
	p.variants = r;
	assert_int_equal(TALAD_OK, st->ops->product_put(st, &p, false));
	assert_int_equal(TALAD_OK, st->ops->product_get(st, p.id, &got));
	assert_int_equal(2, got.nvariants);
	assert_string_equal(v[0].id, got.variants[0].id);
	assert_int_equal(2700, got.variants[0].price);
	assert_string_equal("A-3", got.variants[1].sku);
	store_product_release(&got);
	bool tracked;
	assert_int_equal(TALAD_ENOTFOUND, st->ops->variant_info(st, v[1].id, NULL, &tracked));
	assert_int_equal(TALAD_OK, st->ops->level_get(st, v[1].id, f->loc.id, &level));
	assert_int_equal(0, level);

	/* A variant of another product cannot be taken over. */
	struct st_variant steal = w[0];
	steal.price = 1;
	strcpy(steal.sku, "STOLEN");
	p.variants = &steal;
	p.nvariants = 1;
	assert_int_equal(TALAD_ECONFLICT, st->ops->product_put(st, &p, false));
	st->ops->rollback(st);

	assert_int_equal(TALAD_ENOTFOUND, st->ops->product_delete(st, "no-such"));
	assert_int_equal(TALAD_OK, st->ops->product_delete(st, q.id));
	assert_int_equal(TALAD_ENOTFOUND, st->ops->product_get(st, q.id, &got));
}

struct count_ctx {
	int n;
	int64_t last_n;
	char titles[8][64];
};

static int count_products(void *arg, const struct st_product *p)
{
	struct count_ctx *c = arg;
	if (c->n < 8)
		strlcpy_t(c->titles[c->n], p->title, sizeof(c->titles[0]));
	c->n++;
	c->last_n = p->n;
	return TALAD_OK;
}

static void test_product_paging(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	for (int i = 0; i < 5; i++) {
		struct st_variant v;
		struct st_product p;
		char sku[24], title[24];
		snprintf(sku, sizeof(sku), "P-%d", i);
		snprintf(title, sizeof(title), "Product %d", i);
		make_variant(&v, sku, "", 100 + i);
		make_product(&p, title, &v, 1);
		assert_int_equal(TALAD_OK, st->ops->product_put(st, &p, true));
	}
	struct count_ctx c = {0};
	assert_int_equal(TALAD_OK, st->ops->product_list(st, 0, 2, NULL, count_products, &c));
	assert_int_equal(2, c.n);
	assert_string_equal("Product 0", c.titles[0]);
	assert_string_equal("Product 1", c.titles[1]);
	int64_t after = c.last_n;
	memset(&c, 0, sizeof(c));
	assert_int_equal(TALAD_OK, st->ops->product_list(st, after, 0, NULL, count_products, &c));
	assert_int_equal(3, c.n);
	assert_string_equal("Product 2", c.titles[0]);
}

static void test_levels_and_deltas(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	struct st_variant v;
	struct st_product p;
	make_variant(&v, "L-1", "", 100);
	make_product(&p, "Levels", &v, 1);
	assert_int_equal(TALAD_OK, st->ops->product_put(st, &p, true));
	struct st_delta d = {.delta = -3, .reason = "sale", .order_id = NULL, .created_at = 1};
	strcpy(d.id, "order-1:1");
	strcpy(d.variant_id, v.id);
	strcpy(d.location_id, f->loc.id);
	assert_int_equal(TALAD_OK, st->ops->delta_add(st, &d));
	assert_int_equal(TALAD_EEXIST, st->ops->delta_add(st, &d));
	int64_t level;
	assert_int_equal(TALAD_OK, st->ops->level_add(st, v.id, f->loc.id, -3, &level));
	assert_int_equal(-3, level);
	assert_int_equal(TALAD_OK, st->ops->level_add(st, v.id, f->loc.id, 10, &level));
	assert_int_equal(7, level);
	assert_int_equal(TALAD_OK, st->ops->level_get(st, v.id, f->loc.id, &level));
	assert_int_equal(7, level);
	/* A level of an unknown location is refused by the foreign key. */
	assert_int_equal(
	    TALAD_ENOTFOUND,
	    st->ops->level_add(st, v.id, "01900000-0000-7000-8000-000000000000", 1, &level));
}

static void test_orders_and_mutations(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	struct st_register g = {.pending = -1, .created_at = 1};
	uuid_v7(g.id);
	strcpy(g.name, "Till");
	strcpy(g.code, "R01");
	strcpy(g.location_id, f->loc.id);
	assert_int_equal(TALAD_OK, st->ops->register_add(st, &g));
	struct st_register dup = g;
	uuid_v7(dup.id);
	assert_int_equal(TALAD_EEXIST, st->ops->register_add(st, &dup)); /* same code */

	assert_int_equal(TALAD_OK,
	                 st->ops->mutation_add(st, g.id, 1, "op-1", "order.create", "applied", 1));
	assert_int_equal(TALAD_EEXIST,
	                 st->ops->mutation_add(st, g.id, 2, "op-1", "order.create", "applied", 1));
	assert_int_equal(TALAD_OK, st->ops->mutation_set_status(st, g.id, 1, "rejected"));
	assert_int_equal(TALAD_ENOTFOUND, st->ops->mutation_set_status(st, g.id, 9, "rejected"));

	struct st_order o = {.created_at = 1, .received_at = 2, .total = 10700, .json = "{}"};
	uuid_v7(o.id);
	strcpy(o.number, "R01-000001");
	strcpy(o.register_id, g.id);
	strcpy(o.location_id, f->loc.id);
	assert_int_equal(TALAD_OK, st->ops->order_add(st, &o));
	assert_true(o.n > 0);
	assert_int_equal(TALAD_EEXIST, st->ops->order_add(st, &o));
	struct st_order other = o;
	uuid_v7(other.id);
	assert_int_equal(TALAD_ECONFLICT, st->ops->order_add(st, &other));
	strcpy(other.number, "R01-000002");
	assert_int_equal(TALAD_OK, st->ops->order_add(st, &other));

	assert_int_equal(TALAD_OK, st->ops->register_set_seq(st, g.id, 5));
	assert_int_equal(TALAD_OK, st->ops->register_touch(st, g.id, 1234, 3));
	assert_int_equal(TALAD_OK, st->ops->register_touch(st, g.id, 1300, -1));
	struct st_register back;
	assert_int_equal(TALAD_OK, st->ops->register_get(st, g.id, &back));
	assert_int_equal(5, back.last_seq);
	assert_int_equal(1300, back.last_sync);
	assert_int_equal(3, back.pending); /* -1 keeps the last report */
	assert_int_equal(TALAD_OK, st->ops->register_remove(st, g.id, 2000));
	assert_int_equal(TALAD_ENOTFOUND, st->ops->register_get(st, g.id, &back));
	assert_int_equal(TALAD_ENOTFOUND, st->ops->register_remove(st, g.id, 2000));
}

static int collect_changes(void *arg, int64_t seq, const char *type, const char *data)
{
	struct buf_ctx {
		char text[512];
	} *b = arg;
	char one[96];
	snprintf(one, sizeof(one), "%lld:%s:%s;", (long long)seq, type, data);
	strncat(b->text, one, sizeof(b->text) - strlen(b->text) - 1);
	return TALAD_OK;
}

static void test_feed(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	int64_t floor, head, seq;
	assert_int_equal(TALAD_OK, st->ops->feed_bounds(st, &floor, &head));
	assert_int_equal(0, floor);
	assert_int_equal(0, head);
	assert_int_equal(TALAD_OK, st->ops->feed_append(st, "shop", NULL, "{\"a\":1}", &seq));
	assert_int_equal(1, seq);
	assert_int_equal(TALAD_OK, st->ops->feed_append(st, "level", f->loc.id, "{\"b\":2}", &seq));
	assert_int_equal(TALAD_OK,
	                 st->ops->feed_append(st, "level", "elsewhere", "{\"c\":3}", &seq));
	assert_int_equal(TALAD_OK, st->ops->feed_append(st, "staff", NULL, "{\"d\":4}", &seq));
	struct {
		char text[512];
	} b = {""};
	assert_int_equal(TALAD_OK, st->ops->feed_read(st, 0, f->loc.id, 0, collect_changes, &b));
	assert_string_equal("1:shop:{\"a\":1};2:level:{\"b\":2};4:staff:{\"d\":4};", b.text);
	b.text[0] = '\0';
	assert_int_equal(TALAD_OK, st->ops->feed_read(st, 1, f->loc.id, 1, collect_changes, &b));
	assert_string_equal("2:level:{\"b\":2};", b.text);

	/* Pruning keeps the newest and raises the floor; the head stays. */
	assert_int_equal(TALAD_OK, st->ops->feed_prune(st, 2));
	assert_int_equal(TALAD_OK, st->ops->feed_bounds(st, &floor, &head));
	assert_int_equal(2, floor);
	assert_int_equal(4, head);
	b.text[0] = '\0';
	assert_int_equal(TALAD_OK, st->ops->feed_read(st, 0, "elsewhere", 0, collect_changes, &b));
	assert_string_equal("3:level:{\"c\":3};4:staff:{\"d\":4};", b.text);
	assert_int_equal(TALAD_OK, st->ops->feed_prune(st, 10)); /* nothing to do */
	assert_int_equal(TALAD_OK, st->ops->feed_bounds(st, &floor, &head));
	assert_int_equal(2, floor);
	/* Seqs are never reused after a prune. */
	assert_int_equal(TALAD_OK, st->ops->feed_append(st, "shop", NULL, "{}", &seq));
	assert_int_equal(5, seq);
}

static void test_transactions(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	int64_t seq, floor, head;
	assert_int_equal(TALAD_OK, st->ops->begin(st, ST_TX_WRITE));
	assert_int_equal(TALAD_OK, st->ops->feed_append(st, "shop", NULL, "{}", &seq));
	st->ops->rollback(st);
	assert_int_equal(TALAD_OK, st->ops->feed_bounds(st, &floor, &head));
	assert_int_equal(0, head);
	assert_int_equal(TALAD_OK, st->ops->begin(st, ST_TX_WRITE));
	assert_int_equal(TALAD_OK, st->ops->feed_append(st, "shop", NULL, "{}", &seq));
	assert_int_equal(TALAD_OK, st->ops->commit(st));
	assert_int_equal(TALAD_OK, st->ops->feed_bounds(st, &floor, &head));
	assert_int_equal(1, head);
	st->ops->rollback(st); /* harmless without a transaction */

	/* A second handle sees the commit; its write waits for the first. */
	struct store *two;
	char err[256];
	assert_int_equal(TALAD_OK, store_sqlite_open(f->path, false, &two, err, sizeof(err)));
	assert_int_equal(TALAD_OK, two->ops->feed_bounds(two, &floor, &head));
	assert_int_equal(1, head);
	int64_t a, b;
	assert_int_equal(TALAD_OK, st->ops->counter_next(st, "register_code", &a));
	assert_int_equal(TALAD_OK, two->ops->counter_next(two, "register_code", &b));
	assert_int_equal(1, a);
	assert_int_equal(2, b);
	assert_int_equal(TALAD_OK, two->ops->maintain(two));
	two->ops->close(two);
}

static void test_staff_and_tokens(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	struct st_staff s = {.role = ST_ROLE_MANAGER};
	uuid_v7(s.id);
	strcpy(s.name, "Lek");
	strcpy(s.email, "lek@example.com");
	assert_int_equal(TALAD_OK, st->ops->staff_add(st, &s));
	struct st_staff t = s;
	uuid_v7(t.id);
	strcpy(t.email, "LEK@example.com");
	assert_int_equal(TALAD_EEXIST, st->ops->staff_add(st, &t)); /* e-mail case ignored */
	t.email[0] = '\0';
	assert_int_equal(TALAD_OK, st->ops->staff_add(st, &t)); /* PIN-only staff */
	uuid_v7(t.id);
	assert_int_equal(TALAD_OK, st->ops->staff_add(st, &t)); /* several without e-mail */
	struct st_staff got;
	assert_int_equal(TALAD_OK, st->ops->staff_by_email(st, "LEK@EXAMPLE.COM", &got));
	assert_string_equal(s.id, got.id);
	assert_int_equal(ST_ROLE_MANAGER, got.role);
	assert_int_equal(TALAD_OK, st->ops->staff_set_lockout(st, s.id, 4, 99));
	assert_int_equal(TALAD_OK, st->ops->staff_get(st, s.id, &got));
	assert_int_equal(4, got.failed_logins);
	assert_int_equal(99, got.locked_until);

	struct st_token tok = {.kind = ST_TOKEN_STAFF, .expires_at = 1000};
	strcpy(tok.subject_id, s.id);
	assert_int_equal(TALAD_OK, st->ops->token_add(st, "hash-1", &tok, 1));
	tok.kind = ST_TOKEN_REGISTER;
	tok.expires_at = 0;
	assert_int_equal(TALAD_OK, st->ops->token_add(st, "hash-2", &tok, 1));
	assert_int_equal(TALAD_EEXIST, st->ops->token_add(st, "hash-2", &tok, 1));
	struct st_token back;
	assert_int_equal(TALAD_OK, st->ops->token_get(st, "hash-1", &back));
	assert_int_equal(ST_TOKEN_STAFF, back.kind);
	assert_int_equal(1000, back.expires_at);
	assert_int_equal(TALAD_OK, st->ops->token_prune(st, 2000));
	assert_int_equal(TALAD_ENOTFOUND, st->ops->token_get(st, "hash-1", &back));
	assert_int_equal(TALAD_OK, st->ops->token_get(st, "hash-2", &back)); /* never expires */
	assert_int_equal(ST_TOKEN_REGISTER, back.kind);
	assert_int_equal(TALAD_OK, st->ops->token_delete_subject(st, s.id));
	assert_int_equal(TALAD_ENOTFOUND, st->ops->token_get(st, "hash-2", &back));
}

static void test_schema_version(void **state)
{
	struct fx *f = *state;
	char err[256];
	struct store *again;
	f->st->ops->close(f->st);
	f->st = NULL;
	/* Reopening applies nothing twice. */
	assert_int_equal(TALAD_OK, store_sqlite_open(f->path, false, &again, err, sizeof(err)));
	again->ops->close(again);
	/* A database from a newer talad-server is refused. */
	sqlite3 *db;
	assert_int_equal(SQLITE_OK, sqlite3_open(f->path, &db));
	assert_int_equal(SQLITE_OK,
	                 sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL));
	sqlite3_close(db);
	assert_int_equal(TALAD_EDB, store_sqlite_open(f->path, false, &again, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));
	/* No database and no create: not found. */
	char *none = xasprintf("%s/none.db", f->dir);
	assert_int_equal(TALAD_ENOTFOUND, store_sqlite_open(none, false, &again, err, sizeof(err)));
	free(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_products, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_product_paging, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_levels_and_deltas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_orders_and_mutations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_feed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_staff_and_tokens, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_schema_version, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
