/* Fixtures the unit tests share, so that each test file says only what is
 * particular to it: a seeded random source for the property tests, scratch
 * directories, the register store of a paired register, the back office's
 * store, and cart lines. Failures are told on stderr and returned, for
 * cmocka setup functions. */
#ifndef TALAD_TEST_FIXTURES_H
#define TALAD_TEST_FIXTURES_H

#include "common/buf.h"
#include "core/cart.h"
#include "register/rstore.h"
#include "server/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- seeded randomness: the same sequence on every machine ---- */

/* 20261204, or $TALAD_TEST_SEED once fx_setup_seed has run. */
extern uint64_t fx_seed;
/* A cmocka group setup: takes $TALAD_TEST_SEED and restarts the sequence. */
int fx_setup_seed(void **state);
/* splitmix64 */
uint64_t fx_rnd(void);
/* lo..hi inclusive */
int64_t fx_rnd_range(int64_t lo, int64_t hi);

/* Fails the test naming the seed and iteration, so a failure can be rerun. */
#define FX_CHECK(cond, iter)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			print_error("seed %llu iteration %d: %s\n", (unsigned long long)fx_seed,   \
			            (int)(iter), #cond);                                           \
			fail();                                                                    \
		}                                                                                  \
	} while (0)

/* A cmocka test whose whole body is one call, for one check run over
 * several inputs, each its own named test:
 * FX_TEST(test_golden_en_32, golden(false, 32, golden_en_32)) */
#define FX_TEST(name, call)                                                                        \
	static void name(void **state)                                                             \
	{                                                                                          \
		(void)state;                                                                       \
		call;                                                                              \
	}

/* Passes when got is the golden text want; otherwise prints got line by
 * line as C string literals (cmocka cuts long messages short; this is what
 * one pastes after reviewing a layout change) and fails with message. */
void fx_check_golden(const char *got, const char *want, const char *message);

/* ---- scratch directories ---- */

/* Makes /tmp/NAME.XXXXXX into dir (len bytes): 0, or -1 with a message. */
int fx_tmpdir(const char *name, char *dir, size_t len);
/* Removes dir and everything below it: 0 or -1. NULL or "" does nothing. */
int fx_rmtree(const char *dir);

/* ---- the register ---- */

#define FX_REG_ID "01900000-0000-7000-8000-000000000001"
#define FX_LOC_ID "01900000-0000-7000-8000-0000000000aa"

/* The pairing of the tests' register: R01 "Counter 1" (FX_REG_ID) at "Main"
 * (FX_LOC_ID), back office http://127.0.0.1:1 (nothing answers), token "tok". */
void fx_pairing(struct rstore_pairing *p);

/* Opens the register store at path and pairs it (fx_pairing); applies the
 * snapshot (the JSON text of a GET /sync/snapshot answer) unless it is
 * NULL, and logs in when logged_in. 0, or -1 with a message on stderr. */
int fx_register_store(const char *path, const char *snapshot, bool logged_in, struct rstore **out);

/* A register subcommand of the kind that takes the open store and writes to
 * out and err (cmd_labels, cmd_scanner, cmd_receipt, ...). */
typedef int (*fx_cmd_fn)(struct rstore *st, int argc, char **argv, FILE *out, FILE *err);

/* Runs cmd on argv (NULL-terminated, argv[0] the command's name); out and
 * err are emptied, then hold what it wrote. Returns its exit status. */
int fx_run_cmd(fx_cmd_fn cmd, struct rstore *st, char **argv, struct buf *out, struct buf *err);

/* ---- the back office ---- */

/* A scratch directory /tmp/NAME.XXXXXX (dir, 64 bytes) holding a new SQLite
 * store talad.db (its path in path, 128 bytes): 0, or -1 with a message. */
int fx_server_store(const char *name, char dir[64], char path[128], struct store **out);
/* Closes st (NULL is fine) and removes dir: 0 or -1. */
int fx_server_store_done(struct store *st, const char *dir);

/* ---- carts ---- */

/* A custom line: title, quantity, unit price (minor units), taxable. */
struct cart_line fx_line(const char *title, int64_t qty, int64_t price, bool taxable);

#endif
