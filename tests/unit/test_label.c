/* Unit tests for hw/label: which code goes on a label, ZPL checked command by
 * command (escaping, symbologies, copies, fonts), and PNG labels for an
 * EAN-13, a UPC-A, an EAN-8 and a Code 128 SKU read back by zbarimg. */
#include "common/err.h"
#include "common/xalloc.h"
#include "core/barcode.h"
#include "hw/label.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void test_pick_code(void **state)
{
	(void)state;
	const char *code = NULL;
	enum label_symbol sym;
	char err[128] = "";
	assert_int_equal(label_pick_code("4006381333931", "SKU-1", &code, &sym, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(code, "4006381333931");
	assert_int_equal(sym, LABEL_EAN13);
	assert_int_equal(label_pick_code("036000291452", NULL, &code, &sym, err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(sym, LABEL_UPCA);
	assert_int_equal(label_pick_code("96385074", "", &code, &sym, err, sizeof(err)), TALAD_OK);
	assert_int_equal(sym, LABEL_EAN8);
	/* No barcode, or a broken one: the SKU as Code 128. */
	assert_int_equal(label_pick_code(NULL, "TSHIRT-RED-M", &code, &sym, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(code, "TSHIRT-RED-M");
	assert_int_equal(sym, LABEL_CODE128);
	assert_int_equal(label_pick_code("4006381333932", "SKU-9", &code, &sym, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(code, "SKU-9");
	assert_int_equal(sym, LABEL_CODE128);
	/* A shop's own non-GS1 barcode without a SKU still prints. */
	assert_int_equal(label_pick_code("INT-0042", NULL, &code, &sym, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(code, "INT-0042");
	assert_int_equal(sym, LABEL_CODE128);

	assert_int_equal(label_pick_code("4006381333932", NULL, &code, &sym, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "bad check digit"));
	assert_int_equal(label_pick_code(NULL, "", &code, &sym, err, sizeof(err)), TALAD_EINVAL);
	assert_non_null(strstr(err, "nothing to print"));
	assert_int_equal(label_pick_code(NULL, "caf\xc3\xa9", &code, &sym, err, sizeof(err)),
	                 TALAD_EINVAL);
}

static void test_names_and_sizes(void **state)
{
	(void)state;
	enum label_format f;
	assert_int_equal(label_format_parse("png", &f), TALAD_OK);
	assert_int_equal(f, LABEL_PNG);
	assert_string_equal(label_format_name(f), "png");
	assert_int_equal(label_format_parse("svg", &f), TALAD_OK);
	assert_int_equal(label_format_parse("zpl", &f), TALAD_OK);
	assert_int_equal(f, LABEL_ZPL);
	assert_int_equal(label_format_parse("pdf", &f), TALAD_EINVAL);
	assert_string_equal(label_symbol_name(LABEL_CODE128), "code128");
	int w = 0, h = 0;
	assert_int_equal(label_size_parse("62x29", &w, &h), TALAD_OK);
	assert_int_equal(w, 62);
	assert_int_equal(h, 29);
	assert_int_equal(label_size_parse("50x", &w, &h), TALAD_EINVAL);
	assert_int_equal(label_size_parse("50x30mm", &w, &h), TALAD_EINVAL);
	assert_int_equal(label_size_parse("5x30", &w, &h), TALAD_EINVAL);
	assert_int_equal(label_size_parse("", &w, &h), TALAD_EINVAL);
}

/* ZPL split into its commands: "^FO16,12" is {"FO", "16,12"}. Splitting on
 * '^' is itself a check: no field may carry a raw caret. */
struct zcmd {
	char name[3];
	char arg[256];
};

static size_t zpl_parse(const char *zpl, struct zcmd *cmds, size_t max)
{
	size_t n = 0;
	const char *p = zpl;
	while ((p = strchr(p, '^')) != NULL) {
		p++;
		assert_true(n < max);
		assert_true(p[0] && p[1]);
		cmds[n].name[0] = p[0];
		cmds[n].name[1] = p[1];
		cmds[n].name[2] = '\0';
		size_t len = strcspn(p + 2, "^");
		while (len > 0 && (p[2 + len - 1] == '\n' || p[2 + len - 1] == '\r'))
			len--;
		assert_true(len < sizeof(cmds[n].arg));
		memcpy(cmds[n].arg, p + 2, len);
		cmds[n].arg[len] = '\0';
		n++;
		p += 2;
	}
	return n;
}

/* The index of the k-th (0-based) command called name, or fails. */
static size_t zfind(const struct zcmd *c, size_t n, const char *name, int k)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].name, name) && k-- == 0)
			return i;
	fail_msg("no %s in the zpl", name);
	return 0;
}

static char *render(const struct label_item *it, const struct label_settings *ls,
                    enum label_format f, int copies)
{
	struct buf b = BUF_INIT(LABEL_MAX_BYTES);
	char err[256] = "";
	int rc = label_render(it, ls, f, copies, &b, err, sizeof(err));
	if (rc != TALAD_OK)
		fail_msg("label_render: %s", err);
	return buf_detach(&b, NULL);
}

static void test_zpl_ean13_fields(void **state)
{
	(void)state;
	struct label_settings ls;
	label_settings_init(&ls);
	struct label_item it = {"Jasmine Rice 5 kg", "185.00 THB", "4006381333931", LABEL_EAN13};
	char *z = render(&it, &ls, LABEL_ZPL, 3);
	struct zcmd c[32];
	size_t n = zpl_parse(z, c, 32);

	/* The frame: start, UTF-8, the label's size in dots (50 x 30 mm at 8
	   dots/mm), end. */
	assert_string_equal(c[0].name, "XA");
	assert_string_equal(c[1].name, "CI");
	assert_string_equal(c[1].arg, "28");
	assert_string_equal(c[zfind(c, n, "PW", 0)].arg, "400");
	assert_string_equal(c[zfind(c, n, "LL", 0)].arg, "240");
	assert_string_equal(c[n - 1].name, "XZ");
	assert_string_equal(c[n - 2].name, "PQ");
	assert_string_equal(c[n - 2].arg, "3");

	/* Title then price, each a centred one-line block with escaped data. */
	size_t fd0 = zfind(c, n, "FD", 0), fd1 = zfind(c, n, "FD", 1), fd2 = zfind(c, n, "FD", 2);
	assert_string_equal(c[fd0].arg, "Jasmine Rice 5 kg");
	assert_string_equal(c[fd0 - 1].name, "FH");
	assert_string_equal(c[fd0 - 1].arg, "_");
	assert_string_equal(c[fd0 - 2].name, "FB");
	assert_string_equal(c[fd0 - 2].arg, "368,1,0,C");
	assert_string_equal(c[fd0 - 3].name, "A0");
	assert_string_equal(c[fd0 - 4].name, "FO");
	assert_string_equal(c[fd0 + 1].name, "FS");
	assert_string_equal(c[fd1].arg, "185.00 THB");
	int ty = 0, py = 0, tx = 0, tsize = 0, psize = 0;
	assert_int_equal(sscanf(c[fd0 - 4].arg, "%d,%d", &tx, &ty), 2);
	assert_int_equal(sscanf(c[fd1 - 4].arg, "%*d,%d", &py), 1);
	assert_int_equal(sscanf(c[fd0 - 3].arg, "N,%d,", &tsize), 1);
	assert_int_equal(sscanf(c[fd1 - 3].arg, "N,%d,", &psize), 1);
	assert_true(ty >= 0 && py >= ty + tsize);
	assert_true(psize > tsize); /* the price stands out */

	/* The barcode: EAN-13 of the first 12 digits (the printer adds the
	   check digit), 3 dots per module, centred, below the price, inside. */
	size_t be = zfind(c, n, "BE", 0);
	assert_int_equal(fd2, be + 1);
	assert_string_equal(c[fd2].arg, "400638133393");
	assert_string_equal(c[be - 1].name, "BY");
	assert_string_equal(c[be - 1].arg, "3");
	int h = 0;
	char hrt = 0, above = 0;
	assert_int_equal(sscanf(c[be].arg, "N,%d,%c,%c", &h, &hrt, &above), 3);
	assert_int_equal(hrt, 'Y');
	assert_int_equal(above, 'N');
	int bx = 0, by = 0;
	assert_int_equal(sscanf(c[be - 2].arg, "%d,%d", &bx, &by), 2);
	assert_string_equal(c[be - 2].name, "FO");
	assert_true(abs(bx + 95 * 3 / 2 - 200) <= 1);
	assert_true(by >= py + psize);
	assert_true(by + h + 30 <= 240);
	assert_true(h >= 60);
	free(z);
}

static void test_zpl_other_symbols(void **state)
{
	(void)state;
	struct label_settings ls;
	label_settings_init(&ls);
	struct zcmd c[32];

	struct label_item upc = {"Cola", "15.00", "036000291452", LABEL_UPCA};
	char *z = render(&upc, &ls, LABEL_ZPL, 1);
	size_t n = zpl_parse(z, c, 32);
	size_t b = zfind(c, n, "BU", 0);
	assert_non_null(strstr(c[b].arg, ",Y,N,Y"));
	assert_string_equal(c[b + 1].arg, "03600029145");
	assert_string_equal(c[n - 2].arg, "1");
	free(z);

	struct label_item e8 = {"Gum", "5.00", "96385074", LABEL_EAN8};
	z = render(&e8, &ls, LABEL_ZPL, 1);
	n = zpl_parse(z, c, 32);
	b = zfind(c, n, "B8", 0);
	assert_string_equal(c[b + 1].arg, "9638507");
	free(z);

	/* Code 128 in subset B; ^ > ~ become invocation codes; the title's
	   ^ ~ _ are hex escapes under ^FH_. */
	struct label_item sku = {"50% ^off~ _x_", "1.00", "A>B^C~D", LABEL_CODE128};
	z = render(&sku, &ls, LABEL_ZPL, 1);
	assert_null(strchr(z, '~'));
	n = zpl_parse(z, c, 32);
	b = zfind(c, n, "BC", 0);
	assert_non_null(strstr(c[b].arg, ",Y,N,N"));
	assert_string_equal(c[b + 1].arg, ">:A>0B><C>=D");
	assert_string_equal(c[zfind(c, n, "FD", 0)].arg, "50% _5Eoff_7E _5Fx_5F");
	free(z);
}

static void test_zpl_titles_and_fonts(void **state)
{
	(void)state;
	struct label_settings ls;
	label_settings_init(&ls);
	struct zcmd c[32];

	/* A long title: two lines, the second cut with "...". */
	struct label_item it = {"Organic jasmine rice from Surin province, new crop, "
	                        "stone milled, vacuum packed, five kilogram bag",
	                        "185.00", "4006381333931", LABEL_EAN13};
	char *z = render(&it, &ls, LABEL_ZPL, 1);
	size_t n = zpl_parse(z, c, 32);
	const char *l1 = c[zfind(c, n, "FD", 0)].arg;
	const char *l2 = c[zfind(c, n, "FD", 1)].arg;
	assert_true(!strncmp(l1, "Organic", 7));
	assert_true(strlen(l2) > 3 && !strcmp(l2 + strlen(l2) - 3, "..."));
	assert_string_equal(c[zfind(c, n, "FD", 2)].arg, "185.00");
	/* Lines break between words. */
	assert_true(l1[strlen(l1) - 1] != ' ');
	assert_non_null(strstr(it.title, l1));
	free(z);

	/* Thai passes through as UTF-8, with a printer font that has it, and
	   control characters never reach the printer. */
	strlcpy_t(ls.zpl_font, "E:ANMDJ.TTF", sizeof(ls.zpl_font));
	struct label_item th = {"\xe0\xb8\x82\xe0\xb9\x89\xe0\xb8\xb2\xe0\xb8\xa7\r\n^XZ", "45.00",
	                        "96385074", LABEL_EAN8};
	z = render(&th, &ls, LABEL_ZPL, 1);
	n = zpl_parse(z, c, 32);
	size_t fd = zfind(c, n, "FD", 0);
	assert_string_equal(c[fd].arg, "\xe0\xb8\x82\xe0\xb9\x89\xe0\xb8\xb2\xe0\xb8\xa7  _5EXZ");
	assert_string_equal(c[fd - 3].name, "A@");
	assert_string_equal(c[fd - 3].arg, "N,28,28,E:ANMDJ.TTF");
	assert_string_equal(c[n - 1].name, "XZ");
	assert_int_equal(strstr(z, "^XZ"), strrchr(z, '^'));
	free(z);

	/* A 300 dpi printer: dots scale. */
	label_settings_init(&ls);
	ls.dpmm = 12;
	z = render(&th, &ls, LABEL_ZPL, 1);
	n = zpl_parse(z, c, 32);
	assert_string_equal(c[zfind(c, n, "PW", 0)].arg, "600");
	assert_string_equal(c[zfind(c, n, "BY", 0)].arg, "4");
	free(z);
}

static void test_render_errors(void **state)
{
	(void)state;
	struct label_settings ls;
	label_settings_init(&ls);
	struct buf b = BUF_INIT(LABEL_MAX_BYTES);
	char err[256] = "";
	struct label_item it = {"x", "1.00", "4006381333931", LABEL_EAN13};
	assert_int_equal(label_render(&it, &ls, LABEL_ZPL, 0, &b, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "copies must be 1 to 1000");
	assert_int_equal(label_render(&it, &ls, LABEL_ZPL, 1001, &b, err, sizeof(err)),
	                 TALAD_EINVAL);
	/* A wrong check digit is refused, not "corrected" by the printer. */
	struct label_item bad = {"x", "1.00", "4006381333932", LABEL_EAN13};
	assert_int_equal(label_render(&bad, &ls, LABEL_ZPL, 1, &b, err, sizeof(err)), TALAD_EINVAL);
	assert_non_null(strstr(err, "not a valid ean13 code"));
	struct label_item mismatch = {"x", "1.00", "036000291452", LABEL_EAN13};
	assert_int_equal(label_render(&mismatch, &ls, LABEL_PNG, 1, &b, err, sizeof(err)),
	                 TALAD_EINVAL);
	/* Too long for a 50 mm label. */
	struct label_item wide = {
	    "x", "1.00", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", LABEL_CODE128};
	assert_int_equal(label_render(&wide, &ls, LABEL_ZPL, 1, &b, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "too long for a 50 mm wide label"));
	assert_int_equal(label_render(&wide, &ls, LABEL_PNG, 1, &b, err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "too long for a 50 mm wide label"));
	/* Bad settings and a font that is not there. */
	ls.dpmm = 0;
	assert_int_equal(label_render(&it, &ls, LABEL_ZPL, 1, &b, err, sizeof(err)), TALAD_EINVAL);
	assert_non_null(strstr(err, "bad label settings"));
	label_settings_init(&ls);
	strlcpy_t(ls.font, "/nonexistent/font.ttf", sizeof(ls.font));
	assert_int_equal(label_render(&it, &ls, LABEL_PNG, 1, &b, err, sizeof(err)), TALAD_EINVAL);
	assert_string_equal(err, "cannot load label font /nonexistent/font.ttf");
	/* Nothing was appended by any failure. */
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Writes a PNG label, checks its header, and returns what zbarimg reads
 * ("" when zbarimg is missing). */
static void png_roundtrip(const struct label_item *it, const struct label_settings *ls, char *got,
                          size_t gotlen)
{
	struct buf b = BUF_INIT(LABEL_MAX_BYTES);
	char err[256] = "";
	if (label_render(it, ls, LABEL_PNG, 1, &b, err, sizeof(err)) != TALAD_OK)
		fail_msg("label_render %s: %s", it->code, err);
	const unsigned char *p = (const unsigned char *)b.data;
	assert_true(b.len > 33);
	assert_memory_equal(p, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(p + 12, "IHDR", 4);
	assert_int_equal(be32(p + 16), (uint32_t)(ls->width_mm * ls->dpmm));
	assert_int_equal(be32(p + 20), (uint32_t)(ls->height_mm * ls->dpmm));
	assert_int_equal(p[24], 1); /* 1 bit */
	assert_int_equal(p[25], 0); /* greyscale */
	assert_memory_equal(p + 37, "pHYs", 4);
	assert_int_equal(be32(p + 41), (uint32_t)ls->dpmm * 1000);

	char path[] = "/tmp/talad-label-XXXXXX.png";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	close(fd);
	buf_release(&b);

	got[0] = '\0';
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q %s 2>/dev/null", path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(got, (int)gotlen, f))
		got[0] = '\0';
	got[strcspn(got, "\r\n")] = '\0';
	int status = pclose(f);
	unlink(path);
	if (status != 0)
		fail_msg("zbarimg could not read the %s label of %s", label_symbol_name(it->symbol),
		         it->code);
}

static bool have_zbarimg(void)
{
	return system("command -v zbarimg >/dev/null 2>&1") == 0;
}

static void test_png_zbarimg(void **state)
{
	(void)state;
	if (!have_zbarimg()) {
		print_message("zbarimg is missing (apt-get install zbar-tools): "
		              "PNG labels not read back\n");
		skip();
	}
	struct label_settings ls;
	label_settings_init(&ls);
	const struct label_item items[] = {
	    {"Jasmine rice 5 kg", "185.00 THB", "4006381333931", LABEL_EAN13},
	    {"Cola can", "15.00 THB", "036000291452", LABEL_UPCA},
	    {"Chewing gum", "5.00 THB", "96385074", LABEL_EAN8},
	    {"T-shirt red M", "299.00 THB", "TSHIRT-RED-M", LABEL_CODE128},
	    {"\xe0\xb8\x82\xe0\xb9\x89\xe0\xb8\xb2\xe0\xb8\xa7\xe0\xb8\xab\xe0\xb8\xad"
	     "\xe0\xb8\xa1\xe0\xb8\xa1\xe0\xb8\xb0\xe0\xb8\xa5\xe0\xb8\xb4",
	     "\xe0\xb8\xbf"
	     "185.00",
	     "5901234123457", LABEL_EAN13},
	};
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		char got[128];
		png_roundtrip(&items[i], &ls, got, sizeof(got));
		/* zbar reports a UPC-A as its 13-digit GTIN. */
		char a[BARCODE_CODE_MAX], b[BARCODE_CODE_MAX];
		assert_int_equal(barcode_normalize(items[i].code, a), TALAD_OK);
		if (barcode_normalize(got, b) != TALAD_OK)
			fail_msg("zbarimg read '%s' for %s", got, items[i].code);
		assert_string_equal(a, b);
	}
	/* Other sizes and resolutions read back too. */
	ls.dpmm = 12;
	ls.width_mm = 62;
	ls.height_mm = 29;
	char got[128];
	png_roundtrip(&items[3], &ls, got, sizeof(got));
	assert_string_equal(got, "TSHIRT-RED-M");
	png_roundtrip(&items[1], &ls, got, sizeof(got));
	assert_string_equal(got, "0036000291452");
}

static void test_svg(void **state)
{
	(void)state;
	struct label_settings ls;
	label_settings_init(&ls);
	struct label_item it = {"Fish & <Chips> \"large\"", "99.00 THB", "4006381333931",
	                        LABEL_EAN13};
	char *s = render(&it, &ls, LABEL_SVG, 1);
	assert_non_null(strstr(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"50mm\" "
	                          "height=\"30mm\" viewBox=\"0 0 400 240\">"));
	assert_non_null(strstr(s, ">Fish &amp; &lt;Chips&gt; &quot;large&quot;</text>"));
	assert_non_null(strstr(s, ">99.00 THB</text>"));
	/* EAN-13: 30 bars (3 guards of 2 and 12 digits of 2), and its digits. */
	size_t rects = 0;
	for (const char *p = s; (p = strstr(p, "<rect x=")) != NULL; p++)
		rects++;
	assert_int_equal(rects, 30);
	assert_non_null(strstr(s, ">006381</text>"));
	assert_non_null(strstr(s, ">333931</text>"));
	assert_non_null(strstr(s, "</svg>\n"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pick_code),
	    cmocka_unit_test(test_names_and_sizes),
	    cmocka_unit_test(test_zpl_ean13_fields),
	    cmocka_unit_test(test_zpl_other_symbols),
	    cmocka_unit_test(test_zpl_titles_and_fonts),
	    cmocka_unit_test(test_render_errors),
	    cmocka_unit_test(test_png_zbarimg),
	    cmocka_unit_test(test_svg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
