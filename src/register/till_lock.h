/* The till's staff lock: who is on duty, PINs checked offline against the
 * argon2id hashes of the last pull, and a lock-out after repeated wrong PINs
 * that is kept in the local store, so that restarting the till does not
 * reset it. */
#ifndef TALAD_TILL_LOCK_H
#define TALAD_TILL_LOCK_H

#include "register/rstore.h"

#include <stdbool.h>
#include <stdint.h>

#define TILL_LOCK_KEY     "till.lock"
#define TILL_DUTY_KEY     "till.staff"
#define TILL_LOCK_TRIES   3       /* wrong PINs in a row before a lock-out */
#define TILL_LOCK_BASE_MS 60000   /* the first lock-out; each further one doubles */
#define TILL_LOCK_MAX_MS  3600000 /* the longest */
#define TILL_PIN_MIN      4
#define TILL_PIN_MAX      12

struct till_lock_state {
	int failures;         /* wrong PINs since the last right one or lock-out */
	int lockouts;         /* lock-outs since the last right PIN */
	int64_t locked_until; /* ms since the epoch, 0 when not locked out */
};

/* The persisted state (zeroes when none is stored). TALAD_OK or the store's
 * error. */
int till_lock_load(struct rstore *st, struct till_lock_state *out);
int till_lock_save(struct rstore *st, const struct till_lock_state *s);

/* Milliseconds of lock-out left at now, 0 when none. A clock set back cannot
 * stretch it beyond TILL_LOCK_MAX_MS. */
int64_t till_lock_wait(const struct till_lock_state *s, int64_t now);

struct till_pin_result {
	int tries_left;  /* after a wrong PIN, before the lock-out */
	int64_t wait_ms; /* when locked out */
};

/* Checks a PIN against every staff member with one (managers and owners
 * only when manager_only). TALAD_OK with the member in *who, the failure
 * count cleared; TALAD_EINVAL when pin is not 4..12 digits (not counted);
 * TALAD_EAUTH for a wrong PIN (counted, res->tries_left set); TALAD_EBUSY
 * while locked out, or when this wrong PIN started a lock-out
 * (res->wait_ms set); TALAD_EREFUSED when the PIN is right but the member
 * may not approve (manager_only; *who is set, not counted);
 * TALAD_ENOTFOUND when no staff member has a PIN at all. */
int till_lock_check(struct rstore *st, const char *pin, bool manager_only, int64_t now,
                    struct rstore_staff *who, struct till_pin_result *res);

/* The staff member on duty: TALAD_OK with the id (RSTORE_ID_MAX bytes),
 * TALAD_ENOTFOUND when the till is locked (nobody on duty). */
int till_lock_get_duty(struct rstore *st, char *staff_id, size_t len);
/* Puts a member on duty, or locks the till with NULL. */
int till_lock_set_duty(struct rstore *st, const char *staff_id);

/* True for owner and manager, who may approve large discounts. */
bool till_lock_is_manager(const struct rstore_staff *m);

/* The discount limit: a line or order discount above this share needs a
 * manager's or owner's PIN. */
#define TILL_DISCOUNT_LIMIT_KEY     "till-discount-limit" /* percent, e.g. "5" */
#define TILL_DISCOUNT_LIMIT_DEFAULT 100000 /* 10 %, until the back office sends one */

/* The limit in millionths: the back office's (shop->discount_limit_ppm, the
 * shop settings), TILL_DISCOUNT_LIMIT_DEFAULT when it sent none; the
 * register setting TILL_DISCOUNT_LIMIT_KEY wins only when it is lower, so a
 * register can be made stricter than the shop but never more lenient. An
 * unreadable setting is ignored. */
int64_t till_lock_discount_limit(struct rstore *st, const struct rstore_shop *shop);

#endif
