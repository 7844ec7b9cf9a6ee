/* The register's sync with the back office (docs/PROTOCOL.md): push the
 * outbox in seq order, then pull the change feed (or a fresh snapshot when
 * the cursor is gone), each step recorded in the local store in one
 * transaction. The worker runs that continuously in two threads -- one that
 * pushes within a second of a new sale, one that long-polls for changes --
 * and backs off with full jitter while the back office cannot be reached. */
#ifndef TALAD_RSYNC_H
#define TALAD_RSYNC_H

#include "register/rhttp.h"
#include "register/rstore.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define RSYNC_BATCH_MAX       500
#define RSYNC_BODY_MAX        (8u << 20) /* the server's cap on a push body */
#define RSYNC_PAGE_LIMIT      500
#define RSYNC_LONG_POLL_S     25
#define RSYNC_SKEW_WARN_MS    (5 * 60 * 1000)
#define RSYNC_BACKOFF_BASE_MS 1000
#define RSYNC_BACKOFF_MAX_MS  (5 * 60 * 1000)

struct rsync_result {
	struct rstore_push_tally pushed; /* what the server said of each pushed row */
	size_t batches;
	size_t pulled; /* change-feed entries applied */
	size_t pages;
	bool snapshot;         /* a fresh snapshot was taken */
	size_t snapshot_items; /* its variants */
	int64_t pending;       /* outbox rows still unacknowledged afterwards */
	bool has_skew;
	int64_t clock_skew_ms;        /* server clock minus ours */
	long retry_after_s;           /* from a failed answer, -1 when none */
	char error[RSTORE_ERROR_MAX]; /* lower case, when a step failed */
};

void rsync_result_init(struct rsync_result *r);

/* A client bound to one store handle (borrowed; it must outlive the client
 * and not be used by another thread meanwhile). */
struct rsync {
	struct rstore *st;
	struct rhttp http;
	char register_id[UUID_STRLEN + 1];
};

/* Binds to the store's pairing. TALAD_OK, or TALAD_ESTATE when the register
 * is not logged in (message in err). Release with rsync_release. */
int rsync_init(struct rsync *s, struct rstore *st, char *err, size_t errlen);
/* Binds to a given server, token and register id: login uses it before the
 * register counts as logged in. base_url is normalised. */
void rsync_init_with(struct rsync *s, struct rstore *st, const char *base_url, const char *token,
                     const char *register_id);
void rsync_release(struct rsync *s);

/* Pushes pending outbox rows in batches of up to RSYNC_BATCH_MAX (and
 * RSYNC_BODY_MAX bytes) in seq order until none is left, a request fails, or
 * the monotonic deadline (ms, 0: none) passes. lim bounds each request (NULL:
 * RHTTP_LIMITS_DEFAULT). TALAD_OK, an rhttp_request status, TALAD_EPROTO (an
 * answer that does not fit the protocol) or TALAD_ECONFLICT (the back office
 * cannot take the next seq: it lacks earlier ones). res accumulates. */
int rsync_push(struct rsync *s, const struct rhttp_limits *lim, int64_t deadline,
               struct rsync_result *res);

/* Pulls change pages until "more" is false, the first with wait_s seconds of
 * long poll; a cursor the server no longer keeps (410) takes a fresh
 * snapshot instead. Statuses as rsync_push; TALAD_EINVAL for a page the
 * store refused. */
int rsync_pull(struct rsync *s, int wait_s, struct rsync_result *res);

/* Downloads and applies a snapshot. progress (may be NULL) sees the apply;
 * the download's progress goes to s->http.progress when set. */
int rsync_snapshot(struct rsync *s, rstore_progress_fn progress, void *arg,
                   struct rsync_result *res);

/* Push, then pull without waiting: `talad sync`. Records the outcome (online
 * or not, last sync, clock skew) in the store. */
int rsync_now(struct rsync *s, struct rsync_result *res);

/* Records an outcome in the store as rsync_now does. */
void rsync_note(struct rstore *st, int rc, const struct rsync_result *res);

/* The delay before retry number attempt (1, 2, ...): uniformly random in
 * [0, min(RSYNC_BACKOFF_MAX_MS, RSYNC_BACKOFF_BASE_MS * 2^(attempt-1))]
 * (full jitter), and never less than Retry-After (retry_after_s >= 0).
 * random is a uniformly random 32-bit value. */
int64_t rsync_backoff_ms(unsigned attempt, long retry_after_s, uint32_t random);

/* ---- the worker ---- */

struct rsync_state {
	bool known; /* false until the first exchange succeeded or failed */
	bool online;
	bool logged_in;
	int64_t pending;   /* outbox rows unacknowledged, counted every second */
	int64_t last_sync; /* ms since the epoch of the last success, 0: none */
	bool has_skew;
	int64_t clock_skew_ms;
	unsigned attempt;             /* failures in a row */
	int64_t next_try;             /* when offline: wall-clock ms of the next probe */
	char error[RSTORE_ERROR_MAX]; /* why offline */
};

enum rsync_event {
	RSYNC_EV_ONLINE,
	RSYNC_EV_OFFLINE,
	RSYNC_EV_PUSHED,
	RSYNC_EV_PULLED,
	RSYNC_EV_SNAPSHOT,
	RSYNC_EV_CLOCK, /* the clock is off by more than 5 minutes */
	RSYNC_EV_ERROR, /* a failure retrying will not cure (logged out, refused token) */
};

/* Called from the worker's threads, never with a lock held; message is lower
 * case and only valid during the call. */
typedef void (*rsync_event_fn)(void *arg, enum rsync_event ev, const char *message);

struct rsync_worker;

/* Starts the worker on the store file at db_path (it opens its own handles).
 * TALAD_OK, TALAD_ESTATE when the register is not logged in, or TALAD_EDB;
 * message in err. fn may be NULL. Stop it with rsync_worker_stop. */
int rsync_worker_start(const char *db_path, rsync_event_fn fn, void *arg, struct rsync_worker **out,
                       char *err, size_t errlen);
/* A sale was committed in this process: push now rather than within the
 * second. */
void rsync_worker_kick(struct rsync_worker *w);
/* Probe now even while backing off (the till's "sync now" key). */
void rsync_worker_retry_now(struct rsync_worker *w);
void rsync_worker_state(struct rsync_worker *w, struct rsync_state *out);
/* Stops the threads (a long poll in flight is aborted within about a second),
 * waits for them and frees w. NULL is fine. */
void rsync_worker_stop(struct rsync_worker *w);

#endif
