/* Unit tests of PromptPay on the command line: which id is shown (the
 * register's setting over the shop's), the QR code drawn in half blocks read
 * back module by module, and the cashier's confirmation -- asked on a
 * terminal, given with --confirm, refused without either -- recorded as the
 * payment reference only when every PromptPay payment is confirmed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/fixtures.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "core/tender.h"
#include "register/promptpay.h"
#include "register/rstore.h"
#include "register/till_qr.h"

#define REG_ID FX_REG_ID
#define LOC_ID FX_LOC_ID

static const char *snapshot_json =
    "{\"cursor\": 10, \"server_time\": \"2026-01-01T00:00:00.000Z\","
    " \"shop\": {\"name\": \"Talad Coffee\", \"currency\": \"THB\", "
    "\"tax_rate_ppm\": 70000,"
    "  \"tax_included\": true, \"tax_rounding\": \"line\", \"cash_increment\": "
    "0,"
    "  \"tax_id\": \"\", \"address\": \"\", \"receipt_footer\": \"\","
    "  \"promptpay_id\": \"0812345678\"},"
    " \"register\": {\"id\": \"" REG_ID "\", \"name\": \"Counter 1\", \"code\": \"R01\"},"
    " \"location\": {\"id\": \"" LOC_ID "\", \"name\": \"Main\"},"
    " \"products\": [], \"staff\": [], \"payment_methods\": []}";

struct fixture {
	char dir[64];
	char path[128];
	struct rstore *st;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	if (fx_tmpdir("talad-promptpay", f->dir, sizeof(f->dir)))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/register.db", f->dir);
	if (fx_register_store(f->path, snapshot_json, false, &f->st))
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

static void thb(struct currency *c)
{
	assert_int_equal(currency_lookup("THB", c), TALAD_OK);
}

/* 100.00 by PromptPay, 50.00 by bank transfer, 60.00 cash (10.00 change). */
static void settlement(struct settlement *s)
{
	memset(s, 0, sizeof(*s));
	s->payments[0].kind = TENDER_CUSTOM;
	strcpy(s->payments[0].name, "PromptPay QR");
	s->payments[0].amount = s->payments[0].tendered = 10000;
	s->payments[1].kind = TENDER_CUSTOM;
	strcpy(s->payments[1].name, "Bank transfer");
	s->payments[1].amount = s->payments[1].tendered = 5000;
	s->payments[2].kind = TENDER_CASH;
	s->payments[2].amount = 5000;
	s->payments[2].tendered = 6000;
	s->payments[2].change = 1000;
	s->npayments = 3;
	s->due = 20000;
	s->change = 1000;
}

static void test_names_and_ids(void **state)
{
	struct fixture *f = *state;
	char err[256], id[64];
	assert_true(promptpay_method("PromptPay QR"));
	assert_true(promptpay_method("promptpay"));
	assert_true(promptpay_method("My PROMPTPAY"));
	assert_false(promptpay_method("Bank transfer"));
	assert_false(promptpay_method("Prompt Pay"));

	assert_int_equal(promptpay_config_check("promptpay-id", "081-234-5678", err, sizeof(err)),
	                 TALAD_OK);
	assert_int_equal(promptpay_config_check("promptpay-id", "0105551234567", err, sizeof(err)),
	                 TALAD_OK);
	err[0] = '\0';
	assert_int_equal(promptpay_config_check("promptpay-id", "12345", err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "PromptPay id"));
	assert_int_equal(promptpay_config_check("printer", "12345", err, sizeof(err)), TALAD_OK);

	/* The shop's id, until the register has its own. */
	promptpay_id(f->st, id, sizeof(id));
	assert_string_equal(id, "0812345678");
	assert_int_equal(rstore_setting_set(f->st, PROMPTPAY_CONFIG_KEY, "0899999999"), TALAD_OK);
	promptpay_id(f->st, id, sizeof(id));
	assert_string_equal(id, "0899999999");

	assert_true(promptpay_ref_valid("KBANK 123"));
	assert_true(promptpay_ref_valid("โอนแล้ว"));
	assert_false(promptpay_ref_valid(""));
	assert_false(promptpay_ref_valid("a\nb"));
	char longref[TENDER_REF_MAX + 1];
	memset(longref, 'x', TENDER_REF_MAX);
	longref[TENDER_REF_MAX] = '\0';
	assert_false(promptpay_ref_valid(longref));
	longref[TENDER_REF_MAX - 1] = '\0';
	assert_true(promptpay_ref_valid(longref));
}

/* Reads the half-block drawing in text back into modules (light = block)
 * and compares it with the symbol of want. */
static void assert_drawing_is(const char *text, const char *want)
{
	struct till_qr *qr = xcalloc(1, sizeof(*qr));
	char err[256];
	assert_int_equal(till_qr_encode(want, qr, err, sizeof(err)), TALAD_OK);
	const int side = qr->size + 4;
	const char *p = strstr(text, "\033[40;97m");
	assert_non_null(p);
	for (int r = 0; r < side; r += 2) {
		assert_memory_equal(p, "\033[40;97m", 8);
		p += 8;
		for (int c = 0; c < side; c++) {
			bool top_light, bot_light;
			if (!strncmp(p, "█", 3)) {
				top_light = bot_light = true;
				p += 3;
			} else if (!strncmp(p, "▀", 3)) {
				top_light = true;
				bot_light = false;
				p += 3;
			} else if (!strncmp(p, "▄", 3)) {
				top_light = false;
				bot_light = true;
				p += 3;
			} else {
				assert_int_equal(*p, ' ');
				top_light = bot_light = false;
				p++;
			}
			int mr = r - 2, mc = c - 2;
			bool in = mc >= 0 && mc < qr->size;
			bool top_dark = in && mr >= 0 && mr < qr->size && qr->dark[mr][mc];
			bool bot_dark = r + 1 >= side || (in && mr + 1 >= 0 && mr + 1 < qr->size &&
			                                  qr->dark[mr + 1][mc]);
			assert_int_equal(top_light, !top_dark);
			assert_int_equal(bot_light, !bot_dark);
		}
		assert_memory_equal(p, "\033[0m\n", 5);
		p += 5;
	}
	free(qr);
}

/* Runs promptpay_confirm with typed as the cashier's input; the terminal's
 * output goes to *shown (the caller frees it). */
static int run_confirm(struct fixture *f, const struct currency *cur, struct settlement *s,
                       const char *typed, char **shown, char *err, size_t errlen)
{
	size_t len;
	FILE *in = fmemopen((void *)typed, strlen(typed), "r");
	FILE *out = open_memstream(shown, &len);
	assert_non_null(in);
	assert_non_null(out);
	int rc = promptpay_confirm(f->st, cur, s, NULL, in, out, NULL, err, errlen);
	fclose(in);
	fclose(out);
	return rc;
}

static void test_confirm(void **state)
{
	struct fixture *f = *state;
	struct currency cur;
	struct settlement s;
	char err[512], *shown, payload[TILL_QR_PAYLOAD_MAX];
	size_t asked;
	thb(&cur);

	/* No terminal and no --confirm: refused, nothing recorded. */
	settlement(&s);
	assert_int_equal(
	    promptpay_confirm(f->st, &cur, &s, NULL, NULL, NULL, &asked, err, sizeof(err)),
	    TALAD_ESTATE);
	assert_int_equal(asked, 1);
	assert_non_null(strstr(err, "--confirm REF"));
	assert_string_equal(s.payments[0].reference, "");

	/* --confirm: PromptPay takes the reference, the other methods not. */
	assert_int_equal(
	    promptpay_confirm(f->st, &cur, &s, "KBANK 0042", NULL, NULL, &asked, err, sizeof(err)),
	    TALAD_OK);
	assert_string_equal(s.payments[0].reference, "KBANK 0042");
	assert_string_equal(s.payments[1].reference, "");
	assert_string_equal(s.payments[2].reference, "");

	/* On a terminal: the QR code for 100.00 to the shop's id, then asked. */
	settlement(&s);
	assert_int_equal(run_confirm(f, &cur, &s, "  SCB 7788  \ny\n", &shown, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(s.payments[0].reference, "SCB 7788");
	assert_non_null(strstr(shown, "PromptPay QR  THB 100.00  to 0812345678"));
	assert_non_null(strstr(shown, "reference shown in the customer's app"));
	assert_non_null(strstr(shown, "has THB 100.00 arrived by PromptPay? [y/N]"));
	assert_int_equal(till_qr_promptpay("0812345678", 10000, payload, err, sizeof(err)),
	                 TALAD_OK);
	assert_drawing_is(shown, payload);
	free(shown);

	/* No reference typed: the default one. */
	settlement(&s);
	assert_int_equal(run_confirm(f, &cur, &s, "\nYES\n", &shown, err, sizeof(err)), TALAD_OK);
	assert_string_equal(s.payments[0].reference, PROMPTPAY_DEFAULT_REF);
	free(shown);

	/* Not arrived, or the input ends: refused, nothing recorded. */
	static const char *const no[] = {"KBANK 1\nn\n", "KBANK 1\n\n", "KBANK 1\n", ""};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		settlement(&s);
		assert_int_equal(run_confirm(f, &cur, &s, no[i], &shown, err, sizeof(err)),
		                 TALAD_EREFUSED);
		assert_string_equal(s.payments[0].reference, "");
		assert_non_null(strstr(err, "was not confirmed"));
		free(shown);
	}

	/* Two PromptPay payments: both asked; a no on the second records none. */
	settlement(&s);
	strcpy(s.payments[1].name, "promptpay");
	assert_int_equal(run_confirm(f, &cur, &s, "A1\ny\nA2\nn\n", &shown, err, sizeof(err)),
	                 TALAD_EREFUSED);
	assert_string_equal(s.payments[0].reference, "");
	assert_string_equal(s.payments[1].reference, "");
	free(shown);
	settlement(&s);
	strcpy(s.payments[1].name, "promptpay");
	assert_int_equal(run_confirm(f, &cur, &s, "A1\ny\nA2\ny\n", &shown, err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(s.payments[0].reference, "A1");
	assert_string_equal(s.payments[1].reference, "A2");
	assert_non_null(strstr(shown, "promptpay  THB 50.00  to 0812345678"));
	free(shown);

	/* No QR code for another currency: said, and still asked. */
	struct currency usd;
	assert_int_equal(currency_lookup("USD", &usd), TALAD_OK);
	settlement(&s);
	assert_int_equal(run_confirm(f, &usd, &s, "\ny\n", &shown, err, sizeof(err)), TALAD_OK);
	assert_non_null(strstr(shown, "no QR code: PromptPay takes baht only"));
	assert_null(strstr(shown, "\033[40;97m"));
	free(shown);

	/* No PromptPay payment: nothing asked, and --confirm is a mistake. */
	settlement(&s);
	strcpy(s.payments[0].name, "Cheque");
	assert_int_equal(
	    promptpay_confirm(f->st, &cur, &s, NULL, NULL, NULL, &asked, err, sizeof(err)),
	    TALAD_OK);
	assert_int_equal(asked, 0);
	assert_int_equal(promptpay_confirm_sale(f->st, &cur, &s, "REF", err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_non_null(strstr(err, "has none"));
	settlement(&s);
	assert_int_equal(promptpay_confirm_sale(f->st, &cur, &s, "bad\tref", err, sizeof(err)),
	                 TALAD_EINVAL);
	assert_int_equal(promptpay_confirm_sale(f->st, &cur, &s, "OK 1", err, sizeof(err)),
	                 TALAD_OK);
	assert_string_equal(s.payments[0].reference, "OK 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_names_and_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_confirm, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
