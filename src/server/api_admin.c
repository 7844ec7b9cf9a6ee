/* The merchant's settings and people: shop settings, locations, staff,
 * custom payment methods, registers (enrolment and token rotation), and the
 * read-only lists of what registers sent that needs a look (rejections,
 * drawer openings, the receipt mail queue). */
#include "server/api.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "core/tax.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIST_STOP 1 /* a callback's "page is full" */

/* ---- paging helpers ---- */

struct lister {
	json_t *arr;
	int64_t limit;
	int64_t count;
	bool more;
	int64_t last;
};

static bool lister_full(struct lister *l)
{
	if (l->count < l->limit)
		return false;
	l->more = true;
	return true;
}

static json_t *next_cursor(const struct lister *l)
{
	return api_cursor_json(l->more, l->last);
}

static void lower_ascii(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* ---- shop ---- */

static json_t *shop_json(const struct st_shop *s)
{
	char rate[TAX_RATE_STRLEN], inc[MONEY_STRLEN], limit[TAX_RATE_STRLEN];
	tax_rate_format(s->tax_rate_ppm, rate);
	money_format(s->cash_increment, s->exponent, inc);
	tax_rate_format(s->discount_limit_ppm, limit);
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
	                 s->name, "currency", s->currency, "tax_rate", rate, "tax_included",
	                 s->tax_included, "tax_rounding", tax_rounding_name(s->tax_rounding),
	                 "cash_increment", inc, "tax_id", s->tax_id, "address", s->address,
	                 "receipt_header", s->receipt_header, "receipt_footer", s->receipt_footer,
	                 "promptpay_id", s->promptpay_id, "discount_limit", limit);
}

void api_shop_get(struct api_req *r)
{
	struct st_shop s;
	if (api_shop(r, &s))
		return;
	api_reply(r, 200, json_pack("{s:o}", "shop", shop_json(&s)));
}

/* PromptPay ids are a phone number (10 digits), a tax or citizen id (13) or
 * an e-wallet id (15). */
static bool promptpay_ok(const char *s)
{
	size_t n = strlen(s);
	return n == 0 || ((n == 10 || n == 13 || n == 15) && strspn(s, "0123456789") == n);
}

/* Applies the fields present in body to s: TALAD_OK or EINVAL with e. */
static int shop_apply(const json_t *body, struct st_shop *s, struct jerr *e)
{
	static const char *const keys[] = {
	    "name",           "currency",       "tax_rate", "tax_included",   "tax_rounding",
	    "cash_increment", "tax_id",         "address",  "receipt_header", "receipt_footer",
	    "promptpay_id",   "discount_limit", NULL};
	const char *v;
	bool present;
	int rc;
	if ((rc = jfield_known(body, keys, "", e)))
		return rc;
	if ((rc = jfield_str(body, "name", "", false, 1, ST_NAME_MAX - 1, &v, e)))
		return rc;
	if (v)
		strlcpy_t(s->name, v, sizeof(s->name));
	if ((rc = jfield_str(body, "currency", "", false, 3, 3, &v, e)))
		return rc;
	if (v && strcasecmp(v, s->currency))
		return jfield_fail(e, "", "currency", "cannot be changed once the shop is set up");
	if ((rc = jfield_str(body, "tax_rate", "", false, 1, TAX_RATE_STRLEN - 1, &v, e)))
		return rc;
	if (v && tax_rate_parse(v, &s->tax_rate_ppm) != TALAD_OK)
		return jfield_fail(e, "", "tax_rate",
		                   "must be a percentage from 0 to 100 such as \"7\"");
	if ((rc = jfield_bool(body, "tax_included", "", false, &s->tax_included, NULL, e)))
		return rc;
	if ((rc = jfield_str(body, "tax_rounding", "", false, 1, 16, &v, e)))
		return rc;
	if (v && tax_rounding_parse(v, &s->tax_rounding) != TALAD_OK)
		return jfield_fail(e, "", "tax_rounding", "must be \"line\" or \"order\"");
	int64_t unit = 1;
	for (int i = 0; i < s->exponent; i++)
		unit *= 10;
	if ((rc = jfield_money(body, "cash_increment", "", false, s->exponent, 0, 100 * unit,
	                       &s->cash_increment, &present, e)))
		return rc;
	if ((rc = jfield_str(body, "tax_id", "", false, 0, ST_TAXID_MAX - 1, &v, e)))
		return rc;
	if (v)
		strlcpy_t(s->tax_id, v, sizeof(s->tax_id));
	if ((rc = jfield_str(body, "address", "", false, 0, ST_TEXT_MAX - 1, &v, e)))
		return rc;
	if (v)
		strlcpy_t(s->address, v, sizeof(s->address));
	if ((rc = jfield_str(body, "receipt_header", "", false, 0, ST_TEXT_MAX - 1, &v, e)))
		return rc;
	if (v)
		strlcpy_t(s->receipt_header, v, sizeof(s->receipt_header));
	if ((rc = jfield_str(body, "receipt_footer", "", false, 0, ST_TEXT_MAX - 1, &v, e)))
		return rc;
	if (v)
		strlcpy_t(s->receipt_footer, v, sizeof(s->receipt_footer));
	if ((rc = jfield_str(body, "promptpay_id", "", false, 0, ST_PROMPTPAY_MAX - 1, &v, e)))
		return rc;
	if (v && !promptpay_ok(v))
		return jfield_fail(
		    e, "", "promptpay_id",
		    "must be empty or 10, 13 or 15 digits (phone, tax id, e-wallet)");
	if (v)
		strlcpy_t(s->promptpay_id, v, sizeof(s->promptpay_id));
	/* A percentage as the tax rate is written: "10", "12.5". */
	if ((rc = jfield_str(body, "discount_limit", "", false, 1, TAX_RATE_STRLEN - 1, &v, e)))
		return rc;
	if (v && tax_rate_parse(v, &s->discount_limit_ppm) != TALAD_OK)
		return jfield_fail(e, "", "discount_limit",
		                   "must be a percentage from 0 to 100 such as \"10\"");
	return TALAD_OK;
}

void api_shop_put(struct api_req *r)
{
	struct store *st = r->st;
	struct st_shop s;
	struct jerr e;
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (err) {
		api_store_error(r, err);
		return;
	}
	if (api_shop(r, &s))
		return;
	if (shop_apply(r->body, &s, &e)) {
		st->ops->rollback(st);
		api_field_error(r, &e);
		return;
	}
	if ((err = st->ops->shop_put(st, &s)) || (err = api_feed_shop(st, &s)) ||
	    (err = api_feed_commit(r))) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o}", "shop", shop_json(&s)));
}

/* ---- locations ---- */

static int location_cb(void *arg, const struct st_location *l)
{
	json_array_append_new(arg, json_pack("{s:s, s:s}", "id", l->id, "name", l->name));
	return TALAD_OK;
}

void api_locations_get(struct api_req *r)
{
	json_t *arr = json_array();
	int err = r->st->ops->location_list(r->st, location_cb, arr);
	if (err) {
		json_decref(arr);
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o}", "locations", arr));
}

void api_locations_post(struct api_req *r)
{
	static const char *const keys[] = {"name", NULL};
	struct jerr e;
	const char *name;
	if (jfield_known(r->body, keys, "", &e) ||
	    jfield_str(r->body, "name", "", true, 1, ST_NAME_MAX - 1, &name, &e)) {
		api_field_error(r, &e);
		return;
	}
	struct st_location l;
	uuid_v7(l.id);
	strlcpy_t(l.name, name, sizeof(l.name));
	int err = r->st->ops->location_add(r->st, &l);
	if (err == TALAD_EEXIST) {
		api_error(r, 409, "duplicate", "a location named '%s' exists already", l.name);
		return;
	}
	if (err) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 201, json_pack("{s:{s:s, s:s}}", "location", "id", l.id, "name", l.name));
}

/* ---- staff ---- */

static json_t *staff_json(const struct st_staff *s)
{
	return json_pack("{s:s, s:s, s:o, s:s, s:b, s:b, s:b}", "id", s->id, "name", s->name,
	                 "email", s->email[0] ? json_string(s->email) : json_null(), "role",
	                 store_role_name(s->role), "has_password", s->password_hash[0] != '\0',
	                 "has_pin", s->pin_hash[0] != '\0', "locked",
	                 s->locked_until > time_now_ms());
}

static int staff_cb(void *arg, const struct st_staff *s)
{
	struct lister *l = arg;
	if (lister_full(l))
		return LIST_STOP;
	json_array_append_new(l->arr, staff_json(s));
	l->count++;
	l->last = s->n;
	return TALAD_OK;
}

void api_staff_get(struct api_req *r)
{
	int64_t limit, cursor;
	if (api_paging(r, 100, 500, &limit, &cursor))
		return;
	struct lister l = {.arr = json_array(), .limit = limit};
	int err = r->st->ops->staff_list(r->st, cursor, (int)limit + 1, staff_cb, &l);
	if (err && err != LIST_STOP) {
		json_decref(l.arr);
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o, s:o}", "staff", l.arr, "next_cursor", next_cursor(&l)));
}

void api_staff_post(struct api_req *r)
{
	static const char *const keys[] = {"name", "email", "role", "pin", "password", NULL};
	struct jerr e;
	const char *name, *email, *role, *pin, *password;
	if (jfield_known(r->body, keys, "", &e) ||
	    jfield_str(r->body, "name", "", true, 1, ST_NAME_MAX - 1, &name, &e) ||
	    jfield_str(r->body, "email", "", false, 1, ST_EMAIL_MAX - 1, &email, &e) ||
	    jfield_str(r->body, "role", "", true, 1, 16, &role, &e) ||
	    jfield_str(r->body, "pin", "", false, 0, 64, &pin, &e) ||
	    jfield_str(r->body, "password", "", false, 0, 256, &password, &e)) {
		api_field_error(r, &e);
		return;
	}
	struct st_staff s = {0};
	char why[128];
	if (store_role_parse(role, &s.role)) {
		jfield_fail(&e, "", "role", "must be \"owner\", \"manager\" or \"cashier\"");
		goto bad;
	}
	if (email && !jfield_email_ok(email)) {
		jfield_fail(&e, "", "email", "is not a valid e-mail address");
		goto bad;
	}
	if (pin && cred_check_pin(pin, why, sizeof(why))) {
		jfield_fail(&e, "", "pin", "must be 4 to 12 digits");
		goto bad;
	}
	if (password && cred_check_password(password, why, sizeof(why))) {
		jfield_fail(&e, "", "password", "must have 8 to 256 characters");
		goto bad;
	}
	if (password && !email) {
		jfield_fail(&e, "", "email", "is required with a password (it is the login)");
		goto bad;
	}
	if (!pin && !password) {
		jfield_fail(&e, "", "pin", "or a password is required");
		goto bad;
	}
	if (s.role == ST_ROLE_OWNER && r->staff.role != ST_ROLE_OWNER) {
		api_error(r, 403, "forbidden", "only an owner can add an owner");
		return;
	}
	uuid_v7(s.id);
	strlcpy_t(s.name, name, sizeof(s.name));
	if (email) {
		strlcpy_t(s.email, email, sizeof(s.email));
		lower_ascii(s.email);
	}
	if ((pin && cred_hash_pin(pin, s.pin_hash)) ||
	    (password && cred_hash_password(password, s.password_hash))) {
		api_error(r, 500, "internal", "cannot hash the secret");
		return;
	}
	struct store *st = r->st;
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (!err)
		err = st->ops->staff_add(st, &s);
	if (err == TALAD_EEXIST) {
		st->ops->rollback(st);
		api_error(r, 409, "duplicate", "the e-mail address %s is already used", s.email);
		return;
	}
	if (err || (err = api_feed_staff(st, &s)) || (err = api_feed_commit(r))) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 201, json_pack("{s:o}", "staff", staff_json(&s)));
	return;
bad:
	api_field_error(r, &e);
}

/* ---- payment methods ---- */

static int paymethod_cb(void *arg, const struct st_paymethod *m)
{
	json_array_append_new(arg, json_pack("{s:s, s:s}", "id", m->id, "name", m->name));
	return TALAD_OK;
}

void api_paymethods_get(struct api_req *r)
{
	json_t *arr = json_array();
	int err = r->st->ops->paymethod_list(r->st, paymethod_cb, arr);
	if (err) {
		json_decref(arr);
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o}", "payment_methods", arr));
}

void api_paymethods_post(struct api_req *r)
{
	static const char *const keys[] = {"name", NULL};
	struct jerr e;
	const char *name;
	struct st_paymethod m;
	if (jfield_known(r->body, keys, "", &e) ||
	    jfield_str(r->body, "name", "", true, 1, sizeof(m.name) - 1, &name, &e)) {
		api_field_error(r, &e);
		return;
	}
	if (!strcasecmp(name, "cash") || !strcasecmp(name, "card") ||
	    !strcasecmp(name, "gift_card") || !strcasecmp(name, "gift card")) {
		jfield_fail(&e, "", "name", "is a built-in tender, not a custom method");
		api_field_error(r, &e);
		return;
	}
	uuid_v7(m.id);
	strlcpy_t(m.name, name, sizeof(m.name));
	struct store *st = r->st;
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (!err)
		err = st->ops->paymethod_add(st, &m);
	if (err == TALAD_EEXIST) {
		st->ops->rollback(st);
		api_error(r, 409, "duplicate", "a payment method named '%s' exists already",
		          m.name);
		return;
	}
	if (err || (err = api_feed_paymethod(st, &m)) || (err = api_feed_commit(r))) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 201,
	          json_pack("{s:{s:s, s:s}}", "payment_method", "id", m.id, "name", m.name));
}

/* ---- registers ---- */

static int register_cb(void *arg, const struct st_register *g)
{
	json_array_append_new(arg,
	                      json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id", g->id, "name",
	                                g->name, "code", g->code, "location_id", g->location_id,
	                                "last_sync", api_time_json(g->last_sync), "pending",
	                                g->pending >= 0 ? json_integer(g->pending) : json_null()));
	return TALAD_OK;
}

void api_registers_get(struct api_req *r)
{
	json_t *arr = json_array();
	int err = r->st->ops->register_list(r->st, register_cb, arr);
	if (err) {
		json_decref(arr);
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o}", "registers", arr));
}

static int first_location_cb(void *arg, const struct st_location *l)
{
	struct st_location *out = arg;
	if (!out->id[0])
		*out = *l;
	return TALAD_OK;
}

/* A new register token, stored hashed in the caller's transaction. */
static int issue_register_token(struct store *st, const char *register_id,
                                char token[CRED_TOKEN_SIZE])
{
	char hash[CRED_TOKEN_SIZE];
	cred_token_new(token);
	cred_token_hash(token, hash);
	struct st_token t = {.kind = ST_TOKEN_REGISTER, .expires_at = 0};
	strlcpy_t(t.subject_id, register_id, sizeof(t.subject_id));
	return st->ops->token_add(st, hash, &t, time_now_ms());
}

static json_t *register_json(const struct st_register *g)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "id", g->id, "name", g->name, "code", g->code,
	                 "location_id", g->location_id);
}

void api_registers_post(struct api_req *r)
{
	static const char *const keys[] = {"name", "location_id", NULL};
	struct jerr e;
	const char *name, *location_id;
	if (jfield_known(r->body, keys, "", &e) ||
	    jfield_str(r->body, "name", "", true, 1, ST_NAME_MAX - 1, &name, &e) ||
	    jfield_uuid(r->body, "location_id", "", false, &location_id, &e)) {
		api_field_error(r, &e);
		return;
	}
	struct store *st = r->st;
	struct st_location loc = {0};
	int64_t n;
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (err)
		goto db_fail;
	if (location_id) {
		err = st->ops->location_get(st, location_id, &loc);
		if (err == TALAD_ENOTFOUND) {
			st->ops->rollback(st);
			api_error(r, 404, "not_found", "no location %s", location_id);
			return;
		}
	} else {
		err = st->ops->location_list(st, first_location_cb, &loc);
		if (!err && !loc.id[0]) {
			st->ops->rollback(st);
			api_error(r, 409, "no_location",
			          "the shop has no location to put a register in");
			return;
		}
	}
	if (err || (err = st->ops->counter_next(st, "register_code", &n)))
		goto db_fail;
	struct st_register g = {.last_seq = 0, .last_sync = 0, .pending = -1};
	uuid_v7(g.id);
	strlcpy_t(g.name, name, sizeof(g.name));
	snprintf(g.code, sizeof(g.code), "R%02" PRId64, n);
	strlcpy_t(g.location_id, loc.id, sizeof(g.location_id));
	g.created_at = time_now_ms();
	char token[CRED_TOKEN_SIZE];
	if ((err = st->ops->register_add(st, &g)) ||
	    (err = issue_register_token(st, g.id, token)) || (err = st->ops->commit(st)))
		goto db_fail;
	api_reply(r, 201, json_pack("{s:o, s:s}", "register", register_json(&g), "token", token));
	return;
db_fail:
	api_store_error(r, err);
}

void api_register_token(struct api_req *r)
{
	struct store *st = r->st;
	struct st_register g;
	char token[CRED_TOKEN_SIZE];
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (!err)
		err = st->ops->register_get(st, r->param, &g);
	if (err == TALAD_ENOTFOUND) {
		st->ops->rollback(st);
		api_error(r, 404, "not_found", "no register with this id");
		return;
	}
	if (err || (err = st->ops->token_delete_subject(st, g.id)) ||
	    (err = issue_register_token(st, g.id, token)) || (err = st->ops->commit(st))) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o, s:s}", "register", register_json(&g), "token", token));
}

void api_register_delete(struct api_req *r)
{
	struct store *st = r->st;
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (!err)
		err = st->ops->register_remove(st, r->param, time_now_ms());
	if (err == TALAD_ENOTFOUND) {
		st->ops->rollback(st);
		api_error(r, 404, "not_found", "no register with this id");
		return;
	}
	if (err || (err = st->ops->token_delete_subject(st, r->param)) ||
	    (err = st->ops->commit(st))) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s}", "status", "removed"));
}

/* ---- what the registers sent that needs a look ---- */

static int rejection_cb(void *arg, const struct st_rejection *j)
{
	struct lister *l = arg;
	if (lister_full(l))
		return LIST_STOP;
	json_t *payload = json_loads(j->payload, JSON_DECODE_ANY, NULL);
	json_array_append_new(
	    l->arr,
	    json_pack("{s:s, s:I, s:s, s:s, s:{s:s, s:s}, s:o, s:o}", "register_id", j->register_id,
	              "seq", (json_int_t)j->seq, "op_id", j->op_id, "type", j->type, "error",
	              "code", j->code, "message", j->message, "payload",
	              payload ? payload : json_null(), "created_at", api_time_json(j->created_at)));
	l->count++;
	l->last = j->n;
	return TALAD_OK;
}

static int drawer_cb(void *arg, const struct st_drawer *d)
{
	struct lister *l = arg;
	if (lister_full(l))
		return LIST_STOP;
	json_array_append_new(
	    l->arr,
	    json_pack("{s:s, s:s, s:o, s:s, s:o, s:o}", "id", d->id, "register_id", d->register_id,
	              "staff_id", d->staff_id[0] ? json_string(d->staff_id) : json_null(), "reason",
	              d->reason, "opened_at", api_time_json(d->opened_at), "received_at",
	              api_time_json(d->received_at)));
	l->count++;
	l->last = d->n;
	return TALAD_OK;
}

static int mail_cb(void *arg, const struct st_mail *m)
{
	struct lister *l = arg;
	if (lister_full(l))
		return LIST_STOP;
	json_array_append_new(l->arr, api_mail_json(m));
	l->count++;
	l->last = m->n;
	return TALAD_OK;
}

enum log_kind { LOG_REJECTIONS, LOG_DRAWER, LOG_MAIL };

static void list_log(struct api_req *r, enum log_kind kind, const char *key)
{
	int64_t limit, before;
	if (api_paging(r, 100, 500, &limit, &before))
		return;
	struct lister l = {.arr = json_array(), .limit = limit};
	struct store *st = r->st;
	int err;
	switch (kind) {
	case LOG_REJECTIONS:
		err = st->ops->rejection_list(st, before, (int)limit + 1, rejection_cb, &l);
		break;
	case LOG_DRAWER:
		err = st->ops->drawer_list(st, before, (int)limit + 1, drawer_cb, &l);
		break;
	default:
		err = st->ops->mail_list(st, before, (int)limit + 1, mail_cb, &l);
		break;
	}
	if (err && err != LIST_STOP) {
		json_decref(l.arr);
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o, s:o}", key, l.arr, "next_cursor", next_cursor(&l)));
}

void api_rejections_get(struct api_req *r)
{
	list_log(r, LOG_REJECTIONS, "rejections");
}

void api_drawer_get(struct api_req *r)
{
	list_log(r, LOG_DRAWER, "drawer_events");
}

void api_mail_get(struct api_req *r)
{
	list_log(r, LOG_MAIL, "mail");
}
