/* The shared unit-test fixtures (see fixtures.h). */
#include "fixtures.h"

#include "common/err.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t fx_seed = 20261204;
static uint64_t rng_state = 20261204;

int fx_setup_seed(void **state)
{
	const char *s = getenv("TALAD_TEST_SEED");
	(void)state;
	if (s && *s)
		fx_seed = strtoull(s, NULL, 10);
	rng_state = fx_seed;
	return 0;
}

uint64_t fx_rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int64_t fx_rnd_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(fx_rnd() % (uint64_t)(hi - lo + 1));
}

int fx_tmpdir(const char *name, char *dir, size_t len)
{
	if ((size_t)snprintf(dir, len, "/tmp/%s.XXXXXX", name) >= len || !mkdtemp(dir)) {
		fprintf(stderr, "fixtures: cannot make a scratch directory for %s\n", name);
		return -1;
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

int fx_rmtree(const char *dir)
{
	if (!dir || !*dir)
		return 0;
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		fprintf(stderr, "fixtures: cannot remove %s\n", dir);
		return -1;
	}
	return 0;
}

void fx_pairing(struct rstore_pairing *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->server_url, "http://127.0.0.1:1");
	strcpy(p->register_id, FX_REG_ID);
	strcpy(p->register_code, "R01");
	strcpy(p->register_name, "Counter 1");
	strcpy(p->token, "tok");
	strcpy(p->location_id, FX_LOC_ID);
	strcpy(p->location_name, "Main");
}

int fx_register_store(const char *path, const char *snapshot, bool logged_in, struct rstore **out)
{
	struct rstore_pairing p;
	char err[256] = "";
	int rc;

	*out = NULL;
	if ((rc = rstore_open(path, out, err, sizeof(err))) != TALAD_OK) {
		fprintf(stderr, "fixtures: %s\n", err);
		return -1;
	}
	fx_pairing(&p);
	if ((rc = rstore_set_pairing(*out, &p, true)) != TALAD_OK) {
		fprintf(stderr, "fixtures: cannot pair: %s\n", talad_strerror(rc));
		goto fail;
	}
	if (snapshot) {
		json_error_t je;
		json_t *snap = json_loads(snapshot, 0, &je);
		if (!snap) {
			fprintf(stderr, "fixtures: bad test json: %s at %d\n", je.text,
			        je.position);
			goto fail;
		}
		rc = rstore_apply_snapshot(*out, snap, NULL, NULL, NULL, err, sizeof(err));
		json_decref(snap);
		if (rc != TALAD_OK) {
			fprintf(stderr, "fixtures: snapshot: %s\n", err);
			goto fail;
		}
	}
	if (logged_in && (rc = rstore_set_logged_in(*out, true)) != TALAD_OK) {
		fprintf(stderr, "fixtures: cannot log in: %s\n", talad_strerror(rc));
		goto fail;
	}
	return 0;
fail:
	rstore_close(*out);
	*out = NULL;
	return -1;
}

int fx_run_cmd(fx_cmd_fn cmd, struct rstore *st, char **argv, struct buf *out, struct buf *err)
{
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	int argc = 0;

	while (argv[argc])
		argc++;
	FILE *fo = open_memstream(&obuf, &olen);
	FILE *fe = open_memstream(&ebuf, &elen);
	int rc = cmd(st, argc, argv, fo, fe);
	fclose(fo);
	fclose(fe);
	buf_reset(out);
	buf_reset(err);
	buf_append(out, obuf, olen);
	buf_append(err, ebuf, elen);
	free(obuf);
	free(ebuf);
	return rc;
}

int fx_server_store(const char *name, char dir[64], char path[128], struct store **out)
{
	char err[256] = "";

	*out = NULL;
	if (fx_tmpdir(name, dir, 64))
		return -1;
	snprintf(path, 128, "%s/talad.db", dir);
	if (store_sqlite_open(path, true, out, err, sizeof(err)) != TALAD_OK) {
		fprintf(stderr, "fixtures: %s\n", err);
		fx_rmtree(dir);
		return -1;
	}
	return 0;
}

int fx_server_store_done(struct store *st, const char *dir)
{
	if (st)
		st->ops->close(st);
	return fx_rmtree(dir);
}

struct cart_line fx_line(const char *title, int64_t qty, int64_t price, bool taxable)
{
	struct cart_line l;
	memset(&l, 0, sizeof(l));
	snprintf(l.title, sizeof(l.title), "%s", title);
	l.quantity = qty;
	l.unit_price = price;
	l.taxable = taxable;
	return l;
}

void fx_check_golden(const char *got, const char *want, const char *message)
{
	const char *p = got;

	if (strcmp(got, want) == 0)
		return;
	print_message("--- got ---\n");
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		print_message("\"%.*s\\n\"\n", len, p);
		p += len + (nl ? 1 : 0);
	}
	fail_msg("%s", message);
}
