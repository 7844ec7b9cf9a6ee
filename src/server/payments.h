/* Payments on the back office: the authorizations registers ask for before
 * they commit a sale -- a card through the payment gateway, a gift card by a
 * hold on its balance -- their void and expiry, and their capture when the
 * order that carries their references arrives through the outbox push.
 * Authorizations live in the database, so a restart between authorization
 * and capture loses nothing; a hold never captured expires. */
#ifndef TALAD_SERVER_PAYMENTS_H
#define TALAD_SERVER_PAYMENTS_H

#include "core/order.h"
#include "core/tender.h"
#include "server/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAYMENTS_TTL_DEFAULT_MS (24LL * 3600 * 1000) /* an uncaptured hold lasts a day */
#define PAYMENTS_TTL_MAX_MS     (30LL * 24 * 3600 * 1000)
#define PAYMENTS_AMOUNT_MAX     1000000000000000LL /* minor units */
#define PAYMENTS_GIFT_GATEWAY   "gift_card"
#define PAYMENTS_GIFT_CODE_MIN  4
#define PAYMENTS_GIFT_CODE_MAX  32

struct payments_request {
	const char *id;          /* the authorization id, a UUID made by the register */
	const char *order_id;    /* the register's id of the order it will commit */
	enum tender_kind method; /* TENDER_CARD or TENDER_GIFT_CARD */
	int64_t amount;          /* minor units, 1..PAYMENTS_AMOUNT_MAX */
	const char *card_number; /* card: as read by the register's reader; never stored */
	const char *gift_code;   /* gift card: as typed, any case */
};

/* Upper-cases a gift card code into out (ST_GIFTCODE_MAX bytes). TALAD_OK,
 * or TALAD_EINVAL when it is not PAYMENTS_GIFT_CODE_MIN..MAX of A-Z, 0-9 and
 * '-' (any case). */
int payments_gift_code(const char *code, char out[ST_GIFTCODE_MAX]);

/* Asks for an authorization and records it (approved or declined) in its own
 * write transaction. A request whose id was seen before answers what was
 * decided then. TALAD_OK with *out (out->status "authorized" or
 * "declined"); for a gift card *available (may be NULL) gets what the card
 * still has available afterwards (-1 when there is no such card).
 * TALAD_ECONFLICT when the id was used for another request, TALAD_EOFFLINE
 * when the gateway cannot be reached, or a store error. */
int payments_authorize(struct store *st, const struct st_register *reg, const char *currency,
                       const struct payments_request *rq, int64_t ttl_ms, struct st_auth *out,
                       int64_t *available);

/* Voids an authorization of this register that was not captured, releasing
 * its hold, in its own transaction. TALAD_OK with *out as it stands now (a
 * declined, voided or expired one is left as it is); TALAD_ENOTFOUND when the
 * register has no authorization with this id; TALAD_ECONFLICT when it was
 * captured already (the order arrived); or a store error. */
int payments_void(struct store *st, const char *register_id, const char *id, struct st_auth *out);

/* Expires the holds that are due (in the caller's transaction). */
int payments_expire(struct store *st, int64_t now);

/* In the push transaction, before the order is stored: every card and gift
 * card payment of o must carry the reference of an authorization this
 * register obtained for this order, method, amount and card, that is still
 * capturable. TALAD_OK with *refused false, or with *refused true and a code
 * and lower-case message for the rejection; or a store error. */
int payments_check_order(struct store *st, const char *register_id, const struct order *o,
                         int64_t now, bool *refused, char *code, size_t codelen, char *msg,
                         size_t msglen);

/* After the order is stored in the same transaction: captures what
 * payments_check_order accepted (once: a captured one is left alone).
 * TALAD_OK, a store error, or the gateway's error when it cannot capture. */
int payments_capture_order(struct store *st, const struct order *o, int64_t now);

/* The status to show: "expired" for an authorized hold past its expiry that
 * no one has swept yet, else the stored one. */
const char *payments_shown_status(const struct st_auth *a, int64_t now);

#endif
