/* talad: the register. Dispatches the command line to the subcommands. */
#include "common/err.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: talad [--home DIR] COMMAND [ARGS]\n"
		   "\n"
		   "commands:\n"
		   "  login URL --email EMAIL [--register NAME]\n"
		   "  status [--json]\n"
		   "  sell ITEM... --pay TENDER [--pay TENDER]... [--json]\n"
		   "  sync [--json] | sync --watch\n"
		   "  orders [--pending] [--json]\n"
		   "  logout [--force]\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("talad %s\n", TALAD_VERSION);
		return 0;
	}
	fprintf(stderr, "talad: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
