/* The parts of the store interface that every backend shares: role names and
 * freeing what a product read hands back. */
#include "server/store.h"
#include "common/err.h"

#include <stdlib.h>
#include <string.h>

void store_product_release(struct st_product *p)
{
	if (!p)
		return;
	free(p->variants);
	p->variants = NULL;
	p->nvariants = 0;
}

const char *store_role_name(enum st_role r)
{
	switch (r) {
	case ST_ROLE_OWNER:
		return "owner";
	case ST_ROLE_MANAGER:
		return "manager";
	case ST_ROLE_CASHIER:
		return "cashier";
	}
	return "cashier";
}

int store_role_parse(const char *s, enum st_role *out)
{
	if (!s)
		return TALAD_EINVAL;
	if (!strcmp(s, "owner"))
		*out = ST_ROLE_OWNER;
	else if (!strcmp(s, "manager"))
		*out = ST_ROLE_MANAGER;
	else if (!strcmp(s, "cashier"))
		*out = ST_ROLE_CASHIER;
	else
		return TALAD_EINVAL;
	return TALAD_OK;
}
