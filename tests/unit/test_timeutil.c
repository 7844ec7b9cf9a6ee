/* Unit tests of the deadlines time_deadline gives pthread_cond_timedwait:
 * ms from now on the clock asked for, nanoseconds carried into seconds, a
 * negative wait counted as none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/timeutil.h"

#include <time.h>

static int64_t ts_ms(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

static int64_t clock_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts_ms(&ts);
}

/* Waits that cross a second's boundary in every way, on both clocks. */
static void test_deadline_is_ms_from_now(void **state)
{
	static const int64_t waits[] = {0, 1, 999, 1000, 1001, 1500, 1999, 61234};
	static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
	(void)state;
	for (size_t c = 0; c < 2; c++) {
		for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
			struct timespec until;
			int64_t before = clock_ms(clocks[c]);
			time_deadline(clocks[c], waits[i], &until);
			int64_t after = clock_ms(clocks[c]);
			assert_in_range(until.tv_nsec, 0, 999999999);
			assert_in_range(ts_ms(&until), before + waits[i], after + waits[i]);
		}
	}
}

static void test_negative_wait_is_now(void **state)
{
	struct timespec until;
	(void)state;
	int64_t before = clock_ms(CLOCK_MONOTONIC);
	time_deadline(CLOCK_MONOTONIC, -5000, &until);
	int64_t after = clock_ms(CLOCK_MONOTONIC);
	assert_in_range(until.tv_nsec, 0, 999999999);
	assert_in_range(ts_ms(&until), before, after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deadline_is_ms_from_now),
	    cmocka_unit_test(test_negative_wait_is_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
