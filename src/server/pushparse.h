/* Reading a /sync/push body fast: the envelope is scanned by hand to find
 * each mutation's bytes, then the mutations are parsed with jansson and the
 * orders validated and re-priced (order_from_json) on several threads at
 * once. The database work that follows stays on one thread, in order. A
 * payload's own bytes are kept, so an order is stored as it was sent
 * without being encoded again. */
#ifndef TALAD_SERVER_PUSHPARSE_H
#define TALAD_SERVER_PUSHPARSE_H

#include "common/uuid.h"
#include "core/order.h"
#include "server/jfield.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct push_item {
	int64_t seq;
	char op_id[UUID_STRLEN + 1];
	char type[32];
	int64_t created_at;
	char *payload_text; /* the payload's bytes as sent, NUL-terminated */
	json_t *payload;    /* kept for types other than order.create, else NULL */
	/* order.create: the outcome of order_from_json */
	bool order_ok;
	struct order order;
	char order_err[256];
};

struct pushparse_run;

struct push_batch {
	char register_id[UUID_STRLEN + 1];
	int64_t pending; /* -1 when the register did not say */
	struct push_item *items;
	size_t n;
	struct pushparse_run *run; /* the threads still reading, until finish */
};

enum pushparse_error {
	PUSHPARSE_OK = 0,
	PUSHPARSE_BAD_JSON = 1,  /* not JSON: e.message says where */
	PUSHPARSE_BAD_FIELD = 2, /* JSON, but a field is wrong: e names it */
};

/* Reads body (len bytes) into out, at most max_mutations of them. On
 * failure out is released and e describes the first problem. */
enum pushparse_error pushparse_body(const char *body, size_t len, size_t max_mutations,
                                    struct push_batch *out, struct jerr *e);

/* The same as a pipeline, so that the caller applies mutation i while
 * later ones are still being read: pushparse_start reads the envelope (an
 * error there is returned at once, out left empty) and sets threads
 * reading the mutations; pushparse_item(i), called for i = 0, 1, ... in
 * order, returns once mutation i is read (reading it itself rather than
 * waiting) with its verdict, which includes the seq order; the first error
 * in that order is the one to report. pushparse_finish stops and joins the
 * threads (pushparse_release does too). body must stay valid until then. */
enum pushparse_error pushparse_start(const char *body, size_t len, size_t max_mutations,
                                     struct push_batch *out, struct jerr *e);
enum pushparse_error pushparse_item(struct push_batch *b, size_t i, struct jerr *e);
void pushparse_finish(struct push_batch *b);
void pushparse_release(struct push_batch *b);

#endif
