/* Mail-out: the background thread of `talad-server serve --smtp URL` that
 * takes queued receipt mails from the store, renders them (server/mail.h)
 * and sends them over SMTP with libcurl, retrying with backoff while the
 * SMTP server cannot take them, so that each receipt goes out once.
 *
 * Once: a mail is claimed with a lease (status "sending"), sent, then marked
 * "sent" by a single UPDATE of the claimed row, retried for a while if the
 * database is busy. The one window left is a crash (or a database that stays
 * unwritable for longer than the lease) after the SMTP server accepted the
 * message and before that UPDATE commits: the lease then ends and the mail
 * is sent again, with the same Message-ID. (SMTP has its own such window,
 * RFC 1047: a connection lost between the message's final dot and the
 * server's 250 is retried.) docs/SERVER.md says more. */
#ifndef TALAD_SERVER_MAILER_H
#define TALAD_SERVER_MAILER_H

#include "server/storepool.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAILER_CONNECT_TIMEOUT_MS 10000
#define MAILER_TIMEOUT_MS         30000                /* one whole SMTP exchange */
#define MAILER_LEASE_MS           (2LL * 60 * 1000)    /* > a send plus marking it sent */
#define MAILER_GIVE_UP_MS         (72LL * 3600 * 1000) /* then a failing mail is "failed" */
#define MAILER_POLL_MS            1000 /* mail queued by another process is seen this fast */

struct mailer_config {
	const char *smtp_url;  /* "smtp://HOST[:PORT]" or "smtps://HOST[:PORT]" */
	const char *mail_from; /* the sender address (email_address_valid) */
	const char *lang;      /* "en" or "th": the words of the receipt mails */
};

/* Checks a configuration before serving: the URL's scheme and host, the
 * sender address, the language. TALAD_OK or TALAD_EINVAL with a lower-case
 * message in err. */
int mailer_check(const struct mailer_config *c, char *err, size_t errlen);

struct mailer;

/* Starts the thread, which borrows store handles from pool (the pool must
 * outlive the mailer). The strings of c are copied. TALAD_OK, or
 * TALAD_EINVAL/TALAD_EIO with a message in err. Only one mailer runs in a
 * process at a time (mailer_kick finds it). */
int mailer_start(const struct mailer_config *c, struct storepool *pool, struct mailer **out,
                 char *err, size_t errlen);

/* A mail was queued in this process: look now rather than at the next poll.
 * Does nothing when no mailer runs. */
void mailer_kick(void);

/* Stops the thread and frees m (NULL is fine). An SMTP exchange that has
 * begun sending the message is let finish (within MAILER_TIMEOUT_MS), so
 * stopping never leaves a mail half-sent and unrecorded; one still
 * connecting is abandoned and the mail retried by the next start. */
void mailer_stop(struct mailer *m);

#endif
