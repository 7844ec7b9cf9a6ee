/* `talad labels`: barcode labels for catalog variants, made from the
 * register's own catalog copy, so it works offline. */
#ifndef TALAD_CMD_LABELS_H
#define TALAD_CMD_LABELS_H

#include "register/rstore.h"

#include <stdio.h>

/* talad labels SKU... [--copies N] [--format zpl|png|svg] [--out FILE |
 * --printer URI]
 *
 * argv[0] is "labels". Each SKU may be a SKU or a barcode. Settings used:
 * label-printer (the default --printer), label-size ("50x30" mm),
 * label-dpmm (8), label-font, label-zpl-font. --out - writes to standard
 * output; --printer takes tcp://HOST[:PORT] (ZPL to a Zebra on 9100),
 * serial:, usb:, file: (ZPL) or cups:QUEUE (`lp`, PNG or raw ZPL).
 * Every code is looked up and every label made before anything is written.
 * What was done goes to out, messages to err (the convention of cmd_hw.h).
 * Returns the exit status: 0, 1 (error) or 2 (bad usage). */
int cmd_labels(struct rstore *st, int argc, char **argv, FILE *out, FILE *err);

#endif
