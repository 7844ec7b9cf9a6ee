/* The fake back office of the register's unit tests (see fakebo.h). */
#include "fakebo.h"

#include "common/timeutil.h"
#include "common/xalloc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct upload {
	char *body;
	size_t len;
};

/* libmicrohttpd calls this first with no upload (to make its state), then
 * once per piece of body, then once more with nothing: only then is the
 * request whole and the test's handler asked. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **con_cls)
{
	struct fakebo *fb = cls;
	struct upload *up = *con_cls;

	(void)version;
	if (!up) {
		*con_cls = xcalloc(1, sizeof(*up));
		return MHD_YES;
	}
	if (*data_size) {
		up->body = xreallocarray(up->body, up->len + *data_size + 1, 1);
		memcpy(up->body + up->len, data, *data_size);
		up->len += *data_size;
		up->body[up->len] = '\0';
		*data_size = 0;
		return MHD_YES;
	}
	return fb->handler(fb->arg, c, method, url, up->body ? up->body : "");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (up) {
		free(up->body);
		free(up);
	}
	*con_cls = NULL;
}

int fakebo_start(struct fakebo *fb, fakebo_handler handler, void *arg)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};

	memset(fb, 0, sizeof(*fb));
	fb->handler = handler;
	fb->arg = arg;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fb->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
	                         NULL, NULL, on_request, fb, MHD_OPTION_SOCK_ADDR, &sa,
	                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!fb->d) {
		fprintf(stderr, "fakebo: cannot start the fake back office on 127.0.0.1\n");
		return -1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(fb->d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port) {
		fprintf(stderr, "fakebo: the fake back office has no port\n");
		fakebo_stop(fb);
		return -1;
	}
	fb->port = info->port;
	snprintf(fb->url, sizeof(fb->url), "http://127.0.0.1:%d", fb->port);
	return 0;
}

void fakebo_stop(struct fakebo *fb)
{
	if (!fb || !fb->d)
		return;
	MHD_stop_daemon(fb->d);
	fb->d = NULL;
}

enum MHD_Result fakebo_reply(struct MHD_Connection *c, int status, json_t *j,
                             const char *retry_after)
{
	char now[TIME_ISO_LEN + 1];

	time_format_iso(time_now_ms(), now);
	json_object_set_new(j, "server_time", json_string(now));
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", retry_after);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result fakebo_error(struct MHD_Connection *c, int status, const char *code,
                             const char *message)
{
	json_t *e = json_pack("{s:s}", "code", code);

	if (message)
		json_object_set_new(e, "message", json_string(message));
	return fakebo_reply(c, status, json_pack("{s:o}", "error", e), NULL);
}
