/* The till's cart in progress, kept in the local store (setting "till.cart")
 * and written on every change, so that a till killed at any moment comes
 * back with the same cart, the payments already entered, and -- when it died
 * while committing the sale -- the knowledge of whether the sale went in. */
#ifndef TALAD_TILL_CART_H
#define TALAD_TILL_CART_H

#include "core/cart.h"
#include "core/tender.h"
#include "register/rstore.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define TILL_CART_KEY     "till.cart"
#define TILL_CART_VERSION 1

/* A payment the cashier has entered but that is not yet part of a sale. */
struct till_tender {
	struct tender t;                /* has_amount is always true in the till */
	char reference[TENDER_REF_MAX]; /* a card authorisation, "" for none */
	char card_brand[16];
	char card_last4[5];
	char auth_id[UUID_STRLEN + 1]; /* the back office's authorization (rpay), "" for none */
};

struct till_cart {
	struct cart cart; /* lines and discounts; priced by the caller */
	struct till_tender tenders[TENDER_MAX];
	size_t ntenders;
	char staff_id[RSTORE_ID_MAX]; /* who started the cart, "" when unknown */
	/* The id the sale will be committed under, set when a card or gift
	   card payment is authorized for it; "" until then. */
	char order_id[UUID_STRLEN + 1];
	/* Set just before the sale is committed: the receipt counter and the
	   total then, so that a restart can tell whether the commit happened. */
	bool paying;
	int64_t paying_since; /* ms since the epoch */
	int64_t paying_counter;
	int64_t paying_total;
};

/* An empty cart with the shop's tax rule. */
void till_cart_init(struct till_cart *tc, const struct tax_rule *tax);
/* Frees the lines; till_cart_init makes it usable again. NULL is fine. */
void till_cart_release(struct till_cart *tc);
/* Empties the lines, discounts, tenders and the paying mark. */
void till_cart_reset(struct till_cart *tc);
/* True when there is nothing worth keeping: no line and no tender. */
bool till_cart_empty(const struct till_cart *tc);

/* The JSON form; the caller owns the object. */
json_t *till_cart_to_json(const struct till_cart *tc);
/* Reads the JSON form into tc (till_cart_init'ed with the tax rule to use);
 * every line goes through cart_add_line's checks. TALAD_OK or TALAD_EINVAL
 * with a message in err (tc is then empty). */
int till_cart_from_json(const json_t *j, struct till_cart *tc, char *err, size_t errlen);

/* Writes the cart to the store (an empty cart removes the key). TALAD_OK or
 * the store's error. */
int till_cart_save(struct rstore *st, const struct till_cart *tc);
/* Reads the saved cart into tc. TALAD_OK; TALAD_ENOTFOUND when none is saved;
 * TALAD_EINVAL with a message in err when the saved text cannot be used (it
 * is left in place for inspection under "till.cart-bad"). */
int till_cart_load(struct rstore *st, struct till_cart *tc, char *err, size_t errlen);
/* Removes the saved cart. TALAD_OK when there was none, too. */
int till_cart_clear(struct rstore *st);

/* After a restart with the paying mark set: looks for an order committed
 * since the mark (number above paying_counter, created at or after
 * paying_since, the same total). TALAD_OK with its number in number (size
 * ORDER_NUMBER_MAX) when the sale went in; TALAD_ENOTFOUND when it did not. */
int till_cart_find_committed(struct rstore *st, const struct till_cart *tc, char *number,
                             size_t len);

#endif
