/* hotpath:abi
 * Process memory: the one reader of a process's resident memory (/proc/PID/status and
 * smaps_rollup), for every caller: the servers' memory timeline (http), the measured child's
 * own RSS and peak (proc's rss_kb, child.lua), and the peak's reset. RSS counts shared pages
 * in full for every process that maps them; PSS divides them among those processes, so
 * summing PSS over a multi-process server is its true footprint (doc/reference.md).
 */
#ifndef HP_PROC_MEMORY_H
#define HP_PROC_MEMORY_H
#include <stdint.h>
#pragma GCC visibility push(default)

typedef struct hp_mem_sample {
    int64_t rss_kb;    /* VmRSS from /proc/PID/status */
    int64_t hwm_kb;    /* VmHWM: peak RSS since start or the last reset */
    int64_t pss_kb;    /* Pss from /proc/PID/smaps_rollup; -1 when unreadable */
    double time;       /* wall clock when read, epoch seconds (CLOCK_REALTIME) */
} hp_mem_sample;

/* Reads pid's memory now (pid 0: this process). HP_ESYS with "read /proc/123/status: No such
 * file or directory" when the process is gone. */
int hp_mem_read(int pid, hp_mem_sample *out, char **errmsg);

/* Resets pid's peak (VmHWM) to its current RSS (writes 5 to /proc/PID/clear_refs). */
int hp_mem_reset_peak(int pid, char **errmsg);

/* RSS (which = 0: VmRSS) or peak RSS (which = 1: VmHWM) of pid in KiB (pid 0: this process),
 * from /proc/PID/status only (no smaps_rollup walk); -1 if unreadable. Never raises. */
int64_t hp_proc_rss_kb(int pid, int which);

#pragma GCC visibility pop
#endif
