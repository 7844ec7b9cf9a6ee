/* `talad product add --title T --price P [--sku S] [--barcode B] [--tracked]
 * [--json]`: a new product created in the back office's catalog from the
 * register. Online only: the catalog lives on the back office and reaches
 * every register through its change feed; this register pulls at once so it
 * can sell the product straight away. Offline, a custom line item
 * (custom:NAME=PRICE) can be sold instead, and the refusal says so. */
#include "common/err.h"
#include "common/xalloc.h"
#include "core/barcode.h"
#include "core/cart.h"
#include "core/money.h"
#include "register/regcli.h"
#include "register/rhttp.h"
#include "register/rstore.h"
#include "register/rsync.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE                                                                                      \
	"product add --title TITLE --price PRICE [--sku SKU] [--barcode BARCODE] [--tracked]"      \
	" [--json]"
#define CREATE_CONNECT_MS 3000
#define CREATE_TOTAL_MS   15000
#define PULL_WAIT_S       0

static bool text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	bool visible = false;
	if (n == 0 || n > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		visible = visible || *p > ' ';
	}
	return visible;
}

/* "R01-7F3A9C21": the register's code and 32 random bits, for a product
 * added without a SKU of its own. */
static void make_sku(const char *code, char *out, size_t len)
{
	unsigned char rnd[4];
	char hex[9];
	if (sodium_init() < 0)
		memset(rnd, 0, sizeof(rnd));
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	snprintf(out, len, "%s-%s", code[0] ? code : "REG", hex);
}

static int offline_refusal(struct regcli *cli, const char *title, const char *price)
{
	return regcli_fail(cli, REGCLI_EX_OFFLINE, "offline",
	                   "a new product needs the back office, which cannot be reached now;"
	                   " nothing was saved; sell it as a custom line item instead: talad sell"
	                   " 'custom:%s=%s' --pay cash",
	                   title, price);
}

static int add(struct regcli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"title", required_argument, NULL, 't'}, {"price", required_argument, NULL, 'p'},
	    {"sku", required_argument, NULL, 's'},   {"barcode", required_argument, NULL, 'b'},
	    {"tracked", no_argument, NULL, 'k'},     REGCLI_OPTS_END,
	};
	const char *title = NULL, *price_arg = NULL, *sku = NULL, *barcode = NULL;
	struct regcli_opts op = {argc, argv, opts, USAGE, 0};
	bool tracked = false;
	int c;
	while ((c = regcli_getopt(cli, &op)) >= 0) {
		if (c == 't')
			title = optarg;
		else if (c == 'p')
			price_arg = optarg;
		else if (c == 's')
			sku = optarg;
		else if (c == 'b')
			barcode = optarg;
		else if (c == 'k')
			tracked = true;
	}
	if (c == REGCLI_OPT_EXIT)
		return op.status;
	if (!title || !price_arg)
		return regcli_usage(cli, USAGE, "a new product needs --title and --price");
	if (!text_ok(title, CART_TITLE_MAX - 1))
		return regcli_usage(cli, USAGE, "--title must be 1 to %d bytes of text",
		                    CART_TITLE_MAX - 1);
	if (sku && !text_ok(sku, CART_SKU_MAX - 1))
		return regcli_usage(cli, USAGE, "--sku must be 1 to %d bytes of text",
		                    CART_SKU_MAX - 1);
	if (barcode) {
		struct barcode_scan scan;
		char why[128];
		if (barcode_classify(barcode, &scan, why, sizeof(why)) != TALAD_OK)
			return regcli_usage(cli, USAGE, "--barcode '%s': %s", barcode, why);
	}

	struct rstore *st;
	struct rstore_pairing p;
	int session = regcli_session(cli, &st, &p);
	if (session)
		return session;
	struct currency cur;
	regcli_currency(st, &cur);
	int64_t price;
	char err[512], price_s[MONEY_STRLEN];
	if (money_parse(price_arg, cur.exponent, &price, err, sizeof(err)) || price < 0)
		return regcli_usage(cli, USAGE, "--price '%s': %s", price_arg,
		                    price < 0 ? "must not be negative" : err);
	money_format(price, cur.exponent, price_s);
	char made_sku[CART_SKU_MAX];
	if (!sku) {
		make_sku(p.register_code, made_sku, sizeof(made_sku));
		sku = made_sku;
	}

	json_t *variant =
	    json_pack("{s:s, s:s, s:b}", "sku", sku, "price", price_s, "tracked", tracked);
	if (barcode)
		json_object_set_new(variant, "barcode", json_string(barcode));
	json_t *body = json_pack("{s:s, s:[o]}", "title", title, "variants", variant);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return regcli_usage(cli, USAGE, "--title and --sku must be UTF-8 text");

	struct rhttp http;
	struct rhttp_response r;
	struct rhttp_limits lim = {CREATE_CONNECT_MS, CREATE_TOTAL_MS, 10, 0};
	rhttp_init(&http, p.server_url, p.token);
	int rc = rhttp_request(&http, "POST", "/api/v1/products", text, &lim, &r);
	free(text);
	int status;
	if (rhttp_retryable(rc)) {
		status = offline_refusal(cli, title, price_s);
		goto out;
	}
	if (rc) {
		status =
		    regcli_fail(cli, rc == TALAD_ECONFLICT ? REGCLI_EX_ERROR : rhttp_exit_code(rc),
		                r.error_code[0] ? r.error_code : "refused",
		                "the back office did not add the product: %s",
		                r.error[0] ? r.error : talad_strerror(rc));
		goto out;
	}
	const json_t *prod = json_object_get(r.json, "product");
	const json_t *v = json_array_get(json_object_get(prod, "variants"), 0);
	const char *pid = json_string_value(json_object_get(prod, "id"));
	const char *vid = json_string_value(json_object_get(v, "id"));
	if (!pid || !vid) {
		status = regcli_fail(cli, REGCLI_EX_ERROR, "protocol",
		                     "the back office's answer has no product id");
		goto out;
	}

	/* This register sells it at once; the others after their next pull. */
	struct rsync sync;
	struct rsync_result res;
	bool here = false;
	rsync_result_init(&res);
	if (rsync_init(&sync, st, err, sizeof(err)) == TALAD_OK) {
		rc = rsync_pull(&sync, PULL_WAIT_S, &res);
		rsync_note(st, rc, &res);
		rsync_release(&sync);
		struct rstore_variant got;
		here = rc == TALAD_OK && rstore_get_variant(st, vid, &got) == TALAD_OK;
	}
	if (cli->json) {
		json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:b}", "id", pid,
		                        "variant_id", vid, "title", title, "sku", sku, "barcode",
		                        barcode ? json_string(barcode) : json_null(), "price",
		                        regcli_money_json(price, &cur), "tracked", tracked,
		                        "on_this_register", here);
		regcli_print_json(out);
	} else {
		printf("added %s (SKU %s%s%s) at %s %s to the back office's catalog\n", title, sku,
		       barcode ? ", barcode " : "", barcode ? barcode : "", price_s, cur.code);
		printf(here ? "this register sells it now; the others after their next sync\n"
		            : "it reaches this and the other registers with their next sync\n");
	}
	status = REGCLI_EX_OK;
out:
	rhttp_response_release(&r);
	rhttp_release(&http);
	return status;
}

int regcmd_product(struct regcli *cli, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return add(cli, argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: talad %s\n", USAGE);
		return REGCLI_EX_OK;
	}
	if (argc < 2)
		return regcli_usage(cli, USAGE, "say what to do: add");
	return regcli_usage(cli, USAGE, "unknown action '%s'", argv[1]);
}
