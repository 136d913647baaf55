/* hotpath:abi
 * Process measurement: run a command in a fresh process (no shell), feed its stdin, digest its
 * stdout, enforce a time limit, and read wall, CPU and peak memory of the whole child.
 */
#ifndef HP_PROC_H
#define HP_PROC_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

typedef struct hp_proc_spec {
    const char *const *argv;  /* NULL-terminated; argv[0] is searched in the PATH of the
                                 child's environment */
    const char *const *env;   /* NULL-terminated "NAME=value" set on top of the current
                                 environment (same NAME replaces), or NULL */
    const char *cwd;          /* working directory of the child, or NULL */
    const char *stdin_data;   /* bytes written to the child's stdin, then closed; NULL: empty */
    size_t stdin_len;
    double timeout;           /* seconds of wall time before the child's process group is
                                 killed (SIGKILL); <= 0: no limit */
    int digest_kind;          /* HP_DIGEST_* of stdout, or HP_DIGEST_NONE */
    size_t keep_stdout;       /* keep the first keep_stdout bytes of stdout */
    size_t keep_stderr;       /* keep the last keep_stderr bytes of stderr (0: discard) */
    int report_fd;            /* >= 3: the child gets a pipe at this fd; what it writes there is
                                 kept in report_data (up to 1 MiB); 0: none */
} hp_proc_spec;

typedef struct hp_proc_result {
    double wall;              /* seconds, fork to reap, monotonic clock */
    double user, sys;         /* CPU seconds of the child and its reaped descendants */
    int64_t maxrss_kb;        /* peak resident set size (wait4's ru_maxrss): the program's
                                 own, floor ~256 kB (doc/measurement.md) */
    int pid;
    int exited;               /* 1: exited normally with exit_code */
    int exit_code;
    int signal;               /* signal that ended it, or 0 */
    int timed_out;            /* 1: killed because the time limit passed */
    uint64_t stdout_bytes;    /* every byte the child wrote to stdout */
    char digest[65];          /* hex digest of stdout when digest_kind was set, else "" */
    char *stdout_data;        /* owned by the result: the kept bytes */
    size_t stdout_len;
    char *stderr_data;
    size_t stderr_len;
    char *report_data;
    size_t report_len;
} hp_proc_result;

/* Runs spec->argv to completion (or to its time limit) and fills *res. The program is started
 * by the launcher hotpath-launch (proc/launch.h; found beside the library or at
 * $HOTPATH_LAUNCHER), so that its peak RSS is its own, not this process's (doc/measurement.md).
 * Blocks the calling thread; never raises; spawns no shell. Returns HP_OK whenever the child
 * ran, whatever its exit status (see res->exited, res->signal, res->timed_out); HP_ESYS with a
 * message when it could not be started (missing program: "cannot run 'x': No such file or
 * directory"; no launcher: "hotpath-launch not found beside DIR (...)"); HP_EFAILED when the
 * launcher died before reporting (the program's group is then killed); HP_EINVAL for an empty
 * argv or a bad report_fd. res is zeroed first and must be released with
 * hp_proc_result_free, on success or failure alike. */
int hp_proc_run(const hp_proc_spec *spec, hp_proc_result *res, char **errmsg);
void hp_proc_result_free(hp_proc_result *res);

/* Resident set size of a process in KiB from /proc/PID/status: which = 0 for VmRSS, 1 for
 * VmHWM (peak). pid 0 means the calling process. Returns -1 if unreadable. */
int64_t hp_proc_rss_kb(int pid, int which);

/* The program of the kernels (csrc/kernels/program.c): `hotpath-kernel NAME [N]`, the C
 * kernels as standalone programs, measured like the Rust and Go peers. */
#define HP_KERNEL_PROGRAM "hotpath-kernel"

/* The absolute path of one of hotpath's own programs, name "hotpath-launch" or
 * "hotpath-kernel": beside libhotpath.so (or the Lua module, one or two folders up), or for the
 * launcher at $HOTPATH_LAUNCHER. *path is malloc'd (hp_free). HP_EINVAL for another name,
 * HP_ESYS "NAME not found beside DIR (...)" when it is not there. Never raises. */
int hp_proc_program(const char *name, char **path, char **errmsg);

/* 1 if fd is a terminal. */
int hp_isatty(int fd);

#pragma GCC visibility pop
#endif
