/* `talad-server serve`: the API over HTTP until SIGTERM or SIGINT. */
#ifndef TALAD_SERVER_SERVE_H
#define TALAD_SERVER_SERVE_H

#include <stddef.h>
#include <stdint.h>

#define SERVE_FEED_KEEP 100000

struct serve_opts {
	const char *data_dir;
	const char *listen;
	int64_t feed_keep;
	/* Mail-out (server/mailer.h): without smtp_url receipt mails are
	 * queued and wait. */
	const char *smtp_url;
	const char *mail_from;
	const char *mail_lang; /* "en" (NULL) or "th" */
	int64_t auth_ttl_ms;   /* payment authorizations not captured expire after
	                          this; 0: the default (a day) */
};

/* Serves until a stop signal. TALAD_OK after a clean shutdown; otherwise an
 * error with a message in err (not initialised, cannot listen). */
int serve_run(const struct serve_opts *o, char *err, size_t errlen);

#endif
