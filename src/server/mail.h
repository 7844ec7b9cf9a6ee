/* Receipt e-mails as messages: the MIME text of a receipt (headers with
 * RFC 2047 encoded words, multipart/alternative with a text/plain part laid
 * out by core/receipt and an HTML part, both UTF-8 in base64, CRLF lines)
 * and the retry schedule of mail-out. No I/O: server/mailer.c sends. */
#ifndef TALAD_SERVER_MAIL_H
#define TALAD_SERVER_MAIL_H

#include "common/buf.h"
#include "core/order.h"
#include "server/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAIL_BACKOFF_BASE_MS 5000LL             /* the first retry: 2.5..5 s */
#define MAIL_BACKOFF_MAX_MS  (30LL * 60 * 1000) /* retries settle at 15..30 min */
#define MAIL_MESSAGE_MAX     (4u << 20)         /* a receipt of 500 lines is ~300 KiB */
#define MAIL_MSGID_MAX       384

/* What a receipt mail says besides the order. Strings are borrowed. */
struct mail_receipt {
	const struct st_shop *shop; /* name, address, tax id, header, footer */
	const char *register_code;  /* the POS ID on the receipt ("R01"), "" for none */
	const char *from;           /* From: and the envelope sender (email_address_valid) */
	const char *to;             /* To: and the recipient (email_address_valid) */
	const char *message_id;     /* "<...>", from mail_message_id */
	const char *lang;           /* "en" or "th": the words of both parts */
	int64_t date_ms;            /* the Date: header */
};

/* The whole message for o, headers and body, appended to out: From (the
 * shop's name and r->from), To, Subject "Receipt R01-000042 — SHOP", Date,
 * Message-ID, MIME-Version and multipart/alternative with text/plain (the
 * receipt as core/receipt lays it out, 48 columns) and text/html (the shop,
 * number, date, lines, totals, VAT and payments, every text escaped).
 * TALAD_OK, TALAD_EINVAL (unknown lang or currency, an address that fails
 * email_address_valid) or TALAD_ETOOBIG (over out's cap). */
int mail_build_receipt(const struct order *o, const struct mail_receipt *r, struct buf *out);

/* A Message-ID that is the same for every attempt at one queued mail, and
 * different for every mail: "<receipt.OP_ID@DOMAIN>", DOMAIN taken from the
 * sender's address. out holds MAIL_MSGID_MAX bytes. */
void mail_message_id(const char *op_id, const char *from, char out[MAIL_MSGID_MAX]);

/* "Name: value" and CRLF, appended to out; a value with anything but
 * printable ASCII goes as UTF-8 base64 encoded words of at most 75
 * characters, folded onto continuation lines, never splitting a character.
 * Control characters are dropped. TALAD_OK or TALAD_ETOOBIG. */
int mail_header(struct buf *out, const char *name, const char *value);

/* The RFC 5322 date of ms in UTC: "Fri, 04 Dec 2026 19:48:10 +0000". */
void mail_date(int64_t ms, char out[40]);

/* Text for HTML: & < > " ' escaped, control characters but newline dropped.
 * TALAD_OK or TALAD_ETOOBIG. */
int mail_html_escape(struct buf *out, const char *s);

/* The delay before retry number attempt (1 after the first failure, 2, ...):
 * d = MAIL_BACKOFF_BASE_MS doubled per attempt up to MAIL_BACKOFF_MAX_MS,
 * and the delay uniformly in [d/2, d] (random is a uniformly random 32-bit
 * value), so retries of many mails spread out without ever coming sooner
 * than half the schedule. */
int64_t mail_backoff_ms(int attempt, uint32_t random);

/* SMTP reply codes 5xx are permanent refusals: the mail is not tried again.
 * 4xx and no reply at all (no connection, a timeout) are worth a retry. */
bool mail_smtp_permanent(long smtp_code);

#endif
