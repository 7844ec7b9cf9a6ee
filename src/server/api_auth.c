/* Staff login and logout: argon2id verification, the lock-out after
 * API_LOCKOUT_FAILS failures, and 12-hour staff tokens stored hashed. */
#include "server/api.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static void lower_ascii(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

void api_login(struct api_req *r)
{
	static const char *const keys[] = {"email", "password", NULL};
	struct jerr e;
	const char *email, *password;
	if (jfield_known(r->body, keys, "", &e) ||
	    jfield_str(r->body, "email", "", true, 1, ST_EMAIL_MAX - 1, &email, &e) ||
	    jfield_str(r->body, "password", "", true, 1, 256, &password, &e)) {
		api_field_error(r, &e);
		return;
	}
	char addr[ST_EMAIL_MAX];
	strlcpy_t(addr, email, sizeof(addr));
	lower_ascii(addr);

	struct store *st = r->st;
	struct st_staff s;
	int err = st->ops->staff_by_email(st, addr, &s);
	if (err == TALAD_ENOTFOUND) {
		cred_verify_dummy(password);
		api_error(r, 401, "bad_credentials", "wrong email or password");
		return;
	}
	if (err) {
		api_store_error(r, err);
		return;
	}
	int64_t now = time_now_ms();
	if (s.locked_until > now) {
		int64_t secs = (s.locked_until - now + 999) / 1000;
		snprintf(r->h->retry_after, sizeof(r->h->retry_after), "%lld", (long long)secs);
		api_error(r, 429, "locked_out",
		          "too many failed logins: this account is locked for %lld more seconds",
		          (long long)secs);
		return;
	}
	/* The slow hash runs outside any transaction so it holds no lock. */
	bool ok = cred_verify(s.password_hash, password);

	if ((err = st->ops->begin(st, ST_TX_WRITE)))
		goto db_fail;
	struct st_staff cur;
	if ((err = st->ops->staff_get(st, s.id, &cur)))
		goto db_fail;
	if (!ok) {
		int failed = cur.failed_logins + 1;
		int64_t until = 0;
		if (failed >= API_LOCKOUT_FAILS) {
			until = now + API_LOCKOUT_MS;
			failed = 0;
		}
		if ((err = st->ops->staff_set_lockout(st, s.id, failed, until)) ||
		    (err = st->ops->commit(st)))
			goto db_fail;
		if (until)
			api_error(r, 401, "bad_credentials",
			          "wrong email or password: the account is now locked for %lld "
			          "minutes",
			          (long long)(API_LOCKOUT_MS / 60000));
		else
			api_error(r, 401, "bad_credentials", "wrong email or password");
		return;
	}
	if (cur.failed_logins || cur.locked_until) {
		if ((err = st->ops->staff_set_lockout(st, s.id, 0, 0)))
			goto db_fail;
	}
	char token[CRED_TOKEN_SIZE], hash[CRED_TOKEN_SIZE];
	cred_token_new(token);
	cred_token_hash(token, hash);
	struct st_token t = {.kind = ST_TOKEN_STAFF, .expires_at = now + API_STAFF_TOKEN_TTL_MS};
	strlcpy_t(t.subject_id, s.id, sizeof(t.subject_id));
	if ((err = st->ops->token_add(st, hash, &t, now)) ||
	    (err = st->ops->token_prune(st, now)) || (err = st->ops->commit(st)))
		goto db_fail;
	json_t *staff = json_pack("{s:s, s:s, s:s, s:s}", "id", s.id, "name", s.name, "role",
	                          store_role_name(s.role), "email", s.email);
	api_reply(r, 200,
	          json_pack("{s:s, s:o, s:o}", "token", token, "expires_at",
	                    api_time_json(t.expires_at), "staff", staff));
	return;
db_fail:
	api_store_error(r, err);
}

void api_logout(struct api_req *r)
{
	int err = r->st->ops->token_delete(r->st, r->token_hash);
	if (err) {
		api_store_error(r, err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s}", "status", "logged_out"));
}
