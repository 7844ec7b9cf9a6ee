/* `talad logout [--force] [--json]`: refuses while the outbox holds work the
 * back office has not acknowledged (after one short try to send it), since
 * logging back in needs the internet; --force logs out anyway and keeps the
 * work and the register identity for the next login to the same shop. */
#include "common/err.h"
#include "common/timeutil.h"
#include "register/regcli.h"
#include "register/rhttp.h"
#include "register/rstore.h"
#include "register/rsync.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define USAGE          "logout [--force] [--json]"
#define PUSH_BUDGET_MS 1500

int regcmd_logout(struct regcli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    REGCLI_OPTS_END,
	};
	struct regcli_opts op = {argc, argv, opts, USAGE, 0};
	bool force = false;
	int c;
	while ((c = regcli_getopt(cli, &op)) >= 0)
		force = force || c == 'f';
	if (c == REGCLI_OPT_EXIT)
		return op.status;
	struct rstore *st;
	if (regcli_store(cli, &st))
		return REGCLI_EX_ERROR;
	struct rstore_pairing p;
	int rc = rstore_get_pairing(st, &p);
	if (rc == TALAD_ENOTFOUND || (rc == TALAD_OK && !p.logged_in)) {
		if (cli->json)
			regcli_print_json(
			    json_pack("{s:b, s:s}", "logged_out", 1, "note", "was not logged in"));
		else
			printf("not logged in\n");
		return REGCLI_EX_OK;
	}
	if (rc)
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot read the pairing: %s",
		                   talad_strerror(rc));

	int64_t pending = 0;
	if (rstore_pending_count(st, &pending))
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot read the outbox");
	if (pending > 0) {
		/* One short try to send it first: most of the time that is all it
		 * takes. */
		regcli_push_briefly(st, PUSH_BUDGET_MS);
		rstore_pending_count(st, &pending);
	}
	const char *warning = "logging back in needs the internet";
	if (pending > 0 && !force)
		return regcli_fail(cli, REGCLI_EX_ERROR, "pending",
		                   "cannot log out: %" PRId64 " %s not yet synced with the back"
		                   " office; run talad sync once it can be reached (or talad logout"
		                   " --force to log out and keep %s here for the next login to %s;"
		                   " %s)",
		                   pending,
		                   pending == 1 ? "entry (sale) is" : "entries (sales) are",
		                   pending == 1 ? "it" : "them", p.shop_name, warning);
	rc = rstore_set_logged_in(st, false);
	if (rc)
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot record the logout: %s",
		                   talad_strerror(rc));
	if (cli->json) {
		regcli_print_json(json_pack("{s:b, s:I, s:s, s:s, s:s}", "logged_out", 1,
		                            "pending_kept", (json_int_t)pending, "register",
		                            p.register_code, "server", p.server_url, "warning",
		                            warning));
		return REGCLI_EX_OK;
	}
	printf("logged out of %s (%s)\n", p.shop_name, p.server_url);
	if (pending > 0)
		printf("%" PRId64 " unsynced %s kept here with register %s; %s sent at the"
		       " next login to %s\n",
		       pending, pending == 1 ? "entry is" : "entries are", p.register_code,
		       pending == 1 ? "it is" : "they are", p.shop_name);
	regcli_warn("%s", warning);
	return REGCLI_EX_OK;
}
