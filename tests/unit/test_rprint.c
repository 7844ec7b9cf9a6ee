/* Unit tests for the register's printing glue on a real local store: a sale
 * committed then printed (with the drawer kicked and the opening recorded in
 * the outbox), a printer that fails without touching the sale, reprints,
 * "no sale" drawer openings, the printer config keys, and the receipt,
 * drawer and printer subcommands. */
#include "../lib/escpos_decode.h"
#include "../lib/fixtures.h"
#include "common/err.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "core/order.h"
#include "register/cmd_hw.h"
#include "register/rprint.h"
#include "register/rstore.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define REG_ID FX_REG_ID
#define LOC_ID FX_LOC_ID

static const char *snapshot_json =
    "{\"cursor\": 10, \"server_time\": \"2026-01-01T00:00:00.000Z\","
    " \"shop\": {\"name\": \"Talad Coffee\", \"currency\": \"THB\", \"tax_rate_ppm\": 70000,"
    "  \"tax_included\": true, \"tax_rounding\": \"line\", \"cash_increment\": 0,"
    "  \"tax_id\": \"0105551234567\", \"address\": \"1 Market Rd\","
    "  \"receipt_footer\": \"Thank you\", \"promptpay_id\": null},"
    " \"register\": {\"id\": \"" REG_ID "\", \"name\": \"Counter 1\", \"code\": \"R01\"},"
    " \"location\": {\"id\": \"" LOC_ID "\", \"name\": \"Main\"},"
    " \"products\": [], \"staff\": [], \"payment_methods\": []}";

struct fixture {
	char dir[64];
	char path[128];
	char job[128]; /* file: printer */
	char uri[160];
	struct rstore *st;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (fx_tmpdir("talad-rprint", f->dir, sizeof(f->dir)))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/register.db", f->dir);
	snprintf(f->job, sizeof(f->job), "%s/printer.bin", f->dir);
	snprintf(f->uri, sizeof(f->uri), "file:%s", f->job);
	if (fx_register_store(f->path, snapshot_json, true, &f->st))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	rstore_close(f->st);
	rc = fx_rmtree(f->dir);
	free(f);
	return rc;
}

/* A committed cash sale of one custom line. */
static void sell(struct rstore *st, struct order *o, bool cash)
{
	struct tax_rule tax = {70000, true, TAX_ROUND_LINE};
	struct cart_line ln;
	struct tender t = {cash ? TENDER_CASH : TENDER_CUSTOM, "", true, 10000};
	char err[256];

	if (!cash) {
		strcpy(t.name, "PromptPay QR");
		t.amount = 4500;
	}
	order_init(o, &tax);
	strcpy(o->currency, "THB");
	memset(&ln, 0, sizeof(ln));
	strcpy(ln.title, "Iced coffee");
	ln.quantity = 1;
	ln.unit_price = 4500;
	ln.taxable = true;
	assert_int_equal(cart_add_line(&o->cart, &ln, err, sizeof(err)), TALAD_OK);
	assert_int_equal(cart_price(&o->cart, err, sizeof(err)), TALAD_OK);
	assert_int_equal(tender_settle(o->cart.total, &t, 1, 0, &o->settlement, err, sizeof(err)),
	                 TALAD_OK);
	if (rstore_commit_sale(st, o, err, sizeof(err)) != TALAD_OK)
		fail_msg("commit: %s", err);
}

static void set(struct rstore *st, const char *key, const char *value)
{
	char err[256];

	if (rprint_config_check(key, value, err, sizeof(err)) != TALAD_OK)
		fail_msg("%s=%s: %s", key, value, err);
	assert_int_equal(rstore_setting_set(st, key, value), TALAD_OK);
}

/* Reads the printer file, decodes it and removes it. */
static void printed(struct fixture *f, struct escpos_doc *doc)
{
	FILE *fp = fopen(f->job, "rb");
	static uint8_t data[1 << 20];
	size_t n;
	char err[128];

	assert_non_null(fp);
	n = fread(data, 1, sizeof(data), fp);
	fclose(fp);
	unlink(f->job);
	if (escpos_decode(data, n, "CP874", doc, err, sizeof(err)))
		fail_msg("printed job does not decode: %s", err);
}

static bool has_line(const struct escpos_doc *doc, const char *text)
{
	size_t i;

	for (i = 0; i < doc->nlines; i++)
		if (strstr(doc->lines[i].text, text))
			return true;
	return false;
}

/* The outbox rows of one type, newest last. */
static size_t outbox_rows(struct rstore *st, const char *type, json_t **last)
{
	struct rstore_outbox_row *rows;
	size_t n, i, count = 0;
	json_error_t je;

	assert_int_equal(rstore_outbox_read(st, false, 0, 1000, &rows, &n), TALAD_OK);
	*last = NULL;
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].type, type))
			continue;
		count++;
		if (*last)
			json_decref(*last);
		*last = json_loads(rows[i].payload, 0, &je);
		assert_non_null(*last);
	}
	rstore_outbox_rows_free(rows, n);
	return count;
}

static void test_sale_prints_and_kicks(void **state)
{
	struct fixture *f = *state;
	struct order o;
	struct escpos_doc doc;
	char *msg = NULL;
	size_t msglen;
	FILE *m = open_memstream(&msg, &msglen);
	json_t *row;
	const char *at;

	set(f->st, "printer", f->uri);
	set(f->st, "drawer", "on");
	set(f->st, "drawer-pin", "5");
	set(f->st, "printer-width", "32");
	sell(f->st, &o, true);
	assert_int_equal(rprint_after_sale(f->st, &o, m), TALAD_OK);
	fclose(m);
	assert_string_equal(msg, "");
	free(msg);

	printed(f, &doc);
	assert_int_equal(doc.nkicks, 1);
	assert_int_equal(doc.kicks[0].pin, 5);
	assert_int_equal(doc.kicks[0].pulse_ms, 100);
	assert_int_equal(doc.cuts, 1);
	assert_true(has_line(&doc, "Talad Coffee"));
	assert_true(has_line(&doc, "TAX ID 0105551234567"));
	assert_true(has_line(&doc, "POS ID R01"));
	assert_true(has_line(&doc, "No. R01-000001"));
	assert_true(has_line(&doc, "ABBREVIATED TAX INVOICE"));
	assert_true(has_line(&doc, "Cash                      100.00"));
	assert_true(has_line(&doc, "Thank you"));
	escpos_doc_free(&doc);

	/* The opening went to the outbox for the back office. */
	assert_int_equal(outbox_rows(f->st, "drawer.open", &row), 1);
	assert_true(uuid_valid(json_string_value(json_object_get(row, "id"))));
	assert_true(json_is_null(json_object_get(row, "staff_id")));
	assert_string_equal(json_string_value(json_object_get(row, "reason")), "sale R01-000001");
	at = json_string_value(json_object_get(row, "opened_at"));
	assert_non_null(at);
	assert_int_equal(strlen(at), 24);
	assert_int_equal(at[23], 'Z');
	json_decref(row);
	order_release(&o);

	/* No cash, no kick, no record. */
	sell(f->st, &o, false);
	m = open_memstream(&msg, &msglen);
	assert_int_equal(rprint_after_sale(f->st, &o, m), TALAD_OK);
	fclose(m);
	free(msg);
	printed(f, &doc);
	assert_int_equal(doc.nkicks, 0);
	assert_true(has_line(&doc, "PromptPay QR"));
	escpos_doc_free(&doc);
	assert_int_equal(outbox_rows(f->st, "drawer.open", &row), 1);
	json_decref(row);
	order_release(&o);
}

/* A printer that cannot be reached: the cashier is told, with the reprint
 * command; the sale stays committed and can be reprinted elsewhere. */
static void test_failed_print_keeps_sale(void **state)
{
	struct fixture *f = *state;
	struct order o, again;
	struct escpos_doc doc;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	char *msg = NULL, uri[64], want[512], err[256];
	size_t msglen;
	FILE *m;
	json_t *row;
	int fd, port;

	/* A loopback port nobody listens on. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	close(fd);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", port);
	set(f->st, "printer", uri);
	set(f->st, "drawer", "on");

	sell(f->st, &o, true);
	m = open_memstream(&msg, &msglen);
	assert_int_equal(rprint_after_sale(f->st, &o, m), TALAD_EIO);
	fclose(m);
	snprintf(want, sizeof(want),
	         "receipt not printed: cannot connect to printer 127.0.0.1:%d: Connection "
	         "refused; reprint with: talad receipt print R01-000001\n"
	         "drawer not opened: cannot connect to printer 127.0.0.1:%d: Connection "
	         "refused\n",
	         port, port);
	assert_string_equal(msg, want);
	free(msg);
	/* The drawer never opened, so no opening is in the log. */
	assert_int_equal(outbox_rows(f->st, "drawer.open", &row), 0);

	/* The sale is there; a reprint to another printer works. */
	order_init(&again, NULL);
	if (rprint_load_order(f->st, "R01-000001", &again, err, sizeof(err)) != TALAD_OK)
		fail_msg("load: %s", err);
	assert_string_equal(again.id, o.id);
	assert_int_equal(again.cart.total, 4500);
	if (rprint_order(f->st, &again, f->uri, false, err, sizeof(err)) != TALAD_OK)
		fail_msg("reprint: %s", err);
	printed(f, &doc);
	assert_true(has_line(&doc, "No. R01-000001"));
	assert_int_equal(doc.nkicks, 0);
	escpos_doc_free(&doc);
	order_release(&again);
	order_release(&o);

	order_init(&again, NULL);
	assert_int_equal(rprint_load_order(f->st, "R01-000999", &again, err, sizeof(err)),
	                 TALAD_ENOTFOUND);
	assert_string_equal(err, "no order R01-000999 on this register");
	order_release(&again);
}

static void test_drawer_open_no_sale(void **state)
{
	struct fixture *f = *state;
	struct escpos_doc doc;
	json_t *row;
	char err[256];

	/* No printer: refused before anything is recorded. */
	assert_int_equal(rprint_drawer_open(f->st, "s1", "no sale", NULL, err, sizeof(err)),
	                 TALAD_ENOTFOUND);
	assert_non_null(strstr(err, "no printer set"));
	assert_int_equal(outbox_rows(f->st, "drawer.open", &row), 0);

	set(f->st, "printer", f->uri);
	assert_int_equal(rprint_drawer_open(f->st, "s1", "", NULL, err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(rprint_drawer_open(f->st, "s1", "bad\x1b", NULL, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_int_equal(rprint_drawer_open(f->st, "s1", "bad \xff", NULL, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_int_equal(outbox_rows(f->st, "drawer.open", &row), 0);

	if (rprint_drawer_open(f->st, "s1", "change for the float", NULL, err, sizeof(err)) !=
	    TALAD_OK)
		fail_msg("drawer open: %s", err);
	printed(f, &doc);
	assert_int_equal(doc.nkicks, 1);
	assert_int_equal(doc.kicks[0].pin, 2);
	assert_int_equal(doc.nlines, 0);
	assert_int_equal(doc.cuts, 0);
	escpos_doc_free(&doc);
	assert_int_equal(outbox_rows(f->st, "drawer.open", &row), 1);
	assert_string_equal(json_string_value(json_object_get(row, "staff_id")), "s1");
	assert_string_equal(json_string_value(json_object_get(row, "reason")),
	                    "change for the float");
	json_decref(row);
}

static void test_config(void **state)
{
	struct fixture *f = *state;
	struct rprint_config cfg;
	struct escpos_status st;
	char err[256];
	static const char *const bad[][2] = {
	    {"printer", "lpt1"},         {"printer-width", "100"},  {"printer-width", "3x"},
	    {"printer-codepage", "300"}, {"printer-encoding", "X"}, {"printer-raster", "maybe"},
	    {"drawer", "sometimes"},     {"drawer-pin", "3"},       {"drawer-pulse", "0"},
	    {"receipt-lang", "fr"},      {"receipt-qr", "2"},
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (rprint_config_check(bad[i][0], bad[i][1], err, sizeof(err)) != TALAD_EINVAL)
			fail_msg("%s=%s accepted", bad[i][0], bad[i][1]);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(rprint_config_check("not-ours", "anything", err, sizeof(err)), TALAD_OK);
	assert_true(rprint_config_key("drawer-pulse"));
	assert_false(rprint_config_key("till.cart"));

	assert_int_equal(rprint_config_load(f->st, &cfg, err, sizeof(err)), TALAD_OK);
	assert_string_equal(cfg.printer, "");
	assert_int_equal(cfg.ps.width, 48);
	assert_int_equal(cfg.ps.codepage, 21);
	assert_string_equal(cfg.ps.encoding, "CP874");
	assert_false(cfg.drawer);
	assert_string_equal(cfg.lang, "en");

	set(f->st, "printer-codepage", "none");
	set(f->st, "printer-encoding", "TIS-620");
	set(f->st, "printer-raster", "on");
	set(f->st, "receipt-lang", "th");
	set(f->st, "drawer-pulse", "200");
	assert_int_equal(rprint_config_load(f->st, &cfg, err, sizeof(err)), TALAD_OK);
	assert_int_equal(cfg.ps.codepage, -1);
	assert_string_equal(cfg.ps.encoding, "TIS-620");
	assert_true(cfg.ps.raster);
	assert_string_equal(cfg.lang, "th");
	assert_int_equal(cfg.ps.drawer_pulse_ms, 200);

	/* A bad value stored behind our back is named when it is used. */
	assert_int_equal(rstore_setting_set(f->st, "drawer-pin", "7"), TALAD_OK);
	assert_int_equal(rprint_config_load(f->st, &cfg, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "bad setting drawer-pin: drawer-pin must be 2 or 5 (fix with "
	                         "talad config set drawer-pin)");
	assert_int_equal(rstore_setting_unset(f->st, "drawer-pin"), TALAD_OK);

	/* Status of a file printer: it cannot answer. */
	assert_int_equal(rprint_status(f->st, NULL, &st, err, sizeof(err)), TALAD_ENOTFOUND);
	assert_int_equal(rprint_status(f->st, f->uri, &st, err, sizeof(err)), TALAD_OK);
	assert_false(st.known);
}

/* Runs a subcommand; out and err hold what it wrote (the caller frees). */
static int run(struct rstore *st, int (*cmd)(struct rstore *, int, char **, FILE *, FILE *),
               const char *args, char **out, char **err)
{
	char *copy = strdup(args), *argv[16], *save = NULL, *tok;
	int argc = 0, rc;
	size_t olen, elen;
	FILE *o = open_memstream(out, &olen), *e = open_memstream(err, &elen);

	for (tok = strtok_r(copy, " ", &save); tok && argc < 15; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	rc = cmd(st, argc, argv, o, e);
	fclose(o);
	fclose(e);
	free(copy);
	return rc;
}

static void test_commands(void **state)
{
	struct fixture *f = *state;
	struct order o;
	struct escpos_doc doc;
	char *out, *err, args[512];
	json_t *row;

	sell(f->st, &o, true);
	order_release(&o);

	/* No printer set: reprint fails with the way out. */
	assert_int_equal(run(f->st, cmd_receipt, "receipt print R01-000001", &out, &err), 1);
	assert_non_null(strstr(err, "receipt not printed: no printer set"));
	free(out);
	free(err);

	snprintf(args, sizeof(args), "receipt print R01-000001 --printer %s", f->uri);
	assert_int_equal(run(f->st, cmd_receipt, args, &out, &err), 0);
	assert_string_equal(out, "printed receipt R01-000001\n");
	free(out);
	free(err);
	printed(f, &doc);
	assert_true(has_line(&doc, "No. R01-000001"));
	escpos_doc_free(&doc);

	assert_int_equal(run(f->st, cmd_receipt, "receipt print R01-000077", &out, &err), 1);
	free(out);
	free(err);
	assert_int_equal(run(f->st, cmd_receipt, "receipt print", &out, &err), 2);
	free(out);
	free(err);
	assert_int_equal(run(f->st, cmd_receipt, "receipt print A B", &out, &err), 2);
	free(out);
	free(err);
	assert_int_equal(run(f->st, cmd_receipt, "receipt eat R01-000001", &out, &err), 2);
	free(out);
	free(err);

	assert_int_equal(run(f->st, cmd_receipt, "receipt show R01-000001 --width 32", &out, &err),
	                 0);
	assert_non_null(strstr(out, "          Talad Coffee\n"));
	assert_non_null(strstr(out, "Iced coffee                45.00\n"));
	assert_non_null(strstr(out, "VAT 7% included             2.94\n"));
	free(out);
	free(err);
	assert_int_equal(run(f->st, cmd_receipt, "receipt show R01-000001 --width 9", &out, &err),
	                 2);
	free(out);
	free(err);
	assert_int_equal(
	    run(f->st, cmd_receipt, "receipt show R01-000001 --lang th --width 32", &out, &err), 0);
	assert_non_null(strstr(out, "ใบกำกับภาษีอย่างย่อ"));
	free(out);
	free(err);

	/* The drawer: refused without a printer, then opened and logged. */
	assert_int_equal(run(f->st, cmd_drawer, "drawer open", &out, &err), 1);
	assert_non_null(strstr(err, "drawer not opened: no printer set"));
	free(out);
	free(err);
	set(f->st, "printer", f->uri);
	assert_int_equal(run(f->st, cmd_drawer, "drawer open --json", &out, &err), 0);
	assert_string_equal(out, "{\"opened\":true,\"reason\":\"no sale\",\"staff_id\":null}\n");
	free(out);
	free(err);
	printed(f, &doc);
	assert_int_equal(doc.nkicks, 1);
	escpos_doc_free(&doc);
	assert_int_equal(outbox_rows(f->st, "drawer.open", &row), 1);
	assert_string_equal(json_string_value(json_object_get(row, "reason")), "no sale");
	json_decref(row);
	assert_int_equal(run(f->st, cmd_drawer, "drawer open --reason=float", &out, &err), 0);
	assert_string_equal(out, "drawer opened (float)\n");
	free(out);
	free(err);
	unlink(f->job);
	assert_int_equal(run(f->st, cmd_drawer, "drawer open --reason", &out, &err), 2);
	free(out);
	free(err);
	assert_int_equal(run(f->st, cmd_drawer, "drawer shut", &out, &err), 2);
	free(out);
	free(err);

	/* Printer status: a file cannot answer. */
	assert_int_equal(run(f->st, cmd_printer, "printer status --json", &out, &err), 0);
	snprintf(args, sizeof(args),
	         "{\"printer\":\"%s\",\"known\":false,\"ready\":false,\"status\":\"unknown\","
	         "\"paper_out\":false,\"paper_low\":false,\"cover_open\":false,"
	         "\"offline\":false,\"error\":false,\"drawer_open\":false}\n",
	         f->uri);
	assert_string_equal(out, args);
	free(out);
	free(err);
	assert_int_equal(
	    run(f->st, cmd_printer, "printer status --printer usb:/nonexistent", &out, &err), 1);
	assert_non_null(strstr(err, "cannot open printer /nonexistent"));
	free(out);
	free(err);
	assert_int_equal(run(f->st, cmd_printer, "printer", &out, &err), 2);
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sale_prints_and_kicks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_print_keeps_sale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drawer_open_no_sale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
