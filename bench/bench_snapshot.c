/* bench_snapshot: how fast a register takes in a catalog snapshot at login.
 * Generates a GET /sync/snapshot answer with 100,000 variants by default and
 * applies it into a fresh register store with rstore_apply_snapshot, the
 * register's own apply; prints variants per second for parsing and applying.
 * It also times rstore_apply_snapshot_text on the same text: what login does
 * (the products read straight from the text while the store writes).
 * usage: bench_snapshot [VARIANTS [VARIANTS_PER_PRODUCT [RUNS]]] */
#include "benchlib.h"
#include "register/rstore.h"

#include <jansson.h>
#include <unistd.h>

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench_snapshot: %s: %s\n", what, err);
	exit(1);
}

static size_t parse_count(const char *s, const char *what)
{
	return bench_count("bench_snapshot", s, what, 10000000ull);
}

struct run {
	int64_t parse_ns;
	int64_t apply_ns;
	int64_t text_ns; /* rstore_apply_snapshot_text, parsing included */
};

/* Checks that every variant of the snapshot arrived, then removes the store. */
static void check_and_remove(struct rstore *st, const char *path,
                             const struct rstore_apply_stats *stats, size_t n)
{
	int64_t count = 0;
	if (rstore_catalog_count(st, &count) != TALAD_OK || (size_t)count != n ||
	    stats->variants != n || stats->levels != n)
		die("catalog", "the store does not hold every variant of the snapshot");
	struct rstore_variant v;
	char code[16], want[37];
	bench_barcode(n - 1, code);
	bench_variant_id(n - 1, want);
	if (rstore_find_variant(st, code, &v) != TALAD_OK || strcmp(v.id, want) != 0 ||
	    v.level != (int64_t)((n - 1) % 50))
		die("catalog", "the last variant of the snapshot cannot be found as sent");
	rstore_close(st);
	unlink(path);
	char side[180];
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/* One login's worth of work in a new store under dir: parse the text, apply
 * it, and check that every variant arrived; then the same from the text in
 * another new store. */
static struct run one_run(const char *dir, int i, const struct buf *text, size_t n)
{
	char path[160], err[512] = "";
	snprintf(path, sizeof(path), "%s/run%d.db", dir, i);
	struct rstore *st;
	if (bench_open_paired(path, &st, err, sizeof(err)) != TALAD_OK)
		die("open the store", err);

	struct run r;
	int64_t t0 = bench_now_ns();
	json_error_t je;
	json_t *snap = json_loadb(buf_str(text), text->len, 0, &je);
	if (!snap)
		die("generated snapshot", je.text);
	int64_t t1 = bench_now_ns();
	struct rstore_apply_stats stats;
	if (rstore_apply_snapshot(st, snap, NULL, NULL, &stats, err, sizeof(err)) != TALAD_OK)
		die("apply the snapshot", err);
	int64_t t2 = bench_now_ns();
	json_decref(snap);
	r.parse_ns = t1 - t0;
	r.apply_ns = t2 - t1;
	check_and_remove(st, path, &stats, n);

	snprintf(path, sizeof(path), "%s/run%d-text.db", dir, i);
	if (bench_open_paired(path, &st, err, sizeof(err)) != TALAD_OK)
		die("open the store", err);
	t0 = bench_now_ns();
	if (rstore_apply_snapshot_text(st, buf_str(text), text->len, NULL, NULL, &stats, NULL, err,
	                               sizeof(err)) != TALAD_OK)
		die("apply the snapshot text", err);
	r.text_ns = bench_now_ns() - t0;
	check_and_remove(st, path, &stats, n);
	return r;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? parse_count(argv[1], "variant count") : 100000;
	size_t per = argc > 2 ? parse_count(argv[2], "variants per product") : 4;
	size_t runs = argc > 3 ? parse_count(argv[3], "run count") : 3;
	if (argc > 4 || runs > 20) {
		fprintf(stderr,
		        "usage: bench_snapshot [VARIANTS [VARIANTS_PER_PRODUCT [RUNS<=20]]]\n");
		return 2;
	}
	char dir[] = "/tmp/talad-bench-snapshot.XXXXXX";
	if (!mkdtemp(dir))
		die("mkdtemp", "cannot make a temporary directory");

	struct buf text;
	buf_init(&text, (size_t)1 << 31);
	int64_t g0 = bench_now_ns();
	bench_snapshot_json(&text, n, per);
	double gen_s = (double)(bench_now_ns() - g0) / 1e9;
	printf("snapshot: %zu variants, %zu to a product, %.1f MB of JSON (generated in %.2f s)\n",
	       n, per, (double)text.len / 1e6, gen_s);

	int64_t parse[20], apply[20], total[20], from_text[20];
	for (size_t i = 0; i < runs; i++) {
		struct run r = one_run(dir, (int)i, &text, n);
		parse[i] = r.parse_ns;
		apply[i] = r.apply_ns;
		total[i] = r.parse_ns + r.apply_ns;
		from_text[i] = r.text_ns;
		printf(
		    "  run %zu: parse %.3f s, apply %.3f s -> %.0f variants/s applied, "
		    "%.0f variants/s parsed and applied; from the text %.3f s -> %.0f variants/s\n",
		    i + 1, (double)r.parse_ns / 1e9, (double)r.apply_ns / 1e9,
		    (double)n / ((double)r.apply_ns / 1e9),
		    (double)n / ((double)(r.parse_ns + r.apply_ns) / 1e9), (double)r.text_ns / 1e9,
		    (double)n / ((double)r.text_ns / 1e9));
	}
	double ap = (double)bench_percentile(apply, runs, 50) / 1e9;
	double pa = (double)bench_percentile(parse, runs, 50) / 1e9;
	double to = (double)bench_percentile(total, runs, 50) / 1e9;
	double tx = (double)bench_percentile(from_text, runs, 50) / 1e9;
	printf("median of %zu runs: parse %.3f s, apply %.3f s, from the text %.3f s\n", runs, pa,
	       ap, tx);
	/* The target is the register's apply; parsing is jansson's and is shown
	 * beside it, with its own verdict, because a login pays for both. */
	printf("RESULT bench_snapshot apply_variants_per_s=%.0f (target 100000: %s) "
	       "parse_and_apply_variants_per_s=%.0f (%s) text_variants_per_s=%.0f (%s)\n",
	       (double)n / ap, (double)n / ap >= 100000 ? "met" : "MISSED", (double)n / to,
	       (double)n / to >= 100000 ? "met" : "MISSED", (double)n / tx,
	       (double)n / tx >= 100000 ? "met" : "MISSED");
	buf_release(&text);
	if (rmdir(dir) != 0)
		fprintf(stderr, "bench_snapshot: could not remove %s\n", dir);
	return 0;
}
