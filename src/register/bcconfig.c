/* Checks of the barcode settings, shared by `talad config set` (refuse a bad
 * value when it is typed) and the commands that read them. */
#include "register/bcconfig.h"

#include "common/err.h"
#include "common/xalloc.h"
#include "core/barcode.h"
#include "hw/label.h"
#include "hw/scanner.h"
#include "hw/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		strlcpy_t(err, msg, errlen);
	return TALAD_EINVAL;
}

int bcconfig_check(const char *key, const char *value, char *err, size_t errlen)
{
	char msg[512];
	if (!key || !value)
		return TALAD_OK;
	if (!strcmp(key, BCCONFIG_SCANNER)) {
		struct scanner_spec sp;
		return scanner_spec_parse(value, &sp, err, errlen);
	}
	if (!strcmp(key, BCCONFIG_TEMPLATE)) {
		struct barcode_template t;
		return barcode_template_parse(value, &t, err, errlen);
	}
	if (!strcmp(key, BCCONFIG_LABEL_SIZE)) {
		int w, h;
		if (label_size_parse(value, &w, &h) != TALAD_OK)
			return fail(err, errlen,
			            "WIDTHxHEIGHT in mm, 15..200 by 10..300, like 50x30");
		return TALAD_OK;
	}
	if (!strcmp(key, BCCONFIG_LABEL_DPMM)) {
		char *end = NULL;
		long d = strtol(value, &end, 10);
		if (!*value || *end || d < 4 || d > 24)
			return fail(
			    err, errlen,
			    "the printer's dots per mm, 4..24: 8 for 203 dpi, 12 for 300 dpi");
		return TALAD_OK;
	}
	if (!strcmp(key, BCCONFIG_LABEL_PRINTER)) {
		if (!strncmp(value, "cups:", 5)) {
			if (!value[5] || strchr(value + 5, '/'))
				return fail(err, errlen, "cups:QUEUE needs a queue name");
			return TALAD_OK;
		}
		struct transport_uri u;
		return transport_parse_uri(value, &u, err, errlen);
	}
	if (!strcmp(key, BCCONFIG_LABEL_FONT)) {
		if (strlen(value) >= LABEL_FONT_MAX || access(value, R_OK) != 0) {
			snprintf(msg, sizeof(msg), "cannot read font file %.256s", value);
			return fail(err, errlen, msg);
		}
		return TALAD_OK;
	}
	if (!strcmp(key, BCCONFIG_LABEL_ZPL_FONT)) {
		struct label_settings ls;
		if (!*value || strlen(value) >= sizeof(ls.zpl_font) || strpbrk(value, "^~,\r\n"))
			return fail(err, errlen, "a font file on the printer, such as E:ANMDJ.TTF");
		return TALAD_OK;
	}
	return TALAD_OK;
}
