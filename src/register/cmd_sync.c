/* `talad sync [--json]` forces one sync now (push, then pull) and says what
 * moved; `talad sync --watch` runs the sync worker, as the till does, until
 * SIGINT or SIGTERM, logging what happens to stderr. */
#include "common/err.h"
#include "common/timeutil.h"
#include "register/regcli.h"
#include "register/rhttp.h"
#include "register/rpay.h"
#include "register/rstore.h"
#include "register/rsync.h"

#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "sync [--json] | sync --watch [--json]"

static const char *const event_names[] = {
    [RSYNC_EV_ONLINE] = "online", [RSYNC_EV_OFFLINE] = "offline",   [RSYNC_EV_PUSHED] = "pushed",
    [RSYNC_EV_PULLED] = "pulled", [RSYNC_EV_SNAPSHOT] = "snapshot", [RSYNC_EV_CLOCK] = "clock",
    [RSYNC_EV_ERROR] = "error",
};

static void on_event(void *arg, enum rsync_event ev, const char *message)
{
	const struct regcli *cli = arg;
	char stamp[32];
	regcli_local_time(time_now_ms(), stamp);
	/* One write per line: the two worker threads may talk at once. */
	if (cli->json) {
		json_t *j = json_pack("{s:o, s:s, s:s}", "time", regcli_time_json(time_now_ms()),
		                      "event", event_names[ev], "message", message);
		regcli_print_json(j);
	} else {
		fprintf(stderr, "%s talad sync: %s\n", stamp, message);
	}
}

static int watch(struct regcli *cli, struct rstore *st)
{
	struct rstore_pairing p;
	if (rstore_get_pairing(st, &p) != TALAD_OK || !p.logged_in)
		return regcli_fail(cli, REGCLI_EX_ERROR, "not_logged_in",
		                   "this register is not logged in: run talad login first");
	/* Block the signals before the threads start so that they inherit the
	 * mask and only sigwait below sees them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	char err[512];
	struct rsync_worker *w;
	int rc = rsync_worker_start(cli->db_path, on_event, cli, &w, err, sizeof(err));
	if (rc)
		return regcli_fail(cli, REGCLI_EX_ERROR, "sync", "%s", err);
	if (!cli->json)
		fprintf(stderr, "talad sync: syncing %s with %s (stop with Ctrl-C)\n",
		        p.register_code, p.server_url);
	int sig = 0;
	sigwait(&set, &sig);
	if (!cli->json)
		fprintf(stderr, "talad sync: stopping\n");
	rsync_worker_stop(w);
	return REGCLI_EX_OK;
}

int regcmd_sync(struct regcli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"watch", no_argument, NULL, 'w'},
	    REGCLI_OPTS_END,
	};
	struct regcli_opts op = {argc, argv, opts, USAGE, 0};
	bool watching = false;
	int c;
	while ((c = regcli_getopt(cli, &op)) >= 0)
		watching = watching || c == 'w';
	if (c == REGCLI_OPT_EXIT)
		return op.status;
	struct rstore *st;
	if (regcli_store(cli, &st))
		return REGCLI_EX_ERROR;
	if (watching)
		return watch(cli, st);

	char err[512];
	struct rsync sync;
	int rc = rsync_init(&sync, st, err, sizeof(err));
	if (rc)
		return regcli_fail(cli, REGCLI_EX_ERROR, "not_logged_in", "%s", err);
	struct rsync_result res;
	rsync_result_init(&res);
	rc = rsync_now(&sync, &res);
	rsync_release(&sync);
	/* Online: void what a sale killed between authorization and commit
	   left authorized (register/rpay.h). */
	if (rc == TALAD_OK)
		rpay_recover(st, cli->home, NULL);
	char warning[256];
	regcli_clock_warning(res.has_skew, res.clock_skew_ms, warning, true);
	size_t pushed = res.pushed.applied + res.pushed.duplicate + res.pushed.rejected;
	int status = REGCLI_EX_OK;
	if (rc) {
		status = regcli_exit_for(rc);
		const char *hint = "";
		if (status == REGCLI_EX_OFFLINE)
			hint = "; sales stay here and sync once the back office can be reached";
		else if (rc == TALAD_EAUTH)
			hint = "; the back office no longer accepts this register's token: log"
			       " out and log in again";
		/* In --json mode the summary below says it on stdout. */
		fprintf(stderr, "talad: sync failed: %s%s\n", res.error, hint);
	}
	if (cli->json) {
		json_t *j = json_pack(
		    "{s:b, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I}", "ok", rc == 0, "pushed",
		    (json_int_t)pushed, "applied", (json_int_t)res.pushed.applied, "duplicate",
		    (json_int_t)res.pushed.duplicate, "rejected", (json_int_t)res.pushed.rejected,
		    "pulled", (json_int_t)res.pulled, "snapshot", res.snapshot, "snapshot_items",
		    (json_int_t)res.snapshot_items, "pending", (json_int_t)res.pending);
		json_object_set_new(j, "clock_skew_ms",
		                    res.has_skew ? json_integer(res.clock_skew_ms) : json_null());
		json_object_set_new(j, "clock_warning",
		                    warning[0] ? json_string(warning) : json_null());
		json_object_set_new(j, "error", rc ? json_string(res.error) : json_null());
		json_object_set_new(j, "offline", json_boolean(status == REGCLI_EX_OFFLINE));
		regcli_print_json(j);
		return status;
	}
	if (rc && !pushed)
		return status;
	printf("pushed %zu (applied %zu, duplicate %zu, rejected %zu)", pushed, res.pushed.applied,
	       res.pushed.duplicate, res.pushed.rejected);
	if (res.snapshot)
		printf(", took a fresh catalog (%zu items)", res.snapshot_items);
	if (!rc)
		printf(", pulled %zu changes", res.pulled);
	printf("; %" PRId64 " pending\n", res.pending);
	if (res.pushed.rejected)
		printf("the back office refused %zu entries: see talad orders\n",
		       res.pushed.rejected);
	return status;
}
