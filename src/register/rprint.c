/* Receipt printing and the cash drawer on the register: settings from the
 * local store, jobs built with src/hw/escpos and sent with src/hw/transport,
 * drawer openings recorded in the outbox before the drawer is kicked. */
#include "register/rprint.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "hw/transport.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = {
    "printer",        "printer-width", "printer-codepage", "printer-encoding",
    "printer-raster", "printer-font",  "drawer",           "drawer-pin",
    "drawer-pulse",   "receipt-lang",  "receipt-qr",
};

bool rprint_config_key(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1")) {
		*out = true;
		return TALAD_OK;
	}
	if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0")) {
		*out = false;
		return TALAD_OK;
	}
	return TALAD_EINVAL;
}

static int parse_num(const char *v, long lo, long hi, int *out)
{
	char *end;
	long n;

	if (!*v || strlen(v) > 9)
		return TALAD_EINVAL;
	n = strtol(v, &end, 10);
	if (*end || n < lo || n > hi || v[0] == '+' || v[0] == ' ')
		return TALAD_EINVAL;
	*out = (int)n;
	return TALAD_OK;
}

/* Applies one key's value to cfg; the one place values are checked. */
static int apply(struct rprint_config *cfg, const char *key, const char *v, char *err,
                 size_t errlen)
{
	int n;

	if (!strcmp(key, "printer")) {
		struct transport_uri u;
		if (transport_parse_uri(v, &u, err, errlen) != TALAD_OK)
			return TALAD_EINVAL;
		if (strlcpy_t(cfg->printer, v, sizeof(cfg->printer)) >= sizeof(cfg->printer)) {
			talad_seterr(err, errlen, "printer address too long");
			return TALAD_EINVAL;
		}
	} else if (!strcmp(key, "printer-width")) {
		if (parse_num(v, 24, 80, &n) != TALAD_OK) {
			talad_seterr(err, errlen,
			             "printer-width must be a number of columns, 24 to 80 "
			             "(32 for 58 mm paper, 42 or 48 for 80 mm)");
			return TALAD_EINVAL;
		}
		cfg->ps.width = n;
	} else if (!strcmp(key, "printer-codepage")) {
		if (!strcmp(v, "none")) {
			cfg->ps.codepage = -1;
		} else if (parse_num(v, 0, 255, &n) == TALAD_OK) {
			cfg->ps.codepage = n;
		} else {
			talad_seterr(err, errlen, "printer-codepage must be 0 to 255 or none");
			return TALAD_EINVAL;
		}
	} else if (!strcmp(key, "printer-encoding")) {
		struct escpos_settings t = cfg->ps;
		if (strlcpy_t(t.encoding, v, sizeof(t.encoding)) >= sizeof(t.encoding) ||
		    escpos_settings_check(&t, err, errlen) != TALAD_OK) {
			talad_seterr(err, errlen,
			             "unknown printer-encoding %s (try CP874 or TIS-620)", v);
			return TALAD_EINVAL;
		}
		cfg->ps = t;
	} else if (!strcmp(key, "printer-raster")) {
		if (parse_bool(v, &cfg->ps.raster) != TALAD_OK) {
			talad_seterr(err, errlen, "printer-raster must be on or off");
			return TALAD_EINVAL;
		}
	} else if (!strcmp(key, "printer-font")) {
		if (!*v ||
		    strlcpy_t(cfg->ps.font, v, sizeof(cfg->ps.font)) >= sizeof(cfg->ps.font)) {
			talad_seterr(err, errlen, "printer-font must be a font file path");
			return TALAD_EINVAL;
		}
	} else if (!strcmp(key, "drawer")) {
		if (parse_bool(v, &cfg->drawer) != TALAD_OK) {
			talad_seterr(err, errlen, "drawer must be on or off");
			return TALAD_EINVAL;
		}
	} else if (!strcmp(key, "drawer-pin")) {
		if (parse_num(v, 2, 5, &n) != TALAD_OK || (n != 2 && n != 5)) {
			talad_seterr(err, errlen, "drawer-pin must be 2 or 5");
			return TALAD_EINVAL;
		}
		cfg->ps.drawer_pin = n;
	} else if (!strcmp(key, "drawer-pulse")) {
		if (parse_num(v, 2, 510, &n) != TALAD_OK) {
			talad_seterr(err, errlen, "drawer-pulse must be 2 to 510 ms");
			return TALAD_EINVAL;
		}
		cfg->ps.drawer_pulse_ms = n;
	} else if (!strcmp(key, "receipt-lang")) {
		if (strcmp(v, "en") && strcmp(v, "th")) {
			talad_seterr(err, errlen, "receipt-lang must be en or th");
			return TALAD_EINVAL;
		}
		strlcpy_t(cfg->lang, v, sizeof(cfg->lang));
	} else if (!strcmp(key, "receipt-qr")) {
		if (parse_bool(v, &cfg->qr) != TALAD_OK) {
			talad_seterr(err, errlen, "receipt-qr must be on or off");
			return TALAD_EINVAL;
		}
	}
	return TALAD_OK;
}

static void config_defaults(struct rprint_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	escpos_settings_init(&cfg->ps);
	strlcpy_t(cfg->lang, "en", sizeof(cfg->lang));
}

int rprint_config_check(const char *key, const char *value, char *err, size_t errlen)
{
	struct rprint_config cfg;

	if (!rprint_config_key(key))
		return TALAD_OK;
	config_defaults(&cfg);
	return apply(&cfg, key, value, err, errlen);
}

int rprint_config_load(struct rstore *st, struct rprint_config *cfg, char *err, size_t errlen)
{
	size_t i;

	config_defaults(cfg);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = NULL, msg[256];
		int rc = rstore_setting_get(st, keys[i], &v);

		if (rc == TALAD_ENOTFOUND)
			continue;
		if (rc != TALAD_OK) {
			talad_seterr(err, errlen, "cannot read setting %s: %s", keys[i],
			             talad_strerror(rc));
			return rc;
		}
		rc = apply(cfg, keys[i], v, msg, sizeof(msg));
		free(v);
		if (rc != TALAD_OK) {
			talad_seterr(err, errlen,
			             "bad setting %s: %s (fix with talad config set %s)", keys[i],
			             msg, keys[i]);
			return rc;
		}
	}
	return TALAD_OK;
}

int rprint_receipt_settings(struct rstore *st, const struct rprint_config *cfg,
                            struct receipt_settings *rs, char *err, size_t errlen)
{
	struct rstore_shop shop;
	struct rstore_pairing pairing;
	struct currency cur = {"THB", 2};
	int rc;

	rc = rstore_get_shop(st, &shop);
	if (rc != TALAD_OK && rc != TALAD_ENOTFOUND) {
		talad_seterr(err, errlen, "cannot read the shop settings: %s", talad_strerror(rc));
		return rc;
	}
	if (rc == TALAD_ENOTFOUND)
		memset(&shop, 0, sizeof(shop));
	if (shop.currency[0] && currency_lookup(shop.currency, &cur) != TALAD_OK) {
		talad_seterr(err, errlen, "unknown shop currency %s", shop.currency);
		return TALAD_EINVAL;
	}
	receipt_settings_init(rs, &cur);
	rs->width = cfg->ps.width;
	rs->qr = cfg->qr;
	strlcpy_t(rs->lang, cfg->lang, sizeof(rs->lang));
	strlcpy_t(rs->shop_name, shop.name, sizeof(rs->shop_name));
	strlcpy_t(rs->address, shop.address, sizeof(rs->address));
	strlcpy_t(rs->tax_id, shop.tax_id, sizeof(rs->tax_id));
	strlcpy_t(rs->footer, shop.receipt_footer, sizeof(rs->footer));
	rc = rstore_get_pairing(st, &pairing);
	if (rc == TALAD_OK) {
		strlcpy_t(rs->pos_id, pairing.register_code, sizeof(rs->pos_id));
		if (!rs->shop_name[0])
			strlcpy_t(rs->shop_name, pairing.shop_name, sizeof(rs->shop_name));
	} else if (rc != TALAD_ENOTFOUND) {
		talad_seterr(err, errlen, "cannot read the pairing: %s", talad_strerror(rc));
		return rc;
	}
	return TALAD_OK;
}

int rprint_load_order(struct rstore *st, const char *id_or_number, struct order *o, char *err,
                      size_t errlen)
{
	char *text = NULL, msg[256];
	json_t *j;
	json_error_t jerr;
	int rc;

	rc = rstore_get_order(st, id_or_number, NULL, &text);
	if (rc == TALAD_ENOTFOUND) {
		talad_seterr(err, errlen, "no order %s on this register", id_or_number);
		return rc;
	}
	if (rc != TALAD_OK) {
		talad_seterr(err, errlen, "cannot read order %s: %s", id_or_number,
		             talad_strerror(rc));
		return rc;
	}
	j = json_loads(text, 0, &jerr);
	free(text);
	if (!j) {
		talad_seterr(err, errlen, "order %s is stored damaged: %s", id_or_number,
		             jerr.text);
		return TALAD_EINVAL;
	}
	rc = order_from_json(j, o, msg, sizeof(msg));
	json_decref(j);
	if (rc != TALAD_OK)
		talad_seterr(err, errlen, "order %s is stored damaged: %s", id_or_number, msg);
	return rc;
}

/* The receipt job for o, without the drawer kick (deliver() adds it). */
static int build_job(struct rstore *st, const struct rprint_config *cfg, const struct order *o,
                     struct buf *job, char *err, size_t errlen)
{
	struct receipt_settings rs;
	struct currency cur;
	int rc;

	rc = rprint_receipt_settings(st, cfg, &rs, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	/* Amounts are the order's own currency, whatever the shop says now. */
	if (o->currency[0] && currency_lookup(o->currency, &cur) == TALAD_OK)
		rs.currency = cur;
	return escpos_receipt_order(o, &rs, &cfg->ps, job, err, errlen);
}

static const char *pick_uri(const struct rprint_config *cfg, const char *uri, char *err,
                            size_t errlen)
{
	if (uri && *uri)
		return uri;
	if (cfg->printer[0])
		return cfg->printer;
	talad_seterr(err, errlen,
	             "no printer set (talad config set printer tcp://HOST:9100, or "
	             "--printer URI)");
	return NULL;
}

/* The configuration and the printer to use: uri, else the configured one.
 * TALAD_ENOTFOUND (err says so) when there is none. */
static int load_target(struct rstore *st, const char *uri, struct rprint_config *cfg,
                       const char **to, char *err, size_t errlen)
{
	int rc = rprint_config_load(st, cfg, err, errlen);

	if (rc != TALAD_OK)
		return rc;
	*to = pick_uri(cfg, uri, err, errlen);
	return *to ? TALAD_OK : TALAD_ENOTFOUND;
}

/* What deliver() should do about the drawer. */
struct kick {
	const char *staff_id;
	const char *reason; /* NULL: no kick */
	bool required;      /* a failed record fails the delivery (drawer open) */
	bool kicked;        /* out: the kick was recorded and sent */
	char why[256];      /* out: why the drawer was not opened, when it was not */
};

/* Sends job (may be NULL) to the printer, the drawer kick first when asked.
 * The opening is recorded only once the printer is connected and has not
 * reported that it cannot print, so a printer that is off or out of paper
 * leaves no opening in the log that never happened; and it is recorded
 * before the kick is sent, so no opening ever goes unrecorded. */
static int deliver(struct rstore *st, const struct rprint_config *cfg, const char *to,
                   const struct buf *job, struct kick *k, char *err, size_t errlen)
{
	struct transport *t = NULL;
	struct escpos_status status;
	struct buf out = BUF_INIT(ESCPOS_JOB_MAX + 16);
	int rc;

	rc = transport_open(to, TRANSPORT_TIMEOUT_MS, &t, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	if (transport_can_read(t)) {
		/* Silence is "unknown" (some interfaces swallow DLE EOT): print. */
		rc = transport_status(t, 1000, &status, NULL, 0);
		if (rc == TALAD_EIO) {
			talad_seterr(err, errlen, "printer %s closed the connection", to);
			goto out;
		}
		if (escpos_status_blocking(&status)) {
			char words[128];
			escpos_status_words(&status, words, sizeof(words));
			talad_seterr(err, errlen, "printer %s reports %s",
			             strncmp(to, "tcp://", 6) == 0 ? to + 6 : to, words);
			rc = TALAD_EREFUSED;
			goto out;
		}
	}
	if (k && k->reason) {
		rc = rprint_drawer_record(st, k->staff_id, k->reason, k->why, sizeof(k->why));
		if (rc != TALAD_OK && k->required) {
			talad_seterr(err, errlen, "%s", k->why);
			goto out;
		}
		if (rc == TALAD_OK) {
			/* ESC p needs no ESC @ before it; the receipt that
			 * follows starts with its own. */
			rc = escpos_drawer_kick(&out, cfg->ps.drawer_pin, cfg->ps.drawer_pulse_ms);
			if (rc != TALAD_OK) {
				talad_seterr(err, errlen, "cannot build the drawer kick");
				goto out;
			}
			k->kicked = true;
		}
	}
	if (job && (rc = buf_append(&out, job->data, job->len)) != TALAD_OK) {
		talad_seterr(err, errlen, "receipt too large");
		goto out;
	}
	rc = transport_write(t, out.data, out.len, TRANSPORT_TIMEOUT_MS, err, errlen);
	if (rc != TALAD_OK && k && k->kicked)
		snprintf(k->why, sizeof(k->why), "the printer did not take the job");
out:
	if (rc != TALAD_OK && k)
		k->kicked = false;
	buf_release(&out);
	transport_close(t);
	return rc;
}

int rprint_order(struct rstore *st, const struct order *o, const char *uri, bool kick, char *err,
                 size_t errlen)
{
	struct rprint_config cfg;
	struct buf job = BUF_INIT(ESCPOS_JOB_MAX);
	char reason[RPRINT_REASON_MAX];
	struct kick k = {o->staff_id, NULL, false, false, ""};
	const char *to;
	int rc;

	rc = load_target(st, uri, &cfg, &to, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	if (kick) {
		snprintf(reason, sizeof(reason), "sale %s", o->number);
		k.reason = reason;
	}
	rc = build_job(st, &cfg, o, &job, err, errlen);
	if (rc == TALAD_OK)
		rc = deliver(st, &cfg, to, &job, &k, err, errlen);
	buf_release(&job);
	return rc;
}

/* A reason the back office takes: 1..127 bytes of UTF-8 text, no control
 * characters. */
static int check_reason(const char *reason, char *err, size_t errlen)
{
	size_t i, n = reason ? strlen(reason) : 0;
	json_t *j;

	if (n == 0 || n >= RPRINT_REASON_MAX) {
		talad_seterr(err, errlen, "the reason must be 1 to %d bytes",
		             RPRINT_REASON_MAX - 1);
		return TALAD_EINVAL;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f) {
			talad_seterr(err, errlen, "the reason must not hold control characters");
			return TALAD_EINVAL;
		}
	}
	j = json_string(reason); /* NULL for invalid UTF-8 */
	if (!j) {
		talad_seterr(err, errlen, "the reason is not valid utf-8 text");
		return TALAD_EINVAL;
	}
	json_decref(j);
	return TALAD_OK;
}

int rprint_drawer_record(struct rstore *st, const char *staff_id, const char *reason, char *err,
                         size_t errlen)
{
	char id[UUID_STRLEN + 1], at[TIME_ISO_LEN + 1];
	json_t *payload, *jreason;
	int rc;

	rc = check_reason(reason, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	jreason = json_string(reason);
	uuid_v7(id);
	time_format_iso(time_now_ms(), at);
	payload = json_object();
	json_object_set_new(payload, "id", json_string(id));
	json_object_set_new(payload, "staff_id",
	                    staff_id && *staff_id ? json_string(staff_id) : json_null());
	json_object_set_new(payload, "reason", jreason);
	json_object_set_new(payload, "opened_at", json_string(at));
	rc = rstore_outbox_append(st, "drawer.open", payload, NULL);
	json_decref(payload);
	if (rc == TALAD_ESTATE)
		talad_seterr(err, errlen,
		             "this register is not paired with a back office: "
		             "the drawer opening cannot be recorded");
	else if (rc != TALAD_OK)
		talad_seterr(err, errlen, "cannot record the drawer opening: %s",
		             talad_strerror(rc));
	return rc;
}

int rprint_drawer_open(struct rstore *st, const char *staff_id, const char *reason, const char *uri,
                       char *err, size_t errlen)
{
	struct rprint_config cfg;
	struct kick k = {staff_id, reason, true, false, ""};
	const char *to;
	int rc;

	rc = load_target(st, uri, &cfg, &to, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	/* A bad reason is refused before any device is touched. */
	rc = check_reason(reason, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	return deliver(st, &cfg, to, NULL, &k, err, errlen);
}

int rprint_after_sale(struct rstore *st, const struct order *o, FILE *msg)
{
	struct rprint_config cfg;
	struct buf job = BUF_INIT(ESCPOS_JOB_MAX);
	char err[512], reason[RPRINT_REASON_MAX];
	struct kick k = {o->staff_id, NULL, false, false, ""};
	bool cash = false;
	size_t i;
	int rc;

	rc = rprint_config_load(st, &cfg, err, sizeof(err));
	if (rc != TALAD_OK) {
		fprintf(msg, "receipt not printed: %s; reprint with: talad receipt print %s\n", err,
		        o->number);
		return rc;
	}
	for (i = 0; i < o->settlement.npayments && i < TENDER_MAX; i++)
		if (o->settlement.payments[i].kind == TENDER_CASH)
			cash = true;
	if (cash && cfg.drawer) {
		snprintf(reason, sizeof(reason), "sale %s", o->number);
		k.reason = reason;
	}
	if (!cfg.printer[0]) {
		if (k.reason) {
			fprintf(msg, "drawer not opened: no printer set (the drawer is kicked "
			             "through it: talad config set printer URI)\n");
			return TALAD_ENOTFOUND;
		}
		return TALAD_OK;
	}
	rc = build_job(st, &cfg, o, &job, err, sizeof(err));
	if (rc == TALAD_OK)
		rc = deliver(st, &cfg, cfg.printer, &job, &k, err, sizeof(err));
	buf_release(&job);
	if (rc != TALAD_OK)
		fprintf(msg, "receipt not printed: %s; reprint with: talad receipt print %s\n", err,
		        o->number);
	if (k.reason && !k.kicked)
		fprintf(msg, "drawer not opened: %s\n", k.why[0] ? k.why : err);
	return rc;
}

int rprint_status(struct rstore *st, const char *uri, struct escpos_status *status, char *err,
                  size_t errlen)
{
	struct rprint_config cfg;
	struct transport *t = NULL;
	const char *to;
	int rc;

	memset(status, 0, sizeof(*status));
	rc = load_target(st, uri, &cfg, &to, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	rc = transport_open(to, TRANSPORT_TIMEOUT_MS, &t, err, errlen);
	if (rc != TALAD_OK)
		return rc;
	rc = transport_status(t, 1000, status, err, errlen);
	transport_close(t);
	return rc;
}
