/* Helpers shared by the benchmarks (a header, so that the Makefile keeps
 * making one binary per bench .c file): clocks, a seeded PRNG,
 * percentiles, and a generated catalog in the wire form of the sync protocol. */
#ifndef TALAD_BENCHLIB_H
#define TALAD_BENCHLIB_H

#include "common/buf.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "core/barcode.h"
#include "register/rstore.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_REG_ID "01900000-0000-7000-8000-00000000b001"
#define BENCH_LOC_ID "01900000-0000-7000-8000-00000000b0aa"

static inline int64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* splitmix64: a fixed seed makes two runs look the catalog up the same way. */
static inline uint64_t bench_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The generated catalog: variant i of the whole catalog has these ids and
 * codes, so a lookup benchmark can name any of them without storing them. */
static inline void bench_variant_id(size_t i, char out[37])
{
	snprintf(out, 37, "01900000-0000-7000-8001-%012llx",
	         (unsigned long long)(i & 0xffffffffffffull));
}

static inline void bench_product_id(size_t p, char out[37])
{
	snprintf(out, 37, "01900000-0000-7000-8002-%012llx",
	         (unsigned long long)(p & 0xffffffffffffull));
}

static inline void bench_sku(size_t i, char out[32])
{
	snprintf(out, 32, "SKU-%08zu", i);
}

/* An EAN-13 in the GS1 Thailand range (885) with a right check digit. */
static inline void bench_barcode(size_t i, char out[16])
{
	char d[13];
	int check = 0;
	snprintf(d, sizeof(d), "885%09zu", i % 1000000000);
	if (barcode_check_digit(d, 12, &check) != TALAD_OK) {
		fprintf(stderr, "bench: cannot compute a check digit for %s\n", d);
		exit(1);
	}
	snprintf(out, 16, "%s%d", d, check);
}

static inline void bench_puts(struct buf *b, const char *s)
{
	if (buf_puts(b, s) != TALAD_OK) {
		fprintf(stderr, "bench: generated json over its cap\n");
		exit(1);
	}
}

/* One product with per_product variants starting at variant first, as the
 * snapshot carries it (with an available level when with_level). */
static inline void bench_product_json(struct buf *b, size_t p, size_t first, size_t per_product,
                                      int with_level)
{
	char pid[37], vid[37], sku[32], code[16], tmp[512];
	bench_product_id(p, pid);
	snprintf(tmp, sizeof(tmp), "{\"id\":\"%s\",\"title\":\"Product %zu\",\"variants\":[", pid,
	         p);
	bench_puts(b, tmp);
	for (size_t j = 0; j < per_product; j++) {
		size_t i = first + j;
		bench_variant_id(i, vid);
		bench_sku(i, sku);
		bench_barcode(i, code);
		snprintf(
		    tmp, sizeof(tmp),
		    "%s{\"id\":\"%s\",\"sku\":\"%s\",\"barcode\":\"%s\",\"title\":\"Size %zu\","
		    "\"price\":%zu,\"taxable\":true,\"tracked\":true",
		    j ? "," : "", vid, sku, code, j + 1, 100 + (i % 997) * 25);
		bench_puts(b, tmp);
		if (with_level) {
			snprintf(tmp, sizeof(tmp), ",\"available\":%zu", i % 50);
			bench_puts(b, tmp);
		}
		bench_puts(b, "}");
	}
	bench_puts(b, "]}");
}

/* A whole GET /sync/snapshot answer with n variants, per_product to a
 * product (the last product may have fewer). */
static inline void bench_snapshot_json(struct buf *b, size_t n, size_t per_product)
{
	bench_puts(b,
	           "{\"cursor\":1,\"server_time\":\"2026-01-01T00:00:00.000Z\","
	           "\"shop\":{\"name\":\"Bench Shop\",\"currency\":\"THB\","
	           "\"tax_rate_ppm\":70000,\"tax_included\":true,\"tax_rounding\":\"line\","
	           "\"cash_increment\":0,\"tax_id\":\"0105551234567\",\"address\":\"1 Market Rd\","
	           "\"receipt_footer\":\"thank you\",\"promptpay_id\":null},"
	           "\"register\":{\"id\":\"" BENCH_REG_ID "\",\"name\":\"Bench\",\"code\":\"R01\"},"
	           "\"location\":{\"id\":\"" BENCH_LOC_ID "\",\"name\":\"Main\"},"
	           "\"products\":[");
	size_t p = 0;
	for (size_t first = 0; first < n; first += per_product, p++) {
		if (p)
			bench_puts(b, ",");
		size_t k = n - first < per_product ? n - first : per_product;
		bench_product_json(b, p, first, k, 1);
	}
	bench_puts(b, "],\"staff\":[{\"id\":\"s1\",\"name\":\"Somchai\",\"role\":\"cashier\","
	              "\"pin_hash\":null}],"
	              "\"payment_methods\":[{\"id\":\"m1\",\"name\":\"PromptPay QR\"}]}");
}

static inline int bench_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The q-th percentile (0..100) of n samples, which it sorts. */
static inline int64_t bench_percentile(int64_t *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), bench_cmp_i64);
	size_t k = (size_t)(q / 100.0 * (double)(n - 1) + 0.5);
	return v[k < n ? k : n - 1];
}

/* A count from the command line, 1 to max; anything else ends the run with
 * status 2 and a message naming the benchmark. */
static inline size_t bench_count(const char *bench, const char *s, const char *what,
                                 unsigned long long max)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v == 0 || v > max) {
		fprintf(stderr, "%s: bad %s '%s'\n", bench, what, s);
		exit(2);
	}
	return (size_t)v;
}

/* Opens a register store at path, paired as the benchmarks' register R01
 * "Bench" (nothing answers at its back office): TALAD_OK, or an error with
 * err saying which step failed. */
static inline int bench_open_paired(const char *path, struct rstore **st, char *err, size_t errlen)
{
	struct rstore_pairing p = {0};
	int rc = rstore_open(path, st, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	strcpy(p.server_url, "http://127.0.0.1:1");
	strcpy(p.register_id, BENCH_REG_ID);
	strcpy(p.register_code, "R01");
	strcpy(p.register_name, "Bench");
	strcpy(p.token, "bench");
	strcpy(p.location_id, BENCH_LOC_ID);
	strcpy(p.location_name, "Main");
	if ((rc = rstore_set_pairing(*st, &p, true)) != TALAD_OK)
		snprintf(err, errlen, "pair: rstore_set_pairing failed");
	return rc;
}

#endif
