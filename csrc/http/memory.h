/* hotpath:abi
 * Server memory: one sample of a process's resident memory. RSS counts shared pages in full
 * for every process that maps them; PSS divides them among those processes, so summing PSS
 * over a multi-process server is its true footprint (doc/reference.md).
 */
#ifndef HP_HTTP_MEMORY_H
#define HP_HTTP_MEMORY_H
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

#pragma GCC visibility pop
#endif
