/* JSON field checks with messages that name the field. */
#include "server/jfield.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "core/money.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jfield_fail(struct jerr *e, const char *prefix, const char *key, const char *fmt, ...)
{
	char field[96];
	snprintf(field, sizeof(field), "%s%s", prefix ? prefix : "", key ? key : "");
	strlcpy_t(e->field, field, sizeof(e->field));
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char full[320];
	snprintf(full, sizeof(full), "%s %s", field, msg);
	strlcpy_t(e->message, full, sizeof(e->message));
	return TALAD_EINVAL;
}

int jfield_known(const json_t *o, const char *const *allowed, const char *prefix, struct jerr *e)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, key);
		if (!ok) {
			/* The key may be anything; keep the message printable. */
			char shown[48];
			snprintf(shown, sizeof(shown), "%s", key);
			for (char *p = shown; *p; p++)
				if ((unsigned char)*p < 0x20)
					*p = '?';
			return jfield_fail(e, prefix, shown, "is not a known field");
		}
	}
	return TALAD_OK;
}

bool jfield_clean_text(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* The value of key, NULL when absent or null. */
static json_t *get(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_null(v) ? NULL : v;
}

/* The start every typed field shares: the value of key, or NULL with *rc
 * TALAD_OK for an optional field left out and the error for a required one.
 * *present (when given) is false until taken() says the value was used. */
static json_t *lookup(const json_t *o, const char *key, const char *prefix, bool required,
                      bool *present, struct jerr *e, int *rc)
{
	json_t *v = get(o, key);

	if (present)
		*present = false;
	*rc = !v && required ? jfield_fail(e, prefix, key, "is required") : TALAD_OK;
	return v;
}

static int in_range(long long v, int64_t min, int64_t max, const char *prefix, const char *key,
                    struct jerr *e)
{
	if (v < min || v > max)
		return jfield_fail(e, prefix, key, "must be between %lld and %lld", (long long)min,
		                   (long long)max);
	return TALAD_OK;
}

static int taken(bool *present)
{
	if (present)
		*present = true;
	return TALAD_OK;
}

int jfield_str(const json_t *o, const char *key, const char *prefix, bool required, size_t minlen,
               size_t maxlen, const char **out, struct jerr *e)
{
	int rc;
	json_t *v = lookup(o, key, prefix, required, NULL, e, &rc);
	*out = NULL;
	if (!v)
		return rc;
	if (!json_is_string(v))
		return jfield_fail(e, prefix, key, "must be a string");
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (strlen(s) != n)
		return jfield_fail(e, prefix, key, "must not contain NUL characters");
	if (n < minlen)
		return minlen == 1
		           ? jfield_fail(e, prefix, key, "must not be empty")
		           : jfield_fail(e, prefix, key, "must have at least %zu bytes", minlen);
	if (n > maxlen)
		return jfield_fail(e, prefix, key, "must have at most %zu bytes", maxlen);
	if (!jfield_clean_text(s))
		return jfield_fail(e, prefix, key, "must not contain control characters");
	*out = s;
	return TALAD_OK;
}

int jfield_int(const json_t *o, const char *key, const char *prefix, bool required, int64_t min,
               int64_t max, int64_t *out, bool *present, struct jerr *e)
{
	int rc;
	json_t *v = lookup(o, key, prefix, required, present, e, &rc);
	if (!v)
		return rc;
	if (!json_is_integer(v))
		return jfield_fail(e, prefix, key, "must be an integer");
	json_int_t n = json_integer_value(v);
	if ((rc = in_range(n, min, max, prefix, key, e)))
		return rc;
	*out = n;
	return taken(present);
}

int jfield_bool(const json_t *o, const char *key, const char *prefix, bool required, bool *out,
                bool *present, struct jerr *e)
{
	int rc;
	json_t *v = lookup(o, key, prefix, required, present, e, &rc);
	if (!v)
		return rc;
	if (!json_is_boolean(v))
		return jfield_fail(e, prefix, key, "must be true or false");
	*out = json_is_true(v);
	return taken(present);
}

int jfield_uuid(const json_t *o, const char *key, const char *prefix, bool required,
                const char **out, struct jerr *e)
{
	const char *s;
	int rc = jfield_str(o, key, prefix, required, 1, 64, &s, e);
	if (rc)
		return rc;
	if (s && !uuid_valid(s))
		return jfield_fail(e, prefix, key, "must be a uuid");
	*out = s;
	return TALAD_OK;
}

int jfield_money(const json_t *o, const char *key, const char *prefix, bool required, int exponent,
                 int64_t min, int64_t max, int64_t *out, bool *present, struct jerr *e)
{
	int rc;
	json_t *v = lookup(o, key, prefix, required, present, e, &rc);
	if (!v)
		return rc;
	if (!json_is_string(v))
		return jfield_fail(e, prefix, key, "must be a decimal string such as \"45.00\"");
	char why[128] = "";
	int64_t amount;
	if (money_parse(json_string_value(v), exponent, &amount, why, sizeof(why)) != TALAD_OK)
		return jfield_fail(e, prefix, key, "is not a valid amount%s%s", why[0] ? ": " : "",
		                   why);
	if (amount < min || amount > max) {
		char a[MONEY_STRLEN], b[MONEY_STRLEN];
		money_format(min, exponent, a);
		money_format(max, exponent, b);
		return jfield_fail(e, prefix, key, "must be between %s and %s", a, b);
	}
	*out = amount;
	return taken(present);
}

int jfield_time(const json_t *o, const char *key, const char *prefix, bool required, int64_t *out,
                bool *present, struct jerr *e)
{
	const char *s;
	if (present)
		*present = false;
	int rc = jfield_str(o, key, prefix, required, 1, 40, &s, e);
	if (rc || !s)
		return rc;
	if (time_parse_iso(s, out) != TALAD_OK)
		return jfield_fail(e, prefix, key,
		                   "must be a utc timestamp such as \"2026-12-04T19:48:10.123Z\"");
	return taken(present);
}

int jfield_query_int(const char *value, const char *name, int64_t min, int64_t max, int64_t def,
                     int64_t *out, struct jerr *e)
{
	if (!value) {
		*out = def;
		return TALAD_OK;
	}
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (!*value || *end || errno || value[0] == ' ' || value[0] == '+')
		return jfield_fail(e, "", name, "must be an integer");
	int rc = in_range(v, min, max, "", name, e);
	if (rc)
		return rc;
	*out = v;
	return TALAD_OK;
}

bool jfield_email_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 3 || n > 254 || !jfield_clean_text(s))
		return false;
	const char *at = strchr(s, '@');
	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return false;
	for (const char *p = s; *p; p++)
		if (*p == ' ')
			return false;
	return true;
}
