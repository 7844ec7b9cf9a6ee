/* Unit tests for the register's barcode side: scan_lookup (exact codes, the
 * other GTIN form, in-store price and weight codes, bad check digits),
 * `talad labels` (files, a fake Zebra on loopback, a fake lp for CUPS, and
 * nothing written on error) and `talad scanner test` over a pseudo-terminal
 * and a wedge on a pipe. */
#include "../lib/fixtures.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "core/barcode.h"
#include "register/bcconfig.h"
#include "register/cmd_labels.h"
#include "register/cmd_scanner.h"
#include "register/rstore.h"
#include "register/scan_lookup.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define REG_ID FX_REG_ID
#define LOC_ID FX_LOC_ID
#define V(n)   "01900000-0000-7000-8000-0000000001" n

#define VARIANT(id, sku, barcode, title, price)                                                    \
	"{\"id\": \"" id "\", \"sku\": " sku ", \"barcode\": " barcode ", \"title\": \"" title     \
	"\", \"price\": " price ", \"taxable\": true, \"tracked\": false, \"available\": null}"
#define PRODUCT(id, title, variant)                                                                \
	"{\"id\": \"" id "\", \"title\": \"" title "\", \"variants\": [" variant "]}"

/* Item 00042 listed with its weight zeroed: 2000042000000 + check digit 4;
 * item 12345 listed by its item digits as SKU. */
static const char *snapshot_json =
    "{\"cursor\": 1, \"server_time\": \"2026-01-01T00:00:00.000Z\","
    " \"shop\": {\"name\": \"Test Shop\", \"currency\": \"THB\", \"tax_rate_ppm\": 70000,"
    "  \"tax_included\": true, \"tax_rounding\": \"line\", \"cash_increment\": 0,"
    "  \"tax_id\": \"\", \"address\": \"\", \"receipt_footer\": \"\", \"promptpay_id\": null},"
    " \"register\": {\"id\": \"" REG_ID "\", \"name\": \"Counter 1\", \"code\": \"R01\"},"
    " \"location\": {\"id\": \"" LOC_ID "\", \"name\": \"Main\"},"
    " \"products\": [" PRODUCT("p1", "Thai tea", VARIANT(V("01"), "\"TEA-1\"", "\"4006381333931\"", "Thai tea", "4500")) "," PRODUCT(
        "p2", "Cola",
        VARIANT(
            V("02"), "\"COLA\"", "\"036000291452\"", "Cola",
            "1500")) "," PRODUCT("p3", "Gum",
                                 VARIANT(
                                     V("03"), "\"GUM\"", "\"96385074\"", "Gum",
                                     "500")) "," PRODUCT("p4", "T-shirt red M",
                                                         VARIANT(
                                                             V("04"), "\"TSHIRT-RED-M\"", "null",
                                                             "T-shirt red M",
                                                             "29900")) "," PRODUCT("p5", "Bananas",
                                                                                   VARIANT(
                                                                                       V("05"),
                                                                                       "\"BANANA\"",
                                                                                       "\"200004200"
                                                                                       "0004\"",
                                                                                       "Bananas",
                                                                                       "8900")) "," PRODUCT("p6",
                                                                                                            "Fish",
                                                                                                            VARIANT(
                                                                                                                V("06"),
                                                                                                                "\"12345\"",
                                                                                                                "null",
                                                                                                                "Fish",
                                                                                                                "0")) "," PRODUCT("p7",
                                                                                                                                  "Broken",
                                                                                                                                  VARIANT(
                                                                                                                                      V("07"),
                                                                                                                                      "null",
                                                                                                                                      "\"4006381333932\"",
                                                                                                                                      "Broken",
                                                                                                                                      "100")) "],"
                                                                                                                                              " \"staff\": [], \"payment_methods\": []}";

struct fixture {
	char dir[64];
	struct rstore *st;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	if (fx_tmpdir("talad-rlabels", f->dir, sizeof(f->dir)))
		return -1;
	char path[128];
	snprintf(path, sizeof(path), "%s/register.db", f->dir);
	if (fx_register_store(path, snapshot_json, false, &f->st))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rstore_close(f->st);
	int rc = fx_rmtree(f->dir);
	free(f);
	return rc;
}

static void code_with_check(const char *body, char *out, size_t len)
{
	int cd;
	assert_int_equal(barcode_check_digit(body, strlen(body), &cd), TALAD_OK);
	snprintf(out, len, "%s%d", body, cd);
}

static void test_lookup_plain(void **state)
{
	struct fixture *f = *state;
	struct scan_match m;
	char err[256] = "";
	assert_int_equal(scan_lookup(f->st, "4006381333931", &m, err, sizeof(err)), TALAD_OK);
	assert_string_equal(m.variant.sku, "TEA-1");
	assert_int_equal(m.unit_price, 4500);
	assert_false(m.instore);
	assert_int_equal(scan_lookup(f->st, "TSHIRT-RED-M", &m, err, sizeof(err)), TALAD_OK);
	assert_string_equal(m.title, "T-shirt red M");
	/* The UPC-A arrives as its 13-digit GTIN; an EAN-13 typed with a
	   UPC-A's 12 digits is not invented. */
	assert_int_equal(scan_lookup(f->st, "0036000291452", &m, err, sizeof(err)), TALAD_OK);
	assert_string_equal(m.variant.sku, "COLA");
	/* A catalog entry with a broken check digit is still that item. */
	assert_int_equal(scan_lookup(f->st, "4006381333932", &m, err, sizeof(err)), TALAD_OK);
	assert_string_equal(m.title, "Broken");

	/* A misread: refused with the reason, not "not found". */
	assert_int_equal(scan_lookup(f->st, "5901234123458", &m, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "bad check digit in 5901234123458");
	assert_int_equal(scan_lookup(f->st, "5901234123457", &m, err, sizeof(err)),
	                 TALAD_ENOTFOUND);
	assert_string_equal(err, "no item with barcode or sku '5901234123457'");
	assert_int_equal(scan_lookup(f->st, "", &m, err, sizeof(err)), TALAD_EINVAL);

	struct cart_line line;
	assert_int_equal(scan_lookup(f->st, "GUM", &m, err, sizeof(err)), TALAD_OK);
	scan_match_line(&m, &line);
	assert_string_equal(line.variant_id, V("03"));
	assert_string_equal(line.sku, "GUM");
	assert_int_equal(line.quantity, 1);
	assert_int_equal(line.unit_price, 500);
	assert_true(line.taxable);
}

static void test_lookup_instore(void **state)
{
	struct fixture *f = *state;
	struct scan_match m;
	char err[256] = "";
	char code[32];
	/* Without a template, in-store codes are ordinary (unknown) codes. */
	code_with_check("200004201250", code, sizeof(code));
	assert_int_equal(scan_lookup(f->st, code, &m, err, sizeof(err)), TALAD_ENOTFOUND);

	assert_int_equal(
	    rstore_setting_set(f->st, SCAN_TEMPLATE_KEY, "20IIIIIWWWWWC,21IIIIIPPPPPC"), TALAD_OK);
	/* 1.250 kg of bananas at 89.00 a kilo. */
	assert_int_equal(scan_lookup(f->st, code, &m, err, sizeof(err)), TALAD_OK);
	assert_true(m.instore);
	assert_string_equal(m.variant.sku, "BANANA");
	assert_int_equal(m.weight_g, 1250);
	assert_int_equal(m.unit_price, 11125);
	assert_string_equal(m.title, "Bananas 1.250 kg");
	/* The catalog's own in-store code is still sold as listed. */
	assert_int_equal(scan_lookup(f->st, "2000042000004", &m, err, sizeof(err)), TALAD_OK);
	assert_false(m.instore);
	assert_int_equal(m.unit_price, 8900);
	/* Fish, item 12345 listed by SKU, 199.99 in the code. */
	code_with_check("211234519999", code, sizeof(code));
	assert_int_equal(scan_lookup(f->st, code, &m, err, sizeof(err)), TALAD_OK);
	assert_string_equal(m.variant.sku, "12345");
	assert_int_equal(m.unit_price, 19999);
	assert_int_equal(m.weight_g, 0);
	assert_string_equal(m.title, "Fish");
	/* In the template's range but with a bad check digit: refused. */
	code[12] = code[12] == '9' ? '0' : (char)(code[12] + 1);
	assert_int_equal(scan_lookup(f->st, code, &m, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "bad check digit");
	/* An item the catalog does not have. */
	code_with_check("219999900100", code, sizeof(code));
	assert_int_equal(scan_lookup(f->st, code, &m, err, sizeof(err)), TALAD_ENOTFOUND);
	assert_non_null(strstr(err, "no item for in-store code"));
	/* A broken setting says so. */
	assert_int_equal(rstore_setting_set(f->st, SCAN_TEMPLATE_KEY, "IIIII"), TALAD_OK);
	assert_int_equal(scan_lookup(f->st, code, &m, err, sizeof(err)), TALAD_EINVAL);
	assert_non_null(strstr(err, "setting scale-barcode-template: template 'IIIII'"));
}

/* Runs cmd_labels with a NULL-terminated list of arguments; out and err
 * collect what it printed. */
static int labels(struct rstore *st, struct buf *out, struct buf *err, ...)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = "labels";
	va_list ap;
	va_start(ap, err);
	char *a;
	while ((a = va_arg(ap, char *)) != NULL && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return fx_run_cmd(cmd_labels, st, argv, out, err);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b = BUF_INIT(1 << 24);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, len);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void test_labels_files(void **state)
{
	struct fixture *f = *state;
	struct buf out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20);
	char path[128];
	snprintf(path, sizeof(path), "%s/shelf.zpl", f->dir);
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "036000291452", "TSHIRT-RED-M",
	                        "--copies", "2", "--out", path, NULL),
	                 0);
	char *z = slurp(path, NULL);
	assert_non_null(z);
	assert_int_equal(count(z, "^XA"), 3);
	assert_int_equal(count(z, "^PQ2\n"), 3);
	assert_non_null(strstr(z, "^FDThai tea^FS"));
	assert_non_null(strstr(z, "^FD45.00 THB^FS"));
	assert_non_null(strstr(z, "^BEN,"));
	assert_non_null(strstr(z, "^FD400638133393^FS"));
	assert_non_null(strstr(z, "^FD03600029145^FS"));
	assert_non_null(strstr(z, "^FD>:TSHIRT-RED-M^FS"));
	assert_non_null(strstr(z, "^FD299.00 THB^FS"));
	free(z);
	assert_non_null(strstr(buf_str(&out), "wrote "));

	/* One unknown code: nothing is written at all. */
	char none[128];
	snprintf(none, sizeof(none), "%s/none.zpl", f->dir);
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "NOPE", "--out", none, NULL), 1);
	assert_string_equal(buf_str(&err), "talad labels: no item with barcode or sku 'NOPE'\n");
	assert_int_equal(access(none, F_OK), -1);

	/* PNG, several: one numbered file each, format from the extension. */
	char png[128];
	snprintf(png, sizeof(png), "%s/l.png", f->dir);
	assert_int_equal(labels(f->st, &out, &err, "4006381333931", "GUM", "COLA", "TSHIRT-RED-M",
	                        "--out", png, NULL),
	                 0);
	const char *expect[] = {"4006381333931", "96385074", "0036000291452", "TSHIRT-RED-M"};
	bool zbar = system("command -v zbarimg >/dev/null 2>&1") == 0;
	if (!zbar)
		print_message("zbarimg is missing (apt-get install zbar-tools): not read back\n");
	for (int i = 0; i < 4; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s/l-%d.png", f->dir, i + 1);
		size_t len = 0;
		char *img = slurp(p, &len);
		assert_non_null(img);
		assert_memory_equal(img, "\x89PNG", 4);
		free(img);
		if (!zbar)
			continue;
		char cmd[256], got[64] = "";
		snprintf(cmd, sizeof(cmd), "zbarimg --raw -q %s 2>/dev/null", p);
		FILE *zf = popen(cmd, "r");
		assert_non_null(zf);
		if (!fgets(got, sizeof(got), zf))
			got[0] = '\0';
		pclose(zf);
		got[strcspn(got, "\n")] = '\0';
		assert_string_equal(got, expect[i]);
	}

	/* SVG to standard output, settings applied. */
	assert_int_equal(rstore_setting_set(f->st, "label-size", "62x29"), TALAD_OK);
	assert_int_equal(labels(f->st, &out, &err, "GUM", "--format", "svg", "--out", "-", NULL),
	                 0);
	assert_non_null(strstr(buf_str(&out), "width=\"62mm\" height=\"29mm\""));
	assert_non_null(strstr(buf_str(&out), ">5.00 THB</text>"));
	assert_int_equal(rstore_setting_set(f->st, "label-dpmm", "300"), TALAD_OK);
	assert_int_equal(labels(f->st, &out, &err, "GUM", "--out", "-", NULL), 1);
	assert_non_null(
	    strstr(buf_str(&err), "setting label-dpmm '300': the printer's dots per mm"));
	assert_int_equal(rstore_setting_unset(f->st, "label-dpmm"), TALAD_OK);
	assert_int_equal(rstore_setting_unset(f->st, "label-size"), TALAD_OK);
	buf_release(&out);
	buf_release(&err);
}

static void test_labels_usage(void **state)
{
	struct fixture *f = *state;
	struct buf out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20);
	assert_int_equal(labels(f->st, &out, &err, NULL), 2);
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "--copies", "0", "--out", "-", NULL),
	                 2);
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "--copies", NULL), 2);
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "--format", "pdf", "--out", "-", NULL),
	                 2);
	assert_int_equal(
	    labels(f->st, &out, &err, "TEA-1", "--out", "-", "--printer", "tcp://127.0.0.1", NULL),
	    2);
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "--bogus", NULL), 2);
	/* Nowhere to send them. */
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", NULL), 2);
	assert_non_null(strstr(buf_str(&err), "say where the labels go"));
	/* A Zebra takes ZPL, not PNG. */
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "--format", "png", "--printer",
	                        "tcp://127.0.0.1:9", NULL),
	                 2);
	assert_non_null(strstr(buf_str(&err), "takes zpl"));
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "--printer", "gopher://x", NULL), 2);
	assert_int_equal(
	    labels(f->st, &out, &err, "TEA-1", "--format", "svg", "--printer", "cups:Q", NULL), 1);
	assert_non_null(strstr(buf_str(&err), "not svg"));
	buf_release(&out);
	buf_release(&err);
}

/* A fake Zebra: accepts one connection on loopback and keeps what it got. */
struct zebra {
	int fd;
	int port;
	struct buf got;
};

static void *zebra_main(void *arg)
{
	struct zebra *z = arg;
	int c = accept(z->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	char chunk[4096];
	ssize_t n;
	while ((n = read(c, chunk, sizeof(chunk))) > 0)
		buf_append(&z->got, chunk, (size_t)n);
	close(c);
	return NULL;
}

static void test_labels_zebra_tcp(void **state)
{
	struct fixture *f = *state;
	struct zebra z = {.got = BUF_INIT(1 << 20)};
	z.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(z.fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(z.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t alen = sizeof(a);
	assert_int_equal(getsockname(z.fd, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(listen(z.fd, 1), 0);
	z.port = ntohs(a.sin_port);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, zebra_main, &z), 0);

	/* The printer comes from the label-printer setting. */
	char uri[64];
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", z.port);
	assert_int_equal(rstore_setting_set(f->st, "label-printer", uri), TALAD_OK);
	struct buf out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20);
	assert_int_equal(labels(f->st, &out, &err, "GUM", "TEA-1", "--copies", "3", NULL), 0);
	pthread_join(th, NULL);
	close(z.fd);
	const char *got = buf_str(&z.got);
	assert_true(!strncmp(got, "^XA\n^CI28\n", 10));
	assert_int_equal(count(got, "^XZ"), 2);
	assert_int_equal(count(got, "^PQ3\n"), 2);
	assert_non_null(strstr(got, "^B8N,"));
	assert_non_null(strstr(got, "^FD9638507^FS"));
	char msg[128];
	snprintf(msg, sizeof(msg), "sent 2 labels (3 copies each) to %s\n", uri);
	assert_string_equal(buf_str(&out), msg);
	assert_int_equal(rstore_setting_unset(f->st, "label-printer"), TALAD_OK);

	/* Nobody listening: an error naming the device, exit status 1. */
	assert_int_equal(labels(f->st, &out, &err, "GUM", "--printer", uri, NULL), 1);
	assert_non_null(strstr(buf_str(&err), "talad labels: "));
	buf_release(&z.got);
	buf_release(&out);
	buf_release(&err);
}

static void test_labels_cups(void **state)
{
	struct fixture *f = *state;
	/* A fake lp records its arguments and keeps a copy of the file. */
	char bin[128], script[160];
	snprintf(bin, sizeof(bin), "%s/bin", f->dir);
	assert_int_equal(mkdir(bin, 0755), 0);
	snprintf(script, sizeof(script), "%s/lp", bin);
	FILE *s = fopen(script, "w");
	assert_non_null(s);
	fprintf(s,
	        "#!/bin/sh\n"
	        "echo \"$@\" >> %s/lp.args\n"
	        "for last; do :; done\n"
	        "cat \"$last\" >> %s/lp.data\n",
	        f->dir, f->dir);
	fclose(s);
	assert_int_equal(chmod(script, 0755), 0);
	const char *old = getenv("PATH");
	char *saved = xstrdup(old ? old : "/usr/bin:/bin");
	char *path = xasprintf("%s:%s", bin, saved);
	setenv("PATH", path, 1);

	struct buf out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20);
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "GUM", "--copies", "4", "--printer",
	                        "cups:DYMO_LabelWriter", NULL),
	                 0);
	assert_string_equal(buf_str(&out), "sent 2 labels to cups queue DYMO_LabelWriter\n");
	char p[160];
	snprintf(p, sizeof(p), "%s/lp.args", f->dir);
	char *args = slurp(p, NULL);
	assert_non_null(args);
	/* One job per PNG label, at the printer's resolution, 4 copies. */
	assert_int_equal(count(args, "-d DYMO_LabelWriter -n 4 -o ppi=203 "), 2);
	assert_int_equal(count(args, ".png\n"), 2);
	free(args);
	snprintf(p, sizeof(p), "%s/lp.data", f->dir);
	size_t len = 0;
	char *data = slurp(p, &len);
	assert_non_null(data);
	assert_memory_equal(data, "\x89PNG", 4);
	free(data);
	unlink(p);

	/* ZPL through a raw queue: one job, copies inside the ZPL. */
	snprintf(p, sizeof(p), "%s/lp.args", f->dir);
	unlink(p);
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "GUM", "--copies", "2", "--format",
	                        "zpl", "--printer", "cups:Zebra", NULL),
	                 0);
	args = slurp(p, NULL);
	assert_non_null(args);
	assert_int_equal(count(args, "-d Zebra -n 1 -o raw "), 1);
	assert_int_equal(count(args, "\n"), 1);
	free(args);
	snprintf(p, sizeof(p), "%s/lp.data", f->dir);
	data = slurp(p, NULL);
	assert_int_equal(count(data, "^PQ2"), 2);
	free(data);

	/* No lp at all. */
	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(labels(f->st, &out, &err, "TEA-1", "--printer", "cups:Q", NULL), 1);
	assert_non_null(strstr(buf_str(&err), "lp not found"));
	setenv("PATH", saved, 1);
	free(saved);
	free(path);
	buf_release(&out);
	buf_release(&err);
}

/* Runs `talad scanner test ARGS` with a writer thread feeding the pty. */
struct feeder {
	int fd;
	const char *data;
	size_t len;
};

static void *feeder_main(void *arg)
{
	struct feeder *fd = arg;
	/* Only once the scanner has opened the line and dropped stale input:
	   a pty master reads as hung up while no slave is open. */
	for (int i = 0; i < 500; i++) {
		struct pollfd pfd = {.fd = fd->fd, .events = POLLOUT};
		if (poll(&pfd, 1, 10) >= 0 && !(pfd.revents & POLLHUP))
			break;
		usleep(10 * 1000);
	}
	usleep(100 * 1000);
	if (write(fd->fd, fd->data, fd->len) != (ssize_t)fd->len)
		return NULL;
	return NULL;
}

static int scanner_cmd(struct rstore *st, char **extra, struct buf *out, struct buf *err)
{
	char *argv[8] = {"scanner", "test"};
	int argc = 2;
	for (; extra && *extra; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;
	return fx_run_cmd(cmd_scanner, st, argv, out, err);
}

static void test_scanner_serial(void **state)
{
	struct fixture *f = *state;
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0)
		skip();
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	char spec[128];
	snprintf(spec, sizeof(spec), "serial:%s?baud=9600", ptsname(master));
	assert_int_equal(rstore_setting_set(f->st, "scanner", spec), TALAD_OK);
	assert_int_equal(rstore_setting_set(f->st, SCAN_TEMPLATE_KEY, "20IIIIIWWWWWC"), TALAD_OK);

	char weighed[32];
	code_with_check("200004201250", weighed, sizeof(weighed));
	char data[256];
	snprintf(data, sizeof(data),
	         "4006381333931\r\n5901234123458\r12\x01"
	         "3\r%s\nSKU-X\n",
	         weighed);
	struct feeder fd = {master, data, strlen(data)};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, feeder_main, &fd), 0);
	struct buf out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20);
	char *count4[] = {"--count", "4", NULL};
	assert_int_equal(scanner_cmd(f->st, count4, &out, &err), 0);
	pthread_join(th, NULL);
	char expect[512];
	snprintf(expect, sizeof(expect),
	         "4006381333931\tean13\tvalid\tThai tea\t45.00\n"
	         "5901234123458\tean13\tbad check digit\n"
	         "unreadable scan: byte 0x01 is not printable ascii\n"
	         "%s\tean13\tvalid\tBananas 1.250 kg (in-store, weighed)\t111.25\n"
	         "SKU-X\tother\tvalid\tno item with barcode or sku 'SKU-X'\n",
	         weighed);
	assert_string_equal(buf_str(&out), expect);
	assert_non_null(strstr(buf_str(&err), "reading the serial scanner /dev/pts/"));

	/* JSON lines; then the other end hangs up: the scanner went away. */
	fd.data = "96385074\r";
	fd.len = strlen(fd.data);
	assert_int_equal(pthread_create(&th, NULL, feeder_main, &fd), 0);
	char *json1[] = {"--json", "--count", "1", NULL};
	assert_int_equal(scanner_cmd(f->st, json1, &out, &err), 0);
	pthread_join(th, NULL);
	assert_string_equal(buf_str(&out),
	                    "{\"code\":\"96385074\",\"kind\":\"ean8\",\"valid\":true,"
	                    "\"verdict\":\"valid\",\"instore\":false,\"sku\":\"GUM\","
	                    "\"title\":\"Gum\",\"price\":\"5.00\"}\n");
	close(master);
	assert_int_equal(scanner_cmd(f->st, NULL, &out, &err), 1);

	/* A bad setting, and bad usage. */
	assert_int_equal(rstore_setting_set(f->st, "scanner", "bluetooth"), TALAD_OK);
	assert_int_equal(scanner_cmd(f->st, NULL, &out, &err), 1);
	assert_non_null(strstr(buf_str(&err), "setting scanner: scanner 'bluetooth'"));
	char *bad[] = {"--count", "x", NULL};
	assert_int_equal(scanner_cmd(f->st, bad, &out, &err), 2);
	buf_release(&out);
	buf_release(&err);
}

static void test_scanner_wedge(void **state)
{
	struct fixture *f = *state;
	/* Unset: a wedge, read from standard input until it ends. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	const char *in = "036000291452\nTSHIRT-RED-M\n";
	assert_int_equal(write(p[1], in, strlen(in)), (ssize_t)strlen(in));
	close(p[1]);
	int saved = dup(STDIN_FILENO);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	struct buf out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20);
	int rc = scanner_cmd(f->st, NULL, &out, &err);
	dup2(saved, STDIN_FILENO);
	close(saved);
	assert_int_equal(rc, 0);
	assert_string_equal(buf_str(&out), "036000291452\tupca\tvalid\tCola\t15.00\n"
	                                   "TSHIRT-RED-M\tother\tvalid\tT-shirt red M\t299.00\n");
	buf_release(&out);
	buf_release(&err);
}

static void test_config_checks(void **state)
{
	(void)state;
	char err[512] = "";
	assert_int_equal(bcconfig_check("scanner", "evdev:/dev/input/event3", err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(bcconfig_check("scanner", "bluetooth", err, sizeof(err)), TALAD_EINVAL);
	assert_non_null(strstr(err, "expected wedge"));
	assert_int_equal(bcconfig_check("scale-barcode-template", "2IIIIIPPPPPC", err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(bcconfig_check("scale-barcode-template", "2IIIII", err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "8, 12 or 13 positions"));
	assert_int_equal(bcconfig_check("label-size", "62x29", err, sizeof(err)), TALAD_OK);
	assert_int_equal(bcconfig_check("label-size", "62", err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(bcconfig_check("label-dpmm", "12", err, sizeof(err)), TALAD_OK);
	assert_int_equal(bcconfig_check("label-dpmm", "203", err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(bcconfig_check("label-printer", "tcp://10.0.0.9", err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(bcconfig_check("label-printer", "cups:DYMO", err, sizeof(err)), TALAD_OK);
	assert_int_equal(bcconfig_check("label-printer", "cups:", err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(bcconfig_check("label-printer", "lpt1", err, sizeof(err)), TALAD_EINVAL);
	assert_int_equal(bcconfig_check("label-font", "/nonexistent.ttf", err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_int_equal(bcconfig_check("label-zpl-font", "E:ANMDJ.TTF", err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(bcconfig_check("label-zpl-font", "E:A^XZ", err, sizeof(err)),
	                 TALAD_EINVAL);
	/* Keys that are not ours pass. */
	assert_int_equal(bcconfig_check("printer-width", "nonsense", err, sizeof(err)), TALAD_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lookup_plain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookup_instore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_labels_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_labels_usage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_labels_zebra_tcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_labels_cups, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scanner_serial, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scanner_wedge, setup, teardown),
	    cmocka_unit_test(test_config_checks),
	};
	/* A scanner test that waits for input must never hang the suite. */
	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
