/* Tenders: the cashier's "cash:100" / "custom:PromptPay QR" forms, and
 * tender_settle(), which turns a list of tenders into the payments recorded
 * on an order: split payments, change, and cash rounding on the cash part. */
#include "core/tender.h"

#include "common/err.h"
#include "common/text.h"
#include "core/money.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *tender_kind_name(enum tender_kind k)
{
	switch (k) {
	case TENDER_CASH:
		return "cash";
	case TENDER_CARD:
		return "card";
	case TENDER_GIFT_CARD:
		return "gift_card";
	case TENDER_CUSTOM:
		return "custom";
	}
	return "unknown";
}

int tender_kind_parse(const char *s, enum tender_kind *out)
{
	static const enum tender_kind kinds[] = {TENDER_CASH, TENDER_CARD, TENDER_GIFT_CARD,
	                                         TENDER_CUSTOM};

	for (size_t i = 0; s && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(s, tender_kind_name(kinds[i])) == 0) {
			*out = kinds[i];
			return TALAD_OK;
		}
	}
	return TALAD_EINVAL;
}

bool tender_needs_backoffice(enum tender_kind k)
{
	return k == TENDER_CARD || k == TENDER_GIFT_CARD;
}

/* Gift card codes are printed and typed: visible ASCII, no ':' (which
 * separates the amount). */
static bool code_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] <= ' ' || s[i] > '~' || s[i] == ':')
			return false;
	}
	return true;
}

static int parse_amount(const char *s, int exponent, int64_t *out, char *err, size_t errlen)
{
	int rc;

	if (!*s) {
		talad_seterr(err, errlen, "missing amount after ':'");
		return TALAD_EINVAL;
	}
	rc = money_parse(s, exponent, out, err, errlen);
	if (rc)
		return TALAD_EINVAL;
	if (*out <= 0) {
		talad_seterr(err, errlen, "a tender amount must be more than zero: %.64s", s);
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

/* Does what follows a custom name's last ':' mean to be an amount? Text
 * that starts like a number is taken as one and must then parse ("Bank
 * transfer:12.345" in THB is an error, not a method of that name); anything
 * else stays part of the name ("Ref: ABC"). */
static bool looks_like_amount(const char *s)
{
	return (*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '.' || *s == '\0';
}

int tender_parse(const char *spec, int exponent, struct tender *out, char *err, size_t errlen)
{
	struct tender t;
	const char *colon, *rest, *name, *amount = NULL;
	size_t kindlen, namelen;
	int rc;

	memset(&t, 0, sizeof(t));
	if (!spec || !*spec) {
		talad_seterr(err, errlen, "empty tender (cash, card, gift:CODE or custom:NAME)");
		return TALAD_EINVAL;
	}
	colon = strchr(spec, ':');
	kindlen = colon ? (size_t)(colon - spec) : strlen(spec);
	rest = colon ? colon + 1 : NULL;

	if (kindlen == 4 && strncasecmp(spec, "cash", 4) == 0) {
		t.kind = TENDER_CASH;
		amount = rest;
	} else if (kindlen == 4 && strncasecmp(spec, "card", 4) == 0) {
		t.kind = TENDER_CARD;
		amount = rest;
	} else if (kindlen == 4 && strncasecmp(spec, "gift", 4) == 0) {
		t.kind = TENDER_GIFT_CARD;
		if (!rest || !*rest || *rest == ':') {
			talad_seterr(err, errlen,
			             "a gift card tender needs a code: gift:CODE[:AMOUNT]");
			return TALAD_EINVAL;
		}
		colon = strchr(rest, ':');
		name = rest;
		namelen = colon ? (size_t)(colon - rest) : strlen(rest);
		amount = colon ? colon + 1 : NULL;
		if (!code_ok(name, namelen)) {
			talad_seterr(err, errlen,
			             "bad gift card code: %.*s (letters, digits, no spaces)",
			             (int)(namelen > 64 ? 64 : namelen), name);
			return TALAD_EINVAL;
		}
		if (namelen >= sizeof(t.name)) {
			talad_seterr(err, errlen,
			             "gift card code too long (at most %zu characters)",
			             sizeof(t.name) - 1);
			return TALAD_EINVAL;
		}
		memcpy(t.name, name, namelen);
	} else if (kindlen == 6 && strncasecmp(spec, "custom", 6) == 0) {
		t.kind = TENDER_CUSTOM;
		if (!rest || !*rest) {
			talad_seterr(err, errlen,
			             "a custom tender needs a name: custom:NAME[:AMOUNT]");
			return TALAD_EINVAL;
		}
		name = rest;
		colon = strrchr(rest, ':');
		if (colon && looks_like_amount(colon + 1)) {
			namelen = (size_t)(colon - rest);
			amount = colon + 1;
		} else {
			namelen = strlen(rest);
		}
		if (namelen == 0 || name[0] == ' ' || name[namelen - 1] == ' ') {
			talad_seterr(err, errlen,
			             "a custom tender needs a name without leading or "
			             "trailing spaces: custom:NAME[:AMOUNT]");
			return TALAD_EINVAL;
		}
		if (!text_clean(name, namelen)) {
			talad_seterr(err, errlen,
			             "the custom tender name must be text without control "
			             "characters");
			return TALAD_EINVAL;
		}
		if (namelen >= sizeof(t.name)) {
			talad_seterr(err, errlen, "custom tender name too long (at most %zu bytes)",
			             sizeof(t.name) - 1);
			return TALAD_EINVAL;
		}
		memcpy(t.name, name, namelen);
	} else {
		talad_seterr(err, errlen,
		             "unknown tender: %.*s (cash, card, gift:CODE or custom:NAME)",
		             (int)(kindlen > 64 ? 64 : kindlen), spec);
		return TALAD_EINVAL;
	}

	if (amount) {
		rc = parse_amount(amount, exponent, &t.amount, err, errlen);
		if (rc)
			return rc;
		t.has_amount = true;
	}
	*out = t;
	return TALAD_OK;
}

static int check_tender(const struct tender *t, size_t i, char *err, size_t errlen)
{
	switch (t->kind) {
	case TENDER_CASH:
	case TENDER_CARD:
		break;
	case TENDER_GIFT_CARD:
	case TENDER_CUSTOM:
		if (!memchr(t->name, '\0', sizeof(t->name)) || !t->name[0]) {
			talad_seterr(err, errlen, "tender %zu: a %s tender needs a name", i + 1,
			             tender_kind_name(t->kind));
			return TALAD_EINVAL;
		}
		break;
	default:
		talad_seterr(err, errlen, "tender %zu: unknown kind %d", i + 1, (int)t->kind);
		return TALAD_EINVAL;
	}
	if (t->has_amount && t->amount <= 0) {
		talad_seterr(err, errlen, "tender %zu: the amount must be more than zero", i + 1);
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

/* Messages carry no amounts: tender_settle does not know the currency's
 * exponent, and the caller, who does, can print what is due. */
int tender_settle(int64_t total, const struct tender *tenders, size_t n, int64_t cash_increment,
                  struct settlement *out, char *err, size_t errlen)
{
	struct settlement s;
	int64_t left = total; /* still due, before any cash rounding */
	int rc;

	memset(&s, 0, sizeof(s));
	if (total < 0) {
		talad_seterr(err, errlen, "the total cannot be negative");
		return TALAD_EINVAL;
	}
	if (cash_increment < 0) {
		talad_seterr(err, errlen, "the cash rounding increment cannot be negative");
		return TALAD_EINVAL;
	}
	if (n > TENDER_MAX) {
		talad_seterr(err, errlen, "too many tenders (at most %d)", TENDER_MAX);
		return TALAD_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tender *t = &tenders[i];
		struct payment *p = &s.payments[s.npayments];

		rc = check_tender(t, i, err, errlen);
		if (rc)
			return rc;
		/* After change has been given, left is 0 too. */
		if (left == 0) {
			talad_seterr(err, errlen, "tender %zu: nothing left to pay", i + 1);
			return TALAD_EINVAL;
		}
		p->kind = t->kind;
		if (t->kind == TENDER_GIFT_CARD || t->kind == TENDER_CUSTOM)
			memcpy(p->name, t->name, sizeof(p->name));

		if (t->kind != TENDER_CASH) {
			int64_t amt = t->has_amount ? t->amount : left;
			if (amt > left) {
				talad_seterr(err, errlen,
				             "tender %zu: a %s payment cannot be more than is due",
				             i + 1, tender_kind_name(t->kind));
				return TALAD_EINVAL;
			}
			p->amount = p->tendered = amt;
			left -= amt;
		} else {
			/* What cash must cover when it settles the rest. */
			int64_t cash_due = left;
			if (cash_increment > 0) {
				rc = money_round_to(left, cash_increment, &cash_due);
				if (rc) {
					talad_seterr(err, errlen, "amount too large to round");
					return rc;
				}
			}
			if (!t->has_amount) {
				p->amount = p->tendered = cash_due;
			} else if (t->amount >= cash_due) {
				p->amount = cash_due;
				p->tendered = t->amount;
				p->change = t->amount - cash_due;
			} else if (t->amount < left) {
				/* part of the total in cash, the rest follows */
				p->amount = p->tendered = t->amount;
				left -= t->amount;
				s.npayments++;
				continue;
			} else {
				/* covers the exact total but not the rounded-up
				 * cash amount: coins that small do not exist */
				talad_seterr(err, errlen,
				             "tender %zu: the cash does not cover the rounded "
				             "amount due",
				             i + 1);
				return TALAD_EINVAL;
			}
			s.rounding = cash_due - left;
			s.change = p->change;
			left = 0;
		}
		s.npayments++;
	}
	if (left > 0) {
		talad_seterr(err, errlen, "the payments do not cover the total");
		return TALAD_EINVAL;
	}
	if (money_add(total, s.rounding, &s.due)) {
		talad_seterr(err, errlen, "amount too large to round");
		return TALAD_ERANGE;
	}
	*out = s;
	return TALAD_OK;
}
