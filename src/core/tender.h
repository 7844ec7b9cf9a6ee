/* Tenders: how an order is paid. Split payments, change for cash, an optional
 * cash rounding increment applied to cash only, and the rule of which tender
 * kinds need the back office (card, gift card) and which do not (cash, the
 * merchant's custom methods). */
#ifndef TALAD_TENDER_H
#define TALAD_TENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TENDER_NAME_MAX 64  /* custom method name or gift card code */
#define TENDER_REF_MAX  128 /* gateway reference, confirmation text */
#define TENDER_MAX      8   /* tenders on one order */

enum tender_kind {
	TENDER_CASH = 0,
	TENDER_CARD = 1,
	TENDER_GIFT_CARD = 2,
	TENDER_CUSTOM = 3,
};

/* "cash", "card", "gift_card", "custom". */
const char *tender_kind_name(enum tender_kind k);
/* Accepts the names above; TALAD_OK or TALAD_EINVAL. */
int tender_kind_parse(const char *s, enum tender_kind *out);
/* Card and gift card payments are authorised by the back office; cash and
 * custom methods are not and so work offline. */
bool tender_needs_backoffice(enum tender_kind k);

/* What the cashier asked for, before settlement. */
struct tender {
	enum tender_kind kind;
	char name[TENDER_NAME_MAX]; /* custom: method name; gift card: code */
	bool has_amount;            /* false: "the rest" */
	int64_t amount;             /* minor units, > 0 when has_amount */
};

/* Parses the command-line form: cash[:AMOUNT] | card[:AMOUNT] |
 * gift:CODE[:AMOUNT] | custom:NAME[:AMOUNT]. A custom NAME may contain
 * spaces; the amount is whatever follows the last ':' when it parses as an
 * amount. Text after the last ':' that starts like a number (a digit, '-',
 * '+', '.') or is empty must then be a valid amount ("custom:Bank
 * transfer:12.345" in THB is an error, not a name); other text stays part of
 * the name ("custom:Ref: ABC"). Kind words are case-insensitive; amounts
 * must be > 0; names and codes at most TENDER_NAME_MAX - 1 bytes, gift card
 * codes visible ASCII. TALAD_OK or TALAD_EINVAL with a message in err. */
int tender_parse(const char *spec, int exponent, struct tender *out, char *err, size_t errlen);

/* A payment as recorded on the order. */
struct payment {
	enum tender_kind kind;
	char name[TENDER_NAME_MAX];     /* custom method name; gift card code */
	char reference[TENDER_REF_MAX]; /* gateway reference or confirmation */
	char card_brand[16];            /* "visa"; never more of a card than */
	char card_last4[5];             /* the brand and last four digits */
	int64_t amount;                 /* applied to the order */
	int64_t tendered;               /* cash handed over (>= amount), else = amount */
	int64_t change;                 /* tendered - amount */
};

struct settlement {
	struct payment payments[TENDER_MAX];
	size_t npayments;
	int64_t due;      /* total + rounding: what the payments add up to */
	int64_t rounding; /* cash rounding difference (due - total), may be < 0 */
	int64_t change;   /* cash given back */
};

/* Settles total with the tenders in the order given. A tender without an
 * amount takes what is still due. Non-cash tenders may not exceed what is
 * due. When cash settles the last part and cash_increment > 0, that part is
 * rounded to the increment and the difference recorded. Cash handed over
 * beyond what is due becomes change; no tender may follow it. TALAD_OK, or
 * TALAD_EINVAL with a message in err (underpaid, overpaid by a non-cash
 * tender, too many tenders, nothing left to pay), or TALAD_ERANGE when
 * rounding an amount near INT64_MAX leaves the range. A zero total settles
 * with no tenders. With cash rounding, cash that covers the exact rest but
 * not the rounded-up rest is refused (the coin does not exist). The rounded
 * cash part may be 0 (0.10 to 0.25): that payment is recorded with amount
 * 0. Messages carry no amounts (no exponent here); callers print what is
 * due. out is written only on success. */
int tender_settle(int64_t total, const struct tender *tenders, size_t n, int64_t cash_increment,
                  struct settlement *out, char *err, size_t errlen);

#endif
