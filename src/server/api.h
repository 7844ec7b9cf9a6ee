/* The JSON API of talad-server (/api/v1): the router, authentication, the
 * answer helpers and the handlers, which reach the data only through the
 * store interface. docs/SERVER.md lists every endpoint. */
#ifndef TALAD_SERVER_API_H
#define TALAD_SERVER_API_H

#include "server/cred.h"
#include "server/httpd.h"
#include "server/jfield.h"
#include "server/jsonw.h"
#include "server/store.h"
#include "server/storepool.h"

#include <jansson.h>
#include <stdint.h>

#define API_BODY_MAX           (1u << 20) /* 1 MiB */
#define API_PUSH_BODY_MAX      (8u << 20) /* 8 MiB for /sync/push */
#define API_STAFF_TOKEN_TTL_MS (12LL * 3600 * 1000)
#define API_LOCKOUT_FAILS      5
#define API_LOCKOUT_MS         (5LL * 60 * 1000)
#define API_PUSH_MAX           500 /* mutations in one push */

struct api_server {
	struct storepool *pool;
	int64_t feed_keep;   /* changes kept in the feed */
	int64_t auth_ttl_ms; /* how long an uncaptured payment authorization holds;
	                        0: PAYMENTS_TTL_DEFAULT_MS */
};

/* API_MANAGER_OR_REGISTER: an owner or manager, or a register (which a staff
 * member enrolled): creating a product from the till (talad product add). */
enum api_auth { API_PUBLIC, API_STAFF, API_MANAGER, API_REGISTER, API_MANAGER_OR_REGISTER };

/* One request as the handlers see it. */
struct api_req {
	struct httpd_req *h;
	struct api_server *srv;
	struct store *st;
	char param[80]; /* the {id} of the path, "" when none */
	json_t *body;   /* the parsed body of POST and PUT, else NULL */
	/* Who is asking (API_STAFF/API_MANAGER: staff; API_REGISTER: reg). */
	struct st_staff staff;
	struct st_register reg;
	char token_hash[CRED_TOKEN_SIZE];
};

/* The httpd callbacks: serve with an api_server as arg. */
void api_handle(void *arg, struct httpd_req *h);
size_t api_body_max(const char *method, const char *path);

/* Answers. Each sets the response once; the last call wins. */
void api_error(struct api_req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 400 invalid_field naming the field. */
void api_field_error(struct api_req *r, const struct jerr *e);
/* 500 (or 503 with Retry-After when the database is busy) for a store error. */
void api_store_error(struct api_req *r, int err);
/* Answers obj (reference stolen) with "server_time" added. */
void api_reply(struct api_req *r, int status, json_t *obj);
/* Answers what w wrote: w's root object is still open; server_time is
 * added and the object closed here. */
void api_reply_w(struct api_req *r, int status, struct jsonw *w, struct buf *b);

/* ISO 8601 of ms (json null for 0). */
json_t *api_time_json(int64_t ms);
void api_time_str(int64_t ms, char out[32]);
/* ?limit= (1..max, def) and ?cursor= (a positive integer from an earlier
 * page's next_cursor, 0 when absent): TALAD_OK or an answered 400. */
int api_paging(struct api_req *r, int64_t def, int64_t max, int64_t *limit, int64_t *cursor);
/* A next_cursor: the number as a string, or null. */
json_t *api_cursor_json(bool more, int64_t last);
/* The shop settings, or an answered error. */
int api_shop(struct api_req *r, struct st_shop *out);

/* The shapes shared by the snapshot and the change feed (PROTOCOL.md). */
void api_w_product(struct jsonw *w, const struct st_product *p, bool with_available);
void api_w_shop(struct jsonw *w, const struct st_shop *s);
void api_w_staff(struct jsonw *w, const struct st_staff *s);
/* Appends a change to the feed in the caller's transaction. */
int api_feed_product(struct store *st, const char *product_id);
int api_feed_product_deleted(struct store *st, const char *product_id);
int api_feed_level(struct store *st, const char *variant_id, const char *location_id,
                   int64_t available);
int api_feed_staff(struct store *st, const struct st_staff *s);
int api_feed_shop(struct store *st, const struct st_shop *s);
int api_feed_paymethod(struct store *st, const struct st_paymethod *m);
/* Prunes the feed to feed_keep, commits, wakes the long polls. */
int api_feed_commit(struct api_req *r);

/* The handlers. */
void api_health(struct api_req *r);
void api_login(struct api_req *r);
void api_logout(struct api_req *r);
void api_shop_get(struct api_req *r);
void api_shop_put(struct api_req *r);
void api_locations_get(struct api_req *r);
void api_locations_post(struct api_req *r);
void api_products_get(struct api_req *r);
void api_products_post(struct api_req *r);
void api_product_get(struct api_req *r);
void api_product_put(struct api_req *r);
void api_product_delete(struct api_req *r);
void api_inventory_get(struct api_req *r);
void api_inventory_set(struct api_req *r);
void api_orders_get(struct api_req *r);
void api_order_get(struct api_req *r);
void api_registers_get(struct api_req *r);
void api_registers_post(struct api_req *r);
void api_register_token(struct api_req *r);
void api_register_delete(struct api_req *r);
void api_staff_get(struct api_req *r);
void api_staff_post(struct api_req *r);
void api_paymethods_get(struct api_req *r);
void api_paymethods_post(struct api_req *r);
void api_rejections_get(struct api_req *r);
void api_drawer_get(struct api_req *r);
void api_mail_get(struct api_req *r);
/* POST /api/v1/orders/{id}/email {email}: a receipt e-mailed on request. */
void api_order_email(struct api_req *r);
/* A queued receipt mail as the admin API shows it (api_mail.c). */
json_t *api_mail_json(const struct st_mail *m);
void api_sync_snapshot(struct api_req *r);
void api_sync_changes(struct api_req *r);
void api_sync_push(struct api_req *r);
/* Payments, gift cards (api_payments.c, api_giftcards.c). */
void api_payments_authorize(struct api_req *r);
void api_payment_void(struct api_req *r);
void api_payments_get(struct api_req *r);
void api_payment_get(struct api_req *r);
void api_giftcards_post(struct api_req *r);
void api_giftcard_get(struct api_req *r);

#endif
