/* The project-wide status codes. Functions that can fail return one of these
 * (TALAD_OK or a negative code); results come back through out-parameters. */
#ifndef TALAD_ERR_H
#define TALAD_ERR_H

#include <stddef.h>

enum talad_err {
	TALAD_OK = 0,
	TALAD_EINVAL = -1,     /* malformed input: a bad amount, a bad field */
	TALAD_ERANGE = -2,     /* a value out of range, an arithmetic overflow */
	TALAD_ENOTFOUND = -3,  /* no such item, order, setting */
	TALAD_EEXIST = -4,     /* a duplicate stopped by a UNIQUE constraint */
	TALAD_EIO = -5,        /* a file or device failed */
	TALAD_EDB = -6,        /* the database failed */
	TALAD_EOFFLINE = -7,   /* the back office cannot be reached (transport) */
	TALAD_EREFUSED = -8,   /* a business refusal: declined, needs the internet */
	TALAD_EAUTH = -9,      /* missing or wrong credentials */
	TALAD_EPROTO = -10,    /* the peer answered something we cannot use */
	TALAD_ETIMEOUT = -11,  /* a device or peer did not answer in time */
	TALAD_EBUSY = -12,     /* locked, or another operation is in flight */
	TALAD_ECONFLICT = -13, /* the state changed under us: stale data */
	TALAD_EGONE = -14,     /* a sync cursor too old to serve */
	TALAD_ETOOBIG = -15,   /* over a size cap */
	TALAD_ESTATE = -16,    /* not allowed in this state (not logged in, pending work) */
};

/* A static, lower-case description of a status code; never NULL. */
const char *talad_strerror(int err);

/* The one way a module fills a caller's (err, errlen) message buffer: like
 * snprintf, and nothing at all for a NULL err or errlen 0. */
void talad_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
