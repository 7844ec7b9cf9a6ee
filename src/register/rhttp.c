/* libcurl under the register's API calls: one easy handle per client (so the
 * connection is kept alive), timeouts and stall limits on every request, and
 * the JSON error shape of docs/PROTOCOL.md turned into status codes. */
#include "register/rhttp.h"

#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

_Static_assert(sizeof(((struct rhttp *)0)->errbuf) >= CURL_ERROR_SIZE, "curl error buffer");

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	/* Once per process, before any thread uses curl. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "talad: cannot initialise libcurl\n");
		abort();
	}
}

int rhttp_normalize_url(const char *url, char *out, char *err, size_t errlen)
{
	size_t n = url ? strlen(url) : 0;
	const char *host;
	if (!strncasecmp(url ? url : "", "http://", 7))
		host = url + 7;
	else if (!strncasecmp(url ? url : "", "https://", 8))
		host = url + 8;
	else {
		snprintf(err, errlen, "'%s' is not an http:// or https:// url", url ? url : "");
		return TALAD_EINVAL;
	}
	if (n >= RHTTP_URL_MAX - 1) {
		snprintf(err, errlen, "url longer than %d bytes", RHTTP_URL_MAX - 2);
		return TALAD_EINVAL;
	}
	if (!*host || *host == '/' || *host == ':') {
		snprintf(err, errlen, "'%s' has no host", url);
		return TALAD_EINVAL;
	}
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == '?' || *p == '#' || *p == '"' || *p == '\\') {
			snprintf(err, errlen, "'%s' has a character not allowed here", url);
			return TALAD_EINVAL;
		}
	}
	memcpy(out, url, n + 1);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	if (n >= 7 && !strcmp(out + n - 7, "/api/v1")) {
		n -= 7;
		out[n] = '\0';
		while (n > 0 && out[n - 1] == '/')
			out[--n] = '\0';
	}
	return TALAD_OK;
}

void rhttp_init(struct rhttp *c, const char *base_url, const char *token)
{
	pthread_once(&global_once, global_init);
	memset(c, 0, sizeof(*c));
	strlcpy_t(c->base, base_url, sizeof(c->base));
	rhttp_set_token(c, token);
	c->curl = curl_easy_init();
	if (!c->curl) {
		fprintf(stderr, "talad: cannot create a curl handle\n");
		abort();
	}
}

void rhttp_release(struct rhttp *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

void rhttp_set_token(struct rhttp *c, const char *token)
{
	strlcpy_t(c->token, token ? token : "", sizeof(c->token));
}

void rhttp_response_release(struct rhttp_response *r)
{
	if (!r)
		return;
	json_decref(r->json);
	r->json = NULL;
}

bool rhttp_retryable(int rc)
{
	return rc == TALAD_EOFFLINE || rc == TALAD_ETIMEOUT || rc == TALAD_EBUSY;
}

int rhttp_exit_code(int rc)
{
	return rhttp_retryable(rc) ? 75 : 1;
}

struct xfer {
	struct rhttp *c;
	struct buf body;
	bool too_big;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	if (buf_append(&x->body, data, n) != TALAD_OK) {
		x->too_big = true;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	(void)ultotal;
	(void)ulnow;
	struct xfer *x = arg;
	if (x->c->stop && atomic_load(x->c->stop))
		return 1;
	if (x->c->progress)
		return x->c->progress(x->c->progress_arg, (int64_t)dlnow, (int64_t)dltotal);
	return 0;
}

static void set_error(struct rhttp_response *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct rhttp_response *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

static int status_code(long status)
{
	if (status >= 200 && status < 300)
		return TALAD_OK;
	if (status == 408 || status == 429 || status >= 500)
		return TALAD_EBUSY;
	switch (status) {
	case 401:
	case 403:
		return TALAD_EAUTH;
	case 404:
		return TALAD_ENOTFOUND;
	case 409:
		return TALAD_ECONFLICT;
	case 410:
		return TALAD_EGONE;
	case 413:
		return TALAD_ETOOBIG;
	default:
		return TALAD_EREFUSED;
	}
}

/* With text, a 2xx answer's body is handed over unparsed (see
 * rhttp_request_text); without, it is parsed into r->json. */
static int request(struct rhttp *c, const char *method, const char *path, const char *body,
                   const struct rhttp_limits *lim, struct rhttp_response *r, struct buf *text)
{
	static const struct rhttp_limits defaults = RHTTP_LIMITS_DEFAULT;
	if (!lim)
		lim = &defaults;
	memset(r, 0, sizeof(*r));
	r->retry_after_s = -1;
	CURL *curl = c->curl;
	struct xfer x = {.c = c};
	buf_init(&x.body, lim->max_body ? lim->max_body : RHTTP_BODY_MAX);
	char url[RHTTP_URL_MAX + 1024];
	char *errbuf = c->errbuf;
	errbuf[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", c->base, path);

	struct curl_slist *hdrs = NULL;
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	/* No "Expect: 100-continue" round trip before large pushes. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (body)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (c->token[0]) {
		char auth[RHTTP_TOKEN_MAX + 32];
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		hdrs = curl_slist_append(hdrs, auth);
	}

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	} else if (!strcmp(method, "GET")) {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "talad/" TALAD_VERSION);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM */
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, lim->connect_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, lim->total_ms);
	if (lim->stall_s > 0) {
		curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, lim->stall_s);
	}
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

	int64_t t0 = time_now_ms();
	CURLcode cc = curl_easy_perform(curl);
	int64_t t1 = time_now_ms();
	r->local_time = t0 + (t1 - t0) / 2;
	curl_slist_free_all(hdrs);
	int rc = TALAD_OK;

	if (cc != CURLE_OK) {
		const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
		if (x.too_big) {
			set_error(r, "answer from %s larger than %zu bytes", c->base, x.body.max);
			rc = TALAD_ETOOBIG;
		} else if (cc == CURLE_ABORTED_BY_CALLBACK) {
			set_error(r, "request stopped");
			rc = TALAD_EINVAL;
		} else if (cc == CURLE_OPERATION_TIMEDOUT) {
			set_error(r, "%s did not answer in time (%s)", c->base, why);
			rc = TALAD_ETIMEOUT;
		} else {
			set_error(r, "cannot reach %s: %s", c->base, why);
			rc = TALAD_EOFFLINE;
		}
		/* Lower case, as every message of ours. */
		if (r->error[0] >= 'A' && r->error[0] <= 'Z')
			r->error[0] = (char)(r->error[0] - 'A' + 'a');
		buf_release(&x.body);
		return rc;
	}

	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_off_t ra = -1;
	if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		r->retry_after_s = (long)(ra > 3600 ? 3600 : ra);
	if (text && r->status >= 200 && r->status < 300) {
		/* Only the first byte is looked at here: a captive portal's page
		 * is not an object, and the caller's parser checks the rest. */
		size_t i = 0;
		while (i < x.body.len && (x.body.data[i] == ' ' || x.body.data[i] == '\t' ||
		                          x.body.data[i] == '\r' || x.body.data[i] == '\n'))
			i++;
		if (i == x.body.len || x.body.data[i] != '{') {
			buf_release(&x.body);
			set_error(r,
			          "cannot reach %s: what answered %s %s is not the back office"
			          " (not JSON)",
			          c->base, method, path);
			return TALAD_EOFFLINE;
		}
		*text = x.body;
		return TALAD_OK;
	}
	if (x.body.len) {
		json_error_t je;
		r->json = json_loadb(x.body.data, x.body.len, 0, &je);
	}
	buf_release(&x.body);
	const json_t *st = json_object_get(r->json, "server_time");
	if (json_is_string(st) &&
	    time_parse_iso(json_string_value(st), &r->server_time) == TALAD_OK)
		r->has_server_time = true;

	rc = status_code(r->status);
	/* A redirect, or a 2xx page that is not our JSON, comes from something
	 * between us and the back office (a Wi-Fi captive portal, a proxy): the
	 * back office itself was not reached. */
	if (r->status >= 300 && r->status < 400) {
		set_error(r,
		          "cannot reach %s: http %ld (a redirect: a captive portal or proxy in"
		          " between, or the back office wants another address such as https://)",
		          c->base, r->status);
		return TALAD_EOFFLINE;
	}
	if (rc == TALAD_OK) {
		if (!json_is_object(r->json)) {
			set_error(r,
			          "cannot reach %s: what answered %s %s is not the back office"
			          " (not JSON)",
			          c->base, method, path);
			rc = TALAD_EOFFLINE;
		}
		return rc;
	}
	const json_t *e = json_object_get(r->json, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	strlcpy_t(r->error_code, code ? code : "", sizeof(r->error_code));
	if (msg)
		set_error(r, "%s", msg);
	else
		set_error(r, "%s answered http %ld to %s %s", c->base, r->status, method, path);
	return rc;
}

int rhttp_request(struct rhttp *c, const char *method, const char *path, const char *body,
                  const struct rhttp_limits *lim, struct rhttp_response *r)
{
	return request(c, method, path, body, lim, r, NULL);
}

int rhttp_request_text(struct rhttp *c, const char *method, const char *path, const char *body,
                       const struct rhttp_limits *lim, struct rhttp_response *r, struct buf *text)
{
	buf_init(text, 0);
	return request(c, method, path, body, lim, r, text);
}
