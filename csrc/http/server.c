/* Reference servers (see server.h). One epoll loop per thread, each with its own
 * SO_REUSEPORT listener, so threads share nothing but the deadline. Hostile input: requests
 * are parsed by http/reqparse.c under fixed limits; a connection's buffers are bounded
 * (input IN_MAX, output about OUT_HIGH); every connection has a timer (idle, request, write,
 * linger) checked by a sweep of the thread's connections; a server-side close is staged
 * (shutdown, then discarding what the client still sends) so the last response is not lost
 * to a reset; accept failing for want of descriptors pauses the listener instead of spinning.
 * The limits and timeouts are in doc/http.md ("Limits"). */
#include "http/server.h"
#include "http/httpdate.h"
#include "http/body.h"
#include "http/reqparse.h"
#include "http/dbserver.h"
#include "common/common.h"
#include "common/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    IN_FIRST = 4096,
    IN_MAX = HP_REQ_HEAD_MAX + HP_REQ_BODY_MAX,   /* every request the parser accepts fits */
    OUT_HIGH = 65536,     /* with this much output pending, answer no more before sending it */
    OUT_KEEP = 65536,     /* an output buffer grown past this is freed once it is sent */
    MAXEV = 128
};
static const double IDLE_TIMEOUT = 60, REQUEST_TIMEOUT = 10;   /* defaults (server.h) */
static const double LINGER_TIME = 2;        /* discarding input after our close, at most */
static const double ACCEPT_BACKOFF = 0.1;   /* listener paused after EMFILE and the like */

typedef struct sconn {
    struct sconn *prev, *next;   /* the thread's connections, for the timeout sweep */
    int fd;
    unsigned char closing;       /* close once the output is flushed */
    unsigned char paused;        /* output blocked: only EPOLLOUT is watched, nothing is read */
    unsigned char lingering;     /* our side is shut: input is read and dropped until EOF */
    unsigned char peer_eof;      /* the client closed its side */
    double since;                /* start of the current timer (see conn_timeout) */
    char *in;
    size_t inlen, incap;
    char *out;
    size_t outlen, outoff, outcap;
} sconn;

typedef struct sthread {
    const hp_server_spec *spec;
    int lfd, ep;
    pthread_t th;
    double deadline;        /* monotonic seconds, 0: none */
    double now;             /* coarse monotonic seconds, taken once per epoll batch */
    double idle_timeout, request_timeout, sweep_every, next_sweep;
    double accept_resume;   /* > 0: the listener is paused until then */
    sconn *conns;
    size_t nconns;
    time_t date_sec;
    char head[256];         /* response head up to and including "Date: ...\r\n" */
    size_t head_len;
} sthread;

static double coarse_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- responses ------------------------------------------------------------------------------ */

static void refresh_date(sthread *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec == t->date_sec && t->head_len)
        return;
    t->date_sec = ts.tv_sec;
    char date[HP_HTTPDATE_LEN + 1];
    hp_httpdate(ts.tv_sec, date);
    t->head_len = (size_t)snprintf(t->head, sizeof t->head,
                                   "HTTP/1.1 200 OK\r\nServer: hotpath\r\nDate: %s\r\n", date);
}

static int out_reserve(sconn *c, size_t n)
{
    if (c->outlen + n <= c->outcap)
        return 0;
    size_t cap = c->outcap ? c->outcap : 1024;
    while (cap < c->outlen + n)
        cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p)
        return -1;
    c->out = p;
    c->outcap = cap;
    return 0;
}

static void out_add(sconn *c, const char *s, size_t n)
{
    memcpy(c->out + c->outlen, s, n);
    c->outlen += n;
}

/* Appends the test's response (200) to c's output; HEAD gets the headers only. -1: no memory. */
static int respond(sthread *t, sconn *c, int keep_alive, int head)
{
    char body[128];
    size_t blen;
    const char *ctype;
    if (t->spec->test == HP_SERVER_JSON) {
        blen = hp_http_json_hello(body, sizeof body);  /* a fresh serialization per request */
        ctype = "application/json";
    } else {
        memcpy(body, "Hello, World!", 13);
        blen = 13;
        ctype = "text/plain";
    }
    char mid[128];
    int m = snprintf(mid, sizeof mid, "Content-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", ctype, blen,
                     keep_alive ? "" : "Connection: close\r\n");
    if (out_reserve(c, t->head_len + (size_t)m + blen))
        return -1;
    out_add(c, t->head, t->head_len);
    out_add(c, mid, (size_t)m);
    if (!head)
        out_add(c, body, blen);
    return 0;
}

static const char *reason(int code)
{
    switch (code) {
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Bad Request";
    }
}

/* Appends an error response with Connection: close and marks c closing. */
static void respond_error(sthread *t, sconn *c, int code)
{
    refresh_date(t);
    char buf[256];
    char date[HP_HTTPDATE_LEN + 1];
    hp_httpdate(t->date_sec, date);
    int n = snprintf(buf, sizeof buf, "HTTP/1.1 %d %s\r\nServer: hotpath\r\nDate: %s\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n", code, reason(code), date);
    if (out_reserve(c, (size_t)n) == 0)
        out_add(c, buf, (size_t)n);
    c->closing = 1;
}

/* ---- connections ---------------------------------------------------------------------------- */

static void watch(sthread *t, sconn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_free(sthread *t, sconn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    t->nconns--;
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

/* Our side is done: unless the client already closed, shut the write side and keep reading
 * (and dropping) until the client's EOF or LINGER_TIME, so that a close with unread input
 * does not reset the connection before the client has read the last response. Returns -1 if
 * c is freed. */
static int conn_close(sthread *t, sconn *c)
{
    if (c->peer_eof) {
        conn_free(t, c);
        return -1;
    }
    shutdown(c->fd, SHUT_WR);
    c->lingering = 1;
    c->since = t->now;
    free(c->in);
    c->in = NULL;
    c->inlen = c->incap = 0;
    if (c->paused) {
        watch(t, c, EPOLLIN);
        c->paused = 0;
    }
    return 0;
}

/* Writes pending output. When it blocks, reading stops (only EPOLLOUT is watched) until it is
 * all sent: a client that does not read its responses cannot make the server buffer more.
 * Returns -1 if the connection is gone (freed). */
static int conn_flush(sthread *t, sconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t k = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (k > 0) {
            c->outoff += (size_t)k;
            c->since = t->now;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno == EAGAIN) {
            if (!c->paused) {
                watch(t, c, EPOLLOUT);
                c->paused = 1;
            }
            return 0;
        }
        conn_free(t, c);
        return -1;
    }
    c->outoff = c->outlen = 0;
    if (c->outcap > OUT_KEEP) {
        free(c->out);
        c->out = NULL;
        c->outcap = 0;
    }
    if (c->closing)
        return conn_close(t, c);
    if (c->paused) {
        watch(t, c, EPOLLIN);
        c->paused = 0;
        c->since = t->now;
    }
    return 0;
}

/* Answers the complete requests at the front of c's input, while the output stays below
 * OUT_HIGH; keeps the rest (an incomplete request, or more than fits) at the front. A
 * malformed request gets its 4xx/5xx and closes the connection. Returns the number answered. */
static size_t conn_parse(sthread *t, sconn *c)
{
    refresh_date(t);
    size_t off = 0, done = 0;
    while (off < c->inlen && c->outlen < OUT_HIGH) {
        hp_req r;
        int rc = hp_req_parse(c->in + off, c->inlen - off, NULL, &r);
        if (rc == HP_REQ_MORE)
            break;
        if (rc == HP_REQ_BAD) {
            respond_error(t, c, r.status);
            off = c->inlen;
            break;
        }
        done++;
        off += r.len;
        if (respond(t, c, r.keep_alive, r.head) != 0 || !r.keep_alive) {
            c->closing = 1;
            off = c->inlen;
            break;
        }
    }
    if (off) {
        memmove(c->in, c->in + off, c->inlen - off);
        c->inlen -= off;
    }
    if (c->inlen == 0 && c->incap > IN_FIRST) {   /* a big request passed: give it back */
        free(c->in);
        c->in = NULL;
        c->incap = 0;
    }
    return done;
}

static int conn_grow(sconn *c)
{
    size_t cap = c->incap ? c->incap * 2 : IN_FIRST;
    if (cap > IN_MAX)
        cap = IN_MAX;
    if (cap <= c->incap)
        return -1;   /* cannot happen: the parser decides before IN_MAX bytes (reqparse.h) */
    char *p = realloc(c->in, cap);
    if (!p)
        return -1;
    c->in = p;
    c->incap = cap;
    return 0;
}

/* Reads and drops whatever comes on a lingering connection; frees it at EOF or error. */
static void conn_discard(sthread *t, sconn *c)
{
    char buf[16384];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        conn_free(t, c);
        return;
    }
}

/* The test aids: STALL reads and never answers, RESET resets on the first read. */
static void conn_test_aid(sthread *t, sconn *c)
{
    if (t->spec->test == HP_SERVER_RESET) {
        struct linger lg = { 1, 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        conn_free(t, c);
        return;
    }
    conn_discard(t, c);
}

/* The connection is readable (or its blocked output just drained): reads, answers, writes.
 * Reading goes on while the socket has data and the output stays below OUT_HIGH, so a
 * pipelined stream of any length is answered piece by piece, never refused. */
static void conn_run(sthread *t, sconn *c)
{
    if (c->lingering) {
        conn_discard(t, c);
        return;
    }
    if (t->spec->test >= HP_SERVER_RESET) {
        conn_test_aid(t, c);
        return;
    }
    int partial = c->inlen > 0;
    size_t done = 0;
    for (;;) {
        if (c->inlen && !c->closing)
            done += conn_parse(t, c);
        if (c->closing)
            break;
        if (c->outlen >= OUT_HIGH) {   /* send what is answered before reading on */
            if (conn_flush(t, c) != 0 || c->paused)
                return;
            continue;
        }
        if (c->inlen == c->incap && conn_grow(c) != 0) {
            conn_free(t, c);
            return;
        }
        ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
        if (n > 0) {
            c->inlen += (size_t)n;
            if (c->inlen == c->incap)
                continue;              /* maybe more queued: make room and read again */
            done += conn_parse(t, c);  /* most likely all there was: no second recv */
            if (c->outlen >= OUT_HIGH && !c->closing)
                continue;
            break;
        }
        if (n == 0) {                  /* half-close: answer what came, then close */
            c->peer_eof = 1;
            c->closing = 1;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            break;
        conn_free(t, c);
        return;
    }
    /* the request timer runs from a request's first byte; more bytes do not restart it */
    if (done || !partial || !c->inlen)
        c->since = t->now;
    if (c->outlen || c->closing)
        conn_flush(t, c);
}

/* Which timer runs, and its length: lingering, writing (the client does not read), a request
 * under way, or idle between requests. */
static double conn_timeout(const sthread *t, const sconn *c, int *request)
{
    *request = 0;
    if (c->lingering)
        return LINGER_TIME;
    if (c->paused || c->closing)
        return t->idle_timeout;
    if (c->inlen) {
        *request = 1;
        return t->request_timeout;
    }
    return t->idle_timeout;
}

/* Ends the connections whose timer expired: a request under way gets 408, the others are
 * closed. Runs every sweep_every seconds: O(connections), never per request. */
static void sweep(sthread *t)
{
    size_t freed = 0;
    for (sconn *c = t->conns, *next; c; c = next) {
        next = c->next;
        int request;
        double limit = conn_timeout(t, c, &request);
        if (t->now - c->since < limit)
            continue;
        if (request) {
            respond_error(t, c, 408);
            c->inlen = 0;
            if (conn_flush(t, c) == 0 && !c->lingering) {   /* could not even send the 408 */
                conn_free(t, c);
                freed++;
            }
        } else {
            conn_free(t, c);
            freed++;
        }
    }
#ifdef __GLIBC__
    if (freed >= 64)
        malloc_trim(0);   /* many connections ended at once: give their buffers back */
#endif
}

static void on_accept(sthread *t)
{
    for (;;) {
        int fd = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                /* EMFILE, ENFILE, ENOBUFS, ENOMEM: the pending connection stays queued and
                 * the listener readable, so watching it now would spin; pause it a while */
                epoll_ctl(t->ep, EPOLL_CTL_DEL, t->lfd, NULL);
                t->accept_resume = t->now + ACCEPT_BACKOFF;
            }
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sconn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->since = t->now;
        c->next = t->conns;
        if (t->conns)
            t->conns->prev = c;
        t->conns = c;
        t->nconns++;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            conn_free(t, c);
    }
}

/* ---- threads -------------------------------------------------------------------------------- */

static int until_ms(double now, double when, int ms)
{
    double left = (when - now) * 1000;
    if (left < 0)
        return 0;
    return left < ms ? (int)left + 1 : ms;
}

static void *serve(void *arg)
{
    sthread *t = arg;
    struct epoll_event evs[MAXEV];
    t->now = coarse_now();
    t->next_sweep = t->now + t->sweep_every;
    for (;;) {
        int wait_ms = until_ms(t->now, t->next_sweep, 1000);
        if (t->accept_resume > 0)
            wait_ms = until_ms(t->now, t->accept_resume, wait_ms);
        if (t->deadline > 0) {
            double left = t->deadline - hp_clock_monotonic();
            if (left <= 0)
                break;
            if (left * 1000 < wait_ms)
                wait_ms = (int)(left * 1000) + 1;
        }
        int n = epoll_wait(t->ep, evs, MAXEV, wait_ms);
        t->now = coarse_now();
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                on_accept(t);
                continue;
            }
            sconn *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT) {
                if (conn_flush(t, c) != 0)
                    continue;
                if (!c->paused)   /* drained: answer what is buffered, read on */
                    conn_run(t, c);
                continue;
            }
            if (c->paused)   /* EPOLLERR/EPOLLHUP while output waits: the send says */
                conn_flush(t, c);
            else if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                conn_run(t, c);
        }
        if (t->accept_resume > 0 && t->now >= t->accept_resume) {
            struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
            epoll_ctl(t->ep, EPOLL_CTL_ADD, t->lfd, &ev);
            t->accept_resume = 0;
        }
        if (t->now >= t->next_sweep) {
            sweep(t);
            t->next_sweep = t->now + t->sweep_every;
        }
    }
    while (t->conns)
        conn_free(t, t->conns);
    return NULL;
}

static int listen_on(sthread *t, const struct addrinfo *ai, const char *addrtext, char **errmsg)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hp_err_errno(errmsg, "socket for %s", addrtext);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
        int st = hp_err_errno(errmsg, "bind %s", addrtext);
        close(fd);
        return st;
    }
    t->lfd = fd;
    t->ep = epoll_create1(EPOLL_CLOEXEC);
    if (t->ep < 0)
        return hp_err_errno(errmsg, "epoll_create1");
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev);
    return HP_OK;
}

static int check_timeout(double v, const char *name, char **errmsg)
{
    if (!(v >= 0 && v <= 1e6))
        return hp_err(errmsg, HP_EINVAL, "%s must be between 0 and 1e6 seconds, got %g", name, v);
    return HP_OK;
}

int hp_server_run(const hp_server_spec *spec, char **errmsg)
{
    if (spec->port < 1 || spec->port > 65535)
        return hp_err(errmsg, HP_EINVAL, "port must be between 1 and 65535, got %d", spec->port);
    if (spec->test < HP_SERVER_PLAINTEXT || spec->test > HP_SERVER_DB)
        return hp_err(errmsg, HP_EINVAL, "unknown server test %d", spec->test);
    if (spec->threads < 1 || spec->threads > 1024)
        return hp_err(errmsg, HP_EINVAL, "threads must be between 1 and 1024, got %d", spec->threads);
    int st = check_timeout(spec->idle_timeout, "idle_timeout", errmsg);
    if (st == HP_OK)
        st = check_timeout(spec->request_timeout, "request_timeout", errmsg);
    if (st != HP_OK)
        return st;
    if (spec->test == HP_SERVER_DB)
        return hp_dbserver_run(spec, errmsg);
    double idle = spec->idle_timeout > 0 ? spec->idle_timeout : IDLE_TIMEOUT;
    double request = spec->request_timeout > 0 ? spec->request_timeout : REQUEST_TIMEOUT;
    double every = fmin(1.0, fmax(0.01, fmin(idle, request) / 4));
    const char *host = spec->host ? spec->host : "127.0.0.1";
    char addrtext[300];
    snprintf(addrtext, sizeof addrtext, "%s:%d", host, spec->port);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", spec->port);
    int rc = getaddrinfo(host, ps, &hints, &ai);
    if (rc != 0)
        return hp_err(errmsg, HP_ESYS, "cannot resolve '%s': %s", host, gai_strerror(rc));
    sthread *ts = calloc((size_t)spec->threads, sizeof *ts);
    if (!ts) {
        freeaddrinfo(ai);
        return hp_err(errmsg, HP_ENOMEM, "out of memory");
    }
    double deadline = spec->duration > 0 ? hp_clock_monotonic() + spec->duration : 0;
    int n = 0;
    for (; n < spec->threads; n++) {
        ts[n].spec = spec;
        ts[n].deadline = deadline;
        ts[n].idle_timeout = idle;
        ts[n].request_timeout = request;
        ts[n].sweep_every = every;
        ts[n].lfd = ts[n].ep = -1;
        if ((st = listen_on(&ts[n], ai, addrtext, errmsg)) != HP_OK) {
            if (ts[n].lfd >= 0)
                close(ts[n].lfd);
            break;
        }
    }
    freeaddrinfo(ai);
    if (st == HP_OK) {
        if (spec->ready_fd >= 0) {
            (void)!write(spec->ready_fd, "R", 1);
            close(spec->ready_fd);
        }
        int started = 1;
        for (int i = 1; i < n; i++, started++)
            if (pthread_create(&ts[i].th, NULL, serve, &ts[i]) != 0)
                break;
        serve(&ts[0]);
        for (int i = 1; i < started; i++)
            pthread_join(ts[i].th, NULL);
    }
    for (int i = 0; i < n; i++) {
        close(ts[i].lfd);
        close(ts[i].ep);
    }
    free(ts);
    return st;
}
