/* `talad orders [--pending] [--json] [NUMBER|ID]`: the orders sold on this
 * register with their sync state (synced, waiting, or rejected with the back
 * office's reason); with a number, that order's receipt (or its JSON). */
#include "common/buf.h"
#include "common/err.h"
#include "core/order.h"
#include "core/receipt.h"
#include "register/regcli.h"
#include "register/rprint.h"
#include "register/rstore.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "orders [--pending] [--json] [NUMBER|ID]"

static json_t *row_json(const struct rstore_order_row *r, const struct currency *cur)
{
	json_t *j = json_pack(
	    "{s:s, s:s, s:o, s:o, s:o, s:s}", "id", r->id, "number", r->number, "created_at",
	    regcli_time_json(r->created_at), "total", regcli_money_json(r->total, cur), "change",
	    regcli_money_json(r->change, cur), "status", rstore_order_status_name(r->status));
	json_object_set_new(
	    j, "error", r->status == RSTORE_ORDER_REJECTED ? json_string(r->error) : json_null());
	return j;
}

static int show_one(struct regcli *cli, struct rstore *st, const char *key,
                    const struct currency *cur)
{
	struct rstore_order_row row;
	char *text = NULL;
	int rc = rstore_get_order(st, key, &row, &text);
	if (rc == TALAD_ENOTFOUND)
		return regcli_fail(cli, REGCLI_EX_ERROR, "not_found",
		                   "no order '%s' on this register", key);
	if (rc)
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot read the order: %s",
		                   talad_strerror(rc));
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	free(text);
	if (!j)
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "order %s is stored damaged",
		                   key);
	if (cli->json) {
		json_t *out = row_json(&row, cur);
		json_object_set_new(out, "order", j);
		regcli_print_json(out);
		return REGCLI_EX_OK;
	}
	struct order o;
	struct tax_rule none = {0};
	char err[512];
	order_init(&o, &none);
	rc = order_from_json(j, &o, err, sizeof(err));
	json_decref(j);
	int status = REGCLI_EX_OK;
	struct rprint_config cfg;
	struct receipt_settings rs;
	struct buf b;
	buf_init(&b, 1 << 20);
	if (rc == TALAD_OK && rprint_config_load(st, &cfg, err, sizeof(err)) == TALAD_OK &&
	    rprint_receipt_settings(st, &cfg, &rs, err, sizeof(err)) == TALAD_OK &&
	    receipt_render_text(&o, &rs, &b) == TALAD_OK) {
		fputs(buf_str(&b), stdout);
		printf("status: %s%s%s\n", rstore_order_status_name(row.status),
		       row.status == RSTORE_ORDER_REJECTED ? ": " : "",
		       row.status == RSTORE_ORDER_REJECTED ? row.error : "");
	} else {
		status = regcli_fail(cli, REGCLI_EX_ERROR, "receipt", "cannot show order %s: %s",
		                     key, err);
	}
	buf_release(&b);
	order_release(&o);
	return status;
}

int regcmd_orders(struct regcli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pending", no_argument, NULL, 'p'},
	    REGCLI_OPTS_END,
	};
	struct regcli_opts op = {argc, argv, opts, USAGE, 1};
	bool pending_only = false;
	int c;
	while ((c = regcli_getopt(cli, &op)) >= 0)
		pending_only = pending_only || c == 'p';
	if (c == REGCLI_OPT_EXIT)
		return op.status;
	struct rstore *st;
	if (regcli_store(cli, &st))
		return REGCLI_EX_ERROR;
	struct currency cur;
	regcli_currency(st, &cur);
	if (optind < argc)
		return show_one(cli, st, argv[optind], &cur);

	struct rstore_order_row *rows;
	size_t n;
	int rc = rstore_list_orders(st, pending_only, &rows, &n);
	if (rc)
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot list the orders: %s",
		                   talad_strerror(rc));
	if (cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, row_json(&rows[i], &cur));
		regcli_print_json(json_pack("{s:o}", "orders", arr));
		free(rows);
		return REGCLI_EX_OK;
	}
	if (n == 0)
		printf(pending_only ? "no orders waiting to sync\n" : "no orders yet\n");
	for (size_t i = 0; i < n; i++) {
		char when[32], total[MONEY_STRLEN];
		regcli_local_time(rows[i].created_at, when);
		money_format_grouped(rows[i].total, cur.exponent, total);
		printf("%-12s %s %14s  %s%s%s\n", rows[i].number, when, total,
		       rstore_order_status_name(rows[i].status),
		       rows[i].status == RSTORE_ORDER_REJECTED ? ": " : "",
		       rows[i].status == RSTORE_ORDER_REJECTED ? rows[i].error : "");
	}
	free(rows);
	return REGCLI_EX_OK;
}
