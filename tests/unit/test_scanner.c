/* Unit tests for hw/scanner: recorded evdev input_event streams (with scan
 * codes, SYN reports, shift, repeats and releases) decode to the right codes,
 * the line decoder handles CR, LF and CRLF, and the device reader works
 * over a pipe (evdev events split across reads) and a pseudo-terminal pair
 * (a serial scanner). */
#include "common/err.h"
#include "hw/scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define KEY(c, v)                                                                                  \
	{                                                                                          \
		.type = EV_KEY, .code = (c), .value = (v)                                          \
	}
#define MSC(s)                                                                                     \
	{                                                                                          \
		.type = EV_MSC, .code = MSC_SCAN, .value = (s)                                     \
	}
#define SYN                                                                                        \
	{                                                                                          \
		.type = EV_SYN, .code = SYN_REPORT, .value = 0                                     \
	}
#define PRESS(c)   MSC(0x70000 + (c)), KEY(c, 1), SYN
#define RELEASE(c) MSC(0x70000 + (c)), KEY(c, 0), SYN
#define TAP(c)     PRESS(c), RELEASE(c)
#define NEV(a)     (sizeof(a) / sizeof((a)[0]))

/* Feeds events; collects every code and garbled-scan message in order. */
struct outcome {
	char codes[8][BARCODE_CODE_MAX];
	size_t ncodes;
	char errors[8][128];
	size_t nerrors;
	char order[16]; /* 'c' code, 'e' error */
};

static void replay(struct scanner_keys *k, const struct input_event *ev, size_t n,
                   struct outcome *o)
{
	for (size_t i = 0; i < n; i++) {
		char code[BARCODE_CODE_MAX];
		char err[128] = "";
		int rc = scanner_keys_feed(k, &ev[i], code, err, sizeof(err));
		if (rc == SCANNER_CODE) {
			assert_true(o->ncodes < 8);
			strcpy(o->codes[o->ncodes++], code);
			strcat(o->order, "c");
		} else if (rc == TALAD_EINVAL) {
			assert_true(o->nerrors < 8);
			strcpy(o->errors[o->nerrors++], err);
			strcat(o->order, "e");
		} else {
			assert_int_equal(rc, SCANNER_NONE);
		}
	}
}

static void test_keys_ean13(void **state)
{
	(void)state;
	/* A scanner typing 4006381333931 + Enter, as evtest records it. */
	static const struct input_event ev[] = {
	    TAP(KEY_4), TAP(KEY_0), TAP(KEY_0), TAP(KEY_6), TAP(KEY_3), TAP(KEY_8), TAP(KEY_1),
	    TAP(KEY_3), TAP(KEY_3), TAP(KEY_3), TAP(KEY_9), TAP(KEY_3), TAP(KEY_1), TAP(KEY_ENTER),
	};
	struct scanner_keys k;
	struct outcome o = {0};
	scanner_keys_init(&k);
	replay(&k, ev, NEV(ev), &o);
	assert_string_equal(o.order, "c");
	assert_string_equal(o.codes[0], "4006381333931");
}

static void test_keys_shift_and_repeat(void **state)
{
	(void)state;
	static const struct input_event ev[] = {
	    /* "Sku-A_1" : left shift around S, right shift around A and _,
	       the shift key itself auto-repeating while held. */
	    PRESS(KEY_LEFTSHIFT),
	    KEY(KEY_LEFTSHIFT, 2),
	    TAP(KEY_S),
	    RELEASE(KEY_LEFTSHIFT),
	    TAP(KEY_K),
	    TAP(KEY_U),
	    TAP(KEY_MINUS),
	    PRESS(KEY_RIGHTSHIFT),
	    TAP(KEY_A),
	    KEY(KEY_RIGHTSHIFT, 2),
	    KEY(KEY_RIGHTSHIFT, 2),
	    TAP(KEY_MINUS),
	    RELEASE(KEY_RIGHTSHIFT),
	    /* The 1 key held long enough to auto-repeat: one 1, not four. */
	    PRESS(KEY_1),
	    KEY(KEY_1, 2),
	    SYN,
	    KEY(KEY_1, 2),
	    SYN,
	    KEY(KEY_1, 2),
	    SYN,
	    RELEASE(KEY_1),
	    /* A doubled digit comes as two presses. */
	    TAP(KEY_1),
	    /* Keypad Enter ends it; its release must not end anything. */
	    TAP(KEY_KPENTER),
	    /* Keypad digits, then Tab as the suffix. */
	    TAP(KEY_KP9),
	    TAP(KEY_KP6),
	    TAP(KEY_KP3),
	    TAP(KEY_KP8),
	    TAP(KEY_KP5),
	    TAP(KEY_KP0),
	    TAP(KEY_KP7),
	    TAP(KEY_KP4),
	    TAP(KEY_TAB),
	    /* Enter with nothing before it: no code. */
	    TAP(KEY_ENTER),
	    /* Lock keys type nothing. */
	    TAP(KEY_CAPSLOCK),
	    TAP(KEY_NUMLOCK),
	    TAP(KEY_7),
	    TAP(KEY_ENTER),
	};
	struct scanner_keys k;
	struct outcome o = {0};
	scanner_keys_init(&k);
	replay(&k, ev, NEV(ev), &o);
	assert_string_equal(o.order, "ccc");
	assert_string_equal(o.codes[0], "Sku-A_11");
	assert_string_equal(o.codes[1], "96385074");
	assert_string_equal(o.codes[2], "7");
}

static void test_keys_garbled(void **state)
{
	(void)state;
	static const struct input_event ev[] = {
	    /* An F1 in the middle: the code is refused, not shortened. */
	    TAP(KEY_1),
	    TAP(KEY_F1),
	    TAP(KEY_2),
	    TAP(KEY_ENTER),
	    /* Then a good one: the decoder has recovered. */
	    TAP(KEY_5),
	    TAP(KEY_ENTER),
	    /* Lost events mid-code. */
	    TAP(KEY_3),
	    {.type = EV_SYN, .code = SYN_DROPPED, .value = 0},
	    TAP(KEY_4),
	    TAP(KEY_ENTER),
	    /* A ctrl chord (GS1 group separator as Ctrl+]). */
	    TAP(KEY_0),
	    PRESS(KEY_LEFTCTRL),
	    TAP(KEY_RIGHTBRACE),
	    RELEASE(KEY_LEFTCTRL),
	    TAP(KEY_1),
	    TAP(KEY_ENTER),
	    /* Shift released: lower case again. */
	    TAP(KEY_X),
	    TAP(KEY_ENTER),
	};
	struct scanner_keys k;
	struct outcome o = {0};
	scanner_keys_init(&k);
	replay(&k, ev, NEV(ev), &o);
	assert_string_equal(o.order, "eceec");
	assert_string_equal(o.errors[0], "unreadable scan: unknown key 59");
	assert_string_equal(o.codes[0], "5");
	assert_string_equal(o.errors[1], "unreadable scan: input events were lost");
	assert_string_equal(o.errors[2], "unreadable scan: a key pressed with ctrl or alt");
	assert_string_equal(o.codes[1], "x");
}

static void test_keys_too_long(void **state)
{
	(void)state;
	struct input_event ev[3 * 2 * 70 + 6];
	size_t n = 0;
	for (int i = 0; i < 70; i++) {
		struct input_event tap[] = {TAP(KEY_8)};
		memcpy(ev + n, tap, sizeof(tap));
		n += NEV(tap);
	}
	struct input_event enter[] = {TAP(KEY_ENTER)};
	memcpy(ev + n, enter, sizeof(enter));
	n += NEV(enter);
	struct scanner_keys k;
	struct outcome o = {0};
	scanner_keys_init(&k);
	replay(&k, ev, n, &o);
	assert_string_equal(o.order, "e");
	assert_string_equal(o.errors[0], "unreadable scan: longer than 63 characters");
}

static void test_keys_gap_drops_half_scan(void **state)
{
	(void)state;
	struct input_event ev[] = {
	    TAP(KEY_1),
	    TAP(KEY_2),
	    /* 2.5 s later: the 1 and 2 were the end of an aborted scan. */
	    TAP(KEY_3),
	    TAP(KEY_4),
	    TAP(KEY_ENTER),
	};
	for (size_t i = 0; i < NEV(ev); i++) {
		ev[i].input_event_sec = 100 + (i >= 12 ? 2 : 0);
		ev[i].input_event_usec = i >= 12 ? 500000 : (long)(i * 1000);
	}
	struct scanner_keys k;
	struct outcome o = {0};
	scanner_keys_init(&k);
	replay(&k, ev, NEV(ev), &o);
	assert_string_equal(o.order, "c");
	assert_string_equal(o.codes[0], "34");

	/* With the gap check off the whole thing is one code. */
	struct outcome o2 = {0};
	scanner_keys_init(&k);
	k.gap_ms = 0;
	replay(&k, ev, NEV(ev), &o2);
	assert_string_equal(o2.codes[0], "1234");
}

static int feed_line_bytes(struct scanner_lines *l, const char *bytes, size_t n, struct outcome *o)
{
	int last = SCANNER_NONE;
	for (size_t i = 0; i < n; i++) {
		char code[BARCODE_CODE_MAX];
		char err[128] = "";
		last = scanner_lines_feed(l, (unsigned char)bytes[i], code, err, sizeof(err));
		if (last == SCANNER_CODE) {
			strcpy(o->codes[o->ncodes++], code);
			strcat(o->order, "c");
		} else if (last == TALAD_EINVAL) {
			strcpy(o->errors[o->nerrors++], err);
			strcat(o->order, "e");
		}
	}
	return last;
}

static void test_lines_decoder(void **state)
{
	(void)state;
	static const char in[] = "4006381333931\r036000291452\n96385074\r\n\r\n\nSKU-1\t"
	                         "12\x01"
	                         "3\r"
	                         "abc\xe0\xb8\x81\n"
	                         "partial";
	struct scanner_lines l;
	struct outcome o = {0};
	scanner_lines_init(&l);
	assert_int_equal(feed_line_bytes(&l, in, sizeof(in) - 1, &o), SCANNER_NONE);
	assert_string_equal(o.order, "ccccee");
	assert_string_equal(o.codes[0], "4006381333931");
	assert_string_equal(o.codes[1], "036000291452");
	assert_string_equal(o.codes[2], "96385074");
	assert_string_equal(o.codes[3], "SKU-1");
	assert_string_equal(o.errors[0], "unreadable scan: byte 0x01 is not printable ascii");
	assert_string_equal(o.errors[1], "unreadable scan: byte 0xe0 is not printable ascii");
	/* The partial line completes when its end arrives. */
	assert_int_equal(feed_line_bytes(&l, "-9\r", 3, &o), SCANNER_CODE);
	assert_string_equal(o.codes[4], "partial-9");

	/* Over-long lines are refused whole. */
	char big[100];
	memset(big, '5', sizeof(big));
	big[99] = '\n';
	struct outcome o2 = {0};
	scanner_lines_init(&l);
	feed_line_bytes(&l, big, sizeof(big), &o2);
	assert_string_equal(o2.order, "e");
	assert_string_equal(o2.errors[0], "unreadable scan: longer than 63 characters");
}

static void test_spec_parse(void **state)
{
	(void)state;
	struct scanner_spec sp;
	char err[256] = "";
	assert_int_equal(scanner_spec_parse("wedge", &sp, err, sizeof(err)), TALAD_OK);
	assert_int_equal(sp.type, SCANNER_WEDGE);
	assert_int_equal(scanner_spec_parse("", &sp, err, sizeof(err)), TALAD_OK);
	assert_int_equal(sp.type, SCANNER_WEDGE);
	assert_int_equal(scanner_spec_parse("evdev:/dev/input/event3", &sp, err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(sp.type, SCANNER_EVDEV);
	assert_string_equal(sp.path, "/dev/input/event3");
	assert_int_equal(scanner_spec_parse("serial:/dev/ttyACM0", &sp, err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(sp.type, SCANNER_SERIAL);
	assert_string_equal(sp.path, "/dev/ttyACM0");
	assert_int_equal(sp.baud, 9600);
	assert_int_equal(
	    scanner_spec_parse("serial:/dev/rfcomm0?baud=115200", &sp, err, sizeof(err)), TALAD_OK);
	assert_string_equal(sp.path, "/dev/rfcomm0");
	assert_int_equal(sp.baud, 115200);
	assert_string_equal(scanner_type_name(SCANNER_SERIAL), "serial");

	assert_int_equal(scanner_spec_parse("serial:/dev/ttyS0?baud=9601", &sp, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "bad option"));
	assert_int_equal(scanner_spec_parse("serial:/dev/ttyS0?baud=", &sp, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_int_equal(
	    scanner_spec_parse("evdev:/dev/input/event0?baud=9600", &sp, err, sizeof(err)),
	    TALAD_EINVAL);
	assert_int_equal(scanner_spec_parse("evdev:event0", &sp, err, sizeof(err)), TALAD_EINVAL);
	assert_non_null(strstr(err, "absolute path"));
	assert_int_equal(scanner_spec_parse("usb:/dev/hidraw0", &sp, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "expected wedge"));
}

/* Writes all of n bytes in pieces of `chunk`, so events straddle reads. */
static void write_chunks(int fd, const void *p, size_t n, size_t chunk)
{
	const unsigned char *b = p;
	while (n > 0) {
		size_t c = n < chunk ? n : chunk;
		ssize_t w = write(fd, b, c);
		assert_true(w > 0);
		b += w;
		n -= (size_t)w;
	}
}

static void test_reader_evdev_pipe(void **state)
{
	(void)state;
	static const struct input_event ev[] = {
	    TAP(KEY_9),     TAP(KEY_6), TAP(KEY_3),     TAP(KEY_8),     TAP(KEY_5),
	    TAP(KEY_0),     TAP(KEY_7), TAP(KEY_4),     TAP(KEY_ENTER), TAP(KEY_F2),
	    TAP(KEY_ENTER), TAP(KEY_1), TAP(KEY_ENTER), TAP(KEY_2),
	};
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct scanner *s = scanner_open_fd(SCANNER_EVDEV, p[0], true);
	assert_int_equal(scanner_fd(s), p[0]);
	char code[BARCODE_CODE_MAX];
	char err[128] = "";
	/* Nothing yet: a short timeout. */
	assert_int_equal(scanner_read(s, 20, code, err, sizeof(err)), SCANNER_NONE);
	write_chunks(p[1], ev, sizeof(ev), 7);
	assert_int_equal(scanner_read(s, 1000, code, err, sizeof(err)), SCANNER_CODE);
	assert_string_equal(code, "96385074");
	assert_int_equal(scanner_read(s, 1000, code, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "unreadable scan: unknown key 60");
	assert_int_equal(scanner_read(s, 1000, code, err, sizeof(err)), SCANNER_CODE);
	assert_string_equal(code, "1");
	/* A half code then the device goes away: no code, the end. */
	assert_int_equal(scanner_read(s, 20, code, err, sizeof(err)), SCANNER_NONE);
	close(p[1]);
	assert_int_equal(scanner_read(s, 1000, code, err, sizeof(err)), SCANNER_END);
	assert_int_equal(scanner_read(s, 1000, code, err, sizeof(err)), SCANNER_END);
	scanner_close(s);
}

static void test_reader_serial_pty(void **state)
{
	(void)state;
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0) {
		skip();
		return;
	}
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	char spec_s[128];
	snprintf(spec_s, sizeof(spec_s), "serial:%s?baud=19200", ptsname(master));
	struct scanner_spec sp;
	char err[256] = "";
	assert_int_equal(scanner_spec_parse(spec_s, &sp, err, sizeof(err)), TALAD_OK);
	struct scanner *s = NULL;
	assert_int_equal(scanner_open(&sp, &s, err, sizeof(err)), TALAD_OK);
	assert_non_null(s);

	char code[BARCODE_CODE_MAX];
	/* CR, LF and CRLF endings, several codes in one write. */
	write_chunks(master, "4006381333931\r036000291452\n", 27, 27);
	assert_int_equal(scanner_read(s, 2000, code, err, sizeof(err)), SCANNER_CODE);
	assert_string_equal(code, "4006381333931");
	assert_int_equal(scanner_read(s, 2000, code, err, sizeof(err)), SCANNER_CODE);
	assert_string_equal(code, "036000291452");
	write_chunks(master, "96385074\r\n", 10, 3);
	assert_int_equal(scanner_read(s, 2000, code, err, sizeof(err)), SCANNER_CODE);
	assert_string_equal(code, "96385074");
	/* A partial line is held back until its end arrives. */
	write_chunks(master, "SKU-", 4, 4);
	assert_int_equal(scanner_read(s, 100, code, err, sizeof(err)), SCANNER_NONE);
	write_chunks(master, "7\r", 2, 2);
	assert_int_equal(scanner_read(s, 2000, code, err, sizeof(err)), SCANNER_CODE);
	assert_string_equal(code, "SKU-7");
	/* The other end hangs up with half a line pending: the end, no code. */
	write_chunks(master, "123", 3, 3);
	assert_int_equal(scanner_read(s, 100, code, err, sizeof(err)), SCANNER_NONE);
	close(master);
	assert_int_equal(scanner_read(s, 2000, code, err, sizeof(err)), SCANNER_END);
	scanner_close(s);
}

static void test_open_errors(void **state)
{
	(void)state;
	struct scanner_spec sp;
	struct scanner *s = NULL;
	char err[512] = "";
	assert_int_equal(scanner_spec_parse("evdev:/nonexistent/event9", &sp, err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(scanner_open(&sp, &s, err, sizeof(err)), TALAD_ENOTFOUND);
	assert_null(s);
	assert_non_null(strstr(err, "cannot open scanner /nonexistent/event9"));

	/* A file that is not an evdev device, nor a serial line. */
	char path[] = "/tmp/talad-scanner-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char spec_s[64];
	snprintf(spec_s, sizeof(spec_s), "evdev:%s", path);
	assert_int_equal(scanner_spec_parse(spec_s, &sp, err, sizeof(err)), TALAD_OK);
	assert_int_equal(scanner_open(&sp, &s, err, sizeof(err)), TALAD_EIO);
	assert_non_null(strstr(err, "is not an input event device"));
	snprintf(spec_s, sizeof(spec_s), "serial:%s", path);
	assert_int_equal(scanner_spec_parse(spec_s, &sp, err, sizeof(err)), TALAD_OK);
	assert_int_equal(scanner_open(&sp, &s, err, sizeof(err)), TALAD_EIO);
	assert_non_null(strstr(err, "is not a serial device"));
	unlink(path);
	scanner_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys_ean13),
	    cmocka_unit_test(test_keys_shift_and_repeat),
	    cmocka_unit_test(test_keys_garbled),
	    cmocka_unit_test(test_keys_too_long),
	    cmocka_unit_test(test_keys_gap_drops_half_scan),
	    cmocka_unit_test(test_lines_decoder),
	    cmocka_unit_test(test_spec_parse),
	    cmocka_unit_test(test_reader_evdev_pipe),
	    cmocka_unit_test(test_reader_serial_pty),
	    cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
