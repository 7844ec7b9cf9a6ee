/* The gateway table and the built-in test gateway. The test gateway keeps no
 * state: its decisions follow from the number alone, and capture and release
 * always succeed, so an authorization that the server stored survives a
 * restart unchanged. */
#include "server/gateway.h"
#include "common/err.h"
#include "common/xalloc.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define TEST_APPROVE      "4242424242424242"
#define TEST_DECLINE      "4000000000000002"
#define TEST_INSUFFICIENT "4000000000009995"

static void decide(struct gateway_decision *d, bool approved, const char *code, const char *msg)
{
	d->approved = approved;
	strlcpy_t(d->code, code, sizeof(d->code));
	strlcpy_t(d->message, msg, sizeof(d->message));
}

void gateway_test_decide(const char *number, struct gateway_decision *out)
{
	char digits[CARD_NUMBER_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (card_number_parse(number, digits, NULL, 0) != TALAD_OK) {
		decide(out, false, "invalid_number", "the card number is not valid");
		return;
	}
	strlcpy_t(out->brand, card_brand(digits), sizeof(out->brand));
	card_last4(digits, out->last4);
	if (!strcmp(digits, TEST_APPROVE))
		decide(out, true, "", "approved");
	else if (!strcmp(digits, TEST_DECLINE))
		decide(out, false, "card_declined", "the card was declined");
	else if (!strcmp(digits, TEST_INSUFFICIENT))
		decide(out, false, "insufficient_funds",
		       "the card was declined: insufficient funds");
	else
		decide(out, false, "invalid_number",
		       "the card number is not valid (the test gateway knows only its test"
		       " card numbers)");
	card_wipe(digits, sizeof(digits));
}

static int test_authorize(const struct gateway *g, const char *number, int64_t amount,
                          const char *currency, struct gateway_decision *out)
{
	unsigned char rnd[12];

	(void)g;
	(void)currency;
	gateway_test_decide(number, out);
	if (out->approved && amount <= 0)
		decide(out, false, "invalid_amount", "the amount must be more than zero");
	/* A reference for declines too: the attempt is on record either way. */
	randombytes_buf(rnd, sizeof(rnd));
	char hex[2 * sizeof(rnd) + 1];
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(out->ref, sizeof(out->ref), "test_%s", hex);
	return TALAD_OK;
}

static int test_capture(const struct gateway *g, const char *ref, int64_t amount)
{
	(void)g;
	(void)amount;
	return strncmp(ref, "test_", 5) ? TALAD_EREFUSED : TALAD_OK;
}

static int test_release(const struct gateway *g, const char *ref)
{
	(void)g;
	return strncmp(ref, "test_", 5) ? TALAD_EREFUSED : TALAD_OK;
}

static const struct gateway test_gateway = {
    .name = GATEWAY_TEST_NAME,
    .label = GATEWAY_TEST_LABEL,
    .test = true,
    .authorize = test_authorize,
    .capture = test_capture,
    .release = test_release,
};

static const struct gateway *const gateways[] = {&test_gateway};

const struct gateway *gateway_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(gateways) / sizeof(gateways[0]); i++)
		if (!strcmp(gateways[i]->name, name))
			return gateways[i];
	return NULL;
}

const struct gateway *gateway_default(void)
{
	return &test_gateway;
}
