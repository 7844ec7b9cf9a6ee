/* Unit tests for core/barcode: classification with published EAN-13, UPC-A
 * and EAN-8 examples, check digits, and in-store price/weight templates. */
#include "common/err.h"
#include "core/barcode.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_check_digit(void **state)
{
	(void)state;
	int cd = -1;
	/* Published examples: Stabilo EAN-13, the ISBN-13 example, the GS1
	   EAN-13 sample, the UPC-A of a Wrigley pack, and EAN-8 samples. */
	assert_int_equal(barcode_check_digit("400638133393", 12, &cd), TALAD_OK);
	assert_int_equal(cd, 1);
	assert_int_equal(barcode_check_digit("978030640615", 12, &cd), TALAD_OK);
	assert_int_equal(cd, 7);
	assert_int_equal(barcode_check_digit("590123412345", 12, &cd), TALAD_OK);
	assert_int_equal(cd, 7);
	assert_int_equal(barcode_check_digit("03600029145", 11, &cd), TALAD_OK);
	assert_int_equal(cd, 2);
	assert_int_equal(barcode_check_digit("9638507", 7, &cd), TALAD_OK);
	assert_int_equal(cd, 4);
	assert_int_equal(barcode_check_digit("7351353", 7, &cd), TALAD_OK);
	assert_int_equal(cd, 7);
	/* A body whose weighted sum is a multiple of 10 gives 0, not 10. */
	assert_int_equal(barcode_check_digit("01234567890", 11, &cd), TALAD_OK);
	assert_int_equal(cd, 5);
	assert_int_equal(barcode_check_digit("0000000", 7, &cd), TALAD_OK);
	assert_int_equal(cd, 0);

	assert_int_equal(barcode_check_digit("12a4", 4, &cd), TALAD_EINVAL);
	assert_int_equal(barcode_check_digit("", 0, &cd), TALAD_EINVAL);
	assert_int_equal(barcode_check_digit(NULL, 3, &cd), TALAD_EINVAL);
}

static void expect_kind(const char *code, enum barcode_kind kind, bool instore)
{
	struct barcode_scan sc;
	char err[64] = "";
	assert_int_equal(barcode_classify(code, &sc, err, sizeof(err)), TALAD_OK);
	assert_int_equal(sc.kind, kind);
	assert_int_equal(sc.verdict, BARCODE_VALID);
	assert_int_equal(sc.instore, instore);
	assert_string_equal(err, "");
}

static void expect_bad(const char *code, enum barcode_verdict v, const char *msg)
{
	struct barcode_scan sc;
	char err[64] = "";
	assert_int_equal(barcode_classify(code, &sc, err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(sc.verdict, v);
	assert_string_equal(err, msg);
	assert_string_equal(barcode_verdict_message(v), msg);
}

static void test_classify_valid(void **state)
{
	(void)state;
	expect_kind("4006381333931", BARCODE_KIND_EAN13, false);
	expect_kind("9780306406157", BARCODE_KIND_EAN13, false);
	expect_kind("5901234123457", BARCODE_KIND_EAN13, false);
	expect_kind("036000291452", BARCODE_KIND_UPCA, false);
	expect_kind("012345678905", BARCODE_KIND_UPCA, false);
	expect_kind("96385074", BARCODE_KIND_EAN8, false);
	expect_kind("73513537", BARCODE_KIND_EAN8, false);
	/* In-store ranges: EAN-13 prefix 20-29, UPC-A number system 2. */
	expect_kind("2012345678903", BARCODE_KIND_EAN13, true);
	expect_kind("212345012345", BARCODE_KIND_UPCA, true);
	/* Anything else printable is a shop's own code (a SKU). */
	expect_kind("TSHIRT-RED-M", BARCODE_KIND_OTHER, false);
	expect_kind("1234567", BARCODE_KIND_OTHER, false);
	expect_kind("12345678901234", BARCODE_KIND_OTHER, false);
	expect_kind("A4006381333932", BARCODE_KIND_OTHER, false);

	assert_string_equal(barcode_kind_name(BARCODE_KIND_EAN13), "ean13");
	assert_string_equal(barcode_kind_name(BARCODE_KIND_EAN8), "ean8");
	assert_string_equal(barcode_kind_name(BARCODE_KIND_UPCA), "upca");
	assert_string_equal(barcode_kind_name(BARCODE_KIND_OTHER), "other");
}

static void test_classify_bad(void **state)
{
	(void)state;
	/* Each published code with its last digit changed. */
	expect_bad("4006381333932", BARCODE_BAD_CHECK_DIGIT, "bad check digit");
	expect_bad("9780306406158", BARCODE_BAD_CHECK_DIGIT, "bad check digit");
	expect_bad("036000291453", BARCODE_BAD_CHECK_DIGIT, "bad check digit");
	expect_bad("96385075", BARCODE_BAD_CHECK_DIGIT, "bad check digit");
	/* Two digits swapped: the check digit catches it. */
	expect_bad("4006381333391", BARCODE_BAD_CHECK_DIGIT, "bad check digit");

	expect_bad("", BARCODE_NOT_A_BARCODE, "not a barcode");
	expect_bad(NULL, BARCODE_NOT_A_BARCODE, "not a barcode");
	expect_bad("4006 381333931", BARCODE_NOT_A_BARCODE, "not a barcode");
	expect_bad("40063\x01"
	           "81333931",
	           BARCODE_NOT_A_BARCODE, "not a barcode");
	expect_bad("caf\xc3\xa9", BARCODE_NOT_A_BARCODE, "not a barcode");
	char longcode[BARCODE_CODE_MAX + 1];
	memset(longcode, '7', BARCODE_CODE_MAX);
	longcode[BARCODE_CODE_MAX] = '\0';
	expect_bad(longcode, BARCODE_NOT_A_BARCODE, "not a barcode");
	/* One byte shorter fits. */
	longcode[BARCODE_CODE_MAX - 1] = '\0';
	expect_kind(longcode, BARCODE_KIND_OTHER, false);
}

static void test_normalize(void **state)
{
	(void)state;
	char out[BARCODE_CODE_MAX];
	assert_int_equal(barcode_normalize("036000291452", out), TALAD_OK);
	assert_string_equal(out, "0036000291452");
	assert_int_equal(barcode_normalize("0036000291452", out), TALAD_OK);
	assert_string_equal(out, "0036000291452");
	assert_int_equal(barcode_normalize("96385074", out), TALAD_OK);
	assert_string_equal(out, "96385074");
	assert_int_equal(barcode_normalize("SKU-1", out), TALAD_OK);
	assert_string_equal(out, "SKU-1");
	assert_int_equal(barcode_normalize("036000291453", out), TALAD_EINVAL);
}

static void expect_template_error(const char *spec, const char *fragment)
{
	struct barcode_template t;
	char err[160] = "";
	assert_int_equal(barcode_template_parse(spec, &t, err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(t.n, 0);
	if (!strstr(err, fragment))
		fail_msg("template '%s': message '%s' lacks '%s'", spec, err, fragment);
}

static void test_template_parse(void **state)
{
	(void)state;
	struct barcode_template t;
	char err[160] = "";
	assert_int_equal(barcode_template_parse("2IIIIIPPPPPC", &t, err, sizeof(err)), TALAD_OK);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.pattern[0], "2IIIIIPPPPPC");
	assert_int_equal(
	    barcode_template_parse("20IIIIIWWWWWC, 21IIIIIPPPPPC,2IIIIXPPPPPC", &t, err, 160),
	    TALAD_OK);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.pattern[1], "21IIIIIPPPPPC");
	assert_string_equal(t.pattern[2], "2IIIIXPPPPPC");
	assert_int_equal(barcode_template_parse("", &t, err, sizeof(err)), TALAD_OK);
	assert_int_equal(t.n, 0);
	assert_int_equal(barcode_template_parse(NULL, &t, err, sizeof(err)), TALAD_OK);
	assert_int_equal(t.n, 0);

	expect_template_error("2IIIIPPPPC", "must be 8, 12 or 13 positions");
	expect_template_error("1IIIIIPPPPPC", "must begin with the digit 2");
	expect_template_error("2IIIIIPPPPPP", "must end with C");
	expect_template_error("2IIIICPPPPPC", "one C");
	expect_template_error("2IIIIIQPPPPC", "'Q' is not a digit");
	expect_template_error("20PPPPPWWWWWC", "no item code");
	expect_template_error("20IIIIIIIIIIC", "either a price (P) or a weight (W)");
	expect_template_error("2IIIIIPPWWWC", "either a price (P) or a weight (W)");
	expect_template_error("2IIPPIIPPPPC", "one run");
	expect_template_error("2IIIIIPPPPPC,", "empty template");
	expect_template_error("2IIIIIPPPPPC,,20IIIIIWWWWWC", "empty template");
	expect_template_error("2IIIIIPPPPPC,2IIIIIPPPPPC,2IIIIIPPPPPC,2IIIIIPPPPPC,"
	                      "2IIIIIPPPPPC,2IIIIIPPPPPC,2IIIIIPPPPPC,2IIIIIPPPPPC,2IIIIIPPPPPC",
	                      "too many templates");
}

static void test_instore_price(void **state)
{
	(void)state;
	struct barcode_template t;
	struct barcode_instore in;
	char err[64] = "";
	assert_int_equal(barcode_template_parse("2IIIIIPPPPPC", &t, err, sizeof(err)), TALAD_OK);

	/* Item 12345 at 123.45 THB (12345 satang): body 21234512345, check 3. */
	int cd;
	assert_int_equal(barcode_check_digit("21234512345", 11, &cd), TALAD_OK);
	char code[16];
	snprintf(code, sizeof(code), "21234512345%d", cd);
	assert_int_equal(barcode_instore_decode(&t, code, &in, err, sizeof(err)), TALAD_OK);
	assert_string_equal(in.item, "12345");
	assert_true(in.has_price);
	assert_false(in.has_weight);
	assert_int_equal(in.price, 12345);
	/* The base code has the price zeroed and a fresh check digit. */
	assert_string_equal(in.base, "212345000007");
	struct barcode_scan sc;
	assert_int_equal(barcode_classify(in.base, &sc, NULL, 0), TALAD_OK);

	/* The same UPC-A sent as a 13-digit GTIN by the scanner. */
	char gtin[20];
	snprintf(gtin, sizeof(gtin), "0%s", code);
	assert_int_equal(barcode_instore_decode(&t, gtin, &in, err, sizeof(err)), TALAD_OK);
	assert_int_equal(in.price, 12345);

	/* Leading zeros of the item code are kept; a zero price is a price. */
	assert_int_equal(barcode_check_digit("20001200000", 11, &cd), TALAD_OK);
	snprintf(code, sizeof(code), "20001200000%d", cd);
	assert_int_equal(barcode_instore_decode(&t, code, &in, err, sizeof(err)), TALAD_OK);
	assert_string_equal(in.item, "00012");
	assert_int_equal(in.price, 0);

	/* A wrong check digit in the in-store range is refused, not looked up. */
	code[11] = (char)('0' + (cd + 1) % 10);
	assert_int_equal(barcode_instore_decode(&t, code, &in, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "bad check digit");

	/* Ordinary codes are not in-store codes: look them up as they are. */
	assert_int_equal(barcode_instore_decode(&t, "036000291452", &in, NULL, 0), TALAD_ENOTFOUND);
	assert_int_equal(barcode_instore_decode(&t, "4006381333931", &in, NULL, 0),
	                 TALAD_ENOTFOUND);
	assert_int_equal(barcode_instore_decode(&t, "SKU-1", &in, NULL, 0), TALAD_ENOTFOUND);
	assert_int_equal(barcode_instore_decode(&t, "", &in, NULL, 0), TALAD_ENOTFOUND);
}

static void test_instore_weight_and_lists(void **state)
{
	(void)state;
	struct barcode_template t;
	struct barcode_instore in;
	char err[64] = "";
	assert_int_equal(barcode_template_parse("20IIIIIWWWWWC,21IIIIIPPPPPC,2IIIIXPPPPPC", &t, err,
	                                        sizeof(err)),
	                 TALAD_OK);
	/* EAN-13 weight: item 00042, 1.250 kg; check digit computed here and
	   cross-checked against a known sum: 2000042012500 body. */
	int cd;
	char code[16];
	assert_int_equal(barcode_check_digit("200004201250", 12, &cd), TALAD_OK);
	snprintf(code, sizeof(code), "200004201250%d", cd);
	assert_int_equal(barcode_instore_decode(&t, code, &in, err, sizeof(err)), TALAD_OK);
	assert_int_equal(in.template_index, 0);
	assert_string_equal(in.item, "00042");
	assert_true(in.has_weight);
	assert_false(in.has_price);
	assert_int_equal(in.weight_g, 1250);

	/* Prefix 21 picks the second template (price). */
	assert_int_equal(barcode_check_digit("210004207500", 12, &cd), TALAD_OK);
	snprintf(code, sizeof(code), "210004207500%d", cd);
	assert_int_equal(barcode_instore_decode(&t, code, &in, err, sizeof(err)), TALAD_OK);
	assert_int_equal(in.template_index, 1);
	assert_true(in.has_price);
	assert_int_equal(in.price, 7500);

	/* Prefix 22 matches no EAN-13 template. */
	assert_int_equal(barcode_check_digit("220004207500", 12, &cd), TALAD_OK);
	snprintf(code, sizeof(code), "220004207500%d", cd);
	assert_int_equal(barcode_instore_decode(&t, code, &in, err, sizeof(err)), TALAD_ENOTFOUND);

	/* UPC-A with an ignored price-check digit X. */
	assert_int_equal(barcode_check_digit("21234901999", 11, &cd), TALAD_OK);
	snprintf(code, sizeof(code), "21234901999%d", cd);
	assert_int_equal(barcode_instore_decode(&t, code, &in, err, sizeof(err)), TALAD_OK);
	assert_int_equal(in.template_index, 2);
	assert_string_equal(in.item, "1234");
	assert_int_equal(in.price, 1999);
	assert_int_equal(in.base[5], '9'); /* X keeps its digit */

	/* No templates: nothing is in-store. */
	assert_int_equal(barcode_template_parse("", &t, err, sizeof(err)), TALAD_OK);
	assert_int_equal(barcode_instore_decode(&t, code, &in, NULL, 0), TALAD_ENOTFOUND);
}

static void test_weight_price(void **state)
{
	(void)state;
	int64_t p;
	/* 89.00 THB per kg, 1.250 kg = 111.25 THB. */
	assert_int_equal(barcode_weight_price(8900, 1250, &p), TALAD_OK);
	assert_int_equal(p, 11125);
	/* 0.333 kg at 10.00/kg = 3.33; 0.335 kg = 3.35 (exact); 0.0005 rounding. */
	assert_int_equal(barcode_weight_price(1000, 333, &p), TALAD_OK);
	assert_int_equal(p, 333);
	assert_int_equal(barcode_weight_price(1, 500, &p), TALAD_OK);
	assert_int_equal(p, 1); /* 0.5 rounds away from zero */
	assert_int_equal(barcode_weight_price(1, 499, &p), TALAD_OK);
	assert_int_equal(p, 0);
	assert_int_equal(barcode_weight_price(-1, 5, &p), TALAD_EINVAL);
	assert_int_equal(barcode_weight_price(INT64_MAX, 99999, &p), TALAD_ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_digit),
	    cmocka_unit_test(test_classify_valid),
	    cmocka_unit_test(test_classify_bad),
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_template_parse),
	    cmocka_unit_test(test_instore_price),
	    cmocka_unit_test(test_instore_weight_and_lists),
	    cmocka_unit_test(test_weight_price),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
