/* The sync endpoints the registers use (docs/PROTOCOL.md): the snapshot and
 * its cursor read in one transaction, the change feed as a long poll, and
 * the push of the outbox applied in one transaction per batch with
 * duplicates, gaps and business rejections handled as the protocol says. */
#include "server/api.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/order.h"
#include "common/email.h"
#include "server/changefeed.h"
#include "server/mailer.h"
#include "server/fulfil.h"
#include "server/payments.h"
#include "server/pushparse.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_STOP       1
#define SNAPSHOT_MAX    (1u << 30) /* bytes: far above a 100,000-variant catalog */
#define CHANGES_MAX     (64u << 20)
#define POLL_RECHECK_MS 1000 /* changes from another process are seen this fast */

/* ---- snapshot ---- */

static int snap_product_cb(void *arg, const struct st_product *p)
{
	struct jsonw *w = arg;
	api_w_product(w, p, true);
	return w->err;
}

static int snap_staff_cb(void *arg, const struct st_staff *s)
{
	struct jsonw *w = arg;
	api_w_staff(w, s);
	return w->err;
}

static int snap_paymethod_cb(void *arg, const struct st_paymethod *m)
{
	struct jsonw *w = arg;
	jsonw_obj(w);
	jsonw_kstr(w, "id", m->id);
	jsonw_kstr(w, "name", m->name);
	jsonw_obj_end(w);
	return w->err;
}

void api_sync_snapshot(struct api_req *r)
{
	struct store *st = r->st;
	struct st_shop shop;
	struct st_location loc;
	int64_t floor, head;
	struct buf b = BUF_INIT(SNAPSHOT_MAX);
	struct jsonw w;
	int err = st->ops->register_touch(st, r->reg.id, time_now_ms(), -1);
	if (err || (err = st->ops->begin(st, ST_TX_READ)))
		goto db_fail;
	if (api_shop(r, &shop))
		goto out;
	err = st->ops->location_get(st, r->reg.location_id, &loc);
	if (err == TALAD_ENOTFOUND) {
		st->ops->rollback(st);
		api_error(r, 409, "no_location", "the register's location is gone");
		goto out;
	}
	if (err || (err = st->ops->feed_bounds(st, &floor, &head)))
		goto db_fail;
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_kint(&w, "cursor", head);
	jsonw_key(&w, "shop");
	api_w_shop(&w, &shop);
	jsonw_key(&w, "register");
	jsonw_obj(&w);
	jsonw_kstr(&w, "id", r->reg.id);
	jsonw_kstr(&w, "name", r->reg.name);
	jsonw_kstr(&w, "code", r->reg.code);
	jsonw_obj_end(&w);
	jsonw_key(&w, "location");
	jsonw_obj(&w);
	jsonw_kstr(&w, "id", loc.id);
	jsonw_kstr(&w, "name", loc.name);
	jsonw_obj_end(&w);
	jsonw_key(&w, "products");
	jsonw_arr(&w);
	if ((err = st->ops->product_list(st, 0, 0, loc.id, snap_product_cb, &w)))
		goto db_fail;
	jsonw_arr_end(&w);
	jsonw_key(&w, "staff");
	jsonw_arr(&w);
	if ((err = st->ops->staff_list(st, 0, 0, snap_staff_cb, &w)))
		goto db_fail;
	jsonw_arr_end(&w);
	jsonw_key(&w, "payment_methods");
	jsonw_arr(&w);
	if ((err = st->ops->paymethod_list(st, snap_paymethod_cb, &w)))
		goto db_fail;
	jsonw_arr_end(&w);
	if ((err = st->ops->commit(st)))
		goto db_fail;
	api_reply_w(r, 200, &w, &b);
	return;
db_fail:
	if (err == TALAD_ETOOBIG) {
		st->ops->rollback(st);
		api_error(r, 500, "internal", "the snapshot is too large");
	} else {
		api_store_error(r, err);
	}
out:
	buf_release(&b);
}

/* ---- changes ---- */

struct chg {
	struct jsonw *w;
	int64_t limit, n, last;
	bool more;
};

static int chg_cb(void *arg, int64_t seq, const char *type, const char *data)
{
	struct chg *c = arg;
	if (c->n == c->limit) {
		c->more = true;
		return LIST_STOP;
	}
	jsonw_obj(c->w);
	jsonw_kint(c->w, "seq", seq);
	jsonw_kstr(c->w, "type", type);
	jsonw_key(c->w, "data");
	jsonw_raw(c->w, data);
	jsonw_obj_end(c->w);
	c->n++;
	c->last = seq;
	return c->w->err;
}

void api_sync_changes(struct api_req *r)
{
	struct jerr e;
	int64_t since, limit, wait, pending;
	const char *s = httpd_query(r->h, "since");
	if (!s) {
		jfield_fail(&e, "", "since",
		            "is required (the cursor of the snapshot or the last "
		            "page)");
		api_field_error(r, &e);
		return;
	}
	if (jfield_query_int(s, "since", 0, INT64_MAX, 0, &since, &e) ||
	    jfield_query_int(httpd_query(r->h, "limit"), "limit", 1, 1000, 500, &limit, &e) ||
	    jfield_query_int(httpd_query(r->h, "wait"), "wait", 0, 60, 0, &wait, &e) ||
	    jfield_query_int(httpd_query(r->h, "pending"), "pending", 0, 1000000000, -1, &pending,
	                     &e)) {
		api_field_error(r, &e);
		return;
	}
	struct store *st = r->st;
	int err = st->ops->register_touch(st, r->reg.id, time_now_ms(), pending);
	if (err) {
		api_store_error(r, err);
		return;
	}
	int64_t deadline = time_mono_ms() + wait * 1000;
	struct buf b = BUF_INIT(CHANGES_MAX);
	struct jsonw w;
	int64_t cursor;
	struct chg c;
	for (;;) {
		uint64_t version = changefeed_version();
		int64_t floor, head;
		if ((err = st->ops->begin(st, ST_TX_READ)) ||
		    (err = st->ops->feed_bounds(st, &floor, &head)))
			goto db_fail;
		if (since < floor || since > head) {
			st->ops->rollback(st);
			if (since < floor)
				api_error(r, 410, "cursor_gone",
				          "cursor %" PRId64 " is older than the oldest change kept "
				          "(%" PRId64 "): take a fresh snapshot",
				          since, floor + 1);
			else
				api_error(r, 410, "cursor_gone",
				          "cursor %" PRId64 " is ahead of this server (%" PRId64
				          "): take a fresh snapshot",
				          since, head);
			goto out;
		}
		buf_release(&b);
		jsonw_init(&w, &b);
		jsonw_obj(&w);
		jsonw_key(&w, "changes");
		jsonw_arr(&w);
		c = (struct chg){.w = &w, .limit = limit};
		err = st->ops->feed_read(st, since, r->reg.location_id, (int)limit + 1, chg_cb, &c);
		if (err && err != LIST_STOP)
			goto db_fail;
		if ((err = st->ops->commit(st)))
			goto db_fail;
		if (c.n > 0) {
			cursor = c.more ? c.last : head;
			break;
		}
		/* Changes of other locations only: skip them while waiting. */
		since = head;
		int64_t left = deadline - time_mono_ms();
		if (left <= 0 || changefeed_stopping()) {
			cursor = head;
			break;
		}
		changefeed_wait(version, left < POLL_RECHECK_MS ? left : POLL_RECHECK_MS);
	}
	jsonw_arr_end(&w);
	jsonw_kint(&w, "cursor", cursor);
	jsonw_kbool(&w, "more", c.more);
	api_reply_w(r, 200, &w, &b);
	return;
db_fail:
	if (err == TALAD_ETOOBIG) {
		st->ops->rollback(st);
		api_error(r, 500, "internal", "the page of changes is too large: ask for fewer");
	} else {
		api_store_error(r, err);
	}
out:
	buf_release(&b);
}

/* ---- push ---- */

/* A string-keyed map with insertion order, for the per-batch level sums and
 * the variant look-ups. */
struct smap {
	char **keys;
	int64_t *vals;
	size_t cap; /* power of two */
	size_t n;
	size_t *order; /* slot of the i-th key inserted */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void smap_release(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	free(m->order);
	memset(m, 0, sizeof(*m));
}

static size_t smap_slot(const struct smap *m, const char *key)
{
	size_t i = (size_t)hash_str(key) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* The value slot of key, or NULL when absent and !create (new ones are 0). */
static int64_t *smap_get(struct smap *m, const char *key, bool create)
{
	if (m->cap && m->keys[smap_slot(m, key)])
		return &m->vals[smap_slot(m, key)];
	if (!create)
		return NULL;
	if ((m->n + 1) * 2 > m->cap) {
		struct smap g = {0};
		g.cap = m->cap ? m->cap * 2 : 64;
		g.keys = xcalloc(g.cap, sizeof(*g.keys));
		g.vals = xcalloc(g.cap, sizeof(*g.vals));
		g.order = xcalloc(g.cap, sizeof(*g.order));
		for (size_t i = 0; i < m->n; i++) {
			size_t old = m->order[i];
			size_t slot = smap_slot(&g, m->keys[old]);
			g.keys[slot] = m->keys[old];
			g.vals[slot] = m->vals[old];
			g.order[g.n++] = slot;
		}
		free(m->keys);
		free(m->vals);
		free(m->order);
		*m = g;
	}
	size_t slot = smap_slot(m, key);
	m->keys[slot] = xstrdup(key);
	m->vals[slot] = 0;
	m->order[m->n++] = slot;
	return &m->vals[slot];
}

struct push {
	struct api_req *r;
	struct st_shop shop;
	int64_t now;
	struct smap levels;   /* "variant_id location_id" -> delta */
	struct smap variants; /* variant id -> 1 tracked, 0 untracked, -1 unknown */
	char known_location[ST_ID_SIZE];
	size_t mails; /* receipt mails queued by this batch */
};

enum outcome { APPLIED, DUPLICATE, REJECTED };

struct result {
	enum outcome outcome;
	char code[40];
	char message[300];
};

static void reject(struct result *res, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reject(struct result *res, const char *code, const char *fmt, ...)
{
	res->outcome = REJECTED;
	strlcpy_t(res->code, code, sizeof(res->code));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

/* The reader of core/order.c reports amounts that do not agree with the
 * re-pricing as "... do not add up" or "must equal ...": that is the
 * protocol's totals_mismatch; anything else is a malformed order. */
static const char *order_error_code(const char *msg)
{
	if (strstr(msg, "do not add up") || strstr(msg, "must equal"))
		return "totals_mismatch";
	return "invalid_order";
}

static int variant_tracked(struct push *p, const char *variant_id, int *tracked)
{
	int64_t *v = smap_get(&p->variants, variant_id, false);
	if (v) {
		*tracked = (int)*v;
		return TALAD_OK;
	}
	bool t;
	int err = p->r->st->ops->variant_info(p->r->st, variant_id, NULL, &t);
	if (err && err != TALAD_ENOTFOUND)
		return err;
	*tracked = err == TALAD_ENOTFOUND ? -1 : t ? 1 : 0;
	*smap_get(&p->variants, variant_id, true) = *tracked;
	return TALAD_OK;
}

/* a, the separator, then n in decimal (n > 0) or nothing: the delta ids and
 * map keys of every order line, built without printf on the hot path. */
static void join_id(char *out, size_t size, const char *a, char sep, size_t n)
{
	char digits[24];
	size_t nd = 0;
	for (; n; n /= 10)
		digits[nd++] = (char)('0' + n % 10);
	size_t len = strlen(a);
	if (len + 2 + nd > size) {
		out[0] = '\0';
		return;
	}
	memcpy(out, a, len);
	out[len++] = sep;
	while (nd)
		out[len++] = digits[--nd];
	out[len] = '\0';
}

static int apply_order(struct push *p, struct push_item *it, struct result *res)
{
	struct store *st = p->r->st;
	const struct st_register *reg = &p->r->reg;
	const struct order *o = &it->order;
	int err;
	if (!it->order_ok) {
		reject(res, order_error_code(it->order_err), "%s",
		       it->order_err[0] ? it->order_err : "not a valid order");
		return TALAD_OK;
	}
	if (strcmp(o->register_id, reg->id)) {
		reject(res, "wrong_register",
		       "the order's register_id is not the pushing register");
		return TALAD_OK;
	}
	if (strcmp(o->currency, p->shop.currency)) {
		reject(res, "currency_mismatch", "the order is in %s but the shop sells in %s",
		       o->currency, p->shop.currency);
		return TALAD_OK;
	}
	if (strcmp(o->location_id, p->known_location)) {
		struct st_location loc;
		err = st->ops->location_get(st, o->location_id, &loc);
		if (err == TALAD_ENOTFOUND) {
			reject(res, "unknown_location", "no location %s", o->location_id);
			return TALAD_OK;
		}
		if (err)
			return err;
		strlcpy_t(p->known_location, o->location_id, sizeof(p->known_location));
	}
	/* Card and gift card payments must be backed by the authorizations
	 * the register obtained before it committed the sale. */
	bool refused;
	if ((err = payments_check_order(st, reg->id, o, p->now, &refused, res->code,
	                                sizeof(res->code), res->message, sizeof(res->message))))
		return err;
	if (refused) {
		res->outcome = REJECTED;
		return TALAD_OK;
	}
	struct st_order row = {.created_at = o->created_at,
	                       .received_at = p->now,
	                       .total = o->cart.total,
	                       .json = it->payload_text};
	strlcpy_t(row.id, o->id, sizeof(row.id));
	strlcpy_t(row.number, o->number, sizeof(row.number));
	strlcpy_t(row.register_id, o->register_id, sizeof(row.register_id));
	strlcpy_t(row.location_id, o->location_id, sizeof(row.location_id));
	strlcpy_t(row.staff_id, o->staff_id, sizeof(row.staff_id));
	err = st->ops->order_add(st, &row);
	if (err == TALAD_EEXIST) {
		res->outcome = DUPLICATE;
		return TALAD_OK;
	}
	if (err == TALAD_ECONFLICT) {
		reject(res, "duplicate_number", "another order already has the number %s",
		       o->number);
		return TALAD_OK;
	}
	if (err)
		return err;
	/* Once, with the order: a replay is a duplicate and never gets here. */
	if ((err = payments_capture_order(st, o, p->now)) || (err = fulfil_on_order(st, o, p->now)))
		return err;
	for (size_t i = 0; i < o->cart.nlines; i++) {
		const struct cart_line *l = &o->cart.lines[i];
		int tracked;
		if (!l->variant_id[0])
			continue;
		if ((err = variant_tracked(p, l->variant_id, &tracked)))
			return err;
		/* An unknown variant (deleted since the sale) books nothing. */
		if (tracked != 1)
			continue;
		struct st_delta d = {.delta = -l->quantity,
		                     .reason = "sale",
		                     .order_id = o->id,
		                     .created_at = p->now};
		join_id(d.id, sizeof(d.id), o->id, ':', i + 1);
		strlcpy_t(d.variant_id, l->variant_id, sizeof(d.variant_id));
		strlcpy_t(d.location_id, o->location_id, sizeof(d.location_id));
		err = st->ops->delta_add(st, &d);
		if (err == TALAD_EEXIST)
			continue;
		if (err)
			return err;
		char key[2 * ST_ID_SIZE + 1];
		join_id(key, sizeof(key), l->variant_id, ' ', 0);
		strlcpy_t(key + strlen(key), o->location_id, sizeof(key) - strlen(key));
		*smap_get(&p->levels, key, true) -= l->quantity;
	}
	res->outcome = APPLIED;
	return TALAD_OK;
}

static int apply_drawer(struct push *p, const json_t *payload, struct result *res)
{
	static const char *const keys[] = {"id", "staff_id", "reason", "opened_at", NULL};
	struct jerr e;
	const char *id, *staff_id, *reason;
	int64_t opened_at;
	if (jfield_known(payload, keys, "", &e) || jfield_uuid(payload, "id", "", true, &id, &e) ||
	    jfield_uuid(payload, "staff_id", "", false, &staff_id, &e) ||
	    jfield_str(payload, "reason", "", true, 0, ST_NAME_MAX - 1, &reason, &e) ||
	    jfield_time(payload, "opened_at", "", true, &opened_at, NULL, &e)) {
		reject(res, "invalid_payload", "%s", e.message);
		return TALAD_OK;
	}
	struct st_drawer d = {.opened_at = opened_at, .received_at = p->now};
	strlcpy_t(d.id, id, sizeof(d.id));
	strlcpy_t(d.register_id, p->r->reg.id, sizeof(d.register_id));
	strlcpy_t(d.staff_id, staff_id ? staff_id : "", sizeof(d.staff_id));
	strlcpy_t(d.reason, reason, sizeof(d.reason));
	int err = p->r->st->ops->drawer_add(p->r->st, &d);
	if (err == TALAD_EEXIST) {
		res->outcome = DUPLICATE;
		return TALAD_OK;
	}
	res->outcome = APPLIED;
	return err;
}

static int order_known_cb(void *arg, const struct st_order *o)
{
	(void)o;
	*(bool *)arg = true;
	return TALAD_OK;
}

static int apply_mail(struct push *p, const char *op_id, const json_t *payload, struct result *res)
{
	static const char *const keys[] = {"order_id", "email", NULL};
	struct jerr e;
	const char *order_id, *email;
	if (jfield_known(payload, keys, "", &e) ||
	    jfield_uuid(payload, "order_id", "", true, &order_id, &e) ||
	    jfield_str(payload, "email", "", true, 1, ST_EMAIL_MAX - 1, &email, &e)) {
		reject(res, "invalid_payload", "%s", e.message);
		return TALAD_OK;
	}
	const char *why;
	if (!email_address_valid(email, &why)) {
		reject(res, "invalid_payload", "email '%s' is not a usable e-mail address: it %s",
		       email, why);
		return TALAD_OK;
	}
	/* The order came before, in this batch or an earlier one: a receipt
	 * of an order this back office refused or never saw cannot be sent. */
	bool known = false;
	int err = p->r->st->ops->order_get(p->r->st, order_id, order_known_cb, &known);
	if (err == TALAD_ENOTFOUND) {
		reject(res, "unknown_order", "no order %s on the back office", order_id);
		return TALAD_OK;
	}
	if (err)
		return err;
	struct st_mail m = {.created_at = p->now, .next_attempt_at = p->now};
	strlcpy_t(m.op_id, op_id, sizeof(m.op_id));
	strlcpy_t(m.register_id, p->r->reg.id, sizeof(m.register_id));
	strlcpy_t(m.order_id, order_id, sizeof(m.order_id));
	strlcpy_t(m.email, email, sizeof(m.email));
	strlcpy_t(m.status, "queued", sizeof(m.status));
	err = p->r->st->ops->mail_add(p->r->st, &m);
	if (err == TALAD_EEXIST) {
		/* The same op again, or the same receipt to the same address. */
		res->outcome = DUPLICATE;
		return TALAD_OK;
	}
	if (err == TALAD_OK)
		p->mails++;
	res->outcome = APPLIED;
	return err;
}

static const char *outcome_name(enum outcome o)
{
	return o == APPLIED ? "applied" : o == DUPLICATE ? "duplicate" : "rejected";
}

/* Applies the mutation with seq = last + 1. A non-OK return is a database
 * failure that aborts the batch; business outcomes are in res. */
static int apply_one(struct push *p, struct push_item *it, struct result *res)
{
	struct store *st = p->r->st;
	const char *reg_id = p->r->reg.id;
	memset(res, 0, sizeof(*res));
	int err =
	    st->ops->mutation_add(st, reg_id, it->seq, it->op_id, it->type, "applied", p->now);
	if (err == TALAD_EEXIST) {
		/* The same operation under another seq: already done. */
		res->outcome = DUPLICATE;
		return TALAD_OK;
	}
	if (err)
		return err;
	if (!strcmp(it->type, "order.create"))
		err = apply_order(p, it, res);
	else if (!strcmp(it->type, "drawer.open"))
		err = apply_drawer(p, it->payload, res);
	else if (!strcmp(it->type, "receipt.email"))
		err = apply_mail(p, it->op_id, it->payload, res);
	else
		reject(res, "unknown_type", "unknown mutation type '%s'", it->type);
	if (err)
		return err;
	if (res->outcome == APPLIED)
		return TALAD_OK;
	if ((err = st->ops->mutation_set_status(st, reg_id, it->seq, outcome_name(res->outcome))))
		return err;
	if (res->outcome != REJECTED)
		return TALAD_OK;
	log_warnx("push: register %s seq %" PRId64 " %s rejected: %s: %s", p->r->reg.code, it->seq,
	          it->type, res->code, res->message);
	struct st_rejection rj = {.seq = it->seq,
	                          .message = res->message,
	                          .payload = it->payload_text,
	                          .created_at = p->now};
	strlcpy_t(rj.register_id, reg_id, sizeof(rj.register_id));
	strlcpy_t(rj.op_id, it->op_id, sizeof(rj.op_id));
	strlcpy_t(rj.type, it->type, sizeof(rj.type));
	strlcpy_t(rj.code, res->code, sizeof(rj.code));
	return st->ops->rejection_add(st, &rj);
}

void api_sync_push(struct api_req *r)
{
	struct store *st = r->st;
	struct push_batch batch;
	struct jerr e;
	int64_t t0 = time_mono_ms(), t1 = 0, t2 = 0, t3 = 0;
	/* The mutations are read on other threads while the ones before are
	 * applied; a malformed one anywhere still refuses the whole batch (the
	 * transaction is rolled back). */
	switch (pushparse_start(r->h->body, r->h->body_len, API_PUSH_MAX, &batch, &e)) {
	case PUSHPARSE_OK:
		break;
	case PUSHPARSE_BAD_JSON:
		api_error(r, 400, "bad_json", "%s", e.message);
		return;
	default:
		api_field_error(r, &e);
		return;
	}
	if (strcmp(batch.register_id, r->reg.id)) {
		pushparse_release(&batch);
		api_error(r, 403, "wrong_register",
		          "register_id is not the register of this token");
		return;
	}
	t1 = time_mono_ms();
	struct push p = {.r = r, .now = time_now_ms()};
	struct buf b = BUF_INIT(CHANGES_MAX);
	struct jsonw w;
	bool feed = false;
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (err)
		goto db_fail;
	if (api_shop(r, &p.shop))
		goto out;
	/* The last seq as of now, under the write lock. */
	err = st->ops->register_get(st, r->reg.id, &r->reg);
	if (err == TALAD_ENOTFOUND) {
		st->ops->rollback(st);
		api_error(r, 401, "register_removed", "this register has been removed");
		goto out;
	}
	if (err)
		goto db_fail;
	int64_t last = r->reg.last_seq;
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_key(&w, "results");
	jsonw_arr(&w);
	enum pushparse_error bad = PUSHPARSE_OK;
	bool gap = false;
	for (size_t i = 0; i < batch.n; i++) {
		if ((bad = pushparse_item(&batch, i, &e)))
			break;
		struct push_item *it = &batch.items[i];
		int64_t seq = it->seq;
		struct result res = {.outcome = DUPLICATE};
		if (gap || seq > last + 1) {
			gap = true; /* nothing past a gap, but it must all be well formed */
			continue;
		}
		if (seq == last + 1) {
			if ((err = apply_one(&p, it, &res)))
				goto db_fail;
			last = seq;
		}
		jsonw_obj(&w);
		jsonw_kint(&w, "seq", seq);
		jsonw_kstr(&w, "status", outcome_name(res.outcome));
		if (res.outcome == REJECTED) {
			jsonw_key(&w, "error");
			jsonw_obj(&w);
			jsonw_kstr(&w, "code", res.code);
			jsonw_kstr(&w, "message", res.message);
			jsonw_obj_end(&w);
		}
		jsonw_obj_end(&w);
	}
	jsonw_arr_end(&w);
	if (bad) {
		st->ops->rollback(st);
		if (bad == PUSHPARSE_BAD_JSON)
			api_error(r, 400, "bad_json", "%s", e.message);
		else
			api_field_error(r, &e);
		goto out;
	}
	/* One level change per touched (variant, location) for the batch. */
	for (size_t k = 0; k < p.levels.n; k++) {
		size_t slot = p.levels.order[k];
		char variant[ST_ID_SIZE];
		const char *key = p.levels.keys[slot];
		const char *location = strchr(key, ' ') + 1;
		int64_t available;
		strlcpy_t(variant, key, sizeof(variant));
		if ((err = st->ops->level_add(st, variant, location, p.levels.vals[slot],
		                              &available)) ||
		    (err = api_feed_level(st, variant, location, available)))
			goto db_fail;
		feed = true;
	}
	t2 = time_mono_ms();
	if (last != r->reg.last_seq && (err = st->ops->register_set_seq(st, r->reg.id, last)))
		goto db_fail;
	if ((err = st->ops->register_touch(st, r->reg.id, p.now, batch.pending)))
		goto db_fail;
	err = feed ? api_feed_commit(r) : st->ops->commit(st);
	if (err)
		goto db_fail;
	if (p.mails)
		mailer_kick();
	t3 = time_mono_ms();
	log_debug("push: register %s: %zu mutations, acked through %" PRId64
	          ": envelope in %" PRId64 " ms, read and applied in %" PRId64
	          " ms, committed in %" PRId64 " ms",
	          r->reg.code, batch.n, last, t1 - t0, t2 - t1, t3 - t2);
	jsonw_kint(&w, "acked_through", last);
	api_reply_w(r, 200, &w, &b);
	goto done;
db_fail:
	api_store_error(r, err);
out:
	buf_release(&b);
done:
	smap_release(&p.levels);
	smap_release(&p.variants);
	pushparse_release(&batch);
}
