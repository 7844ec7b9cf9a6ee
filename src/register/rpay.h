/* The register's side of card and gift card payments. Before a sale that
 * takes them is committed, each such payment is authorized by the back
 * office (POST /api/v1/payments/authorize) under the sale's order id; when
 * one is declined or the back office stops answering, those already approved
 * are voided and nothing is recorded. A journal file in the home directory
 * names the authorizations of a sale in flight, so that the ones of a
 * register killed before its commit are voided the next time it syncs or
 * sells online. */
#ifndef TALAD_RPAY_H
#define TALAD_RPAY_H

#include "common/uuid.h"
#include "core/tender.h"
#include "register/card_reader.h"
#include "register/rhttp.h"
#include "register/rstore.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPAY_JOURNAL_DIR   "payments-in-flight"
#define RPAY_ORPHAN_AGE_MS (10LL * 60 * 1000) /* a live sale never takes this long */

/* Why a payment was not approved. */
struct rpay_decline {
	size_t index;  /* which payment of the settlement */
	char code[32]; /* card_declined, insufficient_funds, invalid_number, unknown_gift_card */
	char message[256]; /* lower case, from the back office */
	char what[64];     /* "visa ****9995", "gift card ****3F2A", or "card" */
};

struct rpay_auth {
	char id[UUID_STRLEN + 1];
	size_t index;  /* the payment it is for */
	bool approved; /* the back office holds it: void it unless the sale commits */
	bool asked;    /* a request went out (the answer may have been lost) */
};

struct rpay {
	struct rhttp http;
	char dir[PATH_MAX];          /* HOME/payments-in-flight */
	char journal[PATH_MAX + 64]; /* this sale's journal file, "" when none */
	char order_id[UUID_STRLEN + 1];
	struct rpay_auth auths[TENDER_MAX];
	size_t n;
};

/* Binds to the register's pairing (the back office URL and token); home is
 * the register's home directory. TALAD_OK, or TALAD_ESTATE when not logged
 * in (message in err). Release with rpay_release. */
int rpay_init(struct rpay *p, struct rstore *st, const char *home, char *err, size_t errlen);
void rpay_release(struct rpay *p);

/* Authorizes the card and gift card payments of s, in order, for the order
 * order_id (which the sale must then be committed under). A card payment's
 * number is read from reader (NULL when s has none) and sent once. On
 * approval each payment gets its reference, and a card its brand and last
 * four digits, a gift card its code as the back office spells it.
 * TALAD_OK when all were approved. Otherwise the approved ones are voided
 * and: TALAD_EREFUSED with *decline for a decline; TALAD_EOFFLINE or
 * TALAD_ETIMEOUT when the back office could not be reached; TALAD_EINVAL
 * when the card could not be read; another error with a message in err. */
int rpay_authorize(struct rpay *p, const char *order_id, struct settlement *s,
                   const struct card_reader *reader, struct rpay_decline *decline, char *err,
                   size_t errlen);

/* Voids the approved authorizations (the sale was not committed). TALAD_OK
 * when every one is void and the journal is gone; otherwise the first error
 * (the journal stays, for rpay_recover or the back office's expiry). */
int rpay_void_all(struct rpay *p, char *err, size_t errlen);

/* The sale was committed: its journal is no longer needed. */
void rpay_committed(struct rpay *p);

/* The till takes the card and gift card payments of a split sale one at a
 * time, as the customer hands them over, rather than all at the end as
 * `talad sell` does; the two calls below are that way of using the same
 * requests and journal. */

/* Authorizes one more card or gift card payment pm of the sale order_id,
 * keeping what earlier calls approved for it (all go into the journal
 * before the request). p must hold no other sale's open authorizations
 * (TALAD_ESTATE otherwise). On approval pm is filled as by rpay_authorize
 * and the authorization's id copied to id. Otherwise this one alone is
 * voided when it may exist, the others stay approved, and the codes are
 * rpay_authorize's. */
int rpay_authorize_one(struct rpay *p, const char *order_id, struct payment *pm,
                       const struct card_reader *reader, char id[UUID_STRLEN + 1],
                       struct rpay_decline *decline, char *err, size_t errlen);

/* Voids one authorization of the sale (the cashier took the payment back)
 * and forgets it; the journal then names the others, or is removed. TALAD_OK
 * also for an id p does not hold; otherwise the error, and it stays. */
int rpay_void_one(struct rpay *p, const char *id, char *err, size_t errlen);

/* How many authorizations p holds that may exist on the back office: those
 * its sale must commit or void. */
size_t rpay_open_count(const struct rpay *p);

/* Voids the authorizations of sales in flight that never committed: those
 * journals in home whose order is not in the store and whose process is gone
 * (or older than RPAY_ORPHAN_AGE_MS). Quietly keeps what cannot be voided
 * now. *voided (may be NULL) counts the authorizations voided. TALAD_OK or
 * the first error. */
int rpay_recover(struct rstore *st, const char *home, size_t *voided);

#endif
