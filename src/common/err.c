/* Descriptions of the project-wide status codes. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *talad_strerror(int err)
{
	switch (err) {
	case TALAD_OK:
		return "success";
	case TALAD_EINVAL:
		return "invalid input";
	case TALAD_ERANGE:
		return "value out of range";
	case TALAD_ENOTFOUND:
		return "not found";
	case TALAD_EEXIST:
		return "already exists";
	case TALAD_EIO:
		return "input/output error";
	case TALAD_EDB:
		return "database error";
	case TALAD_EOFFLINE:
		return "the back office cannot be reached";
	case TALAD_EREFUSED:
		return "refused";
	case TALAD_EAUTH:
		return "not authorized";
	case TALAD_EPROTO:
		return "protocol error";
	case TALAD_ETIMEOUT:
		return "timed out";
	case TALAD_EBUSY:
		return "busy";
	case TALAD_ECONFLICT:
		return "conflict";
	case TALAD_EGONE:
		return "no longer available";
	case TALAD_ETOOBIG:
		return "too large";
	case TALAD_ESTATE:
		return "not allowed now";
	}
	return "unknown error";
}

void talad_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
