/* Unit tests of rstore_apply_snapshot_text, the login's way of taking a
 * snapshot in: the same catalog as the JSON tree gives, members in any order,
 * the products parsed by a second thread, and every bad text -- broken JSON,
 * a bad product deep in the array, a bad envelope after the products, another
 * register's snapshot -- refused with nothing changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../lib/fixtures.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "register/rstore.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG_ID   FX_REG_ID
#define OTHER_ID "01900000-0000-7000-8000-000000000002"
#define LOC_ID   FX_LOC_ID

struct fixture {
	char dir[64];
	struct rstore *st;  /* takes the text */
	struct rstore *ref; /* takes the same snapshot as a tree */
};

static struct rstore *open_paired(const char *dir, const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct rstore *st;
	assert_int_equal(fx_register_store(path, NULL, false, &st), 0);
	return st;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	if (fx_tmpdir("talad-snaptext", f->dir, sizeof(f->dir)))
		return -1;
	f->st = open_paired(f->dir, "text.db");
	f->ref = open_paired(f->dir, "tree.db");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rstore_close(f->st);
	rstore_close(f->ref);
	int rc = fx_rmtree(f->dir);
	free(f);
	return rc;
}

/* ---- generated snapshots ---- */

static void vid(size_t i, char out[37])
{
	snprintf(out, 37, "01900000-0000-7000-8001-%012zx", i);
}

/* The products array of n products with per variants each; variant i of
 * product p has barcode 885 + its number and level i % 7 - 2. */
static void products_json(struct buf *b, size_t n, size_t per)
{
	buf_puts(b, "[");
	for (size_t p = 0; p < n; p++) {
		buf_printf(b,
		           "%s\n  {\"id\": \"p%zu\", \"title\": \"Product %zu\", \"variants\": [",
		           p ? "," : "", p, p);
		for (size_t j = 0; j < per; j++) {
			size_t i = p * per + j;
			char id[37];
			vid(i, id);
			buf_printf(
			    b,
			    "%s{\"id\": \"%s\", \"sku\": \"SKU-%zu\", \"barcode\": \"885%zu\","
			    " \"title\": \"Size %zu\", \"price\": %zu, \"taxable\": %s,"
			    " \"tracked\": true, \"available\": %d}",
			    j ? ", " : "", id, i, i, j, 100 + i, i % 2 ? "true" : "false",
			    (int)(i % 7) - 2);
		}
		buf_puts(b, "]}");
	}
	buf_puts(b, "]");
}

struct members {
	const char *reg_id;
	const char *shop;     /* NULL: the usual one */
	bool products_first;  /* products before the envelope */
	bool no_register;     /* leave register out */
	const char *products; /* NULL: generated */
};

static char *snapshot_text(size_t n, size_t per, const struct members *m)
{
	struct buf b;
	buf_init(&b, 64u << 20);
	struct buf prods;
	buf_init(&prods, 64u << 20);
	if (m->products)
		buf_puts(&prods, m->products);
	else
		products_json(&prods, n, per);
	buf_puts(&b, "{\n");
	if (m->products_first)
		buf_printf(&b, "\"products\" : %s ,\n", buf_str(&prods));
	buf_printf(&b,
	           "\"cursor\": 77, \"server_time\": \"2026-01-02T03:04:05.678Z\",\n"
	           " \"shop\": %s,\n",
	           m->shop ? m->shop
	                   : "{\"name\": \"Text Shop\", \"currency\": \"THB\","
	                     " \"tax_rate_ppm\": 70000, \"tax_included\": true,"
	                     " \"tax_rounding\": \"line\", \"cash_increment\": 25,"
	                     " \"tax_id\": \"0105\", \"address\": \"1 Road\","
	                     " \"receipt_footer\": \"thanks\", \"promptpay_id\": null}");
	if (!m->no_register)
		buf_printf(
		    &b,
		    " \"register\": {\"id\": \"%s\", \"name\": \"Front\", \"code\": \"R07\"},\n",
		    m->reg_id ? m->reg_id : REG_ID);
	buf_puts(&b, " \"location\": {\"id\": \"" LOC_ID "\", \"name\": \"Market stall\"},\n");
	if (!m->products_first)
		buf_printf(&b, " \"products\": %s,\n", buf_str(&prods));
	buf_puts(&b, " \"staff\": [{\"id\": \"s1\", \"name\": \"Somchai\", \"role\": \"cashier\","
	             " \"pin_hash\": null}],\n"
	             " \"payment_methods\": [{\"id\": \"m1\", \"name\": \"PromptPay QR\"}]\n}\n");
	buf_release(&prods);
	return buf_detach(&b, NULL);
}

static int apply_text(struct rstore *st, const char *text, struct rstore_apply_stats *stats,
                      json_t **env, char *err, size_t errlen)
{
	return rstore_apply_snapshot_text(st, text, strlen(text), NULL, NULL, stats, env, err,
	                                  errlen);
}

/* ---- tests ---- */

static void expect_same_variant(struct rstore *a, struct rstore *b, size_t i)
{
	char code[32];
	snprintf(code, sizeof(code), "885%zu", i);
	struct rstore_variant va, vb;
	assert_int_equal(rstore_find_variant(a, code, &va), TALAD_OK);
	assert_int_equal(rstore_find_variant(b, code, &vb), TALAD_OK);
	assert_string_equal(va.id, vb.id);
	assert_string_equal(va.product_id, vb.product_id);
	assert_string_equal(va.sku, vb.sku);
	assert_string_equal(va.title, vb.title);
	assert_int_equal(va.price, vb.price);
	assert_int_equal(va.taxable, vb.taxable);
	assert_int_equal(va.has_level, vb.has_level);
	assert_int_equal(va.level, vb.level);
	assert_int_equal(va.level, (int64_t)(i % 7) - 2);
}

/* Enough products to fill the parser's queue many times over. */
static void test_same_as_tree(void **state)
{
	struct fixture *f = *state;
	struct members m = {0};
	char *text = snapshot_text(700, 3, &m);
	char err[256] = "";
	struct rstore_apply_stats st_text, st_tree;
	json_t *env = NULL;
	assert_int_equal(apply_text(f->st, text, &st_text, &env, err, sizeof(err)), TALAD_OK);
	json_error_t je;
	json_t *tree = json_loads(text, 0, &je);
	assert_non_null(tree);
	assert_int_equal(
	    rstore_apply_snapshot(f->ref, tree, NULL, NULL, &st_tree, err, sizeof(err)), TALAD_OK);
	json_decref(tree);
	free(text);

	assert_int_equal(st_text.products, 700);
	assert_int_equal(st_text.variants, 2100);
	assert_int_equal(st_text.levels, 2100);
	assert_int_equal(st_text.products, st_tree.products);
	assert_int_equal(st_text.variants, st_tree.variants);
	assert_int_equal(st_text.staff, 1);
	assert_int_equal(st_text.methods, 1);
	int64_t n = 0;
	assert_int_equal(rstore_catalog_count(f->st, &n), TALAD_OK);
	assert_int_equal(n, 2100);
	for (size_t i = 0; i < 2100; i += 97)
		expect_same_variant(f->st, f->ref, i);
	expect_same_variant(f->st, f->ref, 2099);

	/* The envelope: everything but the products, server_time included. */
	assert_non_null(env);
	assert_null(json_object_get(env, "products"));
	assert_string_equal(json_string_value(json_object_get(env, "server_time")),
	                    "2026-01-02T03:04:05.678Z");
	json_decref(env);

	struct rstore_pairing p;
	assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
	assert_int_equal(p.cursor, 77);
	assert_string_equal(p.register_code, "R07");
	assert_string_equal(p.register_name, "Front");
	assert_string_equal(p.location_name, "Market stall");
	assert_string_equal(p.shop_name, "Text Shop");
	struct rstore_shop shop;
	assert_int_equal(rstore_get_shop(f->st, &shop), TALAD_OK);
	assert_int_equal(shop.cash_increment, 25);
	assert_string_equal(shop.receipt_footer, "thanks");
	struct rstore_staff staff;
	assert_int_equal(rstore_get_staff(f->st, "s1", &staff), TALAD_OK);
	assert_string_equal(staff.name, "Somchai");
	char canonical[64];
	assert_int_equal(
	    rstore_payment_method_match(f->st, "promptpay qr", canonical, sizeof(canonical)),
	    TALAD_OK);
}

/* The protocol does not fix the order of members: products first works as
 * well, and an empty catalog is a catalog. */
static void test_products_first_and_empty(void **state)
{
	struct fixture *f = *state;
	struct members m = {.products_first = true};
	char *text = snapshot_text(5, 2, &m);
	char err[256] = "";
	struct rstore_apply_stats stats;
	assert_int_equal(apply_text(f->st, text, &stats, NULL, err, sizeof(err)), TALAD_OK);
	free(text);
	assert_int_equal(stats.variants, 10);
	struct rstore_variant v;
	assert_int_equal(rstore_find_variant(f->st, "SKU-9", &v), TALAD_OK);
	assert_int_equal(v.price, 109);

	struct members empty = {.products = " [ ] "};
	text = snapshot_text(0, 0, &empty);
	assert_int_equal(apply_text(f->st, text, &stats, NULL, err, sizeof(err)), TALAD_OK);
	free(text);
	int64_t n = -1;
	assert_int_equal(rstore_catalog_count(f->st, &n), TALAD_OK);
	assert_int_equal(n, 0);
	assert_int_equal(stats.products, 0);
}

struct bad {
	const char *what;
	char *text;
	int rc;
	const char *message; /* the start of the message */
};

/* Every refusal leaves the catalog of the snapshot before it, whole. */
static void test_bad_texts_change_nothing(void **state)
{
	struct fixture *f = *state;
	struct members good = {0};
	char *text = snapshot_text(400, 2, &good);
	char err[256] = "";
	assert_int_equal(apply_text(f->st, text, NULL, NULL, err, sizeof(err)), TALAD_OK);
	size_t good_len = strlen(text);

	/* A bad price deep in the array: the parser runs far ahead of it. */
	char *deep = xstrdup(text);
	char *at = strstr(deep, "\"price\": 700");
	assert_non_null(at);
	memcpy(at, "\"price\": \"7\"", 12);
	/* A syntax error there too. */
	char *broken = xstrdup(text);
	at = strstr(broken, "\"price\": 700");
	memcpy(at, "\"price\": 7x0", 12);

	struct members other = {.reg_id = OTHER_ID};
	struct members noreg = {.no_register = true};
	struct members badshop = {
	    .shop = "{\"name\": \"X\", \"currency\": \"XXX\", \"tax_rate_ppm\": 0,"
	            " \"tax_included\": true}"};
	struct members twice = {.products =
	                            "[{\"id\": \"p1\", \"title\": \"T\", \"variants\": []}],"
	                            " \"products\": []"};
	struct members notarray = {.products = "null"};
	struct members scalar = {.products = "[{\"id\": \"p1\", \"title\": \"T\","
	                                     " \"variants\": []}, 5]"};
	struct members trailing = {.products = "[{\"id\": \"p1\", \"title\": \"T\","
	                                       " \"variants\": []},]"};
	char *truncated = xstrdup(text);
	truncated[good_len / 2] = '\0';
	char *garbage = xasprintf("%s x", text);
	struct bad cases[] = {
	    {"empty", xstrdup(""), TALAD_EINVAL,
	     "snapshot: not valid json at byte 0: '{' expected"},
	    {"an array", xstrdup("[1]"), TALAD_EINVAL, "snapshot: not valid json at byte 0"},
	    {"truncated", truncated, TALAD_EINVAL, "snapshot: not valid json at byte"},
	    {"garbage after", garbage, TALAD_EINVAL, "snapshot: not valid json at byte"},
	    {"no products", xstrdup("{\"cursor\": 1}"), TALAD_EINVAL,
	     "snapshot: products: missing"},
	    {"products twice", snapshot_text(0, 0, &twice), TALAD_EINVAL,
	     "snapshot: products: given twice"},
	    {"products null", snapshot_text(0, 0, &notarray), TALAD_EINVAL,
	     "snapshot: products: not an array"},
	    {"a scalar product", snapshot_text(0, 0, &scalar), TALAD_EINVAL,
	     "snapshot: products[1].not an object"},
	    {"trailing comma", snapshot_text(0, 0, &trailing), TALAD_EINVAL,
	     "snapshot: not valid json at byte"},
	    {"bad price deep", deep, TALAD_EINVAL,
	     "snapshot: products[300].variants[0].price: not an integer"},
	    {"broken deep", broken, TALAD_EINVAL, "snapshot: not valid json at byte"},
	    {"no register", snapshot_text(3, 1, &noreg), TALAD_EINVAL,
	     "snapshot: register: missing"},
	    {"bad shop", snapshot_text(3, 1, &badshop), TALAD_EINVAL,
	     "snapshot: shop.currency: unknown code 'XXX'"},
	    {"another register", snapshot_text(3, 1, &other), TALAD_ECONFLICT,
	     "snapshot is for register " OTHER_ID},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *env = (json_t *)1;
		struct rstore_apply_stats stats = {.variants = 99};
		err[0] = '\0';
		int rc = apply_text(f->st, cases[i].text, &stats, &env, err, sizeof(err));
		if (rc != cases[i].rc || strncmp(err, cases[i].message, strlen(cases[i].message)))
			fail_msg("%s: got %d '%s', want %d '%s...'", cases[i].what, rc, err,
			         cases[i].rc, cases[i].message);
		assert_null(env);
		assert_int_equal(stats.variants, 0);
		int64_t n = 0;
		assert_int_equal(rstore_catalog_count(f->st, &n), TALAD_OK);
		assert_int_equal(n, 800);
		struct rstore_variant v;
		assert_int_equal(rstore_find_variant(f->st, "885799", &v), TALAD_OK);
		struct rstore_pairing p;
		assert_int_equal(rstore_get_pairing(f->st, &p), TALAD_OK);
		assert_int_equal(p.cursor, 77);
		free(cases[i].text);
	}
	free(text);
}

struct calls {
	size_t n;
	size_t last_done, last_total;
	bool bad;
};

static void on_progress(void *arg, size_t done, size_t total)
{
	struct calls *c = arg;
	if (done > total || done < c->last_done)
		c->bad = true;
	c->n++;
	c->last_done = done;
	c->last_total = total;
}

/* The total is estimated while the products stream in, and exact at the end. */
static void test_progress(void **state)
{
	struct fixture *f = *state;
	struct members m = {0};
	char *text = snapshot_text(1000, 5, &m);
	char err[256] = "";
	struct calls c = {0};
	assert_int_equal(rstore_apply_snapshot_text(f->st, text, strlen(text), on_progress, &c,
	                                            NULL, NULL, err, sizeof(err)),
	                 TALAD_OK);
	free(text);
	assert_false(c.bad);
	assert_true(c.n >= 3);
	assert_int_equal(c.last_done, 5000);
	assert_int_equal(c.last_total, 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_same_as_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_products_first_and_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_texts_change_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
