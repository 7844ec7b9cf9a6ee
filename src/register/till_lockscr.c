/* The staff lock screen and the manager's approval prompt: PINs typed on the
 * till, checked offline by till_lock against the pulled argon2id hashes, a
 * lock-out after three wrong ones shown with its countdown. */
#include "register/till.h"

#include "common/err.h"
#include "common/timeutil.h"
#include "register/till_lock.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

/* Words for a refused PIN, shared by both prompts. */
static void pin_refusal(struct till *t, int rc, const struct till_pin_result *res,
                        const struct rstore_staff *who)
{
	switch (rc) {
	case TALAD_EINVAL:
		till_msg(t, TILL_MSG_ERROR, "a PIN is %d to %d digits: type it again", TILL_PIN_MIN,
		         TILL_PIN_MAX);
		break;
	case TALAD_EAUTH:
		till_msg(t, TILL_MSG_ERROR,
		         "wrong PIN: %d %s left before the till locks for a while", res->tries_left,
		         res->tries_left == 1 ? "try" : "tries");
		break;
	case TALAD_EBUSY:
		till_msg(t, TILL_MSG_ERROR,
		         "LOCKED OUT: too many wrong PINs; try again in %lld s (a manager can "
		         "check the staff PINs in the back office)",
		         (long long)((res->wait_ms + 999) / 1000));
		break;
	case TALAD_EREFUSED:
		till_msg(t, TILL_MSG_ERROR,
		         "%s is a %s and cannot approve this: a manager or owner must enter "
		         "their PIN",
		         who->name, who->role);
		break;
	case TALAD_ENOTFOUND:
		till_msg(t, TILL_MSG_ERROR,
		         "no staff member has a PIN yet: set PINs in the back office (Staff), "
		         "then sync (they arrive with the next pull)");
		break;
	default:
		till_msg(t, TILL_MSG_ERROR, "cannot check the PIN: %s", talad_strerror(rc));
		break;
	}
}

static void draw_lock(struct till *t, const struct till_field *f)
{
	struct till_lock_state ls;
	int64_t wait = 0;

	if (till_lock_load(t->st, &ls) == TALAD_OK)
		wait = till_lock_wait(&ls, time_now_ms());
	till_draw_frame(t, "LOCKED", "digits + Enter: unlock   F1: help   F10: close the till");
	int y = t->rows / 2 - 4;
	attron(A_BOLD);
	till_ui_text(y, 0, t->cols, TILL_CENTER, "The till is locked");
	attroff(A_BOLD);
	till_ui_textf(y + 2, 0, t->cols, TILL_CENTER, "%s  -  %s %s", t->shop.name,
	              t->pairing.register_code, t->pairing.register_name);
	if (wait > 0) {
		attron(A_BOLD);
		if (has_colors())
			attron(COLOR_PAIR(2));
		till_ui_textf(y + 4, 0, t->cols, TILL_CENTER,
		              "LOCKED OUT after wrong PINs: try again in %lld s",
		              (long long)((wait + 999) / 1000));
		if (has_colors())
			attroff(COLOR_PAIR(2));
		attroff(A_BOLD);
	} else {
		till_ui_text(y + 4, 0, t->cols, TILL_CENTER, "Staff PIN, then Enter:");
		till_field_draw(f, y + 5, (t->cols - 14) / 2, 14);
	}
	if (t->tc.cart.nlines > 0)
		till_ui_textf(y + 7, 0, t->cols, TILL_CENTER,
		              "a cart of %zu line(s) is waiting and stays as it is",
		              t->tc.cart.nlines);
	refresh();
}

bool till_lock_screen(struct till *t)
{
	struct till_field f;
	struct till_key k;

	memset(&f, 0, sizeof(f));
	f.secret = true;
	f.digits = true;
	t->on_duty = false;
	if (till_lock_set_duty(t->st, NULL) != TALAD_OK)
		till_msg(t, TILL_MSG_ERROR, "cannot record the lock in the store");
	for (;;) {
		draw_lock(t, &f);
		if (!till_getkey(t, &k))
			return false;
		if (till_key_tick(&k))
			continue;
		if (k.fn && k.ch == KEY_F(10))
			return false;
		if (!k.fn && k.ch == 24) /* Ctrl-X */
			return false;
		if ((k.fn && k.ch == KEY_F(1)) || (!k.fn && k.ch == L'?')) {
			till_help(t, NULL);
			continue;
		}
		if (!k.fn && k.ch == 27) {
			till_field_clear(&f);
			continue;
		}
		if (!k.fn && k.ch == L'\r') {
			char pin[64];
			struct rstore_staff who;
			struct till_pin_result res;
			till_field_utf8(&f, pin, sizeof(pin));
			till_field_clear(&f);
			int rc = till_lock_check(t->st, pin, false, time_now_ms(), &who, &res);
			memset(pin, 0, sizeof(pin));
			if (rc != TALAD_OK) {
				pin_refusal(t, rc, &res, &who);
				continue;
			}
			if (till_lock_set_duty(t->st, who.id) != TALAD_OK) {
				till_msg(t, TILL_MSG_ERROR,
				         "cannot record who is on duty in the store");
				continue;
			}
			t->staff = who;
			t->on_duty = true;
			till_msg(t, TILL_MSG_OK, "%s is on duty", who.name);
			return true;
		}
		till_field_key(&f, &k);
	}
}

bool till_manager_approve(struct till *t, void (*redraw)(struct till *), const char *why,
                          struct rstore_staff *who)
{
	struct till_field f;
	char pin[64];

	for (;;) {
		memset(&f, 0, sizeof(f));
		f.secret = true;
		f.digits = true;
		if (!till_prompt(t, redraw, "Manager approval", why,
		                 "a manager or owner enters their PIN; Esc cancels", &f, pin,
		                 sizeof(pin)))
			return false;
		struct till_pin_result res;
		int rc = till_lock_check(t->st, pin, true, time_now_ms(), who, &res);
		memset(pin, 0, sizeof(pin));
		if (rc == TALAD_OK)
			return true;
		pin_refusal(t, rc, &res, who);
		if (rc == TALAD_EBUSY || rc == TALAD_ENOTFOUND)
			return false;
	}
}
