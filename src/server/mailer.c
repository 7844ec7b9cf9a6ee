/* The mail-out thread (mailer.h): claim a due mail with a lease, read the
 * order and the shop, build the message, hand it to the SMTP server with
 * libcurl and record the outcome on the claimed row -- sent, queued again
 * with backoff, or failed for good. */
#include "server/mailer.h"

#include "common/buf.h"
#include "common/email.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "core/order.h"
#include "server/mail.h"
#include "server/store.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct mailer {
	char *smtp_url, *mail_from, *lang;
	struct storepool *pool;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;            /* under mu */
	bool kicked;          /* under mu */
	atomic_bool stopping; /* read by the curl progress callback */
};

/* The running mailer, for mailer_kick. */
static pthread_mutex_t running_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mailer *running;

enum outcome { SENT, RETRY, FAILED, INTERRUPTED };

int mailer_check(const struct mailer_config *c, char *err, size_t errlen)
{
	const char *url = c->smtp_url ? c->smtp_url : "";
	const char *host = NULL, *why = NULL;
	if (!strncasecmp(url, "smtp://", 7))
		host = url + 7;
	else if (!strncasecmp(url, "smtps://", 8))
		host = url + 8;
	if (!host) {
		snprintf(err, errlen,
		         "--smtp must be smtp://HOST[:PORT] or smtps://HOST[:PORT], not "
		         "'%s'",
		         url);
		return TALAD_EINVAL;
	}
	if (!*host || *host == ':' || *host == '/' || strpbrk(url, " \t\r\n")) {
		snprintf(err, errlen, "--smtp '%s' names no host", url);
		return TALAD_EINVAL;
	}
	if (!email_address_valid(c->mail_from, &why)) {
		snprintf(err, errlen, "--mail-from '%s' %s", c->mail_from ? c->mail_from : "", why);
		return TALAD_EINVAL;
	}
	if (!c->lang || (strcmp(c->lang, "en") && strcmp(c->lang, "th"))) {
		snprintf(err, errlen, "--mail-lang must be en or th");
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

/* ---- one mail ---- */

struct order_copy {
	char *json;
	char register_code[ST_CODE_MAX];
};

static int order_copy_cb(void *arg, const struct st_order *o)
{
	struct order_copy *c = arg;
	free(c->json);
	c->json = xstrdup(o->json);
	strlcpy_t(c->register_code, o->register_code, sizeof(c->register_code));
	return TALAD_OK;
}

/* Builds the message of mail m. FAILED (with why) when it cannot be built:
 * trying again would not help. RETRY when the database did not answer. */
static enum outcome build(struct mailer *ml, struct store *st, const struct st_mail *m,
                          struct buf *msg, char *why, size_t whylen)
{
	struct st_shop shop;
	struct order_copy oc = {0};
	struct order o;
	char perr[192], msgid[MAIL_MSGID_MAX];
	enum outcome res = FAILED;
	order_init(&o, NULL);
	int rc = st->ops->shop_get(st, &shop);
	if (rc) {
		snprintf(why, whylen, "cannot read the shop settings: %s", talad_strerror(rc));
		res = RETRY;
		goto out;
	}
	rc = st->ops->order_get(st, m->order_id, order_copy_cb, &oc);
	if (rc == TALAD_ENOTFOUND) {
		snprintf(why, whylen, "no order %s on this back office", m->order_id);
		goto out;
	}
	if (rc) {
		snprintf(why, whylen, "cannot read the order: %s", talad_strerror(rc));
		res = RETRY;
		goto out;
	}
	json_error_t jerr;
	json_t *j = json_loads(oc.json, 0, &jerr);
	if (!j) {
		snprintf(why, whylen, "the stored order is not JSON: %s", jerr.text);
		goto out;
	}
	rc = order_from_json(j, &o, perr, sizeof(perr));
	json_decref(j);
	if (rc) {
		snprintf(why, whylen, "the stored order cannot be read: %s", perr);
		goto out;
	}
	const char *bad = NULL;
	if (!email_address_valid(m->email, &bad)) {
		snprintf(why, whylen, "the address %s", bad);
		goto out;
	}
	mail_message_id(m->op_id, ml->mail_from, msgid);
	struct mail_receipt r = {.shop = &shop,
	                         .register_code = oc.register_code,
	                         .from = ml->mail_from,
	                         .to = m->email,
	                         .message_id = msgid,
	                         .lang = ml->lang,
	                         .date_ms = time_now_ms()};
	rc = mail_build_receipt(&o, &r, msg);
	if (rc) {
		snprintf(why, whylen, "cannot build the message: %s", talad_strerror(rc));
		goto out;
	}
	res = SENT;
out:
	order_release(&o);
	free(oc.json);
	return res;
}

struct upload {
	const char *data;
	size_t len, pos;
	struct mailer *ml;
};

static size_t read_cb(char *dst, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems, left = u->len - u->pos;
	if (n > left)
		n = left;
	memcpy(dst, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* Stopping abandons an exchange that has not started on the message; once
 * the message is on its way it is let finish, so its outcome gets recorded. */
static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	struct upload *u = arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	return ulnow == 0 && u->pos == 0 && atomic_load(&u->ml->stopping);
}

/* Hands msg to the SMTP server for m->email. */
static enum outcome smtp_send(struct mailer *ml, const struct st_mail *m, const struct buf *msg,
                              char *why, size_t whylen)
{
	char errbuf[CURL_ERROR_SIZE] = "", from[EMAIL_ADDRESS_MAX + 3], to[EMAIL_ADDRESS_MAX + 3];
	struct upload u = {.data = msg->data, .len = msg->len, .ml = ml};
	struct curl_slist *rcpt = NULL;
	enum outcome res = RETRY;
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(why, whylen, "cannot set up libcurl");
		return RETRY;
	}
	snprintf(from, sizeof(from), "<%s>", ml->mail_from);
	snprintf(to, sizeof(to), "<%s>", m->email);
	rcpt = curl_slist_append(NULL, to);
	curl_easy_setopt(c, CURLOPT_URL, ml->smtp_url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)MAILER_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)MAILER_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &u);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	const char *text = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	if (cc == CURLE_OK) {
		res = SENT;
	} else if (cc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(why, whylen, "interrupted by the server stopping");
		res = INTERRUPTED;
	} else if (mail_smtp_permanent(code) && strncmp(text, "MAIL failed", 11) && code != 530 &&
	           code != 535) {
		/* The server refused this recipient or this message. A refused
		 * sender or login is our configuration: every mail would fail
		 * the same way, so those are retried until it is fixed. */
		snprintf(why, whylen, "the SMTP server refused it: %ld (%.180s)", code, text);
		res = FAILED;
	} else if (code > 0) {
		snprintf(why, whylen, "the SMTP server answered %ld (%.180s)", code, text);
	} else {
		snprintf(why, whylen, "smtp: %.200s", text);
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	return res;
}

/* Records the outcome on the claimed row. Marking a sent mail sent is the
 * step that must not be lost: a busy database is waited out for as long as
 * the lease allows. */
static void settle(struct store *st, struct st_mail *m, enum outcome res, const char *why)
{
	int64_t now = time_now_ms();
	m->error[0] = '\0';
	m->sent_at = 0;
	m->next_attempt_at = 0;
	switch (res) {
	case SENT:
		strlcpy_t(m->status, "sent", sizeof(m->status));
		m->sent_at = now;
		break;
	case INTERRUPTED:
		strlcpy_t(m->status, "queued", sizeof(m->status));
		m->next_attempt_at = now;
		strlcpy_t(m->error, why, sizeof(m->error));
		break;
	case RETRY:
		if (now - m->created_at > MAILER_GIVE_UP_MS) {
			strlcpy_t(m->status, "failed", sizeof(m->status));
			snprintf(m->error, sizeof(m->error), "gave up after %d attempts: %.200s",
			         m->attempts, why);
			break;
		}
		strlcpy_t(m->status, "queued", sizeof(m->status));
		m->next_attempt_at = now + mail_backoff_ms(m->attempts, randombytes_random());
		strlcpy_t(m->error, why, sizeof(m->error));
		break;
	case FAILED:
		strlcpy_t(m->status, "failed", sizeof(m->status));
		strlcpy_t(m->error, why, sizeof(m->error));
		break;
	}
	int64_t deadline = time_mono_ms() + MAILER_LEASE_MS / 2;
	int rc;
	while ((rc = st->ops->mail_settle(st, m)) == TALAD_EBUSY || rc == TALAD_EDB) {
		if (time_mono_ms() > deadline)
			break;
		struct timespec ts = {0, 200 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (rc == TALAD_ECONFLICT)
		log_error("mail: %s to %s: the claim ran out before its outcome (%s) was recorded: "
		          "another worker may send it again",
		          m->order_id, m->email, m->status);
	else if (rc)
		log_error("mail: %s to %s: cannot record that it is %s: %s", m->order_id, m->email,
		          m->status, talad_strerror(rc));
	else if (res == SENT)
		log_info("mail: receipt of order %s sent to %s (attempt %d)", m->order_id, m->email,
		         m->attempts);
	else if (res == FAILED || !strcmp(m->status, "failed"))
		log_error("mail: receipt of order %s to %s failed: %s", m->order_id, m->email,
		          m->error);
	else
		log_warnx("mail: receipt of order %s to %s not sent (attempt %d): %s; next try in "
		          "%lld s",
		          m->order_id, m->email, m->attempts, why,
		          (long long)((m->next_attempt_at - now + 999) / 1000));
}

static void deliver(struct mailer *ml, struct store *st, struct st_mail *m)
{
	struct buf msg = BUF_INIT(MAIL_MESSAGE_MAX);
	char why[ST_TEXT_MAX] = "";
	enum outcome res = build(ml, st, m, &msg, why, sizeof(why));
	if (res == SENT)
		res = smtp_send(ml, m, &msg, why, sizeof(why));
	settle(st, m, res, why);
	buf_release(&msg);
}

/* ---- the thread ---- */

/* Waits up to ms for a kick or the stop; true when stopping. */
static bool wait_for(struct mailer *ml, int64_t ms)
{
	pthread_mutex_lock(&ml->mu);
	if (!ml->stop && !ml->kicked && ms > 0) {
		struct timespec until;
		time_deadline(CLOCK_REALTIME, ms, &until);
		pthread_cond_timedwait(&ml->cond, &ml->mu, &until);
	}
	ml->kicked = false;
	bool stop = ml->stop;
	pthread_mutex_unlock(&ml->mu);
	return stop;
}

static void *run(void *arg)
{
	struct mailer *ml = arg;
	bool said_busy = false;
	for (;;) {
		if (atomic_load(&ml->stopping))
			break;
		struct store *st;
		char err[256];
		int64_t wait = MAILER_POLL_MS;
		if (storepool_get(ml->pool, &st, err, sizeof(err)) != TALAD_OK) {
			log_warnx("mail: %s", err);
			if (wait_for(ml, wait))
				break;
			continue;
		}
		int64_t now = time_now_ms();
		struct st_mail m;
		int rc = st->ops->mail_claim(st, now, now + MAILER_LEASE_MS, &m);
		if (rc == TALAD_OK) {
			said_busy = false;
			deliver(ml, st, &m);
			storepool_put(ml->pool, st);
			continue; /* the next one at once */
		}
		if (rc == TALAD_ENOTFOUND) {
			int64_t due;
			rc = st->ops->mail_next_due(st, &due);
			if (rc == TALAD_OK && due - now < wait)
				wait = due > now ? due - now : 0;
			else if (rc == TALAD_ENOTFOUND)
				rc = TALAD_OK;
		}
		if (rc && !said_busy) {
			log_warnx("mail: cannot read the mail queue: %s", talad_strerror(rc));
			said_busy = true;
		}
		storepool_put(ml->pool, st);
		if (wait_for(ml, wait))
			break;
	}
	return NULL;
}

/* What a mailer holds, once its thread is gone (or never started). */
static void mailer_free(struct mailer *ml)
{
	pthread_cond_destroy(&ml->cond);
	pthread_mutex_destroy(&ml->mu);
	free(ml->smtp_url);
	free(ml->mail_from);
	free(ml->lang);
	free(ml);
}

int mailer_start(const struct mailer_config *c, struct storepool *pool, struct mailer **out,
                 char *err, size_t errlen)
{
	int rc = mailer_check(c, err, errlen);
	if (rc)
		return rc;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "cannot set up libsodium or libcurl");
		return TALAD_EIO;
	}
	struct mailer *ml = xcalloc(1, sizeof(*ml));
	ml->smtp_url = xstrdup(c->smtp_url);
	ml->mail_from = xstrdup(c->mail_from);
	ml->lang = xstrdup(c->lang);
	ml->pool = pool;
	atomic_init(&ml->stopping, false);
	pthread_mutex_init(&ml->mu, NULL);
	pthread_cond_init(&ml->cond, NULL);
	pthread_mutex_lock(&running_mu);
	if (running) {
		pthread_mutex_unlock(&running_mu);
		snprintf(err, errlen, "a mailer is running already");
		rc = TALAD_EINVAL;
		goto fail;
	}
	if (pthread_create(&ml->tid, NULL, run, ml) != 0) {
		pthread_mutex_unlock(&running_mu);
		snprintf(err, errlen, "cannot start the mail thread");
		rc = TALAD_EIO;
		goto fail;
	}
	running = ml;
	pthread_mutex_unlock(&running_mu);
	*out = ml;
	return TALAD_OK;
fail:
	mailer_free(ml);
	return rc;
}

void mailer_kick(void)
{
	pthread_mutex_lock(&running_mu);
	struct mailer *ml = running;
	if (ml) {
		pthread_mutex_lock(&ml->mu);
		ml->kicked = true;
		pthread_cond_signal(&ml->cond);
		pthread_mutex_unlock(&ml->mu);
	}
	pthread_mutex_unlock(&running_mu);
}

void mailer_stop(struct mailer *ml)
{
	if (!ml)
		return;
	pthread_mutex_lock(&running_mu);
	if (running == ml)
		running = NULL;
	pthread_mutex_unlock(&running_mu);
	atomic_store(&ml->stopping, true);
	pthread_mutex_lock(&ml->mu);
	ml->stop = true;
	pthread_cond_signal(&ml->cond);
	pthread_mutex_unlock(&ml->mu);
	pthread_join(ml->tid, NULL);
	mailer_free(ml);
}
