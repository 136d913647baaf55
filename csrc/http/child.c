/* Background server processes (see child.h); the fork itself is proc/fork.h's. */
#include "http/child.h"
#include "http/server.h"
#include "proc/fork.h"
#include "common/common.h"
#include "common/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int hp_child_serve(int test, int port, int threads, double duration, int *pid, char **errmsg)
{
    hp_server_spec spec = { NULL, port, test, threads, duration, -1, 0, 0, NULL };
    return hp_child_serve_spec(&spec, pid, errmsg);
}

int hp_child_serve_spec(const hp_server_spec *s, int *pid, char **errmsg)
{
    *pid = -1;
    int fd, c, rc;
    if ((rc = hp_proc_fork(1, &fd, &c, errmsg)) != HP_OK)
        return rc;
    if (c == 0) {
        hp_server_spec spec = *s;
        spec.ready_fd = fd;
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
