/* Shipping fulfilments of orders: created with the order, shown with it. */
#include "server/fulfil.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "server/api.h"

#include <string.h>

int fulfil_on_order(struct store *st, const struct order *o, int64_t now)
{
	struct st_fulfilment f;

	if (!o->ship_to[0])
		return TALAD_OK;
	memset(&f, 0, sizeof(f));
	uuid_v7(f.id);
	strlcpy_t(f.order_id, o->id, sizeof(f.order_id));
	strlcpy_t(f.kind, "shipping", sizeof(f.kind));
	strlcpy_t(f.status, "unfulfilled", sizeof(f.status));
	strlcpy_t(f.address, o->ship_to, sizeof(f.address));
	strlcpy_t(f.email, o->email, sizeof(f.email));
	f.created_at = now;
	int err = st->ops->fulfilment_add(st, &f);
	return err == TALAD_EEXIST ? TALAD_OK : err;
}

static int one_cb(void *arg, const struct st_fulfilment *f)
{
	json_t *arr = arg;
	json_array_append_new(arr,
	                      json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id", f->id, "type",
	                                f->kind, "status", f->status, "address", f->address,
	                                "email", f->email[0] ? json_string(f->email) : json_null(),
	                                "created_at", api_time_json(f->created_at)));
	return TALAD_OK;
}

json_t *fulfil_json(struct store *st, const char *order_id, int *err)
{
	json_t *arr = json_array();
	*err = st->ops->fulfilment_list(st, order_id, one_cb, arr);
	if (*err) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}
