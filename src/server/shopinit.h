/* Creating a back office: the data directory, its database with the shop
 * settings, the first location and the owner, and for `demo` the demo
 * catalog. The database is built under a temporary name and linked into
 * place only when complete, so a failed init leaves nothing half-written. */
#ifndef TALAD_SERVER_SHOPINIT_H
#define TALAD_SERVER_SHOPINIT_H

#include "core/tax.h"

#include <stdbool.h>
#include <stddef.h>

#define SHOPINIT_DB_NAME "talad.db"

struct shopinit {
	const char *data_dir;
	const char *shop_name;
	const char *owner_email;
	const char *owner_name;
	const char *password; /* the owner's */
	const char *currency; /* ISO 4217 */
	const char *tax_rate; /* percent, "7" */
	bool tax_included;
	enum tax_rounding rounding;
	const char *location;
	bool demo; /* the demo shop: its own settings, staff and catalog */
};

/* The database path of a data directory (the caller frees it). */
char *shopinit_db_path(const char *data_dir);

/* TALAD_OK; TALAD_EINVAL for a bad value (err names it); TALAD_EEXIST when
 * the directory is initialised already; TALAD_EIO or TALAD_EDB otherwise. */
int shopinit_create(const struct shopinit *in, char *err, size_t errlen);

#endif
