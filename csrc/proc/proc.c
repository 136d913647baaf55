/* Process measurement: start the program through the launcher (launch.h) without a shell,
 * pump stdin/stdout/stderr/report through one poll loop, and take the program's own rusage,
 * status and time-limit verdict from the launcher, which reaps it with wait4. */
#include "proc/proc.h"
#include "common/common.h"
#include "common/digest.h"
#include "common/error.h"
#include "proc/launch.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define REPORT_MAX (1u << 20)
#define CHUNK 65536

/* ---- output sinks ------------------------------------------------------------------------- */

/* Keeps either the first `limit` bytes (head) or the last `limit` bytes (tail) of a stream. */
typedef struct sink {
    char *data;
    size_t len, cap, limit;
    int tail;
    int oom;
} sink;

static void sink_add(sink *s, const char *p, size_t n)
{
    if (s->limit == 0 || s->oom)
        return;
    if (!s->tail && s->len + n > s->limit)
        n = s->limit - s->len;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->len + n)
            cap *= 2;
        if (!s->tail && cap > s->limit)
            cap = s->limit;
        char *d = realloc(s->data, cap);
        if (!d) {
            s->oom = 1;
            return;
        }
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
    /* A tail sink grows to twice its limit, then slides back, so copying stays amortized. */
    if (s->tail && s->len > 2 * s->limit) {
        memmove(s->data, s->data + s->len - s->limit, s->limit);
        s->len = s->limit;
    }
}

static void sink_finish(sink *s, char **data, size_t *len)
{
    if (s->tail && s->len > s->limit) {
        memmove(s->data, s->data + s->len - s->limit, s->limit);
        s->len = s->limit;
    }
    *data = s->data;
    *len = s->len;
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* A close-on-exec pipe whose ends sit at fd >= 10, so that the child's dup2 onto 0..3 never
 * meets a descriptor that already has the target number (dup2 onto itself keeps CLOEXEC). */
static int pipe_high(int p[2])
{
    int t[2];
    if (pipe2(t, O_CLOEXEC) != 0)
        return -1;
    p[0] = fcntl(t[0], F_DUPFD_CLOEXEC, 10);
    p[1] = fcntl(t[1], F_DUPFD_CLOEXEC, 10);
    close(t[0]);
    close(t[1]);
    if (p[0] < 0 || p[1] < 0) {
        if (p[0] >= 0) close(p[0]);
        if (p[1] >= 0) close(p[1]);
        return -1;
    }
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* The child's environment: ours, with spec->env's names replaced or added. Returns a malloc'd
 * array of borrowed pointers (the strings stay owned by environ and spec). */
static char **build_env(const char *const *extra)
{
    size_t n = 0, m = 0;
    while (environ[n]) n++;
    while (extra && extra[m]) m++;
    char **env = malloc((n + m + 1) * sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        int replaced = 0;
        for (size_t j = 0; j < m && !replaced; j++)
            replaced = strncmp(extra[j], environ[i], nl) == 0 && extra[j][nl] == '=';
        if (!replaced)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++)
        env[k++] = (char *)extra[j];
    env[k] = NULL;
    return env;
}

static int child_exited(int pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD;
    return si.si_pid != 0;
}

/* ---- the launcher ------------------------------------------------------------------------- */

/* Puts in buf (cap bytes) the absolute path of hotpath's own program `name` (the launcher,
 * launch.h, or the kernel program hotpath-kernel): for the launcher the one $HOTPATH_LAUNCHER
 * names, else the program beside the object that holds this code. That object is
 * libhotpath.so, which sits beside the programs (build/ in the source tree, LIBDIR installed);
 * or the Lua module core.so, one folder down when installed (LIBDIR/hotpath/) and two in the
 * build tree (build/lua54/hotpath/); or a C test program (build/tests/), one down. So DIR,
 * DIR/.. and DIR/../.. are tried in that order. Returns 0, or -1 with the reason in buf. */
static int find_program(const char *name, char *buf, size_t cap)
{
    int launcher = strcmp(name, HP_LAUNCH_NAME) == 0;
    const char *env = launcher ? getenv("HOTPATH_LAUNCHER") : NULL;
    if (env && env[0]) {
        if (realpath(env, buf) && access(buf, X_OK) == 0)
            return 0;
        snprintf(buf, cap, "HOTPATH_LAUNCHER=%s is not an executable file", env);
        return -1;
    }
    char obj[PATH_MAX];
    Dl_info info;
    /* dladdr names the main program by its argv[0], which may be relative: realpath, or the
     * kernel's own link when that fails */
    if (!(dladdr((void *)find_program, &info) && info.dli_fname && info.dli_fname[0] &&
          realpath(info.dli_fname, obj))) {
        ssize_t n = readlink("/proc/self/exe", obj, sizeof obj - 1);
        obj[n > 0 ? n : 0] = 0;
    }
    char *slash = strrchr(obj, '/');
    if (slash)
        *slash = 0;
    static const char *const up[] = { "", "/..", "/../.." };
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
        char cand[2 * PATH_MAX];
        snprintf(cand, sizeof cand, "%s%s/%s", obj, up[i], name);
        if (access(cand, X_OK) == 0 && realpath(cand, buf))
            return 0;
    }
    snprintf(buf, cap, "%s not found beside %s%s", name, obj[0] ? obj : "this library",
             launcher ? " (set HOTPATH_LAUNCHER to its path)" : " (run make)");
    return -1;
}

int hp_proc_program(const char *name, char **path, char **errmsg)
{
    *path = NULL;
    if (strcmp(name, HP_LAUNCH_NAME) != 0 && strcmp(name, HP_KERNEL_PROGRAM) != 0)
        return hp_err(errmsg, HP_EINVAL, "'%s' is not one of hotpath's programs (%s, %s)", name,
                      HP_LAUNCH_NAME, HP_KERNEL_PROGRAM);
    char buf[PATH_MAX + 256];
    if (find_program(name, buf, sizeof buf) != 0)
        return hp_err(errmsg, HP_ESYS, "%s", buf);
    *path = strdup(buf);
    return *path ? HP_OK : hp_err(errmsg, HP_ENOMEM, "out of memory");
}

/* Starts the launcher with the program's pipes in place (launch.h: stdio on 0..2, the report
 * pipe on its fd, ctl[1] on ctlfd). On success *pid is the launcher's and the child-side pipe
 * ends are still open (the caller closes them). */
static int spawn(const hp_proc_spec *spec, const char *launcher, int in[2], int out[2],
                 int err[2], int rep[2], int ctl[2], int *pid, char **errmsg)
{
    size_t n = 0;
    while (spec->argv[n])
        n++;
    int ctlfd = spec->report_fd == 3 ? 4 : 3;
    char fdarg[16], limit[32];
    snprintf(fdarg, sizeof fdarg, "%d", ctlfd);
    snprintf(limit, sizeof limit, "%.17g", spec->timeout > 0 ? spec->timeout : 0.0);
    char **env = build_env(spec->env);
    const char **argv = malloc((n + 5) * sizeof *argv);
    if (!env || !argv) {
        free(env);
        free(argv);
        return hp_err(errmsg, HP_ENOMEM, "out of memory");
    }
    argv[0] = launcher;
    argv[1] = fdarg;
    argv[2] = limit;
    argv[3] = "--";
    memcpy(argv + 4, spec->argv, (n + 1) * sizeof *argv);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    /* every source fd is >= 10 (pipe_high), so no dup2 below overwrites another's source */
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (err[1] >= 0)
        posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    else
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (rep[1] >= 0)
        posix_spawn_file_actions_adddup2(&fa, rep[1], spec->report_fd);
    posix_spawn_file_actions_adddup2(&fa, ctl[1], ctlfd);
    if (spec->cwd)
        posix_spawn_file_actions_addchdir_np(&fa, spec->cwd);
    /* Own process group (the program gets its own from the launcher); default signal handling
     * and an empty mask, whatever the embedding program (nginx ignores SIGPIPE) has set: the
     * program inherits both through the launcher's fork and exec. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                  POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    pid_t p;
    int rc = posix_spawn(&p, launcher, &fa, &at, (char *const *)argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    free(env);
    free(argv);
    if (rc != 0) {
        errno = rc;
        /* a missing cwd fails here, in the launcher's chdir */
        return hp_err_errno(errmsg, "cannot run '%s'", spec->argv[0]);
    }
    *pid = (int)p;
    return HP_OK;
}

/* Reads from the launcher's ctl pipe into buf (cap bytes, *len used) until it holds `lines`
 * newlines or the pipe ends. Blocks. */
static void read_ctl(int fd, char *buf, size_t cap, size_t *len, int lines)
{
    for (;;) {
        int have = 0;
        for (size_t i = 0; i < *len; i++)
            have += buf[i] == '\n';
        if (have >= lines || *len + 1 >= cap)
            break;
        ssize_t k = read(fd, buf + *len, cap - 1 - *len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        *len += (size_t)k;
    }
    buf[*len] = 0;
}

/* Reaps the launcher (and with it, the measured program's last trace). Blocks. */
static int reap(int pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return st;
}

/* ---- the loop ----------------------------------------------------------------------------- */

enum { S_IN, S_OUT, S_ERR, S_REP, S_PID, S_N };

int hp_proc_run(const hp_proc_spec *spec, hp_proc_result *res, char **errmsg)
{
    memset(res, 0, sizeof *res);
    if (!spec || !spec->argv || !spec->argv[0] || !spec->argv[0][0])
        return hp_err(errmsg, HP_EINVAL, "argv must name a program");
    if (spec->report_fd != 0 && (spec->report_fd < 3 || spec->report_fd > 9))
        return hp_err(errmsg, HP_EINVAL, "report_fd must be between 3 and 9");
    char launcher[PATH_MAX + 256];
    if (find_program(HP_LAUNCH_NAME, launcher, sizeof launcher) != 0)
        return hp_err(errmsg, HP_ESYS, "%s", launcher);

    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, rep[2] = { -1, -1 };
    int ctl[2] = { -1, -1 };
    int rc = HP_OK;
    if (pipe_high(in) || pipe_high(out) || (spec->keep_stderr && pipe_high(err)) ||
        (spec->report_fd && pipe_high(rep)) || pipe_high(ctl)) {
        rc = hp_err_errno(errmsg, "pipe");
        goto done;
    }
    hp_digest dg;
    hp_digest_init(&dg, spec->digest_kind ? spec->digest_kind : HP_DIGEST_SHA256);
    sink so = { .limit = spec->keep_stdout };
    sink se = { .limit = spec->keep_stderr, .tail = 1 };
    sink sr = { .limit = spec->report_fd ? REPORT_MAX : 0 };

    /* Writing to a child that stopped reading must not kill us with SIGPIPE: block it here and
     * swallow the one we caused. */
    sigset_t pipeset, oldmask, pending_before;
    sigemptyset(&pipeset);
    sigaddset(&pipeset, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeset, &oldmask);
    sigpending(&pending_before);

    int pid = 0, prog = 0, e = 0;
    char cbuf[256];
    size_t clen = 0;
    rc = spawn(spec, launcher, in, out, err, rep, ctl, &pid, errmsg);
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&err[1]);
    close_fd(&rep[1]);
    close_fd(&ctl[1]);
    if (rc == HP_OK) {
        /* the launcher tells the program's pid, then that it runs or why it could not start;
         * a launcher killed in between (by the program, say) ends the line early, and the
         * end of the run below reports it */
        read_ctl(ctl[0], cbuf, sizeof cbuf, &clen, 1);
        const char *second = NULL;
        if (sscanf(cbuf, HP_LAUNCH_STARTED, &prog) == 1 && prog > 0) {
            read_ctl(ctl[0], cbuf, sizeof cbuf, &clen, 2);
            second = strchr(cbuf, '\n') + 1;
        }
        if (second && sscanf(second, HP_LAUNCH_FAILED, &e) == 1) {
            reap(pid);
            errno = e;
            rc = hp_err_errno(errmsg, "cannot run '%s'", spec->argv[0]);
        } else if (!second) {
            int st = reap(pid);
            if (sscanf(cbuf, HP_LAUNCH_FAILED, &e) == 1) {
                errno = e;
                rc = hp_err_errno(errmsg, "cannot run '%s'", spec->argv[0]);
            } else {
                rc = hp_err(errmsg, HP_ESYS, "cannot run '%s': " HP_LAUNCH_NAME " (%s) failed (status %d)",
                            spec->argv[0], launcher, st);
            }
        }
    }
    if (rc != HP_OK) {
        free(so.data);
        free(se.data);
        free(sr.data);
        goto unmask;
    }
    res->pid = prog;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    size_t in_off = 0, in_len = spec->stdin_data ? spec->stdin_len : 0;
    if (in_len == 0)
        close_fd(&in[1]);
    else
        fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    int exited = 0;
    char buf[CHUNK];

    /* The launcher enforces the time limit and reaps the program; this loop pumps the pipes
     * until the launcher has exited and what the program wrote is drained. */
    for (;;) {
        struct pollfd pf[S_N];
        int fds[S_N] = { in[1], out[0], err[0], rep[0], exited ? -1 : pidfd };
        int any = 0;
        for (int i = 0; i < S_N; i++) {
            pf[i].fd = fds[i];
            pf[i].events = i == S_IN ? POLLOUT : POLLIN;
            pf[i].revents = 0;
            any |= fds[i] >= 0 && i != S_PID;
        }
        if (exited && !any)
            break;
        int wait_ms = exited ? 0 : (pidfd < 0 ? 10 : -1); /* exited: only drain what is buffered */
        int n = poll(pf, S_N, wait_ms);
        if (n < 0 && errno != EINTR) {
            rc = hp_err_errno(errmsg, "poll");
            kill(-prog, SIGKILL);
            kill(-pid, SIGKILL);
            break;
        }
        if (n > 0 && pf[S_IN].revents) {
            ssize_t w = write(in[1], spec->stdin_data + in_off, in_len - in_off);
            if (w > 0)
                in_off += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == in_len)
                close_fd(&in[1]); /* done, or the child closed its stdin (EPIPE) */
        }
        int sinks[3] = { S_OUT, S_ERR, S_REP };
        int *ends[3] = { &out[0], &err[0], &rep[0] };
        sink *dst[3] = { &so, &se, &sr };
        for (int k = 0; n > 0 && k < 3; k++) {
            if (!pf[sinks[k]].revents)
                continue;
            ssize_t r = read(*ends[k], buf, sizeof buf);
            if (r > 0) {
                sink_add(dst[k], buf, (size_t)r);
                if (k == 0) {
                    res->stdout_bytes += (uint64_t)r;
                    hp_digest_update(&dg, buf, (size_t)r);
                }
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                close_fd(ends[k]);
            }
        }
        if (exited && n == 0)
            break;
        if (!exited)
            exited = pidfd >= 0 ? (n > 0 && pf[S_PID].revents != 0) : child_exited(pid);
    }

    int lst = reap(pid);
    read_ctl(ctl[0], cbuf, sizeof cbuf, &clen, 3);
    const char *last = strstr(cbuf, "\nR ");
    int status = 0, timed_out = 0;
    long long user_us = 0, sys_us = 0, maxrss = 0, wall_ns = 0;
    if (!last || sscanf(last + 1, HP_LAUNCH_RESULT, &status, &timed_out, &user_us, &sys_us,
                        &maxrss, &wall_ns) != 6) {
        /* the launcher was killed (by the program, say): the program is orphaned, and its
         * figures are lost */
        kill(-prog, SIGKILL);
        if (rc == HP_OK && WIFSIGNALED(lst))
            rc = hp_err(errmsg, HP_EFAILED, HP_LAUNCH_NAME " was killed by signal %d while '%s' ran",
                        WTERMSIG(lst), spec->argv[0]);
        else if (rc == HP_OK)
            rc = hp_err(errmsg, HP_EFAILED, HP_LAUNCH_NAME " ended without a result while '%s' ran",
                        spec->argv[0]);
    }
    res->wall = (double)wall_ns * 1e-9;
    res->user = (double)user_us * 1e-6;
    res->sys = (double)sys_us * 1e-6;
    res->maxrss_kb = maxrss;
    res->timed_out = timed_out;
    if (WIFEXITED(status)) {
        res->exited = 1;
        res->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res->signal = WTERMSIG(status);
    }
    if (spec->digest_kind)
        hp_digest_final_hex(&dg, res->digest);
    sink_finish(&so, &res->stdout_data, &res->stdout_len);
    sink_finish(&se, &res->stderr_data, &res->stderr_len);
    sink_finish(&sr, &res->report_data, &res->report_len);
    if (pidfd >= 0)
        close(pidfd);

unmask:;
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) && !sigismember(&pending_before, SIGPIPE)) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipeset, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
done:
    close_fd(&in[0]); close_fd(&in[1]);
    close_fd(&out[0]); close_fd(&out[1]);
    close_fd(&err[0]); close_fd(&err[1]);
    close_fd(&rep[0]); close_fd(&rep[1]);
    close_fd(&ctl[0]); close_fd(&ctl[1]);
    return rc;
}

void hp_proc_result_free(hp_proc_result *res)
{
    if (!res)
        return;
    free(res->stdout_data);
    free(res->stderr_data);
    free(res->report_data);
    res->stdout_data = res->stderr_data = res->report_data = NULL;
    res->stdout_len = res->stderr_len = res->report_len = 0;
}

/* ---- memory of a running process ---------------------------------------------------------- */

int64_t hp_proc_rss_kb(int pid, int which)
{
    char path[64];
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/status");
    else
        snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    const char *key = which ? "VmHWM:" : "VmRSS:";
    char line[256];
    int64_t kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, 6) == 0) {
            kb = strtoll(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

int hp_isatty(int fd) { return isatty(fd); }
