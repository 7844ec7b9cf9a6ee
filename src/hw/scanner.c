/* Barcode scanner input: the evdev keycode decoder, the serial line decoder
 * and the device reader around them (open, grab, raw mode, poll). */
#include "hw/scanner.h"

#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* Characters by keycode, unshifted and shifted, at the US positions: a HID
 * scanner sends usage codes for a US keyboard whatever layout the desktop
 * has, which is exactly why decoding by keycode cannot be garbled by it. */
struct keychar {
	char plain, shifted;
};

static const struct keychar keymap[KEY_KPDOT + 1] = {
    [KEY_1] = {'1', '!'},          [KEY_2] = {'2', '@'},           [KEY_3] = {'3', '#'},
    [KEY_4] = {'4', '$'},          [KEY_5] = {'5', '%'},           [KEY_6] = {'6', '^'},
    [KEY_7] = {'7', '&'},          [KEY_8] = {'8', '*'},           [KEY_9] = {'9', '('},
    [KEY_0] = {'0', ')'},          [KEY_MINUS] = {'-', '_'},       [KEY_EQUAL] = {'=', '+'},
    [KEY_Q] = {'q', 'Q'},          [KEY_W] = {'w', 'W'},           [KEY_E] = {'e', 'E'},
    [KEY_R] = {'r', 'R'},          [KEY_T] = {'t', 'T'},           [KEY_Y] = {'y', 'Y'},
    [KEY_U] = {'u', 'U'},          [KEY_I] = {'i', 'I'},           [KEY_O] = {'o', 'O'},
    [KEY_P] = {'p', 'P'},          [KEY_LEFTBRACE] = {'[', '{'},   [KEY_RIGHTBRACE] = {']', '}'},
    [KEY_A] = {'a', 'A'},          [KEY_S] = {'s', 'S'},           [KEY_D] = {'d', 'D'},
    [KEY_F] = {'f', 'F'},          [KEY_G] = {'g', 'G'},           [KEY_H] = {'h', 'H'},
    [KEY_J] = {'j', 'J'},          [KEY_K] = {'k', 'K'},           [KEY_L] = {'l', 'L'},
    [KEY_SEMICOLON] = {';', ':'},  [KEY_APOSTROPHE] = {'\'', '"'}, [KEY_GRAVE] = {'`', '~'},
    [KEY_BACKSLASH] = {'\\', '|'}, [KEY_Z] = {'z', 'Z'},           [KEY_X] = {'x', 'X'},
    [KEY_C] = {'c', 'C'},          [KEY_V] = {'v', 'V'},           [KEY_B] = {'b', 'B'},
    [KEY_N] = {'n', 'N'},          [KEY_M] = {'m', 'M'},           [KEY_COMMA] = {',', '<'},
    [KEY_DOT] = {'.', '>'},        [KEY_SLASH] = {'/', '?'},       [KEY_SPACE] = {' ', ' '},
    [KEY_KPASTERISK] = {'*', '*'}, [KEY_KP7] = {'7', '7'},         [KEY_KP8] = {'8', '8'},
    [KEY_KP9] = {'9', '9'},        [KEY_KPMINUS] = {'-', '-'},     [KEY_KP4] = {'4', '4'},
    [KEY_KP5] = {'5', '5'},        [KEY_KP6] = {'6', '6'},         [KEY_KPPLUS] = {'+', '+'},
    [KEY_KP1] = {'1', '1'},        [KEY_KP2] = {'2', '2'},         [KEY_KP3] = {'3', '3'},
    [KEY_KP0] = {'0', '0'},        [KEY_KPDOT] = {'.', '.'},
};

static void keys_reset_code(struct scanner_keys *k)
{
	k->len = 0;
	k->code[0] = '\0';
	k->garbled = false;
	k->why[0] = '\0';
}

void scanner_keys_init(struct scanner_keys *k)
{
	memset(k, 0, sizeof(*k));
	k->gap_ms = SCANNER_DEFAULT_GAP_MS;
}

static void keys_garble(struct scanner_keys *k, const char *why)
{
	if (!k->garbled)
		strlcpy_t(k->why, why, sizeof(k->why));
	k->garbled = true;
}

/* Ends the code being read: a code, a garbled scan, or nothing (empty). */
static int finish(char *buf, size_t *len, bool *garbled, const char *why,
                  char code[BARCODE_CODE_MAX], char *err, size_t errlen)
{
	int rc = SCANNER_NONE;
	if (*garbled) {
		char msg[128];
		snprintf(msg, sizeof(msg), "unreadable scan: %s", why);
		talad_seterr(err, errlen, "%s", msg);
		rc = TALAD_EINVAL;
	} else if (*len > 0) {
		memcpy(code, buf, *len);
		code[*len] = '\0';
		rc = SCANNER_CODE;
	}
	*len = 0;
	buf[0] = '\0';
	*garbled = false;
	return rc;
}

int scanner_keys_feed(struct scanner_keys *k, const struct input_event *ev,
                      char code[BARCODE_CODE_MAX], char *err, size_t errlen)
{
	if (ev->type == EV_SYN) {
		/* The kernel's queue overflowed: keys were lost mid-code. */
		if (ev->code == SYN_DROPPED && k->len > 0)
			keys_garble(k, "input events were lost");
		return SCANNER_NONE;
	}
	if (ev->type != EV_KEY)
		return SCANNER_NONE;

	bool down = ev->value != 0;
	switch (ev->code) {
	case KEY_LEFTSHIFT:
		if (ev->value != 2)
			k->lshift = down;
		return SCANNER_NONE;
	case KEY_RIGHTSHIFT:
		if (ev->value != 2)
			k->rshift = down;
		return SCANNER_NONE;
	case KEY_LEFTCTRL:
	case KEY_RIGHTCTRL:
		if (ev->value != 2)
			k->ctrl = down;
		return SCANNER_NONE;
	case KEY_LEFTALT:
	case KEY_RIGHTALT:
		if (ev->value != 2)
			k->alt = down;
		return SCANNER_NONE;
	case KEY_CAPSLOCK:
	case KEY_NUMLOCK:
	case KEY_SCROLLLOCK:
		/* Lock keys type nothing; characters come from keycode + shift. */
		return SCANNER_NONE;
	default:
		break;
	}
	if (ev->value != 1)
		return SCANNER_NONE; /* a release, or a repeat */

	int64_t t = (int64_t)ev->input_event_sec * 1000 + (int64_t)ev->input_event_usec / 1000;
	if (k->gap_ms > 0 && (k->len > 0 || k->garbled) && t - k->last_ms > k->gap_ms)
		keys_reset_code(k); /* the rest of a half scan: drop it */
	k->last_ms = t;

	if (ev->code == KEY_ENTER || ev->code == KEY_KPENTER || ev->code == KEY_TAB)
		return finish(k->code, &k->len, &k->garbled, k->why, code, err, errlen);

	char c = 0;
	if (ev->code < sizeof(keymap) / sizeof(keymap[0])) {
		const struct keychar *kc = &keymap[ev->code];
		c = (k->lshift || k->rshift) ? kc->shifted : kc->plain;
	}
	if (!c) {
		char why[64];
		snprintf(why, sizeof(why), "unknown key %u", (unsigned)ev->code);
		keys_garble(k, why);
	} else if (k->ctrl || k->alt) {
		keys_garble(k, "a key pressed with ctrl or alt");
	} else if (k->len + 1 >= BARCODE_CODE_MAX) {
		keys_garble(k, "longer than 63 characters");
	} else {
		k->code[k->len++] = c;
		k->code[k->len] = '\0';
	}
	return SCANNER_NONE;
}

void scanner_lines_init(struct scanner_lines *l)
{
	memset(l, 0, sizeof(*l));
}

int scanner_lines_feed(struct scanner_lines *l, unsigned char byte, char code[BARCODE_CODE_MAX],
                       char *err, size_t errlen)
{
	if (byte == '\r' || byte == '\n' || byte == '\t')
		return finish(l->code, &l->len, &l->garbled, l->why, code, err, errlen);
	if (byte < 0x20 || byte >= 0x7f) {
		if (!l->garbled)
			snprintf(l->why, sizeof(l->why), "byte 0x%02x is not printable ascii",
			         byte);
		l->garbled = true;
	} else if (l->len + 1 >= BARCODE_CODE_MAX) {
		if (!l->garbled)
			strlcpy_t(l->why, "longer than 63 characters", sizeof(l->why));
		l->garbled = true;
	} else if (!l->garbled) {
		l->code[l->len++] = (char)byte;
		l->code[l->len] = '\0';
	}
	return SCANNER_NONE;
}

const char *scanner_type_name(enum scanner_type t)
{
	switch (t) {
	case SCANNER_EVDEV:
		return "evdev";
	case SCANNER_SERIAL:
		return "serial";
	case SCANNER_WEDGE:
		break;
	}
	return "wedge";
}

static const struct {
	int baud;
	speed_t speed;
} bauds[] = {
    {1200, B1200},   {2400, B2400},   {4800, B4800},   {9600, B9600},
    {19200, B19200}, {38400, B38400}, {57600, B57600}, {115200, B115200},
};

static bool baud_speed(int baud, speed_t *out)
{
	for (size_t i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++) {
		if (bauds[i].baud == baud) {
			*out = bauds[i].speed;
			return true;
		}
	}
	return false;
}

int scanner_spec_parse(const char *s, struct scanner_spec *out, char *err, size_t errlen)
{
	char msg[SCANNER_PATH_MAX + 64];
	memset(out, 0, sizeof(*out));
	if (!s || !*s || !strcmp(s, "wedge")) {
		out->type = SCANNER_WEDGE;
		return TALAD_OK;
	}
	const char *rest;
	if (!strncmp(s, "evdev:", 6)) {
		out->type = SCANNER_EVDEV;
		rest = s + 6;
	} else if (!strncmp(s, "serial:", 7)) {
		out->type = SCANNER_SERIAL;
		out->baud = 9600;
		rest = s + 7;
	} else {
		snprintf(msg, sizeof(msg),
		         "scanner '%.64s': expected wedge, evdev:/dev/input/eventN or "
		         "serial:/dev/ttyACM0[?baud=9600]",
		         s);
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	size_t plen = strcspn(rest, "?");
	if (plen == 0 || rest[0] != '/') {
		snprintf(msg, sizeof(msg), "scanner '%.64s': the device must be an absolute path",
		         s);
		talad_seterr(err, errlen, "%s", msg);
		return TALAD_EINVAL;
	}
	if (plen >= sizeof(out->path)) {
		talad_seterr(err, errlen, "scanner device path too long");
		return TALAD_EINVAL;
	}
	memcpy(out->path, rest, plen);
	out->path[plen] = '\0';
	const char *q = rest + plen;
	if (*q) {
		char *end = NULL;
		long b = 0;
		if (out->type == SCANNER_SERIAL && !strncmp(q, "?baud=", 6) && q[6] >= '0' &&
		    q[6] <= '9') {
			errno = 0;
			b = strtol(q + 6, &end, 10);
		}
		speed_t sp;
		if (!end || *end || errno || b > 4000000 || !baud_speed((int)b, &sp)) {
			snprintf(msg, sizeof(msg),
			         "scanner '%.64s': bad option (serial devices take ?baud=1200, "
			         "2400, 4800, 9600, 19200, 38400, 57600 or 115200)",
			         s);
			talad_seterr(err, errlen, "%s", msg);
			memset(out, 0, sizeof(*out));
			return TALAD_EINVAL;
		}
		out->baud = (int)b;
	}
	return TALAD_OK;
}

struct scanner {
	enum scanner_type type;
	int fd;
	bool own;
	bool grabbed;
	bool ended;
	struct scanner_keys keys;
	struct scanner_lines lines;
	unsigned char rbuf[64 * sizeof(struct input_event)];
	size_t rpos, rlen;
};

struct scanner *scanner_open_fd(enum scanner_type type, int fd, bool own)
{
	struct scanner *s = xcalloc(1, sizeof(*s));
	s->type = type;
	s->fd = fd;
	s->own = own;
	scanner_keys_init(&s->keys);
	scanner_lines_init(&s->lines);
	return s;
}

static int open_error(const char *path, int e, char *err, size_t errlen)
{
	char msg[SCANNER_PATH_MAX + 64];
	snprintf(msg, sizeof(msg), "cannot open scanner %s: %s", path, strerror(e));
	talad_seterr(err, errlen, "%s", msg);
	return (e == ENOENT || e == ENODEV || e == ENXIO) ? TALAD_ENOTFOUND : TALAD_EIO;
}

static int open_evdev(const struct scanner_spec *spec, struct scanner **out, char *err,
                      size_t errlen)
{
	char msg[SCANNER_PATH_MAX + 96];
	int fd = open(spec->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return open_error(spec->path, errno, err, errlen);
	int version;
	if (ioctl(fd, EVIOCGVERSION, &version) < 0) {
		snprintf(msg, sizeof(msg), "scanner %s is not an input event device", spec->path);
		talad_seterr(err, errlen, "%s", msg);
		close(fd);
		return TALAD_EIO;
	}
	/* The grab keeps the scanner's keystrokes out of the console and the
	   desktop: otherwise each scan would also be typed wherever focus is. */
	if (ioctl(fd, EVIOCGRAB, 1) < 0) {
		int e = errno;
		snprintf(msg, sizeof(msg), "cannot grab scanner %s: %s", spec->path,
		         e == EBUSY ? "another program holds it" : strerror(e));
		talad_seterr(err, errlen, "%s", msg);
		close(fd);
		return e == EBUSY ? TALAD_EBUSY : TALAD_EIO;
	}
	struct scanner *s = scanner_open_fd(SCANNER_EVDEV, fd, true);
	s->grabbed = true;
	*out = s;
	return TALAD_OK;
}

static int open_serial(const struct scanner_spec *spec, struct scanner **out, char *err,
                       size_t errlen)
{
	char msg[SCANNER_PATH_MAX + 96];
	int fd = open(spec->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return open_error(spec->path, errno, err, errlen);
	struct termios tio;
	speed_t sp = B9600;
	if (spec->baud)
		baud_speed(spec->baud, &sp);
	if (tcgetattr(fd, &tio) < 0) {
		snprintf(msg, sizeof(msg), "scanner %s is not a serial device: %s", spec->path,
		         strerror(errno));
		talad_seterr(err, errlen, "%s", msg);
		close(fd);
		return TALAD_EIO;
	}
	/* Raw: no echo, and CR must reach us as CR, not be turned into LF. */
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (cfsetispeed(&tio, sp) < 0 || cfsetospeed(&tio, sp) < 0 ||
	    tcsetattr(fd, TCSANOW, &tio) < 0) {
		snprintf(msg, sizeof(msg), "cannot set up serial scanner %s: %s", spec->path,
		         strerror(errno));
		talad_seterr(err, errlen, "%s", msg);
		close(fd);
		return TALAD_EIO;
	}
	/* Half a code left in the line from before would glue onto the first
	   scan. */
	tcflush(fd, TCIFLUSH);
	*out = scanner_open_fd(SCANNER_SERIAL, fd, true);
	return TALAD_OK;
}

int scanner_open(const struct scanner_spec *spec, struct scanner **out, char *err, size_t errlen)
{
	*out = NULL;
	switch (spec->type) {
	case SCANNER_EVDEV:
		return open_evdev(spec, out, err, errlen);
	case SCANNER_SERIAL:
		return open_serial(spec, out, err, errlen);
	case SCANNER_WEDGE:
		break;
	}
	*out = scanner_open_fd(SCANNER_WEDGE, STDIN_FILENO, false);
	return TALAD_OK;
}

int scanner_fd(const struct scanner *s)
{
	return s->fd;
}

void scanner_set_gap_ms(struct scanner *s, int64_t gap_ms)
{
	s->keys.gap_ms = gap_ms < 0 ? 0 : gap_ms;
}

/* Decodes what is buffered; stops at the first code or garbled scan. */
static int drain(struct scanner *s, char code[BARCODE_CODE_MAX], char *err, size_t errlen)
{
	if (s->type == SCANNER_EVDEV) {
		while (s->rlen - s->rpos >= sizeof(struct input_event)) {
			struct input_event ev;
			memcpy(&ev, s->rbuf + s->rpos, sizeof(ev));
			s->rpos += sizeof(ev);
			int rc = scanner_keys_feed(&s->keys, &ev, code, err, errlen);
			if (rc != SCANNER_NONE)
				return rc;
		}
	} else {
		while (s->rpos < s->rlen) {
			int rc =
			    scanner_lines_feed(&s->lines, s->rbuf[s->rpos++], code, err, errlen);
			if (rc != SCANNER_NONE)
				return rc;
		}
	}
	/* Keep a partial event at the front for the next read. */
	memmove(s->rbuf, s->rbuf + s->rpos, s->rlen - s->rpos);
	s->rlen -= s->rpos;
	s->rpos = 0;
	return SCANNER_NONE;
}

int scanner_read(struct scanner *s, int timeout_ms, char code[BARCODE_CODE_MAX], char *err,
                 size_t errlen)
{
	int64_t deadline = timeout_ms < 0 ? -1 : time_mono_ms() + timeout_ms;
	for (;;) {
		int rc = drain(s, code, err, errlen);
		if (rc != SCANNER_NONE)
			return rc;
		if (s->ended)
			return SCANNER_END;
		int wait = -1;
		if (deadline >= 0) {
			int64_t left = deadline - time_mono_ms();
			wait = left < 0 ? 0 : (int)left;
		}
		struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
		int n = poll(&pfd, 1, wait);
		if (n < 0) {
			if (errno == EINTR)
				return SCANNER_NONE;
			talad_seterr(err, errlen, "cannot wait for the scanner");
			return TALAD_EIO;
		}
		if (n == 0)
			return SCANNER_NONE;
		ssize_t got = read(s->fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			/* An unplugged USB scanner reads ENODEV; a pty or serial line
			   whose other side hung up reads EIO. */
			if (errno == ENODEV || errno == EIO) {
				s->ended = true;
				continue;
			}
			char msg[96];
			snprintf(msg, sizeof(msg), "cannot read the scanner: %s", strerror(errno));
			talad_seterr(err, errlen, "%s", msg);
			return TALAD_EIO;
		}
		if (got == 0) {
			s->ended = true;
			continue;
		}
		s->rlen += (size_t)got;
	}
}

void scanner_close(struct scanner *s)
{
	if (!s)
		return;
	if (s->grabbed)
		ioctl(s->fd, EVIOCGRAB, 0);
	if (s->own && s->fd >= 0)
		close(s->fd);
	free(s);
}
