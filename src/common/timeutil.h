/* Wall-clock and monotonic time, and the one text form of a timestamp used in
 * the API and the sync protocol: ISO 8601 UTC with milliseconds
 * ("2026-12-04T19:48:10.123Z"). */
#ifndef TALAD_TIMEUTIL_H
#define TALAD_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

#define TIME_ISO_LEN 24 /* without the terminating NUL */

/* Milliseconds since the Unix epoch, from the wall clock. */
int64_t time_now_ms(void);
/* Milliseconds from a monotonic clock, for timeouts and backoff. */
int64_t time_mono_ms(void);
/* Formats ms since the epoch; out must hold TIME_ISO_LEN + 1 bytes. */
void time_format_iso(int64_t ms, char out[TIME_ISO_LEN + 1]);
/* Parses "YYYY-MM-DDTHH:MM:SS[.mmm]Z"; returns TALAD_OK or TALAD_EINVAL. */
int time_parse_iso(const char *s, int64_t *ms);
/* The time ms milliseconds from now on clock (a negative ms counts as 0),
 * as pthread_cond_timedwait wants its deadline: the condition variable's
 * clock, CLOCK_REALTIME unless it was set to CLOCK_MONOTONIC. */
void time_deadline(clockid_t clock, int64_t ms, struct timespec *until);
/* Sleeps for ms milliseconds (restarting after signals unless *stop is set). */
void time_sleep_ms(int64_t ms, volatile int *stop);

#endif
