/* talad-server: the back office. Dispatches the command line to the subcommands. */
#include "common/err.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: talad-server COMMAND [ARGS]\n"
		   "\n"
		   "commands:\n"
		   "  init  --data DIR --shop NAME --owner-email EMAIL\n"
		   "  demo  --data DIR\n"
		   "  serve --data DIR [--listen 127.0.0.1:8080]\n");
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
		printf("talad-server %s\n", TALAD_VERSION);
		return 0;
	}
	fprintf(stderr, "talad-server: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
