/* Payment card numbers: the Luhn check digit, the brand from the number's
 * prefix, and the only parts of a card that may ever be kept or printed (the
 * brand and the last four digits). No I/O: the register checks a number here
 * before it sends it; the back office's gateways check it again. */
#ifndef TALAD_CARD_H
#define TALAD_CARD_H

#include <stdbool.h>
#include <stddef.h>

#define CARD_NUMBER_MIN 12 /* digits */
#define CARD_NUMBER_MAX 19
#define CARD_BRAND_MAX  16 /* bytes with the NUL, as struct payment's card_brand */

/* True when digits is CARD_NUMBER_MIN..CARD_NUMBER_MAX ASCII digits and its
 * last digit is the Luhn check digit of the others. */
bool card_luhn_ok(const char *digits);

/* The brand from the number's prefix: "visa" (4), "mastercard" (51-55,
 * 2221-2720), "amex" (34, 37), "jcb" (3528-3589), "unionpay" (62), else
 * "other". Never NULL; a static string. */
const char *card_brand(const char *digits);

/* A number as typed or read by a reader ("4242 4242 4242 4242",
 * "4242-4242-...") into bare digits: spaces and dashes are dropped, anything
 * else is refused. TALAD_OK with out set (CARD_NUMBER_MAX + 1 bytes), or
 * TALAD_EINVAL with a lower-case message in err (not digits, too short or too
 * long, a wrong check digit) that never repeats the number. */
int card_number_parse(const char *s, char out[CARD_NUMBER_MAX + 1], char *err, size_t errlen);

/* The last four digits of a number of at least four digits ("" otherwise). */
void card_last4(const char *digits, char out[5]);

/* Overwrites a number held in memory once it is no longer needed. */
void card_wipe(char *number, size_t len);

#endif
