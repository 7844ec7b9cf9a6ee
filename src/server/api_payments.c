/* The payments API: registers authorize card and gift card payments before
 * they commit a sale and void what they will not use; staff list the
 * authorizations with their gateway ("test" payments say so). The card
 * number in an authorize request is handed to the gateway and dropped: it is
 * never stored, logged or answered, only its brand and last four digits. */
#include "server/api.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "server/gateway.h"
#include "server/payments.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define LIST_STOP 1

static int64_t ttl_of(const struct api_req *r)
{
	int64_t t = r->srv->auth_ttl_ms;
	return t > 0 ? t : PAYMENTS_TTL_DEFAULT_MS;
}

static json_t *text_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* An authorization as JSON: amounts as integers (exponent < 0, for the
 * registers, as in the sync protocol) or as decimal strings (staff). */
static json_t *auth_json(const struct st_auth *a, int exponent, int64_t now)
{
	const struct gateway *g = gateway_find(a->gateway);
	json_t *amount;
	if (exponent < 0) {
		amount = json_integer(a->amount);
	} else {
		char s[MONEY_STRLEN];
		money_format(a->amount, exponent, s);
		amount = json_string(s);
	}
	json_t *j =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:s, s:s}", "id", a->id, "order_id",
	              a->order_id, "register_id", a->register_id, "method", a->method, "gateway",
	              a->gateway, "test", g && g->test, "status", payments_shown_status(a, now),
	              "amount", amount, "currency", a->currency, "reference", a->reference);
	json_object_set_new(j, "gateway_label", g ? json_string(g->label) : json_null());
	json_object_set_new(j, "card_brand", text_or_null(a->card_brand));
	json_object_set_new(j, "card_last4", text_or_null(a->card_last4));
	json_object_set_new(j, "gift_code", text_or_null(a->gift_code));
	json_object_set_new(j, "decline_code", text_or_null(a->decline_code));
	json_object_set_new(j, "message", text_or_null(a->decline_message));
	json_object_set_new(j, "created_at", api_time_json(a->created_at));
	json_object_set_new(j, "expires_at", api_time_json(a->expires_at));
	json_object_set_new(j, "captured_at", api_time_json(a->captured_at));
	json_object_set_new(j, "voided_at", api_time_json(a->voided_at));
	return j;
}

void api_payments_authorize(struct api_req *r)
{
	static const char *const keys[] = {"id",          "order_id",  "method", "amount",
	                                   "card_number", "gift_code", NULL};
	struct jerr e;
	struct payments_request rq = {0};
	const char *method;
	struct st_shop shop;
	if (jfield_known(r->body, keys, "", &e) ||
	    jfield_uuid(r->body, "id", "", true, &rq.id, &e) ||
	    jfield_uuid(r->body, "order_id", "", true, &rq.order_id, &e) ||
	    jfield_str(r->body, "method", "", true, 1, 16, &method, &e) ||
	    jfield_int(r->body, "amount", "", true, 1, PAYMENTS_AMOUNT_MAX, &rq.amount, NULL, &e) ||
	    jfield_str(r->body, "card_number", "", false, 1, 40, &rq.card_number, &e) ||
	    jfield_str(r->body, "gift_code", "", false, 1, ST_GIFTCODE_MAX - 1, &rq.gift_code,
	               &e)) {
		api_field_error(r, &e);
		return;
	}
	if (!strcmp(method, "card")) {
		rq.method = TENDER_CARD;
		if (!rq.card_number || rq.gift_code) {
			jfield_fail(&e, "", rq.gift_code ? "gift_code" : "card_number",
			            rq.gift_code ? "is for gift card payments" : "is required");
			api_field_error(r, &e);
			return;
		}
	} else if (!strcmp(method, "gift_card")) {
		char code[ST_GIFTCODE_MAX];
		rq.method = TENDER_GIFT_CARD;
		if (!rq.gift_code || rq.card_number) {
			jfield_fail(&e, "", rq.card_number ? "card_number" : "gift_code",
			            rq.card_number ? "is for card payments" : "is required");
			api_field_error(r, &e);
			return;
		}
		if (payments_gift_code(rq.gift_code, code)) {
			jfield_fail(&e, "", "gift_code", "must be %d to %d of a-z, 0-9 and '-'",
			            PAYMENTS_GIFT_CODE_MIN, PAYMENTS_GIFT_CODE_MAX);
			api_field_error(r, &e);
			return;
		}
	} else {
		jfield_fail(&e, "", "method", "must be card or gift_card");
		api_field_error(r, &e);
		return;
	}
	if (api_shop(r, &shop))
		return;
	struct st_auth a;
	int64_t available;
	int err = payments_authorize(r->st, &r->reg, shop.currency, &rq, ttl_of(r), &a, &available);
	/* The number is done with: not left in freed memory (the parsed
	   value and the request body both hold it). */
	if (rq.card_number) {
		sodium_memzero((char *)rq.card_number, strlen(rq.card_number));
		sodium_memzero((char *)r->h->body, r->h->body_len);
	}
	if (err == TALAD_ECONFLICT) {
		api_error(r, 409, "id_reused",
		          "authorization %s was asked for with other details before", rq.id);
		return;
	}
	if (err == TALAD_EOFFLINE || err == TALAD_ETIMEOUT) {
		strlcpy_t(r->h->retry_after, "5", sizeof(r->h->retry_after));
		api_error(r, 503, "gateway_unavailable",
		          "the payment gateway cannot be reached: nothing was authorized");
		return;
	}
	if (err) {
		api_store_error(r, err);
		return;
	}
	json_t *out = json_pack("{s:o}", "authorization", auth_json(&a, -1, time_now_ms()));
	if (rq.method == TENDER_GIFT_CARD)
		json_object_set_new(out, "available",
		                    available >= 0 ? json_integer(available) : json_null());
	api_reply(r, 200, out);
}

void api_payment_void(struct api_req *r)
{
	struct st_auth a;
	if (!uuid_valid(r->param)) {
		api_error(r, 404, "not_found", "no authorization with this id");
		return;
	}
	int err = payments_void(r->st, r->reg.id, r->param, &a);
	if (err == TALAD_ENOTFOUND) {
		api_error(r, 404, "not_found", "this register has no authorization with this id");
		return;
	}
	if (err == TALAD_ECONFLICT) {
		api_error(r, 409, "already_captured",
		          "the authorization was captured by its order: refund the order instead");
		return;
	}
	if (err) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o}", "authorization", auth_json(&a, -1, time_now_ms())));
}

struct alist {
	json_t *arr;
	int64_t limit, count, last, now;
	bool more;
	int exponent;
};

static int alist_cb(void *arg, const struct st_auth *a)
{
	struct alist *l = arg;
	if (l->count == l->limit) {
		l->more = true;
		return LIST_STOP;
	}
	json_array_append_new(l->arr, auth_json(a, l->exponent, l->now));
	l->count++;
	l->last = a->n;
	return TALAD_OK;
}

void api_payments_get(struct api_req *r)
{
	struct st_shop shop;
	int64_t limit, before;
	const char *order_id = httpd_query(r->h, "order_id");
	if (api_paging(r, 50, 500, &limit, &before) || api_shop(r, &shop))
		return;
	if (order_id && !uuid_valid(order_id)) {
		struct jerr e;
		jfield_fail(&e, "", "order_id", "must be an order id (a uuid)");
		api_field_error(r, &e);
		return;
	}
	struct alist l = {
	    .arr = json_array(), .limit = limit, .now = time_now_ms(), .exponent = shop.exponent};
	int err = r->st->ops->auth_list(r->st, order_id, before, (int)limit + 1, alist_cb, &l);
	if (err && err != LIST_STOP) {
		json_decref(l.arr);
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200,
	          json_pack("{s:o, s:o}", "payments", l.arr, "next_cursor",
	                    api_cursor_json(l.more, l.last)));
}

void api_payment_get(struct api_req *r)
{
	struct st_shop shop;
	struct st_auth a;
	if (api_shop(r, &shop))
		return;
	int err =
	    uuid_valid(r->param) ? r->st->ops->auth_get(r->st, r->param, &a) : TALAD_ENOTFOUND;
	if (err == TALAD_ENOTFOUND) {
		api_error(r, 404, "not_found", "no authorization with this id");
		return;
	}
	if (err) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200,
	          json_pack("{s:o}", "payment", auth_json(&a, shop.exponent, time_now_ms())));
}
