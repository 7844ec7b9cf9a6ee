/* `talad receipt email ORDER ADDRESS`: e-mail the receipt of an order sold
 * here. The request goes into the outbox (tied to the order) and one short
 * push is tried: online the back office takes it and sends the mail; offline
 * it waits in the outbox and goes with the next sync, and the cashier is
 * told which. */
#include "register/cmd_receipt_email.h"

#include "common/email.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "register/regcli.h"
#include "register/regmail.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PUSH_BUDGET_MS 1500

static int usage(FILE *err)
{
	fprintf(err, "usage: talad receipt email ORDER ADDRESS [--json]\n"
	             "  ORDER is the receipt number (R01-000042) or the order id\n");
	return 2;
}

static int fail(FILE *out, FILE *err, bool json, int status, const char *code, const char *msg)
{
	fprintf(err, "talad receipt email: %s\n", msg);
	if (json)
		regcli_put_json(out,
		                json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
	return status;
}

int cmd_receipt_email(struct rstore *st, int argc, char **argv, FILE *out, FILE *err)
{
	const char *order = NULL, *addr = NULL, *why = NULL;
	bool json = false;
	char msg[512], error[RSTORE_ERROR_MAX], order_id[UUID_STRLEN + 1];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(out);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1])
			return usage(err);
		else if (!order)
			order = argv[i];
		else if (!addr)
			addr = argv[i];
		else
			return usage(err);
	}
	if (!order || !addr)
		return usage(err);
	if (!email_address_valid(addr, &why)) {
		snprintf(msg, sizeof(msg), "'%s' is not an e-mail address: it %s", addr, why);
		fail(out, err, json, 2, "usage", msg);
		return usage(err);
	}
	struct rstore_pairing p;
	int rc = rstore_get_pairing(st, &p);
	if (rc == TALAD_ENOTFOUND || (rc == TALAD_OK && !p.logged_in))
		return fail(out, err, json, 1, "not_logged_in",
		            "this register is not logged in: run talad login first");
	if (rc)
		return fail(out, err, json, 1, "store", "cannot read this register's pairing");

	/* A request already standing is not made twice: the back office
	 * sends each receipt to an address once. */
	struct rstore_order_row row;
	bool again = false;
	if (rstore_get_order(st, order, &row, NULL) == TALAD_OK) {
		struct rstore_outbox_row prior;
		strlcpy_t(order_id, row.id, sizeof(order_id));
		if (rstore_email_row(st, row.id, addr, &prior) == TALAD_OK) {
			again = prior.status != RSTORE_OUT_REJECTED;
			free(prior.payload);
		}
	}
	if (!again) {
		rc = rstore_email_receipt(st, order, addr, order_id, NULL, msg, sizeof(msg));
		if (rc == TALAD_ENOTFOUND) {
			snprintf(msg, sizeof(msg),
			         "no order %s on this register (see talad orders)", order);
			return fail(out, err, json, 1, "unknown_order", msg);
		}
		if (rc)
			return fail(out, err, json, 1, "store", msg);
	}
	regmail_push(st, PUSH_BUDGET_MS);
	if (rstore_get_order(st, order_id, &row, NULL) != TALAD_OK)
		return fail(out, err, json, 1, "store", "cannot read the order back");
	enum regmail_state s = regmail_state(st, order_id, addr, error, sizeof(error));
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:b}", "order_id", order_id, "number",
		                      row.number, "email", addr, "status", regmail_state_name(s),
		                      "already_requested", again);
		json_object_set_new(j, "error",
		                    s == REGMAIL_REFUSED ? json_string(error) : json_null());
		regcli_put_json(out, j);
	} else {
		if (again)
			fprintf(out,
			        "the receipt of %s was already asked for %s: it is e-mailed once\n",
			        row.number, addr);
		regmail_tell(s == REGMAIL_REFUSED ? err : out, s, addr, error);
	}
	return s == REGMAIL_REFUSED ? 1 : 0;
}
