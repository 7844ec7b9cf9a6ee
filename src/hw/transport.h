/* Printer transports: a device named by URI (raw TCP 9100, a serial or
 * Bluetooth SPP port, a USB printer node, a file), opened with a connect
 * timeout, written with every write bounded by a timeout, and asked for its
 * status with DLE EOT where the transport can answer (TCP and serial). */
#ifndef TALAD_TRANSPORT_H
#define TALAD_TRANSPORT_H

#include "hw/escpos.h"

#include <stdbool.h>
#include <stddef.h>

#define TRANSPORT_HOST_MAX     256
#define TRANSPORT_PATH_MAX     512
#define TRANSPORT_DEFAULT_PORT 9100
#define TRANSPORT_DEFAULT_BAUD 9600
#define TRANSPORT_TIMEOUT_MS   5000 /* connect, and each write without progress */

enum transport_kind {
	TRANSPORT_TCP = 0,    /* tcp://HOST[:PORT] */
	TRANSPORT_SERIAL = 1, /* serial:/dev/rfcomm0[?baud=N] */
	TRANSPORT_USB = 2,    /* usb:/dev/usb/lp0 */
	TRANSPORT_FILE = 3,   /* file:PATH (appended to) */
};

struct transport_uri {
	enum transport_kind kind;
	char host[TRANSPORT_HOST_MAX]; /* tcp: name or address, without [] */
	int port;                      /* tcp */
	char path[TRANSPORT_PATH_MAX]; /* serial, usb, file */
	int baud;                      /* serial */
};

/* Parses a device URI. TALAD_OK, or TALAD_EINVAL with a lower-case message
 * in err (unknown scheme, empty host or path, bad port or baud rate). */
int transport_parse_uri(const char *uri, struct transport_uri *out, char *err, size_t errlen);

struct transport;

/* Opens the device; a TCP connect waits at most timeout_ms. The caller owns
 * *out and closes it with transport_close. TALAD_OK, TALAD_EINVAL (bad URI),
 * TALAD_ETIMEOUT (no connection in time) or TALAD_EIO (refused, no such
 * device, permission), with a message in err. */
int transport_open(const char *uri, int timeout_ms, struct transport **out, char *err,
                   size_t errlen);
/* NULL is fine. */
void transport_close(struct transport *t);
enum transport_kind transport_kind(const struct transport *t);
/* Whether the device can answer a status query (TCP and serial). */
bool transport_can_read(const struct transport *t);

/* Writes all of data. Each wait for the device to take more bytes lasts at
 * most timeout_ms: a printer that stops reading (paper out on some models, a
 * dropped Bluetooth link) fails the write instead of hanging the till.
 * TALAD_OK, TALAD_ETIMEOUT or TALAD_EIO, with a message in err. */
int transport_write(struct transport *t, const void *data, size_t len, int timeout_ms, char *err,
                    size_t errlen);

/* Reads up to len bytes, waiting at most timeout_ms for the first. TALAD_OK
 * with *got > 0, TALAD_ETIMEOUT, TALAD_EIO (closed or failed), or
 * TALAD_ESTATE when the transport cannot read. */
int transport_read(struct transport *t, void *data, size_t len, int timeout_ms, size_t *got);

/* Asks DLE EOT 1..4 and folds the answers into st (zeroed first). When the
 * transport cannot read, TALAD_OK with st->known false. TALAD_ETIMEOUT when
 * the printer does not answer within timeout_ms per query (st->known false),
 * TALAD_EIO when the link fails. */
int transport_status(struct transport *t, int timeout_ms, struct escpos_status *st, char *err,
                     size_t errlen);

/* Sends a whole job: open, ask the status where the transport answers (a
 * printer that does not answer is printed to anyway), refuse when the status
 * says it cannot print, write, close. st (may be NULL) receives the status
 * read before the job. TALAD_OK; TALAD_EREFUSED with "printer reports paper
 * out" style words; or what transport_open/transport_write return. err
 * always names the device on failure. */
int transport_send(const char *uri, const void *job, size_t len, int timeout_ms,
                   struct escpos_status *st, char *err, size_t errlen);

#endif
