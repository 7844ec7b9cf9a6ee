/* The register's HTTP client for the back office API (libcurl): JSON in and
 * out, every request bounded in time so that a hung or stopped server never
 * hangs the register, and the server's clock and Retry-After read from every
 * answer. */
#ifndef TALAD_RHTTP_H
#define TALAD_RHTTP_H

#include "common/buf.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RHTTP_URL_MAX      512
#define RHTTP_TOKEN_MAX    256
#define RHTTP_ERROR_MAX    256
#define RHTTP_BODY_MAX     (64u << 20) /* answers other than snapshots */
#define RHTTP_SNAPSHOT_MAX (1u << 30)  /* a snapshot of a very large catalog */

struct rhttp_limits {
	long connect_ms; /* TCP + TLS connect */
	long total_ms;   /* the whole exchange; 0: no overall limit */
	long stall_s;    /* give up when under 1 byte/s flowed this long; 0: off
	                    (a long poll is silent by design) */
	size_t max_body; /* 0: RHTTP_BODY_MAX */
};

/* Ordinary requests: connect 3 s, stalled 10 s, 60 s at most. */
#define RHTTP_LIMITS_DEFAULT                                                                       \
	{                                                                                          \
		3000, 60000, 10, 0                                                                 \
	}

/* Called while a body downloads; a non-zero return aborts the request. */
typedef int (*rhttp_progress_fn)(void *arg, int64_t done, int64_t total);

struct rhttp {
	void *curl;               /* CURL *, kept for keep-alive */
	char base[RHTTP_URL_MAX]; /* "https://host:port[/prefix]", no trailing '/' */
	char token[RHTTP_TOKEN_MAX];
	atomic_int *stop; /* when set and non-zero, running requests abort */
	rhttp_progress_fn progress;
	void *progress_arg;
	char errbuf[256]; /* curl's message for the last request (CURL_ERROR_SIZE) */
};

struct rhttp_response {
	long status;                 /* HTTP status, 0 when there was no answer */
	json_t *json;                /* the body parsed, when it is JSON; owned */
	bool has_server_time;        /* the answer carried server_time */
	int64_t server_time;         /* ms since the epoch, the server's clock */
	int64_t local_time;          /* our clock at the middle of the exchange */
	long retry_after_s;          /* Retry-After in seconds, -1 when absent */
	char error_code[64];         /* the server's error code ("cursor_gone"), or "" */
	char error[RHTTP_ERROR_MAX]; /* lower-case reason on failure */
};

/* Checks and normalises a back office URL given by a person: http or https,
 * a host, no query; a trailing '/' or "/api/v1" is dropped. out holds
 * RHTTP_URL_MAX bytes. TALAD_OK or TALAD_EINVAL with a message in err. */
int rhttp_normalize_url(const char *url, char *out, char *err, size_t errlen);

/* base_url must be normalised; token may be NULL or "". */
void rhttp_init(struct rhttp *c, const char *base_url, const char *token);
/* NULL is fine. */
void rhttp_release(struct rhttp *c);
void rhttp_set_token(struct rhttp *c, const char *token);

/* Sends method to base + path (which starts with '/') with an optional JSON
 * body. Returns TALAD_OK for a 2xx JSON answer, and otherwise: TALAD_EOFFLINE
 * (could not connect, connection lost, or what answered is not the back
 * office: a redirect, a 2xx that is not JSON), TALAD_ETIMEOUT (no answer in time),
 * TALAD_EBUSY (408, 429, 5xx), TALAD_EAUTH (401, 403), TALAD_ENOTFOUND
 * (404), TALAD_ECONFLICT (409), TALAD_EGONE (410), TALAD_ETOOBIG (413 or
 * an answer over max_body), TALAD_EREFUSED (400, 422, other 4xx),
 * TALAD_EINVAL (stopped by
 * *stop or the progress callback). r is filled in every case and must be
 * released with rhttp_response_release. */
int rhttp_request(struct rhttp *c, const char *method, const char *path, const char *body,
                  const struct rhttp_limits *lim, struct rhttp_response *r);
void rhttp_response_release(struct rhttp_response *r);

/* The same, for an answer too large to hold as one JSON tree (a snapshot):
 * a 2xx answer whose body starts with '{' is handed over as text in *text,
 * unparsed (r->json stays NULL and has_server_time false: the caller reads
 * the text); one that does not is TALAD_EOFFLINE as above. Other answers
 * are read as rhttp_request reads them. The caller releases *text with
 * buf_release in every case. */
int rhttp_request_text(struct rhttp *c, const char *method, const char *path, const char *body,
                       const struct rhttp_limits *lim, struct rhttp_response *r, struct buf *text);

/* True for the failures worth retrying later: transport, timeout, 408, 429,
 * 5xx. */
bool rhttp_retryable(int rc);

/* The exit status for a failed request in the command-line contract: 75
 * when the back office cannot be reached, 1 otherwise. */
int rhttp_exit_code(int rc);

#endif
