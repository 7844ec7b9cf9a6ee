/* `talad scanner test`: opens the configured scanner and reports every scan
 * with its kind and check-digit verdict until interrupted. */
#include "register/cmd_scanner.h"

#include "common/err.h"
#include "common/xalloc.h"
#include "core/barcode.h"
#include "core/money.h"
#include "hw/scanner.h"
#include "register/regcli.h"
#include "register/scan_lookup.h"

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: talad scanner test [--count N] [--json]\n"
	           "  reads the scanner set with: talad config set scanner "
	           "wedge|evdev:/dev/input/eventN|serial:/dev/ttyACM0?baud=9600\n");
}

/* One scan: what it is, and what the register would sell for it. */
static void report(struct rstore *st, const char *code, int exponent, bool json, FILE *fout,
                   FILE *ferr)
{
	struct barcode_scan sc;
	barcode_classify(code, &sc, NULL, 0);
	struct scan_match m;
	char err[256] = "";
	int rc = scan_lookup(st, code, &m, err, sizeof(err));
	char price[MONEY_STRLEN] = "";
	char kg[MONEY_STRLEN] = "";
	if (rc == TALAD_OK) {
		money_format(m.unit_price, exponent, price);
		if (m.weight_g > 0)
			money_format(m.weight_g, 3, kg);
	}
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:b, s:s, s:b}", "code", code, "kind",
		                      barcode_kind_name(sc.kind), "valid",
		                      sc.verdict == BARCODE_VALID, "verdict",
		                      barcode_verdict_message(sc.verdict), "instore", sc.instore);
		if (rc == TALAD_OK) {
			json_object_set_new(j, "sku", json_string(m.variant.sku));
			json_object_set_new(j, "title", json_string(m.title));
			json_object_set_new(j, "price", json_string(price));
			if (m.weight_g > 0)
				json_object_set_new(j, "weight_kg", json_string(kg));
		} else {
			json_object_set_new(j, "error", json_string(err));
		}
		regcli_put_json(fout, j);
	} else {
		fprintf(fout, "%s\t%s\t%s", code, barcode_kind_name(sc.kind),
		        barcode_verdict_message(sc.verdict));
		if (rc == TALAD_OK)
			fprintf(fout, "\t%s%s%s%s\t%s", m.title, m.instore ? " (in-store" : "",
			        m.weight_g > 0 ? ", weighed" : "", m.instore ? ")" : "", price);
		else if (sc.verdict == BARCODE_VALID)
			fprintf(fout, "\t%s", err);
		fprintf(fout, "\n");
	}
	fflush(fout);
	/* A scan the till would refuse beeps, as it would at the counter. */
	if (sc.verdict != BARCODE_VALID && isatty(fileno(ferr)))
		fputs("\a", ferr);
}

int cmd_scanner(struct rstore *st, int argc, char **argv, FILE *fout, FILE *ferr)
{
	if (argc < 2 || strcmp(argv[1], "test") != 0) {
		usage(ferr);
		return 2;
	}
	bool json = false;
	long count = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			char *end = NULL;
			count = strtol(argv[++i], &end, 10);
			if (!*argv[i] || *end || count < 1 || count > 1000000) {
				fprintf(ferr, "talad scanner: --count takes a number from 1\n");
				return 2;
			}
		} else {
			fprintf(ferr, "talad scanner: unknown argument '%s'\n", argv[i]);
			usage(ferr);
			return 2;
		}
	}

	char *spec_s = NULL;
	if (rstore_setting_get(st, SCANNER_SETTING_KEY, &spec_s) != TALAD_OK)
		spec_s = NULL;
	struct scanner_spec spec;
	char err[512] = "";
	int rc = scanner_spec_parse(spec_s ? spec_s : "wedge", &spec, err, sizeof(err));
	free(spec_s);
	if (rc != TALAD_OK) {
		fprintf(ferr, "talad scanner: setting scanner: %s\n", err);
		return 1;
	}
	int exponent = 2;
	struct rstore_shop shop;
	struct currency cur;
	if (rstore_get_shop(st, &shop) == TALAD_OK && currency_lookup(shop.currency, &cur) == 0)
		exponent = cur.exponent;

	struct scanner *sc = NULL;
	rc = scanner_open(&spec, &sc, err, sizeof(err));
	if (rc != TALAD_OK) {
		fprintf(ferr, "talad scanner: %s\n", err);
		return 1;
	}
	fprintf(ferr, "reading the %s scanner%s%s; scan codes, ctrl-c to stop\n",
	        scanner_type_name(spec.type), spec.path[0] ? " " : "", spec.path);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	struct sigaction old_int, old_term;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	stop_requested = 0;

	int status = 0;
	long seen = 0;
	while (!stop_requested && (count == 0 || seen < count)) {
		char code[BARCODE_CODE_MAX];
		rc = scanner_read(sc, 500, code, err, sizeof(err));
		if (rc == SCANNER_CODE) {
			report(st, code, exponent, json, fout, ferr);
			seen++;
		} else if (rc == TALAD_EINVAL) {
			if (json) {
				regcli_put_json(fout, json_pack("{s:s}", "error", err));
			} else {
				fprintf(fout, "%s\n", err);
			}
			fflush(fout);
			if (isatty(fileno(ferr)))
				fputs("\a", ferr);
		} else if (rc == SCANNER_END) {
			if (spec.type != SCANNER_WEDGE) {
				fprintf(ferr, "talad scanner: the scanner went away\n");
				status = 1;
			}
			break;
		} else if (rc < 0) {
			fprintf(ferr, "talad scanner: %s\n", err);
			status = 1;
			break;
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	scanner_close(sc);
	return status;
}
