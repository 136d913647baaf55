/* The wall clock and an absolute wait on it (clock_nanosleep with TIMER_ABSTIME: no drift from
 * computing a relative delay, and a clock step moves the wake-up along). */
#include "common/wallclock.h"
#include "common/common.h"
#include "common/error.h"

#include <errno.h>
#include <math.h>
#include <time.h>

double hp_wallclock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int hp_wallclock_sleep_until(double epoch, char **errmsg)
{
    if (!isfinite(epoch))
        return hp_err(errmsg, HP_EINVAL, "start time must be a finite number of seconds since the epoch");
    double ahead = epoch - hp_wallclock_now();
    if (ahead > HP_WALLCLOCK_MAX_WAIT)
        return hp_err(errmsg, HP_EINVAL, "start time is %.0f s ahead (at most %d)", ahead, HP_WALLCLOCK_MAX_WAIT);
    if (ahead <= 0)
        return HP_OK;
    struct timespec at;
    at.tv_sec = (time_t)floor(epoch);
    at.tv_nsec = (long)((epoch - floor(epoch)) * 1e9);
    if (at.tv_nsec > 999999999)
        at.tv_nsec = 999999999;
    int rc;
    while ((rc = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL)) == EINTR)
        ;
    if (rc != 0) {
        errno = rc;
        return hp_err_errno(errmsg, "clock_nanosleep");
    }
    return HP_OK;
}
