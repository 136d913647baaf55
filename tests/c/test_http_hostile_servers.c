/* The load generator against misbehaving servers, over real sockets on 127.0.0.1 with free
 * ports: responses framed by the connection's close, bodies cut short, servers that never
 * answer, garbage, resets, accept-and-close, bad chunk sizes. Each server is a thread of this
 * program serving one connection at a time; runs are bounded by a request count and a time
 * limit, and every count the generator reports (responses, errors by kind, requests lost) is
 * asserted exactly. A run with no response at all must fail with a message that says why. */
#include "tap.h"
#include "http/child.h"
#include "http/load.h"
#include "common/common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    M_CLOSE_FRAMED,   /* HTTP/1.1 200 without length, body until close */
    M_TRUNCATED,      /* fewer bytes than announced (body, headers, chunk), then FIN */
    M_STALL,          /* reads nothing, answers nothing, keeps the connection */
    M_GARBAGE,        /* a status line that is not HTTP */
    M_RESET,          /* reads the request, then RST (SO_LINGER 0) */
    M_ACCEPT_CLOSE,   /* accepts and closes at once */
    M_BAD_CHUNK,      /* chunked bodies with bad chunk sizes */
    M_HALF_GOOD       /* per connection: one good keep-alive response, then a cut one */
};

#define CLOSE_FRAMED_RESPONSE "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nHello, World!"
#define GOOD_RESPONSE "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

static const char *const TRUNCATED[] = {
    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
    "HTTP/1.1 200 OK\r\nContent-Le",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
};
static const char *const BAD_CHUNK[] = {
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 z\r\nhello\r\n0\r\n\r\n",
};

typedef struct hostile {
    int mode, lfd, port;
    atomic_int stop;
    int accepted;
    int held[4096];
    int nheld;
    pthread_t th;
} hostile;

/* Reads one request (up to the empty line) or until the peer closes or the server stops.
 * Returns 1 when a request was read, 0 otherwise. */
static int read_request(hostile *h, int fd)
{
    char buf[4096];
    size_t n = 0;
    while (!atomic_load(&h->stop)) {
        struct pollfd pf = { fd, POLLIN, 0 };
        if (poll(&pf, 1, 20) <= 0)
            continue;
        ssize_t k = read(fd, buf + n, sizeof buf - 1 - n);
        if (k <= 0)
            return 0;
        n += (size_t)k;
        buf[n] = 0;
        if (strstr(buf, "\r\n\r\n"))
            return 1;
        if (n == sizeof buf - 1)
            return 0;
    }
    return 0;
}

/* Writes s and closes. TCP_CORK holds the bytes until close, so the data and the FIN leave in
 * one segment and reach the generator together: the case an edge-triggered reader that stops
 * at a short read misses. */
static void write_close(int fd, const char *s)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
    (void)!write(fd, s, strlen(s));
    close(fd);
}

static void serve_one(hostile *h, int fd, int index)
{
    switch (h->mode) {
    case M_CLOSE_FRAMED:
        if (read_request(h, fd))
            write_close(fd, CLOSE_FRAMED_RESPONSE);
        else
            close(fd);
        return;
    case M_TRUNCATED:
        if (read_request(h, fd))
            write_close(fd, TRUNCATED[index % 3]);
        else
            close(fd);
        return;
    case M_STALL:
        if (h->nheld < (int)(sizeof h->held / sizeof h->held[0]))
            h->held[h->nheld++] = fd;
        else
            close(fd);
        return;
    case M_GARBAGE:
        if (read_request(h, fd))
            write_close(fd, "HTJP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        else
            close(fd);
        return;
    case M_RESET:
        if (read_request(h, fd)) {
            struct linger lg = { 1, 0 };
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(fd);
        return;
    case M_ACCEPT_CLOSE:
        close(fd);
        return;
    case M_BAD_CHUNK:
        if (read_request(h, fd))
            write_close(fd, BAD_CHUNK[index % 5]);
        else
            close(fd);
        return;
    case M_HALF_GOOD:
        if (read_request(h, fd)) {
            (void)!write(fd, GOOD_RESPONSE, strlen(GOOD_RESPONSE));
            if (read_request(h, fd)) {
                write_close(fd, TRUNCATED[0]);
                return;
            }
        }
        close(fd);
        return;
    }
}

static void *hostile_main(void *arg)
{
    hostile *h = arg;
    while (!atomic_load(&h->stop)) {
        struct pollfd pf = { h->lfd, POLLIN, 0 };
        if (poll(&pf, 1, 20) <= 0)
            continue;
        int fd = accept(h->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        serve_one(h, fd, h->accepted++);
    }
    for (int i = 0; i < h->nheld; i++)
        close(h->held[i]);
    return NULL;
}

/* Starts a server thread on a free port of 127.0.0.1; NULL on failure. */
static hostile *hostile_start(int mode)
{
    hostile *h = calloc(1, sizeof *h);
    h->mode = mode;
    for (int tries = 0; tries < 5; tries++) {
        h->port = hp_free_port();
        h->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)h->port) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(h->lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(h->lfd, 128) == 0
            && pthread_create(&h->th, NULL, hostile_main, h) == 0)
            return h;
        close(h->lfd);
    }
    free(h);
    return NULL;
}

static void hostile_stop(hostile *h)
{
    if (!h)
        return;
    atomic_store(&h->stop, 1);
    pthread_join(h->th, NULL);
    close(h->lfd);
    free(h);
}

static const char *REQ = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

typedef struct outcome {
    int rc;
    char err[512];
    hp_load_result res;
} outcome;

/* One closed-loop run of `requests` requests (time limit 10 s) against a hostile server. */
static void run(int mode, int connections, uint64_t requests, double duration, double timeout, outcome *o,
                int *port)
{
    memset(o, 0, sizeof *o);
    hostile *h = hostile_start(mode);
    if (!h) {
        o->rc = -1;
        snprintf(o->err, sizeof o->err, "hostile server did not start");
        return;
    }
    *port = h->port;
    hp_load_phase ph = { 0, duration };
    hp_load_spec s;
    memset(&s, 0, sizeof s);
    s.host = "127.0.0.1";
    s.port = h->port;
    s.request = REQ;
    s.request_len = strlen(REQ);
    s.threads = 1;
    s.connections = connections;
    s.pipeline = 1;
    s.phases = &ph;
    s.nphases = 1;
    s.requests = requests;
    s.timeout = timeout;
    char *err = NULL;
    o->rc = hp_load_run(&s, &o->res, &err);
    if (err)
        snprintf(o->err, sizeof o->err, "%s", err);
    hp_free(err);
    hostile_stop(h);
}

static void show(const char *name, const outcome *o)
{
    const hp_load_result *r = &o->res;
    printf("# %s: rc %d, %llu responses, %llu lost; refused %llu connect %llu reset %llu closed %llu timeout %llu"
           " parse %llu; connects %llu; first error: %s; message: %s\n", name, o->rc,
           (unsigned long long)r->total.requests, (unsigned long long)r->total.errors,
           (unsigned long long)r->refused, (unsigned long long)r->connect_errors, (unsigned long long)r->reset,
           (unsigned long long)r->closed, (unsigned long long)r->timeouts, (unsigned long long)r->parse_errors,
           (unsigned long long)r->connects, r->first_error, o->err);
}

/* Every error kind but the ones named is zero. */
static int others_zero(const hp_load_result *r, int reset, int closed, int timeouts, int parse)
{
    return r->refused == 0 && r->connect_errors == 0 && (reset || r->reset == 0) && (closed || r->closed == 0)
           && (timeouts || r->timeouts == 0) && (parse || r->parse_errors == 0);
}

int main(void)
{
    outcome *o = calloc(1, sizeof *o);
    const hp_load_result *r = &o->res;
    char want[512];
    int port;

    /* responses framed by the connection's close are complete responses, at once: before, the
     * FIN that came with the data was never read and each request ended as a timeout (the
     * counts show it: no timeout within the 3 s allowed, all 20 answered) */
    run(M_CLOSE_FRAMED, 2, 20, 10, 3, o, &port);
    show("close-framed", o);
    CHECK(o->rc == HP_OK, "close-framed: the run succeeds");
    CHECK(r->total.requests == 20 && r->status[200] == 20, "close-framed: 20 responses, all 200");
    CHECK(r->total.errors == 0 && others_zero(r, 0, 0, 0, 0), "close-framed: no errors of any kind");
    CHECK(r->total.bytes == 20 * strlen(CLOSE_FRAMED_RESPONSE), "close-framed: every byte counted");
    CHECK(r->connects >= 20, "close-framed: one connection per response");

    /* bodies (and headers, and chunks) cut short by the server's close: "closed early" errors,
     * at once, not timeouts */
    run(M_TRUNCATED, 2, 12, 10, 3, o, &port);
    show("truncated", o);
    snprintf(want, sizeof want, "no response from 127.0.0.1:%d: 12 requests sent, 12 lost to errors (closed 12);"
             " first error: connection closed by 127.0.0.1:%d mid-response", port, port);
    CHECK(o->rc == HP_EFAILED, "truncated: no response at all fails the run");
    CHECK_STR(o->err, want, "truncated: the run's message");
    CHECK(r->total.requests == 0 && r->total.errors == 12, "truncated: 0 responses, 12 requests lost");
    CHECK(r->closed == 12 && others_zero(r, 0, 1, 0, 0), "truncated: 12 closed early, nothing else");
    snprintf(want, sizeof want, "connection closed by 127.0.0.1:%d mid-response", port);
    CHECK_STR(r->first_error, want, "truncated: first error");

    /* half the responses good, half cut: the good ones count, the run succeeds */
    run(M_HALF_GOOD, 1, 10, 10, 3, o, &port);
    show("half good", o);
    CHECK(o->rc == HP_OK, "half good: the run succeeds");
    CHECK(r->total.requests == 5 && r->status[200] == 5, "half good: 5 responses");
    CHECK(r->total.errors == 5 && r->closed == 5 && others_zero(r, 0, 1, 0, 0), "half good: 5 closed early");

    /* a server that never answers: each request times out, and is counted as a timeout */
    run(M_STALL, 2, 4, 10, 0.1, o, &port);
    show("stall", o);
    snprintf(want, sizeof want, "no response from 127.0.0.1:%d: 4 requests sent, 4 lost to errors (timeout 4);"
             " first error: timeout: no response from 127.0.0.1:%d within 0.1 s", port, port);
    CHECK(o->rc == HP_EFAILED, "stall: fails");
    CHECK_STR(o->err, want, "stall: the run's message");
    CHECK(r->total.requests == 0 && r->total.errors == 4 && r->timeouts == 4 && others_zero(r, 0, 0, 1, 0),
          "stall: 4 timeouts, nothing else");

    /* never answering within the run, and no timeout either: 0 responses and 0 errors used to
     * look like success (an empty result, no error) */
    run(M_STALL, 2, 0, 0.3, 5, o, &port);
    show("stall, no timeout", o);
    snprintf(want, sizeof want, "no response from 127.0.0.1:%d: 2 requests sent, none answered within the run"
             " (0.3 s)", port);
    CHECK(o->rc == HP_EFAILED, "stall without timeout: fails");
    CHECK_STR(o->err, want, "stall without timeout: the run's message");
    CHECK(r->total.sent == 2 && r->total.requests == 0 && r->total.errors == 0 && others_zero(r, 0, 0, 0, 0),
          "stall without timeout: 2 sent, no error counted");

    /* garbage instead of a status line */
    run(M_GARBAGE, 2, 6, 10, 3, o, &port);
    show("garbage", o);
    snprintf(want, sizeof want, "no response from 127.0.0.1:%d: 6 requests sent, 6 lost to errors (parse 6);"
             " first error: bad response from 127.0.0.1:%d: bad status line", port, port);
    CHECK(o->rc == HP_EFAILED, "garbage: fails");
    CHECK_STR(o->err, want, "garbage: the run's message");
    CHECK(r->total.requests == 0 && r->total.errors == 6 && r->parse_errors == 6 && others_zero(r, 0, 0, 0, 1),
          "garbage: 6 parse errors, nothing else");

    /* chunked bodies with bad chunk sizes (letters, 2^64 and more, negative, empty, junk) */
    run(M_BAD_CHUNK, 1, 10, 10, 3, o, &port);
    show("bad chunk", o);
    snprintf(want, sizeof want, "bad response from 127.0.0.1:%d: bad chunk size", port);
    CHECK(o->rc == HP_EFAILED, "bad chunk sizes: fails");
    CHECK(r->total.requests == 0 && r->total.errors == 10 && r->parse_errors == 10 && others_zero(r, 0, 0, 0, 1),
          "bad chunk sizes: 10 parse errors, nothing else");
    CHECK_STR(r->first_error, want, "bad chunk sizes: first error");

    /* RST after reading the request */
    run(M_RESET, 2, 6, 10, 3, o, &port);
    show("reset", o);
    snprintf(want, sizeof want, "no response from 127.0.0.1:%d: 6 requests sent, 6 lost to errors (reset 6);"
             " first error: receive from 127.0.0.1:%d: Connection reset by peer", port, port);
    CHECK(o->rc == HP_EFAILED, "reset: fails");
    CHECK_STR(o->err, want, "reset: the run's message");
    CHECK(r->total.requests == 0 && r->total.errors == 6 && r->reset == 6 && others_zero(r, 1, 0, 0, 0),
          "reset: 6 resets, nothing else");

    /* accept, then close at once: whether the request reached the server before its close
     * (close with unread data sends RST: "reset") or after (FIN, then RST: "closed") is the
     * kernels' timing; each lost request is one of the two, and nothing else */
    run(M_ACCEPT_CLOSE, 2, 6, 10, 3, o, &port);
    show("accept-close", o);
    CHECK(o->rc == HP_EFAILED, "accept-close: fails");
    CHECK(r->total.requests == 0 && r->total.errors == 6 && r->reset + r->closed == 6 && others_zero(r, 1, 1, 0, 0),
          "accept-close: 6 lost, each reset or closed early");
    snprintf(want, sizeof want, "no response from 127.0.0.1:%d: 6 requests sent, 6 lost to errors (", port);
    CHECK(strncmp(o->err, want, strlen(want)) == 0, "accept-close: the run's message");

    free(o);
    return tap_done();
}
