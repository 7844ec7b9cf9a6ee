/* PromptPay QR payments on the command line (`talad sell ... --pay
 * "custom:PromptPay QR"`): the QR code of the payment drawn in the terminal
 * with block characters, the cashier's confirmation that the customer paid,
 * and that confirmation recorded as the payment's reference. The payload and
 * the symbol are the till's (till_qr.h); this is the terminal around them. */
#ifndef TALAD_PROMPTPAY_H
#define TALAD_PROMPTPAY_H

#include "core/money.h"
#include "core/tender.h"
#include "register/rstore.h"
#include "register/till_qr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The register's own PromptPay id (talad config set promptpay-id ...),
 * which wins over the shop's from the back office. */
#define PROMPTPAY_CONFIG_KEY  "promptpay-id"
#define PROMPTPAY_DEFAULT_REF "confirmed by the cashier"

/* A custom payment method that is PromptPay: its name contains "promptpay"
 * in any case ("PromptPay QR", "promptpay"). */
bool promptpay_method(const char *name);

/* The check `talad config set` makes: a PromptPay id for promptpay-id (a
 * mobile number, a 13-digit national or tax id, a 15-digit e-wallet id),
 * anything for other keys. TALAD_OK or TALAD_EINVAL with a message. */
int promptpay_config_check(const char *key, const char *value, char *err, size_t errlen);

/* The id this register shows: promptpay-id when set, else the shop's; ""
 * when neither is set. out holds len bytes. */
void promptpay_id(struct rstore *st, char *out, size_t len);

/* A reference as the cashier gives it (--confirm or typed): 1 to
 * TENDER_REF_MAX - 1 bytes of text without control characters. */
bool promptpay_ref_valid(const char *ref);

/* Draws qr in the terminal: two module rows per text row with half blocks,
 * a quiet zone of two modules, light modules as blocks in bright white on
 * black (ANSI colours, so a light terminal theme does not invert it). */
void promptpay_draw_qr(FILE *f, const struct till_qr *qr);

/* Confirms each PromptPay payment of s before the sale is committed. With
 * confirm (--confirm REF) each takes it as its reference without a
 * question. Otherwise, on a terminal (in and out are the terminal), the QR
 * code for the payment's amount is drawn and the cashier asked for the
 * reference the customer's app shows and whether the money arrived (y/N);
 * the reference is recorded, PROMPTPAY_DEFAULT_REF when none was typed.
 * TALAD_OK when every PromptPay payment is confirmed (or there is none);
 * TALAD_EREFUSED when the cashier said no; TALAD_ESTATE when there is no
 * terminal to ask on (in NULL) and no confirm: a message in err. *asked is
 * the number of PromptPay payments (may be NULL). */
int promptpay_confirm(struct rstore *st, const struct currency *cur, struct settlement *s,
                      const char *confirm, FILE *in, FILE *out, size_t *asked, char *err,
                      size_t errlen);

/* promptpay_confirm for `talad sell`: the terminal is /dev/tty when standard
 * input is a terminal, else there is none. Also TALAD_EINVAL when confirm is
 * given but is not a valid reference or the sale has no PromptPay payment
 * (a usage error). */
int promptpay_confirm_sale(struct rstore *st, const struct currency *cur, struct settlement *s,
                           const char *confirm, char *err, size_t errlen);

#endif
