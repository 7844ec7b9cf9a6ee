/* PromptPay QR on the command line (promptpay.h): which id to show, the QR
 * code in half blocks, and the cashier's confirmation asked on the terminal
 * or given with --confirm, recorded as the payment's reference. */
#include "register/promptpay.h"

#include "common/err.h"
#include "common/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

bool promptpay_method(const char *name)
{
	for (const char *p = name ? name : ""; *p; p++)
		if (!strncasecmp(p, "promptpay", 9))
			return true;
	return false;
}

int promptpay_config_check(const char *key, const char *value, char *err, size_t errlen)
{
	char payload[TILL_QR_PAYLOAD_MAX];
	if (strcmp(key, PROMPTPAY_CONFIG_KEY) != 0)
		return TALAD_OK;
	return till_qr_promptpay(value, 0, payload, err, errlen);
}

void promptpay_id(struct rstore *st, char *out, size_t len)
{
	char *v = NULL;
	struct rstore_shop shop;
	out[0] = '\0';
	if (rstore_setting_get(st, PROMPTPAY_CONFIG_KEY, &v) == TALAD_OK && v[0])
		strlcpy_t(out, v, len);
	else if (rstore_get_shop(st, &shop) == TALAD_OK)
		strlcpy_t(out, shop.promptpay_id, len);
	free(v);
}

bool promptpay_ref_valid(const char *ref)
{
	size_t n = ref ? strlen(ref) : 0;
	if (n == 0 || n >= TENDER_REF_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)ref; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

void promptpay_draw_qr(FILE *f, const struct till_qr *qr)
{
	const int quiet = 2, side = qr->size + 2 * quiet;
	for (int r = 0; r < side; r += 2) {
		fputs("\033[40;97m", f);
		for (int c = 0; c < side; c++) {
			int mr = r - quiet, mc = c - quiet;
			bool in_col = mc >= 0 && mc < qr->size;
			bool top_dark = in_col && mr >= 0 && mr < qr->size && qr->dark[mr][mc];
			bool bot_dark =
			    in_col && mr + 1 >= 0 && mr + 1 < qr->size && qr->dark[mr + 1][mc];
			if (r + 1 >= side)
				bot_dark = true; /* below the quiet zone: the terminal's black */
			fputs(!top_dark && !bot_dark ? "█"
			      : !top_dark            ? "▀"
			      : !bot_dark            ? "▄"
			                             : " ",
			      f);
		}
		fputs("\033[0m\n", f);
	}
}

/* A line from the terminal without its end of line and surrounding blanks.
 * false at the end of input. */
static bool read_line(FILE *in, char *buf, size_t len)
{
	if (!fgets(buf, (int)len, in))
		return false;
	size_t n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n + 1 == len) {
		/* Longer than the buffer: drop the rest of the line. */
		int ch;
		while ((ch = fgetc(in)) != EOF && ch != '\n')
			;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	size_t lead = strspn(buf, " \t");
	memmove(buf, buf + lead, n - lead + 1);
	return true;
}

/* Shows the QR code for one payment and asks; TALAD_OK with ref filled. */
static int ask_one(struct rstore *st, const struct currency *cur, const struct payment *p, FILE *in,
                   FILE *out, char ref[TENDER_REF_MAX], char *err, size_t errlen)
{
	char id[64], payload[TILL_QR_PAYLOAD_MAX], why[256] = "", amount[MONEY_STRLEN];
	char line[512];
	struct till_qr *qr = xcalloc(1, sizeof(*qr));
	bool have = false;
	int rc = TALAD_EREFUSED;

	promptpay_id(st, id, sizeof(id));
	money_format_grouped(p->amount, cur->exponent, amount);
	if (strcmp(cur->code, "THB") != 0)
		snprintf(why, sizeof(why), "PromptPay takes baht only, the shop sells in %s",
		         cur->code);
	else if (!id[0])
		snprintf(why, sizeof(why),
		         "no PromptPay id is set (the shop's settings in the back office, or"
		         " talad config set %s ID)",
		         PROMPTPAY_CONFIG_KEY);
	else if (till_qr_promptpay(id, p->amount, payload, why, sizeof(why)) == TALAD_OK &&
	         till_qr_encode(payload, qr, why, sizeof(why)) == TALAD_OK)
		have = true;

	fprintf(out, "\n%s  %s %s%s%s\n", p->name, cur->code, amount, have ? "  to " : "",
	        have ? id : "");
	if (have) {
		promptpay_draw_qr(out, qr);
		fprintf(out, "the customer scans the code with their banking app and pays %s %s\n",
		        cur->code, amount);
	} else {
		fprintf(out, "no QR code: %s\n", why);
	}
	ref[0] = '\0';
	for (int tries = 0; tries < 3 && !ref[0]; tries++) {
		fprintf(out, "reference shown in the customer's app (Enter for none): ");
		fflush(out);
		if (!read_line(in, line, sizeof(line)))
			goto refused;
		if (!line[0]) {
			strlcpy_t(ref, PROMPTPAY_DEFAULT_REF, TENDER_REF_MAX);
			break;
		}
		if (promptpay_ref_valid(line))
			strlcpy_t(ref, line, TENDER_REF_MAX);
		else
			fprintf(out, "a reference is at most %d characters of text\n",
			        TENDER_REF_MAX - 1);
	}
	if (!ref[0])
		goto refused;
	fprintf(out, "has %s %s arrived by PromptPay? [y/N] ", cur->code, amount);
	fflush(out);
	if (read_line(in, line, sizeof(line)) &&
	    (!strcasecmp(line, "y") || !strcasecmp(line, "yes"))) {
		rc = TALAD_OK;
		goto out;
	}
refused:
	snprintf(err, errlen, "the PromptPay payment of %s %s was not confirmed", cur->code,
	         amount);
	ref[0] = '\0';
out:
	free(qr);
	return rc;
}

int promptpay_confirm(struct rstore *st, const struct currency *cur, struct settlement *s,
                      const char *confirm, FILE *in, FILE *out, size_t *asked, char *err,
                      size_t errlen)
{
	size_t n = 0;
	for (size_t i = 0; i < s->npayments; i++)
		if (s->payments[i].kind == TENDER_CUSTOM && promptpay_method(s->payments[i].name))
			n++;
	if (asked)
		*asked = n;
	if (n == 0)
		return TALAD_OK;
	if (!confirm && (!in || !out)) {
		snprintf(err, errlen,
		         "a PromptPay QR payment needs the cashier to confirm that the money"
		         " arrived: run talad sell on a terminal, or give --confirm REF (the"
		         " reference of the customer's payment)");
		return TALAD_ESTATE;
	}
	/* Asked first, recorded only when every one is confirmed. */
	char refs[TENDER_MAX][TENDER_REF_MAX];
	for (size_t i = 0; i < s->npayments && i < TENDER_MAX; i++) {
		struct payment *p = &s->payments[i];
		refs[i][0] = '\0';
		if (p->kind != TENDER_CUSTOM || !promptpay_method(p->name))
			continue;
		if (confirm) {
			strlcpy_t(refs[i], confirm, TENDER_REF_MAX);
			continue;
		}
		int rc = ask_one(st, cur, p, in, out, refs[i], err, errlen);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < s->npayments && i < TENDER_MAX; i++)
		if (refs[i][0])
			strlcpy_t(s->payments[i].reference, refs[i],
			          sizeof(s->payments[i].reference));
	return TALAD_OK;
}

int promptpay_confirm_sale(struct rstore *st, const struct currency *cur, struct settlement *s,
                           const char *confirm, char *err, size_t errlen)
{
	size_t asked = 0;
	if (confirm && !promptpay_ref_valid(confirm)) {
		snprintf(err, errlen,
		         "--confirm takes the payment's reference: 1 to %d characters of text",
		         TENDER_REF_MAX - 1);
		return TALAD_EINVAL;
	}
	FILE *tty = NULL;
	if (!confirm && isatty(STDIN_FILENO))
		tty = fopen("/dev/tty", "r+");
	int rc = promptpay_confirm(st, cur, s, confirm, tty, tty, &asked, err, errlen);
	if (tty)
		fclose(tty);
	if (rc == TALAD_OK && confirm && asked == 0) {
		snprintf(err, errlen,
		         "--confirm confirms a PromptPay QR payment, and this sale has none");
		return TALAD_EINVAL;
	}
	return rc;
}
