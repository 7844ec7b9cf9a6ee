/* `talad status [--json]`: is this register logged in, can it reach its back
 * office right now (a quick health probe), what is still waiting to sync,
 * when it last synced, and whether its clock is off. */
#include "common/err.h"
#include "common/timeutil.h"
#include "register/regcli.h"
#include "register/rstore.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define USAGE    "status [--json]"
#define PROBE_MS 1500

int regcmd_status(struct regcli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    REGCLI_OPTS_END,
	};
	struct regcli_opts op = {argc, argv, opts, USAGE, 0};
	int c;
	while ((c = regcli_getopt(cli, &op)) >= 0)
		; /* --json and --help only */
	if (c == REGCLI_OPT_EXIT)
		return op.status;
	struct rstore *st;
	if (regcli_store(cli, &st))
		return REGCLI_EX_ERROR;

	struct rstore_pairing p;
	int rc = rstore_get_pairing(st, &p);
	if (rc && rc != TALAD_ENOTFOUND)
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot read the pairing: %s",
		                   talad_strerror(rc));
	bool paired = rc == TALAD_OK;
	int64_t pending = 0, items = 0;
	if (rstore_pending_count(st, &pending) || rstore_catalog_count(st, &items))
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot read the store");
	bool online = paired && regcli_probe(p.server_url, PROBE_MS);
	char warning[256] = "";
	if (paired)
		regcli_clock_warning(p.last_sync > 0, p.clock_skew_ms, warning, !cli->json);

	if (cli->json) {
		json_t *j = json_pack(
		    "{s:b, s:o, s:I, s:o, s:I}", "logged_in", paired && p.logged_in, "online",
		    paired ? json_boolean(online) : json_null(), "pending", (json_int_t)pending,
		    "last_sync", regcli_time_json(paired ? p.last_sync : 0), "catalog_items",
		    (json_int_t)items);
		json_object_set_new(j, "register",
		                    paired ? json_string(p.register_code) : json_null());
		json_object_set_new(j, "register_id",
		                    paired ? json_string(p.register_id) : json_null());
		json_object_set_new(j, "register_name",
		                    paired ? json_string(p.register_name) : json_null());
		json_object_set_new(j, "server", paired ? json_string(p.server_url) : json_null());
		json_object_set_new(j, "shop", paired ? json_string(p.shop_name) : json_null());
		json_object_set_new(j, "location",
		                    paired ? json_string(p.location_name) : json_null());
		json_object_set_new(j, "clock_skew_ms",
		                    paired && p.last_sync ? json_integer(p.clock_skew_ms)
		                                          : json_null());
		json_object_set_new(j, "clock_warning",
		                    warning[0] ? json_string(warning) : json_null());
		json_object_set_new(j, "sync_error",
		                    paired && p.sync_error[0] ? json_string(p.sync_error)
		                                              : json_null());
		/* What the last sync (the worker, a sale's push, talad sync) saw. */
		json_object_set_new(j, "sync_online",
		                    paired && p.sync_updated_at ? json_boolean(p.sync_online)
		                                                : json_null());
		json_object_set_new(j, "sync_checked_at",
		                    regcli_time_json(paired ? p.sync_updated_at : 0));
		json_object_set_new(j, "home", json_string(cli->home));
		regcli_print_json(j);
		return REGCLI_EX_OK;
	}

	if (!paired) {
		printf("logged in: no (this register never logged in; run talad login URL"
		       " --email EMAIL)\n");
		printf("home: %s\n", cli->home);
		return REGCLI_EX_OK;
	}
	if (p.logged_in)
		printf("logged in: yes, as %s (%s) at %s, %s\n", p.register_code, p.register_name,
		       p.shop_name, p.location_name);
	else
		printf("logged in: no (logged out; register %s of %s kept for the next login)\n",
		       p.register_code, p.shop_name);
	printf("server: %s (%s)\n", p.server_url, online ? "online" : "cannot be reached now");
	printf("pending: %" PRId64 "%s\n", pending,
	       pending ? " (waiting to sync)" : " (everything synced)");
	if (p.last_sync) {
		char when[32];
		regcli_local_time(p.last_sync, when);
		int64_t ago = (time_now_ms() - p.last_sync) / 1000;
		printf("last sync: %s (%" PRId64 " s ago)\n", when, ago < 0 ? 0 : ago);
	} else {
		printf("last sync: never\n");
	}
	if (!online && p.sync_error[0])
		printf("last sync error: %s\n", p.sync_error);
	printf("catalog: %" PRId64 " items\n", items);
	printf("home: %s\n", cli->home);
	return REGCLI_EX_OK;
}
