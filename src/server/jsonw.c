/* The streaming JSON writer: commas and nesting tracked per depth, strings
 * escaped as RFC 8259 asks (quote, backslash, control characters). */
#include "server/jsonw.h"
#include "common/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void jsonw_init(struct jsonw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
	if (w->err)
		return;
	w->err = buf_append(w->b, s, n);
}

static void pre_value(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0 && w->count[w->depth]++ > 0)
		put(w, ",", 1);
}

static void open_(struct jsonw *w, char c)
{
	pre_value(w);
	put(w, &c, 1);
	if (w->depth + 1 >= JSONW_DEPTH) {
		w->err = TALAD_ETOOBIG;
		return;
	}
	w->depth++;
	w->count[w->depth] = 0;
}

static void close_(struct jsonw *w, char c)
{
	put(w, &c, 1);
	if (w->depth > 0)
		w->depth--;
}

void jsonw_obj(struct jsonw *w)
{
	open_(w, '{');
}

void jsonw_obj_end(struct jsonw *w)
{
	close_(w, '}');
}

void jsonw_arr(struct jsonw *w)
{
	open_(w, '[');
}

void jsonw_arr_end(struct jsonw *w)
{
	close_(w, ']');
}

static void put_string(struct jsonw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	put(w, "\"", 1);
	const char *run = s;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		put(w, run, (size_t)((const char *)p - run));
		char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
		switch (*p) {
		case '"':
			put(w, "\\\"", 2);
			break;
		case '\\':
			put(w, "\\\\", 2);
			break;
		case '\n':
			put(w, "\\n", 2);
			break;
		case '\t':
			put(w, "\\t", 2);
			break;
		case '\r':
			put(w, "\\r", 2);
			break;
		default:
			put(w, esc, 6);
		}
		run = (const char *)p + 1;
	}
	put(w, run, strlen(run));
	put(w, "\"", 1);
}

void jsonw_key(struct jsonw *w, const char *key)
{
	pre_value(w);
	put_string(w, key);
	put(w, ":", 1);
	w->after_key = true;
}

void jsonw_str(struct jsonw *w, const char *s)
{
	pre_value(w);
	put_string(w, s ? s : "");
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	pre_value(w);
	put(w, tmp, (size_t)n);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	pre_value(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *w)
{
	pre_value(w);
	put(w, "null", 4);
}

void jsonw_raw(struct jsonw *w, const char *json)
{
	pre_value(w);
	put(w, json, strlen(json));
}

void jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void jsonw_kstr_null(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	if (s && *s)
		jsonw_str(w, s);
	else
		jsonw_null(w);
}

void jsonw_kint(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void jsonw_kbool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}
