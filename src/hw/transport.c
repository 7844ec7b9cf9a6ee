/* Printer transports over file descriptors: non-blocking TCP with a connect
 * timeout, raw termios serial ports (Bluetooth SPP shows up as one), USB
 * printer nodes and plain files, every wait bounded by poll(). */
#include "hw/transport.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <termios.h>
#include <unistd.h>

struct transport {
	enum transport_kind kind;
	int fd;
	char name[TRANSPORT_PATH_MAX + 16]; /* for messages: "192.168.1.50:9100" */
};

static int parse_int(const char *s, size_t len, long lo, long hi, int *out)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 9)
		return TALAD_EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return TALAD_EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return TALAD_EINVAL;
	*out = (int)v;
	return TALAD_OK;
}

static int parse_tcp(const char *rest, struct transport_uri *u, char *err, size_t errlen)
{
	const char *host = rest, *port = NULL;
	size_t hlen;

	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');
		if (!close) {
			talad_seterr(err, errlen, "bad printer address: missing ]");
			return TALAD_EINVAL;
		}
		host = rest + 1;
		hlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0') {
			talad_seterr(err, errlen, "bad printer address after ]");
			return TALAD_EINVAL;
		}
	} else {
		const char *colon = strchr(rest, ':');
		hlen = colon ? (size_t)(colon - rest) : strlen(rest);
		if (colon)
			port = colon + 1;
	}
	/* A trailing slash is what people type after a URL; anything more is
	 * not an address. */
	if (port && port[0] && port[strlen(port) - 1] == '/') {
		talad_seterr(err, errlen, "bad printer port: %s", port);
		return TALAD_EINVAL;
	}
	if (hlen == 0 || hlen >= sizeof(u->host) || memchr(host, '/', hlen)) {
		talad_seterr(err, errlen, "bad printer host in tcp:// address");
		return TALAD_EINVAL;
	}
	memcpy(u->host, host, hlen);
	u->host[hlen] = '\0';
	u->port = TRANSPORT_DEFAULT_PORT;
	if (port && parse_int(port, strlen(port), 1, 65535, &u->port) != TALAD_OK) {
		talad_seterr(err, errlen, "bad printer port: %s", port);
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

static int parse_path(const char *rest, struct transport_uri *u, bool query, char *err,
                      size_t errlen)
{
	const char *q = query ? strchr(rest, '?') : NULL;
	size_t plen = q ? (size_t)(q - rest) : strlen(rest);

	/* "serial:///dev/x" and "file:///tmp/x" are common spellings too. */
	if (strncmp(rest, "//", 2) == 0 && plen > 2) {
		rest += 2;
		plen -= 2;
	}
	if (plen == 0 || plen >= sizeof(u->path)) {
		talad_seterr(err, errlen, "printer path is empty or too long");
		return TALAD_EINVAL;
	}
	memcpy(u->path, rest, plen);
	u->path[plen] = '\0';
	if (q) {
		if (strncmp(q, "?baud=", 6) != 0 ||
		    parse_int(q + 6, strlen(q + 6), 50, 4000000, &u->baud) != TALAD_OK) {
			talad_seterr(err, errlen, "bad serial option %s (use ?baud=9600)", q);
			return TALAD_EINVAL;
		}
	}
	return TALAD_OK;
}

int transport_parse_uri(const char *uri, struct transport_uri *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->baud = TRANSPORT_DEFAULT_BAUD;
	if (!uri || !*uri) {
		talad_seterr(err, errlen, "no printer address given");
		return TALAD_EINVAL;
	}
	if (strncmp(uri, "tcp://", 6) == 0) {
		out->kind = TRANSPORT_TCP;
		return parse_tcp(uri + 6, out, err, errlen);
	}
	if (strncmp(uri, "serial:", 7) == 0) {
		out->kind = TRANSPORT_SERIAL;
		return parse_path(uri + 7, out, true, err, errlen);
	}
	if (strncmp(uri, "usb:", 4) == 0) {
		out->kind = TRANSPORT_USB;
		return parse_path(uri + 4, out, false, err, errlen);
	}
	if (strncmp(uri, "file:", 5) == 0) {
		out->kind = TRANSPORT_FILE;
		return parse_path(uri + 5, out, false, err, errlen);
	}
	talad_seterr(err, errlen,
	             "unknown printer address %s (use tcp://HOST[:PORT], serial:/dev/X, "
	             "usb:/dev/usb/lp0 or file:PATH)",
	             uri);
	return TALAD_EINVAL;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return TALAD_EIO;
	return TALAD_OK;
}

/* Waits for events on fd for at most ms; returns 1 ready, 0 timeout, -1
 * error. Signals do not shorten the wait. */
static int wait_fd(int fd, short events, int ms)
{
	int64_t deadline = time_mono_ms() + ms;

	for (;;) {
		struct pollfd p = {fd, events, 0};
		int64_t left = deadline - time_mono_ms();
		int r;

		if (left < 0)
			left = 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static int open_tcp(struct transport *t, const struct transport_uri *u, int timeout_ms, char *err,
                    size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int rc = TALAD_EIO, gai, last_errno = 0;
	bool timed_out = false;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", u->port);
	gai = getaddrinfo(u->host, port, &hints, &res);
	if (gai != 0) {
		talad_seterr(err, errlen, "cannot find printer %s: %s", t->name, gai_strerror(gai));
		return TALAD_EIO;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		int r, soerr = 0;
		socklen_t slen = sizeof(soerr);

		if (fd < 0) {
			last_errno = errno;
			continue;
		}
		if (set_nonblock(fd) != TALAD_OK) {
			last_errno = errno;
			close(fd);
			continue;
		}
		r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (r < 0 && errno == EINPROGRESS) {
			r = wait_fd(fd, POLLOUT, timeout_ms);
			if (r == 0) {
				timed_out = true;
				close(fd);
				continue;
			}
			if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0)
				soerr = errno;
			if (soerr) {
				last_errno = soerr;
				close(fd);
				continue;
			}
		} else if (r < 0) {
			last_errno = errno;
			close(fd);
			continue;
		}
		t->fd = fd;
		rc = TALAD_OK;
		break;
	}
	freeaddrinfo(res);
	if (rc != TALAD_OK) {
		if (timed_out && !last_errno) {
			talad_seterr(err, errlen, "printer %s did not answer within %d ms", t->name,
			             timeout_ms);
			rc = TALAD_ETIMEOUT;
		} else {
			talad_seterr(err, errlen, "cannot connect to printer %s: %s", t->name,
			             strerror(last_errno ? last_errno : ETIMEDOUT));
		}
	}
	return rc;
}

static speed_t baud_speed(int baud)
{
	switch (baud) {
	case 1200:
		return B1200;
	case 2400:
		return B2400;
	case 4800:
		return B4800;
	case 9600:
		return B9600;
	case 19200:
		return B19200;
	case 38400:
		return B38400;
	case 57600:
		return B57600;
	case 115200:
		return B115200;
	case 230400:
		return B230400;
	case 460800:
		return B460800;
	case 921600:
		return B921600;
	}
	return (speed_t)0;
}

/* Raw 8N1, no flow control: ESC/POS is binary, and a printer that holds
 * CTS low forever would otherwise stall the write past any timeout. */
static int setup_serial(int fd, int baud, const char *path, char *err, size_t errlen)
{
	struct termios tio;
	speed_t sp = baud_speed(baud);

	if (sp == 0) {
		talad_seterr(err, errlen, "unsupported baud rate %d for %s", baud, path);
		return TALAD_EINVAL;
	}
	if (!isatty(fd))
		return TALAD_OK; /* a FIFO or a plain file stands in for a port */
	if (tcgetattr(fd, &tio) < 0) {
		talad_seterr(err, errlen, "cannot read settings of %s: %s", path, strerror(errno));
		return TALAD_EIO;
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~(tcflag_t)(CRTSCTS | CSTOPB | PARENB);
	tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (cfsetispeed(&tio, sp) < 0 || cfsetospeed(&tio, sp) < 0 ||
	    tcsetattr(fd, TCSANOW, &tio) < 0) {
		talad_seterr(err, errlen, "cannot set up %s: %s", path, strerror(errno));
		return TALAD_EIO;
	}
	return TALAD_OK;
}

int transport_open(const char *uri, int timeout_ms, struct transport **out, char *err,
                   size_t errlen)
{
	struct transport_uri u;
	struct transport *t;
	int rc, flags;

	*out = NULL;
	if ((rc = transport_parse_uri(uri, &u, err, errlen)) != TALAD_OK)
		return rc;
	if (timeout_ms <= 0)
		timeout_ms = TRANSPORT_TIMEOUT_MS;
	t = xcalloc(1, sizeof(*t));
	t->kind = u.kind;
	t->fd = -1;
	if (u.kind == TRANSPORT_TCP) {
		bool v6 = strchr(u.host, ':') != NULL;
		snprintf(t->name, sizeof(t->name), "%s%s%s:%d", v6 ? "[" : "", u.host,
		         v6 ? "]" : "", u.port);
		rc = open_tcp(t, &u, timeout_ms, err, errlen);
		goto done;
	}
	snprintf(t->name, sizeof(t->name), "%s", u.path);
	switch (u.kind) {
	case TRANSPORT_SERIAL:
		flags = O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
		break;
	case TRANSPORT_USB:
		flags = O_WRONLY | O_NONBLOCK | O_CLOEXEC;
		break;
	default:
		flags = O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC;
		break;
	}
	t->fd = open(u.path, flags, 0644);
	if (t->fd < 0) {
		talad_seterr(err, errlen, "cannot open printer %s: %s", u.path, strerror(errno));
		rc = TALAD_EIO;
		goto done;
	}
	rc = TALAD_OK;
	if (u.kind == TRANSPORT_SERIAL)
		rc = setup_serial(t->fd, u.baud, u.path, err, errlen);
done:
	if (rc != TALAD_OK) {
		transport_close(t);
		return rc;
	}
	*out = t;
	return TALAD_OK;
}

static void drain(struct transport *t);

void transport_close(struct transport *t)
{
	if (!t)
		return;
	if (t->fd >= 0 && t->kind == TRANSPORT_TCP) {
		/* Unread bytes from the printer would make close() reset the
		 * connection and could drop the end of the job still queued
		 * in the kernel: read them first, then close gracefully. */
		drain(t);
		(void)shutdown(t->fd, SHUT_WR);
	}
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

enum transport_kind transport_kind(const struct transport *t)
{
	return t->kind;
}

bool transport_can_read(const struct transport *t)
{
	return t->kind == TRANSPORT_TCP || t->kind == TRANSPORT_SERIAL;
}

/* A serial port holds bytes in the driver; wait until they have gone out,
 * so closing the port does not drop the end of a job. tcdrain() would do it
 * but can wait forever on a stalled Bluetooth link: poll the queue instead,
 * for as long as it keeps moving. */
static int drain_output(struct transport *t, int timeout_ms, char *err, size_t errlen)
{
	int64_t stalled_since = time_mono_ms();
	int last = -1;

	for (;;) {
		int queued = 0;

		if (ioctl(t->fd, TIOCOUTQ, &queued) < 0 || queued <= 0)
			return TALAD_OK;
		if (queued != last) {
			last = queued;
			stalled_since = time_mono_ms();
		} else if (time_mono_ms() - stalled_since > timeout_ms) {
			talad_seterr(err, errlen,
			             "printer %s stopped taking data for %d ms (%d bytes left)",
			             t->name, timeout_ms, queued);
			return TALAD_ETIMEOUT;
		}
		usleep(5000);
	}
}

int transport_write(struct transport *t, const void *data, size_t len, int timeout_ms, char *err,
                    size_t errlen)
{
	const char *p = data;

	if (timeout_ms <= 0)
		timeout_ms = TRANSPORT_TIMEOUT_MS;
	while (len > 0) {
		ssize_t n;
		int r;

		if (t->kind == TRANSPORT_TCP)
			n = send(t->fd, p, len, MSG_NOSIGNAL);
		else
			n = write(t->fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			talad_seterr(err, errlen, "cannot write to printer %s: %s", t->name,
			             strerror(errno));
			return TALAD_EIO;
		}
		r = wait_fd(t->fd, POLLOUT, timeout_ms);
		if (r == 0) {
			talad_seterr(err, errlen, "printer %s stopped taking data for %d ms",
			             t->name, timeout_ms);
			return TALAD_ETIMEOUT;
		}
		if (r < 0) {
			talad_seterr(err, errlen, "cannot write to printer %s: %s", t->name,
			             strerror(errno));
			return TALAD_EIO;
		}
	}
	if (t->kind == TRANSPORT_SERIAL && isatty(t->fd))
		return drain_output(t, timeout_ms, err, errlen);
	return TALAD_OK;
}

int transport_read(struct transport *t, void *data, size_t len, int timeout_ms, size_t *got)
{
	*got = 0;
	if (!transport_can_read(t))
		return TALAD_ESTATE;
	for (;;) {
		ssize_t n;
		int r = wait_fd(t->fd, POLLIN, timeout_ms < 0 ? 0 : timeout_ms);

		if (r == 0)
			return TALAD_ETIMEOUT;
		if (r < 0)
			return TALAD_EIO;
		n = read(t->fd, data, len);
		if (n > 0) {
			*got = (size_t)n;
			return TALAD_OK;
		}
		if (n == 0)
			return TALAD_EIO; /* the printer closed the connection */
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return TALAD_EIO;
		/* A pty reports POLLIN with nothing to read after a hang-up
		 * race; do not spin: the next poll waits again. */
		if (errno == EAGAIN)
			return TALAD_ETIMEOUT;
	}
}

/* Drops bytes the printer sent unasked (automatic status back, answers to
 * an earlier query that came late), so they are not taken as answers. */
static void drain(struct transport *t)
{
	uint8_t junk[64];
	size_t got;
	int i;

	for (i = 0; i < 64; i++)
		if (transport_read(t, junk, sizeof(junk), 0, &got) != TALAD_OK)
			break;
}

int transport_status(struct transport *t, int timeout_ms, struct escpos_status *st, char *err,
                     size_t errlen)
{
	int n, rc;

	memset(st, 0, sizeof(*st));
	if (!transport_can_read(t))
		return TALAD_OK;
	if (timeout_ms <= 0)
		timeout_ms = 1000;
	drain(t);
	for (n = 1; n <= 4; n++) {
		struct buf q = BUF_INIT(8);
		int64_t deadline;

		rc = escpos_status_query(&q, n);
		if (rc == TALAD_OK)
			rc = transport_write(t, q.data, q.len, timeout_ms, err, errlen);
		buf_release(&q);
		if (rc != TALAD_OK)
			goto fail;
		/* Skip bytes that are not status replies (some printers send
		 * XON/XOFF or ASB blocks); stop at the deadline. */
		deadline = time_mono_ms() + timeout_ms;
		for (;;) {
			uint8_t byte;
			size_t got;
			int64_t left = deadline - time_mono_ms();

			if (left <= 0) {
				rc = TALAD_ETIMEOUT;
				break;
			}
			rc = transport_read(t, &byte, 1, (int)left, &got);
			if (rc != TALAD_OK)
				break;
			if (escpos_status_parse(n, byte, st) == TALAD_OK)
				break;
		}
		if (rc == TALAD_ETIMEOUT) {
			talad_seterr(err, errlen, "printer %s did not answer the status query",
			             t->name);
			goto fail;
		}
		if (rc != TALAD_OK) {
			talad_seterr(err, errlen, "printer %s closed the connection", t->name);
			goto fail;
		}
	}
	return TALAD_OK;
fail:
	/* Half an answer is not a status: a caller must not print into a
	 * printer that only told us it is online. */
	memset(st, 0, sizeof(*st));
	return rc;
}

int transport_send(const char *uri, const void *job, size_t len, int timeout_ms,
                   struct escpos_status *st, char *err, size_t errlen)
{
	struct transport *t = NULL;
	struct escpos_status local;
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (timeout_ms <= 0)
		timeout_ms = TRANSPORT_TIMEOUT_MS;
	rc = transport_open(uri, timeout_ms, &t, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	if (transport_can_read(t)) {
		/* Not every printer answers DLE EOT (some network interfaces
		 * swallow it): silence means "unknown", and we print. */
		int s = transport_status(t, timeout_ms < 1000 ? timeout_ms : 1000, st, NULL, 0);
		if (s == TALAD_EIO) {
			talad_seterr(err, errlen, "printer %s closed the connection", t->name);
			rc = TALAD_EIO;
			goto out;
		}
		if (escpos_status_blocking(st)) {
			char words[128];
			escpos_status_words(st, words, sizeof(words));
			talad_seterr(err, errlen, "printer %s reports %s", t->name, words);
			rc = TALAD_EREFUSED;
			goto out;
		}
	}
	rc = transport_write(t, job, len, timeout_ms, err, errlen);
out:
	transport_close(t);
	return rc;
}
