/* The interactive till (`talad` with no command): the state the screens
 * share and the drawing and input helpers they use. One file per screen:
 * till.c (start, main loop, status bar, help), till_ui.c (drawing, input),
 * till_login.c, till_lockscr.c, till_sell.c, till_pay.c, till_orders.c.
 * Only the main thread touches the terminal; the sync worker runs in its own
 * thread with its own store handle and is only read through its state. */
#ifndef TALAD_TILL_H
#define TALAD_TILL_H

#include "core/money.h"
#include "core/order.h"
#include "register/regcli.h"
#include "register/rstore.h"
#include "register/till_cart.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#define TILL_MIN_COLS  80
#define TILL_MIN_ROWS  24
#define TILL_MSG_MAX   512
#define TILL_INPUT_MAX 128 /* characters of one input field */
#define TILL_TICK_MS   250 /* input wait: the status bar is redrawn at least every second */
#define TILL_SKEW_WARN (5 * 60 * 1000)

/* What the status bar shows. */
struct till_status {
	bool known; /* the worker (or the store) has said something */
	bool online;
	int64_t pending;   /* outbox rows the back office has not acknowledged */
	int64_t last_sync; /* ms since the epoch, 0 for never */
	bool has_skew;
	int64_t skew_ms; /* server minus ours */
	char error[256]; /* why offline, "" when none */
	bool syncing;    /* a forced sync is running */
};

enum till_msg_kind { TILL_MSG_INFO = 0, TILL_MSG_OK = 1, TILL_MSG_ERROR = 2 };

/* Keys as the screens see them: a character or a curses key code. */
struct till_key {
	bool fn; /* ch is a KEY_* code */
	wint_t ch;
};

struct till_sync; /* the sync worker, as till.c holds it */
struct rpay;      /* card and gift card authorizations (register/rpay.h) */

struct till {
	struct regcli *cli;
	struct rstore *st;
	struct rstore_pairing pairing;
	struct rstore_shop shop;
	struct currency cur;
	struct till_cart tc;
	size_t sel; /* the selected cart line */
	bool on_duty;
	struct rstore_staff staff;
	struct till_status status;
	int64_t status_at; /* monotonic ms of the last status refresh */
	struct till_sync *sync;
	/* The card and gift card authorizations of the sale in progress, NULL
	   until its first one; voided unless the sale commits. */
	struct rpay *pay;
	bool recover_due;   /* a killed or abandoned sale left some not yet voided */
	int64_t recover_at; /* monotonic ms of the next try */
	bool test_gateway;  /* the back office's card gateway said it is the test one */
	char msg[TILL_MSG_MAX];
	enum till_msg_kind msg_kind;
	bool quit;
	bool too_small; /* waiting for the terminal to grow to 80x24 */
	int rows, cols;
};

/* ---- till.c ---- */

/* `talad` with no command: runs the till on the terminal for the register
 * of cli's home (the store is opened here with regcli_store). Returns the
 * process exit status: 0 when closed by the cashier or a signal, 1 when the
 * store cannot be opened, 2 without a terminal. */
int till_main(struct regcli *cli);

/* Sets the message line (printf-style). */
void till_msg(struct till *t, enum till_msg_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Waits for a key, at most a second: the status is refreshed and redrawn
 * while waiting, and when no key comes a tick (fn with ch 0) is returned so
 * that screens can redraw what changes with time. Returns false when the
 * till should close (SIGTERM, SIGHUP, SIGINT). */
bool till_getkey(struct till *t, struct till_key *k);
/* True for the tick till_getkey returns when no key came. */
bool till_key_tick(const struct till_key *k);
/* Re-reads the worker's state into t->status now. */
void till_status_refresh(struct till *t);
/* Draws the status bar on the last row. */
void till_draw_status(struct till *t);
/* Draws the header, message line and key hints around a screen. */
void till_draw_frame(struct till *t, const char *screen, const char *keys);
/* Forces a sync both ways now (push, then pull). TALAD_OK or the error, with
 * the message line set either way. */
int till_sync_now(struct till *t);
/* Tells the sync worker that the outbox grew: it pushes now. */
void till_sync_kick(struct till *t);
/* Re-reads the pairing and shop settings (after a pull may have changed
 * them). */
void till_reload(struct till *t);
/* The help overlay over the current screen, until a key is pressed. */
void till_help(struct till *t, void (*redraw)(struct till *));

/* ---- till_ui.c ---- */

enum till_align { TILL_LEFT, TILL_RIGHT, TILL_CENTER };

/* Draws UTF-8 text at (y, x) in exactly width cells: cut at a character
 * boundary (Thai marks stay with their letter) or padded with spaces.
 * Cells are counted with receipt_cells, as receipts are. */
void till_ui_text(int y, int x, int width, enum till_align align, const char *utf8);
/* The same with a printf format. */
void till_ui_textf(int y, int x, int width, enum till_align align, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* An amount in the shop's currency with grouping: "1,234.50". */
void till_ui_money(const struct till *t, int64_t v, char out[MONEY_STRLEN]);
/* Big digits (3 rows) for an amount, at most width cells; returns the
 * cells used, 0 when it does not fit. */
int till_ui_big(int y, int x, int width, const char *text);
/* A bordered box with a title, cleared inside. */
void till_ui_box(int y, int x, int h, int w, const char *title);

/* A one-line input field. */
struct till_field {
	wchar_t buf[TILL_INPUT_MAX + 1];
	size_t len;
	bool secret; /* shown as '*' */
	bool digits; /* only 0-9 (PINs) */
	bool amount; /* only 0-9 and one '.' */
};

void till_field_clear(struct till_field *f);
void till_field_set(struct till_field *f, const char *utf8);
/* Applies a key: a printable character is added, Backspace removes the
 * last one. True when the key was taken. */
bool till_field_key(struct till_field *f, const struct till_key *k);
/* The text as UTF-8 (out holds 4 * TILL_INPUT_MAX + 1 bytes). */
void till_field_utf8(const struct till_field *f, char *out, size_t outlen);
void till_field_draw(const struct till_field *f, int y, int x, int width);

/* One turn of a screen's key loop once the screen is drawn: the status bar
 * over it, the screen shown, then till_getkey. 1 with a key in *k; 0 for the
 * tick when no key came (draw again); -1 on Esc or when the till is closing,
 * which every modal screen leaves on alike. */
int till_ui_key(struct till *t, struct till_key *k);

/* A modal prompt in a box over the screen: a label and one field. True with
 * the text in out when Enter is pressed, false on Esc (or when the till is
 * closing). hint is a line under the field (may be NULL). */
bool till_prompt(struct till *t, void (*redraw)(struct till *), const char *title,
                 const char *label, const char *hint, struct till_field *f, char *out,
                 size_t outlen);
/* Asks a yes/no question; true for y. */
bool till_confirm(struct till *t, void (*redraw)(struct till *), const char *question);

/* ---- till_login.c ---- */

/* The login screen for a register that is not logged in. TALAD_OK once
 * logged in; TALAD_ESTATE when the cashier closed the till instead. */
int till_login(struct till *t);

/* ---- till_lockscr.c ---- */

/* The staff lock screen: returns once a staff member is on duty (true), or
 * false when the till is closing. */
bool till_lock_screen(struct till *t);
/* Asks for a manager's or owner's PIN to approve what why says. True with
 * the approver in *who. */
bool till_manager_approve(struct till *t, void (*redraw)(struct till *), const char *why,
                          struct rstore_staff *who);

/* ---- till_sell.c ---- */

/* The sell screen's loop: returns when the till closes. */
void till_sell(struct till *t);
/* Saves the cart after a change; a failure is told on the message line. */
void till_cart_changed(struct till *t);
/* Restores the cart saved by a till that was closed or killed, and tells
 * the cashier what happened to it. */
void till_cart_restore(struct till *t);

/* ---- till_pay.c ---- */

/* The pay screen for the current cart: returns true when the sale was
 * committed (the cart is then empty), false when the cashier went back. */
bool till_pay(struct till *t);

/* Voids the card and gift card authorizations that sales killed between
 * authorization and commit (or abandoned while the back office could not be
 * reached) left behind, through rpay_recover as `talad sync` does -- never
 * while this till's own sale holds some. With force it runs now; otherwise
 * only when something is due, the till is online and the last try is 30 s
 * old. */
void till_pay_recover(struct till *t, bool force);
/* The sale in progress is given up (cart voided, till closing): its
 * authorizations are voided now, or by till_pay_recover later when the back
 * office cannot be reached (the message line says so). */
void till_pay_abandon(struct till *t);

/* Asks for an address and queues a receipt.email for a committed order
 * (sent by the back office; at once when online, when back online
 * otherwise). */
void till_email_receipt(struct till *t, void (*redraw)(struct till *), const char *order_id,
                        const char *number);

/* ---- till_orders.c ---- */

/* Today's orders with their sync state: refresh, reprint, e-mail. */
void till_orders(struct till *t);

#endif
