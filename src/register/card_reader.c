/* Card reader drivers and the card-reader setting. The simulated reader
 * reads an environment variable, so end-to-end tests and the demo can
 * present any test card without hardware. */
#include "register/card_reader.h"
#include "common/err.h"
#include "common/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sim_read(const struct card_reader *r, char number[CARD_NUMBER_MAX + 1], char *err,
                    size_t errlen)
{
	const char *s = getenv(CARD_READER_SIM_ENV);
	char why[128];

	(void)r;
	if (!s || !*s)
		s = CARD_READER_SIM_DEFAULT;
	/* The register checks the number before anything is sent. */
	if (card_number_parse(s, number, why, sizeof(why)) != TALAD_OK) {
		talad_seterr(err, errlen, "the simulated card reader read a bad card (%s): %s",
		             CARD_READER_SIM_ENV, why);
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

static const struct card_reader simulated = {
    .name = "simulated",
    .label = "simulated card reader",
    .read = sim_read,
};

static const struct card_reader *const readers[] = {&simulated};
#define NREADERS (sizeof(readers) / sizeof(readers[0]))

static const struct card_reader *find(const char *name)
{
	for (size_t i = 0; i < NREADERS; i++)
		if (!strcmp(readers[i]->name, name))
			return readers[i];
	return NULL;
}

static void names(char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < NREADERS && used < len; i++) {
		int w = snprintf(out + used, len - used, "%s%s", i ? ", " : "", readers[i]->name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int card_reader_config_check(const char *key, const char *value, char *err, size_t errlen)
{
	char known[128];

	if (strcmp(key, CARD_READER_KEY))
		return TALAD_OK;
	if (find(value))
		return TALAD_OK;
	names(known, sizeof(known));
	talad_seterr(err, errlen, "no card reader called '%s' (this register knows: %s)", value,
	             known);
	return TALAD_EINVAL;
}

int card_reader_open(struct rstore *st, const struct card_reader **out, char *err, size_t errlen)
{
	char *v = NULL;
	char known[128];
	int rc = rstore_setting_get(st, CARD_READER_KEY, &v);

	if (rc == TALAD_ENOTFOUND) {
		names(known, sizeof(known));
		talad_seterr(
		    err, errlen,
		    "no card reader is set up on this register: talad config set %s NAME (%s)",
		    CARD_READER_KEY, known);
		return TALAD_ENOTFOUND;
	}
	if (rc) {
		talad_seterr(err, errlen, "cannot read the %s setting: %s", CARD_READER_KEY,
		             talad_strerror(rc));
		return rc;
	}
	*out = find(v);
	if (!*out) {
		names(known, sizeof(known));
		talad_seterr(err, errlen, "the card reader '%s' is not known to this register (%s)",
		             v, known);
		free(v);
		return TALAD_EINVAL;
	}
	free(v);
	return TALAD_OK;
}
