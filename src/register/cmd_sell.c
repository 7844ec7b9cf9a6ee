/* `talad sell ITEM... --pay TENDER [--pay TENDER]... [--email E] [--json]`:
 * a sale from the command line. Everything is checked first (items in the
 * catalog copy, tenders, the merchant's payment methods); then the sale is
 * committed to the local store -- before anything is printed -- and only
 * then the receipt printed and one short push tried, which never fails the
 * sale. */
#include "common/buf.h"
#include "common/email.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/cart.h"
#include "core/money.h"
#include "core/order.h"
#include "core/receipt.h"
#include "core/tender.h"
#include "register/card_reader.h"
#include "register/promptpay.h"
#include "register/regcli.h"
#include "register/regmail.h"
#include "register/rpay.h"
#include "register/rprint.h"
#include "register/rstore.h"
#include "register/rsync.h"
#include "register/scan_lookup.h"

#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE                                                                                      \
	"sell ITEM... --pay TENDER [--pay TENDER]... [--email EMAIL] [--ship-to ADDRESS]"          \
	" [--confirm REF] [--json]"
#define PUSH_BUDGET_MS 1500 /* the one push after a sale, all in */
#define PROBE_MS       1500

static void usage_details(FILE *f)
{
	fprintf(f, "  ITEM   = BARCODE | SKU | CODE*QTY | custom:NAME=PRICE[*QTY]\n"
	           "  TENDER = cash[:AMOUNT] | card[:AMOUNT] | gift:CODE[:AMOUNT] |"
	           " custom:NAME[:AMOUNT]\n"
	           "  a PromptPay QR payment shows its QR code and asks whether it arrived;"
	           " --confirm REF\n  records REF as its reference without asking (scripts)\n");
}

/* Splits a trailing "*QTY" off s (in place). TALAD_OK with *qty (1 when
 * none), or TALAD_EINVAL for a quantity out of range. */
static int split_qty(char *s, int64_t *qty)
{
	*qty = 1;
	char *star = strrchr(s, '*');
	if (!star || star == s)
		return TALAD_OK;
	const char *d = star + 1;
	if (!*d)
		return TALAD_EINVAL;
	int64_t q = 0;
	for (; *d; d++) {
		if (!isdigit((unsigned char)*d))
			return TALAD_OK; /* not a quantity: part of the code */
		q = q * 10 + (*d - '0');
		if (q > CART_MAX_QUANTITY)
			return TALAD_EINVAL;
	}
	if (q < 1)
		return TALAD_EINVAL;
	*star = '\0';
	*qty = q;
	return TALAD_OK;
}

/* The same strict check the back office makes (common/email.h). */
static bool email_valid(const char *e)
{
	return strlen(e) <= ORDER_EMAIL_MAX && email_address_valid(e, NULL);
}

/* "PromptPay QR, Bank transfer", or "none set up" */
static void method_list(struct rstore *st, char *out, size_t len)
{
	char **names;
	size_t n;
	out[0] = '\0';
	if (rstore_payment_methods(st, &names, &n) != TALAD_OK || n == 0) {
		snprintf(out, len, "none set up");
		return;
	}
	size_t used = 0;
	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(out + used, len - used, "%s%s", i ? ", " : "", names[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	rstore_free_strings(names, n);
}

/* Adds an item argument to the cart. */
static int add_item(struct regcli *cli, struct rstore *st, const struct currency *cur,
                    struct cart *cart, const char *arg)
{
	char *item = xstrdup(arg);
	char err[256];
	int64_t qty;
	int status = REGCLI_EX_OK;
	if (split_qty(item, &qty)) {
		status = regcli_usage(cli, USAGE, "item '%s': the quantity after '*' must be 1..%d",
		                      arg, CART_MAX_QUANTITY);
		goto out;
	}
	struct cart_line l;
	memset(&l, 0, sizeof(l));
	l.quantity = qty;
	if (!strncmp(item, "custom:", 7)) {
		char *name = item + 7, *eq = strrchr(name, '=');
		if (!eq || eq == name) {
			status = regcli_usage(cli, USAGE,
			                      "item '%s': a custom item is custom:NAME=PRICE", arg);
			goto out;
		}
		*eq = '\0';
		if (money_parse(eq + 1, cur->exponent, &l.unit_price, err, sizeof(err)) ||
		    l.unit_price < 0) {
			status = regcli_usage(cli, USAGE, "item '%s': bad price: %s", arg,
			                      l.unit_price < 0 ? "negative" : err);
			goto out;
		}
		if (strlen(name) >= sizeof(l.title)) {
			status = regcli_usage(cli, USAGE, "item '%s': name longer than %zu bytes",
			                      arg, sizeof(l.title) - 1);
			goto out;
		}
		strcpy(l.title, name);
		l.taxable = true; /* the shop's tax applies to what it sells */
	} else {
		/* Barcode or SKU, the other GTIN form, or an in-store price/weight
		   code (scan_lookup.h); a misread check digit is refused. */
		struct scan_match m;
		int rc = scan_lookup(st, item, &m, err, sizeof(err));
		if (rc == TALAD_ENOTFOUND) {
			status = regcli_fail(cli, REGCLI_EX_ERROR, "unknown_item",
			                     "no item with barcode or SKU '%s' in this register's"
			                     " catalog; sell it as custom:NAME=PRICE",
			                     item);
			goto out;
		}
		if (rc == TALAD_EINVAL) {
			status = regcli_fail(cli, REGCLI_EX_ERROR, "bad_barcode", "item '%s': %s",
			                     item, err);
			goto out;
		}
		if (rc) {
			status = regcli_fail(cli, REGCLI_EX_ERROR, "store",
			                     "cannot look '%s' up: %s", item, talad_strerror(rc));
			goto out;
		}
		const struct rstore_variant *v = &m.variant;
		/* The same item scanned twice is one line of two; in-store codes
		   carry their own price or weight and stay lines of their own. */
		for (size_t i = 0; i < cart->nlines && !m.instore; i++) {
			if (!strcmp(cart->lines[i].variant_id, v->id)) {
				int64_t q = cart->lines[i].quantity + qty;
				if (q > CART_MAX_QUANTITY ||
				    cart_set_quantity(cart, i, q) != TALAD_OK) {
					status = regcli_usage(cli, USAGE,
					                      "too many of '%s' (at most %d)", item,
					                      CART_MAX_QUANTITY);
				}
				goto out;
			}
		}
		scan_match_line(&m, &l);
		l.quantity = qty;
	}
	if (cart_add_line(cart, &l, err, sizeof(err)) != TALAD_OK)
		status = regcli_usage(cli, USAGE, "item '%s': %s", arg, err);
out:
	free(item);
	return status;
}

static const char *method_phrase(enum tender_kind k)
{
	return k == TENDER_CARD ? "card payments" : "gift card payments";
}

/* A shipping address: one to ORDER_SHIP_MAX - 1 bytes, lines of text. */
static bool ship_to_valid(const char *s)
{
	size_t n = strlen(s);
	bool visible = false;
	if (n == 0 || n >= ORDER_SHIP_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			return false;
		visible = visible || *p > ' ';
	}
	return visible;
}

/* TALAD_TEST_PAUSE_AFTER_AUTH=SECONDS: a test hook that widens the window
 * between the authorizations and the commit, for the end-to-end test that
 * restarts the back office in it. */
static void test_pause_after_auth(void)
{
	const char *v = getenv("TALAD_TEST_PAUSE_AFTER_AUTH");
	char *end;
	long secs = v ? strtol(v, &end, 10) : 0;
	if (!v || *end || secs <= 0 || secs > 600)
		return;
	fprintf(stderr, "talad: test hook: pausing %ld s between authorization and commit\n", secs);
	sleep((unsigned)secs);
}

static json_t *payments_json(const struct settlement *s, const struct currency *cur)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < s->npayments; i++) {
		const struct payment *pm = &s->payments[i];
		json_t *j = json_pack("{s:s, s:o}", "method", tender_kind_name(pm->kind), "amount",
		                      regcli_money_json(pm->amount, cur));
		if (pm->kind == TENDER_CUSTOM)
			json_object_set_new(j, "name", json_string(pm->name));
		if (pm->reference[0])
			json_object_set_new(j, "reference", json_string(pm->reference));
		if (pm->card_brand[0])
			json_object_set_new(j, "card_brand", json_string(pm->card_brand));
		if (pm->card_last4[0])
			json_object_set_new(j, "card_last4", json_string(pm->card_last4));
		json_array_append_new(arr, j);
	}
	return arr;
}

int regcmd_sell(struct regcli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pay", required_argument, NULL, 'p'},
	    {"email", required_argument, NULL, 'e'},
	    {"ship-to", required_argument, NULL, 's'},
	    {"confirm", required_argument, NULL, 'c'},
	    REGCLI_OPTS_END,
	};
	const char *pays[TENDER_MAX + 1];
	size_t npays = 0;
	const char *confirm = NULL; /* --confirm REF: PromptPay paid, without asking */
	const char *email = NULL, *ship_to = NULL;
	struct regcli_opts op = {argc, argv, opts, USAGE, INT_MAX, usage_details};
	int c;
	while ((c = regcli_getopt(cli, &op)) >= 0) {
		if (c == 'p') {
			if (npays == TENDER_MAX)
				return regcli_usage(cli, USAGE, "at most %d tenders on one sale",
				                    TENDER_MAX);
			pays[npays++] = optarg;
		} else if (c == 'e') {
			email = optarg;
		} else if (c == 's') {
			ship_to = optarg;
		} else if (c == 'c') {
			confirm = optarg;
		}
	}
	if (c == REGCLI_OPT_EXIT)
		return op.status;
	if (optind >= argc)
		return regcli_usage(cli, USAGE, "nothing to sell: give at least one item");
	if (npays == 0)
		return regcli_usage(cli, USAGE,
		                    "how is it paid? add --pay cash, --pay custom:NAME, ...");
	if (email && !email_valid(email))
		return regcli_usage(cli, USAGE, "'%s' is not an e-mail address", email);
	if (ship_to && !ship_to_valid(ship_to))
		return regcli_usage(cli, USAGE,
		                    "--ship-to needs the name and address to ship to (text, at most"
		                    " %d bytes)",
		                    ORDER_SHIP_MAX - 1);
	if (ship_to && !email)
		return regcli_usage(cli, USAGE,
		                    "an order shipped to the customer needs their --email as well");

	struct rstore *st;
	struct rstore_pairing p;
	int rc = regcli_session(cli, &st, &p);
	if (rc)
		return rc; /* an exit status */
	struct rstore_shop shop;
	if ((rc = rstore_get_shop(st, &shop)))
		return regcli_fail(cli, REGCLI_EX_ERROR, "store",
		                   "cannot read the shop settings: %s", talad_strerror(rc));
	struct currency cur;
	if (currency_lookup(shop.currency, &cur))
		return regcli_fail(cli, REGCLI_EX_ERROR, "currency",
		                   "the shop's currency '%s' is not known", shop.currency);

	/* Tenders first: they are the cheapest to check. */
	struct tender tenders[TENDER_MAX];
	char err[512], methods[256];
	bool needs_backoffice = false;
	enum tender_kind online_kind = TENDER_CARD;
	const struct card_reader *reader = NULL;
	bool has_card = false;
	struct rpay pay;
	bool pay_open = false;
	for (size_t i = 0; i < npays; i++) {
		if (tender_parse(pays[i], cur.exponent, &tenders[i], err, sizeof(err))) {
			usage_details(stderr);
			return regcli_usage(cli, USAGE, "--pay %s: %s", pays[i], err);
		}
		if (tenders[i].kind == TENDER_CUSTOM) {
			char name[TENDER_NAME_MAX];
			rc = rstore_payment_method_match(st, tenders[i].name, name, sizeof(name));
			if (rc == TALAD_ENOTFOUND) {
				method_list(st, methods, sizeof(methods));
				return regcli_fail(cli, REGCLI_EX_ERROR, "unknown_method",
				                   "'%s' is not one of this shop's payment methods"
				                   " (%s)",
				                   tenders[i].name, methods);
			}
			if (rc)
				return regcli_fail(cli, REGCLI_EX_ERROR, "store",
				                   "cannot read the payment methods");
			strlcpy_t(tenders[i].name, name, sizeof(tenders[i].name));
		}
		if (tender_needs_backoffice(tenders[i].kind) && !needs_backoffice) {
			needs_backoffice = true;
			online_kind = tenders[i].kind;
		}
		has_card = has_card || tenders[i].kind == TENDER_CARD;
	}

	struct order o;
	order_init(&o, &shop.tax);
	strlcpy_t(o.currency, cur.code, sizeof(o.currency));
	int status = REGCLI_EX_ERROR;
	for (int i = optind; i < argc; i++) {
		status = add_item(cli, st, &cur, &o.cart, argv[i]);
		if (status != REGCLI_EX_OK)
			goto out;
	}
	status = REGCLI_EX_ERROR;

	if (cart_price(&o.cart, err, sizeof(err))) {
		status =
		    regcli_fail(cli, REGCLI_EX_ERROR, "price", "cannot price this sale: %s", err);
		goto out;
	}
	if (tender_settle(o.cart.total, tenders, npays, shop.cash_increment, &o.settlement, err,
	                  sizeof(err))) {
		status = regcli_fail(cli, REGCLI_EX_ERROR, "payment", "%s", err);
		goto out;
	}
	/* PromptPay: the QR code shown and the cashier's word that it was paid. */
	rc = promptpay_confirm_sale(st, &cur, &o.settlement, confirm, err, sizeof(err));
	if (rc) {
		status = regcli_fail(cli, rc == TALAD_EREFUSED ? REGCLI_EX_ERROR : REGCLI_EX_USAGE,
		                     "promptpay", "%s; nothing was recorded", err);
		goto out;
	}
	if (email)
		strlcpy_t(o.email, email, sizeof(o.email));
	if (ship_to)
		strlcpy_t(o.ship_to, ship_to, sizeof(o.ship_to));

	/* What needs the back office is refused before anything is asked of
	 * it or taken from the customer when it cannot be reached. */
	if (needs_backoffice || ship_to) {
		if (!regcli_probe(p.server_url, PROBE_MS)) {
			method_list(st, methods, sizeof(methods));
			if (ship_to)
				status = regcli_fail(
				    cli, REGCLI_EX_OFFLINE, "offline",
				    "shipping to a customer needs the back office, which cannot be"
				    " reached now; no payment was taken and nothing was recorded;"
				    " a sale the customer takes away still works with cash and"
				    " custom methods (%s)",
				    methods);
			else
				status = regcli_fail(
				    cli, REGCLI_EX_OFFLINE, "offline",
				    "%s need the back office, which cannot be reached now;"
				    " cash and custom methods (%s) still work; nothing was"
				    " recorded",
				    method_phrase(online_kind), methods);
			goto out;
		}
		/* Online: authorizations a killed run of this register left. */
		rpay_recover(st, cli->home, NULL);
	}
	if (needs_backoffice) {
		struct rpay_decline dec;
		if (has_card && (rc = card_reader_open(st, &reader, err, sizeof(err)))) {
			status = regcli_fail(cli, REGCLI_EX_ERROR, "no_card_reader",
			                     "%s; nothing was recorded", err);
			goto out;
		}
		if ((rc = rpay_init(&pay, st, cli->home, err, sizeof(err)))) {
			status = regcli_fail(cli, REGCLI_EX_ERROR, "not_logged_in", "%s", err);
			goto out;
		}
		pay_open = true;
		uuid_v7(o.id); /* the payments are authorized for this order */
		rc = rpay_authorize(&pay, o.id, &o.settlement, reader, &dec, err, sizeof(err));
		if (rc == TALAD_EREFUSED) {
			status =
			    regcli_fail(cli, REGCLI_EX_ERROR, dec.code[0] ? dec.code : "declined",
			                "payment declined: %s (%s); nothing was recorded and"
			                " nothing was charged",
			                dec.message[0] ? dec.message : "declined", dec.what);
			goto out;
		}
		if (rc) {
			method_list(st, methods, sizeof(methods));
			if (rhttp_retryable(rc))
				status =
				    regcli_fail(cli, REGCLI_EX_OFFLINE, "offline",
				                "the back office stopped answering while %s were"
				                " authorized: %s; nothing was recorded; cash and"
				                " custom methods (%s) still work",
				                method_phrase(online_kind), err, methods);
			else
				status = regcli_fail(cli, REGCLI_EX_ERROR, "payment",
				                     "%s: %s; nothing was recorded",
				                     method_phrase(online_kind), err);
			goto out;
		}
		test_pause_after_auth();
	}

	rc = rstore_commit_sale(st, &o, err, sizeof(err));
	if (rc) {
		status = regcli_fail(cli, REGCLI_EX_ERROR, "commit",
		                     "the sale was not recorded: %s", err);
		if (pay_open) {
			char verr[256];
			if (rpay_void_all(&pay, verr, sizeof(verr)))
				regcli_warn("%s; the back office releases it by itself", verr);
		}
		goto out;
	}
	status = REGCLI_EX_OK; /* from here on the sale is a fact */
	if (pay_open)
		rpay_committed(&pay);

	char total[MONEY_STRLEN], change[MONEY_STRLEN];
	money_format(o.cart.total, cur.exponent, total);
	money_format(o.settlement.change, cur.exponent, change);
	if (!cli->json) {
		struct rprint_config cfg;
		struct receipt_settings rs;
		struct buf text;
		buf_init(&text, 1 << 20);
		if (rprint_config_load(st, &cfg, err, sizeof(err)) == TALAD_OK &&
		    rprint_receipt_settings(st, &cfg, &rs, err, sizeof(err)) == TALAD_OK &&
		    receipt_render_text(&o, &rs, &text) == TALAD_OK)
			fputs(buf_str(&text), stdout);
		else
			regcli_warn("receipt not shown: %s (talad receipt show %s)", err, o.number);
		buf_release(&text);
		printf("sale %s: total %s %s, change %s\n", o.number, total, cur.code, change);
		fflush(stdout);
	}
	/* Paper and drawer (when set up): a failure is told, the sale stands. */
	rprint_after_sale(st, &o, stderr);

	regcli_push_briefly(st, PUSH_BUDGET_MS);
	struct rstore_order_row row;
	enum rstore_order_status ost = RSTORE_ORDER_WAITING;
	if (rstore_get_order(st, o.id, &row, NULL) == TALAD_OK)
		ost = row.status;
	else
		row.error[0] = '\0';
	int64_t pending = 0;
	rstore_pending_count(st, &pending);
	char mail_why[RSTORE_ERROR_MAX] = "";
	enum regmail_state mail =
	    email ? regmail_state(st, o.id, email, mail_why, sizeof(mail_why)) : REGMAIL_QUEUED;

	if (cli->json) {
		json_t *j = json_pack(
		    "{s:s, s:s, s:o, s:o, s:o, s:b, s:s, s:I}", "id", o.id, "number", o.number,
		    "total", json_string(total), "change", json_string(change), "due",
		    regcli_money_json(o.settlement.due, &cur), "synced", ost == RSTORE_ORDER_SYNCED,
		    "status", rstore_order_status_name(ost), "pending", (json_int_t)pending);
		json_object_set_new(j, "error",
		                    ost == RSTORE_ORDER_REJECTED ? json_string(row.error)
		                                                 : json_null());
		json_object_set_new(j, "email", email ? json_string(email) : json_null());
		json_object_set_new(j, "email_status",
		                    email ? json_string(regmail_state_name(mail)) : json_null());
		json_object_set_new(j, "ship_to", ship_to ? json_string(ship_to) : json_null());
		json_object_set_new(j, "payments", payments_json(&o.settlement, &cur));
		regcli_print_json(j);
	} else if (ost == RSTORE_ORDER_SYNCED) {
		printf("synced with the back office\n");
	} else if (ost == RSTORE_ORDER_REJECTED) {
		printf("the back office refused this order: %s (it stays recorded here;"
		       " see talad orders)\n",
		       row.error);
	} else {
		printf("saved offline; will sync automatically\n");
	}
	if (email && !cli->json)
		regmail_tell(stdout, mail, email, mail_why);
	if (ship_to && !cli->json) {
		if (ost == RSTORE_ORDER_SYNCED)
			printf("to be shipped: the back office has the order with an unfulfilled"
			       " shipping fulfilment\n");
		else
			printf("to be shipped: the back office gets the order and its shipping"
			       " address as soon as the register syncs\n");
	}
out:
	if (pay_open)
		rpay_release(&pay);
	order_release(&o);
	return status;
}
