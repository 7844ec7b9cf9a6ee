/* libFuzzer harness for snapread_product_text, the register's reader of a
 * snapshot's products straight from the JSON text: on any bytes it must
 * agree with jansson followed by snapread_product_json -- both refuse, or
 * both accept with the same record, the same end and the same message for a
 * bad field. The one allowed difference: the text reader refuses every NUL
 * byte, where jansson skips one after a number or literal. */
#include "common/err.h"
#include "register/snapread.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A finding: say what broke, then crash so the fuzzer keeps the input. */
static void broken(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_snapread: %s: '%s' / '%s'\n", what, a, b);
	abort();
}

static void same_records(const struct snapread_product *a, const struct snapread_product *b)
{
	if (strcmp(a->id, b->id) || strcmp(a->title, b->title) || a->n != b->n)
		broken("the products differ", a->id, b->id);
	for (size_t i = 0; i < a->n; i++) {
		const struct snapread_variant *x = &a->v[i], *y = &b->v[i];
		if (strcmp(x->id, y->id) || strcmp(x->sku, y->sku) ||
		    strcmp(x->barcode, y->barcode) || strcmp(x->title, y->title) ||
		    x->price != y->price || x->taxable != y->taxable || x->tracked != y->tracked ||
		    x->has_level != y->has_level || x->available != y->available)
			broken("a variant differs", x->id, y->id);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	json_error_t je;
	json_t *j = json_loadb(buf, size, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &je);
	struct snapread_product *pa = NULL, *pb = NULL;
	char ea[256] = "", eb[256] = "";
	size_t pos = 0;
	int rb = snapread_product_text(buf, size, &pos, true, &pb, eb, sizeof(eb));
	bool syntax = rb != TALAD_OK && strncmp(eb, "not valid json at byte ", 23) == 0;
	if (rb != TALAD_OK && (pb || !eb[0]))
		broken("refused without a message, or with a record", eb, "");
	if (!j) {
		if (!syntax)
			broken("jansson refused what the reader took", je.text, eb);
		return 0;
	}
	int ra = snapread_product_json(j, true, &pa, ea, sizeof(ea));
	json_decref(j);
	if (syntax && !memchr(buf, '\0', size))
		broken("the reader refused what jansson took", eb, "");
	if (!syntax) {
		if (ra != rb)
			broken("tree and text disagree", ea, eb);
		if (ra == TALAD_OK) {
			if (pos != (size_t)je.position)
				broken("the reader ended elsewhere", "", "");
			same_records(pa, pb);
		} else if (strcmp(ea, eb) != 0) {
			broken("the messages differ", ea, eb);
		}
	}
	free(pa);
	free(pb);
	return 0;
}

#ifdef FUZZ_STANDALONE
/* Without libFuzzer (gcc, or to replay a crash): runs each file named. */
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "fuzz_snapread: cannot open %s\n", argv[i]);
			return 1;
		}
		static uint8_t buf[1 << 20];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		printf("ok %s\n", argv[i]);
	}
	return 0;
}
#endif
