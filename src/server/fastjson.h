/* A strict JSON reader that builds jansson values several times faster than
 * json_loadb (strings are scanned in place, numbers read by hand), and a
 * per-thread arena that jansson allocates from while it is switched on, so
 * a push of 500 orders is parsed without a million malloc/free calls. Used
 * where speed matters: the /sync/push body. Everything it accepts is RFC
 * 8259 JSON that jansson accepts too, and the values are the same. */
#ifndef TALAD_SERVER_FASTJSON_H
#define TALAD_SERVER_FASTJSON_H

#include <jansson.h>
#include <stddef.h>

#define FASTJSON_DEPTH_MAX 64

struct fastjson_error {
	size_t offset; /* bytes from the start */
	char text[96];
};

/* Parses exactly one JSON value filling buf[0..len). Duplicate keys are
 * refused, as is "\u0000". NULL on error with err filled in. The caller
 * owns the result (json_decref, or drop the arena). */
json_t *fastjson_load(const char *buf, size_t len, struct fastjson_error *err);
/* The same, also giving the bytes of the top-level object's member key
 * (*span NULL when there is none), so it can be kept as sent. */
json_t *fastjson_load_span(const char *buf, size_t len, const char *key, const char **span,
                           size_t *span_len, struct fastjson_error *err);

/* While the arena is on, every jansson allocation of this thread comes from
 * it and json_decref costs nothing. fastjson_arena_reset drops everything
 * allocated since arena_on (no value made then may be used after it);
 * fastjson_arena_release also gives the memory back (call it before the
 * thread ends). Values made with the arena off are ordinary. */
void fastjson_arena_on(void);
void fastjson_arena_off(void);
void fastjson_arena_reset(void);
void fastjson_arena_release(void);

#endif
