/* What every `talad` subcommand shares: the context (home directory, the
 * opened store, --json), the command table entry, exit statuses of the
 * command-line contract (DESIGN §7) and small helpers for output, money,
 * passwords and reaching the back office. One file per subcommand
 * (cmd_NAME.c) defines regcmd_NAME; main.c lists them. */
#ifndef TALAD_REGCLI_H
#define TALAD_REGCLI_H

#include "core/money.h"
#include "register/rstore.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
	REGCLI_EX_OK = 0,
	REGCLI_EX_ERROR = 1,
	REGCLI_EX_USAGE = 2,
	REGCLI_EX_OFFLINE = 75, /* EX_TEMPFAIL: the back office is needed and cannot be reached */
};

struct regcli {
	const char *home_arg; /* --home, or NULL */
	bool json;            /* --json before the command; commands also take it */
	char home[PATH_MAX];
	char db_path[PATH_MAX];
	struct rstore *store; /* opened on first use by regcli_store, closed by main */
};

/* A subcommand: argv[0] is its name; returns an exit status. */
typedef int (*regcli_run_fn)(struct regcli *cli, int argc, char **argv);

struct regcli_command {
	const char *name;
	regcli_run_fn run;
	const char *usage; /* "sell ITEM... --pay TENDER [--pay TENDER]... [--json]" */
	const char *help;  /* one line: what it does */
};

/* The subcommands (cmd_*.c). */
int regcmd_login(struct regcli *cli, int argc, char **argv);
int regcmd_status(struct regcli *cli, int argc, char **argv);
int regcmd_sell(struct regcli *cli, int argc, char **argv);
int regcmd_sync(struct regcli *cli, int argc, char **argv);
int regcmd_orders(struct regcli *cli, int argc, char **argv);
int regcmd_logout(struct regcli *cli, int argc, char **argv);
int regcmd_config(struct regcli *cli, int argc, char **argv);
int regcmd_product(struct regcli *cli, int argc, char **argv);

/* Resolves the home directory (--home, $TALAD_HOME, $XDG_DATA_HOME/talad,
 * ~/.local/share/talad), creates it (mode 0700) and opens the store in it.
 * TALAD_OK with *out borrowed from cli; otherwise a message is printed. */
int regcli_store(struct regcli *cli, struct rstore **out);

/* "talad: " + message on stderr. In --json mode the same message also goes
 * to stdout as {"error": {"code": code, "message": ...}} so scripts reading
 * stdout see it. Returns status, for `return regcli_fail(...)`. */
int regcli_fail(struct regcli *cli, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A usage error: the message, then the command's usage line; status 2. */
int regcli_usage(struct regcli *cli, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "talad: warning: ..." on stderr. */
void regcli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints j on one line on stdout and frees it. */
void regcli_print_json(json_t *j);
/* The same on out (flushed: a reader may be waiting on the line). */
void regcli_put_json(FILE *out, json_t *j);

/* The shop's currency (THB with exponent 2 before the first snapshot). */
void regcli_currency(struct rstore *st, struct currency *out);
/* A decimal string of an amount, as JSON for people ("120.50"). */
json_t *regcli_money_json(int64_t v, const struct currency *cur);
/* ISO 8601 UTC, or JSON null for 0. */
json_t *regcli_time_json(int64_t ms);
/* Local time for people: "2026-12-04 19:48:10". out holds 32 bytes. */
void regcli_local_time(int64_t ms, char out[32]);

/* The password: $TALAD_PASSWORD, else asked on the terminal without echo.
 * TALAD_OK, or TALAD_ENOTFOUND when there is neither. */
int regcli_password(const char *prompt, char *out, size_t len);

/* A quick look at whether the back office answers: GET /api/v1/health within
 * timeout_ms. */
bool regcli_probe(const char *base_url, long timeout_ms);

/* Warns on stderr when the clock is off by more than 5 minutes; returns the
 * warning text ("" when none) in out (256 bytes). */
void regcli_clock_warning(bool has_skew, int64_t skew_ms, char out[256], bool print);

/* Exit status for a store or sync failure code: 75 for the back office
 * not being reachable, 1 otherwise. */
int regcli_exit_for(int rc);

/* A subcommand's command line, walked by regcli_getopt. */
struct regcli_opts {
	int argc;
	char **argv;
	const struct option *opts; /* the command's own, then REGCLI_OPTS_END */
	const char *usage;         /* the usage line, without "talad " */
	int max_operands;          /* more arguments after the options: a usage error */
	void (*details)(FILE *f);  /* more help after the usage line, or NULL */
	int status;                /* the exit status, once REGCLI_OPT_EXIT is returned */
	bool started;
};

#define REGCLI_OPT_EXIT (-2)

/* The end of every subcommand's option table: --json and --help, which
 * regcli_getopt handles, and the zero entry. */
/* clang-format off */
#define REGCLI_OPTS_END \
	{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}
/* clang-format on */

/* getopt_long over o's argv, with what every subcommand does alike done
 * here: --json sets cli->json, --help prints the usage line (status 0), an
 * unknown option (or, for a command with valued options, one missing its
 * value) and more than max_operands operands are usage errors (status 2).
 * Returns the val of the command's next own option (optarg set), -1 after
 * the last, with the operands at argv[optind..argc), or REGCLI_OPT_EXIT with
 * o->status to return. */
int regcli_getopt(struct regcli *cli, struct regcli_opts *o);

/* "--name VALUE" or "--name=VALUE" at argv[*i], for the subcommands that walk
 * argv themselves: the value, advancing *i past it; NULL when argv[*i] is
 * something else. *missing is set when the option is there without a value. */
const char *regcli_opt_value(int argc, char **argv, int *i, const char *name, int *missing);

/* Opens the store and reads the pairing of a logged-in register: 0, or the
 * exit status after telling why not ("not_logged_in": run talad login first;
 * "store": the pairing cannot be read). */
int regcli_session(struct regcli *cli, struct rstore **st, struct rstore_pairing *p);

/* One short push of the outbox within budget_ms (the sync worker or `talad
 * sync` does the rest later); what it did is noted in the store, a failure
 * is not an error. */
void regcli_push_briefly(struct rstore *st, long budget_ms);

#endif
