/* `talad receipt email ORDER ADDRESS [--json]`, dispatched by cmd_receipt
 * (cmd_hw.h's convention: the open store, argv[0] "receipt", argv[1]
 * "email"; results on out, messages on err). Exit status 0 when the request
 * is queued or handed to the back office, 1 when it cannot be recorded or
 * the back office refused it, 2 for bad usage (an address that is not one). */
#ifndef TALAD_CMD_RECEIPT_EMAIL_H
#define TALAD_CMD_RECEIPT_EMAIL_H

#include "register/rstore.h"

#include <stdio.h>

int cmd_receipt_email(struct rstore *st, int argc, char **argv, FILE *out, FILE *err);

#endif
