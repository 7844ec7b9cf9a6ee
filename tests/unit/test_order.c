/* Unit tests of the order record's JSON form: hand-built, protocol-example
 * and thousands of random orders round-trip unchanged, and a table of bad
 * inputs must each be refused with a message naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "core/order.h"

#define ID    "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"
#define REG   "0193a5b2-0000-7000-8000-000000000001"
#define LOC   "0193a5b2-0000-7000-8000-000000000002"
#define STAFF "0193a5b2-0000-7000-8000-000000000003"
#define V1    "0193a5b2-0000-7000-8000-0000000000a1"
#define V2    "0193a5b2-0000-7000-8000-0000000000a2"
#define WHEN  "2026-12-04T19:48:10.123Z"

static void add_line(struct cart *c, const char *variant, const char *sku, const char *title,
                     int64_t qty, int64_t price, bool taxable, enum discount_kind dk, int64_t dv)
{
	struct cart_line l;
	char err[256] = "";
	memset(&l, 0, sizeof(l));
	strlcpy_t(l.variant_id, variant, sizeof(l.variant_id));
	strlcpy_t(l.sku, sku, sizeof(l.sku));
	strlcpy_t(l.title, title, sizeof(l.title));
	l.quantity = qty;
	l.unit_price = price;
	l.taxable = taxable;
	l.discount.kind = dk;
	l.discount.value = dv;
	int rc = cart_add_line(c, &l, err, sizeof(err));
	if (rc != TALAD_OK)
		fail_msg("cart_add_line: %s", err);
}

/* The order the mutation table starts from: three lines (catalog, custom
 * with a percent discount, untaxed with an amount discount), an order
 * discount, and card + custom + cash payments with change. */
static void build_base(struct order *o)
{
	struct tax_rule tax = {70000, true, TAX_ROUND_LINE};
	char err[256] = "";
	order_init(o, &tax);
	strcpy(o->id, ID);
	strcpy(o->number, "R01-000042");
	strcpy(o->register_id, REG);
	strcpy(o->location_id, LOC);
	strcpy(o->staff_id, STAFF);
	assert_int_equal(time_parse_iso(WHEN, &o->created_at), TALAD_OK);
	strcpy(o->currency, "THB");
	add_line(&o->cart, V1, "KAFAE-01", "Iced coffee", 2, 4500, true, DISCOUNT_NONE, 0);
	add_line(&o->cart, "", "", "ข้าวผัดกุ้ง", 1, 6000, true, DISCOUNT_PERCENT, 100000);
	add_line(&o->cart, V2, "WATER-600", "Water 600 ml", 3, 1999, false, DISCOUNT_AMOUNT, 500);
	struct discount od = {DISCOUNT_AMOUNT, 1000};
	assert_int_equal(cart_set_order_discount(&o->cart, od), TALAD_OK);
	if (cart_price(&o->cart, err, sizeof(err)) != TALAD_OK)
		fail_msg("cart_price: %s", err);

	struct settlement *s = &o->settlement;
	struct payment *p = s->payments;
	p[0].kind = TENDER_CARD;
	strcpy(p[0].reference, "auth-778899");
	strcpy(p[0].card_brand, "visa");
	strcpy(p[0].card_last4, "4242");
	p[0].amount = p[0].tendered = 1000;
	p[1].kind = TENDER_CUSTOM;
	strcpy(p[1].name, "PromptPay QR");
	p[1].amount = p[1].tendered = 2000;
	p[2].kind = TENDER_CASH;
	p[2].amount = o->cart.total - 3000;
	p[2].tendered = p[2].amount + 1234;
	p[2].change = 1234;
	s->npayments = 3;
	s->due = o->cart.total;
	s->rounding = 0;
	s->change = 1234;
	strcpy(o->email, "somchai@example.com");
	strcpy(o->note, "ไม่ใส่น้ำแข็ง\nขอบคุณ");
}

/* to_json -> text -> JSON -> from_json -> to_json must give the same JSON. */
static void assert_round_trip(const struct order *o)
{
	char err[256] = "";
	json_t *j1 = order_to_json(o);
	char *text = json_dumps(j1, JSON_COMPACT);
	assert_non_null(text);
	json_error_t jerr;
	json_t *j2 = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(j2);
	struct order back;
	order_init(&back, NULL);
	int rc = order_from_json(j2, &back, err, sizeof(err));
	if (rc != TALAD_OK)
		fail_msg("order_from_json refused its own output: %s\n%s", err, text);
	json_t *j3 = order_to_json(&back);
	if (!json_equal(j1, j3)) {
		char *again = json_dumps(j3, JSON_COMPACT);
		fail_msg("round trip changed the order:\n%s\n%s", text, again);
	}
	assert_int_equal(back.cart.nlines, o->cart.nlines);
	assert_int_equal(back.created_at, o->created_at);
	assert_int_equal(back.settlement.npayments, o->settlement.npayments);
	json_decref(j3);
	json_decref(j2);
	json_decref(j1);
	free(text);
	order_release(&back);
}

static void test_hand_built_round_trip(void **state)
{
	(void)state;
	struct order o;
	build_base(&o);
	json_t *j = order_to_json(&o);

	assert_string_equal(json_string_value(json_object_get(j, "created_at")), WHEN);
	assert_string_equal(json_string_value(json_object_get(j, "staff_id")), STAFF);
	assert_true(json_is_null(json_object_get(j, "ship_to")));
	json_t *lines = json_object_get(j, "lines");
	assert_int_equal(json_array_size(lines), 3);
	json_t *custom = json_array_get(lines, 1);
	assert_true(json_is_null(json_object_get(custom, "variant_id")));
	assert_true(json_is_null(json_object_get(custom, "sku")));
	assert_string_equal(json_string_value(json_object_get(custom, "title")), "ข้าวผัดกุ้ง");
	json_t *d = json_object_get(custom, "discount");
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "percent");
	assert_int_equal(json_integer_value(json_object_get(d, "value")), 100000);
	assert_true(json_is_null(json_object_get(json_array_get(lines, 0), "discount")));
	assert_true(json_is_integer(json_object_get(j, "total")));
	assert_int_equal(json_integer_value(json_object_get(j, "total")), o.cart.total);
	json_t *cash = json_array_get(json_object_get(j, "payments"), 2);
	assert_string_equal(json_string_value(json_object_get(cash, "method")), "cash");
	assert_true(json_is_null(json_object_get(cash, "name")));
	assert_true(json_is_null(json_object_get(cash, "card_last4")));
	assert_int_equal(json_integer_value(json_object_get(cash, "change")), 1234);
	json_t *card = json_array_get(json_object_get(j, "payments"), 0);
	assert_string_equal(json_string_value(json_object_get(card, "card_last4")), "4242");
	assert_int_equal(json_object_size(j), 21);
	json_decref(j);

	assert_round_trip(&o);

	/* And the struct read back holds what was put in. */
	struct order back;
	char err[256] = "";
	order_init(&back, NULL);
	j = order_to_json(&o);
	assert_int_equal(order_from_json(j, &back, err, sizeof(err)), TALAD_OK);
	assert_string_equal(back.id, ID);
	assert_string_equal(back.number, "R01-000042");
	assert_string_equal(back.note, o.note);
	assert_string_equal(back.cart.lines[1].title, "ข้าวผัดกุ้ง");
	assert_string_equal(back.cart.lines[1].variant_id, "");
	assert_int_equal(back.cart.order_discount.kind, DISCOUNT_AMOUNT);
	assert_int_equal(back.cart.tax.rate_ppm, 70000);
	assert_string_equal(back.settlement.payments[1].name, "PromptPay QR");
	assert_int_equal(back.settlement.change, 1234);
	json_decref(j);
	order_release(&back);
	order_release(&o);
}

/* The example of docs/PROTOCOL.md with real ids: the shape there is what
 * order_to_json must write, key for key. */
static const char protocol_example[] =
    "{\"id\": \"" ID "\", \"number\": \"R01-000042\", \"register_id\": \"" REG "\","
    " \"location_id\": \"" LOC "\", \"staff_id\": null,"
    " \"created_at\": \"2026-12-04T19:48:10.123Z\", \"currency\": \"THB\","
    " \"tax\": {\"rate_ppm\": 70000, \"included\": true, \"rounding\": \"line\"},"
    " \"order_discount\": null,"
    " \"lines\": [{\"variant_id\": \"" V1 "\", \"sku\": \"KAFAE-01\", \"title\": \"Iced coffee\","
    "  \"quantity\": 2, \"unit_price\": 4500, \"taxable\": true, \"discount\": null,"
    "  \"gross\": 9000, \"line_discount\": 0, \"order_discount\": 0,"
    "  \"net\": 9000, \"tax\": 589, \"total\": 9000}],"
    " \"subtotal\": 9000, \"discount_total\": 0, \"tax_total\": 589, \"total\": 9000,"
    " \"payments\": [{\"method\": \"cash\", \"name\": null, \"reference\": null,"
    "  \"card_brand\": null, \"card_last4\": null,"
    "  \"amount\": 9000, \"tendered\": 10000, \"change\": 1000}],"
    " \"cash_rounding\": 0, \"due\": 9000, \"change\": 1000,"
    " \"email\": null, \"ship_to\": null, \"note\": null}";

static void test_protocol_example(void **state)
{
	(void)state;
	json_error_t jerr;
	json_t *j = json_loads(protocol_example, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(j);
	struct order o;
	char err[256] = "";
	order_init(&o, NULL);
	if (order_from_json(j, &o, err, sizeof(err)) != TALAD_OK)
		fail_msg("the protocol's example was refused: %s", err);
	assert_int_equal(o.cart.lines[0].tax, 589);
	assert_int_equal(o.cart.total, 9000);
	assert_string_equal(o.staff_id, "");
	json_t *back = order_to_json(&o);
	assert_true(json_equal(j, back));
	json_decref(back);
	json_decref(j);
	order_release(&o);
}

/* ---- random orders ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* xorshift64*: the same orders on every run, so a failure repeats. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* 0 .. n-1 */
static int64_t below(int64_t n)
{
	return n <= 0 ? 0 : (int64_t)(rnd() % (uint64_t)n);
}

static void rand_text(char *out, size_t cap, bool multiline)
{
	static const char *const pieces[] = {"Kafae", "ข้าว", "ผัด", " ", "ชา", "เย็น", "☕",      "🍜",
	                                     "Nam",   "x",   "-",  "Ü", "é",  "0",   "ก๋วยเตี๋ยว"};
	size_t len = 0, want = 1 + (size_t)below((int64_t)cap - 1);
	out[0] = '\0';
	while (len < want) {
		const char *p = pieces[below(sizeof(pieces) / sizeof(pieces[0]))];
		if (multiline && below(10) == 0)
			p = "\n";
		size_t n = strlen(p);
		if (len + n > cap - 1)
			break;
		memcpy(out + len, p, n + 1);
		len += n;
	}
	if (len == 0)
		strcpy(out, "x");
}

static void rand_cart(struct cart *c)
{
	static const int64_t rates[] = {0, 70000, 75000, 88750, 100000, 200000, 1000000};
	struct tax_rule tax = {rates[below(7)], below(2) == 0,
	                       below(2) ? TAX_ROUND_ORDER : TAX_ROUND_LINE};
	char err[256] = "";
	size_t n = below(10) == 0 ? 1 + (size_t)below(60) : 1 + (size_t)below(8);
	cart_init(c, &tax);
	for (size_t i = 0; i < n; i++) {
		struct cart_line l;
		memset(&l, 0, sizeof(l));
		if (below(3) != 0) {
			uuid_v7(l.variant_id);
			snprintf(l.sku, sizeof(l.sku), "SKU-%04d", (int)below(10000));
		}
		rand_text(l.title, below(20) == 0 ? sizeof(l.title) : 40, false);
		l.quantity = below(50) == 0 ? 1 + below(CART_MAX_QUANTITY) : 1 + below(5);
		l.unit_price = l.quantity > 100 ? below(100) : below(200000);
		l.taxable = below(5) != 0;
		switch (below(4)) {
		case 0:
			l.discount.kind = DISCOUNT_PERCENT;
			l.discount.value = below(TAX_PPM_ONE + 1);
			break;
		case 1:
			l.discount.kind = DISCOUNT_AMOUNT;
			l.discount.value = below(l.quantity * l.unit_price + 1);
			break;
		default:
			break;
		}
		if (cart_add_line(c, &l, err, sizeof(err)) != TALAD_OK)
			fail_msg("cart_add_line: %s", err);
	}
	switch (below(3)) {
	case 0:
		c->order_discount.kind = DISCOUNT_PERCENT;
		c->order_discount.value = below(TAX_PPM_ONE + 1);
		break;
	case 1:
		c->order_discount.kind = DISCOUNT_AMOUNT;
		c->order_discount.value = below(50000);
		break;
	default:
		break;
	}
	if (cart_price(c, err, sizeof(err)) != TALAD_OK) {
		/* an amount off the order larger than the order: drop it */
		c->order_discount.kind = DISCOUNT_NONE;
		c->order_discount.value = 0;
		if (cart_price(c, err, sizeof(err)) != TALAD_OK)
			fail_msg("cart_price: %s", err);
	}
}

static void rand_settle(int64_t total, struct settlement *s)
{
	static const int64_t increments[] = {0, 0, 25, 50, 100};
	struct tender t[TENDER_MAX];
	size_t n = 0;
	int64_t left = total, inc = increments[below(5)];
	char err[256] = "";

	memset(t, 0, sizeof(t));
	/* Some partial tenders, then one that settles the rest. */
	while (total > 0 && left >= 2 && n < TENDER_MAX - 1 && below(2) == 0) {
		/* not cash: a small cash part can round to nothing */
		t[n].kind = (enum tender_kind)(1 + below(3));
		if (t[n].kind == TENDER_CUSTOM)
			strcpy(t[n].name, below(2) ? "PromptPay QR" : "โอนเงิน");
		if (t[n].kind == TENDER_GIFT_CARD)
			snprintf(t[n].name, sizeof(t[n].name), "GC%06d", (int)below(1000000));
		t[n].has_amount = true;
		t[n].amount = 1 + below(left / 2);
		left -= t[n].amount;
		n++;
	}
	if (total > 0) {
		t[n].kind = below(2) ? TENDER_CASH : (enum tender_kind)below(4);
		if (t[n].kind == TENDER_CUSTOM)
			strcpy(t[n].name, "Bank transfer");
		if (t[n].kind == TENDER_GIFT_CARD)
			strcpy(t[n].name, "GC-LAST");
		if (t[n].kind == TENDER_CASH && below(2)) {
			/* enough to cover the amount rounded up, and change */
			t[n].has_amount = true;
			t[n].amount = left + inc + below(100000);
		}
		n++;
	}
	if (tender_settle(total, t, n, inc, s, err, sizeof(err)) != TALAD_OK)
		fail_msg("tender_settle: %s", err);
	for (size_t i = 0; i < s->npayments; i++) {
		struct payment *p = &s->payments[i];
		if (p->kind == TENDER_CARD && below(2)) {
			strcpy(p->card_brand, below(2) ? "visa" : "mastercard");
			for (int k = 0; k < 4; k++)
				p->card_last4[k] = (char)('0' + below(10));
			p->card_last4[4] = '\0';
		}
		if (below(3) == 0)
			snprintf(p->reference, sizeof(p->reference), "ref-%d", (int)below(1000000));
	}
}

static void rand_order(struct order *o)
{
	static const char *const currencies[] = {"THB", "USD", "JPY", "KWD", "EUR"};
	memset(o, 0, sizeof(*o));
	uuid_v7(o->id);
	snprintf(o->number, sizeof(o->number), "R%02d-%06d", (int)below(100), (int)below(1000000));
	uuid_v7(o->register_id);
	uuid_v7(o->location_id);
	if (below(2))
		uuid_v7(o->staff_id);
	o->created_at = below(INT64_C(4102444800000)); /* 1970 .. 2100 */
	strcpy(o->currency, currencies[below(5)]);
	rand_cart(&o->cart);
	rand_settle(o->cart.total, &o->settlement);
	if (below(3) == 0)
		snprintf(o->email, sizeof(o->email), "buyer%d@example.co.th", (int)below(1000));
	if (below(10) == 0)
		rand_text(o->ship_to, sizeof(o->ship_to), true);
	if (below(5) == 0)
		rand_text(o->note, below(5) == 0 ? sizeof(o->note) : 60, true);
}

static void test_random_round_trips(void **state)
{
	(void)state;
	for (int i = 0; i < 3000; i++) {
		struct order o;
		rand_order(&o);
		assert_round_trip(&o);
		order_release(&o);
	}
}

static void test_full_discount_needs_no_payment(void **state)
{
	(void)state;
	struct order o;
	char err[256] = "";
	build_base(&o);
	struct discount all = {DISCOUNT_PERCENT, TAX_PPM_ONE};
	assert_int_equal(cart_set_order_discount(&o.cart, all), TALAD_OK);
	assert_int_equal(cart_price(&o.cart, err, sizeof(err)), TALAD_OK);
	assert_int_equal(o.cart.total, 0);
	assert_int_equal(tender_settle(0, NULL, 0, 0, &o.settlement, err, sizeof(err)), TALAD_OK);
	assert_int_equal(o.settlement.npayments, 0);
	assert_round_trip(&o);
	order_release(&o);
}

static void test_largest_order(void **state)
{
	(void)state;
	struct tax_rule tax = {70000, false, TAX_ROUND_ORDER};
	struct order o;
	struct tender cash = {TENDER_CASH, "", false, 0};
	char err[256] = "", title[32];
	order_init(&o, &tax);
	uuid_v7(o.id);
	strcpy(o.number, "R99-999999999999999999999999999"); /* 31 bytes: the most */
	uuid_v7(o.register_id);
	uuid_v7(o.location_id);
	o.created_at = 0;
	strcpy(o.currency, "USD");
	for (int i = 0; i < CART_MAX_LINES; i++) {
		snprintf(title, sizeof(title), "item %d", i);
		add_line(&o.cart, "", "", title, 1 + i % 3, 99 + i, i % 2, DISCOUNT_NONE, 0);
	}
	assert_int_equal(cart_price(&o.cart, err, sizeof(err)), TALAD_OK);
	assert_int_equal(tender_settle(o.cart.total, &cash, 1, 0, &o.settlement, err, sizeof(err)),
	                 TALAD_OK);
	assert_round_trip(&o);
	order_release(&o);
}

/* ---- bad input ---- */

enum op_kind { OP_END, OP_SET, OP_DEL, OP_ADD, OP_RAW, OP_REPEAT, OP_GROW };

struct op {
	enum op_kind kind;
	const char *path;  /* "lines[2].quantity" */
	const char *value; /* JSON text (SET), a delta (ADD), bytes (RAW, REPEAT) */
	size_t n;          /* RAW: bytes; REPEAT: copies; GROW: array size */
};

struct mutation {
	const char *expect; /* the message's start; NULL: must be accepted */
	struct op ops[3];
};

#define SET(p, v)                                                                                  \
	{                                                                                          \
		OP_SET, p, v, 0                                                                    \
	}
#define DEL(p)                                                                                     \
	{                                                                                          \
		OP_DEL, p, NULL, 0                                                                 \
	}
#define ADD(p, d)                                                                                  \
	{                                                                                          \
		OP_ADD, p, #d, 0                                                                   \
	}
#define RAW(p, v)                                                                                  \
	{                                                                                          \
		OP_RAW, p, v, sizeof(v) - 1                                                        \
	}
#define REPEAT(p, v, n)                                                                            \
	{                                                                                          \
		OP_REPEAT, p, v, n                                                                 \
	}
#define GROW(p, n)                                                                                 \
	{                                                                                          \
		OP_GROW, p, NULL, n                                                                \
	}

#define INT_1_1M "must be an integer between 1 and 1000000"
#define TOTALS   "totals do not add up: "

static const struct mutation mutations[] = {
    /* presence, type and form of the header */
    {"id: missing", {DEL("id")}},
    {"id: must be a uuid", {SET("id", "\"nope\"")}},
    {"id: must be a uuid", {SET("id", "42")}},
    {"id: must be a uuid", {SET("id", "\"0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5\"")}},
    {"register_id: must be a uuid", {SET("register_id", "null")}},
    {"location_id: missing", {DEL("location_id")}},
    {"staff_id: must be a uuid or null", {SET("staff_id", "\"\"")}},
    {NULL, {SET("staff_id", "null")}},
    {"number: must be 1 to 31 printable ascii characters", {SET("number", "\"\"")}},
    {"number: must be 1 to 31 printable ascii characters", {REPEAT("number", "7", 32)}},
    {NULL, {REPEAT("number", "7", 31)}},
    {"number: must be 1 to 31 printable ascii characters", {SET("number", "\"R01\\n42\"")}},
    {"number: must be 1 to 31 printable ascii characters", {SET("number", "\"R01-ก\"")}},
    {"number: must be 1 to 31 printable ascii characters", {SET("number", "42")}},
    {"created_at: must be a utc time", {SET("created_at", "\"2026-02-30T00:00:00.000Z\"")}},
    {"created_at: must be a utc time", {SET("created_at", "1796413690123")}},
    {"created_at: must be a utc time", {SET("created_at", "\"2026-12-04 19:48:10\"")}},
    {"created_at: must be a utc time", {SET("created_at", "\"2026-12-04T19:48:10+07:00\"")}},
    {NULL, {SET("created_at", "\"2026-12-04T19:48:10Z\"")}},
    {"currency: must be a known iso 4217 code", {SET("currency", "\"XYZ\"")}},
    {"currency: must be a known iso 4217 code", {SET("currency", "\"thb\"")}},
    {"currency: must be a known iso 4217 code", {SET("currency", "null")}},
    {"colour: unknown field", {SET("colour", "\"red\"")}},
    {"Total: unknown field", {SET("Total", "1")}},

    /* tax */
    {"tax: missing", {DEL("tax")}},
    {"tax: must be an object", {SET("tax", "[]")}},
    {"tax.rate_ppm: must be an integer between 0 and 1000000", {SET("tax.rate_ppm", "1000001")}},
    {"tax.rate_ppm: must be an integer between 0 and 1000000", {SET("tax.rate_ppm", "-1")}},
    {"tax.rate_ppm: must be an integer between 0 and 1000000", {SET("tax.rate_ppm", "70000.0")}},
    {"tax.rate_ppm: must be an integer between 0 and 1000000", {SET("tax.rate_ppm", "\"70000\"")}},
    {"tax.rate_ppm: missing", {DEL("tax.rate_ppm")}},
    {"tax.included: must be true or false", {SET("tax.included", "1")}},
    {"tax.included: must be true or false", {SET("tax.included", "null")}},
    {"tax.rounding: must be \"line\" or \"order\"", {SET("tax.rounding", "\"half_up\"")}},
    {"tax.rounding: must be \"line\" or \"order\"", {SET("tax.rounding", "0")}},
    {"tax.country: unknown field", {SET("tax.country", "\"TH\"")}},

    /* the order discount */
    {"order_discount: must be an object or null", {SET("order_discount", "5")}},
    {"order_discount: missing", {DEL("order_discount")}},
    {"order_discount.kind: must be \"percent\" or \"amount\"",
     {SET("order_discount.kind", "\"fixed\"")}},
    {"order_discount.value: must be a non-negative integer", {SET("order_discount.value", "-1")}},
    {"order_discount.value: must be an integer between 0 and 1000000",
     {SET("order_discount", "{\"kind\": \"percent\", \"value\": 1000001}")}},
    {"order_discount.value: missing", {DEL("order_discount.value")}},
    {"order_discount.why: unknown field", {SET("order_discount.why", "\"vip\"")}},
    {"order_discount.value: larger than the order", {SET("order_discount.value", "999999999")}},

    /* lines */
    {"lines: missing", {DEL("lines")}},
    {"lines: must be an array of 1 to 500 lines", {SET("lines", "[]")}},
    {"lines: must be an array of 1 to 500 lines", {SET("lines", "{}")}},
    {"lines: must be an array of 1 to 500 lines", {GROW("lines", 501)}},
    {"lines[2]: must be an object", {SET("lines[2]", "5")}},
    {"lines[2].quantity: " INT_1_1M, {SET("lines[2].quantity", "0")}},
    {"lines[2].quantity: " INT_1_1M, {SET("lines[2].quantity", "1000001")}},
    {"lines[2].quantity: " INT_1_1M, {SET("lines[2].quantity", "2.5")}},
    {"lines[2].quantity: " INT_1_1M, {SET("lines[2].quantity", "3.0")}},
    {"lines[2].quantity: " INT_1_1M, {SET("lines[2].quantity", "\"3\"")}},
    {"lines[2].quantity: " INT_1_1M, {SET("lines[2].quantity", "true")}},
    {"lines[2].quantity: " INT_1_1M, {SET("lines[2].quantity", "null")}},
    {"lines[2].quantity: missing", {DEL("lines[2].quantity")}},
    {"lines[0].unit_price: must be a non-negative integer", {SET("lines[0].unit_price", "-1")}},
    {"lines[0].unit_price: must be a non-negative integer", {SET("lines[0].unit_price", "4500.0")}},
    {"lines[0].unit_price: must be a non-negative integer",
     {SET("lines[0].unit_price", "\"45.00\"")}},
    {"lines[0].unit_price: too large for the quantity",
     {SET("lines[0].unit_price", "9223372036854775807")}},
    {"lines[0].taxable: must be true or false", {SET("lines[0].taxable", "\"yes\"")}},
    {"lines[0].title: must not be empty", {SET("lines[0].title", "\"\"")}},
    {"lines[0].title: must be a string", {SET("lines[0].title", "null")}},
    {"lines[0].title: must be at most 255 bytes", {REPEAT("lines[0].title", "a", 256)}},
    {"lines[0].title: must be at most 255 bytes", {REPEAT("lines[0].title", "ก", 86)}},
    {NULL, {REPEAT("lines[0].title", "ก", 85)}},
    {"lines[0].title: must not contain control characters",
     {SET("lines[0].title", "\"tab\\there\"")}},
    {"lines[0].title: must not contain control characters",
     {SET("lines[0].title", "\"next\\u0085line\"")}},
    {"lines[0].title: must not contain control characters", {RAW("lines[0].title", "a\0b")}},
    {"lines[0].title: must be valid utf-8", {RAW("lines[0].title", "\xe0\xb8")}},
    {"lines[0].title: must be valid utf-8", {RAW("lines[0].title", "\xc0\xaf")}},
    {"lines[0].title: must be valid utf-8", {RAW("lines[0].title", "\xed\xa0\x80")}},
    {"lines[0].title: must be valid utf-8", {RAW("lines[0].title", "\xf4\x90\x80\x80")}},
    {"lines[0].variant_id: must be a uuid or null", {SET("lines[0].variant_id", "\"V1\"")}},
    {"lines[0].sku: must not be empty (null means none)", {SET("lines[0].sku", "\"\"")}},
    {"lines[0].sku: must be a string or null", {SET("lines[0].sku", "7")}},
    {"lines[0].sku: must be at most 63 bytes", {REPEAT("lines[0].sku", "x", 64)}},
    {"lines[0].discount: must be an object or null", {SET("lines[0].discount", "\"10%\"")}},
    {"lines[1].discount.kind: must be \"percent\" or \"amount\"",
     {SET("lines[1].discount.kind", "\"PERCENT\"")}},
    {"lines[1].discount.value: must be an integer between 0 and 1000000",
     {SET("lines[1].discount.value", "1000001")}},
    {"lines[2].discount.value: larger than the line (5997)",
     {SET("lines[2].discount.value", "6000")}},
    {"lines[1].color: unknown field", {SET("lines[1].color", "\"red\"")}},
    {"lines[0].gross: must be an integer", {SET("lines[0].gross", "\"9000\"")}},
    {"lines[0].net: missing", {DEL("lines[0].net")}},

    /* amounts that do not match the pricing */
    {TOTALS "lines[0].gross", {ADD("lines[0].gross", +1)}},
    {TOTALS "lines[1].line_discount", {ADD("lines[1].line_discount", +1)}},
    {TOTALS "lines[1].order_discount", {ADD("lines[1].order_discount", -1)}},
    {TOTALS "lines[2].net", {ADD("lines[2].net", +1)}},
    {TOTALS "lines[1].tax", {ADD("lines[1].tax", +1)}},
    {TOTALS "lines[0].total", {ADD("lines[0].total", -1)}},
    {TOTALS "lines[0].gross", {ADD("lines[0].unit_price", +1)}},
    {TOTALS "lines[0].gross", {ADD("lines[0].quantity", +1)}},
    {TOTALS "lines[2].tax", {SET("lines[2].taxable", "true")}},
    {TOTALS "lines[0].tax", {SET("tax.rate_ppm", "100000")}},
    {TOTALS "lines[0].tax", {SET("tax.included", "false")}},
    {TOTALS "lines[0].order_discount", {SET("order_discount", "null")}},
    {TOTALS "subtotal", {ADD("subtotal", +1)}},
    {TOTALS "discount_total", {ADD("discount_total", -1)}},
    {TOTALS "tax_total", {ADD("tax_total", +1)}},
    {TOTALS "total", {ADD("total", -1)}},
    {TOTALS "lines[1].tax", {ADD("lines[1].tax", +1), ADD("tax_total", +1)}},

    /* payments */
    {"payments: missing", {DEL("payments")}},
    {"payments: must be an array of at most 8 payments", {SET("payments", "{}")}},
    {"payments: must be an array of at most 8 payments", {GROW("payments", 9)}},
    {"payments: must hold 1 to 8 payments when something is due", {SET("payments", "[]")}},
    {"payments[0]: must be an object", {SET("payments[0]", "null")}},
    {"payments[0].method: must be one of cash, card, gift_card, custom",
     {SET("payments[0].method", "\"credit\"")}},
    {"payments[0].method: missing", {DEL("payments[0].method")}},
    {"payments[0].provider: unknown field", {SET("payments[0].provider", "\"x\"")}},
    {"payments[1].name: a custom payment needs a name", {SET("payments[1].name", "null")}},
    {"payments[2].name: must be null for a cash payment", {SET("payments[2].name", "\"Cash\"")}},
    {"payments[2].card_last4: only card payments carry card details",
     {SET("payments[2].card_last4", "\"4242\"")}},
    {"payments[1].card_brand: only card payments carry card details",
     {SET("payments[1].card_brand", "\"visa\"")}},
    {"payments[0].card_last4: must be 4 digits", {SET("payments[0].card_last4", "\"42a2\"")}},
    {"payments[0].card_last4: must be 4 digits", {SET("payments[0].card_last4", "\"424\"")}},
    {"payments[0].card_last4: must be 4 digits", {SET("payments[0].card_last4", "\"42424\"")}},
    {"payments[0].card_last4: must be 4 digits",
     {SET("payments[0].card_last4", "\"4242424242424242\"")}},
    {"payments[0].card_brand: must be at most 15 bytes",
     {SET("payments[0].card_brand", "\"visa-electron-debit\"")}},
    {"payments[0].reference: must be a string or null", {SET("payments[0].reference", "5")}},
    {"payments[2].amount: must be a non-negative integer", {SET("payments[2].amount", "1.5")}},
    {"payments[2].amount: must be a non-negative integer", {SET("payments[2].amount", "-100")}},
    {"payments[2].tendered: must be a non-negative integer", {SET("payments[2].tendered", "true")}},
    {"payments[2].tendered: must be at least the amount", {SET("payments[2].tendered", "0")}},
    {"payments[1].change: only cash payments may have change",
     {ADD("payments[1].tendered", +5), ADD("payments[1].change", +5)}},
    {"payments[2].change: must equal tendered - amount (1234)", {ADD("payments[2].change", +1)}},
    {"payments do not add up:", {ADD("payments[1].amount", -1), ADD("payments[1].tendered", -1)}},
    {"payments do not add up:", {ADD("payments[2].amount", +1), ADD("payments[2].change", -1)}},
    {"due: must equal total + cash_rounding", {ADD("due", +1)}},
    {"due: must equal total + cash_rounding", {ADD("cash_rounding", +25)}},
    {"due: must be a non-negative integer", {SET("due", "-1")}},
    {"payments do not add up:", {ADD("cash_rounding", +25), ADD("due", +25)}},
    {"cash_rounding: must be 0 when no payment is in cash",
     {DEL("payments[2]"), SET("cash_rounding", "25")}},
    {"change: must equal the sum of the payments' change (1234)", {ADD("change", +1)}},
    {"cash_rounding: must be an integer", {SET("cash_rounding", "0.0")}},

    /* the optional texts */
    {"email: must be an e-mail address", {SET("email", "\"somchai\"")}},
    {"email: must be an e-mail address", {SET("email", "\"a@b@c\"")}},
    {"email: must not be empty (null means none)", {SET("email", "\"\"")}},
    {"email: must be at most 254 bytes", {REPEAT("email", "a", 255)}},
    {NULL, {SET("email", "null")}},
    {"ship_to: must not be empty (null means none)", {SET("ship_to", "\"\"")}},
    {NULL, {SET("ship_to", "\"12 Soi 4\\nBangkok 10110\"")}},
    {"note: must be at most 511 bytes", {REPEAT("note", "x", 512)}},
    {"note: must not contain control characters", {SET("note", "\"a\\u0007b\"")}},
    {"note: missing", {DEL("note")}},
};

struct step {
	char key[64];
	long index; /* >= 0 for an array element */
};

static size_t parse_path(const char *path, struct step *steps, size_t max)
{
	size_t n = 0;
	const char *p = path;
	while (*p && n < max) {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			steps[n].key[0] = '\0';
			steps[n].index = strtol(p + 1, (char **)&p, 10);
			p++; /* ']' */
		} else {
			size_t len = strcspn(p, ".[");
			memcpy(steps[n].key, p, len);
			steps[n].key[len] = '\0';
			steps[n].index = -1;
			p += len;
		}
		n++;
	}
	return n;
}

static json_t *step_get(json_t *j, const struct step *s)
{
	return s->index >= 0 ? json_array_get(j, (size_t)s->index) : json_object_get(j, s->key);
}

static void step_set(json_t *parent, const struct step *s, json_t *v)
{
	int rc = s->index >= 0 ? json_array_set_new(parent, (size_t)s->index, v)
	                       : json_object_set_new(parent, s->key, v);
	assert_int_equal(rc, 0);
}

static void apply(json_t *root, const struct op *op)
{
	struct step steps[8];
	size_t n = parse_path(op->path, steps, 8);
	json_t *parent = root, *v;
	json_error_t jerr;
	assert_true(n > 0);
	for (size_t i = 0; i + 1 < n; i++) {
		parent = step_get(parent, &steps[i]);
		if (!parent)
			fail_msg("no %s in the base order", op->path);
	}
	const struct step *last = &steps[n - 1];
	switch (op->kind) {
	case OP_SET:
		v = json_loads(op->value, JSON_DECODE_ANY, &jerr);
		if (!v)
			fail_msg("bad test value %s: %s", op->value, jerr.text);
		step_set(parent, last, v);
		break;
	case OP_DEL:
		assert_int_equal(last->index >= 0 ? json_array_remove(parent, (size_t)last->index)
		                                  : json_object_del(parent, last->key),
		                 0);
		break;
	case OP_ADD:
		v = step_get(parent, last);
		assert_true(json_is_integer(v));
		json_integer_set(v, json_integer_value(v) + strtoll(op->value, NULL, 10));
		break;
	case OP_RAW:
		step_set(parent, last, json_stringn_nocheck(op->value, op->n));
		break;
	case OP_REPEAT: {
		size_t len = strlen(op->value);
		char *s = xmalloc(len * op->n + 1);
		for (size_t i = 0; i < op->n; i++)
			memcpy(s + i * len, op->value, len);
		s[len * op->n] = '\0';
		step_set(parent, last, json_string(s));
		free(s);
		break;
	}
	case OP_GROW:
		v = step_get(parent, last);
		while (json_array_size(v) < op->n)
			json_array_append_new(v, json_deep_copy(json_array_get(v, 0)));
		break;
	case OP_END:
		break;
	}
}

static void test_bad_inputs(void **state)
{
	(void)state;
	struct order base, o;
	char err[256];
	int failures = 0;
	build_base(&base);
	json_t *good = order_to_json(&base);
	order_init(&o, NULL);
	assert_int_equal(order_from_json(good, &o, err, sizeof(err)), TALAD_OK);

	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		const struct mutation *m = &mutations[i];
		json_t *j = json_deep_copy(good);
		for (size_t k = 0; k < 3 && m->ops[k].kind != OP_END; k++)
			apply(j, &m->ops[k]);
		/* o holds the previous result: a refusal must release it */
		strcpy(err, "(untouched)");
		int rc = order_from_json(j, &o, err, sizeof(err));
		if (!m->expect) {
			if (rc != TALAD_OK) {
				print_error("mutation %zu (%s): refused: %s\n", i, m->ops[0].path,
				            err);
				failures++;
			}
		} else if (rc != TALAD_EINVAL || strncmp(err, m->expect, strlen(m->expect)) != 0) {
			print_error("mutation %zu (%s): rc %d, message \"%s\", expected \"%s\"\n",
			            i, m->ops[0].path, rc, err, m->expect);
			failures++;
		} else if (o.cart.lines || o.cart.nlines || o.id[0]) {
			print_error("mutation %zu: the refused order was not left empty\n", i);
			failures++;
		}
		json_decref(j);
	}
	json_decref(good);
	order_release(&o);
	order_release(&base);
	assert_int_equal(failures, 0);
}

static void test_not_an_object(void **state)
{
	(void)state;
	struct order o;
	char err[256];
	order_init(&o, NULL);
	json_t *j = json_array();
	assert_int_equal(order_from_json(j, &o, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "order: must be a json object");
	assert_int_equal(order_from_json(NULL, &o, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "order: must be a json object");
	json_decref(j);
	order_release(&o);
	order_release(&o); /* a second release is harmless */
	order_release(NULL);
}

/* A key with a NUL inside must not pass for the known key before it. */
static void test_key_with_nul(void **state)
{
	(void)state;
	struct order base, o;
	char err[256];
	build_base(&base);
	json_t *j = order_to_json(&base);
	json_object_setn_new(j, "note\0x", 6, json_null());
	order_init(&o, NULL);
	assert_int_equal(order_from_json(j, &o, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "note?x: unknown field");
	json_decref(j);
	order_release(&o);
	order_release(&base);
}

/* Small or missing message buffers are fine, and a message is never cut in
 * the middle of a character. */
static void test_error_buffers(void **state)
{
	(void)state;
	struct order base, o;
	char small[12];
	build_base(&base);
	json_t *j = order_to_json(&base);
	json_object_set_new(j, "tax", json_string("x"));
	order_init(&o, NULL);
	assert_int_equal(order_from_json(j, &o, NULL, 0), TALAD_EINVAL);
	assert_int_equal(order_from_json(j, &o, small, sizeof(small)), TALAD_EINVAL);
	assert_string_equal(small, "tax: must b");
	assert_int_equal(order_from_json(j, &o, small, 1), TALAD_EINVAL);
	assert_string_equal(small, "");
	json_decref(j);
	order_release(&o);
	order_release(&base);
}

/* A title cut in the middle of a character by a careless copy still gets
 * its key, with one U+FFFD for each broken byte. */
static void test_to_json_mends_bad_utf8(void **state)
{
	(void)state;
	struct order o;
	build_base(&o);
	strcpy(o.cart.lines[0].title, "ข้\xe0\xb8");
	json_t *j = order_to_json(&o);
	json_t *line = json_array_get(json_object_get(j, "lines"), 0);
	assert_string_equal(json_string_value(json_object_get(line, "title")),
	                    "ข้\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(j);
	order_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hand_built_round_trip),
	    cmocka_unit_test(test_protocol_example),
	    cmocka_unit_test(test_random_round_trips),
	    cmocka_unit_test(test_full_discount_needs_no_payment),
	    cmocka_unit_test(test_largest_order),
	    cmocka_unit_test(test_bad_inputs),
	    cmocka_unit_test(test_not_an_object),
	    cmocka_unit_test(test_key_with_nul),
	    cmocka_unit_test(test_error_buffers),
	    cmocka_unit_test(test_to_json_mends_bad_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
