/* Unit tests of the register's payment authorizations taken one at a time,
 * as the till takes the card and gift card parts of a split sale, against a
 * small fake back office (libmicrohttpd, in this process): the journal names
 * every open authorization before its request goes out, a decline holds and
 * voids nothing, one taken back is voided alone, another sale cannot start
 * while one is open, and an authorization whose answer never came is kept
 * until recovery voids it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "register/card_reader.h"
#include "register/rpay.h"
#include "register/rstore.h"

#include "../lib/fakebo.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define REG_ID   "01900000-0000-7000-8000-000000000001"
#define LOC_ID   "01900000-0000-7000-8000-0000000000aa"
#define ORDER_A  "01900000-0000-7000-8000-0000000000a1"
#define ORDER_B  "01900000-0000-7000-8000-0000000000b1"
#define APPROVE  "4242424242424242"
#define DECLINE  "4000000000000002"
#define MAX_AUTH 32

/* ---- the fake back office ---- */

struct fake_auth {
	char id[UUID_STRLEN + 1];
	char status[16];
};

struct fake {
	struct fakebo bo;
	pthread_mutex_t mu;
	struct fake_auth auths[MAX_AUTH];
	int nauths;
	int voids; /* void requests seen, for any id */
};

/* The test gateway's rule for cards; gift card "GOOD" holds enough. */
static json_t *authorize(struct fake *f, json_t *body)
{
	const char *id = json_string_value(json_object_get(body, "id"));
	const char *method = json_string_value(json_object_get(body, "method"));
	const char *number = json_string_value(json_object_get(body, "card_number"));
	const char *code = json_string_value(json_object_get(body, "gift_code"));
	bool card = method && !strcmp(method, "card");
	bool ok = card ? number && !strcmp(number, APPROVE) : code && !strcasecmp(code, "good");
	if (!id || f->nauths >= MAX_AUTH)
		return NULL;
	struct fake_auth *a = &f->auths[f->nauths++];
	strlcpy_t(a->id, id, sizeof(a->id));
	strlcpy_t(a->status, ok ? "authorized" : "declined", sizeof(a->status));
	char ref[64];
	snprintf(ref, sizeof(ref), "TEST GATEWAY -- ref test_%d", f->nauths);
	json_t *auth =
	    json_pack("{s:s, s:s, s:s}", "id", id, "status", a->status, "reference", ref);
	if (card) {
		json_object_set_new(auth, "card_brand", json_string("visa"));
		json_object_set_new(auth, "card_last4", json_string(number ? number + 12 : ""));
	} else {
		json_object_set_new(auth, "gift_code", json_string("GOOD"));
	}
	if (!ok) {
		json_object_set_new(auth, "decline_code",
		                    json_string(card ? "card_declined" : "unknown_gift_card"));
		json_object_set_new(auth, "message",
		                    json_string(card ? "the card was declined" : "no gift card"));
	}
	return json_pack("{s:o}", "authorization", auth);
}

static enum MHD_Result handler(void *arg, struct MHD_Connection *c, const char *method,
                               const char *url, const char *upload)
{
	struct fake *f = arg;
	if (strcmp(method, "POST"))
		return fakebo_error(c, 404, "not_found", NULL);
	pthread_mutex_lock(&f->mu);
	json_t *ans = NULL;
	int status = 404;
	if (!strcmp(url, "/api/v1/payments/authorize")) {
		json_t *body = json_loads(upload, 0, NULL);
		ans = authorize(f, body);
		status = ans ? 200 : 400;
		json_decref(body);
	} else if (!strncmp(url, "/api/v1/payments/", 17) && strlen(url) == 17 + UUID_STRLEN + 5 &&
	           !strcmp(url + 17 + UUID_STRLEN, "/void")) {
		f->voids++;
		for (int i = 0; i < f->nauths; i++) {
			if (strncmp(f->auths[i].id, url + 17, UUID_STRLEN))
				continue;
			if (!strcmp(f->auths[i].status, "authorized"))
				strcpy(f->auths[i].status, "voided");
			ans = json_pack("{s:{s:s, s:s}}", "authorization", "id", f->auths[i].id,
			                "status", f->auths[i].status);
			status = 200;
		}
	}
	pthread_mutex_unlock(&f->mu);
	if (!ans)
		return fakebo_error(c, status, status == 400 ? "bad" : "not_found", "no");
	return fakebo_reply(c, status, ans, NULL);
}

static struct fake *fake_start(void)
{
	struct fake *f = xcalloc(1, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	assert_int_equal(fakebo_start(&f->bo, handler, f), 0);
	return f;
}

static void fake_stop(struct fake *f)
{
	fakebo_stop(&f->bo);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static const char *fake_status(struct fake *f, const char *id)
{
	static char out[16];
	strcpy(out, "none");
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < f->nauths; i++)
		if (!strcmp(f->auths[i].id, id))
			strcpy(out, f->auths[i].status);
	pthread_mutex_unlock(&f->mu);
	return out;
}

static int fake_voids(struct fake *f)
{
	pthread_mutex_lock(&f->mu);
	int n = f->voids;
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* ---- fixture: a logged-in register with the simulated reader ---- */

struct fixture {
	char dir[64];
	char path[128];
	struct rstore *st;
	struct fake *f;
	const struct card_reader *reader;
};

static void pair(struct fixture *x, const char *url, bool first)
{
	struct rstore_pairing p = {0};
	strcpy(p.server_url, url);
	strcpy(p.register_id, REG_ID);
	strcpy(p.register_code, "R01");
	strcpy(p.register_name, "Till");
	strcpy(p.token, "register-token");
	strcpy(p.location_id, LOC_ID);
	assert_int_equal(rstore_set_pairing(x->st, &p, first), TALAD_OK);
	assert_int_equal(rstore_set_logged_in(x->st, true), TALAD_OK);
}

static int setup(void **state)
{
	struct fixture *x = xcalloc(1, sizeof(*x));
	char err[256];
	strcpy(x->dir, "/tmp/talad-rpay.XXXXXX");
	if (!mkdtemp(x->dir))
		return -1;
	snprintf(x->path, sizeof(x->path), "%s/register.db", x->dir);
	if (rstore_open(x->path, &x->st, err, sizeof(err)))
		return -1;
	x->f = fake_start();
	pair(x, x->f->bo.url, true);
	assert_int_equal(rstore_setting_set(x->st, CARD_READER_KEY, "simulated"), TALAD_OK);
	assert_int_equal(card_reader_open(x->st, &x->reader, err, sizeof(err)), TALAD_OK);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;
	char cmd[160];
	rstore_close(x->st);
	fake_stop(x->f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	int rc = system(cmd);
	free(x);
	return rc == 0 ? 0 : -1;
}

/* The authorization ids the journal of order names, as one string "a,b";
 * "-" when there is no journal. */
static void journal_ids(struct fixture *x, const char *order, char *out, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s/%s.json", x->dir, RPAY_JOURNAL_DIR, order);
	json_t *j = json_load_file(path, 0, NULL);
	if (!j) {
		snprintf(out, len, "-");
		return;
	}
	size_t i, used = 0;
	json_t *v;
	out[0] = '\0';
	json_array_foreach(json_object_get(j, "authorizations"), i, v) used +=
	    (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", json_string_value(v));
	json_decref(j);
}

static struct payment card_payment(int64_t amount)
{
	struct payment pm;
	memset(&pm, 0, sizeof(pm));
	pm.kind = TENDER_CARD;
	pm.amount = pm.tendered = amount;
	return pm;
}

static struct payment gift_payment(const char *code, int64_t amount)
{
	struct payment pm = card_payment(amount);
	pm.kind = TENDER_GIFT_CARD;
	strcpy(pm.name, code);
	return pm;
}

/* ---- tests ---- */

static void test_split_one_at_a_time(void **state)
{
	struct fixture *x = *state;
	struct rpay p;
	struct rpay_decline dec;
	char err[256] = "", id1[UUID_STRLEN + 1], id2[UUID_STRLEN + 1], id3[UUID_STRLEN + 1];
	char ids[256], want[256];

	setenv(CARD_READER_SIM_ENV, APPROVE, 1);
	assert_int_equal(rpay_init(&p, x->st, x->dir, err, sizeof(err)), TALAD_OK);
	assert_int_equal(rpay_open_count(&p), 0);

	/* A card, then a gift card, for the same sale: both open, both in
	   the journal. */
	struct payment a = card_payment(4000);
	assert_int_equal(
	    rpay_authorize_one(&p, ORDER_A, &a, x->reader, id1, &dec, err, sizeof(err)), TALAD_OK);
	assert_true(uuid_valid(id1));
	assert_string_equal(a.card_brand, "visa");
	assert_string_equal(a.card_last4, "4242");
	assert_string_equal(a.reference, "TEST GATEWAY -- ref test_1");
	struct payment b = gift_payment("good", 2000);
	assert_int_equal(rpay_authorize_one(&p, ORDER_A, &b, NULL, id2, &dec, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(b.name, "GOOD"); /* as the back office spells it */
	assert_int_equal(rpay_open_count(&p), 2);
	journal_ids(x, ORDER_A, ids, sizeof(ids));
	snprintf(want, sizeof(want), "%s,%s", id1, id2);
	assert_string_equal(ids, want);

	/* A decline holds nothing: no void, the journal as it was. */
	struct payment c = gift_payment("nope", 1000);
	int voids = fake_voids(x->f);
	assert_int_equal(rpay_authorize_one(&p, ORDER_A, &c, NULL, id3, &dec, err, sizeof(err)),
	                 TALAD_EREFUSED);
	assert_string_equal(dec.code, "unknown_gift_card");
	assert_string_equal(dec.message, "no gift card");
	assert_int_equal(fake_voids(x->f), voids);
	assert_int_equal(rpay_open_count(&p), 2);
	journal_ids(x, ORDER_A, ids, sizeof(ids));
	assert_string_equal(ids, want);
	/* So is a declined card. */
	setenv(CARD_READER_SIM_ENV, DECLINE, 1);
	struct payment d = card_payment(1000);
	assert_int_equal(
	    rpay_authorize_one(&p, ORDER_A, &d, x->reader, id3, &dec, err, sizeof(err)),
	    TALAD_EREFUSED);
	assert_string_equal(dec.code, "card_declined");
	assert_string_equal(dec.what, "visa ****0002");
	assert_int_equal(rpay_open_count(&p), 2);

	/* Another sale cannot start while this one holds authorizations. */
	setenv(CARD_READER_SIM_ENV, APPROVE, 1);
	struct payment e = card_payment(1000);
	assert_int_equal(
	    rpay_authorize_one(&p, ORDER_B, &e, x->reader, id3, &dec, err, sizeof(err)),
	    TALAD_ESTATE);
	journal_ids(x, ORDER_B, ids, sizeof(ids));
	assert_string_equal(ids, "-");

	/* The card taken back: voided alone, the gift card stays. */
	assert_int_equal(rpay_void_one(&p, id1, err, sizeof(err)), TALAD_OK);
	assert_string_equal(fake_status(x->f, id1), "voided");
	assert_string_equal(fake_status(x->f, id2), "authorized");
	assert_int_equal(rpay_open_count(&p), 1);
	journal_ids(x, ORDER_A, ids, sizeof(ids));
	assert_string_equal(ids, id2);
	/* An id it does not hold is nothing to do. */
	voids = fake_voids(x->f);
	assert_int_equal(rpay_void_one(&p, ORDER_B, err, sizeof(err)), TALAD_OK);
	assert_int_equal(fake_voids(x->f), voids);

	/* Committed: the journal goes, the gift card stays authorized for
	   the order to capture. */
	rpay_committed(&p);
	journal_ids(x, ORDER_A, ids, sizeof(ids));
	assert_string_equal(ids, "-");
	assert_string_equal(fake_status(x->f, id2), "authorized");
	rpay_release(&p);

	/* The last one taken back removes the journal. */
	assert_int_equal(rpay_init(&p, x->st, x->dir, err, sizeof(err)), TALAD_OK);
	struct payment g = gift_payment("good", 500);
	assert_int_equal(rpay_authorize_one(&p, ORDER_B, &g, NULL, id3, &dec, err, sizeof(err)),
	                 TALAD_OK);
	journal_ids(x, ORDER_B, ids, sizeof(ids));
	assert_string_equal(ids, id3);
	assert_int_equal(rpay_void_one(&p, id3, err, sizeof(err)), TALAD_OK);
	journal_ids(x, ORDER_B, ids, sizeof(ids));
	assert_string_equal(ids, "-");
	assert_int_equal(rpay_open_count(&p), 0);
	rpay_release(&p);
}

/* The back office gone mid-sale: the authorization may exist (its answer
 * never came), so it stays open and in the journal; rpay_recover voids it
 * once the back office answers. */
static void test_unanswered_kept_for_recovery(void **state)
{
	struct fixture *x = *state;
	struct rpay p;
	struct rpay_decline dec;
	char err[512] = "", id[UUID_STRLEN + 1], ids[256];

	setenv(CARD_READER_SIM_ENV, APPROVE, 1);
	pair(x, "http://127.0.0.1:1", false);
	assert_int_equal(rpay_init(&p, x->st, x->dir, err, sizeof(err)), TALAD_OK);
	struct payment a = card_payment(4000);
	int rc = rpay_authorize_one(&p, ORDER_A, &a, x->reader, id, &dec, err, sizeof(err));
	assert_int_equal(rc, TALAD_EOFFLINE);
	assert_non_null(strstr(err, "could not be voided now"));
	assert_string_equal(a.reference, "");
	assert_int_equal(rpay_open_count(&p), 1);
	journal_ids(x, ORDER_A, ids, sizeof(ids));
	assert_int_equal(strlen(ids), UUID_STRLEN);
	/* Giving the sale up cannot void it either: the journal stays. */
	assert_int_not_equal(rpay_void_all(&p, err, sizeof(err)), TALAD_OK);
	rpay_release(&p);
	journal_ids(x, ORDER_A, ids, sizeof(ids));
	assert_int_equal(strlen(ids), UUID_STRLEN);

	/* Back online: recovery voids it (this process's own journal of a
	   sale given up) and removes the journal. */
	pair(x, x->f->bo.url, false);
	size_t voided = 0;
	assert_int_equal(rpay_recover(x->st, x->dir, &voided), TALAD_OK);
	assert_int_equal(voided, 1);
	journal_ids(x, ORDER_A, ids, sizeof(ids));
	assert_string_equal(ids, "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_split_one_at_a_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unanswered_kept_for_recovery, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
