/* Leveled logging to stderr, one line per message with a UTC timestamp. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level current = LOG_WARN;

void log_set_level(enum log_level level)
{
	current = level;
}

enum log_level log_get_level(void)
{
	return current;
}

void log_init_from_env(void)
{
	const char *v = getenv("TALAD_LOG");
	if (!v)
		return;
	if (!strcmp(v, "error"))
		current = LOG_ERROR;
	else if (!strcmp(v, "warn"))
		current = LOG_WARN;
	else if (!strcmp(v, "info"))
		current = LOG_INFO;
	else if (!strcmp(v, "debug"))
		current = LOG_DEBUG;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	if (level > current)
		return;
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so that threads do not interleave mid-line. */
	fprintf(stderr, "%s.%03ldZ %s: %s\n", stamp, ts.tv_nsec / 1000000, names[level], line);
}
