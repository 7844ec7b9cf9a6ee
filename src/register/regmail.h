/* E-mailed receipts on the register: where a receipt.email request stands
 * after the last push, and the words the cashier is told. The back office
 * sends the mail; the register only queues the request in its outbox (with
 * the sale, or later with `talad receipt email`) and pushes it. */
#ifndef TALAD_REGMAIL_H
#define TALAD_REGMAIL_H

#include "register/rstore.h"

#include <stddef.h>
#include <stdio.h>

enum regmail_state {
	REGMAIL_QUEUED,  /* still in the outbox: sent once the register syncs */
	REGMAIL_HANDED,  /* the back office has it and sends it */
	REGMAIL_REFUSED, /* the back office refused it (reason given) */
};

/* "queued", "sent_to_back_office", "refused" (the --json status). */
const char *regmail_state_name(enum regmail_state s);

/* The state of the newest receipt.email request of order_id to email; the
 * back office's reason goes to error when refused ("" otherwise). A request
 * that cannot be read counts as queued. */
enum regmail_state regmail_state(struct rstore *st, const char *order_id, const char *email,
                                 char *error, size_t errlen);

/* Tells the cashier, one line on f:
 *   handed: "receipt e-mail sent to the back office for delivery to ADDRESS"
 *   queued: "no connection: the e-mail is queued and will be sent once the
 *            register syncs (to ADDRESS)"
 *   refused: "the back office refused the receipt e-mail to ADDRESS: WHY" */
void regmail_tell(FILE *f, enum regmail_state s, const char *email, const char *error);

/* One short push of the outbox, as after a sale (budget_ms in all), its
 * outcome recorded for `talad status`. Never fails: what is not pushed now
 * goes with the next sync. */
void regmail_push(struct rstore *st, long budget_ms);

#endif
