/* Money: int64_t amounts in minor units of a currency (satang, cents), the
 * decimal strings people and the admin API use, and overflow-checked
 * arithmetic. No floating point anywhere. */
#ifndef TALAD_MONEY_H
#define TALAD_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define MONEY_STRLEN 32 /* enough for any int64_t amount with sign and point */

struct currency {
	char code[4]; /* ISO 4217, upper case */
	int exponent; /* minor-unit digits: THB 2, JPY 0, KWD 3 */
};

/* Looks up an ISO 4217 code (case-insensitive). TALAD_OK, or TALAD_ENOTFOUND
 * for a code Talad does not know. */
int currency_lookup(const char *code, struct currency *out);

/* Parses a decimal string ("120.5", "-3", "0.25") for a currency with the
 * given exponent into minor units. Rejects empty strings, "-", signs other
 * than one leading '-', spaces, grouping commas, more decimals than the
 * currency has ("12.345" in THB, and "12.340" too), "12." and ".5" (one
 * amount, one spelling: write "12" and "0.5") and values beyond int64_t. out
 * is untouched on failure. Returns TALAD_OK,
 * TALAD_EINVAL (syntax, too many decimals) or TALAD_ERANGE (too large). When
 * err is not NULL a lower-case message is written there on failure. */
int money_parse(const char *s, int exponent, int64_t *out, char *err, size_t errlen);

/* Formats minor units as a plain decimal string: "1234.50", "-0.05", "7"
 * (exponent 0). out must hold MONEY_STRLEN bytes. An exponent outside
 * 0..18 is taken as the nearest of those. */
void money_format(int64_t v, int exponent, char out[MONEY_STRLEN]);

/* The same with thousands separators for people: "1,234.50". */
void money_format_grouped(int64_t v, int exponent, char out[MONEY_STRLEN]);

/* Overflow-checked arithmetic: TALAD_OK or TALAD_ERANGE (out untouched). */
int money_add(int64_t a, int64_t b, int64_t *out);
int money_sub(int64_t a, int64_t b, int64_t *out);
int money_mul(int64_t a, int64_t b, int64_t *out);

/* a * num / den rounded half away from zero, with a 128-bit intermediate.
 * den must be > 0. TALAD_OK, TALAD_EINVAL (den <= 0) or TALAD_ERANGE. */
int money_muldiv(int64_t a, int64_t num, int64_t den, int64_t *out);

/* Rounds v to the nearest multiple of increment (> 0), halves away from
 * zero: 99.90 to 0.25 gives 100.00. TALAD_OK, TALAD_EINVAL (increment <= 0)
 * or TALAD_ERANGE. */
int money_round_to(int64_t v, int64_t increment, int64_t *out);

#endif
