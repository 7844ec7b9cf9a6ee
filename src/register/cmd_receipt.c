/* `talad receipt`: reprint an order's receipt on the configured printer (or
 * another one), or show it as text in the terminal. */
#include "common/buf.h"
#include "common/err.h"
#include "core/receipt.h"
#include "register/cmd_hw.h"
#include "register/regcli.h"
#include "register/cmd_receipt_email.h"
#include "register/rprint.h"

#include <stdlib.h>
#include <string.h>

static int usage(FILE *err)
{
	fprintf(err, "usage: talad receipt print ORDER [--printer URI]\n"
	             "       talad receipt show ORDER [--width N] [--lang en|th]\n"
	             "       talad receipt email ORDER ADDRESS [--json]\n");
	return 2;
}

static int receipt_print(struct rstore *st, int argc, char **argv, FILE *out, FILE *err)
{
	const char *order = NULL, *printer = NULL;
	struct order o;
	char msg[512];
	int i, missing = 0, rc;

	for (i = 2; i < argc; i++) {
		const char *v = regcli_opt_value(argc, argv, &i, "--printer", &missing);

		if (missing) {
			fprintf(err, "talad receipt print: --printer needs a device URI\n");
			return 2;
		}
		if (v)
			printer = v;
		else if (argv[i][0] == '-' || order)
			return usage(err);
		else
			order = argv[i];
	}
	if (!order)
		return usage(err);
	order_init(&o, NULL);
	rc = rprint_load_order(st, order, &o, msg, sizeof(msg));
	if (rc == TALAD_OK)
		rc = rprint_order(st, &o, printer, false, msg, sizeof(msg));
	if (rc == TALAD_OK)
		fprintf(out, "printed receipt %s\n", o.number);
	else
		fprintf(err, "talad receipt print: receipt not printed: %s\n", msg);
	order_release(&o);
	return rc == TALAD_OK ? 0 : 1;
}

static int receipt_show(struct rstore *st, int argc, char **argv, FILE *out, FILE *err)
{
	const char *order = NULL, *width = NULL, *lang = NULL;
	struct rprint_config cfg;
	struct receipt_settings rs;
	struct currency cur;
	struct buf text = BUF_INIT(1 << 20);
	struct order o;
	char msg[512];
	int i, missing = 0, rc;

	for (i = 2; i < argc; i++) {
		const char *v;

		if ((v = regcli_opt_value(argc, argv, &i, "--width", &missing)) != NULL)
			width = v;
		else if (!missing &&
		         (v = regcli_opt_value(argc, argv, &i, "--lang", &missing)) != NULL)
			lang = v;
		else if (missing || argv[i][0] == '-' || order)
			return usage(err);
		else
			order = argv[i];
	}
	if (!order)
		return usage(err);
	rc = rprint_config_load(st, &cfg, msg, sizeof(msg));
	if (rc == TALAD_OK && width &&
	    (rc = rprint_config_check("printer-width", width, msg, sizeof(msg))) == TALAD_OK)
		cfg.ps.width = atoi(width);
	if (rc == TALAD_OK && lang &&
	    (rc = rprint_config_check("receipt-lang", lang, msg, sizeof(msg))) == TALAD_OK)
		snprintf(cfg.lang, sizeof(cfg.lang), "%s", lang);
	if (rc != TALAD_OK) {
		fprintf(err, "talad receipt show: %s\n", msg);
		return rc == TALAD_EINVAL && (width || lang) ? 2 : 1;
	}
	order_init(&o, NULL);
	rc = rprint_load_order(st, order, &o, msg, sizeof(msg));
	if (rc == TALAD_OK)
		rc = rprint_receipt_settings(st, &cfg, &rs, msg, sizeof(msg));
	if (rc == TALAD_OK) {
		if (currency_lookup(o.currency, &cur) == TALAD_OK)
			rs.currency = cur;
		rc = receipt_render_text(&o, &rs, &text);
		if (rc != TALAD_OK)
			snprintf(msg, sizeof(msg), "cannot lay out the receipt: %s",
			         talad_strerror(rc));
	}
	if (rc == TALAD_OK)
		fputs(buf_str(&text), out);
	else
		fprintf(err, "talad receipt show: %s\n", msg);
	buf_release(&text);
	order_release(&o);
	return rc == TALAD_OK ? 0 : 1;
}

int cmd_receipt(struct rstore *st, int argc, char **argv, FILE *out, FILE *err)
{
	if (argc < 2)
		return usage(err);
	if (!strcmp(argv[1], "print"))
		return receipt_print(st, argc, argv, out, err);
	if (!strcmp(argv[1], "show"))
		return receipt_show(st, argc, argv, out, err);
	if (!strcmp(argv[1], "email"))
		return cmd_receipt_email(st, argc, argv, out, err);
	fprintf(err, "talad receipt: unknown subcommand '%s'\n", argv[1]);
	return usage(err);
}
