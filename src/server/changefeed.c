/* The long-poll wake-up: one mutex, one condition variable (on the monotonic
 * clock, so a wall-clock jump cannot stretch a wait), one counter. */
#include "server/changefeed.h"

#include "common/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static uint64_t version;
static bool stopping;

static void init_cond(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &a);
	pthread_condattr_destroy(&a);
}

uint64_t changefeed_version(void)
{
	pthread_once(&once, init_cond);
	pthread_mutex_lock(&mu);
	uint64_t v = version;
	pthread_mutex_unlock(&mu);
	return v;
}

void changefeed_notify(void)
{
	pthread_once(&once, init_cond);
	pthread_mutex_lock(&mu);
	version++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mu);
}

bool changefeed_wait(uint64_t seen, int64_t timeout_ms)
{
	pthread_once(&once, init_cond);
	struct timespec until;
	time_deadline(CLOCK_MONOTONIC, timeout_ms, &until);
	pthread_mutex_lock(&mu);
	while (version == seen && !stopping) {
		if (pthread_cond_timedwait(&cond, &mu, &until) == ETIMEDOUT)
			break;
	}
	bool moved = version != seen;
	pthread_mutex_unlock(&mu);
	return moved;
}

void changefeed_stop(void)
{
	pthread_once(&once, init_cond);
	pthread_mutex_lock(&mu);
	stopping = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mu);
}

bool changefeed_stopping(void)
{
	pthread_mutex_lock(&mu);
	bool s = stopping;
	pthread_mutex_unlock(&mu);
	return s;
}
