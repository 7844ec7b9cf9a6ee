/* Wall-clock and monotonic time, and the one text form of a timestamp used in
 * the API and the sync protocol: ISO 8601 UTC with milliseconds
 * ("2026-12-04T19:48:10.123Z"). */
#ifndef TALAD_TIMEUTIL_H
#define TALAD_TIMEUTIL_H

#include <stdint.h>

#define TIME_ISO_LEN 24 /* without the terminating NUL */

/* Milliseconds since the Unix epoch, from the wall clock. */
int64_t time_now_ms(void);
/* Milliseconds from a monotonic clock, for timeouts and backoff. */
int64_t time_mono_ms(void);
/* Formats ms since the epoch; out must hold TIME_ISO_LEN + 1 bytes. */
void time_format_iso(int64_t ms, char out[TIME_ISO_LEN + 1]);
/* Parses "YYYY-MM-DDTHH:MM:SS[.mmm]Z"; returns TALAD_OK or TALAD_EINVAL. */
int time_parse_iso(const char *s, int64_t *ms);
/* Sleeps for ms milliseconds (restarting after signals unless *stop is set). */
void time_sleep_ms(int64_t ms, volatile int *stop);

#endif
