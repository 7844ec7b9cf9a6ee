/* Fulfilments: an order sold with a shipping address ("talad sell --ship-to")
 * gets an unfulfilled shipping fulfilment when it arrives, for the merchant
 * to ship; the order views of the API show it. */
#ifndef TALAD_SERVER_FULFIL_H
#define TALAD_SERVER_FULFIL_H

#include "core/order.h"
#include "server/store.h"

#include <jansson.h>
#include <stdint.h>

/* In the push transaction, after the order is stored: an unfulfilled
 * shipping fulfilment when o carries ship_to (nothing otherwise; once per
 * order). TALAD_OK or a store error. */
int fulfil_on_order(struct store *st, const struct order *o, int64_t now);

/* The fulfilments of an order as a JSON array (new reference), or NULL
 * after a store error (err set). */
json_t *fulfil_json(struct store *st, const char *order_id, int *err);

#endif
