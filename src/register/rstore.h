/* The register's local store: one SQLite file (HOME/register.db) with the
 * pairing to the back office, the copy of the catalog, stock, staff and
 * payment methods it sells from, the orders sold here and the outbox of what
 * the back office has not yet acknowledged. A sale is committed here, whole,
 * before anything is printed; the sync client only reads and acknowledges. */
#ifndef TALAD_RSTORE_H
#define TALAD_RSTORE_H

#include "common/uuid.h"
#include "core/cart.h"
#include "core/order.h"
#include "core/tax.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSTORE_DB_NAME        "register.db"
#define RSTORE_SCHEMA_VERSION 2
#define RSTORE_ID_MAX         64 /* server ids (product, staff, method), with the NUL */
#define RSTORE_URL_MAX        512
#define RSTORE_NAME_MAX       128
#define RSTORE_TEXT_MAX       512 /* addresses, footers */
#define RSTORE_CODE_MAX       64  /* barcodes, with the NUL */
#define RSTORE_TOKEN_MAX      256
#define RSTORE_TYPE_MAX       32 /* outbox mutation type, with the NUL */
#define RSTORE_ERROR_MAX      256

/* One handle per thread: a handle may be passed between threads but not used
 * by two at once. Several handles (the till, `sync --watch`, `talad sell` in
 * other processes) may work on the same file at the same time. */
struct rstore;

/* Opens (creating or migrating as needed) the store at path, the database
 * file itself. TALAD_OK; TALAD_EDB with a message in err when the file
 * cannot be opened or was written by a newer talad. The caller closes *out. */
int rstore_open(const char *path, struct rstore **out, char *err, size_t errlen);
/* NULL is fine. */
void rstore_close(struct rstore *st);
/* The file the store was opened from; valid while the handle is open. */
const char *rstore_path(const struct rstore *st);
/* The schema version of the open file (PRAGMA user_version). */
int rstore_schema_version(struct rstore *st, int *version);

/* ---- pairing and sync state ---- */

struct rstore_pairing {
	char server_url[RSTORE_URL_MAX];
	char shop_name[RSTORE_NAME_MAX];
	char register_id[UUID_STRLEN + 1];
	char register_code[16]; /* "R01" */
	char register_name[RSTORE_NAME_MAX];
	char token[RSTORE_TOKEN_MAX]; /* "" when logged out */
	char location_id[UUID_STRLEN + 1];
	char location_name[RSTORE_NAME_MAX];
	bool logged_in;
	int64_t cursor;          /* of the change feed, stored with each page */
	int64_t receipt_counter; /* the last receipt number given out */
	int64_t last_sync;       /* ms since the epoch of the last successful exchange, 0: never */
	int64_t clock_skew_ms;   /* server clock minus ours at the last answer */
	bool sync_online;        /* as last seen by a sync worker or command */
	char sync_error[RSTORE_ERROR_MAX];
	int64_t sync_updated_at; /* when sync_online/sync_error were written */
};

/* TALAD_OK, or TALAD_ENOTFOUND when this home never paired with a server. */
int rstore_get_pairing(struct rstore *st, struct rstore_pairing *out);

/* Records a pairing made at login (server_url, register id, code, name,
 * token, location id/name; the other fields of p are ignored) and leaves the
 * register logged out until rstore_apply_snapshot has succeeded and
 * rstore_set_logged_in(true) is called. With new_identity, everything sold
 * under the previous identity is cleared, numbering and the outbox start
 * again at 1 and the cursor at 0 -- refused with TALAD_ESTATE while the
 * outbox holds unsynced work. Without it, p must carry the stored register
 * id (TALAD_ECONFLICT otherwise). */
int rstore_set_pairing(struct rstore *st, const struct rstore_pairing *p, bool new_identity);

/* Logging in sets the flag; logging out clears it and forgets the token but
 * keeps the register identity, its numbering and its unsynced work, for the
 * next login to the same shop. TALAD_ENOTFOUND when never paired. */
int rstore_set_logged_in(struct rstore *st, bool logged_in);

/* What a sync worker or command saw: online or not, the error when offline
 * (NULL or "" for none), a successful exchange at last_sync (0: leave as is)
 * and the clock skew (when has_skew). */
int rstore_note_sync(struct rstore *st, bool online, const char *error, int64_t last_sync,
                     bool has_skew, int64_t clock_skew_ms);

/* ---- shop settings (from the snapshot and the change feed) ---- */

struct rstore_shop {
	char name[RSTORE_NAME_MAX];
	char currency[4];
	struct tax_rule tax;
	int64_t cash_increment; /* minor units, 0 for none */
	char tax_id[64];
	char address[RSTORE_TEXT_MAX];
	char receipt_footer[RSTORE_TEXT_MAX];
	char promptpay_id[64];
	/* Discounts above this share (millionths) need a manager's PIN at the
	   till; has_discount_limit is false when the back office sent none. */
	bool has_discount_limit;
	int64_t discount_limit_ppm;
};

/* TALAD_OK, or TALAD_ENOTFOUND before the first snapshot. Over-long texts
 * are cut at a character boundary. */
int rstore_get_shop(struct rstore *st, struct rstore_shop *out);

/* ---- catalog ---- */

struct rstore_variant {
	char id[UUID_STRLEN + 1];
	char product_id[RSTORE_ID_MAX];
	char sku[CART_SKU_MAX];        /* "" when none */
	char barcode[RSTORE_CODE_MAX]; /* "" when none */
	char title[CART_TITLE_MAX];    /* the name to sell under: the product's
	                                  title, with the variant's when the
	                                  product has several */
	char product_title[CART_TITLE_MAX];
	char variant_title[CART_TITLE_MAX];
	int64_t price; /* minor units, as shelf prices are */
	bool taxable;
	bool tracked;
	bool has_level;    /* a level was pulled for this variant */
	int64_t level;     /* the last pulled level (0 without one) */
	int64_t unsynced;  /* sum of this register's deltas not yet acknowledged */
	int64_t available; /* level + unsynced: what the register believes is on hand */
};

/* Finds a variant by barcode, then by SKU (exact match). TALAD_OK or
 * TALAD_ENOTFOUND. */
int rstore_find_variant(struct rstore *st, const char *code, struct rstore_variant *out);
/* By variant id. TALAD_OK or TALAD_ENOTFOUND. */
int rstore_get_variant(struct rstore *st, const char *id, struct rstore_variant *out);
/* Variants whose title, product title or SKU contains text (ASCII letters
 * case-insensitively), at most max of them in title order. The caller frees
 * *out. */
int rstore_search(struct rstore *st, const char *text, size_t max, struct rstore_variant **out,
                  size_t *n);
/* The number of variants in the catalog copy. */
int rstore_catalog_count(struct rstore *st, int64_t *n);

/* ---- staff and payment methods ---- */

struct rstore_staff {
	char id[RSTORE_ID_MAX];
	char name[RSTORE_NAME_MAX];
	char role[16];
	char pin_hash[RSTORE_ERROR_MAX]; /* "" when the member has no PIN */
};

/* TALAD_OK or TALAD_ENOTFOUND. */
int rstore_get_staff(struct rstore *st, const char *id, struct rstore_staff *out);
/* All staff in name order; the caller frees *out. */
int rstore_list_staff(struct rstore *st, struct rstore_staff **out, size_t *n);

/* The merchant's custom payment method names, in name order. The caller
 * frees each name and the array (rstore_free_strings). */
int rstore_payment_methods(struct rstore *st, char ***names, size_t *n);
/* Finds a method by name, ignoring ASCII case, and writes its exact name
 * into canonical. TALAD_OK or TALAD_ENOTFOUND. */
int rstore_payment_method_match(struct rstore *st, const char *name, char *canonical, size_t len);
void rstore_free_strings(char **v, size_t n);

/* ---- snapshot and change feed ---- */

struct rstore_apply_stats {
	size_t products;
	size_t variants;
	size_t levels;
	size_t staff;
	size_t methods;
	size_t deleted;
	size_t changes; /* change-feed entries applied (including ignored kinds) */
};

/* Called now and then while a snapshot is applied: done of total variants. */
typedef void (*rstore_progress_fn)(void *arg, size_t done, size_t total);

/* Replaces the catalog, levels, staff, payment methods, shop settings,
 * register/location names and the cursor with those of a snapshot (the JSON
 * of GET /sync/snapshot), all in one transaction. Every field is checked;
 * on TALAD_EINVAL (with the offending field named in err) nothing changes.
 * progress and stats may be NULL. */
int rstore_apply_snapshot(struct rstore *st, const json_t *snap, rstore_progress_fn progress,
                          void *arg, struct rstore_apply_stats *stats, char *err, size_t errlen);

/* The same from the text of a GET /sync/snapshot answer (len bytes, no NUL
 * needed): the products are parsed one at a time, by a second thread while
 * the ones before are written, so that a large catalog never exists as one
 * JSON tree. The same checks and the same one transaction; text that is not
 * JSON is TALAD_EINVAL too. envelope (may be NULL) gets the snapshot's other
 * top-level members (cursor, shop, server_time, ...) as an object, the
 * caller's to json_decref; NULL on failure. */
int rstore_apply_snapshot_text(struct rstore *st, const char *text, size_t len,
                               rstore_progress_fn progress, void *arg,
                               struct rstore_apply_stats *stats, json_t **envelope, char *err,
                               size_t errlen);

/* Applies one page of GET /sync/changes and stores its cursor, in one
 * transaction. Levels of other locations and kinds of change this register
 * does not know are skipped. *more is the page's "more". TALAD_OK or
 * TALAD_EINVAL (nothing changed). */
int rstore_apply_changes(struct rstore *st, const json_t *page, struct rstore_apply_stats *stats,
                         int64_t *cursor, bool *more, char *err, size_t errlen);

/* ---- sales ---- */

/* Commits a sale in one transaction: the order (o->id a new UUIDv7 unless
 * the caller set one -- the id its payments were authorised under --,
 * o->number the register's next gap-free number "R01-000042", o->created_at
 * now, o->register_id and o->location_id from the pairing are filled in
 * here), its lines and payments, one stock delta per tracked catalog line and
 * an outbox row order.create carrying order_to_json(o); when o->email is set,
 * a receipt.email row follows it. The cart must be priced and the settlement
 * made. TALAD_OK once it is durable; TALAD_ESTATE when not logged in;
 * TALAD_EDB/TALAD_EBUSY with a message in err (nothing written, and the
 * fields above are cleared again). */
int rstore_commit_sale(struct rstore *st, struct order *o, char *err, size_t errlen);

/* ---- outbox ---- */

enum rstore_out_status {
	RSTORE_OUT_PENDING = 0,
	RSTORE_OUT_APPLIED = 1,
	RSTORE_OUT_DUPLICATE = 2,
	RSTORE_OUT_REJECTED = 3,
};

/* "pending", "applied", "duplicate", "rejected"; and back (TALAD_EINVAL). */
const char *rstore_out_status_name(enum rstore_out_status s);
int rstore_out_status_parse(const char *s, enum rstore_out_status *out);

struct rstore_outbox_row {
	int64_t seq;
	char op_id[UUID_STRLEN + 1];
	char type[RSTORE_TYPE_MAX];
	int64_t created_at; /* ms since the epoch */
	char *payload;      /* compact JSON text, owned by the row */
	enum rstore_out_status status;
	char error[RSTORE_ERROR_MAX];
};

/* Appends a mutation (type like "drawer.open": lower-case letters, digits,
 * '.', '_') with a new op_id, in its own transaction; *seq (may be NULL)
 * gets its gap-free sequence number. TALAD_OK, TALAD_EINVAL (bad type or
 * payload not an object), TALAD_ESTATE (never paired), TALAD_EDB. */
int rstore_outbox_append(struct rstore *st, const char *type, const json_t *payload, int64_t *seq);
/* The same with a given op_id (a UUID); TALAD_EEXIST when that op_id is
 * already in the outbox (the UNIQUE constraint refuses it). */
int rstore_outbox_append_op(struct rstore *st, const char *op_id, const char *type,
                            const json_t *payload, int64_t *seq);
/* Rows with seq > after_seq in seq order, at most max; only pending ones when
 * pending_only. The caller frees them with rstore_outbox_rows_free. */
int rstore_outbox_read(struct rstore *st, bool pending_only, int64_t after_seq, size_t max,
                       struct rstore_outbox_row **rows, size_t *n);
void rstore_outbox_rows_free(struct rstore_outbox_row *rows, size_t n);
/* Outbox rows the back office has not acknowledged. */
int rstore_pending_count(struct rstore *st, int64_t *n);

/* Asks for the receipt of a stored order (by id or number) to be e-mailed
 * to email: a receipt.email {order_id, email} row tied to the order, in one
 * transaction. The address is the caller's to check. order_id (may be NULL)
 * gets the order's id and *seq (may be NULL) the row's sequence number.
 * TALAD_OK, TALAD_ENOTFOUND (no such order), TALAD_ESTATE (never paired),
 * TALAD_EDB/TALAD_EBUSY with a message in err. */
int rstore_email_receipt(struct rstore *st, const char *id_or_number, const char *email,
                         char order_id[UUID_STRLEN + 1], int64_t *seq, char *err, size_t errlen);
/* The newest receipt.email row of order order_id to email (compared ignoring
 * ASCII case), as written by rstore_commit_sale or rstore_email_receipt.
 * TALAD_OK (the caller frees out->payload) or TALAD_ENOTFOUND. */
int rstore_email_row(struct rstore *st, const char *order_id, const char *email,
                     struct rstore_outbox_row *out);

struct rstore_push_result {
	int64_t seq;
	enum rstore_out_status status; /* applied, duplicate or rejected */
	char error[RSTORE_ERROR_MAX];  /* "code: message" when rejected */
};

struct rstore_push_tally {
	size_t applied;
	size_t duplicate;
	size_t rejected;
};

/* Records a push answer in one transaction: every pending row with seq <=
 * acked_through takes its result from res (a row the answer does not list
 * counts as a duplicate: the server already had it); an order.create row
 * marks its order synced (or rejected, with the reason) and its stock deltas
 * synced. Results above acked_through are ignored. tally may be NULL. */
int rstore_record_push(struct rstore *st, int64_t acked_through,
                       const struct rstore_push_result *res, size_t n,
                       struct rstore_push_tally *tally);

/* ---- orders ---- */

enum rstore_order_status {
	RSTORE_ORDER_WAITING = 0, /* not yet acknowledged by the back office */
	RSTORE_ORDER_SYNCED = 1,
	RSTORE_ORDER_REJECTED = 2, /* recorded by the back office as refused */
};

/* "waiting", "synced", "rejected". */
const char *rstore_order_status_name(enum rstore_order_status s);

struct rstore_order_row {
	char id[UUID_STRLEN + 1];
	char number[ORDER_NUMBER_MAX];
	int64_t created_at;
	int64_t total;
	int64_t change;
	enum rstore_order_status status;
	char error[RSTORE_ERROR_MAX]; /* the reason when rejected */
};

/* Orders in number order, all or only those waiting; the caller frees *rows. */
int rstore_list_orders(struct rstore *st, bool waiting_only, struct rstore_order_row **rows,
                       size_t *n);
/* One order by id or number: its row (may be NULL) and its JSON text (may be
 * NULL; the caller frees it). TALAD_OK or TALAD_ENOTFOUND. */
int rstore_get_order(struct rstore *st, const char *id_or_number, struct rstore_order_row *row,
                     char **json_text);

/* ---- register settings (talad config) ---- */

/* Keys are 1..64 of [a-z0-9._-]: TALAD_EINVAL otherwise. */
bool rstore_setting_key_valid(const char *key);
/* *value is the caller's to free. TALAD_OK or TALAD_ENOTFOUND. */
int rstore_setting_get(struct rstore *st, const char *key, char **value);
int rstore_setting_set(struct rstore *st, const char *key, const char *value);
/* TALAD_OK or TALAD_ENOTFOUND. */
int rstore_setting_unset(struct rstore *st, const char *key);
/* All settings in key order; free both with rstore_free_strings. */
int rstore_settings_list(struct rstore *st, char ***keys, char ***values, size_t *n);

#endif
