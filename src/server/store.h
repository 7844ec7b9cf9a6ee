/* The back office's store interface: every read and write the API handlers
 * make goes through these operations on an opaque handle, so that a second
 * backend (PostgreSQL) can be added without touching a handler. SQLite is the
 * first implementation (store_sqlite.c); docs/SERVER.md says how to add one. */
#ifndef TALAD_SERVER_STORE_H
#define TALAD_SERVER_STORE_H

#include "common/uuid.h"
#include "core/cart.h"
#include "core/tax.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ST_ID_SIZE       (UUID_STRLEN + 1)
#define ST_NAME_MAX      128 /* bytes with the NUL: shop, location, staff, register names */
#define ST_TEXT_MAX      256 /* bytes with the NUL: address, receipt lines */
#define ST_EMAIL_MAX     255 /* bytes with the NUL */
#define ST_BARCODE_MAX   64
#define ST_HASH_MAX      128 /* an argon2id string (crypto_pwhash_STRBYTES) */
#define ST_CODE_MAX      16  /* register code "R01", a status or error code */
#define ST_PROMPTPAY_MAX 32
#define ST_TAXID_MAX     32
#define ST_VARIANTS_MAX  100 /* variants on one product */
/* Discounts above this share need a manager's PIN at the till: 10 %. */
#define ST_DISCOUNT_LIMIT_DEFAULT 100000

/* Shop settings: one row. Amounts in minor units of the currency. */
struct st_shop {
	char name[ST_NAME_MAX];
	char currency[4];
	int exponent; /* of the currency, derived from it */
	int64_t tax_rate_ppm;
	bool tax_included;
	enum tax_rounding tax_rounding;
	int64_t cash_increment; /* 0: no cash rounding */
	char tax_id[ST_TAXID_MAX];
	char address[ST_TEXT_MAX];
	char receipt_header[ST_TEXT_MAX];
	char receipt_footer[ST_TEXT_MAX];
	char promptpay_id[ST_PROMPTPAY_MAX];
	int64_t discount_limit_ppm; /* millionths; above it a discount needs a manager */
};

struct st_location {
	char id[ST_ID_SIZE];
	char name[ST_NAME_MAX];
};

struct st_variant {
	char id[ST_ID_SIZE];
	char sku[CART_SKU_MAX];
	char barcode[ST_BARCODE_MAX]; /* "" for none */
	char title[CART_TITLE_MAX];   /* "" for a product's only variant */
	int64_t price;
	bool taxable;
	bool tracked;
	int64_t available; /* product_list with a location only, else 0 */
};

struct st_product {
	int64_t n; /* creation order, the paging cursor (set by reads) */
	char id[ST_ID_SIZE];
	char title[CART_TITLE_MAX];
	struct st_variant *variants; /* owned: store_product_release frees it */
	size_t nvariants;
};

/* Frees the variants; NULL is fine. */
void store_product_release(struct st_product *p);

enum st_role { ST_ROLE_OWNER = 0, ST_ROLE_MANAGER = 1, ST_ROLE_CASHIER = 2 };

/* "owner", "manager", "cashier" and back (TALAD_OK or TALAD_EINVAL). */
const char *store_role_name(enum st_role r);
int store_role_parse(const char *s, enum st_role *out);

struct st_staff {
	int64_t n; /* creation order, the paging cursor (set by reads) */
	char id[ST_ID_SIZE];
	char name[ST_NAME_MAX];
	char email[ST_EMAIL_MAX]; /* "" for none (a PIN-only cashier) */
	enum st_role role;
	char password_hash[ST_HASH_MAX]; /* "" for none */
	char pin_hash[ST_HASH_MAX];      /* "" for none */
	int failed_logins;
	int64_t locked_until; /* ms since the epoch, 0 when not locked */
};

struct st_register {
	char id[ST_ID_SIZE];
	char name[ST_NAME_MAX];
	char code[ST_CODE_MAX];
	char location_id[ST_ID_SIZE];
	int64_t last_seq;  /* the last outbox seq applied */
	int64_t last_sync; /* ms, 0 when it never synced */
	int64_t pending;   /* as the register last reported, -1 unknown */
	int64_t created_at;
};

enum st_token_kind { ST_TOKEN_STAFF = 0, ST_TOKEN_REGISTER = 1 };

struct st_token {
	enum st_token_kind kind;
	char subject_id[ST_ID_SIZE]; /* the staff member or register */
	int64_t expires_at;          /* ms, 0 for never */
};

struct st_level {
	int64_t n; /* the variant's creation order, the paging cursor */
	char variant_id[ST_ID_SIZE];
	char sku[CART_SKU_MAX];
	char location_id[ST_ID_SIZE];
	int64_t available;
};

/* One inventory movement. Its id is unique: a replay cannot book it twice. */
struct st_delta {
	char id[80];
	char variant_id[ST_ID_SIZE];
	char location_id[ST_ID_SIZE];
	int64_t delta;
	const char *reason;   /* "sale", "count" */
	const char *order_id; /* NULL unless a sale */
	int64_t created_at;
};

/* A stored order: the validated order JSON plus the columns that are
 * searched. In callbacks the strings belong to the store and live until the
 * callback returns. */
struct st_order {
	int64_t n; /* arrival order on this server; the paging cursor */
	char id[ST_ID_SIZE];
	char number[32];
	char register_id[ST_ID_SIZE];
	char register_code[ST_CODE_MAX]; /* filled in by listings */
	char location_id[ST_ID_SIZE];
	char staff_id[ST_ID_SIZE]; /* "" when not known */
	int64_t created_at;        /* register clock */
	int64_t received_at;       /* server clock */
	int64_t total;
	const char *json; /* the order as pushed */
};

/* A pushed mutation refused for a business reason, for the merchant. */
struct st_rejection {
	int64_t n;
	char register_id[ST_ID_SIZE];
	int64_t seq;
	char op_id[ST_ID_SIZE];
	char type[32];
	char code[64];
	const char *message;
	const char *payload; /* JSON text as pushed */
	int64_t created_at;
};

struct st_drawer {
	int64_t n;
	char id[ST_ID_SIZE];
	char register_id[ST_ID_SIZE];
	char staff_id[ST_ID_SIZE]; /* "" when not known */
	char reason[ST_NAME_MAX];
	int64_t opened_at;
	int64_t received_at;
};

/* A receipt to e-mail, and where mail-out (server/mailer.c) is with it:
 * queued -> sending (claimed with a lease) -> sent | queued again (retry
 * later) | failed (permanent refusal or given up). */
struct st_mail {
	int64_t n;
	char op_id[ST_ID_SIZE];       /* the receipt.email mutation, or made by the admin API */
	char register_id[ST_ID_SIZE]; /* "" when staff asked through the admin API */
	char order_id[ST_ID_SIZE];
	char email[ST_EMAIL_MAX];
	char status[ST_CODE_MAX]; /* "queued", "sending", "sent", "failed" */
	int64_t created_at;
	char staff_id[ST_ID_SIZE]; /* who asked through the admin API, else "" */
	int attempts;              /* claims so far; also names the current claim */
	int64_t next_attempt_at;   /* queued: not before this (ms; 0: at once) */
	int64_t lease_until;       /* sending: another worker may claim it after this */
	int64_t sent_at;           /* sent: when the SMTP server accepted it, else 0 */
	char error[ST_TEXT_MAX];   /* the last failure, "" for none */
};

struct st_paymethod {
	char id[ST_ID_SIZE];
	char name[64];
};

/* A payment authorization: a hold on a card (through a gateway) or on a gift
 * card's balance, asked for by a register for one of its orders and captured
 * when that order arrives. Its id is made by the register, so a repeated
 * request finds the first one. Never more of a card than brand and last4. */
#define ST_REF_MAX      128 /* bytes with the NUL: the reference on the order */
#define ST_GIFTCODE_MAX 64
#define ST_SHIP_MAX     512

struct st_auth {
	int64_t n; /* creation order, the paging cursor (set by reads) */
	char id[ST_ID_SIZE];
	char register_id[ST_ID_SIZE];
	char order_id[ST_ID_SIZE];
	char method[16];  /* "card", "gift_card" */
	char gateway[16]; /* "test" for cards; "gift_card" for the gift card ledger */
	char status[16];  /* authorized, declined, captured, voided, expired */
	int64_t amount;   /* minor units, > 0 */
	char currency[4];
	char reference[ST_REF_MAX]; /* what the order's payment carries; unique */
	char gateway_ref[64];       /* the gateway's own reference */
	char card_brand[16];        /* "" unless a card */
	char card_last4[5];
	char gift_code[ST_GIFTCODE_MAX]; /* "" unless a gift card */
	char decline_code[32];           /* "" unless declined */
	char decline_message[128];
	int64_t created_at;
	int64_t expires_at;  /* an authorized hold not captured by then is released */
	int64_t captured_at; /* 0 when not */
	int64_t voided_at;   /* 0 when not (also the time it expired) */
};

/* A gift card: its balance in minor units and what active authorizations
 * hold of it; available = balance - held, never below zero (CHECKs). */
struct st_giftcard {
	int64_t n;
	char code[ST_GIFTCODE_MAX]; /* upper case */
	char currency[4];
	int64_t initial;
	int64_t balance;
	int64_t held;
	int64_t created_at;
	int64_t updated_at;
};

/* A fulfilment of an order: shipping to the customer, "unfulfilled" until
 * the merchant ships it. One per order. */
struct st_fulfilment {
	int64_t n;
	char id[ST_ID_SIZE];
	char order_id[ST_ID_SIZE];
	char kind[16];   /* "shipping" */
	char status[16]; /* "unfulfilled", "fulfilled" */
	char address[ST_SHIP_MAX];
	char email[ST_EMAIL_MAX]; /* "" for none */
	int64_t created_at;
};

/* Listing callbacks: return TALAD_OK to go on, anything else stops the walk
 * and is returned by the listing operation. A callback must not call the
 * store (the listing statement is still running). */
typedef int (*st_location_cb)(void *arg, const struct st_location *l);
typedef int (*st_product_cb)(void *arg, const struct st_product *p);
typedef int (*st_staff_cb)(void *arg, const struct st_staff *s);
typedef int (*st_register_cb)(void *arg, const struct st_register *r);
typedef int (*st_level_cb)(void *arg, const struct st_level *l);
typedef int (*st_order_cb)(void *arg, const struct st_order *o);
typedef int (*st_rejection_cb)(void *arg, const struct st_rejection *r);
typedef int (*st_drawer_cb)(void *arg, const struct st_drawer *d);
typedef int (*st_mail_cb)(void *arg, const struct st_mail *m);
typedef int (*st_paymethod_cb)(void *arg, const struct st_paymethod *m);
typedef int (*st_change_cb)(void *arg, int64_t seq, const char *type, const char *data);
typedef int (*st_auth_cb)(void *arg, const struct st_auth *a);
typedef int (*st_fulfilment_cb)(void *arg, const struct st_fulfilment *f);

enum st_tx { ST_TX_READ = 0, ST_TX_WRITE = 1 };

struct store;

/* Every operation returns TALAD_OK or a negative code: TALAD_ENOTFOUND for a
 * missing row, TALAD_EEXIST when a UNIQUE constraint stopped a duplicate,
 * TALAD_EBUSY when the database stayed locked, TALAD_EDB for anything else.
 * Operations outside begin/commit run each in their own implicit
 * transaction. A handle is used by one thread at a time. */
struct store_ops {
	const char *backend; /* "sqlite" */
	void (*close)(struct store *s);

	/* Transactions. A write transaction takes the write lock at once, so
	 * two writers never deadlock upgrading. A read transaction sees one
	 * consistent state of the database until commit. rollback is safe to
	 * call when no transaction is open. */
	int (*begin)(struct store *s, enum st_tx kind);
	int (*commit)(struct store *s);
	void (*rollback)(struct store *s);

	/* A named counter that starts at 1 (register codes). */
	int (*counter_next)(struct store *s, const char *name, int64_t *out);

	int (*shop_get)(struct store *s, struct st_shop *out);
	int (*shop_put)(struct store *s, const struct st_shop *shop);

	int (*location_add)(struct store *s, const struct st_location *l);
	int (*location_get)(struct store *s, const char *id, struct st_location *out);
	/* In creation order; the first is the default location. */
	int (*location_list)(struct store *s, st_location_cb cb, void *arg);

	/* Creates a product or replaces one (by id): variants are inserted or
	 * updated by their id, and the product's variants missing from p are
	 * removed with their levels. TALAD_EEXIST on a duplicate SKU or
	 * barcode, TALAD_ENOTFOUND when replacing a product that is not there. */
	int (*product_put)(struct store *s, const struct st_product *p, bool create);
	/* out->variants is allocated: store_product_release. */
	int (*product_get)(struct store *s, const char *id, struct st_product *out);
	int (*product_delete)(struct store *s, const char *id);
	/* Products with n > after (0 from the start), at most limit (0 for
	 * all), in creation order. With location_id, variants carry their
	 * level there. */
	int (*product_list)(struct store *s, int64_t after, int limit, const char *location_id,
	                    st_product_cb cb, void *arg);
	/* The product id of a variant, and whether it is tracked. */
	int (*variant_info)(struct store *s, const char *variant_id, char product_id[ST_ID_SIZE],
	                    bool *tracked);
	int (*variant_by_sku)(struct store *s, const char *sku, struct st_variant *out);
	/* Which variant (if any) holds a SKU or barcode: TALAD_ENOTFOUND when none. */
	int (*variant_owner)(struct store *s, const char *column_sku_or_barcode, const char *value,
	                     char variant_id[ST_ID_SIZE]);

	/* Tracked variants with their level at a location (0 when none was
	 * ever booked), in creation order after n = after. */
	int (*level_list)(struct store *s, const char *location_id, int64_t after, int limit,
	                  st_level_cb cb, void *arg);
	int (*level_get)(struct store *s, const char *variant_id, const char *location_id,
	                 int64_t *available);
	/* Records a movement; TALAD_EEXIST when its id was booked before. */
	int (*delta_add)(struct store *s, const struct st_delta *d);
	/* Adds delta to the level (created at 0) and gives the new level. */
	int (*level_add)(struct store *s, const char *variant_id, const char *location_id,
	                 int64_t delta, int64_t *available);

	int (*staff_add)(struct store *s, const struct st_staff *st);
	int (*staff_get)(struct store *s, const char *id, struct st_staff *out);
	int (*staff_by_email)(struct store *s, const char *email, struct st_staff *out);
	/* In creation order after n = after. */
	int (*staff_list)(struct store *s, int64_t after, int limit, st_staff_cb cb, void *arg);
	/* Records the outcome of a login attempt. */
	int (*staff_set_lockout)(struct store *s, const char *id, int failed_logins,
	                         int64_t locked_until);

	/* Tokens are stored by their hash (hex), never in clear. */
	int (*token_add)(struct store *s, const char *hash, const struct st_token *t, int64_t now);
	int (*token_get)(struct store *s, const char *hash, struct st_token *out);
	int (*token_delete)(struct store *s, const char *hash);
	/* Removes every token of a staff member or register. */
	int (*token_delete_subject)(struct store *s, const char *subject_id);
	int (*token_prune)(struct store *s, int64_t now);

	int (*register_add)(struct store *s, const struct st_register *r);
	/* Removed registers are not found. */
	int (*register_get)(struct store *s, const char *id, struct st_register *out);
	int (*register_list)(struct store *s, st_register_cb cb, void *arg);
	/* last_sync = now; pending >= 0 replaces the reported count. */
	int (*register_touch)(struct store *s, const char *id, int64_t now, int64_t pending);
	int (*register_set_seq)(struct store *s, const char *id, int64_t last_seq);
	int (*register_remove)(struct store *s, const char *id, int64_t now);

	int (*paymethod_add)(struct store *s, const struct st_paymethod *m);
	int (*paymethod_list)(struct store *s, st_paymethod_cb cb, void *arg);

	/* The record of a pushed mutation; TALAD_EEXIST when op_id was seen. */
	int (*mutation_add)(struct store *s, const char *register_id, int64_t seq,
	                    const char *op_id, const char *type, const char *status, int64_t now);
	int (*mutation_set_status)(struct store *s, const char *register_id, int64_t seq,
	                           const char *status);

	/* TALAD_EEXIST when the order id is stored already, TALAD_ECONFLICT when
	 * another order holds the same register and number. Sets o->n. */
	int (*order_add)(struct store *s, struct st_order *o);
	int (*order_get)(struct store *s, const char *id, st_order_cb cb, void *arg);
	/* Newest first: orders with n < before (0 from the newest). */
	int (*order_list)(struct store *s, int64_t before, int limit, st_order_cb cb, void *arg);

	int (*rejection_add)(struct store *s, const struct st_rejection *r);
	int (*rejection_list)(struct store *s, int64_t before, int limit, st_rejection_cb cb,
	                      void *arg);
	/* TALAD_EEXIST when the drawer event id was stored already. */
	int (*drawer_add)(struct store *s, const struct st_drawer *d);
	int (*drawer_list)(struct store *s, int64_t before, int limit, st_drawer_cb cb, void *arg);
	/* A receipt mail is UNIQUE by (order_id, email), the address compared
	 * without regard to ASCII case: TALAD_EEXIST for the same op_id or the
	 * same receipt to the same address again. Stored with m's status,
	 * next_attempt_at and staff_id. */
	int (*mail_add)(struct store *s, const struct st_mail *m);
	int (*mail_list)(struct store *s, int64_t before, int limit, st_mail_cb cb, void *arg);
	/* The mail of an order to an address (any status); TALAD_ENOTFOUND. */
	int (*mail_find)(struct store *s, const char *order_id, const char *email,
	                 struct st_mail *out);
	/* When a mail can next be claimed: the earliest next_attempt_at of the
	 * queued mails and lease_until of the sending ones. TALAD_ENOTFOUND
	 * when none is queued or sending. */
	int (*mail_next_due)(struct store *s, int64_t *due_at);
	/* Claims the oldest due mail -- queued with next_attempt_at <= now, or
	 * sending with a lease that ended by now (its worker died) -- in one
	 * statement: status "sending", lease_until, attempts + 1. out is the
	 * claimed row. TALAD_ENOTFOUND when none is due. */
	int (*mail_claim)(struct store *s, int64_t now, int64_t lease_until, struct st_mail *out);
	/* Ends the claim named by m->n and m->attempts with m->status: "sent"
	 * (m->sent_at), "queued" (m->next_attempt_at, m->error) or "failed"
	 * (m->error). TALAD_ECONFLICT when the claim is no longer held (its
	 * lease ended and another worker claimed the mail). */
	int (*mail_settle)(struct store *s, const struct st_mail *m);
	/* Queues a failed mail again, due at now, attempts from 0 and
	 * created_at now (mail-out gives up 72 hours after created_at).
	 * TALAD_ECONFLICT when mail n is not there or not failed. */
	int (*mail_requeue)(struct store *s, int64_t n, int64_t now);

	/* The change feed. Changes get increasing seqs in commit order (the
	 * backend must guarantee that a reader never passes a change that
	 * commits later with a lower seq). location_id is NULL for changes that
	 * every register gets. */
	int (*feed_append)(struct store *s, const char *type, const char *location_id,
	                   const char *data, int64_t *seq);
	/* Changes with seq > since for a register at location_id (its levels
	 * and every change without a location), at most limit, by seq. */
	int (*feed_read)(struct store *s, int64_t since, const char *location_id, int limit,
	                 st_change_cb cb, void *arg);
	/* floor: changes at or below it are gone; head: the newest seq (floor
	 * when there is none). */
	int (*feed_bounds)(struct store *s, int64_t *floor, int64_t *head);
	/* Drops all but the newest keep changes and raises floor. */
	int (*feed_prune)(struct store *s, int64_t keep);

	/* Payment authorizations. auth_add: TALAD_EEXIST when the id or the
	 * reference is stored already. */
	int (*auth_add)(struct store *s, const struct st_auth *a);
	int (*auth_get)(struct store *s, const char *id, struct st_auth *out);
	int (*auth_by_reference)(struct store *s, const char *reference, struct st_auth *out);
	/* Moves an authorization from status from to status to (captured sets
	 * captured_at, voided and expired set voided_at to now): TALAD_ENOTFOUND
	 * when it is not in status from (someone else moved it first). */
	int (*auth_set_status)(struct store *s, const char *id, const char *from, const char *to,
	                       int64_t now);
	/* Expires every authorized hold whose expires_at <= now, releasing what
	 * gift card ones held; *count (may be NULL) gets how many. */
	int (*auth_expire)(struct store *s, int64_t now, int64_t *count);
	/* Newest first, n < before (0 from the newest); only those of order_id
	 * when it is not NULL. */
	int (*auth_list)(struct store *s, const char *order_id, int64_t before, int limit,
	                 st_auth_cb cb, void *arg);

	/* Gift cards. giftcard_add: TALAD_EEXIST for a code in use. */
	int (*giftcard_add)(struct store *s, const struct st_giftcard *g);
	int (*giftcard_get)(struct store *s, const char *code, struct st_giftcard *out);
	/* Places a hold of amount with one conditional update (balance - held
	 * >= amount), so two registers at once can never take a card below
	 * zero: TALAD_OK, TALAD_EREFUSED (not enough available) or
	 * TALAD_ENOTFOUND (no such card). */
	int (*giftcard_hold)(struct store *s, const char *code, int64_t amount, int64_t now);
	/* Gives a hold back. */
	int (*giftcard_release)(struct store *s, const char *code, int64_t amount, int64_t now);
	/* Takes amount off the balance: out of a hold it placed (from_hold), or
	 * (an expired hold) only while balance - held >= amount, else
	 * TALAD_EREFUSED. */
	int (*giftcard_debit)(struct store *s, const char *code, int64_t amount, bool from_hold,
	                      int64_t now);

	/* Fulfilments: TALAD_EEXIST when the order has one already. */
	int (*fulfilment_add)(struct store *s, const struct st_fulfilment *f);
	int (*fulfilment_list)(struct store *s, const char *order_id, st_fulfilment_cb cb,
	                       void *arg);

	/* Housekeeping that a background thread runs about once a second, off
	 * the request path (SQLite: a passive checkpoint of the write-ahead
	 * log, so commits rarely pay for one). */
	int (*maintain)(struct store *s);
};

struct store {
	const struct store_ops *ops;
};

/* Opens (create: creates) the SQLite database at path, applies the
 * migrations and hands back a handle that the caller closes with
 * s->ops->close. TALAD_OK, TALAD_ENOTFOUND (no database and !create) or
 * TALAD_EDB with a message in err. */
int store_sqlite_open(const char *path, bool create, struct store **out, char *err, size_t errlen);
/* Creates or opens the database file at path and brings it to schema
 * version (1 .. the newest) and no further: what a database written by an
 * older talad-server looks like, for testing the later migrations on it.
 * TALAD_OK, TALAD_EINVAL (no such version) or TALAD_EDB. */
int store_sqlite_migrate_to(const char *path, int version, char *err, size_t errlen);

#endif
