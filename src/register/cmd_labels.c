/* `talad labels`: looks the variants up in the local catalog copy, makes one
 * label each with hw/label, and writes them to a file, a ZPL printer through
 * hw/transport, or a CUPS queue through lp. Offline like the rest of selling.
 */
#include "register/cmd_labels.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "core/money.h"
#include "hw/label.h"
#include "hw/transport.h"
#include "register/bcconfig.h"
#include "register/scan_lookup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CODES 500

struct opts {
	const char **codes;
	size_t ncodes;
	int copies;
	bool have_format;
	enum label_format format;
	const char *out;
	const char *printer;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: talad labels SKU... [--copies N] [--format zpl|png|svg] "
	           "[--out FILE | --printer URI]\n"
	           "  URI: tcp://HOST[:9100] | serial:/dev/rfcomm0 | usb:/dev/usb/lp0 | "
	           "file:PATH | cups:QUEUE\n");
}

/* "--name VALUE" or "--name=VALUE"; advances *i past what it used. */
static bool opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return false;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return true;
	}
	if (argv[*i][n] != '\0')
		return false;
	if (*i + 1 >= argc) {
		*val = NULL;
		return true;
	}
	*val = argv[++*i];
	return true;
}

static int parse_args(int argc, char **argv, struct opts *o, FILE *ferr)
{
	memset(o, 0, sizeof(*o));
	o->copies = 1;
	o->codes = xcalloc((size_t)argc, sizeof(*o->codes));
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (opt_value(argc, argv, &i, "--copies", &v)) {
			char *end = NULL;
			long c = v ? strtol(v, &end, 10) : 0;
			if (!v || !*v || *end || c < 1 || c > LABEL_MAX_COPIES) {
				fprintf(ferr,
				        "talad labels: --copies takes a number from 1 to %d\n",
				        LABEL_MAX_COPIES);
				return 2;
			}
			o->copies = (int)c;
		} else if (opt_value(argc, argv, &i, "--format", &v)) {
			if (!v || label_format_parse(v, &o->format) != TALAD_OK) {
				fprintf(ferr, "talad labels: --format takes zpl, png or svg\n");
				return 2;
			}
			o->have_format = true;
		} else if (opt_value(argc, argv, &i, "--out", &v)) {
			if (!v || !*v) {
				fprintf(ferr,
				        "talad labels: --out needs a file name (- for fout)\n");
				return 2;
			}
			o->out = v;
		} else if (opt_value(argc, argv, &i, "--printer", &v)) {
			if (!v || !*v) {
				fprintf(ferr, "talad labels: --printer needs a device uri\n");
				return 2;
			}
			o->printer = v;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(ferr, "talad labels: unknown option '%s'\n", argv[i]);
			usage(ferr);
			return 2;
		} else {
			if (o->ncodes == MAX_CODES) {
				fprintf(ferr, "talad labels: at most %d items at a time\n",
				        MAX_CODES);
				return 2;
			}
			o->codes[o->ncodes++] = argv[i];
		}
	}
	if (o->ncodes == 0) {
		fprintf(ferr, "talad labels: name at least one sku or barcode\n");
		usage(ferr);
		return 2;
	}
	if (o->out && o->printer) {
		fprintf(ferr, "talad labels: give --out or --printer, not both\n");
		return 2;
	}
	return 0;
}

/* A setting, or NULL when unset; the caller frees it. */
static char *setting(struct rstore *st, const char *key)
{
	char *v = NULL;
	if (rstore_setting_get(st, key, &v) != TALAD_OK)
		return NULL;
	return v;
}

static int load_settings(struct rstore *st, struct label_settings *ls, FILE *ferr)
{
	static const char *const keys[] = {BCCONFIG_LABEL_SIZE, BCCONFIG_LABEL_DPMM,
	                                   BCCONFIG_LABEL_FONT, BCCONFIG_LABEL_ZPL_FONT};
	label_settings_init(ls);
	int rc = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = setting(st, keys[i]);
		char err[512] = "";
		if (!v)
			continue;
		if (bcconfig_check(keys[i], v, err, sizeof(err)) != TALAD_OK) {
			fprintf(ferr, "talad labels: setting %s '%s': %s\n", keys[i], v, err);
			rc = 1;
		} else if (i == 0) {
			label_size_parse(v, &ls->width_mm, &ls->height_mm);
		} else if (i == 1) {
			ls->dpmm = atoi(v);
		} else if (i == 2) {
			strlcpy_t(ls->font, v, sizeof(ls->font));
		} else {
			strlcpy_t(ls->zpl_font, v, sizeof(ls->zpl_font));
		}
		free(v);
	}
	return rc;
}

/* The file name for label i of n: FILE itself for one label, else FILE with
 * -1, -2... before its extension. The caller frees it. */
static char *numbered(const char *path, size_t i, size_t n)
{
	if (n == 1)
		return xstrdup(path);
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(path, '.');
	if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1))
		return xasprintf("%s-%zu", path, i + 1);
	return xasprintf("%.*s-%zu%s", (int)(dot - path), path, i + 1, dot);
}

/* Writes data to path through a temporary file and a rename, so a label
 * file is either whole or not there. */
static int write_file(const char *path, const char *data, size_t len, FILE *fout, FILE *ferr)
{
	if (!strcmp(path, "-")) {
		if (fwrite(data, 1, len, fout) != len || fflush(fout) != 0) {
			fprintf(ferr, "talad labels: cannot write to standard output\n");
			return 1;
		}
		return 0;
	}
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		fprintf(ferr, "talad labels: cannot write %s: %s\n", path, strerror(errno));
		free(tmp);
		return 1;
	}
	bool ok = fwrite(data, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(ferr, "talad labels: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return 1;
	}
	free(tmp);
	return 0;
}

/* Runs lp -d QUEUE -n COPIES OPTION FILE and waits for it. */
static int run_lp(const char *queue, int copies, const char *option, const char *file, FILE *ferr)
{
	char ncopies[16];
	snprintf(ncopies, sizeof(ncopies), "%d", copies);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(ferr, "talad labels: cannot start lp: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		char *args[] = {"lp", "-d",           (char *)queue, "-n", ncopies,
		                "-o", (char *)option, (char *)file,  NULL};
		execvp("lp", args);
		_exit(errno == ENOENT ? 127 : 126);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(ferr, "talad labels: lost track of lp: %s\n", strerror(errno));
			return 1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		fprintf(ferr, "talad labels: lp not found: install cups-client to print through "
		              "cups\n");
	else
		fprintf(ferr, "talad labels: lp could not print to queue %s\n", queue);
	return 1;
}

static int print_cups(const char *queue, const struct buf *labels, size_t n, enum label_format f,
                      int copies, int dpmm, FILE *ferr)
{
	if (!*queue || strchr(queue, '/')) {
		fprintf(ferr, "talad labels: cups:QUEUE needs a queue name\n");
		return 1;
	}
	if (f == LABEL_SVG) {
		fprintf(ferr, "talad labels: cups prints png or raw zpl labels, not svg\n");
		return 1;
	}
	char option[32];
	if (f == LABEL_ZPL)
		strcpy(option, "raw");
	else
		snprintf(option, sizeof(option), "ppi=%d", (dpmm * 254 + 5) / 10);
	const char *tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	/* ZPL goes as one job; images one job per label. */
	size_t jobs = f == LABEL_ZPL ? 1 : n;
	for (size_t i = 0; i < jobs; i++) {
		char *path = xasprintf("%s/talad-label-XXXXXX.%s", tmpdir, label_format_name(f));
		int fd = mkstemps(path, (int)strlen(label_format_name(f)) + 1);
		if (fd < 0) {
			fprintf(ferr, "talad labels: cannot make a temporary file in %s: %s\n",
			        tmpdir, strerror(errno));
			free(path);
			return 1;
		}
		const struct buf *b = &labels[f == LABEL_ZPL ? 0 : i];
		bool ok = write(fd, b->data, b->len) == (ssize_t)b->len;
		ok = close(fd) == 0 && ok;
		int rc = ok ? run_lp(queue, f == LABEL_ZPL ? 1 : copies, option, path, ferr) : 1;
		if (!ok)
			fprintf(ferr, "talad labels: cannot write %s\n", path);
		unlink(path);
		free(path);
		if (rc)
			return rc;
	}
	return 0;
}

static int print_device(const char *uri, const struct buf *zpl, FILE *ferr)
{
	char err[512] = "";
	struct transport *t = NULL;
	int rc = transport_open(uri, TRANSPORT_TIMEOUT_MS, &t, err, sizeof(err));
	if (rc == TALAD_OK)
		rc =
		    transport_write(t, zpl->data, zpl->len, TRANSPORT_TIMEOUT_MS, err, sizeof(err));
	transport_close(t);
	if (rc != TALAD_OK) {
		fprintf(ferr, "talad labels: %s\n", err[0] ? err : talad_strerror(rc));
		return 1;
	}
	return 0;
}

/* Where the labels go and in which format, from the options and settings. */
static int choose_output(struct rstore *st, struct opts *o, char **printer_setting, FILE *ferr)
{
	*printer_setting = NULL;
	if (!o->out && !o->printer) {
		*printer_setting = setting(st, BCCONFIG_LABEL_PRINTER);
		o->printer = *printer_setting;
	}
	if (!o->out && !o->printer) {
		fprintf(ferr, "talad labels: say where the labels go: --out FILE, --printer URI, "
		              "or set label-printer\n");
		return 2;
	}
	bool cups = o->printer && !strncmp(o->printer, "cups:", 5);
	if (!o->have_format) {
		const char *dot = o->out ? strrchr(o->out, '.') : NULL;
		if (dot && label_format_parse(dot + 1, &o->format) == TALAD_OK)
			;
		else if (cups)
			o->format = LABEL_PNG;
		else
			o->format = LABEL_ZPL;
	}
	if (o->printer && !cups) {
		struct transport_uri u;
		char err[256] = "";
		if (transport_parse_uri(o->printer, &u, err, sizeof(err)) != TALAD_OK) {
			fprintf(ferr, "talad labels: %s\n", err);
			return 2;
		}
		if (o->format != LABEL_ZPL) {
			fprintf(
			    ferr,
			    "talad labels: %s takes zpl; print png through cups:QUEUE or save it "
			    "with --out\n",
			    o->printer);
			return 2;
		}
	}
	return 0;
}

int cmd_labels(struct rstore *st, int argc, char **argv, FILE *fout, FILE *ferr)
{
	struct opts o;
	struct buf *labels = NULL;
	size_t nlabels = 0;
	char *printer_setting = NULL;
	struct label_settings ls;
	int status = parse_args(argc, argv, &o, ferr);
	if (status)
		goto out;
	status = choose_output(st, &o, &printer_setting, ferr);
	if (status)
		goto out;
	status = load_settings(st, &ls, ferr);
	if (status)
		goto out;

	struct rstore_shop shop;
	struct currency cur;
	if (rstore_get_shop(st, &shop) != TALAD_OK) {
		fprintf(ferr, "talad labels: the catalog is empty: log in to the back office "
		              "first\n");
		status = 1;
		goto out;
	}
	if (currency_lookup(shop.currency, &cur) != TALAD_OK) {
		fprintf(ferr, "talad labels: unknown shop currency '%s'\n", shop.currency);
		status = 1;
		goto out;
	}

	/* Every label is made before anything goes out: one unknown code
	   prints nothing rather than half a batch. */
	size_t nbufs = o.format == LABEL_ZPL ? 1 : o.ncodes;
	labels = xcalloc(nbufs, sizeof(*labels));
	for (size_t i = 0; i < nbufs; i++)
		buf_init(&labels[i], LABEL_MAX_BYTES * (o.format == LABEL_ZPL ? 4 : 1));
	nlabels = nbufs;
	for (size_t i = 0; i < o.ncodes; i++) {
		struct rstore_variant v;
		int rc = scan_find_variant(st, o.codes[i], &v);
		if (rc != TALAD_OK) {
			fprintf(ferr, "talad labels: %s '%s'\n",
			        rc == TALAD_ENOTFOUND ? "no item with barcode or sku"
			                              : "cannot read the catalog for",
			        o.codes[i]);
			status = 1;
			goto out;
		}
		char err[256] = "";
		struct label_item item = {.title = v.title};
		if (label_pick_code(v.barcode, v.sku, &item.code, &item.symbol, err, sizeof(err)) !=
		    TALAD_OK) {
			fprintf(ferr, "talad labels: %s: %s\n", o.codes[i], err);
			status = 1;
			goto out;
		}
		char amount[MONEY_STRLEN];
		money_format(v.price, cur.exponent, amount);
		char price[MONEY_STRLEN + 8];
		snprintf(price, sizeof(price), "%s %s", amount, cur.code);
		item.price = price;
		struct buf *b = &labels[o.format == LABEL_ZPL ? 0 : i];
		if (label_render(&item, &ls, o.format, o.copies, b, err, sizeof(err)) != TALAD_OK) {
			fprintf(ferr, "talad labels: %s: %s\n", o.codes[i], err);
			status = 1;
			goto out;
		}
	}

	if (o.printer && !strncmp(o.printer, "cups:", 5)) {
		status =
		    print_cups(o.printer + 5, labels, o.ncodes, o.format, o.copies, ls.dpmm, ferr);
		if (!status)
			fprintf(fout, "sent %zu label%s to cups queue %s\n", o.ncodes,
			        o.ncodes == 1 ? "" : "s", o.printer + 5);
	} else if (o.printer) {
		status = print_device(o.printer, &labels[0], ferr);
		if (!status)
			fprintf(fout, "sent %zu label%s (%d cop%s each) to %s\n", o.ncodes,
			        o.ncodes == 1 ? "" : "s", o.copies, o.copies == 1 ? "y" : "ies",
			        o.printer);
	} else {
		if (o.copies > 1 && o.format != LABEL_ZPL)
			fprintf(ferr,
			        "talad labels: note: a %s file holds one label; --copies "
			        "counts when it is printed\n",
			        label_format_name(o.format));
		if (!strcmp(o.out, "-") && o.format == LABEL_PNG && nbufs > 1) {
			fprintf(ferr, "talad labels: several png labels need --out FILE\n");
			status = 2;
			goto out;
		}
		for (size_t i = 0; i < nbufs && !status; i++) {
			char *path = strcmp(o.out, "-") ? numbered(o.out, i, nbufs) : xstrdup("-");
			status = write_file(path, labels[i].data ? labels[i].data : "",
			                    labels[i].len, fout, ferr);
			if (!status && strcmp(path, "-"))
				fprintf(fout, "wrote %s\n", path);
			free(path);
		}
	}
out:
	for (size_t i = 0; i < nlabels; i++)
		buf_release(&labels[i]);
	free(labels);
	free(o.codes);
	free(printer_setting);
	return status;
}
