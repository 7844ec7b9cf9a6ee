/* A fake back office for the unit tests of the register's clients: a
 * libmicrohttpd server in the test's process on 127.0.0.1, which collects
 * each request's body and hands the whole request to the test's handler,
 * and the protocol's JSON answers (server_time stamped, errors in their
 * shape). What the fake keeps and how it answers stays in each test. */
#ifndef TALAD_TEST_FAKEBO_H
#define TALAD_TEST_FAKEBO_H

#include <jansson.h>
#include <microhttpd.h>

/* Answers one request: body is everything uploaded, NUL-terminated ("" for
 * none), valid until the handler returns. Answer with fakebo_reply or
 * fakebo_error (or any MHD response). Runs on the request's own thread. */
typedef enum MHD_Result (*fakebo_handler)(void *arg, struct MHD_Connection *c, const char *method,
                                          const char *url, const char *body);

struct fakebo {
	struct MHD_Daemon *d;
	int port;
	char url[64]; /* "http://127.0.0.1:PORT" */
	fakebo_handler handler;
	void *arg;
};

/* Starts the fake on a port the system picks, a thread per connection (a
 * request that waits holds no other back). fb must stay where it is until
 * fakebo_stop. 0, or -1 with a message on stderr. */
int fakebo_start(struct fakebo *fb, fakebo_handler handler, void *arg);
/* Stops the server once the requests in progress are answered: a handler
 * that waits must be told to stop first. NULL or a stopped fake is fine. */
void fakebo_stop(struct fakebo *fb);

/* Sends j (taken over) with status, server_time set to now as every answer
 * of the protocol carries, and a Retry-After header unless it is NULL. */
enum MHD_Result fakebo_reply(struct MHD_Connection *c, int status, json_t *j,
                             const char *retry_after);
/* Sends {"error": {"code": code, "message": message}} with status; no
 * message when it is NULL. */
enum MHD_Result fakebo_error(struct MHD_Connection *c, int status, const char *code,
                             const char *message);

#endif
