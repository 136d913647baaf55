/* Background processes (see spawn.h) and the shared fork (fork.h). */
#include "proc/spawn.h"
#include "proc/fork.h"
#include "common/common.h"
#include "common/error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the fork ----------------------------------------------------------------------------- */

/* In the child, before exec or serve: own process group, die with the parent, quiet stdio. */
static void child_setup(int keep_output, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127); /* the parent died before prctl: nobody would stop us */
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
        dup2(nul, 0);
        if (!keep_output) {
            dup2(nul, 1);
            dup2(nul, 2);
        }
        if (nul > 2)
            close(nul);
    }
}

int hp_proc_fork(int keep_output, int *fd, int *child, char **errmsg)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return hp_err_errno(errmsg, "pipe");
    pid_t parent = getpid();
    pid_t c = fork();
    if (c < 0) {
        int rc = hp_err_errno(errmsg, "fork");
        close(p[0]);
        close(p[1]);
        return rc;
    }
    if (c == 0) {
        close(p[0]);
        child_setup(keep_output, parent);
        *fd = p[1];
    } else {
        close(p[1]);
        *fd = p[0];
    }
    *child = (int)c;
    return HP_OK;
}

/* ---- start and stop ----------------------------------------------------------------------- */

int hp_proc_start(const char *const *argv, int keep_output, int *pid, char **errmsg)
{
    *pid = -1;
    if (!argv || !argv[0])
        return hp_err(errmsg, HP_EINVAL, "empty argv");
    int fd, c, rc;
    if ((rc = hp_proc_fork(keep_output, &fd, &c, errmsg)) != HP_OK)
        return rc;
    if (c == 0) {
        execvp(argv[0], (char *const *)argv);
        int e = errno;
        (void)!write(fd, &e, sizeof e);
        _exit(127);
    }
    /* the pipe closes on a successful exec; an exec failure sends its errno */
    int e = 0;
    ssize_t k;
    do
        k = read(fd, &e, sizeof e);
    while (k < 0 && errno == EINTR);
    close(fd);
    if (k == sizeof e) {
        waitpid(c, NULL, 0);
        errno = e;
        return hp_err_errno(errmsg, "cannot run '%s'", argv[0]);
    }
    *pid = c;
    return HP_OK;
}

int hp_proc_stop(int pid, double timeout)
{
    if (pid <= 0)
        return -1;
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid)
        return st;
    if (r < 0)
        return -1;
    kill(-pid, SIGTERM);
    kill(pid, SIGTERM);
    double end = hp_clock_monotonic() + timeout;
    for (;;) {
        r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0)
            return -1;
        if (hp_clock_monotonic() > end) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return st;
        }
        struct timespec ts = { 0, 5000000 };
        nanosleep(&ts, NULL);
    }
}
