/* UUIDv7 generation and validation. */
#include "common/uuid.h"
#include "common/timeutil.h"

#include <ctype.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void uuid_v7(char out[UUID_STRLEN + 1])
{
	unsigned char b[16];
	static int ready;
	if (!ready) {
		if (sodium_init() < 0) {
			fprintf(stderr, "talad: cannot initialise libsodium\n");
			abort();
		}
		ready = 1;
	}
	uint64_t ms = (uint64_t)time_now_ms();
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	randombytes_buf(b + 6, 10);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70); /* version 7 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10 */
	snprintf(out, UUID_STRLEN + 1,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	         b[15]);
}

bool uuid_valid(const char *s)
{
	if (!s || strlen(s) != UUID_STRLEN)
		return false;
	for (int i = 0; i < UUID_STRLEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}
