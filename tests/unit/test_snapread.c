/* Unit tests of snapread, the register's reader of a snapshot's products:
 * the text reader must accept exactly what jansson followed by the checks
 * accepts, with the same records, the same end and the same field messages.
 * Checked on hand-written cases, on products generated at random (escapes,
 * surrogate pairs, long titles, repeated and unknown keys, deep nesting) and
 * on thousands of randomly damaged copies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "register/snapread.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VID "01900000-0000-7000-8001-000000000001"

static int oracle_accepted, oracle_field_errors, oracle_syntax_errors;

static void expect_same_records(const struct snapread_product *a, const struct snapread_product *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->title, b->title);
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct snapread_variant *x = &a->v[i], *y = &b->v[i];
		assert_string_equal(x->id, y->id);
		assert_string_equal(x->sku, y->sku);
		assert_string_equal(x->barcode, y->barcode);
		assert_string_equal(x->title, y->title);
		assert_int_equal(x->price, y->price);
		assert_int_equal(x->taxable, y->taxable);
		assert_int_equal(x->tracked, y->tracked);
		assert_int_equal(x->has_level, y->has_level);
		assert_int_equal(x->available, y->available);
	}
}

/* The text reader against jansson + the tree reader, on one input. */
static void oracle(const char *buf, size_t len)
{
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &je);
	struct snapread_product *pa = NULL, *pb = NULL;
	char ea[256] = "", eb[256] = "";
	size_t pos = 0;
	int rb = snapread_product_text(buf, len, &pos, true, &pb, eb, sizeof(eb));
	bool syntax = rb != TALAD_OK && strncmp(eb, "not valid json at byte ", 23) == 0;
	if (!j) {
		if (!syntax)
			fail_msg("jansson refused (%s) what the reader took (%d '%s'): %.*s",
			         je.text, rb, eb, (int)(len < 300 ? len : 300), buf);
		oracle_syntax_errors++;
		return;
	}
	int ra = snapread_product_json(j, true, &pa, ea, sizeof(ea));
	json_decref(j);
	/* jansson skips a NUL byte that follows a number or a literal (it
	 * reads one character too many there and takes the NUL it puts back
	 * for an empty buffer); the reader refuses every NUL. */
	if (syntax && memchr(buf, '\0', len)) {
		free(pa);
		oracle_syntax_errors++;
		return;
	}
	if (syntax)
		fail_msg("the reader refused (%s) what jansson took: %.*s", eb,
		         (int)(len < 300 ? len : 300), buf);
	if (ra != rb)
		fail_msg("tree %d '%s', text %d '%s': %.*s", ra, ea, rb, eb,
		         (int)(len < 300 ? len : 300), buf);
	if (ra == TALAD_OK) {
		assert_int_equal(pos, (size_t)je.position);
		expect_same_records(pa, pb);
		oracle_accepted++;
	} else {
		if (strcmp(ea, eb) != 0)
			fail_msg("tree says '%s', text '%s': %.*s", ea, eb,
			         (int)(len < 300 ? len : 300), buf);
		assert_null(pb);
		oracle_field_errors++;
	}
	free(pa);
	free(pb);
}

static void oracle_s(const char *s)
{
	oracle(s, strlen(s));
}

#define VARIANT(extra)                                                                             \
	"{\"id\": \"" VID "\", \"sku\": \"S-1\", \"barcode\": \"8850000000003\","                  \
	" \"title\": \"Small\", \"price\": 4500, \"taxable\": true, \"tracked\": "                 \
	"false" extra "}"

static void test_cases(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    "{\"id\": \"p1\", \"title\": \"Tea\", \"variants\": [" VARIANT(
	        ", \"available\": 12") "]}",
	    "{\"id\": \"p1\", \"title\": null, \"variants\": []}",
	    "  \n\t{\"variants\":[],\"id\":\"p\"}  trailing",
	    "{\"id\": \"p1\", \"variants\": [" VARIANT(", \"available\": null") "," VARIANT(
	        "") "]}",
	    /* escapes, unicode, surrogate pairs */
	    "{\"id\": \"p\\u0031\", \"title\": "
	    "\"T\\u00e9\\n\\t\\\"\\\\\\/\\b\\f\\r\\ud83d\\ude00\","
	    " \"variants\": []}",
	    "{\"id\": \"p\", \"title\": "
	    "\"\xe0\xb8\x95\xe0\xb8\xa5\xe0\xb8\xb2\xe0\xb8\x94\","
	    " \"variants\": []}",
	    /* repeated keys: the last wins */
	    "{\"id\": 5, \"id\": \"p\", \"variants\": {}, \"variants\": [" VARIANT(
	        ", \"price\": \"x\", \"price\": 7") "]}",
	    /* unknown members of every kind */
	    "{\"x\": [1, -0, 2.5e-3, {\"a\": [null, true, false]}, \"s\"], \"id\": "
	    "\"p\","
	    " \"variants\": [" VARIANT(", \"extra\": {\"deep\": [[[]]]}, \"n\": -12e+3") "]}",
	    /* field errors, in the order they are checked */
	    "{\"title\": \"t\", \"variants\": []}",
	    "{\"id\": 1, \"variants\": []}",
	    "{\"id\": \"p\", \"title\": 3, \"variants\": []}",
	    "{\"id\": \"p\"}",
	    "{\"id\": \"p\", \"variants\": null}",
	    "{\"id\": \"p\", \"variants\": [1]}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT(", \"id\": \"nope\"") "]}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT(", \"price\": 1.0") "]}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT(", \"price\": -1") "]}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT(", \"price\": null") "]}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT(", \"taxable\": 1") "]}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT(", \"available\": \"3\"") "]}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT(", \"available\": 9223372036854775807") "]}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT(", \"sku\": 5") "]}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT("") ", 7, " VARIANT(", \"price\": true") "]}",
	    "{\"id\": "
	    "\"0123456789012345678901234567890123456789012345678901234567890123\","
	    " \"variants\": []}",
	    "{\"id\": \"p\", \"variants\": [{\"id\": \"" VID "\", \"tracked\": true}]}",
	    "7",
	    "\"a string\"",
	    "[1, 2]",
	    "null",
	    /* not JSON */
	    "",
	    "   ",
	    "{",
	    "{\"id\": \"p\", \"variants\": [],}",
	    "{\"id\": \"p\" \"variants\": []}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT("") ",]}",
	    "{\"id\": \"p\\u0000\", \"variants\": []}",
	    "{\"id\": \"p\\ud800\", \"variants\": []}",
	    "{\"id\": \"p\\udc00\", \"variants\": []}",
	    "{\"id\": \"p\\ud800\\u0041\", \"variants\": []}",
	    "{\"id\": \"p\\x\", \"variants\": []}",
	    "{\"id\": \"p\\u12\", \"variants\": []}",
	    "{\"id\": \"p\x01\", \"variants\": []}",
	    "{\"id\": \"p\xc3\x28\", \"variants\": []}",
	    "{\"id\": \"p\xed\xa0\x80\", \"variants\": []}",
	    "{\"id\": \"p\xc0\xaf\", \"variants\": []}",
	    "{\"id\": \"p\xf4\x90\x80\x80\", \"variants\": []}",
	    "{\"id\": \"p\", \"n\": 01, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": 1., \"variants\": []}",
	    "{\"id\": \"p\", \"n\": .5, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": +1, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": 1e, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": -, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": 9223372036854775808, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": -9223372036854775808, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": -9223372036854775809, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": 1e400, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": -1e400, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": 1e-400, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": truex, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": tru, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": nul, \"variants\": []}",
	    "{\"id\": \"p\", \"n\": True, \"variants\": []}",
	    "{id: \"p\", \"variants\": []}",
	    "{\"id\": \"p\", \"variants\": [" VARIANT("") "}",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		oracle_s(cases[i]);
	/* A raw NUL byte inside a string and between tokens. */
	oracle("{\"id\": \"p\0\", \"variants\": []}", 28);
	oracle("{\"id\": \"p\",\0 \"variants\": []}", 28);
	assert_true(oracle_accepted >= 8);
	assert_true(oracle_field_errors >= 15);
	assert_true(oracle_syntax_errors >= 30);
}

/* Some messages, word for word: they reach the cashier. */
static void test_messages(void **state)
{
	(void)state;
	struct {
		const char *text, *message;
	} cases[] = {
	    {"{\"id\": \"p\", \"variants\": [" VARIANT("") ", " VARIANT(", \"price\": 1.5") "]}",
	     "variants[1].price: not an integer"},
	    {"{\"id\": \"p\", \"variants\": [3]}", "variants[0].not an object"},
	    {"{\"id\": \"p\", \"variants\": \"no\"}", "variants: not an array"},
	    {"{\"variants\": []}", "id: missing"},
	    {"[]", "not an object"},
	    {"{\"id\": \"p\", \"variants\": [],}",
	     "not valid json at byte 27: a member name expected"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snapread_product *p = (void *)1;
		char err[256] = "";
		size_t pos = 0;
		assert_int_equal(snapread_product_text(cases[i].text, strlen(cases[i].text), &pos,
		                                       true, &p, err, sizeof(err)),
		                 TALAD_EINVAL);
		assert_null(p);
		assert_string_equal(err, cases[i].message);
	}
}

/* Long titles are cut at a character boundary, the same from both. */
static void test_long_title_cut(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1u << 20);
	buf_puts(&b, "{\"id\": \"p\", \"title\": \"");
	for (int i = 0; i < 130; i++)
		buf_puts(&b, i % 3 ? "\xe0\xb8\x95" : "\\u00e9");
	buf_puts(&b, "\", \"variants\": []}");
	oracle(buf_str(&b), b.len);
	struct snapread_product *p;
	char err[256];
	size_t pos = 0;
	assert_int_equal(
	    snapread_product_text(buf_str(&b), b.len, &pos, true, &p, err, sizeof(err)), TALAD_OK);
	assert_true(strlen(p->title) <= CART_TITLE_MAX - 1);
	assert_true(strlen(p->title) > CART_TITLE_MAX - 5);
	json_t *s = json_string(p->title); /* valid UTF-8 */
	assert_non_null(s);
	json_decref(s);
	free(p);
	buf_release(&b);
}

/* jansson counts every value, scalars too, up to 2048 deep. */
static void test_depth(void **state)
{
	(void)state;
	for (int depth = 2044; depth <= 2050; depth++) {
		struct buf b;
		buf_init(&b, 1u << 20);
		buf_puts(&b, "{\"id\": \"p\", \"variants\": [], \"x\": ");
		for (int i = 0; i < depth; i++)
			buf_puts(&b, "[");
		buf_puts(&b, "1");
		for (int i = 0; i < depth; i++)
			buf_puts(&b, "]");
		buf_puts(&b, "}");
		oracle(buf_str(&b), b.len);
		buf_release(&b);
	}
}

/* ---- random products ---- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) % n);
}

static void rand_string(struct buf *b, int maxlen)
{
	static const char *const pieces[] = {
	    "a",
	    "Z",
	    "9",
	    " ",
	    "-",
	    "\\\"",
	    "\\\\",
	    "\\/",
	    "\\n",
	    "\\u00e9",
	    "\\u0e15",
	    "\\ud83d\\ude00",
	    "\xe0\xb8\x95",
	    "\xc3\xa9",
	    "\xf0\x9f\x98\x80",
	    "\\t",
	    "x",
	};
	buf_puts(b, "\"");
	int n = (int)rnd((uint32_t)maxlen + 1);
	for (int i = 0; i < n; i++)
		buf_puts(b, pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))]);
	buf_puts(b, "\"");
}

static void rand_value(struct buf *b, int depth);

static void rand_scalar(struct buf *b)
{
	static const char *const scalars[] = {
	    "0",
	    "-0",
	    "1",
	    "-7",
	    "4500",
	    "1.5",
	    "-2e3",
	    "1E-2",
	    "true",
	    "false",
	    "null",
	    "9223372036854775807",
	    "-9223372036854775808",
	    "123456789012",
	};
	if (rnd(4) == 0)
		rand_string(b, 8);
	else
		buf_puts(b, scalars[rnd(sizeof(scalars) / sizeof(scalars[0]))]);
}

static void rand_value(struct buf *b, int depth)
{
	int k = depth > 3 ? 0 : (int)rnd(5);
	if (k == 3) {
		buf_puts(b, "[");
		int n = (int)rnd(4);
		for (int i = 0; i < n; i++) {
			if (i)
				buf_puts(b, ",");
			rand_value(b, depth + 1);
		}
		buf_puts(b, "]");
	} else if (k == 4) {
		buf_puts(b, "{");
		int n = (int)rnd(4);
		for (int i = 0; i < n; i++) {
			if (i)
				buf_puts(b, ", ");
			rand_string(b, 3);
			buf_puts(b, ":");
			rand_value(b, depth + 1);
		}
		buf_puts(b, "}");
	} else {
		rand_scalar(b);
	}
}

/* A member of a variant: mostly right, sometimes of the wrong kind. */
static void rand_variant(struct buf *b)
{
	static const char *const keys[] = {"id",      "sku",     "barcode",   "title", "price",
	                                   "taxable", "tracked", "available", "other"};
	buf_puts(b, "{");
	int n = 6 + (int)rnd(6);
	for (int i = 0; i < n; i++) {
		const char *key = keys[i < 7 ? (uint32_t)i : rnd(9)];
		buf_printf(b, "%s\"%s\" : ", i ? ", " : "", key);
		bool wrong = rnd(12) == 0;
		if (wrong)
			rand_value(b, 2);
		else if (!strcmp(key, "id"))
			buf_printf(b, "\"01900000-0000-7000-8001-%012u\"", rnd(1000));
		else if (!strcmp(key, "price") || !strcmp(key, "available"))
			buf_printf(b, "%d", (int)rnd(100000) - (rnd(20) == 0 ? 50000 : 0));
		else if (!strcmp(key, "taxable") || !strcmp(key, "tracked"))
			buf_puts(b, rnd(2) ? "true" : "false");
		else if (!strcmp(key, "other"))
			rand_value(b, 2);
		else
			rand_string(b, !strcmp(key, "title") ? 120 : 20);
	}
	buf_puts(b, "}");
}

static void rand_product(struct buf *b)
{
	buf_puts(b, rnd(3) ? "{" : " \n{ ");
	bool first = true;
	int members = 2 + (int)rnd(3);
	for (int m = 0; m < members; m++) {
		int what = m < 2 ? m : (int)rnd(4);
		buf_puts(b, first ? "" : ",");
		first = false;
		if (what == 0) {
			buf_puts(b, "\"id\":");
			if (rnd(20))
				rand_string(b, 10);
			else
				rand_value(b, 1);
		} else if (what == 1) {
			buf_puts(b, "\"variants\": [");
			int n = (int)rnd(5);
			for (int i = 0; i < n; i++) {
				if (i)
					buf_puts(b, ", ");
				rand_variant(b);
			}
			buf_puts(b, "]");
		} else if (what == 2) {
			buf_puts(b, "\"title\":");
			rand_string(b, 150);
		} else {
			rand_string(b, 4);
			buf_puts(b, ":");
			rand_value(b, 1);
		}
	}
	buf_puts(b, "}");
}

static void test_random_products(void **state)
{
	(void)state;
	rng_state = 1;
	oracle_accepted = oracle_field_errors = oracle_syntax_errors = 0;
	for (int i = 0; i < 4000; i++) {
		struct buf b;
		buf_init(&b, 1u << 20);
		rand_product(&b);
		oracle(buf_str(&b), b.len);
		buf_release(&b);
	}
	/* Both kinds are met, or the generator tests nothing. */
	assert_true(oracle_accepted > 500);
	assert_true(oracle_field_errors > 500);
}

/* Damaged copies: a byte changed, a piece cut out, a JSON character put in,
 * the text cut short. */
static void test_damaged_products(void **state)
{
	(void)state;
	rng_state = 2;
	oracle_accepted = oracle_field_errors = oracle_syntax_errors = 0;
	static const char inserts[] = "{}[],:\"\\ \n0-9eE.+tfnu\x80\xc3\xe0";
	for (int i = 0; i < 20000; i++) {
		struct buf b;
		buf_init(&b, 1u << 20);
		rand_product(&b);
		char *t = buf_detach(&b, NULL);
		size_t len = strlen(t);
		int kind = (int)rnd(4);
		size_t at = len ? rnd((uint32_t)len) : 0;
		if (kind == 0 && len) {
			t[at] = (char)rnd(256);
		} else if (kind == 1 && len) {
			size_t n = rnd(8) + 1;
			if (at + n > len)
				n = len - at;
			memmove(t + at, t + at + n, len - at - n + 1);
			len -= n;
		} else if (kind == 2) {
			t = xreallocarray(t, len + 2, 1);
			memmove(t + at + 1, t + at, len - at + 1);
			t[at] = inserts[rnd(sizeof(inserts) - 1)];
			len++;
		} else {
			len = at;
		}
		oracle(t, len);
		free(t);
	}
	assert_true(oracle_syntax_errors > 5000);
	assert_true(oracle_accepted > 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),           cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_long_title_cut),  cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_random_products), cmocka_unit_test(test_damaged_products),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
