/* The register's barcode settings (scanner, in-store templates, labels):
 * their names and the check `talad config set` makes before storing one. */
#ifndef TALAD_BCCONFIG_H
#define TALAD_BCCONFIG_H

#include <stddef.h>

#define BCCONFIG_SCANNER        "scanner"
#define BCCONFIG_TEMPLATE       "scale-barcode-template"
#define BCCONFIG_LABEL_PRINTER  "label-printer"
#define BCCONFIG_LABEL_SIZE     "label-size"
#define BCCONFIG_LABEL_DPMM     "label-dpmm"
#define BCCONFIG_LABEL_FONT     "label-font"
#define BCCONFIG_LABEL_ZPL_FONT "label-zpl-font"

/* Checks a value for one of the keys above. TALAD_OK, or TALAD_EINVAL with
 * a lower-case message in err. Keys not ours are TALAD_OK. */
int bcconfig_check(const char *key, const char *value, char *err, size_t errlen);

#endif
