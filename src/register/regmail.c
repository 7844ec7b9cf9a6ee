/* Where an e-mailed receipt request stands on the register, and what the
 * cashier is told (regmail.h). */
#include "register/regmail.h"

#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "register/rsync.h"

#include <string.h>

const char *regmail_state_name(enum regmail_state s)
{
	switch (s) {
	case REGMAIL_HANDED:
		return "sent_to_back_office";
	case REGMAIL_REFUSED:
		return "refused";
	case REGMAIL_QUEUED:
		break;
	}
	return "queued";
}

enum regmail_state regmail_state(struct rstore *st, const char *order_id, const char *email,
                                 char *error, size_t errlen)
{
	struct rstore_outbox_row row;
	enum regmail_state s = REGMAIL_QUEUED;
	if (error && errlen)
		error[0] = '\0';
	if (rstore_email_row(st, order_id, email, &row) != TALAD_OK)
		return REGMAIL_QUEUED;
	if (row.status == RSTORE_OUT_APPLIED || row.status == RSTORE_OUT_DUPLICATE) {
		s = REGMAIL_HANDED;
	} else if (row.status == RSTORE_OUT_REJECTED) {
		s = REGMAIL_REFUSED;
		if (error && errlen)
			strlcpy_t(error, row.error, errlen);
	}
	free(row.payload);
	return s;
}

void regmail_tell(FILE *f, enum regmail_state s, const char *email, const char *error)
{
	switch (s) {
	case REGMAIL_HANDED:
		fprintf(f, "receipt e-mail sent to the back office for delivery to %s\n", email);
		break;
	case REGMAIL_QUEUED:
		fprintf(f,
		        "no connection: the e-mail is queued and will be sent once the register"
		        " syncs (to %s)\n",
		        email);
		break;
	case REGMAIL_REFUSED:
		fprintf(f, "the back office refused the receipt e-mail to %s: %s\n", email,
		        error && error[0] ? error : "no reason given");
		break;
	}
}

void regmail_push(struct rstore *st, long budget_ms)
{
	struct rsync sync;
	struct rsync_result res;
	char err[256];
	rsync_result_init(&res);
	if (rsync_init(&sync, st, err, sizeof(err)) != TALAD_OK)
		return;
	struct rhttp_limits lim = {budget_ms < 1000 ? budget_ms : 1000, budget_ms, 0, 0};
	int rc = rsync_push(&sync, &lim, time_mono_ms() + budget_ms, &res);
	if (rc == TALAD_OK || rhttp_retryable(rc))
		rsync_note(st, rc, &res);
	rsync_release(&sync);
}
