/* The register's local store on SQLite: schema and migrations, the catalog
 * copy fed by snapshots and change pages, sales committed whole in one
 * transaction, and the outbox the sync client drains. Statements are prepared
 * once per handle and kept, so a barcode lookup costs one index probe. */
#include "register/rstore.h"

#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "core/order.h"
#include "core/tender.h"
#include "register/snapread.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Another process (the till, `sync --watch`) may hold the write lock for a
 * while when it applies a large snapshot. */
#define BUSY_TIMEOUT_MS 10000

/* The catalog's lookup indexes, rebuilt by every snapshot. */
#define INDEXES_SQL                                                                                \
	"CREATE INDEX variants_barcode ON variants (barcode);"                                     \
	"CREATE INDEX variants_sku ON variants (sku);"                                             \
	"CREATE INDEX variants_product ON variants (product_id);"

/* Migrations: entry i takes the schema from version i to i + 1. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE pairing ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " server_url TEXT NOT NULL,"
    " register_id TEXT NOT NULL,"
    " register_code TEXT NOT NULL,"
    " register_name TEXT NOT NULL,"
    " token TEXT NOT NULL DEFAULT '',"
    " location_id TEXT NOT NULL DEFAULT '',"
    " location_name TEXT NOT NULL DEFAULT '',"
    " shop_name TEXT NOT NULL DEFAULT '',"
    " logged_in INTEGER NOT NULL DEFAULT 0,"
    " cursor INTEGER NOT NULL DEFAULT 0,"
    " receipt_counter INTEGER NOT NULL DEFAULT 0,"
    " last_sync INTEGER NOT NULL DEFAULT 0,"
    " clock_skew_ms INTEGER NOT NULL DEFAULT 0,"
    " sync_online INTEGER NOT NULL DEFAULT 0,"
    " sync_error TEXT NOT NULL DEFAULT '',"
    " sync_updated_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE shop ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " name TEXT NOT NULL,"
    " currency TEXT NOT NULL,"
    " tax_rate_ppm INTEGER NOT NULL,"
    " tax_included INTEGER NOT NULL,"
    " tax_rounding TEXT NOT NULL,"
    " cash_increment INTEGER NOT NULL,"
    " tax_id TEXT NOT NULL,"
    " address TEXT NOT NULL,"
    " receipt_footer TEXT NOT NULL,"
    " promptpay_id TEXT NOT NULL);"
    "CREATE TABLE products (id TEXT PRIMARY KEY, title TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE variants ("
    " id TEXT NOT NULL UNIQUE,"
    " product_id TEXT NOT NULL,"
    " position INTEGER NOT NULL,"
    " sku TEXT,"
    " barcode TEXT,"
    " title TEXT NOT NULL,"
    " price INTEGER NOT NULL CHECK (price >= 0),"
    " taxable INTEGER NOT NULL,"
    " tracked INTEGER NOT NULL);" INDEXES_SQL
    "CREATE TABLE levels (variant_id TEXT PRIMARY KEY, available INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE TABLE staff (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
    " pin_hash TEXT) WITHOUT ROWID;"
    "CREATE TABLE payment_methods (id TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE orders ("
    " id TEXT PRIMARY KEY,"
    " number TEXT NOT NULL UNIQUE,"
    " counter INTEGER NOT NULL UNIQUE,"
    " created_at INTEGER NOT NULL,"
    " total INTEGER NOT NULL,"
    " change_given INTEGER NOT NULL,"
    " json TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'waiting'"
    "  CHECK (status IN ('waiting', 'synced', 'rejected')),"
    " error TEXT);"
    "CREATE TABLE order_lines ("
    " order_id TEXT NOT NULL REFERENCES orders (id),"
    " line_no INTEGER NOT NULL,"
    " variant_id TEXT,"
    " sku TEXT,"
    " title TEXT NOT NULL,"
    " quantity INTEGER NOT NULL,"
    " unit_price INTEGER NOT NULL,"
    " total INTEGER NOT NULL,"
    " PRIMARY KEY (order_id, line_no));"
    "CREATE TABLE payments ("
    " order_id TEXT NOT NULL REFERENCES orders (id),"
    " pay_no INTEGER NOT NULL,"
    " method TEXT NOT NULL,"
    " name TEXT,"
    " amount INTEGER NOT NULL,"
    " tendered INTEGER NOT NULL,"
    " change_given INTEGER NOT NULL,"
    " PRIMARY KEY (order_id, pay_no));"
    "CREATE TABLE stock_deltas ("
    " id TEXT PRIMARY KEY,"
    " variant_id TEXT NOT NULL,"
    " delta INTEGER NOT NULL,"
    " order_id TEXT REFERENCES orders (id),"
    " created_at INTEGER NOT NULL,"
    " synced INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX stock_deltas_unsynced ON stock_deltas (variant_id) WHERE synced = 0;"
    "CREATE INDEX stock_deltas_order ON stock_deltas (order_id);"
    "CREATE TABLE outbox ("
    " seq INTEGER PRIMARY KEY,"
    " op_id TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " payload TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending'"
    "  CHECK (status IN ('pending', 'applied', 'duplicate', 'rejected')),"
    " error TEXT,"
    " order_id TEXT REFERENCES orders (id));"
    "CREATE INDEX outbox_pending ON outbox (seq) WHERE status = 'pending';"
    "CREATE INDEX outbox_order ON outbox (order_id);",
    /* 1 -> 2: the back office's discount limit (NULL: it sent none) */
    "ALTER TABLE shop ADD COLUMN discount_limit_ppm INTEGER;",
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == RSTORE_SCHEMA_VERSION, "one migration per schema version");

#define VARIANT_COLS                                                                               \
	"v.id, v.product_id, v.sku, v.barcode, v.title, p.title, v.price, v.taxable, v.tracked,"   \
	" l.available,"                                                                            \
	" (SELECT COALESCE(SUM(d.delta), 0) FROM stock_deltas d"                                   \
	"  WHERE d.variant_id = v.id AND d.synced = 0),"                                           \
	" (SELECT COUNT(*) FROM variants v2 WHERE v2.product_id = v.product_id)"                   \
	" FROM variants v LEFT JOIN products p ON p.id = v.product_id"                             \
	" LEFT JOIN levels l ON l.variant_id = v.id "

#define PAIRING_COLS                                                                               \
	"server_url, shop_name, register_id, register_code, register_name, token, location_id,"    \
	" location_name, logged_in, cursor, receipt_counter, last_sync, clock_skew_ms,"            \
	" sync_online, sync_error, sync_updated_at"

enum query {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_PAIRING_GET,
	Q_PAIRING_NEW,
	Q_PAIRING_SAME,
	Q_SET_LOGGED_IN,
	Q_NOTE_SYNC,
	Q_PAIRING_FROM_SNAPSHOT,
	Q_CURSOR_PUT,
	Q_SHOP_GET,
	Q_SHOP_PUT,
	Q_SHOP_NAME_PUT,
	Q_FIND_BARCODE,
	Q_FIND_SKU,
	Q_VARIANT_BY_ID,
	Q_SEARCH,
	Q_CATALOG_COUNT,
	Q_PRODUCT_PUT,
	Q_PRODUCT_DEL,
	Q_VARIANTS_DEL_PRODUCT,
	Q_VARIANT_PUT,
	Q_LEVEL_PUT,
	Q_STAFF_PUT,
	Q_STAFF_GET,
	Q_STAFF_LIST,
	Q_METHOD_PUT,
	Q_METHODS_LIST,
	Q_METHOD_MATCH,
	Q_COUNTER_NEXT,
	Q_VARIANT_TRACKED,
	Q_ORDER_INSERT,
	Q_LINE_INSERT,
	Q_PAYMENT_INSERT,
	Q_DELTA_INSERT,
	Q_OUTBOX_INSERT,
	Q_OUTBOX_PENDING,
	Q_OUTBOX_ALL,
	Q_PENDING_COUNT,
	Q_OUTBOX_PENDING_UPTO,
	Q_OUTBOX_MARK,
	Q_ORDER_MARK,
	Q_DELTAS_MARK,
	Q_ORDERS_ALL,
	Q_ORDERS_WAITING,
	Q_ORDER_GET,
	Q_SETTING_GET,
	Q_SETTING_SET,
	Q_SETTING_DEL,
	Q_SETTINGS_LIST,
	Q_PAIRED,
	Q_OUTBOX_EMAILS,
	Q_COUNT
};

static const char *const query_sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_PAIRING_GET] = "SELECT " PAIRING_COLS " FROM pairing WHERE id = 1",
    [Q_PAIRING_NEW] =
        "INSERT INTO pairing (id, server_url, register_id, register_code, register_name,"
        " token, location_id, location_name, logged_in) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)"
        " ON CONFLICT (id) DO UPDATE SET server_url = ?1, register_id = ?2,"
        " register_code = ?3, register_name = ?4, token = ?5, location_id = ?6,"
        " location_name = ?7, logged_in = 0, shop_name = '', cursor = 0,"
        " receipt_counter = 0, last_sync = 0, clock_skew_ms = 0, sync_online = 0,"
        " sync_error = '', sync_updated_at = 0",
    [Q_PAIRING_SAME] = "UPDATE pairing SET server_url = ?1, register_code = ?3,"
                       " register_name = ?4, token = ?5, location_id = ?6, location_name = ?7,"
                       " logged_in = 0 WHERE id = 1 AND register_id = ?2",
    [Q_SET_LOGGED_IN] = "UPDATE pairing SET logged_in = ?1,"
                        " token = CASE WHEN ?1 THEN token ELSE '' END WHERE id = 1",
    [Q_NOTE_SYNC] = "UPDATE pairing SET sync_online = ?1, sync_error = ?2, sync_updated_at = ?3,"
                    " last_sync = CASE WHEN ?4 > 0 THEN ?4 ELSE last_sync END,"
                    " clock_skew_ms = CASE WHEN ?5 THEN ?6 ELSE clock_skew_ms END WHERE id = 1",
    [Q_PAIRING_FROM_SNAPSHOT] =
        "UPDATE pairing SET register_name = ?2, register_code = ?3, location_id = ?4,"
        " location_name = ?5, shop_name = ?6, cursor = ?7 WHERE id = 1 AND register_id = ?1",
    [Q_CURSOR_PUT] = "UPDATE pairing SET cursor = max(cursor, ?1) WHERE id = 1",
    [Q_SHOP_GET] = "SELECT name, currency, tax_rate_ppm, tax_included, tax_rounding,"
                   " cash_increment, tax_id, address, receipt_footer, promptpay_id,"
                   " discount_limit_ppm FROM shop WHERE id = 1",
    [Q_SHOP_PUT] = "INSERT OR REPLACE INTO shop (id, name, currency, tax_rate_ppm, tax_included,"
                   " tax_rounding, cash_increment, tax_id, address, receipt_footer, promptpay_id,"
                   " discount_limit_ppm) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [Q_SHOP_NAME_PUT] = "UPDATE pairing SET shop_name = ?1 WHERE id = 1",
    [Q_FIND_BARCODE] = "SELECT " VARIANT_COLS "WHERE v.barcode = ?1 ORDER BY v.rowid LIMIT 1",
    [Q_FIND_SKU] = "SELECT " VARIANT_COLS "WHERE v.sku = ?1 ORDER BY v.rowid LIMIT 1",
    [Q_VARIANT_BY_ID] = "SELECT " VARIANT_COLS "WHERE v.id = ?1",
    [Q_SEARCH] = "SELECT " VARIANT_COLS "WHERE v.title LIKE ?1 ESCAPE '\\'"
                 " OR p.title LIKE ?1 ESCAPE '\\' OR v.sku LIKE ?1 ESCAPE '\\'"
                 " ORDER BY p.title, v.position, v.rowid LIMIT ?2",
    [Q_CATALOG_COUNT] = "SELECT COUNT(*) FROM variants",
    [Q_PRODUCT_PUT] = "INSERT OR REPLACE INTO products (id, title) VALUES (?1, ?2)",
    [Q_PRODUCT_DEL] = "DELETE FROM products WHERE id = ?1",
    [Q_VARIANTS_DEL_PRODUCT] = "DELETE FROM variants WHERE product_id = ?1",
    [Q_VARIANT_PUT] = "INSERT INTO variants (id, product_id, position, sku, barcode, title, price,"
                      " taxable, tracked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                      " ON CONFLICT (id) DO UPDATE SET product_id = ?2, position = ?3,"
                      " sku = ?4, barcode = ?5, title = ?6, price = ?7, taxable = ?8,"
                      " tracked = ?9",
    [Q_LEVEL_PUT] = "INSERT OR REPLACE INTO levels (variant_id, available) VALUES (?1, ?2)",
    [Q_STAFF_PUT] = "INSERT OR REPLACE INTO staff (id, name, role, pin_hash)"
                    " VALUES (?1, ?2, ?3, ?4)",
    [Q_STAFF_GET] = "SELECT id, name, role, pin_hash FROM staff WHERE id = ?1",
    [Q_STAFF_LIST] = "SELECT id, name, role, pin_hash FROM staff ORDER BY name, id",
    [Q_METHOD_PUT] = "INSERT OR REPLACE INTO payment_methods (id, name) VALUES (?1, ?2)",
    [Q_METHODS_LIST] = "SELECT name FROM payment_methods ORDER BY name COLLATE NOCASE, id",
    [Q_METHOD_MATCH] = "SELECT name FROM payment_methods WHERE name = ?1 COLLATE NOCASE"
                       " ORDER BY name = ?1 DESC, id LIMIT 1",
    [Q_COUNTER_NEXT] = "UPDATE pairing SET receipt_counter = receipt_counter + 1"
                       " WHERE id = 1 AND logged_in = 1"
                       " RETURNING receipt_counter, register_id, register_code, location_id",
    [Q_VARIANT_TRACKED] = "SELECT tracked FROM variants WHERE id = ?1",
    [Q_ORDER_INSERT] = "INSERT INTO orders (id, number, counter, created_at, total,"
                       " change_given, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_LINE_INSERT] = "INSERT INTO order_lines (order_id, line_no, variant_id, sku, title,"
                      " quantity, unit_price, total) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_PAYMENT_INSERT] = "INSERT INTO payments (order_id, pay_no, method, name, amount,"
                         " tendered, change_given) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_DELTA_INSERT] = "INSERT INTO stock_deltas (id, variant_id, delta, order_id, created_at)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_OUTBOX_INSERT] = "INSERT INTO outbox (seq, op_id, type, created_at, payload, order_id)"
                        " VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox),"
                        " ?1, ?2, ?3, ?4, ?5) RETURNING seq",
    [Q_OUTBOX_PENDING] = "SELECT seq, op_id, type, created_at, payload, status, error"
                         " FROM outbox WHERE status = 'pending' AND seq > ?1"
                         " ORDER BY seq LIMIT ?2",
    [Q_OUTBOX_ALL] = "SELECT seq, op_id, type, created_at, payload, status, error"
                     " FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [Q_PENDING_COUNT] = "SELECT COUNT(*) FROM outbox WHERE status = 'pending'",
    [Q_OUTBOX_PENDING_UPTO] = "SELECT seq, type, order_id FROM outbox"
                              " WHERE status = 'pending' AND seq <= ?1 ORDER BY seq",
    [Q_OUTBOX_MARK] = "UPDATE outbox SET status = ?2, error = ?3 WHERE seq = ?1",
    [Q_ORDER_MARK] = "UPDATE orders SET status = ?2, error = ?3 WHERE id = ?1",
    [Q_DELTAS_MARK] = "UPDATE stock_deltas SET synced = 1 WHERE order_id = ?1 AND synced = 0",
    [Q_ORDERS_ALL] = "SELECT id, number, created_at, total, change_given, status, error"
                     " FROM orders ORDER BY counter",
    [Q_ORDERS_WAITING] = "SELECT id, number, created_at, total, change_given, status, error"
                         " FROM orders WHERE status = 'waiting' ORDER BY counter",
    [Q_ORDER_GET] = "SELECT id, number, created_at, total, change_given, status, error, json"
                    " FROM orders WHERE id = ?1 OR number = ?1",
    [Q_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
    [Q_SETTING_SET] = "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
    [Q_SETTING_DEL] = "DELETE FROM settings WHERE key = ?1",
    [Q_SETTINGS_LIST] = "SELECT key, value FROM settings ORDER BY key",
    [Q_PAIRED] = "SELECT register_id, location_id FROM pairing WHERE id = 1",
    [Q_OUTBOX_EMAILS] = "SELECT seq, op_id, type, created_at, payload, status, error"
                        " FROM outbox WHERE order_id = ?1 AND type = 'receipt.email'"
                        " ORDER BY seq DESC",
};

struct rstore {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[Q_COUNT];
};

/* ---- small helpers ---- */

/* Puts "prefix: " in front of the message already in err. */
static void prefix_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void prefix_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	char pre[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	char *old = xstrdup(err);
	snprintf(err, errlen, "%s: %s", pre, old);
	free(old);
}

/* Puts a path component in front of a field error: "variants[0]" and
 * "price: not an integer" give "variants[0].price: not an integer". */
static void nest_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void nest_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	char pre[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	char *old = xstrdup(err);
	/* Database errors are sentences, not field paths. */
	bool field = strncmp(old, "cannot ", 7) != 0 && strncmp(old, "this ", 5) != 0;
	snprintf(err, errlen, "%s%s%s", pre, field ? "." : ": ", old);
	free(old);
}

/* Copies src into dst, cutting at a UTF-8 character boundary when too long. */
static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

static int64_t col_int(sqlite3_stmt *s, int i)
{
	return sqlite3_column_int64(s, i);
}

/* A text column into a fixed-size field: COPY_COL(s, 2, out->sku). */
#define COPY_COL(s, i, field) copy_cut((field), sizeof(field), col_text((s), (i)))

static int map_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return TALAD_EEXIST;
		return TALAD_EDB;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return TALAD_EBUSY;
	default:
		return TALAD_EDB;
	}
}

static int dberr(struct rstore *st, int rc, char *err, size_t errlen, const char *what)
{
	talad_seterr(err, errlen, "cannot %s: %s", what, sqlite3_errmsg(st->db));
	return map_sqlite(rc);
}

/* The parameters of a statement, ?1 onwards, written where it is run:
 * ARGS(P_TEXT(r->id), P_INT(r->price)) or NO_ARGS. A compound literal on
 * the stack, so binding costs no allocation on the lookup and sync paths. */
struct bind {
	enum { BK_NULL, BK_TEXT, BK_OPT_TEXT, BK_INT } kind;
	const char *text; /* borrowed until the statement is reset */
	int64_t num;
};

#define P_TEXT(v)     ((struct bind){BK_TEXT, (v), 0})     /* NULL binds NULL */
#define P_OPT_TEXT(v) ((struct bind){BK_OPT_TEXT, (v), 0}) /* "" binds NULL too */
#define P_INT(v)      ((struct bind){BK_INT, NULL, (int64_t)(v)})
#define P_NULL        ((struct bind){BK_NULL, NULL, 0})
#define ARGS(...)                                                                                  \
	(const struct bind[]){__VA_ARGS__},                                                        \
	    (int)(sizeof((const struct bind[]){__VA_ARGS__}) / sizeof(struct bind))
#define NO_ARGS NULL, 0

/* The statement for q, prepared on first use and kept for the life of the
 * handle, with its parameters bound: ready to step. */
static int prep(struct rstore *st, enum query q, char *err, size_t errlen, const char *what,
                const struct bind *b, int nb, sqlite3_stmt **out)
{
	*out = NULL;
	if (!st->stmt[q]) {
		int rc = sqlite3_prepare_v3(st->db, query_sql[q], -1, SQLITE_PREPARE_PERSISTENT,
		                            &st->stmt[q], NULL);
		if (rc != SQLITE_OK) {
			st->stmt[q] = NULL;
			return dberr(st, rc, err, errlen, "prepare a statement");
		}
	}
	sqlite3_stmt *s = st->stmt[q];
	for (int i = 0; i < nb; i++) {
		int rc;
		if (b[i].kind == BK_INT)
			rc = sqlite3_bind_int64(s, i + 1, b[i].num);
		else if (b[i].text && (b[i].kind == BK_TEXT || *b[i].text))
			rc = sqlite3_bind_text(s, i + 1, b[i].text, -1, SQLITE_STATIC);
		else
			rc = sqlite3_bind_null(s, i + 1);
		if (rc != SQLITE_OK) {
			int ret = dberr(st, rc, err, errlen, what);
			sqlite3_reset(s);
			return ret;
		}
	}
	*out = s;
	return TALAD_OK;
}

/* Steps a statement to its end (after the row of a RETURNING, where the
 * change is made), then resets it. */
static int finish(struct rstore *st, sqlite3_stmt *s, char *err, size_t errlen, const char *what)
{
	int rc = sqlite3_step(s);
	int ret = TALAD_OK;
	if (rc != SQLITE_DONE)
		ret = dberr(st, sqlite3_extended_errcode(st->db), err, errlen, what);
	sqlite3_reset(s);
	return ret;
}

/* Runs q for no rows (a row it returns is not read), then resets it. */
static int run(struct rstore *st, enum query q, char *err, size_t errlen, const char *what,
               const struct bind *b, int nb)
{
	sqlite3_stmt *s;
	int rc = prep(st, q, err, errlen, what, b, nb, &s);
	if (rc)
		return rc;
	rc = sqlite3_step(s);
	int ret = TALAD_OK;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = dberr(st, sqlite3_extended_errcode(st->db), err, errlen, what);
	sqlite3_reset(s);
	return ret;
}

/* Runs q to its first row: TALAD_OK with the row current (the caller
 * resets *out), TALAD_ENOTFOUND or an error with the statement reset. */
static int one(struct rstore *st, enum query q, char *err, size_t errlen, const char *what,
               const struct bind *b, int nb, sqlite3_stmt **out)
{
	int rc = prep(st, q, err, errlen, what, b, nb, out);
	if (rc)
		return rc;
	rc = sqlite3_step(*out);
	if (rc == SQLITE_ROW)
		return TALAD_OK;
	int ret = rc == SQLITE_DONE ? TALAD_ENOTFOUND : dberr(st, rc, err, errlen, what);
	sqlite3_reset(*out);
	return ret;
}

/* The first column of the first row of q: TALAD_ENOTFOUND when none. */
static int scalar(struct rstore *st, enum query q, char *err, size_t errlen, const char *what,
                  const struct bind *b, int nb, int64_t *out)
{
	sqlite3_stmt *s;
	int rc = one(st, q, err, errlen, what, b, nb, &s);
	if (rc)
		return rc;
	*out = col_int(s, 0);
	sqlite3_reset(s);
	return TALAD_OK;
}

/* A step inside a listing loop: 1 for a row, 0 at the end, < 0 on error
 * (the caller resets). */
static int next_row(struct rstore *st, sqlite3_stmt *s, char *err, size_t errlen, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : dberr(st, rc, err, errlen, what);
}

/* Room for one more item in a growing array of *cap items, first when empty. */
static void *grow(void *items, size_t n, size_t *cap, size_t first, size_t size)
{
	if (n < *cap)
		return items;
	*cap = *cap ? 2 * *cap : first;
	return xreallocarray(items, *cap, size);
}

/* For a row type T read from a statement's columns by read_fn, NAME_one()
 * reads the first row of q into *out (TALAD_ENOTFOUND when there is none)
 * and NAME_rows() every row into a new array (first items allocated at
 * first), freed by free_fn when a step fails. */
#define ROW_ONE(name, T, read_fn)                                                                  \
	static int name##_one(struct rstore *st, enum query q, const char *what,                   \
	                      const struct bind *b, int nb, T *out)                                \
	{                                                                                          \
		sqlite3_stmt *s;                                                                   \
		int rc = one(st, q, NULL, 0, what, b, nb, &s);                                     \
		if (rc)                                                                            \
			return rc;                                                                 \
		read_fn(s, out);                                                                   \
		sqlite3_reset(s);                                                                  \
		return TALAD_OK;                                                                   \
	}
#define ROW_LIST(name, T, read_fn, first, free_fn)                                                 \
	static int name##_rows(struct rstore *st, enum query q, const char *what,                  \
	                       const struct bind *b, int nb, T **out, size_t *n)                   \
	{                                                                                          \
		*out = NULL;                                                                       \
		*n = 0;                                                                            \
		sqlite3_stmt *s;                                                                   \
		int rc = prep(st, q, NULL, 0, what, b, nb, &s);                                    \
		if (rc)                                                                            \
			return rc;                                                                 \
		size_t cap = 0;                                                                    \
		while ((rc = next_row(st, s, NULL, 0, what)) == 1) {                               \
			*out = grow(*out, *n, &cap, (first), sizeof(**out));                       \
			read_fn(s, &(*out)[(*n)++]);                                               \
		}                                                                                  \
		sqlite3_reset(s);                                                                  \
		if (rc < 0) {                                                                      \
			free_fn(*out, *n);                                                         \
			*out = NULL;                                                               \
			*n = 0;                                                                    \
		}                                                                                  \
		return rc < 0 ? rc : TALAD_OK;                                                     \
	}

static void free_items(void *items, size_t n)
{
	(void)n;
	free(items);
}

static int tx_begin(struct rstore *st, char *err, size_t errlen)
{
	return run(st, Q_BEGIN, err, errlen, "start a transaction", NO_ARGS);
}

static int tx_commit(struct rstore *st, char *err, size_t errlen)
{
	return run(st, Q_COMMIT, err, errlen, "commit", NO_ARGS);
}

static void tx_rollback(struct rstore *st)
{
	if (sqlite3_get_autocommit(st->db))
		return; /* SQLite already rolled back (an I/O error, a full disk) */
	if (run(st, Q_ROLLBACK, NULL, 0, "roll back", NO_ARGS))
		log_error("rstore: cannot roll back: %s", sqlite3_errmsg(st->db));
}

static int exec(struct rstore *st, const char *sql, char *err, size_t errlen, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		talad_seterr(err, errlen, "cannot %s: %s", what, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return map_sqlite(sqlite3_extended_errcode(st->db));
	}
	return TALAD_OK;
}

/* ---- open, migrate, close ---- */

static int user_version(struct rstore *st, int *v, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return dberr(st, rc, err, errlen, "read the schema version");
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		int ret = dberr(st, rc, err, errlen, "read the schema version");
		sqlite3_finalize(s);
		return ret;
	}
	*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return TALAD_OK;
}

static int migrate(struct rstore *st, char *err, size_t errlen)
{
	int v, rc = user_version(st, &v, err, errlen);
	if (rc)
		return rc;
	if (v == RSTORE_SCHEMA_VERSION)
		return TALAD_OK;
	if (v > RSTORE_SCHEMA_VERSION || v < 0) {
		talad_seterr(err, errlen,
		             "%s has schema version %d, newer than this talad knows (%d)", st->path,
		             v, RSTORE_SCHEMA_VERSION);
		return TALAD_EDB;
	}
	rc = exec(st, "BEGIN IMMEDIATE", err, errlen, "start the migration");
	if (rc)
		return rc;
	/* Another process may have migrated while we waited for the lock. */
	rc = user_version(st, &v, err, errlen);
	for (int i = v; rc == TALAD_OK && i < RSTORE_SCHEMA_VERSION; i++) {
		rc = exec(st, migrations[i], err, errlen, "migrate the schema");
		if (rc == TALAD_OK) {
			char sql[64];
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", i + 1);
			rc = exec(st, sql, err, errlen, "record the schema version");
		}
	}
	if (rc == TALAD_OK)
		rc = exec(st, "COMMIT", err, errlen, "commit the migration");
	if (rc)
		tx_rollback(st);
	return rc;
}

int rstore_open(const char *path, struct rstore **out, char *err, size_t errlen)
{
	struct rstore *st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	int ret = TALAD_OK;
	if (rc != SQLITE_OK) {
		talad_seterr(err, errlen, "cannot open %s: %s", path,
		             st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		ret = TALAD_EDB;
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/* WAL lets the till read while `sync --watch` writes; FULL makes a
	 * committed sale survive a power cut, not just a crash. */
	ret = exec(st, "PRAGMA journal_mode = WAL", err, errlen, "use write-ahead logging");
	if (ret == TALAD_OK)
		ret = exec(st, "PRAGMA synchronous = FULL", err, errlen, "set synchronous");
	if (ret == TALAD_OK)
		ret = exec(st, "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536", err, errlen,
		           "enable foreign keys");
	if (ret == TALAD_OK)
		ret = migrate(st, err, errlen);
	if (ret && err && errlen && !strstr(err, path))
		prefix_err(err, errlen, "%s", path);
out:
	if (ret) {
		rstore_close(st);
		return ret;
	}
	*out = st;
	return TALAD_OK;
}

void rstore_close(struct rstore *st)
{
	if (!st)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		log_error("rstore: cannot close %s: %s", st->path, sqlite3_errmsg(st->db));
	free(st->path);
	free(st);
}

const char *rstore_path(const struct rstore *st)
{
	return st->path;
}

int rstore_schema_version(struct rstore *st, int *version)
{
	return user_version(st, version, NULL, 0);
}

/* ---- pairing ---- */

static void read_pairing(sqlite3_stmt *s, struct rstore_pairing *out)
{
	COPY_COL(s, 0, out->server_url);
	COPY_COL(s, 1, out->shop_name);
	COPY_COL(s, 2, out->register_id);
	COPY_COL(s, 3, out->register_code);
	COPY_COL(s, 4, out->register_name);
	COPY_COL(s, 5, out->token);
	COPY_COL(s, 6, out->location_id);
	COPY_COL(s, 7, out->location_name);
	out->logged_in = sqlite3_column_int(s, 8) != 0;
	out->cursor = col_int(s, 9);
	out->receipt_counter = col_int(s, 10);
	out->last_sync = col_int(s, 11);
	out->clock_skew_ms = col_int(s, 12);
	out->sync_online = sqlite3_column_int(s, 13) != 0;
	COPY_COL(s, 14, out->sync_error);
	out->sync_updated_at = col_int(s, 15);
}
ROW_ONE(pairing, struct rstore_pairing, read_pairing)

int rstore_get_pairing(struct rstore *st, struct rstore_pairing *out)
{
	memset(out, 0, sizeof(*out));
	return pairing_one(st, Q_PAIRING_GET, "read the pairing", NO_ARGS, out);
}

static int count_query(struct rstore *st, enum query q, int64_t *n)
{
	return scalar(st, q, NULL, 0, "count", NO_ARGS, n);
}

int rstore_set_pairing(struct rstore *st, const struct rstore_pairing *p, bool new_identity)
{
	char err[256];
	if (!uuid_valid(p->register_id) || !p->server_url[0] || !p->register_code[0])
		return TALAD_EINVAL;
	int rc = tx_begin(st, err, sizeof(err));
	if (rc)
		return rc;
	if (new_identity) {
		int64_t pending = 0;
		rc = count_query(st, Q_PENDING_COUNT, &pending);
		if (rc == TALAD_OK && pending > 0)
			rc = TALAD_ESTATE;
		/* A new identity numbers its receipts and its outbox from 1 again:
		 * what the old one sold is all acknowledged, so it can go. */
		if (rc == TALAD_OK)
			rc = exec(
			    st,
			    "DELETE FROM outbox; DELETE FROM stock_deltas;"
			    " DELETE FROM payments; DELETE FROM order_lines; DELETE FROM orders;",
			    err, sizeof(err), "clear the previous register's orders");
	}
	if (rc == TALAD_OK)
		rc = run(st, new_identity ? Q_PAIRING_NEW : Q_PAIRING_SAME, err, sizeof(err),
		         "store the pairing",
		         ARGS(P_TEXT(p->server_url), P_TEXT(p->register_id),
		              P_TEXT(p->register_code), P_TEXT(p->register_name), P_TEXT(p->token),
		              P_TEXT(p->location_id), P_TEXT(p->location_name)));
	if (rc == TALAD_OK && !new_identity && sqlite3_changes(st->db) != 1)
		rc = TALAD_ECONFLICT;
	if (rc == TALAD_OK)
		rc = tx_commit(st, err, sizeof(err));
	if (rc) {
		tx_rollback(st);
		if (rc != TALAD_ESTATE && rc != TALAD_ECONFLICT)
			log_error("rstore: %s", err);
	}
	return rc;
}

int rstore_set_logged_in(struct rstore *st, bool logged_in)
{
	char err[256];
	int rc =
	    run(st, Q_SET_LOGGED_IN, err, sizeof(err), "record the login", ARGS(P_INT(logged_in)));
	if (rc) {
		log_error("rstore: %s", err);
		return rc;
	}
	return sqlite3_changes(st->db) == 1 ? TALAD_OK : TALAD_ENOTFOUND;
}

int rstore_note_sync(struct rstore *st, bool online, const char *error, int64_t last_sync,
                     bool has_skew, int64_t clock_skew_ms)
{
	char err[256], msg[RSTORE_ERROR_MAX];
	copy_cut(msg, sizeof(msg), error ? error : "");
	int rc = run(st, Q_NOTE_SYNC, err, sizeof(err), "record the sync state",
	             ARGS(P_INT(online), P_TEXT(msg), P_INT(time_now_ms()), P_INT(last_sync),
	                  P_INT(has_skew), P_INT(clock_skew_ms)));
	if (rc)
		log_warnx("rstore: %s", err);
	return rc;
}

/* ---- shop ---- */

static void read_shop(sqlite3_stmt *s, struct rstore_shop *out)
{
	COPY_COL(s, 0, out->name);
	COPY_COL(s, 1, out->currency);
	out->tax.rate_ppm = col_int(s, 2);
	out->tax.included = sqlite3_column_int(s, 3) != 0;
	out->tax.rounding = !strcmp(col_text(s, 4), "order") ? TAX_ROUND_ORDER : TAX_ROUND_LINE;
	out->cash_increment = col_int(s, 5);
	COPY_COL(s, 6, out->tax_id);
	COPY_COL(s, 7, out->address);
	COPY_COL(s, 8, out->receipt_footer);
	COPY_COL(s, 9, out->promptpay_id);
	out->has_discount_limit = sqlite3_column_type(s, 10) != SQLITE_NULL;
	out->discount_limit_ppm = col_int(s, 10);
}
ROW_ONE(shop, struct rstore_shop, read_shop)

int rstore_get_shop(struct rstore *st, struct rstore_shop *out)
{
	memset(out, 0, sizeof(*out));
	return shop_one(st, Q_SHOP_GET, "read the shop settings", NO_ARGS, out);
}

/* ---- catalog reads ---- */

static void read_variant(sqlite3_stmt *s, struct rstore_variant *v)
{
	memset(v, 0, sizeof(*v));
	COPY_COL(s, 0, v->id);
	COPY_COL(s, 1, v->product_id);
	COPY_COL(s, 2, v->sku);
	COPY_COL(s, 3, v->barcode);
	COPY_COL(s, 4, v->variant_title);
	COPY_COL(s, 5, v->product_title);
	v->price = col_int(s, 6);
	v->taxable = sqlite3_column_int(s, 7) != 0;
	v->tracked = sqlite3_column_int(s, 8) != 0;
	v->has_level = sqlite3_column_type(s, 9) != SQLITE_NULL;
	v->level = col_int(s, 9);
	v->unsynced = col_int(s, 10);
	v->available = v->level + v->unsynced;
	int64_t siblings = col_int(s, 11);

	/* The name to sell under: a product with one variant is just the
	 * product; otherwise "T-shirt - Large". */
	const char *pt = v->product_title, *vt = v->variant_title;
	if (!*pt)
		copy_cut(v->title, sizeof(v->title), vt);
	else if (siblings <= 1 || !*vt || !strcmp(vt, pt))
		copy_cut(v->title, sizeof(v->title), pt);
	else {
		char both[2 * CART_TITLE_MAX + 4];
		snprintf(both, sizeof(both), "%s - %s", pt, vt);
		copy_cut(v->title, sizeof(v->title), both);
	}
}
ROW_ONE(variant, struct rstore_variant, read_variant)
ROW_LIST(variant, struct rstore_variant, read_variant, 16, free_items)

static int find_one(struct rstore *st, enum query q, const char *key, struct rstore_variant *out)
{
	return variant_one(st, q, "look up a variant", ARGS(P_TEXT(key)), out);
}

int rstore_find_variant(struct rstore *st, const char *code, struct rstore_variant *out)
{
	if (!code || !*code)
		return TALAD_ENOTFOUND;
	int rc = find_one(st, Q_FIND_BARCODE, code, out);
	if (rc == TALAD_ENOTFOUND)
		rc = find_one(st, Q_FIND_SKU, code, out);
	return rc;
}

int rstore_get_variant(struct rstore *st, const char *id, struct rstore_variant *out)
{
	return find_one(st, Q_VARIANT_BY_ID, id, out);
}

int rstore_search(struct rstore *st, const char *text, size_t max, struct rstore_variant **out,
                  size_t *n)
{
	/* LIKE wildcards typed by the cashier are taken literally. */
	size_t len = strlen(text);
	char *pat = xmalloc(2 * len + 3), *p = pat;
	*p++ = '%';
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
			*p++ = '\\';
		*p++ = text[i];
	}
	*p++ = '%';
	*p = '\0';
	int rc =
	    variant_rows(st, Q_SEARCH, "search the catalog", ARGS(P_TEXT(pat), P_INT(max)), out, n);
	free(pat);
	return rc;
}

int rstore_catalog_count(struct rstore *st, int64_t *n)
{
	return count_query(st, Q_CATALOG_COUNT, n);
}

/* ---- staff and payment methods ---- */

static void read_staff(sqlite3_stmt *s, struct rstore_staff *m)
{
	memset(m, 0, sizeof(*m));
	COPY_COL(s, 0, m->id);
	COPY_COL(s, 1, m->name);
	COPY_COL(s, 2, m->role);
	COPY_COL(s, 3, m->pin_hash);
}
ROW_ONE(staff, struct rstore_staff, read_staff)
ROW_LIST(staff, struct rstore_staff, read_staff, 8, free_items)

int rstore_get_staff(struct rstore *st, const char *id, struct rstore_staff *out)
{
	return staff_one(st, Q_STAFF_GET, "read a staff member", ARGS(P_TEXT(id)), out);
}

int rstore_list_staff(struct rstore *st, struct rstore_staff **out, size_t *n)
{
	return staff_rows(st, Q_STAFF_LIST, "list the staff", NO_ARGS, out, n);
}

void rstore_free_strings(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void read_string(sqlite3_stmt *s, char **out)
{
	*out = xstrdup(col_text(s, 0));
}
ROW_LIST(string, char *, read_string, 8, rstore_free_strings)

int rstore_payment_methods(struct rstore *st, char ***names, size_t *n)
{
	return string_rows(st, Q_METHODS_LIST, "list the payment methods", NO_ARGS, names, n);
}

int rstore_payment_method_match(struct rstore *st, const char *name, char *canonical, size_t len)
{
	sqlite3_stmt *s;
	int rc =
	    one(st, Q_METHOD_MATCH, NULL, 0, "look up a payment method", ARGS(P_TEXT(name)), &s);
	if (rc)
		return rc;
	copy_cut(canonical, len, col_text(s, 0));
	sqlite3_reset(s);
	return TALAD_OK;
}

/* ---- reading the snapshot and change JSON ---- */

enum { J_REQUIRED = 0, J_NULLABLE = 1, J_CUT = 2 };

/* A string field copied into out (size bytes). J_NULLABLE: missing or null
 * gives ""; J_CUT: too long is cut at a character boundary, else refused. */
static int jtext(const json_t *o, const char *key, int flags, char *out, size_t size, char *err,
                 size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (flags & J_NULLABLE) {
			out[0] = '\0';
			return TALAD_OK;
		}
		talad_seterr(err, errlen, "%s: missing", key);
		return TALAD_EINVAL;
	}
	if (!json_is_string(v)) {
		talad_seterr(err, errlen, "%s: not a string", key);
		return TALAD_EINVAL;
	}
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (strlen(s) != n) {
		talad_seterr(err, errlen, "%s: contains a NUL character", key);
		return TALAD_EINVAL;
	}
	if (n >= size && !(flags & J_CUT)) {
		talad_seterr(err, errlen, "%s: longer than %zu bytes", key, size - 1);
		return TALAD_EINVAL;
	}
	copy_cut(out, size, s);
	return TALAD_OK;
}

static int jint(const json_t *o, const char *key, int64_t min, int64_t max, int64_t *out, char *err,
                size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	if (!v) {
		talad_seterr(err, errlen, "%s: missing", key);
		return TALAD_EINVAL;
	}
	if (!json_is_integer(v)) {
		talad_seterr(err, errlen, "%s: not an integer", key);
		return TALAD_EINVAL;
	}
	json_int_t i = json_integer_value(v);
	if (i < min || i > max) {
		talad_seterr(err, errlen, "%s: out of range", key);
		return TALAD_EINVAL;
	}
	*out = (int64_t)i;
	return TALAD_OK;
}

static int jbool(const json_t *o, const char *key, bool *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_boolean(v)) {
		talad_seterr(err, errlen, "%s: %s", key, v ? "not true or false" : "missing");
		return TALAD_EINVAL;
	}
	*out = json_is_true(v);
	return TALAD_OK;
}

/* A member that must be a JSON object or array (type JSON_OBJECT or
 * JSON_ARRAY); borrowed from o. */
static int jtyped(const json_t *o, const char *key, json_type type, const json_t **out, char *err,
                  size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_typeof(v) != type) {
		talad_seterr(err, errlen, "%s: %s", key,
		             !v                    ? "missing"
		             : type == JSON_OBJECT ? "not an object"
		                                   : "not an array");
		return TALAD_EINVAL;
	}
	*out = v;
	return TALAD_OK;
}

static int jobject(const json_t *o, const char *key, const json_t **out, char *err, size_t errlen)
{
	return jtyped(o, key, JSON_OBJECT, out, err, errlen);
}

static int jarray(const json_t *o, const char *key, const json_t **out, char *err, size_t errlen)
{
	return jtyped(o, key, JSON_ARRAY, out, err, errlen);
}

/* ---- writing the catalog ---- */

struct applier {
	struct rstore *st;
	struct rstore_apply_stats *stats;
	char location_id[UUID_STRLEN + 1];
	rstore_progress_fn progress;
	void *arg;
	size_t total_variants;
	size_t done_variants;
	char *err;
	size_t errlen;
};

static int store_variant(struct applier *a, const char *product_id, size_t position,
                         const struct snapread_variant *r)
{
	int rc = run(a->st, Q_VARIANT_PUT, a->err, a->errlen, "store a variant",
	             ARGS(P_TEXT(r->id), P_TEXT(product_id), P_INT(position), P_OPT_TEXT(r->sku),
	                  P_OPT_TEXT(r->barcode), P_TEXT(r->title), P_INT(r->price),
	                  P_INT(r->taxable), P_INT(r->tracked)));
	if (rc)
		return rc;
	if (a->stats)
		a->stats->variants++;
	if (r->has_level) {
		rc = run(a->st, Q_LEVEL_PUT, a->err, a->errlen, "store a level",
		         ARGS(P_TEXT(r->id), P_INT(r->available)));
		if (rc == TALAD_OK && a->stats)
			a->stats->levels++;
	}
	return rc;
}

static int store_product(struct applier *a, const struct snapread_product *r, bool snapshot)
{
	char *err = a->err;
	size_t el = a->errlen;
	int rc;
	/* A product change carries all its variants: the ones it no longer
	 * lists are gone. */
	if (!snapshot) {
		rc = run(a->st, Q_VARIANTS_DEL_PRODUCT, err, el, "replace a product's variants",
		         ARGS(P_TEXT(r->id)));
		if (rc)
			return rc;
	}
	rc = run(a->st, Q_PRODUCT_PUT, err, el, "store a product",
	         ARGS(P_TEXT(r->id), P_TEXT(r->title)));
	if (rc)
		return rc;
	if (a->stats)
		a->stats->products++;
	for (size_t j = 0; j < r->n; j++) {
		rc = store_variant(a, r->id, j, &r->v[j]);
		if (rc) {
			nest_err(err, el, "variants[%zu]", j);
			return rc;
		}
		a->done_variants++;
		if (a->progress && a->done_variants % 2048 == 0)
			a->progress(a->arg, a->done_variants, a->total_variants);
	}
	return TALAD_OK;
}

/* A product of a snapshot (with levels) or of the change feed. */
static int put_product(struct applier *a, const json_t *p, bool snapshot)
{
	struct snapread_product *r;
	int rc = snapread_product_json(p, snapshot, &r, a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = store_product(a, r, snapshot);
	free(r);
	return rc;
}

static int delete_product(struct applier *a, const json_t *d)
{
	char id[RSTORE_ID_MAX];
	int rc = jtext(d, "id", J_REQUIRED, id, sizeof(id), a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = run(a->st, Q_VARIANTS_DEL_PRODUCT, a->err, a->errlen,
		         "delete a product's variants", ARGS(P_TEXT(id)));
	if (rc == TALAD_OK)
		rc = run(a->st, Q_PRODUCT_DEL, a->err, a->errlen, "delete a product",
		         ARGS(P_TEXT(id)));
	if (rc == TALAD_OK && a->stats)
		a->stats->deleted++;
	return rc;
}

static int put_level(struct applier *a, const json_t *d)
{
	char vid[RSTORE_ID_MAX], lid[RSTORE_ID_MAX];
	int64_t available;
	int rc = jtext(d, "variant_id", J_REQUIRED, vid, sizeof(vid), a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = jtext(d, "location_id", J_REQUIRED, lid, sizeof(lid), a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = jint(d, "available", INT64_MIN / 2, INT64_MAX / 2, &available, a->err,
		          a->errlen);
	if (rc)
		return rc;
	if (strcmp(lid, a->location_id) != 0)
		return TALAD_OK; /* another location's stock is not ours to show */
	rc = run(a->st, Q_LEVEL_PUT, a->err, a->errlen, "store a level",
	         ARGS(P_TEXT(vid), P_INT(available)));
	if (rc == TALAD_OK && a->stats)
		a->stats->levels++;
	return rc;
}

static int put_staff(struct applier *a, const json_t *m)
{
	char id[RSTORE_ID_MAX], name[RSTORE_NAME_MAX], role[16], pin[RSTORE_ERROR_MAX];
	if (!json_is_object(m)) {
		talad_seterr(a->err, a->errlen, "not an object");
		return TALAD_EINVAL;
	}
	int rc = jtext(m, "id", J_REQUIRED, id, sizeof(id), a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = jtext(m, "name", J_NULLABLE | J_CUT, name, sizeof(name), a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = jtext(m, "role", J_REQUIRED, role, sizeof(role), a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = jtext(m, "pin_hash", J_NULLABLE, pin, sizeof(pin), a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = run(a->st, Q_STAFF_PUT, a->err, a->errlen, "store a staff member",
		         ARGS(P_TEXT(id), P_TEXT(name), P_TEXT(role), P_OPT_TEXT(pin)));
	if (rc == TALAD_OK && a->stats)
		a->stats->staff++;
	return rc;
}

static int put_method(struct applier *a, const json_t *m)
{
	char id[RSTORE_ID_MAX], name[TENDER_NAME_MAX];
	if (!json_is_object(m)) {
		talad_seterr(a->err, a->errlen, "not an object");
		return TALAD_EINVAL;
	}
	int rc = jtext(m, "id", J_REQUIRED, id, sizeof(id), a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = jtext(m, "name", J_REQUIRED, name, sizeof(name), a->err, a->errlen);
	if (rc == TALAD_OK && !name[0]) {
		talad_seterr(a->err, a->errlen, "name: empty");
		rc = TALAD_EINVAL;
	}
	if (rc == TALAD_OK)
		rc = run(a->st, Q_METHOD_PUT, a->err, a->errlen, "store a payment method",
		         ARGS(P_TEXT(id), P_TEXT(name)));
	if (rc == TALAD_OK && a->stats)
		a->stats->methods++;
	return rc;
}

static int put_shop(struct applier *a, const json_t *sh)
{
	char name[RSTORE_NAME_MAX], currency[8], rounding[16], tax_id[64];
	char address[RSTORE_TEXT_MAX], footer[RSTORE_TEXT_MAX], promptpay[64];
	int64_t rate, increment, limit = -1;
	bool included;
	enum tax_rounding r;
	struct currency cur;
	char *err = a->err;
	size_t el = a->errlen;
	if (!json_is_object(sh)) {
		talad_seterr(err, el, "not an object");
		return TALAD_EINVAL;
	}
	int rc = jtext(sh, "name", J_NULLABLE | J_CUT, name, sizeof(name), err, el);
	if (rc == TALAD_OK)
		rc = jtext(sh, "currency", J_REQUIRED, currency, sizeof(currency), err, el);
	if (rc == TALAD_OK && currency_lookup(currency, &cur) != TALAD_OK) {
		talad_seterr(err, el, "currency: unknown code '%s'", currency);
		rc = TALAD_EINVAL;
	}
	if (rc == TALAD_OK)
		rc = jint(sh, "tax_rate_ppm", 0, TAX_PPM_ONE, &rate, err, el);
	if (rc == TALAD_OK)
		rc = jbool(sh, "tax_included", &included, err, el);
	if (rc == TALAD_OK)
		rc = jtext(sh, "tax_rounding", J_NULLABLE, rounding, sizeof(rounding), err, el);
	if (rc == TALAD_OK && !rounding[0])
		strcpy(rounding, "line");
	if (rc == TALAD_OK && tax_rounding_parse(rounding, &r) != TALAD_OK) {
		talad_seterr(err, el, "tax_rounding: not line or order");
		rc = TALAD_EINVAL;
	}
	if (rc == TALAD_OK) {
		const json_t *ci = json_object_get(sh, "cash_increment");
		if (!ci || json_is_null(ci))
			increment = 0;
		else
			rc = jint(sh, "cash_increment", 0, INT64_MAX / 4, &increment, err, el);
	}
	if (rc == TALAD_OK)
		rc = jtext(sh, "tax_id", J_NULLABLE | J_CUT, tax_id, sizeof(tax_id), err, el);
	if (rc == TALAD_OK)
		rc = jtext(sh, "address", J_NULLABLE | J_CUT, address, sizeof(address), err, el);
	if (rc == TALAD_OK)
		rc = jtext(sh, "receipt_footer", J_NULLABLE | J_CUT, footer, sizeof(footer), err,
		           el);
	if (rc == TALAD_OK)
		rc = jtext(sh, "promptpay_id", J_NULLABLE | J_CUT, promptpay, sizeof(promptpay),
		           err, el);
	/* Absent from an older back office: the till keeps its own default. */
	const json_t *dl = json_object_get(sh, "discount_limit_ppm");
	if (rc == TALAD_OK && dl && !json_is_null(dl))
		rc = jint(sh, "discount_limit_ppm", 0, TAX_PPM_ONE, &limit, err, el);
	if (rc)
		return rc;
	rc = run(a->st, Q_SHOP_PUT, err, el, "store the shop settings",
	         ARGS(P_TEXT(name), P_TEXT(cur.code), P_INT(rate), P_INT(included),
	              P_TEXT(tax_rounding_name(r)), P_INT(increment), P_TEXT(tax_id),
	              P_TEXT(address), P_TEXT(footer), P_TEXT(promptpay),
	              limit >= 0 ? P_INT(limit) : P_NULL));
	if (rc)
		return rc;
	return run(a->st, Q_SHOP_NAME_PUT, err, el, "store the shop name", ARGS(P_TEXT(name)));
}

/* Reads the register id and location of the pairing inside a transaction. */
static int paired_ids(struct applier *a, char *register_id)
{
	sqlite3_stmt *s;
	int rc = one(a->st, Q_PAIRED, a->err, a->errlen, "read the pairing", NO_ARGS, &s);
	if (rc == TALAD_ENOTFOUND) {
		talad_seterr(a->err, a->errlen, "this register is not paired with a back office");
		return TALAD_ESTATE;
	}
	if (rc)
		return rc;
	copy_cut(register_id, UUID_STRLEN + 1, col_text(s, 0));
	COPY_COL(s, 1, a->location_id);
	sqlite3_reset(s);
	return TALAD_OK;
}

#define FOREACH_ITEM(arr, i, v, body, what)                                                        \
	json_array_foreach((arr), (i), (v))                                                        \
	{                                                                                          \
		rc = (body);                                                                       \
		if (rc) {                                                                          \
			nest_err(a->err, a->errlen, "%s[%zu]", (what), (i));                       \
			return rc;                                                                 \
		}                                                                                  \
	}

/* The members of a snapshot besides its products, checked. */
struct snap_env {
	int64_t cursor;
	const json_t *shop, *staff, *methods;
	char reg_id[UUID_STRLEN + 1], reg_name[RSTORE_NAME_MAX], reg_code[16];
	char loc_id[UUID_STRLEN + 1], loc_name[RSTORE_NAME_MAX];
};

/* Checks the envelope of a snapshot, and that products is an array when
 * products is not NULL. The message in err lacks the "snapshot" prefix. */
static int snap_envelope(const json_t *snap, struct snap_env *e, const json_t **products, char *err,
                         size_t errlen)
{
	const json_t *reg, *loc;
	int rc = jint(snap, "cursor", 0, INT64_MAX, &e->cursor, err, errlen);
	if (rc == TALAD_OK)
		rc = jobject(snap, "shop", &e->shop, err, errlen);
	if (rc == TALAD_OK)
		rc = jobject(snap, "register", &reg, err, errlen);
	if (rc == TALAD_OK)
		rc = jobject(snap, "location", &loc, err, errlen);
	if (rc == TALAD_OK && products)
		rc = jarray(snap, "products", products, err, errlen);
	if (rc == TALAD_OK)
		rc = jarray(snap, "staff", &e->staff, err, errlen);
	if (rc == TALAD_OK)
		rc = jarray(snap, "payment_methods", &e->methods, err, errlen);
	if (rc)
		return rc;
	rc = jtext(reg, "id", J_REQUIRED, e->reg_id, sizeof(e->reg_id), err, errlen);
	if (rc == TALAD_OK)
		rc = jtext(reg, "name", J_NULLABLE | J_CUT, e->reg_name, sizeof(e->reg_name), err,
		           errlen);
	if (rc == TALAD_OK)
		rc = jtext(reg, "code", J_REQUIRED, e->reg_code, sizeof(e->reg_code), err, errlen);
	if (rc) {
		nest_err(err, errlen, "register");
		return rc;
	}
	rc = jtext(loc, "id", J_REQUIRED, e->loc_id, sizeof(e->loc_id), err, errlen);
	if (rc == TALAD_OK && !uuid_valid(e->loc_id)) {
		talad_seterr(err, errlen, "id: not a uuid");
		rc = TALAD_EINVAL;
	}
	if (rc == TALAD_OK)
		rc = jtext(loc, "name", J_NULLABLE | J_CUT, e->loc_name, sizeof(e->loc_name), err,
		           errlen);
	if (rc)
		nest_err(err, errlen, "location");
	return rc;
}

static int snap_same_register(struct applier *a, const char *reg_id, const char *my_id)
{
	if (strcmp(my_id, reg_id) == 0)
		return TALAD_OK;
	talad_seterr(a->err, a->errlen, "snapshot is for register %s, this one is %s", reg_id,
	             my_id);
	return TALAD_ECONFLICT;
}

/* Starts the snapshot's transaction and empties the catalog; my_id gets
 * this register's id. The caller rolls back on failure. */
static int snap_begin(struct applier *a, char *my_id)
{
	int rc = tx_begin(a->st, a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = paired_ids(a, my_id);
	if (rc)
		return rc;
	/* The indexes are built again, sorted, once the rows are in. */
	return exec(a->st,
	            "DELETE FROM products; DELETE FROM variants; DELETE FROM levels;"
	            " DELETE FROM staff; DELETE FROM payment_methods;"
	            " DROP INDEX variants_barcode; DROP INDEX variants_sku;"
	            " DROP INDEX variants_product;",
	            a->err, a->errlen, "clear the catalog");
}

/* After the products: staff, payment methods, the pairing and cursor, the
 * lookup indexes, and the commit. */
static int snap_finish(struct applier *a, const struct snap_env *e)
{
	size_t i;
	const json_t *v;
	int rc;
	FOREACH_ITEM(e->staff, i, v, put_staff(a, v), "staff");
	FOREACH_ITEM(e->methods, i, v, put_method(a, v), "payment_methods");
	const json_t *sn = json_object_get(e->shop, "name");
	char shop_name[RSTORE_NAME_MAX];
	copy_cut(shop_name, sizeof(shop_name), json_is_string(sn) ? json_string_value(sn) : "");
	rc = run(a->st, Q_PAIRING_FROM_SNAPSHOT, a->err, a->errlen, "store the cursor",
	         ARGS(P_TEXT(e->reg_id), P_TEXT(e->reg_name), P_TEXT(e->reg_code),
	              P_TEXT(e->loc_id), P_TEXT(e->loc_name), P_TEXT(shop_name), P_INT(e->cursor)));
	if (rc)
		return rc;
	/* Building the lookup indexes once, sorted, is faster than keeping
	 * them up to date row by row. */
	rc = exec(a->st, INDEXES_SQL, a->err, a->errlen, "index the catalog");
	if (rc)
		return rc;
	if (a->progress)
		a->progress(a->arg, a->done_variants, a->total_variants);
	return tx_commit(a->st, a->err, a->errlen);
}

static int apply_products(struct applier *a, const json_t *products)
{
	size_t i;
	const json_t *v;
	int rc;
	FOREACH_ITEM(products, i, v, put_product(a, v, true), "products");
	return TALAD_OK;
}

int rstore_apply_snapshot(struct rstore *st, const json_t *snap, rstore_progress_fn progress,
                          void *arg, struct rstore_apply_stats *stats, char *err, size_t errlen)
{
	struct rstore_apply_stats local = {0};
	struct applier a = {.st = st,
	                    .stats = stats ? stats : &local,
	                    .progress = progress,
	                    .arg = arg,
	                    .err = err,
	                    .errlen = errlen};
	memset(a.stats, 0, sizeof(*a.stats));
	struct snap_env e;
	const json_t *products, *v;
	char my_id[UUID_STRLEN + 1];
	size_t i;

	if (!json_is_object(snap)) {
		talad_seterr(err, errlen, "snapshot: not an object");
		return TALAD_EINVAL;
	}
	/* Check the envelope before taking the write lock. */
	int rc = snap_envelope(snap, &e, &products, err, errlen);
	if (rc) {
		prefix_err(err, errlen, "snapshot");
		return rc;
	}
	json_array_foreach(products, i, v)
	{
		a.total_variants += json_array_size(json_object_get(v, "variants"));
	}
	rc = snap_begin(&a, my_id);
	if (rc == TALAD_OK)
		rc = snap_same_register(&a, e.reg_id, my_id);
	if (rc)
		goto out;
	/* The snapshot's location is the one whose levels it carries. */
	strlcpy_t(a.location_id, e.loc_id, sizeof(a.location_id));
	rc = put_shop(&a, e.shop);
	if (rc) {
		nest_err(err, errlen, "shop");
		goto out;
	}
	rc = apply_products(&a, products);
	if (rc == TALAD_OK)
		rc = snap_finish(&a, &e);
out:
	if (rc) {
		tx_rollback(st);
		if (rc == TALAD_EINVAL)
			prefix_err(err, errlen, "snapshot");
	}
	return rc;
}

/* ---- a snapshot from its text, one product at a time ---- */

/* A position in a JSON text. The envelope's members are parsed by jansson,
 * one at a time (JSON_DISABLE_EOF_CHECK stops at their end and says where
 * that is), the products by snapread; only the punctuation between them is
 * read here. */
struct jwalk {
	const char *text;
	size_t len;
	size_t pos;
};

static void jw_space(struct jwalk *w)
{
	while (w->pos < w->len && (w->text[w->pos] == ' ' || w->text[w->pos] == '\t' ||
	                           w->text[w->pos] == '\n' || w->text[w->pos] == '\r'))
		w->pos++;
}

/* After white space, the next character is c: consumed. */
static bool jw_take(struct jwalk *w, char c)
{
	jw_space(w);
	if (w->pos < w->len && w->text[w->pos] == c) {
		w->pos++;
		return true;
	}
	return false;
}

static int jw_expected(const struct jwalk *w, const char *what, char *err, size_t errlen)
{
	talad_seterr(err, errlen, "not valid json at byte %zu: %s expected", w->pos, what);
	return TALAD_EINVAL;
}

/* Any JSON value at the position, parsed whole. */
static int jw_value(struct jwalk *w, json_t **out, char *err, size_t errlen)
{
	json_error_t je;
	jw_space(w);
	*out = json_loadb(w->text + w->pos, w->len - w->pos,
	                  JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &je);
	if (!*out) {
		talad_seterr(err, errlen, "not valid json at byte %zu: %s",
		             w->pos + (je.position > 0 ? (size_t)je.position : 0), je.text);
		return TALAD_EINVAL;
	}
	w->pos += (size_t)je.position;
	return TALAD_OK;
}

/* Products read and checked ahead of the one being written, by a second
 * thread while SQLite writes the ones before. Reading is the faster side:
 * the writer waits only for the first few products. */
#define FEED_CAP 64
#define FEED_LOW 16

struct feed_item {
	struct snapread_product *product;
	size_t end; /* the text read through it */
};

struct feed {
	struct jwalk w; /* the parser's, while the thread runs */
	size_t index;   /* of the next product */
	pthread_t thread;
	bool threaded;
	pthread_mutex_t mu;
	pthread_cond_t filled, drained;
	struct feed_item q[FEED_CAP];
	size_t head, count;
	bool done; /* the parser reached the ']' or failed (rc) */
	bool quit; /* the writer gave up */
	int rc;
	char err[RSTORE_ERROR_MAX];
};

/* Reads and checks the next product: it->product is NULL after the ']'. */
static int feed_next(struct feed *f, struct feed_item *it, char *err, size_t errlen)
{
	memset(it, 0, sizeof(*it));
	if (jw_take(&f->w, ']'))
		return TALAD_OK;
	if (f->index > 0 && !jw_take(&f->w, ','))
		return jw_expected(&f->w, "',' or ']'", err, errlen);
	int rc =
	    snapread_product_text(f->w.text, f->w.len, &f->w.pos, true, &it->product, err, errlen);
	/* Broken JSON is told by its byte, a bad field by its path. */
	if (rc && strncmp(err, "not valid json", 14) != 0)
		nest_err(err, errlen, "products[%zu]", f->index);
	f->index++;
	it->end = f->w.pos;
	return rc;
}

static void *feed_main(void *arg)
{
	struct feed *f = arg;
	for (;;) {
		struct feed_item it;
		char err[RSTORE_ERROR_MAX] = "";
		int rc = feed_next(f, &it, err, sizeof(err));
		pthread_mutex_lock(&f->mu);
		/* Once full, wait until the writer has taken most of it: a
		 * wake-up per FEED_CAP - FEED_LOW products, not per product, when
		 * the writer is the slower side. */
		if (f->count == FEED_CAP)
			while (f->count > FEED_LOW && !f->quit)
				pthread_cond_wait(&f->drained, &f->mu);
		bool stop = f->quit || rc || !it.product;
		if (f->quit) {
			free(it.product);
		} else if (rc) {
			f->rc = rc;
			memcpy(f->err, err, sizeof(f->err));
		} else if (it.product) {
			f->q[(f->head + f->count) % FEED_CAP] = it;
			f->count++;
		}
		if (stop)
			f->done = true;
		/* The writer waits for a few, not for each one. */
		if (stop || f->count == FEED_LOW)
			pthread_cond_signal(&f->filled);
		pthread_mutex_unlock(&f->mu);
		if (stop)
			return NULL;
	}
}

/* The next product for the writer: TALAD_OK with it->product NULL at the
 * end of the array. */
static int feed_take(struct feed *f, struct feed_item *it, char *err, size_t errlen)
{
	if (!f->threaded)
		return feed_next(f, it, err, errlen);
	memset(it, 0, sizeof(*it));
	pthread_mutex_lock(&f->mu);
	while (f->count == 0 && !f->done)
		pthread_cond_wait(&f->filled, &f->mu);
	int rc = TALAD_OK;
	if (f->count) {
		*it = f->q[f->head];
		f->head = (f->head + 1) % FEED_CAP;
		if (--f->count == FEED_LOW)
			pthread_cond_signal(&f->drained);
	} else if (f->rc) {
		rc = f->rc;
		talad_seterr(err, errlen, "%s", f->err);
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

/* Stops the parser (when still running) and frees what it queued; w gets
 * the parser's position. */
static void feed_end(struct feed *f, struct jwalk *w)
{
	if (f->threaded) {
		pthread_mutex_lock(&f->mu);
		f->quit = true;
		pthread_cond_signal(&f->drained);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->thread, NULL);
		for (; f->count; f->count--, f->head = (f->head + 1) % FEED_CAP)
			free(f->q[f->head].product);
		pthread_cond_destroy(&f->filled);
		pthread_cond_destroy(&f->drained);
		pthread_mutex_destroy(&f->mu);
	}
	w->pos = f->w.pos;
}

/* Applies the products array whose '[' is at w's position, as it is
 * parsed; w ends after its ']'. */
static int stream_products(struct applier *a, struct jwalk *w)
{
	if (!jw_take(w, '['))
		return jw_expected(w, "'['", a->err, a->errlen);
	size_t start = w->pos;
	struct feed f = {.w = *w};
	if (pthread_mutex_init(&f.mu, NULL) == 0) {
		pthread_cond_init(&f.filled, NULL);
		pthread_cond_init(&f.drained, NULL);
		f.threaded = pthread_create(&f.thread, NULL, feed_main, &f) == 0;
		if (!f.threaded) {
			/* Parsed here, between the writes, instead. */
			pthread_cond_destroy(&f.filled);
			pthread_cond_destroy(&f.drained);
			pthread_mutex_destroy(&f.mu);
		}
	}
	int rc;
	for (size_t i = 0;; i++) {
		struct feed_item it;
		rc = feed_take(&f, &it, a->err, a->errlen);
		if (rc || !it.product)
			break;
		if (a->progress && it.end > start) {
			/* The whole count is known only at the end: estimated from
			 * the share of the text read so far. */
			uint64_t seen = a->done_variants + it.product->n;
			uint64_t est =
			    seen * (uint64_t)(w->len - start) / (uint64_t)(it.end - start);
			a->total_variants = est > seen ? (size_t)est : (size_t)seen;
		}
		rc = store_product(a, it.product, true);
		free(it.product);
		if (rc) {
			nest_err(a->err, a->errlen, "products[%zu]", i);
			break;
		}
	}
	feed_end(&f, w);
	a->total_variants = a->done_variants;
	return rc;
}

int rstore_apply_snapshot_text(struct rstore *st, const char *text, size_t len,
                               rstore_progress_fn progress, void *arg,
                               struct rstore_apply_stats *stats, json_t **envelope, char *err,
                               size_t errlen)
{
	struct rstore_apply_stats local = {0};
	struct applier a = {.st = st,
	                    .stats = stats ? stats : &local,
	                    .progress = progress,
	                    .arg = arg,
	                    .err = err,
	                    .errlen = errlen};
	memset(a.stats, 0, sizeof(*a.stats));
	if (envelope)
		*envelope = NULL;
	struct jwalk w = {.text = text, .len = len};
	json_t *env = json_object(), *key = NULL, *v = NULL;
	struct snap_env e;
	char my_id[UUID_STRLEN + 1];
	bool products = false;
	int rc = TALAD_OK;

	if (!jw_take(&w, '{')) {
		rc = jw_expected(&w, "'{'", err, errlen);
		goto out;
	}
	for (bool first = true; !jw_take(&w, '}'); first = false) {
		if (!first && !jw_take(&w, ',')) {
			rc = jw_expected(&w, "',' or '}'", err, errlen);
			goto out;
		}
		jw_space(&w);
		if (w.pos >= len || text[w.pos] != '"') {
			rc = jw_expected(&w, "a member name", err, errlen);
			goto out;
		}
		rc = jw_value(&w, &key, err, errlen);
		if (rc)
			goto out;
		if (!jw_take(&w, ':')) {
			rc = jw_expected(&w, "':'", err, errlen);
			goto out;
		}
		const char *name = json_string_value(key);
		if (strcmp(name, "products") != 0) {
			rc = jw_value(&w, &v, err, errlen);
			if (rc)
				goto out;
			json_object_set_new(env, name, v);
			v = NULL;
		} else {
			if (products) {
				talad_seterr(err, errlen, "products: given twice");
				rc = TALAD_EINVAL;
				goto out;
			}
			jw_space(&w);
			if (w.pos >= len || text[w.pos] != '[') {
				talad_seterr(err, errlen, "products: not an array");
				rc = TALAD_EINVAL;
				goto out;
			}
			products = true;
			/* The write lock is taken here, for the rows as they come:
			 * the rest of the envelope is checked before the commit. */
			rc = snap_begin(&a, my_id);
			if (rc == TALAD_OK)
				rc = stream_products(&a, &w);
			if (rc)
				goto out;
		}
		json_decref(key);
		key = NULL;
	}
	jw_space(&w);
	if (w.pos != len) {
		rc = jw_expected(&w, "the end of the text", err, errlen);
		goto out;
	}
	if (!products) {
		talad_seterr(err, errlen, "products: missing");
		rc = TALAD_EINVAL;
		goto out;
	}
	rc = snap_envelope(env, &e, NULL, err, errlen);
	if (rc == TALAD_OK)
		rc = snap_same_register(&a, e.reg_id, my_id);
	if (rc)
		goto out;
	strlcpy_t(a.location_id, e.loc_id, sizeof(a.location_id));
	rc = put_shop(&a, e.shop);
	if (rc) {
		nest_err(err, errlen, "shop");
		goto out;
	}
	rc = snap_finish(&a, &e);
out:
	json_decref(key);
	json_decref(v);
	if (rc) {
		tx_rollback(st);
		if (rc == TALAD_EINVAL)
			prefix_err(err, errlen, "snapshot");
		json_decref(env);
		memset(a.stats, 0, sizeof(*a.stats));
		return rc;
	}
	if (envelope)
		*envelope = env;
	else
		json_decref(env);
	return TALAD_OK;
}

static int apply_change(struct applier *a, const json_t *c)
{
	char type[32];
	const json_t *data;
	int64_t seq;
	if (!json_is_object(c)) {
		talad_seterr(a->err, a->errlen, "not an object");
		return TALAD_EINVAL;
	}
	int rc = jint(c, "seq", 0, INT64_MAX, &seq, a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = jtext(c, "type", J_REQUIRED | J_CUT, type, sizeof(type), a->err, a->errlen);
	if (rc == TALAD_OK)
		rc = jobject(c, "data", &data, a->err, a->errlen);
	if (rc)
		return rc;
	if (a->stats)
		a->stats->changes++;
	if (!strcmp(type, "product"))
		rc = put_product(a, data, false);
	else if (!strcmp(type, "product_deleted"))
		rc = delete_product(a, data);
	else if (!strcmp(type, "level"))
		rc = put_level(a, data);
	else if (!strcmp(type, "staff"))
		rc = put_staff(a, data);
	else if (!strcmp(type, "payment_method"))
		rc = put_method(a, data);
	else if (!strcmp(type, "shop"))
		rc = put_shop(a, data);
	else
		log_debug("rstore: skipping a change of unknown type '%s'", type);
	if (rc)
		nest_err(a->err, a->errlen, "data");
	return rc;
}

int rstore_apply_changes(struct rstore *st, const json_t *page, struct rstore_apply_stats *stats,
                         int64_t *cursor, bool *more, char *err, size_t errlen)
{
	struct rstore_apply_stats local = {0};
	struct applier a = {
	    .st = st, .stats = stats ? stats : &local, .err = err, .errlen = errlen};
	memset(a.stats, 0, sizeof(*a.stats));
	const json_t *changes, *v;
	int64_t next;
	bool m = false;
	char my_id[UUID_STRLEN + 1];
	size_t i;
	if (!json_is_object(page)) {
		talad_seterr(err, errlen, "changes: not an object");
		return TALAD_EINVAL;
	}
	int rc = jarray(page, "changes", &changes, err, errlen);
	if (rc == TALAD_OK)
		rc = jint(page, "cursor", 0, INT64_MAX, &next, err, errlen);
	if (rc == TALAD_OK) {
		const json_t *mv = json_object_get(page, "more");
		if (mv)
			rc = jbool(page, "more", &m, err, errlen);
	}
	if (rc) {
		prefix_err(err, errlen, "changes");
		return rc;
	}
	rc = tx_begin(st, err, errlen);
	if (rc)
		return rc;
	rc = paired_ids(&a, my_id);
	if (rc)
		goto out;
	json_array_foreach(changes, i, v)
	{
		rc = apply_change(&a, v);
		if (rc) {
			nest_err(err, errlen, "changes[%zu]", i);
			goto out;
		}
	}
	rc = run(st, Q_CURSOR_PUT, err, errlen, "store the cursor", ARGS(P_INT(next)));
	if (rc == TALAD_OK)
		rc = tx_commit(st, err, errlen);
out:
	if (rc) {
		tx_rollback(st);
		return rc;
	}
	if (cursor)
		*cursor = next;
	if (more)
		*more = m;
	return TALAD_OK;
}

/* ---- the outbox ---- */

static bool type_valid(const char *type)
{
	size_t n = strlen(type);
	if (n == 0 || n >= RSTORE_TYPE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = type[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'))
			return false;
	}
	return true;
}

/* Inside a transaction: the next outbox row. */
static int outbox_insert(struct rstore *st, const char *op_id, const char *type,
                         const char *payload, const char *order_id, int64_t *seq, char *err,
                         size_t errlen)
{
	const char *what = "append to the outbox";
	sqlite3_stmt *s;
	int rc = one(st, Q_OUTBOX_INSERT, err, errlen, what,
	             ARGS(P_TEXT(op_id), P_TEXT(type), P_INT(time_now_ms()), P_TEXT(payload),
	                  P_OPT_TEXT(order_id)),
	             &s);
	if (rc)
		return rc;
	if (seq)
		*seq = col_int(s, 0);
	return finish(st, s, err, errlen, what);
}

int rstore_outbox_append_op(struct rstore *st, const char *op_id, const char *type,
                            const json_t *payload, int64_t *seq)
{
	char err[256];
	if (!uuid_valid(op_id) || !type_valid(type) || !json_is_object(payload))
		return TALAD_EINVAL;
	char *text = json_dumps(payload, JSON_COMPACT);
	if (!text)
		return TALAD_EINVAL;
	int rc = tx_begin(st, err, sizeof(err));
	if (rc) {
		free(text);
		return rc;
	}
	/* The back office knows the register only once it is paired: rows
	 * written before would carry no register to send them as. */
	struct rstore_pairing p;
	rc = rstore_get_pairing(st, &p);
	if (rc == TALAD_ENOTFOUND)
		rc = TALAD_ESTATE;
	if (rc == TALAD_OK)
		rc = outbox_insert(st, op_id, type, text, NULL, seq, err, sizeof(err));
	if (rc == TALAD_OK)
		rc = tx_commit(st, err, sizeof(err));
	if (rc) {
		tx_rollback(st);
		if (rc != TALAD_EEXIST && rc != TALAD_ESTATE)
			log_error("rstore: %s", err);
	}
	free(text);
	return rc;
}

int rstore_outbox_append(struct rstore *st, const char *type, const json_t *payload, int64_t *seq)
{
	char op_id[UUID_STRLEN + 1];
	uuid_v7(op_id);
	return rstore_outbox_append_op(st, op_id, type, payload, seq);
}

static const char *const out_status_names[] = {"pending", "applied", "duplicate", "rejected"};

const char *rstore_out_status_name(enum rstore_out_status s)
{
	if ((unsigned)s < sizeof(out_status_names) / sizeof(out_status_names[0]))
		return out_status_names[s];
	return "unknown";
}

int rstore_out_status_parse(const char *s, enum rstore_out_status *out)
{
	for (unsigned i = 0; i < sizeof(out_status_names) / sizeof(out_status_names[0]); i++) {
		if (!strcmp(s, out_status_names[i])) {
			*out = (enum rstore_out_status)i;
			return TALAD_OK;
		}
	}
	return TALAD_EINVAL;
}

void rstore_outbox_rows_free(struct rstore_outbox_row *rows, size_t n)
{
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++)
		free(rows[i].payload);
	free(rows);
}

static void read_outbox_row(sqlite3_stmt *s, struct rstore_outbox_row *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = col_int(s, 0);
	COPY_COL(s, 1, r->op_id);
	COPY_COL(s, 2, r->type);
	r->created_at = col_int(s, 3);
	r->payload = xstrdup(col_text(s, 4));
	if (rstore_out_status_parse(col_text(s, 5), &r->status) != TALAD_OK)
		r->status = RSTORE_OUT_PENDING;
	COPY_COL(s, 6, r->error);
}
ROW_LIST(outbox, struct rstore_outbox_row, read_outbox_row, 32, rstore_outbox_rows_free)

int rstore_outbox_read(struct rstore *st, bool pending_only, int64_t after_seq, size_t max,
                       struct rstore_outbox_row **rows, size_t *n)
{
	return outbox_rows(st, pending_only ? Q_OUTBOX_PENDING : Q_OUTBOX_ALL, "read the outbox",
	                   ARGS(P_INT(after_seq), P_INT(max)), rows, n);
}

int rstore_pending_count(struct rstore *st, int64_t *n)
{
	return count_query(st, Q_PENDING_COUNT, n);
}

int rstore_email_receipt(struct rstore *st, const char *id_or_number, const char *email,
                         char order_id[UUID_STRLEN + 1], int64_t *seq, char *err, size_t errlen)
{
	char id[UUID_STRLEN + 1] = "", op_id[UUID_STRLEN + 1];
	char *text = NULL;
	sqlite3_stmt *s;
	int rc = tx_begin(st, err, errlen);
	if (rc)
		return rc;
	struct rstore_pairing p;
	rc = rstore_get_pairing(st, &p);
	if (rc == TALAD_ENOTFOUND) {
		talad_seterr(err, errlen, "this register was never logged in");
		rc = TALAD_ESTATE;
	}
	if (rc == TALAD_OK)
		rc = one(st, Q_ORDER_GET, err, errlen, "read an order", ARGS(P_TEXT(id_or_number)),
		         &s);
	if (rc == TALAD_OK) {
		COPY_COL(s, 0, id);
		sqlite3_reset(s);
		if (!id[0])
			rc = TALAD_ENOTFOUND;
	} else if (rc == TALAD_ENOTFOUND) {
		talad_seterr(err, errlen, "no order %s on this register", id_or_number);
	}
	if (rc)
		goto out;
	json_t *pl = json_pack("{s:s, s:s}", "order_id", id, "email", email);
	text = pl ? json_dumps(pl, JSON_COMPACT) : NULL;
	json_decref(pl);
	if (!text) {
		talad_seterr(err, errlen, "cannot write the e-mail request as JSON");
		rc = TALAD_EINVAL;
		goto out;
	}
	uuid_v7(op_id);
	rc = outbox_insert(st, op_id, "receipt.email", text, id, seq, err, errlen);
	if (rc == TALAD_OK)
		rc = tx_commit(st, err, errlen);
out:
	if (rc)
		tx_rollback(st);
	else if (order_id)
		memcpy(order_id, id, sizeof(id));
	free(text);
	return rc;
}

int rstore_email_row(struct rstore *st, const char *order_id, const char *email,
                     struct rstore_outbox_row *out)
{
	const char *what = "read the outbox";
	sqlite3_stmt *s;
	memset(out, 0, sizeof(*out));
	int rc = prep(st, Q_OUTBOX_EMAILS, NULL, 0, what, ARGS(P_TEXT(order_id)), &s);
	if (rc)
		return rc;
	while ((rc = next_row(st, s, NULL, 0, what)) == 1) {
		json_t *pl = json_loads(col_text(s, 4), 0, NULL);
		const char *e = json_string_value(json_object_get(pl, "email"));
		bool match = e && !strcasecmp(e, email);
		json_decref(pl);
		if (match) {
			read_outbox_row(s, out);
			break;
		}
	}
	sqlite3_reset(s);
	return rc == 1 ? TALAD_OK : rc == 0 ? TALAD_ENOTFOUND : rc;
}

struct acked_row {
	int64_t seq;
	bool is_order;
	char order_id[UUID_STRLEN + 1];
};

int rstore_record_push(struct rstore *st, int64_t acked_through,
                       const struct rstore_push_result *res, size_t n,
                       struct rstore_push_tally *tally)
{
	char err[256];
	struct rstore_push_tally local = {0};
	struct rstore_push_tally *t = tally ? tally : &local;
	memset(t, 0, sizeof(*t));
	struct acked_row *rows = NULL;
	size_t nrows = 0, cap = 0;
	sqlite3_stmt *s;
	int rc = tx_begin(st, err, sizeof(err));
	if (rc)
		return rc;
	/* Collect first: the rows are updated below. */
	rc = prep(st, Q_OUTBOX_PENDING_UPTO, err, sizeof(err), "read the outbox",
	          ARGS(P_INT(acked_through)), &s);
	if (rc)
		goto out;
	while ((rc = next_row(st, s, err, sizeof(err), "read the outbox")) == 1) {
		rows = grow(rows, nrows, &cap, 64, sizeof(*rows));
		struct acked_row *r = &rows[nrows++];
		r->seq = col_int(s, 0);
		r->is_order = !strcmp(col_text(s, 1), "order.create");
		COPY_COL(s, 2, r->order_id);
	}
	sqlite3_reset(s);
	if (rc)
		goto out;

	size_t k = 0; /* results usually come in seq order: search from here */
	for (size_t i = 0; i < nrows && rc == TALAD_OK; i++) {
		const struct rstore_push_result *found = NULL;
		for (size_t m = 0; m < n && !found; m++) {
			size_t j = (k + m) % n;
			if (res[j].seq == rows[i].seq) {
				found = &res[j];
				k = j + 1;
			}
		}
		enum rstore_out_status status = found ? found->status : RSTORE_OUT_DUPLICATE;
		if (status == RSTORE_OUT_PENDING)
			status = RSTORE_OUT_DUPLICATE;
		const char *error = found && status == RSTORE_OUT_REJECTED ? found->error : "";
		rc = run(st, Q_OUTBOX_MARK, err, sizeof(err), "record a push result",
		         ARGS(P_INT(rows[i].seq), P_TEXT(rstore_out_status_name(status)),
		              P_OPT_TEXT(error)));
		if (rc)
			break;
		if (status == RSTORE_OUT_APPLIED)
			t->applied++;
		else if (status == RSTORE_OUT_DUPLICATE)
			t->duplicate++;
		else
			t->rejected++;
		if (!rows[i].is_order || !rows[i].order_id[0])
			continue;
		rc = run(st, Q_ORDER_MARK, err, sizeof(err), "mark an order synced",
		         ARGS(P_TEXT(rows[i].order_id),
		              P_TEXT(status == RSTORE_OUT_REJECTED ? "rejected" : "synced"),
		              P_OPT_TEXT(error)));
		if (rc)
			break;
		/* Applied or refused, the back office has decided on the
		 * stock: our own view stops counting these deltas. */
		rc = run(st, Q_DELTAS_MARK, err, sizeof(err), "mark stock deltas synced",
		         ARGS(P_TEXT(rows[i].order_id)));
	}
	if (rc == TALAD_OK)
		rc = tx_commit(st, err, sizeof(err));
out:
	if (rc) {
		tx_rollback(st);
		log_error("rstore: %s", err);
		memset(t, 0, sizeof(*t));
	}
	free(rows);
	return rc;
}

/* ---- sales ---- */

/* Inside the sale's transaction: a line, and the stock delta of a tracked
 * variant under the same id the back office derives for it. */
static int sale_line(struct rstore *st, const struct order *o, size_t i, char *err, size_t errlen)
{
	const struct cart_line *l = &o->cart.lines[i];
	int rc =
	    run(st, Q_LINE_INSERT, err, errlen, "store an order line",
	        ARGS(P_TEXT(o->id), P_INT(i + 1), P_OPT_TEXT(l->variant_id), P_OPT_TEXT(l->sku),
	             P_TEXT(l->title), P_INT(l->quantity), P_INT(l->unit_price), P_INT(l->total)));
	if (rc || !l->variant_id[0])
		return rc;
	int64_t tracked = 0;
	rc = scalar(st, Q_VARIANT_TRACKED, err, errlen, "read a variant",
	            ARGS(P_TEXT(l->variant_id)), &tracked);
	if (rc == TALAD_ENOTFOUND)
		return TALAD_OK;
	if (rc || !tracked)
		return rc;
	char delta_id[UUID_STRLEN + 24];
	snprintf(delta_id, sizeof(delta_id), "%s:%zu", o->id, i + 1);
	return run(st, Q_DELTA_INSERT, err, errlen, "store a stock delta",
	           ARGS(P_TEXT(delta_id), P_TEXT(l->variant_id), P_INT(-l->quantity), P_TEXT(o->id),
	                P_INT(o->created_at)));
}

int rstore_commit_sale(struct rstore *st, struct order *o, char *err, size_t errlen)
{
	char *json_text = NULL;
	char email_op[UUID_STRLEN + 1], order_op[UUID_STRLEN + 1];
	const char *take = "take a receipt number";
	sqlite3_stmt *s;
	int rc = tx_begin(st, err, errlen);
	if (rc)
		return rc;

	/* The number is taken inside the transaction, so a sale that does not
	 * commit gives its number back: numbering stays gap-free. */
	rc = one(st, Q_COUNTER_NEXT, err, errlen, take, NO_ARGS, &s);
	if (rc == TALAD_ENOTFOUND) {
		talad_seterr(err, errlen, "this register is not logged in");
		rc = TALAD_ESTATE;
	}
	if (rc)
		goto out;
	int64_t counter = col_int(s, 0);
	COPY_COL(s, 1, o->register_id);
	char number[64];
	snprintf(number, sizeof(number), "%s-%06lld", col_text(s, 2), (long long)counter);
	copy_cut(o->number, sizeof(o->number), number);
	COPY_COL(s, 3, o->location_id);
	rc = finish(st, s, err, errlen, take);
	if (rc)
		goto out;
	/* A sale whose card or gift card payments were authorised under its
	 * id keeps that id. */
	if (!uuid_valid(o->id))
		uuid_v7(o->id);
	o->created_at = time_now_ms();
	json_t *j = order_to_json(o);
	json_text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!json_text) {
		talad_seterr(err, errlen, "cannot write the order as JSON");
		rc = TALAD_EINVAL;
		goto out;
	}
	rc = run(st, Q_ORDER_INSERT, err, errlen, "store the order",
	         ARGS(P_TEXT(o->id), P_TEXT(o->number), P_INT(counter), P_INT(o->created_at),
	              P_INT(o->cart.total), P_INT(o->settlement.change), P_TEXT(json_text)));
	for (size_t i = 0; rc == TALAD_OK && i < o->cart.nlines; i++)
		rc = sale_line(st, o, i, err, errlen);
	for (size_t i = 0; rc == TALAD_OK && i < o->settlement.npayments; i++) {
		const struct payment *p = &o->settlement.payments[i];
		rc = run(st, Q_PAYMENT_INSERT, err, errlen, "store a payment",
		         ARGS(P_TEXT(o->id), P_INT(i + 1), P_TEXT(tender_kind_name(p->kind)),
		              P_OPT_TEXT(p->name), P_INT(p->amount), P_INT(p->tendered),
		              P_INT(p->change)));
	}
	if (rc)
		goto out;
	uuid_v7(order_op);
	rc = outbox_insert(st, order_op, "order.create", json_text, o->id, NULL, err, errlen);
	if (rc)
		goto out;
	if (o->email[0]) {
		json_t *pl = json_pack("{s:s, s:s}", "order_id", o->id, "email", o->email);
		char *text = pl ? json_dumps(pl, JSON_COMPACT) : NULL;
		json_decref(pl);
		if (!text) {
			talad_seterr(err, errlen, "cannot write the e-mail request as JSON");
			rc = TALAD_EINVAL;
			goto out;
		}
		uuid_v7(email_op);
		/* Tied to the order, so rstore_email_row finds it. */
		rc = outbox_insert(st, email_op, "receipt.email", text, o->id, NULL, err, errlen);
		free(text);
		if (rc)
			goto out;
	}
	rc = tx_commit(st, err, errlen);
out:
	if (rc) {
		tx_rollback(st);
		o->id[0] = '\0';
		o->number[0] = '\0';
		o->register_id[0] = '\0';
		o->location_id[0] = '\0';
		o->created_at = 0;
	}
	free(json_text);
	return rc;
}

/* ---- orders ---- */

static const char *const order_status_names[] = {"waiting", "synced", "rejected"};

const char *rstore_order_status_name(enum rstore_order_status s)
{
	if ((unsigned)s < sizeof(order_status_names) / sizeof(order_status_names[0]))
		return order_status_names[s];
	return "unknown";
}

static void read_order_row(sqlite3_stmt *s, struct rstore_order_row *r)
{
	memset(r, 0, sizeof(*r));
	COPY_COL(s, 0, r->id);
	COPY_COL(s, 1, r->number);
	r->created_at = col_int(s, 2);
	r->total = col_int(s, 3);
	r->change = col_int(s, 4);
	const char *status = col_text(s, 5);
	r->status = !strcmp(status, "synced")     ? RSTORE_ORDER_SYNCED
	            : !strcmp(status, "rejected") ? RSTORE_ORDER_REJECTED
	                                          : RSTORE_ORDER_WAITING;
	COPY_COL(s, 6, r->error);
}
ROW_LIST(order, struct rstore_order_row, read_order_row, 32, free_items)

int rstore_list_orders(struct rstore *st, bool waiting_only, struct rstore_order_row **rows,
                       size_t *n)
{
	return order_rows(st, waiting_only ? Q_ORDERS_WAITING : Q_ORDERS_ALL, "list the orders",
	                  NO_ARGS, rows, n);
}

int rstore_get_order(struct rstore *st, const char *id_or_number, struct rstore_order_row *row,
                     char **json_text)
{
	if (json_text)
		*json_text = NULL;
	sqlite3_stmt *s;
	int rc = one(st, Q_ORDER_GET, NULL, 0, "read an order", ARGS(P_TEXT(id_or_number)), &s);
	if (rc)
		return rc;
	if (row)
		read_order_row(s, row);
	if (json_text)
		*json_text = xstrdup(col_text(s, 7));
	sqlite3_reset(s);
	return TALAD_OK;
}

/* ---- settings ---- */

bool rstore_setting_key_valid(const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

int rstore_setting_get(struct rstore *st, const char *key, char **value)
{
	*value = NULL;
	if (!rstore_setting_key_valid(key))
		return TALAD_EINVAL;
	sqlite3_stmt *s;
	int rc = one(st, Q_SETTING_GET, NULL, 0, "read a setting", ARGS(P_TEXT(key)), &s);
	if (rc)
		return rc;
	*value = xstrdup(col_text(s, 0));
	sqlite3_reset(s);
	return TALAD_OK;
}

int rstore_setting_set(struct rstore *st, const char *key, const char *value)
{
	if (!rstore_setting_key_valid(key) || !value)
		return TALAD_EINVAL;
	return run(st, Q_SETTING_SET, NULL, 0, "store a setting", ARGS(P_TEXT(key), P_TEXT(value)));
}

int rstore_setting_unset(struct rstore *st, const char *key)
{
	if (!rstore_setting_key_valid(key))
		return TALAD_EINVAL;
	int rc = run(st, Q_SETTING_DEL, NULL, 0, "remove a setting", ARGS(P_TEXT(key)));
	if (rc)
		return rc;
	return sqlite3_changes(st->db) ? TALAD_OK : TALAD_ENOTFOUND;
}

int rstore_settings_list(struct rstore *st, char ***keys, char ***values, size_t *n)
{
	const char *what = "list the settings";
	*keys = NULL;
	*values = NULL;
	*n = 0;
	sqlite3_stmt *s;
	int rc = prep(st, Q_SETTINGS_LIST, NULL, 0, what, NO_ARGS, &s);
	if (rc)
		return rc;
	size_t kcap = 0, vcap = 0;
	while ((rc = next_row(st, s, NULL, 0, what)) == 1) {
		*keys = grow(*keys, *n, &kcap, 8, sizeof(char *));
		*values = grow(*values, *n, &vcap, 8, sizeof(char *));
		(*keys)[*n] = xstrdup(col_text(s, 0));
		(*values)[*n] = xstrdup(col_text(s, 1));
		(*n)++;
	}
	sqlite3_reset(s);
	if (rc < 0) {
		rstore_free_strings(*keys, *n);
		rstore_free_strings(*values, *n);
		*keys = *values = NULL;
		*n = 0;
		return rc;
	}
	return TALAD_OK;
}
