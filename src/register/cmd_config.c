/* `talad config set KEY VALUE | get KEY | unset KEY | list [--json]`: this
 * register's own settings (printer, drawer, scanner, ...), kept in its local
 * store. Values of the printer keys are checked before they are stored. */
#include "common/err.h"
#include "register/bcconfig.h"
#include "register/card_reader.h"
#include "register/promptpay.h"
#include "register/regcli.h"
#include "register/rprint.h"
#include "register/rstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "config set KEY VALUE | get KEY | unset KEY | list [--json]"

int regcmd_config(struct regcli *cli, int argc, char **argv)
{
	/* Positional words only, and --json anywhere. */
	const char *words[4];
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			cli->json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: talad %s\n", USAGE);
			return REGCLI_EX_OK;
		} else if (!strcmp(argv[i], "--")) {
			for (i++; i < argc; i++) {
				if (n == 4)
					return regcli_usage(cli, USAGE, "too many arguments");
				words[n++] = argv[i];
			}
		} else {
			if (n == 4)
				return regcli_usage(cli, USAGE, "too many arguments");
			words[n++] = argv[i];
		}
	}
	if (n == 0)
		return regcli_usage(cli, USAGE, "say what to do: set, get, unset or list");
	const char *verb = words[0];
	int want = !strcmp(verb, "set") ? 3 : !strcmp(verb, "list") ? 1 : 2;
	if (strcmp(verb, "set") && strcmp(verb, "get") && strcmp(verb, "unset") &&
	    strcmp(verb, "list"))
		return regcli_usage(cli, USAGE, "unknown config action '%s'", verb);
	if (n != want)
		return regcli_usage(cli, USAGE, "config %s takes %d argument%s", verb, want - 1,
		                    want == 2 ? "" : "s");
	const char *key = n > 1 ? words[1] : NULL;
	if (key && !rstore_setting_key_valid(key))
		return regcli_usage(cli, USAGE,
		                    "bad key '%s': 1 to 64 of a-z, 0-9, '.', '_' and '-'", key);
	struct rstore *st;
	if (regcli_store(cli, &st))
		return REGCLI_EX_ERROR;
	int rc;
	if (!strcmp(verb, "set")) {
		char err[256];
		if (rprint_config_check(key, words[2], err, sizeof(err)) != TALAD_OK ||
		    bcconfig_check(key, words[2], err, sizeof(err)) != TALAD_OK ||
		    card_reader_config_check(key, words[2], err, sizeof(err)) != TALAD_OK ||
		    promptpay_config_check(key, words[2], err, sizeof(err)) != TALAD_OK)
			return regcli_fail(cli, REGCLI_EX_ERROR, "bad_value", "%s: %s", key, err);
		rc = rstore_setting_set(st, key, words[2]);
		if (rc)
			return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot store %s: %s",
			                   key, talad_strerror(rc));
		if (cli->json)
			regcli_print_json(json_pack("{s:s, s:s}", "key", key, "value", words[2]));
		return REGCLI_EX_OK;
	}
	if (!strcmp(verb, "get")) {
		char *v;
		rc = rstore_setting_get(st, key, &v);
		if (rc == TALAD_ENOTFOUND)
			return regcli_fail(cli, REGCLI_EX_ERROR, "not_set", "%s is not set", key);
		if (rc)
			return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot read %s: %s", key,
			                   talad_strerror(rc));
		if (cli->json)
			regcli_print_json(json_pack("{s:s, s:s}", "key", key, "value", v));
		else
			printf("%s\n", v);
		free(v);
		return REGCLI_EX_OK;
	}
	if (!strcmp(verb, "unset")) {
		rc = rstore_setting_unset(st, key);
		if (rc == TALAD_ENOTFOUND)
			return regcli_fail(cli, REGCLI_EX_ERROR, "not_set", "%s is not set", key);
		if (rc)
			return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot remove %s: %s",
			                   key, talad_strerror(rc));
		return REGCLI_EX_OK;
	}
	char **keys, **vals;
	size_t count;
	rc = rstore_settings_list(st, &keys, &vals, &count);
	if (rc)
		return regcli_fail(cli, REGCLI_EX_ERROR, "store", "cannot list the settings: %s",
		                   talad_strerror(rc));
	if (cli->json) {
		json_t *o = json_object();
		for (size_t i = 0; i < count; i++)
			json_object_set_new(o, keys[i], json_string(vals[i]));
		regcli_print_json(json_pack("{s:o}", "settings", o));
	} else {
		for (size_t i = 0; i < count; i++)
			printf("%s=%s\n", keys[i], vals[i]);
	}
	rstore_free_strings(keys, count);
	rstore_free_strings(vals, count);
	return REGCLI_EX_OK;
}
