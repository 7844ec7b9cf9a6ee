/* Benchmark of the register's local store: applying a snapshot (target
 * >= 100,000 variants/s) and looking a variant up by barcode or SKU in a
 * large catalog (target p99 <= 50 us). Usage: rstore [VARIANTS] [LOOKUPS]
 * (defaults 1,000,000 and 100,000); the database goes to a temporary dir. */
#include "common/err.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "register/rstore.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define REG_ID "01900000-0000-7000-8000-000000000001"
#define LOC_ID "01900000-0000-7000-8000-0000000000aa"

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void variant_id(long i, char out[UUID_STRLEN + 1])
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "01900000-0000-7000-8000-%012lx",
	         (unsigned long)i & 0xffffffffffffUL);
	memcpy(out, tmp, UUID_STRLEN + 1);
}

static json_t *make_snapshot(long n)
{
	json_t *products = json_array();
	for (long i = 0; i < n; i++) {
		char id[UUID_STRLEN + 1], pid[32], sku[32], bc[32], title[64];
		variant_id(i, id);
		snprintf(pid, sizeof(pid), "p%ld", i);
		snprintf(sku, sizeof(sku), "SKU-%07ld", i);
		snprintf(bc, sizeof(bc), "885%010ld", i);
		snprintf(title, sizeof(title), "Product number %ld", i);
		json_array_append_new(
		    products,
		    json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:I}]}", "id", pid,
		              "title", title, "variants", "id", id, "sku", sku, "barcode", bc,
		              "title", "", "price", (json_int_t)(1000 + i % 5000), "taxable", 1,
		              "tracked", 1, "available", (json_int_t)(i % 50)));
	}
	return json_pack("{s:I, s:s, s:{s:s, s:s, s:I, s:b, s:s, s:I}, s:{s:s, s:s, s:s},"
	                 " s:{s:s, s:s}, s:o, s:[], s:[]}",
	                 "cursor", (json_int_t)1, "server_time", "2026-01-01T00:00:00.000Z", "shop",
	                 "name", "Bench", "currency", "THB", "tax_rate_ppm", (json_int_t)70000,
	                 "tax_included", 1, "tax_rounding", "line", "cash_increment", (json_int_t)0,
	                 "register", "id", REG_ID, "name", "B", "code", "R01", "location", "id",
	                 LOC_ID, "name", "Main", "products", products, "staff", "payment_methods");
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	long lookups = argc > 2 ? atol(argv[2]) : 100000;
	if (n < 1 || lookups < 1) {
		fprintf(stderr, "usage: rstore [VARIANTS] [LOOKUPS]\n");
		return 2;
	}
	char dir[] = "/tmp/talad-bench.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char path[64], err[256];
	snprintf(path, sizeof(path), "%s/register.db", dir);
	struct rstore *st;
	if (rstore_open(path, &st, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct rstore_pairing p = {0};
	strcpy(p.server_url, "http://127.0.0.1:1");
	strcpy(p.register_id, REG_ID);
	strcpy(p.register_code, "R01");
	strcpy(p.location_id, LOC_ID);
	if (rstore_set_pairing(st, &p, true)) {
		fprintf(stderr, "cannot pair\n");
		return 1;
	}

	json_t *snap = make_snapshot(n);
	int64_t c0 = cpu_ns();
	int64_t t0 = now_ns();
	if (rstore_apply_snapshot(st, snap, NULL, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int64_t t1 = now_ns();
	int64_t c1 = cpu_ns();
	json_decref(snap);
	double secs = (double)(t1 - t0) / 1e9;
	printf("snapshot apply: %ld variants in %.3f s (%.3f s of CPU) = %.0f variants/s"
	       " (target >= 100000)\n",
	       n, secs, (double)(c1 - c0) / 1e9, (double)n / secs);

	int64_t *lat = malloc(sizeof(int64_t) * (size_t)lookups);
	unsigned seed = 12345;
	for (long i = 0; i < lookups; i++) {
		long k = (long)(rand_r(&seed) % (unsigned)n);
		char code[32];
		if (i % 2)
			snprintf(code, sizeof(code), "885%010ld", k);
		else
			snprintf(code, sizeof(code), "SKU-%07ld", k);
		struct rstore_variant v;
		int64_t a = now_ns();
		int rc = rstore_find_variant(st, code, &v);
		lat[i] = now_ns() - a;
		if (rc) {
			fprintf(stderr, "lookup of %s failed\n", code);
			return 1;
		}
	}
	qsort(lat, (size_t)lookups, sizeof(*lat), cmp64);
	printf("lookup (barcode or sku) in %ld variants: p50 %.1f us, p99 %.1f us, max %.1f us"
	       " (target p99 <= 50 us)\n",
	       n, (double)lat[lookups / 2] / 1e3, (double)lat[lookups * 99 / 100] / 1e3,
	       (double)lat[lookups - 1] / 1e3);
	free(lat);
	rstore_close(st);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
