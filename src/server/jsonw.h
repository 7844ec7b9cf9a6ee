/* A streaming JSON writer into a capped buffer, for the large answers (the
 * sync snapshot, the change feed) where building a jansson tree first would
 * cost a million small allocations, and for embedding stored JSON text as is. */
#ifndef TALAD_SERVER_JSONW_H
#define TALAD_SERVER_JSONW_H

#include "common/buf.h"

#include <stdbool.h>
#include <stdint.h>

#define JSONW_DEPTH 32

struct jsonw {
	struct buf *b;
	int depth;
	bool after_key;
	unsigned count[JSONW_DEPTH]; /* values written at each depth */
	int err;                     /* the first buffer error, TALAD_OK if none */
};

/* Writes into b (owned by the caller). */
void jsonw_init(struct jsonw *w, struct buf *b);
void jsonw_obj(struct jsonw *w);
void jsonw_obj_end(struct jsonw *w);
void jsonw_arr(struct jsonw *w);
void jsonw_arr_end(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);
/* A UTF-8 string, escaped. */
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* JSON text that is already valid (stored change data), written as is. */
void jsonw_raw(struct jsonw *w, const char *json);

/* Key and value in one call; kstr_null writes null for NULL or "". */
void jsonw_kstr(struct jsonw *w, const char *key, const char *s);
void jsonw_kstr_null(struct jsonw *w, const char *key, const char *s);
void jsonw_kint(struct jsonw *w, const char *key, int64_t v);
void jsonw_kbool(struct jsonw *w, const char *key, bool v);

#endif
