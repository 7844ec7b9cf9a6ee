/* talad: the register. Reads the global options and dispatches to the
 * subcommands listed in the table below (one file per subcommand). */
#include "common/err.h"
#include "common/log.h"
#include "register/cmd_hw.h"
#include "register/cmd_labels.h"
#include "register/cmd_scanner.h"
#include "register/regcli.h"
#include "register/rstore.h"
#include "register/till.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* The hardware subcommands' convention (cmd_hw.h): the open store, results
 * on out, messages on err. */
typedef int (*store_cmd_fn)(struct rstore *st, int argc, char **argv, FILE *out, FILE *err);

struct entry {
	const char *name;
	regcli_run_fn run;      /* a command on the shared context, or */
	store_cmd_fn run_store; /* one in the hardware convention */
	const char *usage;
	const char *help;
};

/* To add a subcommand: write cmd_NAME.c and add its line here. */
static const struct entry commands[] = {
    {"login", regcmd_login, NULL, "login URL --email EMAIL [--register NAME] [--json]",
     "pair this register with a back office and load its catalog (online only)"},
    {"status", regcmd_status, NULL, "status [--json]",
     "logged in, online, pending, last sync, catalog size"},
    {"sell", regcmd_sell, NULL,
     "sell ITEM... --pay TENDER [--pay TENDER]... [--email EMAIL] [--ship-to ADDRESS]"
     " [--confirm REF] [--json]",
     "sell: ITEM = BARCODE | SKU | CODE*QTY | custom:NAME=PRICE,\n"
     "                        TENDER = cash[:AMOUNT] | card[:AMOUNT] | gift:CODE[:AMOUNT] |"
     " custom:NAME[:AMOUNT]"},
    {"sync", regcmd_sync, NULL, "sync [--json] | sync --watch [--json]",
     "sync now (push, then pull), or keep syncing until stopped"},
    {"orders", regcmd_orders, NULL, "orders [--pending] [--json] [NUMBER|ID]",
     "orders sold here and their sync state; one order's receipt"},
    {"logout", regcmd_logout, NULL, "logout [--force] [--json]",
     "log out (refused while sales are unsynced, unless --force keeps them)"},
    {"product", regcmd_product, NULL,
     "product add --title TITLE --price PRICE [--sku SKU] [--barcode BARCODE] [--tracked]"
     " [--json]",
     "add a product to the back office's catalog (online only)"},
    {"config", regcmd_config, NULL, "config set KEY VALUE | get KEY | unset KEY | list [--json]",
     "this register's settings (printer, drawer, scanner, ...)"},
    {"receipt", NULL, cmd_receipt,
     "receipt print ORDER [--printer URI] | receipt show ORDER [--width N] [--lang en|th]"
     " |\n          receipt email ORDER ADDRESS [--json]",
     "print, show or e-mail the receipt of an order"},
    {"drawer", NULL, cmd_drawer, "drawer open [--reason TEXT] [--printer URI] [--json]",
     "open the cash drawer (the opening is recorded)"},
    {"printer", NULL, cmd_printer, "printer status [--printer URI] [--json]",
     "ask the receipt printer for its status"},
    {"labels", NULL, cmd_labels,
     "labels SKU... [--copies N] [--format zpl|png|svg] [--out FILE | --printer URI]",
     "barcode labels from the catalog"},
    {"scanner", NULL, cmd_scanner, "scanner test [--count N] [--json]",
     "read the barcode scanner and say what each scan is"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: talad [--home DIR] [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "  talad   (no command) the interactive till (docs/TILL.md)\n"
	           "\nhome: --home DIR, else $TALAD_HOME, else $XDG_DATA_HOME/talad, else"
	           " ~/.local/share/talad.\n"
	           "passwords come from $TALAD_PASSWORD or a prompt, never from arguments.\n"
	           "exit status: 0 ok, 1 error, 2 bad usage, 75 the back office is needed and"
	           " cannot be reached.\n");
}

int main(int argc, char **argv)
{
	struct regcli cli;
	memset(&cli, 0, sizeof(cli));
	log_init_from_env();
	/* A closed pipe or a vanished peer is an error to report, not a death. */
	signal(SIGPIPE, SIG_IGN);

	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--home")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "talad: --home needs a directory\n");
				usage(stderr);
				return REGCLI_EX_USAGE;
			}
			cli.home_arg = argv[++i];
		} else if (!strncmp(a, "--home=", 7)) {
			cli.home_arg = a + 7;
		} else if (!strcmp(a, "--json")) {
			cli.json = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return REGCLI_EX_OK;
		} else if (!strcmp(a, "--version")) {
			printf("talad %s\n", TALAD_VERSION);
			return REGCLI_EX_OK;
		} else {
			fprintf(stderr, "talad: unknown option '%s'\n", a);
			usage(stderr);
			return REGCLI_EX_USAGE;
		}
	}
	if (i >= argc) {
		int till_status = till_main(&cli);
		rstore_close(cli.store);
		return till_status;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return REGCLI_EX_OK;
	}
	const struct entry *e = NULL;
	for (size_t k = 0; k < NCOMMANDS && !e; k++)
		if (!strcmp(argv[i], commands[k].name))
			e = &commands[k];
	if (!e) {
		fprintf(stderr, "talad: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return REGCLI_EX_USAGE;
	}
	int status;
	if (e->run) {
		status = e->run(&cli, argc - i, argv + i);
	} else {
		struct rstore *st;
		status = regcli_store(&cli, &st) == TALAD_OK
		             ? e->run_store(st, argc - i, argv + i, stdout, stderr)
		             : REGCLI_EX_ERROR;
	}
	rstore_close(cli.store);
	if (fflush(stdout) != 0 && status == REGCLI_EX_OK) {
		fprintf(stderr, "talad: cannot write the output\n");
		status = REGCLI_EX_ERROR;
	}
	return status;
}
