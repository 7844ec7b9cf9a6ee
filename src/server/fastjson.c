/* The fast JSON reader and the per-thread jansson arena. The reader is a
 * recursive descent over the bytes; strings without escapes go to jansson
 * straight from the buffer after a UTF-8 check. The arena is installed as
 * jansson's allocator once: with the arena off it is plain malloc/free, so
 * values from before and after mix freely. */
#include "server/fastjson.h"
#include "common/xalloc.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the arena ---- */

#define ARENA_BLOCK (1u << 20)

struct block {
	struct block *next;
	char *cur, *end;
	char base[];
};

static __thread struct block *blocks;
static __thread bool arena_active;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void *arena_malloc(size_t n)
{
	if (!arena_active)
		return malloc(n);
	n = (n + 15) & ~(size_t)15;
	struct block *b = blocks;
	if (!b || (size_t)(b->end - b->cur) < n) {
		size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		struct block *nb = xmalloc(sizeof(*nb) + size);
		nb->cur = nb->base;
		nb->end = nb->base + size;
		nb->next = blocks;
		blocks = b = nb;
	}
	void *p = b->cur;
	b->cur += n;
	return p;
}

static void arena_free(void *p)
{
	for (struct block *b = blocks; b; b = b->next)
		if ((char *)p >= b->base && (char *)p < b->end)
			return;
	free(p);
}

static void install(void)
{
	json_set_alloc_funcs(arena_malloc, arena_free);
}

void fastjson_arena_on(void)
{
	pthread_once(&install_once, install);
	arena_active = true;
}

void fastjson_arena_off(void)
{
	arena_active = false;
}

void fastjson_arena_reset(void)
{
	/* Keep one block for the next round, free the rest. */
	while (blocks && blocks->next) {
		struct block *b = blocks;
		blocks = b->next;
		free(b);
	}
	if (blocks)
		blocks->cur = blocks->base;
}

void fastjson_arena_release(void)
{
	arena_active = false;
	while (blocks) {
		struct block *b = blocks;
		blocks = b->next;
		free(b);
	}
}

/* ---- the reader ---- */

struct reader {
	const unsigned char *start, *p, *end;
	int depth;
	const char *span_key; /* record this top-level member's bytes */
	const unsigned char *span;
	size_t span_len;
	struct fastjson_error *err;
	char *tmp; /* an escaped string, decoded (grows) */
	size_t tmpcap;
};

static int fail(struct reader *r, const char *text)
{
	r->err->offset = (size_t)(r->p - r->start);
	snprintf(r->err->text, sizeof(r->err->text), "%s", text);
	return -1;
}

static void ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
		r->p++;
}

static bool utf8_ok(const unsigned char *s, const unsigned char *e)
{
	while (s < e) {
		unsigned c = *s;
		if (c < 0x80) {
			s++;
			continue;
		}
		int n;
		unsigned min;
		if ((c & 0xe0) == 0xc0) {
			n = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return false;
		}
		if (e - s <= n)
			return false;
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (s[i] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

static int hex4(const unsigned char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *t, unsigned u)
{
	if (u < 0x80) {
		t[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		t[0] = (char)(0xc0 | (u >> 6));
		t[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		t[0] = (char)(0xe0 | (u >> 12));
		t[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		t[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	t[0] = (char)(0xf0 | (u >> 18));
	t[1] = (char)(0x80 | ((u >> 12) & 0x3f));
	t[2] = (char)(0x80 | ((u >> 6) & 0x3f));
	t[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/* The string at r->p (a quote): its bytes, in the buffer or in r->tmp. */
static int string(struct reader *r, const char **out, size_t *len)
{
	const unsigned char *s = ++r->p, *q = s;
	while (q < r->end && *q != '"' && *q != '\\' && *q >= 0x20)
		q++;
	if (q < r->end && *q == '"') {
		if (!utf8_ok(s, q))
			return fail(r, "invalid utf-8 in a string");
		*out = (const char *)s;
		*len = (size_t)(q - s);
		r->p = q + 1;
		return 0;
	}
	size_t n = 0;
	char *t = r->tmp;
	/* Decoded, a string is never longer than its escaped form. */
	size_t need = (size_t)(r->end - s) + 8;
	if (need > r->tmpcap) {
		r->tmp = t = xreallocarray(r->tmp, need, 1);
		r->tmpcap = need;
	}
	for (q = s;;) {
		if (q >= r->end)
			return fail(r, "unterminated string");
		unsigned c = *q;
		if (c == '"')
			break;
		if (c < 0x20) {
			r->p = q;
			return fail(r, "control character in a string");
		}
		if (c != '\\') {
			t[n++] = (char)c;
			q++;
			continue;
		}
		if (++q >= r->end)
			return fail(r, "unterminated string");
		c = *q++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			t[n++] = (char)c;
			break;
		case 'b':
			t[n++] = '\b';
			break;
		case 'f':
			t[n++] = '\f';
			break;
		case 'n':
			t[n++] = '\n';
			break;
		case 'r':
			t[n++] = '\r';
			break;
		case 't':
			t[n++] = '\t';
			break;
		case 'u': {
			unsigned u, lo;
			if (r->end - q < 4 || hex4(q, &u))
				return fail(r, "invalid \\u escape");
			q += 4;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (r->end - q < 6 || q[0] != '\\' || q[1] != 'u' ||
				    hex4(q + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return fail(r, "invalid surrogate pair");
				q += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				return fail(r, "invalid surrogate pair");
			}
			if (u == 0)
				return fail(r, "\\u0000 is not allowed");
			n += put_utf8(t + n, u);
			break;
		}
		default:
			return fail(r, "invalid escape");
		}
	}
	if (!utf8_ok((const unsigned char *)t, (const unsigned char *)t + n))
		return fail(r, "invalid utf-8 in a string");
	*out = t;
	*len = n;
	r->p = q + 1;
	return 0;
}

static bool digit(const struct reader *r, const unsigned char *q)
{
	return q < r->end && *q >= '0' && *q <= '9';
}

static json_t *number(struct reader *r)
{
	const unsigned char *s = r->p, *q = s;
	bool neg = false;
	if (*q == '-') {
		neg = true;
		q++;
	}
	if (!digit(r, q))
		return fail(r, "invalid token"), NULL;
	if (*q == '0' && digit(r, q + 1))
		return fail(r, "leading zero in a number"), NULL;
	uint64_t v = 0;
	bool big = false;
	for (; digit(r, q); q++) {
		unsigned d = *q - '0';
		if (v > (UINT64_MAX - d) / 10)
			big = true;
		else
			v = v * 10 + d;
	}
	if (q < r->end && (*q == '.' || *q == 'e' || *q == 'E')) {
		if (*q == '.') {
			if (!digit(r, ++q))
				return fail(r, "invalid number"), NULL;
			while (digit(r, q))
				q++;
		}
		if (q < r->end && (*q == 'e' || *q == 'E')) {
			q++;
			if (q < r->end && (*q == '+' || *q == '-'))
				q++;
			if (!digit(r, q))
				return fail(r, "invalid number"), NULL;
			while (digit(r, q))
				q++;
		}
		char buf[64];
		size_t n = (size_t)(q - s);
		if (n >= sizeof(buf))
			return fail(r, "number too long"), NULL;
		memcpy(buf, s, n);
		buf[n] = '\0';
		errno = 0;
		double d = strtod(buf, NULL);
		/* Underflow reads as 0, as jansson takes it; overflow is refused. */
		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
			return fail(r, "real number overflow"), NULL;
		r->p = q;
		return json_real(d);
	}
	if (big || (!neg && v > (uint64_t)INT64_MAX) || (neg && v > (uint64_t)INT64_MAX + 1))
		return fail(r, "too big integer"), NULL;
	r->p = q;
	return json_integer(neg ? (json_int_t)(0 - v) : (json_int_t)v);
}

static json_t *value(struct reader *r);

static json_t *object(struct reader *r)
{
	json_t *o = json_object();
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return o;
	}
	for (;;) {
		const char *k;
		size_t klen;
		char keybuf[256], *key = keybuf;
		ws(r);
		if (r->p >= r->end || *r->p != '"') {
			fail(r, "expected a key");
			break;
		}
		if (string(r, &k, &klen))
			break;
		/* r->tmp is reused by the value: keep the key apart. */
		if (klen >= sizeof(keybuf))
			key = xmalloc(klen + 1);
		memcpy(key, k, klen);
		key[klen] = '\0';
		ws(r);
		json_t *v = NULL;
		const unsigned char *at = r->p;
		if (r->p >= r->end || *r->p != ':') {
			fail(r, "expected ':'");
		} else {
			r->p++;
			ws(r);
			at = r->p;
			v = value(r);
		}
		if (v && json_object_getn(o, key, klen)) {
			json_decref(v);
			v = NULL;
			r->p = at;
			fail(r, "duplicate key");
		}
		if (v && r->span_key && r->depth == 1 && !strcmp(key, r->span_key)) {
			r->span = at;
			r->span_len = (size_t)(r->p - at);
		}
		if (v)
			json_object_setn_new_nocheck(o, key, klen, v);
		if (key != keybuf)
			free(key);
		if (!v)
			break;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			return o;
		}
		fail(r, "expected ',' or '}'");
		break;
	}
	json_decref(o);
	return NULL;
}

static json_t *array(struct reader *r)
{
	json_t *a = json_array();
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return a;
	}
	for (;;) {
		json_t *v = value(r);
		if (!v)
			break;
		json_array_append_new(a, v);
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == ']') {
			r->p++;
			return a;
		}
		fail(r, "expected ',' or ']'");
		break;
	}
	json_decref(a);
	return NULL;
}

static json_t *literal(struct reader *r, const char *word, json_t *v)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return fail(r, "invalid token"), NULL;
	r->p += n;
	return v;
}

static json_t *value(struct reader *r)
{
	ws(r);
	if (r->p >= r->end)
		return fail(r, "unexpected end of input"), NULL;
	json_t *v;
	switch (*r->p) {
	case '{':
	case '[':
		if (++r->depth > FASTJSON_DEPTH_MAX)
			return fail(r, "nested too deep"), NULL;
		v = *r->p == '{' ? object(r) : array(r);
		r->depth--;
		return v;
	case '"': {
		const char *s;
		size_t n;
		if (string(r, &s, &n))
			return NULL;
		return json_stringn_nocheck(s, n);
	}
	case 't':
		return literal(r, "true", json_true());
	case 'f':
		return literal(r, "false", json_false());
	case 'n':
		return literal(r, "null", json_null());
	default:
		return number(r);
	}
}

json_t *fastjson_load(const char *buf, size_t len, struct fastjson_error *err)
{
	return fastjson_load_span(buf, len, NULL, NULL, NULL, err);
}

json_t *fastjson_load_span(const char *buf, size_t len, const char *key, const char **span,
                           size_t *span_len, struct fastjson_error *err)
{
	struct reader *r = xmalloc(sizeof(*r));
	r->start = r->p = (const unsigned char *)buf;
	r->end = r->start + len;
	r->depth = 0;
	r->err = err;
	r->span_key = key;
	r->span = NULL;
	r->span_len = 0;
	r->tmp = NULL;
	r->tmpcap = 0;
	json_t *v = value(r);
	if (v) {
		ws(r);
		if (r->p != r->end) {
			json_decref(v);
			v = NULL;
			fail(r, "end of input expected");
		}
	}
	if (span) {
		*span = (const char *)r->span;
		*span_len = r->span_len;
	}
	free(r->tmp);
	free(r);
	return v;
}
