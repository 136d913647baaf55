/* Shared facts of the core: status names, version, build info, clock. */
#include "common/common.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifndef HP_BUILD_INFO
#define HP_BUILD_INFO "unknown"
#endif

void hp_free(void *p) { free(p); }

const char *hp_status_name(int status)
{
    static const char *const names[] = {
        "ok", "invalid", "nomem", "system", "timeout", "parse", "canceled", "failed", "limit",
    };
    if (status < 0 || (size_t)status >= sizeof names / sizeof names[0])
        return "unknown";
    return names[status];
}

const char *hp_version(void) { return "0.1.0"; }

const char *hp_build_info(void) { return HP_BUILD_INFO; }

double hp_clock_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int hp_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
