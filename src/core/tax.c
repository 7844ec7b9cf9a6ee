/* Tax: rates in millionths, the tax contained in a tax-included price or
 * added to a tax-excluded one, and the text forms of rates and rounding
 * modes. Rounding is half away from zero, via money_muldiv. */
#include "core/tax.h"

#include "common/err.h"
#include "core/money.h"

#include <string.h>

/* A rate is a percentage with up to 4 decimals: in ten-thousandths of a
 * percent, which are exactly millionths, so it parses as an amount with
 * exponent 4. */
#define RATE_EXPONENT 4

static bool rate_ok(int64_t rate_ppm)
{
	return rate_ppm >= 0 && rate_ppm <= TAX_PPM_ONE;
}

int tax_rate_parse(const char *s, int64_t *rate_ppm)
{
	int64_t v;

	/* money_parse takes "-0"; a rate has no sign at all. */
	if (!s || *s == '-')
		return TALAD_EINVAL;
	if (money_parse(s, RATE_EXPONENT, &v, NULL, 0) != TALAD_OK || !rate_ok(v))
		return TALAD_EINVAL;
	*rate_ppm = v;
	return TALAD_OK;
}

/* Rates outside 0..100 % come from nowhere valid; "invalid" says so rather
 * than printing a number that was never a rate. */
void tax_rate_format(int64_t rate_ppm, char out[TAX_RATE_STRLEN])
{
	char buf[MONEY_STRLEN];
	size_t len;

	if (!rate_ok(rate_ppm)) {
		strcpy(out, "invalid");
		return;
	}
	money_format(rate_ppm, RATE_EXPONENT, buf);
	len = strlen(buf);
	while (buf[len - 1] == '0')
		buf[--len] = '\0';
	if (buf[len - 1] == '.')
		buf[--len] = '\0';
	memcpy(out, buf, len + 1); /* at most "100" or "99.9999" */
}

int tax_included_part(int64_t gross, int64_t rate_ppm, int64_t *tax)
{
	if (!rate_ok(rate_ppm))
		return TALAD_EINVAL;
	return money_muldiv(gross, rate_ppm, TAX_PPM_ONE + rate_ppm, tax);
}

int tax_on_excluded(int64_t net, int64_t rate_ppm, int64_t *tax)
{
	if (!rate_ok(rate_ppm))
		return TALAD_EINVAL;
	return money_muldiv(net, rate_ppm, TAX_PPM_ONE, tax);
}

int tax_rounding_parse(const char *s, enum tax_rounding *out)
{
	if (!s)
		return TALAD_EINVAL;
	if (strcmp(s, "line") == 0) {
		*out = TAX_ROUND_LINE;
		return TALAD_OK;
	}
	if (strcmp(s, "order") == 0) {
		*out = TAX_ROUND_ORDER;
		return TALAD_OK;
	}
	return TALAD_EINVAL;
}

const char *tax_rounding_name(enum tax_rounding r)
{
	switch (r) {
	case TAX_ROUND_LINE:
		return "line";
	case TAX_ROUND_ORDER:
		return "order";
	}
	return "unknown";
}
