/* Unit tests of rsync_push's overlap (an answer recorded while the next batch
 * is in flight, the next body read ahead) against a fake back office that
 * applies by the protocol's seq rules and checks that no two pushes are ever
 * in flight at once: the pending counts the bodies carry, acknowledgements
 * that stop inside a batch, a failure after earlier answers (which stay
 * recorded), and a back office that lost rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "register/rhttp.h"
#include "register/rstore.h"
#include "register/rsync.h"

#include "../lib/fakebo.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REG_ID "01900000-0000-7000-8000-000000000001"
#define LOC_ID "01900000-0000-7000-8000-0000000000aa"

struct fake {
	struct fakebo bo;
	pthread_mutex_t mu;
	int64_t last_applied;
	size_t cap;      /* apply at most this many of a batch (0: all) */
	int fail_push;   /* answer 503 to this push (1 = the first), 0: none */
	int in_flight;   /* pushes being answered now */
	bool overlapped; /* two pushes were in flight at once */
	int pushes;
	int64_t pending[16]; /* "pending" of the first 16 bodies */
	int64_t firsts[16];  /* their first seq */
	size_t applied;      /* mutations applied, over all pushes */
};

static json_t *apply(struct fake *f, json_t *body)
{
	json_t *results = json_array();
	size_t i, taken = 0;
	json_t *m;
	json_array_foreach(json_object_get(body, "mutations"), i, m)
	{
		int64_t seq = json_integer_value(json_object_get(m, "seq"));
		if (seq <= f->last_applied) {
			json_array_append_new(
			    results, json_pack("{s:I, s:s}", "seq", seq, "status", "duplicate"));
			continue;
		}
		if (seq != f->last_applied + 1 || (f->cap && taken == f->cap))
			break;
		f->last_applied = seq;
		f->applied++;
		taken++;
		json_array_append_new(results,
		                      json_pack("{s:I, s:s}", "seq", seq, "status", "applied"));
	}
	return json_pack("{s:I, s:o}", "acked_through", f->last_applied, "results", results);
}

static enum MHD_Result handler(void *arg, struct MHD_Connection *c, const char *method,
                               const char *url, const char *upload)
{
	struct fake *f = arg;
	if (strcmp(method, "POST") || strcmp(url, "/api/v1/sync/push"))
		return fakebo_error(c, 404, "not_found", NULL);
	json_t *body = json_loads(upload, 0, NULL);
	pthread_mutex_lock(&f->mu);
	if (++f->in_flight > 1)
		f->overlapped = true;
	int n = ++f->pushes;
	if (n <= 16) {
		f->pending[n - 1] = json_integer_value(json_object_get(body, "pending"));
		f->firsts[n - 1] = json_integer_value(
		    json_object_get(json_array_get(json_object_get(body, "mutations"), 0), "seq"));
	}
	bool fail = n == f->fail_push;
	pthread_mutex_unlock(&f->mu);
	/* Long enough for a second push to show up if one were sent. */
	usleep(20000);
	pthread_mutex_lock(&f->mu);
	json_t *ans = fail ? NULL : apply(f, body);
	f->in_flight--;
	pthread_mutex_unlock(&f->mu);
	json_decref(body);
	if (fail)
		return fakebo_error(c, 503, "unavailable", "try later");
	return fakebo_reply(c, 200, ans, NULL);
}

struct fixture {
	char dir[64];
	struct rstore *st;
	struct fake f;
	struct rsync sync;
};

static int setup(void **state)
{
	struct fixture *x = xcalloc(1, sizeof(*x));
	strcpy(x->dir, "/tmp/talad-pipeline.XXXXXX");
	if (!mkdtemp(x->dir))
		return -1;
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/register.db", x->dir);
	if (rstore_open(path, &x->st, err, sizeof(err)))
		return -1;
	pthread_mutex_init(&x->f.mu, NULL);
	/* A thread per connection: a second push would be answered at once. */
	if (fakebo_start(&x->f.bo, handler, &x->f))
		return -1;
	struct rstore_pairing p = {0};
	strcpy(p.server_url, x->f.bo.url);
	strcpy(p.register_id, REG_ID);
	strcpy(p.register_code, "R01");
	strcpy(p.token, "register-token");
	strcpy(p.location_id, LOC_ID);
	assert_int_equal(rstore_set_pairing(x->st, &p, true), TALAD_OK);
	rsync_init_with(&x->sync, x->st, x->f.bo.url, "register-token", REG_ID);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;
	rsync_release(&x->sync);
	fakebo_stop(&x->f.bo);
	pthread_mutex_destroy(&x->f.mu);
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

/* Every row's status in the store. */
static void expect_statuses(struct rstore *st, int n, int applied_through)
{
	struct rstore_outbox_row *rows;
	size_t got;
	assert_int_equal(rstore_outbox_read(st, false, 0, (size_t)n + 10, &rows, &got), TALAD_OK);
	assert_int_equal(got, n);
	for (size_t i = 0; i < got; i++) {
		assert_int_equal(rows[i].seq, (int64_t)i + 1);
		assert_int_equal(rows[i].status, rows[i].seq <= applied_through
		                                     ? RSTORE_OUT_APPLIED
		                                     : RSTORE_OUT_PENDING);
	}
	rstore_outbox_rows_free(rows, got);
}

static void test_batches_in_order_one_at_a_time(void **state)
{
	struct fixture *x = *state;
	append_rows(x->st, 1700);
	struct rsync_result res;
	rsync_result_init(&res);
	assert_int_equal(rsync_push(&x->sync, NULL, 0, &res), TALAD_OK);
	assert_false(x->f.overlapped);
	assert_int_equal(x->f.pushes, 4);
	assert_int_equal(res.batches, 4);
	assert_int_equal(res.pushed.applied, 1700);
	assert_int_equal(res.pushed.duplicate, 0);
	assert_int_equal(res.pending, 0);
	assert_int_equal(x->f.applied, 1700);
	/* Each body counts what is unacknowledged when it is sent, itself
	 * included, though it was read while the one before was in flight. */
	const int64_t pending[] = {1700, 1200, 700, 200}, firsts[] = {1, 501, 1001, 1501};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(x->f.pending[i], pending[i]);
		assert_int_equal(x->f.firsts[i], firsts[i]);
	}
	expect_statuses(x->st, 1700, 1700);
}

/* The back office takes only 300 of each batch: the read-ahead is thrown
 * away and the next batch starts after what was acknowledged. */
static void test_acknowledged_inside_a_batch(void **state)
{
	struct fixture *x = *state;
	x->f.cap = 300;
	append_rows(x->st, 1000);
	struct rsync_result res;
	rsync_result_init(&res);
	assert_int_equal(rsync_push(&x->sync, NULL, 0, &res), TALAD_OK);
	assert_false(x->f.overlapped);
	assert_int_equal(x->f.pushes, 4);
	const int64_t firsts[] = {1, 301, 601, 901}, pending[] = {1000, 700, 400, 100};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(x->f.firsts[i], firsts[i]);
		assert_int_equal(x->f.pending[i], pending[i]);
	}
	assert_int_equal(res.pushed.applied, 1000);
	assert_int_equal(res.pushed.duplicate, 0);
	assert_int_equal(x->f.applied, 1000);
	expect_statuses(x->st, 1000, 1000);
}

/* The third push fails: the answers to the first two, one of them received
 * while the third was in flight, are recorded all the same. */
static void test_failure_keeps_the_answers_before(void **state)
{
	struct fixture *x = *state;
	x->f.fail_push = 3;
	append_rows(x->st, 1600);
	struct rsync_result res;
	rsync_result_init(&res);
	assert_int_equal(rsync_push(&x->sync, NULL, 0, &res), TALAD_EBUSY);
	assert_non_null(strstr(res.error, "push: try later"));
	assert_int_equal(res.batches, 2);
	assert_int_equal(res.pushed.applied, 1000);
	assert_int_equal(res.pending, 600);
	expect_statuses(x->st, 1600, 1000);

	x->f.fail_push = 0;
	rsync_result_init(&res);
	assert_int_equal(rsync_push(&x->sync, NULL, 0, &res), TALAD_OK);
	assert_int_equal(res.pushed.applied, 600);
	assert_int_equal(res.pushed.duplicate, 0);
	assert_int_equal(x->f.applied, 1600);
	expect_statuses(x->st, 1600, 1600);
}

/* A back office restored from a backup has none of the rows: everything is
 * sent again from the first, batch after batch. */
static void test_back_office_lost_rows(void **state)
{
	struct fixture *x = *state;
	append_rows(x->st, 1200);
	struct rsync_result res;
	rsync_result_init(&res);
	assert_int_equal(rsync_push(&x->sync, NULL, 0, &res), TALAD_OK);
	x->f.last_applied = 0;
	x->f.applied = 0;
	x->f.pushes = 0;
	append_rows(x->st, 10);
	rsync_result_init(&res);
	assert_int_equal(rsync_push(&x->sync, NULL, 0, &res), TALAD_OK);
	assert_false(x->f.overlapped);
	assert_int_equal(x->f.last_applied, 1210);
	assert_int_equal(x->f.applied, 1210);
	/* Only the 10 new rows were pending here. */
	assert_int_equal(res.pushed.applied, 10);
	assert_int_equal(res.pending, 0);
	/* The first push: the new rows; then 1..500, 501..1000, 1001..1210. */
	const int64_t firsts[] = {1201, 1, 501, 1001};
	assert_int_equal(x->f.pushes, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(x->f.firsts[i], firsts[i]);
	expect_statuses(x->st, 1210, 1210);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_batches_in_order_one_at_a_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_acknowledged_inside_a_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_keeps_the_answers_before, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_back_office_lost_rows, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
