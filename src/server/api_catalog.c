/* The catalog and stock in the admin API: products with their variants
 * (prices as decimal strings, SKU and barcode unique, barcode check digits
 * verified) and inventory levels per location, set by a stock count that is
 * booked as a delta. Every change goes to the feed in its own transaction. */
#include "server/api.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/barcode.h"
#include "core/money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_STOP 1
#define PRICE_MAX 1000000000000LL /* minor units: keeps quantity * price in range */
#define STOCK_MAX 1000000000LL

static json_t *product_json(const struct st_product *p, int exponent)
{
	json_t *vs = json_array();
	for (size_t i = 0; i < p->nvariants; i++) {
		const struct st_variant *v = &p->variants[i];
		char price[MONEY_STRLEN];
		money_format(v->price, exponent, price);
		json_array_append_new(
		    vs, json_pack("{s:s, s:s, s:o, s:s, s:s, s:b, s:b}", "id", v->id, "sku", v->sku,
		                  "barcode", v->barcode[0] ? json_string(v->barcode) : json_null(),
		                  "title", v->title, "price", price, "taxable", v->taxable,
		                  "tracked", v->tracked));
	}
	return json_pack("{s:s, s:s, s:o}", "id", p->id, "title", p->title, "variants", vs);
}

/* Reads a product from a request body. On PUT (path_id set) variants may
 * carry their id; new variants get one here. */
static int parse_product(const json_t *body, const char *path_id, int exponent,
                         struct st_product *p, struct jerr *e)
{
	static const char *const keys[] = {"id", "title", "variants", NULL};
	static const char *const vkeys[] = {"id",    "sku",     "barcode", "title",
	                                    "price", "taxable", "tracked", NULL};
	const char *s;
	int rc;
	memset(p, 0, sizeof(*p));
	if ((rc = jfield_known(body, keys, "", e)))
		return rc;
	if (path_id) {
		if ((rc = jfield_uuid(body, "id", "", false, &s, e)))
			return rc;
		if (s && strcmp(s, path_id))
			return jfield_fail(e, "", "id", "does not match the product in the url");
		strlcpy_t(p->id, path_id, sizeof(p->id));
	} else {
		if (json_object_get(body, "id"))
			return jfield_fail(e, "", "id", "is set by the server");
		uuid_v7(p->id);
	}
	if ((rc = jfield_str(body, "title", "", true, 1, CART_TITLE_MAX - 1, &s, e)))
		return rc;
	strlcpy_t(p->title, s, sizeof(p->title));
	json_t *vs = json_object_get(body, "variants");
	if (!vs || json_is_null(vs))
		return jfield_fail(e, "", "variants", "is required");
	if (!json_is_array(vs))
		return jfield_fail(e, "", "variants", "must be an array");
	size_t n = json_array_size(vs);
	if (n < 1 || n > ST_VARIANTS_MAX)
		return jfield_fail(e, "", "variants", "must hold 1 to %d variants",
		                   ST_VARIANTS_MAX);
	p->variants = xcalloc(n, sizeof(*p->variants));
	for (size_t i = 0; i < n; i++) {
		json_t *jv = json_array_get(vs, i);
		struct st_variant *v = &p->variants[i];
		char pre[48];
		snprintf(pre, sizeof(pre), "variants[%zu].", i);
		if (!json_is_object(jv)) {
			char key[48];
			snprintf(key, sizeof(key), "variants[%zu]", i);
			return jfield_fail(e, "", key, "must be an object");
		}
		if ((rc = jfield_known(jv, vkeys, pre, e)))
			return rc;
		p->nvariants = i + 1;
		if (path_id) {
			if ((rc = jfield_uuid(jv, "id", pre, false, &s, e)))
				return rc;
		} else {
			s = NULL;
			if (json_object_get(jv, "id"))
				return jfield_fail(e, pre, "id", "is set by the server");
		}
		if (s)
			strlcpy_t(v->id, s, sizeof(v->id));
		else
			uuid_v7(v->id);
		if ((rc = jfield_str(jv, "sku", pre, true, 1, CART_SKU_MAX - 1, &s, e)))
			return rc;
		strlcpy_t(v->sku, s, sizeof(v->sku));
		if ((rc = jfield_str(jv, "barcode", pre, false, 0, ST_BARCODE_MAX - 1, &s, e)))
			return rc;
		if (s && *s) {
			/* The register's scanner rules: GS1 codes must check. */
			struct barcode_scan scan;
			if (barcode_classify(s, &scan, NULL, 0) != TALAD_OK) {
				if (scan.verdict == BARCODE_BAD_CHECK_DIGIT)
					return jfield_fail(
					    e, pre, "barcode", "has a bad %s check digit",
					    scan.kind == BARCODE_KIND_EAN8   ? "ean-8"
					    : scan.kind == BARCODE_KIND_UPCA ? "upc-a"
					                                     : "ean-13");
				return jfield_fail(e, pre, "barcode",
				                   "is not a barcode (printable ascii, no spaces)");
			}
			strlcpy_t(v->barcode, s, sizeof(v->barcode));
		}
		if ((rc = jfield_str(jv, "title", pre, false, 0, CART_TITLE_MAX - 1, &s, e)))
			return rc;
		strlcpy_t(v->title, s ? s : "", sizeof(v->title));
		if ((rc = jfield_money(jv, "price", pre, true, exponent, 0, PRICE_MAX, &v->price,
		                       NULL, e)))
			return rc;
		v->taxable = v->tracked = true;
		if ((rc = jfield_bool(jv, "taxable", pre, false, &v->taxable, NULL, e)) ||
		    (rc = jfield_bool(jv, "tracked", pre, false, &v->tracked, NULL, e)))
			return rc;
		for (size_t j = 0; j < i; j++) {
			const struct st_variant *w = &p->variants[j];
			if (!strcmp(w->id, v->id))
				return jfield_fail(e, pre, "id", "repeats variants[%zu].id", j);
			if (!strcmp(w->sku, v->sku))
				return jfield_fail(e, pre, "sku", "repeats variants[%zu].sku", j);
			if (v->barcode[0] && !strcmp(w->barcode, v->barcode))
				return jfield_fail(e, pre, "barcode",
				                   "repeats variants[%zu].barcode", j);
		}
	}
	return TALAD_OK;
}

/* After a UNIQUE failure: a 409 naming the SKU or barcode that is taken. */
static void duplicate_error(struct api_req *r, const struct st_product *p)
{
	struct store *st = r->st;
	for (size_t i = 0; i < p->nvariants; i++) {
		const struct st_variant *v = &p->variants[i];
		char owner[ST_ID_SIZE];
		if (st->ops->variant_owner(st, "sku", v->sku, owner) == TALAD_OK &&
		    strcmp(owner, v->id)) {
			st->ops->rollback(st);
			api_error(r, 409, "duplicate",
			          "variants[%zu].sku '%s' is already used by another variant", i,
			          v->sku);
			return;
		}
		if (v->barcode[0] &&
		    st->ops->variant_owner(st, "barcode", v->barcode, owner) == TALAD_OK &&
		    strcmp(owner, v->id)) {
			st->ops->rollback(st);
			api_error(r, 409, "duplicate",
			          "variants[%zu].barcode '%s' is already used by another variant",
			          i, v->barcode);
			return;
		}
	}
	st->ops->rollback(st);
	api_error(r, 409, "duplicate", "a sku or barcode is already used by another variant");
}

static void save_product(struct api_req *r, bool create)
{
	struct store *st = r->st;
	struct st_shop shop;
	struct st_product p = {0};
	struct jerr e;
	if (api_shop(r, &shop))
		return;
	if (parse_product(r->body, create ? NULL : r->param, shop.exponent, &p, &e)) {
		store_product_release(&p);
		api_field_error(r, &e);
		return;
	}
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (err)
		goto db_fail;
	if (!create) {
		/* A variant id must be one of this product's, or new. */
		for (size_t i = 0; i < p.nvariants; i++) {
			char owner[ST_ID_SIZE];
			bool tracked;
			err = st->ops->variant_info(st, p.variants[i].id, owner, &tracked);
			if (err == TALAD_ENOTFOUND)
				continue;
			if (err)
				goto db_fail;
			if (strcmp(owner, p.id)) {
				st->ops->rollback(st);
				char pre[48];
				snprintf(pre, sizeof(pre), "variants[%zu].", i);
				jfield_fail(&e, pre, "id", "is a variant of another product");
				api_field_error(r, &e);
				goto out;
			}
		}
	}
	err = st->ops->product_put(st, &p, create);
	if (err == TALAD_EEXIST) {
		duplicate_error(r, &p);
		goto out;
	}
	if (err == TALAD_ENOTFOUND && !create) {
		st->ops->rollback(st);
		api_error(r, 404, "not_found", "no product with this id");
		goto out;
	}
	if (err || (err = api_feed_product(st, p.id)) || (err = api_feed_commit(r)))
		goto db_fail;
	api_reply(r, create ? 201 : 200,
	          json_pack("{s:o}", "product", product_json(&p, shop.exponent)));
	goto out;
db_fail:
	api_store_error(r, err);
out:
	store_product_release(&p);
}

void api_products_post(struct api_req *r)
{
	save_product(r, true);
}

void api_product_put(struct api_req *r)
{
	save_product(r, false);
}

void api_product_get(struct api_req *r)
{
	struct st_shop shop;
	struct st_product p;
	if (api_shop(r, &shop))
		return;
	int err = r->st->ops->product_get(r->st, r->param, &p);
	if (err == TALAD_ENOTFOUND) {
		api_error(r, 404, "not_found", "no product with this id");
		return;
	}
	if (err) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o}", "product", product_json(&p, shop.exponent)));
	store_product_release(&p);
}

void api_product_delete(struct api_req *r)
{
	struct store *st = r->st;
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (!err)
		err = st->ops->product_delete(st, r->param);
	if (err == TALAD_ENOTFOUND) {
		st->ops->rollback(st);
		api_error(r, 404, "not_found", "no product with this id");
		return;
	}
	if (err || (err = api_feed_product_deleted(st, r->param)) || (err = api_feed_commit(r))) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:s}", "status", "deleted", "id", r->param));
}

struct plist {
	json_t *arr;
	int64_t limit, count;
	bool more;
	int64_t last;
	int exponent;
};

static int plist_cb(void *arg, const struct st_product *p)
{
	struct plist *l = arg;
	if (l->count == l->limit) {
		l->more = true;
		return LIST_STOP;
	}
	json_array_append_new(l->arr, product_json(p, l->exponent));
	l->count++;
	l->last = p->n;
	return TALAD_OK;
}

void api_products_get(struct api_req *r)
{
	struct st_shop shop;
	int64_t limit, cursor;
	if (api_paging(r, 100, 500, &limit, &cursor) || api_shop(r, &shop))
		return;
	struct plist l = {.arr = json_array(), .limit = limit, .exponent = shop.exponent};
	int err = r->st->ops->product_list(r->st, cursor, (int)limit + 1, NULL, plist_cb, &l);
	if (err && err != LIST_STOP) {
		json_decref(l.arr);
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200,
	          json_pack("{s:o, s:o}", "products", l.arr, "next_cursor",
	                    api_cursor_json(l.more, l.last)));
}

/* ---- inventory ---- */

static json_t *level_json(const char *variant_id, const char *sku, const char *location_id,
                          int64_t available)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:b}", "variant_id", variant_id, "sku", sku,
	                 "location_id", location_id, "available", (json_int_t)available, "oversold",
	                 available < 0);
}

static int level_cb(void *arg, const struct st_level *lv)
{
	struct plist *l = arg;
	if (l->count == l->limit) {
		l->more = true;
		return LIST_STOP;
	}
	json_array_append_new(l->arr,
	                      level_json(lv->variant_id, lv->sku, lv->location_id, lv->available));
	l->count++;
	l->last = lv->n;
	return TALAD_OK;
}

static int first_location_cb(void *arg, const struct st_location *l)
{
	struct st_location *out = arg;
	if (!out->id[0])
		*out = *l;
	return TALAD_OK;
}

void api_inventory_get(struct api_req *r)
{
	int64_t limit, cursor;
	if (api_paging(r, 100, 1000, &limit, &cursor))
		return;
	struct store *st = r->st;
	struct st_location loc = {0};
	const char *want = httpd_query(r->h, "location");
	int err;
	if (want) {
		if (!uuid_valid(want)) {
			struct jerr e;
			jfield_fail(&e, "", "location", "must be a uuid");
			api_field_error(r, &e);
			return;
		}
		err = st->ops->location_get(st, want, &loc);
		if (err == TALAD_ENOTFOUND) {
			api_error(r, 404, "not_found", "no location %s", want);
			return;
		}
	} else {
		err = st->ops->location_list(st, first_location_cb, &loc);
		if (!err && !loc.id[0]) {
			api_error(r, 404, "not_found", "the shop has no location");
			return;
		}
	}
	if (err) {
		api_store_error(r, err);
		return;
	}
	struct plist l = {.arr = json_array(), .limit = limit};
	err = st->ops->level_list(st, loc.id, cursor, (int)limit + 1, level_cb, &l);
	if (err && err != LIST_STOP) {
		json_decref(l.arr);
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200,
	          json_pack("{s:s, s:o, s:o}", "location_id", loc.id, "levels", l.arr,
	                    "next_cursor", api_cursor_json(l.more, l.last)));
}

void api_inventory_set(struct api_req *r)
{
	static const char *const keys[] = {"location_id", "sku", "available", NULL};
	struct jerr e;
	const char *location_id, *sku;
	int64_t available;
	if (jfield_known(r->body, keys, "", &e) ||
	    jfield_uuid(r->body, "location_id", "", true, &location_id, &e) ||
	    jfield_str(r->body, "sku", "", true, 1, CART_SKU_MAX - 1, &sku, &e) ||
	    jfield_int(r->body, "available", "", true, -STOCK_MAX, STOCK_MAX, &available, NULL,
	               &e)) {
		api_field_error(r, &e);
		return;
	}
	struct store *st = r->st;
	struct st_location loc;
	struct st_variant v;
	int64_t cur, delta = 0;
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (err)
		goto db_fail;
	err = st->ops->location_get(st, location_id, &loc);
	if (err == TALAD_ENOTFOUND) {
		st->ops->rollback(st);
		api_error(r, 404, "not_found", "no location %s", location_id);
		return;
	}
	if (err)
		goto db_fail;
	err = st->ops->variant_by_sku(st, sku, &v);
	if (err == TALAD_ENOTFOUND) {
		st->ops->rollback(st);
		api_error(r, 404, "not_found", "no variant with sku '%s'", sku);
		return;
	}
	if (err)
		goto db_fail;
	if (!v.tracked) {
		st->ops->rollback(st);
		api_error(r, 409, "not_tracked", "the variant with sku '%s' does not track stock",
		          sku);
		return;
	}
	if ((err = st->ops->level_get(st, v.id, loc.id, &cur)))
		goto db_fail;
	delta = available - cur;
	if (delta != 0) {
		struct st_delta d = {.delta = delta,
		                     .reason = "count",
		                     .order_id = NULL,
		                     .created_at = time_now_ms()};
		uuid_v7(d.id);
		strlcpy_t(d.variant_id, v.id, sizeof(d.variant_id));
		strlcpy_t(d.location_id, loc.id, sizeof(d.location_id));
		int64_t now_level;
		if ((err = st->ops->delta_add(st, &d)) ||
		    (err = st->ops->level_add(st, v.id, loc.id, delta, &now_level)) ||
		    (err = api_feed_level(st, v.id, loc.id, now_level)))
			goto db_fail;
		available = now_level;
		err = api_feed_commit(r);
	} else {
		err = st->ops->commit(st);
	}
	if (err)
		goto db_fail;
	api_reply(r, 200,
	          json_pack("{s:o, s:I}", "level", level_json(v.id, v.sku, loc.id, available),
	                    "delta", (json_int_t)delta));
	return;
db_fail:
	api_store_error(r, err);
}
