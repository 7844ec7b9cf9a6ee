/* Unit tests for the printer transports against fake printers: a thread on
 * 127.0.0.1 that captures a job and answers DLE EOT with scripted status
 * bytes (ready, paper out, cover open, silent), one that accepts and never
 * reads (the write timeout must fire), a serial printer on a pseudo-terminal
 * pair, and files. */
#include "../lib/escpos_decode.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "hw/escpos.h"
#include "hw/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* Status replies: bits 1 and 4 always set. */
static const uint8_t READY[4] = {0x12, 0x12, 0x12, 0x12};
static const uint8_t PAPER_OUT[4] = {0x12, 0x32, 0x12, 0x72};
static const uint8_t COVER_OPEN[4] = {0x1a, 0x16, 0x12, 0x12};

struct fake {
	int lfd; /* listening socket, or -1 for a pty */
	int fd;  /* the pty master, or the accepted connection */
	int port;
	uint8_t answers[4];
	bool silent;     /* never answers DLE EOT */
	bool never_read; /* accepts, then reads nothing */
	bool overflow;   /* capture or answer failed (no cmocka asserts off the
	                    main thread) */
	volatile int stop;
	int queries;
	struct buf captured; /* the job, DLE EOT queries taken out */
	pthread_t th;
};

/* Reads until EOF or the stop flag, answering every
 * DLE EOT n with answers[n-1]. The three bytes of a query may arrive split
 * across reads. */
static void serve(struct fake *f)
{
	uint8_t pending[3];
	size_t npending = 0;

	for (;;) {
		uint8_t chunk[4096];
		struct pollfd p = {f->fd, POLLIN, 0};
		ssize_t n, i;
		int r = poll(&p, 1, 100);

		if (f->stop)
			return;
		if (r == 0)
			continue;
		n = read(f->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EOF, or EIO on a pty master when the slave closes */
		for (i = 0; i < n; i++) {
			uint8_t b = chunk[i];

			if (npending == 0 && b != 0x10) {
				if (buf_append(&f->captured, &b, 1) != TALAD_OK)
					f->overflow = true;
				continue;
			}
			pending[npending++] = b;
			if (npending == 2 && b != 0x04) {
				if (buf_append(&f->captured, pending, 2) != TALAD_OK)
					f->overflow = true;
				npending = 0;
			} else if (npending == 3) {
				npending = 0;
				if (b >= 1 && b <= 4) {
					f->queries++;
					if (!f->silent && write(f->fd, &f->answers[b - 1], 1) != 1)
						f->overflow = true;
				} else if (buf_append(&f->captured, pending, 3) != TALAD_OK) {
					f->overflow = true;
				}
			}
		}
	}
}

static void *tcp_thread(void *arg)
{
	struct fake *f = arg;
	struct pollfd p = {f->lfd, POLLIN, 0};

	while (!f->stop && poll(&p, 1, 100) == 0)
		;
	if (f->stop)
		return NULL;
	f->fd = accept(f->lfd, NULL, NULL);
	if (f->fd < 0)
		return NULL;
	if (f->never_read) {
		while (!f->stop)
			usleep(10000);
	} else {
		serve(f);
	}
	close(f->fd);
	f->fd = -1;
	return NULL;
}

static void *pty_thread(void *arg)
{
	serve(arg);
	return NULL;
}

static int listen_loopback(int backlog, int *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void fake_start_tcp(struct fake *f, const uint8_t answers[4])
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	memcpy(f->answers, answers, 4);
	buf_init(&f->captured, 64u << 20);
	f->lfd = listen_loopback(4, &f->port);
	assert_int_equal(pthread_create(&f->th, NULL, tcp_thread, f), 0);
}

static void fake_finish(struct fake *f)
{
	pthread_join(f->th, NULL);
	if (f->lfd >= 0)
		close(f->lfd);
	buf_release(&f->captured);
}

static void fake_stop(struct fake *f)
{
	f->stop = 1;
	fake_finish(f);
}

/* A small receipt-like job: text, a drawer kick, a cut. */
static void make_job(struct buf *job)
{
	buf_init(job, 1 << 16);
	assert_int_equal(escpos_init(job), TALAD_OK);
	assert_int_equal(escpos_codepage(job, 21), TALAD_OK);
	assert_int_equal(escpos_text(job, "ยอดสุทธิ 45.00", "CP874"), TALAD_OK);
	assert_int_equal(buf_puts(job, "\n"), TALAD_OK);
	assert_int_equal(escpos_drawer_kick(job, 2, 100), TALAD_OK);
	assert_int_equal(escpos_cut(job), TALAD_OK);
}

static void check_captured(const struct fake *f)
{
	const struct buf *captured = &f->captured;
	struct escpos_doc doc;
	char err[128];

	assert_false(f->overflow);
	if (escpos_decode((const uint8_t *)captured->data, captured->len, "CP874", &doc, err,
	                  sizeof(err)))
		fail_msg("captured job does not decode: %s", err);
	assert_int_equal(doc.nlines, 1);
	assert_string_equal(doc.lines[0].text, "ยอดสุทธิ 45.00");
	assert_int_equal(doc.nkicks, 1);
	assert_int_equal(doc.cuts, 1);
	escpos_doc_free(&doc);
}

static void test_parse_uri(void **state)
{
	struct transport_uri u;
	char err[256];
	static const char *const bad[] = {
	    "",
	    "http://printer",
	    "tcp://",
	    "tcp://:9100",
	    "tcp://host:0",
	    "tcp://host:99999",
	    "tcp://host:91x",
	    "tcp://host/path",
	    "tcp://[::1",
	    "serial:",
	    "serial:/dev/ttyS0?baud=fast",
	    "serial:/dev/ttyS0?speed=9600",
	    "usb:",
	    "file:",
	};
	size_t i;

	(void)state;
	assert_int_equal(transport_parse_uri("tcp://192.168.1.50", &u, err, sizeof(err)), TALAD_OK);
	assert_int_equal(u.kind, TRANSPORT_TCP);
	assert_string_equal(u.host, "192.168.1.50");
	assert_int_equal(u.port, 9100);
	assert_int_equal(transport_parse_uri("tcp://[::1]:9101", &u, err, sizeof(err)), TALAD_OK);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 9101);
	assert_int_equal(transport_parse_uri("tcp://printer.local:9100", &u, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(u.host, "printer.local");
	assert_int_equal(
	    transport_parse_uri("serial:/dev/rfcomm0?baud=115200", &u, err, sizeof(err)), TALAD_OK);
	assert_int_equal(u.kind, TRANSPORT_SERIAL);
	assert_string_equal(u.path, "/dev/rfcomm0");
	assert_int_equal(u.baud, 115200);
	assert_int_equal(transport_parse_uri("serial:/dev/ttyUSB0", &u, err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(u.baud, 9600);
	assert_int_equal(transport_parse_uri("usb:/dev/usb/lp0", &u, err, sizeof(err)), TALAD_OK);
	assert_int_equal(u.kind, TRANSPORT_USB);
	assert_string_equal(u.path, "/dev/usb/lp0");
	assert_int_equal(transport_parse_uri("file:///tmp/job.bin", &u, err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(u.kind, TRANSPORT_FILE);
	assert_string_equal(u.path, "/tmp/job.bin");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (transport_parse_uri(bad[i], &u, err, sizeof(err)) != TALAD_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_true(err[0] != '\0');
	}
	transport_parse_uri("lpt:1", &u, err, sizeof(err));
	assert_non_null(strstr(err, "use tcp://"));
}

static void test_tcp_ready(void **state)
{
	struct fake f;
	struct buf job;
	struct escpos_status st;
	char uri[64], err[256];

	(void)state;
	fake_start_tcp(&f, READY);
	make_job(&job);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f.port);
	if (transport_send(uri, job.data, job.len, 2000, &st, err, sizeof(err)) != TALAD_OK)
		fail_msg("send: %s", err);
	assert_true(st.known);
	assert_false(escpos_status_blocking(&st));
	fake_finish(&f);
	buf_release(&job);
}

/* The same, checking what the printer received. */
static void test_tcp_job_captured(void **state)
{
	struct fake f;
	struct buf job;
	char uri[64], err[256];

	(void)state;
	fake_start_tcp(&f, READY);
	make_job(&job);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f.port);
	if (transport_send(uri, job.data, job.len, 2000, NULL, err, sizeof(err)) != TALAD_OK)
		fail_msg("send: %s", err);
	pthread_join(f.th, NULL);
	assert_int_equal(f.queries, 4);
	assert_int_equal(f.captured.len, job.len);
	assert_memory_equal(f.captured.data, job.data, job.len);
	check_captured(&f);
	close(f.lfd);
	buf_release(&f.captured);
	buf_release(&job);
}

static void refused(const uint8_t answers[4], const char *words)
{
	struct fake f;
	struct buf job;
	struct escpos_status st;
	char uri[64], err[256];

	fake_start_tcp(&f, answers);
	make_job(&job);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f.port);
	assert_int_equal(transport_send(uri, job.data, job.len, 2000, &st, err, sizeof(err)),
	                 TALAD_EREFUSED);
	assert_true(escpos_status_blocking(&st));
	assert_non_null(strstr(err, words));
	pthread_join(f.th, NULL);
	/* Nothing of the job reached a printer that cannot print it. */
	assert_int_equal(f.captured.len, 0);
	close(f.lfd);
	buf_release(&f.captured);
	buf_release(&job);
}

static void test_tcp_paper_out(void **state)
{
	(void)state;
	refused(PAPER_OUT, "reports paper out");
}

static void test_tcp_cover_open(void **state)
{
	(void)state;
	refused(COVER_OPEN, "reports cover open, offline");
}

/* A printer that does not answer DLE EOT is printed to anyway, after a
 * bounded wait, and transport_status says it timed out. */
static void test_tcp_silent(void **state)
{
	struct fake f;
	struct buf job;
	struct escpos_status st;
	struct transport *t;
	char uri[64], err[256];
	int64_t t0;

	(void)state;
	fake_start_tcp(&f, READY);
	f.silent = true;
	make_job(&job);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f.port);
	t0 = time_mono_ms();
	if (transport_send(uri, job.data, job.len, 300, &st, err, sizeof(err)) != TALAD_OK)
		fail_msg("send: %s", err);
	assert_true(time_mono_ms() - t0 < 2000);
	assert_false(st.known);
	pthread_join(f.th, NULL);
	check_captured(&f);
	close(f.lfd);
	buf_release(&f.captured);

	fake_start_tcp(&f, READY);
	f.silent = true;
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f.port);
	assert_int_equal(transport_open(uri, 1000, &t, err, sizeof(err)), TALAD_OK);
	assert_true(transport_can_read(t));
	assert_int_equal(transport_status(t, 200, &st, err, sizeof(err)), TALAD_ETIMEOUT);
	assert_false(st.known);
	assert_non_null(strstr(err, "did not answer"));
	transport_close(t);
	fake_finish(&f);
	buf_release(&job);
}

/* A printer that accepts and never reads: the write gives up after the
 * timeout instead of hanging the till. */
static void test_tcp_write_timeout(void **state)
{
	struct fake f;
	struct transport *t;
	size_t len = 64u << 20;
	char *big = calloc(1, len);
	char uri[64], err[256];
	int64_t t0;
	int rc;

	(void)state;
	assert_non_null(big);
	fake_start_tcp(&f, READY);
	f.never_read = true;
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f.port);
	assert_int_equal(transport_open(uri, 1000, &t, err, sizeof(err)), TALAD_OK);
	t0 = time_mono_ms();
	rc = transport_write(t, big, len, 300, err, sizeof(err));
	assert_int_equal(rc, TALAD_ETIMEOUT);
	assert_non_null(strstr(err, "stopped taking data"));
	assert_true(time_mono_ms() - t0 < 5000);
	transport_close(t);
	fake_stop(&f);
	free(big);
}

static void test_tcp_refused_and_connect_timeout(void **state)
{
	struct transport *t = NULL;
	int port, lfd, i, fds[8];
	char uri[64], err[256];
	int64_t t0;
	int rc;

	(void)state;
	/* A port nobody listens on: refused at once. */
	lfd = listen_loopback(1, &port);
	close(lfd);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", port);
	assert_int_equal(transport_open(uri, 1000, &t, err, sizeof(err)), TALAD_EIO);
	assert_null(t);
	assert_non_null(strstr(err, "refused"));

	/* A listener whose accept queue is full drops new connections' SYNs:
	 * the connect must give up at the timeout. */
	lfd = listen_loopback(0, &port);
	for (i = 0; i < 8; i++) {
		struct sockaddr_in a;
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		(void)connect(fds[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(50000);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", port);
	t0 = time_mono_ms();
	rc = transport_open(uri, 300, &t, err, sizeof(err));
	assert_int_equal(rc, TALAD_ETIMEOUT);
	assert_non_null(strstr(err, "did not answer within 300 ms"));
	assert_true(time_mono_ms() - t0 < 2000);
	for (i = 0; i < 8; i++)
		close(fds[i]);
	close(lfd);
}

static void pty_pair(struct fake *f, const uint8_t answers[4], char *uri, size_t urilen)
{
	const char *name;

	memset(f, 0, sizeof(*f));
	f->lfd = -1;
	memcpy(f->answers, answers, 4);
	buf_init(&f->captured, 1 << 20);
	f->fd = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(f->fd >= 0);
	assert_int_equal(grantpt(f->fd), 0);
	assert_int_equal(unlockpt(f->fd), 0);
	name = ptsname(f->fd);
	assert_non_null(name);
	snprintf(uri, urilen, "serial:%s?baud=115200", name);
}

/* A serial (Bluetooth SPP) printer on a pseudo-terminal: status answered,
 * the job captured byte for byte through the raw termios settings. */
static void test_serial_pty(void **state)
{
	struct fake f;
	struct buf job;
	struct escpos_status st;
	struct transport *t;
	char uri[128], err[256], words[128];
	int slave_keep;

	(void)state;
	pty_pair(&f, READY, uri, sizeof(uri));
	/* Keep a slave open so the master does not see a hang-up between the
	 * status query and the job. */
	slave_keep = open(ptsname(f.fd), O_RDWR | O_NOCTTY);
	assert_true(slave_keep >= 0);
	assert_int_equal(pthread_create(&f.th, NULL, pty_thread, &f), 0);
	make_job(&job);
	if (transport_send(uri, job.data, job.len, 2000, &st, err, sizeof(err)) != TALAD_OK)
		fail_msg("send: %s", err);
	assert_true(st.known);
	/* Wait until the fake has read everything, then stop it. */
	for (int i = 0; i < 200 && f.captured.len < job.len; i++)
		usleep(10000);
	f.stop = 1;
	pthread_join(f.th, NULL);
	assert_int_equal(f.queries, 4);
	assert_int_equal(f.captured.len, job.len);
	assert_memory_equal(f.captured.data, job.data, job.len);
	check_captured(&f);
	buf_release(&f.captured);

	/* The same port reporting paper out. */
	memcpy(f.answers, PAPER_OUT, 4);
	buf_init(&f.captured, 1 << 20);
	f.stop = 0;
	f.queries = 0;
	assert_int_equal(pthread_create(&f.th, NULL, pty_thread, &f), 0);
	assert_int_equal(transport_open(uri, 1000, &t, err, sizeof(err)), TALAD_OK);
	assert_int_equal(transport_kind(t), TRANSPORT_SERIAL);
	assert_int_equal(transport_status(t, 1000, &st, err, sizeof(err)), TALAD_OK);
	escpos_status_words(&st, words, sizeof(words));
	assert_string_equal(words, "paper out");
	transport_close(t);
	f.stop = 1;
	pthread_join(f.th, NULL);
	buf_release(&f.captured);
	close(slave_keep);
	close(f.fd);
	buf_release(&job);
}

/* Files and USB nodes: written, never asked for status. */
static void test_file_and_usb(void **state)
{
	char path[] = "/tmp/talad-test-printer-XXXXXX";
	char uri[128], err[256], got[64];
	struct escpos_status st;
	struct transport *t;
	int fd = mkstemp(path);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(uri, sizeof(uri), "file:%s", path);
	assert_int_equal(transport_send(uri, "job1\n", 5, 1000, &st, err, sizeof(err)), TALAD_OK);
	assert_false(st.known);
	assert_int_equal(transport_send(uri, "job2\n", 5, 1000, NULL, err, sizeof(err)), TALAD_OK);
	fd = open(path, O_RDONLY);
	n = read(fd, got, sizeof(got));
	close(fd);
	unlink(path);
	assert_int_equal(n, 10);
	assert_memory_equal(got, "job1\njob2\n", 10);

	assert_int_equal(transport_open("usb:/dev/null", 1000, &t, err, sizeof(err)), TALAD_OK);
	assert_false(transport_can_read(t));
	assert_int_equal(transport_status(t, 100, &st, err, sizeof(err)), TALAD_OK);
	assert_false(st.known);
	escpos_status_words(&st, got, sizeof(got));
	assert_string_equal(got, "unknown");
	assert_int_equal(transport_write(t, "x", 1, 100, err, sizeof(err)), TALAD_OK);
	transport_close(t);

	assert_int_equal(transport_open("usb:/nonexistent/lp0", 1000, &t, err, sizeof(err)),
	                 TALAD_EIO);
	assert_string_equal(err, "cannot open printer /nonexistent/lp0: No such file or directory");
	assert_int_equal(transport_open("serial:/dev/null?baud=12345", 1000, &t, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_string_equal(err, "unsupported baud rate 12345 for /dev/null");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_uri),
	    cmocka_unit_test(test_tcp_ready),
	    cmocka_unit_test(test_tcp_job_captured),
	    cmocka_unit_test(test_tcp_paper_out),
	    cmocka_unit_test(test_tcp_cover_open),
	    cmocka_unit_test(test_tcp_silent),
	    cmocka_unit_test(test_tcp_write_timeout),
	    cmocka_unit_test(test_tcp_refused_and_connect_timeout),
	    cmocka_unit_test(test_serial_pty),
	    cmocka_unit_test(test_file_and_usb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
