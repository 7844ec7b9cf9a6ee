/* Money: the ISO 4217 currencies Talad knows, the decimal text form of
 * minor-unit amounts, and overflow-checked integer arithmetic that rounds
 * half away from zero. No floating point. */
#include "core/money.h"

#include "common/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* No currency has more than 3 minor digits; 18 is the most an int64_t can
 * carry with one integer digit left, so anything above is a caller bug. */
#define MAX_EXPONENT 18

/* ISO 4217 minor-unit digits (the standard's, not local cash habits: IDR
 * and KHR are 2 in the standard even though no such coins circulate). */
static const struct currency currencies[] = {
    {"AED", 2}, {"AUD", 2}, {"BDT", 2}, {"BHD", 3}, {"BND", 2}, {"BRL", 2}, {"CAD", 2}, {"CHF", 2},
    {"CLP", 0}, {"CNY", 2}, {"CZK", 2}, {"DKK", 2}, {"EUR", 2}, {"GBP", 2}, {"HKD", 2}, {"HUF", 2},
    {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"ISK", 0}, {"JOD", 3}, {"JPY", 0}, {"KHR", 2},
    {"KRW", 0}, {"KWD", 3}, {"LAK", 2}, {"LKR", 2}, {"LYD", 3}, {"MMK", 2}, {"MXN", 2}, {"MYR", 2},
    {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0},
    {"SAR", 2}, {"SEK", 2}, {"SGD", 2}, {"THB", 2}, {"TND", 3}, {"TRY", 2}, {"TWD", 2}, {"UGX", 0},
    {"USD", 2}, {"VND", 0}, {"XAF", 0}, {"XOF", 0}, {"ZAR", 2},
};

int currency_lookup(const char *code, struct currency *out)
{
	if (!code || strlen(code) != 3)
		return TALAD_ENOTFOUND;
	for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++) {
		if (strcasecmp(code, currencies[i].code) == 0) {
			*out = currencies[i];
			return TALAD_OK;
		}
	}
	return TALAD_ENOTFOUND;
}

/* The first character that makes s not an amount, named in the message so
 * that a cashier sees what to fix. */
static int syntax_error(const char *s, char bad, char *err, size_t errlen)
{
	if (bad == ' ' || bad == '\t' || bad == '\n' || bad == '\r')
		talad_seterr(err, errlen, "spaces are not allowed in an amount: '%.64s'", s);
	else if (bad == ',')
		talad_seterr(err, errlen, "grouping commas are not allowed in an amount: %.64s", s);
	else if (bad == '-' || bad == '+')
		talad_seterr(err, errlen, "only one leading '-' is allowed in an amount: %.64s", s);
	else
		talad_seterr(err, errlen, "not a number: %.64s", s);
	return TALAD_EINVAL;
}

static bool push_digit(uint64_t *mag, unsigned d, uint64_t limit)
{
	if (*mag > (limit - d) / 10)
		return false;
	*mag = *mag * 10 + d;
	return true;
}

/* Strict on purpose: "12." and ".5" are refused (write "12" and "0.5") so
 * that one amount has one spelling in the API, on receipts and in logs. */
int money_parse(const char *s, int exponent, int64_t *out, char *err, size_t errlen)
{
	const char *p;
	bool neg = false, point = false;
	int nint = 0, nfrac = 0;

	if (exponent < 0 || exponent > MAX_EXPONENT) {
		talad_seterr(err, errlen, "bad currency exponent %d", exponent);
		return TALAD_EINVAL;
	}
	if (!s || !*s) {
		talad_seterr(err, errlen, "empty amount");
		return TALAD_EINVAL;
	}
	p = s;
	if (*p == '-') {
		neg = true;
		p++;
	}
	for (const char *q = p; *q; q++) {
		if (*q >= '0' && *q <= '9') {
			if (point)
				nfrac++;
			else
				nint++;
		} else if (*q == '.' && !point) {
			point = true;
		} else {
			return syntax_error(s, *q, err, errlen);
		}
	}
	if (nint == 0 && nfrac == 0)
		return syntax_error(s, 0, err, errlen);
	if (nint == 0) {
		talad_seterr(err, errlen,
		             "no digits before the decimal point: %.64s (write %s0%.64s)", s,
		             neg ? "-" : "", p);
		return TALAD_EINVAL;
	}
	if (point && nfrac == 0) {
		talad_seterr(err, errlen, "no digits after the decimal point: %.64s", s);
		return TALAD_EINVAL;
	}
	if (nfrac > exponent) {
		talad_seterr(err, errlen, "too many decimal places for this currency (%d allowed)",
		             exponent);
		return TALAD_EINVAL;
	}

	/* The magnitude of INT64_MIN is one more than INT64_MAX. */
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t mag = 0;
	for (const char *q = p; *q; q++) {
		if (*q != '.' && !push_digit(&mag, (unsigned)(*q - '0'), limit))
			goto range;
	}
	for (int i = nfrac; i < exponent; i++) {
		if (!push_digit(&mag, 0, limit))
			goto range;
	}
	if (neg)
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return TALAD_OK;
range:
	talad_seterr(err, errlen, "amount too large: %.64s", s);
	return TALAD_ERANGE;
}

static void format_amount(int64_t v, int exponent, bool grouped, char out[MONEY_STRLEN])
{
	char digits[24]; /* least significant first */
	int nd = 0;
	char *o = out;
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	if (exponent < 0)
		exponent = 0;
	if (exponent > MAX_EXPONENT)
		exponent = MAX_EXPONENT;
	do {
		digits[nd++] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag);
	while (nd <= exponent)
		digits[nd++] = '0'; /* one integer digit at least: "0.05" */

	if (v < 0)
		*o++ = '-';
	for (int i = nd - 1; i >= exponent; i--) {
		int left = i - exponent; /* integer digits still to come */
		*o++ = digits[i];
		if (grouped && left > 0 && left % 3 == 0)
			*o++ = ',';
	}
	if (exponent > 0) {
		*o++ = '.';
		for (int i = exponent - 1; i >= 0; i--)
			*o++ = digits[i];
	}
	*o = '\0';
}

void money_format(int64_t v, int exponent, char out[MONEY_STRLEN])
{
	format_amount(v, exponent, false, out);
}

void money_format_grouped(int64_t v, int exponent, char out[MONEY_STRLEN])
{
	format_amount(v, exponent, true, out);
}

int money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return TALAD_ERANGE;
	*out = r;
	return TALAD_OK;
}

int money_sub(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return TALAD_ERANGE;
	*out = r;
	return TALAD_OK;
}

int money_mul(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return TALAD_ERANGE;
	*out = r;
	return TALAD_OK;
}

int money_muldiv(int64_t a, int64_t num, int64_t den, int64_t *out)
{
	if (den <= 0)
		return TALAD_EINVAL;
	/* Any int64_t product fits in 127 bits, and 2 * |r| < 2^64. */
	__int128 p = (__int128)a * num;
	__int128 q = p / den;
	__int128 r = p % den;
	__int128 ar = r < 0 ? -r : r;
	if (2 * ar >= den)
		q += p < 0 ? -1 : 1;
	if (q > INT64_MAX || q < INT64_MIN)
		return TALAD_ERANGE;
	*out = (int64_t)q;
	return TALAD_OK;
}

int money_round_to(int64_t v, int64_t increment, int64_t *out)
{
	if (increment <= 0)
		return TALAD_EINVAL;
	int64_t q = v / increment;
	int64_t r = v % increment;
	uint64_t ar = r < 0 ? (uint64_t)0 - (uint64_t)r : (uint64_t)r;
	/* 2 * ar >= increment, written so that it cannot overflow */
	if (ar >= (uint64_t)increment - ar)
		q += v < 0 ? -1 : 1;
	__int128 res = (__int128)q * increment;
	if (res > INT64_MAX || res < INT64_MIN)
		return TALAD_ERANGE;
	*out = (int64_t)res;
	return TALAD_OK;
}
