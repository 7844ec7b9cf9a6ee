/* Authorizations, voids, expiry and capture. Every decision is written down
 * before it is answered, so an authorization a register holds is always
 * known to the database; capture happens in the transaction that stores the
 * order, so it happens exactly once. */
#include "server/payments.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/card.h"
#include "core/money.h"
#include "server/gateway.h"

#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int payments_gift_code(const char *code, char out[ST_GIFTCODE_MAX])
{
	size_t n = code ? strlen(code) : 0;

	if (n < PAYMENTS_GIFT_CODE_MIN || n > PAYMENTS_GIFT_CODE_MAX)
		return TALAD_EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)code[i];
		if (!isascii(c) || !(isalnum(c) || c == '-'))
			return TALAD_EINVAL;
		out[i] = (char)toupper(c);
	}
	out[n] = '\0';
	return TALAD_OK;
}

/* "prefix_" + 24 random hex digits. */
static void random_ref(const char *prefix, char *out, size_t len)
{
	unsigned char rnd[12];
	char hex[2 * sizeof(rnd) + 1];

	if (sodium_init() < 0)
		log_error("payments: libsodium cannot start");
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(out, len, "%s_%s", prefix, hex);
}

static void fmt_amount(int64_t v, const char *currency, char out[MONEY_STRLEN + 8])
{
	struct currency cur;
	char s[MONEY_STRLEN];

	if (currency_lookup(currency, &cur) != TALAD_OK)
		cur.exponent = 2;
	money_format(v, cur.exponent, s);
	snprintf(out, MONEY_STRLEN + 8, "%s %s", s, currency);
}

/* A request repeated under the same id must be the same request. */
static bool same_request(const struct st_auth *a, const char *register_id,
                         const struct payments_request *rq, const char *method,
                         const char *gift_code, const char *last4)
{
	return !strcmp(a->register_id, register_id) && !strcmp(a->order_id, rq->order_id) &&
	       !strcmp(a->method, method) && a->amount == rq->amount &&
	       !strcmp(a->gift_code, gift_code) && !strcmp(a->card_last4, last4);
}

static void base_auth(struct st_auth *a, const struct st_register *reg, const char *currency,
                      const struct payments_request *rq, int64_t now, int64_t ttl_ms)
{
	memset(a, 0, sizeof(*a));
	strlcpy_t(a->id, rq->id, sizeof(a->id));
	strlcpy_t(a->register_id, reg->id, sizeof(a->register_id));
	strlcpy_t(a->order_id, rq->order_id, sizeof(a->order_id));
	a->amount = rq->amount;
	strlcpy_t(a->currency, currency, sizeof(a->currency));
	a->created_at = now;
	a->expires_at = now + ttl_ms;
}

static int authorize_card(struct store *st, const struct st_register *reg, const char *currency,
                          const struct payments_request *rq, int64_t ttl_ms, struct st_auth *out)
{
	const struct gateway *g = gateway_default();
	char digits[CARD_NUMBER_MAX + 1], last4[5] = "";
	int64_t now = time_now_ms();

	if (card_number_parse(rq->card_number, digits, NULL, 0) == TALAD_OK)
		card_last4(digits, last4);
	card_wipe(digits, sizeof(digits));
	int err = st->ops->auth_get(st, rq->id, out);
	if (err == TALAD_OK)
		return same_request(out, reg->id, rq, "card", "", last4) ? TALAD_OK
		                                                         : TALAD_ECONFLICT;
	if (err != TALAD_ENOTFOUND)
		return err;

	/* The processor is asked outside any transaction: a slow gateway must
	 * not hold the database's write lock. */
	struct gateway_decision d;
	if ((err = g->authorize(g, rq->card_number, rq->amount, currency, &d)))
		return err;
	struct st_auth a;
	base_auth(&a, reg, currency, rq, now, ttl_ms);
	strlcpy_t(a.method, "card", sizeof(a.method));
	strlcpy_t(a.gateway, g->name, sizeof(a.gateway));
	strlcpy_t(a.status, d.approved ? "authorized" : "declined", sizeof(a.status));
	snprintf(a.reference, sizeof(a.reference), "%s, ref %s", g->label, d.ref);
	strlcpy_t(a.gateway_ref, d.ref, sizeof(a.gateway_ref));
	strlcpy_t(a.card_brand, d.brand, sizeof(a.card_brand));
	strlcpy_t(a.card_last4, d.last4, sizeof(a.card_last4));
	strlcpy_t(a.decline_code, d.code, sizeof(a.decline_code));
	if (!d.approved)
		strlcpy_t(a.decline_message, d.message, sizeof(a.decline_message));
	if (!(err = st->ops->begin(st, ST_TX_WRITE)) && !(err = st->ops->auth_add(st, &a)))
		err = st->ops->commit(st);
	if (err) {
		st->ops->rollback(st);
		if (d.approved && g->release(g, d.ref) != TALAD_OK)
			log_warnx("payments: gateway %s cannot release %s", g->name, d.ref);
		if (err != TALAD_EEXIST)
			return err;
		/* The same request twice at once: the first one stands. */
		if ((err = st->ops->auth_get(st, rq->id, out)))
			return err;
		return same_request(out, reg->id, rq, "card", "", last4) ? TALAD_OK
		                                                         : TALAD_ECONFLICT;
	}
	*out = a;
	log_info("payments: register %s card %s ****%s %s for order %s: %s%s%s", reg->code,
	         a.card_brand[0] ? a.card_brand : "?", a.card_last4[0] ? a.card_last4 : "????",
	         a.status, a.order_id, a.gateway, d.approved ? "" : ": ", a.decline_code);
	return TALAD_OK;
}

static int available_of(struct store *st, const char *code, int64_t *available)
{
	struct st_giftcard g;
	int err = st->ops->giftcard_get(st, code, &g);
	if (err == TALAD_ENOTFOUND) {
		*available = -1;
		return TALAD_OK;
	}
	if (!err)
		*available = g.balance - g.held;
	return err;
}

static int authorize_gift(struct store *st, const struct st_register *reg, const char *currency,
                          const struct payments_request *rq, int64_t ttl_ms, struct st_auth *out,
                          int64_t *available)
{
	char code[ST_GIFTCODE_MAX];
	int64_t now = time_now_ms(), avail = -1;
	struct st_auth a;
	struct st_giftcard g;

	if (payments_gift_code(rq->gift_code, code))
		return TALAD_EINVAL;
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (err)
		return err;
	if ((err = payments_expire(st, now)))
		goto fail;
	err = st->ops->auth_get(st, rq->id, out);
	if (err == TALAD_OK) {
		if ((err = available_of(st, code, &avail)) || (err = st->ops->commit(st)))
			goto fail;
		if (available)
			*available = avail;
		return same_request(out, reg->id, rq, "gift_card", code, "") ? TALAD_OK
		                                                             : TALAD_ECONFLICT;
	}
	if (err != TALAD_ENOTFOUND)
		goto fail;

	base_auth(&a, reg, currency, rq, now, ttl_ms);
	strlcpy_t(a.method, "gift_card", sizeof(a.method));
	strlcpy_t(a.gateway, PAYMENTS_GIFT_GATEWAY, sizeof(a.gateway));
	strlcpy_t(a.gift_code, code, sizeof(a.gift_code));
	random_ref("gc", a.gateway_ref, sizeof(a.gateway_ref));
	snprintf(a.reference, sizeof(a.reference), "gift card hold %s", a.gateway_ref);
	err = st->ops->giftcard_get(st, code, &g);
	if (err == TALAD_ENOTFOUND) {
		strlcpy_t(a.decline_code, "unknown_gift_card", sizeof(a.decline_code));
		strlcpy_t(a.decline_message, "there is no gift card with this code",
		          sizeof(a.decline_message));
	} else if (err) {
		goto fail;
	} else if (strcmp(g.currency, currency)) {
		strlcpy_t(a.decline_code, "currency_mismatch", sizeof(a.decline_code));
		snprintf(a.decline_message, sizeof(a.decline_message),
		         "the gift card holds %s, the shop sells in %s", g.currency, currency);
	} else {
		err = st->ops->giftcard_hold(st, code, rq->amount, now);
		if (err == TALAD_EREFUSED) {
			char have[MONEY_STRLEN + 8];
			fmt_amount(g.balance - g.held, currency, have);
			strlcpy_t(a.decline_code, "insufficient_funds", sizeof(a.decline_code));
			snprintf(a.decline_message, sizeof(a.decline_message),
			         "the gift card has only %s available", have);
		} else if (err) {
			goto fail;
		}
	}
	strlcpy_t(a.status, a.decline_code[0] ? "declined" : "authorized", sizeof(a.status));
	if ((err = st->ops->auth_add(st, &a)) || (err = available_of(st, code, &avail)) ||
	    (err = st->ops->commit(st)))
		goto fail;
	*out = a;
	if (available)
		*available = avail;
	log_info("payments: register %s gift card %s %s for order %s%s%s", reg->code, code,
	         a.status, a.order_id, a.decline_code[0] ? ": " : "", a.decline_code);
	return TALAD_OK;
fail:
	st->ops->rollback(st);
	return err;
}

int payments_authorize(struct store *st, const struct st_register *reg, const char *currency,
                       const struct payments_request *rq, int64_t ttl_ms, struct st_auth *out,
                       int64_t *available)
{
	if (available)
		*available = -1;
	if (rq->amount < 1 || rq->amount > PAYMENTS_AMOUNT_MAX)
		return TALAD_EINVAL;
	if (rq->method == TENDER_GIFT_CARD)
		return authorize_gift(st, reg, currency, rq, ttl_ms, out, available);
	if (rq->method == TENDER_CARD)
		return authorize_card(st, reg, currency, rq, ttl_ms, out);
	return TALAD_EINVAL;
}

int payments_void(struct store *st, const char *register_id, const char *id, struct st_auth *out)
{
	int64_t now = time_now_ms();
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (err)
		return err;
	if ((err = payments_expire(st, now)) || (err = st->ops->auth_get(st, id, out)))
		goto fail;
	if (strcmp(out->register_id, register_id)) {
		err = TALAD_ENOTFOUND;
		goto fail;
	}
	if (!strcmp(out->status, "captured")) {
		err = TALAD_ECONFLICT;
		goto fail;
	}
	if (strcmp(out->status, "authorized"))
		return st->ops->commit(st); /* declined, voided or expired: nothing held */
	if (!strcmp(out->method, "gift_card") &&
	    (err = st->ops->giftcard_release(st, out->gift_code, out->amount, now)))
		goto fail;
	if ((err = st->ops->auth_set_status(st, id, "authorized", "voided", now)) ||
	    (err = st->ops->auth_get(st, id, out)) || (err = st->ops->commit(st)))
		goto fail;
	if (!strcmp(out->method, "card")) {
		/* After the commit: the hold at the processor lapses by itself if
		   it cannot be told now. */
		const struct gateway *g = gateway_find(out->gateway);
		if (!g || g->release(g, out->gateway_ref) != TALAD_OK)
			log_warnx("payments: gateway %s did not release %s", out->gateway,
			          out->gateway_ref);
	}
	log_info("payments: authorization %s voided (%s, order %s)", id, out->method,
	         out->order_id);
	return TALAD_OK;
fail:
	st->ops->rollback(st);
	return err;
}

int payments_expire(struct store *st, int64_t now)
{
	int64_t n = 0;
	int err = st->ops->auth_expire(st, now, &n);
	if (!err && n > 0)
		log_info("payments: %" PRId64 " uncaptured authorization%s expired", n,
		         n == 1 ? "" : "s");
	return err;
}

const char *payments_shown_status(const struct st_auth *a, int64_t now)
{
	if (!strcmp(a->status, "authorized") && a->expires_at <= now)
		return "expired";
	return a->status;
}

static bool backoffice_tender(enum tender_kind k)
{
	return k == TENDER_CARD || k == TENDER_GIFT_CARD;
}

static void refuse(bool *refused, char *code, size_t codelen, char *msg, size_t msglen,
                   const char *c, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void refuse(bool *refused, char *code, size_t codelen, char *msg, size_t msglen,
                   const char *c, const char *fmt, ...)
{
	va_list ap;

	*refused = true;
	strlcpy_t(code, c, codelen);
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

int payments_check_order(struct store *st, const char *register_id, const struct order *o,
                         int64_t now, bool *refused, char *code, size_t codelen, char *msg,
                         size_t msglen)
{
	/* What expired gift card holds need taken from each card's free part. */
	struct {
		char code[ST_GIFTCODE_MAX];
		int64_t need;
	} gifts[TENDER_MAX];
	size_t ngifts = 0;
	bool any = false;
	int err;

	*refused = false;
	for (size_t i = 0; i < o->settlement.npayments; i++)
		any = any || backoffice_tender(o->settlement.payments[i].kind);
	if (!any)
		return TALAD_OK;
	if ((err = payments_expire(st, now)))
		return err;
	for (size_t i = 0; i < o->settlement.npayments; i++) {
		const struct payment *p = &o->settlement.payments[i];
		const char *kind = tender_kind_name(p->kind);
		struct st_auth a;
		if (!backoffice_tender(p->kind))
			continue;
		if (!p->reference[0]) {
			refuse(refused, code, codelen, msg, msglen, "payment_not_authorized",
			       "payments[%zu]: a %s payment must carry the reference of its"
			       " authorization",
			       i, kind);
			return TALAD_OK;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(o->settlement.payments[j].reference, p->reference)) {
				refuse(refused, code, codelen, msg, msglen,
				       "payment_not_authorized",
				       "payments[%zu]: the authorization of payments[%zu] again", i,
				       j);
				return TALAD_OK;
			}
		}
		err = st->ops->auth_by_reference(st, p->reference, &a);
		if (err == TALAD_ENOTFOUND) {
			refuse(refused, code, codelen, msg, msglen, "payment_not_authorized",
			       "payments[%zu]: no authorization has this reference", i);
			return TALAD_OK;
		}
		if (err)
			return err;
		if (strcmp(a.register_id, register_id) || strcmp(a.order_id, o->id) ||
		    strcmp(a.method, kind)) {
			refuse(refused, code, codelen, msg, msglen, "payment_not_authorized",
			       "payments[%zu]: the authorization was given for another %s", i,
			       strcmp(a.method, kind) ? "method" : "order");
			return TALAD_OK;
		}
		if (a.amount != p->amount) {
			refuse(refused, code, codelen, msg, msglen, "payment_not_authorized",
			       "payments[%zu]: the amount %" PRId64 " is not the %" PRId64
			       " authorized",
			       i, p->amount, a.amount);
			return TALAD_OK;
		}
		char pcode[ST_GIFTCODE_MAX] = "";
		if (p->kind == TENDER_GIFT_CARD && payments_gift_code(p->name, pcode))
			pcode[0] = '\0';
		if ((p->kind == TENDER_CARD && (strcmp(a.card_last4, p->card_last4) ||
		                                strcmp(a.card_brand, p->card_brand))) ||
		    (p->kind == TENDER_GIFT_CARD && strcmp(a.gift_code, pcode))) {
			refuse(refused, code, codelen, msg, msglen, "payment_not_authorized",
			       "payments[%zu]: the %s is not the one authorized", i,
			       p->kind == TENDER_CARD ? "card" : "gift card");
			return TALAD_OK;
		}
		if (!strcmp(a.status, "declined") || !strcmp(a.status, "voided")) {
			refuse(refused, code, codelen, msg, msglen, "payment_not_authorized",
			       "payments[%zu]: the authorization was %s", i, a.status);
			return TALAD_OK;
		}
		if (strcmp(a.status, "expired") || p->kind != TENDER_GIFT_CARD)
			continue; /* authorized or captured; an expired card goes to the gateway */
		size_t k = 0;
		while (k < ngifts && strcmp(gifts[k].code, a.gift_code))
			k++;
		if (k == ngifts) {
			strlcpy_t(gifts[k].code, a.gift_code, sizeof(gifts[k].code));
			gifts[k].need = 0;
			ngifts++;
		}
		gifts[k].need += a.amount;
		struct st_giftcard g;
		if ((err = st->ops->giftcard_get(st, a.gift_code, &g)))
			return err;
		if (g.balance - g.held < gifts[k].need) {
			refuse(refused, code, codelen, msg, msglen, "gift_card_insufficient",
			       "payments[%zu]: the gift card's hold expired and what is left on it"
			       " no longer covers the payment",
			       i);
			return TALAD_OK;
		}
	}
	return TALAD_OK;
}

int payments_capture_order(struct store *st, const struct order *o, int64_t now)
{
	for (size_t i = 0; i < o->settlement.npayments; i++) {
		const struct payment *p = &o->settlement.payments[i];
		struct st_auth a;
		int err;
		if (!backoffice_tender(p->kind))
			continue;
		if ((err = st->ops->auth_by_reference(st, p->reference, &a)))
			return err;
		if (!strcmp(a.status, "captured"))
			continue;
		if (p->kind == TENDER_CARD) {
			const struct gateway *g = gateway_find(a.gateway);
			if (!g) {
				log_error("payments: no gateway '%s' in this build to capture %s",
				          a.gateway, a.id);
				return TALAD_EPROTO;
			}
			if ((err = g->capture(g, a.gateway_ref, a.amount)))
				return err;
		} else if ((err = st->ops->giftcard_debit(st, a.gift_code, a.amount,
		                                          !strcmp(a.status, "authorized"), now))) {
			return err;
		}
		if ((err = st->ops->auth_set_status(st, a.id, a.status, "captured", now)))
			return err;
	}
	return TALAD_OK;
}
