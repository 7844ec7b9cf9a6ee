/* Barcode scanners: a dedicated scanner read from evdev (grabbed so that its
 * keystrokes reach no other program, decoded by keycode so that a Thai or
 * any other keyboard layout cannot garble it), from a serial port or
 * Bluetooth SPP (lines ending in CR or LF), or a keyboard wedge read as lines
 * from standard input. The decoders take events or bytes without a device,
 * so recorded streams can be replayed in tests. */
#ifndef TALAD_SCANNER_H
#define TALAD_SCANNER_H

#include "core/barcode.h"

#include <linux/input.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCANNER_PATH_MAX       256
#define SCANNER_DEFAULT_GAP_MS 1000

/* What scanner_*_feed and scanner_read report, besides negative errors. */
enum scanner_result {
	SCANNER_NONE = 0, /* nothing complete yet (or a timeout) */
	SCANNER_CODE = 1, /* a code was copied out */
	SCANNER_END = 2,  /* the device went away or the input ended */
};

/* The evdev decoder: key presses to characters by keycode with the US
 * positions that HID scanners send, shift honoured, a code ended by Enter,
 * keypad Enter or Tab. Key repeats are ignored (a scanner never means one:
 * a doubled digit comes as two presses), releases only end a shift. */
struct scanner_keys {
	bool lshift, rshift, ctrl, alt;
	char code[BARCODE_CODE_MAX];
	size_t len;
	bool garbled;    /* an unmapped key, a chord, lost events, too long */
	char why[64];    /* what garbled it */
	int64_t last_ms; /* event time of the last key press in this code */
	int64_t gap_ms;  /* a longer pause between presses drops the partial
	                    code (a half scan); 0: never */
};

void scanner_keys_init(struct scanner_keys *k);
/* Feeds one event. SCANNER_NONE, SCANNER_CODE with the code in code, or
 * TALAD_EINVAL when the code that just ended was garbled ("unreadable scan:
 * ..." in err); the decoder is then ready for the next code. */
int scanner_keys_feed(struct scanner_keys *k, const struct input_event *ev,
                      char code[BARCODE_CODE_MAX], char *err, size_t errlen);

/* The line decoder for serial scanners and wedges: printable ASCII up to CR,
 * LF or Tab; CRLF gives one code, empty lines are skipped. */
struct scanner_lines {
	char code[BARCODE_CODE_MAX];
	size_t len;
	bool garbled;
	char why[64];
};

void scanner_lines_init(struct scanner_lines *l);
/* Feeds one byte; results as scanner_keys_feed. */
int scanner_lines_feed(struct scanner_lines *l, unsigned char byte, char code[BARCODE_CODE_MAX],
                       char *err, size_t errlen);

enum scanner_type {
	SCANNER_WEDGE = 0,  /* types into the till; read as lines on stdin */
	SCANNER_EVDEV = 1,  /* evdev:/dev/input/eventN */
	SCANNER_SERIAL = 2, /* serial:/dev/ttyACM0?baud=9600, /dev/rfcomm0 */
};

struct scanner_spec {
	enum scanner_type type;
	char path[SCANNER_PATH_MAX]; /* "" for a wedge */
	int baud;                    /* serial only; 9600 unless given */
};

/* Parses the `scanner` setting: "wedge", "evdev:PATH", "serial:PATH" with an
 * optional "?baud=N" (1200 .. 115200). TALAD_OK or TALAD_EINVAL with a
 * message in err. */
int scanner_spec_parse(const char *s, struct scanner_spec *out, char *err, size_t errlen);
/* "wedge", "evdev", "serial". */
const char *scanner_type_name(enum scanner_type t);

struct scanner;

/* Opens the device: an evdev device is checked to be one and grabbed; a
 * serial line is put in raw mode at its baud rate and stale input dropped;
 * a wedge reads standard input. The caller frees *out with scanner_close.
 * TALAD_OK, TALAD_ENOTFOUND (no such device), TALAD_EBUSY (grabbed by
 * another program) or TALAD_EIO, with a message in err. */
int scanner_open(const struct scanner_spec *spec, struct scanner **out, char *err, size_t errlen);
/* Reads an already open fd as a scanner of the given type (fd stays the
 * caller's unless own is true); for tests and for a till that owns fds. */
struct scanner *scanner_open_fd(enum scanner_type type, int fd, bool own);
/* The fd to poll for input. */
int scanner_fd(const struct scanner *s);
/* Sets the pause that drops a partial evdev code (default
 * SCANNER_DEFAULT_GAP_MS; 0 never drops). */
void scanner_set_gap_ms(struct scanner *s, int64_t gap_ms);

/* Waits up to timeout_ms (< 0: without limit) for the next code.
 * SCANNER_CODE with the code in code, SCANNER_NONE on timeout, SCANNER_END
 * when the device is gone or the input ended, TALAD_EINVAL for a garbled
 * scan (message in err; keep reading), TALAD_EIO when reading failed.
 * Interrupted by a signal, it returns SCANNER_NONE early. */
int scanner_read(struct scanner *s, int timeout_ms, char code[BARCODE_CODE_MAX], char *err,
                 size_t errlen);

/* Ungrabs and closes (the fd only if owned). NULL is fine. */
void scanner_close(struct scanner *s);

#endif
