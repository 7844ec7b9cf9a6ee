/* Card and gift card authorizations for a sale, their voids, and the journal
 * that lets a later run void what a killed one left authorized. The card
 * number goes into one request body built on the stack and wiped after. */
#include "register/rpay.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUTH_CONNECT_MS 3000
#define AUTH_TOTAL_MS   30000 /* a processor may think for a while */
#define VOID_TOTAL_MS   5000
#define RECOVER_MS      1500 /* recovery runs before a sale: keep it short */
#define JOURNAL_MAX     (64 * 1024)

static bool backoffice(enum tender_kind k)
{
	return k == TENDER_CARD || k == TENDER_GIFT_CARD;
}

static void journal_dir(const char *home, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", home, RPAY_JOURNAL_DIR);
}

int rpay_init(struct rpay *p, struct rstore *st, const char *home, char *err, size_t errlen)
{
	struct rstore_pairing pr;

	memset(p, 0, sizeof(*p));
	int rc = rstore_get_pairing(st, &pr);
	if (rc == TALAD_ENOTFOUND || (rc == TALAD_OK && (!pr.logged_in || !pr.token[0]))) {
		talad_seterr(err, errlen, "this register is not logged in");
		return TALAD_ESTATE;
	}
	if (rc) {
		talad_seterr(err, errlen, "cannot read the pairing: %s", talad_strerror(rc));
		return rc;
	}
	rhttp_init(&p->http, pr.server_url, pr.token);
	journal_dir(home, p->dir, sizeof(p->dir));
	if (strlen(p->dir) + UUID_STRLEN + 16 >= sizeof(p->journal)) {
		rhttp_release(&p->http);
		talad_seterr(err, errlen, "the home directory's path is too long");
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

void rpay_release(struct rpay *p)
{
	if (p)
		rhttp_release(&p->http);
}

/* Writes the journal whole (a temporary file renamed over it), durable
 * before the first request goes out. */
static int write_journal(struct rpay *p, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 72];
	const char *dir = p->dir;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		talad_seterr(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return TALAD_EIO;
	}
	snprintf(p->journal, sizeof(p->journal), "%s/%s.json", dir, p->order_id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p->journal);
	json_t *ids = json_array();
	for (size_t i = 0; i < p->n; i++)
		json_array_append_new(ids, json_string(p->auths[i].id));
	json_t *j =
	    json_pack("{s:s, s:I, s:I, s:o}", "order_id", p->order_id, "pid", (json_int_t)getpid(),
	              "created_at", (json_int_t)time_now_ms(), "authorizations", ids);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	int rc = TALAD_EIO;
	int fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	if (fd >= 0) {
		size_t len = strlen(text);
		bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
		ok = close(fd) == 0 && ok;
		if (ok && rename(tmp, p->journal) == 0) {
			int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0) {
				fsync(dfd);
				close(dfd);
			}
			rc = TALAD_OK;
		}
	}
	if (rc) {
		talad_seterr(err, errlen, "cannot write %s: %s", p->journal, strerror(errno));
		unlink(tmp);
		p->journal[0] = '\0';
	}
	free(text);
	return rc;
}

static void drop_journal(struct rpay *p)
{
	if (p->journal[0])
		unlink(p->journal);
	p->journal[0] = '\0';
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* One authorization request; fills pm on approval. */
static int authorize_one(struct rpay *p, struct rpay_auth *a, struct payment *pm,
                         const struct card_reader *reader, struct rpay_decline *decline, char *err,
                         size_t errlen)
{
	struct rhttp_limits lim = {AUTH_CONNECT_MS, AUTH_TOTAL_MS, 10, 0};
	struct rhttp_response r;
	char *body = NULL;
	char card_body[512];
	int rc;

	if (pm->kind == TENDER_CARD) {
		char number[CARD_NUMBER_MAX + 1];
		if (!reader) {
			talad_seterr(err, errlen, "no card reader");
			return TALAD_EINVAL;
		}
		if ((rc = reader->read(reader, number, err, errlen)))
			return rc;
		/* Digits, UUIDs and an integer: nothing to escape. */
		snprintf(card_body, sizeof(card_body),
		         "{\"id\":\"%s\",\"order_id\":\"%s\",\"method\":\"card\",\"amount\":%lld,"
		         "\"card_number\":\"%s\"}",
		         a->id, p->order_id, (long long)pm->amount, number);
		card_wipe(number, sizeof(number));
	} else {
		json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s}", "id", a->id, "order_id",
		                      p->order_id, "method", "gift_card", "amount",
		                      (json_int_t)pm->amount, "gift_code", pm->name);
		body = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (!body) {
			talad_seterr(err, errlen, "the gift card code is not valid text");
			return TALAD_EINVAL;
		}
	}
	a->asked = true;
	rc = rhttp_request(&p->http, "POST", "/api/v1/payments/authorize", body ? body : card_body,
	                   &lim, &r);
	card_wipe(card_body, sizeof(card_body));
	free(body);
	if (rc) {
		talad_seterr(err, errlen, "%s", r.error[0] ? r.error : talad_strerror(rc));
		rhttp_response_release(&r);
		/* A request the back office refused (400) is not a decline. */
		return rc == TALAD_EREFUSED ? TALAD_EINVAL : rc;
	}
	const json_t *auth = json_object_get(r.json, "authorization");
	const char *status = jstr(auth, "status");
	if (!strcmp(status, "declined")) {
		decline->index = a->index;
		strlcpy_t(decline->code, jstr(auth, "decline_code"), sizeof(decline->code));
		strlcpy_t(decline->message, jstr(auth, "message"), sizeof(decline->message));
		if (pm->kind == TENDER_CARD && *jstr(auth, "card_last4"))
			snprintf(decline->what, sizeof(decline->what), "%s ****%s",
			         jstr(auth, "card_brand"), jstr(auth, "card_last4"));
		else if (pm->kind == TENDER_CARD)
			snprintf(decline->what, sizeof(decline->what), "card");
		else
			snprintf(decline->what, sizeof(decline->what), "gift card %.53s", pm->name);
		rhttp_response_release(&r);
		return TALAD_EREFUSED;
	}
	const char *ref = jstr(auth, "reference");
	if (strcmp(status, "authorized") || !*ref || strlen(ref) >= sizeof(pm->reference) ||
	    strcmp(jstr(auth, "id"), a->id)) {
		talad_seterr(err, errlen,
		             "the back office answered an authorization this register"
		             " cannot use");
		rhttp_response_release(&r);
		a->approved = true; /* whatever it is, void it */
		return TALAD_EPROTO;
	}
	a->approved = true;
	strlcpy_t(pm->reference, ref, sizeof(pm->reference));
	if (pm->kind == TENDER_CARD) {
		strlcpy_t(pm->card_brand, jstr(auth, "card_brand"), sizeof(pm->card_brand));
		strlcpy_t(pm->card_last4, jstr(auth, "card_last4"), sizeof(pm->card_last4));
	} else if (*jstr(auth, "gift_code")) {
		strlcpy_t(pm->name, jstr(auth, "gift_code"), sizeof(pm->name));
	}
	rhttp_response_release(&r);
	return TALAD_OK;
}

/* TALAD_OK when the authorization is void now (or never reached the back
 * office); TALAD_ECONFLICT when it was captured. */
static int void_one(struct rhttp *http, const char *id, long total_ms)
{
	struct rhttp_limits lim = {total_ms < AUTH_CONNECT_MS ? total_ms : AUTH_CONNECT_MS,
	                           total_ms, 10, 0};
	struct rhttp_response r;
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/payments/%s/void", id);
	int rc = rhttp_request(http, "POST", path, "{}", &lim, &r);
	rhttp_response_release(&r);
	return rc == TALAD_ENOTFOUND ? TALAD_OK : rc;
}

int rpay_void_all(struct rpay *p, char *err, size_t errlen)
{
	int first = TALAD_OK;
	for (size_t i = 0; i < p->n; i++) {
		struct rpay_auth *a = &p->auths[i];
		if (!a->asked)
			continue;
		int rc = void_one(&p->http, a->id, VOID_TOTAL_MS);
		if (rc == TALAD_OK) {
			a->asked = a->approved = false;
		} else if (first == TALAD_OK) {
			first = rc;
			talad_seterr(err, errlen, "authorization %s could not be voided now: %s",
			             a->id, talad_strerror(rc));
		}
	}
	if (first == TALAD_OK)
		drop_journal(p);
	return first;
}

int rpay_authorize(struct rpay *p, const char *order_id, struct settlement *s,
                   const struct card_reader *reader, struct rpay_decline *decline, char *err,
                   size_t errlen)
{
	int rc;

	memset(decline, 0, sizeof(*decline));
	strlcpy_t(p->order_id, order_id, sizeof(p->order_id));
	p->n = 0;
	for (size_t i = 0; i < s->npayments && p->n < TENDER_MAX; i++) {
		if (!backoffice(s->payments[i].kind))
			continue;
		struct rpay_auth *a = &p->auths[p->n++];
		memset(a, 0, sizeof(*a));
		uuid_v7(a->id);
		a->index = i;
	}
	if (p->n == 0)
		return TALAD_OK;
	/* Written before the first request: a register killed from here on
	   leaves the ids behind for rpay_recover. */
	if ((rc = write_journal(p, err, errlen)))
		return rc;
	for (size_t k = 0; k < p->n; k++) {
		struct rpay_auth *a = &p->auths[k];
		rc = authorize_one(p, a, &s->payments[a->index], reader, decline, err, errlen);
		if (rc)
			break;
	}
	if (rc == TALAD_OK)
		return TALAD_OK;
	/* Nothing half-paid: what was approved (or may have been, when the
	   answer was lost) is voided. */
	char verr[256];
	if (rpay_void_all(p, verr, sizeof(verr)) != TALAD_OK && err && rc != TALAD_EREFUSED) {
		size_t used = strlen(err);
		snprintf(err + used, errlen - used, "; %s (the back office releases it by itself)",
		         verr);
	}
	return rc;
}

void rpay_committed(struct rpay *p)
{
	drop_journal(p);
}

size_t rpay_open_count(const struct rpay *p)
{
	size_t n = 0;
	for (size_t i = 0; p && i < p->n; i++)
		if (p->auths[i].asked)
			n++;
	return n;
}

/* The journal rewritten for the authorizations p holds now, or removed with
 * the last one; when the rewrite fails the previous file stays, naming more
 * than needed, which costs recovery a void too many and nothing else. */
static int rewrite_journal(struct rpay *p, char *err, size_t errlen)
{
	if (p->n == 0) {
		drop_journal(p);
		return TALAD_OK;
	}
	int rc = write_journal(p, err, errlen);
	if (rc)
		snprintf(p->journal, sizeof(p->journal), "%s/%s.json", p->dir, p->order_id);
	return rc;
}

static void forget(struct rpay *p, size_t i)
{
	memmove(&p->auths[i], &p->auths[i + 1], (p->n - i - 1) * sizeof(p->auths[0]));
	p->n--;
}

int rpay_authorize_one(struct rpay *p, const char *order_id, struct payment *pm,
                       const struct card_reader *reader, char id[UUID_STRLEN + 1],
                       struct rpay_decline *decline, char *err, size_t errlen)
{
	int rc;

	memset(decline, 0, sizeof(*decline));
	if (!backoffice(pm->kind)) {
		talad_seterr(err, errlen, "only card and gift card payments are authorized");
		return TALAD_EINVAL;
	}
	if (rpay_open_count(p) > 0 && strcmp(p->order_id, order_id)) {
		talad_seterr(err, errlen, "the authorizations of sale %s are still open",
		             p->order_id);
		return TALAD_ESTATE;
	}
	/* Those never sent or voided since need no journal entry. */
	for (size_t i = p->n; i-- > 0;)
		if (!p->auths[i].asked)
			forget(p, i);
	if (p->n >= TENDER_MAX) {
		talad_seterr(err, errlen, "at most %d card and gift card payments on one sale",
		             TENDER_MAX);
		return TALAD_EINVAL;
	}
	strlcpy_t(p->order_id, order_id, sizeof(p->order_id));
	struct rpay_auth *a = &p->auths[p->n++];
	memset(a, 0, sizeof(*a));
	uuid_v7(a->id);
	a->index = p->n - 1;
	/* In the journal before the request: a till killed from here on
	   leaves it behind for rpay_recover. */
	if ((rc = rewrite_journal(p, err, errlen))) {
		p->n--;
		return rc;
	}
	rc = authorize_one(p, a, pm, reader, decline, err, errlen);
	if (rc == TALAD_OK) {
		strlcpy_t(id, a->id, UUID_STRLEN + 1);
		return TALAD_OK;
	}
	/* A decline holds nothing; anything else may have (a lost answer). */
	if (rc != TALAD_EREFUSED && a->asked) {
		int v = void_one(&p->http, a->id, VOID_TOTAL_MS);
		if (v != TALAD_OK) {
			size_t used = err ? strlen(err) : 0;
			if (err && used < errlen)
				snprintf(
				    err + used, errlen - used,
				    "; authorization %s could not be voided now (the back office"
				    " releases it by itself)",
				    a->id);
			return rc; /* kept: rpay_void_all or rpay_recover tries again */
		}
	}
	forget(p, p->n - 1);
	rewrite_journal(p, NULL, 0);
	return rc;
}

int rpay_void_one(struct rpay *p, const char *id, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->n; i++) {
		struct rpay_auth *a = &p->auths[i];
		if (strcmp(a->id, id))
			continue;
		if (a->asked) {
			int rc = void_one(&p->http, a->id, VOID_TOTAL_MS);
			if (rc) {
				talad_seterr(err, errlen,
				             "authorization %s could not be voided now: %s", a->id,
				             talad_strerror(rc));
				return rc;
			}
		}
		forget(p, i);
		rewrite_journal(p, NULL, 0);
		return TALAD_OK;
	}
	return TALAD_OK;
}

/* Voids what one journal names, unless its sale committed or is still
 * running. TALAD_OK when the journal is done with (and removed). */
static int recover_one(struct rstore *st, struct rhttp *http, const char *path, size_t *voided)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	const char *order_id = json_string_value(json_object_get(j, "order_id"));
	json_t *ids = json_object_get(j, "authorizations");
	int rc = TALAD_OK;
	if (!j || !order_id || !json_is_array(ids)) {
		json_decref(j);
		unlink(path); /* unreadable: written halfway, before any request */
		return TALAD_OK;
	}
	if (rstore_get_order(st, order_id, NULL, NULL) == TALAD_OK) {
		json_decref(j);
		unlink(path); /* the sale committed: its order captures them */
		return TALAD_OK;
	}
	json_int_t pid = json_integer_value(json_object_get(j, "pid"));
	json_int_t at = json_integer_value(json_object_get(j, "created_at"));
	bool alive = pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
	if (alive && pid != getpid() && time_now_ms() - at < RPAY_ORPHAN_AGE_MS) {
		json_decref(j);
		return TALAD_EBUSY; /* a sale in flight in another process */
	}
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
	{
		const char *id = json_string_value(v);
		if (!id || !uuid_valid(id))
			continue;
		int one = void_one(http, id, RECOVER_MS);
		if (one == TALAD_OK || one == TALAD_ECONFLICT) {
			if (one == TALAD_OK && voided)
				(*voided)++;
		} else if (rc == TALAD_OK) {
			rc = one;
		}
	}
	json_decref(j);
	if (rc == TALAD_OK)
		unlink(path);
	return rc;
}

int rpay_recover(struct rstore *st, const char *home, size_t *voided)
{
	char dir[PATH_MAX];
	struct rstore_pairing pr;
	int first = TALAD_OK;

	if (voided)
		*voided = 0;
	journal_dir(home, dir, sizeof(dir));
	DIR *d = opendir(dir);
	if (!d)
		return TALAD_OK; /* no sale ever took a card here */
	struct rhttp http;
	bool have_http = false;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[PATH_MAX + 64];
		if (n != UUID_STRLEN + 5 || strcmp(e->d_name + UUID_STRLEN, ".json"))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if (!have_http) {
			int rc = rstore_get_pairing(st, &pr);
			if (rc || !pr.logged_in || !pr.token[0]) {
				first = rc ? rc : TALAD_ESTATE;
				break;
			}
			rhttp_init(&http, pr.server_url, pr.token);
			have_http = true;
		}
		int rc = recover_one(st, &http, path, voided);
		if (rc && rc != TALAD_EBUSY && first == TALAD_OK)
			first = rc;
		if (rhttp_retryable(rc))
			break; /* offline: the next sale tries again */
	}
	closedir(d);
	if (have_http)
		rhttp_release(&http);
	return first;
}
