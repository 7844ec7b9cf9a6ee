/* Tax: one rate per shop (or location), prices that include tax (Thailand,
 * the EU) or exclude it (the US), rounding half away from zero per line or
 * per order. Rates are held in millionths: 7 % is 70000. */
#ifndef TALAD_TAX_H
#define TALAD_TAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAX_PPM_ONE     1000000 /* 100 % */
#define TAX_RATE_STRLEN 16

enum tax_rounding {
	TAX_ROUND_LINE = 0,  /* each line's tax rounded, then summed */
	TAX_ROUND_ORDER = 1, /* tax of the order total rounded once, then
	                        allocated to lines (largest remainder) */
};

struct tax_rule {
	int64_t rate_ppm; /* 0 .. TAX_PPM_ONE */
	bool included;    /* shelf prices include the tax */
	enum tax_rounding rounding;
};

/* "7", "7.5", "8.875" (percent, up to 4 decimals, 0..100) to millionths.
 * TALAD_OK or TALAD_EINVAL. */
int tax_rate_parse(const char *s, int64_t *rate_ppm);
/* 70000 -> "7", 75000 -> "7.5". out holds TAX_RATE_STRLEN bytes. A rate
 * outside 0..TAX_PPM_ONE is written as "invalid". */
void tax_rate_format(int64_t rate_ppm, char out[TAX_RATE_STRLEN]);

/* The tax contained in a tax-included amount: gross * rate / (1 + rate),
 * rounded half away from zero (Thai VAT: total * 7 / 107). Both return
 * TALAD_OK or TALAD_EINVAL (a rate outside 0..TAX_PPM_ONE). */
int tax_included_part(int64_t gross, int64_t rate_ppm, int64_t *tax);
/* The tax to add to a tax-excluded amount: net * rate, rounded. */
int tax_on_excluded(int64_t net, int64_t rate_ppm, int64_t *tax);

/* "line" / "order" <-> enum; TALAD_OK or TALAD_EINVAL. */
int tax_rounding_parse(const char *s, enum tax_rounding *out);
const char *tax_rounding_name(enum tax_rounding r);

#endif
