/* Server memory sampling from /proc (see memory.h). */
#include "http/memory.h"
#include "common/common.h"
#include "common/error.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Reads a small /proc file into buf (NUL-terminated). */
static int slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    for (;;) {
        ssize_t k = read(fd, buf + n, cap - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
        if (n == cap - 1)
            break;
    }
    close(fd);
    buf[n] = 0;
    return 0;
}

static int64_t field_kb(const char *text, const char *name)
{
    const char *p = strstr(text, name);
    if (!p)
        return -1;
    return strtoll(p + strlen(name), NULL, 10);
}

int hp_mem_read(int pid, hp_mem_sample *out, char **errmsg)
{
    char path[64], buf[4096];
    out->rss_kb = out->hwm_kb = out->pss_kb = -1;
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    if (slurp(path, buf, sizeof buf) != 0)
        return hp_err_errno(errmsg, "read %s", path);
    out->rss_kb = field_kb(buf, "\nVmRSS:");
    out->hwm_kb = field_kb(buf, "\nVmHWM:");
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
    else
        snprintf(path, sizeof path, "/proc/self/smaps_rollup");
    if (slurp(path, buf, sizeof buf) == 0)
        out->pss_kb = field_kb(buf, "\nPss:");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    out->time = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    return HP_OK;
}

int hp_mem_reset_peak(int pid, char **errmsg)
{
    char path[64];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/clear_refs", pid);
    else
        snprintf(path, sizeof path, "/proc/self/clear_refs");
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return hp_err_errno(errmsg, "open %s", path);
    ssize_t k = write(fd, "5", 1);
    int st = k == 1 ? HP_OK : hp_err_errno(errmsg, "write %s", path);
    close(fd);
    return st;
}
