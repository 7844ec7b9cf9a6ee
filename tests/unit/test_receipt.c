/* Unit tests for the receipt layout: display cells of Thai text, golden
 * receipts at 32, 42 and 48 columns in English and Thai, and the rule that
 * every row fits the paper with prices ending in the last column. */
#include "../lib/fixtures.h"
#include "common/buf.h"
#include "common/err.h"
#include "core/money.h"
#include "core/order.h"
#include "core/receipt.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* 2026-12-04 19:48 in Bangkok (UTC+7). */
#define SOLD_AT 1796388480000LL

static void add(struct order *o, const char *title, int64_t qty, int64_t price, struct discount d)
{
	struct cart_line ln;
	char err[128];

	memset(&ln, 0, sizeof(ln));
	snprintf(ln.title, sizeof(ln.title), "%s", title);
	ln.quantity = qty;
	ln.unit_price = price;
	ln.taxable = true;
	ln.discount = d;
	assert_int_equal(cart_add_line(&o->cart, &ln, err, sizeof(err)), TALAD_OK);
}

/* The same sale in either language: three lines (one with a 10 % discount,
 * one with a long name that must wrap), paid with 500.00 cash. */
static void sample(struct order *o, bool thai, bool included)
{
	struct tax_rule tax = {70000, included, TAX_ROUND_LINE};
	struct discount none = {DISCOUNT_NONE, 0}, ten = {DISCOUNT_PERCENT, 100000};
	struct tender cash = {TENDER_CASH, "", true, 50000};
	char err[128];

	order_init(o, &tax);
	snprintf(o->id, sizeof(o->id), "0193a6f0-5c1e-7a2b-9c3d-4e5f60718293");
	snprintf(o->number, sizeof(o->number), "R01-000042");
	snprintf(o->currency, sizeof(o->currency), "THB");
	o->created_at = SOLD_AT;
	add(o, thai ? "กาแฟเย็น" : "Iced coffee", 1, 4500, none);
	add(o, thai ? "ข้าวผัดกุ้ง" : "Fried rice with shrimp", 2, 6000, ten);
	add(o,
	    thai ? "ชาเขียวนมสดปั่นไข่มุกบราวน์ชูการ์หวานน้อยพิเศษ"
	         : "Brown sugar bubble milk tea, less sweet, large",
	    3, 5500, none);
	assert_int_equal(cart_price(&o->cart, err, sizeof(err)), TALAD_OK);
	assert_int_equal(
	    tender_settle(o->cart.total, &cash, 1, 0, &o->settlement, err, sizeof(err)), TALAD_OK);
}

static void settings(struct receipt_settings *rs, bool thai, int width)
{
	struct currency thb;

	assert_int_equal(currency_lookup("THB", &thb), TALAD_OK);
	receipt_settings_init(rs, &thb);
	rs->width = width;
	snprintf(rs->lang, sizeof(rs->lang), "%s", thai ? "th" : "en");
	snprintf(rs->shop_name, sizeof(rs->shop_name), "%s", thai ? "ร้านตลาดกาแฟ" : "Talad Coffee");
	snprintf(rs->address, sizeof(rs->address), "12 Sukhumvit Rd, Khlong Toei, Bangkok 10110");
	snprintf(rs->tax_id, sizeof(rs->tax_id), "0105551234567");
	snprintf(rs->pos_id, sizeof(rs->pos_id), "R01");
	snprintf(rs->footer, sizeof(rs->footer), "%s", thai ? "ขอบคุณค่ะ" : "Thank you");
	rs->qr = true;
}

static char *render(const struct order *o, const struct receipt_settings *rs)
{
	struct buf b = BUF_INIT(1 << 20);
	size_t len;

	assert_int_equal(receipt_render_text(o, rs, &b), TALAD_OK);
	return buf_detach(&b, &len);
}

/* Every line fits; every line that ends in an amount ends in the last
 * column (so prices line up under Thai names). */
static void check_fits(const char *text, int width)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		size_t cells = receipt_cells(line);

		if (cells > (size_t)width)
			fail_msg("line wider than %d cells: \"%s\"", width, line);
		if (len > 3 && line[len - 3] == '.' && line[len - 1] >= '0' &&
		    line[len - 1] <= '9' && line[len - 2] >= '0' && line[len - 2] <= '9' &&
		    strchr(line, ' ')) {
			/* A two-column row: full width, amount last. */
			if (cells != (size_t)width)
				fail_msg("amount not in the last column (%zu cells): \"%s\"", cells,
				         line);
		}
		free(line);
		p += len;
		if (*p == '\n')
			p++;
	}
}

static void test_cells(void **state)
{
	(void)state;
	assert_int_equal(receipt_cells(""), 0);
	assert_int_equal(receipt_cells("abc"), 3);
	/* ็ (U+0E47) rides on ย. */
	assert_int_equal(receipt_cells("กาแฟเย็น"), 7);
	/* ้ is a mark; ำ (U+0E33) is a spacing vowel. */
	assert_int_equal(receipt_cells("น้ำ"), 2);
	/* ี and ่ stack on ท. */
	assert_int_equal(receipt_cells("ที่"), 1);
	assert_int_equal(receipt_cells("ใบกำกับภาษีอย่างย่อ"), 15);
	/* ุ below, ๋ tone, ์ thanthakhat, ั mai han-akat: all zero cells. */
	assert_int_equal(receipt_cells("กุ๋ย"), 2);
	assert_int_equal(receipt_cells("ศักดิ์"), 3);
	assert_int_equal(receipt_cells("e\xcc\x81"), 1); /* e + combining acute */
	assert_int_equal(receipt_cells("日本"), 4);
	assert_int_equal(receipt_cells("a\xe2\x80\x8b"
	                               "b"),
	                 2);                            /* zero-width space */
	assert_int_equal(receipt_cells("\xff\xfe"), 2); /* invalid bytes: 1 each */
	assert_int_equal(receipt_cells("\xe0\xb8"), 2); /* truncated sequence */
	assert_int_equal(receipt_cells("\xc0\xaf"), 2); /* overlong '/' */
}

static const char golden_en_32[] = "          Talad Coffee\n"
                                   " 12 Sukhumvit Rd, Khlong Toei,\n"
                                   "         Bangkok 10110\n"
                                   "      TAX ID 0105551234567\n"
                                   "           POS ID R01\n"
                                   "No. R01-000042  2026-12-04 19:48\n"
                                   "    ABBREVIATED TAX INVOICE\n"
                                   "--------------------------------\n"
                                   "Iced coffee                45.00\n"
                                   "Fried rice with shrimp\n"
                                   "  2 x 60.00               120.00\n"
                                   "  Discount 10%            -12.00\n"
                                   "Brown sugar bubble milk tea,\n"
                                   "less sweet, large\n"
                                   "  3 x 55.00               165.00\n"
                                   "--------------------------------\n"
                                   "Subtotal                  330.00\n"
                                   "Discounts                 -12.00\n"
                                   "TOTAL                     318.00\n"
                                   "VAT 7% included            20.80\n"
                                   "--------------------------------\n"
                                   "Cash                      500.00\n"
                                   "Change                    182.00\n"
                                   "--------------------------------\n"
                                   "           Thank you\n"
                                   "0193a6f0-5c1e-7a2b-9c3d-4e5f6071\n"
                                   "              8293\n";
static const char golden_en_42[] = "               Talad Coffee\n"
                                   "  12 Sukhumvit Rd, Khlong Toei, Bangkok\n"
                                   "                  10110\n"
                                   "           TAX ID 0105551234567\n"
                                   "                POS ID R01\n"
                                   "No. R01-000042            2026-12-04 19:48\n"
                                   "         ABBREVIATED TAX INVOICE\n"
                                   "------------------------------------------\n"
                                   "Iced coffee                          45.00\n"
                                   "Fried rice with shrimp\n"
                                   "  2 x 60.00                         120.00\n"
                                   "  Discount 10%                      -12.00\n"
                                   "Brown sugar bubble milk tea, less sweet,\n"
                                   "large\n"
                                   "  3 x 55.00                         165.00\n"
                                   "------------------------------------------\n"
                                   "Subtotal                            330.00\n"
                                   "Discounts                           -12.00\n"
                                   "TOTAL                               318.00\n"
                                   "VAT 7% included                      20.80\n"
                                   "------------------------------------------\n"
                                   "Cash                                500.00\n"
                                   "Change                              182.00\n"
                                   "------------------------------------------\n"
                                   "                Thank you\n"
                                   "   0193a6f0-5c1e-7a2b-9c3d-4e5f60718293\n";
static const char golden_en_48[] = "                  Talad Coffee\n"
                                   "  12 Sukhumvit Rd, Khlong Toei, Bangkok 10110\n"
                                   "              TAX ID 0105551234567\n"
                                   "                   POS ID R01\n"
                                   "No. R01-000042                  2026-12-04 19:48\n"
                                   "            ABBREVIATED TAX INVOICE\n"
                                   "------------------------------------------------\n"
                                   "Iced coffee                                45.00\n"
                                   "Fried rice with shrimp\n"
                                   "  2 x 60.00                               120.00\n"
                                   "  Discount 10%                            -12.00\n"
                                   "Brown sugar bubble milk tea, less sweet, large\n"
                                   "  3 x 55.00                               165.00\n"
                                   "------------------------------------------------\n"
                                   "Subtotal                                  330.00\n"
                                   "Discounts                                 -12.00\n"
                                   "TOTAL                                     318.00\n"
                                   "VAT 7% included                            20.80\n"
                                   "------------------------------------------------\n"
                                   "Cash                                      500.00\n"
                                   "Change                                    182.00\n"
                                   "------------------------------------------------\n"
                                   "                   Thank you\n"
                                   "      0193a6f0-5c1e-7a2b-9c3d-4e5f60718293\n";
static const char golden_th_32[] = "          ร้านตลาดกาแฟ\n"
                                   " 12 Sukhumvit Rd, Khlong Toei,\n"
                                   "         Bangkok 10110\n"
                                   "เลขประจำตัวผู้เสียภาษี 0105551234567\n"
                                   "        หมายเลขเครื่อง R01\n"
                                   "เลขที่ R01-000042 2026-12-04 19:48\n"
                                   "        ใบกำกับภาษีอย่างย่อ\n"
                                   "--------------------------------\n"
                                   "กาแฟเย็น                    45.00\n"
                                   "ข้าวผัดกุ้ง\n"
                                   "  2 x 60.00               120.00\n"
                                   "  ส่วนลด 10%               -12.00\n"
                                   "ชาเขียวนมสดปั่นไข่มุกบราวน์ชูการ์หวานน้อย\n"
                                   "พิเศษ\n"
                                   "  3 x 55.00               165.00\n"
                                   "--------------------------------\n"
                                   "รวมเป็นเงิน                 330.00\n"
                                   "ส่วนลดรวม                  -12.00\n"
                                   "ยอดสุทธิ                    318.00\n"
                                   "ภาษีมูลค่าเพิ่ม 7% (รวมในราคา)  20.80\n"
                                   "--------------------------------\n"
                                   "เงินสด                     500.00\n"
                                   "เงินทอน                    182.00\n"
                                   "--------------------------------\n"
                                   "            ขอบคุณค่ะ\n"
                                   "0193a6f0-5c1e-7a2b-9c3d-4e5f6071\n"
                                   "              8293\n";
static const char golden_th_42[] = "               ร้านตลาดกาแฟ\n"
                                   "  12 Sukhumvit Rd, Khlong Toei, Bangkok\n"
                                   "                  10110\n"
                                   "     เลขประจำตัวผู้เสียภาษี 0105551234567\n"
                                   "             หมายเลขเครื่อง R01\n"
                                   "เลขที่ R01-000042           2026-12-04 19:48\n"
                                   "             ใบกำกับภาษีอย่างย่อ\n"
                                   "------------------------------------------\n"
                                   "กาแฟเย็น                              45.00\n"
                                   "ข้าวผัดกุ้ง\n"
                                   "  2 x 60.00                         120.00\n"
                                   "  ส่วนลด 10%                         -12.00\n"
                                   "ชาเขียวนมสดปั่นไข่มุกบราวน์ชูการ์หวานน้อยพิเศษ\n"
                                   "  3 x 55.00                         165.00\n"
                                   "------------------------------------------\n"
                                   "รวมเป็นเงิน                           330.00\n"
                                   "ส่วนลดรวม                            -12.00\n"
                                   "ยอดสุทธิ                              318.00\n"
                                   "ภาษีมูลค่าเพิ่ม 7% (รวมในราคา)            20.80\n"
                                   "------------------------------------------\n"
                                   "เงินสด                               500.00\n"
                                   "เงินทอน                              182.00\n"
                                   "------------------------------------------\n"
                                   "                 ขอบคุณค่ะ\n"
                                   "   0193a6f0-5c1e-7a2b-9c3d-4e5f60718293\n";
static const char golden_th_48[] = "                  ร้านตลาดกาแฟ\n"
                                   "  12 Sukhumvit Rd, Khlong Toei, Bangkok 10110\n"
                                   "        เลขประจำตัวผู้เสียภาษี 0105551234567\n"
                                   "                หมายเลขเครื่อง R01\n"
                                   "เลขที่ R01-000042                 2026-12-04 19:48\n"
                                   "                ใบกำกับภาษีอย่างย่อ\n"
                                   "------------------------------------------------\n"
                                   "กาแฟเย็น                                    45.00\n"
                                   "ข้าวผัดกุ้ง\n"
                                   "  2 x 60.00                               120.00\n"
                                   "  ส่วนลด 10%                               -12.00\n"
                                   "ชาเขียวนมสดปั่นไข่มุกบราวน์ชูการ์หวานน้อยพิเศษ\n"
                                   "  3 x 55.00                               165.00\n"
                                   "------------------------------------------------\n"
                                   "รวมเป็นเงิน                                 330.00\n"
                                   "ส่วนลดรวม                                  -12.00\n"
                                   "ยอดสุทธิ                                    318.00\n"
                                   "ภาษีมูลค่าเพิ่ม 7% (รวมในราคา)                  20.80\n"
                                   "------------------------------------------------\n"
                                   "เงินสด                                     500.00\n"
                                   "เงินทอน                                    182.00\n"
                                   "------------------------------------------------\n"
                                   "                    ขอบคุณค่ะ\n"
                                   "      0193a6f0-5c1e-7a2b-9c3d-4e5f60718293\n";

static void golden(bool thai, int width, const char *want)
{
	struct order o;
	struct receipt_settings rs;
	char *got;

	sample(&o, thai, true);
	settings(&rs, thai, width);
	got = render(&o, &rs);
	check_fits(got, width);
	fx_check_golden(got, want, "receipt differs from the golden text");
	free(got);
	order_release(&o);
}

FX_TEST(test_golden_en_32, golden(false, 32, golden_en_32))
FX_TEST(test_golden_en_42, golden(false, 42, golden_en_42))
FX_TEST(test_golden_en_48, golden(false, 48, golden_en_48))
FX_TEST(test_golden_th_32, golden(true, 32, golden_th_32))
FX_TEST(test_golden_th_42, golden(true, 42, golden_th_42))
FX_TEST(test_golden_th_48, golden(true, 48, golden_th_48))

/* The layout rows themselves: the kinds and flags the printers rely on. */
static void test_rows(void **state)
{
	struct order o;
	struct receipt_settings rs;
	struct receipt r;
	size_t i, qr = 0, cut = 0, big = 0;
	bool saw_invoice = false;

	(void)state;
	sample(&o, true, true);
	settings(&rs, true, 32);
	assert_int_equal(receipt_layout(&o, &rs, &r), TALAD_OK);
	assert_true(r.nrows > 10);
	assert_int_equal(r.rows[0].kind, RECEIPT_TEXT);
	assert_int_equal(r.rows[0].align, RECEIPT_CENTER);
	assert_true(r.rows[0].bold);
	assert_string_equal(r.rows[0].text, "ร้านตลาดกาแฟ");
	for (i = 0; i < r.nrows; i++) {
		if (r.rows[i].kind == RECEIPT_QR) {
			qr++;
			assert_string_equal(r.rows[i].text, o.id);
		}
		if (r.rows[i].kind == RECEIPT_CUT)
			cut++;
		if (r.rows[i].big) {
			big++;
			assert_int_equal(receipt_cells(r.rows[i].text), 16);
		}
		if (r.rows[i].kind == RECEIPT_TEXT && strstr(r.rows[i].text, "ใบกำกับภาษีอย่างย่อ"))
			saw_invoice = true;
	}
	assert_int_equal(qr, 1);
	assert_int_equal(cut, 1);
	assert_int_equal(big, 2); /* the total and the change */
	assert_true(saw_invoice);
	assert_int_equal(r.rows[r.nrows - 1].kind, RECEIPT_CUT);
	assert_int_equal(r.rows[r.nrows - 2].kind, RECEIPT_FEED);
	receipt_release(&r);
	receipt_release(&r); /* released twice is harmless */
	order_release(&o);
}

static void test_bad_settings(void **state)
{
	struct order o;
	struct receipt_settings rs;
	struct receipt r;
	struct buf b = BUF_INIT(1 << 16);

	(void)state;
	sample(&o, false, true);
	settings(&rs, false, 12);
	assert_int_equal(receipt_layout(&o, &rs, &r), TALAD_EINVAL);
	assert_int_equal(r.nrows, 0);
	rs.width = 200;
	assert_int_equal(receipt_render_text(&o, &rs, &b), TALAD_EINVAL);
	rs.width = 32;
	snprintf(rs.lang, sizeof(rs.lang), "xx");
	assert_int_equal(receipt_layout(&o, &rs, &r), TALAD_EINVAL);
	buf_release(&b);
	order_release(&o);
}

/* Without a tax ID there is no tax invoice heading; tax-excluded prices show
 * the tax added before the total; cash rounding and card payments. */
static void test_excluded_rounding_card(void **state)
{
	struct order o;
	struct receipt_settings rs;
	struct tax_rule tax = {70000, false, TAX_ROUND_LINE};
	struct discount none = {DISCOUNT_NONE, 0};
	struct tender t[2] = {{TENDER_CARD, "", true, 1000}, {TENDER_CASH, "", false, 0}};
	char err[128], *got;
	const char *want = "          Talad Coffee\n"
	                   "No. R01-000043  2026-12-04 19:48\n"
	                   "--------------------------------\n"
	                   "Soap                       99.99\n"
	                   "--------------------------------\n"
	                   "Subtotal                   99.99\n"
	                   "VAT 7%                      7.00\n"
	                   "TOTAL                     106.99\n"
	                   "Rounding                    0.01\n"
	                   "Amount due                107.00\n"
	                   "--------------------------------\n"
	                   "Card visa ****4242         10.00\n"
	                   "Cash                       97.00\n"
	                   "Change                      0.00\n";

	(void)state;
	order_init(&o, &tax);
	snprintf(o.number, sizeof(o.number), "R01-000043");
	o.created_at = SOLD_AT;
	add(&o, "Soap", 1, 9999, none);
	assert_int_equal(cart_price(&o.cart, err, sizeof(err)), TALAD_OK);
	assert_int_equal(tender_settle(o.cart.total, t, 2, 25, &o.settlement, err, sizeof(err)),
	                 TALAD_OK);
	snprintf(o.settlement.payments[0].card_brand, 16, "visa");
	snprintf(o.settlement.payments[0].card_last4, 5, "4242");
	settings(&rs, false, 32);
	rs.address[0] = rs.tax_id[0] = rs.pos_id[0] = rs.footer[0] = '\0';
	rs.qr = false;
	got = render(&o, &rs);
	check_fits(got, 32);
	fx_check_golden(got, want, "receipt differs from the golden text");
	free(got);
	order_release(&o);
}

/* A title carrying printer commands (ESC, a newline) and invalid UTF-8 is
 * cleaned before it reaches a row, so it can never drive the printer. */
static void test_control_bytes_cleaned(void **state)
{
	struct order o;
	struct receipt_settings rs;
	struct receipt r;
	size_t i, j;

	(void)state;
	sample(&o, false, true);
	memcpy(o.cart.lines[0].title, "Evil\x1bp\n\x7f\xff", 10);
	o.cart.lines[0].title[10] = '\0';
	settings(&rs, false, 32);
	assert_int_equal(receipt_layout(&o, &rs, &r), TALAD_OK);
	for (i = 0; i < r.nrows; i++)
		for (j = 0; r.rows[i].text[j]; j++)
			assert_true((unsigned char)r.rows[i].text[j] >= 0x20 &&
			            (unsigned char)r.rows[i].text[j] != 0x7f);
	for (i = 0; i < r.nrows; i++)
		if (strncmp(r.rows[i].text, "Evil", 4) == 0)
			break;
	assert_true(i < r.nrows);
	assert_string_equal(r.rows[i].text, "Evil p  ?                  45.00");
	receipt_release(&r);
	order_release(&o);
}

/* Long Thai names wrap on cell boundaries, never splitting a mark from its
 * base character, at every width from 24 to 80. */
static void test_all_widths(void **state)
{
	struct order o;
	struct receipt_settings rs;
	int w, lang;

	(void)state;
	for (lang = 0; lang < 2; lang++) {
		sample(&o, lang == 1, lang == 1);
		for (w = 24; w <= 80; w++) {
			char *got;
			const char *p;

			settings(&rs, lang == 1, w);
			got = render(&o, &rs);
			check_fits(got, w);
			/* No line starts with a Thai mark (bytes E0 B8 B1,
			 * E0 B8 B4..BA, E0 B9 87..8E). */
			for (p = got; (p = strchr(p, '\n')) != NULL; p++) {
				const unsigned char *q = (const unsigned char *)p + 1;
				if (q[0] == 0xe0 && q[1] == 0xb8)
					assert_false(q[2] == 0xb1 ||
					             (q[2] >= 0xb4 && q[2] <= 0xba));
				if (q[0] == 0xe0 && q[1] == 0xb9)
					assert_false(q[2] >= 0x87 && q[2] <= 0x8e);
			}
			free(got);
		}
		order_release(&o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cells),
	    cmocka_unit_test(test_golden_en_32),
	    cmocka_unit_test(test_golden_en_42),
	    cmocka_unit_test(test_golden_en_48),
	    cmocka_unit_test(test_golden_th_32),
	    cmocka_unit_test(test_golden_th_42),
	    cmocka_unit_test(test_golden_th_48),
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_bad_settings),
	    cmocka_unit_test(test_excluded_rounding_card),
	    cmocka_unit_test(test_control_bytes_cleaned),
	    cmocka_unit_test(test_all_widths),
	};

	setenv("TZ", "Asia/Bangkok", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
