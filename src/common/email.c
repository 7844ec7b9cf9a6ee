/* The strict e-mail address check shared by the register and the back office
 * (email.h): what passes goes into "MAIL FROM:<...>" / "RCPT TO:<...>" and a
 * To: header without quoting or escaping. */
#include "common/email.h"

#include <string.h>

static bool atext(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool refuse(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return false;
}

bool email_address_valid(const char *s, const char **why)
{
	if (!s || !*s)
		return refuse(why, "is empty");
	size_t n = strlen(s);
	if (n > EMAIL_ADDRESS_MAX)
		return refuse(why, "is longer than 254 characters");
	const char *at = strchr(s, '@');
	if (!at)
		return refuse(why, "has no @");
	if (strchr(at + 1, '@'))
		return refuse(why, "has more than one @");
	size_t local = (size_t)(at - s);
	if (local == 0)
		return refuse(why, "has nothing before the @");
	if (local > 64)
		return refuse(why, "has more than 64 characters before the @");
	for (size_t i = 0; i < local; i++) {
		char c = s[i];
		if (c == '.') {
			if (i == 0 || i + 1 == local || s[i + 1] == '.')
				return refuse(why, "has a misplaced dot before the @");
			continue;
		}
		if (!atext(c))
			return refuse(why, "has a character that is not allowed before the @");
	}
	const char *d = at + 1;
	if (!*d)
		return refuse(why, "has no domain after the @");
	size_t labels = 0;
	const char *last = d;
	for (const char *p = d;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0)
			return refuse(why, "has an empty part in the domain");
		if (len > 63)
			return refuse(why, "has a domain part longer than 63 characters");
		for (size_t i = 0; i < len; i++) {
			char c = p[i];
			if (c == '-' && i > 0 && i + 1 < len)
				continue;
			if (!alnum(c))
				return refuse(why,
				              "has a character that is not allowed in the domain");
		}
		labels++;
		last = p;
		if (!dot)
			break;
		p = dot + 1;
	}
	if (labels < 2)
		return refuse(why, "has a domain without a dot");
	size_t tld = strlen(last);
	if (tld < 2)
		return refuse(why, "has a domain ending in a one-letter part");
	/* Internationalised top-level domains travel as "xn--" + letters and digits. */
	if (!strncmp(last, "xn--", 4) && tld > 4)
		return true;
	for (size_t i = 0; i < tld; i++)
		if (!alpha(last[i]))
			return refuse(why, "has a domain that does not end in letters");
	return true;
}
