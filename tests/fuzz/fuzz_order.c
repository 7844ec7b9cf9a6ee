/* libFuzzer harness for order_from_json(), the server's reader of the orders
 * registers push: any bytes must be refused cleanly with a message, or be
 * accepted and then written and read back to the very same JSON. */
#include "common/err.h"
#include "core/order.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A finding: say what broke, then crash so the fuzzer keeps the input. */
static void broken(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_order: %s: %s\n", what, detail);
	abort();
}

static void check_accepted(const struct order *o)
{
	char err[256] = "";
	struct order again;
	json_t *out = order_to_json(o);
	order_init(&again, NULL);
	if (order_from_json(out, &again, err, sizeof(err)) != TALAD_OK)
		broken("an accepted order was refused when read back", err);
	json_t *out2 = order_to_json(&again);
	if (!json_equal(out, out2))
		broken("an accepted order changed on a second round trip", o->id);
	json_decref(out2);
	json_decref(out);
	order_release(&again);
}

static void check_refused(const struct order *o, const char *err)
{
	if (!err[0])
		broken("refused without a message", "");
	/* The message goes into a JSON error answer: it must be valid UTF-8. */
	json_t *m = json_string(err);
	if (!m)
		broken("the message is not valid utf-8", "");
	json_decref(m);
	if (o->cart.lines || o->cart.nlines || o->id[0])
		broken("a refused order was not left empty", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	char err[256] = "";
	struct order o;
	json_t *j =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!j)
		return 0;
	order_init(&o, NULL);
	if (order_from_json(j, &o, err, sizeof(err)) == TALAD_OK)
		check_accepted(&o);
	else
		check_refused(&o, err);
	order_release(&o);
	json_decref(j);
	return 0;
}

#ifdef FUZZ_STANDALONE
/* Without libFuzzer (gcc, or to replay a crash): runs each file named. */
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "fuzz_order: cannot open %s\n", argv[i]);
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
