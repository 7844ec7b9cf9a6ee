/* Barcode classification, GS1 check digits and in-store price/weight codes
 * read through templates (see barcode.h for the template language). */
#include "core/barcode.h"

#include "common/err.h"
#include "common/xalloc.h"

#include <stdio.h>
#include <string.h>

const char *barcode_kind_name(enum barcode_kind k)
{
	switch (k) {
	case BARCODE_KIND_EAN13:
		return "ean13";
	case BARCODE_KIND_EAN8:
		return "ean8";
	case BARCODE_KIND_UPCA:
		return "upca";
	case BARCODE_KIND_OTHER:
		break;
	}
	return "other";
}

const char *barcode_verdict_message(enum barcode_verdict v)
{
	switch (v) {
	case BARCODE_VALID:
		return "valid";
	case BARCODE_BAD_CHECK_DIGIT:
		return "bad check digit";
	case BARCODE_NOT_A_BARCODE:
		break;
	}
	return "not a barcode";
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

int barcode_check_digit(const char *digits, size_t n, int *out)
{
	if (!digits || !all_digits(digits, n))
		return TALAD_EINVAL;
	/* GS1: weights 3 and 1 alternate from the rightmost body digit, so the
	   same rule serves GTIN-8, -12, -13 and -14. */
	int sum = 0;
	for (size_t i = 0; i < n; i++) {
		int d = digits[n - 1 - i] - '0';
		sum += (i % 2 == 0) ? 3 * d : d;
	}
	*out = (10 - sum % 10) % 10;
	return TALAD_OK;
}

static bool check_ok(const char *code, size_t n)
{
	int cd;
	if (n < 2 || barcode_check_digit(code, n - 1, &cd) != TALAD_OK)
		return false;
	return code[n - 1] - '0' == cd;
}

int barcode_classify(const char *code, struct barcode_scan *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->kind = BARCODE_KIND_OTHER;
	size_t n = code ? strlen(code) : 0;
	if (n == 0 || n >= BARCODE_CODE_MAX) {
		out->verdict = BARCODE_NOT_A_BARCODE;
		talad_seterr(err, errlen, "not a barcode");
		return TALAD_EINVAL;
	}
	/* Spaces and control bytes never belong to a code: they are what a
	   garbled or half-read scan looks like. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)code[i];
		if (c <= 0x20 || c >= 0x7f) {
			out->verdict = BARCODE_NOT_A_BARCODE;
			talad_seterr(err, errlen, "not a barcode");
			return TALAD_EINVAL;
		}
	}
	if (!all_digits(code, n) || (n != 8 && n != 12 && n != 13)) {
		out->verdict = BARCODE_VALID;
		return TALAD_OK;
	}
	out->kind = n == 13 ? BARCODE_KIND_EAN13 : n == 12 ? BARCODE_KIND_UPCA : BARCODE_KIND_EAN8;
	out->instore = code[0] == '2' || (n == 13 && code[0] == '0' && code[1] == '2');
	if (!check_ok(code, n)) {
		out->verdict = BARCODE_BAD_CHECK_DIGIT;
		talad_seterr(err, errlen, "bad check digit");
		return TALAD_EINVAL;
	}
	out->verdict = BARCODE_VALID;
	return TALAD_OK;
}

int barcode_normalize(const char *code, char out[BARCODE_CODE_MAX])
{
	struct barcode_scan sc;
	int rc = barcode_classify(code, &sc, NULL, 0);
	if (rc != TALAD_OK)
		return rc;
	if (sc.kind == BARCODE_KIND_UPCA)
		snprintf(out, BARCODE_CODE_MAX, "0%s", code);
	else
		strlcpy_t(out, code, BARCODE_CODE_MAX);
	return TALAD_OK;
}

/* One template: the checks that make a pattern readable without guessing. */
static int template_check(const char *p, size_t n, char *err, size_t errlen)
{
	char msg[128];
	if (n != 8 && n != 12 && n != 13) {
		snprintf(
		    msg, sizeof(msg),
		    "template '%.*s' must be 8, 12 or 13 positions long (ean-8, upc-a, ean-13)",
		    (int)(n > 20 ? 20 : n), p);
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	if (p[0] != '2') {
		snprintf(msg, sizeof(msg),
		         "template '%.*s' must begin with the digit 2 (the gs1 in-store range)",
		         (int)n, p);
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	if (p[n - 1] != 'C') {
		snprintf(msg, sizeof(msg), "template '%.*s' must end with C, the check digit",
		         (int)n, p);
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	size_t count[128] = {0};
	size_t runs[128] = {0};
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!((c >= '0' && c <= '9') || c == 'I' || c == 'P' || c == 'W' || c == 'X' ||
		      c == 'C')) {
			snprintf(msg, sizeof(msg),
			         "template '%.*s': '%c' is not a digit or one of I P W X C", (int)n,
			         p, c >= 0x20 && c < 0x7f ? c : '?');
			talad_seterr(err, errlen, "%s", msg);
			return TALAD_EINVAL;
		}
		count[c]++;
		if (i == 0 || p[i - 1] != c)
			runs[c]++;
	}
	if (count['C'] != 1) {
		snprintf(msg, sizeof(msg), "template '%.*s' must have one C, at the end", (int)n,
		         p);
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	if (count['I'] == 0) {
		snprintf(msg, sizeof(msg), "template '%.*s' has no item code (I)", (int)n, p);
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	if ((count['P'] > 0) == (count['W'] > 0)) {
		snprintf(msg, sizeof(msg),
		         "template '%.*s' must carry either a price (P) or a weight (W)", (int)n,
		         p);
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	if (runs['I'] > 1 || runs['P'] > 1 || runs['W'] > 1) {
		snprintf(msg, sizeof(msg), "template '%.*s': I, P and W must each be one run",
		         (int)n, p);
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

int barcode_template_parse(const char *spec, struct barcode_template *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!spec)
		return TALAD_OK;
	const char *s = spec;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		size_t n = strcspn(s, ", \t");
		if (n == 0) {
			talad_seterr(err, errlen, "empty template in the list");
			memset(out, 0, sizeof(*out));
			return TALAD_EINVAL;
		}
		int rc = template_check(s, n, err, errlen);
		if (rc != TALAD_OK) {
			memset(out, 0, sizeof(*out));
			return rc;
		}
		if (out->n == BARCODE_TEMPLATES_MAX) {
			talad_seterr(err, errlen, "too many templates (at most 8)");
			memset(out, 0, sizeof(*out));
			return TALAD_EINVAL;
		}
		memcpy(out->pattern[out->n], s, n);
		out->pattern[out->n][n] = '\0';
		out->n++;
		s += n;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ',') {
			s++;
			while (*s == ' ' || *s == '\t')
				s++;
			if (!*s) {
				talad_seterr(err, errlen, "empty template in the list");
				memset(out, 0, sizeof(*out));
				return TALAD_EINVAL;
			}
		}
	}
	return TALAD_OK;
}

/* Does the digit string c fit the shape of pattern p (length, literals)? */
static bool template_fits(const char *p, const char *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (c[i] < '0' || c[i] > '9')
			return false;
		if (p[i] >= '0' && p[i] <= '9' && p[i] != c[i])
			return false;
	}
	return true;
}

int barcode_instore_decode(const struct barcode_template *t, const char *code,
                           struct barcode_instore *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	size_t clen = code ? strlen(code) : 0;
	for (size_t k = 0; k < t->n; k++) {
		const char *p = t->pattern[k];
		size_t n = strlen(p);
		const char *c = code;
		/* Some scanners send every UPC-A as its 13-digit GTIN. */
		if (n == 12 && clen == 13 && code[0] == '0')
			c = code + 1;
		else if (clen != n)
			continue;
		if (!template_fits(p, c, n))
			continue;
		if (!check_ok(c, n)) {
			talad_seterr(err, errlen, "bad check digit");
			return TALAD_EINVAL;
		}
		size_t ni = 0;
		int64_t value = 0;
		char base[BARCODE_TEMPLATE_LEN + 1];
		for (size_t i = 0; i < n; i++) {
			base[i] = c[i];
			switch (p[i]) {
			case 'I':
				out->item[ni++] = c[i];
				break;
			case 'P':
			case 'W':
				/* At most 11 digits (13 less C and the 2): no overflow. */
				value = value * 10 + (c[i] - '0');
				base[i] = '0';
				break;
			default:
				break;
			}
		}
		out->item[ni] = '\0';
		int cd;
		barcode_check_digit(base, n - 1, &cd);
		base[n - 1] = (char)('0' + cd);
		base[n] = '\0';
		memcpy(out->base, base, n + 1);
		if (strchr(p, 'P')) {
			out->has_price = true;
			out->price = value;
		} else {
			out->has_weight = true;
			out->weight_g = value;
		}
		out->template_index = k;
		return TALAD_OK;
	}
	return TALAD_ENOTFOUND;
}

int barcode_weight_price(int64_t price_per_kg, int64_t grams, int64_t *out)
{
	if (price_per_kg < 0 || grams < 0)
		return TALAD_EINVAL;
	__int128 v = (__int128)price_per_kg * grams;
	v = (v + 500) / 1000; /* both >= 0: half away from zero is half up */
	if (v > INT64_MAX)
		return TALAD_ERANGE;
	*out = (int64_t)v;
	return TALAD_OK;
}
