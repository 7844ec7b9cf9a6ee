/* The pay screen: cash with quick amounts and the change shown large, the
 * merchant's custom methods (PromptPay QR drawn on screen, the cashier's
 * confirmation recorded), card and gift card authorized by the back office
 * through rpay as `talad sell` does -- shown unavailable with the reason
 * while it cannot be reached -- and split payments. The sale is settled with
 * tender_settle and committed whole with rstore_commit_sale before the
 * receipt prints and the drawer opens. */
#include "register/till.h"

#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/receipt.h"
#include "register/card_reader.h"
#include "register/promptpay.h"
#include "register/rpay.h"
#include "register/rprint.h"
#include "register/rsync.h"
#include "register/till_qr.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METHODS_SHOWN     9
#define RECOVER_RETRY_MS  30000
#define GIFT_CODE_MIN     4
#define GIFT_CODE_MAX     32
#define TEST_GATEWAY_MARK "TEST GATEWAY"

struct pay_view {
	char **methods; /* the merchant's custom methods */
	size_t nmethods;
	const struct card_reader *reader; /* NULL when none is set up */
	char reader_why[256];             /* why not, for the cashier */
};

static struct pay_view *view; /* for the redraw callbacks of prompts */

static int64_t paid_so_far(const struct till *t)
{
	int64_t sum = 0;
	for (size_t i = 0; i < t->tc.ntenders; i++)
		sum += t->tc.tenders[i].t.amount;
	return sum;
}

static int64_t still_due(const struct till *t)
{
	int64_t left = t->tc.cart.total - paid_so_far(t);
	return left > 0 ? left : 0;
}

/* What cash must cover to settle the rest, after the shop's cash rounding. */
static int64_t cash_due(const struct till *t)
{
	int64_t left = still_due(t), r = left;
	if (t->shop.cash_increment > 0 &&
	    money_round_to(left, t->shop.cash_increment, &r) != TALAD_OK)
		r = left;
	return r;
}

static const char *tender_label(const struct till_tender *tt, char *buf, size_t len)
{
	switch (tt->t.kind) {
	case TENDER_CASH:
		return "Cash";
	case TENDER_CARD:
		if (tt->card_last4[0])
			snprintf(buf, len, "%s ****%s", tt->card_brand[0] ? tt->card_brand : "card",
			         tt->card_last4);
		else
			snprintf(buf, len, "Card");
		return buf;
	case TENDER_GIFT_CARD: {
		/* The end of the code, as the receipt shows it. */
		size_t n = strlen(tt->t.name);
		snprintf(buf, len, "Gift ****%s", tt->t.name + (n > 4 ? n - 4 : 0));
		return buf;
	}
	case TENDER_CUSTOM:
		return tt->t.name;
	}
	return "?";
}

/* Short: the status bar carries the details. */
static const char *offline_reason(const struct till *t)
{
	return t->status.known ? "the back office cannot be reached"
	                       : "the back office has not answered yet";
}

static void draw_pay(struct till *t)
{
	char a[MONEY_STRLEN], b[MONEY_STRLEN], label[128];
	const struct pay_view *v = view;

	till_draw_frame(t, "PAY",
	                "c cash  k card  g gift card  1-9 custom  x remove last payment  "
	                "Esc back to the cart  F1 help");
	till_ui_money(t, t->tc.cart.total, a);
	attron(A_BOLD);
	till_ui_textf(2, 2, 30, TILL_LEFT, "Total to pay  %s %s", t->cur.code, a);
	money_format(still_due(t), t->cur.exponent, b);
	till_ui_text(2, 34, t->cols - 36, TILL_RIGHT, "STILL DUE");
	if (!till_ui_big(3, 34, t->cols - 36, b))
		till_ui_text(3, 34, t->cols - 36, TILL_RIGHT, b);
	attroff(A_BOLD);
	if (t->shop.cash_increment > 0 && cash_due(t) != still_due(t)) {
		till_ui_money(t, cash_due(t), a);
		till_ui_textf(6, 34, t->cols - 36, TILL_RIGHT, "in cash (rounded): %s", a);
	}

	till_ui_text(4, 2, 30, TILL_LEFT, "Payments entered:");
	if (t->tc.ntenders == 0)
		till_ui_text(5, 4, 28, TILL_LEFT, "none yet");
	for (size_t i = 0; i < t->tc.ntenders; i++) {
		till_ui_money(t, t->tc.tenders[i].t.amount, a);
		till_ui_textf(5 + (int)i, 4, 4, TILL_LEFT, "%zu.", i + 1);
		till_ui_text(5 + (int)i, 8, 14, TILL_LEFT,
		             tender_label(&t->tc.tenders[i], label, sizeof(label)));
		till_ui_text(5 + (int)i, 22, 12, TILL_RIGHT, a);
	}

	int y = 8 + (int)t->tc.ntenders;
	if (y < 10)
		y = 10;
	till_ui_text(y++, 2, t->cols - 4, TILL_LEFT, "Pay with:");
	till_ui_text(y++, 4, t->cols - 6, TILL_LEFT, "c  Cash (works offline)");
	if (t->status.online) {
		if (v->reader)
			till_ui_textf(
			    y++, 4, t->cols - 6, TILL_LEFT, "k  Card       %s%s", v->reader->label,
			    t->test_gateway ? "  (TEST GATEWAY: no real money moves)" : "");
		else
			till_ui_textf(y++, 4, t->cols - 6, TILL_LEFT, "k  Card       %s",
			              v->reader_why);
		till_ui_text(y++, 4, t->cols - 6, TILL_LEFT,
		             "g  Gift card  the code, then the back office checks what it holds");
	} else {
		attron(A_DIM);
		till_ui_textf(y++, 4, t->cols - 6, TILL_LEFT,
		              "k  Card       UNAVAILABLE offline: %s", offline_reason(t));
		till_ui_text(y++, 4, t->cols - 6, TILL_LEFT,
		             "g  Gift card  UNAVAILABLE offline: it needs the back office");
		attroff(A_DIM);
	}
	for (size_t i = 0; i < v->nmethods && i < METHODS_SHOWN && y < t->rows - 5; i++)
		till_ui_textf(y++, 4, t->cols - 6, TILL_LEFT, "%zu  %s", i + 1, v->methods[i]);
	if (v->nmethods == 0 && y < t->rows - 5)
		till_ui_text(
		    y++, 4, t->cols - 6, TILL_LEFT,
		    "(no custom methods: the back office can add PromptPay, transfers...)");
}

static void redraw_pay(struct till *t)
{
	draw_pay(t);
}

/* ---- entering a payment ---- */

/* Quick cash amounts: the exact sum and the next round notes above it. */
static size_t quick_amounts(const struct till *t, int64_t due, int64_t out[4])
{
	int64_t unit = 1;
	size_t n = 0;
	for (int i = 0; i < t->cur.exponent; i++)
		unit *= 10;
	out[n++] = due;
	static const int64_t steps[] = {100, 500, 1000};
	for (size_t i = 0; i < 3; i++) {
		int64_t s = steps[i] * unit;
		int64_t q = (due / s + 1) * s;
		if (q > out[n - 1])
			out[n++] = q;
	}
	return n;
}

/* Asks for the cash handed over. True with the amount. */
static bool ask_cash(struct till *t, int64_t *amount)
{
	struct till_field f;
	struct till_key k;
	int64_t quick[4];
	int64_t due = cash_due(t);
	size_t nq = quick_amounts(t, due, quick);

	memset(&f, 0, sizeof(f));
	f.amount = true;
	for (;;) {
		char hint[256], a[MONEY_STRLEN];
		size_t o = 0;
		draw_pay(t);
		int w = t->cols - 8 < 70 ? t->cols - 8 : 70;
		int y = (t->rows - 2 - 8) / 2, x = (t->cols - w) / 2;
		till_ui_box(y, x, 8, w, "Cash");
		till_ui_money(t, due, a);
		till_ui_textf(y + 2, x + 2, w - 4, TILL_LEFT, "Cash received (due %s):", a);
		till_field_draw(&f, y + 3, x + 2, w - 4);
		for (size_t i = 0; i < nq; i++) {
			till_ui_money(t, quick[i], a);
			o += (size_t)snprintf(hint + o, sizeof(hint) - o, "%s%c: %s%s",
			                      i ? "   " : "", (char)('a' + i), a,
			                      i == 0 ? " (exact)" : "");
			if (o >= sizeof(hint))
				break;
		}
		till_ui_text(y + 5, x + 2, w - 4, TILL_LEFT, hint);
		till_ui_text(y + 6, x + 2, w - 4, TILL_RIGHT,
		             "type an amount + Enter (empty: exact)   Esc: cancel");
		int got = till_ui_key(t, &k);
		if (got < 0)
			return false;
		if (got == 0)
			continue;
		if (!k.fn && k.ch >= L'a' && k.ch < L'a' + (wint_t)nq) {
			*amount = quick[k.ch - L'a'];
			return true;
		}
		if (!k.fn && k.ch == L'\r') {
			char text[64], err[256];
			till_field_utf8(&f, text, sizeof(text));
			if (!text[0]) {
				*amount = due;
				return true;
			}
			if (money_parse(text, t->cur.exponent, amount, err, sizeof(err)) !=
			        TALAD_OK ||
			    *amount <= 0) {
				till_msg(t, TILL_MSG_ERROR, "%s: type an amount like 500 or 120.50",
				         *amount <= 0 && !err[0] ? "more than zero" : err);
				till_field_clear(&f);
				continue;
			}
			return true;
		}
		till_field_key(&f, &k);
	}
}

/* Asks for a non-cash amount, the rest by default. */
static bool ask_amount(struct till *t, const char *title, int64_t *amount)
{
	struct till_field f;
	char text[64], err[256], a[MONEY_STRLEN], label[128];
	memset(&f, 0, sizeof(f));
	f.amount = true;
	till_ui_money(t, still_due(t), a);
	snprintf(label, sizeof(label), "Amount (Enter for the rest, %s):", a);
	for (;;) {
		if (!till_prompt(t, redraw_pay, title, label,
		                 "less than the rest splits the payment", &f, text, sizeof(text)))
			return false;
		if (!text[0]) {
			*amount = still_due(t);
			return true;
		}
		err[0] = '\0';
		if (money_parse(text, t->cur.exponent, amount, err, sizeof(err)) != TALAD_OK ||
		    *amount <= 0) {
			till_msg(t, TILL_MSG_ERROR, "%s: type an amount like 120.50",
			         err[0] ? err : "more than zero");
			continue;
		}
		if (*amount > still_due(t)) {
			till_msg(t, TILL_MSG_ERROR,
			         "a %s payment cannot be more than is due (%s): only cash gives "
			         "change",
			         title, a);
			continue;
		}
		return true;
	}
}

/* A PromptPay QR for amount, until the cashier confirms or cancels. The id
 * is the register's promptpay-id, else the shop's (promptpay_id, as `talad
 * sell` shows it); the reference the customer's app shows is recorded on
 * the payment, PROMPTPAY_DEFAULT_REF when the cashier types none. True with
 * ref (TENDER_REF_MAX bytes) filled when the payment arrived. */
static bool show_promptpay(struct till *t, int64_t amount, char *ref)
{
	char payload[TILL_QR_PAYLOAD_MAX], err[256], a[MONEY_STRLEN], id[64];
	struct till_qr *qr = xcalloc(1, sizeof(*qr));
	struct till_key k;
	struct till_field f;
	bool ok = false, have = false;

	memset(&f, 0, sizeof(f));
	promptpay_id(t->st, id, sizeof(id));
	if (strcmp(t->cur.code, "THB") != 0)
		snprintf(err, sizeof(err), "PromptPay takes baht only, the shop sells in %s",
		         t->cur.code);
	else if (!id[0])
		snprintf(err, sizeof(err),
		         "no PromptPay id is set (the back office's shop settings, or talad config "
		         "set %s ID)",
		         PROMPTPAY_CONFIG_KEY);
	else if (till_qr_promptpay(id, amount, payload, err, sizeof(err)) == TALAD_OK &&
	         till_qr_encode(payload, qr, err, sizeof(err)) == TALAD_OK)
		have = true;
	till_ui_money(t, amount, a);
	for (;;) {
		erase();
		till_draw_frame(t, "PROMPTPAY",
		                "type the reference, Enter: the payment arrived   Esc: cancel");
		int side = qr->size + 4; /* a quiet zone of 2 modules */
		int x0 = 1;
		if (have && (side + 1) / 2 <= t->rows - 5 && side <= t->cols / 2 + 10) {
			/* Light modules drawn as blocks on black: dark where the
			   terminal is dark, whatever its colours. */
			if (has_colors())
				attron(COLOR_PAIR(3));
			for (int r = 0; r < side; r += 2) {
				char line[4 * TILL_QR_MAX + 16];
				size_t o = 0;
				for (int c = 0; c < side; c++) {
					int mr = r - 2, mc = c - 2;
					bool top = mr >= 0 && mr < qr->size && mc >= 0 &&
					           mc < qr->size && qr->dark[mr][mc];
					bool bot = mr + 1 >= 0 && mr + 1 < qr->size && mc >= 0 &&
					           mc < qr->size && qr->dark[mr + 1][mc];
					if (r + 1 >= side)
						bot = true; /* below the symbol: terminal dark */
					const char *cell = !top && !bot ? "█"
					                   : !top       ? "▀"
					                   : !bot       ? "▄"
					                                : " ";
					size_t cl = strlen(cell);
					memcpy(line + o, cell, cl);
					o += cl;
				}
				line[o] = '\0';
				till_ui_text(1 + r / 2, x0, side, TILL_LEFT, line);
			}
			if (has_colors())
				attroff(COLOR_PAIR(3));
		}
		int tx = have ? x0 + side + 3 : 2;
		attron(A_BOLD);
		till_ui_textf(3, tx, t->cols - tx - 1, TILL_LEFT, "PromptPay  %s %s", t->cur.code,
		              a);
		attroff(A_BOLD);
		if (have) {
			till_ui_text(5, tx, t->cols - tx - 1, TILL_LEFT,
			             "The customer scans the code with");
			till_ui_text(6, tx, t->cols - tx - 1, TILL_LEFT,
			             "their banking app and pays.");
			till_ui_text(8, tx, t->cols - tx - 1, TILL_LEFT,
			             "Enter when the payment shows as");
			till_ui_text(9, tx, t->cols - tx - 1, TILL_LEFT,
			             "received; Esc to cancel.");
			till_ui_textf(11, tx, t->cols - tx - 1, TILL_LEFT, "to: %s", id);
		} else {
			till_ui_textf(5, tx, t->cols - tx - 1, TILL_LEFT, "No QR code: %s.", err);
			till_ui_text(6, tx, t->cols - tx - 1, TILL_LEFT,
			             "Enter if the customer paid another way; Esc to cancel.");
		}
		till_ui_text(13, tx, t->cols - tx - 1, TILL_LEFT,
		             "Reference shown in the customer's app");
		till_ui_text(14, tx, t->cols - tx - 1, TILL_LEFT, "(Enter for none):");
		till_field_draw(&f, 15, tx, t->cols - tx - 2 < 40 ? t->cols - tx - 2 : 40);
		int got = till_ui_key(t, &k);
		if (got < 0)
			break;
		if (got == 0)
			continue;
		if (!k.fn && k.ch == L'\r') {
			char text[4 * TILL_INPUT_MAX + 1];
			till_field_utf8(&f, text, sizeof(text));
			if (!text[0]) {
				snprintf(ref, TENDER_REF_MAX, "%s", PROMPTPAY_DEFAULT_REF);
			} else if (!promptpay_ref_valid(text)) {
				till_msg(t, TILL_MSG_ERROR,
				         "a reference is at most %d characters of text",
				         TENDER_REF_MAX - 1);
				continue;
			} else {
				strlcpy_t(ref, text, TENDER_REF_MAX);
			}
			ok = true;
			break;
		}
		till_field_key(&f, &k);
	}
	free(qr);
	return ok;
}

/* Adds a payment and sees whether the sale is paid. Returns 1 when the
 * payments settle the total (s filled), 0 when more is due, -1 when this
 * payment was refused (removed again, message set). */
static int add_tender(struct till *t, const struct till_tender *tt, struct settlement *s)
{
	struct tender list[TENDER_MAX + 1];
	char err[256];

	if (t->tc.ntenders >= TENDER_MAX) {
		till_msg(t, TILL_MSG_ERROR, "at most %d payments on one sale: remove one with x",
		         TENDER_MAX);
		return -1;
	}
	t->tc.tenders[t->tc.ntenders++] = *tt;
	for (size_t i = 0; i < t->tc.ntenders; i++)
		list[i] = t->tc.tenders[i].t;
	int rc = tender_settle(t->tc.cart.total, list, t->tc.ntenders, t->shop.cash_increment, s,
	                       err, sizeof(err));
	if (rc == TALAD_OK)
		return 1;
	/* Short of the total, or wrong in itself? The rest in cash tells. */
	list[t->tc.ntenders] = (struct tender){.kind = TENDER_CASH};
	struct settlement probe;
	if (t->tc.ntenders < TENDER_MAX &&
	    tender_settle(t->tc.cart.total, list, t->tc.ntenders + 1, t->shop.cash_increment,
	                  &probe, NULL, 0) == TALAD_OK) {
		till_cart_changed(t);
		char a[MONEY_STRLEN];
		till_ui_money(t, still_due(t), a);
		till_msg(t, TILL_MSG_OK, "payment entered; still due %s", a);
		return 0;
	}
	t->tc.ntenders--;
	till_msg(t, TILL_MSG_ERROR, "payment not taken: %s", err);
	return -1;
}

/* ---- card and gift card ---- */

/* The authorizations of the sale in progress: opened with its first card or
 * gift card payment, closed when it commits or is given up. */
static int pay_open(struct till *t, char *err, size_t errlen)
{
	if (t->pay)
		return TALAD_OK;
	struct rpay *p = xcalloc(1, sizeof(*p));
	int rc = rpay_init(p, t->st, t->cli->home, err, errlen);
	if (rc) {
		free(p);
		return rc;
	}
	t->pay = p;
	return TALAD_OK;
}

static void pay_close(struct till *t)
{
	if (!t->pay)
		return;
	rpay_release(t->pay);
	free(t->pay);
	t->pay = NULL;
}

/* Authorizations that back no payment entered (an answer lost, then a void
 * that failed) are voided before the sale commits without them. */
static void void_strays(struct till *t)
{
	if (!t->pay)
		return;
	for (size_t i = t->pay->n; i-- > 0;) {
		char id[UUID_STRLEN + 1];
		bool used = false;
		memcpy(id, t->pay->auths[i].id, sizeof(id));
		for (size_t k = 0; k < t->tc.ntenders && !used; k++)
			used = !strcmp(t->tc.tenders[k].auth_id, id);
		if (!used && rpay_void_one(t->pay, id, NULL, 0) != TALAD_OK)
			t->recover_due = true;
	}
}

void till_pay_recover(struct till *t, bool force)
{
	size_t voided = 0;

	if (!force && (!t->recover_due || !t->status.online || time_mono_ms() < t->recover_at))
		return;
	/* The journal of this till's own sale in progress looks like a killed
	   one's (the same process): left alone while it holds any. */
	if (rpay_open_count(t->pay) > 0)
		return;
	int rc = rpay_recover(t->st, t->cli->home, &voided);
	t->recover_due = rc != TALAD_OK;
	t->recover_at = time_mono_ms() + RECOVER_RETRY_MS;
	if (voided > 0 && !t->msg[0])
		till_msg(t, TILL_MSG_OK,
		         "%zu card or gift card authorization(s) of a sale that was not completed "
		         "were voided: nothing is charged for them",
		         voided);
}

void till_pay_abandon(struct till *t)
{
	char err[256];

	if (!t->pay)
		return;
	if (rpay_open_count(t->pay) > 0 && rpay_void_all(t->pay, err, sizeof(err)) != TALAD_OK) {
		t->recover_due = true;
		till_msg(
		    t, TILL_MSG_ERROR,
		    "the card or gift card authorizations of this sale could not be voided now "
		    "(%s): the till voids them when the back office answers again, or it "
		    "releases them by itself",
		    err);
	}
	pay_close(t);
}

/* Builds the order from the cart and settlement and commits it. */
static int commit(struct till *t, const struct settlement *s, struct order *o, char *err,
                  size_t errlen)
{
	struct rstore_pairing p;
	int rc;

	order_init(o, &t->tc.cart.tax);
	cart_release(&o->cart);
	cart_copy(&o->cart, &t->tc.cart);
	if ((rc = cart_price(&o->cart, err, errlen)))
		return rc;
	snprintf(o->currency, sizeof(o->currency), "%s", t->cur.code);
	/* Card and gift card payments were authorized for this id. */
	if (uuid_valid(t->tc.order_id))
		memcpy(o->id, t->tc.order_id, UUID_STRLEN + 1);
	if (t->on_duty && uuid_valid(t->staff.id))
		memcpy(o->staff_id, t->staff.id, UUID_STRLEN + 1);
	o->settlement = *s;
	for (size_t i = 0; i < s->npayments && i < t->tc.ntenders; i++) {
		struct payment *pm = &o->settlement.payments[i];
		const struct till_tender *tt = &t->tc.tenders[i];
		snprintf(pm->reference, sizeof(pm->reference), "%s", tt->reference);
		snprintf(pm->card_brand, sizeof(pm->card_brand), "%s", tt->card_brand);
		snprintf(pm->card_last4, sizeof(pm->card_last4), "%s", tt->card_last4);
	}

	/* Marked first: a till killed during the commit finds out at its
	 * restart whether the sale went in. */
	if ((rc = rstore_get_pairing(t->st, &p))) {
		snprintf(err, errlen, "cannot read the register's numbering");
		return rc;
	}
	t->tc.paying = true;
	t->tc.paying_since = time_now_ms();
	t->tc.paying_counter = p.receipt_counter;
	t->tc.paying_total = o->cart.total;
	if ((rc = till_cart_save(t->st, &t->tc))) {
		t->tc.paying = false;
		snprintf(err, errlen, "cannot save the cart before the sale");
		return rc;
	}
	rc = rstore_commit_sale(t->st, o, err, errlen);
	if (rc) {
		t->tc.paying = false;
		till_cart_save(t->st, &t->tc);
		return rc;
	}
	if (t->pay) {
		/* The order captures its authorizations when it arrives. */
		rpay_committed(t->pay);
		pay_close(t);
	}
	till_cart_reset(&t->tc);
	t->tc.cart.tax = t->shop.tax;
	t->sel = 0;
	if (till_cart_clear(t->st) != TALAD_OK)
		/* The paying mark stays, and the restart finds the sale. */
		till_msg(t, TILL_MSG_ERROR, "the sale is saved but the cart could not be cleared");
	till_sync_kick(t);
	return TALAD_OK;
}

/* ---- after the sale ---- */

static bool email_ok(const char *s)
{
	size_t n = strlen(s);
	const char *at = strchr(s, '@');
	if (n < 3 || n > ORDER_EMAIL_MAX || !at || at == s || strchr(at + 1, '@') ||
	    !strchr(at + 1, '.') || at[1] == '.' || s[n - 1] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

void till_email_receipt(struct till *t, void (*redraw)(struct till *), const char *order_id,
                        const char *number)
{
	struct till_field f;
	char email[ORDER_EMAIL_MAX * 2], label[96];

	memset(&f, 0, sizeof(f));
	snprintf(label, sizeof(label), "E-mail the receipt of %s to:", number);
	if (!till_prompt(t, redraw, "E-mail receipt", label, NULL, &f, email, sizeof(email)))
		return;
	if (!email_ok(email)) {
		till_msg(t, TILL_MSG_ERROR, "'%s' is not an e-mail address: nothing was sent",
		         email);
		return;
	}
	json_t *pl = json_pack("{s:s, s:s}", "order_id", order_id, "email", email);
	int rc = pl ? rstore_outbox_append(t->st, "receipt.email", pl, NULL) : TALAD_EINVAL;
	json_decref(pl);
	if (rc != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "cannot queue the e-mail: %s", talad_strerror(rc));
		return;
	}
	till_sync_kick(t);
	if (t->status.online)
		till_msg(t, TILL_MSG_OK, "the receipt of %s goes to %s now", number, email);
	else
		till_msg(t, TILL_MSG_OK,
		         "offline: the receipt of %s is queued and e-mailed to %s when the "
		         "register is back online",
		         number, email);
}

static struct order *done_order;
static char done_print[TILL_MSG_MAX];

static void draw_done(struct till *t)
{
	const struct order *o = done_order;
	char a[MONEY_STRLEN], b[MONEY_STRLEN];

	till_draw_frame(t, "PAID", "Enter: next sale   e: e-mail receipt   r: print again");
	attron(A_BOLD);
	till_ui_textf(2, 2, t->cols - 4, TILL_LEFT, "Sale %s saved", o->number);
	attroff(A_BOLD);
	till_ui_money(t, o->cart.total, a);
	till_ui_textf(4, 2, 40, TILL_LEFT, "Total      %s", a);
	int64_t tendered = 0;
	for (size_t i = 0; i < o->settlement.npayments; i++)
		tendered += o->settlement.payments[i].tendered;
	till_ui_money(t, tendered, a);
	till_ui_textf(5, 2, 40, TILL_LEFT, "Received   %s", a);
	char paid[256] = "";
	size_t used = 0;
	for (size_t i = 0; i < o->settlement.npayments && used < sizeof(paid); i++) {
		const struct payment *pm = &o->settlement.payments[i];
		char what[64];
		till_ui_money(t, pm->amount, a);
		if (pm->kind == TENDER_CARD && pm->card_last4[0])
			snprintf(what, sizeof(what), "%s ****%s", pm->card_brand, pm->card_last4);
		else if (pm->kind == TENDER_GIFT_CARD)
			snprintf(what, sizeof(what), "gift card %s", pm->name);
		else
			snprintf(what, sizeof(what), "%s",
			         pm->kind == TENDER_CASH   ? "cash"
			         : pm->kind == TENDER_CARD ? "card"
			                                   : pm->name);
		int w =
		    snprintf(paid + used, sizeof(paid) - used, "%s%s %s", i ? " + " : "", what, a);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	till_ui_textf(6, 2, t->cols - 4, TILL_LEFT, "Paid by    %s", paid);
	if (o->settlement.rounding) {
		till_ui_money(t, o->settlement.rounding, a);
		till_ui_textf(7, 2, 40, TILL_LEFT, "Rounding   %s", a);
	}
	till_ui_money(t, o->settlement.change, a);
	attron(A_BOLD);
	till_ui_textf(8, 2, t->cols - 4, TILL_LEFT, "CHANGE %s %s", t->cur.code, a);
	money_format(o->settlement.change, t->cur.exponent, b);
	if (!till_ui_big(10, 2, t->cols - 4, b))
		till_ui_text(10, 2, t->cols - 4, TILL_LEFT, b);
	attroff(A_BOLD);
	if (done_print[0])
		till_ui_text(14, 2, t->cols - 4, TILL_LEFT, done_print);
	/* Who holds the money, as the receipt says it (a test gateway says
	   that no real money moved). */
	int y = 15;
	for (size_t i = 0; i < o->settlement.npayments && y < t->rows - 4; i++) {
		const struct payment *pm = &o->settlement.payments[i];
		if (pm->reference[0] && pm->kind != TENDER_CASH)
			till_ui_textf(y++, 2, t->cols - 4, TILL_LEFT, "%s: %s",
			              pm->kind == TENDER_CARD        ? "card"
			              : pm->kind == TENDER_GIFT_CARD ? "gift card"
			                                             : pm->name,
			              pm->reference);
	}
}

static void print_receipt(struct till *t, const struct order *o, bool after_sale)
{
	char *text = NULL;
	size_t len = 0;
	FILE *msg = open_memstream(&text, &len);

	if (!msg) {
		snprintf(done_print, sizeof(done_print), "receipt not printed: out of memory");
		return;
	}
	till_ui_text(t->rows - 4, 0, t->cols, TILL_LEFT, "printing...");
	refresh();
	int rc;
	if (after_sale) {
		rc = rprint_after_sale(t->st, o, msg);
	} else {
		char err[512];
		rc = rprint_order(t->st, o, NULL, false, err, sizeof(err));
		if (rc == TALAD_ENOTFOUND)
			fprintf(msg, "no printer is set: talad config set printer URI");
		else if (rc)
			fprintf(msg, "receipt not printed: %s", err);
	}
	fclose(msg);
	struct rprint_config cfg;
	char err[256];
	bool have_printer =
	    rprint_config_load(t->st, &cfg, err, sizeof(err)) == TALAD_OK && cfg.printer[0];
	/* One line on screen: the first of what the printer code said. */
	char *nl = text ? strchr(text, '\n') : NULL;
	if (nl)
		*nl = '\0';
	if (text && text[0])
		snprintf(done_print, sizeof(done_print), "%s", text);
	else if (rc == TALAD_OK && have_printer)
		snprintf(done_print, sizeof(done_print), "receipt printed");
	else
		snprintf(done_print, sizeof(done_print),
		         "no receipt printer set (talad config set printer URI)");
	free(text);
}

static void done_screen(struct till *t, struct order *o)
{
	struct till_key k;

	done_order = o;
	done_print[0] = '\0';
	t->msg[0] = '\0';
	draw_done(t);
	print_receipt(t, o, true);
	for (;;) {
		draw_done(t);
		refresh();
		if (!till_getkey(t, &k))
			return;
		if (till_key_tick(&k))
			continue;
		if (!k.fn && (k.ch == L'\r' || k.ch == 27 || k.ch == L' '))
			break;
		if (!k.fn && k.ch == L'e')
			till_email_receipt(t, draw_done, o->id, o->number);
		else if (!k.fn && k.ch == L'r')
			print_receipt(t, o, false);
	}
	t->msg[0] = '\0';
}

static bool settle_and_commit(struct till *t, const struct settlement *s)
{
	struct order *o = xcalloc(1, sizeof(*o));
	char err[512];
	void_strays(t);
	int rc = commit(t, s, o, err, sizeof(err));
	if (rc != TALAD_OK) {
		/* The last payment is taken back so the cashier can retry; a card's
		   authorization with it, or -- when that cannot be voided now --
		   the payment stays, still approved, for the next try. */
		const struct till_tender *last =
		    t->tc.ntenders > 0 ? &t->tc.tenders[t->tc.ntenders - 1] : NULL;
		char verr[256];
		if (last && last->auth_id[0] && t->pay &&
		    rpay_void_one(t->pay, last->auth_id, verr, sizeof(verr)) != TALAD_OK) {
			till_msg(
			    t, TILL_MSG_ERROR,
			    "sale NOT saved (%s): nothing was recorded; the card payment stays "
			    "entered (%s): Esc, then F5 completes the sale",
			    err, verr);
		} else {
			till_msg(
			    t, TILL_MSG_ERROR,
			    "sale NOT saved (%s): nothing was recorded%s; press the payment key "
			    "again",
			    err, last && last->auth_id[0] ? " and the card was not charged" : "");
			if (last)
				t->tc.ntenders--;
		}
		till_cart_changed(t);
		order_release(o);
		free(o);
		return false;
	}
	done_screen(t, o);
	order_release(o);
	free(o);
	return true;
}

/* "PromptPay QR, Bank transfer", or "none set up". */
static void method_list(const struct pay_view *v, char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	if (v->nmethods == 0)
		snprintf(out, len, "none set up");
	for (size_t i = 0; i < v->nmethods && used < len; i++) {
		int w = snprintf(out + used, len - used, "%s%s", i ? ", " : "", v->methods[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Card and gift card need the back office, as with `talad sell`: while it
 * cannot be reached they are refused, saying what still works. why (may be
 * NULL) is the failed request's own message. */
static void refuse_offline(struct till *t, enum tender_kind kind, const struct pay_view *v,
                           const char *why)
{
	char methods[256], works[300];
	method_list(v, methods, sizeof(methods));
	if (v->nmethods)
		snprintf(works, sizeof(works), "cash and %s still work", methods);
	else
		snprintf(works, sizeof(works), "cash still works");
	till_msg(t, TILL_MSG_ERROR,
	         "unavailable offline: %s payments need the back office; %s%s%s%s",
	         kind == TENDER_CARD ? "card" : "gift card", works, why ? " (" : "", why ? why : "",
	         why ? ")" : "");
}

/* A gift card code as the back office takes it: 4-32 of A-Z 0-9 and '-',
 * any case (upper-cased in place). */
static bool gift_code_ok(char *code)
{
	size_t n = strlen(code);
	if (n < GIFT_CODE_MIN || n > GIFT_CODE_MAX)
		return false;
	for (char *p = code; *p; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	}
	return true;
}

/* Whether tt can join the payments entered, checked before a card is
 * authorized so that nothing is held for a payment the sale cannot take.
 * False with the reason in err. */
static bool tender_fits(const struct till *t, const struct till_tender *tt, char *err,
                        size_t errlen)
{
	struct tender list[TENDER_MAX + 1];
	struct settlement probe;
	size_t n = t->tc.ntenders;

	if (n >= TENDER_MAX) {
		snprintf(err, errlen, "at most %d payments on one sale: remove one with x",
		         TENDER_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		list[i] = t->tc.tenders[i].t;
	list[n] = tt->t;
	if (tender_settle(t->tc.cart.total, list, n + 1, t->shop.cash_increment, &probe, err,
	                  errlen) == TALAD_OK)
		return true;
	/* Short of the total is fine: the rest comes later. */
	list[n + 1] = (struct tender){.kind = TENDER_CASH};
	return n + 1 < TENDER_MAX &&
	       tender_settle(t->tc.cart.total, list, n + 2, t->shop.cash_increment, &probe, NULL,
	                     0) == TALAD_OK;
}

/* k and g: a card read by the card reader, or a gift card by its code, for
 * an amount; authorized at once by the back office (rpay, the requests of
 * `talad sell`) under the sale's order id. Approved: the payment is entered
 * with its reference and brand and last four (or the code). Declined: the
 * reason, nothing entered. Returns as add_tender does, -1 for anything not
 * entered. */
static int take_authorized(struct till *t, enum tender_kind kind, const struct pay_view *v,
                           struct settlement *s)
{
	const char *what = kind == TENDER_CARD ? "card" : "gift card";
	char err[512], code[4 * TILL_INPUT_MAX + 1] = "", a[MONEY_STRLEN];
	struct till_tender tt;
	int64_t amount;

	if (!t->status.online) {
		refuse_offline(t, kind, v, NULL);
		return -1;
	}
	if (kind == TENDER_CARD && !v->reader) {
		till_msg(t, TILL_MSG_ERROR, "card payments: %s", v->reader_why);
		return -1;
	}
	if (kind == TENDER_GIFT_CARD) {
		struct till_field f;
		memset(&f, 0, sizeof(f));
		if (!till_prompt(t, redraw_pay, "Gift card", "Gift card code:",
		                 "as printed on the card; the back office checks what it holds", &f,
		                 code, sizeof(code)))
			return -1;
		if (!gift_code_ok(code)) {
			till_msg(
			    t, TILL_MSG_ERROR,
			    "'%s' is not a gift card code: %d to %d letters, digits and dashes",
			    code, GIFT_CODE_MIN, GIFT_CODE_MAX);
			return -1;
		}
	}
	if (!ask_amount(t, kind == TENDER_CARD ? "Card" : "Gift card", &amount))
		return -1;
	memset(&tt, 0, sizeof(tt));
	tt.t.kind = kind;
	tt.t.has_amount = true;
	tt.t.amount = amount;
	strlcpy_t(tt.t.name, code, sizeof(tt.t.name));
	if (!tender_fits(t, &tt, err, sizeof(err))) {
		till_msg(t, TILL_MSG_ERROR, "payment not taken: %s", err);
		return -1;
	}
	if (pay_open(t, err, sizeof(err)) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "%s payments: %s", what, err);
		return -1;
	}
	/* Before this sale's first authorization, as `talad sell` does: what a
	   killed sale left is voided (never this sale's own). */
	till_pay_recover(t, true);
	if (!t->tc.order_id[0]) {
		uuid_v7(t->tc.order_id);
		till_cart_changed(t);
	}

	till_ui_money(t, amount, a);
	draw_pay(t);
	int w = t->cols - 8 < 70 ? t->cols - 8 : 70;
	int y = (t->rows - 2 - 6) / 2, x = (t->cols - w) / 2;
	till_ui_box(y, x, 6, w, kind == TENDER_CARD ? "Card" : "Gift card");
	if (kind == TENDER_CARD)
		till_ui_textf(y + 2, x + 2, w - 4, TILL_LEFT, "Present the card to the %s...",
		              v->reader->label);
	else
		till_ui_textf(y + 2, x + 2, w - 4, TILL_LEFT, "Gift card %s", code);
	till_ui_textf(y + 3, x + 2, w - 4, TILL_LEFT, "authorizing %s %s with the back office",
	              t->cur.code, a);
	till_draw_status(t);
	refresh();

	struct payment pm;
	struct rpay_decline dec;
	char auth_id[UUID_STRLEN + 1];
	memset(&pm, 0, sizeof(pm));
	pm.kind = kind;
	pm.amount = pm.tendered = amount;
	strlcpy_t(pm.name, code, sizeof(pm.name));
	err[0] = '\0';
	int rc =
	    rpay_authorize_one(t->pay, t->tc.order_id, &pm, kind == TENDER_CARD ? v->reader : NULL,
	                       auth_id, &dec, err, sizeof(err));
	if (rc == TALAD_EREFUSED) {
		till_msg(t, TILL_MSG_ERROR,
		         "%s declined: %s (%s); nothing was entered or charged: take another card "
		         "or another method",
		         what,
		         dec.message[0] ? dec.message
		         : dec.code[0]  ? dec.code
		                        : "declined",
		         dec.what);
		return -1;
	}
	if (rhttp_retryable(rc)) {
		refuse_offline(t, kind, v, err);
		till_sync_kick(t);
		return -1;
	}
	if (rc) {
		till_msg(t, TILL_MSG_ERROR, "%s payment not taken: %s; nothing was charged", what,
		         err[0] ? err : talad_strerror(rc));
		return -1;
	}

	snprintf(tt.reference, sizeof(tt.reference), "%s", pm.reference);
	snprintf(tt.card_brand, sizeof(tt.card_brand), "%s", pm.card_brand);
	snprintf(tt.card_last4, sizeof(tt.card_last4), "%s", pm.card_last4);
	snprintf(tt.t.name, sizeof(tt.t.name), "%s", pm.name);
	memcpy(tt.auth_id, auth_id, sizeof(tt.auth_id));
	if (!strncmp(pm.reference, TEST_GATEWAY_MARK, strlen(TEST_GATEWAY_MARK)))
		t->test_gateway = true;
	int got = add_tender(t, &tt, s);
	if (got < 0) {
		/* Checked above, so not expected: nothing may stay held for it. */
		char verr[256];
		if (rpay_void_one(t->pay, auth_id, verr, sizeof(verr)) != TALAD_OK)
			t->recover_due = true;
		return -1;
	}
	char label[64];
	if (kind == TENDER_GIFT_CARD)
		snprintf(label, sizeof(label), "gift card %.40s", tt.t.name);
	else
		tender_label(&tt, label, sizeof(label));
	if (got == 0) {
		till_ui_money(t, still_due(t), a);
		till_msg(t, TILL_MSG_OK, "%s approved: %s; still due %s", label, pm.reference, a);
	}
	return got;
}

/* x: the last payment taken back; a card's authorization voided first, and
 * while that cannot be done the payment stays (nothing may stay held for a
 * payment the sale no longer has). */
static void remove_last(struct till *t)
{
	char err[256];

	if (t->tc.ntenders == 0) {
		till_msg(t, TILL_MSG_ERROR, "no payment entered yet");
		return;
	}
	const struct till_tender *last = &t->tc.tenders[t->tc.ntenders - 1];
	bool authorized = last->auth_id[0] != '\0';
	if (authorized && t->pay &&
	    rpay_void_one(t->pay, last->auth_id, err, sizeof(err)) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR,
		         "the %s payment stays: %s; try again when the back office answers, or "
		         "finish the sale with it",
		         last->t.kind == TENDER_CARD ? "card" : "gift card", err);
		return;
	}
	t->tc.ntenders--;
	till_cart_changed(t);
	if (authorized)
		till_msg(t, TILL_MSG_OK,
		         "last payment removed and its authorization voided: nothing is charged");
	else
		till_msg(t, TILL_MSG_OK,
		         "last payment removed: give back anything already taken for it");
}

bool till_pay(struct till *t)
{
	struct pay_view v;
	struct till_key k;
	char err[256];

	memset(&v, 0, sizeof(v));
	if (rstore_payment_methods(t->st, &v.methods, &v.nmethods) != TALAD_OK)
		till_msg(t, TILL_MSG_ERROR, "cannot read the custom payment methods");
	if (card_reader_open(t->st, &v.reader, v.reader_why, sizeof(v.reader_why)) != TALAD_OK)
		v.reader = NULL;
	view = &v;
	if (cart_price(&t->tc.cart, err, sizeof(err)) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "cannot price the cart: %s", err);
		goto back;
	}
	/* Payments restored from a closed till may now settle the sale. */
	if (t->tc.ntenders > 0) {
		struct tender list[TENDER_MAX];
		struct settlement s;
		for (size_t i = 0; i < t->tc.ntenders; i++)
			list[i] = t->tc.tenders[i].t;
		if (tender_settle(t->tc.cart.total, list, t->tc.ntenders, t->shop.cash_increment,
		                  &s, NULL, 0) == TALAD_OK &&
		    till_confirm(t, redraw_pay,
		                 "The payments entered cover the total. Complete the sale now?")) {
			bool ok = settle_and_commit(t, &s);
			rstore_free_strings(v.methods, v.nmethods);
			view = NULL;
			return ok;
		}
	}
	for (;;) {
		struct till_tender tt;
		struct settlement s;
		int64_t amount;
		int got = -2;

		draw_pay(t);
		refresh();
		if (!till_getkey(t, &k))
			break;
		if (till_key_tick(&k))
			continue;
		if (k.fn && k.ch == KEY_F(1)) {
			till_help(t, redraw_pay);
			continue;
		}
		if (k.fn && (k.ch == KEY_F(10)))
			break;
		if (k.fn)
			continue;
		memset(&tt, 0, sizeof(tt));
		tt.t.has_amount = true;
		t->msg[0] = '\0';
		switch (k.ch) {
		case 27:
			goto back;
		case L'c':
			if (!ask_cash(t, &amount))
				continue;
			tt.t.kind = TENDER_CASH;
			tt.t.amount = amount;
			got = add_tender(t, &tt, &s);
			break;
		case L'k':
		case L'g':
			got = take_authorized(t, k.ch == L'k' ? TENDER_CARD : TENDER_GIFT_CARD, &v,
			                      &s);
			break;
		case L'x':
			remove_last(t);
			continue;
		default:
			if (k.ch >= L'1' && k.ch <= L'9') {
				size_t i = (size_t)(k.ch - L'1');
				if (i >= v.nmethods) {
					till_msg(
					    t, TILL_MSG_ERROR,
					    "no custom method %zu: the back office defines them",
					    i + 1);
					continue;
				}
				if (!ask_amount(t, v.methods[i], &amount))
					continue;
				if (promptpay_method(v.methods[i]) &&
				    !show_promptpay(t, amount, tt.reference))
					continue;
				tt.t.kind = TENDER_CUSTOM;
				snprintf(tt.t.name, sizeof(tt.t.name), "%s", v.methods[i]);
				tt.t.amount = amount;
				got = add_tender(t, &tt, &s);
				break;
			}
			till_msg(t, TILL_MSG_ERROR,
			         "not a payment key: c cash, k card, g gift card, 1-9 custom, "
			         "Esc back");
			continue;
		}
		if (got == 1) {
			bool ok = settle_and_commit(t, &s);
			if (ok) {
				rstore_free_strings(v.methods, v.nmethods);
				view = NULL;
				return true;
			}
		}
	}
back:
	rstore_free_strings(v.methods, v.nmethods);
	view = NULL;
	return false;
}
