/* `talad login URL --email EMAIL [--register NAME] [--json]`: pairs this
 * register with a back office (online only): staff login, enrolment -- or
 * taking back this home's own register after a logout, unsynced work and
 * numbering included -- then the catalog snapshot. */
#include "common/err.h"
#include "common/xalloc.h"
#include "register/regcli.h"
#include "register/rhttp.h"
#include "register/rstore.h"
#include "register/rsync.h"

#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE "login URL --email EMAIL [--register NAME] [--json]"

/* A progress line on stderr, only when it is a terminal. */
struct progress {
	bool tty;
	int64_t last_pct;
	int64_t last_bytes;
};

static int on_download(void *arg, int64_t done, int64_t total)
{
	struct progress *p = arg;
	if (!p->tty || done - p->last_bytes < 65536)
		return 0;
	p->last_bytes = done;
	if (total > 0)
		fprintf(stderr, "\rdownloading the catalog: %" PRId64 " of %" PRId64 " KiB   ",
		        done / 1024, total / 1024);
	else
		fprintf(stderr, "\rdownloading the catalog: %" PRId64 " KiB   ", done / 1024);
	return 0;
}

static void on_apply(void *arg, size_t done, size_t total)
{
	struct progress *p = arg;
	if (!p->tty || total == 0)
		return;
	int64_t pct = (int64_t)(done * 100 / total);
	if (pct == p->last_pct)
		return;
	p->last_pct = pct;
	char bar[31];
	int fill = (int)(pct * 30 / 100);
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : ' ';
	bar[30] = '\0';
	fprintf(stderr, "\rapplying the catalog: [%s] %3" PRId64 "%% (%zu items)   ", bar, pct,
	        done);
}

static void progress_end(struct progress *p)
{
	if (p->tty && (p->last_bytes || p->last_pct >= 0))
		fprintf(stderr, "\r%-78s\r", "");
}

/* Reads {register:{id, name, code, location_id}, token} into pairing p. */
static int take_register(const json_t *j, struct rstore_pairing *p, char *err, size_t errlen)
{
	const json_t *reg = json_object_get(j, "register");
	const char *id = json_string_value(json_object_get(reg, "id"));
	const char *name = json_string_value(json_object_get(reg, "name"));
	const char *code = json_string_value(json_object_get(reg, "code"));
	const char *loc = json_string_value(json_object_get(reg, "location_id"));
	const char *token = json_string_value(json_object_get(j, "token"));
	if (!id || !uuid_valid(id) || !code || !*code || strlen(code) >= sizeof(p->register_code) ||
	    !token || !*token || strlen(token) >= sizeof(p->token) || (loc && !uuid_valid(loc))) {
		snprintf(err, errlen,
		         "the back office answered the enrolment without a usable"
		         " register id, code or token");
		return TALAD_EPROTO;
	}
	strlcpy_t(p->register_id, id, sizeof(p->register_id));
	strlcpy_t(p->register_code, code, sizeof(p->register_code));
	strlcpy_t(p->register_name, name ? name : "", sizeof(p->register_name));
	strlcpy_t(p->token, token, sizeof(p->token));
	strlcpy_t(p->location_id, loc ? loc : "", sizeof(p->location_id));
	return TALAD_OK;
}

/* why says what failed ("cannot reach URL: ..."). */
static int offline_fail(struct regcli *cli, const char *why, bool first)
{
	return regcli_fail(cli, REGCLI_EX_OFFLINE, "offline", "%s: %s", why,
	                   first ? "a first login needs the internet"
	                         : "logging in needs the internet; this register's sales stay"
	                           " here until then");
}

int regcmd_login(struct regcli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"email", required_argument, NULL, 'e'},
	    {"register", required_argument, NULL, 'r'},
	    REGCLI_OPTS_END,
	};
	struct regcli_opts op = {argc, argv, opts, USAGE, 1};
	const char *email = NULL, *reg_name = NULL;
	int c;
	/* GNU getopt permutes: the URL may come before or after the options. */
	while ((c = regcli_getopt(cli, &op)) >= 0) {
		if (c == 'e')
			email = optarg;
		else if (c == 'r')
			reg_name = optarg;
	}
	if (c == REGCLI_OPT_EXIT)
		return op.status;
	const char *url_arg = optind < argc ? argv[optind] : NULL;
	if (!url_arg)
		return regcli_usage(cli, USAGE, "which back office? give its URL");
	if (!email || !*email)
		return regcli_usage(cli, USAGE, "--email is required");
	char url[RHTTP_URL_MAX], err[512];
	if (rhttp_normalize_url(url_arg, url, err, sizeof(err)))
		return regcli_usage(cli, USAGE, "%s", err);
	char hostname[64] = "";
	if (!reg_name || !*reg_name) {
		if (gethostname(hostname, sizeof(hostname) - 1) < 0 || !hostname[0])
			strcpy(hostname, "Register");
		reg_name = hostname;
	}
	if (strlen(reg_name) >= RSTORE_NAME_MAX)
		return regcli_usage(cli, USAGE, "register name longer than %d bytes",
		                    RSTORE_NAME_MAX - 1);

	struct rstore *st;
	if (regcli_store(cli, &st))
		return REGCLI_EX_ERROR;
	struct rstore_pairing old;
	int rc = rstore_get_pairing(st, &old);
	bool have_old = rc == TALAD_OK;
	if (rc && rc != TALAD_ENOTFOUND)
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot read the pairing: %s",
		                   talad_strerror(rc));
	if (have_old && old.logged_in)
		return regcli_fail(cli, REGCLI_EX_ERROR, "logged_in",
		                   "already logged in as %s at %s (%s): run talad logout first",
		                   old.register_code, old.shop_name, old.server_url);
	int64_t pending = 0;
	if (rstore_pending_count(st, &pending))
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot read the outbox");

	char password[256];
	char prompt[320];
	snprintf(prompt, sizeof(prompt), "password for %.200s: ", email);
	rc = regcli_password(prompt, password, sizeof(password));
	if (rc == TALAD_ENOTFOUND)
		return regcli_usage(
		    cli, USAGE, "no password: set TALAD_PASSWORD or run talad login on a terminal");
	if (rc)
		return regcli_fail(cli, REGCLI_EX_ERROR, "password", "cannot read the password");

	/* Staff login. */
	struct rhttp http;
	rhttp_init(&http, url, NULL);
	struct rhttp_limits lim = {3000, 30000, 10, 0};
	struct rhttp_response r;
	json_t *body = json_pack("{s:s, s:s}", "email", email, "password", password);
	sodium_memzero(password, sizeof(password));
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	rc = rhttp_request(&http, "POST", "/api/v1/auth/login", text, &lim, &r);
	sodium_memzero(text, strlen(text));
	free(text);
	int status = REGCLI_EX_ERROR;
	if (rhttp_retryable(rc)) {
		status = offline_fail(cli, r.error, !have_old);
		goto out_resp;
	}
	if (rc == TALAD_EAUTH || (rc == TALAD_EREFUSED && r.status == 400)) {
		status = regcli_fail(cli, REGCLI_EX_ERROR, "auth", "login refused: %s", r.error);
		goto out_resp;
	}
	if (rc) {
		status = regcli_fail(cli, REGCLI_EX_ERROR, "login", "login failed: %s", r.error);
		goto out_resp;
	}
	const char *staff_token = json_string_value(json_object_get(r.json, "token"));
	if (!staff_token || !*staff_token) {
		status = regcli_fail(cli, REGCLI_EX_ERROR, "protocol",
		                     "the back office answered the login without a token");
		goto out_resp;
	}
	rhttp_set_token(&http, staff_token);
	rhttp_response_release(&r);

	/* Take this home's register back when the back office knows it;
	 * otherwise enrol a new one. */
	struct rstore_pairing p = {0};
	bool reclaimed = false;
	if (have_old && uuid_valid(old.register_id)) {
		char path[128];
		snprintf(path, sizeof(path), "/api/v1/registers/%s/token", old.register_id);
		rc = rhttp_request(&http, "POST", path, "{}", &lim, &r);
		if (rhttp_retryable(rc)) {
			status = offline_fail(cli, r.error, false);
			goto out_resp;
		}
		if (rc == TALAD_OK) {
			rc = take_register(r.json, &p, err, sizeof(err));
			if (rc == TALAD_OK && strcmp(p.register_id, old.register_id) != 0) {
				snprintf(err, sizeof(err),
				         "the back office gave back another register");
				rc = TALAD_EPROTO;
			}
			if (rc) {
				status = regcli_fail(cli, REGCLI_EX_ERROR, "protocol", "%s", err);
				goto out_resp;
			}
			reclaimed = true;
		} else if (rc == TALAD_ENOTFOUND) {
			if (pending > 0) {
				status = regcli_fail(
				    cli, REGCLI_EX_ERROR, "pending_elsewhere",
				    "this register holds %" PRId64
				    " unsynced entries (sales) for %s at %s, which %s does not"
				    " know: log in to that back office to send them first",
				    pending, old.shop_name[0] ? old.shop_name : "its shop",
				    old.server_url, url);
				goto out_resp;
			}
		} else {
			status = regcli_fail(cli, REGCLI_EX_ERROR, "login",
			                     "cannot take this register back: %s", r.error);
			goto out_resp;
		}
		rhttp_response_release(&r);
	}
	if (!reclaimed) {
		body = json_pack("{s:s}", "name", reg_name);
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		rc = rhttp_request(&http, "POST", "/api/v1/registers", text, &lim, &r);
		free(text);
		if (rhttp_retryable(rc)) {
			status = offline_fail(cli, r.error, !have_old);
			goto out_resp;
		}
		if (rc == TALAD_OK)
			rc = take_register(r.json, &p, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "cannot enrol this register: %s", r.error);
		if (rc) {
			status = regcli_fail(cli, REGCLI_EX_ERROR, "enrol", "%s", err);
			goto out_resp;
		}
		rhttp_response_release(&r);
	}
	strlcpy_t(p.server_url, url, sizeof(p.server_url));
	rc = rstore_set_pairing(st, &p, !reclaimed);
	if (rc == TALAD_ESTATE) {
		status = regcli_fail(cli, REGCLI_EX_ERROR, "pending",
		                     "this register holds unsynced work for another register"
		                     " identity: log in to its own back office first");
		goto out;
	}
	if (rc) {
		status = regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot store the pairing: %s",
		                     talad_strerror(rc));
		goto out;
	}

	/* From here on the register's own token speaks. Push what was kept
	 * first, then take the snapshot. */
	struct rsync sync;
	rsync_init_with(&sync, st, url, p.token, p.register_id);
	struct rsync_result res;
	rsync_result_init(&res);
	size_t sent = 0;
	if (reclaimed && pending > 0) {
		rc = rsync_push(&sync, NULL, 0, &res);
		sent = res.pushed.applied + res.pushed.duplicate + res.pushed.rejected;
		if (rc)
			regcli_warn("could not send the kept work yet (%s); it will sync"
			            " automatically",
			            res.error);
		if (res.pushed.rejected)
			regcli_warn("the back office refused %zu kept entries: see talad orders",
			            res.pushed.rejected);
	}
	struct progress prog = {.tty = isatty(2) && !cli->json, .last_pct = -1};
	sync.http.progress = on_download;
	sync.http.progress_arg = &prog;
	rsync_result_init(&res);
	rc = rsync_snapshot(&sync, on_apply, &prog, &res);
	progress_end(&prog);
	rsync_release(&sync);
	if (rhttp_retryable(rc)) {
		status = offline_fail(cli, res.error, !have_old);
		goto out;
	}
	if (rc) {
		status =
		    regcli_fail(cli, REGCLI_EX_ERROR, "snapshot",
		                "cannot load the catalog: %s; run talad login again", res.error);
		goto out;
	}
	rc = rstore_set_logged_in(st, true);
	if (rc) {
		status = regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot record the login: %s",
		                     talad_strerror(rc));
		goto out;
	}
	rsync_note(st, TALAD_OK, &res);
	char warning[256];
	regcli_clock_warning(res.has_skew, res.clock_skew_ms, warning, true);

	struct rstore_pairing now;
	rstore_get_pairing(st, &now);
	int64_t left = 0;
	rstore_pending_count(st, &left);
	if (cli->json) {
		regcli_print_json(json_pack(
		    "{s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:I, s:I, s:o}", "logged_in", 1,
		    "register", now.register_code, "register_id", now.register_id, "register_name",
		    now.register_name, "shop", now.shop_name, "location", now.location_name,
		    "server", url, "items", (json_int_t)res.snapshot_items, "reclaimed", reclaimed,
		    "sent", (json_int_t)sent, "pending", (json_int_t)left, "clock_warning",
		    warning[0] ? json_string(warning) : json_null()));
	} else {
		printf("logged in as %s at %s (%zu items)\n", now.register_code, now.shop_name,
		       res.snapshot_items);
		if (reclaimed)
			printf(
			    "this is the same register as before: %zu kept entries sent, %" PRId64
			    " still waiting\n",
			    sent, left);
	}
	status = REGCLI_EX_OK;
	goto out;
out_resp:
	rhttp_response_release(&r);
out:
	rhttp_release(&http);
	return status;
}
