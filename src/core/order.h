/* The order record: written once on the register, never edited, and its JSON
 * form used by the sync protocol (amounts as integers in minor units). The
 * JSON reader validates every field strictly and re-prices the lines with
 * cart_price(), so a record whose totals do not add up is refused. */
#ifndef TALAD_ORDER_H
#define TALAD_ORDER_H

#include "common/uuid.h"
#include "core/cart.h"
#include "core/tender.h"

#include <jansson.h>
#include <stdint.h>

#define ORDER_NUMBER_MAX 32 /* "R01-000042" */
#define ORDER_EMAIL_MAX  254
#define ORDER_NOTE_MAX   512
#define ORDER_SHIP_MAX   512

struct order {
	char id[UUID_STRLEN + 1];      /* made on the register */
	char number[ORDER_NUMBER_MAX]; /* register code + gap-free number */
	char register_id[UUID_STRLEN + 1];
	char location_id[UUID_STRLEN + 1];
	char staff_id[UUID_STRLEN + 1];  /* "" when not known */
	int64_t created_at;              /* register clock, ms since the epoch */
	char currency[4];                /* ISO 4217 */
	struct cart cart;                /* lines, discounts, tax rule, totals */
	struct settlement settlement;    /* payments, rounding, change */
	char email[ORDER_EMAIL_MAX + 1]; /* receipt e-mail, "" for none */
	char ship_to[ORDER_SHIP_MAX];    /* shipping address, "" for none */
	char note[ORDER_NOTE_MAX];
};

/* Sets up an empty order (zeroed, cart initialised with the tax rule). */
void order_init(struct order *o, const struct tax_rule *tax);
/* Frees what the order holds. NULL is fine. */
void order_release(struct order *o);

/* The JSON form; the caller owns the returned object (json_decref). */
json_t *order_to_json(const struct order *o);

/* Reads and validates an order from JSON: every field present with the right
 * type and range, ids are UUIDs, the currency known, the lines re-priced with
 * cart_price() and every computed amount equal to what the JSON says, the
 * payments adding up to the due amount. o must have been order_init'ed; on
 * failure it is left released-and-empty. TALAD_OK or TALAD_EINVAL with a
 * message naming the field in err. */
int order_from_json(const json_t *j, struct order *o, char *err, size_t errlen);

#endif
