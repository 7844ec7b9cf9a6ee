/* UUIDv7 identifiers (RFC 9562): a millisecond timestamp then randomness from
 * libsodium, so ids made on different registers never collide and sort by
 * creation time. Text form: 36 lower-case characters. */
#ifndef TALAD_UUID_H
#define TALAD_UUID_H

#include <stdbool.h>

#define UUID_STRLEN 36

/* Writes a new UUIDv7 into out (UUID_STRLEN + 1 bytes). Cannot fail:
 * libsodium is initialised on first use. */
void uuid_v7(char out[UUID_STRLEN + 1]);

/* True when s is a UUID in canonical text form (any version, lower or upper
 * case hex, 8-4-4-4-12). */
bool uuid_valid(const char *s);

#endif
