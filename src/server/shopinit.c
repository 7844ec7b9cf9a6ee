/* `talad-server init` and `demo`: checks the settings, builds the database
 * under a temporary name in the data directory and links it into place. */
#include "server/shopinit.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "server/cred.h"
#include "server/demodata.h"
#include "server/jfield.h"
#include "server/store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *shopinit_db_path(const char *data_dir)
{
	return xasprintf("%s/%s", data_dir, SHOPINIT_DB_NAME);
}

/* mkdir -p with mode 0700 for what is created. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
	char *path = xstrdup(dir);
	int rc = TALAD_OK;
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			rc = TALAD_EIO;
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(path);
	if (rc == TALAD_OK) {
		struct stat sb;
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s is not a directory", dir);
			rc = TALAD_EIO;
		}
	}
	return rc;
}

static int check(const struct shopinit *in, struct st_shop *shop, char *err, size_t errlen)
{
	memset(shop, 0, sizeof(*shop));
	shop->discount_limit_ppm = ST_DISCOUNT_LIMIT_DEFAULT;
	if (in->demo) {
		demodata_shop(shop);
		return TALAD_OK;
	}
	size_t n = in->shop_name ? strlen(in->shop_name) : 0;
	if (n == 0 || n >= sizeof(shop->name) || !jfield_clean_text(in->shop_name)) {
		snprintf(err, errlen, "the shop name must have 1 to %zu bytes of text",
		         sizeof(shop->name) - 1);
		return TALAD_EINVAL;
	}
	if (!jfield_email_ok(in->owner_email) || strlen(in->owner_email) >= ST_EMAIL_MAX) {
		snprintf(err, errlen, "'%s' is not a valid e-mail address",
		         in->owner_email ? in->owner_email : "");
		return TALAD_EINVAL;
	}
	struct currency cur;
	if (currency_lookup(in->currency, &cur) != TALAD_OK) {
		snprintf(err, errlen, "unknown currency '%s' (an ISO 4217 code such as THB)",
		         in->currency);
		return TALAD_EINVAL;
	}
	if (tax_rate_parse(in->tax_rate, &shop->tax_rate_ppm) != TALAD_OK) {
		snprintf(err, errlen, "the tax rate must be a percentage from 0 to 100, not '%s'",
		         in->tax_rate);
		return TALAD_EINVAL;
	}
	n = in->location ? strlen(in->location) : 0;
	if (n == 0 || n >= ST_NAME_MAX || !jfield_clean_text(in->location)) {
		snprintf(err, errlen, "the location name must have 1 to %d bytes of text",
		         ST_NAME_MAX - 1);
		return TALAD_EINVAL;
	}
	n = in->owner_name ? strlen(in->owner_name) : 0;
	if (n == 0 || n >= ST_NAME_MAX || !jfield_clean_text(in->owner_name)) {
		snprintf(err, errlen, "the owner name must have 1 to %d bytes of text",
		         ST_NAME_MAX - 1);
		return TALAD_EINVAL;
	}
	if (cred_check_password(in->password, err, errlen))
		return TALAD_EINVAL;
	strlcpy_t(shop->name, in->shop_name, sizeof(shop->name));
	strlcpy_t(shop->currency, cur.code, sizeof(shop->currency));
	shop->exponent = cur.exponent;
	shop->tax_included = in->tax_included;
	shop->tax_rounding = in->rounding;
	return TALAD_OK;
}

static void remove_db(const char *path)
{
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	unlink(path);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
}

/* Everything in one transaction on the temporary database. */
static int fill(struct store *st, const struct shopinit *in, const struct st_shop *shop, char *err,
                size_t errlen)
{
	struct st_location loc;
	struct st_staff owner = {.role = ST_ROLE_OWNER};
	const char *email = in->demo ? DEMO_OWNER_EMAIL : in->owner_email;
	int rc;
	uuid_v7(loc.id);
	strlcpy_t(loc.name, in->demo ? DEMO_LOCATION_NAME : in->location, sizeof(loc.name));
	uuid_v7(owner.id);
	strlcpy_t(owner.name, in->demo ? DEMO_OWNER_NAME : in->owner_name, sizeof(owner.name));
	strlcpy_t(owner.email, email, sizeof(owner.email));
	for (char *p = owner.email; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (cred_hash_password(in->demo ? DEMO_PASSWORD : in->password, owner.password_hash) ||
	    (in->demo && cred_hash_pin(DEMO_OWNER_PIN, owner.pin_hash))) {
		snprintf(err, errlen, "cannot hash the owner's password");
		return TALAD_EIO;
	}
	if ((rc = st->ops->begin(st, ST_TX_WRITE)) || (rc = st->ops->shop_put(st, shop)) ||
	    (rc = st->ops->location_add(st, &loc)) || (rc = st->ops->staff_add(st, &owner))) {
		snprintf(err, errlen, "cannot write the shop: %s", talad_strerror(rc));
		goto fail;
	}
	if (in->demo && (rc = demodata_fill(st, loc.id, err, errlen)))
		goto fail;
	if ((rc = st->ops->commit(st))) {
		snprintf(err, errlen, "cannot commit the shop: %s", talad_strerror(rc));
		goto fail;
	}
	return TALAD_OK;
fail:
	st->ops->rollback(st);
	return rc;
}

int shopinit_create(const struct shopinit *in, char *err, size_t errlen)
{
	struct st_shop shop;
	int rc = check(in, &shop, err, errlen);
	if (rc)
		return rc;
	if ((rc = make_dirs(in->data_dir, err, errlen)))
		return rc;
	char *final = shopinit_db_path(in->data_dir);
	char *tmp = xasprintf("%s/.%s.init-%ld", in->data_dir, SHOPINIT_DB_NAME, (long)getpid());
	struct store *st = NULL;
	if (access(final, F_OK) == 0) {
		snprintf(err, errlen, "%s is already initialised (%s exists)", in->data_dir, final);
		rc = TALAD_EEXIST;
		goto out;
	}
	remove_db(tmp);
	if ((rc = store_sqlite_open(tmp, true, &st, err, errlen)))
		goto out;
	rc = fill(st, in, &shop, err, errlen);
	st->ops->close(st);
	if (rc)
		goto out;
	/* Closing checkpoints the write-ahead log into the file; a log left
	 * behind would not follow the database to its name. */
	char *wal = xasprintf("%s-wal", tmp);
	bool wal_left = access(wal, F_OK) == 0;
	free(wal);
	if (wal_left) {
		snprintf(err, errlen, "cannot checkpoint the new database %s", tmp);
		rc = TALAD_EDB;
		goto out;
	}
	/* link() never replaces: two inits racing cannot both win. */
	if (link(tmp, final) != 0) {
		if (errno == EEXIST) {
			snprintf(err, errlen, "%s is already initialised (%s exists)", in->data_dir,
			         final);
			rc = TALAD_EEXIST;
		} else {
			snprintf(err, errlen, "cannot create %s: %s", final, strerror(errno));
			rc = TALAD_EIO;
		}
		goto out;
	}
	int dfd = open(in->data_dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	remove_db(tmp);
	free(tmp);
	free(final);
	return rc;
}
