/* QR codes on the till's screen: the PromptPay payment payload (EMVCo
 * merchant-presented QR, as Thai banking apps read it) and a QR symbol as a
 * matrix of modules, drawn in the terminal with half blocks. */
#ifndef TALAD_TILL_QR_H
#define TALAD_TILL_QR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TILL_QR_PAYLOAD_MAX 160
#define TILL_QR_MAX         177 /* modules on a side of the largest QR symbol */

/* CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF), the checksum
 * EMVCo QR payloads end with. */
uint16_t till_qr_crc16(const char *data, size_t len);

/* The PromptPay payload for a payment of amount (minor units of THB,
 * exponent 2) to id: a mobile number ("081-234-5678", 10 digits from 0), a
 * national or tax ID (13 digits) or an e-wallet ID (15 digits); spaces and
 * dashes are ignored. amount 0 leaves the amount to the payer. out holds
 * TILL_QR_PAYLOAD_MAX bytes. TALAD_OK, or TALAD_EINVAL with a message in
 * err for an id of another shape. */
int till_qr_promptpay(const char *id, int64_t amount, char *out, char *err, size_t errlen);

struct till_qr {
	int size; /* modules on a side, without a quiet zone */
	unsigned char dark[TILL_QR_MAX][TILL_QR_MAX];
};

/* Encodes text as a QR symbol (error correction level L, for the smallest
 * symbol a phone reads from a screen). TALAD_OK or TALAD_EINVAL with
 * libzint's message in err. */
int till_qr_encode(const char *text, struct till_qr *out, char *err, size_t errlen);

#endif
