/* Reference servers (see server.h). One epoll loop per thread, each with its own
 * SO_REUSEPORT listener, so threads share nothing but the deadline. */
#include "http/server.h"
#include "http/httpdate.h"
#include "http/body.h"
#include "http/text.h"
#include "common/common.h"
#include "common/error.h"

#include <arpa/inet.h>
#include <errno.h>
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

enum { IN_MAX = 65536, IN_FIRST = 4096, MAXEV = 128 };

typedef struct sconn {
    int fd;
    int closing;            /* close once the output is flushed */
    int out_armed;
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
    time_t date_sec;
    char head[256];         /* response head up to and including "Date: ...\r\n" */
    size_t head_len;
} sthread;

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

static int out_add(sconn *c, const char *s, size_t n)
{
    if (out_reserve(c, n))
        return -1;
    memcpy(c->out + c->outlen, s, n);
    c->outlen += n;
    return 0;
}

/* Appends the test's response (200) to c's output; HEAD gets the headers only. */
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

static void respond_error(sthread *t, sconn *c, int code, const char *reason)
{
    char buf[256];
    char date[HP_HTTPDATE_LEN + 1];
    hp_httpdate(t->date_sec, date);
    int n = snprintf(buf, sizeof buf, "HTTP/1.1 %d %s\r\nServer: hotpath\r\nDate: %s\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n", code, reason, date);
    out_add(c, buf, (size_t)n);
    c->closing = 1;
}

/* ---- requests ------------------------------------------------------------------------------- */

/* Parses the request at the front of [p, p+n). Returns its total length (head and body),
 * 0 if incomplete, -1 if malformed. Sets *keep_alive and *head (the method is HEAD). */
static long parse_request(const char *p, size_t n, int *keep_alive, int *head)
{
    const char *end = memmem(p, n, "\r\n\r\n", 4);
    if (!end)
        return n > IN_MAX - 1 ? -1 : 0;
    size_t hlen = (size_t)(end - p) + 4;
    const char *eol = memchr(p, '\n', hlen);
    /* request line: METHOD SP target SP HTTP/1.x */
    size_t ll = (size_t)(eol - p) - 1;
    if (ll < 14 || memcmp(p + ll - 8, "HTTP/1.", 7) != 0 || p[ll - 9] != ' ' || !memchr(p, ' ', ll - 9))
        return -1;
    int minor = p[ll - 1] - '0';
    if (minor != 0 && minor != 1)
        return -1;
    *keep_alive = minor == 1;
    *head = ll > 5 && memcmp(p, "HEAD ", 5) == 0;
    uint64_t clen = 0;
    const char *h = eol + 1;
    while (h < end) {
        const char *e = memchr(h, '\n', (size_t)(end + 2 - h));
        size_t hl = (size_t)(e - h) - 1;
        const char *colon = memchr(h, ':', hl);
        if (!colon)
            return -1;
        size_t nl = (size_t)(colon - h);
        const char *v = colon + 1;
        size_t vl = hl - nl - 1;
        if (hp_http_name_is(h, nl, "connection")) {
            if (hp_http_has_token(v, vl, "close"))
                *keep_alive = 0;
            else if (hp_http_has_token(v, vl, "keep-alive"))
                *keep_alive = 1;
        } else if (hp_http_name_is(h, nl, "content-length")) {
            char *q;
            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            unsigned long long x = strtoull(v, &q, 10);
            if (q == v || x > IN_MAX)
                return -1;
            clen = x;
        } else if (hp_http_name_is(h, nl, "transfer-encoding")) {
            return -1; /* chunked request bodies are not part of these tests */
        }
        h = e + 1;
    }
    if (hlen + clen > n)
        return hlen + clen > IN_MAX ? -1 : 0;
    return (long)(hlen + clen);
}

/* ---- connections ---------------------------------------------------------------------------- */

static void conn_free(sconn *c)
{
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

/* Writes pending output. Returns -1 if the connection is gone (freed). */
static int conn_flush(sthread *t, sconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t k = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (k > 0) {
            c->outoff += (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno == EAGAIN) {
            if (!c->out_armed) {
                struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
                epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->out_armed = 1;
            }
            return 0;
        }
        conn_free(c);
        return -1;
    }
    c->outoff = c->outlen = 0;
    if (c->out_armed) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->out_armed = 0;
    }
    if (c->closing) {
        conn_free(c);
        return -1;
    }
    return 0;
}

static void on_readable(sthread *t, sconn *c)
{
    int test = t->spec->test;
    for (;;) {
        if (c->inlen == c->incap) {
            size_t cap = c->incap ? c->incap * 2 : IN_FIRST;
            char *p = cap <= IN_MAX ? realloc(c->in, cap) : NULL;
            if (!p) {
                conn_free(c);
                return;
            }
            c->in = p;
            c->incap = cap;
        }
        ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            conn_free(c);
            return;
        }
        if (n < 0)
            break;
        c->inlen += (size_t)n;
        if (c->inlen < c->incap)
            break;
    }
    if (test == HP_SERVER_STALL) {
        c->inlen = 0;
        return;
    }
    if (test == HP_SERVER_RESET) {
        struct linger lg = { 1, 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        conn_free(c);
        return;
    }
    refresh_date(t);
    size_t off = 0;
    while (off < c->inlen && !c->closing) {
        int keep = 1, head = 0;
        long r = parse_request(c->in + off, c->inlen - off, &keep, &head);
        if (r == 0)
            break;
        if (r < 0) {
            respond_error(t, c, 400, "Bad Request");
            off = c->inlen;
            break;
        }
        if (respond(t, c, keep, head) != 0) {
            conn_free(c);
            return;
        }
        if (!keep)
            c->closing = 1;
        off += (size_t)r;
    }
    if (off) {
        memmove(c->in, c->in + off, c->inlen - off);
        c->inlen -= off;
    }
    if (c->outlen)
        conn_flush(t, c);
}

static void on_accept(sthread *t)
{
    for (;;) {
        int fd = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or out of descriptors: try again on the next event */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sconn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            conn_free(c);
    }
}

/* ---- threads -------------------------------------------------------------------------------- */

static void *serve(void *arg)
{
    sthread *t = arg;
    struct epoll_event evs[MAXEV];
    for (;;) {
        int wait_ms = 1000;
        if (t->deadline > 0) {
            double left = t->deadline - hp_clock_monotonic();
            if (left <= 0)
                break;
            if (left * 1000 < wait_ms)
                wait_ms = (int)(left * 1000) + 1;
        }
        int n = epoll_wait(t->ep, evs, MAXEV, wait_ms);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                on_accept(t);
                continue;
            }
            sconn *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT) {
                if (conn_flush(t, c) != 0)
                    continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(t, c);
        }
    }
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

int hp_server_run(const hp_server_spec *spec, char **errmsg)
{
    if (spec->port < 1 || spec->port > 65535)
        return hp_err(errmsg, HP_EINVAL, "port must be between 1 and 65535, got %d", spec->port);
    if (spec->test < HP_SERVER_PLAINTEXT || spec->test > HP_SERVER_STALL)
        return hp_err(errmsg, HP_EINVAL, "unknown server test %d", spec->test);
    if (spec->threads < 1 || spec->threads > 1024)
        return hp_err(errmsg, HP_EINVAL, "threads must be between 1 and 1024, got %d", spec->threads);
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
    int n = 0, st = HP_OK;
    for (; n < spec->threads; n++) {
        ts[n].spec = spec;
        ts[n].deadline = deadline;
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
