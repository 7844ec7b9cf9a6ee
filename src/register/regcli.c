/* Helpers shared by the `talad` subcommands: where the register's data lives,
 * uniform error and JSON output, amounts for people, the password prompt and
 * the quick "is the back office there" probe. */
#include "register/regcli.h"

#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "register/rhttp.h"
#include "register/rsync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	if (strlcpy_t(tmp, path, sizeof(tmp)) >= sizeof(tmp))
		return -1;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -1;
	struct stat sb;
	if (stat(tmp, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int regcli_store(struct regcli *cli, struct rstore **out)
{
	if (cli->store) {
		*out = cli->store;
		return TALAD_OK;
	}
	const char *env;
	int n;
	if (cli->home_arg && *cli->home_arg)
		n = snprintf(cli->home, sizeof(cli->home), "%s", cli->home_arg);
	else if ((env = getenv("TALAD_HOME")) && *env)
		n = snprintf(cli->home, sizeof(cli->home), "%s", env);
	else if ((env = getenv("XDG_DATA_HOME")) && *env)
		n = snprintf(cli->home, sizeof(cli->home), "%s/talad", env);
	else if ((env = getenv("HOME")) && *env)
		n = snprintf(cli->home, sizeof(cli->home), "%s/.local/share/talad", env);
	else {
		regcli_fail(cli, REGCLI_EX_ERROR, "no_home",
		            "no home directory: use --home DIR or set TALAD_HOME");
		return TALAD_ENOTFOUND;
	}
	if (n < 0 || (size_t)n >= sizeof(cli->home) - sizeof(RSTORE_DB_NAME) - 1) {
		regcli_fail(cli, REGCLI_EX_ERROR, "bad_home", "home directory path too long");
		return TALAD_EINVAL;
	}
	if (mkdir_p(cli->home) < 0) {
		regcli_fail(cli, REGCLI_EX_ERROR, "bad_home", "cannot create %s: %s", cli->home,
		            strerror(errno));
		return TALAD_EIO;
	}
	size_t hl = strlen(cli->home);
	memcpy(cli->db_path, cli->home, hl);
	cli->db_path[hl] = '/';
	memcpy(cli->db_path + hl + 1, RSTORE_DB_NAME, sizeof(RSTORE_DB_NAME));
	char err[512];
	/* The store holds the register's token: keep it ours alone. */
	mode_t old = umask(077);
	int rc = rstore_open(cli->db_path, &cli->store, err, sizeof(err));
	umask(old);
	if (rc) {
		regcli_fail(cli, REGCLI_EX_ERROR, "store", "%s", err);
		return rc;
	}
	*out = cli->store;
	return TALAD_OK;
}

static void vfail(struct regcli *cli, const char *code, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "talad: %s\n", msg);
	if (cli && cli->json)
		regcli_print_json(
		    json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
}

int regcli_fail(struct regcli *cli, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(cli, code, fmt, ap);
	va_end(ap);
	return status;
}

int regcli_usage(struct regcli *cli, const char *usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(cli, "usage", fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: talad %s\n", usage);
	return REGCLI_EX_USAGE;
}

void regcli_warn(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "talad: warning: %s\n", msg);
}

void regcli_print_json(json_t *j)
{
	regcli_put_json(stdout, j);
}

void regcli_put_json(FILE *out, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s) {
		fputs(s, out);
		fputc('\n', out);
		fflush(out);
	}
	free(s);
	json_decref(j);
}

void regcli_currency(struct rstore *st, struct currency *out)
{
	struct rstore_shop shop;
	if (st && rstore_get_shop(st, &shop) == TALAD_OK &&
	    currency_lookup(shop.currency, out) == TALAD_OK)
		return;
	if (currency_lookup("THB", out) != TALAD_OK) {
		strcpy(out->code, "THB");
		out->exponent = 2;
	}
}

json_t *regcli_money_json(int64_t v, const struct currency *cur)
{
	char s[MONEY_STRLEN];
	money_format(v, cur->exponent, s);
	return json_string(s);
}

json_t *regcli_time_json(int64_t ms)
{
	if (ms <= 0)
		return json_null();
	char s[TIME_ISO_LEN + 1];
	time_format_iso(ms, s);
	return json_string(s);
}

void regcli_local_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

int regcli_password(const char *prompt, char *out, size_t len)
{
	const char *env = getenv("TALAD_PASSWORD");
	if (env) {
		if (strlcpy_t(out, env, len) >= len)
			return TALAD_ETOOBIG;
		return TALAD_OK;
	}
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return TALAD_ENOTFOUND;
	struct termios saved, quiet;
	if (!isatty(fd) || tcgetattr(fd, &saved) < 0) {
		close(fd);
		return TALAD_ENOTFOUND;
	}
	quiet = saved;
	quiet.c_lflag &= (tcflag_t)~ECHO;
	quiet.c_lflag |= ECHONL;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		close(fd);
		return TALAD_EIO;
	}
	size_t n = 0;
	int rc = TALAD_OK;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 < len)
			out[n++] = c;
		else
			rc = TALAD_ETOOBIG;
	}
	out[n] = '\0';
	tcsetattr(fd, TCSAFLUSH, &saved);
	close(fd);
	return rc;
}

bool regcli_probe(const char *base_url, long timeout_ms)
{
	struct rhttp c;
	rhttp_init(&c, base_url, NULL);
	struct rhttp_limits l = {timeout_ms, timeout_ms, 0, 1 << 16};
	struct rhttp_response r;
	rhttp_request(&c, "GET", "/api/v1/health", NULL, &l, &r);
	bool ok = r.status >= 200 && r.status < 300;
	rhttp_response_release(&r);
	rhttp_release(&c);
	return ok;
}

void regcli_clock_warning(bool has_skew, int64_t skew_ms, char out[256], bool print)
{
	out[0] = '\0';
	if (!has_skew || llabs(skew_ms) <= RSYNC_SKEW_WARN_MS)
		return;
	long long mins = llabs(skew_ms) / 60000;
	snprintf(out, 256,
	         "this register's clock is %lld minutes %s the back office's; fix the clock"
	         " (receipts show the register's time)",
	         mins, skew_ms > 0 ? "behind" : "ahead of");
	if (print)
		regcli_warn("%s", out);
}

int regcli_exit_for(int rc)
{
	return rhttp_exit_code(rc);
}

int regcli_getopt(struct regcli *cli, struct regcli_opts *o)
{
	int c;

	if (!o->started) {
		optind = 0; /* GNU getopt: start over, as for a new argv */
		opterr = 0;
		o->started = true;
	}
	while ((c = getopt_long(o->argc, o->argv, "", o->opts, NULL)) == 'j')
		cli->json = true;
	if (c == 'h') {
		printf("usage: talad %s\n", o->usage);
		if (o->details)
			o->details(stdout);
		o->status = REGCLI_EX_OK;
		return REGCLI_OPT_EXIT;
	}
	if (c == '?' || c == ':') {
		bool valued = false;
		for (const struct option *op = o->opts; op->name; op++)
			valued = valued || op->has_arg != no_argument;
		if (o->details)
			o->details(stderr);
		o->status = regcli_usage(cli, o->usage, "%s '%s'",
		                         valued ? "unknown or incomplete option" : "unknown option",
		                         o->argv[optind - 1]);
		return REGCLI_OPT_EXIT;
	}
	if (c == -1 && o->argc - optind > o->max_operands) {
		o->status = regcli_usage(cli, o->usage, "unexpected argument '%s'",
		                         o->argv[optind + o->max_operands]);
		return REGCLI_OPT_EXIT;
	}
	return c;
}

const char *regcli_opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	*i += 1;
	return argv[*i];
}

int regcli_session(struct regcli *cli, struct rstore **st, struct rstore_pairing *p)
{
	if (regcli_store(cli, st))
		return REGCLI_EX_ERROR;
	int rc = rstore_get_pairing(*st, p);
	if (rc == TALAD_ENOTFOUND || (rc == TALAD_OK && !p->logged_in))
		return regcli_fail(cli, REGCLI_EX_ERROR, "not_logged_in",
		                   "this register is not logged in: run talad login first");
	if (rc)
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot read the pairing: %s",
		                   talad_strerror(rc));
	return REGCLI_EX_OK;
}

void regcli_push_briefly(struct rstore *st, long budget_ms)
{
	char err[256];
	struct rsync sync;
	struct rsync_result res;

	rsync_result_init(&res);
	if (rsync_init(&sync, st, err, sizeof(err)) != TALAD_OK)
		return;
	struct rhttp_limits lim = {1000, budget_ms, 0, 0};
	int rc = rsync_push(&sync, &lim, time_mono_ms() + budget_ms, &res);
	if (rc == TALAD_OK || rhttp_retryable(rc))
		rsync_note(st, rc, &res);
	rsync_release(&sync);
}
