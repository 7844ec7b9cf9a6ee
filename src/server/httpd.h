/* The HTTP layer of talad-server over libmicrohttpd: one thread per
 * connection (so a long poll never starves other requests), request bodies
 * gathered up to a cap, one log line per request, and a single callback that
 * sees a complete request and fills in the answer. */
#ifndef TALAD_SERVER_HTTPD_H
#define TALAD_SERVER_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

struct httpd;

struct httpd_req {
	const char *method;
	const char *path; /* without the query string */
	const char *body; /* NUL-terminated, "" when there is none */
	size_t body_len;
	bool too_big;    /* the body was over the cap: answer 413 */
	size_t body_max; /* the cap that applied */
	void *conn;      /* the libmicrohttpd connection */

	/* The answer, set by httpd_respond. */
	int status;
	char *resp; /* malloc'ed, owned by the request */
	size_t resp_len;
	char retry_after[24]; /* "" or seconds */
	char allow[64];       /* "" or the Allow header of a 405 */
};

struct httpd_config {
	const char *listen; /* "HOST:PORT" or "[V6]:PORT" */
	/* The body cap for a request (called before the body is read). */
	size_t (*body_max)(const char *method, const char *path);
	/* Handles a complete request: must call httpd_respond. */
	void (*handle)(void *arg, struct httpd_req *r);
	void *arg;
};

/* A request header or query argument, NULL when absent. Valid while the
 * request is handled. */
const char *httpd_header(struct httpd_req *r, const char *name);
const char *httpd_query(struct httpd_req *r, const char *name);

/* Sets the answer: body is malloc'ed JSON text that the request now owns. */
void httpd_respond(struct httpd_req *r, int status, char *body, size_t len);

/* Parses "HOST:PORT"; TALAD_OK or TALAD_EINVAL with a message. */
int httpd_check_listen(const char *listen, char *err, size_t errlen);

/* Starts serving in background threads. TALAD_OK, TALAD_EINVAL (bad listen
 * address) or TALAD_EIO (cannot bind) with a message in err. */
int httpd_start(const struct httpd_config *cfg, struct httpd **out, char *err, size_t errlen);
/* Stops accepting, waits for the connection threads and frees h. NULL is fine. */
void httpd_stop(struct httpd *h);

#endif
