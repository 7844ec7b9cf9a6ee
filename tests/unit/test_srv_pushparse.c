/* Unit tests for server/pushparse, the /sync/push body reader: mutations
 * come back in order with their payload bytes as sent, orders validated and
 * re-priced (totals that do not add up are kept as a refusal, not an error
 * of the batch), and every malformed envelope refused whole with the field
 * named — on a small batch and on one big enough to be read by threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "server/pushparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG "01900000-0000-7000-8000-00000000a001"
#define LOC "01900000-0000-7000-8000-00000000a002"

/* One order of a taxable line at 107.00 (7 % included), paid in cash;
 * tax_total is a parameter so that it can be made wrong. */
static void order_json(struct buf *b, unsigned n, int tax_total)
{
	buf_printf(b,
	           "{\"id\":\"01900000-0000-7000-8001-%012u\",\"number\":\"R01-%06u\","
	           "\"register_id\":\"" REG "\",\"location_id\":\"" LOC "\",\"staff_id\":null,"
	           "\"created_at\":\"2026-12-04T19:48:10.123Z\",\"currency\":\"THB\","
	           "\"tax\":{\"rate_ppm\":70000,\"included\":true,\"rounding\":\"line\"},"
	           "\"order_discount\":null,\"lines\":[{\"variant_id\":null,\"sku\":null,"
	           "\"title\":\"Tea\",\"quantity\":1,\"unit_price\":10700,\"taxable\":true,"
	           "\"discount\":null,\"gross\":10700,\"line_discount\":0,\"order_discount\":0,"
	           "\"net\":10700,\"tax\":700,\"total\":10700}],\"subtotal\":10700,"
	           "\"discount_total\":0,\"tax_total\":%d,\"total\":10700,\"payments\":[{"
	           "\"method\":\"cash\",\"name\":null,\"reference\":null,\"card_brand\":null,"
	           "\"card_last4\":null,\"amount\":10700,\"tendered\":10700,\"change\":0}],"
	           "\"cash_rounding\":0,\"due\":10700,\"change\":0,\"email\":null,\"ship_to\":null,"
	           "\"note\":null}",
	           n, n, tax_total);
}

static void mutation(struct buf *b, unsigned seq, const char *type, const char *payload)
{
	buf_printf(b,
	           "{\"seq\":%u,\"op_id\":\"01900000-0000-7000-8002-%012u\",\"type\":\"%s\","
	           "\"created_at\":\"2026-12-04T19:48:11.000Z\",\"payload\":%s}",
	           seq, seq, type, payload);
}

/* A body of n orders, the bad-th (1-based, 0 for none) with wrong totals. */
static char *body_of(unsigned n, unsigned bad)
{
	struct buf b = BUF_INIT(64u << 20);
	buf_puts(&b, "{\"register_id\":\"" REG "\", \"pending\": 7, \"mutations\": [\n");
	for (unsigned i = 1; i <= n; i++) {
		struct buf o = BUF_INIT(1u << 20);
		order_json(&o, i, i == bad ? 701 : 700);
		if (i > 1)
			buf_puts(&b, ",\n  ");
		mutation(&b, i, "order.create", buf_str(&o));
		buf_release(&o);
	}
	buf_puts(&b, "]}");
	return buf_detach(&b, NULL);
}

static void test_batch(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= 300; n += 299) {
		char *body = body_of(n, n);
		struct push_batch pb;
		struct jerr e;
		assert_int_equal(PUSHPARSE_OK, pushparse_body(body, strlen(body), 500, &pb, &e));
		assert_string_equal(REG, pb.register_id);
		assert_int_equal(7, pb.pending);
		assert_int_equal(n, pb.n);
		for (unsigned i = 0; i < n; i++) {
			struct push_item *it = &pb.items[i];
			char want[64];
			assert_int_equal(i + 1, it->seq);
			snprintf(want, sizeof(want), "01900000-0000-7000-8002-%012u", i + 1);
			assert_string_equal(want, it->op_id);
			assert_string_equal("order.create", it->type);
			/* The payload's bytes as they were in the body. */
			struct buf o = BUF_INIT(1u << 20);
			order_json(&o, i + 1, i + 1 == n ? 701 : 700);
			assert_string_equal(buf_str(&o), it->payload_text);
			buf_release(&o);
			if (i + 1 == n) {
				assert_false(it->order_ok);
				assert_non_null(strstr(it->order_err, "do not add up"));
			} else {
				assert_true(it->order_ok);
				assert_int_equal(10700, it->order.cart.total);
				assert_int_equal(700, it->order.cart.tax_total);
			}
		}
		pushparse_release(&pb);
		free(body);
	}
}

static void test_other_types_keep_their_payload(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(1u << 20);
	buf_puts(&b, "{\"mutations\":[");
	mutation(&b, 5, "drawer.open",
	         "{\"id\":\"01900000-0000-7000-8003-000000000001\",\"reason\":\"ไทย \\\"q\\\"\"}");
	buf_puts(&b, ",");
	mutation(&b, 6, "some.future.type", "{}");
	buf_puts(&b, "],\"register_id\":\"" REG "\"}");
	struct push_batch pb;
	struct jerr e;
	assert_int_equal(PUSHPARSE_OK, pushparse_body(buf_str(&b), b.len, 500, &pb, &e));
	assert_int_equal(-1, pb.pending);
	assert_int_equal(2, pb.n);
	assert_string_equal("ไทย \"q\"",
	                    json_string_value(json_object_get(pb.items[0].payload, "reason")));
	assert_string_equal("some.future.type", pb.items[1].type);
	assert_string_equal("{}", pb.items[1].payload_text);
	pushparse_release(&pb);
	buf_release(&b);
}

/* Checks that body is refused with kind, naming field ("" for bad JSON). */
static void refused(const char *body, enum pushparse_error kind, const char *field)
{
	struct push_batch pb;
	struct jerr e;
	enum pushparse_error got = pushparse_body(body, strlen(body), 3, &pb, &e);
	if (got != kind || strcmp(e.field, field)) {
		fprintf(stderr, "body %s\ngot %d field '%s' message '%s'\n", body, got, e.field,
		        e.message);
		fail();
	}
	assert_int_equal(0, pb.n);
	assert_null(pb.items);
}

#define M(seq, op)                                                                                 \
	"{\"seq\":" seq ",\"op_id\":\"" op                                                         \
	"\",\"type\":\"x\",\"created_at\":\"2026-12-04T19:48:11.000Z\",\"payload\":{}}"
#define OP1 "01900000-0000-7000-8002-000000000001"

static void test_malformed(void **state)
{
	(void)state;
	refused("", PUSHPARSE_BAD_JSON, "");
	refused("[]", PUSHPARSE_BAD_JSON, "");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[]", PUSHPARSE_BAD_JSON, "");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[]} x", PUSHPARSE_BAD_JSON, "");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[" M("1", OP1) ",]}",
	        PUSHPARSE_BAD_JSON, "");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[{\"seq\":1,}]}", PUSHPARSE_BAD_JSON,
	        "");
	refused("{\"register_id\":\"" REG "\",\"register_id\":\"" REG "\",\"mutations\":[]}",
	        PUSHPARSE_BAD_JSON, "");
	refused("{\"mutations\":[]}", PUSHPARSE_BAD_FIELD, "register_id");
	refused("{\"register_id\":\"" REG "\"}", PUSHPARSE_BAD_FIELD, "mutations");
	refused("{\"register_id\":\"nope\",\"mutations\":[]}", PUSHPARSE_BAD_FIELD, "register_id");
	refused("{\"register_id\":\"" REG "\",\"mutations\":{}}", PUSHPARSE_BAD_FIELD, "mutations");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[],\"pending\":-1}",
	        PUSHPARSE_BAD_FIELD, "pending");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[],\"extra\":1}", PUSHPARSE_BAD_FIELD,
	        "extra");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[1]}", PUSHPARSE_BAD_FIELD,
	        "mutations[0]");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[" M("0", OP1) "]}",
	        PUSHPARSE_BAD_FIELD, "mutations[0].seq");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[" M("\"1\"", OP1) "]}",
	        PUSHPARSE_BAD_FIELD, "mutations[0].seq");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[" M("1", OP1) "," M("2", "x") "]}",
	        PUSHPARSE_BAD_FIELD, "mutations[1].op_id");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[" M("2", OP1) "," M("2", OP1) "]}",
	        PUSHPARSE_BAD_FIELD, "mutations[1].seq");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[" M("1", OP1) "," M("2", OP1) "," M(
	            "3", OP1) "," M("4", OP1) "]}",
	        PUSHPARSE_BAD_FIELD, "mutations");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[{\"seq\":1,\"op_id\":\"" OP1
	        "\",\"type\":\"x\",\"created_at\":\"yesterday\",\"payload\":{}}]}",
	        PUSHPARSE_BAD_FIELD, "mutations[0].created_at");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[{\"seq\":1,\"op_id\":\"" OP1
	        "\",\"type\":\"x\",\"created_at\":\"2026-12-04T19:48:11.000Z\",\"payload\":[]}]}",
	        PUSHPARSE_BAD_FIELD, "mutations[0].payload");
	refused("{\"register_id\":\"" REG "\",\"mutations\":[{\"seq\":1,\"op_id\":\"" OP1
	        "\",\"type\":\"x\",\"created_at\":\"2026-12-04T19:48:11.000Z\",\"payload\":{},"
	        "\"payload\":{}}]}",
	        PUSHPARSE_BAD_JSON, "");
}

/* The first bad mutation of a big batch is the one reported. */
static void test_first_error_of_many(void **state)
{
	(void)state;
	char *body = body_of(200, 0);
	char *at = strstr(body, "\"seq\":150,");
	assert_non_null(at);
	memcpy(at, "\"seq\":1x0", 9); /* broken JSON inside mutations[149] */
	struct push_batch pb;
	struct jerr e;
	enum pushparse_error got = pushparse_body(body, strlen(body), 500, &pb, &e);
	assert_int_equal(PUSHPARSE_BAD_JSON, got);
	assert_non_null(strstr(e.message, "mutations[149]"));
	free(body);
}

/* The pipeline: the caller takes mutations in order while threads read
 * ahead, and may stop early (as the push handler does on a database error). */
static void test_pipeline_stops_early(void **state)
{
	(void)state;
	char *body = body_of(300, 0);
	for (size_t stop = 0; stop < 300; stop += 37) {
		struct push_batch pb;
		struct jerr e;
		assert_int_equal(PUSHPARSE_OK, pushparse_start(body, strlen(body), 500, &pb, &e));
		assert_int_equal(300, pb.n);
		for (size_t i = 0; i < stop; i++) {
			assert_int_equal(PUSHPARSE_OK, pushparse_item(&pb, i, &e));
			assert_int_equal(i + 1, pb.items[i].seq);
			assert_true(pb.items[i].order_ok);
		}
		pushparse_release(&pb); /* joins the threads, frees what they read */
	}
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_batch),
	    cmocka_unit_test(test_other_types_keep_their_payload),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_first_error_of_many),
	    cmocka_unit_test(test_pipeline_stops_early),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
