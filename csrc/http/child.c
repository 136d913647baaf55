/* Background server processes (see child.h). */
#include "http/child.h"
#include "http/server.h"
#include "common/common.h"
#include "common/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* In the child, before exec or serve: own process group, die with the parent, quiet stdio. */
static void child_setup(int keep_output, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
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

/* Forks a child with a close-on-exec pipe back to the parent: *child is 0 in the child (after
 * child_setup; *fd the pipe's write end) and the child's pid in the parent (*fd the read end).
 * HP_ESYS/HP_ENOMEM with *errmsg when the pipe or the fork fails. */
static int fork_with_pipe(int keep_output, int *fd, pid_t *child, char **errmsg)
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
    *child = c;
    return HP_OK;
}

int hp_child_spawn(const char *const *argv, int keep_output, int *pid, char **errmsg)
{
    *pid = -1;
    if (!argv || !argv[0])
        return hp_err(errmsg, HP_EINVAL, "empty argv");
    int fd, rc;
    pid_t c;
    if ((rc = fork_with_pipe(keep_output, &fd, &c, errmsg)) != HP_OK)
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

int hp_child_serve(int test, int port, int threads, double duration, int *pid, char **errmsg)
{
    *pid = -1;
    int fd, rc;
    pid_t c;
    if ((rc = fork_with_pipe(1, &fd, &c, errmsg)) != HP_OK)
        return rc;
    if (c == 0) {
        hp_server_spec spec = { NULL, port, test, threads, duration, fd };
        char *msg = NULL;
        rc = hp_server_run(&spec, &msg);
        if (rc != HP_OK && msg)
            (void)!write(fd, msg, strlen(msg));
        _exit(rc == HP_OK ? 0 : 1);
    }
    /* the server writes 'R' once it listens, or its error */
    char buf[512];
    ssize_t k;
    do
        k = read(fd, buf, sizeof buf - 1);
    while (k < 0 && errno == EINTR);
    close(fd);
    if (k == 1 && buf[0] == 'R') {
        *pid = c;
        return HP_OK;
    }
    waitpid(c, NULL, 0);
    if (k > 0) {
        buf[k] = 0;
        return hp_err(errmsg, HP_ESYS, "%s", buf);
    }
    return hp_err(errmsg, HP_EFAILED, "server process failed to start");
}

int hp_child_wait_port(int pid, int port, double timeout, char **errmsg)
{
    double end = hp_clock_monotonic() + timeout;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return hp_err_errno(errmsg, "socket");
        int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (rc == 0)
            return HP_OK;
        if (pid > 0) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid)
                return hp_err(errmsg, HP_EFAILED, "server process %d exited before listening on 127.0.0.1:%d", pid, port);
        }
        if (hp_clock_monotonic() > end)
            return hp_err(errmsg, HP_ETIMEDOUT, "nothing listens on 127.0.0.1:%d after %g s", port, timeout);
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
}

int hp_child_stop(int pid, double timeout)
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

int hp_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}
