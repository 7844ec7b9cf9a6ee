/* Push, pull and snapshot against the back office, and the sync worker that
 * runs them whenever the till (or `talad sync --watch`) is open. Every answer
 * is checked against docs/PROTOCOL.md before the store sees it, and every
 * step that changes the store does so in one local transaction, so a crash or
 * a cut link at any point leaves a state that the next round simply resumes. */
#include "register/rsync.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void set_err(struct rsync_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_err(struct rsync_result *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
}

void rsync_result_init(struct rsync_result *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after_s = -1;
}

int rsync_init(struct rsync *s, struct rstore *st, char *err, size_t errlen)
{
	struct rstore_pairing p;
	int rc = rstore_get_pairing(st, &p);
	if (rc == TALAD_ENOTFOUND || (rc == TALAD_OK && (!p.logged_in || !p.token[0]))) {
		snprintf(err, errlen, "this register is not logged in: run talad login first");
		return TALAD_ESTATE;
	}
	if (rc) {
		snprintf(err, errlen, "cannot read the register's pairing: %s", talad_strerror(rc));
		return rc;
	}
	rsync_init_with(s, st, p.server_url, p.token, p.register_id);
	return TALAD_OK;
}

void rsync_init_with(struct rsync *s, struct rstore *st, const char *base_url, const char *token,
                     const char *register_id)
{
	memset(s, 0, sizeof(*s));
	s->st = st;
	rhttp_init(&s->http, base_url, token);
	strlcpy_t(s->register_id, register_id, sizeof(s->register_id));
}

void rsync_release(struct rsync *s)
{
	if (!s)
		return;
	rhttp_release(&s->http);
}

static void take_answer_info(struct rsync_result *res, const struct rhttp_response *r)
{
	if (r->has_server_time) {
		res->has_skew = true;
		res->clock_skew_ms = r->server_time - r->local_time;
	}
	if (r->retry_after_s >= 0)
		res->retry_after_s = r->retry_after_s;
}

int64_t rsync_backoff_ms(unsigned attempt, long retry_after_s, uint32_t random)
{
	int64_t cap = RSYNC_BACKOFF_BASE_MS;
	for (unsigned i = 1; i < attempt && cap < RSYNC_BACKOFF_MAX_MS; i++)
		cap *= 2;
	if (cap > RSYNC_BACKOFF_MAX_MS)
		cap = RSYNC_BACKOFF_MAX_MS;
	int64_t delay = (int64_t)((uint64_t)random * (uint64_t)(cap + 1) >> 32);
	if (retry_after_s >= 0 && delay < (int64_t)retry_after_s * 1000)
		delay = (int64_t)retry_after_s * 1000;
	return delay;
}

/* ---- push ---- */

/* Appends one mutation to the push body; TALAD_ETOOBIG when it would not
 * fit (nothing appended). */
static int add_mutation(struct buf *b, const struct rstore_outbox_row *row, bool first)
{
	char when[TIME_ISO_LEN + 1];
	time_format_iso(row->created_at, when);
	size_t mark = b->len;
	/* Type and op_id were checked when the row was written; the payload is
	 * JSON the store wrote itself, so it goes in as it is. */
	int rc = buf_printf(b,
	                    "%s{\"seq\":%" PRId64 ",\"op_id\":\"%s\",\"type\":\"%s\","
	                    "\"created_at\":\"%s\",\"payload\":",
	                    first ? "" : ",", row->seq, row->op_id, row->type, when);
	if (rc == TALAD_OK)
		rc = buf_puts(b, row->payload);
	if (rc == TALAD_OK)
		rc = buf_puts(b, "}");
	/* Room for the closing "]}" too. */
	if (rc == TALAD_OK && b->len + 2 > b->max)
		rc = TALAD_ETOOBIG;
	if (rc) {
		b->len = mark;
		b->data[mark] = '\0';
	}
	return rc;
}

/* Reads the push answer into results. */
static int parse_push_answer(const json_t *j, int64_t *acked, struct rstore_push_result **out,
                             size_t *n, struct rsync_result *res)
{
	*out = NULL;
	*n = 0;
	const json_t *a = json_object_get(j, "acked_through");
	const json_t *results = json_object_get(j, "results");
	if (!json_is_integer(a) || json_integer_value(a) < 0 || !json_is_array(results)) {
		set_err(res, "the back office answered the push without acked_through or results");
		return TALAD_EPROTO;
	}
	*acked = json_integer_value(a);
	size_t count = json_array_size(results);
	struct rstore_push_result *v = xcalloc(count ? count : 1, sizeof(*v));
	size_t i;
	const json_t *r;
	json_array_foreach(results, i, r)
	{
		const json_t *seq = json_object_get(r, "seq");
		const char *status = json_string_value(json_object_get(r, "status"));
		enum rstore_out_status st;
		if (!json_is_integer(seq) || !status ||
		    rstore_out_status_parse(status, &st) != TALAD_OK || st == RSTORE_OUT_PENDING) {
			free(v);
			set_err(res, "the back office answered the push with a bad result %zu", i);
			return TALAD_EPROTO;
		}
		v[i].seq = json_integer_value(seq);
		v[i].status = st;
		const json_t *e = json_object_get(r, "error");
		if (json_is_string(e)) {
			snprintf(v[i].error, sizeof(v[i].error), "%s", json_string_value(e));
		} else if (json_is_object(e)) {
			const char *code = json_string_value(json_object_get(e, "code"));
			const char *msg = json_string_value(json_object_get(e, "message"));
			snprintf(v[i].error, sizeof(v[i].error), "%s%s%s", code ? code : "",
			         code && msg ? ": " : "", msg ? msg : "");
		}
		if (st == RSTORE_OUT_REJECTED && !v[i].error[0])
			snprintf(v[i].error, sizeof(v[i].error), "rejected");
	}
	*out = v;
	*n = count;
	return TALAD_OK;
}

/* One push body and the rows it carries. */
struct batch {
	struct buf body;
	size_t n;         /* rows in the body */
	size_t n_pending; /* of them, pending when read */
	int64_t first, last;
};

static void batch_release(struct batch *b)
{
	buf_release(&b->body);
	memset(b, 0, sizeof(*b));
}

/* Reads the outbox rows after after_seq (only pending ones when
 * pending_only) and builds their push body. pending < 0: count the pending
 * rows now; otherwise that is the count to send. TALAD_OK with b->n == 0
 * when there is nothing to send. */
static int batch_read(struct rsync *s, bool pending_only, int64_t after_seq, int64_t pending,
                      struct batch *b, struct rsync_result *res)
{
	memset(b, 0, sizeof(*b));
	struct rstore_outbox_row *rows = NULL;
	size_t n = 0;
	int rc = pending < 0 ? rstore_pending_count(s->st, &pending) : TALAD_OK;
	if (rc == TALAD_OK)
		rc = rstore_outbox_read(s->st, pending_only, after_seq, RSYNC_BATCH_MAX, &rows, &n);
	if (rc) {
		set_err(res, "cannot read the outbox: %s", talad_strerror(rc));
		return rc;
	}
	if (n == 0) {
		rstore_outbox_rows_free(rows, n);
		return TALAD_OK;
	}
	buf_init(&b->body, RSYNC_BODY_MAX);
	buf_printf(&b->body, "{\"register_id\":\"%s\",\"pending\":%" PRId64 ",\"mutations\":[",
	           s->register_id, pending);
	for (; b->n < n; b->n++) {
		if (add_mutation(&b->body, &rows[b->n], b->n == 0) != TALAD_OK)
			break;
		if (rows[b->n].status == RSTORE_OUT_PENDING)
			b->n_pending++;
	}
	if (b->n == 0) {
		set_err(res, "outbox row %" PRId64 " is larger than a push may be", rows[0].seq);
		rstore_outbox_rows_free(rows, n);
		batch_release(b);
		return TALAD_ETOOBIG;
	}
	buf_puts(&b->body, "]}");
	b->first = rows[0].seq;
	b->last = rows[b->n - 1].seq;
	rstore_outbox_rows_free(rows, n);
	return TALAD_OK;
}

/* An answer received and not yet recorded in the store. */
struct answer {
	bool have;
	int64_t acked;
	struct rstore_push_result *results;
	size_t n;
};

/* Records an answer in the store (its own transaction) and frees it. */
static int answer_record(struct rsync *s, struct answer *a, struct rsync_result *res)
{
	if (!a->have)
		return TALAD_OK;
	struct rstore_push_tally t;
	int rc = rstore_record_push(s->st, a->acked, a->results, a->n, &t);
	free(a->results);
	memset(a, 0, sizeof(*a));
	if (rc) {
		set_err(res, "cannot record the push: %s", talad_strerror(rc));
		return rc;
	}
	res->batches++;
	res->pushed.applied += t.applied;
	res->pushed.duplicate += t.duplicate;
	res->pushed.rejected += t.rejected;
	return TALAD_OK;
}

/* The push request, sent from a thread of its own so that the store can
 * record the previous answer meanwhile. Still one push in flight. */
struct flight {
	struct rsync *s;
	const char *body;
	struct rhttp_limits lim;
	struct rhttp_response r;
	int rc;
	pthread_t thread;
	bool threaded;
};

static void *flight_main(void *arg)
{
	struct flight *f = arg;
	f->rc = rhttp_request(&f->s->http, "POST", "/api/v1/sync/push", f->body, &f->lim, &f->r);
	return NULL;
}

static void flight_start(struct flight *f)
{
	f->threaded = pthread_create(&f->thread, NULL, flight_main, f) == 0;
	if (!f->threaded)
		flight_main(f); /* no thread: the same request, only not overlapped */
}

static void flight_wait(struct flight *f)
{
	if (f->threaded)
		pthread_join(f->thread, NULL);
	f->threaded = false;
}

int rsync_push(struct rsync *s, const struct rhttp_limits *lim, int64_t deadline,
               struct rsync_result *res)
{
	static const struct rhttp_limits defaults = RHTTP_LIMITS_DEFAULT;
	struct rhttp_limits l = lim ? *lim : defaults;
	/* After an answer that acknowledged less than we hold as sent (the back
	 * office lost data, a restore from backup), every row from there is
	 * sent again, acknowledged here or not: the outbox keeps every row, and
	 * a resend is always safe. */
	bool resending = false;
	struct batch cur, next = {0};
	struct answer ans = {0};
	int rc = batch_read(s, true, 0, -1, &cur, res);
	while (rc == TALAD_OK && cur.n > 0) {
		if (deadline > 0) {
			int64_t left = deadline - time_mono_ms();
			if (left <= 0)
				break;
			if (l.total_ms == 0 || l.total_ms > left)
				l.total_ms = left;
			if (l.connect_ms > left)
				l.connect_ms = left;
		}
		struct flight f = {.s = s, .body = buf_str(&cur.body), .lim = l};
		flight_start(&f);
		/* While the back office works on this batch: record its answer
		 * to the previous one, then read the rows after this batch, which
		 * go next when this one is acknowledged whole (the usual case). */
		int rec = answer_record(s, &ans, res);
		bool ahead = false;
		int64_t pending = 0;
		if (rec == TALAD_OK && rstore_pending_count(s->st, &pending) == TALAD_OK) {
			/* The count the next body carries: as if this batch were
			 * acknowledged, as it is when that body is sent. A failure
			 * here is met again, and reported, by the read after the
			 * answer. */
			struct rsync_result scratch;
			rsync_result_init(&scratch);
			pending -= (int64_t)cur.n_pending;
			ahead = batch_read(s, !resending, cur.last, pending < 0 ? 0 : pending,
			                   &next, &scratch) == TALAD_OK;
		}
		flight_wait(&f);
		take_answer_info(res, &f.r);
		if (rec) {
			/* The back office may have applied this batch: the rows stay
			 * pending here and are answered as duplicates next time. */
			rhttp_response_release(&f.r);
			rc = rec;
			break;
		}
		if (f.rc) {
			rc = f.rc;
			set_err(res, "push: %s", f.r.error);
			rhttp_response_release(&f.r);
			break;
		}
		rc = parse_push_answer(f.r.json, &ans.acked, &ans.results, &ans.n, res);
		rhttp_response_release(&f.r);
		if (rc)
			break;
		ans.have = true;
		int64_t acked = ans.acked, first = cur.first, last = cur.last;
		batch_release(&cur);
		if (acked >= last) {
			if (!ahead) {
				rc = answer_record(s, &ans, res);
				if (rc == TALAD_OK)
					rc = batch_read(s, !resending, last, -1, &cur, res);
				continue;
			}
			cur = next;
			memset(&next, 0, sizeof(next));
			continue;
		}
		batch_release(&next);
		/* The rows up to acked are recorded before the next read. */
		rc = answer_record(s, &ans, res);
		if (rc)
			break;
		if (acked >= first) {
			/* Part of the batch went through: carry on from there. */
			rc = batch_read(s, !resending, acked, -1, &cur, res);
			continue;
		}
		if (acked < first - 1 && !resending) {
			log_warnx("the back office has this register's outbox only through %" PRId64
			          "; sending again from %" PRId64,
			          acked, acked + 1);
			resending = true;
			rc = batch_read(s, false, acked, -1, &cur, res);
			continue;
		}
		set_err(res,
		        "the back office does not take outbox row %" PRId64
		        " (it acknowledged through %" PRId64 ")",
		        first, acked);
		rc = TALAD_ECONFLICT;
	}
	batch_release(&cur);
	batch_release(&next);
	/* The last answer received is recorded whatever came after it; the
	 * first failure is the one reported. */
	char why[sizeof(res->error)];
	memcpy(why, res->error, sizeof(why));
	int rec = answer_record(s, &ans, res);
	if (rc == TALAD_OK)
		rc = rec;
	else
		memcpy(res->error, why, sizeof(why));
	int64_t left = 0;
	if (rstore_pending_count(s->st, &left) == TALAD_OK)
		res->pending = left;
	return rc;
}

/* ---- pull and snapshot ---- */

int rsync_snapshot(struct rsync *s, rstore_progress_fn progress, void *arg,
                   struct rsync_result *res)
{
	struct rhttp_limits l = {3000, 10 * 60 * 1000, 30, RHTTP_SNAPSHOT_MAX};
	struct rhttp_response r;
	struct buf text;
	/* As text: the store parses the products as it writes them, rather
	 * than after a tree of the whole catalog was built. */
	int rc = rhttp_request_text(&s->http, "GET", "/api/v1/sync/snapshot", NULL, &l, &r, &text);
	if (rc) {
		take_answer_info(res, &r);
		set_err(res, "snapshot: %s", r.error);
		rhttp_response_release(&r);
		buf_release(&text);
		return rc;
	}
	struct rstore_apply_stats stats;
	char err[RSTORE_ERROR_MAX];
	json_t *env = NULL;
	rc = rstore_apply_snapshot_text(s->st, buf_str(&text), text.len, progress, arg, &stats,
	                                &env, err, sizeof(err));
	buf_release(&text);
	const json_t *st = json_object_get(env, "server_time");
	if (json_is_string(st) && time_parse_iso(json_string_value(st), &r.server_time) == TALAD_OK)
		r.has_server_time = true;
	json_decref(env);
	take_answer_info(res, &r);
	rhttp_response_release(&r);
	if (rc) {
		set_err(res, "%s", err);
		return rc == TALAD_EINVAL ? TALAD_EPROTO : rc;
	}
	res->snapshot = true;
	res->snapshot_items = stats.variants;
	return TALAD_OK;
}

int rsync_pull(struct rsync *s, int wait_s, struct rsync_result *res)
{
	for (;;) {
		struct rstore_pairing p;
		int64_t pending = 0;
		int rc = rstore_get_pairing(s->st, &p);
		if (rc == TALAD_OK)
			rc = rstore_pending_count(s->st, &pending);
		if (rc) {
			set_err(res, "cannot read the sync state: %s", talad_strerror(rc));
			return rc;
		}
		char path[192];
		snprintf(path, sizeof(path),
		         "/api/v1/sync/changes?since=%" PRId64 "&limit=%d&wait=%d&pending=%" PRId64,
		         p.cursor, RSYNC_PAGE_LIMIT, wait_s, pending);
		/* A long poll is silent on purpose: bound it by its length, not
		 * by a stall limit. */
		struct rhttp_limits l = {3000, (long)wait_s * 1000 + 10000, wait_s > 0 ? 0 : 10,
		                         RHTTP_BODY_MAX};
		struct rhttp_response r;
		rc = rhttp_request(&s->http, "GET", path, NULL, &l, &r);
		take_answer_info(res, &r);
		if (rc == TALAD_EGONE) {
			rhttp_response_release(&r);
			log_info("cursor %" PRId64 " is gone: taking a fresh snapshot", p.cursor);
			return rsync_snapshot(s, NULL, NULL, res);
		}
		if (rc) {
			set_err(res, "pull: %s", r.error);
			rhttp_response_release(&r);
			return rc;
		}
		struct rstore_apply_stats stats;
		char err[RSTORE_ERROR_MAX];
		bool more = false;
		int64_t cursor;
		rc = rstore_apply_changes(s->st, r.json, &stats, &cursor, &more, err, sizeof(err));
		rhttp_response_release(&r);
		if (rc) {
			set_err(res, "%s", err);
			return rc == TALAD_EINVAL ? TALAD_EPROTO : rc;
		}
		res->pages++;
		res->pulled += stats.changes;
		if (!more)
			return TALAD_OK;
		if (cursor <= p.cursor && stats.changes == 0) {
			set_err(res, "the back office says there is more but sends nothing new");
			return TALAD_EPROTO;
		}
		wait_s = 0;
	}
}

void rsync_note(struct rstore *st, int rc, const struct rsync_result *res)
{
	if (rc == TALAD_OK)
		rstore_note_sync(st, true, "", time_now_ms(), res->has_skew, res->clock_skew_ms);
	else
		rstore_note_sync(st, false, res->error, 0, res->has_skew, res->clock_skew_ms);
}

int rsync_now(struct rsync *s, struct rsync_result *res)
{
	int rc = rsync_push(s, NULL, 0, res);
	if (rc == TALAD_OK)
		rc = rsync_pull(s, 0, res);
	rsync_note(s->st, rc, res);
	return rc;
}

/* ---- the worker ---- */

struct rsync_worker {
	char *db_path;
	rsync_event_fn fn;
	void *arg;
	pthread_t pusher, puller;
	bool have_pusher, have_puller;
	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cond;
	pthread_mutex_t push_mu; /* one push in flight at a time */
	atomic_int stop;
	bool kicked;
	bool retry_now;
	struct rsync_state state;
	int64_t next_try_mono;
	bool skew_warned;
	char last_error[RSTORE_ERROR_MAX];
};

/* What a thread of the worker holds of its own. */
struct lane {
	struct rsync_worker *w;
	struct rstore *st;
	struct rsync sync;
	bool bound;
	char url[RSTORE_URL_MAX];
	char token[RSTORE_TOKEN_MAX];
};

static void emit(struct rsync_worker *w, enum rsync_event ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void emit(struct rsync_worker *w, enum rsync_event ev, const char *fmt, ...)
{
	if (!w->fn)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->fn(w->arg, ev, msg);
}

static bool stopping(struct rsync_worker *w)
{
	return atomic_load(&w->stop) != 0;
}

/* Waits up to ms for a kick or a stop (mu held by the caller). */
static void wait_locked(struct rsync_worker *w, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&w->cond, &w->mu, &ts);
}

/* Follows the pairing in the store: another process may log out, or log in
 * again with a new token, while the worker runs. */
static bool lane_bind(struct lane *ln)
{
	struct rstore_pairing p;
	int rc = rstore_get_pairing(ln->st, &p);
	bool ok = rc == TALAD_OK && p.logged_in && p.token[0];
	if (ln->bound && (!ok || strcmp(p.server_url, ln->url) || strcmp(p.token, ln->token))) {
		rsync_release(&ln->sync);
		ln->bound = false;
	}
	struct rsync_worker *w = ln->w;
	bool rebound = false;
	if (ok && !ln->bound) {
		rsync_init_with(&ln->sync, ln->st, p.server_url, p.token, p.register_id);
		ln->sync.http.stop = &ln->w->stop;
		rebound = ln->token[0] != '\0'; /* a new login, not the first bind */
		strlcpy_t(ln->url, p.server_url, sizeof(ln->url));
		strlcpy_t(ln->token, p.token, sizeof(ln->token));
		ln->bound = true;
	}
	pthread_mutex_lock(&w->mu);
	if (rebound)
		w->next_try_mono = 0; /* whatever failed before may work now */
	bool was = w->state.logged_in;
	w->state.logged_in = ok;
	pthread_mutex_unlock(&w->mu);
	if (was && !ok)
		emit(w, RSYNC_EV_ERROR, "this register was logged out: sync paused");
	return ok;
}

/* Takes in the outcome of a push or a pull round. */
static void lane_after(struct lane *ln, int rc, const struct rsync_result *res)
{
	struct rsync_worker *w = ln->w;
	if (stopping(w) && rc == TALAD_EINVAL)
		return; /* aborted by the stop itself */
	int64_t now = time_now_ms();
	pthread_mutex_lock(&w->mu);
	bool was_known = w->state.known, was_online = w->state.online;
	bool warn_skew = false, skew_back = false;
	if (res->has_skew) {
		w->state.has_skew = true;
		w->state.clock_skew_ms = res->clock_skew_ms;
		bool off = llabs(res->clock_skew_ms) > RSYNC_SKEW_WARN_MS;
		warn_skew = off && !w->skew_warned;
		skew_back = !off && w->skew_warned;
		w->skew_warned = off;
	}
	w->state.known = true;
	w->state.pending = res->pending;
	bool new_error = false;
	int64_t delay = 0;
	if (rc == TALAD_OK) {
		w->state.online = true;
		w->state.attempt = 0;
		w->state.last_sync = now;
		w->state.error[0] = '\0';
		w->state.next_try = 0;
		w->next_try_mono = 0;
		w->last_error[0] = '\0';
	} else {
		w->state.online = false;
		w->state.attempt++;
		/* What retrying cannot cure (a refused token, an answer that
		 * breaks the protocol) is not retried as if transient: only
		 * after the longest wait -- so a fix on the back office still
		 * heals it by itself -- or at once after a new login or a forced
		 * sync. */
		if (rhttp_retryable(rc))
			delay = rsync_backoff_ms(w->state.attempt, res->retry_after_s,
			                         randombytes_random());
		else
			delay = RSYNC_BACKOFF_MAX_MS;
		w->next_try_mono = time_mono_ms() + delay;
		w->state.next_try = now + delay;
		strlcpy_t(w->state.error, res->error, sizeof(w->state.error));
		new_error = strcmp(w->last_error, res->error) != 0;
		strlcpy_t(w->last_error, res->error, sizeof(w->last_error));
	}
	pthread_mutex_unlock(&w->mu);

	if (rc == TALAD_OK) {
		if (!was_known || !was_online)
			emit(w, RSYNC_EV_ONLINE, "online");
		size_t pushed = res->pushed.applied + res->pushed.duplicate + res->pushed.rejected;
		if (pushed)
			emit(w, RSYNC_EV_PUSHED,
			     "pushed %zu (applied %zu, duplicate %zu, rejected %zu), %" PRId64
			     " pending",
			     pushed, res->pushed.applied, res->pushed.duplicate,
			     res->pushed.rejected, res->pending);
		if (res->snapshot)
			emit(w, RSYNC_EV_SNAPSHOT, "took a fresh snapshot (%zu items)",
			     res->snapshot_items);
		if (res->pulled)
			emit(w, RSYNC_EV_PULLED, "pulled %zu change%s", res->pulled,
			     res->pulled == 1 ? "" : "s");
	} else if (was_online || !was_known || (new_error && !rhttp_retryable(rc))) {
		/* Offline is told once, when it happens; a failure that retrying
		 * will not cure is told each time it changes. */
		bool curable = rhttp_retryable(rc);
		emit(w, curable ? RSYNC_EV_OFFLINE : RSYNC_EV_ERROR,
		     "%s: %s; next try in %" PRId64 " s", curable ? "offline" : "sync failed",
		     res->error, (delay + 999) / 1000);
	}
	if (warn_skew)
		emit(w, RSYNC_EV_CLOCK,
		     "this register's clock is %" PRId64 " s %s the back office's: fix the clock",
		     (int64_t)(llabs(res->clock_skew_ms) / 1000),
		     res->clock_skew_ms > 0 ? "behind" : "ahead of");
	if (skew_back)
		emit(w, RSYNC_EV_CLOCK, "the clock agrees with the back office again");
	/* A quiet long poll that came back is a successful sync too: the
	 * store's last_sync says so for `talad status` (one write per poll). */
	rsync_note(ln->st, rc, res);
}

static bool lane_open(struct lane *ln, struct rsync_worker *w)
{
	memset(ln, 0, sizeof(*ln));
	ln->w = w;
	char err[256];
	if (rstore_open(w->db_path, &ln->st, err, sizeof(err)) != TALAD_OK) {
		emit(w, RSYNC_EV_ERROR, "sync stopped: %s", err);
		return false;
	}
	return true;
}

static void lane_close(struct lane *ln)
{
	if (ln->bound)
		rsync_release(&ln->sync);
	rstore_close(ln->st);
}

/* Pushes within a second of a new outbox row, from whatever process wrote it. */
static void *pusher_main(void *arg)
{
	struct rsync_worker *w = arg;
	struct lane ln;
	if (!lane_open(&ln, w))
		return NULL;
	while (!stopping(w)) {
		pthread_mutex_lock(&w->mu);
		if (!w->kicked && !stopping(w))
			wait_locked(w, 1000);
		w->kicked = false;
		bool online = w->state.online;
		pthread_mutex_unlock(&w->mu);
		if (stopping(w))
			break;
		if (!lane_bind(&ln))
			continue;
		int64_t pending = 0;
		if (rstore_pending_count(ln.st, &pending) != TALAD_OK)
			continue;
		pthread_mutex_lock(&w->mu);
		w->state.pending = pending;
		pthread_mutex_unlock(&w->mu);
		/* While offline the puller probes; the pusher waits for it. */
		if (!online || pending == 0)
			continue;
		struct rsync_result res;
		rsync_result_init(&res);
		pthread_mutex_lock(&w->push_mu);
		int rc = rsync_push(&ln.sync, NULL, 0, &res);
		pthread_mutex_unlock(&w->push_mu);
		lane_after(&ln, rc, &res);
	}
	lane_close(&ln);
	return NULL;
}

/* Push, then long-poll the change feed; while offline, probe with backoff. */
static void *puller_main(void *arg)
{
	struct rsync_worker *w = arg;
	struct lane ln;
	if (!lane_open(&ln, w))
		return NULL;
	while (!stopping(w)) {
		if (!lane_bind(&ln)) {
			pthread_mutex_lock(&w->mu);
			if (!stopping(w))
				wait_locked(w, 1000);
			pthread_mutex_unlock(&w->mu);
			continue;
		}
		pthread_mutex_lock(&w->mu);
		if (w->retry_now) {
			w->retry_now = false;
			w->next_try_mono = 0;
		}
		int64_t wait = w->next_try_mono - time_mono_ms();
		bool online = w->state.online;
		if (wait > 0 && !stopping(w))
			wait_locked(w, wait > 1000 ? 1000 : wait);
		pthread_mutex_unlock(&w->mu);
		if (wait > 0)
			continue; /* re-check stop, retry_now and the pairing */
		struct rsync_result res;
		rsync_result_init(&res);
		pthread_mutex_lock(&w->push_mu);
		int rc = rsync_push(&ln.sync, NULL, 0, &res);
		pthread_mutex_unlock(&w->push_mu);
		if (rc == TALAD_OK && !stopping(w))
			rc = rsync_pull(&ln.sync, online ? RSYNC_LONG_POLL_S : 0, &res);
		lane_after(&ln, rc, &res);
	}
	lane_close(&ln);
	return NULL;
}

int rsync_worker_start(const char *db_path, rsync_event_fn fn, void *arg, struct rsync_worker **out,
                       char *err, size_t errlen)
{
	struct rstore *st;
	int rc = rstore_open(db_path, &st, err, errlen);
	if (rc)
		return rc;
	struct rstore_pairing p;
	rc = rstore_get_pairing(st, &p);
	int64_t pending = 0;
	if (rc == TALAD_OK)
		rstore_pending_count(st, &pending);
	rstore_close(st);
	if (rc == TALAD_ENOTFOUND || (rc == TALAD_OK && !p.logged_in)) {
		snprintf(err, errlen, "this register is not logged in: run talad login first");
		return TALAD_ESTATE;
	}
	if (rc) {
		snprintf(err, errlen, "cannot read the pairing: %s", talad_strerror(rc));
		return rc;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "cannot initialise libsodium");
		return TALAD_EIO;
	}
	struct rsync_worker *w = xcalloc(1, sizeof(*w));
	w->db_path = xstrdup(db_path);
	w->fn = fn;
	w->arg = arg;
	w->state.logged_in = true;
	w->state.pending = pending;
	w->state.last_sync = p.last_sync;
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->push_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&w->stop, 0);
	if (pthread_create(&w->puller, NULL, puller_main, w) == 0)
		w->have_puller = true;
	if (w->have_puller && pthread_create(&w->pusher, NULL, pusher_main, w) == 0)
		w->have_pusher = true;
	if (!w->have_pusher) {
		snprintf(err, errlen, "cannot start the sync threads");
		rsync_worker_stop(w);
		return TALAD_EIO;
	}
	*out = w;
	return TALAD_OK;
}

void rsync_worker_kick(struct rsync_worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->kicked = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

void rsync_worker_retry_now(struct rsync_worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->kicked = true;
	w->retry_now = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

void rsync_worker_state(struct rsync_worker *w, struct rsync_state *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->state;
	pthread_mutex_unlock(&w->mu);
}

void rsync_worker_stop(struct rsync_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	atomic_store(&w->stop, 1);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mu);
	if (w->have_pusher)
		pthread_join(w->pusher, NULL);
	if (w->have_puller)
		pthread_join(w->puller, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->push_mu);
	free(w->db_path);
	free(w);
}
