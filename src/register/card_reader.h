/* The register's card reader: an interface a reader driver fills in, the
 * setting that chooses one (`talad config set card-reader simulated`), and
 * the simulated reader for tests and the demo, which presents the number in
 * TALAD_SIMULATED_CARD (4242424242424242 when unset). A number read is held
 * only as long as the authorization request needs it. */
#ifndef TALAD_CARD_READER_H
#define TALAD_CARD_READER_H

#include "core/card.h"
#include "register/rstore.h"

#include <stddef.h>

#define CARD_READER_KEY         "card-reader"
#define CARD_READER_SIM_ENV     "TALAD_SIMULATED_CARD"
#define CARD_READER_SIM_DEFAULT "4242424242424242"

struct card_reader {
	const char *name;  /* the setting's value: "simulated" */
	const char *label; /* for people: "simulated card reader" */
	/* Waits for a card and reads its number as digits (CARD_NUMBER_MAX + 1
	 * bytes; the caller wipes it after use). TALAD_OK, TALAD_EINVAL (the
	 * card could not be read: the message says why), TALAD_ETIMEOUT (no
	 * card presented) or TALAD_EIO (the reader failed). */
	int (*read)(const struct card_reader *r, char number[CARD_NUMBER_MAX + 1], char *err,
	            size_t errlen);
};

/* The reader named by the register's card-reader setting. TALAD_OK with
 * *out (a static driver); TALAD_ENOTFOUND when none is set up, with a message
 * saying how to set one; TALAD_EINVAL for a name this build has no driver
 * for; a store error otherwise. */
int card_reader_open(struct rstore *st, const struct card_reader **out, char *err, size_t errlen);

/* The check `talad config set` makes: card-reader must name a driver of
 * this build. TALAD_OK (also for keys not ours) or TALAD_EINVAL with a
 * message. */
int card_reader_config_check(const char *key, const char *value, char *err, size_t errlen);

#endif
