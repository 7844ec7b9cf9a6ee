/* Receipt e-mails in the admin API: the queue as staff see it (GET
 * /api/v1/mail, one shape shared with the list in api_admin.c) and a
 * receipt e-mailed on request (POST /api/v1/orders/{id}/email), queued in
 * the store for mail-out (server/mailer.c) like the registers' requests. */
#include "server/api.h"

#include "common/email.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "server/mailer.h"

#include <stdio.h>
#include <string.h>

json_t *api_mail_json(const struct st_mail *m)
{
	json_t *j =
	    json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:o}", "id", (json_int_t)m->n, "op_id",
	              m->op_id, "order_id", m->order_id, "email", m->email, "status", m->status,
	              "attempts", m->attempts, "created_at", api_time_json(m->created_at));
	if (!j)
		return json_null();
	json_object_set_new(j, "register_id",
	                    m->register_id[0] ? json_string(m->register_id) : json_null());
	json_object_set_new(j, "staff_id", m->staff_id[0] ? json_string(m->staff_id) : json_null());
	json_object_set_new(
	    j, "next_attempt_at",
	    !strcmp(m->status, "queued")
	        ? api_time_json(m->next_attempt_at > 0 ? m->next_attempt_at : m->created_at)
	        : json_null());
	json_object_set_new(j, "sent_at", api_time_json(m->sent_at));
	json_object_set_new(j, "error", m->error[0] ? json_string(m->error) : json_null());
	return j;
}

static int order_seen_cb(void *arg, const struct st_order *o)
{
	(void)o;
	*(bool *)arg = true;
	return TALAD_OK;
}

void api_order_email(struct api_req *r)
{
	static const char *const keys[] = {"email", NULL};
	struct jerr e;
	const char *email, *why = NULL;
	if (jfield_known(r->body, keys, "", &e) ||
	    jfield_str(r->body, "email", "", true, 1, ST_EMAIL_MAX - 1, &email, &e)) {
		api_field_error(r, &e);
		return;
	}
	if (!email_address_valid(email, &why)) {
		jfield_fail(&e, "", "email", "'%s' is not a usable e-mail address: it %s", email,
		            why);
		api_field_error(r, &e);
		return;
	}
	struct store *st = r->st;
	bool seen = false;
	int err = uuid_valid(r->param) ? st->ops->order_get(st, r->param, order_seen_cb, &seen)
	                               : TALAD_ENOTFOUND;
	if (err == TALAD_ENOTFOUND) {
		api_error(r, 404, "not_found", "no order with this id");
		return;
	}
	if (err) {
		api_store_error(r, err);
		return;
	}
	int64_t now = time_now_ms();
	struct st_mail m;
	err = st->ops->mail_find(st, r->param, email, &m);
	if (err == TALAD_OK && !strcmp(m.status, "failed")) {
		/* A mail that failed for good may go again when staff ask. */
		err = st->ops->mail_requeue(st, m.n, now);
		if (err == TALAD_OK)
			err = st->ops->mail_find(st, r->param, email, &m);
	} else if (err == TALAD_OK) {
		api_error(r, 409, "duplicate",
		          "the receipt of this order is already %s to %s: each receipt goes to an "
		          "address once",
		          !strcmp(m.status, "sent") ? "sent" : "queued", m.email);
		return;
	} else if (err == TALAD_ENOTFOUND) {
		memset(&m, 0, sizeof(m));
		uuid_v7(m.op_id);
		strlcpy_t(m.order_id, r->param, sizeof(m.order_id));
		strlcpy_t(m.email, email, sizeof(m.email));
		strlcpy_t(m.status, "queued", sizeof(m.status));
		strlcpy_t(m.staff_id, r->staff.id, sizeof(m.staff_id));
		m.created_at = now;
		m.next_attempt_at = now;
		err = st->ops->mail_add(st, &m);
		if (err == TALAD_EEXIST) {
			api_error(r, 409, "duplicate",
			          "the receipt of this order is already queued to %s", email);
			return;
		}
		if (err == TALAD_OK)
			err = st->ops->mail_find(st, r->param, email, &m);
	}
	if (err == TALAD_ECONFLICT) {
		api_error(r, 409, "duplicate",
		          "the receipt of this order was queued again meanwhile");
		return;
	}
	if (err) {
		api_store_error(r, err);
		return;
	}
	mailer_kick();
	api_reply(r, 202, json_pack("{s:o}", "mail", api_mail_json(&m)));
}
