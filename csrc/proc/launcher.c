/* hotpath-launch: starts one measured program from a small address space and reports how it
 * ran, so that the program's peak RSS (wait4's ru_maxrss) is its own and not hotpath's. The
 * protocol and the reason are in launch.h. A program of its own, linked statically and kept
 * free of the core (the Makefile builds it apart): everything it touches before the fork is
 * the floor of every measured peak. */
#include "proc/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Writes a whole line to fd (a pipe: short only on error). */
static void say(int fd, const char *line, int len)
{
    while (len > 0) {
        ssize_t k = write(fd, line, (size_t)len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        line += k;
        len -= (int)k;
    }
}

/* Reports errno e of a failed start and ends the launcher. */
static int fail(int ctl, int e)
{
    char line[32];
    say(ctl, line, snprintf(line, sizeof line, HP_LAUNCH_FAILED, e));
    return 127;
}

/* Waits until pid has exited, leaving it unreaped (so its pid and process group stay ours),
 * or until deadline (monotonic ns; 0: none). Returns 1 when it exited, 0 at the deadline.
 * Blocks. */
static int wait_exit(int pid, long long deadline)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        long long left = deadline ? deadline - now_ns() : -1;
        if (deadline && left <= 0) {
            if (pfd >= 0)
                close(pfd);
            return 0;
        }
        /* at most a day per wait, so the millisecond count fits an int */
        int ms = left < 0 || left > 86400000000000LL ? 86400000 : (int)((left + 999999) / 1000000);
        if (pfd >= 0) {
            struct pollfd p = { pfd, POLLIN, 0 };
            int n = poll(&p, 1, deadline ? ms : -1);
            if (n > 0) {
                close(pfd);
                return 1;
            }
            if (n < 0 && errno != EINTR) {
                close(pfd);
                pfd = -1;
            }
        } else {
            /* no pidfd (kernel before 5.3): poll for the exit every 2 ms */
            siginfo_t si;
            memset(&si, 0, sizeof si);
            if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid != 0)
                return 1;
            struct timespec ts = { 0, ms < 2 ? (long)ms * 1000000L : 2000000L };
            nanosleep(&ts, NULL);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        static const char usage[] = "usage: " HP_LAUNCH_NAME " CTLFD TIMEOUT -- PROGRAM [ARG...]\n"
                                    "(started by hotpath's process measurement; see launch.h)\n";
        say(2, usage, (int)sizeof usage - 1);
        return 2;
    }
    int ctl = atoi(argv[1]);
    double timeout = strtod(argv[2], NULL);
    if (ctl < 3 || fcntl(ctl, F_SETFD, FD_CLOEXEC) != 0)
        return 2;
    /* ex: closed by a successful exec (CLOEXEC), or carries its errno; go: the child waits for
     * its EOF, so that the caller knows the program's pid before the program can run (a
     * program that kills us at once must not leave its process group unknown) */
    int ex[2], go[2];
    if (pipe2(ex, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0)
        return fail(ctl, errno);
    long long t0 = now_ns();
    pid_t c = fork();
    if (c < 0)
        return fail(ctl, errno);
    if (c == 0) {
        /* own process group: the time limit kills the program's children too */
        setpgid(0, 0);
        close(go[1]);
        char b;
        while (read(go[0], &b, 1) < 0 && errno == EINTR)
            ;
        execvp(argv[4], argv + 4);
        int e = errno;
        (void)!write(ex[1], &e, sizeof e);
        _exit(127);
    }
    setpgid(c, c); /* whichever of us runs first: the group exists before the pid is told */
    close(go[0]);
    char line[160];
    say(ctl, line, snprintf(line, sizeof line, HP_LAUNCH_STARTED, (int)c));
    close(go[1]);
    close(ex[1]);
    int e = 0;
    ssize_t k;
    do
        k = read(ex[0], &e, sizeof e);
    while (k < 0 && errno == EINTR);
    close(ex[0]);
    if (k == (ssize_t)sizeof e) {
        waitpid(c, NULL, 0);
        return fail(ctl, e);
    }
    say(ctl, HP_LAUNCH_EXECED, (int)sizeof HP_LAUNCH_EXECED - 1);
    /* The program's stdio and report pipe are its own now: their readers see EOF when it
     * (and whatever it started) closes them, not when we exit. */
    for (int fd = 0; fd <= 9; fd++)
        if (fd != ctl)
            close(fd);

    /* beyond 30 years the limit is none (and the nanoseconds would overflow) */
    long long deadline = timeout > 0 && timeout < 1e9 ? t0 + (long long)(timeout * 1e9) : 0;
    int timed_out = 0;
    if (!wait_exit(c, deadline)) {
        kill(-c, SIGKILL);
        kill(c, SIGKILL);
        timed_out = 1;
    }
    struct rusage ru;
    int st = 0;
    while (wait4(c, &st, 0, &ru) < 0) {
        if (errno != EINTR)
            return fail(ctl, errno);
    }
    long long t1 = now_ns();
    say(ctl, line, snprintf(line, sizeof line, HP_LAUNCH_RESULT, st, timed_out,
                            (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
                            (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec,
                            (long long)ru.ru_maxrss, t1 - t0));
    return 0;
}
