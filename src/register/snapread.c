/* Reading a snapshot's products into records. Both readers first gather
 * each object's members into fields (the last of a repeated key wins, as in
 * jansson), then one set of checks turns the fields into a record, so the
 * tree and the text can never disagree on what they accept. The text reader
 * validates JSON as strictly as jansson does (UTF-8, escapes, surrogates,
 * "\u0000", number syntax and range, nesting depth) without building values:
 * strings without escapes are used where they lie in the text. */
#include "register/snapread.h"

#include "common/err.h"
#include "common/uuid.h"
#include "common/xalloc.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

/* ---- fields and their checks ---- */

enum ftype { F_ABSENT, F_NULL, F_STRING, F_INT, F_REAL, F_BOOL, F_OTHER };

/* A member's value. A string's bytes: len in all, the first `have` of them
 * at s (all of them, unless the text reader cut a long escaped string). */
struct field {
	enum ftype t;
	const char *s;
	size_t len, have;
	int64_t i;
	bool b;
};

/* Copies a string field into out (size bytes), cut at a character
 * boundary when too long. */
static void field_copy(const struct field *f, char *out, size_t size)
{
	size_t n = f->len;
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)f->s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, f->s, n);
	out[n] = '\0';
}

enum { J_REQUIRED = 0, J_NULLABLE = 1, J_CUT = 2 };

static int check_text(const struct field *f, const char *key, int flags, char *out, size_t size,
                      char *err, size_t el)
{
	if (f->t == F_ABSENT || f->t == F_NULL) {
		if (flags & J_NULLABLE) {
			out[0] = '\0';
			return TALAD_OK;
		}
		talad_seterr(err, el, "%s: missing", key);
		return TALAD_EINVAL;
	}
	if (f->t != F_STRING) {
		talad_seterr(err, el, "%s: not a string", key);
		return TALAD_EINVAL;
	}
	if (memchr(f->s, '\0', f->have)) {
		talad_seterr(err, el, "%s: contains a NUL character", key);
		return TALAD_EINVAL;
	}
	if (f->len >= size && !(flags & J_CUT)) {
		talad_seterr(err, el, "%s: longer than %zu bytes", key, size - 1);
		return TALAD_EINVAL;
	}
	field_copy(f, out, size);
	return TALAD_OK;
}

static int check_int(const struct field *f, const char *key, int64_t min, int64_t max, int64_t *out,
                     char *err, size_t el)
{
	if (f->t == F_ABSENT) {
		talad_seterr(err, el, "%s: missing", key);
		return TALAD_EINVAL;
	}
	if (f->t != F_INT) {
		talad_seterr(err, el, "%s: not an integer", key);
		return TALAD_EINVAL;
	}
	if (f->i < min || f->i > max) {
		talad_seterr(err, el, "%s: out of range", key);
		return TALAD_EINVAL;
	}
	*out = f->i;
	return TALAD_OK;
}

static int check_bool(const struct field *f, const char *key, bool *out, char *err, size_t el)
{
	if (f->t != F_BOOL) {
		talad_seterr(err, el, "%s: %s", key,
		             f->t == F_ABSENT ? "missing" : "not true or false");
		return TALAD_EINVAL;
	}
	*out = f->b;
	return TALAD_OK;
}

/* The variant's members, in the order they are checked. */
enum { V_ID, V_SKU, V_BARCODE, V_TITLE, V_PRICE, V_TAXABLE, V_TRACKED, V_AVAILABLE, V_COUNT };
#define KEY(s)                                                                                     \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}
static const struct {
	const char *name;
	size_t len;
} variant_keys[V_COUNT] = {
    KEY("id"),    KEY("sku"),     KEY("barcode"), KEY("title"),
    KEY("price"), KEY("taxable"), KEY("tracked"), KEY("available"),
};

static int check_variant(const struct field *f, bool with_level, struct snapread_variant *r,
                         char *err, size_t el)
{
	r->available = 0;
	r->has_level = false;
	int rc = check_text(&f[V_ID], "id", J_REQUIRED, r->id, sizeof(r->id), err, el);
	if (rc == TALAD_OK && !uuid_valid(r->id)) {
		talad_seterr(err, el, "id: not a uuid");
		rc = TALAD_EINVAL;
	}
	if (rc == TALAD_OK)
		rc = check_text(&f[V_SKU], "sku", J_NULLABLE, r->sku, sizeof(r->sku), err, el);
	if (rc == TALAD_OK)
		rc = check_text(&f[V_BARCODE], "barcode", J_NULLABLE, r->barcode,
		                sizeof(r->barcode), err, el);
	if (rc == TALAD_OK)
		rc = check_text(&f[V_TITLE], "title", J_NULLABLE | J_CUT, r->title,
		                sizeof(r->title), err, el);
	if (rc == TALAD_OK)
		rc = check_int(&f[V_PRICE], "price", 0, INT64_MAX / CART_MAX_QUANTITY, &r->price,
		               err, el);
	if (rc == TALAD_OK)
		rc = check_bool(&f[V_TAXABLE], "taxable", &r->taxable, err, el);
	if (rc == TALAD_OK)
		rc = check_bool(&f[V_TRACKED], "tracked", &r->tracked, err, el);
	if (rc == TALAD_OK && with_level && f[V_AVAILABLE].t != F_ABSENT &&
	    f[V_AVAILABLE].t != F_NULL) {
		rc = check_int(&f[V_AVAILABLE], "available", INT64_MIN / 2, INT64_MAX / 2,
		               &r->available, err, el);
		r->has_level = true;
	}
	return rc;
}

enum vars { VARS_MISSING, VARS_ARRAY, VARS_OTHER };

/* The product's id and title, then whether variants is an array. */
static int check_product(const struct field *id, const struct field *title, enum vars variants,
                         struct snapread_product *r, char *err, size_t el)
{
	int rc = check_text(id, "id", J_REQUIRED, r->id, sizeof(r->id), err, el);
	if (rc == TALAD_OK)
		rc = check_text(title, "title", J_NULLABLE | J_CUT, r->title, sizeof(r->title), err,
		                el);
	if (rc == TALAD_OK && variants != VARS_ARRAY) {
		talad_seterr(err, el, "variants: %s",
		             variants == VARS_MISSING ? "missing" : "not an array");
		rc = TALAD_EINVAL;
	}
	return rc;
}

/* A product with room for cap variants. */
static struct snapread_product *product_grow(struct snapread_product *p, size_t cap)
{
	return xreallocarray(p, 1, sizeof(*p) + cap * sizeof(p->v[0]));
}

/* ---- from jansson ---- */

static void field_json(struct field *f, const json_t *v)
{
	memset(f, 0, sizeof(*f));
	if (!v)
		f->t = F_ABSENT;
	else if (json_is_null(v))
		f->t = F_NULL;
	else if (json_is_string(v)) {
		f->t = F_STRING;
		f->s = json_string_value(v);
		f->len = f->have = json_string_length(v);
	} else if (json_is_integer(v)) {
		f->t = F_INT;
		f->i = json_integer_value(v);
	} else if (json_is_real(v)) {
		f->t = F_REAL;
	} else if (json_is_boolean(v)) {
		f->t = F_BOOL;
		f->b = json_is_true(v);
	} else {
		f->t = F_OTHER;
	}
}

int snapread_product_json(const json_t *p, bool with_level, struct snapread_product **out,
                          char *err, size_t errlen)
{
	*out = NULL;
	if (!json_is_object(p)) {
		talad_seterr(err, errlen, "not an object");
		return TALAD_EINVAL;
	}
	struct field id, title;
	field_json(&id, json_object_get(p, "id"));
	field_json(&title, json_object_get(p, "title"));
	const json_t *vars = json_object_get(p, "variants");
	size_t n = json_array_size(vars);
	struct snapread_product *r = product_grow(NULL, n);
	r->n = n;
	enum vars state = !vars ? VARS_MISSING : json_is_array(vars) ? VARS_ARRAY : VARS_OTHER;
	int rc = check_product(&id, &title, state, r, err, errlen);
	for (size_t j = 0; rc == TALAD_OK && j < n; j++) {
		const json_t *v = json_array_get(vars, j);
		if (!json_is_object(v)) {
			talad_seterr(err, errlen, "variants[%zu].not an object", j);
			rc = TALAD_EINVAL;
			break;
		}
		struct field f[V_COUNT];
		for (int k = 0; k < V_COUNT; k++)
			field_json(&f[k], json_object_get(v, variant_keys[k].name));
		char why[256];
		rc = check_variant(f, with_level, &r->v[j], why, sizeof(why));
		if (rc)
			talad_seterr(err, errlen, "variants[%zu].%s", j, why);
	}
	if (rc) {
		free(r);
		return rc;
	}
	*out = r;
	return TALAD_OK;
}

/* ---- from the text ---- */

struct reader {
	const unsigned char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
	int depth;
};

/* A string value kept for a check: decoded into buf when it had escapes
 * (the first cap bytes; the length counts all of them). */
struct keep {
	char *buf;
	size_t cap;
};

static int syntax(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int syntax(struct reader *r, const char *fmt, ...)
{
	char what[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	talad_seterr(r->err, r->errlen, "not valid json at byte %zu: %s", r->pos, what);
	return TALAD_EINVAL;
}

static void ws(struct reader *r)
{
	while (r->pos < r->len) {
		unsigned char c = r->s[r->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		r->pos++;
	}
}

static int peek(struct reader *r)
{
	ws(r);
	return r->pos < r->len ? r->s[r->pos] : -1;
}

/* One UTF-8 character at s[0..n): its length, or 0 when it is not valid
 * (overlong, a surrogate, past U+10FFFF, cut short). */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	unsigned c = s[0], min;
	size_t k;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		k = 1, min = 0x80, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		k = 2, min = 0x800, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		k = 3, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (n <= k)
		return 0;
	for (size_t i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return k + 1;
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

static void keep_put(struct keep *k, struct field *f, const void *bytes, size_t n)
{
	if (k && f->have < k->cap) {
		size_t room = k->cap - f->have;
		memcpy(k->buf + f->have, bytes, n < room ? n : room);
		f->have += n < room ? n : room;
	}
	f->len += n;
}

/* The string at the position (its opening quote). With f, it becomes a
 * string field: in place when it has no escapes, else decoded into k. */
static int read_string(struct reader *r, struct field *f, struct keep *k)
{
	size_t start = ++r->pos;
	bool escaped = false;
	struct field tmp;
	if (!f)
		f = &tmp;
	memset(f, 0, sizeof(*f));
	f->t = F_STRING;
	for (;;) {
		if (r->pos >= r->len)
			return syntax(r, "premature end of input in a string");
		unsigned char c = r->s[r->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return syntax(r, "control character 0x%x in a string", c);
		if (c == '\\') {
			if (!escaped) {
				/* What came before the first escape, copied. */
				escaped = true;
				f->len = f->have = 0;
				keep_put(k, f, r->s + start, r->pos - start);
			}
			if (r->pos + 1 >= r->len)
				return syntax(r, "premature end of input in a string");
			unsigned char e = r->s[r->pos + 1];
			char one;
			switch (e) {
			case '"':
			case '\\':
			case '/':
				one = (char)e;
				break;
			case 'b':
				one = '\b';
				break;
			case 'f':
				one = '\f';
				break;
			case 'n':
				one = '\n';
				break;
			case 'r':
				one = '\r';
				break;
			case 't':
				one = '\t';
				break;
			case 'u': {
				unsigned u, lo;
				if (r->pos + 6 > r->len || hex4(r->s + r->pos + 2, &u))
					return syntax(r, "invalid \\u escape");
				size_t used = 6;
				if (u >= 0xdc00 && u <= 0xdfff)
					return syntax(
					    r, "invalid unicode escape (a lone low surrogate)");
				if (u >= 0xd800 && u <= 0xdbff) {
					if (r->pos + 12 > r->len || r->s[r->pos + 6] != '\\' ||
					    r->s[r->pos + 7] != 'u' ||
					    hex4(r->s + r->pos + 8, &lo) || lo < 0xdc00 ||
					    lo > 0xdfff)
						return syntax(r,
						              "invalid unicode escape (a lone high"
						              " surrogate)");
					u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
					used = 12;
				}
				if (u == 0)
					return syntax(r, "\\u0000 is not allowed");
				unsigned char t[4];
				size_t n;
				if (u < 0x80) {
					t[0] = (unsigned char)u;
					n = 1;
				} else if (u < 0x800) {
					t[0] = (unsigned char)(0xc0 | (u >> 6));
					t[1] = (unsigned char)(0x80 | (u & 0x3f));
					n = 2;
				} else if (u < 0x10000) {
					t[0] = (unsigned char)(0xe0 | (u >> 12));
					t[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
					t[2] = (unsigned char)(0x80 | (u & 0x3f));
					n = 3;
				} else {
					t[0] = (unsigned char)(0xf0 | (u >> 18));
					t[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3f));
					t[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
					t[3] = (unsigned char)(0x80 | (u & 0x3f));
					n = 4;
				}
				keep_put(k, f, t, n);
				r->pos += used;
				continue;
			}
			default:
				return syntax(r, "invalid escape '\\%c'",
				              e >= 0x20 && e < 0x7f ? e : '?');
			}
			keep_put(k, f, &one, 1);
			r->pos += 2;
			continue;
		}
		size_t n = c < 0x80 ? 1 : utf8_char(r->s + r->pos, r->len - r->pos);
		if (n == 0)
			return syntax(r, "invalid utf-8 in a string");
		if (escaped)
			keep_put(k, f, r->s + r->pos, n);
		r->pos += n;
	}
	if (escaped) {
		f->s = k ? k->buf : "";
	} else {
		f->s = (const char *)r->s + start;
		f->len = f->have = r->pos - start;
	}
	r->pos++; /* the closing quote */
	return TALAD_OK;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* A number: an integer in range is F_INT; one out of range is refused, as
 * jansson refuses it; a fraction or exponent makes F_REAL, refused only
 * when it overflows a double. */
static int read_number(struct reader *r, struct field *f)
{
	size_t start = r->pos, p = r->pos;
	const unsigned char *s = r->s;
	bool neg = false, real = false;
	if (p < r->len && s[p] == '-') {
		neg = true;
		p++;
	}
	if (p >= r->len || s[p] < '0' || s[p] > '9') {
		r->pos = p;
		return syntax(r, "invalid number");
	}
	uint64_t mag = 0;
	bool big = false;
	if (s[p] == '0') {
		p++;
		if (p < r->len && s[p] >= '0' && s[p] <= '9') {
			r->pos = p;
			return syntax(r, "invalid number (a leading zero)");
		}
	} else {
		for (; p < r->len && s[p] >= '0' && s[p] <= '9'; p++) {
			unsigned d = s[p] - '0';
			if (mag > (UINT64_MAX - d) / 10)
				big = true;
			else
				mag = mag * 10 + d;
		}
	}
	if (p < r->len && s[p] == '.') {
		real = true;
		p++;
		if (p >= r->len || s[p] < '0' || s[p] > '9') {
			r->pos = p;
			return syntax(r, "invalid number");
		}
		while (p < r->len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < r->len && (s[p] == 'e' || s[p] == 'E')) {
		real = true;
		p++;
		if (p < r->len && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= r->len || s[p] < '0' || s[p] > '9') {
			r->pos = p;
			return syntax(r, "invalid number");
		}
		while (p < r->len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	memset(f, 0, sizeof(*f));
	if (!real) {
		if (big || mag > (uint64_t)INT64_MAX + (neg ? 1 : 0))
			return syntax(r, "too big %sinteger", neg ? "negative " : "");
		f->t = F_INT;
		f->i = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
		           : (int64_t)mag;
		r->pos = p;
		return TALAD_OK;
	}
	pthread_once(&c_locale_once, c_locale_init);
	char small[64], *copy = p - start < sizeof(small) ? small : xmalloc(p - start + 1);
	memcpy(copy, s + start, p - start);
	copy[p - start] = '\0';
	double d = c_locale ? strtod_l(copy, NULL, c_locale) : strtod(copy, NULL);
	if (copy != small)
		free(copy);
	if (isinf(d))
		return syntax(r, "real number overflow");
	f->t = F_REAL;
	r->pos = p;
	return TALAD_OK;
}

static int read_literal(struct reader *r, const char *word, size_t n)
{
	if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0)
		return syntax(r, "invalid token");
	r->pos += n;
	/* "truex" is one bad token to jansson, not true and then x. */
	if (r->pos < r->len && ((r->s[r->pos] >= 'a' && r->s[r->pos] <= 'z') ||
	                        (r->s[r->pos] >= 'A' && r->s[r->pos] <= 'Z')))
		return syntax(r, "invalid token");
	return TALAD_OK;
}

static int read_value(struct reader *r, struct field *f, struct keep *k);

/* An object's members, handing each to member() (key decoded into key);
 * at the '{'. */
typedef int (*member_fn)(struct reader *r, void *arg, const struct field *key);

static int read_members(struct reader *r, member_fn member, void *arg)
{
	r->pos++;
	if (peek(r) == '}') {
		r->pos++;
		return TALAD_OK;
	}
	char keybuf[32] = "";
	for (;;) {
		if (peek(r) != '"')
			return syntax(r, "a member name expected");
		struct field key;
		struct keep kk = {keybuf, sizeof(keybuf)};
		int rc = read_string(r, &key, &kk);
		if (rc)
			return rc;
		if (peek(r) != ':')
			return syntax(r, "':' expected");
		r->pos++;
		rc = member(r, arg, &key);
		if (rc)
			return rc;
		int c = peek(r);
		if (c == '}') {
			r->pos++;
			return TALAD_OK;
		}
		if (c != ',')
			return syntax(r, "',' or '}' expected");
		r->pos++;
	}
}

static int skip_member(struct reader *r, void *arg, const struct field *key)
{
	(void)arg;
	(void)key;
	return read_value(r, NULL, NULL);
}

/* The elements of an array, each handed to element(); at the '['. */
typedef int (*element_fn)(struct reader *r, void *arg, size_t index);

static int read_elements(struct reader *r, element_fn element, void *arg)
{
	r->pos++;
	if (peek(r) == ']') {
		r->pos++;
		return TALAD_OK;
	}
	for (size_t i = 0;; i++) {
		int rc = element(r, arg, i);
		if (rc)
			return rc;
		int c = peek(r);
		if (c == ']') {
			r->pos++;
			return TALAD_OK;
		}
		if (c != ',')
			return syntax(r, "',' or ']' expected");
		r->pos++;
	}
}

static int skip_element(struct reader *r, void *arg, size_t index)
{
	(void)arg;
	(void)index;
	return read_value(r, NULL, NULL);
}

/* Every value counts towards the depth, scalars too, as in jansson. */
static int enter(struct reader *r)
{
	if (++r->depth > DEPTH_MAX)
		return syntax(r, "maximum parsing depth reached");
	return TALAD_OK;
}

static int value_of(struct reader *r, struct field *f, struct keep *k)
{
	int c = peek(r);
	switch (c) {
	case '"':
		return read_string(r, f, k);
	case '{':
		f->t = F_OTHER;
		return read_members(r, skip_member, NULL);
	case '[':
		f->t = F_OTHER;
		return read_elements(r, skip_element, NULL);
	case 't':
		f->t = F_BOOL;
		f->b = true;
		return read_literal(r, "true", 4);
	case 'f':
		f->t = F_BOOL;
		return read_literal(r, "false", 5);
	case 'n':
		f->t = F_NULL;
		return read_literal(r, "null", 4);
	case -1:
		return syntax(r, "premature end of input");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return read_number(r, f);
		return syntax(r, "invalid token");
	}
}

/* Any value; f (may be NULL) gets what kind it was, a string kept in k. */
static int read_value(struct reader *r, struct field *f, struct keep *k)
{
	struct field tmp;
	if (!f)
		f = &tmp;
	memset(f, 0, sizeof(*f));
	int rc = enter(r);
	if (rc == TALAD_OK)
		rc = value_of(r, f, k);
	r->depth--;
	return rc;
}

static bool key_is_n(const struct field *key, const char *name, size_t n)
{
	return key->len == n && key->have == n && memcmp(key->s, name, n) == 0;
}

static bool key_is(const struct field *key, const char *name)
{
	return key_is_n(key, name, strlen(name));
}

/* A variant being read: its fields, and room for escaped strings. */
struct variant_read {
	struct field f[V_COUNT];
	char bufs[V_COUNT][CART_TITLE_MAX];
};

static int variant_member(struct reader *r, void *arg, const struct field *key)
{
	struct variant_read *v = arg;
	for (int i = 0; i < V_COUNT; i++) {
		if (key_is_n(key, variant_keys[i].name, variant_keys[i].len)) {
			struct keep k = {v->bufs[i], sizeof(v->bufs[i])};
			return read_value(r, &v->f[i], &k);
		}
	}
	return read_value(r, NULL, NULL);
}

/* A product being read. */
struct product_read {
	struct snapread_product *p;
	size_t cap;
	bool with_level;
	struct field id, title;
	char idbuf[RSTORE_ID_MAX], titlebuf[CART_TITLE_MAX];
	enum vars variants;
	/* the first variant that failed its checks */
	bool bad;
	char why[256];
};

static int variant_element(struct reader *r, void *arg, size_t j)
{
	struct product_read *pr = arg;
	if (peek(r) != '{') {
		int rc = read_value(r, NULL, NULL);
		if (rc == TALAD_OK && !pr->bad) {
			pr->bad = true;
			snprintf(pr->why, sizeof(pr->why), "variants[%zu].not an object", j);
		}
		return rc;
	}
	struct variant_read v;
	for (int i = 0; i < V_COUNT; i++)
		v.f[i].t = F_ABSENT;
	int rc = enter(r);
	if (rc == TALAD_OK)
		rc = read_members(r, variant_member, &v);
	r->depth--;
	if (rc || pr->bad)
		return rc;
	if (pr->p->n == pr->cap) {
		pr->cap = pr->cap ? 2 * pr->cap : 16;
		pr->p = product_grow(pr->p, pr->cap);
	}
	char why[200];
	if (check_variant(v.f, pr->with_level, &pr->p->v[pr->p->n], why, sizeof(why)) == TALAD_OK) {
		pr->p->n++;
	} else {
		pr->bad = true;
		snprintf(pr->why, sizeof(pr->why), "variants[%zu].%s", j, why);
	}
	return TALAD_OK;
}

static int product_member(struct reader *r, void *arg, const struct field *key)
{
	struct product_read *pr = arg;
	if (key_is(key, "id")) {
		struct keep k = {pr->idbuf, sizeof(pr->idbuf)};
		return read_value(r, &pr->id, &k);
	}
	if (key_is(key, "title")) {
		struct keep k = {pr->titlebuf, sizeof(pr->titlebuf)};
		return read_value(r, &pr->title, &k);
	}
	if (!key_is(key, "variants"))
		return read_value(r, NULL, NULL);
	/* A repeated key: the last one counts, as in jansson. */
	pr->p->n = 0;
	pr->bad = false;
	if (peek(r) != '[') {
		pr->variants = VARS_OTHER;
		return read_value(r, NULL, NULL);
	}
	pr->variants = VARS_ARRAY;
	int rc = enter(r);
	if (rc == TALAD_OK)
		rc = read_elements(r, variant_element, pr);
	r->depth--;
	return rc;
}

int snapread_product_text(const char *text, size_t len, size_t *pos, bool with_level,
                          struct snapread_product **out, char *err, size_t errlen)
{
	*out = NULL;
	struct reader r = {.s = (const unsigned char *)text,
	                   .len = len,
	                   .pos = *pos,
	                   .err = err,
	                   .errlen = errlen};
	if (peek(&r) != '{') {
		/* Any other value is JSON all the same: read, then refused. */
		int rc = read_value(&r, NULL, NULL);
		if (rc)
			return rc;
		*pos = r.pos;
		talad_seterr(err, errlen, "not an object");
		return TALAD_EINVAL;
	}
	r.depth = 1; /* the product itself */
	struct product_read pr = {.with_level = with_level, .variants = VARS_MISSING};
	pr.id.t = pr.title.t = F_ABSENT;
	pr.p = product_grow(NULL, 0);
	pr.p->n = 0;
	int rc = read_members(&r, product_member, &pr);
	if (rc == TALAD_OK) {
		rc = check_product(&pr.id, &pr.title, pr.variants, pr.p, err, errlen);
		if (rc == TALAD_OK && pr.bad) {
			talad_seterr(err, errlen, "%s", pr.why);
			rc = TALAD_EINVAL;
		}
	}
	if (rc) {
		free(pr.p);
		return rc;
	}
	*pos = r.pos;
	*out = pr.p;
	return TALAD_OK;
}
