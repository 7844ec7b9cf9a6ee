/* The till's start and frame: the terminal set up for a scanner and a
 * keyboard, the sync worker running inside it (as `sync --watch` does), the
 * status bar refreshed from the worker every second without a key pressed,
 * the help overlay, and the order of screens: login, staff lock, sell. */
#include "register/till.h"

#include "common/err.h"
#include "common/timeutil.h"
#include "core/receipt.h"
#include "register/rhttp.h"
#include "register/rsync.h"
#include "register/till_lock.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t closing;

#define PROBE_ONLINE_MS  3000 /* between health checks while online */
#define PROBE_OFFLINE_MS 2000 /* and while offline */
#define PROBE_TIMEOUT_MS 1500
#define PROBE_FAILS      2 /* health checks missed before the till shows OFFLINE */

/* What the worker's threads tell the till (read on the main thread), and a
 * prober: the worker backs off for up to minutes while offline and a long
 * poll can sit on a dead link, but the cashier must see a change of link
 * within seconds. The prober asks /api/v1/health every few seconds; when
 * the back office answers again it wakes the worker, and when it stops
 * answering the till shows OFFLINE without waiting for the long poll. */
struct till_sync {
	struct rsync_worker *worker;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool reload;     /* a pull or snapshot may have changed the shop */
	char error[256]; /* a failure retrying will not cure, "" for none */
	pthread_t prober;
	bool have_prober;
	bool stop;
	char url[RSTORE_URL_MAX];
	int probe_fails; /* health checks missed in a row */
};

/* Worst cases: a hung back office shows OFFLINE after two missed checks,
 * within 2 * (PROBE_ONLINE_MS + PROBE_TIMEOUT_MS) = 9 s; a returning one
 * wakes the worker within PROBE_OFFLINE_MS + a round trip. One connection
 * kept alive across checks, so this costs a request, not a handshake. */
static void *prober_main(void *arg)
{
	struct till_sync *s = arg;
	struct rhttp http;
	const struct rhttp_limits lim = {PROBE_TIMEOUT_MS, PROBE_TIMEOUT_MS, 0, 1 << 16};
	bool online = true;

	rhttp_init(&http, s->url, NULL);
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		struct timespec ts;
		time_deadline(CLOCK_MONOTONIC, online ? PROBE_ONLINE_MS : PROBE_OFFLINE_MS, &ts);
		pthread_cond_timedwait(&s->cond, &s->mu, &ts);
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->mu);
		struct rhttp_response r;
		rhttp_request(&http, "GET", "/api/v1/health", NULL, &lim, &r);
		bool ok = r.status >= 200 && r.status < 300;
		rhttp_response_release(&r);
		struct rsync_state ws;
		rsync_worker_state(s->worker, &ws);
		online = ws.online;
		if (ok && ws.known && !ws.online)
			rsync_worker_retry_now(s->worker);
		pthread_mutex_lock(&s->mu);
		s->probe_fails = ok ? 0 : s->probe_fails + 1;
	}
	pthread_mutex_unlock(&s->mu);
	rhttp_release(&http);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	closing = 1;
}

static void on_event(void *arg, enum rsync_event ev, const char *message)
{
	struct till_sync *s = arg;
	pthread_mutex_lock(&s->mu);
	if (ev == RSYNC_EV_PULLED || ev == RSYNC_EV_SNAPSHOT)
		s->reload = true;
	if (ev == RSYNC_EV_ERROR)
		snprintf(s->error, sizeof(s->error), "%s", message ? message : "sync failed");
	if (ev == RSYNC_EV_ONLINE)
		s->error[0] = '\0';
	pthread_mutex_unlock(&s->mu);
}

void till_msg(struct till *t, enum till_msg_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_kind = kind;
}

void till_reload(struct till *t)
{
	struct rstore_pairing p;
	struct rstore_shop sh;

	if (rstore_get_pairing(t->st, &p) == TALAD_OK)
		t->pairing = p;
	if (rstore_get_shop(t->st, &sh) == TALAD_OK) {
		t->shop = sh;
		if (currency_lookup(sh.currency, &t->cur) != TALAD_OK) {
			snprintf(t->cur.code, sizeof(t->cur.code), "%s", sh.currency);
			t->cur.exponent = 2;
		}
	}
	/* A tax change applies from the next cart, never to one half rung up. */
	if (t->tc.cart.nlines == 0)
		t->tc.cart.tax = t->shop.tax;
	if (t->on_duty) {
		struct rstore_staff m;
		if (rstore_get_staff(t->st, t->staff.id, &m) == TALAD_OK)
			t->staff = m;
	}
}

void till_status_refresh(struct till *t)
{
	struct till_status s;
	memset(&s, 0, sizeof(s));
	s.syncing = t->status.syncing;
	if (t->sync && t->sync->worker) {
		struct rsync_state ws;
		rsync_worker_state(t->sync->worker, &ws);
		s.known = ws.known;
		s.online = ws.online;
		s.pending = ws.pending;
		s.last_sync = ws.last_sync;
		s.has_skew = ws.has_skew;
		s.skew_ms = ws.clock_skew_ms;
		snprintf(s.error, sizeof(s.error), "%s", ws.error);
		bool reload;
		pthread_mutex_lock(&t->sync->mu);
		if (s.online && t->sync->probe_fails >= PROBE_FAILS) {
			s.online = false;
			snprintf(s.error, sizeof(s.error), "the back office does not answer");
		}
		reload = t->sync->reload;
		t->sync->reload = false;
		if (t->sync->error[0] && !t->msg[0])
			till_msg(t, TILL_MSG_ERROR, "sync: %s", t->sync->error);
		pthread_mutex_unlock(&t->sync->mu);
		if (reload)
			till_reload(t);
	}
	/* Before the worker's first answer, and when it could not start, the
	 * store still knows the last outcome and the count. */
	if (!s.known || !t->sync || !t->sync->worker) {
		struct rstore_pairing p;
		int64_t n;
		if (rstore_get_pairing(t->st, &p) == TALAD_OK) {
			s.known = p.sync_updated_at > 0;
			s.online = p.sync_online;
			s.last_sync = p.last_sync;
			s.has_skew = p.last_sync > 0;
			s.skew_ms = p.clock_skew_ms;
			snprintf(s.error, sizeof(s.error), "%s", p.sync_error);
		}
		if (rstore_pending_count(t->st, &n) == TALAD_OK)
			s.pending = n;
	}
	t->status = s;
	t->status_at = time_mono_ms();
}

static void clock_text(int64_t ms, char *out, size_t len)
{
	time_t now = time(NULL), when = (time_t)(ms / 1000);
	struct tm a, b;
	localtime_r(&now, &a);
	localtime_r(&when, &b);
	if (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)
		strftime(out, len, "%H:%M:%S", &b);
	else
		strftime(out, len, "%Y-%m-%d %H:%M", &b);
}

void till_draw_status(struct till *t)
{
	char when[32], text[512], skew[64] = "";
	int y = t->rows - 1;
	const char *state;

	if (!t->pairing.logged_in)
		state = "LOGGED OUT";
	else if (t->status.syncing)
		state = "SYNCING";
	else if (!t->status.known)
		state = "CONNECTING";
	else
		state = t->status.online ? "ONLINE" : "OFFLINE";
	if (t->status.last_sync > 0)
		clock_text(t->status.last_sync, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "never");
	int64_t skew_abs = t->status.skew_ms < 0 ? -t->status.skew_ms : t->status.skew_ms;
	if (t->status.has_skew && skew_abs > TILL_SKEW_WARN)
		snprintf(skew, sizeof(skew), " | CLOCK OFF by %lld min: set the time",
		         (long long)((skew_abs + 30000) / 60000));

	int color = t->status.online ? 1 : 2;
	attron(A_REVERSE | A_BOLD);
	if (has_colors())
		attron(COLOR_PAIR(color));
	till_ui_textf(y, 0, 12, TILL_CENTER, "%s", state);
	if (has_colors())
		attroff(COLOR_PAIR(color));
	attroff(A_BOLD);
	snprintf(text, sizeof(text), " pending: %lld | last sync: %s%s",
	         (long long)t->status.pending, when, skew);
	if (!t->status.online && t->status.known && t->status.error[0] && !skew[0])
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " | %s",
		         t->status.error);
	if (skew[0] && has_colors())
		attron(COLOR_PAIR(2));
	till_ui_text(y, 12, t->cols - 12, TILL_LEFT, text);
	if (skew[0] && has_colors())
		attroff(COLOR_PAIR(2));
	attroff(A_REVERSE);
}

/* The message on two rows, broken at a space: refusals say why and what to
 * do instead, which takes more than one row of 80 columns. */
static void draw_msg(struct till *t)
{
	char first[TILL_MSG_MAX];
	size_t len = strlen(t->msg), cut = len;

	if ((int)receipt_cells(t->msg) > t->cols) {
		cut = 0;
		for (size_t i = 1; i < len; i++) {
			if (t->msg[i] != ' ')
				continue;
			memcpy(first, t->msg, i);
			first[i] = '\0';
			if ((int)receipt_cells(first) > t->cols)
				break;
			cut = i;
		}
		if (cut == 0)
			cut = len;
	}
	memcpy(first, t->msg, cut);
	first[cut] = '\0';
	till_ui_text(t->rows - 4, 0, t->cols, TILL_LEFT, first);
	till_ui_text(t->rows - 3, 0, t->cols, TILL_LEFT, cut < len ? t->msg + cut + 1 : "");
}

void till_draw_frame(struct till *t, const char *screen, const char *keys)
{
	char head[512];
	erase();
	snprintf(head, sizeof(head), " %s | %s %s%s%s", t->shop.name[0] ? t->shop.name : "Talad",
	         t->pairing.register_code, t->pairing.register_name, t->on_duty ? " | " : "",
	         t->on_duty ? t->staff.name : "");
	attron(A_REVERSE);
	till_ui_text(0, 0, t->cols - 12, TILL_LEFT, head);
	attron(A_BOLD);
	till_ui_textf(0, t->cols - 12, 12, TILL_RIGHT, "%s ", screen);
	attroff(A_BOLD | A_REVERSE);
	if (t->msg[0]) {
		int pair = t->msg_kind == TILL_MSG_ERROR ? 2 : t->msg_kind == TILL_MSG_OK ? 1 : 0;
		if (has_colors() && pair)
			attron(COLOR_PAIR(pair));
		if (t->msg_kind == TILL_MSG_ERROR)
			attron(A_BOLD);
		draw_msg(t);
		attroff(A_BOLD);
		if (has_colors() && pair)
			attroff(COLOR_PAIR(pair));
	}
	attron(A_DIM);
	till_ui_text(t->rows - 2, 0, t->cols, TILL_LEFT, keys);
	attroff(A_DIM);
	till_draw_status(t);
}

bool till_key_tick(const struct till_key *k)
{
	return k->fn && k->ch == 0;
}

static bool wait_for_size(struct till *t);

bool till_getkey(struct till *t, struct till_key *k)
{
	int64_t start = time_mono_ms();

	for (;;) {
		wint_t ch;
		if (closing) {
			t->quit = true;
			return false;
		}
		if (time_mono_ms() - t->status_at >= 1000) {
			till_status_refresh(t);
			till_draw_status(t);
			refresh();
		}
		timeout(TILL_TICK_MS);
		int rc = get_wch(&ch);
		if (rc == ERR) {
			if (time_mono_ms() - start >= 1000) {
				k->fn = true;
				k->ch = 0;
				return true;
			}
			continue;
		}
		if (rc == KEY_CODE_YES && ch == KEY_RESIZE) {
			getmaxyx(stdscr, t->rows, t->cols);
			/* Screens assume 80x24: below that, wait (once, not nested). */
			if ((t->rows < TILL_MIN_ROWS || t->cols < TILL_MIN_COLS) && !t->too_small &&
			    !wait_for_size(t))
				return false;
			k->fn = true;
			k->ch = 0;
			return true;
		}
		k->fn = rc == KEY_CODE_YES;
		k->ch = ch;
		/* Enter arrives as \r or \n depending on the terminal's mode. */
		if (k->fn && ch == KEY_ENTER) {
			k->fn = false;
			k->ch = L'\r';
		}
		if (!k->fn && ch == L'\n')
			k->ch = L'\r';
		return true;
	}
}

void till_sync_kick(struct till *t)
{
	if (t->sync && t->sync->worker)
		rsync_worker_kick(t->sync->worker);
}

int till_sync_now(struct till *t)
{
	struct rsync s;
	struct rsync_result res;
	char err[256];

	t->status.syncing = true;
	till_draw_status(t);
	refresh();
	rsync_result_init(&res);
	int rc = rsync_init(&s, t->st, err, sizeof(err));
	if (rc == TALAD_OK) {
		rc = rsync_now(&s, &res);
		rsync_release(&s);
		snprintf(err, sizeof(err), "%s", res.error);
	}
	t->status.syncing = false;
	/* The worker also tries again now instead of at its next backoff. */
	if (t->sync && t->sync->worker)
		rsync_worker_retry_now(t->sync->worker);
	if (rc == TALAD_OK) {
		till_msg(t, TILL_MSG_OK, "synced: %zu sent, %zu changes received%s; pending: %lld",
		         res.pushed.applied + res.pushed.duplicate, res.pulled,
		         res.snapshot ? " (fresh catalog)" : "", (long long)res.pending);
		till_reload(t);
		/* As `talad sync` does: what killed sales left authorized. */
		till_pay_recover(t, true);
	} else if (rc == TALAD_EOFFLINE || rc == TALAD_ETIMEOUT || rc == TALAD_EBUSY) {
		till_msg(t, TILL_MSG_ERROR,
		         "sync failed: the back office cannot be reached (%s); sales are kept "
		         "and go up by themselves when it is back",
		         err[0] ? err : talad_strerror(rc));
	} else {
		till_msg(t, TILL_MSG_ERROR, "sync failed: %s", err[0] ? err : talad_strerror(rc));
	}
	till_status_refresh(t);
	return rc;
}

struct help_row {
	const char *keys;
	const char *what;
};

static const struct help_row help_rows[] = {
    {"scan / code + Enter", "add an item; CODE*3 adds three"},
    {"F2  /  s", "search by name or SKU"},
    {"F3  q   + -", "quantity of the selected line; + and - by one"},
    {"F4  d", "discount on the line or the order"},
    {"F5  p", "pay; F6 o today's orders; F7 c custom item"},
    {"F8  v", "void the cart (asks first)"},
    {"F9  l", "lock: the next staff member types a PIN"},
    {"Del x", "remove the selected line"},
    {"Up Down  Esc", "select a line; clear the input or go back"},
    {"F10  Ctrl-X", "close the till (the cart is kept)"},
    {"F1  ?  h", "this help"},
    {"pay: c", "cash (a-d: exact and round amounts)"},
    {"pay: 1-9  x", "custom methods (PromptPay QR); x undoes"},
    {"pay: k  g", "card, gift card (need the back office)"},
    {"orders: r", "sync now; v view, p print, e e-mail receipt"},
};

void till_help(struct till *t, void (*redraw)(struct till *))
{
	struct till_key k;
	size_t n = sizeof(help_rows) / sizeof(help_rows[0]);

	for (;;) {
		if (redraw)
			redraw(t);
		int h = (int)n + 6;
		if (h > t->rows - 2)
			h = t->rows - 2;
		int w = t->cols - 4 < 76 ? t->cols - 4 : 76;
		int y = (t->rows - 1 - h) / 2, x = (t->cols - w) / 2;
		till_ui_box(y, x, h, w, "Help: keys of the till");
		for (size_t i = 0; i < n && (int)i < h - 5; i++) {
			attron(A_BOLD);
			till_ui_text(y + 1 + (int)i, x + 2, 22, TILL_LEFT, help_rows[i].keys);
			attroff(A_BOLD);
			till_ui_text(y + 1 + (int)i, x + 25, w - 27, TILL_LEFT, help_rows[i].what);
		}
		till_ui_text(y + h - 4, x + 2, w - 4, TILL_LEFT,
		             "On an empty code line lower-case letters are commands; codes");
		till_ui_text(y + h - 3, x + 2, w - 4, TILL_LEFT,
		             "start with a digit or a capital. Offline: cash and custom work.");
		till_ui_text(y + h - 2, x + 2, w - 4, TILL_RIGHT, "any key: close help");
		till_draw_status(t);
		refresh();
		if (!till_getkey(t, &k))
			return;
		if (!till_key_tick(&k))
			return;
	}
}

static void setup_terminal(void)
{
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_GREEN, -1);
		init_pair(2, COLOR_RED, -1);
		init_pair(3, COLOR_WHITE, COLOR_BLACK);
	}
}

/* Waits while the terminal is too small to show a screen whole. */
static bool wait_for_size(struct till *t)
{
	struct till_key k;
	bool ok = true;
	getmaxyx(stdscr, t->rows, t->cols);
	t->too_small = true;
	while (t->rows < TILL_MIN_ROWS || t->cols < TILL_MIN_COLS) {
		erase();
		mvprintw(0, 0, "The till needs a terminal of at least %dx%d; this one is %dx%d.",
		         TILL_MIN_COLS, TILL_MIN_ROWS, t->cols, t->rows);
		mvprintw(1, 0, "Make the window larger (F10 closes the till).");
		refresh();
		if (!till_getkey(t, &k) || (k.fn && k.ch == KEY_F(10))) {
			t->quit = true;
			ok = false;
			break;
		}
		getmaxyx(stdscr, t->rows, t->cols);
	}
	t->too_small = false;
	return ok;
}

/* Messages of the libraries and the worker would tear the screen: they go
 * to HOME/till.log while the till is open. */
static int redirect_stderr(const char *dbpath)
{
	char path[1024];
	const char *slash = strrchr(dbpath, '/');
	int saved = dup(2);
	if (slash)
		snprintf(path, sizeof(path), "%.*s/till.log", (int)(slash - dbpath), dbpath);
	else
		snprintf(path, sizeof(path), "till.log");
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	return saved;
}

static void start_worker(struct till *t)
{
	char err[256];
	struct till_sync *s = t->sync;
	int rc = rsync_worker_start(rstore_path(t->st), on_event, s, &s->worker, err, sizeof(err));
	if (rc != TALAD_OK) {
		s->worker = NULL;
		till_msg(t, TILL_MSG_ERROR,
		         "sync worker not started: %s; sales are kept, use F6 then r to sync", err);
		return;
	}
	snprintf(s->url, sizeof(s->url), "%s", t->pairing.server_url);
	s->have_prober = pthread_create(&s->prober, NULL, prober_main, s) == 0;
}

static void stop_worker(struct till_sync *s)
{
	if (s->have_prober) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->prober, NULL);
		s->have_prober = false;
	}
	rsync_worker_stop(s->worker);
	s->worker = NULL;
}

int till_main(struct regcli *cli)
{
	struct till t;
	struct till_sync sync;
	struct sigaction sa;
	struct rstore *st;
	int status = 0;

	setlocale(LC_ALL, "");
	/* Thai names need a UTF-8 locale to reach the terminal whole. */
	if (MB_CUR_MAX == 1)
		setlocale(LC_CTYPE, "C.UTF-8");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "talad: the till needs a terminal; in scripts use talad sell, "
		                "talad status and talad sync\n");
		return 2;
	}
	if (regcli_store(cli, &st) != TALAD_OK)
		return 1;
	memset(&t, 0, sizeof(t));
	memset(&sync, 0, sizeof(sync));
	pthread_mutex_init(&sync.mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sync.cond, &ca);
	pthread_condattr_destroy(&ca);
	t.cli = cli;
	t.st = st;
	t.sync = &sync;
	till_cart_init(&t.tc, &t.shop.tax);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int saved_err = redirect_stderr(rstore_path(st));
	setup_terminal();
	if (!wait_for_size(&t))
		goto out;

	till_reload(&t);
	if (!t.pairing.logged_in) {
		if (till_login(&t) != TALAD_OK)
			goto out;
		till_reload(&t);
	}
	start_worker(&t);
	till_status_refresh(&t);
	till_cart_restore(&t);
	till_pay_recover(&t, true);

	char duty[RSTORE_ID_MAX];
	if (till_lock_get_duty(st, duty, sizeof(duty)) == TALAD_OK &&
	    rstore_get_staff(st, duty, &t.staff) == TALAD_OK)
		t.on_duty = true;
	if (!t.on_duty && !till_lock_screen(&t))
		goto out;
	till_sell(&t);
out:
	/* The cart is kept, but a card hold must not outlive the till. */
	till_pay_abandon(&t);
	endwin();
	stop_worker(&sync);
	pthread_cond_destroy(&sync.cond);
	pthread_mutex_destroy(&sync.mu);
	till_cart_release(&t.tc);
	if (saved_err >= 0) {
		dup2(saved_err, 2);
		close(saved_err);
	}
	return status;
}
