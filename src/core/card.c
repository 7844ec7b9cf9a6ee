/* Card numbers: Luhn, brand by prefix, last four digits. A number is never
 * copied into a message: errors describe it, they do not repeat it. */
#include "core/card.h"

#include "common/err.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool card_luhn_ok(const char *digits)
{
	size_t n = digits ? strlen(digits) : 0;
	int sum = 0;

	if (n < CARD_NUMBER_MIN || n > CARD_NUMBER_MAX || !all_digits(digits, n))
		return false;
	/* From the right: every second digit doubled, 10..18 folded to 1..9. */
	for (size_t i = 0; i < n; i++) {
		int d = digits[n - 1 - i] - '0';
		if (i % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum % 10 == 0;
}

/* The number formed by the first n digits, or -1 when there are fewer. */
static int prefix(const char *digits, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return -1;
		v = v * 10 + (digits[i] - '0');
	}
	return v;
}

const char *card_brand(const char *digits)
{
	int p1, p2, p4;

	if (!digits || strlen(digits) < 4)
		return "other";
	p1 = prefix(digits, 1);
	p2 = prefix(digits, 2);
	p4 = prefix(digits, 4);
	if (p1 == 4)
		return "visa";
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return "mastercard";
	if (p2 == 34 || p2 == 37)
		return "amex";
	if (p4 >= 3528 && p4 <= 3589)
		return "jcb";
	if (p2 == 62)
		return "unionpay";
	return "other";
}

int card_number_parse(const char *s, char out[CARD_NUMBER_MAX + 1], char *err, size_t errlen)
{
	char d[CARD_NUMBER_MAX + 1];
	size_t n = 0;

	if (!s || !*s) {
		talad_seterr(err, errlen, "no card number was read");
		return TALAD_EINVAL;
	}
	for (; *s; s++) {
		if (*s == ' ' || *s == '-')
			continue;
		if (*s < '0' || *s > '9') {
			card_wipe(d, sizeof(d));
			talad_seterr(err, errlen, "a card number is made of digits only");
			return TALAD_EINVAL;
		}
		if (n == CARD_NUMBER_MAX) {
			card_wipe(d, sizeof(d));
			talad_seterr(err, errlen, "a card number has at most %d digits",
			             CARD_NUMBER_MAX);
			return TALAD_EINVAL;
		}
		d[n++] = *s;
	}
	d[n] = '\0';
	if (n < CARD_NUMBER_MIN) {
		card_wipe(d, sizeof(d));
		talad_seterr(err, errlen, "a card number has at least %d digits", CARD_NUMBER_MIN);
		return TALAD_EINVAL;
	}
	if (!card_luhn_ok(d)) {
		card_wipe(d, sizeof(d));
		talad_seterr(err, errlen,
		             "the card number is not valid (its check digit is wrong)");
		return TALAD_EINVAL;
	}
	memcpy(out, d, n + 1);
	card_wipe(d, sizeof(d));
	return TALAD_OK;
}

void card_last4(const char *digits, char out[5])
{
	size_t n = digits ? strlen(digits) : 0;

	out[0] = '\0';
	if (n < 4 || !all_digits(digits + n - 4, 4))
		return;
	memcpy(out, digits + n - 4, 5);
}

void card_wipe(char *number, size_t len)
{
	if (number && len)
		sodium_memzero(number, len);
}
