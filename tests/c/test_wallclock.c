/* The wall clock and the absolute wait on it (common/wallclock.h): a wait ends no earlier than
 * its time, a time past returns at once, and times that cannot be meant are refused unwaited. */
#include "common/common.h"
#include "common/wallclock.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

int main(void)
{
    double now = hp_wallclock_now();
    time_t t = time(NULL);
    CHECK(fabs(now - (double)t) < 2, "hp_wallclock_now reads the wall clock (seconds since the epoch)");

    char *err = NULL;
    double target = hp_wallclock_now() + 0.02;
    int rc = hp_wallclock_sleep_until(target, &err);
    CHECK(rc == HP_OK && err == NULL, "a wait 20 ms ahead succeeds");
    CHECK(hp_wallclock_now() >= target, "and ends no earlier than its time");

    double m0 = hp_clock_monotonic();
    rc = hp_wallclock_sleep_until(hp_wallclock_now() - 3600, &err);
    CHECK(rc == HP_OK && hp_clock_monotonic() - m0 < 1, "a time past returns at once");

    rc = hp_wallclock_sleep_until(NAN, &err);
    CHECK(rc == HP_EINVAL, "NaN is refused");
    CHECK_STR(err, "start time must be a finite number of seconds since the epoch", "with its message");
    hp_free(err);
    err = NULL;
    rc = hp_wallclock_sleep_until(INFINITY, &err);
    CHECK(rc == HP_EINVAL, "infinity is refused");
    hp_free(err);
    err = NULL;

    m0 = hp_clock_monotonic();
    rc = hp_wallclock_sleep_until(hp_wallclock_now() + HP_WALLCLOCK_MAX_WAIT + 100.4, &err);
    CHECK(rc == HP_EINVAL && hp_clock_monotonic() - m0 < 1, "more than a day ahead is refused, unwaited");
    CHECK_STR(err, "start time is 86500 s ahead (at most 86400)", "with its message");
    hp_free(err);
    err = NULL;
    CHECK(hp_wallclock_sleep_until(0, NULL) == HP_OK, "errmsg may be NULL");
    return tap_done();
}
