/* The order record and its JSON form in the sync protocol (docs/PROTOCOL.md,
 * "The order"). The reader trusts nothing: it checks every field, re-prices
 * the lines with cart_price() and refuses an order whose amounts differ. */
#include "core/order.h"
#include "common/err.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/money.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The wire names are the protocol's, kept here rather than borrowed from the
 * modules' display names so the JSON cannot drift from docs/PROTOCOL.md. */
static const char *const method_names[] = {
    [TENDER_CASH] = "cash",
    [TENDER_CARD] = "card",
    [TENDER_GIFT_CARD] = "gift_card",
    [TENDER_CUSTOM] = "custom",
};

/* ---- writing -------------------------------------------------------------- */

/* A string field of a struct as JSON. The struct may have been filled by
 * code that cut a long name in the middle of a character; such bytes become
 * U+FFFD rather than losing the whole key (json_string refuses bad UTF-8). */
static json_t *text_json(const char *s, size_t cap)
{
	size_t len = strnlen(s, cap);
	size_t ok = text_utf8_valid(s, len);
	if (ok == len)
		return json_stringn(s, len);
	char *fixed = xmalloc(len * 3 + 1);
	size_t out = 0, i = 0;
	while (i < len) {
		size_t good = text_utf8_valid(s + i, len - i);
		memcpy(fixed + out, s + i, good);
		out += good;
		i += good;
		if (i < len) {
			memcpy(fixed + out, "\xef\xbf\xbd", 3);
			out += 3;
			i++;
		}
	}
	json_t *j = json_stringn(fixed, out);
	free(fixed);
	return j;
}

/* null for "", the optional fields' way of saying "none". */
static json_t *opt_text_json(const char *s, size_t cap)
{
	if (cap == 0 || s[0] == '\0')
		return json_null();
	return text_json(s, cap);
}

#define TEXT(field)     text_json((field), sizeof(field))
#define OPT_TEXT(field) opt_text_json((field), sizeof(field))

static json_t *discount_json(const struct discount *d)
{
	const char *kind;
	switch (d->kind) {
	case DISCOUNT_PERCENT:
		kind = "percent";
		break;
	case DISCOUNT_AMOUNT:
		kind = "amount";
		break;
	default:
		return json_null();
	}
	json_t *j = json_object();
	json_object_set_new(j, "kind", json_string(kind));
	json_object_set_new(j, "value", json_integer(d->value));
	return j;
}

static json_t *line_json(const struct cart_line *l)
{
	json_t *j = json_object();
	json_object_set_new(j, "variant_id", OPT_TEXT(l->variant_id));
	json_object_set_new(j, "sku", OPT_TEXT(l->sku));
	json_object_set_new(j, "title", TEXT(l->title));
	json_object_set_new(j, "quantity", json_integer(l->quantity));
	json_object_set_new(j, "unit_price", json_integer(l->unit_price));
	json_object_set_new(j, "taxable", json_boolean(l->taxable));
	json_object_set_new(j, "discount", discount_json(&l->discount));
	json_object_set_new(j, "gross", json_integer(l->gross));
	json_object_set_new(j, "line_discount", json_integer(l->line_discount));
	json_object_set_new(j, "order_discount", json_integer(l->order_discount));
	json_object_set_new(j, "net", json_integer(l->net));
	json_object_set_new(j, "tax", json_integer(l->tax));
	json_object_set_new(j, "total", json_integer(l->total));
	return j;
}

static json_t *payment_json(const struct payment *p)
{
	json_t *j = json_object();
	const char *method = (unsigned)p->kind <= TENDER_CUSTOM ? method_names[p->kind] : "";
	json_object_set_new(j, "method", json_string(method));
	json_object_set_new(j, "name", OPT_TEXT(p->name));
	json_object_set_new(j, "reference", OPT_TEXT(p->reference));
	json_object_set_new(j, "card_brand", OPT_TEXT(p->card_brand));
	json_object_set_new(j, "card_last4", OPT_TEXT(p->card_last4));
	json_object_set_new(j, "amount", json_integer(p->amount));
	json_object_set_new(j, "tendered", json_integer(p->tendered));
	json_object_set_new(j, "change", json_integer(p->change));
	return j;
}

json_t *order_to_json(const struct order *o)
{
	const struct cart *c = &o->cart;
	const struct settlement *s = &o->settlement;
	char when[TIME_ISO_LEN + 1];
	json_t *j = json_object();

	time_format_iso(o->created_at, when);
	json_object_set_new(j, "id", TEXT(o->id));
	json_object_set_new(j, "number", TEXT(o->number));
	json_object_set_new(j, "register_id", TEXT(o->register_id));
	json_object_set_new(j, "location_id", TEXT(o->location_id));
	json_object_set_new(j, "staff_id", OPT_TEXT(o->staff_id));
	json_object_set_new(j, "created_at", json_string(when));
	json_object_set_new(j, "currency", TEXT(o->currency));

	json_t *tax = json_object();
	json_object_set_new(tax, "rate_ppm", json_integer(c->tax.rate_ppm));
	json_object_set_new(tax, "included", json_boolean(c->tax.included));
	json_object_set_new(tax, "rounding",
	                    json_string(c->tax.rounding == TAX_ROUND_ORDER ? "order" : "line"));
	json_object_set_new(j, "tax", tax);
	json_object_set_new(j, "order_discount", discount_json(&c->order_discount));

	json_t *lines = json_array();
	for (size_t i = 0; i < c->nlines; i++)
		json_array_append_new(lines, line_json(&c->lines[i]));
	json_object_set_new(j, "lines", lines);
	json_object_set_new(j, "subtotal", json_integer(c->subtotal));
	json_object_set_new(j, "discount_total", json_integer(c->discount_total));
	json_object_set_new(j, "tax_total", json_integer(c->tax_total));
	json_object_set_new(j, "total", json_integer(c->total));

	json_t *pays = json_array();
	for (size_t i = 0; i < s->npayments && i < TENDER_MAX; i++)
		json_array_append_new(pays, payment_json(&s->payments[i]));
	json_object_set_new(j, "payments", pays);
	json_object_set_new(j, "cash_rounding", json_integer(s->rounding));
	json_object_set_new(j, "due", json_integer(s->due));
	json_object_set_new(j, "change", json_integer(s->change));

	json_object_set_new(j, "email", OPT_TEXT(o->email));
	json_object_set_new(j, "ship_to", OPT_TEXT(o->ship_to));
	json_object_set_new(j, "note", OPT_TEXT(o->note));
	return j;
}

/* ---- reading -------------------------------------------------------------- */

/* Where messages go, and the path of the object being read so that every
 * message names the field it is about: "lines[2]." is array and index,
 * "tax." or "lines[2].discount." adds object. The path is only spelled out
 * when a message is written, not for every object of every good order. */
struct reader {
	char *err;
	size_t errlen;
	const char *array; /* NULL when not inside an array's element */
	size_t index;
	const char *object; /* NULL when not inside a nested object */
};

/* A key the protocol allows in an object, with its length so that a key
 * from the input is matched by a length compare and one memcmp. */
struct known_key {
	const char *name;
	size_t len;
};

/* clang-format off */
#define KEY(s) {(s), sizeof(s) - 1}
/* clang-format on */

/* Messages end up in JSON error answers: cut them only on a character
 * boundary so that they stay valid UTF-8. */
static int failv(struct reader *r, const char *key, const char *fmt, va_list ap)
{
	if (!r->err || r->errlen == 0)
		return TALAD_EINVAL;
	int n = 0;
	if (key) {
		char prefix[64] = "";
		int p = 0;
		if (r->array)
			p = snprintf(prefix, sizeof(prefix), "%s[%zu].", r->array, r->index);
		if (r->object && p >= 0 && (size_t)p < sizeof(prefix))
			snprintf(prefix + p, sizeof(prefix) - (size_t)p, "%s.", r->object);
		n = snprintf(r->err, r->errlen, "%s%s: ", prefix, key);
	}
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	size_t len = strlen(r->err);
	r->err[text_utf8_valid(r->err, len)] = '\0';
	return TALAD_EINVAL;
}

__attribute__((format(printf, 3, 4))) static int fail(struct reader *r, const char *key,
                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	failv(r, key, fmt, ap);
	va_end(ap);
	return TALAD_EINVAL;
}

/* A key from the input, fit to be quoted in a message: printable ASCII only,
 * and not too long. */
static void quote_key(const char *key, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)key[i];
		if (o + 4 >= outlen) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

/* Refuses any key of obj not among allowed[0..n). One pass over the
 * object's keys; the lists are in the order order_to_json writes, which is
 * the order a parsed order iterates in, so the key after the last match is
 * tried first and the search of the whole list is only the fallback. A key
 * with a NUL inside never matches: no allowed name has one. */
static int only_keys(struct reader *r, const json_t *obj, const struct known_key *allowed, size_t n)
{
	json_t *mobj = (json_t *)obj; /* the iterator API is not const; nothing is changed */
	size_t next = 0;
	for (void *it = json_object_iter(mobj); it; it = json_object_iter_next(mobj, it)) {
		const char *key = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		bool known = false;
		if (next < n && allowed[next].len == klen &&
		    memcmp(key, allowed[next].name, klen) == 0) {
			known = true;
			next++;
		} else {
			for (size_t i = 0; i < n; i++) {
				if (allowed[i].len == klen &&
				    memcmp(key, allowed[i].name, klen) == 0) {
					known = true;
					next = i + 1;
					break;
				}
			}
		}
		if (!known) {
			char shown[48];
			quote_key(key, klen, shown, sizeof(shown));
			return fail(r, shown, "unknown field");
		}
	}
	return TALAD_OK;
}

static json_t *field(struct reader *r, const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		fail(r, key, "missing");
	return v;
}

/* An integer in [min, max]. Reals, strings and booleans are refused even
 * when they hold a whole number: a client sending them has a bug. */
static int get_int(struct reader *r, const json_t *obj, const char *key, int64_t min, int64_t max,
                   int64_t *out)
{
	json_t *v = field(r, obj, key);
	if (!v)
		return TALAD_EINVAL;
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n >= min && n <= max) {
			*out = (int64_t)n;
			return TALAD_OK;
		}
	}
	if (min == INT64_MIN && max == INT64_MAX)
		return fail(r, key, "must be an integer");
	if (min == 0 && max == INT64_MAX)
		return fail(r, key, "must be a non-negative integer");
	return fail(r, key, "must be an integer between %" PRId64 " and %" PRId64, min, max);
}

static int get_bool(struct reader *r, const json_t *obj, const char *key, bool *out)
{
	json_t *v = field(r, obj, key);
	if (!v)
		return TALAD_EINVAL;
	if (!json_is_boolean(v))
		return fail(r, key, "must be true or false");
	*out = json_is_true(v);
	return TALAD_OK;
}

enum text_kind {
	TEXT_LINE,      /* one line: no control characters at all */
	TEXT_MULTILINE, /* an address or a note: newlines and tabs allowed */
};

/* A string of at most cap-1 bytes of valid UTF-8 without NUL, copied into
 * out (cap bytes). With nullable, JSON null gives "" and "" is refused, so
 * that "none" has one spelling. */
static int get_text(struct reader *r, const json_t *obj, const char *key, bool nullable,
                    enum text_kind kind, char *out, size_t cap)
{
	json_t *v = field(r, obj, key);
	if (!v)
		return TALAD_EINVAL;
	if (nullable && json_is_null(v)) {
		out[0] = '\0';
		return TALAD_OK;
	}
	if (!json_is_string(v))
		return fail(r, key, nullable ? "must be a string or null" : "must be a string");
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len == 0)
		return fail(r, key,
		            nullable ? "must not be empty (null means none)" : "must not be empty");
	if (len > cap - 1)
		return fail(r, key, "must be at most %zu bytes", cap - 1);
	if (text_utf8_valid(s, len) != len)
		return fail(r, key, "must be valid utf-8");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		/* C1 controls (U+0080..U+009F) are C2 80..C2 9F in UTF-8. */
		bool ctl = c < 0x20 || c == 0x7f ||
		           (c == 0xc2 && (unsigned char)s[i + 1] >= 0x80 &&
		            (unsigned char)s[i + 1] <= 0x9f);
		if (ctl && !(kind == TEXT_MULTILINE && (c == '\n' || c == '\t')))
			return fail(r, key, "must not contain control characters");
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return TALAD_OK;
}

static int get_uuid(struct reader *r, const json_t *obj, const char *key, bool nullable,
                    char out[UUID_STRLEN + 1])
{
	json_t *v = field(r, obj, key);
	if (!v)
		return TALAD_EINVAL;
	if (nullable && json_is_null(v)) {
		out[0] = '\0';
		return TALAD_OK;
	}
	const char *s = json_string_value(v);
	if (!s || json_string_length(v) != UUID_STRLEN || !uuid_valid(s))
		return fail(r, key, nullable ? "must be a uuid or null" : "must be a uuid");
	memcpy(out, s, UUID_STRLEN + 1);
	return TALAD_OK;
}

/* One of names[0..n), as its index. */
static int get_enum(struct reader *r, const json_t *obj, const char *key, const char *const *names,
                    size_t n, const char *expect, int *out)
{
	json_t *v = field(r, obj, key);
	if (!v)
		return TALAD_EINVAL;
	const char *s = json_string_value(v);
	if (s && strlen(s) == json_string_length(v)) {
		for (size_t i = 0; i < n; i++) {
			if (names[i] && strcmp(s, names[i]) == 0) {
				*out = (int)i;
				return TALAD_OK;
			}
		}
	}
	return fail(r, key, "must be %s", expect);
}

/* Reads obj[key] as an object into a nested reader whose prefix names it. */
static json_t *get_object(struct reader *r, const json_t *obj, const char *key, bool nullable,
                          struct reader *sub)
{
	json_t *v = field(r, obj, key);
	if (!v)
		return NULL;
	if (nullable && json_is_null(v))
		return json_null(); /* a singleton: no reference to drop */
	if (!json_is_object(v)) {
		fail(r, key, nullable ? "must be an object or null" : "must be an object");
		return NULL;
	}
	/* Nesting is two deep at most: an object in an array's element. */
	*sub = *r;
	sub->object = key;
	return v;
}

static int get_discount(struct reader *r, const json_t *obj, const char *key, struct discount *d)
{
	static const struct known_key keys[] = {KEY("kind"), KEY("value")};
	static const char *const kinds[] = {
	    [DISCOUNT_PERCENT] = "percent", [DISCOUNT_AMOUNT] = "amount"};
	struct reader sub;
	json_t *v = get_object(r, obj, key, true, &sub);
	int kind, rc;
	if (!v)
		return TALAD_EINVAL;
	d->kind = DISCOUNT_NONE;
	d->value = 0;
	if (json_is_null(v))
		return TALAD_OK;
	if ((rc = only_keys(&sub, v, keys, sizeof(keys) / sizeof(keys[0]))) ||
	    (rc = get_enum(&sub, v, "kind", kinds, 3, "\"percent\" or \"amount\"", &kind)))
		return rc;
	/* Percent values are millionths, and no discount gives more than 100 %. */
	if ((rc = get_int(&sub, v, "value", 0, kind == DISCOUNT_PERCENT ? TAX_PPM_ONE : INT64_MAX,
	                  &d->value)))
		return rc;
	d->kind = (enum discount_kind)kind;
	return TALAD_OK;
}

/* The computed amounts the JSON claims, to compare with cart_price()'s. */
struct line_claim {
	int64_t gross, line_discount, order_discount, net, tax, total;
};

struct order_claim {
	int64_t subtotal, discount_total, tax_total, total;
};

static int get_line(struct reader *r, const json_t *j, struct cart_line *l, struct line_claim *cl)
{
	static const struct known_key keys[] = {
	    KEY("variant_id"),     KEY("sku"),        KEY("title"),
	    KEY("quantity"),       KEY("unit_price"), KEY("taxable"),
	    KEY("discount"),       KEY("gross"),      KEY("line_discount"),
	    KEY("order_discount"), KEY("net"),        KEY("tax"),
	    KEY("total")};
	int rc;
	if ((rc = only_keys(r, j, keys, sizeof(keys) / sizeof(keys[0]))) ||
	    (rc = get_uuid(r, j, "variant_id", true, l->variant_id)) ||
	    (rc = get_text(r, j, "sku", true, TEXT_LINE, l->sku, sizeof(l->sku))) ||
	    (rc = get_text(r, j, "title", false, TEXT_LINE, l->title, sizeof(l->title))) ||
	    (rc = get_int(r, j, "quantity", 1, CART_MAX_QUANTITY, &l->quantity)) ||
	    (rc = get_int(r, j, "unit_price", 0, INT64_MAX, &l->unit_price)) ||
	    (rc = get_bool(r, j, "taxable", &l->taxable)) ||
	    (rc = get_discount(r, j, "discount", &l->discount)) ||
	    (rc = get_int(r, j, "gross", INT64_MIN, INT64_MAX, &cl->gross)) ||
	    (rc = get_int(r, j, "line_discount", INT64_MIN, INT64_MAX, &cl->line_discount)) ||
	    (rc = get_int(r, j, "order_discount", INT64_MIN, INT64_MAX, &cl->order_discount)) ||
	    (rc = get_int(r, j, "net", INT64_MIN, INT64_MAX, &cl->net)) ||
	    (rc = get_int(r, j, "tax", INT64_MIN, INT64_MAX, &cl->tax)) ||
	    (rc = get_int(r, j, "total", INT64_MIN, INT64_MAX, &cl->total)))
		return rc;
	/* What cart_price() would refuse, said here with the field's name. */
	int64_t gross;
	if (money_mul(l->quantity, l->unit_price, &gross) != TALAD_OK)
		return fail(r, "unit_price", "too large for the quantity");
	if (l->discount.kind == DISCOUNT_AMOUNT && l->discount.value > gross)
		return fail(r, "discount.value", "larger than the line (%" PRId64 ")", gross);
	return TALAD_OK;
}

/* The last four digits of a card, or null: never more of a card number. */
static int get_last4(struct reader *r, const json_t *obj, char out[5])
{
	json_t *v = field(r, obj, "card_last4");
	if (!v)
		return TALAD_EINVAL;
	if (json_is_null(v)) {
		out[0] = '\0';
		return TALAD_OK;
	}
	const char *s = json_string_value(v);
	bool ok = s && json_string_length(v) == 4;
	for (int i = 0; ok && i < 4; i++)
		ok = s[i] >= '0' && s[i] <= '9';
	if (!ok)
		return fail(r, "card_last4", "must be 4 digits or null");
	memcpy(out, s, 5);
	return TALAD_OK;
}

static int get_payment(struct reader *r, const json_t *j, struct payment *p)
{
	static const struct known_key keys[] = {
	    KEY("method"),     KEY("name"),   KEY("reference"), KEY("card_brand"),
	    KEY("card_last4"), KEY("amount"), KEY("tendered"),  KEY("change")};
	int method, rc;
	if ((rc = only_keys(r, j, keys, sizeof(keys) / sizeof(keys[0]))) ||
	    (rc = get_enum(r, j, "method", method_names, 4, "one of cash, card, gift_card, custom",
	                   &method)))
		return rc;
	p->kind = (enum tender_kind)method;
	if ((rc = get_text(r, j, "name", true, TEXT_LINE, p->name, sizeof(p->name))) ||
	    (rc = get_text(r, j, "reference", true, TEXT_LINE, p->reference,
	                   sizeof(p->reference))) ||
	    (rc = get_text(r, j, "card_brand", true, TEXT_LINE, p->card_brand,
	                   sizeof(p->card_brand))) ||
	    (rc = get_last4(r, j, p->card_last4)) ||
	    (rc = get_int(r, j, "amount", 0, INT64_MAX, &p->amount)) ||
	    (rc = get_int(r, j, "tendered", 0, INT64_MAX, &p->tendered)) ||
	    (rc = get_int(r, j, "change", 0, INT64_MAX, &p->change)))
		return rc;

	/* The name is the custom method's or the gift card's code; cash and
	 * cards have none. */
	if (p->kind == TENDER_CUSTOM && !p->name[0])
		return fail(r, "name", "a custom payment needs a name");
	if ((p->kind == TENDER_CASH || p->kind == TENDER_CARD) && p->name[0])
		return fail(r, "name", "must be null for a %s payment", method_names[p->kind]);
	/* Never more of a card than its brand and last four digits. */
	if (p->kind != TENDER_CARD && p->card_brand[0])
		return fail(r, "card_brand", "only card payments carry card details");
	if (p->kind != TENDER_CARD && p->card_last4[0])
		return fail(r, "card_last4", "only card payments carry card details");

	if (p->tendered < p->amount)
		return fail(r, "tendered", "must be at least the amount");
	if (p->kind != TENDER_CASH && p->change != 0)
		return fail(r, "change", "only cash payments may have change");
	if (p->change != p->tendered - p->amount)
		return fail(r, "change", "must equal tendered - amount (%" PRId64 ")",
		            p->tendered - p->amount);
	return TALAD_OK;
}

static int get_number(struct reader *r, const json_t *obj, char out[ORDER_NUMBER_MAX])
{
	json_t *v = field(r, obj, "number");
	if (!v)
		return TALAD_EINVAL;
	const char *s = json_string_value(v);
	size_t len = s ? json_string_length(v) : 0;
	bool ok = len > 0 && len < ORDER_NUMBER_MAX;
	for (size_t i = 0; ok && i < len; i++)
		ok = s[i] >= 0x20 && s[i] < 0x7f;
	if (!ok)
		return fail(r, "number", "must be 1 to %d printable ascii characters",
		            ORDER_NUMBER_MAX - 1);
	memcpy(out, s, len + 1);
	return TALAD_OK;
}

static int get_time(struct reader *r, const json_t *obj, const char *key, int64_t *out)
{
	json_t *v = field(r, obj, key);
	if (!v)
		return TALAD_EINVAL;
	const char *s = json_string_value(v);
	if (!s || strlen(s) != json_string_length(v) || time_parse_iso(s, out) != TALAD_OK)
		return fail(r, key, "must be a utc time like 2026-12-04T19:48:10.123Z");
	return TALAD_OK;
}

static int get_currency(struct reader *r, const json_t *obj, char out[4])
{
	json_t *v = field(r, obj, "currency");
	struct currency cur;
	if (!v)
		return TALAD_EINVAL;
	const char *s = json_string_value(v);
	/* Upper case only: the same currency has one spelling on the wire. */
	if (!s || json_string_length(v) != 3 || currency_lookup(s, &cur) != TALAD_OK ||
	    strcmp(cur.code, s) != 0)
		return fail(r, "currency", "must be a known iso 4217 code in upper case");
	memcpy(out, s, 4);
	return TALAD_OK;
}

static int get_email(struct reader *r, const json_t *obj, char out[ORDER_EMAIL_MAX + 1])
{
	int rc = get_text(r, obj, "email", true, TEXT_LINE, out, ORDER_EMAIL_MAX + 1);
	if (rc || !out[0])
		return rc;
	const char *at = strchr(out, '@');
	if (!at || at == out || !at[1] || strchr(at + 1, '@') || strchr(out, ' '))
		return fail(r, "email", "must be an e-mail address");
	return TALAD_OK;
}

static int get_tax(struct reader *r, const json_t *obj, struct tax_rule *tax)
{
	static const struct known_key keys[] = {KEY("rate_ppm"), KEY("included"), KEY("rounding")};
	static const char *const roundings[] = {
	    [TAX_ROUND_LINE] = "line", [TAX_ROUND_ORDER] = "order"};
	struct reader sub;
	json_t *v = get_object(r, obj, "tax", false, &sub);
	int rounding, rc;
	if (!v)
		return TALAD_EINVAL;
	if ((rc = only_keys(&sub, v, keys, sizeof(keys) / sizeof(keys[0]))) ||
	    (rc = get_int(&sub, v, "rate_ppm", 0, TAX_PPM_ONE, &tax->rate_ppm)) ||
	    (rc = get_bool(&sub, v, "included", &tax->included)) ||
	    (rc = get_enum(&sub, v, "rounding", roundings, 2, "\"line\" or \"order\"", &rounding)))
		return rc;
	tax->rounding = (enum tax_rounding)rounding;
	return TALAD_OK;
}

/* Compares what the JSON says with what cart_price() computed. */
static int same(struct reader *r, const char *field_path, int64_t claimed, int64_t computed)
{
	if (claimed == computed)
		return TALAD_OK;
	return fail(r, NULL,
	            "totals do not add up: %s is %" PRId64 " but the lines price to %" PRId64,
	            field_path, claimed, computed);
}

static int check_totals(struct reader *r, const struct cart *c, const struct line_claim *claims,
                        const struct order_claim *oc)
{
	char path[64];
	int rc;
	for (size_t i = 0; i < c->nlines; i++) {
		const struct cart_line *l = &c->lines[i];
		const struct line_claim *cl = &claims[i];
		const struct {
			const char *name;
			int64_t claimed, computed;
		} f[] = {
		    {"gross", cl->gross, l->gross},
		    {"line_discount", cl->line_discount, l->line_discount},
		    {"order_discount", cl->order_discount, l->order_discount},
		    {"net", cl->net, l->net},
		    {"tax", cl->tax, l->tax},
		    {"total", cl->total, l->total},
		};
		for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
			if (f[k].claimed == f[k].computed)
				continue;
			snprintf(path, sizeof(path), "lines[%zu].%s", i, f[k].name);
			return same(r, path, f[k].claimed, f[k].computed);
		}
	}
	if ((rc = same(r, "subtotal", oc->subtotal, c->subtotal)) ||
	    (rc = same(r, "discount_total", oc->discount_total, c->discount_total)) ||
	    (rc = same(r, "tax_total", oc->tax_total, c->tax_total)) ||
	    (rc = same(r, "total", oc->total, c->total)))
		return rc;
	return TALAD_OK;
}

static int check_settlement(struct reader *r, const struct settlement *s, int64_t total)
{
	int64_t paid = 0, change = 0, due;
	bool cash = false;
	for (size_t i = 0; i < s->npayments; i++) {
		if (money_add(paid, s->payments[i].amount, &paid) ||
		    money_add(change, s->payments[i].change, &change))
			return fail(r, "payments", "amounts too large");
		if (s->payments[i].kind == TENDER_CASH)
			cash = true;
	}
	/* An order priced at 0 (a full discount) is settled by no payment:
	 * tender_settle() has nothing to ask for. */
	if (s->npayments == 0 && total != 0)
		return fail(r, "payments", "must hold 1 to %d payments when something is due",
		            TENDER_MAX);
	if (s->rounding != 0 && !cash)
		return fail(r, "cash_rounding", "must be 0 when no payment is in cash");
	if (money_add(total, s->rounding, &due) || s->due != due)
		return fail(r, "due", "must equal total + cash_rounding");
	if (paid != s->due)
		return fail(r, NULL,
		            "payments do not add up: the payments' amounts sum to %" PRId64
		            " but due is %" PRId64,
		            paid, s->due);
	if (s->change != change)
		return fail(r, "change", "must equal the sum of the payments' change (%" PRId64 ")",
		            change);
	return TALAD_OK;
}

static int read_order(struct reader *r, const json_t *j, struct order *t, bool *cart_ready)
{
	static const struct known_key keys[] = {KEY("id"),
	                                        KEY("number"),
	                                        KEY("register_id"),
	                                        KEY("location_id"),
	                                        KEY("staff_id"),
	                                        KEY("created_at"),
	                                        KEY("currency"),
	                                        KEY("tax"),
	                                        KEY("order_discount"),
	                                        KEY("lines"),
	                                        KEY("subtotal"),
	                                        KEY("discount_total"),
	                                        KEY("tax_total"),
	                                        KEY("total"),
	                                        KEY("payments"),
	                                        KEY("cash_rounding"),
	                                        KEY("due"),
	                                        KEY("change"),
	                                        KEY("email"),
	                                        KEY("ship_to"),
	                                        KEY("note")};
	struct tax_rule tax;
	struct discount od;
	struct line_claim *claims = NULL;
	struct order_claim oc = {0};
	char msg[256];
	json_t *lines, *pays;
	int rc;

	if (!json_is_object(j))
		return fail(r, "order", "must be a json object");
	if ((rc = only_keys(r, j, keys, sizeof(keys) / sizeof(keys[0]))) ||
	    (rc = get_uuid(r, j, "id", false, t->id)) || (rc = get_number(r, j, t->number)) ||
	    (rc = get_uuid(r, j, "register_id", false, t->register_id)) ||
	    (rc = get_uuid(r, j, "location_id", false, t->location_id)) ||
	    (rc = get_uuid(r, j, "staff_id", true, t->staff_id)) ||
	    (rc = get_time(r, j, "created_at", &t->created_at)) ||
	    (rc = get_currency(r, j, t->currency)) || (rc = get_tax(r, j, &tax)) ||
	    (rc = get_discount(r, j, "order_discount", &od)))
		return rc;

	cart_init(&t->cart, &tax);
	*cart_ready = true;
	if (od.kind != DISCOUNT_NONE && cart_set_order_discount(&t->cart, od) != TALAD_OK)
		return fail(r, "order_discount", "not a valid discount");

	lines = field(r, j, "lines");
	if (!lines)
		return TALAD_EINVAL;
	size_t nlines = json_array_size(lines);
	if (!json_is_array(lines) || nlines < 1 || nlines > CART_MAX_LINES)
		return fail(r, "lines", "must be an array of 1 to %d lines", CART_MAX_LINES);
	claims = xcalloc(nlines, sizeof(*claims));
	for (size_t i = 0; i < nlines; i++) {
		json_t *lj = json_array_get(lines, i);
		struct reader sub = *r;
		struct cart_line l;
		memset(&l, 0, sizeof(l));
		sub.array = "lines";
		sub.index = i;
		if (!json_is_object(lj)) {
			rc = fail(r, NULL, "lines[%zu]: must be an object", i);
			goto out;
		}
		if ((rc = get_line(&sub, lj, &l, &claims[i])))
			goto out;
		msg[0] = '\0';
		if (cart_add_line(&t->cart, &l, msg, sizeof(msg)) != TALAD_OK) {
			rc = fail(r, NULL, "lines[%zu]: %s", i, msg[0] ? msg : "not a valid line");
			goto out;
		}
	}
	if ((rc = get_int(r, j, "subtotal", INT64_MIN, INT64_MAX, &oc.subtotal)) ||
	    (rc = get_int(r, j, "discount_total", INT64_MIN, INT64_MAX, &oc.discount_total)) ||
	    (rc = get_int(r, j, "tax_total", INT64_MIN, INT64_MAX, &oc.tax_total)) ||
	    (rc = get_int(r, j, "total", INT64_MIN, INT64_MAX, &oc.total)))
		goto out;

	pays = field(r, j, "payments");
	if (!pays) {
		rc = TALAD_EINVAL;
		goto out;
	}
	size_t npays = json_array_size(pays);
	if (!json_is_array(pays) || npays > TENDER_MAX) {
		rc = fail(r, "payments", "must be an array of at most %d payments", TENDER_MAX);
		goto out;
	}
	for (size_t i = 0; i < npays; i++) {
		json_t *pj = json_array_get(pays, i);
		struct reader sub = *r;
		sub.array = "payments";
		sub.index = i;
		if (!json_is_object(pj)) {
			rc = fail(r, NULL, "payments[%zu]: must be an object", i);
			goto out;
		}
		if ((rc = get_payment(&sub, pj, &t->settlement.payments[i])))
			goto out;
	}
	t->settlement.npayments = npays;
	if ((rc = get_int(r, j, "cash_rounding", INT64_MIN, INT64_MAX, &t->settlement.rounding)) ||
	    (rc = get_int(r, j, "due", 0, INT64_MAX, &t->settlement.due)) ||
	    (rc = get_int(r, j, "change", 0, INT64_MAX, &t->settlement.change)) ||
	    (rc = get_email(r, j, t->email)) ||
	    (rc =
	         get_text(r, j, "ship_to", true, TEXT_MULTILINE, t->ship_to, sizeof(t->ship_to))) ||
	    (rc = get_text(r, j, "note", true, TEXT_MULTILINE, t->note, sizeof(t->note))))
		goto out;

	/* Everything is well formed: now the amounts must be the ones the
	 * shared pricing code gives. */
	msg[0] = '\0';
	if (cart_price(&t->cart, msg, sizeof(msg)) != TALAD_OK) {
		/* The lines were checked one by one above, so what is left is
		 * mostly an order discount larger than the order: name it when
		 * the lines price without it. */
		if (od.kind != DISCOUNT_NONE) {
			struct discount none = {DISCOUNT_NONE, 0};
			t->cart.order_discount = none;
			if (cart_price(&t->cart, NULL, 0) == TALAD_OK) {
				rc = fail(r, "order_discount.value", "larger than the order");
				goto out;
			}
		}
		rc = fail(r, NULL, "cannot price the order: %s", msg[0] ? msg : "invalid amounts");
		goto out;
	}
	if ((rc = check_totals(r, &t->cart, claims, &oc)) ||
	    (rc = check_settlement(r, &t->settlement, t->cart.total)))
		goto out;
	rc = TALAD_OK;
out:
	free(claims);
	return rc;
}

void order_init(struct order *o, const struct tax_rule *tax)
{
	static const struct tax_rule none = {0};
	memset(o, 0, sizeof(*o));
	cart_init(&o->cart, tax ? tax : &none);
}

void order_release(struct order *o)
{
	if (!o)
		return;
	cart_release(&o->cart);
	/* Zeroed, a second release is harmless and no stale line is visible. */
	memset(o, 0, sizeof(*o));
}

int order_from_json(const json_t *j, struct order *o, char *err, size_t errlen)
{
	struct reader r = {.err = err, .errlen = errlen};
	struct order t;
	bool cart_ready = false;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	memset(&t, 0, sizeof(t));
	rc = read_order(&r, j, &t, &cart_ready);
	order_release(o);
	if (rc != TALAD_OK) {
		if (cart_ready)
			cart_release(&t.cart);
		return rc;
	}
	*o = t; /* the lines now belong to o */
	return TALAD_OK;
}
