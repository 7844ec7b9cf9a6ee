/* Unit tests of receipt e-mails: the strict address check, header encoding
 * and folding, the whole MIME message of a receipt read back part by part,
 * the retry schedule, and the mail queue of the SQLite store (one mail per
 * receipt and address, claims with a lease, settling a lost claim, the
 * schema 1 -> 2 migration that drops duplicates). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "../lib/fixtures.h"
#include "common/buf.h"
#include "common/email.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/order.h"
#include "server/mail.h"
#include "server/store.h"

#define ORDER_ID "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"
#define OP_ID    "0193a5b2-7c1d-7e4f-8a9b-00000000e111"
#define REG      "0193a5b2-0000-7000-8000-000000000001"
#define LOC      "0193a5b2-0000-7000-8000-000000000002"

/* ---- addresses ---- */

static void test_address(void **state)
{
	(void)state;
	static const char *const good[] = {
	    "somchai@example.com", "a.b+tag@mail.example.co.th",    "x_y-z@a-b.example",
	    "o'brien@example.ie",  "user@xn--12c1fe0br.xn--o3cw4h", "1@2.io"};
	static const char *const bad[] = {"",
	                                  "plain",
	                                  "@example.com",
	                                  "a@",
	                                  "a@b@example.com",
	                                  "a b@example.com",
	                                  "a@example",
	                                  "a@example.c",
	                                  "a..b@example.com",
	                                  ".a@example.com",
	                                  "a.@example.com",
	                                  "a@-example.com",
	                                  "a@example-.com",
	                                  "a@exa_mple.com",
	                                  "a@example..com",
	                                  "a@example.c0m",
	                                  "\"a\"@example.com",
	                                  "a@[127.0.0.1]",
	                                  "a<b>@example.com",
	                                  "a@example.com\r\nBcc: x@y.zz",
	                                  "ส@example.com",
	                                  "a,b@example.com"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!email_address_valid(good[i], NULL))
			fail_msg("refused a good address: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		if (email_address_valid(bad[i], &why))
			fail_msg("took a bad address: %s", bad[i]);
		assert_non_null(why);
	}
	char longlocal[80], longaddr[300];
	memset(longlocal, 'a', 65);
	longlocal[65] = '\0';
	snprintf(longaddr, sizeof(longaddr), "%s@example.com", longlocal);
	assert_false(email_address_valid(longaddr, NULL));
	longlocal[64] = '\0';
	snprintf(longaddr, sizeof(longaddr), "%s@example.com", longlocal);
	assert_true(email_address_valid(longaddr, NULL));
}

/* ---- headers ---- */

/* Decodes the value of one header of msg (unfolded, encoded words
 * decoded). The caller frees it; NULL when the header is absent. */
static char *header_value(const char *msg, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "%s:", name);
	const char *p = msg;
	for (;;) {
		if (!strncmp(p, key, strlen(key)))
			break;
		const char *nl = strstr(p, "\r\n");
		if (!nl || nl == p)
			return NULL; /* the end of the headers */
		p = nl + 2;
	}
	p += strlen(key);
	struct buf out = BUF_INIT(1 << 16);
	for (;;) {
		const char *nl = strstr(p, "\r\n");
		assert_non_null(nl);
		/* Each physical line stays within 78 columns. */
		assert_true(nl - p <= 78);
		const char *q = p;
		while (q < nl) {
			if (*q == ' ') {
				q++;
				continue;
			}
			if (!strncmp(q, "=?UTF-8?B?", 10)) {
				const char *end = strstr(q + 10, "?=");
				assert_non_null(end);
				unsigned char bin[256];
				size_t n;
				assert_int_equal(sodium_base642bin(bin, sizeof(bin), q + 10,
				                                   (size_t)(end - q - 10), NULL, &n,
				                                   NULL,
				                                   sodium_base64_VARIANT_ORIGINAL),
				                 0);
				assert_int_equal(buf_append(&out, bin, n), TALAD_OK);
				q = end + 2;
				continue;
			}
			const char *sp = q;
			while (sp < nl && *sp != ' ')
				sp++;
			if (out.len)
				buf_puts(&out, " ");
			buf_append(&out, q, (size_t)(sp - q));
			q = sp;
		}
		p = nl + 2;
		if (*p != ' ' && *p != '\t')
			break;
	}
	return buf_detach(&out, NULL);
}

/* Every encoded word on its own is whole UTF-8 (no character split). */
static void assert_words_whole(const char *msg)
{
	for (const char *q = strstr(msg, "=?UTF-8?B?"); q; q = strstr(q, "=?UTF-8?B?")) {
		const char *end = strstr(q + 10, "?=");
		unsigned char bin[256];
		size_t n;
		assert_int_equal(sodium_base642bin(bin, sizeof(bin) - 1, q + 10,
		                                   (size_t)(end - q - 10), NULL, &n, NULL,
		                                   sodium_base64_VARIANT_ORIGINAL),
		                 0);
		/* The first byte starts a character and the last one ends it. */
		assert_true((bin[0] & 0xc0) != 0x80);
		size_t i = n;
		while (i > 0 && (bin[i - 1] & 0xc0) == 0x80)
			i--;
		assert_true(i > 0);
		unsigned char lead = bin[i - 1];
		size_t want = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
		assert_int_equal(n - (i - 1), want);
		q = end;
	}
}

static void test_headers(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(1 << 16);
	assert_int_equal(mail_header(&b, "Subject", "Receipt R01-000042"), TALAD_OK);
	assert_string_equal(buf_str(&b), "Subject: Receipt R01-000042\r\n");

	/* Control characters never reach a header: no injected lines. */
	buf_reset(&b);
	assert_int_equal(mail_header(&b, "Subject", "Hi\r\nBcc: evil@example.com"), TALAD_OK);
	assert_string_equal(buf_str(&b), "Subject: HiBcc: evil@example.com\r\n");

	/* Long ASCII is folded at spaces. */
	buf_reset(&b);
	const char *longtext = "Receipt R01-000042 from a shop with a rather long name that "
	                       "goes on and on past the seventy-eight columns of a header line";
	assert_int_equal(mail_header(&b, "Subject", longtext), TALAD_OK);
	assert_non_null(strstr(buf_str(&b), "\r\n "));
	char *v = header_value(buf_str(&b), "Subject");
	assert_string_equal(v, longtext);
	free(v);

	/* Thai and the em dash: encoded words, folded, each one whole. */
	const char *thai = "ใบเสร็จ R01-000042 — ร้านกาแฟดอยช้าง สาขาถนนนิมมานเหมินท์ "
	                   "เชียงใหม่";
	buf_reset(&b);
	assert_int_equal(mail_header(&b, "Subject", thai), TALAD_OK);
	assert_null(strchr(buf_str(&b), 0xe0)); /* no raw UTF-8 */
	assert_non_null(strstr(buf_str(&b), "=?UTF-8?B?"));
	assert_non_null(strstr(buf_str(&b), "\r\n "));
	assert_words_whole(buf_str(&b));
	v = header_value(buf_str(&b), "Subject");
	assert_string_equal(v, thai);
	free(v);
	buf_release(&b);

	char d[40];
	mail_date(0, d);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	int64_t ms;
	assert_int_equal(time_parse_iso("2026-12-04T19:48:10.123Z", &ms), TALAD_OK);
	mail_date(ms, d);
	assert_string_equal(d, "Fri, 04 Dec 2026 19:48:10 +0000");

	char id1[MAIL_MSGID_MAX], id2[MAIL_MSGID_MAX];
	mail_message_id(OP_ID, "receipts@shop.example", id1);
	mail_message_id(OP_ID, "receipts@shop.example", id2);
	assert_string_equal(id1, id2);
	assert_string_equal(id1, "<receipt." OP_ID "@shop.example>");
	mail_message_id(ORDER_ID, "receipts@shop.example", id2);
	assert_string_not_equal(id1, id2);

	struct buf h = BUF_INIT(1024);
	assert_int_equal(mail_html_escape(&h, "Tom & Jerry's <b>\"Shop\"</b>\x01\nok"), TALAD_OK);
	assert_string_equal(buf_str(&h),
	                    "Tom &amp; Jerry&#39;s &lt;b&gt;&quot;Shop&quot;&lt;/b&gt;<br>ok");
	buf_release(&h);
}

/* ---- the whole message ---- */

static void add_line(struct cart *c, const char *title, int64_t qty, int64_t price,
                     enum discount_kind dk, int64_t dv)
{
	struct cart_line l;
	char err[256] = "";
	memset(&l, 0, sizeof(l));
	strlcpy_t(l.title, title, sizeof(l.title));
	l.quantity = qty;
	l.unit_price = price;
	l.taxable = true;
	l.discount.kind = dk;
	l.discount.value = dv;
	if (cart_add_line(c, &l, err, sizeof(err)) != TALAD_OK)
		fail_msg("cart_add_line: %s", err);
}

/* Two lines (one Thai, one with markup in its name and a 10 % discount),
 * paid by PromptPay with a reference and cash with change. */
static void build_order(struct order *o, bool tax_included)
{
	struct tax_rule tax = {70000, tax_included, TAX_ROUND_LINE};
	char err[256] = "";
	order_init(o, &tax);
	strcpy(o->id, ORDER_ID);
	strcpy(o->number, "R01-000042");
	strcpy(o->register_id, REG);
	strcpy(o->location_id, LOC);
	assert_int_equal(time_parse_iso("2026-12-04T12:48:10.123Z", &o->created_at), TALAD_OK);
	strcpy(o->currency, "THB");
	add_line(&o->cart, "ข้าวผัดกุ้ง", 2, 6000, DISCOUNT_NONE, 0);
	add_line(&o->cart, "<script>alert(1)</script> & tea", 1, 4500, DISCOUNT_PERCENT, 100000);
	if (cart_price(&o->cart, err, sizeof(err)) != TALAD_OK)
		fail_msg("cart_price: %s", err);
	struct settlement *s = &o->settlement;
	s->payments[0].kind = TENDER_CUSTOM;
	strcpy(s->payments[0].name, "PromptPay QR");
	strcpy(s->payments[0].reference, "KBANK 0042");
	s->payments[0].amount = s->payments[0].tendered = 10000;
	s->payments[1].kind = TENDER_CASH;
	s->payments[1].amount = o->cart.total - 10000;
	s->payments[1].tendered = s->payments[1].amount + 1950;
	s->payments[1].change = 1950;
	s->npayments = 2;
	s->due = o->cart.total;
	s->change = 1950;
}

static void fill_shop(struct st_shop *shop)
{
	memset(shop, 0, sizeof(*shop));
	strcpy(shop->name, "ร้าน Tom & Jerry's <Café>");
	strcpy(shop->currency, "THB");
	shop->exponent = 2;
	strcpy(shop->tax_id, "0105558000001");
	strcpy(shop->address, "1 ถนนสุขุมวิท กรุงเทพฯ");
	strcpy(shop->receipt_footer, "ขอบคุณ / Thank you");
}

/* The decoded body of the part with content type ctype. */
static char *part_body(const char *msg, const char *boundary, const char *ctype)
{
	char delim[128];
	snprintf(delim, sizeof(delim), "\r\n--%s\r\n", boundary);
	for (const char *p = strstr(msg, delim); p; p = strstr(p + 1, delim)) {
		const char *hdr = p + strlen(delim);
		const char *body = strstr(hdr, "\r\n\r\n");
		assert_non_null(body);
		char want[128];
		snprintf(want, sizeof(want), "Content-Type: %s; charset=UTF-8\r\n", ctype);
		if (strncmp(hdr, want, strlen(want)))
			continue;
		assert_non_null(strstr(hdr, "Content-Transfer-Encoding: base64\r\n"));
		body += 4;
		const char *end = strstr(body, "\r\n--");
		assert_non_null(end);
		size_t cap = (size_t)(end - body);
		unsigned char *bin = xmalloc(cap + 1);
		size_t n;
		assert_int_equal(sodium_base642bin(bin, cap, body, (size_t)(end - body), "\r\n", &n,
		                                   NULL, sodium_base64_VARIANT_ORIGINAL),
		                 0);
		bin[n] = '\0';
		return (char *)bin;
	}
	fail_msg("no %s part", ctype);
	return NULL;
}

static void test_message(void **state)
{
	(void)state;
	struct order o;
	struct st_shop shop;
	build_order(&o, true);
	fill_shop(&shop);
	char msgid[MAIL_MSGID_MAX];
	mail_message_id(OP_ID, "receipts@shop.example", msgid);
	struct mail_receipt r = {.shop = &shop,
	                         .register_code = "R01",
	                         .from = "receipts@shop.example",
	                         .to = "somchai@example.com",
	                         .message_id = msgid,
	                         .lang = "en",
	                         .date_ms = 0};
	struct buf m = BUF_INIT(MAIL_MESSAGE_MAX);
	assert_int_equal(mail_build_receipt(&o, &r, &m), TALAD_OK);
	const char *msg = buf_str(&m);

	/* CRLF only, and no line longer than SMTP allows (998). */
	for (size_t i = 0, col = 0; i < m.len; i++) {
		if (msg[i] == '\n')
			assert_true(i > 0 && msg[i - 1] == '\r');
		col = msg[i] == '\n' ? 0 : col + 1;
		assert_true(col <= 998);
		assert_true((unsigned char)msg[i] < 0x80); /* 7-bit on the wire */
	}
	char *v = header_value(msg, "Subject");
	assert_string_equal(v, "Receipt R01-000042 \xe2\x80\x94 ร้าน Tom & Jerry's <Café>");
	free(v);
	v = header_value(msg, "From");
	assert_string_equal(v, "ร้าน Tom & Jerry's <Café> <receipts@shop.example>");
	free(v);
	v = header_value(msg, "To");
	assert_string_equal(v, "somchai@example.com");
	free(v);
	v = header_value(msg, "Date");
	assert_string_equal(v, "Thu, 01 Jan 1970 00:00:00 +0000");
	free(v);
	v = header_value(msg, "Message-ID");
	assert_string_equal(v, msgid);
	free(v);
	v = header_value(msg, "MIME-Version");
	assert_string_equal(v, "1.0");
	free(v);
	v = header_value(msg, "Content-Type");
	assert_string_equal(v, "multipart/alternative; boundary=\"=_talad_"
	                       "0193a5b27c1d7e4f8a9b0c1d2e3f4a5b\"");
	free(v);
	assert_words_whole(msg);
	const char *boundary = "=_talad_0193a5b27c1d7e4f8a9b0c1d2e3f4a5b";
	char closing[80];
	snprintf(closing, sizeof(closing), "\r\n--%s--\r\n", boundary);
	assert_non_null(strstr(msg, closing));

	/* The plain text is the receipt: number, lines, totals, VAT, payments. */
	char *text = part_body(msg, boundary, "text/plain");
	assert_null(strstr(text, "\n\n\n"));
	for (const char *p = text; *p; p++)
		if (*p == '\n')
			assert_true(p > text && p[-1] == '\r');
	static const char *const in_text[] = {
	    "R01-000042",           "ข้าวผัดกุ้ง",    "2 x 60.00",        "120.00", "TOTAL",  "160.50",
	    "VAT 7% included",      "10.50",      "PromptPay QR",     "Cash",   "Change", "19.50",
	    "TAX ID 0105558000001", "POS ID R01", "ขอบคุณ / Thank you"};
	for (size_t i = 0; i < sizeof(in_text) / sizeof(in_text[0]); i++)
		if (!strstr(text, in_text[i]))
			fail_msg("the text part lacks '%s':\n%s", in_text[i], text);
	free(text);

	/* The HTML: the same facts, and nothing from the order as markup. */
	char *html = part_body(msg, boundary, "text/html");
	static const char *const in_html[] = {"<!DOCTYPE html>",
	                                      "R01-000042",
	                                      "ข้าวผัดกุ้ง",
	                                      "120.00",
	                                      "THB 160.50",
	                                      "VAT 7% included",
	                                      "10.50",
	                                      "PromptPay QR (ref KBANK 0042)",
	                                      "Cash",
	                                      "Change",
	                                      "19.50",
	                                      "Discount 10%",
	                                      "-4.50",
	                                      "Subtotal",
	                                      "165.00",
	                                      "Tax ID 0105558000001",
	                                      "POS ID R01",
	                                      "ร้าน Tom &amp; Jerry&#39;s &lt;Café&gt;",
	                                      "&lt;script&gt;alert(1)&lt;/script&gt; &amp; tea",
	                                      "Abbreviated tax invoice"};
	for (size_t i = 0; i < sizeof(in_html) / sizeof(in_html[0]); i++)
		if (!strstr(html, in_html[i]))
			fail_msg("the html part lacks '%s':\n%s", in_html[i], html);
	assert_null(strstr(html, "<script>"));
	assert_null(strstr(html, "<Café>"));
	free(html);
	buf_release(&m);

	/* Tax added on top (US style) shows VAT before the total; Thai words. */
	order_release(&o);
	build_order(&o, false);
	r.lang = "th";
	buf_init(&m, MAIL_MESSAGE_MAX);
	assert_int_equal(mail_build_receipt(&o, &r, &m), TALAD_OK);
	v = header_value(buf_str(&m), "Subject");
	assert_non_null(strstr(v, "ใบเสร็จ R01-000042"));
	free(v);
	html = part_body(buf_str(&m), boundary, "text/html");
	assert_non_null(strstr(html, "ภาษีมูลค่าเพิ่ม 7%"));
	assert_non_null(strstr(html, "ยอดสุทธิ"));
	assert_true(strstr(html, "ภาษีมูลค่าเพิ่ม 7%") < strstr(html, "ยอดสุทธิ"));
	free(html);
	buf_release(&m);

	/* What cannot be built is refused, and nothing half-written counts. */
	r.lang = "fr";
	buf_init(&m, MAIL_MESSAGE_MAX);
	assert_int_equal(mail_build_receipt(&o, &r, &m), TALAD_EINVAL);
	r.lang = "en";
	r.to = "not an address";
	assert_int_equal(mail_build_receipt(&o, &r, &m), TALAD_EINVAL);
	r.to = "somchai@example.com";
	buf_release(&m);
	buf_init(&m, 1024);
	assert_int_equal(mail_build_receipt(&o, &r, &m), TALAD_ETOOBIG);
	buf_release(&m);
	order_release(&o);
}

/* ---- retries ---- */

static void test_backoff(void **state)
{
	(void)state;
	int64_t d = MAIL_BACKOFF_BASE_MS;
	for (int attempt = 1; attempt <= 40; attempt++) {
		int64_t lo = mail_backoff_ms(attempt, 0), hi = mail_backoff_ms(attempt, UINT32_MAX);
		assert_int_equal(lo, d / 2);
		assert_int_equal(hi, d);
		for (int k = 0; k < 200; k++) {
			int64_t x = mail_backoff_ms(attempt, randombytes_random());
			assert_true(x >= lo && x <= hi);
		}
		d = d * 2 > MAIL_BACKOFF_MAX_MS ? MAIL_BACKOFF_MAX_MS : d * 2;
	}
	/* 5 s doubling: 5, 10, 20, 40, 80, 160, 320, 640, 1280, then 30 min. */
	assert_int_equal(mail_backoff_ms(1, UINT32_MAX), 5000);
	assert_int_equal(mail_backoff_ms(2, UINT32_MAX), 10000);
	assert_int_equal(mail_backoff_ms(9, UINT32_MAX), 1280000);
	assert_int_equal(mail_backoff_ms(10, UINT32_MAX), 1800000);
	assert_int_equal(mail_backoff_ms(1000000, UINT32_MAX), 1800000);
	assert_int_equal(mail_backoff_ms(0, UINT32_MAX), 5000);

	assert_true(mail_smtp_permanent(550));
	assert_true(mail_smtp_permanent(554));
	assert_false(mail_smtp_permanent(451));
	assert_false(mail_smtp_permanent(421));
	assert_false(mail_smtp_permanent(250));
	assert_false(mail_smtp_permanent(0));
}

/* ---- the queue in the store ---- */

struct fixture {
	char dir[64];
	char path[128];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	if (fx_tmpdir("talad-test-mail", f->dir, sizeof(f->dir)))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/talad.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = fx_server_store_done(f->st, f->dir);
	free(f);
	return rc;
}

static void mail_row(struct st_mail *m, const char *op, const char *order, const char *email,
                     int64_t now)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->op_id, op);
	strcpy(m->register_id, REG);
	strcpy(m->order_id, order);
	strcpy(m->email, email);
	strcpy(m->status, "queued");
	m->created_at = now;
	m->next_attempt_at = now;
}

struct collect {
	struct st_mail m[8];
	size_t n;
};

static int collect_cb(void *arg, const struct st_mail *m)
{
	struct collect *c = arg;
	if (c->n < 8)
		c->m[c->n++] = *m;
	return TALAD_OK;
}

static void test_queue(void **state)
{
	struct fixture *f = *state;
	char err[256];
	assert_int_equal(store_sqlite_open(f->path, true, &f->st, err, sizeof(err)), TALAD_OK);
	struct store *st = f->st;
	const int64_t t0 = 1800000000000;
	struct st_mail m, got;
	int64_t due;

	assert_int_equal(st->ops->mail_next_due(st, &due), TALAD_ENOTFOUND);
	assert_int_equal(st->ops->mail_claim(st, t0, t0 + 1000, &got), TALAD_ENOTFOUND);

	mail_row(&m, OP_ID, ORDER_ID, "Somchai@Example.com", t0);
	assert_int_equal(st->ops->mail_add(st, &m), TALAD_OK);
	/* The same receipt to the same address, whatever the case: once. */
	mail_row(&m, "0193a5b2-7c1d-7e4f-8a9b-00000000e112", ORDER_ID, "somchai@example.COM", t0);
	assert_int_equal(st->ops->mail_add(st, &m), TALAD_EEXIST);
	/* The same op again. */
	mail_row(&m, OP_ID, "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5c", "other@example.com", t0);
	assert_int_equal(st->ops->mail_add(st, &m), TALAD_EEXIST);
	/* Another address for the same receipt is another mail. */
	mail_row(&m, "0193a5b2-7c1d-7e4f-8a9b-00000000e113", ORDER_ID, "nok@example.com", t0 + 5);
	m.next_attempt_at = t0 + 60000;
	assert_int_equal(st->ops->mail_add(st, &m), TALAD_OK);
	assert_int_equal(st->ops->mail_find(st, ORDER_ID, "SOMCHAI@example.com", &got), TALAD_OK);
	assert_string_equal(got.op_id, OP_ID);
	assert_string_equal(got.status, "queued");
	assert_int_equal(st->ops->mail_find(st, ORDER_ID, "x@example.com", &got), TALAD_ENOTFOUND);

	assert_int_equal(st->ops->mail_next_due(st, &due), TALAD_OK);
	assert_int_equal(due, t0);

	/* A claim holds the mail for its lease: nobody else gets it. */
	struct st_mail c1, c2;
	assert_int_equal(st->ops->mail_claim(st, t0, t0 + 120000, &c1), TALAD_OK);
	assert_string_equal(c1.op_id, OP_ID);
	assert_string_equal(c1.status, "sending");
	assert_int_equal(c1.attempts, 1);
	assert_int_equal(c1.lease_until, t0 + 120000);
	assert_int_equal(st->ops->mail_claim(st, t0 + 1000, t0 + 121000, &c2), TALAD_ENOTFOUND);
	assert_int_equal(st->ops->mail_next_due(st, &due), TALAD_OK);
	assert_int_equal(due, t0 + 60000); /* the other mail's first attempt */

	/* A worker that died: the lease ends and the mail is claimed again;
	 * the first claim can no longer settle it. */
	assert_int_equal(st->ops->mail_claim(st, t0 + 120000, t0 + 240000, &c2), TALAD_OK);
	assert_string_equal(c2.op_id, OP_ID);
	assert_int_equal(c2.attempts, 2);
	strcpy(c1.status, "sent");
	c1.sent_at = t0 + 1;
	assert_int_equal(st->ops->mail_settle(st, &c1), TALAD_ECONFLICT);

	/* A retry: queued again, not due before its time. */
	strcpy(c2.status, "queued");
	c2.next_attempt_at = t0 + 300000;
	strcpy(c2.error, "smtp: could not connect");
	assert_int_equal(st->ops->mail_settle(st, &c2), TALAD_OK);
	assert_int_equal(st->ops->mail_claim(st, t0 + 200000, t0 + 320000, &c1), TALAD_OK);
	assert_string_equal(c1.email, "nok@example.com"); /* the other one is due now */
	strcpy(c1.status, "failed");
	strcpy(c1.error, "the SMTP server refused it: 550");
	assert_int_equal(st->ops->mail_settle(st, &c1), TALAD_OK);
	assert_int_equal(st->ops->mail_claim(st, t0 + 250000, t0 + 370000, &c1), TALAD_ENOTFOUND);
	assert_int_equal(st->ops->mail_claim(st, t0 + 300000, t0 + 420000, &c1), TALAD_OK);
	assert_string_equal(c1.op_id, OP_ID);
	assert_int_equal(c1.attempts, 3);
	assert_string_equal(c1.error, "smtp: could not connect");
	strcpy(c1.status, "sent");
	c1.sent_at = t0 + 300001;
	c1.error[0] = '\0';
	assert_int_equal(st->ops->mail_settle(st, &c1), TALAD_OK);
	/* Settled once: the same claim cannot settle again. */
	assert_int_equal(st->ops->mail_settle(st, &c1), TALAD_ECONFLICT);

	/* Sent and failed mails are never claimed again. */
	assert_int_equal(st->ops->mail_claim(st, t0 + 99999999, t0 + 99999999, &c2),
	                 TALAD_ENOTFOUND);
	assert_int_equal(st->ops->mail_next_due(st, &due), TALAD_ENOTFOUND);

	struct collect all = {0};
	assert_int_equal(st->ops->mail_list(st, 0, 10, collect_cb, &all), TALAD_OK);
	assert_int_equal(all.n, 2);
	assert_string_equal(all.m[0].status, "failed"); /* newest first */
	assert_string_equal(all.m[0].error, "the SMTP server refused it: 550");
	assert_string_equal(all.m[1].status, "sent");
	assert_int_equal(all.m[1].sent_at, t0 + 300001);
	assert_string_equal(all.m[1].error, "");

	/* A failed mail can be queued again (staff asked); a sent one not. */
	assert_int_equal(st->ops->mail_requeue(st, all.m[1].n, t0), TALAD_ECONFLICT);
	assert_int_equal(st->ops->mail_requeue(st, all.m[0].n, t0 + 400000), TALAD_OK);
	assert_int_equal(st->ops->mail_claim(st, t0 + 400000, t0 + 520000, &c1), TALAD_OK);
	assert_string_equal(c1.email, "nok@example.com");
	assert_int_equal(c1.attempts, 1);
	assert_int_equal(c1.created_at, t0 + 400000);
}

/* A database of schema 1 that holds one receipt queued twice keeps the
 * first when it is opened by this version. */
static void test_migration(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	char err[256];
	/* A whole schema-1 database, as the first talad-server wrote it. */
	assert_int_equal(store_sqlite_migrate_to(f->path, 1, err, sizeof(err)), TALAD_OK);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	                 "INSERT INTO mail_queue VALUES (1, 'op-1', 'r', 'o1', 'a@example.com',"
	                 " 'queued', 10);"
	                 "INSERT INTO mail_queue VALUES (2, 'op-2', 'r', 'o1', 'A@example.com',"
	                 " 'queued', 11);"
	                 "INSERT INTO mail_queue VALUES (3, 'op-3', 'r', 'o1', 'b@example.com',"
	                 " 'queued', 12);",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_sqlite_open(f->path, false, &f->st, err, sizeof(err)), TALAD_OK);
	struct collect all = {0};
	assert_int_equal(f->st->ops->mail_list(f->st, 0, 10, collect_cb, &all), TALAD_OK);
	assert_int_equal(all.n, 2);
	assert_string_equal(all.m[0].op_id, "op-3");
	assert_string_equal(all.m[1].op_id, "op-1");
	assert_int_equal(all.m[1].attempts, 0);
	struct st_mail got;
	assert_int_equal(f->st->ops->mail_claim(f->st, 100, 200, &got), TALAD_OK);
	assert_string_equal(got.op_id, "op-1");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_address),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_message),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
