/* The epoll server core (see srvcore.h). Hostile input: a connection's buffers are bounded
 * (input IN_MAX, output about HP_SRV_OUT_HIGH); every connection has a timer (idle, request,
 * write, linger) checked by a sweep of the thread's connections; a server-side close is staged
 * (shutdown, then discarding what the client still sends) so the last response is not lost to
 * a reset; accept failing for want of descriptors pauses the listener instead of spinning. */
#include "http/srvcore.h"
#include "http/reqparse.h"
#include "common/common.h"
#include "common/error.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    IN_FIRST = 4096,
    IN_MAX = HP_REQ_HEAD_MAX + HP_REQ_BODY_MAX,   /* every request the parser accepts fits */
    OUT_KEEP = 65536,     /* an output buffer grown past this is freed once it is sent */
    MAXEV = 128
};
static const double IDLE_TIMEOUT = 60, REQUEST_TIMEOUT = 10;   /* defaults (server.h) */
static const double LINGER_TIME = 2;        /* discarding input after our close, at most */
static const double ACCEPT_BACKOFF = 0.1;   /* listener paused after EMFILE and the like */

static double coarse_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void refresh_date(hp_srv *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != t->date_sec || !t->date[0]) {
        t->date_sec = ts.tv_sec;
        hp_httpdate(ts.tv_sec, t->date);
    }
}

/* ---- output --------------------------------------------------------------------------------- */

int hp_srv_grow(hp_sconn *c, size_t n)
{
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

const char *hp_srv_reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Bad Request";
    }
}

void hp_srv_error(hp_srv *t, hp_sconn *c, int code)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf, "HTTP/1.1 %d %s\r\nServer: hotpath\r\nDate: %s\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n", code, hp_srv_reason(code), t->date);
    if (hp_srv_reserve(c, (size_t)n) == 0)
        hp_srv_add(c, buf, (size_t)n);
    c->closing = 1;
}

/* ---- connections ---------------------------------------------------------------------------- */

/* What epoll should watch: output when it is blocked; nothing while the connection waits for
 * its pending requests or its close; else input. */
static void set_events(hp_srv *t, hp_sconn *c)
{
    if (c->dead)
        return;
    int held = t->app->max_pending > 0 && c->pending >= t->app->max_pending;
    uint32_t ev = c->paused ? EPOLLOUT : (!c->lingering && (held || c->closing)) ? 0 : EPOLLIN;
    if (ev == c->events)
        return;
    struct epoll_event e = { .events = ev, .data.ptr = c };
    epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &e);
    c->events = ev;
}

/* The connection is gone: closed now; freed now, or with its last pending request. */
static void conn_kill(hp_srv *t, hp_sconn *c)
{
    if (c->dead)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    close(c->fd);
    c->fd = -1;
    c->dead = 1;
    free(c->in);
    free(c->out);
    c->in = c->out = NULL;
    c->inlen = c->incap = c->outlen = c->outoff = c->outcap = 0;
    if (c->pending == 0 && !c->touched)
        free(c);
}

void hp_srv_close_now(hp_srv *t, hp_sconn *c) { conn_kill(t, c); }

void hp_srv_release(hp_srv *t, hp_sconn *c)
{
    (void)t;
    c->pending--;
    if (c->dead && c->pending == 0 && !c->touched)
        free(c);
}

void hp_srv_touch(hp_srv *t, hp_sconn *c)
{
    if (!c->touched && !c->dead) {
        c->touched = 1;
        c->touched_next = t->touched;
        t->touched = c;
    }
}

/* Our side is done: unless the client already closed, shut the write side and keep reading
 * (and dropping) until the client's EOF or LINGER_TIME, so that a close with unread input
 * does not reset the connection before the client has read the last response. Returns -1 if
 * c is gone (it may be freed). */
static int conn_close(hp_srv *t, hp_sconn *c)
{
    if (c->peer_eof) {
        conn_kill(t, c);
        return -1;
    }
    shutdown(c->fd, SHUT_WR);
    c->lingering = 1;
    c->since = t->now;
    free(c->in);
    c->in = NULL;
    c->inlen = c->incap = 0;
    c->paused = 0;
    set_events(t, c);
    return 0;
}

/* Writes pending output. When it blocks, reading stops (only EPOLLOUT is watched) until it is
 * all sent: a client that does not read its responses cannot make the server buffer more.
 * Returns -1 if the connection is gone. */
static int conn_flush(hp_srv *t, hp_sconn *c)
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
            c->paused = 1;
            set_events(t, c);
            return 0;
        }
        conn_kill(t, c);
        return -1;
    }
    c->outoff = c->outlen = 0;
    if (c->outcap > OUT_KEEP) {
        free(c->out);
        c->out = NULL;
        c->outcap = 0;
    }
    int was_paused = c->paused;
    if (was_paused) {
        c->paused = 0;
        c->since = t->now;
    }
    if (c->closing && c->pending == 0 && !c->lingering)
        return conn_close(t, c);   /* never read c after: a killed one may be freed */
    if (was_paused || c->pending || c->closing || c->events != EPOLLIN)   /* else unchanged */
        set_events(t, c);
    return 0;
}

static int conn_grow(hp_sconn *c)
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

void hp_srv_discard(hp_srv *t, hp_sconn *c)
{
    char buf[16384];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        conn_kill(t, c);
        return;
    }
}

/* The application's parse, then the input it is done with leaves the buffer (a big buffer
 * that a large request needed is given back once empty). */
static size_t conn_parse(hp_srv *t, hp_sconn *c)
{
    size_t used = 0, done = t->app->parse(t, c, &used);
    if (used) {
        memmove(c->in, c->in + used, c->inlen - used);
        c->inlen -= used;
    }
    if (c->inlen == 0 && c->incap > IN_FIRST) {
        free(c->in);
        c->in = NULL;
        c->incap = 0;
    }
    return done;
}

static int held(const hp_srv *t, const hp_sconn *c)
{
    return t->app->max_pending > 0 && c->pending >= t->app->max_pending;
}

/* The connection is readable (or its blocked output just drained): reads, parses, writes.
 * Reading goes on while the socket has data, the output stays below HP_SRV_OUT_HIGH and the
 * pending limit is not reached, so a pipelined stream of any length is answered piece by
 * piece, never refused. */
static void conn_run(hp_srv *t, hp_sconn *c)
{
    if (c->lingering) {
        hp_srv_discard(t, c);
        return;
    }
    if (t->app->readable) {
        t->app->readable(t, c);
        return;
    }
    int partial = c->inlen > 0;
    size_t done = 0;
    for (;;) {
        if (c->inlen && !c->closing)
            done += conn_parse(t, c);
        if (c->closing || held(t, c))
            break;
        if (c->outlen >= HP_SRV_OUT_HIGH) {   /* send what is answered before reading on */
            if (conn_flush(t, c) != 0 || c->paused)
                return;
            continue;
        }
        if (c->inlen == c->incap && conn_grow(c) != 0) {
            conn_kill(t, c);
            return;
        }
        ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
        if (n > 0) {
            c->inlen += (size_t)n;
            if (c->inlen == c->incap)
                continue;              /* maybe more queued: make room and read again */
            done += conn_parse(t, c);  /* most likely all there was: no second recv */
            if (c->outlen >= HP_SRV_OUT_HIGH && !c->closing)
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
        conn_kill(t, c);
        return;
    }
    /* the request timer runs from a request's first byte; more bytes do not restart it */
    if (done || !partial || !c->inlen)
        c->since = t->now;
    if (c->outlen || c->closing)
        conn_flush(t, c);
    else
        set_events(t, c);
}

/* The connections that got responses outside their own event: send them, and let the ones
 * that waited (input left unparsed, or not read at the pending limit) read on. */
static void run_touched(hp_srv *t)
{
    while (t->touched) {
        hp_sconn *c = t->touched;
        t->touched = c->touched_next;
        c->touched = 0;
        if (c->dead) {
            if (c->pending == 0)
                free(c);
            continue;
        }
        int waited = c->inlen > 0 || c->events == 0;
        if (conn_flush(t, c) != 0)
            continue;
        if (waited && !c->paused && !c->closing && !held(t, c))
            conn_run(t, c);
    }
}

/* Which timer runs, and its length: lingering, writing (the client does not read), a request
 * under way, or idle between requests. */
static double conn_timeout(const hp_srv *t, const hp_sconn *c, int *request)
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
 * closed. A connection with pending requests waits for them (its timer does not run). Runs
 * every sweep_every seconds: O(connections), never per request. */
static void sweep(hp_srv *t)
{
    size_t freed = 0;
    for (hp_sconn *c = t->conns, *next; c; c = next) {
        next = c->next;
        int request;
        double limit = conn_timeout(t, c, &request);
        if (c->pending || t->now - c->since < limit)
            continue;
        if (request) {
            hp_srv_error(t, c, 408);
            c->inlen = 0;
            if (conn_flush(t, c) == 0 && !c->lingering) {   /* could not even send the 408 */
                conn_kill(t, c);
                freed++;
            }
        } else {
            conn_kill(t, c);
            freed++;
        }
    }
#ifdef __GLIBC__
    if (freed >= 64)
        malloc_trim(0);   /* many connections ended at once: give their buffers back */
#endif
}

static void on_accept(hp_srv *t)
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
        hp_sconn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->since = t->now;
        c->events = EPOLLIN;
        c->next = t->conns;
        if (t->conns)
            t->conns->prev = c;
        t->conns = c;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            conn_kill(t, c);
    }
}

/* ---- the watched descriptor ----------------------------------------------------------------- */

int hp_srv_watch(hp_srv *t, int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = &t->watch_tag };
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        return -1;
    t->watch_fd = fd;
    t->watch_events = events;
    return 0;
}

void hp_srv_rewatch(hp_srv *t, uint32_t events)
{
    if (t->watch_fd < 0 || events == t->watch_events)
        return;
    struct epoll_event ev = { .events = events, .data.ptr = &t->watch_tag };
    epoll_ctl(t->ep, EPOLL_CTL_MOD, t->watch_fd, &ev);
    t->watch_events = events;
}

void hp_srv_unwatch(hp_srv *t)
{
    if (t->watch_fd >= 0)
        epoll_ctl(t->ep, EPOLL_CTL_DEL, t->watch_fd, NULL);
    t->watch_fd = -1;
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
    hp_srv *t = arg;
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
        refresh_date(t);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == NULL) {
                on_accept(t);
                continue;
            }
            if (p == &t->watch_tag) {
                t->app->watched(t, evs[i].events);
                continue;
            }
            hp_sconn *c = p;
            if (c->dead)
                continue;
            if (evs[i].events & EPOLLOUT) {
                if (conn_flush(t, c) == 0 && !c->paused && !c->closing)
                    conn_run(t, c);   /* drained: answer what is buffered, read on */
            } else if (c->paused) {
                conn_flush(t, c);     /* EPOLLERR/EPOLLHUP while output waits: the send says */
            } else {
                conn_run(t, c);
            }
        }
        run_touched(t);
        if (t->app->batch_end)
            t->app->batch_end(t);
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
    if (t->app->thread_end)
        t->app->thread_end(t);
    while (t->touched) {
        hp_sconn *c = t->touched;
        t->touched = c->touched_next;
        c->touched = 0;
        if (c->dead && c->pending == 0)
            free(c);
    }
    while (t->conns)
        conn_kill(t, t->conns);
    return NULL;
}

static int listen_on(hp_srv *t, const struct addrinfo *ai, const char *addrtext, char **errmsg)
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

int hp_srv_run(const hp_server_spec *spec, const hp_srv_app *app, char **errmsg)
{
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
    hp_srv *ts = calloc((size_t)spec->threads, sizeof *ts);
    if (!ts) {
        freeaddrinfo(ai);
        return hp_err(errmsg, HP_ENOMEM, "out of memory");
    }
    double deadline = spec->duration > 0 ? hp_clock_monotonic() + spec->duration : 0;
    int st = HP_OK, n = 0;
    for (; n < spec->threads && st == HP_OK; n++) {
        hp_srv *t = &ts[n];
        t->spec = spec;
        t->app = app;
        t->deadline = deadline;
        t->idle_timeout = idle;
        t->request_timeout = request;
        t->sweep_every = every;
        t->lfd = t->ep = t->watch_fd = -1;
        if (app->data_size && !(t->data = calloc(1, app->data_size)))
            st = hp_err(errmsg, HP_ENOMEM, "out of memory");
        if (st == HP_OK)
            st = listen_on(t, ai, addrtext, errmsg);
        if (st == HP_OK && app->thread_init)
            st = app->thread_init(t, n, errmsg);
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
        if (app->thread_free)
            app->thread_free(&ts[i]);
        if (ts[i].lfd >= 0)
            close(ts[i].lfd);
        if (ts[i].ep >= 0)
            close(ts[i].ep);
        free(ts[i].data);
    }
    free(ts);
    return st;
}
