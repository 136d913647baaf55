/* Process memory from /proc (see memory.h): every reading of a process's memory in the core
 * goes through read_status (and hp_mem_read for PSS). */
#include "proc/memory.h"
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

/* /proc/self/NAME or /proc/PID/NAME into path. */
static void proc_path(char *path, size_t cap, int pid, const char *name)
{
    if (pid)
        snprintf(path, cap, "/proc/%d/%s", pid, name);
    else
        snprintf(path, cap, "/proc/self/%s", name);
}

/* VmRSS and VmHWM from /proc/PID/status (-1 each when absent); -1 with path set if unreadable. */
static int read_status(int pid, hp_mem_sample *out, char *path, size_t cap)
{
    char buf[4096];
    out->rss_kb = out->hwm_kb = -1;
    proc_path(path, cap, pid, "status");
    if (slurp(path, buf, sizeof buf) != 0)
        return -1;
    out->rss_kb = field_kb(buf, "\nVmRSS:");
    out->hwm_kb = field_kb(buf, "\nVmHWM:");
    return 0;
}

int hp_mem_read(int pid, hp_mem_sample *out, char **errmsg)
{
    char path[64], buf[4096];
    out->pss_kb = -1;
    if (read_status(pid, out, path, sizeof path) != 0)
        return hp_err_errno(errmsg, "read %s", path);
    proc_path(path, sizeof path, pid, "smaps_rollup");
    if (slurp(path, buf, sizeof buf) == 0)
        out->pss_kb = field_kb(buf, "\nPss:");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    out->time = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    return HP_OK;
}

int64_t hp_proc_rss_kb(int pid, int which)
{
    char path[64];
    hp_mem_sample m;
    if (read_status(pid, &m, path, sizeof path) != 0)
        return -1;
    return which ? m.hwm_kb : m.rss_kb;
}

int hp_mem_reset_peak(int pid, char **errmsg)
{
    char path[64];
    proc_path(path, sizeof path, pid, "clear_refs");
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return hp_err_errno(errmsg, "open %s", path);
    ssize_t k = write(fd, "5", 1);
    int st = k == 1 ? HP_OK : hp_err_errno(errmsg, "write %s", path);
    close(fd);
    return st;
}
