/* The register's receipt printer and cash drawer: the printer settings kept
 * as `talad config` keys, a receipt printed for a committed order, the drawer
 * kicked through the printer and every opening recorded in the outbox
 * (drawer.open) for the back office. A sale is always committed before any
 * of this runs; a printer failure never undoes or blocks it. */
#ifndef TALAD_RPRINT_H
#define TALAD_RPRINT_H

#include "core/order.h"
#include "core/receipt.h"
#include "hw/escpos.h"
#include "register/rstore.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define RPRINT_URI_MAX    512
#define RPRINT_REASON_MAX 128 /* bytes of a drawer-opening reason */

/* The config keys this module reads, and their meaning:
 *   printer           device URI (tcp://HOST[:PORT], serial:/dev/X[?baud=N],
 *                     usb:/dev/usb/lp0, file:PATH); unset: no printing
 *   printer-width     columns: 32 (58 mm), 42 or 48 (80 mm); default 48
 *   printer-codepage  ESC t n for Thai text, 0..255 or "none"; default 21
 *   printer-encoding  iconv name of that code page; default CP874
 *   printer-raster    on|off: draw the receipt as an image; default off
 *   printer-font      raster font file; default a TLWG font found on disk
 *   drawer            on|off: kick the drawer after a sale with cash
 *   drawer-pin        2 or 5; default 2
 *   drawer-pulse      kick length in ms, 2..510; default 100
 *   receipt-lang      en|th: the words on the receipt; default en
 *   receipt-qr        on|off: the order id as a QR code; default off */
struct rprint_config {
	char printer[RPRINT_URI_MAX]; /* "" when none is set */
	struct escpos_settings ps;
	bool drawer;
	char lang[8];
	bool qr;
};

/* True for the keys above. */
bool rprint_config_key(const char *key);

/* Checks a value for one of the keys above before `talad config set` stores
 * it. TALAD_OK, or TALAD_EINVAL with a lower-case message in err. Keys not
 * ours are TALAD_OK. */
int rprint_config_check(const char *key, const char *value, char *err, size_t errlen);

/* Reads the config keys into cfg (defaults for the unset ones). TALAD_OK, or
 * TALAD_EINVAL naming the bad key in err, or TALAD_EDB. */
int rprint_config_load(struct rstore *st, struct rprint_config *cfg, char *err, size_t errlen);

/* The receipt settings for this register: shop name, address, tax ID and
 * footer from the shop settings, the POS ID from the pairing (register
 * code), language, QR and width from cfg. */
int rprint_receipt_settings(struct rstore *st, const struct rprint_config *cfg,
                            struct receipt_settings *rs, char *err, size_t errlen);

/* Loads a committed order by id or number ("R01-000042"). o must be
 * order_init'ed; the caller releases it. TALAD_OK, TALAD_ENOTFOUND, or
 * TALAD_EINVAL/TALAD_EDB with a message. */
int rprint_load_order(struct rstore *st, const char *id_or_number, struct order *o, char *err,
                      size_t errlen);

/* Prints the receipt of o on uri (NULL: the printer setting). With kick,
 * the drawer is kicked first in the same job and the opening recorded
 * ("sale R01-000042"), once the printer is connected and has not reported
 * that it cannot print. TALAD_OK; TALAD_ENOTFOUND when no printer is set;
 * TALAD_EREFUSED when the printer reports paper out, cover open ...;
 * otherwise what escpos/transport return, with the reason in err. */
int rprint_order(struct rstore *st, const struct order *o, const char *uri, bool kick, char *err,
                 size_t errlen);

/* Opens the drawer through the printer ("no sale"): connects, reads the
 * status where the transport answers, records the opening (outbox row
 * "drawer.open" with {id, staff_id, reason, opened_at}: staff_id null when
 * unknown, opened_at ISO 8601 UTC) and only then sends the kick. So an
 * opening is never missing from the log, and a printer that is off or out
 * of paper leaves no opening that never happened (only a link that fails in
 * the middle of the kick can). TALAD_OK; TALAD_EINVAL (empty, over-long or
 * non-text reason); TALAD_ENOTFOUND (no printer); TALAD_ESTATE (never
 * paired); TALAD_EREFUSED (printer status); or the transport's error. */
int rprint_drawer_open(struct rstore *st, const char *staff_id, const char *reason, const char *uri,
                       char *err, size_t errlen);

/* Records a drawer opening in the outbox without kicking (deliver() calls
 * it just before the kick). Same codes as rprint_drawer_open. */
int rprint_drawer_record(struct rstore *st, const char *staff_id, const char *reason, char *err,
                         size_t errlen);

/* After a committed sale: prints the receipt when a printer is set, and
 * kicks the drawer (recording the opening as rprint_order does) when the
 * sale took cash and `drawer` is on. Failures are told to the cashier on
 * msg ("receipt not printed: <reason>; reprint with: talad receipt print
 * R01-000042", "drawer not opened: <reason>") and returned, but the sale
 * stands: callers must not turn them into a failed sale. */
int rprint_after_sale(struct rstore *st, const struct order *o, FILE *msg);

/* Asks the printer for its status (uri NULL: the printer setting).
 * TALAD_OK with st filled (st->known false for USB and files, which cannot
 * answer); TALAD_ENOTFOUND when no printer is set; the transport's error
 * otherwise (TALAD_ETIMEOUT: connected, but no answer). */
int rprint_status(struct rstore *st, const char *uri, struct escpos_status *status, char *err,
                  size_t errlen);

#endif
