/* The orders screen: today's sales on this register with each one's sync
 * state (synced, waiting, rejected with the reason), a refresh key that
 * syncs both ways now -- the hosted POS apps' "pull to refresh" -- and the
 * receipt of a sale viewed, printed again or e-mailed. */
#include "register/till.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/receipt.h"
#include "register/rprint.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct orders_view {
	struct rstore_order_row *rows; /* today's, newest first */
	size_t n;
	size_t sel;
	int64_t total;
	size_t waiting, rejected;
};

static struct orders_view *ov;

static int64_t local_midnight_ms(void)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

static void load(struct till *t, struct orders_view *v)
{
	struct rstore_order_row *all = NULL;
	size_t n = 0;
	int64_t since = local_midnight_ms();

	free(v->rows);
	v->rows = NULL;
	v->n = 0;
	v->total = 0;
	v->waiting = 0;
	v->rejected = 0;
	if (rstore_list_orders(t->st, false, &all, &n) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "cannot read the orders from the local store");
		return;
	}
	v->rows = xcalloc(n ? n : 1, sizeof(*v->rows));
	for (size_t i = n; i-- > 0;) {
		if (all[i].created_at < since)
			continue;
		v->rows[v->n++] = all[i];
		v->total += all[i].total;
		if (all[i].status == RSTORE_ORDER_WAITING)
			v->waiting++;
		else if (all[i].status == RSTORE_ORDER_REJECTED)
			v->rejected++;
	}
	free(all);
	if (v->sel >= v->n)
		v->sel = v->n ? v->n - 1 : 0;
}

static void draw_orders(struct till *t)
{
	struct orders_view *v = ov;
	char a[MONEY_STRLEN];

	till_draw_frame(t, "ORDERS",
	                "r refresh (sync now)  v view receipt  p print again  e e-mail  "
	                "Up/Down  Esc back");
	till_ui_money(t, v->total, a);
	attron(A_BOLD);
	till_ui_textf(1, 1, t->cols - 2, TILL_LEFT,
	              "Today: %zu order(s), %s   waiting to sync: %zu   rejected: %zu", v->n, a,
	              v->waiting, v->rejected);
	attroff(A_BOLD);
	attron(A_UNDERLINE);
	till_ui_text(2, 1, 14, TILL_LEFT, "Number");
	till_ui_text(2, 15, 10, TILL_LEFT, "Time");
	till_ui_text(2, 25, 14, TILL_RIGHT, "Total");
	till_ui_text(2, 40, t->cols - 41, TILL_LEFT, "Sync");
	attroff(A_UNDERLINE);
	if (v->n == 0)
		till_ui_text(4, 2, t->cols - 4, TILL_LEFT, "no sales yet today on this register");
	int top = 3, rows = t->rows - 4 - top;
	size_t first = v->sel >= (size_t)rows ? v->sel - (size_t)rows + 1 : 0;
	for (size_t i = first; i < v->n && (int)(i - first) < rows; i++) {
		const struct rstore_order_row *r = &v->rows[i];
		int y = top + (int)(i - first);
		char when[16];
		time_t s = (time_t)(r->created_at / 1000);
		struct tm tm;
		localtime_r(&s, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		if (i == v->sel)
			attron(A_REVERSE);
		till_ui_text(y, 0, 1, TILL_LEFT, "");
		till_ui_text(y, 1, 14, TILL_LEFT, r->number);
		till_ui_text(y, 15, 10, TILL_LEFT, when);
		till_ui_money(t, r->total, a);
		till_ui_text(y, 25, 14, TILL_RIGHT, a);
		till_ui_text(y, 39, 1, TILL_LEFT, "");
		if (r->status == RSTORE_ORDER_REJECTED)
			till_ui_textf(y, 40, t->cols - 40, TILL_LEFT, "rejected: %s", r->error);
		else
			till_ui_text(y, 40, t->cols - 40, TILL_LEFT,
			             rstore_order_status_name(r->status));
		if (i == v->sel)
			attroff(A_REVERSE);
	}
}

static void view_receipt(struct till *t, const struct order *o)
{
	struct rprint_config cfg;
	struct receipt_settings rs;
	struct buf text = BUF_INIT(1u << 20);
	char err[256];
	struct till_key k;

	if (rprint_config_load(t->st, &cfg, err, sizeof(err)) != TALAD_OK ||
	    rprint_receipt_settings(t->st, &cfg, &rs, err, sizeof(err)) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "cannot lay out the receipt: %s", err);
		return;
	}
	if (rs.width > t->cols - 6)
		rs.width = 32;
	if (receipt_render_text(o, &rs, &text) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "cannot lay out the receipt");
		buf_release(&text);
		return;
	}
	/* Lines of the text, for scrolling. */
	char **lines = NULL;
	size_t n = 0;
	char *p = text.data;
	while (p && *p) {
		char *nl = strchr(p, '\n');
		lines = xreallocarray(lines, n + 1, sizeof(*lines));
		lines[n++] = nl ? xstrndup(p, (size_t)(nl - p)) : xstrdup(p);
		p = nl ? nl + 1 : NULL;
	}
	size_t first = 0;
	for (;;) {
		draw_orders(t);
		int h = t->rows - 2, w = rs.width + 4;
		int x = (t->cols - w) / 2;
		till_ui_box(0, x, h, w, o->number);
		for (int r = 0; r < h - 3 && first + (size_t)r < n; r++)
			till_ui_text(1 + r, x + 2, rs.width, TILL_LEFT, lines[first + (size_t)r]);
		till_ui_text(h - 2, x + 2, rs.width, TILL_RIGHT, "Up/Down scroll  Esc close");
		int got = till_ui_key(t, &k);
		if (got < 0)
			break;
		if (got == 0)
			continue;
		if (k.fn && k.ch == KEY_DOWN && first + (size_t)(h - 3) < n)
			first++;
		else if (k.fn && k.ch == KEY_UP && first > 0)
			first--;
		else if (!k.fn && (k.ch == L'\r' || k.ch == L'q'))
			break;
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	buf_release(&text);
}

/* The selected order, whole. */
static bool load_selected(struct till *t, struct orders_view *v, struct order *o)
{
	char err[256];
	if (v->n == 0) {
		till_msg(t, TILL_MSG_ERROR, "no order selected: there are no sales today");
		return false;
	}
	order_init(o, &t->shop.tax);
	if (rprint_load_order(t->st, v->rows[v->sel].id, o, err, sizeof(err)) != TALAD_OK) {
		till_msg(t, TILL_MSG_ERROR, "cannot read order %s: %s", v->rows[v->sel].number,
		         err);
		order_release(o);
		return false;
	}
	return true;
}

void till_orders(struct till *t)
{
	struct orders_view v;
	struct till_key k;

	memset(&v, 0, sizeof(v));
	ov = &v;
	load(t, &v);
	int64_t loaded_at = time_mono_ms();
	int64_t seen_pending = t->status.pending, seen_sync = t->status.last_sync;
	for (;;) {
		/* The sync states change under the screen as the worker pushes:
		 * read again when the worker's count or last sync moved (not on
		 * every tick: a register holds months of orders). */
		if (time_mono_ms() - loaded_at >= 2000 &&
		    (t->status.pending != seen_pending || t->status.last_sync != seen_sync)) {
			load(t, &v);
			loaded_at = time_mono_ms();
			seen_pending = t->status.pending;
			seen_sync = t->status.last_sync;
		}
		draw_orders(t);
		int got = till_ui_key(t, &k);
		if (got < 0)
			break;
		if (got == 0)
			continue;
		if ((k.fn && k.ch == KEY_F(1)) || (!k.fn && (k.ch == L'?' || k.ch == L'h'))) {
			till_help(t, draw_orders);
			continue;
		}
		if (k.fn && k.ch == KEY_UP) {
			if (v.sel > 0)
				v.sel--;
			continue;
		}
		if (k.fn && k.ch == KEY_DOWN) {
			if (v.sel + 1 < v.n)
				v.sel++;
			continue;
		}
		if ((!k.fn && k.ch == L'r') || (k.fn && k.ch == KEY_F(5))) {
			till_msg(t, TILL_MSG_INFO, "syncing with the back office...");
			draw_orders(t);
			refresh();
			till_sync_now(t);
			load(t, &v);
			loaded_at = time_mono_ms();
			continue;
		}
		if (k.fn)
			continue;
		struct order o;
		switch (k.ch) {
		case L'v':
			if (load_selected(t, &v, &o)) {
				view_receipt(t, &o);
				order_release(&o);
			}
			break;
		case L'p':
			if (load_selected(t, &v, &o)) {
				char err[512];
				till_msg(t, TILL_MSG_INFO, "printing %s...", o.number);
				draw_orders(t);
				refresh();
				int rc = rprint_order(t->st, &o, NULL, false, err, sizeof(err));
				if (rc == TALAD_OK)
					till_msg(t, TILL_MSG_OK, "receipt of %s printed", o.number);
				else if (rc == TALAD_ENOTFOUND)
					till_msg(
					    t, TILL_MSG_ERROR,
					    "no receipt printer is set: talad config set printer "
					    "URI (v shows the receipt here)");
				else
					till_msg(t, TILL_MSG_ERROR, "receipt not printed: %s", err);
				order_release(&o);
			}
			break;
		case L'e':
			if (v.n == 0) {
				till_msg(t, TILL_MSG_ERROR,
				         "no order selected: there are no sales today");
				break;
			}
			till_email_receipt(t, draw_orders, v.rows[v.sel].id, v.rows[v.sel].number);
			break;
		default:
			till_msg(t, TILL_MSG_ERROR,
			         "not a key here: r refresh, v view, p print, e e-mail, Esc back");
			break;
		}
	}
	free(v.rows);
	ov = NULL;
	t->msg[0] = '\0';
}
