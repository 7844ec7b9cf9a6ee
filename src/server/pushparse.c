/* The push body reader: a small scanner that walks the envelope and finds
 * the byte span of every value without building anything (jansson then
 * parses each span, so nothing malformed gets through), and a few threads
 * that parse and validate the mutations in parallel. */
#include "server/pushparse.h"
#include "server/fastjson.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PARALLEL_MIN 64 /* below this many mutations one thread is quicker */
#define THREADS_MAX  4

struct span {
	const char *p;
	size_t n;
};

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at a quote: the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The end of the value at p (brackets matched by depth only: jansson checks
 * the span's content afterwards), or NULL. */
static const char *skip_value(const char *p, const char *end)
{
	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		while (p < end) {
			char c = *p;
			if (c == '"') {
				if (!(p = skip_string(p, end)))
					return NULL;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return p + 1;
			p++;
		}
		return NULL;
	}
	const char *s = p;
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
	       *p != '\n' && *p != '\r')
		p++;
	return p > s ? p : NULL;
}

/* A member's value starts at val; the callback sets *val_end past it (so
 * it can read a large value once instead of skipping it first). */
typedef int (*member_fn)(void *arg, struct span key, const char *val, const char *end,
                         const char **val_end);

/* Calls fn for each member of the object at p; *after is set past it.
 * Returns 0, -1 for a syntax error, or what fn returned. */
static int walk_object(const char *p, const char *end, member_fn fn, void *arg, const char **after)
{
	p = ws(p, end);
	if (p >= end || *p != '{')
		return -1;
	p = ws(p + 1, end);
	if (p < end && *p == '}') {
		*after = p + 1;
		return 0;
	}
	for (;;) {
		if (p >= end || *p != '"')
			return -1;
		const char *ke = skip_string(p, end);
		if (!ke)
			return -1;
		struct span key = {p, (size_t)(ke - p)};
		p = ws(ke, end);
		if (p >= end || *p != ':')
			return -1;
		p = ws(p + 1, end);
		const char *ve = NULL;
		int rc = fn(arg, key, p, end, &ve);
		if (rc)
			return rc;
		if (!ve)
			return -1;
		p = ws(ve, end);
		if (p < end && *p == ',') {
			p = ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}') {
			*after = p + 1;
			return 0;
		}
		return -1;
	}
}

/* The key's text (decoded when it holds escapes) into out. */
static void key_text(struct span key, char *out, size_t outlen)
{
	out[0] = '\0';
	if (!memchr(key.p, '\\', key.n)) {
		size_t n = key.n - 2 < outlen - 1 ? key.n - 2 : outlen - 1;
		memcpy(out, key.p + 1, n);
		out[n] = '\0';
		return;
	}
	json_t *s = json_loadb(key.p, key.n, JSON_DECODE_ANY, NULL);
	if (json_is_string(s))
		snprintf(out, outlen, "%s", json_string_value(s));
	json_decref(s);
}

static int bad_json(struct jerr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad_json(struct jerr *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	e->field[0] = '\0';
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return PUSHPARSE_BAD_JSON;
}

/* ---- one mutation ---- */

struct item_job {
	struct span span;
	struct push_item *item;
	enum pushparse_error err;
	struct jerr e;
};

/* "mutations[12]." without printf: it is made for every mutation. */
static void mutation_prefix(char *out, size_t size, size_t index)
{
	char text[48] = "mutations[";
	char digits[24];
	size_t nd = 0, len = strlen(text);
	do {
		digits[nd++] = (char)('0' + index % 10);
		index /= 10;
	} while (index && nd < sizeof(digits));
	while (nd)
		text[len++] = digits[--nd];
	text[len++] = ']';
	text[len++] = '.';
	text[len] = '\0';
	strlcpy_t(out, text, size);
}

static void parse_item(struct item_job *j, size_t index)
{
	static const char *const keys[] = {"seq", "op_id", "type", "created_at", "payload", NULL};
	struct push_item *it = j->item;
	char pre[48];
	const char *s;
	mutation_prefix(pre, sizeof(pre), index);
	if (j->span.n == 0 || j->span.p[0] != '{') {
		char key[48];
		snprintf(key, sizeof(key), "mutations[%zu]", index);
		jfield_fail(&j->e, "", key, "must be an object");
		j->err = PUSHPARSE_BAD_FIELD;
		return;
	}
	/* The arena is on (parse_next): m and everything in it go when the
	 * arena is reset, so nothing from m may be kept. */
	struct fastjson_error fe;
	struct span ps = {NULL, 0};
	json_t *m = fastjson_load_span(j->span.p, j->span.n, "payload", &ps.p, &ps.n, &fe);
	if (!m) {
		j->err = bad_json(&j->e, "malformed json in mutations[%zu] at byte %zu: %s", index,
		                  fe.offset, fe.text);
		return;
	}
	j->err = PUSHPARSE_BAD_FIELD;
	if (jfield_known(m, keys, pre, &j->e) ||
	    jfield_int(m, "seq", pre, true, 1, INT64_MAX, &it->seq, NULL, &j->e) ||
	    jfield_uuid(m, "op_id", pre, true, &s, &j->e))
		goto out;
	strlcpy_t(it->op_id, s, sizeof(it->op_id));
	if (jfield_str(m, "type", pre, true, 1, sizeof(it->type) - 1, &s, &j->e))
		goto out;
	strlcpy_t(it->type, s, sizeof(it->type));
	if (jfield_time(m, "created_at", pre, true, &it->created_at, NULL, &j->e))
		goto out;
	json_t *payload = json_object_get(m, "payload");
	if (!json_is_object(payload)) {
		jfield_fail(&j->e, pre, "payload", payload ? "must be an object" : "is required");
		goto out;
	}
	it->payload_text = xstrndup(ps.p, ps.n);
	if (!strcmp(it->type, "order.create")) {
		it->order_ok = order_from_json(payload, &it->order, it->order_err,
		                               sizeof(it->order_err)) == TALAD_OK;
	} else {
		fastjson_arena_off();
		it->payload = json_deep_copy(payload);
		fastjson_arena_on();
	}
	j->err = PUSHPARSE_OK;
out:
	return;
}

/* The pipeline: workers and the caller claim mutations in order from one
 * counter; the caller takes the results in order and parses a mutation
 * itself rather than wait when nobody has claimed it yet. */
enum { ITEM_FREE = 0, ITEM_BUSY = 1, ITEM_DONE = 2 };

struct pushparse_run {
	struct item_job *jobs;
	size_t n;
	atomic_size_t next; /* the next mutation nobody has claimed */
	atomic_int *state;  /* ITEM_* per mutation */
	atomic_bool stop;   /* the caller gave up: workers stop claiming */
	atomic_int waiting; /* the caller sleeps on cond for a busy mutation */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	pthread_t tid[THREADS_MAX];
	size_t nthreads;
};

/* Claims and parses the next free mutation; false when none is left. */
static bool parse_next(struct pushparse_run *run)
{
	if (atomic_load(&run->stop))
		return false;
	size_t i = atomic_fetch_add(&run->next, 1);
	if (i >= run->n)
		return false;
	atomic_store(&run->state[i], ITEM_BUSY);
	fastjson_arena_on();
	parse_item(&run->jobs[i], i);
	fastjson_arena_reset();
	atomic_store(&run->state[i], ITEM_DONE);
	if (atomic_load(&run->waiting)) {
		pthread_mutex_lock(&run->mu);
		pthread_cond_broadcast(&run->cond);
		pthread_mutex_unlock(&run->mu);
	}
	return true;
}

static void *worker(void *arg)
{
	struct pushparse_run *run = arg;
	while (parse_next(run))
		;
	fastjson_arena_release();
	return NULL;
}

/* Workers beside the caller: one fewer than the cores, as the caller
 * parses too when it has nothing to apply. */
static size_t workers_for(size_t n)
{
	if (n < PARALLEL_MIN)
		return 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t t = cpus > 1 ? (size_t)cpus - 1 : 1;
	return t > THREADS_MAX ? THREADS_MAX : t;
}

/* ---- the envelope ---- */

struct envelope {
	struct push_batch *out;
	size_t max;
	struct span *spans;
	size_t nspans;
	bool seen_register, seen_mutations, seen_pending;
	int err;
	struct jerr *e;
};

/* A scalar member checked with the jfield rules, as if alone in an object. */
static json_t *single(const char *key, struct span val, struct jerr *e, int *err)
{
	json_t *v = json_loadb(val.p, val.n, JSON_DECODE_ANY, NULL);
	if (!v) {
		*err = bad_json(e, "malformed json: the value of %s", key);
		return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, key, v);
	return o;
}

/* The mutations array: the span of each element, read once. */
static int mutation_spans(struct envelope *env, const char *p, const char *end,
                          const char **val_end)
{
	struct jerr *e = env->e;
	if (*p != '[') {
		jfield_fail(e, "", "mutations", "must be an array");
		return env->err = PUSHPARSE_BAD_FIELD;
	}
	p = ws(p + 1, end);
	if (p < end && *p == ']') {
		*val_end = p + 1;
		return 0;
	}
	size_t cap = 0;
	for (;;) {
		const char *ve = skip_value(p, end);
		if (!ve)
			return env->err = bad_json(e, "malformed json in mutations");
		if (env->nspans == env->max) {
			jfield_fail(e, "", "mutations", "must hold at most %zu mutations",
			            env->max);
			return env->err = PUSHPARSE_BAD_FIELD;
		}
		if (env->nspans == cap) {
			cap = cap ? cap * 2 : 64;
			env->spans = xreallocarray(env->spans, cap, sizeof(*env->spans));
		}
		env->spans[env->nspans++] = (struct span){p, (size_t)(ve - p)};
		p = ws(ve, end);
		if (p < end && *p == ',') {
			p = ws(p + 1, end);
			continue;
		}
		if (p < end && *p == ']') {
			*val_end = p + 1;
			return 0;
		}
		return env->err = bad_json(e, "malformed json in mutations");
	}
}

static int envelope_member(void *arg, struct span key, const char *val, const char *end,
                           const char **val_end)
{
	struct envelope *env = arg;
	struct jerr *e = env->e;
	char k[64];
	key_text(key, k, sizeof(k));
	if (!strcmp(k, "mutations")) {
		if (env->seen_mutations)
			return env->err = bad_json(e, "duplicate key mutations");
		env->seen_mutations = true;
		return mutation_spans(env, val, end, val_end);
	}
	const char *ve = skip_value(val, end);
	if (!ve)
		return env->err = bad_json(e, "malformed json: the value of %s", k);
	*val_end = ve;
	struct span v = {val, (size_t)(ve - val)};
	if (!strcmp(k, "register_id")) {
		if (env->seen_register)
			return env->err = bad_json(e, "duplicate key register_id");
		env->seen_register = true;
		json_t *o = single(k, v, e, &env->err);
		const char *id;
		if (!o)
			return env->err;
		if (jfield_uuid(o, k, "", true, &id, e))
			env->err = PUSHPARSE_BAD_FIELD;
		else
			strlcpy_t(env->out->register_id, id, sizeof(env->out->register_id));
		json_decref(o);
		return env->err;
	}
	if (!strcmp(k, "pending")) {
		if (env->seen_pending)
			return env->err = bad_json(e, "duplicate key pending");
		env->seen_pending = true;
		json_t *o = single(k, v, e, &env->err);
		bool present;
		if (!o)
			return env->err;
		if (jfield_int(o, k, "", false, 0, 1000000000, &env->out->pending, &present, e))
			env->err = PUSHPARSE_BAD_FIELD;
		else if (!present)
			env->out->pending = -1;
		json_decref(o);
		return env->err;
	}
	char shown[48];
	strlcpy_t(shown, k, sizeof(shown));
	for (char *c = shown; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	jfield_fail(e, "", shown, "is not a known field");
	return env->err = PUSHPARSE_BAD_FIELD;
}

void pushparse_finish(struct push_batch *b)
{
	struct pushparse_run *run = b->run;
	if (!run)
		return;
	atomic_store(&run->stop, true);
	for (size_t t = 0; t < run->nthreads; t++)
		pthread_join(run->tid[t], NULL);
	fastjson_arena_release();
	pthread_cond_destroy(&run->cond);
	pthread_mutex_destroy(&run->mu);
	free(run->state);
	free(run->jobs);
	free(run);
	b->run = NULL;
}

void pushparse_release(struct push_batch *b)
{
	if (!b)
		return;
	pushparse_finish(b);
	for (size_t i = 0; i < b->n; i++) {
		free(b->items[i].payload_text);
		json_decref(b->items[i].payload);
		order_release(&b->items[i].order);
	}
	free(b->items);
	memset(b, 0, sizeof(*b));
}

enum pushparse_error pushparse_start(const char *body, size_t len, size_t max_mutations,
                                     struct push_batch *out, struct jerr *e)
{
	memset(out, 0, sizeof(*out));
	out->pending = -1;
	struct envelope env = {.out = out, .max = max_mutations, .e = e};
	const char *end = body + len, *after = NULL;
	int rc = walk_object(body, end, envelope_member, &env, &after);
	if (rc == 0 && ws(after, end) != end)
		rc = -1;
	if (rc == -1) {
		free(env.spans);
		return bad_json(e, "malformed json: the body must be one json object");
	}
	if (rc) {
		free(env.spans);
		return (enum pushparse_error)env.err;
	}
	if (!env.seen_register || !env.seen_mutations) {
		free(env.spans);
		jfield_fail(e, "", env.seen_register ? "mutations" : "register_id", "is required");
		return PUSHPARSE_BAD_FIELD;
	}
	struct pushparse_run *run = xcalloc(1, sizeof(*run));
	out->n = run->n = env.nspans;
	out->items = xcalloc(out->n ? out->n : 1, sizeof(*out->items));
	run->jobs = xcalloc(out->n ? out->n : 1, sizeof(*run->jobs));
	run->state = xcalloc(out->n ? out->n : 1, sizeof(*run->state));
	for (size_t i = 0; i < out->n; i++) {
		run->jobs[i].span = env.spans[i];
		run->jobs[i].item = &out->items[i];
		/* Zeroed items are not valid orders yet; release must not care. */
		order_init(&out->items[i].order, NULL);
		atomic_init(&run->state[i], ITEM_FREE);
	}
	free(env.spans);
	atomic_init(&run->next, 0);
	atomic_init(&run->stop, false);
	atomic_init(&run->waiting, 0);
	pthread_mutex_init(&run->mu, NULL);
	pthread_cond_init(&run->cond, NULL);
	out->run = run;
	size_t nw = workers_for(out->n);
	for (size_t t = 0; t < nw; t++)
		if (pthread_create(&run->tid[run->nthreads], NULL, worker, run) == 0)
			run->nthreads++;
	return PUSHPARSE_OK;
}

enum pushparse_error pushparse_item(struct push_batch *b, size_t i, struct jerr *e)
{
	struct pushparse_run *run = b->run;
	if (!run || i >= b->n)
		return bad_json(e, "no mutation %zu", i);
	/* Parse ourselves while our mutation is unclaimed; wait while it is
	 * being parsed by a worker. */
	while (atomic_load(&run->state[i]) != ITEM_DONE) {
		if (atomic_load(&run->state[i]) == ITEM_FREE && parse_next(run))
			continue;
		pthread_mutex_lock(&run->mu);
		atomic_fetch_add(&run->waiting, 1);
		while (atomic_load(&run->state[i]) != ITEM_DONE) {
			struct timespec until;
			/* a claim may not have marked BUSY yet */
			time_deadline(CLOCK_REALTIME, 1, &until);
			pthread_cond_timedwait(&run->cond, &run->mu, &until);
			if (atomic_load(&run->state[i]) == ITEM_FREE)
				break;
		}
		atomic_fetch_sub(&run->waiting, 1);
		pthread_mutex_unlock(&run->mu);
	}
	fastjson_arena_off();
	struct item_job *j = &run->jobs[i];
	if (j->err) {
		*e = j->e;
		return j->err;
	}
	if (i > 0 && b->items[i].seq <= b->items[i - 1].seq) {
		char pre[48];
		mutation_prefix(pre, sizeof(pre), i);
		jfield_fail(e, pre, "seq", "must be greater than the seq before it");
		return PUSHPARSE_BAD_FIELD;
	}
	return PUSHPARSE_OK;
}

enum pushparse_error pushparse_body(const char *body, size_t len, size_t max_mutations,
                                    struct push_batch *out, struct jerr *e)
{
	enum pushparse_error rc = pushparse_start(body, len, max_mutations, out, e);
	for (size_t i = 0; rc == PUSHPARSE_OK && i < out->n; i++)
		rc = pushparse_item(out, i, e);
	pushparse_finish(out);
	if (rc)
		pushparse_release(out);
	return rc;
}
