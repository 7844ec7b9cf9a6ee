/* talad-server: the back office. Dispatches the command line to init, demo
 * and serve; exit status 0 ok, 1 error, 2 bad usage. */
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/demodata.h"
#include "server/httpd.h"
#include "server/mailer.h"
#include "server/payments.h"
#include "server/serve.h"
#include "server/shopinit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_USAGE 2

static const char usage_init[] =
    "usage: talad-server init --data DIR --shop NAME --owner-email EMAIL\n"
    "                         [--owner-name NAME] [--currency THB] [--tax-rate 7]\n"
    "                         [--tax-included|--tax-excluded] [--tax-rounding line|order]\n"
    "                         [--location NAME]\n"
    "  creates a back office in DIR (DIR/talad.db); the owner's password comes from\n"
    "  TALAD_PASSWORD or is asked on the terminal\n";
static const char usage_demo[] =
    "usage: talad-server demo --data DIR\n"
    "  creates the Thai demo shop in DIR: catalog, stock, staff, payment methods\n";
static const char usage_serve[] =
    "usage: talad-server serve --data DIR [--listen 127.0.0.1:8080] [--feed-keep N]\n"
    "                          [--auth-ttl SECONDS]\n"
    "                          [--smtp smtp://HOST:PORT --mail-from ADDRESS [--mail-lang en|th]]\n"
    "  serves the JSON API until SIGTERM or SIGINT (TALAD_LOG=info logs requests);\n"
    "  with --smtp receipt e-mails are sent (smtps:// for TLS), else they wait queued\n";

static void usage(FILE *f)
{
	fprintf(f, "usage: talad-server COMMAND [ARGS]\n\ncommands:\n%s%s%s", usage_init,
	        usage_demo, usage_serve);
	fprintf(f, "\ntalad-server COMMAND --help describes a command; --version the version\n");
}

struct opt {
	const char *name;
	const char **value; /* NULL for a flag */
	bool *flag;
};

/* Parses --name VALUE, --name=VALUE and flags. Returns 0, or EXIT_USAGE
 * after a message, or -1 when --help was asked. */
static int parse(const char *cmd, int argc, char **argv, const struct opt *opts)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return -1;
		if (strncmp(a, "--", 2)) {
			fprintf(stderr, "talad-server %s: unexpected argument '%s'\n", cmd, a);
			return EXIT_USAGE;
		}
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		const struct opt *o = opts;
		for (; o->name; o++)
			if (strlen(o->name) == n && !strncmp(o->name, a, n))
				break;
		if (!o->name) {
			fprintf(stderr, "talad-server %s: unknown option '%.*s'\n", cmd, (int)n, a);
			return EXIT_USAGE;
		}
		if (!o->value) {
			if (eq) {
				fprintf(stderr, "talad-server %s: %s takes no value\n", cmd,
				        o->name);
				return EXIT_USAGE;
			}
			*o->flag = true;
			continue;
		}
		const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!v || !*v) {
			fprintf(stderr, "talad-server %s: %s needs a value\n", cmd, o->name);
			return EXIT_USAGE;
		}
		*o->value = v;
	}
	return 0;
}

static int exit_code(int rc)
{
	return rc == TALAD_OK ? 0 : rc == TALAD_EINVAL ? EXIT_USAGE : 1;
}

/* Reads a line from the terminal with echo off. */
/* Reads a line from the terminal with echo off; the prompt and the newline
 * go to the terminal through its own stream (a stream is read or written,
 * not both, without a seek in between). */
static int read_secret(FILE *in, FILE *out, const char *prompt, char *line, size_t n)
{
	struct termios old, quiet;
	int fd = fileno(in);
	fprintf(out, "%s", prompt);
	fflush(out);
	bool echo_off = tcgetattr(fd, &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	char *got = fgets(line, (int)n, in);
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	fprintf(out, "\n");
	fflush(out);
	if (!got)
		return -1;
	line[strcspn(line, "\r\n")] = '\0';
	return 0;
}

/* The owner's password: TALAD_PASSWORD, else asked twice on the terminal. */
static char *owner_password(void)
{
	const char *env = getenv("TALAD_PASSWORD");
	if (env)
		return xstrdup(env);
	FILE *in = fopen("/dev/tty", "r"), *out = in ? fopen("/dev/tty", "w") : NULL;
	if (!in || !out) {
		if (in)
			fclose(in);
		fprintf(stderr, "talad-server init: no password: set TALAD_PASSWORD or run on a "
		                "terminal\n");
		return NULL;
	}
	char a[300], b[300];
	char *pw = NULL;
	if (read_secret(in, out, "owner password: ", a, sizeof(a)) == 0 &&
	    read_secret(in, out, "again: ", b, sizeof(b)) == 0) {
		if (strcmp(a, b))
			fprintf(stderr, "talad-server init: the passwords differ\n");
		else
			pw = xstrdup(a);
	}
	fclose(in);
	fclose(out);
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	return pw;
}

static int cmd_init(int argc, char **argv)
{
	const char *data = NULL, *shop = NULL, *email = NULL, *owner = "Owner", *currency = "THB",
	           *rate = "7", *rounding = "line", *location = "Main store";
	bool incl = false, excl = false;
	const struct opt opts[] = {{"--data", &data, NULL},
	                           {"--shop", &shop, NULL},
	                           {"--owner-email", &email, NULL},
	                           {"--owner-name", &owner, NULL},
	                           {"--currency", &currency, NULL},
	                           {"--tax-rate", &rate, NULL},
	                           {"--tax-included", NULL, &incl},
	                           {"--tax-excluded", NULL, &excl},
	                           {"--tax-rounding", &rounding, NULL},
	                           {"--location", &location, NULL},
	                           {NULL, NULL, NULL}};
	int rc = parse("init", argc, argv, opts);
	if (rc < 0) {
		fputs(usage_init, stdout);
		return 0;
	}
	if (rc)
		goto usage;
	if (!data || !shop || !email) {
		fprintf(stderr,
		        "talad-server init: --data, --shop and --owner-email are required\n");
		goto usage;
	}
	if (incl && excl) {
		fprintf(stderr, "talad-server init: --tax-included and --tax-excluded exclude each "
		                "other\n");
		goto usage;
	}
	struct shopinit in = {.data_dir = data,
	                      .shop_name = shop,
	                      .owner_email = email,
	                      .owner_name = owner,
	                      .currency = currency,
	                      .tax_rate = rate,
	                      .tax_included = !excl,
	                      .location = location};
	if (tax_rounding_parse(rounding, &in.rounding) != TALAD_OK) {
		fprintf(stderr, "talad-server init: --tax-rounding must be line or order\n");
		goto usage;
	}
	char *pw = owner_password();
	if (!pw)
		return EXIT_USAGE;
	in.password = pw;
	char err[512];
	rc = shopinit_create(&in, err, sizeof(err));
	explicit_bzero(pw, strlen(pw));
	free(pw);
	if (rc) {
		fprintf(stderr, "talad-server init: %s\n", err);
		return exit_code(rc);
	}
	printf("initialised %s for \"%s\"; start it with:\n  talad-server serve --data %s\n", data,
	       shop, data);
	return 0;
usage:
	fputs(usage_init, stderr);
	return EXIT_USAGE;
}

/* The talad binary next to this one, for the printed instructions. */
static char *sibling(const char *argv0, const char *name)
{
	const char *slash = strrchr(argv0, '/');
	if (!slash)
		return xstrdup(name);
	return xasprintf("%.*s/%s", (int)(slash - argv0), argv0, name);
}

static int cmd_demo(const char *argv0, int argc, char **argv)
{
	const char *data = NULL;
	const struct opt opts[] = {{"--data", &data, NULL}, {NULL, NULL, NULL}};
	int rc = parse("demo", argc, argv, opts);
	if (rc < 0) {
		fputs(usage_demo, stdout);
		return 0;
	}
	if (!rc && !data) {
		fprintf(stderr, "talad-server demo: --data is required\n");
		rc = EXIT_USAGE;
	}
	if (rc) {
		fputs(usage_demo, stderr);
		return EXIT_USAGE;
	}
	struct shopinit in = {.data_dir = data, .demo = true};
	char err[512];
	if ((rc = shopinit_create(&in, err, sizeof(err)))) {
		fprintf(stderr, "talad-server demo: %s\n", err);
		return exit_code(rc);
	}
	char *talad = sibling(argv0, "talad");
	printf("demo shop \"%s\" created in %s: %zu products, %zu variants\n\n", DEMO_SHOP_NAME,
	       data, demodata_products(), demodata_variants());
	printf("start the back office:\n  %s serve --data %s --listen 127.0.0.1:8080\n\n", argv0,
	       data);
	printf("log a register in (in another terminal):\n"
	       "  TALAD_PASSWORD=%s %s login http://127.0.0.1:8080 --email %s --register \"Till "
	       "1\"\n\n",
	       DEMO_PASSWORD, talad, DEMO_CASHIER_EMAIL);
	printf("staff (password %s): %s PIN %s, %s PIN %s\n", DEMO_PASSWORD, DEMO_OWNER_EMAIL,
	       DEMO_OWNER_PIN, DEMO_CASHIER_EMAIL, DEMO_CASHIER_PIN);
	free(talad);
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	const char *smtp = NULL, *from = NULL, *lang = NULL;
	const char *data = NULL, *listen = "127.0.0.1:8080", *keep = NULL, *ttl = NULL;
	const struct opt opts[] = {{"--data", &data, NULL},      {"--listen", &listen, NULL},
	                           {"--feed-keep", &keep, NULL}, {"--smtp", &smtp, NULL},
	                           {"--mail-from", &from, NULL}, {"--mail-lang", &lang, NULL},
	                           {"--auth-ttl", &ttl, NULL},   {NULL, NULL, NULL}};
	int rc = parse("serve", argc, argv, opts);
	if (rc < 0) {
		fputs(usage_serve, stdout);
		return 0;
	}
	if (rc)
		goto usage;
	if (!data) {
		fprintf(stderr, "talad-server serve: --data is required\n");
		goto usage;
	}
	struct serve_opts o = {.data_dir = data, .listen = listen, .feed_keep = SERVE_FEED_KEEP};
	if (keep) {
		char *end;
		errno = 0;
		long long v = strtoll(keep, &end, 10);
		if (*end || errno || v < 1 || v > 1000000000LL) {
			fprintf(stderr,
			        "talad-server serve: --feed-keep must be a number from 1 to "
			        "1000000000\n");
			goto usage;
		}
		o.feed_keep = v;
	}
	if (ttl) {
		/* How long a card or gift card hold lives when its sale never
		   arrives (a register killed between authorization and commit). */
		char *end;
		errno = 0;
		long long v = strtoll(ttl, &end, 10);
		if (*end || errno || v < 1 || v > PAYMENTS_TTL_MAX_MS / 1000) {
			fprintf(
			    stderr,
			    "talad-server serve: --auth-ttl must be a number of seconds from 1 to "
			    "%lld\n",
			    (long long)(PAYMENTS_TTL_MAX_MS / 1000));
			goto usage;
		}
		o.auth_ttl_ms = v * 1000;
	}
	char err[512];
	if ((from || lang) && !smtp) {
		fprintf(stderr, "talad-server serve: --mail-from and --mail-lang need --smtp\n");
		goto usage;
	}
	if (smtp) {
		if (!from) {
			fprintf(stderr, "talad-server serve: --smtp needs --mail-from ADDRESS (the "
			                "sender of the receipts)\n");
			goto usage;
		}
		struct mailer_config mc = {
		    .smtp_url = smtp, .mail_from = from, .lang = lang ? lang : "en"};
		if (mailer_check(&mc, err, sizeof(err))) {
			fprintf(stderr, "talad-server serve: %s\n", err);
			goto usage;
		}
		o.smtp_url = smtp;
		o.mail_from = from;
		o.mail_lang = lang ? lang : "en";
	}
	if (httpd_check_listen(listen, err, sizeof(err))) {
		fprintf(stderr, "talad-server serve: %s\n", err);
		goto usage;
	}
	if ((rc = serve_run(&o, err, sizeof(err)))) {
		fprintf(stderr, "talad-server serve: %s\n", err);
		return 1;
	}
	return 0;
usage:
	fputs(usage_serve, stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	log_init_from_env();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("talad-server %s\n", TALAD_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "init"))
		return cmd_init(argc - 2, argv + 2);
	if (!strcmp(cmd, "demo"))
		return cmd_demo(argv[0], argc - 2, argv + 2);
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc - 2, argv + 2);
	fprintf(stderr, "talad-server: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
