/* The till's staff lock: PINs verified with libsodium's argon2id against the
 * pulled hashes (no network needed), the wrong-PIN count and lock-out kept in
 * the local store, lock-outs doubling while wrong PINs go on. */
#include "register/till_lock.h"

#include "common/err.h"
#include "core/tax.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int till_lock_load(struct rstore *st, struct till_lock_state *out)
{
	char *text = NULL;
	memset(out, 0, sizeof(*out));
	int rc = rstore_setting_get(st, TILL_LOCK_KEY, &text);
	if (rc == TALAD_ENOTFOUND)
		return TALAD_OK;
	if (rc)
		return rc;
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	json_int_t f = 0, l = 0, u = 0;
	/* A damaged record must not hand out fresh tries: it reads as one
	 * wrong PIN short of a lock-out. */
	if (!j ||
	    json_unpack(j, "{s:I, s:I, s:I}", "failures", &f, "lockouts", &l, "locked_until", &u) !=
	        0 ||
	    f < 0 || l < 0 || u < 0 || f > 1000 || l > 1000) {
		out->failures = TILL_LOCK_TRIES - 1;
		out->lockouts = 1;
	} else {
		out->failures = (int)f;
		out->lockouts = (int)l;
		out->locked_until = u;
	}
	json_decref(j);
	return TALAD_OK;
}

int till_lock_save(struct rstore *st, const struct till_lock_state *s)
{
	json_t *j = json_pack("{s:i, s:i, s:I}", "failures", s->failures, "lockouts", s->lockouts,
	                      "locked_until", (json_int_t)s->locked_until);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text)
		return TALAD_EINVAL;
	int rc = rstore_setting_set(st, TILL_LOCK_KEY, text);
	free(text);
	return rc;
}

int64_t till_lock_wait(const struct till_lock_state *s, int64_t now)
{
	if (s->locked_until <= now)
		return 0;
	int64_t wait = s->locked_until - now;
	return wait > TILL_LOCK_MAX_MS ? TILL_LOCK_MAX_MS : wait;
}

static int64_t lockout_ms(int lockouts)
{
	int64_t ms = TILL_LOCK_BASE_MS;
	for (int i = 1; i < lockouts && ms < TILL_LOCK_MAX_MS; i++)
		ms *= 2;
	return ms > TILL_LOCK_MAX_MS ? TILL_LOCK_MAX_MS : ms;
}

static bool pin_form_ok(const char *pin)
{
	size_t n = pin ? strlen(pin) : 0;
	return n >= TILL_PIN_MIN && n <= TILL_PIN_MAX && strspn(pin, "0123456789") == n;
}

bool till_lock_is_manager(const struct rstore_staff *m)
{
	return strcmp(m->role, "owner") == 0 || strcmp(m->role, "manager") == 0;
}

int64_t till_lock_discount_limit(struct rstore *st, const struct rstore_shop *shop)
{
	int64_t ppm = TILL_DISCOUNT_LIMIT_DEFAULT, mine;
	char *v = NULL;
	if (shop && shop->has_discount_limit && shop->discount_limit_ppm >= 0 &&
	    shop->discount_limit_ppm <= TAX_PPM_ONE)
		ppm = shop->discount_limit_ppm;
	if (rstore_setting_get(st, TILL_DISCOUNT_LIMIT_KEY, &v) == TALAD_OK &&
	    tax_rate_parse(v, &mine) == TALAD_OK && mine < ppm)
		ppm = mine;
	free(v);
	return ppm;
}

int till_lock_check(struct rstore *st, const char *pin, bool manager_only, int64_t now,
                    struct rstore_staff *who, struct till_pin_result *res)
{
	struct till_lock_state ls;
	struct rstore_staff *staff = NULL;
	size_t n = 0, with_pin = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (sodium_init() < 0)
		return TALAD_EIO;
	if ((rc = till_lock_load(st, &ls)))
		return rc;
	res->wait_ms = till_lock_wait(&ls, now);
	if (res->wait_ms > 0)
		return TALAD_EBUSY;
	if (!pin_form_ok(pin))
		return TALAD_EINVAL;
	if ((rc = rstore_list_staff(st, &staff, &n)))
		return rc;

	const struct rstore_staff *match = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!staff[i].pin_hash[0])
			continue;
		with_pin++;
		if (crypto_pwhash_str_verify(staff[i].pin_hash, pin, strlen(pin)) == 0) {
			match = &staff[i];
			break;
		}
	}
	if (match) {
		*who = *match;
		free(staff);
		if (manager_only && !till_lock_is_manager(who))
			return TALAD_EREFUSED;
		ls.failures = 0;
		ls.lockouts = 0;
		ls.locked_until = 0;
		return till_lock_save(st, &ls);
	}
	free(staff);
	if (with_pin == 0)
		return TALAD_ENOTFOUND;
	ls.failures++;
	if (ls.failures >= TILL_LOCK_TRIES) {
		ls.failures = 0;
		ls.lockouts++;
		res->wait_ms = lockout_ms(ls.lockouts);
		ls.locked_until = now + res->wait_ms;
		rc = till_lock_save(st, &ls);
		return rc ? rc : TALAD_EBUSY;
	}
	res->tries_left = TILL_LOCK_TRIES - ls.failures;
	rc = till_lock_save(st, &ls);
	return rc ? rc : TALAD_EAUTH;
}

int till_lock_get_duty(struct rstore *st, char *staff_id, size_t len)
{
	char *v = NULL;
	int rc = rstore_setting_get(st, TILL_DUTY_KEY, &v);
	if (rc)
		return rc;
	if (!v[0] || strlen(v) >= len) {
		free(v);
		return TALAD_ENOTFOUND;
	}
	memcpy(staff_id, v, strlen(v) + 1);
	free(v);
	return TALAD_OK;
}

int till_lock_set_duty(struct rstore *st, const char *staff_id)
{
	if (!staff_id || !staff_id[0]) {
		int rc = rstore_setting_unset(st, TILL_DUTY_KEY);
		return rc == TALAD_ENOTFOUND ? TALAD_OK : rc;
	}
	return rstore_setting_set(st, TILL_DUTY_KEY, staff_id);
}
