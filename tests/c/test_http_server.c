/* The reference server under hostile input, over real sockets on 127.0.0.1 (free ports, servers
 * forked and stopped by PID, every wait bounded): malformed requests get their status and a
 * close, never a crash; huge and endless inputs get 413/414/431 and a clean close, not a
 * reset; pipelined floods far past 64 KB are answered in full; half-closed and reset
 * connections; slowloris and idle connections time out (short timeouts set in the spec);
 * accept failing with EMFILE does not spin. After each, the server still answers. */
#include "tap.h"
#include "dial.h"
#include "http/child.h"
#include "http/server.h"
#include "proc/spawn.h"
#include "common/common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char GET[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

static int start(int test, double idle, double request, int *port)
{
    for (int tries = 0; tries < 5; tries++) {
        hp_server_spec s = { NULL, hp_free_port(), test, 1, 60, -1, idle, request, NULL };
        int pid;
        char *err = NULL;
        if (hp_child_serve_spec(&s, &pid, &err) == HP_OK) {
            *port = s.port;
            return pid;
        }
        printf("# server start: %s\n", err ? err : "?");
        hp_free(err);
    }
    return -1;
}

typedef struct {
    char *buf;
    size_t n, cap;
    int ok200;    /* "HTTP/1.1 200 OK" lines so far */
    int eof;      /* the server closed cleanly (read returned 0) */
    int reset;    /* ECONNRESET */
} reply;

static void reply_free(reply *r) { free(r->buf); }

static int count_of(const reply *r, const char *what)
{
    int n = 0;
    size_t k = strlen(what);
    for (size_t i = 0; i + k <= r->n; i++)
        if (memcmp(r->buf + i, what, k) == 0)
            n++, i += k - 1;
    return n;
}

/* Writes len bytes of data (NULL: endless junk) on fd while reading what comes back, until
 * the server closes, `want` 200 responses arrived (0: wait for the close), or `secs` pass.
 * Writing stops at the first error (the server may close before taking everything). */
static void talk(int fd, const char *data, size_t len, int want, double secs, reply *r)
{
    memset(r, 0, sizeof *r);
    r->cap = 1 << 16;
    r->buf = malloc(r->cap + 1);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    size_t off = 0;
    int can_write = 1;
    char junk[8192];
    memset(junk, 'a', sizeof junk);
    double end = hp_clock_monotonic() + secs;
    while (hp_clock_monotonic() < end) {
        if (want && r->ok200 >= want && r->n >= 13 && memcmp(r->buf + r->n - 13, "Hello, World!", 13) == 0)
            break;
        int writing = can_write && (data == NULL || off < len);
        struct pollfd pf = { fd, (short)(POLLIN | (writing ? POLLOUT : 0)), 0 };
        if (poll(&pf, 1, 50) < 0)
            break;
        if (pf.revents & POLLOUT && writing) {
            const char *p = data ? data + off : junk;
            size_t k = data ? len - off : sizeof junk;
            ssize_t w = send(fd, p, k, MSG_NOSIGNAL);
            if (w > 0 && data)
                off += (size_t)w;
            if (w < 0 && errno != EAGAIN)
                can_write = 0;
        }
        if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (r->n == r->cap) {
                r->cap *= 2;
                r->buf = realloc(r->buf, r->cap + 1);
            }
            ssize_t k = recv(fd, r->buf + r->n, r->cap - r->n, 0);
            if (k > 0) {
                static const char ok[] = "HTTP/1.1 200 OK\r\n";
                size_t old = r->n, i = old >= 16 ? old - 16 : 0;
                r->n += (size_t)k;
                for (; i + 17 <= r->n; i++)
                    if (i + 17 > old && memcmp(r->buf + i, ok, 17) == 0)
                        r->ok200++;
            }
            else if (k == 0) {
                r->eof = 1;
                break;
            } else if (errno != EAGAIN) {
                r->reset = errno == ECONNRESET;
                break;
            }
        }
    }
    r->buf[r->n] = 0;
}

/* One request on a fresh connection, the reply until the server closes or 3 s. */
static void once(int port, const char *req, size_t len, reply *r)
{
    int fd = dial(port);
    talk(fd, req, len ? len : strlen(req), 0, 3, r);
    close(fd);
}

/* Does the server still answer a normal request? */
static int answers(int port)
{
    int fd = dial(port);
    if (fd < 0)
        return 0;
    reply r;
    talk(fd, GET, strlen(GET), 1, 3, &r);
    int ok = count_of(&r, "HTTP/1.1 200 OK\r\n") == 1 && r.n > 13 && memcmp(r.buf + r.n - 13, "Hello, World!", 13) == 0;
    reply_free(&r);
    close(fd);
    return ok;
}

static int starts_with(const reply *r, const char *s) { return r->n >= strlen(s) && memcmp(r->buf, s, strlen(s)) == 0; }

static void check_status(int port, const char *req, size_t len, const char *status_line, const char *what)
{
    reply r;
    once(port, req, len, &r);
    int ok = starts_with(&r, status_line) && count_of(&r, "\r\nConnection: close\r\n") == 1 &&
             count_of(&r, "\r\nContent-Length: 0\r\n") == 1 && r.eof && !r.reset;
    if (!ok)
        printf("# got %zu bytes, eof %d, reset %d: %.80s\n", r.n, r.eof, r.reset, r.buf);
    CHECK(ok, what);
    reply_free(&r);
    CHECK(answers(port), "  and the server still answers");
}

static char *repeat(const char *s, int times, size_t *len)
{
    size_t k = strlen(s);
    char *p = malloc(k * (size_t)times + 1);
    for (int i = 0; i < times; i++)
        memcpy(p + k * (size_t)i, s, k);
    p[k * (size_t)times] = 0;
    *len = k * (size_t)times;
    return p;
}

/* The inputs that crashed the server (SIGSEGV). */
static void crashers(int port)
{
    check_status(port, "GET / HTTP/1.1\r\n\n\r\n\r\n", 0, "HTTP/1.1 400 Bad Request\r\n",
                 "a bare-LF header line (crashed the server): 400");
    check_status(port, "\nGET / HTTP/1.1\r\n\r\n", 0, "HTTP/1.1 400 Bad Request\r\n",
                 "a request line after a bare LF (crashed the server): 400");
}

static void malformed(int port)
{
    static const struct { const char *req, *status, *what; } rows[] = {
        { "\n", "HTTP/1.1 400 Bad Request\r\n", "a lone LF: 400" },
        { "GET / HTTP/1.1\r\nHost: x\r\n\n", "HTTP/1.1 400 Bad Request\r\n", "a head ending in a bare LF: 400" },
        { "BROKEN\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", "no request line: 400" },
        { "\x16\x03\x01\x00\xa5\x01\x00\x00", "HTTP/1.1 400 Bad Request\r\n", "a TLS handshake: 400 at once" },
        { "GET / HTTP/1.1\r\nHost : x\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", "space before a colon: 400" },
        { "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", "obsolete line folding: 400" },
        { "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", "a bare CR in a value: 400" },
        { "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "HTTP/1.1 400 Bad Request\r\n", "two different Content-Lengths: 400" },
        { "POST / HTTP/1.1\r\nContent-Length: 5 junk\r\n\r\nhello", "HTTP/1.1 400 Bad Request\r\n", "Content-Length: 5 junk: 400" },
        { "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", "HTTP/1.1 400 Bad Request\r\n", "Content-Length: +5: 400" },
        { "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", "HTTP/1.1 400 Bad Request\r\n", "a chunk size that overflows: 400" },
        { "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", "Transfer-Encoding and Content-Length: 400" },
        { "POST / HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n", "HTTP/1.1 413 Content Too Large\r\n", "a Content-Length past the limit: 413" },
        { "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "HTTP/1.1 501 Not Implemented\r\n", "an unknown transfer coding: 501" },
        { "GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported\r\n", "HTTP/2.0 in a request line: 505" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_status(port, rows[i].req, 0, rows[i].status, rows[i].what);

    /* answered in order up to the bad one */
    reply r;
    once(port, "GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nX\r\n\r\nGET / HTTP/1.1\r\n\r\n", 0, &r);
    CHECK(count_of(&r, "HTTP/1.1 200 OK\r\n") == 2 && count_of(&r, "HTTP/1.1 400 Bad Request\r\n") == 1 &&
          strstr(r.buf, "400 Bad") > strstr(r.buf + 20, "200 OK") && r.eof, "two good requests, a bad one: 200, 200, 400, close");
    reply_free(&r);

    /* bodies: Content-Length and chunked are read past, HEAD has no body */
    once(port, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5\r\nhello\r\n0\r\n\r\nHEAD / HTTP/1.1\r\nConnection: close\r\n\r\n", 0, &r);
    CHECK(count_of(&r, "HTTP/1.1 200 OK\r\n") == 3 && count_of(&r, "Hello, World!") == 2 && r.eof && !r.reset,
          "Content-Length, chunked and HEAD requests in one stream: three 200s");
    reply_free(&r);
}

static void huge(int port)
{
    size_t len;
    char *s = malloc((1 << 20) + 64);
    strcpy(s, "GET / HTTP/1.1\r\nX: ");
    len = strlen(s);
    memset(s + len, 'a', 1 << 20);
    len += 1 << 20;
    memcpy(s + len, "\r\n\r\n", 4);
    len += 4;
    check_status(port, s, len, "HTTP/1.1 431 Request Header Fields Too Large\r\n", "a 1 MB header: 431 and a clean close");
    memcpy(s, "GET /", 5);
    memset(s + 5, 'a', 100000);
    memcpy(s + 100005, " HTTP/1.1\r\n\r\n", 13);
    check_status(port, s, 100018, "HTTP/1.1 414 URI Too Long\r\n", "a 100 KB request line: 414 and a clean close");
    free(s);

    /* endless: a header that never ends, sent for as long as the server reads */
    int fd = dial(port);
    reply r;
    const char *h = "GET / HTTP/1.1\r\nX: ";
    (void)!write(fd, h, strlen(h));
    talk(fd, NULL, 0, 0, 5, &r);
    CHECK(starts_with(&r, "HTTP/1.1 431 Request Header Fields Too Large\r\n"), "an endless header: 431");
    CHECK(r.eof || r.reset, "  then the connection ends (the linger time bounds an endless sender)");
    reply_free(&r);
    close(fd);
    CHECK(answers(port), "  and the server still answers");

    /* a body at the limit is read past */
    size_t blen = 65536;
    s = malloc(blen + 128);
    int k = snprintf(s, 128, "POST / HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", blen);
    memset(s + k, 'b', blen);
    memcpy(s + k + blen, GET, strlen(GET));
    fd = dial(port);
    talk(fd, s, (size_t)k + blen + strlen(GET), 2, 3, &r);
    CHECK(count_of(&r, "HTTP/1.1 200 OK\r\n") == 2, "a 64 KB body and a request after it: two 200s");
    reply_free(&r);
    close(fd);
    free(s);
}

static void floods(int port)
{
    /* > 64 KB of pipelined requests in one write: every response, and the connection lives */
    size_t len;
    int n = 5000;
    char *s = repeat(GET, n, &len);   /* 135 KB */
    int fd = dial(port);
    (void)!send(fd, s, len, MSG_NOSIGNAL);
    reply r;
    talk(fd, GET, strlen(GET), n + 1, 10, &r);
    CHECK(count_of(&r, "HTTP/1.1 200 OK\r\n") == n + 1 && !r.reset && !r.eof,
          "5000 pipelined requests (135 KB) in one write, then one more: 5001 responses, connection open");
    if (count_of(&r, "HTTP/1.1 200 OK\r\n") != n + 1)
        printf("# %d responses, eof %d, reset %d\n", count_of(&r, "HTTP/1.1 200 OK\r\n"), r.eof, r.reset);
    reply_free(&r);
    close(fd);
    free(s);

    /* 4 MB of requests to a client that reads while it writes: backpressure, not loss */
    n = 150000;
    s = repeat(GET, n, &len);
    fd = dial(port);
    talk(fd, s, len, n, 30, &r);
    CHECK(count_of(&r, "HTTP/1.1 200 OK\r\n") == n && !r.reset, "150000 pipelined requests (4 MB): every response");
    reply_free(&r);
    close(fd);
    free(s);

    /* a client that writes a flood and never reads: the server stops reading, stays up */
    s = repeat(GET, 40000, &len);
    fd = dial(port);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    size_t off = 0;
    for (int i = 0; i < 200 && off < len; i++) {
        ssize_t w = send(fd, s + off, len - off, MSG_NOSIGNAL);
        if (w > 0)
            off += (size_t)w;
        else
            poll(NULL, 0, 5);
    }
    CHECK(answers(port), "a client that never reads its responses: others are still served");
    close(fd);
    free(s);
    CHECK(answers(port), "  and after it left abruptly");
}

static void half_and_reset(int port)
{
    int fd = dial(port);
    size_t len;
    char *s = repeat(GET, 3, &len);
    (void)!write(fd, s, len);
    shutdown(fd, SHUT_WR);
    reply r;
    talk(fd, "", 0, 0, 3, &r);
    CHECK(count_of(&r, "HTTP/1.1 200 OK\r\n") == 3 && r.eof && !r.reset, "half-closed after 3 requests: 3 responses, then EOF");
    reply_free(&r);
    close(fd);
    free(s);

    /* reset: in the middle of a request, and with responses unread */
    struct linger lg = { 1, 0 };
    fd = dial(port);
    (void)!write(fd, "GET / HTTP/1.1\r\nHo", 18);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    s = repeat(GET, 2000, &len);
    fd = dial(port);
    (void)!send(fd, s, len, MSG_NOSIGNAL);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    free(s);
    poll(NULL, 0, 50);
    CHECK(answers(port), "connections reset mid-request and with responses unread: the server still answers");
}

/* The server's CPU time so far in seconds (utime + stime of /proc/pid/stat). */
static double cpu_of(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void timeouts(void)
{
    int port, pid = start(HP_SERVER_PLAINTEXT, 0.6, 0.3, &port);
    CHECK(pid > 0, "a server with idle_timeout 0.6 s, request_timeout 0.3 s");

    /* slowloris: a byte every 50 ms never completes the head; 408 and a close */
    int fd = dial(port);
    const char *req = "GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    reply r;
    memset(&r, 0, sizeof r);
    char buf[512];
    size_t got = 0;
    double end = hp_clock_monotonic() + 5;
    int closed = 0;
    for (size_t i = 0; req[i] && hp_clock_monotonic() < end; i++) {
        if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1)
            break;
        struct pollfd pf = { fd, POLLIN, 0 };
        if (poll(&pf, 1, 50) > 0) {
            ssize_t k = recv(fd, buf + got, sizeof buf - 1 - got, 0);
            if (k <= 0) {
                closed = 1;
                break;
            }
            got += (size_t)k;
        }
    }
    while (!closed && hp_clock_monotonic() < end) {
        struct pollfd pf = { fd, POLLIN, 0 };
        if (poll(&pf, 1, 100) > 0) {
            ssize_t k = recv(fd, buf + got, sizeof buf - 1 - got, 0);
            if (k <= 0)
                closed = 1;
            else
                got += (size_t)k;
        }
    }
    buf[got] = 0;
    CHECK(strncmp(buf, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0 && closed, "slowloris (a byte every 50 ms): 408, then closed");
    close(fd);

    /* many slow connections, each sent a partial head: all end */
    enum { SLOW = 200 };
    int fds[SLOW], ended = 0;
    for (int i = 0; i < SLOW; i++) {
        fds[i] = dial(port);
        (void)!write(fds[i], "GET / HTTP/1.1\r\nX: 1", 20);
    }
    end = hp_clock_monotonic() + 5;
    for (int i = 0; i < SLOW; i++) {
        struct pollfd pf = { fds[i], POLLIN, 0 };
        while (hp_clock_monotonic() < end) {
            if (poll(&pf, 1, 100) > 0) {
                ssize_t k;
                while ((k = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT)) > 0)
                    ;
                if (k == 0 || (k < 0 && errno != EAGAIN)) {
                    ended++;
                    break;
                }
            }
        }
        close(fds[i]);
    }
    CHECK(ended == SLOW, "200 connections with an unfinished head: the server ends every one");

    /* idle: after a response, and without any request */
    fd = dial(port);
    talk(fd, GET, strlen(GET), 0, 5, &r);
    CHECK(count_of(&r, "HTTP/1.1 200 OK\r\n") == 1 && r.eof && !r.reset, "keep-alive connection idle after a response: closed");
    reply_free(&r);
    close(fd);
    fd = dial(port);
    talk(fd, "", 0, 0, 5, &r);
    CHECK(r.n == 0 && r.eof, "a connection that never sends: closed without a word");
    reply_free(&r);
    close(fd);
    CHECK(answers(port), "  and the server still answers");
    hp_proc_stop(pid, 2);

    char *err = NULL;
    hp_server_spec bad = { NULL, 1, HP_SERVER_PLAINTEXT, 1, 1, -1, -1, 0, NULL };
    CHECK(hp_server_run(&bad, &err) == HP_EINVAL, "a negative idle_timeout is refused");
    CHECK_STR(err, "idle_timeout must be between 0 and 1e6 seconds, got -1", "  with its message");
    hp_free(err);
    err = NULL;
    bad.idle_timeout = 0;
    bad.request_timeout = 0.0 / 0.0;
    CHECK(hp_server_run(&bad, &err) == HP_EINVAL, "a NaN request_timeout is refused");
    hp_free(err);
}

/* A server with few descriptors, flooded with connections: accept fails with EMFILE. */
static void emfile(void)
{
    int port = hp_free_port(), pfd[2];
    if (pipe(pfd) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        struct rlimit rl = { 16, 16 };
        setrlimit(RLIMIT_NOFILE, &rl);
        hp_server_spec s = { NULL, port, HP_SERVER_PLAINTEXT, 1, 30, pfd[1], 0, 0, NULL };
        _exit(hp_server_run(&s, NULL) == HP_OK ? 0 : 1);
    }
    close(pfd[1]);
    char c = 0;
    CHECK(read(pfd[0], &c, 1) == 1 && c == 'R', "a server limited to 16 descriptors");
    close(pfd[0]);
    enum { MANY = 40 };
    int fds[MANY];
    for (int i = 0; i < MANY; i++)
        fds[i] = dial(port);
    poll(NULL, 0, 300);
    double c0 = cpu_of(pid);
    poll(NULL, 0, 1000);
    double used = cpu_of(pid) - c0;
    printf("# CPU used in 1 s with accept failing: %.2f s\n", used);
    CHECK(c0 >= 0 && used < 0.05, "accept failing with EMFILE does not spin (the listener is paused)");
    for (int i = 0; i < MANY; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    poll(NULL, 0, 100);
    CHECK(answers(port), "descriptors free again: the server answers");
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

/* Runs one group of checks against a fresh server, so one crash fails only its group. */
static void with_server(void (*group)(int port), const char *name)
{
    int port, pid = start(HP_SERVER_PLAINTEXT, 0, 0, &port);
    printf("# %s\n", name);
    CHECK(pid > 0 && answers(port), "a plaintext server started and answers");
    group(port);
    CHECK(waitpid(pid, NULL, WNOHANG) == 0, "the server is still running");
    hp_proc_stop(pid, 2);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    with_server(crashers, "inputs that crashed the server");
    with_server(malformed, "malformed requests");
    with_server(huge, "huge and endless inputs");
    with_server(floods, "pipelined floods");
    with_server(half_and_reset, "half-closed and reset connections");
    timeouts();
    emfile();
    return tap_done();
}
