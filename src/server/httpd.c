/* libmicrohttpd glue: gathers the body across calls (capped), answers on the
 * call after the upload has ended (answering on the first call costs
 * keep-alive), and logs each request when libmicrohttpd is done with it. */
#include "server/httpd.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct httpd {
	struct MHD_Daemon *d;
	struct httpd_config cfg;
};

struct conn_ctx {
	struct httpd_req req;
	struct buf body;
	char *method;
	char *path;
	int64_t start_ms;
	bool responded;
};

const char *httpd_header(struct httpd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *httpd_query(struct httpd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void httpd_respond(struct httpd_req *r, int status, char *body, size_t len)
{
	free(r->resp);
	r->status = status;
	r->resp = body;
	r->resp_len = len;
}

static enum MHD_Result finish(struct httpd *h, struct conn_ctx *c, struct MHD_Connection *conn)
{
	c->req.method = c->method;
	c->req.path = c->path;
	c->req.body = buf_str(&c->body);
	c->req.body_len = c->body.len;
	c->req.conn = conn;
	h->cfg.handle(h->cfg.arg, &c->req);
	c->responded = true;
	if (!c->req.resp) {
		c->req.status = 500;
		c->req.resp =
		    xstrdup("{\"error\":{\"code\":\"internal\",\"message\":\"no answer\"}}");
		c->req.resp_len = strlen(c->req.resp);
	}
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(c->req.resp_len, c->req.resp, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return MHD_NO;
	c->req.resp = NULL; /* now owned by the response */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "application/json; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (c->req.retry_after[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, c->req.retry_after);
	if (c->req.allow[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, c->req.allow);
	if (c->req.too_big)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)c->req.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
	struct httpd *h = cls;
	struct conn_ctx *c = *con_cls;
	(void)version;

	if (!c) {
		c = xcalloc(1, sizeof(*c));
		c->method = xstrdup(method);
		c->path = xstrdup(url);
		c->start_ms = time_mono_ms();
		c->req.body_max = h->cfg.body_max(method, url);
		buf_init(&c->body, c->req.body_max);
		*con_cls = c;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (errno || end == cl || n > c->req.body_max)
				c->req.too_big = true;
		}
		/* Refusing before the body is read: with "Expect: 100-continue"
		 * the client never sends it. */
		if (c->req.too_big)
			return finish(h, c, conn);
		return MHD_YES;
	}
	if (*upload_size) {
		if (!c->req.too_big &&
		    buf_append(&c->body, upload_data, *upload_size) != TALAD_OK) {
			c->req.too_big = true;
			buf_release(&c->body);
		}
		*upload_size = 0;
		if (c->req.too_big && !c->responded)
			return finish(h, c, conn);
		return MHD_YES;
	}
	if (c->responded)
		return MHD_YES;
	return finish(h, c, conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *c = *con_cls;
	(void)cls;
	(void)conn;
	if (!c)
		return;
	int64_t ms = time_mono_ms() - c->start_ms;
	if (c->responded)
		log_info("%s %s %d %lldms", c->method, c->path, c->req.status, (long long)ms);
	else
		log_info("%s %s aborted (%d) %lldms", c->method, c->path, (int)toe, (long long)ms);
	buf_release(&c->body);
	free(c->req.resp);
	free(c->method);
	free(c->path);
	free(c);
	*con_cls = NULL;
}

static void mhd_log(void *arg, const char *fmt, va_list ap)
{
	char line[512];
	(void)arg;
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warnx("http: %s", line);
}

/* Splits and resolves "HOST:PORT" / "[V6]:PORT" (numeric port). */
static int resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                   unsigned *port, char *err, size_t errlen)
{
	const char *colon = listen ? strrchr(listen, ':') : NULL;
	if (!colon || colon == listen || !colon[1]) {
		snprintf(err, errlen, "listen address must be HOST:PORT, not '%s'",
		         listen ? listen : "");
		return TALAD_EINVAL;
	}
	char host[256];
	size_t hlen = (size_t)(colon - listen);
	const char *hs = listen;
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
		hs++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "listen address must be HOST:PORT, not '%s'", listen);
		return TALAD_EINVAL;
	}
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	char *end;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (errno || *end || p < 1 || p > 65535 || colon[1] == '-' || colon[1] == '+') {
		snprintf(err, errlen, "bad port in listen address '%s'", listen);
		return TALAD_EINVAL;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc || !ai) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
		return TALAD_EINVAL;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	*port = (unsigned)p;
	freeaddrinfo(ai);
	return TALAD_OK;
}

int httpd_check_listen(const char *listen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	unsigned port;
	return resolve(listen, &ss, &sslen, &port, err, errlen);
}

int httpd_start(const struct httpd_config *cfg, struct httpd **out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	unsigned port;
	int rc = resolve(cfg->listen, &ss, &sslen, &port, err, errlen);
	if (rc)
		return rc;
	struct httpd *h = xcalloc(1, sizeof(*h));
	h->cfg = *cfg;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* A 1 MiB connection memory makes big reads: a push body of several
	 * MiB arrives in a few calls instead of hundreds. */
	h->d = MHD_start_daemon(
	    flags, (uint16_t)port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(1024 * 1024), MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen,
		         errno ? strerror(errno) : "address in use or not available");
		free(h);
		return TALAD_EIO;
	}
	*out = h;
	return TALAD_OK;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
