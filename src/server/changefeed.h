/* Waking long polls: a process-wide version number bumped after every commit
 * that appended to the change feed, and a condition variable the waiting
 * /sync/changes requests sleep on. Changes written by another process are
 * found by the waiters' own re-check of the database every second. */
#ifndef TALAD_SERVER_CHANGEFEED_H
#define TALAD_SERVER_CHANGEFEED_H

#include <stdbool.h>
#include <stdint.h>

/* The current version: read it before looking at the database. */
uint64_t changefeed_version(void);
/* Call after committing a transaction that appended changes. */
void changefeed_notify(void);
/* Sleeps until the version moves past seen, timeout_ms passes or the server
 * stops. Returns true when the version moved. */
bool changefeed_wait(uint64_t seen, int64_t timeout_ms);
/* Wakes every waiter for good: the server is shutting down. */
void changefeed_stop(void);
bool changefeed_stopping(void);

#endif
