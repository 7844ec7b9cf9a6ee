/* Unit tests for server/fastjson: the fast reader must accept exactly what
 * jansson accepts (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, up to its depth
 * limit) and build equal values — checked on a corpus of edge cases, on
 * random documents, and on random byte damage to them — and the arena must
 * keep values made outside it alive while it is reset, on several threads
 * at once. TALAD_TEST_SEED overrides the fixed seed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../lib/fixtures.h"
#include "server/fastjson.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses text both ways; fails the test when they disagree. Returns whether
 * it was accepted. */
static bool same_as_jansson(const char *text, size_t len)
{
	json_error_t je;
	struct fastjson_error fe;
	json_t *a = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	json_t *b = fastjson_load(text, len, &fe);
	if (!a != !b || (a && !json_equal(a, b))) {
		fprintf(stderr, "seed %llu: disagreement on %.*s\njansson: %s\nfastjson: %s\n",
		        (unsigned long long)fx_seed, (int)(len > 300 ? 300 : len), text,
		        a ? "accepted" : je.text, b ? "accepted" : fe.text);
		fail();
	}
	bool ok = a != NULL;
	json_decref(a);
	json_decref(b);
	return ok;
}

static void test_corpus_valid(void **state)
{
	(void)state;
	static const char *const ok[] = {"{}",
	                                 "[]",
	                                 "0",
	                                 "-0",
	                                 "1",
	                                 "-1",
	                                 "123456789",
	                                 "9223372036854775807",
	                                 "-9223372036854775808",
	                                 "1.5",
	                                 "-0.25",
	                                 "1e3",
	                                 "1E+3",
	                                 "2e-3",
	                                 "1.5e10",
	                                 "1e-400",
	                                 "true",
	                                 "false",
	                                 "null",
	                                 "\"\"",
	                                 "\"abc\"",
	                                 "\"ไทย 🙂\"",
	                                 "\"a\\\"b\\\\c\\/d\"",
	                                 "\"\\b\\f\\n\\r\\t\"",
	                                 "\"\\u00e9\\u0E01\"",
	                                 "\"\\ud83d\\ude42\"",
	                                 " \t\r\n{ } \n",
	                                 "{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":{\"e\":\"f\"}}",
	                                 "[[[[[[[[[[]]]]]]]]]]",
	                                 "{\"\":\"empty key\"}",
	                                 "{\"k\\u00e9y\":1}",
	                                 "[1,-2,3.0,\"4\",true,false,null]",
	                                 "{\"a\":{\"a\":{\"a\":1}}}"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(same_as_jansson(ok[i], strlen(ok[i])));
}

static void test_corpus_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {"",
	                                  " ",
	                                  "{",
	                                  "}",
	                                  "[",
	                                  "]",
	                                  "{\"a\"}",
	                                  "{\"a\":}",
	                                  "{\"a\":1,}",
	                                  "[1,]",
	                                  "[,1]",
	                                  "{,}",
	                                  "01",
	                                  "-01",
	                                  "1.",
	                                  ".5",
	                                  "-",
	                                  "+1",
	                                  "1e",
	                                  "1e+",
	                                  "0x10",
	                                  "NaN",
	                                  "Infinity",
	                                  "tru",
	                                  "nul",
	                                  "falsey",
	                                  "\"abc",
	                                  "\"a\\x\"",
	                                  "\"\\u12\"",
	                                  "\"\\u0000\"",
	                                  "\"\\ud800\"",
	                                  "\"\\udc00\"",
	                                  "\"\\ud800\\u0041\"",
	                                  "\"tab\there\"",
	                                  "{\"a\":1}{",
	                                  "1 2",
	                                  "9223372036854775808",
	                                  "-9223372036854775809",
	                                  "1e400",
	                                  "-1e400",
	                                  "{\"a\":1,\"a\":2}",
	                                  "{1:2}",
	                                  "{'a':1}",
	                                  "[1 2]",
	                                  "\"\xc3\x28\"",
	                                  "\"\xed\xa0\x80\"",
	                                  "\"\xf4\x90\x80\x80\"",
	                                  "\"\xc0\xaf\"",
	                                  "\xef\xbb\xbf{}",
	                                  "/* c */ {}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(same_as_jansson(bad[i], strlen(bad[i])));
	/* A NUL byte inside a string or between tokens. */
	assert_false(same_as_jansson("\"a\0b\"", 5));
	assert_false(same_as_jansson("[1,\0 2]", 7));
}

static void test_errors_say_where(void **state)
{
	(void)state;
	struct fastjson_error fe;
	const char *text = "{\"a\": [1, 2, }";
	assert_null(fastjson_load(text, strlen(text), &fe));
	assert_int_equal(13, fe.offset);
	assert_non_null(strstr(fe.text, "invalid token"));
	text = "{\"a\":1,\"a\":2}";
	assert_null(fastjson_load(text, strlen(text), &fe));
	assert_non_null(strstr(fe.text, "duplicate key"));
	/* Deeper than FASTJSON_DEPTH_MAX is refused (jansson allows more). */
	char deep[2 * (FASTJSON_DEPTH_MAX + 1) + 1];
	memset(deep, '[', FASTJSON_DEPTH_MAX + 1);
	memset(deep + FASTJSON_DEPTH_MAX + 1, ']', FASTJSON_DEPTH_MAX + 1);
	assert_null(fastjson_load(deep, 2 * (FASTJSON_DEPTH_MAX + 1), &fe));
	assert_non_null(strstr(fe.text, "deep"));
	json_t *v = fastjson_load(deep + 1, 2 * FASTJSON_DEPTH_MAX, &fe);
	assert_non_null(v);
	json_decref(v);
}

static void test_span(void **state)
{
	(void)state;
	struct fastjson_error fe;
	const char *span;
	size_t n;
	const char *text =
	    "{\"seq\":1, \"payload\" :  {\"x\": [1, \"}\"]} , \"z\":{\"payload\":2}}";
	json_t *v = fastjson_load_span(text, strlen(text), "payload", &span, &n, &fe);
	assert_non_null(v);
	assert_int_equal(strlen("{\"x\": [1, \"}\"]}"), n);
	assert_memory_equal("{\"x\": [1, \"}\"]}", span, n);
	json_decref(v);
	v = fastjson_load_span("{\"a\":1}", 7, "payload", &span, &n, &fe);
	assert_non_null(v);
	assert_null(span);
	json_decref(v);
}

/* A random value: strings from a pool that holds every awkward character. */
static json_t *random_value(int depth)
{
	static const char *const pieces[] = {"a",  "ไทย",  "\"",   "\\", "/",    "\n",
	                                     "\t", "\x01", "\x1f", "é",  "🙂", " ",
	                                     "{",  "]",    ":",    ",",  "0"};
	int kind = (int)(fx_rnd() % (depth > 4 ? 6 : 8));
	switch (kind) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(fx_rnd() & 1);
	case 2: {
		uint64_t r = fx_rnd();
		switch (r % 4) {
		case 0:
			return json_integer((json_int_t)(r >> 2) - (json_int_t)(1LL << 60));
		case 1:
			return json_integer(INT64_MIN + (json_int_t)(r % 3));
		case 2:
			return json_integer(INT64_MAX - (json_int_t)(r % 3));
		default:
			return json_integer((json_int_t)(r % 2001) - 1000);
		}
	}
	case 3:
		return json_real((double)(int64_t)(fx_rnd() % 2000001 - 1000000) / 64.0);
	case 4:
	case 5: {
		char s[256] = "";
		size_t n = fx_rnd() % 12;
		for (size_t i = 0; i < n; i++)
			strcat(s, pieces[fx_rnd() % (sizeof(pieces) / sizeof(pieces[0]))]);
		return json_string(s);
	}
	case 6: {
		json_t *a = json_array();
		size_t n = fx_rnd() % 5;
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		size_t n = fx_rnd() % 5;
		for (size_t i = 0; i < n; i++) {
			char key[32];
			snprintf(key, sizeof(key), "%s%u", pieces[fx_rnd() % 4],
			         (unsigned)(fx_rnd() % 8));
			json_object_set_new(o, key, random_value(depth + 1));
		}
		return o;
	}
	}
}

static char *random_text(void)
{
	json_t *v = random_value(0);
	size_t flags = JSON_ENCODE_ANY |
	               ((fx_rnd() & 1) ? JSON_COMPACT : JSON_INDENT(fx_rnd() % 4)) |
	               ((fx_rnd() & 1) ? JSON_ENSURE_ASCII : 0) | JSON_REAL_PRECISION(17);
	char *text = json_dumps(v, flags);
	json_decref(v);
	assert_non_null(text);
	return text;
}

static void test_random_documents(void **state)
{
	(void)state;
	for (int i = 0; i < 3000; i++) {
		char *text = random_text();
		assert_true(same_as_jansson(text, strlen(text)));
		free(text);
	}
}

static void test_random_damage(void **state)
{
	(void)state;
	static const char alphabet[] = "{}[]:,\"\\ 0123456789-+.eEtrufalsn\x01\x80\xff\xc3u";
	int accepted = 0, refused = 0;
	for (int i = 0; i < 20000; i++) {
		char *text = random_text();
		size_t n = strlen(text);
		char *t = malloc(n + 2);
		memcpy(t, text, n + 1);
		size_t at = n ? fx_rnd() % n : 0;
		switch (fx_rnd() % 3) {
		case 0: /* replace a byte */
			if (n)
				t[at] = alphabet[fx_rnd() % (sizeof(alphabet) - 1)];
			break;
		case 1: /* delete a byte */
			if (n) {
				memmove(t + at, t + at + 1, n - at);
				n--;
			}
			break;
		default: /* insert a byte */
			memmove(t + at + 1, t + at, n - at + 1);
			t[at] = alphabet[fx_rnd() % (sizeof(alphabet) - 1)];
			n++;
			break;
		}
		if (same_as_jansson(t, n))
			accepted++;
		else
			refused++;
		free(t);
		free(text);
	}
	/* Both outcomes must have been exercised. */
	assert_true(accepted > 1000);
	assert_true(refused > 1000);
}

/* Values made with the arena off survive its reset and release. */
static void test_arena_keeps_outside_values(void **state)
{
	(void)state;
	struct fastjson_error fe;
	json_t *outside = json_pack("{s:s, s:[i,i]}", "a", "kept", "b", 1, 2);
	fastjson_arena_on();
	for (int i = 0; i < 50; i++) {
		const char *text = "{\"x\":[1,2,{\"y\":\"zzz\"}]}";
		json_t *v = fastjson_load(text, strlen(text), &fe);
		assert_non_null(v);
		json_t *copy = NULL;
		if (i == 7) {
			fastjson_arena_off();
			copy = json_deep_copy(v);
			fastjson_arena_on();
		}
		fastjson_arena_reset();
		if (copy) {
			assert_string_equal(
			    "zzz", json_string_value(json_object_get(
			               json_array_get(json_object_get(copy, "x"), 2), "y")));
			fastjson_arena_off();
			json_decref(copy);
			fastjson_arena_on();
		}
	}
	fastjson_arena_release();
	assert_string_equal("kept", json_string_value(json_object_get(outside, "a")));
	json_decref(outside);
}

static void *arena_thread(void *arg)
{
	struct fastjson_error fe;
	int *bad = arg;
	fastjson_arena_on();
	for (int i = 0; i < 2000; i++) {
		char text[128];
		snprintf(text, sizeof(text), "{\"n\":%d,\"s\":\"%0*d\",\"a\":[%d,%d]}", i, i % 60,
		         0, i, -i);
		json_t *v = fastjson_load(text, strlen(text), &fe);
		if (!v || json_integer_value(json_object_get(v, "n")) != i)
			(*bad)++;
		fastjson_arena_reset();
	}
	fastjson_arena_release();
	return NULL;
}

/* Arenas are per thread; plain jansson use elsewhere goes on meanwhile. */
static void test_arena_threads(void **state)
{
	(void)state;
	pthread_t t[3];
	int bad[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++)
		assert_int_equal(0, pthread_create(&t[i], NULL, arena_thread, &bad[i]));
	for (int i = 0; i < 2000; i++) {
		json_t *v = json_pack("{s:i, s:s}", "i", i, "s", "main thread");
		json_decref(v);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(0, bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus_valid),
	    cmocka_unit_test(test_corpus_invalid),
	    cmocka_unit_test(test_errors_say_where),
	    cmocka_unit_test(test_span),
	    cmocka_unit_test_setup(test_random_documents, fx_setup_seed),
	    cmocka_unit_test_setup(test_random_damage, fx_setup_seed),
	    cmocka_unit_test(test_arena_keeps_outside_values),
	    cmocka_unit_test(test_arena_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
