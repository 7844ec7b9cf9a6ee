/* Unit tests for the ESC/POS encoder: single commands, Thai text in CP874,
 * printer status bytes, and golden receipts at 32, 42 and 48 columns in
 * English and Thai decoded back (tests/lib/escpos_decode) into lines with
 * their flags; raster mode checked for image size and ink. */
#include "../lib/fixtures.h"
#include "../lib/escpos_decode.h"
#include "common/buf.h"
#include "common/err.h"
#include "core/order.h"
#include "core/receipt.h"
#include "hw/escpos.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define SOLD_AT 1796388480000LL /* 2026-12-04 19:48 in Bangkok */

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

static void sample(struct order *o, bool thai)
{
	struct tax_rule tax = {70000, true, TAX_ROUND_LINE};
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
	add(o, thai ? "น้ำเปล่า" : "Water", 3, 1000, none);
	assert_int_equal(cart_price(&o->cart, err, sizeof(err)), TALAD_OK);
	assert_int_equal(
	    tender_settle(o->cart.total, &cash, 1, 0, &o->settlement, err, sizeof(err)), TALAD_OK);
}

static void settings(struct receipt_settings *rs, bool thai)
{
	struct currency thb;

	assert_int_equal(currency_lookup("THB", &thb), TALAD_OK);
	receipt_settings_init(rs, &thb);
	snprintf(rs->lang, sizeof(rs->lang), "%s", thai ? "th" : "en");
	snprintf(rs->shop_name, sizeof(rs->shop_name), "%s", thai ? "ร้านตลาดกาแฟ" : "Talad Coffee");
	snprintf(rs->tax_id, sizeof(rs->tax_id), "0105551234567");
	snprintf(rs->pos_id, sizeof(rs->pos_id), "R01");
	snprintf(rs->footer, sizeof(rs->footer), "%s", thai ? "ขอบคุณค่ะ" : "Thank you");
	rs->qr = true;
}

/* Encodes the sample at a width, decodes it back and returns the lines as
 * "<align><bold><big>|text\n", align L/C/R, bold B or -, big 2 or -. */
static char *print_and_decode(bool thai, int width, struct escpos_doc *doc)
{
	struct order o;
	struct receipt_settings rs;
	struct escpos_settings ps;
	struct buf job = BUF_INIT(ESCPOS_JOB_MAX);
	struct buf out = BUF_INIT(1 << 20);
	char err[256];
	size_t i, len;
	int rc;

	sample(&o, thai);
	settings(&rs, thai);
	escpos_settings_init(&ps);
	ps.width = width;
	rc = escpos_receipt_order(&o, &rs, &ps, &job, err, sizeof(err));
	if (rc != TALAD_OK)
		fail_msg("escpos_receipt_order: %s", err);
	if (escpos_decode((const uint8_t *)job.data, job.len, "CP874", doc, err, sizeof(err)))
		fail_msg("decode: %s", err);
	for (i = 0; i < doc->nlines; i++) {
		const struct escpos_dline *l = &doc->lines[i];
		assert_int_equal(buf_printf(&out, "%c%c%c|%s\n", "LCR"[l->align],
		                            l -> bold ? 'B' : '-', l->big ? '2' : '-', l->text),
		                 TALAD_OK);
	}
	buf_release(&job);
	order_release(&o);
	return buf_detach(&out, &len);
}

static const char golden_en_32[] = "CB-|Talad Coffee\n"
                                   "C--|TAX ID 0105551234567\n"
                                   "C--|POS ID R01\n"
                                   "L--|No. R01-000042  2026-12-04 19:48\n"
                                   "CB-|ABBREVIATED TAX INVOICE\n"
                                   "L--|--------------------------------\n"
                                   "L--|Iced coffee                45.00\n"
                                   "L--|Fried rice with shrimp\n"
                                   "L--|  2 x 60.00               120.00\n"
                                   "L--|  Discount 10%            -12.00\n"
                                   "L--|Water\n"
                                   "L--|  3 x 10.00                30.00\n"
                                   "L--|--------------------------------\n"
                                   "L--|Subtotal                  195.00\n"
                                   "L--|Discounts                 -12.00\n"
                                   "LB2|TOTAL     183.00\n"
                                   "L--|VAT 7% included            11.97\n"
                                   "L--|--------------------------------\n"
                                   "L--|Cash                      500.00\n"
                                   "LB2|Change    317.00\n"
                                   "L--|--------------------------------\n"
                                   "C--|Thank you\n";
static const char golden_en_42[] = "CB-|Talad Coffee\n"
                                   "C--|TAX ID 0105551234567\n"
                                   "C--|POS ID R01\n"
                                   "L--|No. R01-000042            2026-12-04 19:48\n"
                                   "CB-|ABBREVIATED TAX INVOICE\n"
                                   "L--|------------------------------------------\n"
                                   "L--|Iced coffee                          45.00\n"
                                   "L--|Fried rice with shrimp\n"
                                   "L--|  2 x 60.00                         120.00\n"
                                   "L--|  Discount 10%                      -12.00\n"
                                   "L--|Water\n"
                                   "L--|  3 x 10.00                          30.00\n"
                                   "L--|------------------------------------------\n"
                                   "L--|Subtotal                            195.00\n"
                                   "L--|Discounts                           -12.00\n"
                                   "LB2|TOTAL          183.00\n"
                                   "L--|VAT 7% included                      11.97\n"
                                   "L--|------------------------------------------\n"
                                   "L--|Cash                                500.00\n"
                                   "LB2|Change         317.00\n"
                                   "L--|------------------------------------------\n"
                                   "C--|Thank you\n";
static const char golden_en_48[] = "CB-|Talad Coffee\n"
                                   "C--|TAX ID 0105551234567\n"
                                   "C--|POS ID R01\n"
                                   "L--|No. R01-000042                  2026-12-04 19:48\n"
                                   "CB-|ABBREVIATED TAX INVOICE\n"
                                   "L--|------------------------------------------------\n"
                                   "L--|Iced coffee                                45.00\n"
                                   "L--|Fried rice with shrimp\n"
                                   "L--|  2 x 60.00                               120.00\n"
                                   "L--|  Discount 10%                            -12.00\n"
                                   "L--|Water\n"
                                   "L--|  3 x 10.00                                30.00\n"
                                   "L--|------------------------------------------------\n"
                                   "L--|Subtotal                                  195.00\n"
                                   "L--|Discounts                                 -12.00\n"
                                   "LB2|TOTAL             183.00\n"
                                   "L--|VAT 7% included                            11.97\n"
                                   "L--|------------------------------------------------\n"
                                   "L--|Cash                                      500.00\n"
                                   "LB2|Change            317.00\n"
                                   "L--|------------------------------------------------\n"
                                   "C--|Thank you\n";
static const char golden_th_32[] = "CB-|ร้านตลาดกาแฟ\n"
                                   "C--|เลขประจำตัวผู้เสียภาษี 0105551234567\n"
                                   "C--|หมายเลขเครื่อง R01\n"
                                   "L--|เลขที่ R01-000042 2026-12-04 19:48\n"
                                   "CB-|ใบกำกับภาษีอย่างย่อ\n"
                                   "L--|--------------------------------\n"
                                   "L--|กาแฟเย็น                    45.00\n"
                                   "L--|ข้าวผัดกุ้ง\n"
                                   "L--|  2 x 60.00               120.00\n"
                                   "L--|  ส่วนลด 10%               -12.00\n"
                                   "L--|น้ำเปล่า\n"
                                   "L--|  3 x 10.00                30.00\n"
                                   "L--|--------------------------------\n"
                                   "L--|รวมเป็นเงิน                 195.00\n"
                                   "L--|ส่วนลดรวม                  -12.00\n"
                                   "LB2|ยอดสุทธิ    183.00\n"
                                   "L--|ภาษีมูลค่าเพิ่ม 7% (รวมในราคา)  11.97\n"
                                   "L--|--------------------------------\n"
                                   "L--|เงินสด                     500.00\n"
                                   "LB2|เงินทอน    317.00\n"
                                   "L--|--------------------------------\n"
                                   "C--|ขอบคุณค่ะ\n";
static const char golden_th_42[] = "CB-|ร้านตลาดกาแฟ\n"
                                   "C--|เลขประจำตัวผู้เสียภาษี 0105551234567\n"
                                   "C--|หมายเลขเครื่อง R01\n"
                                   "L--|เลขที่ R01-000042           2026-12-04 19:48\n"
                                   "CB-|ใบกำกับภาษีอย่างย่อ\n"
                                   "L--|------------------------------------------\n"
                                   "L--|กาแฟเย็น                              45.00\n"
                                   "L--|ข้าวผัดกุ้ง\n"
                                   "L--|  2 x 60.00                         120.00\n"
                                   "L--|  ส่วนลด 10%                         -12.00\n"
                                   "L--|น้ำเปล่า\n"
                                   "L--|  3 x 10.00                          30.00\n"
                                   "L--|------------------------------------------\n"
                                   "L--|รวมเป็นเงิน                           195.00\n"
                                   "L--|ส่วนลดรวม                            -12.00\n"
                                   "LB2|ยอดสุทธิ         183.00\n"
                                   "L--|ภาษีมูลค่าเพิ่ม 7% (รวมในราคา)            11.97\n"
                                   "L--|------------------------------------------\n"
                                   "L--|เงินสด                               500.00\n"
                                   "LB2|เงินทอน         317.00\n"
                                   "L--|------------------------------------------\n"
                                   "C--|ขอบคุณค่ะ\n";
static const char golden_th_48[] = "CB-|ร้านตลาดกาแฟ\n"
                                   "C--|เลขประจำตัวผู้เสียภาษี 0105551234567\n"
                                   "C--|หมายเลขเครื่อง R01\n"
                                   "L--|เลขที่ R01-000042                 2026-12-04 19:48\n"
                                   "CB-|ใบกำกับภาษีอย่างย่อ\n"
                                   "L--|------------------------------------------------\n"
                                   "L--|กาแฟเย็น                                    45.00\n"
                                   "L--|ข้าวผัดกุ้ง\n"
                                   "L--|  2 x 60.00                               120.00\n"
                                   "L--|  ส่วนลด 10%                               -12.00\n"
                                   "L--|น้ำเปล่า\n"
                                   "L--|  3 x 10.00                                30.00\n"
                                   "L--|------------------------------------------------\n"
                                   "L--|รวมเป็นเงิน                                 195.00\n"
                                   "L--|ส่วนลดรวม                                  -12.00\n"
                                   "LB2|ยอดสุทธิ            183.00\n"
                                   "L--|ภาษีมูลค่าเพิ่ม 7% (รวมในราคา)                  11.97\n"
                                   "L--|------------------------------------------------\n"
                                   "L--|เงินสด                                     500.00\n"
                                   "LB2|เงินทอน            317.00\n"
                                   "L--|------------------------------------------------\n"
                                   "C--|ขอบคุณค่ะ\n";

static void golden(bool thai, int width, const char *want)
{
	struct escpos_doc doc;
	char *got = print_and_decode(thai, width, &doc);
	size_t i;

	fx_check_golden(got, want, "decoded receipt differs from the golden lines");
	/* Printed text, in the printer's cells, never overflows the paper:
	 * a big row's cells count twice. */
	for (i = 0; i < doc.nlines; i++)
		assert_true(receipt_cells(doc.lines[i].text) * (doc.lines[i].big ? 2 : 1) <=
		            (size_t)width);
	assert_int_equal(doc.inits, 1);
	assert_int_equal(doc.ncodepages, 1);
	assert_int_equal(doc.codepages[0], 21);
	assert_int_equal(doc.cuts, 1);
	assert_int_equal(doc.feeds, 4);
	assert_int_equal(doc.nqr, 1);
	assert_string_equal(doc.qr[0], "0193a6f0-5c1e-7a2b-9c3d-4e5f60718293");
	assert_int_equal(doc.nkicks, 0);
	assert_int_equal(doc.nimages, 0);
	free(got);
	escpos_doc_free(&doc);
}

FX_TEST(test_golden_en_32, golden(false, 32, golden_en_32))
FX_TEST(test_golden_en_42, golden(false, 42, golden_en_42))
FX_TEST(test_golden_en_48, golden(false, 48, golden_en_48))
FX_TEST(test_golden_th_32, golden(true, 32, golden_th_32))
FX_TEST(test_golden_th_42, golden(true, 42, golden_th_42))
FX_TEST(test_golden_th_48, golden(true, 48, golden_th_48))

/* The Thai bytes on the wire are TIS-620/CP874, one byte per character,
 * marks after their base as the printer's firmware expects. */
static void test_thai_bytes(void **state)
{
	struct buf b = BUF_INIT(1024);
	const uint8_t want[] = {0xa1, 0xd2, 0xe1, 0xbf, 0xe0, 0xc2, 0xe7, 0xb9,
	                        ' ',  0xb9, 0xe9, 0xd3, ' ',  '4',  '5'};

	(void)state;
	assert_int_equal(escpos_text(&b, "กาแฟเย็น น้ำ 45", "CP874"), TALAD_OK);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	buf_reset(&b);
	assert_int_equal(escpos_text(&b, "กา", "TIS-620"), TALAD_OK);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "\xa1\xd2", 2);
	/* What the code page lacks becomes '?'; a zero-width space is dropped;
	 * control bytes (a smuggled ESC p) become spaces. */
	buf_reset(&b);
	assert_int_equal(escpos_text(&b,
	                             "a日\xe2\x80\x8b"
	                             "b\x1bp\x7f\xff",
	                             "CP874"),
	                 TALAD_OK);
	assert_string_equal(b.data, "a?b p ?");
	buf_reset(&b);
	assert_int_equal(escpos_text(&b, "x", "NO-SUCH-CHARSET"), TALAD_EINVAL);
	buf_release(&b);
}

static void test_commands(void **state)
{
	struct buf b = BUF_INIT(4096);
	const uint8_t kick[] = {0x1b, 'p', 1, 50, 250};
	const uint8_t cut[] = {0x1d, 'V', 1};
	const uint8_t cp[] = {0x1b, 't', 255};
	const uint8_t q[] = {0x10, 0x04, 4};
	const uint8_t img[] = {0xff, 0x00, 0x81, 0x00};
	struct escpos_doc doc;
	char err[128];

	(void)state;
	assert_int_equal(escpos_drawer_kick(&b, 5, 100), TALAD_OK);
	assert_memory_equal(b.data, kick, sizeof(kick));
	assert_int_equal(escpos_drawer_kick(&b, 3, 100), TALAD_EINVAL);
	assert_int_equal(escpos_drawer_kick(&b, 2, 1), TALAD_EINVAL);
	assert_int_equal(escpos_drawer_kick(&b, 2, 600), TALAD_EINVAL);
	buf_reset(&b);
	assert_int_equal(escpos_cut(&b), TALAD_OK);
	assert_memory_equal(b.data, cut, sizeof(cut));
	buf_reset(&b);
	assert_int_equal(escpos_codepage(&b, 255), TALAD_OK);
	assert_memory_equal(b.data, cp, sizeof(cp));
	assert_int_equal(escpos_codepage(&b, 256), TALAD_EINVAL);
	buf_reset(&b);
	assert_int_equal(escpos_status_query(&b, 4), TALAD_OK);
	assert_memory_equal(b.data, q, sizeof(q));
	assert_int_equal(escpos_status_query(&b, 5), TALAD_EINVAL);
	assert_int_equal(escpos_qr(&b, ""), TALAD_EINVAL);

	/* A job with everything, decoded back. */
	buf_reset(&b);
	assert_int_equal(escpos_init(&b), TALAD_OK);
	assert_int_equal(escpos_codepage(&b, 21), TALAD_OK);
	assert_int_equal(escpos_align(&b, RECEIPT_RIGHT), TALAD_OK);
	assert_int_equal(escpos_bold(&b, true), TALAD_OK);
	assert_int_equal(escpos_size(&b, true), TALAD_OK);
	assert_int_equal(escpos_text(&b, "รวม", "CP874"), TALAD_OK);
	assert_int_equal(buf_puts(&b, "\n"), TALAD_OK);
	assert_int_equal(escpos_qr(&b, "R01-000042"), TALAD_OK);
	assert_int_equal(escpos_raster(&b, img, 16, 2), TALAD_OK);
	assert_int_equal(escpos_drawer_kick(&b, 2, 100), TALAD_OK);
	assert_int_equal(escpos_feed(&b, 3), TALAD_OK);
	assert_int_equal(escpos_cut(&b), TALAD_OK);
	assert_int_equal(
	    escpos_decode((const uint8_t *)b.data, b.len, "CP874", &doc, err, sizeof(err)), 0);
	assert_int_equal(doc.nlines, 1);
	assert_string_equal(doc.lines[0].text, "รวม");
	assert_true(doc.lines[0].bold);
	assert_true(doc.lines[0].big);
	assert_int_equal(doc.lines[0].align, 2);
	assert_int_equal(doc.nqr, 1);
	assert_string_equal(doc.qr[0], "R01-000042");
	assert_int_equal(doc.nimages, 1);
	assert_int_equal(doc.images[0].width, 16);
	assert_int_equal(doc.images[0].height, 2);
	assert_int_equal(doc.images[0].black, 10);
	assert_int_equal(doc.nkicks, 1);
	assert_int_equal(doc.kicks[0].pin, 2);
	assert_int_equal(doc.kicks[0].pulse_ms, 100);
	assert_int_equal(doc.feeds, 3);
	assert_int_equal(doc.cuts, 1);
	escpos_doc_free(&doc);
	buf_release(&b);
}

/* The decoder is strict: it must catch an encoder that sends garbage. */
static void test_decoder_rejects(void **state)
{
	struct escpos_doc doc;
	char err[128];
	static const struct {
		const char *bytes;
		size_t len;
	} bad[] = {
	    {"\x1b", 1},  /* ESC cut short */
	    {"\x1bZ", 2}, /* unknown ESC command */
	    {"\x1b"
	     "p\x00\x19",
	     4},                               /* ESC p cut short */
	    {"\x1dv0\x00\x02\x00\x05\x00", 8}, /* raster data missing */
	    {"abc", 3},                        /* text never printed */
	    {"a\x07"
	     "b\n",
	     4},                 /* a control byte in text */
	    {"\x10\x04\x09", 3}, /* DLE EOT 9 */
	    {"\x1d(k\x03\x00"
	     "1Q0",
	     8}, /* QR print with nothing stored */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = escpos_decode((const uint8_t *)bad[i].bytes, bad[i].len, "CP874", &doc,
		                       err, sizeof(err));
		if (rc != -1)
			fail_msg("case %zu decoded without an error", i);
		assert_true(err[0] != '\0');
		escpos_doc_free(&doc);
	}
}

static void test_status(void **state)
{
	struct escpos_status st;
	char words[128];

	(void)state;
	memset(&st, 0, sizeof(st));
	escpos_status_words(&st, words, sizeof(words));
	assert_string_equal(words, "unknown");
	assert_int_equal(escpos_status_parse(1, 0x12, &st), TALAD_OK);
	assert_int_equal(escpos_status_parse(2, 0x12, &st), TALAD_OK);
	assert_int_equal(escpos_status_parse(3, 0x12, &st), TALAD_OK);
	assert_int_equal(escpos_status_parse(4, 0x12, &st), TALAD_OK);
	escpos_status_words(&st, words, sizeof(words));
	assert_string_equal(words, "ready");
	assert_false(escpos_status_blocking(&st));
	/* Not status bytes: bit 1 or 4 clear, bit 0 or 7 set. */
	assert_int_equal(escpos_status_parse(1, 0x00, &st), TALAD_EPROTO);
	assert_int_equal(escpos_status_parse(1, 0x13, &st), TALAD_EPROTO);
	assert_int_equal(escpos_status_parse(1, 0x92, &st), TALAD_EPROTO);
	assert_int_equal(escpos_status_parse(5, 0x12, &st), TALAD_EPROTO);

	memset(&st, 0, sizeof(st));
	assert_int_equal(escpos_status_parse(1, 0x1e, &st), TALAD_OK); /* offline, drawer */
	assert_int_equal(escpos_status_parse(2, 0x36, &st), TALAD_OK); /* cover, paper stop */
	assert_int_equal(escpos_status_parse(4, 0x72, &st), TALAD_OK); /* paper end */
	escpos_status_words(&st, words, sizeof(words));
	assert_string_equal(words, "paper out, cover open, offline, drawer open");
	assert_true(escpos_status_blocking(&st));

	memset(&st, 0, sizeof(st));
	assert_int_equal(escpos_status_parse(4, 0x1e, &st), TALAD_OK); /* near end */
	escpos_status_words(&st, words, sizeof(words));
	assert_string_equal(words, "paper low");
	assert_false(escpos_status_blocking(&st));
}

static void test_settings_check(void **state)
{
	struct escpos_settings ps;
	char err[128];

	(void)state;
	escpos_settings_init(&ps);
	assert_int_equal(escpos_settings_check(&ps, err, sizeof(err)), TALAD_OK);
	ps.drawer_pin = 3;
	assert_int_equal(escpos_settings_check(&ps, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "drawer pin must be 2 or 5");
	escpos_settings_init(&ps);
	snprintf(ps.encoding, sizeof(ps.encoding), "KLINGON");
	assert_int_equal(escpos_settings_check(&ps, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "unknown printer encoding: KLINGON");
	escpos_settings_init(&ps);
	ps.width = 10;
	assert_int_equal(escpos_settings_check(&ps, err, sizeof(err)), TALAD_EINVAL);
}

/* Counts image rows that are black across the whole width: the rules. */
static int full_rows(const struct escpos_image *img)
{
	int y, x, n = 0, stride = (img->width + 7) / 8;

	for (y = 0; y < img->height; y++) {
		for (x = 0; x < img->width; x++)
			if (!(img->bits[y * stride + x / 8] & (0x80 >> (x % 8))))
				break;
		if (x == img->width)
			n++;
	}
	return n;
}

/* Raster mode: no text and no code page on the wire, one image as wide as
 * the paper with ink in it, rules across the full width, the QR drawn in. */
static void test_raster(void **state)
{
	static const struct {
		int width, dots;
	} sizes[] = {{32, 384}, {42, 504}, {48, 576}};
	char font[256];
	size_t i;

	(void)state;
	if (escpos_find_font(font, sizeof(font)) != TALAD_OK) {
		print_message("no thai font installed: raster test skipped\n");
		skip();
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct order o;
		struct receipt_settings rs;
		struct escpos_settings ps;
		struct buf job = BUF_INIT(ESCPOS_JOB_MAX);
		struct escpos_doc doc;
		char err[256];

		sample(&o, true);
		settings(&rs, true);
		escpos_settings_init(&ps);
		ps.width = sizes[i].width;
		ps.raster = true;
		if (escpos_receipt_order(&o, &rs, &ps, &job, err, sizeof(err)) != TALAD_OK)
			fail_msg("raster receipt: %s", err);
		if (escpos_decode((const uint8_t *)job.data, job.len, "CP874", &doc, err,
		                  sizeof(err)))
			fail_msg("decode: %s", err);
		assert_int_equal(doc.nlines, 0);
		assert_int_equal(doc.ncodepages, 0);
		assert_int_equal(doc.nqr, 0);
		assert_int_equal(doc.nimages, 1);
		assert_int_equal(doc.images[0].width, sizes[i].dots);
		/* ~25 rows of text and a QR code: well over 600 dots tall. */
		assert_true(doc.images[0].height > 600);
		assert_true(doc.images[0].black > 20000);
		assert_true(full_rows(&doc.images[0]) >= 4 * 2); /* four rules, 2 dots */
		assert_int_equal(doc.cuts, 1);
		escpos_doc_free(&doc);
		buf_release(&job);
		order_release(&o);
	}
}

static void test_raster_bad_font(void **state)
{
	struct order o;
	struct receipt_settings rs;
	struct escpos_settings ps;
	struct buf job = BUF_INIT(ESCPOS_JOB_MAX);
	char err[256];

	(void)state;
	sample(&o, false);
	settings(&rs, false);
	escpos_settings_init(&ps);
	ps.raster = true;
	snprintf(ps.font, sizeof(ps.font), "/nonexistent/font.ttf");
	assert_int_equal(escpos_receipt_order(&o, &rs, &ps, &job, err, sizeof(err)), TALAD_EIO);
	assert_string_equal(err, "cannot read font /nonexistent/font.ttf");
	buf_release(&job);
	order_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_en_32),    cmocka_unit_test(test_golden_en_42),
	    cmocka_unit_test(test_golden_en_48),    cmocka_unit_test(test_golden_th_32),
	    cmocka_unit_test(test_golden_th_42),    cmocka_unit_test(test_golden_th_48),
	    cmocka_unit_test(test_thai_bytes),      cmocka_unit_test(test_commands),
	    cmocka_unit_test(test_decoder_rejects), cmocka_unit_test(test_status),
	    cmocka_unit_test(test_settings_check),  cmocka_unit_test(test_raster),
	    cmocka_unit_test(test_raster_bad_font),
	};

	setenv("TZ", "Asia/Bangkok", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
