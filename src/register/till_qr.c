/* The PromptPay payload (EMVCo tags: payload format, point of initiation,
 * merchant account 29 with the PromptPay application id, currency 764,
 * amount, country, CRC) and QR symbols encoded with libzint, whose module
 * matrix the till draws itself. */
#include "register/till_qr.h"

#include "common/err.h"

#include <stdio.h>
#include <string.h>
#include <zint.h>

#define PROMPTPAY_AID "A000000677010111"

uint16_t till_qr_crc16(const char *data, size_t len)
{
	uint16_t crc = 0xffff;
	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)((unsigned char)data[i] << 8);
		for (int b = 0; b < 8; b++)
			crc =
			    (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

/* One EMVCo field: two-digit tag, two-digit length, value. */
static void tlv(char *out, size_t cap, const char *tag, const char *value)
{
	size_t n = strlen(out);
	snprintf(out + n, cap - n, "%s%02zu%s", tag, strlen(value), value);
}

int till_qr_promptpay(const char *id, int64_t amount, char *out, char *err, size_t errlen)
{
	char digits[32], account[64] = "", target[40];
	size_t n = 0;

	for (const char *p = id ? id : ""; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p < '0' || *p > '9' || n + 1 >= sizeof(digits)) {
			snprintf(err, errlen,
			         "a PromptPay id is a phone number, a 13-digit national "
			         "or tax id, or a 15-digit e-wallet id");
			return TALAD_EINVAL;
		}
		digits[n++] = *p;
	}
	digits[n] = '\0';
	const char *sub;
	if (n == 10 && digits[0] == '0') {
		/* Mobile numbers travel as 0066 + the number without its 0. */
		snprintf(target, sizeof(target), "0066%s", digits + 1);
		sub = "01";
	} else if (n == 13) {
		snprintf(target, sizeof(target), "%s", digits);
		sub = "02";
	} else if (n == 15) {
		snprintf(target, sizeof(target), "%s", digits);
		sub = "03";
	} else {
		snprintf(err, errlen,
		         "a PromptPay id is a phone number, a 13-digit national or "
		         "tax id, or a 15-digit e-wallet id");
		return TALAD_EINVAL;
	}
	if (amount < 0 || amount > 99999999999LL) {
		snprintf(err, errlen, "amount out of range for a PromptPay QR");
		return TALAD_EINVAL;
	}
	tlv(account, sizeof(account), "00", PROMPTPAY_AID);
	tlv(account, sizeof(account), sub, target);

	out[0] = '\0';
	tlv(out, TILL_QR_PAYLOAD_MAX, "00", "01");
	/* 11: a static code anyone may pay any amount; 12: one payment. */
	tlv(out, TILL_QR_PAYLOAD_MAX, "01", amount > 0 ? "12" : "11");
	tlv(out, TILL_QR_PAYLOAD_MAX, "29", account);
	tlv(out, TILL_QR_PAYLOAD_MAX, "53", "764");
	if (amount > 0) {
		char a[32];
		snprintf(a, sizeof(a), "%lld.%02lld", (long long)(amount / 100),
		         (long long)(amount % 100));
		tlv(out, TILL_QR_PAYLOAD_MAX, "54", a);
	}
	tlv(out, TILL_QR_PAYLOAD_MAX, "58", "TH");
	n = strlen(out);
	snprintf(out + n, TILL_QR_PAYLOAD_MAX - n, "6304");
	snprintf(out + n + 4, TILL_QR_PAYLOAD_MAX - n - 4, "%04X", till_qr_crc16(out, n + 4));
	return TALAD_OK;
}

int till_qr_encode(const char *text, struct till_qr *out, char *err, size_t errlen)
{
	struct zint_symbol *z = ZBarcode_Create();
	int rc = TALAD_OK;

	if (!z) {
		snprintf(err, errlen, "cannot set up libzint");
		return TALAD_EINVAL;
	}
	z->symbology = BARCODE_QRCODE;
	z->option_1 = 1; /* error correction L */
	if (ZBarcode_Encode(z, (const unsigned char *)text, (int)strlen(text)) >= ZINT_ERROR ||
	    z->rows != z->width || z->rows <= 0 || z->rows > TILL_QR_MAX) {
		snprintf(err, errlen, "cannot encode the QR code: %s", z->errtxt);
		rc = TALAD_EINVAL;
		goto out;
	}
	out->size = z->rows;
	for (int r = 0; r < z->rows; r++)
		for (int c = 0; c < z->width; c++)
			out->dark[r][c] = (z->encoded_data[r][c >> 3] >> (c & 7)) & 1;
out:
	ZBarcode_Delete(z);
	return rc;
}
