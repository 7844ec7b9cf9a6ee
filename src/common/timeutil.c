/* Time helpers: clocks, ISO 8601 formatting and strict parsing, sleeping. */
#include "common/timeutil.h"
#include "common/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void time_format_iso(int64_t ms, char out[TIME_ISO_LEN + 1])
{
	time_t secs = (time_t)(ms / 1000);
	int rem = (int)(ms % 1000);
	if (rem < 0) {
		rem += 1000;
		secs -= 1;
	}
	struct tm tm;
	gmtime_r(&secs, &tm);
	char tmp[64]; /* roomy, so the compiler can see nothing is cut */
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	         (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	         tm.tm_sec, rem);
	memcpy(out, tmp, TIME_ISO_LEN);
	out[TIME_ISO_LEN] = '\0';
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int time_parse_iso(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, se, frac = 0;
	size_t len = s ? strlen(s) : 0;
	if (len != 20 && len != 24)
		return TALAD_EINVAL;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
	    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
		return TALAD_EINVAL;
	if (len == 24) {
		if (s[19] != '.' || digits(s + 20, 3, &frac) || s[23] != 'Z')
			return TALAD_EINVAL;
	} else if (s[19] != 'Z') {
		return TALAD_EINVAL;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return TALAD_EINVAL;
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mo - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = mi,
	                .tm_sec = se};
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return TALAD_EINVAL;
	/* timegm normalises 31 February; a day that moved was not a real date. */
	struct tm back;
	gmtime_r(&t, &back);
	if (back.tm_mday != d && se != 60)
		return TALAD_EINVAL;
	*ms = (int64_t)t * 1000 + frac;
	return TALAD_OK;
}

void time_deadline(clockid_t clock, int64_t ms, struct timespec *until)
{
	if (ms < 0)
		ms = 0;
	clock_gettime(clock, until);
	until->tv_sec += (time_t)(ms / 1000);
	until->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until->tv_nsec >= 1000000000L) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000L;
	}
}

void time_sleep_ms(int64_t ms, volatile int *stop)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
		if (stop && *stop)
			return;
	}
}
