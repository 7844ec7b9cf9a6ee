/* Unit tests for common/text and talad_seterr: the UTF-8 decoder on every
 * kind of bad sequence and at the edges of the code point ranges, the
 * control-character check, and the NUL bound of text_ok. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/text.h"

#include <string.h>

static size_t next(const char *s, uint32_t *cp)
{
	return text_utf8_next(s, strlen(s), cp);
}

static void test_decode(void **state)
{
	uint32_t cp = 0;
	(void)state;
	assert_int_equal(next("A", &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(next("\xc2\x80", &cp), 2);
	assert_int_equal(cp, 0x80);
	assert_int_equal(next("\xe0\xb8\x81", &cp), 3); /* THAI CHARACTER KO KAI */
	assert_int_equal(cp, 0xe01);
	assert_int_equal(next("\xef\xbf\xbd", &cp), 3);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(next("\xf0\x90\x80\x80", &cp), 4);
	assert_int_equal(cp, 0x10000);
	assert_int_equal(next("\xf4\x8f\xbf\xbf", &cp), 4);
	assert_int_equal(cp, 0x10ffff);
	assert_int_equal(text_utf8_next("", 0, &cp), 0);
}

static void test_decode_invalid(void **state)
{
	uint32_t cp = 0;
	(void)state;
	const char *bad[] = {
	    "\x80",             /* a continuation byte first */
	    "\xc0\xaf",         /* overlong '/' */
	    "\xc1\xbf",         /* overlong */
	    "\xe0\x80\xaf",     /* overlong, 3 bytes */
	    "\xf0\x80\x80\xaf", /* overlong, 4 bytes */
	    "\xed\xa0\x80",     /* a UTF-16 surrogate */
	    "\xf4\x90\x80\x80", /* past U+10FFFF */
	    "\xf5\x80\x80\x80", /* a lead byte that cannot occur */
	    "\xe0\xb8",         /* cut short */
	    "\xc3\x28",         /* a bad continuation byte */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (next(bad[i], &cp) != 0)
			fail_msg("sequence %zu should be refused", i);
	/* A length that cuts a good sequence refuses it too. */
	assert_int_equal(text_utf8_next("\xe0\xb8\x81", 2, &cp), 0);
}

static void test_valid_prefix(void **state)
{
	(void)state;
	assert_int_equal(text_utf8_valid("abc", 3), 3);
	assert_int_equal(text_utf8_valid("ab\xe0\xb8", 4), 2);
	assert_int_equal(text_utf8_valid("\xe0\xb8\x81\xff", 4), 3);
	assert_int_equal(text_utf8_valid("", 0), 0);
}

static void test_clean(void **state)
{
	(void)state;
	assert_true(text_clean("Pad Thai \xe0\xb8\x9c\xe0\xb8\xb1\xe0\xb8\x94", 18));
	assert_true(text_clean("", 0));
	assert_false(text_clean("a\tb", 3));
	assert_false(text_clean("a\nb", 3));
	assert_false(text_clean("a\x7f", 2));
	assert_false(text_clean("a\xc2\x85", 3)); /* NEL, a C1 control */
	assert_true(text_clean("a\xc2\xa0", 3));  /* no-break space is text */
	assert_false(text_clean("a\xff", 2));
	assert_true(text_is_control(0));
	assert_true(text_is_control(0x9f));
	assert_false(text_is_control(0xa0));
}

static void test_ok_bound(void **state)
{
	char four[4] = {'a', 'b', 'c', 'd'}; /* no NUL */
	(void)state;
	assert_true(text_ok("abc", 4));
	assert_false(text_ok(four, sizeof(four)));
	assert_false(text_ok("abcd", 4)); /* the NUL is the fifth byte */
	assert_false(text_ok("a\x01", 8));
}

static void test_seterr(void **state)
{
	char err[8];
	(void)state;
	talad_seterr(NULL, 10, "x %d", 1);
	memset(err, 'z', sizeof(err));
	talad_seterr(err, 0, "x %d", 1);
	assert_int_equal(err[0], 'z');
	talad_seterr(err, sizeof(err), "line %d: too long", 12);
	assert_string_equal(err, "line 12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),       cmocka_unit_test(test_decode_invalid),
	    cmocka_unit_test(test_valid_prefix), cmocka_unit_test(test_clean),
	    cmocka_unit_test(test_ok_bound),     cmocka_unit_test(test_seterr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
