/* A pool of store handles for the request threads: each request borrows one
 * (opening a new connection when none is idle) and gives it back, so
 * prepared statements are kept per connection across requests. */
#ifndef TALAD_SERVER_STOREPOOL_H
#define TALAD_SERVER_STOREPOOL_H

#include "server/store.h"

#include <stddef.h>

struct storepool;

/* A pool over the SQLite database at path (which must exist). */
struct storepool *storepool_new(const char *path);
/* Closes every idle handle and frees the pool; NULL is fine. */
void storepool_free(struct storepool *p);
/* TALAD_OK or the store's error, with a message in err. */
int storepool_get(struct storepool *p, struct store **out, char *err, size_t errlen);
/* Returns a handle; an open transaction is rolled back first. */
void storepool_put(struct storepool *p, struct store *s);

#endif
