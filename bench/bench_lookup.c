/* bench_lookup: how fast a scan becomes a cart line. Loads a large catalog
 * (1,000,000 variants by default) into a fresh register store through the
 * change feed, then times rstore_find_variant, the till's lookup, on random
 * barcodes, SKUs and unknown codes; prints p50/p99/max in microseconds.
 * usage: bench_lookup [VARIANTS [LOOKUPS]] */
#include "benchlib.h"
#include "common/uuid.h"
#include "register/rstore.h"

#include <jansson.h>
#include <unistd.h>

#define PER_PRODUCT 10
#define PAGE        10000 /* variants per change page */

enum kind { K_BARCODE, K_SKU, K_MISS, K_COUNT };
static const char *const kind_name[K_COUNT] = {"barcode", "sku", "unknown"};

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench_lookup: %s: %s\n", what, err);
	exit(1);
}

static size_t parse_count(const char *s, const char *what)
{
	return bench_count("bench_lookup", s, what, 100000000ull);
}

/* Fills the catalog with n variants, one change page at a time, and returns
 * the seconds it took. */
static double load_catalog(struct rstore *st, size_t n)
{
	char err[512] = "";
	struct buf b;
	buf_init(&b, (size_t)1 << 30);
	int64_t t0 = bench_now_ns(), seq = 1;
	for (size_t first = 0; first < n; first += PAGE) {
		size_t last = first + PAGE < n ? first + PAGE : n;
		buf_reset(&b);
		bench_puts(&b, "{\"changes\":[");
		for (size_t v = first; v < last; v += PER_PRODUCT) {
			char head[64];
			snprintf(head, sizeof(head),
			         "%s{\"seq\":%" PRId64 ",\"type\":\"product\",\"data\":",
			         v > first ? "," : "", seq++);
			bench_puts(&b, head);
			size_t k = last - v < PER_PRODUCT ? last - v : PER_PRODUCT;
			bench_product_json(&b, v / PER_PRODUCT, v, k, 0);
			bench_puts(&b, "}");
		}
		char tail[64];
		snprintf(tail, sizeof(tail), "],\"cursor\":%" PRId64 ",\"more\":%s}", seq - 1,
		         last < n ? "true" : "false");
		bench_puts(&b, tail);
		json_error_t je;
		json_t *page = json_loadb(buf_str(&b), b.len, 0, &je);
		if (!page)
			die("generated page", je.text);
		int rc = rstore_apply_changes(st, page, NULL, NULL, NULL, err, sizeof(err));
		json_decref(page);
		if (rc)
			die("apply a change page", err);
	}
	buf_release(&b);
	return (double)(bench_now_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? parse_count(argv[1], "variant count") : 1000000;
	size_t lookups = argc > 2 ? parse_count(argv[2], "lookup count") : 100000;
	if (argc > 3) {
		fprintf(stderr, "usage: bench_lookup [VARIANTS [LOOKUPS]]\n");
		return 2;
	}
	char dir[] = "/tmp/talad-bench-lookup.XXXXXX";
	if (!mkdtemp(dir))
		die("mkdtemp", "cannot make a temporary directory");
	char path[128], err[512] = "";
	snprintf(path, sizeof(path), "%s/%s", dir, RSTORE_DB_NAME);
	struct rstore *st;
	if (bench_open_paired(path, &st, err, sizeof(err)) != TALAD_OK)
		die("open the store", err);
	/* An empty snapshot first: the shop settings come with it. */
	struct buf sb;
	buf_init(&sb, 1 << 20);
	bench_snapshot_json(&sb, 0, 1);
	json_error_t je;
	json_t *snap = json_loads(buf_str(&sb), 0, &je);
	if (!snap)
		die("generated snapshot", je.text);
	if (rstore_apply_snapshot(st, snap, NULL, NULL, NULL, err, sizeof(err)) != TALAD_OK)
		die("apply the snapshot", err);
	json_decref(snap);
	buf_release(&sb);

	double load_s = load_catalog(st, n);
	int64_t count = 0;
	if (rstore_catalog_count(st, &count) != TALAD_OK || (size_t)count != n)
		die("catalog", "the catalog does not hold every generated variant");
	printf("catalog: %zu variants loaded through the change feed in %.2f s (%.0f variants/s)\n",
	       n, load_s, (double)n / load_s);

	/* A warm-up pass so that what is measured is the lookup, not the first
	 * read of the file into the page cache. */
	uint64_t rng = 42;
	struct rstore_variant v;
	for (size_t i = 0; i < lookups / 10 + 1; i++) {
		char code[32];
		bench_barcode(bench_rand(&rng) % n, code);
		(void)rstore_find_variant(st, code, &v);
	}

	int64_t *lat[K_COUNT], *all = xcalloc(lookups, sizeof(int64_t));
	size_t cnt[K_COUNT] = {0};
	for (int k = 0; k < K_COUNT; k++)
		lat[k] = xcalloc(lookups, sizeof(int64_t));
	for (size_t i = 0; i < lookups; i++) {
		/* A till sees mostly barcodes, some typed SKUs, a few unknown codes. */
		uint64_t r = bench_rand(&rng);
		enum kind k = r % 100 < 80 ? K_BARCODE : r % 100 < 95 ? K_SKU : K_MISS;
		size_t idx = (size_t)((r >> 8) % n);
		char code[32];
		if (k == K_BARCODE)
			bench_barcode(idx, code);
		else if (k == K_SKU)
			bench_sku(idx, code);
		else
			snprintf(code, sizeof(code), "NOPE-%zu", idx);
		int64_t t0 = bench_now_ns();
		int rc = rstore_find_variant(st, code, &v);
		int64_t dt = bench_now_ns() - t0;
		if (k == K_MISS ? rc != TALAD_ENOTFOUND : rc != TALAD_OK) {
			fprintf(stderr, "bench_lookup: %s %s: %s\n", kind_name[k], code,
			        talad_strerror(rc));
			return 1;
		}
		char want[37];
		bench_variant_id(idx, want);
		if (k != K_MISS && strcmp(v.id, want) != 0) {
			fprintf(stderr, "bench_lookup: %s found %s, expected %s\n", code, v.id,
			        want);
			return 1;
		}
		lat[k][cnt[k]++] = dt;
		all[i] = dt;
	}
	printf("%zu lookups in a %zu-variant catalog (microseconds):\n", lookups, n);
	printf("  %-8s %8s %8s %8s %8s\n", "code", "count", "p50", "p99", "max");
	for (int k = 0; k < K_COUNT; k++) {
		if (!cnt[k])
			continue;
		int64_t p50 = bench_percentile(lat[k], cnt[k], 50);
		int64_t p99 = bench_percentile(lat[k], cnt[k], 99);
		printf("  %-8s %8zu %8.1f %8.1f %8.1f\n", kind_name[k], cnt[k], (double)p50 / 1e3,
		       (double)p99 / 1e3, (double)lat[k][cnt[k] - 1] / 1e3);
	}
	int64_t p50 = bench_percentile(all, lookups, 50), p99 = bench_percentile(all, lookups, 99);
	printf("  %-8s %8zu %8.1f %8.1f %8.1f\n", "all", lookups, (double)p50 / 1e3,
	       (double)p99 / 1e3, (double)all[lookups - 1] / 1e3);
	printf("RESULT bench_lookup p50_us=%.1f p99_us=%.1f target_p99_us=50 %s\n",
	       (double)p50 / 1e3, (double)p99 / 1e3, p99 <= 50000 ? "met" : "MISSED");

	for (int k = 0; k < K_COUNT; k++)
		free(lat[k]);
	free(all);
	rstore_close(st);
	char *rm = xasprintf("rm -rf '%s'", dir);
	if (system(rm) != 0)
		fprintf(stderr, "bench_lookup: could not remove %s\n", dir);
	free(rm);
	return 0;
}
