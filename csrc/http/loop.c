/* One load-generator thread: an epoll loop over its connections.
 *
 * Syscall budget per request (what makes it cheaper than wrk): one read per readable batch of
 * responses, one send per refill (k requests in one send), a share of one epoll_pwait2; EPOLLOUT
 * is armed only after a send hits EAGAIN (and while connecting). The parser is streaming, so
 * connections need no read buffer: one 64 KiB buffer per thread serves them all.
 *
 * Edge-triggered: every handler drains what it was woken for (reads until a short read or
 * EAGAIN, writes until done or EAGAIN), so an edge is never lost; level-triggered epoll re-polled
 * each socket it had just reported on the next epoll_pwait2, a sock_poll per request for nothing
 * (its cost is measured in doc/http.md).
 *
 * A short read drains the data but not a FIN queued behind it: recv returns the data and
 * leaves the end of the stream for the next call, and no new edge comes for a FIN that had
 * already arrived. So sockets are registered with EPOLLRDHUP, and when an event carries it
 * (or EPOLLHUP) the reader goes on to the end of the stream: a response framed by the close,
 * or a body cut short, is seen at once, at the cost of one more recv only when the peer
 * closed. (A FIN arriving after epoll reported the socket raises a new edge: not missed.) */
#include "http/load_internal.h"
#include "http/parser.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { C_CLOSED = 0, C_CONNECTING, C_OPEN };
enum { EV_BASE = EPOLLIN | EPOLLRDHUP | EPOLLET, EV_PEER_DONE = EPOLLRDHUP | EPOLLHUP | EPOLLERR };
enum { RBUF = 65536, MAXEV = 256 };
static const uint64_t MS = 1000000;
static const uint64_t SPIN = 100000; /* ns of busy polling before a scheduled send */

typedef struct slot {          /* one request in flight */
    uint64_t intended, sent;
    int phase;
} slot;

typedef struct conn {
    int fd, state;
    int out_armed;             /* EPOLLOUT in the interest set */
    int idle_listed;           /* on the idle stack (constant-rate mode) */
    uint32_t head, inflight;   /* ring of pipeline slots */
    size_t wleft;              /* request bytes queued but not yet written */
    uint64_t written;          /* bytes written on this connection (offset into reqbuf) */
    uint64_t since;            /* connect start (for connect timeouts) */
    uint64_t reconnect_at;     /* C_CLOSED: when to try again */
    uint64_t answered;         /* responses on this connection since it opened */
    slot *ring;
    hp_http_parser parser;
} conn;

typedef struct loop {
    load_worker *w;
    load_shared *sh;
    int ep;
    conn *c;
    int n;
    int *idle;                 /* stack of connections with room for a request (rate mode) */
    int nidle;
    uint64_t *backlog;         /* intended times of sends waiting for a connection (FIFO) */
    size_t bl_head, bl_len, bl_cap;
    int phase;                 /* current phase */
    int closed_loop;           /* current phase is closed loop */
    uint64_t seq, next_send;   /* constant rate: this thread's next send */
    uint64_t inflight;         /* over all connections */
    int tickets_out;           /* requests mode: no tickets left */
    uint64_t done;             /* responses, all phases (progress) */
} loop;

uint64_t hp_load_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void note_error(loop *L, const char *what, int err)
{
    if (L->w->first_error[0])
        return;
    char buf[96];
    const char *t = err ? strerror_r(err, buf, sizeof buf) : "";
    snprintf(L->w->first_error, sizeof L->w->first_error, "%s %s%s%s", what, L->sh->addrtext,
             err ? ": " : "", t);
}

/* ---- connections ---------------------------------------------------------------------------- */

static void conn_close(loop *L, conn *c, uint64_t retry_at)
{
    if (c->fd >= 0) {
        close(c->fd); /* also leaves the epoll set */
        c->fd = -1;
    }
    L->inflight -= c->inflight;
    c->inflight = 0;
    c->head = 0;
    c->wleft = 0;
    c->written = 0;
    c->state = C_CLOSED;
    c->out_armed = 0;
    c->reconnect_at = retry_at;
}

/* A connect that failed (at once or when it completed): counted as refused or as another
 * connect error, its message kept, the connection retried 10 ms later. */
static void connect_failed(loop *L, conn *c, int err, uint64_t now)
{
    if (err == ECONNREFUSED)
        L->w->refused++;
    else
        L->w->connect_errors++;
    note_error(L, "connect to", err);
    conn_close(L, c, now + 10 * MS);
}

/* Requests in flight on c are lost: count them against their phases. */
static void lose_inflight(loop *L, conn *c)
{
    uint32_t p = (uint32_t)L->sh->pipeline;
    for (uint32_t i = 0; i < c->inflight; i++)
        L->w->pr[c->ring[(c->head + i) % p].phase].errors++;
}

static void conn_open(loop *L, conn *c, uint64_t now)
{
    load_shared *sh = L->sh;
    int fd = socket(sh->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        L->w->connect_errors++;
        note_error(L, "socket for", errno);
        c->reconnect_at = now + 100 * MS;
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->since = now;
    c->answered = 0;
    hp_http_parser_init(&c->parser);
    c->parser.head = sh->head;
    L->w->connects++;
    int rc = connect(fd, (struct sockaddr *)&sh->addr, sh->addrlen);
    if (rc != 0 && errno != EINPROGRESS) {
        connect_failed(L, c, errno, now);
        return;
    }
    struct epoll_event ev = { .events = EV_BASE | EPOLLOUT, .data.u32 = (uint32_t)(c - L->c) };
    epoll_ctl(L->ep, EPOLL_CTL_ADD, fd, &ev);
    c->out_armed = 1;
    c->state = C_CONNECTING;
}

static void set_out(loop *L, conn *c, int on)
{
    if (c->out_armed == on)
        return;
    struct epoll_event ev = { .events = EV_BASE | (on ? EPOLLOUT : 0), .data.u32 = (uint32_t)(c - L->c) };
    epoll_ctl(L->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->out_armed = on;
}

/* Writes queued bytes. Returns 0, or -1 after the connection was dropped. */
static int conn_flush(loop *L, conn *c, uint64_t now)
{
    size_t len = L->sh->req_len;
    while (c->wleft) {
        size_t off = (size_t)(c->written % len);
        ssize_t k = send(c->fd, L->sh->reqbuf + off, c->wleft, MSG_NOSIGNAL);
        if (k > 0) {
            c->wleft -= (size_t)k;
            c->written += (uint64_t)k;
            continue;
        }
        if (k < 0 && errno == EAGAIN) {
            set_out(L, c, 1);
            return 0;
        }
        if (k < 0 && errno == EINTR)
            continue;
        int e = k < 0 ? errno : EPIPE;
        L->w->reset++;
        note_error(L, "send to", e);
        lose_inflight(L, c);
        conn_close(L, c, now);
        return -1;
    }
    set_out(L, c, 0);
    return 0;
}

/* Queues k requests (k <= room) with their times; does not write. */
static void conn_queue(loop *L, conn *c, uint32_t k, const uint64_t *intended, uint64_t now)
{
    uint32_t p = (uint32_t)L->sh->pipeline;
    for (uint32_t i = 0; i < k; i++) {
        slot *s = &c->ring[(c->head + c->inflight) % p];
        s->sent = now;
        s->intended = intended ? intended[i] : now;
        int ph = L->phase;
        /* a backlogged send belongs to the phase it was scheduled in */
        while (ph > 0 && s->intended < L->sh->phase_start[ph])
            ph--;
        s->phase = ph;
        L->w->pr[ph].sent++;
        if (intended && now - intended[i] > MS)
            L->w->pr[ph].late++;
        c->inflight++;
    }
    L->inflight += k;
    c->wleft += (size_t)k * L->sh->req_len;
}

/* Closed loop: tops the connection up to `pipeline` requests in flight. */
static void conn_fill(loop *L, conn *c, uint64_t now)
{
    if (c->state != C_OPEN || L->tickets_out)
        return;
    uint32_t k = (uint32_t)L->sh->pipeline - c->inflight;
    if (k == 0)
        return;
    if (L->sh->requests_limit) {
        uint64_t base = atomic_fetch_add_explicit(&L->sh->tickets, k, memory_order_relaxed);
        if (base >= L->sh->requests_limit) {
            L->tickets_out = 1;
            return;
        }
        if (base + k > L->sh->requests_limit)
            k = (uint32_t)(L->sh->requests_limit - base);
    }
    conn_queue(L, c, k, NULL, now);
    conn_flush(L, c, now);
}

static void idle_push(loop *L, conn *c)
{
    if (c->idle_listed || c->state != C_OPEN || c->inflight >= (uint32_t)L->sh->pipeline)
        return;
    c->idle_listed = 1;
    L->idle[L->nidle++] = (int)(c - L->c);
}

/* An idle open connection, or NULL (entries that went stale are dropped). */
static conn *idle_pop(loop *L)
{
    while (L->nidle) {
        conn *c = &L->c[L->idle[--L->nidle]];
        c->idle_listed = 0;
        if (c->state == C_OPEN && c->inflight < (uint32_t)L->sh->pipeline)
            return c;
    }
    return NULL;
}

static int backlog_push(loop *L, uint64_t t)
{
    if (L->bl_len == L->bl_cap) {
        size_t cap = L->bl_cap ? L->bl_cap * 2 : 1024;
        uint64_t *b = malloc(cap * sizeof *b);
        if (!b)
            return -1;
        for (size_t i = 0; i < L->bl_len; i++)
            b[i] = L->backlog[(L->bl_head + i) % L->bl_cap];
        free(L->backlog);
        L->backlog = b;
        L->bl_cap = cap;
        L->bl_head = 0;
    }
    L->backlog[(L->bl_head + L->bl_len) % L->bl_cap] = t;
    L->bl_len++;
    hp_load_phase_result *pr = &L->w->pr[L->phase];
    if (L->bl_len > pr->backlog_max)
        pr->backlog_max = L->bl_len;
    return 0;
}

/* Constant rate: one request with the given intended time on c. */
static void send_one(loop *L, conn *c, uint64_t intended, uint64_t now)
{
    conn_queue(L, c, 1, &intended, now);
    if (conn_flush(L, c, now) == 0)
        idle_push(L, c);
}

/* Constant rate: backlogged sends go first, to whatever connection is free. */
static void drain_backlog(loop *L, uint64_t now)
{
    while (L->bl_len) {
        conn *c = idle_pop(L);
        if (!c)
            return;
        uint64_t t = L->backlog[L->bl_head];
        L->bl_head = (L->bl_head + 1) % L->bl_cap;
        L->bl_len--;
        send_one(L, c, t, now);
    }
}

/* ---- responses ------------------------------------------------------------------------------ */

static void complete(loop *L, conn *c, uint64_t now)
{
    uint32_t p = (uint32_t)L->sh->pipeline;
    if (c->inflight == 0) { /* a response nobody asked for */
        L->w->parse_errors++;
        return;
    }
    slot *s = &c->ring[c->head];
    c->head = (c->head + 1) % p;
    c->inflight--;
    c->answered++;
    L->inflight--;
    int ph = s->phase;
    hp_load_phase_result *pr = &L->w->pr[ph];
    pr->requests++;
    L->done++;
    hp_hist_record(L->w->lat[ph], now - s->intended);
    hp_hist_record(L->w->svc[ph], now - s->sent);
    if (!L->sh->warmup || ph > 0)
        L->w->status[c->parser.status]++;
}

/* Drops c after an error or the server's close; requests in flight are lost. */
static void drop(loop *L, conn *c, uint64_t now, uint64_t *counter, const char *what, int err)
{
    if (counter)
        (*counter)++;
    if (what)
        note_error(L, what, err);
    lose_inflight(L, c);
    conn_close(L, c, now);
}

/* The server ended the connection cleanly, every request answered: reopen it. One that had
 * answered something is reopened at once (a server that closes after each response, as
 * Connection: close or a close-framed body asks, runs at full speed); one that had not waits
 * for housekeeping, so a server that closes every connection unanswered is not spun on. */
static void closed_cleanly(loop *L, conn *c, uint64_t now)
{
    int again = c->answered > 0;
    conn_close(L, c, now);
    if (again && !L->tickets_out)
        conn_open(L, c, now);
}

/* The server closed c with requests unanswered ("closed early"): mid-response when the parser
 * was inside one (a body shorter than its Content-Length, a cut chunk or header). */
static void closed_early(loop *L, conn *c, uint64_t now, int mid_response)
{
    if (!L->w->first_error[0])
        snprintf(L->w->first_error, sizeof L->w->first_error, "connection closed by %s%s", L->sh->addrtext,
                 mid_response ? " mid-response" : " with requests unanswered");
    drop(L, c, now, &L->w->closed, NULL, 0);
}

/* Reads what c has; `events` is what epoll reported (EV_PEER_DONE bits: read to the end). */
static void on_readable(loop *L, conn *c, char *rbuf, uint64_t now, uint32_t events)
{
    for (;;) {
        ssize_t n = recv(c->fd, rbuf, RBUF, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            int e = errno;
            drop(L, c, now, e == ECONNRESET || e == EPIPE ? &L->w->reset : &L->w->connect_errors, "receive from", e);
            return;
        }
        if (n == 0) {
            int rc = hp_http_parse_eof(&c->parser);
            if (rc == HP_HTTP_DONE)
                complete(L, c, now);
            if (rc == HP_HTTP_ERROR)
                closed_early(L, c, now, 1);
            else if (c->inflight)
                closed_early(L, c, now, 0);
            else
                closed_cleanly(L, c, now);
            return;
        }
        L->w->pr[L->phase].bytes += (uint64_t)n;
        size_t off = 0;
        int close_after = 0;
        while (off < (size_t)n) {
            size_t used;
            int rc = hp_http_parse(&c->parser, rbuf + off, (size_t)n - off, &used);
            off += used;
            if (rc == HP_HTTP_DONE) {
                complete(L, c, now);
                if (!c->parser.keep_alive) {
                    close_after = 1;
                    break;
                }
            } else if (rc == HP_HTTP_ERROR) {
                if (!L->w->first_error[0])
                    snprintf(L->w->first_error, sizeof L->w->first_error,
                             "bad response from %s: %s", L->sh->addrtext, c->parser.error);
                drop(L, c, now, &L->w->parse_errors, NULL, 0);
                return;
            }
        }
        if (close_after) {
            if (c->inflight)
                closed_early(L, c, now, 0);
            else
                closed_cleanly(L, c, now);
            return;
        }
        if ((size_t)n < RBUF && !(events & EV_PEER_DONE))
            break;
    }
    /* Closed loop too: the next request leaves after every ready response was read (run()). */
    idle_push(L, c);
}

static void on_connected(loop *L, conn *c, uint64_t now)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        connect_failed(L, c, err, now);
        return;
    }
    c->state = C_OPEN;
    set_out(L, c, 0);
    if (L->closed_loop)
        conn_fill(L, c, now);
    else
        idle_push(L, c);
}

/* ---- the loop ------------------------------------------------------------------------------- */

/* Every 10 ms: requests past their timeout, connects that hang, reconnects due. */
static void housekeeping(loop *L, uint64_t now)
{
    uint64_t to = L->sh->timeout_ns;
    uint32_t p = (uint32_t)L->sh->pipeline;
    for (int i = 0; i < L->n; i++) {
        conn *c = &L->c[i];
        if (c->state == C_OPEN && c->inflight && now - c->ring[c->head].sent > to) {
            L->w->timeouts += c->inflight;
            for (uint32_t k = 0; k < c->inflight; k++)
                L->w->pr[c->ring[(c->head + k) % p].phase].errors++;
            if (!L->w->first_error[0])
                snprintf(L->w->first_error, sizeof L->w->first_error,
                         "timeout: no response from %s within %.3g s", L->sh->addrtext, (double)to / 1e9);
            conn_close(L, c, now);
        } else if (c->state == C_CONNECTING && now - c->since > to) {
            L->w->connect_errors++;
            if (!L->w->first_error[0])
                snprintf(L->w->first_error, sizeof L->w->first_error,
                         "timeout connecting to %s", L->sh->addrtext);
            conn_close(L, c, now);
        }
        if (c->state == C_CLOSED && now >= c->reconnect_at && !L->tickets_out)
            conn_open(L, c, now);
    }
}

static void enter_phase(loop *L, int ph, uint64_t now)
{
    load_shared *sh = L->sh;
    L->phase = ph;
    atomic_store_explicit(&L->w->prog_phase, ph, memory_order_relaxed);
    L->closed_loop = sh->phases[ph].rate <= 0;
    L->seq = 0;
    if (L->closed_loop) {
        for (int i = 0; i < L->n; i++)
            conn_fill(L, &L->c[i], now);
    } else {
        double per = 1e9 / sh->phases[ph].rate;
        L->next_send = sh->phase_start[ph] + (uint64_t)((double)L->w->index * per);
        L->nidle = 0;
        for (int i = 0; i < L->n; i++) {
            L->c[i].idle_listed = 0;
            idle_push(L, &L->c[i]);
        }
    }
}

static void run(loop *L)
{
    load_shared *sh = L->sh;
    load_worker *w = L->w;
    char *rbuf = malloc(RBUF);
    struct epoll_event *evs = malloc(sizeof *evs * MAXEV);
    if (!rbuf || !evs) {
        snprintf(w->first_error, sizeof w->first_error, "out of memory");
        goto out;
    }
    uint64_t now = hp_load_now_ns();
    uint64_t end = sh->phase_start[sh->nphases];
    for (int i = 0; i < L->n; i++)
        conn_open(L, &L->c[i], now);
    enter_phase(L, 0, now);
    uint64_t next_house = now + 10 * MS;
    int use_pwait2 = 1;
    for (;;) {
        now = hp_load_now_ns();
        if (now >= end || atomic_load_explicit(&sh->stop, memory_order_relaxed))
            break;
        if (L->tickets_out && L->inflight == 0)
            break;
        while (L->phase + 1 < sh->nphases && now >= sh->phase_start[L->phase + 1])
            enter_phase(L, L->phase + 1, now);
        if (!L->closed_loop) {
            double rate = sh->phases[L->phase].rate;
            uint64_t pend = sh->phase_start[L->phase + 1];
            drain_backlog(L, now);
            while (L->next_send <= now && L->next_send < pend) {
                conn *c = L->bl_len ? NULL : idle_pop(L);
                if (c)
                    send_one(L, c, L->next_send, now);
                else if (backlog_push(L, L->next_send) != 0)
                    w->pr[L->phase].errors++;
                L->seq++;
                L->next_send = sh->phase_start[L->phase]
                    + (uint64_t)(((double)L->seq * sh->threads + w->index) * 1e9 / rate);
            }
        }
        if (now >= next_house) {
            housekeeping(L, now);
            next_house = now + 10 * MS;
            atomic_store_explicit(&w->prog_requests, L->done, memory_order_relaxed);
            atomic_store_explicit(&w->prog_errors, w->reset + w->closed + w->timeouts + w->parse_errors
                                  + w->refused + w->connect_errors, memory_order_relaxed);
        }
        /* sleep until the next due event: a send, a phase change, housekeeping, the end */
        uint64_t wake = next_house;
        if (L->phase + 1 <= sh->nphases && sh->phase_start[L->phase + 1] < wake)
            wake = sh->phase_start[L->phase + 1];
        if (!L->closed_loop && L->next_send < wake)
            wake = L->next_send;
        uint64_t dt = wake > now ? wake - now : 0;
        /* A send is due: sleep until SPIN before it, then poll without sleeping, so the send
         * leaves on time instead of a timer wake-up late (tens of microseconds when idle). */
        if (!L->closed_loop && wake == L->next_send)
            dt = dt > SPIN ? dt - SPIN : 0;
        int n;
        if (use_pwait2) {
            struct timespec ts = { (time_t)(dt / 1000000000u), (long)(dt % 1000000000u) };
            n = epoll_pwait2(L->ep, evs, MAXEV, &ts, NULL);
            if (n < 0 && errno == ENOSYS) {
                use_pwait2 = 0;
                continue;
            }
        } else {
            n = epoll_wait(L->ep, evs, MAXEV, (int)((dt + MS - 1) / MS));
        }
        if (n <= 0)
            continue;
        now = hp_load_now_ns();
        for (int i = 0; i < n; i++) {
            conn *c = &L->c[evs[i].data.u32];
            if (c->fd < 0)
                continue;
            uint32_t e = evs[i].events;
            if (c->state == C_CONNECTING) {
                if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                    on_connected(L, c, now);
                /* the server may have written or closed already: that edge is this one */
                if (c->fd < 0 || c->state != C_OPEN || !(e & (EPOLLIN | EV_PEER_DONE)))
                    continue;
            }
            if (e & (EPOLLIN | EV_PEER_DONE))
                on_readable(L, c, rbuf, now, e);
            if (c->fd >= 0 && (e & EPOLLOUT) && c->wleft)
                conn_flush(L, c, now);
        }
        /* Closed loop: the connections whose responses were just read get their next requests
         * now, in one burst, rather than each between two reads: the server finds them
         * together in one wake-up (fewer wake-ups and cross-CPU interrupts on both sides). */
        if (L->closed_loop && L->nidle) {
            now = hp_load_now_ns();
            conn *c;
            while ((c = idle_pop(L)))
                conn_fill(L, c, now);
        }
    }
out:
    free(rbuf);
    free(evs);
}

void *hp_load_worker_main(void *arg)
{
    load_worker *w = arg;
    load_shared *sh = w->sh;
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* microsecond sends need a tight timer */
    loop L;
    memset(&L, 0, sizeof L);
    L.w = w;
    L.sh = sh;
    L.n = w->nconn;
    L.ep = epoll_create1(EPOLL_CLOEXEC);
    L.c = calloc((size_t)L.n, sizeof *L.c);
    L.idle = calloc((size_t)L.n, sizeof *L.idle);
    slot *slots = calloc((size_t)L.n * (size_t)sh->pipeline, sizeof *slots);
    if (L.ep < 0 || !L.c || !L.idle || !slots) {
        snprintf(w->first_error, sizeof w->first_error, "out of memory or descriptors starting a load thread");
    } else {
        for (int i = 0; i < L.n; i++) {
            L.c[i].fd = -1;
            L.c[i].ring = slots + (size_t)i * (size_t)sh->pipeline;
        }
        run(&L);
        for (int i = 0; i < L.n; i++)
            if (L.c[i].fd >= 0)
                close(L.c[i].fd);
    }
    if (L.ep >= 0)
        close(L.ep);
    free(L.c);
    free(L.idle);
    free(slots);
    free(L.backlog);
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) == 0) {
        w->user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
        w->sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    }
    pthread_mutex_lock(&sh->mu);
    sh->running--;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}
