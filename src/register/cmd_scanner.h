/* `talad scanner test`: reads the configured barcode scanner and says what
 * each scan is, to set a scanner up and check it at the counter. */
#ifndef TALAD_CMD_SCANNER_H
#define TALAD_CMD_SCANNER_H

#include "register/rstore.h"

#include <stdio.h>

#define SCANNER_SETTING_KEY "scanner"

/* talad scanner test [--count N] [--json]
 *
 * argv[0] is "scanner". Opens the scanner named by the `scanner` setting
 * (wedge, evdev:PATH, serial:PATH[?baud=N]; wedge when unset) and prints
 * one line per scan: the code, its kind (ean13, ean8, upca, other) and the
 * check-digit verdict, with the item or the in-store price/weight when the
 * catalog or the scale-barcode-template setting knows it; a garbled scan is
 * reported as unreadable with a bell. Runs until interrupted, the input
 * ends, or N codes were read. Scans are reported to out, messages to err.
 * Returns the exit status: 0, 1 (error) or 2 (bad usage). */
int cmd_scanner(struct rstore *st, int argc, char **argv, FILE *out, FILE *err);

#endif
