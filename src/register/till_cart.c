/* The till's cart in progress as JSON in the local store: written on every
 * change so that a killed till restores it, and checked line by line through
 * cart_add_line when it is read back. */
#include "register/till_cart.h"

#include "common/err.h"
#include "common/xalloc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void till_cart_init(struct till_cart *tc, const struct tax_rule *tax)
{
	memset(tc, 0, sizeof(*tc));
	cart_init(&tc->cart, tax);
}

void till_cart_release(struct till_cart *tc)
{
	if (!tc)
		return;
	cart_release(&tc->cart);
}

void till_cart_reset(struct till_cart *tc)
{
	struct tax_rule tax = tc->cart.tax;
	char staff[RSTORE_ID_MAX];

	memcpy(staff, tc->staff_id, sizeof(staff));
	cart_release(&tc->cart);
	till_cart_init(tc, &tax);
	memcpy(tc->staff_id, staff, sizeof(staff));
}

bool till_cart_empty(const struct till_cart *tc)
{
	return tc->cart.nlines == 0 && tc->ntenders == 0;
}

static json_t *opt_text(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *discount_json(const struct discount *d)
{
	const char *kind = discount_kind_name(d->kind);
	if (!kind)
		return json_null();
	return json_pack("{s:s, s:I}", "kind", kind, "value", (json_int_t)d->value);
}

json_t *till_cart_to_json(const struct till_cart *tc)
{
	json_t *j = json_object();
	json_t *lines = json_array();
	json_t *tenders = json_array();

	json_object_set_new(j, "version", json_integer(TILL_CART_VERSION));
	json_object_set_new(j, "staff_id", opt_text(tc->staff_id));
	json_object_set_new(j, "order_id", opt_text(tc->order_id));
	for (size_t i = 0; i < tc->cart.nlines; i++) {
		const struct cart_line *l = &tc->cart.lines[i];
		json_t *lj = json_object();
		json_object_set_new(lj, "variant_id", opt_text(l->variant_id));
		json_object_set_new(lj, "sku", opt_text(l->sku));
		json_object_set_new(lj, "title", json_string(l->title));
		json_object_set_new(lj, "quantity", json_integer(l->quantity));
		json_object_set_new(lj, "unit_price", json_integer(l->unit_price));
		json_object_set_new(lj, "taxable", json_boolean(l->taxable));
		json_object_set_new(lj, "discount", discount_json(&l->discount));
		json_array_append_new(lines, lj);
	}
	json_object_set_new(j, "lines", lines);
	json_object_set_new(j, "order_discount", discount_json(&tc->cart.order_discount));
	for (size_t i = 0; i < tc->ntenders && i < TENDER_MAX; i++) {
		const struct till_tender *t = &tc->tenders[i];
		json_t *tj = json_object();
		json_object_set_new(tj, "method", json_string(tender_kind_name(t->t.kind)));
		json_object_set_new(tj, "name", opt_text(t->t.name));
		json_object_set_new(tj, "amount", json_integer(t->t.amount));
		json_object_set_new(tj, "reference", opt_text(t->reference));
		json_object_set_new(tj, "card_brand", opt_text(t->card_brand));
		json_object_set_new(tj, "card_last4", opt_text(t->card_last4));
		json_object_set_new(tj, "authorization", opt_text(t->auth_id));
		json_array_append_new(tenders, tj);
	}
	json_object_set_new(j, "tenders", tenders);
	if (tc->paying)
		json_object_set_new(j, "paying",
		                    json_pack("{s:I, s:I, s:I}", "since",
		                              (json_int_t)tc->paying_since, "counter",
		                              (json_int_t)tc->paying_counter, "total",
		                              (json_int_t)tc->paying_total));
	else
		json_object_set_new(j, "paying", json_null());
	return j;
}

/* A text member that may be null or absent: copied when it fits. */
static int get_text(const json_t *o, const char *key, char *out, size_t size, char *err,
                    size_t errlen, const char *where)
{
	json_t *v = json_object_get(o, key);
	out[0] = '\0';
	if (!v || json_is_null(v))
		return TALAD_OK;
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		talad_seterr(err, errlen, "saved cart: %s%s is not text of at most %zu bytes",
		             where, key, size - 1);
		return TALAD_EINVAL;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return TALAD_OK;
}

static int get_int(const json_t *o, const char *key, int64_t min, int64_t max, int64_t *out,
                   char *err, size_t errlen, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		talad_seterr(err, errlen, "saved cart: %s%s is not a whole number in range", where,
		             key);
		return TALAD_EINVAL;
	}
	*out = json_integer_value(v);
	return TALAD_OK;
}

static int get_discount(const json_t *o, const char *key, struct discount *d, char *err,
                        size_t errlen, const char *where)
{
	json_t *v = json_object_get(o, key);
	d->kind = DISCOUNT_NONE;
	d->value = 0;
	if (!v || json_is_null(v))
		return TALAD_OK;
	const char *kind = json_string_value(json_object_get(v, "kind"));
	if (!json_is_object(v) || !kind || discount_kind_parse(kind, &d->kind) != TALAD_OK) {
		talad_seterr(err, errlen, "saved cart: %s%s has no valid kind", where, key);
		return TALAD_EINVAL;
	}
	char sub[64];
	snprintf(sub, sizeof(sub), "%s%s.", where, key);
	return get_int(v, "value", 0, INT64_MAX, &d->value, err, errlen, sub);
}

static int read_line(const json_t *lj, size_t i, struct cart *c, char *err, size_t errlen)
{
	struct cart_line l;
	char where[32];
	char why[160] = "";
	int rc;

	memset(&l, 0, sizeof(l));
	snprintf(where, sizeof(where), "lines[%zu].", i);
	if (!json_is_object(lj)) {
		talad_seterr(err, errlen, "saved cart: %s is not an object", where);
		return TALAD_EINVAL;
	}
	json_t *taxable = json_object_get(lj, "taxable");
	if (!json_is_boolean(taxable)) {
		talad_seterr(err, errlen, "saved cart: %staxable is not true or false", where);
		return TALAD_EINVAL;
	}
	l.taxable = json_is_true(taxable);
	if ((rc = get_text(lj, "variant_id", l.variant_id, sizeof(l.variant_id), err, errlen,
	                   where)) ||
	    (rc = get_text(lj, "sku", l.sku, sizeof(l.sku), err, errlen, where)) ||
	    (rc = get_text(lj, "title", l.title, sizeof(l.title), err, errlen, where)) ||
	    (rc = get_int(lj, "quantity", 1, CART_MAX_QUANTITY, &l.quantity, err, errlen, where)) ||
	    (rc = get_int(lj, "unit_price", 0, INT64_MAX, &l.unit_price, err, errlen, where)) ||
	    (rc = get_discount(lj, "discount", &l.discount, err, errlen, where)))
		return rc;
	rc = cart_add_line(c, &l, why, sizeof(why));
	if (rc)
		talad_seterr(err, errlen, "saved cart: %s %s", where, why);
	return rc;
}

static int read_tender(const json_t *tj, size_t i, struct till_tender *t, char *err, size_t errlen)
{
	char where[32];
	char method[16];
	int rc;

	memset(t, 0, sizeof(*t));
	snprintf(where, sizeof(where), "tenders[%zu].", i);
	if (!json_is_object(tj)) {
		talad_seterr(err, errlen, "saved cart: %s is not an object", where);
		return TALAD_EINVAL;
	}
	if ((rc = get_text(tj, "method", method, sizeof(method), err, errlen, where)))
		return rc;
	if (tender_kind_parse(method, &t->t.kind) != TALAD_OK) {
		talad_seterr(err, errlen, "saved cart: %smethod is not a payment method", where);
		return TALAD_EINVAL;
	}
	if ((rc = get_text(tj, "name", t->t.name, sizeof(t->t.name), err, errlen, where)) ||
	    (rc = get_int(tj, "amount", 1, INT64_MAX, &t->t.amount, err, errlen, where)) ||
	    (rc = get_text(tj, "reference", t->reference, sizeof(t->reference), err, errlen,
	                   where)) ||
	    (rc = get_text(tj, "card_brand", t->card_brand, sizeof(t->card_brand), err, errlen,
	                   where)) ||
	    (rc = get_text(tj, "card_last4", t->card_last4, sizeof(t->card_last4), err, errlen,
	                   where)) ||
	    (rc =
	         get_text(tj, "authorization", t->auth_id, sizeof(t->auth_id), err, errlen, where)))
		return rc;
	if (t->auth_id[0] && !uuid_valid(t->auth_id)) {
		talad_seterr(err, errlen, "saved cart: %sauthorization is not a uuid", where);
		return TALAD_EINVAL;
	}
	if ((t->t.kind == TENDER_CUSTOM || t->t.kind == TENDER_GIFT_CARD) && !t->t.name[0]) {
		talad_seterr(err, errlen, "saved cart: %sname is missing", where);
		return TALAD_EINVAL;
	}
	t->t.has_amount = true;
	return TALAD_OK;
}

static int from_json(const json_t *j, struct till_cart *tc, char *err, size_t errlen)
{
	int64_t version;
	int rc;

	if (!json_is_object(j)) {
		talad_seterr(err, errlen, "saved cart: not a JSON object");
		return TALAD_EINVAL;
	}
	if ((rc = get_int(j, "version", 1, INT_MAX, &version, err, errlen, "")))
		return rc;
	if (version != TILL_CART_VERSION) {
		talad_seterr(err, errlen, "saved cart: version %lld is not known to this talad",
		             (long long)version);
		return TALAD_EINVAL;
	}
	if ((rc = get_text(j, "staff_id", tc->staff_id, sizeof(tc->staff_id), err, errlen, "")) ||
	    (rc = get_text(j, "order_id", tc->order_id, sizeof(tc->order_id), err, errlen, "")))
		return rc;
	if (tc->order_id[0] && !uuid_valid(tc->order_id)) {
		talad_seterr(err, errlen, "saved cart: order_id is not a uuid");
		return TALAD_EINVAL;
	}
	json_t *lines = json_object_get(j, "lines");
	if (!json_is_array(lines) || json_array_size(lines) > CART_MAX_LINES) {
		talad_seterr(err, errlen, "saved cart: lines is not an array of at most %d",
		             CART_MAX_LINES);
		return TALAD_EINVAL;
	}
	for (size_t i = 0; i < json_array_size(lines); i++)
		if ((rc = read_line(json_array_get(lines, i), i, &tc->cart, err, errlen)))
			return rc;
	struct discount od;
	if ((rc = get_discount(j, "order_discount", &od, err, errlen, "")))
		return rc;
	if (od.kind != DISCOUNT_NONE && cart_set_order_discount(&tc->cart, od) != TALAD_OK) {
		talad_seterr(err, errlen, "saved cart: order_discount is not a valid discount");
		return TALAD_EINVAL;
	}
	json_t *tenders = json_object_get(j, "tenders");
	if (!json_is_array(tenders) || json_array_size(tenders) > TENDER_MAX) {
		talad_seterr(err, errlen, "saved cart: tenders is not an array of at most %d",
		             TENDER_MAX);
		return TALAD_EINVAL;
	}
	for (size_t i = 0; i < json_array_size(tenders); i++)
		if ((rc = read_tender(json_array_get(tenders, i), i, &tc->tenders[i], err, errlen)))
			return rc;
	tc->ntenders = json_array_size(tenders);
	json_t *paying = json_object_get(j, "paying");
	if (paying && !json_is_null(paying)) {
		if (!json_is_object(paying)) {
			talad_seterr(err, errlen, "saved cart: paying is not an object");
			return TALAD_EINVAL;
		}
		if ((rc = get_int(paying, "since", 0, INT64_MAX, &tc->paying_since, err, errlen,
		                  "paying.")) ||
		    (rc = get_int(paying, "counter", 0, INT64_MAX, &tc->paying_counter, err, errlen,
		                  "paying.")) ||
		    (rc = get_int(paying, "total", 0, INT64_MAX, &tc->paying_total, err, errlen,
		                  "paying.")))
			return rc;
		tc->paying = true;
	}
	return TALAD_OK;
}

int till_cart_from_json(const json_t *j, struct till_cart *tc, char *err, size_t errlen)
{
	int rc = from_json(j, tc, err, errlen);
	if (rc) {
		till_cart_reset(tc);
		tc->staff_id[0] = '\0';
	}
	return rc;
}

int till_cart_save(struct rstore *st, const struct till_cart *tc)
{
	if (till_cart_empty(tc))
		return till_cart_clear(st);
	json_t *j = till_cart_to_json(tc);
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return TALAD_EINVAL;
	int rc = rstore_setting_set(st, TILL_CART_KEY, text);
	free(text);
	return rc;
}

int till_cart_load(struct rstore *st, struct till_cart *tc, char *err, size_t errlen)
{
	char *text = NULL;
	json_error_t je;
	int rc = rstore_setting_get(st, TILL_CART_KEY, &text);
	if (rc)
		return rc;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		talad_seterr(err, errlen, "saved cart: not JSON: %s", je.text);
		rc = TALAD_EINVAL;
	} else {
		rc = till_cart_from_json(j, tc, err, errlen);
		json_decref(j);
	}
	/* Kept aside rather than lost: a cashier or support can still read
	 * what was in it. */
	if (rc == TALAD_EINVAL && rstore_setting_set(st, "till.cart-bad", text) == TALAD_OK)
		(void)till_cart_clear(st);
	free(text);
	return rc;
}

int till_cart_clear(struct rstore *st)
{
	int rc = rstore_setting_unset(st, TILL_CART_KEY);
	return rc == TALAD_ENOTFOUND ? TALAD_OK : rc;
}

/* The running number of "R01-000042", or -1. */
static int64_t number_counter(const char *number)
{
	const char *dash = strrchr(number, '-');
	if (!dash || !dash[1])
		return -1;
	char *end;
	long long v = strtoll(dash + 1, &end, 10);
	return *end == '\0' && v >= 0 ? v : -1;
}

int till_cart_find_committed(struct rstore *st, const struct till_cart *tc, char *number,
                             size_t len)
{
	struct rstore_order_row *rows = NULL;
	size_t n = 0;
	int rc = rstore_list_orders(st, false, &rows, &n);
	if (rc)
		return rc;
	rc = TALAD_ENOTFOUND;
	/* Newest first: the sale, if it went in, is among the last. */
	for (size_t i = n; i-- > 0;) {
		const struct rstore_order_row *r = &rows[i];
		int64_t counter = number_counter(r->number);
		if (counter <= tc->paying_counter)
			break;
		if (r->created_at >= tc->paying_since && r->total == tc->paying_total) {
			snprintf(number, len, "%s", r->number);
			rc = TALAD_OK;
			break;
		}
	}
	free(rows);
	return rc;
}
