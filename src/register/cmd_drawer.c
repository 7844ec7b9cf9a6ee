/* `talad drawer open` (a "no sale" opening, recorded for the back office
 * before the drawer is kicked) and `talad printer status`. */
#include "common/err.h"
#include "hw/escpos.h"
#include "register/cmd_hw.h"
#include "register/regcli.h"
#include "register/rprint.h"
#include "register/till_lock.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int drawer_usage(FILE *err)
{
	fprintf(err, "usage: talad drawer open [--reason TEXT] [--printer URI] [--json]\n");
	return 2;
}

int cmd_drawer(struct rstore *st, int argc, char **argv, FILE *out, FILE *err)
{
	const char *reason = "no sale", *printer = NULL;
	char staff[RSTORE_ID_MAX] = "", msg[512];
	bool json = false;
	int i, missing = 0, rc;

	if (argc < 2 || strcmp(argv[1], "open") != 0)
		return drawer_usage(err);
	for (i = 2; i < argc; i++) {
		const char *v;

		if ((v = regcli_opt_value(argc, argv, &i, "--reason", &missing)) != NULL)
			reason = v;
		else if (!missing &&
		         (v = regcli_opt_value(argc, argv, &i, "--printer", &missing)) != NULL)
			printer = v;
		else if (!missing && !strcmp(argv[i], "--json"))
			json = true;
		else
			return drawer_usage(err);
	}
	/* The staff member on duty at the till, if any: the log says who. */
	rc = till_lock_get_duty(st, staff, sizeof(staff));
	if (rc != TALAD_OK && rc != TALAD_ENOTFOUND) {
		fprintf(err, "talad drawer open: cannot read who is on duty: %s\n",
		        talad_strerror(rc));
		return 1;
	}
	if (rc == TALAD_ENOTFOUND)
		staff[0] = '\0';
	rc = rprint_drawer_open(st, staff, reason, printer, msg, sizeof(msg));
	if (rc == TALAD_EINVAL && strstr(msg, "reason")) {
		fprintf(err, "talad drawer open: %s\n", msg);
		return 2;
	}
	if (rc != TALAD_OK) {
		fprintf(err, "talad drawer open: drawer not opened: %s\n", msg);
		return 1;
	}
	if (json) {
		json_t *j = json_pack("{s:b, s:s, s:s?}", "opened", 1, "reason", reason, "staff_id",
		                      staff[0] ? staff : NULL);
		regcli_put_json(out, j);
	} else {
		fprintf(out, "drawer opened (%s)\n", reason);
	}
	return 0;
}

static int printer_usage(FILE *err)
{
	fprintf(err, "usage: talad printer status [--printer URI] [--json]\n");
	return 2;
}

int cmd_printer(struct rstore *st, int argc, char **argv, FILE *out, FILE *err)
{
	const char *printer = NULL;
	struct rprint_config cfg;
	struct escpos_status status;
	char msg[512], words[128];
	bool json = false;
	int i, missing = 0, rc;

	if (argc < 2 || strcmp(argv[1], "status") != 0)
		return printer_usage(err);
	for (i = 2; i < argc; i++) {
		const char *v;

		if ((v = regcli_opt_value(argc, argv, &i, "--printer", &missing)) != NULL)
			printer = v;
		else if (!missing && !strcmp(argv[i], "--json"))
			json = true;
		else
			return printer_usage(err);
	}
	rc = rprint_status(st, printer, &status, msg, sizeof(msg));
	/* Connected but silent: the printer is there, its state unknown. */
	if (rc == TALAD_ETIMEOUT)
		rc = TALAD_OK;
	if (rc != TALAD_OK) {
		fprintf(err, "talad printer status: %s\n", msg);
		return 1;
	}
	escpos_status_words(&status, words, sizeof(words));
	if (!printer) {
		if (rprint_config_load(st, &cfg, msg, sizeof(msg)) == TALAD_OK)
			printer = cfg.printer;
	}
	if (json) {
		json_t *j = json_pack("{s:s?, s:b, s:b, s:s, s:b, s:b, s:b, s:b, s:b, s:b}",
		                      "printer", printer, "known", status.known, "ready",
		                      status.known && !escpos_status_blocking(&status), "status",
		                      words, "paper_out", status.paper_out || status.paper_stop,
		                      "paper_low", status.paper_low, "cover_open",
		                      status.cover_open, "offline", status.offline, "error",
		                      status.error || status.cutter_error || status.unrecoverable,
		                      "drawer_open", status.drawer_open);
		regcli_put_json(out, j);
	} else {
		fprintf(out, "%s: %s\n", printer ? printer : "printer", words);
	}
	return 0;
}
