/* bench_push: how fast a register's offline backlog drains. Starts a fresh
 * talad-server on loopback, enrols a register, queues 10,000 orders of 3
 * lines in the register's store (rstore_commit_sale, as `talad sell` does)
 * and times rsync_push, the register's own sync code, until all are acked.
 * usage: bench_push [ORDERS]   (talad-server is looked for beside bench/) */
#include "benchlib.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "core/cart.h"
#include "core/order.h"
#include "core/tender.h"
#include "register/rhttp.h"
#include "register/rstore.h"
#include "register/rsync.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define NPRODUCTS 30
#define PASSWORD  "bench-password"

static char dir[] = "/tmp/talad-bench-push.XXXXXX";
static pid_t server = -1;

static void cleanup(void)
{
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
		server = -1;
	}
	char *rm = xasprintf("rm -rf '%s'", dir);
	if (system(rm) != 0)
		fprintf(stderr, "bench_push: could not remove %s\n", dir);
	free(rm);
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench_push: %s: %s\n", what, err);
	cleanup();
	exit(1);
}

/* The binary beside ours, one directory up: build/bench/.. */
static void sibling(const char *name, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		die("readlink", "cannot find this program's path");
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/../%s", self, name) >= len)
		die("path", "the path of talad-server is too long");
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		die("socket", "cannot find a free port");
	int port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Runs talad-server with args, quietly, and waits for it (argv NULL-ended). */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork", "cannot start talad-server");
	if (pid == 0) {
		FILE *f = freopen(log, "a", stdout);
		if (!f || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		setenv("TALAD_PASSWORD", PASSWORD, 1);
		setenv("TALAD_LOG", "info", 1); /* one line per request, with its time */
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* An admin API call that must succeed; the answer's JSON is the caller's. */
static json_t *call(struct rhttp *c, const char *method, const char *path, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct rhttp_response r;
	struct rhttp_limits lim = RHTTP_LIMITS_DEFAULT;
	int rc = rhttp_request(c, method, path, text, &lim, &r);
	free(text);
	json_decref(body);
	if (rc != TALAD_OK || !r.json) {
		char what[160];
		snprintf(what, sizeof(what), "%s %s (HTTP %ld)", method, path, r.status);
		die(what, r.error[0] ? r.error : talad_strerror(rc));
	}
	json_t *j = json_incref(r.json);
	rhttp_response_release(&r);
	return j;
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s)
		die("answer", key);
	return s;
}

/* The time the back office spent answering pushes, from its request log
 * ("POST /api/v1/sync/push 200 35ms"), to split a push between the two
 * sides. */
static int64_t server_push_ms(const char *log, size_t *requests)
{
	FILE *f = fopen(log, "r");
	char line[512];
	int64_t sum = 0;
	*requests = 0;
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "POST /api/v1/sync/push ");
		int status;
		long long ms;
		if (p && sscanf(p + 23, "%d %lldms", &status, &ms) == 2) {
			sum += ms;
			(*requests)++;
		}
	}
	if (f)
		fclose(f);
	return sum;
}

/* With BENCH_PERF_CTL naming the control fifo of `perf record --control
 * fifo:... --delay=-1`, only the push is profiled. */
static void perf_ctl(const char *cmd)
{
	const char *path = getenv("BENCH_PERF_CTL");
	if (!path || !*path)
		return;
	FILE *f = fopen(path, "w");
	if (!f)
		die("BENCH_PERF_CTL", "cannot open the perf control fifo");
	fprintf(f, "%s\n", cmd);
	fclose(f);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Distinct order ids on the back office (all pages of GET /orders); a
 * duplicate ends the benchmark. */
static size_t count_orders(struct rhttp *admin)
{
	char **ids = NULL, *cursor = NULL;
	size_t n = 0, cap = 0;
	do {
		char *esc = cursor ? curl_easy_escape(NULL, cursor, 0) : NULL;
		char *path = esc ? xasprintf("/api/v1/orders?limit=500&cursor=%s", esc)
		                 : xstrdup("/api/v1/orders?limit=500");
		curl_free(esc);
		json_t *j = call(admin, "GET", path, NULL);
		free(path);
		free(cursor);
		cursor = NULL;
		size_t i;
		json_t *o;
		json_array_foreach(json_object_get(j, "orders"), i, o)
		{
			if (n == cap) {
				cap = cap ? 2 * cap : 1024;
				ids = xreallocarray(ids, cap, sizeof(*ids));
			}
			ids[n++] = xstrdup(jstr(o, "id"));
		}
		const char *next = json_string_value(json_object_get(j, "next_cursor"));
		if (next)
			cursor = xstrdup(next);
		json_decref(j);
	} while (cursor);
	qsort(ids, n, sizeof(*ids), cmp_str);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(ids[i - 1], ids[i]))
			die("orders", "an order is on the back office twice");
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return n;
}

/* One sale of 3 catalog lines paid in cash, committed as `talad sell` does. */
static void sell(struct rstore *st, const struct rstore_shop *shop, uint64_t *rng)
{
	struct order o;
	char err[256] = "";
	order_init(&o, &shop->tax);
	strlcpy_t(o.currency, shop->currency, sizeof(o.currency));
	for (int l = 0; l < 3; l++) {
		char sku[32];
		bench_sku(bench_rand(rng) % NPRODUCTS, sku);
		struct rstore_variant v;
		if (rstore_find_variant(st, sku, &v) != TALAD_OK)
			die("catalog", sku);
		struct cart_line line = {0};
		strlcpy_t(line.variant_id, v.id, sizeof(line.variant_id));
		strlcpy_t(line.sku, v.sku, sizeof(line.sku));
		strlcpy_t(line.title, v.title, sizeof(line.title));
		line.quantity = 1 + (int64_t)(bench_rand(rng) % 3);
		line.unit_price = v.price;
		line.taxable = v.taxable;
		if (cart_add_line(&o.cart, &line, err, sizeof(err)) != TALAD_OK)
			die("cart", err);
	}
	if (cart_price(&o.cart, err, sizeof(err)) != TALAD_OK)
		die("price", err);
	struct tender cash = {.kind = TENDER_CASH};
	if (tender_settle(o.cart.total, &cash, 1, shop->cash_increment, &o.settlement, err,
	                  sizeof(err)) != TALAD_OK)
		die("settle", err);
	if (rstore_commit_sale(st, &o, err, sizeof(err)) != TALAD_OK)
		die("commit a sale", err);
	order_release(&o);
}

int main(int argc, char **argv)
{
	size_t n = 10000;
	if (argc > 2 || (argc == 2 && (n = strtoul(argv[1], NULL, 10)) == 0) || n > 1000000) {
		fprintf(stderr, "usage: bench_push [ORDERS]\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench_push: cannot make a temporary directory\n");
		return 1;
	}
	char bin[PATH_MAX], data[PATH_MAX], log[PATH_MAX], listen[64], url[96];
	sibling("talad-server", bin, sizeof(bin));
	snprintf(data, sizeof(data), "%s/server", dir);
	snprintf(log, sizeof(log), "%s/server.log", dir);
	int port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(url, sizeof(url), "http://%s", listen);

	char *init[] = {bin,      "init",       "--data",        data,
	                "--shop", "Bench Shop", "--owner-email", "owner@bench.example",
	                NULL};
	int status;
	pid_t ip = spawn(init, log);
	if (waitpid(ip, &status, 0) != ip || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("talad-server init", log);
	char *serve[] = {bin, "serve", "--data", data, "--listen", listen, NULL};
	server = spawn(serve, log);

	struct rhttp admin;
	rhttp_init(&admin, url, NULL);
	int64_t deadline = time_mono_ms() + 10000;
	for (;;) {
		struct rhttp_response r;
		struct rhttp_limits lim = {1000, 2000, 0, 0};
		int rc = rhttp_request(&admin, "GET", "/api/v1/health", NULL, &lim, &r);
		rhttp_response_release(&r);
		if (rc == TALAD_OK)
			break;
		if (time_mono_ms() > deadline)
			die("talad-server serve", "did not answer /api/v1/health within 10 s");
		usleep(50000);
	}
	json_t *j =
	    call(&admin, "POST", "/api/v1/auth/login",
	         json_pack("{s:s, s:s}", "email", "owner@bench.example", "password", PASSWORD));
	rhttp_set_token(&admin, jstr(j, "token"));
	json_decref(j);
	for (size_t p = 0; p < NPRODUCTS; p++) {
		char title[32], sku[32], code[16], price[16];
		snprintf(title, sizeof(title), "Product %zu", p);
		bench_sku(p, sku);
		bench_barcode(p, code);
		snprintf(price, sizeof(price), "%zu.%02zu", 10 + p * 7, (p * 25) % 100);
		json_decref(call(&admin, "POST", "/api/v1/products",
		                 json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "title", title, "variants",
		                           "sku", sku, "barcode", code, "price", price)));
	}
	j = call(&admin, "POST", "/api/v1/registers", json_pack("{s:s}", "name", "Bench"));
	const json_t *rj = json_object_get(j, "register");
	struct rstore_pairing pair = {0};
	strlcpy_t(pair.server_url, url, sizeof(pair.server_url));
	strlcpy_t(pair.register_id, jstr(rj, "id"), sizeof(pair.register_id));
	strlcpy_t(pair.register_code, jstr(rj, "code"), sizeof(pair.register_code));
	strlcpy_t(pair.register_name, jstr(rj, "name"), sizeof(pair.register_name));
	strlcpy_t(pair.location_id, jstr(rj, "location_id"), sizeof(pair.location_id));
	strlcpy_t(pair.token, jstr(j, "token"), sizeof(pair.token));
	json_decref(j);

	/* The register: paired, snapshot taken, logged in -- what login does. */
	char path[PATH_MAX], err[512] = "";
	snprintf(path, sizeof(path), "%s/%s", dir, RSTORE_DB_NAME);
	struct rstore *st;
	if (rstore_open(path, &st, err, sizeof(err)) != TALAD_OK)
		die("open the store", err);
	if (rstore_set_pairing(st, &pair, true) != TALAD_OK)
		die("pair", "rstore_set_pairing failed");
	struct rsync sy;
	rsync_init_with(&sy, st, url, pair.token, pair.register_id);
	struct rsync_result res;
	rsync_result_init(&res);
	if (rsync_snapshot(&sy, NULL, NULL, &res) != TALAD_OK)
		die("snapshot", res.error);
	if (rstore_set_logged_in(st, true) != TALAD_OK)
		die("log in", "rstore_set_logged_in failed");
	struct rstore_shop shop;
	if (rstore_get_shop(st, &shop) != TALAD_OK)
		die("shop", "no shop settings after the snapshot");

	uint64_t rng = 7;
	int64_t t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++)
		sell(st, &shop, &rng);
	double sell_s = (double)(bench_now_ns() - t0) / 1e9;
	int64_t pending = 0;
	if (rstore_pending_count(st, &pending) != TALAD_OK || pending != (int64_t)n)
		die("outbox", "the outbox does not hold one row per sale");
	printf("queued %zu orders of 3 lines offline in %.2f s (%.0f sales/s committed)\n", n,
	       sell_s, (double)n / sell_s);

	rsync_result_init(&res);
	perf_ctl("enable");
	t0 = bench_now_ns();
	int rc = rsync_push(&sy, NULL, 0, &res);
	double push_s = (double)(bench_now_ns() - t0) / 1e9;
	perf_ctl("disable");
	if (rc != TALAD_OK)
		die("push", res.error[0] ? res.error : talad_strerror(rc));
	if (res.pushed.applied != n || res.pushed.rejected || rstore_pending_count(st, &pending) ||
	    pending != 0)
		die("push", "not every order was applied exactly once");
	size_t nreq;
	int64_t srv_ms = server_push_ms(log, &nreq);
	printf("pushed %zu orders in %zu batches in %.3f s; the back office spent %" PRId64
	       " ms answering %zu push requests\n",
	       n, res.batches, push_s, srv_ms, nreq);

	/* The back office agrees: every order listed once. */
	size_t listed = count_orders(&admin);
	if (listed != n)
		die("orders", "the back office does not list each pushed order exactly once");
	printf("RESULT bench_push orders_per_s=%.0f target=20000 %s\n", (double)n / push_s,
	       (double)n / push_s >= 20000 ? "met" : "MISSED");

	rsync_release(&sy);
	rstore_close(st);
	rhttp_release(&admin);
	cleanup();
	return 0;
}
