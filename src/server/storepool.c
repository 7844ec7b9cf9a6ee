/* The store handle pool: a mutex-guarded stack of idle handles, capped so a
 * burst of connections does not keep its database handles forever. */
#include "server/storepool.h"
#include "common/err.h"
#include "common/xalloc.h"

#include <pthread.h>
#include <stdlib.h>

#define POOL_IDLE_MAX 32

struct storepool {
	pthread_mutex_t mu;
	char *path;
	struct store *idle[POOL_IDLE_MAX];
	size_t nidle;
};

struct storepool *storepool_new(const char *path)
{
	struct storepool *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	p->path = xstrdup(path);
	return p;
}

void storepool_free(struct storepool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nidle; i++)
		p->idle[i]->ops->close(p->idle[i]);
	pthread_mutex_destroy(&p->mu);
	free(p->path);
	free(p);
}

int storepool_get(struct storepool *p, struct store **out, char *err, size_t errlen)
{
	pthread_mutex_lock(&p->mu);
	struct store *s = p->nidle ? p->idle[--p->nidle] : NULL;
	pthread_mutex_unlock(&p->mu);
	if (s) {
		*out = s;
		return TALAD_OK;
	}
	return store_sqlite_open(p->path, false, out, err, errlen);
}

void storepool_put(struct storepool *p, struct store *s)
{
	if (!s)
		return;
	s->ops->rollback(s);
	pthread_mutex_lock(&p->mu);
	if (p->nidle < POOL_IDLE_MAX) {
		p->idle[p->nidle++] = s;
		s = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	if (s)
		s->ops->close(s);
}
