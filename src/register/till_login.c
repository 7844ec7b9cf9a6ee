/* The till's login screen for a register that is not logged in: the back
 * office's address, a staff e-mail and password, the register's name. It
 * runs `talad login` itself (regcmd_login in --json mode, the password
 * handed over in TALAD_PASSWORD for the call only), so that pairing, taking
 * a register back and the catalog download are the command's own code. */
#include "register/till.h"

#include "common/err.h"
#include "common/xalloc.h"

#include <curses.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { F_URL, F_EMAIL, F_PASSWORD, F_NAME, F_COUNT };

static struct till_field fields[F_COUNT];
static int focus;

static void draw_login(struct till *t)
{
	static const char *const labels[F_COUNT] = {"Back office URL", "Staff e-mail", "Password",
	                                            "Register name"};
	till_draw_frame(t, "LOGIN", "Tab/Up/Down: field   Enter: next / log in   F10: close");
	int w = t->cols - 8 < 70 ? t->cols - 8 : 70;
	int x = (t->cols - w) / 2, y = 3;
	attron(A_BOLD);
	till_ui_text(y, x, w, TILL_LEFT, "Log this register in to the back office");
	attroff(A_BOLD);
	till_ui_text(y + 1, x, w, TILL_LEFT,
	             "Once, online: it downloads the catalog; afterwards it sells "
	             "offline too.");
	for (int i = 0; i < F_COUNT; i++) {
		if (i == focus)
			attron(A_BOLD);
		till_ui_textf(y + 3 + 2 * i, x, 18, TILL_LEFT, "%s%s", i == focus ? "> " : "  ",
		              labels[i]);
		if (i == focus)
			attroff(A_BOLD);
		till_field_draw(&fields[i], y + 3 + 2 * i, x + 19, w - 19);
	}
}

/* Runs the login command with its output caught. TALAD_OK, or an error with
 * the command's message in msg. */
static int run_login(struct till *t, char *msg, size_t msglen)
{
	char url[4 * TILL_INPUT_MAX + 1], email[sizeof(url)], password[sizeof(url)],
	    name[sizeof(url)];
	till_field_utf8(&fields[F_URL], url, sizeof(url));
	till_field_utf8(&fields[F_EMAIL], email, sizeof(email));
	till_field_utf8(&fields[F_PASSWORD], password, sizeof(password));
	till_field_utf8(&fields[F_NAME], name, sizeof(name));
	if (!url[0] || !email[0] || !password[0]) {
		snprintf(msg, msglen, "the URL, the e-mail and the password are all needed");
		return TALAD_EINVAL;
	}

	FILE *out = tmpfile();
	if (!out) {
		snprintf(msg, msglen, "cannot make a temporary file for the login's answer");
		return TALAD_EIO;
	}
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	if (saved < 0 || dup2(fileno(out), STDOUT_FILENO) < 0) {
		fclose(out);
		snprintf(msg, msglen, "cannot run the login");
		return TALAD_EIO;
	}
	setenv("TALAD_PASSWORD", password, 1);
	sodium_memzero(password, sizeof(password));
	char *argv[8];
	int argc = 0;
	argv[argc++] = "login";
	argv[argc++] = url;
	argv[argc++] = "--email";
	argv[argc++] = email;
	if (name[0]) {
		argv[argc++] = "--register";
		argv[argc++] = name;
	}
	argv[argc++] = "--json";
	argv[argc] = NULL;
	int status = regcmd_login(t->cli, argc, argv);
	unsetenv("TALAD_PASSWORD");
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	t->cli->json = false;

	/* The last line of the output is the command's JSON answer. */
	char line[2048], last[2048] = "";
	rewind(out);
	while (fgets(line, sizeof(line), out))
		if (line[0] == '{')
			snprintf(last, sizeof(last), "%s", line);
	fclose(out);
	json_t *j = json_loads(last, 0, NULL);
	const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
	if (status == 0 && json_is_true(json_object_get(j, "logged_in"))) {
		snprintf(msg, msglen, "logged in as %s at %s",
		         json_string_value(json_object_get(j, "register")),
		         json_string_value(json_object_get(j, "shop")));
		json_decref(j);
		return TALAD_OK;
	}
	snprintf(msg, msglen, "%s",
	         m ? m : "the login failed (see till.log in the register's home)");
	json_decref(j);
	return status == 75 ? TALAD_EOFFLINE : TALAD_EREFUSED;
}

int till_login(struct till *t)
{
	struct till_key k;
	char host[64] = "";

	memset(fields, 0, sizeof(fields));
	fields[F_PASSWORD].secret = true;
	focus = F_URL;
	if (t->pairing.server_url[0]) {
		till_field_set(&fields[F_URL], t->pairing.server_url);
		focus = F_EMAIL;
	}
	if (t->pairing.register_name[0])
		till_field_set(&fields[F_NAME], t->pairing.register_name);
	else if (gethostname(host, sizeof(host) - 1) == 0)
		till_field_set(&fields[F_NAME], host);
	if (t->pairing.register_id[0])
		till_msg(t, TILL_MSG_INFO,
		         "this register was logged out; logging in again takes back %s with its "
		         "numbering and unsynced sales",
		         t->pairing.register_code);
	else
		till_msg(t, TILL_MSG_INFO,
		         "this register is not logged in: a first login needs "
		         "the internet");
	for (;;) {
		draw_login(t);
		refresh();
		if (!till_getkey(t, &k))
			return TALAD_ESTATE;
		if (till_key_tick(&k))
			continue;
		if ((k.fn && k.ch == KEY_F(10)) || (!k.fn && k.ch == 24))
			return TALAD_ESTATE;
		if ((k.fn && k.ch == KEY_F(1))) {
			till_help(t, draw_login);
			continue;
		}
		if ((k.fn && (k.ch == KEY_DOWN)) || (!k.fn && k.ch == L'\t')) {
			focus = (focus + 1) % F_COUNT;
			continue;
		}
		if ((k.fn && (k.ch == KEY_UP || k.ch == KEY_BTAB))) {
			focus = (focus + F_COUNT - 1) % F_COUNT;
			continue;
		}
		if (!k.fn && k.ch == 27) {
			till_field_clear(&fields[focus]);
			continue;
		}
		if (!k.fn && k.ch == L'\r') {
			if (focus < F_COUNT - 1) {
				focus++;
				continue;
			}
			char msg[TILL_MSG_MAX];
			till_msg(t, TILL_MSG_INFO, "logging in and downloading the catalog...");
			draw_login(t);
			refresh();
			int rc = run_login(t, msg, sizeof(msg));
			till_field_clear(&fields[F_PASSWORD]);
			if (rc == TALAD_OK) {
				till_msg(t, TILL_MSG_OK, "%s", msg);
				return TALAD_OK;
			}
			till_msg(t, TILL_MSG_ERROR, "%s", msg);
			focus = rc == TALAD_EOFFLINE ? F_URL : F_PASSWORD;
			continue;
		}
		till_field_key(&fields[focus], &k);
	}
}
