/* Payment gateways: the interface through which the back office reaches a
 * card processor, and the one gateway built in, "test", whose outcome is
 * decided by test card numbers the way hosted payment providers do it
 * (4242424242424242 approves, 4000000000000002 is declined,
 * 4000000000009995 is declined for insufficient funds, anything else is
 * declined as invalid). A card number goes in; only its brand and last four
 * digits and the gateway's reference come out. */
#ifndef TALAD_SERVER_GATEWAY_H
#define TALAD_SERVER_GATEWAY_H

#include "core/card.h"

#include <stdbool.h>
#include <stdint.h>

#define GATEWAY_TEST_NAME  "test"
#define GATEWAY_TEST_LABEL "TEST GATEWAY \xe2\x80\x94 no real money moves"
#define GATEWAY_REF_MAX    64

/* What the processor said to an authorization request. A decline is an
 * answer, not an error. */
struct gateway_decision {
	bool approved;
	char code[32];     /* "" when approved; card_declined, insufficient_funds, invalid_number */
	char message[128]; /* lower case, for the cashier */
	char ref[GATEWAY_REF_MAX];  /* the gateway's reference ("test_9f2c...") */
	char brand[CARD_BRAND_MAX]; /* "visa" */
	char last4[5];
};

struct gateway {
	const char *name;  /* "test": stored with every authorization */
	const char *label; /* shown wherever its payments show */
	bool test;         /* no real money moves */
	/* Asks for a hold of amount (minor units of currency) on the card.
	 * TALAD_OK with the decision, or TALAD_EOFFLINE / TALAD_ETIMEOUT when
	 * the processor cannot be reached (nothing was authorised). The number
	 * is only read. */
	int (*authorize)(const struct gateway *g, const char *number, int64_t amount,
	                 const char *currency, struct gateway_decision *out);
	/* Turns the hold of ref into a charge of amount. TALAD_OK, or an error
	 * when the processor refuses (TALAD_EREFUSED) or cannot be reached. */
	int (*capture)(const struct gateway *g, const char *ref, int64_t amount);
	/* Releases the hold of ref. TALAD_OK, or as capture. */
	int (*release)(const struct gateway *g, const char *ref);
};

/* The gateway named name, or NULL when this build has none by that name. */
const struct gateway *gateway_find(const char *name);
/* The gateway card payments go to. */
const struct gateway *gateway_default(void);

/* The test gateway's decision for a card number (as the register sent it),
 * without a reference: what its authorize answers, for tests and docs. */
void gateway_test_decide(const char *number, struct gateway_decision *out);

#endif
