/* Unit tests of the register's sync client against a small fake back office
 * (libmicrohttpd, in this process, applying pushes by the protocol's seq
 * rules): push batches and acknowledgements, a server that lost rows, pulls
 * in pages, 410 then snapshot, Retry-After, bounded time against a server
 * that never answers, the backoff formula, and the worker pushing a new
 * outbox row within about a second. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "register/regcli.h"
#include "register/rhttp.h"
#include "register/rstore.h"
#include "register/rsync.h"

#include "../lib/fakebo.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REG_ID "01900000-0000-7000-8000-000000000001"
#define LOC_ID "01900000-0000-7000-8000-0000000000aa"
#define V_TEA  "01900000-0000-7000-8000-000000000101"

/* ---- the fake back office ---- */

struct fake {
	struct fakebo bo;
	pthread_mutex_t mu;
	/* protocol state */
	int64_t last_applied;
	int64_t reject_seq; /* answer this seq "rejected" */
	int64_t cursor;     /* the change feed's head */
	json_t *pages;      /* queued change pages (array), served in order */
	bool gone;          /* answer 410 to the next changes request */
	int fail_status;    /* answer this status to every request (0: none) */
	/* what it saw */
	int pushes;
	int changes_reqs;
	int snapshots;
	json_t *last_push; /* body of the last push */
	char last_query[256];
	atomic_int quit;
};

static const char *snapshot_json =
    "{\"cursor\": 50, \"server_time\": \"2026-01-01T00:00:00.000Z\","
    " \"shop\": {\"name\": \"Fake Shop\", \"currency\": \"THB\", \"tax_rate_ppm\": 70000,"
    "  \"tax_included\": true, \"tax_rounding\": \"line\", \"cash_increment\": 0},"
    " \"register\": {\"id\": \"" REG_ID "\", \"name\": \"Till\", \"code\": \"R01\"},"
    " \"location\": {\"id\": \"" LOC_ID "\", \"name\": \"Main\"},"
    " \"products\": [{\"id\": \"p1\", \"title\": \"Tea\", \"variants\": [{\"id\": \"" V_TEA "\","
    "   \"sku\": \"TEA\", \"barcode\": \"885\", \"title\": \"\", \"price\": 4500,"
    "   \"taxable\": true, \"tracked\": true, \"available\": 12}]}],"
    " \"staff\": [], \"payment_methods\": [{\"id\": \"m1\", \"name\": \"PromptPay QR\"}]}";

static json_t *do_push(struct fake *f, json_t *body)
{
	json_t *results = json_array();
	json_t *ms = json_object_get(body, "mutations");
	size_t i;
	json_t *m;
	json_array_foreach(ms, i, m)
	{
		int64_t seq = json_integer_value(json_object_get(m, "seq"));
		if (seq <= f->last_applied) {
			json_array_append_new(
			    results, json_pack("{s:I, s:s}", "seq", seq, "status", "duplicate"));
		} else if (seq == f->last_applied + 1) {
			f->last_applied = seq;
			if (seq == f->reject_seq)
				json_array_append_new(
				    results,
				    json_pack("{s:I, s:s, s:{s:s, s:s}}", "seq", seq, "status",
				              "rejected", "error", "code", "totals_mismatch",
				              "message",
				              "the total is not what the lines add up to"));
			else
				json_array_append_new(results, json_pack("{s:I, s:s}", "seq", seq,
				                                         "status", "applied"));
		} else {
			break; /* a gap: stop here */
		}
	}
	return json_pack("{s:I, s:o}", "acked_through", f->last_applied, "results", results);
}

static enum MHD_Result handler(void *arg, struct MHD_Connection *c, const char *method,
                               const char *url, const char *upload)
{
	struct fake *f = arg;
	pthread_mutex_lock(&f->mu);
	int fail = f->fail_status;
	pthread_mutex_unlock(&f->mu);
	if (fail == 1) {
		/* A captive portal: a web page, whatever was asked. */
		static const char page[] = "<html><body>log in to the Wi-Fi</body></html>";
		struct MHD_Response *r = MHD_create_response_from_buffer(
		    sizeof(page) - 1, (void *)page, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Content-Type", "text/html");
		enum MHD_Result ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (fail)
		return fakebo_reply(c, fail,
		                    json_pack("{s:{s:s, s:s}}", "error", "code", "unavailable",
		                              "message", "try later"),
		                    "7");
	if (!strcmp(method, "GET") && !strcmp(url, "/api/v1/health"))
		return fakebo_reply(c, 200, json_pack("{s:s}", "status", "ok"), NULL);
	if (!strcmp(method, "POST") && !strcmp(url, "/api/v1/sync/push")) {
		json_t *body = json_loads(upload, 0, NULL);
		if (!body)
			return fakebo_error(c, 400, "bad_json", NULL);
		pthread_mutex_lock(&f->mu);
		f->pushes++;
		json_decref(f->last_push);
		f->last_push = json_incref(body);
		json_t *ans = do_push(f, body);
		pthread_mutex_unlock(&f->mu);
		json_decref(body);
		return fakebo_reply(c, 200, ans, NULL);
	}
	if (!strcmp(method, "GET") && !strcmp(url, "/api/v1/sync/snapshot")) {
		pthread_mutex_lock(&f->mu);
		f->snapshots++;
		pthread_mutex_unlock(&f->mu);
		return fakebo_reply(c, 200, json_loads(snapshot_json, 0, NULL), NULL);
	}
	if (!strcmp(method, "GET") && !strcmp(url, "/api/v1/sync/changes")) {
		const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
		const char *wait = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "wait");
		const char *pending =
		    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "pending");
		int64_t deadline = time_mono_ms() + (wait ? atoi(wait) : 0) * 1000;
		for (;;) {
			pthread_mutex_lock(&f->mu);
			if (f->gone) {
				f->gone = false;
				f->changes_reqs++;
				pthread_mutex_unlock(&f->mu);
				return fakebo_error(c, 410, "cursor_gone", "take a snapshot");
			}
			if (json_array_size(f->pages) || time_mono_ms() >= deadline ||
			    atomic_load(&f->quit)) {
				f->changes_reqs++;
				snprintf(f->last_query, sizeof(f->last_query),
				         "since=%s&wait=%s&pending=%s", since ? since : "-",
				         wait ? wait : "-", pending ? pending : "-");
				json_t *page = json_array_size(f->pages)
				                   ? json_incref(json_array_get(f->pages, 0))
				                   : json_pack("{s:[], s:I, s:b}", "changes",
				                               "cursor", f->cursor, "more", 0);
				if (json_array_size(f->pages))
					json_array_remove(f->pages, 0);
				pthread_mutex_unlock(&f->mu);
				return fakebo_reply(c, 200, page, NULL);
			}
			pthread_mutex_unlock(&f->mu);
			usleep(20000);
		}
	}
	return fakebo_error(c, 404, "not_found", NULL);
}

static struct fake *fake_start(void)
{
	struct fake *f = xcalloc(1, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	f->pages = json_array();
	f->cursor = 50;
	atomic_init(&f->quit, 0);
	assert_int_equal(fakebo_start(&f->bo, handler, f), 0);
	return f;
}

static void fake_stop(struct fake *f)
{
	atomic_store(&f->quit, 1);
	fakebo_stop(&f->bo);
	json_decref(f->pages);
	json_decref(f->last_push);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* ---- fixture: a logged-in store pointing at the fake ---- */

struct fixture {
	char dir[64];
	char path[128];
	struct rstore *st;
	struct fake *f;
};

static int setup(void **state)
{
	struct fixture *x = xcalloc(1, sizeof(*x));
	strcpy(x->dir, "/tmp/talad-rsync.XXXXXX");
	if (!mkdtemp(x->dir))
		return -1;
	snprintf(x->path, sizeof(x->path), "%s/register.db", x->dir);
	char err[256];
	if (rstore_open(x->path, &x->st, err, sizeof(err)))
		return -1;
	x->f = fake_start();
	struct rstore_pairing p = {0};
	strcpy(p.server_url, x->f->bo.url);
	strcpy(p.register_id, REG_ID);
	strcpy(p.register_code, "R01");
	strcpy(p.token, "register-token");
	strcpy(p.location_id, LOC_ID);
	assert_int_equal(rstore_set_pairing(x->st, &p, true), TALAD_OK);
	json_t *snap = json_loads(snapshot_json, 0, NULL);
	assert_int_equal(rstore_apply_snapshot(x->st, snap, NULL, NULL, NULL, err, sizeof(err)),
	                 TALAD_OK);
	json_decref(snap);
	assert_int_equal(rstore_set_logged_in(x->st, true), TALAD_OK);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;
	fake_stop(x->f);
	rstore_close(x->st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	if (system(cmd) != 0)
		return -1;
	free(x);
	return 0;
}

static void append_rows(struct rstore *st, int n)
{
	json_t *pl = json_pack("{s:s}", "reason", "test");
	for (int i = 0; i < n; i++)
		assert_int_equal(rstore_outbox_append(st, "drawer.open", pl, NULL), TALAD_OK);
	json_decref(pl);
}

/* ---- tests ---- */

static void test_push_batches(void **state)
{
	struct fixture *x = *state;
	append_rows(x->st, 620);
	struct rsync s;
	char err[256];
	assert_int_equal(rsync_init(&s, x->st, err, sizeof(err)), TALAD_OK);
	struct rsync_result res;
	rsync_result_init(&res);
	assert_int_equal(rsync_push(&s, NULL, 0, &res), TALAD_OK);
	assert_int_equal(res.batches, 2);
	assert_int_equal(res.pushed.applied, 620);
	assert_int_equal(res.pending, 0);
	assert_true(res.has_skew);
	assert_true(llabs(res.clock_skew_ms) < 5000);
	assert_int_equal(x->f->pushes, 2);
	assert_int_equal(x->f->last_applied, 620);
	/* The second body: the rest, in order, with the envelope. */
	json_t *b = x->f->last_push;
	assert_string_equal(json_string_value(json_object_get(b, "register_id")), REG_ID);
	assert_int_equal(json_integer_value(json_object_get(b, "pending")), 120);
	json_t *ms = json_object_get(b, "mutations");
	assert_int_equal(json_array_size(ms), 120);
	json_t *m0 = json_array_get(ms, 0);
	assert_int_equal(json_integer_value(json_object_get(m0, "seq")), 501);
	assert_string_equal(json_string_value(json_object_get(m0, "type")), "drawer.open");
	assert_true(json_is_object(json_object_get(m0, "payload")));
	int64_t t;
	assert_int_equal(time_parse_iso(json_string_value(json_object_get(m0, "created_at")), &t),
	                 TALAD_OK);
	/* Nothing left: no request. */
	rsync_result_init(&res);
	assert_int_equal(rsync_push(&s, NULL, 0, &res), TALAD_OK);
	assert_int_equal(x->f->pushes, 2);
	rsync_release(&s);
}

static void test_push_rejected_and_resent(void **state)
{
	struct fixture *x = *state;
	append_rows(x->st, 3);
	x->f->reject_seq = 2;
	struct rsync s;
	char err[256];
	assert_int_equal(rsync_init(&s, x->st, err, sizeof(err)), TALAD_OK);
	struct rsync_result res;
	rsync_result_init(&res);
	assert_int_equal(rsync_push(&s, NULL, 0, &res), TALAD_OK);
	assert_int_equal(res.pushed.applied, 2);
	assert_int_equal(res.pushed.rejected, 1);
	struct rstore_outbox_row *rows;
	size_t n;
	assert_int_equal(rstore_outbox_read(x->st, false, 0, 10, &rows, &n), TALAD_OK);
	assert_int_equal(rows[1].status, RSTORE_OUT_REJECTED);
	assert_string_equal(rows[1].error,
	                    "totals_mismatch: the total is not what the lines add up to");
	rstore_outbox_rows_free(rows, n);

	/* The back office is restored from an old backup: it has nothing of
	 * this register. The next rows go out, the answer says "through 0", and
	 * the register sends everything again from 1. */
	x->f->last_applied = 0;
	x->f->reject_seq = 0;
	append_rows(x->st, 2);
	rsync_result_init(&res);
	assert_int_equal(rsync_push(&s, NULL, 0, &res), TALAD_OK);
	assert_int_equal(x->f->last_applied, 5);
	assert_int_equal(res.pending, 0);
	assert_int_equal(res.pushed.applied, 2);
	rsync_release(&s);
}

static void test_pull_pages_and_gone(void **state)
{
	struct fixture *x = *state;
	json_array_append_new(x->f->pages,
	                      json_pack("{s:[{s:I, s:s, s:{s:s, s:s, s:I}}], s:I, s:b}", "changes",
	                                "seq", (json_int_t)51, "type", "level", "data",
	                                "variant_id", V_TEA, "location_id", LOC_ID, "available",
	                                (json_int_t)7, "cursor", (json_int_t)51, "more", 1));
	json_array_append_new(
	    x->f->pages, json_pack("{s:[{s:I, s:s, s:{s:s, s:s}}], s:I, s:b}", "changes", "seq",
	                           (json_int_t)52, "type", "payment_method", "data", "id", "m2",
	                           "name", "Bank transfer", "cursor", (json_int_t)52, "more", 0));
	append_rows(x->st, 1);
	struct rsync s;
	char err[256];
	assert_int_equal(rsync_init(&s, x->st, err, sizeof(err)), TALAD_OK);
	struct rsync_result res;
	rsync_result_init(&res);
	assert_int_equal(rsync_now(&s, &res), TALAD_OK);
	assert_int_equal(res.pushed.applied, 1);
	assert_int_equal(res.pages, 2);
	assert_int_equal(res.pulled, 2);
	assert_string_equal(x->f->last_query, "since=51&wait=0&pending=0");
	struct rstore_pairing p;
	assert_int_equal(rstore_get_pairing(x->st, &p), TALAD_OK);
	assert_int_equal(p.cursor, 52);
	assert_true(p.sync_online);
	assert_true(p.last_sync > 0);
	struct rstore_variant v;
	assert_int_equal(rstore_find_variant(x->st, "TEA", &v), TALAD_OK);
	assert_int_equal(v.available, 7);

	/* A cursor the server no longer has: a fresh snapshot. */
	x->f->gone = true;
	rsync_result_init(&res);
	assert_int_equal(rsync_pull(&s, 0, &res), TALAD_OK);
	assert_true(res.snapshot);
	assert_int_equal(res.snapshot_items, 1);
	assert_int_equal(x->f->snapshots, 1);
	assert_int_equal(rstore_get_pairing(x->st, &p), TALAD_OK);
	assert_int_equal(p.cursor, 50);
	assert_int_equal(rstore_find_variant(x->st, "TEA", &v), TALAD_OK);
	assert_int_equal(v.available, 12);
	rsync_release(&s);
}

static void test_unavailable_retry_after(void **state)
{
	struct fixture *x = *state;
	append_rows(x->st, 1);
	x->f->fail_status = 503;
	struct rsync s;
	char err[256];
	assert_int_equal(rsync_init(&s, x->st, err, sizeof(err)), TALAD_OK);
	struct rsync_result res;
	rsync_result_init(&res);
	int rc = rsync_now(&s, &res);
	assert_int_equal(rc, TALAD_EBUSY);
	assert_true(rhttp_retryable(rc));
	assert_int_equal(rhttp_exit_code(rc), 75);
	assert_int_equal(res.retry_after_s, 7);
	assert_int_equal(res.pending, 1);
	assert_non_null(strstr(res.error, "try later"));
	struct rstore_pairing p;
	assert_int_equal(rstore_get_pairing(x->st, &p), TALAD_OK);
	assert_false(p.sync_online);
	assert_non_null(strstr(p.sync_error, "try later"));
	/* Retry-After is a floor under the jittered delay. */
	assert_true(rsync_backoff_ms(1, res.retry_after_s, 0) >= 7000);
	/* A captive portal answering in the back office's place is "cannot
	 * reach", not a protocol error. */
	x->f->fail_status = 1;
	rsync_result_init(&res);
	rc = rsync_now(&s, &res);
	assert_int_equal(rc, TALAD_EOFFLINE);
	assert_non_null(strstr(res.error, "not the back office"));
	rsync_release(&s);
	/* Not-logged-in registers have no client. */
	assert_int_equal(rstore_set_logged_in(x->st, false), TALAD_OK);
	assert_int_equal(rsync_init(&s, x->st, err, sizeof(err)), TALAD_ESTATE);
}

/* A server that takes connections and never answers (as a SIGSTOPped one
 * does: the kernel still completes the handshake). */
static int silent_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	socklen_t len = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

struct stopper {
	atomic_int *flag;
	int ms;
};

static void *stop_later(void *arg)
{
	struct stopper *sp = arg;
	usleep((useconds_t)sp->ms * 1000);
	atomic_store(sp->flag, 1);
	return NULL;
}

static void test_silent_server_is_bounded(void **state)
{
	struct fixture *x = *state;
	int port, fd = silent_listener(&port);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	append_rows(x->st, 1);
	struct rsync s;
	rsync_init_with(&s, x->st, url, "tok", REG_ID);

	/* The bounded push after a sale. */
	struct rhttp_limits lim = {1000, 1500, 0, 0};
	struct rsync_result res;
	rsync_result_init(&res);
	int64_t t0 = time_mono_ms();
	int rc = rsync_push(&s, &lim, t0 + 1500, &res);
	int64_t took = time_mono_ms() - t0;
	assert_true(rhttp_retryable(rc));
	assert_true(took >= 1000 && took < 2500);
	assert_int_equal(res.pending, 1);

	/* A long poll is ended by the stop flag within about a second. */
	atomic_int stop;
	atomic_init(&stop, 0);
	s.http.stop = &stop;
	struct stopper sp = {&stop, 300};
	pthread_t th;
	pthread_create(&th, NULL, stop_later, &sp);
	rsync_result_init(&res);
	t0 = time_mono_ms();
	rc = rsync_pull(&s, 25, &res);
	took = time_mono_ms() - t0;
	pthread_join(th, NULL);
	assert_int_equal(rc, TALAD_EINVAL);
	assert_true(took < 2000);

	/* The quick health probe. */
	t0 = time_mono_ms();
	assert_false(regcli_probe(url, 500));
	assert_true(time_mono_ms() - t0 < 1500);
	assert_true(regcli_probe(x->f->bo.url, 1500));
	rsync_release(&s);
	close(fd);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(rsync_backoff_ms(1, -1, 0), 0);
	assert_int_equal(rsync_backoff_ms(1, -1, UINT32_MAX), 1000);
	assert_int_equal(rsync_backoff_ms(2, -1, UINT32_MAX), 2000);
	assert_int_equal(rsync_backoff_ms(4, -1, UINT32_MAX), 8000);
	assert_int_equal(rsync_backoff_ms(9, -1, UINT32_MAX), 256000);
	assert_int_equal(rsync_backoff_ms(10, -1, UINT32_MAX), RSYNC_BACKOFF_MAX_MS);
	assert_int_equal(rsync_backoff_ms(1000, -1, UINT32_MAX), RSYNC_BACKOFF_MAX_MS);
	int64_t half = rsync_backoff_ms(3, -1, UINT32_MAX / 2);
	assert_true(half >= 1999 && half <= 2001);
	assert_int_equal(rsync_backoff_ms(1, 30, 0), 30000);
	assert_int_equal(rsync_backoff_ms(12, 30, UINT32_MAX), RSYNC_BACKOFF_MAX_MS);
}

static void test_url_normalize(void **state)
{
	(void)state;
	char out[RHTTP_URL_MAX], err[256];
	assert_int_equal(rhttp_normalize_url("http://127.0.0.1:8080/", out, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(out, "http://127.0.0.1:8080");
	assert_int_equal(rhttp_normalize_url("https://shop.example/api/v1/", out, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(out, "https://shop.example");
	assert_int_equal(rhttp_normalize_url("https://shop.example/pos", out, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(out, "https://shop.example/pos");
	assert_int_equal(rhttp_normalize_url("ftp://x", out, err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(rhttp_normalize_url("127.0.0.1:8080", out, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_int_equal(rhttp_normalize_url("http://", out, err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(rhttp_normalize_url("http://a b", out, err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(rhttp_normalize_url("http://h/?q=1", out, err, sizeof(err)), TALAD_EINVAL);
}

struct events {
	pthread_mutex_t mu;
	int online, pushed, offline;
};

static void on_event(void *arg, enum rsync_event ev, const char *msg)
{
	(void)msg;
	struct events *e = arg;
	pthread_mutex_lock(&e->mu);
	if (ev == RSYNC_EV_ONLINE)
		e->online++;
	else if (ev == RSYNC_EV_PUSHED)
		e->pushed++;
	else if (ev == RSYNC_EV_OFFLINE)
		e->offline++;
	pthread_mutex_unlock(&e->mu);
}

static bool wait_for(int64_t ms, bool (*cond)(struct fixture *), struct fixture *x)
{
	int64_t end = time_mono_ms() + ms;
	while (time_mono_ms() < end) {
		if (cond(x))
			return true;
		usleep(20000);
	}
	return cond(x);
}

static bool fake_applied_one(struct fixture *x)
{
	pthread_mutex_lock(&x->f->mu);
	bool ok = x->f->last_applied >= 1;
	pthread_mutex_unlock(&x->f->mu);
	return ok;
}

static bool fake_long_polling(struct fixture *x)
{
	pthread_mutex_lock(&x->f->mu);
	bool ok = x->f->changes_reqs >= 1;
	pthread_mutex_unlock(&x->f->mu);
	return ok;
}

static void test_worker_pushes_new_rows(void **state)
{
	struct fixture *x = *state;
	struct events ev = {.online = 0};
	pthread_mutex_init(&ev.mu, NULL);
	struct rsync_worker *w;
	char err[256];
	assert_int_equal(rsync_worker_start(x->path, on_event, &ev, &w, err, sizeof(err)),
	                 TALAD_OK);
	/* Online first (push, then a pull without waiting), then the worker
	 * sits in a long poll. */
	assert_true(wait_for(3000, fake_long_polling, x));
	usleep(300000);
	struct rsync_state s;
	rsync_worker_state(w, &s);
	assert_true(s.known);
	assert_true(s.online);
	assert_int_equal(x->f->last_applied, 0);

	/* A sale committed by another handle (as `talad sell` in another
	 * process): pushed within about a second, during the long poll. */
	int64_t t0 = time_mono_ms();
	append_rows(x->st, 1);
	assert_true(wait_for(2500, fake_applied_one, x));
	assert_true(time_mono_ms() - t0 < 2500);
	usleep(200000);
	rsync_worker_state(w, &s);
	assert_int_equal(s.pending, 0);
	assert_true(s.last_sync > 0);

	/* Stopping ends the long poll in flight promptly. */
	t0 = time_mono_ms();
	rsync_worker_stop(w);
	assert_true(time_mono_ms() - t0 < 2000);
	pthread_mutex_lock(&ev.mu);
	assert_int_equal(ev.online, 1);
	assert_int_equal(ev.pushed, 1);
	assert_int_equal(ev.offline, 0);
	pthread_mutex_unlock(&ev.mu);
	pthread_mutex_destroy(&ev.mu);

	/* Not logged in: the worker does not start. */
	assert_int_equal(rstore_set_logged_in(x->st, false), TALAD_OK);
	assert_int_equal(rsync_worker_start(x->path, NULL, NULL, &w, err, sizeof(err)),
	                 TALAD_ESTATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_push_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_push_rejected_and_resent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pull_pages_and_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unavailable_retry_after, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_silent_server_is_bounded, setup, teardown),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_url_normalize),
	    cmocka_unit_test_setup_teardown(test_worker_pushes_new_rows, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
