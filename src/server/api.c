/* The API's front door: the route table, bearer-token authentication with
 * the right 401/403, body parsing, and the helpers every handler answers
 * with (errors as {"error":{code,message},"server_time"}). */
#include "server/api.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "server/changefeed.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct route {
	const char *method;
	const char *pattern; /* "{id}" matches one path segment */
	enum api_auth auth;
	void (*fn)(struct api_req *r);
	bool raw_body; /* the handler reads the body itself */
};

static const struct route routes[] = {
    {"GET", "/api/v1/health", API_PUBLIC, api_health},
    {"POST", "/api/v1/auth/login", API_PUBLIC, api_login},
    {"POST", "/api/v1/auth/logout", API_STAFF, api_logout},
    {"GET", "/api/v1/shop", API_STAFF, api_shop_get},
    {"PUT", "/api/v1/shop", API_MANAGER, api_shop_put},
    {"GET", "/api/v1/locations", API_STAFF, api_locations_get},
    {"POST", "/api/v1/locations", API_MANAGER, api_locations_post},
    {"GET", "/api/v1/products", API_STAFF, api_products_get},
    {"POST", "/api/v1/products", API_MANAGER_OR_REGISTER, api_products_post},
    {"GET", "/api/v1/products/{id}", API_STAFF, api_product_get},
    {"PUT", "/api/v1/products/{id}", API_MANAGER, api_product_put},
    {"DELETE", "/api/v1/products/{id}", API_MANAGER, api_product_delete},
    {"GET", "/api/v1/inventory", API_STAFF, api_inventory_get},
    {"POST", "/api/v1/inventory/set", API_MANAGER, api_inventory_set},
    {"GET", "/api/v1/orders", API_STAFF, api_orders_get},
    {"GET", "/api/v1/orders/{id}", API_STAFF, api_order_get},
    {"GET", "/api/v1/registers", API_STAFF, api_registers_get},
    {"POST", "/api/v1/registers", API_STAFF, api_registers_post},
    {"POST", "/api/v1/registers/{id}/token", API_STAFF, api_register_token},
    {"DELETE", "/api/v1/registers/{id}", API_MANAGER, api_register_delete},
    {"GET", "/api/v1/staff", API_MANAGER, api_staff_get},
    {"POST", "/api/v1/staff", API_MANAGER, api_staff_post},
    {"GET", "/api/v1/payment-methods", API_STAFF, api_paymethods_get},
    {"POST", "/api/v1/payment-methods", API_MANAGER, api_paymethods_post},
    {"GET", "/api/v1/rejections", API_STAFF, api_rejections_get},
    {"GET", "/api/v1/drawer-events", API_STAFF, api_drawer_get},
    {"GET", "/api/v1/mail", API_STAFF, api_mail_get},
    {"GET", "/api/v1/mail-queue", API_STAFF, api_mail_get}, /* the first name of /mail */
    {"POST", "/api/v1/orders/{id}/email", API_STAFF, api_order_email},
    {"GET", "/api/v1/sync/snapshot", API_REGISTER, api_sync_snapshot},
    {"GET", "/api/v1/sync/changes", API_REGISTER, api_sync_changes},
    {"POST", "/api/v1/sync/push", API_REGISTER, api_sync_push, true},
    {"POST", "/api/v1/payments/authorize", API_REGISTER, api_payments_authorize},
    {"POST", "/api/v1/payments/{id}/void", API_REGISTER, api_payment_void, true},
    {"GET", "/api/v1/payments", API_STAFF, api_payments_get},
    {"GET", "/api/v1/payments/{id}", API_STAFF, api_payment_get},
    {"POST", "/api/v1/gift-cards", API_MANAGER, api_giftcards_post},
    {"GET", "/api/v1/gift-cards/{id}", API_STAFF, api_giftcard_get},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

size_t api_body_max(const char *method, const char *path)
{
	(void)method;
	return strcmp(path, "/api/v1/sync/push") ? API_BODY_MAX : API_PUSH_BODY_MAX;
}

/* Matches path against pattern; the {id} segment goes to param. */
static bool match(const char *pattern, const char *path, char *param, size_t plen)
{
	while (*pattern && *path) {
		if (!strncmp(pattern, "{id}", 4)) {
			size_t n = strcspn(path, "/");
			if (n == 0 || n >= plen)
				return false;
			memcpy(param, path, n);
			param[n] = '\0';
			path += n;
			pattern += 4;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	return !*pattern && !*path;
}

void api_time_str(int64_t ms, char out[32])
{
	char iso[TIME_ISO_LEN + 1];
	time_format_iso(ms, iso);
	strlcpy_t(out, iso, 32);
}

json_t *api_time_json(int64_t ms)
{
	if (ms <= 0)
		return json_null();
	char iso[32];
	api_time_str(ms, iso);
	return json_string(iso);
}

static void respond_json(struct api_req *r, int status, json_t *obj)
{
	char now[32];
	api_time_str(time_now_ms(), now);
	json_object_set_new(obj, "server_time", json_string(now));
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!text) {
		text = xstrdup("{\"error\":{\"code\":\"internal\",\"message\":\"cannot encode the "
		               "answer\"}}");
		status = 500;
	}
	httpd_respond(r->h, status, text, strlen(text));
}

void api_reply(struct api_req *r, int status, json_t *obj)
{
	respond_json(r, status, obj);
}

void api_reply_w(struct api_req *r, int status, struct jsonw *w, struct buf *b)
{
	char now[32];
	api_time_str(time_now_ms(), now);
	jsonw_kstr(w, "server_time", now);
	jsonw_obj_end(w);
	if (w->err) {
		buf_release(b);
		api_error(r, 500, "internal", "the answer is too large");
		return;
	}
	size_t len;
	char *text = buf_detach(b, &len);
	httpd_respond(r->h, status, text, len);
}

static void error_with_field(struct api_req *r, int status, const char *code, const char *field,
                             const char *message)
{
	json_t *e = json_pack("{s:s, s:s}", "code", code, "message", message);
	if (!e) /* a message that is not UTF-8 */
		e = json_pack("{s:s, s:s}", "code", code, "message", "invalid request");
	if (field && *field)
		json_object_set_new(e, "field", json_string(field));
	json_t *root = json_object();
	json_object_set_new(root, "error", e);
	respond_json(r, status, root);
}

void api_error(struct api_req *r, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_with_field(r, status, code, NULL, msg);
}

void api_field_error(struct api_req *r, const struct jerr *e)
{
	error_with_field(r, 400, "invalid_field", e->field, e->message);
}

void api_store_error(struct api_req *r, int err)
{
	r->st->ops->rollback(r->st);
	if (err == TALAD_EBUSY) {
		strlcpy_t(r->h->retry_after, "1", sizeof(r->h->retry_after));
		api_error(r, 503, "busy", "the database is busy: try again");
		return;
	}
	api_error(r, 500, "internal", "database error: %s", talad_strerror(err));
}

int api_paging(struct api_req *r, int64_t def, int64_t max, int64_t *limit, int64_t *cursor)
{
	struct jerr e;
	if (jfield_query_int(httpd_query(r->h, "limit"), "limit", 1, max, def, limit, &e) ||
	    jfield_query_int(httpd_query(r->h, "cursor"), "cursor", 1, INT64_MAX, 0, cursor, &e)) {
		if (!strcmp(e.field, "cursor"))
			snprintf(e.message, sizeof(e.message),
			         "cursor is not valid: use the next_cursor of the page before");
		api_field_error(r, &e);
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

json_t *api_cursor_json(bool more, int64_t last)
{
	if (!more)
		return json_null();
	char s[32];
	snprintf(s, sizeof(s), "%lld", (long long)last);
	return json_string(s);
}

int api_shop(struct api_req *r, struct st_shop *out)
{
	int err = r->st->ops->shop_get(r->st, out);
	if (err == TALAD_ENOTFOUND) {
		api_error(r, 500, "not_initialised",
		          "the shop has no settings: run talad-server init");
		return err;
	}
	if (err)
		api_store_error(r, err);
	return err;
}

void api_health(struct api_req *r)
{
	api_reply(r, 200, json_pack("{s:s, s:s}", "status", "ok", "version", TALAD_VERSION));
}

/* An authentication refusal: answered with status and code, TALAD_EAUTH. */
static int deny(struct api_req *r, int status, const char *code, const char *message)
{
	api_error(r, status, code, message);
	return TALAD_EAUTH;
}

/* After looking up what a token names: TALAD_OK, a 401 refusal (code,
 * message) when it is not there, or the store's error answered. */
static int token_subject(struct api_req *r, int err, const char *code, const char *message)
{
	if (err == TALAD_ENOTFOUND)
		return deny(r, 401, code, message);
	if (err)
		api_store_error(r, err);
	return err;
}

/* Checks the bearer token against what the route needs. TALAD_OK, or the
 * request has been answered. */
static int authenticate(struct api_req *r, enum api_auth need)
{
	const char *h = httpd_header(r->h, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7))
		return deny(r, 401, "missing_token", "an authorization: bearer token is required");
	const char *token = h + 7;
	while (*token == ' ')
		token++;
	if (strlen(token) != CRED_TOKEN_SIZE - 1 ||
	    strspn(token, "0123456789abcdef") != CRED_TOKEN_SIZE - 1)
		return deny(r, 401, "bad_token", "the token is not valid");
	cred_token_hash(token, r->token_hash);
	struct st_token t;
	int err = r->st->ops->token_get(r->st, r->token_hash, &t);
	if ((err = token_subject(r, err, "bad_token", "the token is not valid")))
		return err;
	if (t.expires_at > 0 && t.expires_at <= time_now_ms())
		return deny(r, 401, "token_expired", "the token has expired: log in again");
	if (need == API_REGISTER ||
	    (need == API_MANAGER_OR_REGISTER && t.kind == ST_TOKEN_REGISTER)) {
		if (t.kind != ST_TOKEN_REGISTER)
			return deny(r, 403, "wrong_token_kind",
			            "this endpoint needs a register token");
		err = r->st->ops->register_get(r->st, t.subject_id, &r->reg);
		return token_subject(r, err, "register_removed", "this register has been removed");
	}
	if (t.kind != ST_TOKEN_STAFF)
		return deny(r, 403, "wrong_token_kind", "this endpoint needs a staff token");
	err = r->st->ops->staff_get(r->st, t.subject_id, &r->staff);
	if ((err = token_subject(r, err, "bad_token", "the token is not valid")))
		return err;
	if ((need == API_MANAGER || need == API_MANAGER_OR_REGISTER) &&
	    r->staff.role == ST_ROLE_CASHIER)
		return deny(r, 403, "forbidden", "this needs an owner or a manager");
	return TALAD_OK;
}

static int parse_body(struct api_req *r)
{
	json_error_t je;
	if (r->h->body_len == 0) {
		api_error(r, 400, "bad_json", "a json object body is required");
		return TALAD_EINVAL;
	}
	r->body = json_loadb(r->h->body, r->h->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!r->body) {
		api_error(r, 400, "bad_json", "malformed json at line %d column %d: %s", je.line,
		          je.column, je.text);
		return TALAD_EINVAL;
	}
	if (!json_is_object(r->body)) {
		api_error(r, 400, "bad_json", "the body must be a json object");
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

void api_handle(void *arg, struct httpd_req *h)
{
	struct api_req r = {.h = h, .srv = arg};
	if (h->too_big) {
		api_error(&r, 413, "body_too_large", "the request body is over the %zu mib limit",
		          h->body_max >> 20);
		return;
	}
	const struct route *rt = NULL;
	char allow[64] = "";
	for (size_t i = 0; i < NROUTES; i++) {
		char param[sizeof(r.param)];
		if (!match(routes[i].pattern, h->path, param, sizeof(param)))
			continue;
		if (!strcmp(routes[i].method, h->method)) {
			rt = &routes[i];
			strlcpy_t(r.param, param, sizeof(r.param));
			break;
		}
		if (strlen(allow) + strlen(routes[i].method) + 3 < sizeof(allow)) {
			if (allow[0])
				strcat(allow, ", ");
			strcat(allow, routes[i].method);
		}
	}
	if (!rt) {
		if (allow[0]) {
			strlcpy_t(h->allow, allow, sizeof(h->allow));
			api_error(&r, 405, "method_not_allowed",
			          "%s is not allowed here (allowed: %s)", h->method, allow);
		} else {
			api_error(&r, 404, "not_found", "no such endpoint");
		}
		return;
	}
	char err[256];
	int rc = storepool_get(r.srv->pool, &r.st, err, sizeof(err));
	if (rc) {
		log_error("api: %s", err);
		api_error(&r, 500, "internal", "the database cannot be opened");
		return;
	}
	if (rt->auth == API_PUBLIC || authenticate(&r, rt->auth) == TALAD_OK) {
		bool wants_body = !strcmp(h->method, "POST") || !strcmp(h->method, "PUT");
		/* Logout and token rotation carry no body worth reading. */
		if (wants_body && !rt->raw_body && rt->fn != api_logout &&
		    rt->fn != api_register_token)
			rc = parse_body(&r);
		else
			rc = TALAD_OK;
		if (rc == TALAD_OK)
			rt->fn(&r);
	}
	json_decref(r.body);
	storepool_put(r.srv->pool, r.st);
}
