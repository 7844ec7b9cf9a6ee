/* The SQLite backend of the store interface: one connection per handle (WAL,
 * synchronous=FULL, foreign keys on), every statement prepared once per
 * connection and reused, the schema versioned with PRAGMA user_version. */
#include "server/store.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Each entry of the array is one schema version; a database at
 * user_version N gets entries N.. applied in one transaction. Append only. */
static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE shop (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL,"
    " currency TEXT NOT NULL, exponent INTEGER NOT NULL, tax_rate_ppm INTEGER NOT NULL,"
    " tax_included INTEGER NOT NULL, tax_rounding TEXT NOT NULL,"
    " cash_increment INTEGER NOT NULL, tax_id TEXT NOT NULL, address TEXT NOT NULL,"
    " receipt_header TEXT NOT NULL, receipt_footer TEXT NOT NULL,"
    " promptpay_id TEXT NOT NULL);"
    "CREATE TABLE locations (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE products (id TEXT PRIMARY KEY, title TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE variants (id TEXT PRIMARY KEY,"
    " product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,"
    " position INTEGER NOT NULL, sku TEXT NOT NULL UNIQUE, barcode TEXT UNIQUE,"
    " title TEXT NOT NULL, price INTEGER NOT NULL CHECK (price >= 0),"
    " taxable INTEGER NOT NULL, tracked INTEGER NOT NULL);"
    "CREATE INDEX variants_product ON variants(product_id, position);"
    "CREATE TABLE levels (variant_id TEXT NOT NULL REFERENCES variants(id) ON DELETE CASCADE,"
    " location_id TEXT NOT NULL REFERENCES locations(id), available INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL, PRIMARY KEY (variant_id, location_id)) WITHOUT ROWID;"
    "CREATE TABLE inventory_deltas (id TEXT PRIMARY KEY, variant_id TEXT NOT NULL,"
    " location_id TEXT NOT NULL, delta INTEGER NOT NULL, reason TEXT NOT NULL,"
    " order_id TEXT, created_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE staff (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " email TEXT UNIQUE COLLATE NOCASE,"
    " role TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'cashier')),"
    " password_hash TEXT, pin_hash TEXT, failed_logins INTEGER NOT NULL DEFAULT 0,"
    " locked_until INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
    "CREATE TABLE tokens (hash TEXT PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind IN ('staff', 'register')),"
    " subject_id TEXT NOT NULL, expires_at INTEGER, created_at INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE INDEX tokens_subject ON tokens(subject_id);"
    "CREATE TABLE registers (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " code TEXT NOT NULL UNIQUE, location_id TEXT NOT NULL REFERENCES locations(id),"
    " last_seq INTEGER NOT NULL DEFAULT 0, last_sync INTEGER, pending INTEGER,"
    " created_at INTEGER NOT NULL, removed_at INTEGER);"
    "CREATE TABLE payment_methods (id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE COLLATE NOCASE, created_at INTEGER NOT NULL);"
    "CREATE TABLE mutations (register_id TEXT NOT NULL, seq INTEGER NOT NULL,"
    " op_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, status TEXT NOT NULL,"
    " received_at INTEGER NOT NULL, PRIMARY KEY (register_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE orders (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " number TEXT NOT NULL, register_id TEXT NOT NULL, location_id TEXT NOT NULL,"
    " staff_id TEXT, created_at INTEGER NOT NULL, received_at INTEGER NOT NULL,"
    " total INTEGER NOT NULL, json TEXT NOT NULL, UNIQUE (register_id, number));"
    "CREATE TABLE rejections (n INTEGER PRIMARY KEY, register_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL, op_id TEXT NOT NULL, type TEXT NOT NULL, code TEXT NOT NULL,"
    " message TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL,"
    " UNIQUE (register_id, seq));"
    "CREATE TABLE drawer_events (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " register_id TEXT NOT NULL, staff_id TEXT, reason TEXT NOT NULL,"
    " opened_at INTEGER NOT NULL, received_at INTEGER NOT NULL);"
    "CREATE TABLE mail_queue (n INTEGER PRIMARY KEY, op_id TEXT NOT NULL UNIQUE,"
    " register_id TEXT NOT NULL, order_id TEXT NOT NULL, email TEXT NOT NULL,"
    " status TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL,"
    " location_id TEXT, data TEXT NOT NULL);",
    /* 2: mail-out -- a claim with a lease, retries, one mail per receipt
       and address (a receipt queued twice before this keeps its first). */
    "ALTER TABLE mail_queue ADD COLUMN staff_id TEXT;"
    "ALTER TABLE mail_queue ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE mail_queue ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE mail_queue ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE mail_queue ADD COLUMN sent_at INTEGER;"
    "ALTER TABLE mail_queue ADD COLUMN last_error TEXT;"
    "DELETE FROM mail_queue WHERE n NOT IN"
    " (SELECT MIN(n) FROM mail_queue GROUP BY order_id, email COLLATE NOCASE);"
    "CREATE UNIQUE INDEX mail_queue_receipt ON mail_queue (order_id, email COLLATE NOCASE);"
    "CREATE INDEX mail_queue_open ON mail_queue (next_attempt_at)"
    " WHERE status IN ('queued', 'sending');",
    /* 3: payments -- authorizations (card holds through a gateway, gift
       card holds), gift cards whose held part can never pass the balance,
       and the shipping fulfilments of orders. */
    "CREATE TABLE payment_auths (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " register_id TEXT NOT NULL, order_id TEXT NOT NULL,"
    " method TEXT NOT NULL CHECK (method IN ('card', 'gift_card')),"
    " gateway TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN"
    " ('authorized', 'declined', 'captured', 'voided', 'expired')),"
    " amount INTEGER NOT NULL CHECK (amount > 0), currency TEXT NOT NULL,"
    " reference TEXT NOT NULL UNIQUE, gateway_ref TEXT NOT NULL, card_brand TEXT,"
    " card_last4 TEXT, gift_code TEXT, decline_code TEXT, decline_message TEXT,"
    " created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, captured_at INTEGER,"
    " voided_at INTEGER);"
    "CREATE INDEX payment_auths_order ON payment_auths (order_id);"
    "CREATE INDEX payment_auths_due ON payment_auths (expires_at)"
    " WHERE status = 'authorized';"
    "CREATE TABLE gift_cards (n INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE,"
    " currency TEXT NOT NULL, initial INTEGER NOT NULL CHECK (initial >= 0),"
    " balance INTEGER NOT NULL CHECK (balance >= 0),"
    " held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0 AND held <= balance),"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE fulfilments (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " order_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL CHECK (kind IN ('shipping')),"
    " status TEXT NOT NULL CHECK (status IN ('unfulfilled', 'fulfilled')),"
    " address TEXT NOT NULL, email TEXT, created_at INTEGER NOT NULL);",
    /* 4: the shop's discount limit for the tills (a manager's PIN above it),
       10 % for shops set up before it existed. */
    "ALTER TABLE shop ADD COLUMN discount_limit_ppm INTEGER NOT NULL DEFAULT 100000"
    " CHECK (discount_limit_ppm BETWEEN 0 AND 1000000);",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum {
	Q_BEGIN_READ,
	Q_BEGIN_WRITE,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_SP_BEGIN,
	Q_SP_RELEASE,
	Q_SP_ROLLBACK,
	Q_COUNTER_NEXT,
	Q_META_GET,
	Q_META_SET,
	Q_SHOP_GET,
	Q_SHOP_PUT,
	Q_LOCATION_ADD,
	Q_LOCATION_GET,
	Q_LOCATION_LIST,
	Q_PRODUCT_INSERT,
	Q_PRODUCT_UPDATE,
	Q_PRODUCT_DELETE,
	Q_PRODUCT_VARIANT_IDS,
	Q_VARIANT_DELETE,
	Q_VARIANT_UPSERT,
	Q_PRODUCT_GET,
	Q_PRODUCT_LIST,
	Q_VARIANT_INFO,
	Q_VARIANT_BY_SKU,
	Q_VARIANT_OWNER_SKU,
	Q_VARIANT_OWNER_BARCODE,
	Q_LEVEL_LIST,
	Q_LEVEL_GET,
	Q_DELTA_ADD,
	Q_LEVEL_ADD,
	Q_STAFF_ADD,
	Q_STAFF_GET,
	Q_STAFF_BY_EMAIL,
	Q_STAFF_LIST,
	Q_STAFF_LOCKOUT,
	Q_TOKEN_ADD,
	Q_TOKEN_GET,
	Q_TOKEN_DELETE,
	Q_TOKEN_DELETE_SUBJECT,
	Q_TOKEN_PRUNE,
	Q_REGISTER_ADD,
	Q_REGISTER_GET,
	Q_REGISTER_LIST,
	Q_REGISTER_TOUCH,
	Q_REGISTER_SET_SEQ,
	Q_REGISTER_REMOVE,
	Q_PAYMETHOD_ADD,
	Q_PAYMETHOD_LIST,
	Q_MUTATION_ADD,
	Q_MUTATION_SET_STATUS,
	Q_ORDER_ADD,
	Q_ORDER_EXISTS,
	Q_ORDER_GET,
	Q_ORDER_LIST,
	Q_REJECTION_ADD,
	Q_REJECTION_LIST,
	Q_DRAWER_ADD,
	Q_DRAWER_LIST,
	Q_MAIL_ADD,
	Q_MAIL_LIST,
	Q_MAIL_FIND,
	Q_MAIL_NEXT_DUE,
	Q_MAIL_CLAIM,
	Q_MAIL_SETTLE,
	Q_MAIL_REQUEUE,
	Q_FEED_APPEND,
	Q_FEED_READ,
	Q_FEED_HEAD,
	Q_FEED_DELETE,
	Q_AUTH_ADD,
	Q_AUTH_GET,
	Q_AUTH_BY_REF,
	Q_AUTH_SET_STATUS,
	Q_AUTH_EXPIRE_GIFT,
	Q_AUTH_EXPIRE,
	Q_AUTH_LIST,
	Q_GIFT_ADD,
	Q_GIFT_GET,
	Q_GIFT_HOLD,
	Q_GIFT_RELEASE,
	Q_GIFT_DEBIT_HOLD,
	Q_GIFT_DEBIT,
	Q_FULFIL_ADD,
	Q_FULFIL_LIST,
	Q_COUNT
};

#define SHOP_COLS                                                                                  \
	"name, currency, exponent, tax_rate_ppm, tax_included, tax_rounding, cash_increment, "     \
	"tax_id, address, receipt_header, receipt_footer, promptpay_id, discount_limit_ppm"
#define STAFF_COLS    "id, name, email, role, password_hash, pin_hash, failed_logins, locked_until"
#define REGISTER_COLS "id, name, code, location_id, last_seq, last_sync, pending, created_at"
#define ORDER_COLS                                                                                 \
	"o.n, o.id, o.number, o.register_id, COALESCE(r.code, ''), o.location_id, o.staff_id, "    \
	"o.created_at, o.received_at, o.total, o.json"
#define MAIL_COLS                                                                                  \
	"n, op_id, register_id, order_id, email, status, created_at, staff_id, attempts, "         \
	"next_attempt_at, lease_until, sent_at, last_error"
#define AUTH_COLS                                                                                  \
	"n, id, register_id, order_id, method, gateway, status, amount, currency, reference, "     \
	"gateway_ref, card_brand, card_last4, gift_code, decline_code, decline_message, "          \
	"created_at, expires_at, captured_at, voided_at"
#define PRODUCT_SELECT                                                                             \
	"SELECT p.id, p.title, v.id, v.sku, v.barcode, v.title, v.price, v.taxable, v.tracked, "   \
	"COALESCE(l.available, 0), p.rowid FROM products p LEFT JOIN variants v ON v.product_id "  \
	"= p.id "                                                                                  \
	"LEFT JOIN levels l ON l.variant_id = v.id AND l.location_id = ?1 "

static const char *const sql[Q_COUNT] = {
    [Q_BEGIN_READ] = "BEGIN DEFERRED",
    [Q_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SP_BEGIN] = "SAVEPOINT store_op",
    [Q_SP_RELEASE] = "RELEASE store_op",
    [Q_SP_ROLLBACK] = "ROLLBACK TO store_op",
    [Q_COUNTER_NEXT] = "INSERT INTO meta (key, value) VALUES (?1, 1) ON CONFLICT (key) "
                       "DO UPDATE SET value = value + 1 RETURNING value",
    [Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [Q_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) "
                   "DO UPDATE SET value = excluded.value",
    [Q_SHOP_GET] = "SELECT " SHOP_COLS " FROM shop WHERE id = 1",
    [Q_SHOP_PUT] = "INSERT INTO shop (id, " SHOP_COLS ") VALUES "
                   "(1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (id) "
                   "DO UPDATE SET name = excluded.name, currency = excluded.currency, "
                   "exponent = excluded.exponent, tax_rate_ppm = excluded.tax_rate_ppm, "
                   "tax_included = excluded.tax_included, tax_rounding = excluded.tax_rounding, "
                   "cash_increment = excluded.cash_increment, tax_id = excluded.tax_id, "
                   "address = excluded.address, receipt_header = excluded.receipt_header, "
                   "receipt_footer = excluded.receipt_footer, "
                   "promptpay_id = excluded.promptpay_id, "
                   "discount_limit_ppm = excluded.discount_limit_ppm",
    [Q_LOCATION_ADD] = "INSERT INTO locations (id, name, created_at) VALUES (?1, ?2, ?3)",
    [Q_LOCATION_GET] = "SELECT id, name FROM locations WHERE id = ?1",
    [Q_LOCATION_LIST] = "SELECT id, name FROM locations ORDER BY rowid",
    [Q_PRODUCT_INSERT] = "INSERT INTO products (id, title, created_at) VALUES (?1, ?2, ?3)",
    [Q_PRODUCT_UPDATE] = "UPDATE products SET title = ?2 WHERE id = ?1",
    [Q_PRODUCT_DELETE] = "DELETE FROM products WHERE id = ?1",
    [Q_PRODUCT_VARIANT_IDS] = "SELECT id FROM variants WHERE product_id = ?1",
    [Q_VARIANT_DELETE] = "DELETE FROM variants WHERE id = ?1",
    [Q_VARIANT_UPSERT] =
        "INSERT INTO variants (id, product_id, position, sku, barcode, title, price, "
        "taxable, tracked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO "
        "UPDATE SET position = excluded.position, sku = excluded.sku, "
        "barcode = excluded.barcode, title = excluded.title, price = excluded.price, "
        "taxable = excluded.taxable, tracked = excluded.tracked "
        "WHERE variants.product_id = excluded.product_id",
    [Q_PRODUCT_GET] = PRODUCT_SELECT "WHERE p.id = ?2 ORDER BY v.position",
    [Q_PRODUCT_LIST] = PRODUCT_SELECT
    "WHERE p.rowid IN (SELECT rowid FROM products WHERE rowid > ?2 ORDER BY rowid LIMIT ?3) "
    "ORDER BY p.rowid, v.position",
    [Q_VARIANT_INFO] = "SELECT product_id, tracked FROM variants WHERE id = ?1",
    [Q_VARIANT_BY_SKU] = "SELECT id, sku, barcode, title, price, taxable, tracked FROM variants "
                         "WHERE sku = ?1",
    [Q_VARIANT_OWNER_SKU] = "SELECT id FROM variants WHERE sku = ?1",
    [Q_VARIANT_OWNER_BARCODE] = "SELECT id FROM variants WHERE barcode = ?1",
    [Q_LEVEL_LIST] = "SELECT v.id, v.sku, ?1, COALESCE(l.available, 0), v.rowid FROM variants v "
                     "LEFT JOIN levels l ON l.variant_id = v.id AND l.location_id = ?1 "
                     "WHERE v.tracked = 1 AND v.rowid > ?2 ORDER BY v.rowid LIMIT ?3",
    [Q_LEVEL_GET] = "SELECT available FROM levels WHERE variant_id = ?1 AND location_id = ?2",
    [Q_DELTA_ADD] = "INSERT INTO inventory_deltas (id, variant_id, location_id, delta, reason, "
                    "order_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_LEVEL_ADD] = "INSERT INTO levels (variant_id, location_id, available, updated_at) "
                    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (variant_id, location_id) DO UPDATE "
                    "SET available = available + excluded.available, "
                    "updated_at = excluded.updated_at RETURNING available",
    [Q_STAFF_ADD] = "INSERT INTO staff (" STAFF_COLS ", created_at) VALUES "
                    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_STAFF_GET] = "SELECT " STAFF_COLS ", rowid FROM staff WHERE id = ?1",
    [Q_STAFF_BY_EMAIL] = "SELECT " STAFF_COLS ", rowid FROM staff WHERE email = ?1",
    [Q_STAFF_LIST] = "SELECT " STAFF_COLS ", rowid FROM staff WHERE rowid > ?1 "
                     "ORDER BY rowid LIMIT ?2",
    [Q_STAFF_LOCKOUT] = "UPDATE staff SET failed_logins = ?2, locked_until = ?3 WHERE id = ?1",
    [Q_TOKEN_ADD] = "INSERT INTO tokens (hash, kind, subject_id, expires_at, created_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_TOKEN_GET] = "SELECT kind, subject_id, expires_at FROM tokens WHERE hash = ?1",
    [Q_TOKEN_DELETE] = "DELETE FROM tokens WHERE hash = ?1",
    [Q_TOKEN_DELETE_SUBJECT] = "DELETE FROM tokens WHERE subject_id = ?1",
    [Q_TOKEN_PRUNE] = "DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at < ?1",
    [Q_REGISTER_ADD] = "INSERT INTO registers (" REGISTER_COLS ") VALUES "
                       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_REGISTER_GET] = "SELECT " REGISTER_COLS " FROM registers "
                       "WHERE id = ?1 AND removed_at IS NULL",
    [Q_REGISTER_LIST] = "SELECT " REGISTER_COLS " FROM registers WHERE removed_at IS NULL "
                        "ORDER BY created_at, rowid",
    [Q_REGISTER_TOUCH] = "UPDATE registers SET last_sync = ?2, "
                         "pending = CASE WHEN ?3 >= 0 THEN ?3 ELSE pending END WHERE id = ?1",
    [Q_REGISTER_SET_SEQ] = "UPDATE registers SET last_seq = ?2 WHERE id = ?1",
    [Q_REGISTER_REMOVE] = "UPDATE registers SET removed_at = ?2 "
                          "WHERE id = ?1 AND removed_at IS NULL",
    [Q_PAYMETHOD_ADD] = "INSERT INTO payment_methods (id, name, created_at) VALUES (?1, ?2, ?3)",
    [Q_PAYMETHOD_LIST] = "SELECT id, name FROM payment_methods ORDER BY rowid",
    [Q_MUTATION_ADD] = "INSERT INTO mutations (register_id, seq, op_id, type, status, "
                       "received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_MUTATION_SET_STATUS] = "UPDATE mutations SET status = ?3 "
                              "WHERE register_id = ?1 AND seq = ?2",
    [Q_ORDER_ADD] = "INSERT INTO orders (id, number, register_id, location_id, staff_id, "
                    "created_at, received_at, total, json) VALUES "
                    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_ORDER_EXISTS] = "SELECT 1 FROM orders WHERE id = ?1",
    [Q_ORDER_GET] = "SELECT " ORDER_COLS " FROM orders o "
                    "LEFT JOIN registers r ON r.id = o.register_id WHERE o.id = ?1",
    [Q_ORDER_LIST] = "SELECT " ORDER_COLS " FROM orders o "
                     "LEFT JOIN registers r ON r.id = o.register_id "
                     "WHERE o.n < ?1 ORDER BY o.n DESC LIMIT ?2",
    [Q_REJECTION_ADD] = "INSERT INTO rejections (register_id, seq, op_id, type, code, message, "
                        "payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_REJECTION_LIST] = "SELECT n, register_id, seq, op_id, type, code, message, payload, "
                         "created_at FROM rejections WHERE n < ?1 ORDER BY n DESC LIMIT ?2",
    [Q_DRAWER_ADD] = "INSERT INTO drawer_events (id, register_id, staff_id, reason, opened_at, "
                     "received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_DRAWER_LIST] = "SELECT n, id, register_id, staff_id, reason, opened_at, received_at "
                      "FROM drawer_events WHERE n < ?1 ORDER BY n DESC LIMIT ?2",
    [Q_MAIL_ADD] = "INSERT INTO mail_queue (op_id, register_id, order_id, email, status, "
                   "created_at, staff_id, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_MAIL_LIST] = "SELECT " MAIL_COLS " FROM mail_queue WHERE n < ?1 ORDER BY n DESC LIMIT ?2",
    [Q_MAIL_FIND] = "SELECT " MAIL_COLS " FROM mail_queue "
                    "WHERE order_id = ?1 AND email = ?2 COLLATE NOCASE",
    [Q_MAIL_NEXT_DUE] = "SELECT MIN(CASE status WHEN 'queued' THEN next_attempt_at "
                        "ELSE lease_until END) FROM mail_queue "
                        "WHERE status IN ('queued', 'sending')",
    [Q_MAIL_CLAIM] = "UPDATE mail_queue SET status = 'sending', lease_until = ?2, "
                     "attempts = attempts + 1 WHERE n = (SELECT n FROM mail_queue "
                     "WHERE status IN ('queued', 'sending') AND "
                     "((status = 'queued' AND next_attempt_at <= ?1) OR "
                     "(status = 'sending' AND lease_until <= ?1)) ORDER BY n LIMIT 1) "
                     "RETURNING " MAIL_COLS,
    [Q_MAIL_SETTLE] = "UPDATE mail_queue SET status = ?3, next_attempt_at = ?4, sent_at = ?5, "
                      "last_error = ?6, lease_until = 0 "
                      "WHERE n = ?1 AND attempts = ?2 AND status = 'sending'",
    [Q_MAIL_REQUEUE] = "UPDATE mail_queue SET status = 'queued', next_attempt_at = ?2, "
                       "created_at = ?2, attempts = 0, lease_until = 0 "
                       "WHERE n = ?1 AND status = 'failed'",
    [Q_FEED_APPEND] = "INSERT INTO changes (type, location_id, data) VALUES (?1, ?2, ?3)",
    [Q_FEED_READ] = "SELECT seq, type, data FROM changes WHERE seq > ?1 AND "
                    "(location_id IS NULL OR location_id = ?2) ORDER BY seq LIMIT ?3",
    [Q_FEED_HEAD] = "SELECT MAX(seq) FROM changes",
    [Q_FEED_DELETE] = "DELETE FROM changes WHERE seq <= ?1",
    [Q_AUTH_ADD] = "INSERT INTO payment_auths (id, register_id, order_id, method, gateway, "
                   "status, amount, currency, reference, gateway_ref, card_brand, card_last4, "
                   "gift_code, decline_code, decline_message, created_at, expires_at) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    [Q_AUTH_GET] = "SELECT " AUTH_COLS " FROM payment_auths WHERE id = ?1",
    [Q_AUTH_BY_REF] = "SELECT " AUTH_COLS " FROM payment_auths WHERE reference = ?1",
    [Q_AUTH_SET_STATUS] =
        "UPDATE payment_auths SET status = ?3, "
        "captured_at = CASE WHEN ?3 = 'captured' THEN ?4 ELSE captured_at END, "
        "voided_at = CASE WHEN ?3 IN ('voided', 'expired') THEN ?4 ELSE voided_at END "
        "WHERE id = ?1 AND status = ?2",
    [Q_AUTH_EXPIRE_GIFT] =
        "UPDATE gift_cards SET updated_at = ?1, held = held - (SELECT SUM(a.amount) FROM "
        "payment_auths a WHERE a.gift_code = gift_cards.code AND a.method = 'gift_card' AND "
        "a.status = 'authorized' AND a.expires_at <= ?1) WHERE code IN (SELECT gift_code FROM "
        "payment_auths WHERE status = 'authorized' AND expires_at <= ?1 AND "
        "method = 'gift_card')",
    [Q_AUTH_EXPIRE] = "UPDATE payment_auths SET status = 'expired', voided_at = ?1 "
                      "WHERE status = 'authorized' AND expires_at <= ?1",
    [Q_AUTH_LIST] = "SELECT " AUTH_COLS " FROM payment_auths WHERE n < ?1 AND "
                    "(?3 IS NULL OR order_id = ?3) ORDER BY n DESC LIMIT ?2",
    [Q_GIFT_ADD] = "INSERT INTO gift_cards (code, currency, initial, balance, held, created_at, "
                   "updated_at) VALUES (?1, ?2, ?3, ?3, 0, ?4, ?4)",
    [Q_GIFT_GET] = "SELECT n, code, currency, initial, balance, held, created_at, updated_at "
                   "FROM gift_cards WHERE code = ?1",
    /* One conditional statement: two registers holding the same card at
       once are serialised on its row, and the loser finds too little. */
    [Q_GIFT_HOLD] = "UPDATE gift_cards SET held = held + ?2, updated_at = ?3 "
                    "WHERE code = ?1 AND balance - held >= ?2",
    [Q_GIFT_RELEASE] = "UPDATE gift_cards SET held = held - ?2, updated_at = ?3 "
                       "WHERE code = ?1 AND held >= ?2",
    [Q_GIFT_DEBIT_HOLD] = "UPDATE gift_cards SET held = held - ?2, balance = balance - ?2, "
                          "updated_at = ?3 WHERE code = ?1 AND held >= ?2",
    [Q_GIFT_DEBIT] = "UPDATE gift_cards SET balance = balance - ?2, updated_at = ?3 "
                     "WHERE code = ?1 AND balance - held >= ?2",
    [Q_FULFIL_ADD] = "INSERT INTO fulfilments (id, order_id, kind, status, address, email, "
                     "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_FULFIL_LIST] = "SELECT n, id, order_id, kind, status, address, email, created_at "
                      "FROM fulfilments WHERE order_id = ?1 ORDER BY n",
};

struct sq {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
};

static struct sq *SQ(struct store *s)
{
	return (struct sq *)s;
}

/* Maps an SQLite result to a Talad status, logging what is unexpected. */
static int map_rc(struct sq *q, int rc, const char *what)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return TALAD_OK;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return TALAD_EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return TALAD_ENOTFOUND;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_BUSY_SNAPSHOT:
	case SQLITE_BUSY_RECOVERY:
		log_warnx("store: %s: database is busy", what);
		return TALAD_EBUSY;
	default:
		log_error("store: %s: %s", what, sqlite3_errmsg(q->db));
		return TALAD_EDB;
	}
}

/* The cached statement for id, reset and unbound, ready for binding. */
static int stmt(struct sq *q, int id, sqlite3_stmt **out)
{
	if (!q->stmt[id]) {
		int rc = sqlite3_prepare_v3(q->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT,
		                            &q->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			log_error("store: cannot prepare statement %d: %s", id,
			          sqlite3_errmsg(q->db));
			return TALAD_EDB;
		}
	}
	*out = q->stmt[id];
	return TALAD_OK;
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* The parameters of a statement, ?1 onwards, written where it is run:
 * ARGS(P_TEXT(l->id), P_INT(now)) or NO_ARGS. A compound literal on the
 * stack, so binding costs no allocation on the push path. */
struct bind {
	enum { BK_NULL, BK_TEXT, BK_OPT_TEXT, BK_INT } kind;
	const char *text; /* borrowed until the statement is done */
	int64_t num;
};

#define P_TEXT(v)     ((struct bind){BK_TEXT, (v), 0})     /* NULL binds NULL */
#define P_OPT_TEXT(v) ((struct bind){BK_OPT_TEXT, (v), 0}) /* "" binds NULL too */
#define P_INT(v)      ((struct bind){BK_INT, NULL, (int64_t)(v)})
#define P_NULL        ((struct bind){BK_NULL, NULL, 0})
#define P_OPT_INT(v)  ((v) > 0 ? P_INT(v) : P_NULL) /* 0 and below bind NULL */
#define ARGS(...)                                                                                  \
	(const struct bind[]){__VA_ARGS__},                                                        \
	    (int)(sizeof((const struct bind[]){__VA_ARGS__}) / sizeof(struct bind))
#define NO_ARGS NULL, 0

/* The cached statement for id with its parameters bound, ready to step. */
static int prep(struct sq *q, int id, const struct bind *b, int n, sqlite3_stmt **out)
{
	int err = stmt(q, id, out);
	if (err)
		return err;
	for (int i = 0; i < n; i++) {
		int rc;
		if (b[i].kind == BK_INT)
			rc = sqlite3_bind_int64(*out, i + 1, b[i].num);
		else if (b[i].text && (b[i].kind == BK_TEXT || *b[i].text))
			rc = sqlite3_bind_text(*out, i + 1, b[i].text, -1, SQLITE_STATIC);
		else
			rc = sqlite3_bind_null(*out, i + 1);
		if (rc != SQLITE_OK) {
			done(*out);
			return map_rc(q, rc, "bind");
		}
	}
	return TALAD_OK;
}

static void ctext(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	strlcpy_t(dst, v ? (const char *)v : "", n);
}

static const char *cstr(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	return v ? (const char *)v : "";
}

static int64_t cint(sqlite3_stmt *st, int i)
{
	return sqlite3_column_int64(st, i);
}

/* Runs a statement that returns no rows; resets it. */
static int exec_done(struct sq *q, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int err = rc == SQLITE_DONE ? TALAD_OK : map_rc(q, sqlite3_extended_errcode(q->db), what);
	done(st);
	return err;
}

/* Runs a statement expected to change a row: TALAD_ENOTFOUND when none did. */
static int exec_change(struct sq *q, sqlite3_stmt *st, const char *what)
{
	int err = exec_done(q, st, what);
	if (err == TALAD_OK && sqlite3_changes(q->db) == 0)
		return TALAD_ENOTFOUND;
	return err;
}

/* Steps to the first row: TALAD_OK with the row current (caller calls done),
 * TALAD_ENOTFOUND (statement reset) or an error (statement reset). */
static int first_row(struct sq *q, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return TALAD_OK;
	int err =
	    rc == SQLITE_DONE ? TALAD_ENOTFOUND : map_rc(q, sqlite3_extended_errcode(q->db), what);
	done(st);
	return err;
}

/* A step inside a listing loop: 1 for a row, 0 at the end, < 0 on error. */
static int next_row(struct sq *q, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return map_rc(q, sqlite3_extended_errcode(q->db), what);
}

/* Statement id with its parameters, run for no rows (run), for a changed
 * row (change: TALAD_ENOTFOUND when none), or to its first row (one: as
 * first_row, the row current until done). */
static int run(struct sq *q, int id, const char *what, const struct bind *b, int n)
{
	sqlite3_stmt *st;
	int err = prep(q, id, b, n, &st);
	return err ? err : exec_done(q, st, what);
}

static int change(struct sq *q, int id, const char *what, const struct bind *b, int n)
{
	sqlite3_stmt *st;
	int err = prep(q, id, b, n, &st);
	return err ? err : exec_change(q, st, what);
}

static int one(struct sq *q, int id, const char *what, const struct bind *b, int n,
               sqlite3_stmt **st)
{
	int err = prep(q, id, b, n, st);
	return err ? err : first_row(q, *st, what);
}

/* The first column of the first row; *null tells an SQL NULL (read as 0).
 * TALAD_ENOTFOUND when there is no row. */
static int scalar(struct sq *q, int id, const char *what, const struct bind *b, int n, int64_t *out,
                  bool *null)
{
	sqlite3_stmt *st;
	int err = one(q, id, what, b, n, &st);
	if (err)
		return err;
	if (null)
		*null = sqlite3_column_type(st, 0) == SQLITE_NULL;
	*out = cint(st, 0);
	done(st);
	return TALAD_OK;
}

/* For a row type T read from a statement's columns by read_fn, NAME_one()
 * reads the first row into *out (TALAD_ENOTFOUND when there is none) and
 * NAME_each() hands every row to cb until it returns other than TALAD_OK
 * (which is returned). Strings a row points to live until cb returns. */
#define ROW_ONE(name, T, read_fn)                                                                  \
	static int name##_one(struct sq *q, int id, const char *what, const struct bind *b, int n, \
	                      T *out)                                                              \
	{                                                                                          \
		sqlite3_stmt *st;                                                                  \
		int err = one(q, id, what, b, n, &st);                                             \
		if (err)                                                                           \
			return err;                                                                \
		read_fn(st, out);                                                                  \
		done(st);                                                                          \
		return TALAD_OK;                                                                   \
	}
#define ROW_EACH(name, T, read_fn, cb_type)                                                        \
	static int name##_each(struct sq *q, int id, const char *what, const struct bind *b,       \
	                       int n, cb_type cb, void *arg)                                       \
	{                                                                                          \
		sqlite3_stmt *st;                                                                  \
		int err = prep(q, id, b, n, &st), r;                                               \
		if (err)                                                                           \
			return err;                                                                \
		while ((r = next_row(q, st, what)) == 1) {                                         \
			T row;                                                                     \
			read_fn(st, &row);                                                         \
			if ((err = cb(arg, &row)) != TALAD_OK)                                     \
				break;                                                             \
		}                                                                                  \
		done(st);                                                                          \
		return r < 0 ? r : err;                                                            \
	}

static int64_t limit_arg(int limit)
{
	return limit > 0 ? limit : -1;
}

static int64_t before_arg(int64_t before)
{
	return before > 0 ? before : INT64_MAX;
}

static int64_t now_ms(void)
{
	return time(NULL) * (int64_t)1000;
}

static void sq_close(struct store *s)
{
	struct sq *q = SQ(s);
	if (!q)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(q->stmt[i]);
	if (sqlite3_close(q->db) != SQLITE_OK)
		log_error("store: cannot close the database: %s", sqlite3_errmsg(q->db));
	free(q);
}

static int sq_begin(struct store *s, enum st_tx kind)
{
	return run(SQ(s), kind == ST_TX_WRITE ? Q_BEGIN_WRITE : Q_BEGIN_READ, "begin", NO_ARGS);
}

static int sq_commit(struct store *s)
{
	struct sq *q = SQ(s);
	int err = run(q, Q_COMMIT, "commit", NO_ARGS);
	if (err && !sqlite3_get_autocommit(q->db))
		run(q, Q_ROLLBACK, "rollback", NO_ARGS);
	return err;
}

static void sq_rollback(struct store *s)
{
	struct sq *q = SQ(s);
	if (sqlite3_get_autocommit(q->db))
		return;
	/* A statement left mid-walk by an error would keep the read open. */
	for (int i = 0; i < Q_COUNT; i++)
		if (q->stmt[i])
			sqlite3_reset(q->stmt[i]);
	run(q, Q_ROLLBACK, "rollback", NO_ARGS);
}

static int sq_counter_next(struct store *s, const char *name, int64_t *out)
{
	int err = scalar(SQ(s), Q_COUNTER_NEXT, "counter", ARGS(P_TEXT(name)), out, NULL);
	return err == TALAD_ENOTFOUND ? TALAD_EDB : err;
}

static int meta_get(struct sq *q, const char *key, int64_t *out)
{
	int err = scalar(q, Q_META_GET, "meta", ARGS(P_TEXT(key)), out, NULL);
	if (err == TALAD_ENOTFOUND) {
		*out = 0;
		return TALAD_OK;
	}
	return err;
}

static int meta_set(struct sq *q, const char *key, int64_t value)
{
	return run(q, Q_META_SET, "meta", ARGS(P_TEXT(key), P_INT(value)));
}

static void read_shop(sqlite3_stmt *st, struct st_shop *out)
{
	memset(out, 0, sizeof(*out));
	ctext(st, 0, out->name, sizeof(out->name));
	ctext(st, 1, out->currency, sizeof(out->currency));
	out->exponent = sqlite3_column_int(st, 2);
	out->tax_rate_ppm = cint(st, 3);
	out->tax_included = cint(st, 4) != 0;
	out->tax_rounding = strcmp(cstr(st, 5), "order") ? TAX_ROUND_LINE : TAX_ROUND_ORDER;
	out->cash_increment = cint(st, 6);
	ctext(st, 7, out->tax_id, sizeof(out->tax_id));
	ctext(st, 8, out->address, sizeof(out->address));
	ctext(st, 9, out->receipt_header, sizeof(out->receipt_header));
	ctext(st, 10, out->receipt_footer, sizeof(out->receipt_footer));
	ctext(st, 11, out->promptpay_id, sizeof(out->promptpay_id));
	out->discount_limit_ppm = cint(st, 12);
}
ROW_ONE(shop, struct st_shop, read_shop)

static int sq_shop_get(struct store *s, struct st_shop *out)
{
	return shop_one(SQ(s), Q_SHOP_GET, "shop", NO_ARGS, out);
}

static int sq_shop_put(struct store *s, const struct st_shop *shop)
{
	return run(SQ(s), Q_SHOP_PUT, "shop",
	           ARGS(P_TEXT(shop->name), P_TEXT(shop->currency), P_INT(shop->exponent),
	                P_INT(shop->tax_rate_ppm), P_INT(shop->tax_included),
	                P_TEXT(shop->tax_rounding == TAX_ROUND_ORDER ? "order" : "line"),
	                P_INT(shop->cash_increment), P_TEXT(shop->tax_id), P_TEXT(shop->address),
	                P_TEXT(shop->receipt_header), P_TEXT(shop->receipt_footer),
	                P_TEXT(shop->promptpay_id), P_INT(shop->discount_limit_ppm)));
}

static void read_location(sqlite3_stmt *st, struct st_location *l)
{
	ctext(st, 0, l->id, sizeof(l->id));
	ctext(st, 1, l->name, sizeof(l->name));
}
ROW_ONE(location, struct st_location, read_location)
ROW_EACH(location, struct st_location, read_location, st_location_cb)

static int sq_location_add(struct store *s, const struct st_location *l)
{
	return run(SQ(s), Q_LOCATION_ADD, "location",
	           ARGS(P_TEXT(l->id), P_TEXT(l->name), P_INT(now_ms())));
}

static int sq_location_get(struct store *s, const char *id, struct st_location *out)
{
	return location_one(SQ(s), Q_LOCATION_GET, "location", ARGS(P_TEXT(id)), out);
}

static int sq_location_list(struct store *s, st_location_cb cb, void *arg)
{
	return location_each(SQ(s), Q_LOCATION_LIST, "locations", NO_ARGS, cb, arg);
}

static bool id_listed(const struct st_product *p, const char *id)
{
	for (size_t i = 0; i < p->nvariants; i++)
		if (!strcmp(p->variants[i].id, id))
			return true;
	return false;
}

static int product_put_rows(struct sq *q, const struct st_product *p, bool create);

/* Several statements made one: inside or outside a caller's transaction, a
 * failed put leaves nothing behind. */
static int sq_product_put(struct store *s, const struct st_product *p, bool create)
{
	struct sq *q = SQ(s);
	int err = run(q, Q_SP_BEGIN, "savepoint", NO_ARGS);
	if (err)
		return err;
	err = product_put_rows(q, p, create);
	if (err)
		run(q, Q_SP_ROLLBACK, "savepoint", NO_ARGS);
	int rc = run(q, Q_SP_RELEASE, "savepoint", NO_ARGS);
	return err ? err : rc;
}

/* Deletes the product's variants that p no longer lists, with their levels. */
static int drop_unlisted_variants(struct sq *q, const struct st_product *p)
{
	char(*gone)[ST_ID_SIZE] = NULL;
	size_t ngone = 0;
	sqlite3_stmt *st;
	int err = prep(q, Q_PRODUCT_VARIANT_IDS, ARGS(P_TEXT(p->id)), &st), r;
	if (err)
		return err;
	while ((r = next_row(q, st, "variants")) == 1) {
		if (id_listed(p, cstr(st, 0)))
			continue;
		gone = xreallocarray(gone, ngone + 1, sizeof(*gone));
		ctext(st, 0, gone[ngone++], ST_ID_SIZE);
	}
	done(st);
	err = r < 0 ? r : TALAD_OK;
	for (size_t i = 0; !err && i < ngone; i++)
		err = run(q, Q_VARIANT_DELETE, "variant", ARGS(P_TEXT(gone[i])));
	free(gone);
	return err;
}

static int product_put_rows(struct sq *q, const struct st_product *p, bool create)
{
	int err;
	if (create)
		err = run(q, Q_PRODUCT_INSERT, "product",
		          ARGS(P_TEXT(p->id), P_TEXT(p->title), P_INT(now_ms())));
	else if (!(err = change(q, Q_PRODUCT_UPDATE, "product",
	                        ARGS(P_TEXT(p->id), P_TEXT(p->title)))))
		err = drop_unlisted_variants(q, p);
	if (err)
		return err;
	for (size_t i = 0; i < p->nvariants; i++) {
		const struct st_variant *v = &p->variants[i];
		err = run(q, Q_VARIANT_UPSERT, "variant",
		          ARGS(P_TEXT(v->id), P_TEXT(p->id), P_INT(i), P_TEXT(v->sku),
		               P_OPT_TEXT(v->barcode), P_TEXT(v->title), P_INT(v->price),
		               P_INT(v->taxable), P_INT(v->tracked)));
		if (err)
			return err;
		/* The upsert's WHERE leaves a variant of another product alone. */
		if (sqlite3_changes(q->db) == 0)
			return TALAD_ECONFLICT;
	}
	return TALAD_OK;
}

static void read_variant_cols(sqlite3_stmt *st, int c, struct st_variant *v)
{
	ctext(st, c, v->id, sizeof(v->id));
	ctext(st, c + 1, v->sku, sizeof(v->sku));
	ctext(st, c + 2, v->barcode, sizeof(v->barcode));
	ctext(st, c + 3, v->title, sizeof(v->title));
	v->price = cint(st, c + 4);
	v->taxable = cint(st, c + 5) != 0;
	v->tracked = cint(st, c + 6) != 0;
}

/* Walks rows of PRODUCT_SELECT, grouping variants into products. */
static int walk_products(struct sq *q, sqlite3_stmt *st, st_product_cb cb, void *arg)
{
	struct st_product p = {0};
	size_t cap = 0;
	bool have = false;
	int err = TALAD_OK, r;
	while ((r = next_row(q, st, "products")) == 1) {
		const char *pid = cstr(st, 0);
		if (!have || strcmp(pid, p.id)) {
			if (have && (err = cb(arg, &p)) != TALAD_OK)
				break;
			have = true;
			ctext(st, 0, p.id, sizeof(p.id));
			ctext(st, 1, p.title, sizeof(p.title));
			p.n = cint(st, 10);
			p.nvariants = 0;
		}
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			continue;
		if (p.nvariants == cap) {
			cap = cap ? cap * 2 : 8;
			p.variants = xreallocarray(p.variants, cap, sizeof(*p.variants));
		}
		struct st_variant *v = &p.variants[p.nvariants++];
		read_variant_cols(st, 2, v);
		v->available = cint(st, 9);
	}
	if (r < 0)
		err = r;
	else if (r == 0 && have && err == TALAD_OK)
		err = cb(arg, &p);
	done(st);
	free(p.variants);
	return err;
}

struct copy_product {
	struct st_product *out;
	bool found;
};

static int copy_product_cb(void *arg, const struct st_product *p)
{
	struct copy_product *c = arg;
	*c->out = *p;
	c->out->variants =
	    xreallocarray(NULL, p->nvariants ? p->nvariants : 1, sizeof(*p->variants));
	if (p->nvariants)
		memcpy(c->out->variants, p->variants, p->nvariants * sizeof(*p->variants));
	c->found = true;
	return TALAD_OK;
}

static int sq_product_get(struct store *s, const char *id, struct st_product *out)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int err = prep(q, Q_PRODUCT_GET, ARGS(P_NULL, P_TEXT(id)), &st);
	if (err)
		return err;
	struct copy_product c = {out, false};
	out->variants = NULL;
	out->nvariants = 0;
	err = walk_products(q, st, copy_product_cb, &c);
	if (err) {
		store_product_release(out);
		return err;
	}
	return c.found ? TALAD_OK : TALAD_ENOTFOUND;
}

static int sq_product_delete(struct store *s, const char *id)
{
	return change(SQ(s), Q_PRODUCT_DELETE, "product", ARGS(P_TEXT(id)));
}

static int sq_product_list(struct store *s, int64_t after, int limit, const char *location_id,
                           st_product_cb cb, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int err = prep(q, Q_PRODUCT_LIST,
	               ARGS(P_TEXT(location_id), P_INT(after), P_INT(limit_arg(limit))), &st);
	return err ? err : walk_products(q, st, cb, arg);
}

static int sq_variant_info(struct store *s, const char *variant_id, char product_id[ST_ID_SIZE],
                           bool *tracked)
{
	sqlite3_stmt *st;
	int err = one(SQ(s), Q_VARIANT_INFO, "variant", ARGS(P_TEXT(variant_id)), &st);
	if (err)
		return err;
	if (product_id)
		ctext(st, 0, product_id, ST_ID_SIZE);
	*tracked = cint(st, 1) != 0;
	done(st);
	return TALAD_OK;
}

static void read_variant(sqlite3_stmt *st, struct st_variant *v)
{
	read_variant_cols(st, 0, v);
	v->available = 0;
}
ROW_ONE(variant, struct st_variant, read_variant)

static int sq_variant_by_sku(struct store *s, const char *sku, struct st_variant *out)
{
	return variant_one(SQ(s), Q_VARIANT_BY_SKU, "variant", ARGS(P_TEXT(sku)), out);
}

static int sq_variant_owner(struct store *s, const char *column, const char *value,
                            char variant_id[ST_ID_SIZE])
{
	sqlite3_stmt *st;
	int id = !strcmp(column, "barcode") ? Q_VARIANT_OWNER_BARCODE : Q_VARIANT_OWNER_SKU;
	int err = one(SQ(s), id, "variant", ARGS(P_TEXT(value)), &st);
	if (err)
		return err;
	ctext(st, 0, variant_id, ST_ID_SIZE);
	done(st);
	return TALAD_OK;
}

static void read_level(sqlite3_stmt *st, struct st_level *l)
{
	ctext(st, 0, l->variant_id, sizeof(l->variant_id));
	ctext(st, 1, l->sku, sizeof(l->sku));
	ctext(st, 2, l->location_id, sizeof(l->location_id));
	l->available = cint(st, 3);
	l->n = cint(st, 4);
}
ROW_EACH(level, struct st_level, read_level, st_level_cb)

static int sq_level_list(struct store *s, const char *location_id, int64_t after, int limit,
                         st_level_cb cb, void *arg)
{
	return level_each(SQ(s), Q_LEVEL_LIST, "levels",
	                  ARGS(P_TEXT(location_id), P_INT(after), P_INT(limit_arg(limit))), cb,
	                  arg);
}

static int sq_level_get(struct store *s, const char *variant_id, const char *location_id,
                        int64_t *available)
{
	int err = scalar(SQ(s), Q_LEVEL_GET, "level", ARGS(P_TEXT(variant_id), P_TEXT(location_id)),
	                 available, NULL);
	if (err == TALAD_ENOTFOUND) {
		*available = 0;
		return TALAD_OK;
	}
	return err;
}

static int sq_delta_add(struct store *s, const struct st_delta *d)
{
	return run(SQ(s), Q_DELTA_ADD, "inventory delta",
	           ARGS(P_TEXT(d->id), P_TEXT(d->variant_id), P_TEXT(d->location_id),
	                P_INT(d->delta), P_TEXT(d->reason), P_OPT_TEXT(d->order_id),
	                P_INT(d->created_at)));
}

static int sq_level_add(struct store *s, const char *variant_id, const char *location_id,
                        int64_t delta, int64_t *available)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int err =
	    prep(q, Q_LEVEL_ADD,
	         ARGS(P_TEXT(variant_id), P_TEXT(location_id), P_INT(delta), P_INT(now_ms())), &st);
	if (err)
		return err;
	/* The row comes back first; a foreign key is checked when the
	 * statement ends, so the error may come with either step. */
	int rc = sqlite3_step(st);
	bool row = rc == SQLITE_ROW;
	if (row) {
		*available = cint(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_DONE)
		err = row ? TALAD_OK : TALAD_EDB;
	else
		err = map_rc(q, sqlite3_extended_errcode(q->db), "level");
	done(st);
	return err;
}

static void read_staff(sqlite3_stmt *st, struct st_staff *out)
{
	memset(out, 0, sizeof(*out));
	ctext(st, 0, out->id, sizeof(out->id));
	ctext(st, 1, out->name, sizeof(out->name));
	ctext(st, 2, out->email, sizeof(out->email));
	if (store_role_parse(cstr(st, 3), &out->role))
		out->role = ST_ROLE_CASHIER;
	ctext(st, 4, out->password_hash, sizeof(out->password_hash));
	ctext(st, 5, out->pin_hash, sizeof(out->pin_hash));
	out->failed_logins = sqlite3_column_int(st, 6);
	out->locked_until = cint(st, 7);
	out->n = cint(st, 8);
}
ROW_ONE(staff, struct st_staff, read_staff)
ROW_EACH(staff, struct st_staff, read_staff, st_staff_cb)

static int sq_staff_add(struct store *s, const struct st_staff *m)
{
	return run(SQ(s), Q_STAFF_ADD, "staff",
	           ARGS(P_TEXT(m->id), P_TEXT(m->name), P_OPT_TEXT(m->email),
	                P_TEXT(store_role_name(m->role)), P_OPT_TEXT(m->password_hash),
	                P_OPT_TEXT(m->pin_hash), P_INT(m->failed_logins), P_INT(m->locked_until),
	                P_INT(now_ms())));
}

static int sq_staff_get(struct store *s, const char *id, struct st_staff *out)
{
	return staff_one(SQ(s), Q_STAFF_GET, "staff", ARGS(P_TEXT(id)), out);
}

static int sq_staff_by_email(struct store *s, const char *email, struct st_staff *out)
{
	return staff_one(SQ(s), Q_STAFF_BY_EMAIL, "staff", ARGS(P_TEXT(email)), out);
}

static int sq_staff_list(struct store *s, int64_t after, int limit, st_staff_cb cb, void *arg)
{
	return staff_each(SQ(s), Q_STAFF_LIST, "staff", ARGS(P_INT(after), P_INT(limit_arg(limit))),
	                  cb, arg);
}

static int sq_staff_set_lockout(struct store *s, const char *id, int failed, int64_t until)
{
	return change(SQ(s), Q_STAFF_LOCKOUT, "staff",
	              ARGS(P_TEXT(id), P_INT(failed), P_INT(until)));
}

static int sq_token_add(struct store *s, const char *hash, const struct st_token *t, int64_t now)
{
	return run(SQ(s), Q_TOKEN_ADD, "token",
	           ARGS(P_TEXT(hash), P_TEXT(t->kind == ST_TOKEN_REGISTER ? "register" : "staff"),
	                P_TEXT(t->subject_id), P_OPT_INT(t->expires_at), P_INT(now)));
}

static void read_token(sqlite3_stmt *st, struct st_token *out)
{
	out->kind = strcmp(cstr(st, 0), "register") ? ST_TOKEN_STAFF : ST_TOKEN_REGISTER;
	ctext(st, 1, out->subject_id, sizeof(out->subject_id));
	out->expires_at = cint(st, 2);
}
ROW_ONE(token, struct st_token, read_token)

static int sq_token_get(struct store *s, const char *hash, struct st_token *out)
{
	return token_one(SQ(s), Q_TOKEN_GET, "token", ARGS(P_TEXT(hash)), out);
}

static int sq_token_delete(struct store *s, const char *hash)
{
	return run(SQ(s), Q_TOKEN_DELETE, "token", ARGS(P_TEXT(hash)));
}

static int sq_token_delete_subject(struct store *s, const char *subject_id)
{
	return run(SQ(s), Q_TOKEN_DELETE_SUBJECT, "token", ARGS(P_TEXT(subject_id)));
}

static int sq_token_prune(struct store *s, int64_t now)
{
	return run(SQ(s), Q_TOKEN_PRUNE, "token", ARGS(P_INT(now)));
}

static void read_register(sqlite3_stmt *st, struct st_register *r)
{
	ctext(st, 0, r->id, sizeof(r->id));
	ctext(st, 1, r->name, sizeof(r->name));
	ctext(st, 2, r->code, sizeof(r->code));
	ctext(st, 3, r->location_id, sizeof(r->location_id));
	r->last_seq = cint(st, 4);
	r->last_sync = cint(st, 5);
	r->pending = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : cint(st, 6);
	r->created_at = cint(st, 7);
}
ROW_ONE(register, struct st_register, read_register)
ROW_EACH(register, struct st_register, read_register, st_register_cb)

static int sq_register_add(struct store *s, const struct st_register *r)
{
	return run(SQ(s), Q_REGISTER_ADD, "register",
	           ARGS(P_TEXT(r->id), P_TEXT(r->name), P_TEXT(r->code), P_TEXT(r->location_id),
	                P_INT(r->last_seq), P_OPT_INT(r->last_sync),
	                r->pending >= 0 ? P_INT(r->pending) : P_NULL, P_INT(r->created_at)));
}

static int sq_register_get(struct store *s, const char *id, struct st_register *out)
{
	return register_one(SQ(s), Q_REGISTER_GET, "register", ARGS(P_TEXT(id)), out);
}

static int sq_register_list(struct store *s, st_register_cb cb, void *arg)
{
	return register_each(SQ(s), Q_REGISTER_LIST, "registers", NO_ARGS, cb, arg);
}

static int sq_register_touch(struct store *s, const char *id, int64_t now, int64_t pending)
{
	return change(SQ(s), Q_REGISTER_TOUCH, "register",
	              ARGS(P_TEXT(id), P_INT(now), P_INT(pending)));
}

static int sq_register_set_seq(struct store *s, const char *id, int64_t last_seq)
{
	return change(SQ(s), Q_REGISTER_SET_SEQ, "register", ARGS(P_TEXT(id), P_INT(last_seq)));
}

static int sq_register_remove(struct store *s, const char *id, int64_t now)
{
	return change(SQ(s), Q_REGISTER_REMOVE, "register", ARGS(P_TEXT(id), P_INT(now)));
}

static void read_paymethod(sqlite3_stmt *st, struct st_paymethod *m)
{
	ctext(st, 0, m->id, sizeof(m->id));
	ctext(st, 1, m->name, sizeof(m->name));
}
ROW_EACH(paymethod, struct st_paymethod, read_paymethod, st_paymethod_cb)

static int sq_paymethod_add(struct store *s, const struct st_paymethod *m)
{
	return run(SQ(s), Q_PAYMETHOD_ADD, "payment method",
	           ARGS(P_TEXT(m->id), P_TEXT(m->name), P_INT(now_ms())));
}

static int sq_paymethod_list(struct store *s, st_paymethod_cb cb, void *arg)
{
	return paymethod_each(SQ(s), Q_PAYMETHOD_LIST, "payment methods", NO_ARGS, cb, arg);
}

static int sq_mutation_add(struct store *s, const char *register_id, int64_t seq, const char *op_id,
                           const char *type, const char *status, int64_t now)
{
	return run(SQ(s), Q_MUTATION_ADD, "mutation",
	           ARGS(P_TEXT(register_id), P_INT(seq), P_TEXT(op_id), P_TEXT(type),
	                P_TEXT(status), P_INT(now)));
}

static int sq_mutation_set_status(struct store *s, const char *register_id, int64_t seq,
                                  const char *status)
{
	return change(SQ(s), Q_MUTATION_SET_STATUS, "mutation",
	              ARGS(P_TEXT(register_id), P_INT(seq), P_TEXT(status)));
}

static int sq_order_add(struct store *s, struct st_order *o)
{
	struct sq *q = SQ(s);
	int err = run(q, Q_ORDER_ADD, "order",
	              ARGS(P_TEXT(o->id), P_TEXT(o->number), P_TEXT(o->register_id),
	                   P_TEXT(o->location_id), P_OPT_TEXT(o->staff_id), P_INT(o->created_at),
	                   P_INT(o->received_at), P_INT(o->total), P_TEXT(o->json)));
	if (err == TALAD_OK) {
		o->n = sqlite3_last_insert_rowid(q->db);
		return TALAD_OK;
	}
	if (err != TALAD_EEXIST)
		return err;
	/* Which UNIQUE constraint: the same order again, or a clashing number. */
	int64_t exists;
	err = scalar(q, Q_ORDER_EXISTS, "order", ARGS(P_TEXT(o->id)), &exists, NULL);
	if (err == TALAD_OK)
		return TALAD_EEXIST;
	return err == TALAD_ENOTFOUND ? TALAD_ECONFLICT : err;
}

static void read_order(sqlite3_stmt *st, struct st_order *o)
{
	o->n = cint(st, 0);
	ctext(st, 1, o->id, sizeof(o->id));
	ctext(st, 2, o->number, sizeof(o->number));
	ctext(st, 3, o->register_id, sizeof(o->register_id));
	ctext(st, 4, o->register_code, sizeof(o->register_code));
	ctext(st, 5, o->location_id, sizeof(o->location_id));
	ctext(st, 6, o->staff_id, sizeof(o->staff_id));
	o->created_at = cint(st, 7);
	o->received_at = cint(st, 8);
	o->total = cint(st, 9);
	o->json = cstr(st, 10);
}
ROW_EACH(order, struct st_order, read_order, st_order_cb)

static int sq_order_get(struct store *s, const char *id, st_order_cb cb, void *arg)
{
	/* The id is UNIQUE: one row at most, handed over while it is current
	 * (the order's JSON belongs to the statement). */
	sqlite3_stmt *st;
	int err = one(SQ(s), Q_ORDER_GET, "orders", ARGS(P_TEXT(id)), &st);
	if (err)
		return err;
	struct st_order o;
	read_order(st, &o);
	err = cb(arg, &o);
	done(st);
	return err;
}

static int sq_order_list(struct store *s, int64_t before, int limit, st_order_cb cb, void *arg)
{
	return order_each(SQ(s), Q_ORDER_LIST, "orders",
	                  ARGS(P_INT(before_arg(before)), P_INT(limit_arg(limit))), cb, arg);
}

static int sq_rejection_add(struct store *s, const struct st_rejection *rj)
{
	return run(SQ(s), Q_REJECTION_ADD, "rejection",
	           ARGS(P_TEXT(rj->register_id), P_INT(rj->seq), P_TEXT(rj->op_id),
	                P_TEXT(rj->type), P_TEXT(rj->code), P_TEXT(rj->message ? rj->message : ""),
	                P_TEXT(rj->payload ? rj->payload : "null"), P_INT(rj->created_at)));
}

static void read_rejection(sqlite3_stmt *st, struct st_rejection *rj)
{
	rj->n = cint(st, 0);
	ctext(st, 1, rj->register_id, sizeof(rj->register_id));
	rj->seq = cint(st, 2);
	ctext(st, 3, rj->op_id, sizeof(rj->op_id));
	ctext(st, 4, rj->type, sizeof(rj->type));
	ctext(st, 5, rj->code, sizeof(rj->code));
	rj->message = cstr(st, 6);
	rj->payload = cstr(st, 7);
	rj->created_at = cint(st, 8);
}
ROW_EACH(rejection, struct st_rejection, read_rejection, st_rejection_cb)

static int sq_rejection_list(struct store *s, int64_t before, int limit, st_rejection_cb cb,
                             void *arg)
{
	return rejection_each(SQ(s), Q_REJECTION_LIST, "rejections",
	                      ARGS(P_INT(before_arg(before)), P_INT(limit_arg(limit))), cb, arg);
}

static int sq_drawer_add(struct store *s, const struct st_drawer *d)
{
	return run(SQ(s), Q_DRAWER_ADD, "drawer event",
	           ARGS(P_TEXT(d->id), P_TEXT(d->register_id), P_OPT_TEXT(d->staff_id),
	                P_TEXT(d->reason), P_INT(d->opened_at), P_INT(d->received_at)));
}

static void read_drawer(sqlite3_stmt *st, struct st_drawer *d)
{
	d->n = cint(st, 0);
	ctext(st, 1, d->id, sizeof(d->id));
	ctext(st, 2, d->register_id, sizeof(d->register_id));
	ctext(st, 3, d->staff_id, sizeof(d->staff_id));
	ctext(st, 4, d->reason, sizeof(d->reason));
	d->opened_at = cint(st, 5);
	d->received_at = cint(st, 6);
}
ROW_EACH(drawer, struct st_drawer, read_drawer, st_drawer_cb)

static int sq_drawer_list(struct store *s, int64_t before, int limit, st_drawer_cb cb, void *arg)
{
	return drawer_each(SQ(s), Q_DRAWER_LIST, "drawer events",
	                   ARGS(P_INT(before_arg(before)), P_INT(limit_arg(limit))), cb, arg);
}

static int sq_mail_add(struct store *s, const struct st_mail *m)
{
	return run(SQ(s), Q_MAIL_ADD, "mail",
	           ARGS(P_TEXT(m->op_id), P_TEXT(m->register_id), P_TEXT(m->order_id),
	                P_TEXT(m->email), P_TEXT(m->status), P_INT(m->created_at),
	                P_OPT_TEXT(m->staff_id), P_INT(m->next_attempt_at)));
}

static void read_mail(sqlite3_stmt *st, struct st_mail *m)
{
	memset(m, 0, sizeof(*m));
	m->n = cint(st, 0);
	ctext(st, 1, m->op_id, sizeof(m->op_id));
	ctext(st, 2, m->register_id, sizeof(m->register_id));
	ctext(st, 3, m->order_id, sizeof(m->order_id));
	ctext(st, 4, m->email, sizeof(m->email));
	ctext(st, 5, m->status, sizeof(m->status));
	m->created_at = cint(st, 6);
	ctext(st, 7, m->staff_id, sizeof(m->staff_id));
	m->attempts = sqlite3_column_int(st, 8);
	m->next_attempt_at = cint(st, 9);
	m->lease_until = cint(st, 10);
	m->sent_at = cint(st, 11);
	ctext(st, 12, m->error, sizeof(m->error));
}
ROW_ONE(mail, struct st_mail, read_mail)
ROW_EACH(mail, struct st_mail, read_mail, st_mail_cb)

static int sq_mail_list(struct store *s, int64_t before, int limit, st_mail_cb cb, void *arg)
{
	return mail_each(SQ(s), Q_MAIL_LIST, "mail",
	                 ARGS(P_INT(before_arg(before)), P_INT(limit_arg(limit))), cb, arg);
}

static int sq_mail_find(struct store *s, const char *order_id, const char *email,
                        struct st_mail *out)
{
	return mail_one(SQ(s), Q_MAIL_FIND, "mail", ARGS(P_TEXT(order_id), P_TEXT(email)), out);
}

static int sq_mail_next_due(struct store *s, int64_t *due_at)
{
	bool none;
	int err = scalar(SQ(s), Q_MAIL_NEXT_DUE, "mail", NO_ARGS, due_at, &none);
	if (err)
		return err == TALAD_ENOTFOUND ? TALAD_EDB : err;
	return none ? TALAD_ENOTFOUND : TALAD_OK;
}

static int sq_mail_claim(struct store *s, int64_t now, int64_t lease_until, struct st_mail *out)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int err = one(q, Q_MAIL_CLAIM, "mail claim", ARGS(P_INT(now), P_INT(lease_until)), &st);
	if (err)
		return err;
	read_mail(st, out);
	/* Stepping to the end finishes the UPDATE. */
	return exec_done(q, st, "mail claim");
}

static int sq_mail_settle(struct store *s, const struct st_mail *m)
{
	int err =
	    change(SQ(s), Q_MAIL_SETTLE, "mail",
	           ARGS(P_INT(m->n), P_INT(m->attempts), P_TEXT(m->status),
	                P_INT(m->next_attempt_at), P_OPT_INT(m->sent_at), P_OPT_TEXT(m->error)));
	return err == TALAD_ENOTFOUND ? TALAD_ECONFLICT : err;
}

static int sq_mail_requeue(struct store *s, int64_t n, int64_t now)
{
	int err = change(SQ(s), Q_MAIL_REQUEUE, "mail", ARGS(P_INT(n), P_INT(now)));
	return err == TALAD_ENOTFOUND ? TALAD_ECONFLICT : err;
}

/* SQLite has one writer at a time, so AUTOINCREMENT seqs are handed out in
 * commit order and a reader can never pass a change that commits later. */
static int sq_feed_append(struct store *s, const char *type, const char *location_id,
                          const char *data, int64_t *seq)
{
	struct sq *q = SQ(s);
	int err = run(q, Q_FEED_APPEND, "change",
	              ARGS(P_TEXT(type), P_OPT_TEXT(location_id), P_TEXT(data)));
	if (err)
		return err;
	if (seq)
		*seq = sqlite3_last_insert_rowid(q->db);
	return TALAD_OK;
}

static int sq_feed_read(struct store *s, int64_t since, const char *location_id, int limit,
                        st_change_cb cb, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int err = prep(q, Q_FEED_READ,
	               ARGS(P_INT(since), P_TEXT(location_id), P_INT(limit_arg(limit))), &st),
	    r;
	if (err)
		return err;
	while ((r = next_row(q, st, "changes")) == 1)
		if ((err = cb(arg, cint(st, 0), cstr(st, 1), cstr(st, 2))) != TALAD_OK)
			break;
	done(st);
	return r < 0 ? r : err;
}

static int sq_feed_bounds(struct store *s, int64_t *floor, int64_t *head)
{
	struct sq *q = SQ(s);
	bool empty;
	int err = meta_get(q, "feed_floor", floor);
	if (err)
		return err;
	if ((err = scalar(q, Q_FEED_HEAD, "changes", NO_ARGS, head, &empty)))
		return err == TALAD_ENOTFOUND ? TALAD_EDB : err;
	if (empty || *head < *floor)
		*head = *floor;
	return TALAD_OK;
}

static int sq_feed_prune(struct store *s, int64_t keep)
{
	struct sq *q = SQ(s);
	int64_t floor, head;
	int err = sq_feed_bounds(s, &floor, &head);
	if (err)
		return err;
	if (keep < 1 || head - keep <= floor)
		return TALAD_OK;
	if ((err = run(q, Q_FEED_DELETE, "changes", ARGS(P_INT(head - keep)))))
		return err;
	return meta_set(q, "feed_floor", head - keep);
}

static int sq_maintain(struct store *s)
{
	struct sq *q = SQ(s);
	int rc = sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return rc == SQLITE_OK ? TALAD_OK
	                       : map_rc(q, sqlite3_extended_errcode(q->db), "checkpoint");
}

/* ---- payments: authorizations, gift cards, fulfilments ---- */

static void read_auth(sqlite3_stmt *st, struct st_auth *a)
{
	memset(a, 0, sizeof(*a));
	a->n = cint(st, 0);
	ctext(st, 1, a->id, sizeof(a->id));
	ctext(st, 2, a->register_id, sizeof(a->register_id));
	ctext(st, 3, a->order_id, sizeof(a->order_id));
	ctext(st, 4, a->method, sizeof(a->method));
	ctext(st, 5, a->gateway, sizeof(a->gateway));
	ctext(st, 6, a->status, sizeof(a->status));
	a->amount = cint(st, 7);
	ctext(st, 8, a->currency, sizeof(a->currency));
	ctext(st, 9, a->reference, sizeof(a->reference));
	ctext(st, 10, a->gateway_ref, sizeof(a->gateway_ref));
	ctext(st, 11, a->card_brand, sizeof(a->card_brand));
	ctext(st, 12, a->card_last4, sizeof(a->card_last4));
	ctext(st, 13, a->gift_code, sizeof(a->gift_code));
	ctext(st, 14, a->decline_code, sizeof(a->decline_code));
	ctext(st, 15, a->decline_message, sizeof(a->decline_message));
	a->created_at = cint(st, 16);
	a->expires_at = cint(st, 17);
	a->captured_at = cint(st, 18);
	a->voided_at = cint(st, 19);
}
ROW_ONE(auth, struct st_auth, read_auth)
ROW_EACH(auth, struct st_auth, read_auth, st_auth_cb)

static int sq_auth_add(struct store *s, const struct st_auth *a)
{
	return run(
	    SQ(s), Q_AUTH_ADD, "payment authorization",
	    ARGS(P_TEXT(a->id), P_TEXT(a->register_id), P_TEXT(a->order_id), P_TEXT(a->method),
	         P_TEXT(a->gateway), P_TEXT(a->status), P_INT(a->amount), P_TEXT(a->currency),
	         P_TEXT(a->reference), P_TEXT(a->gateway_ref), P_OPT_TEXT(a->card_brand),
	         P_OPT_TEXT(a->card_last4), P_OPT_TEXT(a->gift_code), P_OPT_TEXT(a->decline_code),
	         P_OPT_TEXT(a->decline_message), P_INT(a->created_at), P_INT(a->expires_at)));
}

static int sq_auth_get(struct store *s, const char *id, struct st_auth *out)
{
	return auth_one(SQ(s), Q_AUTH_GET, "payment authorization", ARGS(P_TEXT(id)), out);
}

static int sq_auth_by_reference(struct store *s, const char *reference, struct st_auth *out)
{
	return auth_one(SQ(s), Q_AUTH_BY_REF, "payment authorization", ARGS(P_TEXT(reference)),
	                out);
}

static int sq_auth_set_status(struct store *s, const char *id, const char *from, const char *to,
                              int64_t now)
{
	return change(SQ(s), Q_AUTH_SET_STATUS, "payment authorization",
	              ARGS(P_TEXT(id), P_TEXT(from), P_TEXT(to), P_INT(now)));
}

static int sq_auth_expire(struct store *s, int64_t now, int64_t *count)
{
	struct sq *q = SQ(s);
	/* The holds first, while the rows still say authorized. */
	int err = run(q, Q_AUTH_EXPIRE_GIFT, "gift card holds", ARGS(P_INT(now)));
	if (err || (err = run(q, Q_AUTH_EXPIRE, "payment authorizations", ARGS(P_INT(now)))))
		return err;
	if (count)
		*count = sqlite3_changes(q->db);
	return TALAD_OK;
}

static int sq_auth_list(struct store *s, const char *order_id, int64_t before, int limit,
                        st_auth_cb cb, void *arg)
{
	return auth_each(SQ(s), Q_AUTH_LIST, "payment authorizations",
	                 ARGS(P_INT(before_arg(before)), P_INT(limit_arg(limit)), P_TEXT(order_id)),
	                 cb, arg);
}

static int sq_giftcard_add(struct store *s, const struct st_giftcard *g)
{
	return run(
	    SQ(s), Q_GIFT_ADD, "gift card",
	    ARGS(P_TEXT(g->code), P_TEXT(g->currency), P_INT(g->initial), P_INT(g->created_at)));
}

static void read_giftcard(sqlite3_stmt *st, struct st_giftcard *g)
{
	memset(g, 0, sizeof(*g));
	g->n = cint(st, 0);
	ctext(st, 1, g->code, sizeof(g->code));
	ctext(st, 2, g->currency, sizeof(g->currency));
	g->initial = cint(st, 3);
	g->balance = cint(st, 4);
	g->held = cint(st, 5);
	g->created_at = cint(st, 6);
	g->updated_at = cint(st, 7);
}
ROW_ONE(giftcard, struct st_giftcard, read_giftcard)

static int sq_giftcard_get(struct store *s, const char *code, struct st_giftcard *out)
{
	return giftcard_one(SQ(s), Q_GIFT_GET, "gift card", ARGS(P_TEXT(code)), out);
}

/* Runs a conditional gift card update; when no row changed, tells a missing
 * card (TALAD_ENOTFOUND) from a condition that did not hold (refused). */
static int gift_update(struct store *s, int id, const char *code, int64_t amount, int64_t now,
                       int refused)
{
	int err = change(SQ(s), id, "gift card", ARGS(P_TEXT(code), P_INT(amount), P_INT(now)));
	if (err != TALAD_ENOTFOUND)
		return err;
	struct st_giftcard g;
	err = sq_giftcard_get(s, code, &g);
	return err ? err : refused;
}

static int sq_giftcard_hold(struct store *s, const char *code, int64_t amount, int64_t now)
{
	return gift_update(s, Q_GIFT_HOLD, code, amount, now, TALAD_EREFUSED);
}

static int sq_giftcard_release(struct store *s, const char *code, int64_t amount, int64_t now)
{
	/* Releasing more than is held would be a bookkeeping bug. */
	return gift_update(s, Q_GIFT_RELEASE, code, amount, now, TALAD_ECONFLICT);
}

static int sq_giftcard_debit(struct store *s, const char *code, int64_t amount, bool from_hold,
                             int64_t now)
{
	if (from_hold)
		return gift_update(s, Q_GIFT_DEBIT_HOLD, code, amount, now, TALAD_ECONFLICT);
	return gift_update(s, Q_GIFT_DEBIT, code, amount, now, TALAD_EREFUSED);
}

static int sq_fulfilment_add(struct store *s, const struct st_fulfilment *f)
{
	return run(SQ(s), Q_FULFIL_ADD, "fulfilment",
	           ARGS(P_TEXT(f->id), P_TEXT(f->order_id), P_TEXT(f->kind), P_TEXT(f->status),
	                P_TEXT(f->address), P_OPT_TEXT(f->email), P_INT(f->created_at)));
}

static void read_fulfilment(sqlite3_stmt *st, struct st_fulfilment *f)
{
	memset(f, 0, sizeof(*f));
	f->n = cint(st, 0);
	ctext(st, 1, f->id, sizeof(f->id));
	ctext(st, 2, f->order_id, sizeof(f->order_id));
	ctext(st, 3, f->kind, sizeof(f->kind));
	ctext(st, 4, f->status, sizeof(f->status));
	ctext(st, 5, f->address, sizeof(f->address));
	ctext(st, 6, f->email, sizeof(f->email));
	f->created_at = cint(st, 7);
}
ROW_EACH(fulfilment, struct st_fulfilment, read_fulfilment, st_fulfilment_cb)

static int sq_fulfilment_list(struct store *s, const char *order_id, st_fulfilment_cb cb, void *arg)
{
	return fulfilment_each(SQ(s), Q_FULFIL_LIST, "fulfilments", ARGS(P_TEXT(order_id)), cb,
	                       arg);
}

static const struct store_ops sqlite_ops = {
    .backend = "sqlite",
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .counter_next = sq_counter_next,
    .shop_get = sq_shop_get,
    .shop_put = sq_shop_put,
    .location_add = sq_location_add,
    .location_get = sq_location_get,
    .location_list = sq_location_list,
    .product_put = sq_product_put,
    .product_get = sq_product_get,
    .product_delete = sq_product_delete,
    .product_list = sq_product_list,
    .variant_info = sq_variant_info,
    .variant_by_sku = sq_variant_by_sku,
    .variant_owner = sq_variant_owner,
    .level_list = sq_level_list,
    .level_get = sq_level_get,
    .delta_add = sq_delta_add,
    .level_add = sq_level_add,
    .staff_add = sq_staff_add,
    .staff_get = sq_staff_get,
    .staff_by_email = sq_staff_by_email,
    .staff_list = sq_staff_list,
    .staff_set_lockout = sq_staff_set_lockout,
    .token_add = sq_token_add,
    .token_get = sq_token_get,
    .token_delete = sq_token_delete,
    .token_delete_subject = sq_token_delete_subject,
    .token_prune = sq_token_prune,
    .register_add = sq_register_add,
    .register_get = sq_register_get,
    .register_list = sq_register_list,
    .register_touch = sq_register_touch,
    .register_set_seq = sq_register_set_seq,
    .register_remove = sq_register_remove,
    .paymethod_add = sq_paymethod_add,
    .paymethod_list = sq_paymethod_list,
    .mutation_add = sq_mutation_add,
    .mutation_set_status = sq_mutation_set_status,
    .order_add = sq_order_add,
    .order_get = sq_order_get,
    .order_list = sq_order_list,
    .rejection_add = sq_rejection_add,
    .rejection_list = sq_rejection_list,
    .drawer_add = sq_drawer_add,
    .drawer_list = sq_drawer_list,
    .mail_add = sq_mail_add,
    .mail_list = sq_mail_list,
    .mail_find = sq_mail_find,
    .mail_next_due = sq_mail_next_due,
    .mail_claim = sq_mail_claim,
    .mail_settle = sq_mail_settle,
    .mail_requeue = sq_mail_requeue,
    .feed_append = sq_feed_append,
    .feed_read = sq_feed_read,
    .feed_bounds = sq_feed_bounds,
    .feed_prune = sq_feed_prune,
    .maintain = sq_maintain,
    .auth_add = sq_auth_add,
    .auth_get = sq_auth_get,
    .auth_by_reference = sq_auth_by_reference,
    .auth_set_status = sq_auth_set_status,
    .auth_expire = sq_auth_expire,
    .auth_list = sq_auth_list,
    .giftcard_add = sq_giftcard_add,
    .giftcard_get = sq_giftcard_get,
    .giftcard_hold = sq_giftcard_hold,
    .giftcard_release = sq_giftcard_release,
    .giftcard_debit = sq_giftcard_debit,
    .fulfilment_add = sq_fulfilment_add,
    .fulfilment_list = sq_fulfilment_list,
};

static int user_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return TALAD_EDB;
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? TALAD_OK : TALAD_EDB;
}

/* Applies the migrations the database lacks up to version upto, all in one
 * transaction. */
static int migrate(sqlite3 *db, int upto, char *err, size_t errlen)
{
	int v;
	if (user_version(db, &v)) {
		snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db));
		return TALAD_EDB;
	}
	if (v > NMIGRATIONS) {
		snprintf(err, errlen,
		         "the database has schema version %d, newer than this talad-server (%d)", v,
		         NMIGRATIONS);
		return TALAD_EDB;
	}
	if (v >= upto)
		return TALAD_OK;
	char *msg = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	/* Another process may have migrated while we waited for the lock. */
	if (user_version(db, &v))
		goto fail;
	for (; v < upto; v++) {
		if (sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK)
			goto fail;
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK)
			goto fail;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	return TALAD_OK;
fail:
	snprintf(err, errlen, "cannot migrate the database: %s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return TALAD_EDB;
}

int store_sqlite_open(const char *path, bool create, struct store **out, char *err, size_t errlen)
{
	struct stat sb;
	if (!create && stat(path, &sb) != 0) {
		snprintf(err, errlen, "no database at %s", path);
		return TALAD_ENOTFOUND;
	}
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		         db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return TALAD_EDB;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 5000);
	char *msg = NULL;
	if (sqlite3_exec(db,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	                 "PRAGMA foreign_keys = ON; PRAGMA cache_size = -16000;"
	                 /* The server checkpoints in the background (maintain);
	                    commits only do it when the log grows past 32 MiB. */
	                 "PRAGMA wal_autocheckpoint = 8192;"
	                 "PRAGMA journal_size_limit = 67108864;",
	                 NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up %s: %s", path, msg ? msg : "unknown error");
		sqlite3_free(msg);
		sqlite3_close(db);
		return TALAD_EDB;
	}
	int rc = migrate(db, NMIGRATIONS, err, errlen);
	if (rc) {
		sqlite3_close(db);
		return rc;
	}
	struct sq *q = xcalloc(1, sizeof(*q));
	q->base.ops = &sqlite_ops;
	q->db = db;
	*out = &q->base;
	return TALAD_OK;
}

int store_sqlite_migrate_to(const char *path, int version, char *err, size_t errlen)
{
	if (version < 1 || version > NMIGRATIONS) {
		snprintf(err, errlen, "no schema version %d (1 to %d)", version, NMIGRATIONS);
		return TALAD_EINVAL;
	}
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		         db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return TALAD_EDB;
	}
	int rc = migrate(db, version, err, errlen);
	sqlite3_close(db);
	return rc;
}
