/* The sell screen: a scanned or typed code adds its line at once (through
 * scan_lookup, as `talad sell` finds items), search by name, quantities,
 * line and order discounts (a manager's PIN above the limit), custom items,
 * and the running total with its tax, priced by cart_price after every
 * change and saved to the local store so that a killed till loses nothing. */
#include "register/till.h"

#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/receipt.h"
#include "core/tax.h"
#include "register/rpay.h"
#include "register/scan_lookup.h"
#include "register/till_lock.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#define SEARCH_MAX     50
#define SCANNER_GAP_MS 30 /* keys closer than this come from a scanner */

static struct till_field code_field;

void till_cart_changed(struct till *t)
{
	char err[256];
	if (cart_price(&t->tc.cart, err, sizeof(err)) != TALAD_OK)
		till_msg(t, TILL_MSG_ERROR, "cannot price the cart: %s", err);
	if (t->sel >= t->tc.cart.nlines)
		t->sel = t->tc.cart.nlines ? t->tc.cart.nlines - 1 : 0;
	int rc = till_cart_save(t->st, &t->tc);
	if (rc != TALAD_OK)
		till_msg(t, TILL_MSG_ERROR,
		         "the cart could not be saved (%s): finish this sale before closing "
		         "the till",
		         talad_strerror(rc));
}

void till_cart_restore(struct till *t)
{
	char err[256], number[ORDER_NUMBER_MAX];
	int rc;

	till_cart_reset(&t->tc);
	t->tc.cart.tax = t->shop.tax;
	rc = till_cart_load(t->st, &t->tc, err, sizeof(err));
	if (rc == TALAD_ENOTFOUND)
		return;
	if (rc != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR,
		         "the saved cart could not be read and was discarded (%s); it is kept "
		         "as the setting till.cart-bad",
		         err);
		return;
	}
	if (t->tc.paying) {
		/* The till died while committing: the sale either went in whole
		 * or not at all. */
		if (till_cart_find_committed(t->st, &t->tc, number, sizeof(number)) == TALAD_OK) {
			till_cart_reset(&t->tc);
			till_cart_clear(t->st);
			till_msg(t, TILL_MSG_OK,
			         "the till closed just after sale %s was saved: that sale is "
			         "complete and its cart was cleared (reprint it from F6)",
			         number);
			return;
		}
		t->tc.paying = false;
	}
	/* Card and gift card payments do not survive the till: their
	   authorizations belonged to the process that died, and recovery
	   voids them (till_pay_recover, at start). */
	char dropped[256] = "";
	size_t used = 0, kept = 0;
	for (size_t i = 0; i < t->tc.ntenders; i++) {
		const struct till_tender *tt = &t->tc.tenders[i];
		if (!tender_needs_backoffice(tt->t.kind)) {
			t->tc.tenders[kept++] = *tt;
			continue;
		}
		char a[MONEY_STRLEN];
		till_ui_money(t, tt->t.amount, a);
		int w =
		    snprintf(dropped + used, sizeof(dropped) - used, "%s%s %s", used ? ", " : "",
		             tt->t.kind == TENDER_CARD ? "card" : "gift card", a);
		if (w > 0 && (size_t)w < sizeof(dropped) - used)
			used += (size_t)w;
	}
	t->tc.ntenders = kept;
	t->tc.order_id[0] = '\0';
	till_cart_changed(t);
	char total[MONEY_STRLEN];
	till_ui_money(t, t->tc.cart.total, total);
	if (dropped[0])
		till_msg(t, TILL_MSG_INFO,
		         "cart restored from before the till closed: %zu line(s), %s; the %s "
		         "payment(s) entered then were taken back and voided: take them again",
		         t->tc.cart.nlines, total, dropped);
	else if (t->tc.ntenders > 0)
		till_msg(t, TILL_MSG_INFO,
		         "cart restored from before the till closed: %zu line(s), %s, with %zu "
		         "payment(s) already entered; F5 to finish, F8 to void",
		         t->tc.cart.nlines, total, t->tc.ntenders);
	else
		till_msg(t, TILL_MSG_INFO,
		         "cart restored from before the till closed: %zu line(s), %s; F8 "
		         "voids it",
		         t->tc.cart.nlines, total);
}

/* ---- drawing ---- */

static void discount_text(const struct till *t, const struct discount *d, char *out, size_t len)
{
	char a[MONEY_STRLEN];
	if (d->kind == DISCOUNT_PERCENT) {
		char r[TAX_RATE_STRLEN];
		tax_rate_format(d->value, r);
		snprintf(out, len, "-%s%%", r);
	} else if (d->kind == DISCOUNT_AMOUNT) {
		till_ui_money(t, d->value, a);
		snprintf(out, len, "-%s", a);
	} else {
		out[0] = '\0';
	}
}

static void draw_sell(struct till *t)
{
	const struct cart *c = &t->tc.cart;
	char a[MONEY_STRLEN], b[MONEY_STRLEN], d[64];
	int top = 2, bottom = t->rows - 11; /* the lines' rows: top .. bottom */
	int wqty = 5, wprice = 10, wdisc = 9, wtotal = 11;
	int witem = t->cols - 4 - wqty - wprice - wdisc - wtotal - 5;

	till_draw_frame(t, "SELL",
	                "F1 help  F2 search  F3 qty  F4 discount  F5 pay  F6 orders  F7 custom  "
	                "F9 lock  Del remove");
	attron(A_UNDERLINE);
	till_ui_text(1, 0, 4, TILL_RIGHT, "# ");
	till_ui_text(1, 4, witem + 1, TILL_LEFT, "Item");
	till_ui_text(1, 5 + witem, wqty + 1, TILL_RIGHT, "Qty");
	till_ui_text(1, 6 + witem + wqty, wprice + 1, TILL_RIGHT, "Price");
	till_ui_text(1, 7 + witem + wqty + wprice, wdisc + 1, TILL_RIGHT, "Disc");
	till_ui_text(1, 8 + witem + wqty + wprice + wdisc,
	             t->cols - (8 + witem + wqty + wprice + wdisc), TILL_RIGHT, "Total ");
	attroff(A_UNDERLINE);

	int visible = bottom - top + 1;
	size_t first = 0;
	if (c->nlines > (size_t)visible && t->sel >= (size_t)visible)
		first = t->sel - (size_t)visible + 1;
	if (c->nlines == 0)
		till_ui_text(top + 1, 4, t->cols - 8, TILL_LEFT,
		             "Scan an item or type its code and press Enter. F2 searches by name.");
	for (size_t i = first; i < c->nlines && (int)(i - first) < visible; i++) {
		const struct cart_line *l = &c->lines[i];
		int y = top + (int)(i - first);
		if (i == t->sel)
			attron(A_REVERSE);
		till_ui_textf(y, 0, 4, TILL_RIGHT, "%zu ", i + 1);
		till_ui_text(y, 4, witem + 1, TILL_LEFT, l->title);
		till_ui_textf(y, 5 + witem, wqty + 1, TILL_RIGHT, "%lld", (long long)l->quantity);
		till_ui_money(t, l->unit_price, a);
		till_ui_text(y, 6 + witem + wqty, wprice + 1, TILL_RIGHT, a);
		discount_text(t, &l->discount, d, sizeof(d));
		till_ui_text(y, 7 + witem + wqty + wprice, wdisc + 1, TILL_RIGHT, d);
		till_ui_money(t, l->gross - l->line_discount, b);
		till_ui_textf(y, 8 + witem + wqty + wprice + wdisc,
		              t->cols - (8 + witem + wqty + wprice + wdisc), TILL_RIGHT, "%s ", b);
		if (i == t->sel)
			attroff(A_REVERSE);
	}

	int y = t->rows - 10;
	mvhline(y, 0, ACS_HLINE, t->cols);
	char rate[TAX_RATE_STRLEN];
	tax_rate_format(c->tax.rate_ppm, rate);
	int64_t items = 0;
	for (size_t i = 0; i < c->nlines; i++)
		items += c->lines[i].quantity;
	till_ui_money(t, c->subtotal, a);
	till_ui_textf(y + 1, 1, 40, TILL_LEFT, "Items %lld   Subtotal %s", (long long)items, a);
	till_ui_money(t, c->discount_total, a);
	discount_text(t, &c->order_discount, d, sizeof(d));
	if (d[0])
		till_ui_textf(y + 2, 1, 40, TILL_LEFT, "Discounts -%s  (order %s)", a, d);
	else
		till_ui_textf(y + 2, 1, 40, TILL_LEFT, "Discounts -%s", a);
	till_ui_money(t, c->tax_total, a);
	till_ui_textf(y + 3, 1, 40, TILL_LEFT, "VAT %s%% %s %s", rate,
	              c->tax.included ? "included" : "added", a);
	till_ui_money(t, c->total, a);
	attron(A_BOLD);
	till_ui_textf(y + 1, 42, t->cols - 43, TILL_RIGHT, "TOTAL %s %s", t->cur.code, a);
	money_format(c->total, t->cur.exponent, b);
	if (!till_ui_big(y + 2, 42, t->cols - 43, b))
		till_ui_text(y + 2, 42, t->cols - 43, TILL_RIGHT, b);
	attroff(A_BOLD);

	till_ui_text(t->rows - 5, 0, 21, TILL_LEFT, " Scan or type a code:");
	till_field_draw(&code_field, t->rows - 5, 22, t->cols - 23);
}

/* ---- actions ---- */

static void add_line(struct till *t, const struct cart_line *l, int64_t qty)
{
	char err[256];
	struct cart *c = &t->tc.cart;

	/* Scanning the same item again counts it up rather than adding a
	 * line, unless the line carries its own discount or price. */
	for (size_t i = 0; i < c->nlines; i++) {
		struct cart_line *x = &c->lines[i];
		if (l->variant_id[0] && !strcmp(x->variant_id, l->variant_id) &&
		    x->unit_price == l->unit_price && x->discount.kind == DISCOUNT_NONE &&
		    !strcmp(x->title, l->title)) {
			if (x->quantity + qty > CART_MAX_QUANTITY) {
				till_msg(t, TILL_MSG_ERROR, "quantity over %d: start a new sale",
				         CART_MAX_QUANTITY);
				return;
			}
			cart_set_quantity(c, i, x->quantity + qty);
			t->sel = i;
			till_cart_changed(t);
			till_msg(t, TILL_MSG_OK, "%s x%lld", x->title, (long long)x->quantity);
			return;
		}
	}
	struct cart_line nl = *l;
	nl.quantity = qty;
	if (cart_add_line(c, &nl, err, sizeof(err)) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "cannot add %s: %s", l->title, err);
		return;
	}
	t->sel = c->nlines - 1;
	till_cart_changed(t);
	char p[MONEY_STRLEN];
	till_ui_money(t, l->unit_price, p);
	till_msg(t, TILL_MSG_OK, "added %s %lld x %s", l->title, (long long)qty, p);
}

static void stock_note(struct till *t, const struct rstore_variant *v, int64_t qty)
{
	if (!v->tracked || !v->has_level)
		return;
	int64_t left = v->available - qty;
	if (left < 0) {
		size_t n = strlen(t->msg);
		snprintf(t->msg + n, sizeof(t->msg) - n,
		         " (stock here now %lld: sold anyway, the back office shows it "
		         "oversold)",
		         (long long)left);
	}
}

/* A keyboard-wedge scanner types the keys of its digits; with the Thai
 * Kedmanee layout active they arrive as the Thai letters on those keys.
 * Such a code is read back as digits. True when text was of that kind. */
static bool thai_layout_digits(const char *text, char *out, size_t len)
{
	static const wchar_t keys[] = L"\u0e08\u0e45/-\u0e20\u0e16\u0e38\u0e36\u0e04\u0e15";
	mbstate_t ps;
	const char *p = text, *end = text + strlen(text);
	size_t o = 0;
	bool thai = false;

	memset(&ps, 0, sizeof(ps));
	while (p < end) {
		wchar_t w;
		size_t n = mbrtowc(&w, p, (size_t)(end - p), &ps);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0 || o + 1 >= len)
			return false;
		const wchar_t *k = w >= L'0' && w <= L'9' ? NULL : wcschr(keys, w);
		if (w >= L'0' && w <= L'9')
			out[o++] = (char)w;
		else if (k && w != 0)
			out[o++] = (char)('0' + (k - keys));
		else
			return false;
		if (w >= 0x0e00 && w <= 0x0e7f)
			thai = true;
		p += n;
	}
	out[o] = '\0';
	return thai && o > 0;
}

static void sell_code(struct till *t, const char *text)
{
	char code[4 * TILL_INPUT_MAX + 1], err[256];
	int64_t qty = 1;
	struct scan_match m;
	struct cart_line l;

	snprintf(code, sizeof(code), "%s", text);
	/* CODE*QTY, as on the command line. */
	char *star = strchr(code, '*');
	if (star) {
		char *end;
		*star = '\0';
		long long q = strtoll(star + 1, &end, 10);
		if (!star[1] || *end || q < 1 || q > CART_MAX_QUANTITY) {
			till_msg(t, TILL_MSG_ERROR, "after * comes a quantity from 1 to %d: CODE*3",
			         CART_MAX_QUANTITY);
			return;
		}
		qty = q;
	}
	int rc = scan_lookup(t->st, code, &m, err, sizeof(err));
	char digits[sizeof(code)];
	if (rc != TALAD_OK && thai_layout_digits(code, digits, sizeof(digits))) {
		rc = scan_lookup(t->st, digits, &m, err, sizeof(err));
		if (rc == TALAD_OK) {
			scan_match_line(&m, &l);
			add_line(t, &l, qty);
			stock_note(t, &m.variant, qty);
			size_t n = strlen(t->msg);
			snprintf(t->msg + n, sizeof(t->msg) - n,
			         " (read as %s: the keyboard layout is Thai)", digits);
			return;
		}
	}
	if (rc == TALAD_ENOTFOUND) {
		int64_t n = 0;
		rstore_catalog_count(t->st, &n);
		till_msg(t, TILL_MSG_ERROR,
		         "%s in the catalog copy (%lld items): F2 searches by name, F7 sells a "
		         "custom item%s",
		         err, (long long)n,
		         t->status.online ? "" : "; new products arrive when the link is back");
		return;
	}
	if (rc != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "%s: scan again or type the code", err);
		return;
	}
	scan_match_line(&m, &l);
	add_line(t, &l, qty);
	stock_note(t, &m.variant, qty);
}

static void redraw_sell(struct till *t)
{
	draw_sell(t);
}

static void search(struct till *t)
{
	struct till_field f;
	struct till_key k;
	struct rstore_variant *res = NULL;
	size_t n = 0, sel = 0;
	char text[4 * TILL_INPUT_MAX + 1] = "", last[sizeof(text)] = "\x01";

	memset(&f, 0, sizeof(f));
	for (;;) {
		till_field_utf8(&f, text, sizeof(text));
		if (strcmp(text, last) != 0) {
			free(res);
			res = NULL;
			n = 0;
			sel = 0;
			if (text[0] && rstore_search(t->st, text, SEARCH_MAX, &res, &n) != TALAD_OK)
				till_msg(t, TILL_MSG_ERROR, "search failed in the local store");
			snprintf(last, sizeof(last), "%s", text);
		}
		draw_sell(t);
		int h = t->rows - 4, w = t->cols - 4;
		till_ui_box(1, 2, h, w, "Search the catalog by name or SKU");
		till_ui_text(2, 4, 8, TILL_LEFT, "Find:");
		till_field_draw(&f, 2, 10, w - 12);
		int rows = h - 5;
		size_t first = sel >= (size_t)rows ? sel - (size_t)rows + 1 : 0;
		for (size_t i = first; i < n && (int)(i - first) < rows; i++) {
			char p[MONEY_STRLEN];
			int y = 4 + (int)(i - first);
			if (i == sel)
				attron(A_REVERSE);
			till_ui_text(y, 4, w - 37, TILL_LEFT, res[i].title);
			till_ui_text(y, w - 32, 14, TILL_LEFT, res[i].sku);
			till_ui_money(t, res[i].price, p);
			till_ui_text(y, w - 18, 12, TILL_RIGHT, p);
			if (res[i].tracked && res[i].has_level)
				till_ui_textf(y, w - 6, 6, TILL_RIGHT, "%lld",
				              (long long)res[i].available);
			else
				till_ui_text(y, w - 6, 6, TILL_RIGHT, "");
			if (i == sel)
				attroff(A_REVERSE);
		}
		if (text[0] && n == 0)
			till_ui_text(
			    4, 4, w - 8, TILL_LEFT,
			    "nothing found: try fewer letters, or Esc and F7 for a custom item");
		till_ui_text(h - 1, 4, w - 8, TILL_RIGHT,
		             "type to search  Up/Down choose  Enter add  Esc back");
		int got = till_ui_key(t, &k);
		if (got < 0)
			break;
		if (got == 0)
			continue;
		if (k.fn && k.ch == KEY_UP) {
			if (sel > 0)
				sel--;
			continue;
		}
		if (k.fn && k.ch == KEY_DOWN) {
			if (sel + 1 < n)
				sel++;
			continue;
		}
		if (!k.fn && k.ch == L'\r') {
			if (n == 0)
				continue;
			struct scan_match m;
			struct cart_line l;
			memset(&m, 0, sizeof(m));
			m.variant = res[sel];
			m.unit_price = res[sel].price;
			snprintf(m.title, sizeof(m.title), "%s", res[sel].title);
			scan_match_line(&m, &l);
			add_line(t, &l, 1);
			stock_note(t, &res[sel], 1);
			break;
		}
		till_field_key(&f, &k);
	}
	free(res);
}

static void set_quantity(struct till *t)
{
	struct till_field f;
	char text[64], label[CART_TITLE_MAX + 32];
	struct cart *c = &t->tc.cart;

	if (c->nlines == 0) {
		till_msg(t, TILL_MSG_ERROR, "the cart is empty: scan an item first");
		return;
	}
	struct cart_line *l = &c->lines[t->sel];
	memset(&f, 0, sizeof(f));
	f.digits = true;
	snprintf(text, sizeof(text), "%lld", (long long)l->quantity);
	till_field_set(&f, text);
	snprintf(label, sizeof(label), "Quantity of %s:", l->title);
	if (!till_prompt(t, redraw_sell, "Quantity", label, "0 removes the line", &f, text,
	                 sizeof(text)))
		return;
	char *end;
	long long q = strtoll(text, &end, 10);
	if (!text[0] || *end || q < 0 || q > CART_MAX_QUANTITY) {
		till_msg(t, TILL_MSG_ERROR, "a quantity is a whole number from 1 to %d",
		         CART_MAX_QUANTITY);
		return;
	}
	if (q == 0) {
		till_msg(t, TILL_MSG_OK, "removed %s", l->title);
		cart_remove_line(c, t->sel);
	} else {
		cart_set_quantity(c, t->sel, q);
		till_msg(t, TILL_MSG_OK, "%s x%lld", l->title, q);
	}
	till_cart_changed(t);
}

static void bump_quantity(struct till *t, int delta)
{
	struct cart *c = &t->tc.cart;
	if (c->nlines == 0)
		return;
	struct cart_line *l = &c->lines[t->sel];
	if (l->quantity + delta < 1) {
		till_msg(t, TILL_MSG_ERROR, "the quantity cannot go below 1: Del removes the line");
		return;
	}
	if (l->quantity + delta > CART_MAX_QUANTITY)
		return;
	cart_set_quantity(c, t->sel, l->quantity + delta);
	till_msg(t, TILL_MSG_OK, "%s x%lld", l->title, (long long)l->quantity);
	till_cart_changed(t);
}

static void remove_line(struct till *t)
{
	struct cart *c = &t->tc.cart;
	if (c->nlines == 0) {
		till_msg(t, TILL_MSG_ERROR, "the cart is empty: nothing to remove");
		return;
	}
	till_msg(t, TILL_MSG_OK, "removed %s", c->lines[t->sel].title);
	cart_remove_line(c, t->sel);
	till_cart_changed(t);
}

/* The share of base a discount takes, in millionths. */
static int64_t discount_ppm(const struct discount *d, int64_t base)
{
	if (d->kind == DISCOUNT_PERCENT)
		return d->value;
	if (d->kind != DISCOUNT_AMOUNT || d->value == 0)
		return 0;
	if (base <= 0)
		return TAX_PPM_ONE;
	int64_t ppm;
	if (money_muldiv(d->value, TAX_PPM_ONE, base, &ppm) != TALAD_OK)
		return TAX_PPM_ONE;
	return ppm;
}

static void discount(struct till *t)
{
	struct cart *c = &t->tc.cart;
	struct till_key k;
	bool order;

	if (c->nlines == 0) {
		till_msg(t, TILL_MSG_ERROR, "the cart is empty: scan an item first");
		return;
	}
	for (;;) {
		char q[CART_TITLE_MAX + 64];
		draw_sell(t);
		snprintf(q, sizeof(q), "l: the selected line (%s)   o: the whole order",
		         c->lines[t->sel].title);
		int w = t->cols - 8;
		till_ui_box(t->rows / 2 - 3, 4, 5, w, "Discount on what?");
		till_ui_text(t->rows / 2 - 1, 6, w - 4, TILL_LEFT, q);
		till_ui_text(t->rows / 2, 6, w - 4, TILL_RIGHT, "Esc: cancel");
		int got = till_ui_key(t, &k);
		if (got < 0)
			return;
		if (got == 0)
			continue;
		if (!k.fn && (k.ch == L'l' || k.ch == L'o')) {
			order = k.ch == L'o';
			break;
		}
	}

	struct till_field f;
	char text[64], err[256], lim[TAX_RATE_STRLEN];
	struct discount d;
	memset(&f, 0, sizeof(f));
	/* The shop's limit as the last pull left it: re-read, not cached, so
	   a change from the back office applies to the next discount. */
	struct rstore_shop shop;
	int64_t limit = till_lock_discount_limit(
	    t->st, rstore_get_shop(t->st, &shop) == TALAD_OK ? &shop : &t->shop);
	tax_rate_format(limit, lim);
	char hint[128];
	snprintf(hint, sizeof(hint),
	         "10%% or an amount like 25.00; empty removes it; over %s%% "
	         "needs a manager",
	         lim);
	if (!till_prompt(t, redraw_sell, order ? "Order discount" : "Line discount",
	                 order ? "Discount on the whole order:" : "Discount on this line:", hint,
	                 &f, text, sizeof(text)))
		return;
	if (!text[0]) {
		d.kind = DISCOUNT_NONE;
		d.value = 0;
	} else if (discount_parse(text, t->cur.exponent, &d, err, sizeof(err)) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "%s: type 10%% or an amount like 25.00", err);
		return;
	}
	int64_t base;
	if (order) {
		base = 0;
		for (size_t i = 0; i < c->nlines; i++)
			base += c->lines[i].gross - c->lines[i].line_discount;
	} else {
		base = c->lines[t->sel].gross;
	}
	if (discount_ppm(&d, base) > limit) {
		struct rstore_staff who;
		char why[128];
		snprintf(why, sizeof(why), "A discount of %s is over the %s%% limit:", text, lim);
		if (!till_manager_approve(t, redraw_sell, why, &who)) {
			if (t->msg_kind != TILL_MSG_ERROR || !t->msg[0])
				till_msg(t, TILL_MSG_ERROR,
				         "discount not given: over %s%% it needs a manager's PIN",
				         lim);
			return;
		}
		till_msg(t, TILL_MSG_OK, "discount approved by %s", who.name);
	}
	struct discount before = order ? c->order_discount : c->lines[t->sel].discount;
	if (order)
		cart_set_order_discount(c, d);
	else
		cart_set_line_discount(c, t->sel, d);
	if (cart_price(c, err, sizeof(err)) != TALAD_OK) {
		if (order)
			cart_set_order_discount(c, before);
		else
			cart_set_line_discount(c, t->sel, before);
		till_msg(t, TILL_MSG_ERROR, "discount not given: %s", err);
		till_cart_changed(t);
		return;
	}
	if (d.kind == DISCOUNT_NONE)
		till_msg(t, TILL_MSG_OK, "discount removed");
	else if (t->msg_kind != TILL_MSG_OK || strncmp(t->msg, "discount approved", 17))
		till_msg(t, TILL_MSG_OK, "discount %s given", text);
	till_cart_changed(t);
}

static void custom_item(struct till *t)
{
	struct till_field f;
	char name[CART_TITLE_MAX], price[64], err[256];
	struct cart_line l;

	memset(&f, 0, sizeof(f));
	if (!till_prompt(t, redraw_sell, "Custom item", "Name of the item:",
	                 "sold once, not added to the catalog", &f, name, sizeof(name)))
		return;
	if (!name[0]) {
		till_msg(t, TILL_MSG_ERROR, "a custom item needs a name");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.amount = true;
	if (!till_prompt(t, redraw_sell, "Custom item", "Price (tax as the shop's prices):", NULL,
	                 &f, price, sizeof(price)))
		return;
	memset(&l, 0, sizeof(l));
	if (money_parse(price, t->cur.exponent, &l.unit_price, err, sizeof(err)) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "%s: type a price like 120.50", err);
		return;
	}
	snprintf(l.title, sizeof(l.title), "%s", name);
	l.quantity = 1;
	l.taxable = true;
	if (cart_add_line(&t->tc.cart, &l, err, sizeof(err)) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "cannot add the custom item: %s", err);
		return;
	}
	t->sel = t->tc.cart.nlines - 1;
	till_cart_changed(t);
	till_msg(t, TILL_MSG_OK, "added custom item %s", name);
}

static void void_cart(struct till *t)
{
	if (till_cart_empty(&t->tc)) {
		till_msg(t, TILL_MSG_INFO, "the cart is already empty");
		return;
	}
	if (t->tc.ntenders > 0 &&
	    !till_confirm(t, redraw_sell,
	                  "Payments were already entered for this cart: give them back to the "
	                  "customer. Void it?"))
		return;
	if (t->tc.ntenders == 0 && !till_confirm(t, redraw_sell, "Void this cart and start over?"))
		return;
	bool authorized = rpay_open_count(t->pay) > 0;
	t->msg[0] = '\0';
	till_pay_abandon(t);
	till_cart_reset(&t->tc);
	t->tc.cart.tax = t->shop.tax;
	t->sel = 0;
	till_cart_changed(t);
	if (!t->msg[0])
		till_msg(t, TILL_MSG_OK, "cart voided: nothing was sold%s",
		         authorized ? "; its card and gift card authorizations were voided" : "");
}

/* A scanner types a whole code within milliseconds; a person pressing a
 * command letter does not follow it that fast. When another key is already
 * there, the letter starts a scanned code (Code 128 SKUs may be lower
 * case), and the key waiting is put back. */
static bool scanner_burst(void)
{
	wint_t next;
	timeout(SCANNER_GAP_MS);
	int rc = get_wch(&next);
	if (rc == ERR)
		return false;
	if (rc == KEY_CODE_YES) {
		ungetch((int)next);
		return false; /* a function key after a letter: not a scanner */
	}
	unget_wch(next);
	return true;
}

/* A lower-case letter on an empty code line is a command. */
static wint_t command_of(const struct till_key *k)
{
	if (k->fn) {
		/* Function keys and the letters they stand for. */
		static const struct {
			int key;
			wint_t cmd;
		} fkeys[] = {
		    {KEY_F(1), L'h'}, {KEY_F(2), L's'}, {KEY_F(3), L'q'}, {KEY_F(4), L'd'},
		    {KEY_F(5), L'p'}, {KEY_F(6), L'o'}, {KEY_F(7), L'c'}, {KEY_F(8), L'v'},
		    {KEY_F(9), L'l'}, {KEY_F(10), 24},  {KEY_DC, L'x'},
		};
		for (size_t i = 0; i < sizeof(fkeys) / sizeof(fkeys[0]); i++)
			if ((int)k->ch == fkeys[i].key)
				return fkeys[i].cmd;
		return 0;
	}
	if (k->ch == 24)
		return 24;
	if (code_field.len > 0)
		return 0;
	if ((k->ch >= L'a' && k->ch <= L'z') || k->ch == L'?' || k->ch == L'/' || k->ch == L'+' ||
	    k->ch == L'-')
		return k->ch == L'?' ? L'h' : k->ch == L'/' ? L's' : k->ch;
	return 0;
}

void till_sell(struct till *t)
{
	struct till_key k;

	memset(&code_field, 0, sizeof(code_field));
	if (t->tc.cart.nlines == 0)
		t->tc.cart.tax = t->shop.tax;
	while (!t->quit) {
		draw_sell(t);
		refresh();
		if (!till_getkey(t, &k))
			return;
		if (till_key_tick(&k)) {
			till_pay_recover(t, false);
			continue;
		}
		wint_t cmd = command_of(&k);
		if (cmd && !k.fn && cmd != 24 && scanner_burst())
			cmd = 0; /* a code that starts with a lower-case letter */
		if (cmd)
			t->msg[0] = '\0';
		switch (cmd) {
		case 24:
			return;
		case L'h':
			till_help(t, redraw_sell);
			continue;
		case L's':
			search(t);
			continue;
		case L'q':
			set_quantity(t);
			continue;
		case L'+':
			bump_quantity(t, 1);
			continue;
		case L'-':
			bump_quantity(t, -1);
			continue;
		case L'd':
			discount(t);
			continue;
		case L'p':
			if (t->tc.cart.nlines == 0) {
				till_msg(t, TILL_MSG_ERROR,
				         "the cart is empty: scan an item first");
				continue;
			}
			till_pay(t);
			continue;
		case L'o':
			till_orders(t);
			continue;
		case L'c':
			custom_item(t);
			continue;
		case L'v':
			void_cart(t);
			continue;
		case L'l':
			if (!till_lock_screen(t))
				return;
			continue;
		case L'x':
			remove_line(t);
			continue;
		case 0:
			break;
		default:
			till_msg(
			    t, TILL_MSG_ERROR,
			    "'%lc' is not a command: F1 or ? lists the keys; codes start with a "
			    "digit or a capital",
			    (wint_t)k.ch);
			continue;
		}
		if (k.fn && k.ch == KEY_UP) {
			if (t->sel > 0)
				t->sel--;
		} else if (k.fn && k.ch == KEY_DOWN) {
			if (t->sel + 1 < t->tc.cart.nlines)
				t->sel++;
		} else if (!k.fn && k.ch == 27) {
			till_field_clear(&code_field);
		} else if (!k.fn && k.ch == L'\r') {
			char text[4 * TILL_INPUT_MAX + 1];
			till_field_utf8(&code_field, text, sizeof(text));
			till_field_clear(&code_field);
			if (text[0])
				sell_code(t, text);
		} else if (till_field_key(&code_field, &k)) {
			t->msg[0] = '\0';
		}
	}
}
