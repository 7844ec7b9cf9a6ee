/* Password and PIN hashing with argon2id, token generation and token hashing,
 * all through libsodium. */
#include "server/cred.h"
#include "common/err.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(CRED_HASH_SIZE == crypto_pwhash_STRBYTES, "hash string size");

#define PIN_OPSLIMIT 2
#define PIN_MEMLIMIT (8u * 1024 * 1024)

static void init_sodium(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "talad-server: cannot initialise libsodium\n");
		abort();
	}
}

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static int hash_with(const char *secret, unsigned long long ops, size_t mem,
                     char out[CRED_HASH_SIZE])
{
	pthread_once(&sodium_once, init_sodium);
	if (crypto_pwhash_str(out, secret, strlen(secret), ops, mem) != 0)
		return TALAD_EIO;
	return TALAD_OK;
}

int cred_hash_password(const char *password, char out[CRED_HASH_SIZE])
{
	return hash_with(password, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                 crypto_pwhash_MEMLIMIT_INTERACTIVE, out);
}

int cred_hash_pin(const char *pin, char out[CRED_HASH_SIZE])
{
	return hash_with(pin, PIN_OPSLIMIT, PIN_MEMLIMIT, out);
}

bool cred_verify(const char *hash, const char *secret)
{
	pthread_once(&sodium_once, init_sodium);
	if (!hash || !*hash || !secret)
		return false;
	return crypto_pwhash_str_verify(hash, secret, strlen(secret)) == 0;
}

static char dummy_hash[CRED_HASH_SIZE];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	if (cred_hash_password("talad: no such account", dummy_hash) != TALAD_OK)
		dummy_hash[0] = '\0';
}

void cred_verify_dummy(const char *secret)
{
	pthread_once(&dummy_once, make_dummy);
	(void)cred_verify(dummy_hash, secret);
}

void cred_token_new(char out[CRED_TOKEN_SIZE])
{
	unsigned char raw[32];
	pthread_once(&sodium_once, init_sodium);
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, CRED_TOKEN_SIZE, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

void cred_token_hash(const char *token, char out[CRED_TOKEN_SIZE])
{
	unsigned char h[32];
	pthread_once(&sodium_once, init_sodium);
	crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
	sodium_bin2hex(out, CRED_TOKEN_SIZE, h, sizeof(h));
}

int cred_check_password(const char *password, char *err, size_t errlen)
{
	size_t n = password ? strlen(password) : 0;
	if (n < 8) {
		snprintf(err, errlen, "password must have at least 8 characters");
		return TALAD_EINVAL;
	}
	if (n > 256) {
		snprintf(err, errlen, "password must have at most 256 characters");
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}

int cred_check_pin(const char *pin, char *err, size_t errlen)
{
	size_t n = pin ? strlen(pin) : 0;
	if (n < 4 || n > 12 || strspn(pin, "0123456789") != n) {
		snprintf(err, errlen, "pin must be 4 to 12 digits");
		return TALAD_EINVAL;
	}
	return TALAD_OK;
}
