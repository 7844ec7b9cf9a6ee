/* libFuzzer harness for what reads scanned input: barcode classification,
 * in-store templates and their decoding, and the scanner's line and evdev
 * decoders. Any bytes must be refused cleanly or give results that obey the
 * rules the register relies on (a code is printable ASCII, a decoded
 * in-store code has a right check digit). The first byte picks the target. */
#include "common/err.h"
#include "core/barcode.h"
#include "hw/scanner.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_barcode: %s: %s\n", what, detail);
	abort();
}

static void check_code(const char *code)
{
	size_t n = strlen(code);
	if (n == 0 || n >= BARCODE_CODE_MAX)
		broken("a decoder returned an empty or over-long code", code);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)code[i] < 0x20 || (unsigned char)code[i] > 0x7e)
			broken("a decoder returned a non-printable byte", code);
}

static void fuzz_classify(const char *s)
{
	struct barcode_scan sc;
	char err[64] = "";
	int rc = barcode_classify(s, &sc, err, sizeof(err));
	if (rc == TALAD_OK) {
		if (sc.verdict != BARCODE_VALID || err[0])
			broken("accepted with a verdict or a message", s);
		char norm[BARCODE_CODE_MAX];
		if (barcode_normalize(s, norm) != TALAD_OK)
			broken("a valid code does not normalise", s);
		size_t n = strlen(s);
		if (sc.kind != BARCODE_KIND_OTHER && n != 8 && n != 12 && n != 13)
			broken("a gs1 kind with the wrong length", s);
	} else {
		if (rc != TALAD_EINVAL || sc.verdict == BARCODE_VALID)
			broken("refused without a verdict", s);
		if (strcmp(err, barcode_verdict_message(sc.verdict)) != 0)
			broken("refused with an unexpected message", err);
	}
}

static void fuzz_instore(const char *s)
{
	/* "TEMPLATES\nCODE" */
	char spec[256];
	const char *nl = strchr(s, '\n');
	size_t sl = nl ? (size_t)(nl - s) : strlen(s);
	if (sl >= sizeof(spec))
		sl = sizeof(spec) - 1;
	memcpy(spec, s, sl);
	spec[sl] = '\0';
	struct barcode_template t;
	char err[256] = "";
	if (barcode_template_parse(spec, &t, err, sizeof(err)) != TALAD_OK) {
		if (!err[0] || t.n != 0)
			broken("a refused template without a message or with patterns", spec);
		return;
	}
	if (t.n > BARCODE_TEMPLATES_MAX)
		broken("too many templates", spec);
	for (size_t i = 0; i < t.n; i++)
		if (t.pattern[i][0] != '2')
			broken("a template outside the in-store range", t.pattern[i]);
	if (!nl)
		return;
	struct barcode_instore in;
	int rc = barcode_instore_decode(&t, nl + 1, &in, err, sizeof(err));
	if (rc == TALAD_OK) {
		struct barcode_scan sc;
		if (barcode_classify(in.base, &sc, NULL, 0) != TALAD_OK ||
		    sc.kind == BARCODE_KIND_OTHER)
			broken("a decoded code's base is not a valid code", in.base);
		if (in.has_price == in.has_weight || in.price < 0 || in.weight_g < 0 || !in.item[0])
			broken("a decoded code without exactly one measure or item", nl + 1);
		if (barcode_classify(nl + 1, &sc, NULL, 0) != TALAD_OK)
			broken("decoded a code that does not classify as valid", nl + 1);
	} else if (rc != TALAD_ENOTFOUND && rc != TALAD_EINVAL) {
		broken("an unexpected status", nl + 1);
	}
}

static void fuzz_lines(const uint8_t *d, size_t n)
{
	struct scanner_lines l;
	scanner_lines_init(&l);
	for (size_t i = 0; i < n; i++) {
		char code[BARCODE_CODE_MAX];
		char err[128] = "";
		int rc = scanner_lines_feed(&l, d[i], code, err, sizeof(err));
		if (rc == SCANNER_CODE)
			check_code(code);
		else if (rc == TALAD_EINVAL && strncmp(err, "unreadable scan: ", 17) != 0)
			broken("a garbled line without its message", err);
		else if (rc != SCANNER_NONE && rc != TALAD_EINVAL)
			broken("an unexpected status from the line decoder", "");
	}
}

static void fuzz_keys(const uint8_t *d, size_t n)
{
	struct scanner_keys k;
	scanner_keys_init(&k);
	/* Five bytes an event: type (EV_SYN, EV_KEY, EV_MSC), code, value,
	   and a time step in tens of milliseconds. */
	int64_t t = 0;
	for (size_t i = 0; i + 5 <= n; i += 5) {
		static const uint16_t types[4] = {EV_SYN, EV_KEY, EV_KEY, EV_MSC};
		struct input_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.type = types[d[i] & 3];
		ev.code = (uint16_t)(d[i + 1] | (d[i] & 0x80 ? 0x100 : 0));
		ev.value = (int32_t)(d[i + 2] % 3);
		t += (int64_t)d[i + 3] * 10;
		ev.input_event_sec = t / 1000;
		ev.input_event_usec = (t % 1000) * 1000;
		char code[BARCODE_CODE_MAX];
		char err[128] = "";
		int rc = scanner_keys_feed(&k, &ev, code, err, sizeof(err));
		if (rc == SCANNER_CODE)
			check_code(code);
		else if (rc == TALAD_EINVAL && strncmp(err, "unreadable scan: ", 17) != 0)
			broken("a garbled scan without its message", err);
		else if (rc != SCANNER_NONE && rc != TALAD_EINVAL)
			broken("an unexpected status from the key decoder", "");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	uint8_t target = data[0];
	data++;
	size--;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	switch (target % 4) {
	case 0:
		fuzz_classify(s);
		break;
	case 1:
		fuzz_instore(s);
		break;
	case 2:
		fuzz_lines(data, size);
		break;
	default:
		fuzz_keys(data, size);
		break;
	}
	free(s);
	return 0;
}
