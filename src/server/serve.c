/* The serve loop: opens the database (applying migrations), starts the HTTP
 * threads with the stop signals blocked so only the main thread takes them,
 * and shuts down cleanly: long polls are woken, connections drained, the
 * database handles closed. */
#include "server/serve.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "server/api.h"
#include "server/changefeed.h"
#include "server/gateway.h"
#include "server/httpd.h"
#include "server/mailer.h"
#include "server/shopinit.h"
#include "server/storepool.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct maint {
	pthread_t tid;
	struct storepool *pool;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
};

/* Runs the store's housekeeping about once a second until told to stop. */
static void *maint_run(void *arg)
{
	struct maint *m = arg;
	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		struct timespec until;
		time_deadline(CLOCK_REALTIME, 1000, &until);
		pthread_cond_timedwait(&m->cond, &m->mu, &until);
		if (m->stop)
			break;
		pthread_mutex_unlock(&m->mu);
		struct store *st;
		char err[256];
		if (storepool_get(m->pool, &st, err, sizeof(err)) == TALAD_OK) {
			int rc = st->ops->maintain(st);
			if (rc && rc != TALAD_EBUSY)
				log_warnx("maintenance: %s", talad_strerror(rc));
			storepool_put(m->pool, st);
		} else {
			log_warnx("maintenance: %s", err);
		}
		pthread_mutex_lock(&m->mu);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

int serve_run(const struct serve_opts *o, char *err, size_t errlen)
{
	char *path = shopinit_db_path(o->data_dir);
	struct store *st = NULL;
	struct storepool *pool = NULL;
	struct httpd *h = NULL;
	int rc = store_sqlite_open(path, false, &st, err, errlen);
	if (rc == TALAD_ENOTFOUND) {
		snprintf(err, errlen,
		         "%s is not initialised: run talad-server init --data %s first",
		         o->data_dir, o->data_dir);
		goto out;
	}
	if (rc)
		goto out;
	struct st_shop shop;
	if ((rc = st->ops->shop_get(st, &shop))) {
		snprintf(err, errlen, "%s has no shop settings: %s", path, talad_strerror(rc));
		st->ops->close(st);
		goto out;
	}
	pool = storepool_new(path);
	storepool_put(pool, st); /* the first handle, migrations done */

	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct api_server srv = {
	    .pool = pool, .feed_keep = o->feed_keep, .auth_ttl_ms = o->auth_ttl_ms};
	struct httpd_config cfg = {
	    .listen = o->listen, .body_max = api_body_max, .handle = api_handle, .arg = &srv};
	if ((rc = httpd_start(&cfg, &h, err, errlen)))
		goto out;
	struct mailer *mailer = NULL;
	if (o->smtp_url) {
		struct mailer_config mc = {.smtp_url = o->smtp_url,
		                           .mail_from = o->mail_from,
		                           .lang = o->mail_lang ? o->mail_lang : "en"};
		if ((rc = mailer_start(&mc, pool, &mailer, err, errlen))) {
			httpd_stop(h);
			goto out;
		}
	}
	struct maint m = {.pool = pool, .stop = false};
	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.cond, NULL);
	bool maint_started = pthread_create(&m.tid, NULL, maint_run, &m) == 0;
	if (!maint_started)
		log_warnx("cannot start the maintenance thread: checkpoints stay on commits");
	fprintf(stderr, "talad-server: %s serving http://%s/api/v1 from %s\n", shop.name, o->listen,
	        o->data_dir);
	if (mailer)
		fprintf(stderr, "talad-server: receipt e-mails go out through %s from %s\n",
		        o->smtp_url, o->mail_from);
	else
		fprintf(stderr,
		        "talad-server: no --smtp: receipt e-mails are queued and wait until "
		        "the back office is served with --smtp (GET /api/v1/mail)\n");
	/* Said where the merchant looks first: card payments go nowhere real. */
	const struct gateway *gw = gateway_default();
	if (gw->test)
		fprintf(stderr, "talad-server: card payments: %s (gateway \"%s\")\n", gw->label,
		        gw->name);
	int sig = 0;
	sigwait(&stop, &sig);
	log_info("%s: shutting down", sig == SIGINT ? "interrupt" : "terminate");
	changefeed_stop();
	httpd_stop(h);
	mailer_stop(mailer);
	if (maint_started) {
		pthread_mutex_lock(&m.mu);
		m.stop = true;
		pthread_cond_signal(&m.cond);
		pthread_mutex_unlock(&m.mu);
		pthread_join(m.tid, NULL);
	}
	pthread_cond_destroy(&m.cond);
	pthread_mutex_destroy(&m.mu);
	fprintf(stderr, "talad-server: stopped\n");
	rc = TALAD_OK;
out:
	storepool_free(pool);
	free(path);
	return rc;
}
