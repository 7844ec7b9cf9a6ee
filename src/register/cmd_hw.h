/* The register's printer and drawer subcommands, for the command dispatcher
 * in main.c:
 *   talad receipt print ORDER [--printer URI]
 *   talad receipt show ORDER [--width N] [--lang en|th]
 *   talad drawer open [--reason TEXT] [--printer URI] [--json]
 *   talad printer status [--printer URI] [--json]
 * Each takes the open store of --home, argv[0] being the command's own name
 * ("receipt", "drawer", "printer"), and returns the exit status: 0 success,
 * 1 error, 2 bad usage. Results go to out, messages to err. cmd_receipt is
 * in cmd_receipt.c, cmd_drawer and cmd_printer in cmd_drawer.c. */
#ifndef TALAD_CMD_HW_H
#define TALAD_CMD_HW_H

#include "register/rstore.h"

#include <stdio.h>

int cmd_receipt(struct rstore *st, int argc, char **argv, FILE *out, FILE *err);
int cmd_drawer(struct rstore *st, int argc, char **argv, FILE *out, FILE *err);
int cmd_printer(struct rstore *st, int argc, char **argv, FILE *out, FILE *err);

#endif
