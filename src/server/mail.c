/* The receipt e-mail as a MIME message (mail.h): headers that survive any
 * shop name (encoded words, folding, no control characters), a plain-text
 * part that is the receipt as the register prints it, and an HTML part built
 * from the same order with every text escaped. */
#include "server/mail.h"

#include "common/email.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "core/receipt.h"
#include "core/tax.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEADER_FOLD 78 /* columns a header line should keep within */
#define WORD_BYTES  42 /* text bytes per encoded word: 56 base64 characters */
#define BODY_LINE   57 /* bytes per base64 body line: 76 characters */
#define TEXT_WIDTH  48 /* columns of the plain-text receipt */
#define RETURN_IF(rc)                                                                              \
	do {                                                                                       \
		if (rc)                                                                            \
			return rc;                                                                 \
	} while (0)

struct words {
	const char *lang, *receipt, *item, *qty, *price, *amount, *subtotal, *discounts, *total,
	    *rounding, *due, *payments, *change, *tax_id, *pos_id, *invoice, *ref;
};

static const struct words words_en = {
    .lang = "en",
    .receipt = "Receipt",
    .item = "Item",
    .qty = "Qty",
    .price = "Price",
    .amount = "Amount",
    .subtotal = "Subtotal",
    .discounts = "Discounts",
    .total = "Total",
    .rounding = "Rounding",
    .due = "Amount due",
    .payments = "Payments",
    .change = "Change",
    .tax_id = "Tax ID",
    .pos_id = "POS ID",
    .invoice = "Abbreviated tax invoice",
    .ref = "ref",
};

static const struct words words_th = {
    .lang = "th",
    .receipt = "ใบเสร็จ",
    .item = "รายการ",
    .qty = "จำนวน",
    .price = "ราคา",
    .amount = "จำนวนเงิน",
    .subtotal = "รวมเป็นเงิน",
    .discounts = "ส่วนลดรวม",
    .total = "ยอดสุทธิ",
    .rounding = "ปัดเศษ",
    .due = "ยอดชำระ",
    .payments = "การชำระเงิน",
    .change = "เงินทอน",
    .tax_id = "เลขประจำตัวผู้เสียภาษี",
    .pos_id = "หมายเลขเครื่อง",
    .invoice = "ใบกำกับภาษีอย่างย่อ",
    .ref = "อ้างอิง",
};

static const struct words *words_for(const char *lang)
{
	if (lang && !strcmp(lang, "en"))
		return &words_en;
	if (lang && !strcmp(lang, "th"))
		return &words_th;
	return NULL;
}

/* s without control characters (C0, DEL); the caller frees it. */
static char *clean(const char *s)
{
	size_t n = strlen(s ? s : "");
	char *out = xmalloc(n + 1), *o = out;
	for (const char *p = s ? s : ""; *p; p++)
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			*o++ = *p;
	*o = '\0';
	return out;
}

static bool printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* Appends "=?UTF-8?B?...?=" words for text, folding before a word that
 * would pass HEADER_FOLD; *col is the column reached on the current line. */
static int encoded_words(struct buf *out, const char *text, size_t *col)
{
	size_t len = strlen(text), at = 0;
	char b64[sodium_base64_ENCODED_LEN(WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	while (at < len) {
		size_t n = len - at < WORD_BYTES ? len - at : WORD_BYTES;
		/* Never split a UTF-8 sequence between two words. */
		while (n > 1 && at + n < len && ((unsigned char)text[at + n] & 0xc0) == 0x80)
			n--;
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)text + at, n,
		                  sodium_base64_VARIANT_ORIGINAL);
		size_t wlen = strlen(b64) + 12;
		/* Words are separated by folding white space, which decoders drop. */
		bool fold = at > 0 && *col + 1 + wlen > HEADER_FOLD;
		int rc = buf_puts(out, fold ? "\r\n " : " ");
		RETURN_IF(rc);
		*col = fold ? 1 : *col + 1;
		rc = buf_printf(out, "=?UTF-8?B?%s?=", b64);
		RETURN_IF(rc);
		*col += wlen;
		at += n;
	}
	return TALAD_OK;
}

/* Appends ASCII text word by word, folding at spaces past HEADER_FOLD. */
static int folded_ascii(struct buf *out, const char *text, size_t *col)
{
	const char *p = text;
	bool first = true;
	while (*p) {
		size_t sp = strcspn(p, " ");
		if (sp == 0) {
			p++;
			continue;
		}
		int rc;
		if (!first) {
			rc = buf_puts(out, *col + 1 + sp > HEADER_FOLD ? "\r\n " : " ");
			RETURN_IF(rc);
			*col = *col + 1 + sp > HEADER_FOLD ? 1 : *col + 1;
		}
		rc = buf_append(out, p, sp);
		RETURN_IF(rc);
		*col += sp;
		first = false;
		p += sp;
	}
	return TALAD_OK;
}

int mail_header(struct buf *out, const char *name, const char *value)
{
	char *v = clean(value);
	size_t col = strlen(name) + 1;
	int rc = buf_printf(out, "%s:", name);
	if (rc == TALAD_OK && printable_ascii(v)) {
		rc = buf_puts(out, " ");
		col++;
		if (rc == TALAD_OK)
			rc = folded_ascii(out, v, &col);
	} else if (rc == TALAD_OK) {
		rc = encoded_words(out, v, &col);
	}
	if (rc == TALAD_OK)
		rc = buf_puts(out, "\r\n");
	free(v);
	return rc;
}

/* From: with the shop's name as the display name. */
static int from_header(struct buf *out, const char *name, const char *addr)
{
	char *v = clean(name);
	int rc;
	size_t col = 5;
	if (!*v) {
		rc = buf_printf(out, "From: %s\r\n", addr);
	} else if (printable_ascii(v)) {
		/* A quoted string: only the quote and the backslash need escaping. */
		rc = buf_puts(out, "From: \"");
		for (const char *p = v; rc == TALAD_OK && *p; p++)
			rc = buf_printf(out, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
		if (rc == TALAD_OK)
			rc = buf_printf(out, "\" <%s>\r\n", addr);
	} else {
		rc = buf_puts(out, "From:");
		if (rc == TALAD_OK)
			rc = encoded_words(out, v, &col);
		if (rc == TALAD_OK)
			rc = buf_printf(out, "%s<%s>\r\n",
			                col + 2 + strlen(addr) + 1 > HEADER_FOLD ? "\r\n " : " ",
			                addr);
	}
	free(v);
	return rc;
}

void mail_date(int64_t ms, char out[40])
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	/* Day and month names by hand: strftime would follow the locale. */
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
	         months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void mail_message_id(const char *op_id, const char *from, char out[MAIL_MSGID_MAX])
{
	const char *at = from ? strrchr(from, '@') : NULL;
	snprintf(out, MAIL_MSGID_MAX, "<receipt.%s@%s>", op_id, at && at[1] ? at + 1 : "talad");
}

int mail_html_escape(struct buf *out, const char *s)
{
	int rc = TALAD_OK;
	for (const char *p = s ? s : ""; rc == TALAD_OK && *p; p++) {
		switch (*p) {
		case '&':
			rc = buf_puts(out, "&amp;");
			break;
		case '<':
			rc = buf_puts(out, "&lt;");
			break;
		case '>':
			rc = buf_puts(out, "&gt;");
			break;
		case '"':
			rc = buf_puts(out, "&quot;");
			break;
		case '\'':
			rc = buf_puts(out, "&#39;");
			break;
		case '\n':
			rc = buf_puts(out, "<br>");
			break;
		default:
			if ((unsigned char)*p >= 0x20 && *p != 0x7f)
				rc = buf_append(out, p, 1);
		}
	}
	return rc;
}

/* Appends data as base64 in lines of 76 characters. */
static int base64_body(struct buf *out, const char *data, size_t len)
{
	char line[sodium_base64_ENCODED_LEN(BODY_LINE, sodium_base64_VARIANT_ORIGINAL)];
	for (size_t at = 0; at < len; at += BODY_LINE) {
		size_t n = len - at < BODY_LINE ? len - at : BODY_LINE;
		sodium_bin2base64(line, sizeof(line), (const unsigned char *)data + at, n,
		                  sodium_base64_VARIANT_ORIGINAL);
		int rc = buf_printf(out, "%s\r\n", line);
		RETURN_IF(rc);
	}
	return TALAD_OK;
}

/* Text with bare newlines turned into CRLF, the canonical form of text parts. */
static int crlf(struct buf *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		int rc = *p == '\n' && (p == text || p[-1] != '\r') ? buf_puts(out, "\r\n")
		                                                    : buf_append(out, p, 1);
		RETURN_IF(rc);
	}
	return TALAD_OK;
}

static int plain_part(const struct order *o, const struct mail_receipt *r,
                      const struct currency *cur, struct buf *out)
{
	struct receipt_settings rs;
	receipt_settings_init(&rs, cur);
	strlcpy_t(rs.shop_name, r->shop->name, sizeof(rs.shop_name));
	strlcpy_t(rs.address, r->shop->address, sizeof(rs.address));
	strlcpy_t(rs.tax_id, r->shop->tax_id, sizeof(rs.tax_id));
	strlcpy_t(rs.pos_id, r->register_code ? r->register_code : "", sizeof(rs.pos_id));
	strlcpy_t(rs.header, r->shop->receipt_header, sizeof(rs.header));
	strlcpy_t(rs.footer, r->shop->receipt_footer, sizeof(rs.footer));
	strlcpy_t(rs.lang, r->lang, sizeof(rs.lang));
	rs.width = TEXT_WIDTH;
	rs.qr = false;
	struct buf text = BUF_INIT(MAIL_MESSAGE_MAX);
	int rc = receipt_render_text(o, &rs, &text);
	if (rc == TALAD_OK)
		rc = crlf(out, buf_str(&text));
	buf_release(&text);
	return rc;
}

static void amount(int64_t v, const struct currency *cur, char out[MONEY_STRLEN])
{
	money_format_grouped(v, cur->exponent, out);
}

/* One row of a two-column table: label (escaped), amount, optional style. */
static int html_row(struct buf *h, const char *label, int colspan, const char *value,
                    const char *style)
{
	int rc =
	    buf_printf(h, "<tr%s%s%s><td colspan=\"%d\" style=\"padding:2px 0\">",
	               style ? " style=\"" : "", style ? style : "", style ? "\"" : "", colspan);
	if (rc == TALAD_OK)
		rc = mail_html_escape(h, label);
	if (rc == TALAD_OK)
		rc = buf_puts(h, "</td><td align=\"right\" style=\"padding:2px 0;white-space:"
		                 "nowrap\">");
	if (rc == TALAD_OK)
		rc = mail_html_escape(h, value);
	if (rc == TALAD_OK)
		rc = buf_puts(h, "</td></tr>\n");
	return rc;
}

/* The receipt's label, and a custom method's reference (a PromptPay
 * transfer's, say) beside it: a mail has room for it. */
static char *payment_label(const struct payment *p, const struct words *wd)
{
	char *label = receipt_payment_label(p, wd->lang);

	if (p->kind == TENDER_CUSTOM && p->reference[0]) {
		char *s = xasprintf("%s (%s %s)", label, wd->ref, p->reference);
		free(label);
		return s;
	}
	return label;
}

static int html_lines(const struct order *o, const struct currency *cur, const struct words *wd,
                      struct buf *h)
{
	int rc =
	    buf_printf(h,
	               "<table role=\"presentation\" style=\"width:100%%;border-collapse:"
	               "collapse;font-size:14px\">\n<tr style=\"border-bottom:1px solid #ccc\">"
	               "<th align=\"left\">%s</th><th align=\"right\">%s</th>"
	               "<th align=\"right\">%s</th><th align=\"right\">%s</th></tr>\n",
	               wd->item, wd->qty, wd->price, wd->amount);
	for (size_t i = 0; rc == TALAD_OK && i < o->cart.nlines; i++) {
		const struct cart_line *l = &o->cart.lines[i];
		char unit[MONEY_STRLEN], gross[MONEY_STRLEN];
		amount(l->unit_price, cur, unit);
		amount(l->gross, cur, gross);
		rc = buf_puts(h, "<tr><td style=\"padding:2px 0\">");
		if (rc == TALAD_OK)
			rc = mail_html_escape(h, l->title);
		if (rc == TALAD_OK)
			rc = buf_printf(h,
			                "</td><td align=\"right\">%" PRId64
			                "</td><td align=\"right\">"
			                "%s</td><td align=\"right\">%s</td></tr>\n",
			                l->quantity, unit, gross);
		if (rc == TALAD_OK && l->line_discount != 0) {
			char d[MONEY_STRLEN];
			amount(-l->line_discount, cur, d);
			char *label = receipt_discount_label(&l->discount, wd->lang);
			rc = html_row(h, label, 3, d, "color:#555");
			free(label);
		}
	}
	return rc == TALAD_OK ? buf_puts(h, "</table>\n") : rc;
}

static int html_totals(const struct order *o, const struct currency *cur, const struct words *wd,
                       struct buf *h)
{
	char a[MONEY_STRLEN];
	int rc =
	    buf_puts(h, "<table role=\"presentation\" style=\"width:100%;border-collapse:"
	                "collapse;font-size:14px;border-top:1px solid #ccc;margin-top:6px\">\n");
	amount(o->cart.subtotal, cur, a);
	if (rc == TALAD_OK)
		rc = html_row(h, wd->subtotal, 1, a, NULL);
	if (rc == TALAD_OK && o->cart.discount_total != 0) {
		amount(-o->cart.discount_total, cur, a);
		rc = html_row(h, wd->discounts, 1, a, NULL);
	}
	if (rc == TALAD_OK && o->cart.tax.rate_ppm > 0 && !o->cart.tax.included) {
		char *label = receipt_vat_label(o->cart.tax.rate_ppm, false, wd->lang);
		amount(o->cart.tax_total, cur, a);
		rc = html_row(h, label, 1, a, NULL);
		free(label);
	}
	if (rc == TALAD_OK) {
		char *v;
		amount(o->cart.total, cur, a);
		v = xasprintf("%s %s", cur->code, a);
		rc = html_row(h, wd->total, 1, v, "font-weight:bold;font-size:17px");
		free(v);
	}
	if (rc == TALAD_OK && o->cart.tax.rate_ppm > 0 && o->cart.tax.included) {
		char *label = receipt_vat_label(o->cart.tax.rate_ppm, true, wd->lang);
		amount(o->cart.tax_total, cur, a);
		rc = html_row(h, label, 1, a, "color:#555");
		free(label);
	}
	if (rc == TALAD_OK && o->settlement.rounding != 0) {
		amount(o->settlement.rounding, cur, a);
		rc = html_row(h, wd->rounding, 1, a, NULL);
		amount(o->settlement.due, cur, a);
		if (rc == TALAD_OK)
			rc = html_row(h, wd->due, 1, a, "font-weight:bold");
	}
	if (rc == TALAD_OK)
		rc = buf_puts(h, "</table>\n");
	if (rc != TALAD_OK || o->settlement.npayments == 0)
		return rc;

	rc = buf_printf(h,
	                "<h2 style=\"font-size:15px;margin:14px 0 4px\">%s</h2>\n"
	                "<table role=\"presentation\" style=\"width:100%%;border-collapse:"
	                "collapse;font-size:14px\">\n",
	                wd->payments);
	bool cash = false;
	for (size_t i = 0; rc == TALAD_OK && i < o->settlement.npayments && i < TENDER_MAX; i++) {
		const struct payment *p = &o->settlement.payments[i];
		char *label = payment_label(p, wd);
		cash = cash || p->kind == TENDER_CASH;
		amount(receipt_payment_shown(p), cur, a);
		rc = html_row(h, label, 1, a, NULL);
		free(label);
	}
	if (rc == TALAD_OK && cash) {
		amount(o->settlement.change, cur, a);
		rc = html_row(h, wd->change, 1, a, "font-weight:bold");
	}
	return rc == TALAD_OK ? buf_puts(h, "</table>\n") : rc;
}

/* A centred paragraph of escaped text when text is not empty. */
static int html_para(struct buf *h, const char *text, const char *style)
{
	if (!text || !*text)
		return TALAD_OK;
	int rc = buf_printf(h, "<p style=\"%s\">", style);
	if (rc == TALAD_OK)
		rc = mail_html_escape(h, text);
	return rc == TALAD_OK ? buf_puts(h, "</p>\n") : rc;
}

static int html_part(const struct order *o, const struct mail_receipt *r,
                     const struct currency *cur, const struct words *wd, const char *subject,
                     struct buf *h)
{
	const struct st_shop *s = r->shop;
	char date[32] = "";
	time_t t = (time_t)(o->created_at / 1000);
	struct tm tm;
	/* The register's clock, in the server's zone, as on the paper receipt. */
	if (o->created_at > 0 && localtime_r(&t, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);

	int rc = buf_printf(h,
	                    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	                    "<meta name=\"viewport\" content=\"width=device-width\"><title>",
	                    r->lang);
	if (rc == TALAD_OK)
		rc = mail_html_escape(h, subject);
	if (rc == TALAD_OK)
		rc = buf_puts(h, "</title></head>\n<body style=\"margin:0;padding:16px;background:"
		                 "#f4f4f4;font-family:Helvetica,Arial,sans-serif;color:#222\">\n"
		                 "<div style=\"max-width:480px;margin:0 auto;background:#fff;"
		                 "padding:16px\">\n<h1 style=\"font-size:20px;margin:0 0 4px;"
		                 "text-align:center\">");
	if (rc == TALAD_OK)
		rc = mail_html_escape(h, s->name);
	if (rc == TALAD_OK)
		rc = buf_puts(h, "</h1>\n");
	const char *centre = "text-align:center;margin:0 0 2px;font-size:13px";
	if (rc == TALAD_OK)
		rc = html_para(h, s->receipt_header, centre);
	if (rc == TALAD_OK)
		rc = html_para(h, s->address, centre);
	if (rc == TALAD_OK && s->tax_id[0]) {
		char *v = xasprintf("%s %s", wd->tax_id, s->tax_id);
		rc = html_para(h, v, centre);
		free(v);
	}
	if (rc == TALAD_OK && r->register_code && r->register_code[0]) {
		char *v = xasprintf("%s %s", wd->pos_id, r->register_code);
		rc = html_para(h, v, centre);
		free(v);
	}
	if (rc == TALAD_OK)
		rc = buf_printf(h, "<p style=\"margin:12px 0 6px\">%s <strong>", wd->receipt);
	if (rc == TALAD_OK)
		rc = mail_html_escape(h, o->number);
	if (rc == TALAD_OK)
		rc = buf_printf(h, "</strong>%s%s</p>\n", date[0] ? "<br>" : "", date);
	if (rc == TALAD_OK && s->tax_id[0])
		rc = buf_printf(h, "<p style=\"margin:0 0 8px;font-weight:bold\">%s</p>\n",
		                wd->invoice);
	if (rc == TALAD_OK)
		rc = html_lines(o, cur, wd, h);
	if (rc == TALAD_OK)
		rc = html_totals(o, cur, wd, h);
	if (rc == TALAD_OK)
		rc = html_para(h, s->receipt_footer, "text-align:center;margin:16px 0 0");
	if (rc == TALAD_OK)
		rc = buf_puts(h, "</div>\n</body></html>\n");
	return rc;
}

int mail_build_receipt(const struct order *o, const struct mail_receipt *r, struct buf *out)
{
	const struct words *wd = words_for(r->lang);
	struct currency cur;
	if (!wd || currency_lookup(o->currency, &cur) != TALAD_OK ||
	    !email_address_valid(r->from, NULL) || !email_address_valid(r->to, NULL))
		return TALAD_EINVAL;
	char *shop = clean(r->shop->name);
	char *subject = shop[0] ? xasprintf("%s %s \xe2\x80\x94 %s", wd->receipt, o->number, shop)
	                        : xasprintf("%s %s", wd->receipt, o->number);
	free(shop);
	char date[40], boundary[64], order_hex[UUID_STRLEN + 1];
	mail_date(r->date_ms, date);
	size_t k = 0;
	for (const char *p = o->id; *p && k < sizeof(order_hex) - 1; p++)
		if (*p != '-')
			order_hex[k++] = *p;
	order_hex[k] = '\0';
	/* "=_" cannot occur in base64, so no part can contain the boundary. */
	snprintf(boundary, sizeof(boundary), "=_talad_%s", order_hex);

	struct buf part = BUF_INIT(MAIL_MESSAGE_MAX);
	int rc = from_header(out, r->shop->name, r->from);
	if (rc == TALAD_OK)
		rc = buf_printf(out, "To: %s\r\n", r->to);
	if (rc == TALAD_OK)
		rc = mail_header(out, "Subject", subject);
	if (rc == TALAD_OK)
		rc = buf_printf(out,
		                "Date: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
		                "Auto-Submitted: auto-generated\r\nX-Talad-Order: %s\r\n"
		                "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n"
		                "This is a receipt in MIME format.\r\n\r\n--%s\r\n"
		                "Content-Type: text/plain; charset=UTF-8\r\n"
		                "Content-Transfer-Encoding: base64\r\n\r\n",
		                date, r->message_id, o->id, boundary, boundary);
	if (rc == TALAD_OK)
		rc = plain_part(o, r, &cur, &part);
	if (rc == TALAD_OK)
		rc = base64_body(out, part.data ? part.data : "", part.len);
	if (rc == TALAD_OK)
		rc = buf_printf(out,
		                "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
		                "Content-Transfer-Encoding: base64\r\n\r\n",
		                boundary);
	buf_reset(&part);
	if (rc == TALAD_OK)
		rc = html_part(o, r, &cur, wd, subject, &part);
	if (rc == TALAD_OK)
		rc = base64_body(out, part.data ? part.data : "", part.len);
	if (rc == TALAD_OK)
		rc = buf_printf(out, "--%s--\r\n", boundary);
	buf_release(&part);
	free(subject);
	return rc;
}

int64_t mail_backoff_ms(int attempt, uint32_t random)
{
	int64_t d = MAIL_BACKOFF_BASE_MS;
	for (int i = 1; i < attempt && d < MAIL_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > MAIL_BACKOFF_MAX_MS)
		d = MAIL_BACKOFF_MAX_MS;
	int64_t half = d / 2;
	return half + (int64_t)((uint64_t)random * (uint64_t)(d - half) / UINT32_MAX);
}

bool mail_smtp_permanent(long smtp_code)
{
	return smtp_code >= 500 && smtp_code <= 599;
}
