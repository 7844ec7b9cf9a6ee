/* Checking the fields of a JSON request: type, presence, length and range,
 * with a lower-case message that names the field ("variants[1].price must be
 * a decimal string") for the 400 answer. */
#ifndef TALAD_SERVER_JFIELD_H
#define TALAD_SERVER_JFIELD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jerr {
	char field[96];
	char message[256];
};

/* Every function takes the object, the key, and a prefix for the message
 * ("" or "variants[1]."). Absent and null mean the same. Returns TALAD_OK or
 * TALAD_EINVAL with e filled in. */

/* Refuses keys that are not in allowed (NULL-terminated). */
int jfield_known(const json_t *o, const char *const *allowed, const char *prefix, struct jerr *e);

/* A string of minlen..maxlen bytes without control characters; *out NULL
 * when absent and not required. */
int jfield_str(const json_t *o, const char *key, const char *prefix, bool required, size_t minlen,
               size_t maxlen, const char **out, struct jerr *e);
/* An integer in min..max; *present false when absent and not required. */
int jfield_int(const json_t *o, const char *key, const char *prefix, bool required, int64_t min,
               int64_t max, int64_t *out, bool *present, struct jerr *e);
int jfield_bool(const json_t *o, const char *key, const char *prefix, bool required, bool *out,
                bool *present, struct jerr *e);
/* A UUID string. */
int jfield_uuid(const json_t *o, const char *key, const char *prefix, bool required,
                const char **out, struct jerr *e);
/* A decimal amount string ("45.00") in the currency, min..max minor units. */
int jfield_money(const json_t *o, const char *key, const char *prefix, bool required, int exponent,
                 int64_t min, int64_t max, int64_t *out, bool *present, struct jerr *e);
/* An ISO 8601 UTC timestamp string, as ms since the epoch. */
int jfield_time(const json_t *o, const char *key, const char *prefix, bool required, int64_t *out,
                bool *present, struct jerr *e);

/* Sets e for a field: jfield_fail(e, "variants[0].", "sku", "sku %s is taken", ...). */
int jfield_fail(struct jerr *e, const char *prefix, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A query-string integer in min..max; def when absent. */
int jfield_query_int(const char *value, const char *name, int64_t min, int64_t max, int64_t def,
                     int64_t *out, struct jerr *e);

/* Text without control characters (tab excluded too): true when clean. */
bool jfield_clean_text(const char *s);
/* A plausible e-mail address: local@domain, no spaces, at most 254 bytes. */
bool jfield_email_ok(const char *s);

#endif
