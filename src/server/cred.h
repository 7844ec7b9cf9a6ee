/* Credentials: argon2id hashes of passwords and PINs (libsodium), random
 * bearer tokens and the hash under which a token is stored. */
#ifndef TALAD_SERVER_CRED_H
#define TALAD_SERVER_CRED_H

#include <stdbool.h>
#include <stddef.h>

#define CRED_HASH_SIZE  128 /* crypto_pwhash_STRBYTES */
#define CRED_TOKEN_SIZE 65  /* 32 bytes as hex, with the NUL */

/* Passwords: argon2id at libsodium's INTERACTIVE limits (2 passes, 64 MiB).
 * PINs: argon2id at 2 passes and 8 MiB, so that a register can check a PIN
 * from its snapshot in a few milliseconds; a PIN's strength is its lock-out,
 * not its hash. TALAD_OK or TALAD_EIO (out of memory for the hash). */
int cred_hash_password(const char *password, char out[CRED_HASH_SIZE]);
int cred_hash_pin(const char *pin, char out[CRED_HASH_SIZE]);
/* True when secret matches the argon2id string hash. */
bool cred_verify(const char *hash, const char *secret);
/* Spends the time a real verification would, so that an unknown e-mail
 * address cannot be told from a wrong password by timing. */
void cred_verify_dummy(const char *secret);

/* 32 random bytes as 64 hex characters. */
void cred_token_new(char out[CRED_TOKEN_SIZE]);
/* The stored form of a token: BLAKE2b-256 (crypto_generichash) as hex. */
void cred_token_hash(const char *token, char out[CRED_TOKEN_SIZE]);

/* Password and PIN rules: TALAD_OK or TALAD_EINVAL with a message. */
int cred_check_password(const char *password, char *err, size_t errlen);
int cred_check_pin(const char *pin, char *err, size_t errlen);

#endif
