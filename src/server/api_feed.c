/* The shapes the registers receive (snapshot and change feed, as in
 * docs/PROTOCOL.md) and the appending of admin changes to the feed, in the
 * same transaction as the change itself. */
#include "server/api.h"
#include "common/err.h"
#include "server/changefeed.h"

#include <stdlib.h>

void api_w_product(struct jsonw *w, const struct st_product *p, bool with_available)
{
	jsonw_obj(w);
	jsonw_kstr(w, "id", p->id);
	jsonw_kstr(w, "title", p->title);
	jsonw_key(w, "variants");
	jsonw_arr(w);
	for (size_t i = 0; i < p->nvariants; i++) {
		const struct st_variant *v = &p->variants[i];
		jsonw_obj(w);
		jsonw_kstr(w, "id", v->id);
		jsonw_kstr(w, "sku", v->sku);
		jsonw_kstr_null(w, "barcode", v->barcode);
		jsonw_kstr(w, "title", v->title);
		jsonw_kint(w, "price", v->price);
		jsonw_kbool(w, "taxable", v->taxable);
		jsonw_kbool(w, "tracked", v->tracked);
		if (with_available)
			jsonw_kint(w, "available", v->available);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	jsonw_obj_end(w);
}

void api_w_shop(struct jsonw *w, const struct st_shop *s)
{
	jsonw_obj(w);
	jsonw_kstr(w, "name", s->name);
	jsonw_kstr(w, "currency", s->currency);
	jsonw_kint(w, "tax_rate_ppm", s->tax_rate_ppm);
	jsonw_kbool(w, "tax_included", s->tax_included);
	jsonw_kstr(w, "tax_rounding", tax_rounding_name(s->tax_rounding));
	jsonw_kint(w, "cash_increment", s->cash_increment);
	jsonw_kstr(w, "tax_id", s->tax_id);
	jsonw_kstr(w, "address", s->address);
	jsonw_kstr(w, "receipt_header", s->receipt_header);
	jsonw_kstr(w, "receipt_footer", s->receipt_footer);
	jsonw_kstr(w, "promptpay_id", s->promptpay_id);
	jsonw_kint(w, "discount_limit_ppm", s->discount_limit_ppm);
	jsonw_obj_end(w);
}

void api_w_staff(struct jsonw *w, const struct st_staff *s)
{
	jsonw_obj(w);
	jsonw_kstr(w, "id", s->id);
	jsonw_kstr(w, "name", s->name);
	jsonw_kstr(w, "role", store_role_name(s->role));
	jsonw_kstr_null(w, "pin_hash", s->pin_hash);
	jsonw_obj_end(w);
}

static int append(struct store *st, const char *type, const char *location_id, struct buf *b,
                  struct jsonw *w)
{
	int err = w->err ? w->err : st->ops->feed_append(st, type, location_id, buf_str(b), NULL);
	buf_release(b);
	return err;
}

int api_feed_product(struct store *st, const char *product_id)
{
	struct st_product p;
	int err = st->ops->product_get(st, product_id, &p);
	if (err)
		return err;
	struct buf b = BUF_INIT(1u << 24);
	struct jsonw w;
	jsonw_init(&w, &b);
	api_w_product(&w, &p, false);
	store_product_release(&p);
	return append(st, "product", NULL, &b, &w);
}

int api_feed_product_deleted(struct store *st, const char *product_id)
{
	struct buf b = BUF_INIT(1024);
	struct jsonw w;
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_kstr(&w, "id", product_id);
	jsonw_obj_end(&w);
	return append(st, "product_deleted", NULL, &b, &w);
}

int api_feed_level(struct store *st, const char *variant_id, const char *location_id,
                   int64_t available)
{
	struct buf b = BUF_INIT(1024);
	struct jsonw w;
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_kstr(&w, "variant_id", variant_id);
	jsonw_kstr(&w, "location_id", location_id);
	jsonw_kint(&w, "available", available);
	jsonw_obj_end(&w);
	return append(st, "level", location_id, &b, &w);
}

int api_feed_staff(struct store *st, const struct st_staff *s)
{
	struct buf b = BUF_INIT(4096);
	struct jsonw w;
	jsonw_init(&w, &b);
	api_w_staff(&w, s);
	return append(st, "staff", NULL, &b, &w);
}

int api_feed_shop(struct store *st, const struct st_shop *s)
{
	struct buf b = BUF_INIT(8192);
	struct jsonw w;
	jsonw_init(&w, &b);
	api_w_shop(&w, s);
	return append(st, "shop", NULL, &b, &w);
}

int api_feed_paymethod(struct store *st, const struct st_paymethod *m)
{
	struct buf b = BUF_INIT(1024);
	struct jsonw w;
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_kstr(&w, "id", m->id);
	jsonw_kstr(&w, "name", m->name);
	jsonw_obj_end(&w);
	return append(st, "payment_method", NULL, &b, &w);
}

int api_feed_commit(struct api_req *r)
{
	int err = r->st->ops->feed_prune(r->st, r->srv->feed_keep);
	if (!err)
		err = r->st->ops->commit(r->st);
	if (err)
		return err;
	changefeed_notify();
	return TALAD_OK;
}
