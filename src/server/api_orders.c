/* Orders in the admin API: the orders registers pushed, newest first, with
 * amounts as decimal strings in the shop currency. The stored record is the
 * order JSON as pushed (already validated and re-priced on arrival). */
#include "server/api.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "common/timeutil.h"
#include "server/fulfil.h"
#include "server/payments.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_STOP 1

static json_t *amount(const json_t *obj, const char *key, int exponent)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return json_null();
	char s[MONEY_STRLEN];
	money_format(json_integer_value(v), exponent, s);
	return json_string(s);
}

static json_t *copy_or_null(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return v ? json_deep_copy(v) : json_null();
}

static json_t *order_json(const struct st_order *o, int exponent)
{
	json_t *src = json_loads(o->json, 0, NULL);
	json_t *lines = json_array(), *pays = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(src, "lines"), i, v)
	{
		json_array_append_new(
		    lines,
		    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "variant_id",
		              copy_or_null(v, "variant_id"), "sku", copy_or_null(v, "sku"), "title",
		              copy_or_null(v, "title"), "quantity", copy_or_null(v, "quantity"),
		              "price", amount(v, "unit_price", exponent), "discount",
		              amount(v, "line_discount", exponent), "total",
		              amount(v, "total", exponent)));
	}
	json_array_foreach(json_object_get(src, "payments"), i, v)
	{
		json_t *p = json_pack("{s:o, s:o}", "method", copy_or_null(v, "method"), "amount",
		                      amount(v, "amount", exponent));
		json_t *name = json_object_get(v, "name");
		if (json_is_string(name))
			json_object_set(p, "name", name);
		json_t *ref = json_object_get(v, "reference");
		if (json_is_string(ref))
			json_object_set(p, "reference", ref);
		json_t *brand = json_object_get(v, "card_brand");
		json_t *last4 = json_object_get(v, "card_last4");
		if (json_is_string(brand))
			json_object_set(p, "card_brand", brand);
		if (json_is_string(last4))
			json_object_set(p, "card_last4", last4);
		json_array_append_new(pays, p);
	}
	json_t *out = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o}",
	    "id", o->id, "number", o->number, "register", o->register_code, "register_id",
	    o->register_id, "location_id", o->location_id, "staff_id",
	    o->staff_id[0] ? json_string(o->staff_id) : json_null(), "created_at",
	    api_time_json(o->created_at), "received_at", api_time_json(o->received_at), "currency",
	    copy_or_null(src, "currency"), "subtotal", amount(src, "subtotal", exponent),
	    "discount_total", amount(src, "discount_total", exponent), "tax_total",
	    amount(src, "tax_total", exponent), "total", amount(src, "total", exponent), "lines",
	    lines, "payments", pays, "email", copy_or_null(src, "email"), "note",
	    copy_or_null(src, "note"));
	json_object_set_new(out, "ship_to", copy_or_null(src, "ship_to"));
	json_decref(src);
	return out;
}

/* What the order record alone does not say, read after the listing is done
 * (a listing callback may not use the store): the shipping fulfilment, and
 * for card and gift card payments their authorization's gateway and state. */
static int decorate(struct store *st, json_t *order)
{
	int err = TALAD_OK;
	const char *id = json_string_value(json_object_get(order, "id"));
	if (id && json_is_string(json_object_get(order, "ship_to"))) {
		json_t *f = fulfil_json(st, id, &err);
		if (!f)
			return err;
		json_object_set_new(order, "fulfilments", f);
	}
	size_t i;
	json_t *p;
	int64_t now = time_now_ms();
	json_array_foreach(json_object_get(order, "payments"), i, p)
	{
		const char *ref = json_string_value(json_object_get(p, "reference"));
		const char *method = json_string_value(json_object_get(p, "method"));
		struct st_auth a;
		if (!ref || !method || (strcmp(method, "card") && strcmp(method, "gift_card")))
			continue;
		err = st->ops->auth_by_reference(st, ref, &a);
		if (err == TALAD_ENOTFOUND)
			continue;
		if (err)
			return err;
		json_object_set_new(p, "authorization_id", json_string(a.id));
		json_object_set_new(p, "gateway", json_string(a.gateway));
		json_object_set_new(p, "status", json_string(payments_shown_status(&a, now)));
	}
	return TALAD_OK;
}

struct olist {
	json_t *arr;
	int64_t limit, count;
	bool more;
	int64_t last;
	int exponent;
	json_t *one;
};

static int olist_cb(void *arg, const struct st_order *o)
{
	struct olist *l = arg;
	if (l->count == l->limit) {
		l->more = true;
		return LIST_STOP;
	}
	json_array_append_new(l->arr, order_json(o, l->exponent));
	l->count++;
	l->last = o->n;
	return TALAD_OK;
}

void api_orders_get(struct api_req *r)
{
	struct st_shop shop;
	int64_t limit, before;
	if (api_paging(r, 50, 500, &limit, &before) || api_shop(r, &shop))
		return;
	struct olist l = {.arr = json_array(), .limit = limit, .exponent = shop.exponent};
	int err = r->st->ops->order_list(r->st, before, (int)limit + 1, olist_cb, &l);
	if (err && err != LIST_STOP) {
		json_decref(l.arr);
		api_store_error(r, err);
		return;
	}
	size_t i;
	json_t *one;
	json_array_foreach(l.arr, i, one)
	{
		if ((err = decorate(r->st, one))) {
			json_decref(l.arr);
			api_store_error(r, err);
			return;
		}
	}
	json_t *next = api_cursor_json(l.more, l.last);
	api_reply(r, 200, json_pack("{s:o, s:o}", "orders", l.arr, "next_cursor", next));
}

static int one_cb(void *arg, const struct st_order *o)
{
	struct olist *l = arg;
	l->one = order_json(o, l->exponent);
	return TALAD_OK;
}

void api_order_get(struct api_req *r)
{
	struct st_shop shop;
	if (api_shop(r, &shop))
		return;
	struct olist l = {.exponent = shop.exponent};
	int err = r->st->ops->order_get(r->st, r->param, one_cb, &l);
	if (err == TALAD_ENOTFOUND) {
		api_error(r, 404, "not_found", "no order with this id");
		return;
	}
	if (err) {
		json_decref(l.one);
		api_store_error(r, err);
		return;
	}
	if ((err = decorate(r->st, l.one))) {
		json_decref(l.one);
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o}", "order", l.one));
}
