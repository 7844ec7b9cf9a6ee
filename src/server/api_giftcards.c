/* Gift cards in the admin API: issued with a balance (a code of the
 * merchant's or one made here), and looked up with what active holds keep
 * of it. Balances are integers in minor units in the database and decimal
 * strings here; redemption goes through the payments API. */
#include "server/api.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "server/payments.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* No 0/O or 1/I: codes are read out and typed by people. */
static const char code_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/* "GC-XXXX-XXXX-XXXX": 60 random bits. */
static void new_code(char out[ST_GIFTCODE_MAX])
{
	unsigned char rnd[12];
	size_t k = 0;

	if (sodium_init() < 0)
		memset(rnd, 0, sizeof(rnd));
	randombytes_buf(rnd, sizeof(rnd));
	memcpy(out, "GC", 2);
	k = 2;
	for (size_t i = 0; i < sizeof(rnd); i++) {
		if (i % 4 == 0)
			out[k++] = '-';
		out[k++] = code_alphabet[rnd[i] % 32];
	}
	out[k] = '\0';
}

static json_t *amount_json(int64_t v, int exponent)
{
	char s[MONEY_STRLEN];
	money_format(v, exponent, s);
	return json_string(s);
}

static json_t *giftcard_json(const struct st_giftcard *g, int exponent)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "code", g->code, "currency",
	                 g->currency, "initial_balance", amount_json(g->initial, exponent),
	                 "balance", amount_json(g->balance, exponent), "held",
	                 amount_json(g->held, exponent), "available",
	                 amount_json(g->balance - g->held, exponent), "created_at",
	                 api_time_json(g->created_at), "updated_at", api_time_json(g->updated_at));
}

void api_giftcards_post(struct api_req *r)
{
	static const char *const keys[] = {"code", "balance", NULL};
	struct st_shop shop;
	struct jerr e;
	const char *code;
	struct st_giftcard g;
	if (api_shop(r, &shop))
		return;
	memset(&g, 0, sizeof(g));
	if (jfield_known(r->body, keys, "", &e) ||
	    jfield_str(r->body, "code", "", false, 1, ST_GIFTCODE_MAX - 1, &code, &e) ||
	    jfield_money(r->body, "balance", "", true, shop.exponent, 1, PAYMENTS_AMOUNT_MAX,
	                 &g.initial, NULL, &e)) {
		api_field_error(r, &e);
		return;
	}
	if (code && payments_gift_code(code, g.code)) {
		jfield_fail(&e, "", "code", "must be %d to %d of a-z, 0-9 and '-'",
		            PAYMENTS_GIFT_CODE_MIN, PAYMENTS_GIFT_CODE_MAX);
		api_field_error(r, &e);
		return;
	}
	strlcpy_t(g.currency, shop.currency, sizeof(g.currency));
	g.balance = g.initial;
	g.created_at = g.updated_at = time_now_ms();
	int err = TALAD_EEXIST;
	/* A made-up code that is taken already is made again. */
	for (int tries = 0; err == TALAD_EEXIST && tries < (code ? 1 : 5); tries++) {
		if (!code)
			new_code(g.code);
		err = r->st->ops->giftcard_add(r->st, &g);
	}
	if (err == TALAD_EEXIST) {
		api_error(r, 409, "duplicate", "gift card code '%s' is already in use", g.code);
		return;
	}
	if (!err)
		err = r->st->ops->giftcard_get(r->st, g.code, &g);
	if (err) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 201, json_pack("{s:o}", "gift_card", giftcard_json(&g, shop.exponent)));
}

void api_giftcard_get(struct api_req *r)
{
	struct st_shop shop;
	struct st_giftcard g;
	char code[ST_GIFTCODE_MAX];
	struct store *st = r->st;
	if (api_shop(r, &shop))
		return;
	if (payments_gift_code(r->param, code)) {
		api_error(r, 404, "not_found", "no gift card with this code");
		return;
	}
	/* Holds past their expiry stop counting before the balance is shown. */
	int err = st->ops->begin(st, ST_TX_WRITE);
	if (!err && !(err = payments_expire(st, time_now_ms())))
		err = st->ops->giftcard_get(st, code, &g);
	if (err == TALAD_ENOTFOUND) {
		st->ops->rollback(st);
		api_error(r, 404, "not_found", "no gift card with this code");
		return;
	}
	if (err || (err = st->ops->commit(st))) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o}", "gift_card", giftcard_json(&g, shop.exponent)));
}
