/* The database reference server (see dbserver.h). Per thread: an epoll loop over a
 * SO_REUSEPORT listener, the HTTP connections and one libpq connection in pipeline mode.
 *
 * The order argument: a thread sends the queries of every request it parses, in parse order,
 * on its one database connection, and PostgreSQL answers a pipeline in the order sent. So the
 * thread's FIFO of waiting requests is also the order of the results, and since each HTTP
 * connection's requests enter the FIFO in their own order, its responses complete in request
 * order too. A request with no query (404, a parser's 4xx) still takes its place in the FIFO
 * when requests are waiting ahead of it, so it cannot overtake them on its connection.
 *
 * A connection that goes away while it has requests in the FIFO is closed at once and marked
 * dead; its struct is freed when its last request leaves the FIFO. */
#include "http/dbserver.h"
#include "http/server.h"
#include "http/dbroute.h"
#include "http/reqparse.h"
#include "http/httpdate.h"
#include "json/writer.h"
#include "common/common.h"
#include "common/error.h"

#include <libpq-fe.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    IN_FIRST = 4096,
    IN_MAX = HP_REQ_HEAD_MAX + HP_REQ_BODY_MAX,
    OUT_HIGH = 65536,     /* with this much output pending, parse no more before sending it */
    OUT_KEEP = 65536,     /* an output buffer grown past this is freed once it is sent */
    MAXEV = 128,
    WORLD_ROWS = 10000    /* TechEmpower's World table: ids 1..10000 */
};
static const double IDLE_TIMEOUT = 60, LINGER_TIME = 2;

static const char WORLD_SQL[] = "SELECT id, randomNumber FROM World WHERE id = $1";

typedef struct dconn {
    struct dconn *prev, *next;   /* the thread's live connections */
    struct dconn *touched_next;  /* on the thread's touched list (a response was added) */
    int fd;
    int pending;                 /* its requests in the thread's FIFO */
    unsigned char closing;       /* close once the output is sent and nothing is pending */
    unsigned char paused;        /* output blocked: only EPOLLOUT is watched */
    unsigned char lingering;     /* our side is shut: input is dropped until EOF */
    unsigned char peer_eof, dead, touched;
    uint32_t events;             /* what epoll watches now */
    double since;
    char *in;
    size_t inlen, incap;
    char *out;
    size_t outlen, outoff, outcap;
} dconn;

typedef struct dreq {            /* a request waiting in the FIFO */
    struct dreq *next;
    dconn *c;
    int want, got;               /* queries sent, results received */
    int status;                  /* 200, or what to answer instead */
    unsigned char keep_alive, head, array;
    hp_jw body;
    char small[64];              /* the body of /db fits here */
} dreq;

typedef struct dthread {
    const hp_server_spec *spec;
    int lfd, ep, pgfd;
    pthread_t th;
    double deadline, now, idle_timeout, next_sweep;
    PGconn *pg;
    int pg_broken;               /* the database connection failed: every query answers 500 */
    uint32_t pg_events;
    int unsynced;                /* queries sent since the last Sync */
    dreq *qhead, *qtail;
    dconn *conns, *touched;
    uint64_t rng;
    time_t date_sec;
    char date[HP_HTTPDATE_LEN + 1];
    char pgtag;                  /* its address tags the database socket in epoll */
} dthread;

static double coarse_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void refresh_date(dthread *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != t->date_sec || !t->date[0]) {
        t->date_sec = ts.tv_sec;
        hp_httpdate(ts.tv_sec, t->date);
    }
}

/* A World id in 1..WORLD_ROWS (xorshift64*; the modulo bias is below 1e-15). */
static int32_t random_id(dthread *t)
{
    uint64_t x = t->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    t->rng = x;
    return (int32_t)(((x * 0x2545F4914F6CDD1Dull) >> 32) % WORLD_ROWS) + 1;
}

/* ---- connections ---------------------------------------------------------------------------- */

static void set_events(dthread *t, dconn *c)
{
    if (c->dead)
        return;
    uint32_t ev = c->paused ? EPOLLOUT
                : (!c->lingering && (c->pending >= HP_DB_CONN_PENDING || c->closing)) ? 0 : EPOLLIN;
    if (ev == c->events)
        return;
    struct epoll_event e = { .events = ev, .data.ptr = c };
    epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &e);
    c->events = ev;
}

/* The connection is gone: closed now; freed now, or when its last request leaves the FIFO. */
static void conn_kill(dthread *t, dconn *c)
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

/* Our side is done: shut the write side and drop input until the client's EOF (or
 * LINGER_TIME), so that unread input does not reset the connection under the last response. */
static void conn_close(dthread *t, dconn *c)
{
    if (c->peer_eof) {
        conn_kill(t, c);
        return;
    }
    shutdown(c->fd, SHUT_WR);
    c->lingering = 1;
    c->since = t->now;
    c->inlen = 0;
    set_events(t, c);
}

/* Sends pending output; when it blocks, only EPOLLOUT is watched until it is all sent.
 * Returns -1 if the connection is gone. */
static int conn_flush(dthread *t, dconn *c)
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
    c->paused = 0;
    if (c->closing && c->pending == 0 && !c->lingering)
        conn_close(t, c);
    else
        set_events(t, c);
    return c->dead ? -1 : 0;
}

static int out_reserve(dconn *c, size_t n)
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

static const char *reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 404: return "Not Found";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Bad Request";
    }
}

/* Appends q's response to its connection's output (nothing for a dead connection). */
static void respond(dthread *t, dreq *q)
{
    dconn *c = q->c;
    if (c->dead)
        return;
    int ok = q->status == 200 && !q->body.oom;
    if (ok && q->array)
        hp_jw_char(&q->body, ']');
    if (q->body.oom)
        ok = 0;
    int status = ok ? 200 : (q->status == 200 ? 500 : q->status);
    size_t blen = ok ? q->body.len : 0;
    int close_after = !q->keep_alive || (status >= 400 && status != 404 && status != 500);
    char head[256];
    int m = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nServer: hotpath\r\nDate: %s\r\n%s"
                     "Content-Length: %zu\r\n%s\r\n", status, reason(status), t->date,
                     ok ? "Content-Type: application/json\r\n" : "", blen,
                     close_after ? "Connection: close\r\n" : "");
    size_t body = q->head ? 0 : blen;
    if (out_reserve(c, (size_t)m + body) != 0) {
        c->closing = 1;
        return;
    }
    memcpy(c->out + c->outlen, head, (size_t)m);
    c->outlen += (size_t)m;
    if (body) {
        memcpy(c->out + c->outlen, q->body.buf, body);
        c->outlen += body;
    }
    if (close_after)
        c->closing = 1;
}

static void touch(dthread *t, dconn *c)
{
    if (!c->touched && !c->dead) {
        c->touched = 1;
        c->touched_next = t->touched;
        t->touched = c;
    }
}

/* Answers and frees the finished requests at the FIFO's head. */
static void complete_ready(dthread *t)
{
    while (t->qhead && t->qhead->got >= t->qhead->want) {
        dreq *q = t->qhead;
        t->qhead = q->next;
        if (!t->qhead)
            t->qtail = NULL;
        respond(t, q);
        dconn *c = q->c;
        c->pending--;
        if (c->dead) {
            if (c->pending == 0 && !c->touched)
                free(c);
        } else {
            touch(t, c);
        }
        hp_jw_free(&q->body);
        free(q);
    }
}

/* The database connection failed: every waiting query is answered 500, and so is every later
 * one (the server keeps answering HTTP; the scenario sees the errors). */
static void pg_fail(dthread *t)
{
    if (!t->pg_broken && t->pgfd >= 0)
        epoll_ctl(t->ep, EPOLL_CTL_DEL, t->pgfd, NULL);
    t->pg_broken = 1;
    for (dreq *q = t->qhead; q; q = q->next) {
        q->status = 500;
        q->got = q->want;
    }
    complete_ready(t);
}

/* Sends the queries of a new request (want of them) and queues it; a request without
 * queries is answered at once when nothing waits ahead of it. */
static void submit(dthread *t, dconn *c, int status, int route, int queries, int keep_alive, int head)
{
    dreq *q = calloc(1, sizeof *q);
    if (!q) {
        c->closing = 1;
        return;
    }
    q->c = c;
    q->status = status;
    q->keep_alive = (unsigned char)keep_alive;
    q->head = (unsigned char)head;
    q->array = route == HP_DB_QUERIES;
    hp_jw_init(&q->body, q->small, sizeof q->small);
    if (status == 200 && !t->pg_broken) {
        q->want = route == HP_DB_QUERIES ? queries : 1;
        if (q->array)
            hp_jw_char(&q->body, '[');
        for (int i = 0; i < q->want; i++) {
            uint32_t be = htonl((uint32_t)random_id(t));
            const char *vals[1] = { (const char *)&be };
            static const int lens[1] = { 4 }, fmts[1] = { 1 };
            if (!PQsendQueryPrepared(t->pg, "w", 1, vals, lens, fmts, 1)) {
                q->want = i;   /* the ones sent still come back (or fail with the rest) */
                q->status = 500;
                t->unsynced += i;
                break;
            }
        }
        if (q->status == 200)
            t->unsynced += q->want;
    } else if (status == 200) {
        q->status = 500;
    }
    c->pending++;
    if (q->want == 0 && !t->qhead) {   /* nothing ahead: answer now */
        respond(t, q);
        c->pending--;
        hp_jw_free(&q->body);
        free(q);
        return;
    }
    if (t->qtail)
        t->qtail->next = q;
    else
        t->qhead = q;
    t->qtail = q;
}

/* Parses the complete requests at the front of c's input and submits them, while the output
 * stays below OUT_HIGH and fewer than HP_DB_CONN_PENDING of c's requests wait. */
static void conn_parse(dthread *t, dconn *c)
{
    size_t off = 0;
    while (off < c->inlen && c->outlen < OUT_HIGH && c->pending < HP_DB_CONN_PENDING && !c->closing) {
        hp_req r;
        int rc = hp_req_parse(c->in + off, c->inlen - off, NULL, &r);
        if (rc == HP_REQ_MORE)
            break;
        if (rc == HP_REQ_BAD) {
            submit(t, c, r.status, HP_DB_NOTFOUND, 0, 0, 0);
            c->closing = 1;
            off = c->inlen;
            break;
        }
        int queries;
        int route = hp_db_route(c->in + off, r.len, &queries);
        off += r.len;
        submit(t, c, route == HP_DB_NOTFOUND ? 404 : 200, route, queries, r.keep_alive, r.head);
        if (!r.keep_alive) {
            c->closing = 1;
            off = c->inlen;
        }
    }
    if (off) {
        memmove(c->in, c->in + off, c->inlen - off);
        c->inlen -= off;
    }
    if (c->inlen == 0 && c->incap > IN_FIRST) {
        free(c->in);
        c->in = NULL;
        c->incap = 0;
    }
}

static void conn_discard(dthread *t, dconn *c)
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

/* Reads what the client sent and submits its complete requests, until the socket is empty,
 * the connection must wait (output or pending limits), or it closes. */
static void conn_run(dthread *t, dconn *c)
{
    if (c->lingering) {
        conn_discard(t, c);
        return;
    }
    for (;;) {
        if (c->inlen && !c->closing)
            conn_parse(t, c);
        if (c->closing || c->pending >= HP_DB_CONN_PENDING)
            break;
        if (c->outlen >= OUT_HIGH) {
            if (conn_flush(t, c) != 0 || c->paused)
                return;
            continue;
        }
        if (c->inlen == c->incap) {
            size_t cap = c->incap ? c->incap * 2 : IN_FIRST;
            if (cap > IN_MAX)
                cap = IN_MAX;
            char *p = cap > c->incap ? realloc(c->in, cap) : NULL;
            if (!p) {
                conn_kill(t, c);
                return;
            }
            c->in = p;
            c->incap = cap;
        }
        ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
        if (n > 0) {
            c->inlen += (size_t)n;
            if (c->inlen == c->incap)
                continue;
            conn_parse(t, c);
            break;
        }
        if (n == 0) {
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
    c->since = t->now;
    if (c->outlen || c->closing)
        conn_flush(t, c);
    else
        set_events(t, c);
}

/* The connections that got responses: send them, and let the ones that waited at the
 * pending limit read on. */
static void run_touched(dthread *t)
{
    while (t->touched) {
        dconn *c = t->touched;
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
        if (waited && !c->paused && !c->closing && c->pending < HP_DB_CONN_PENDING)
            conn_run(t, c);
    }
}

/* ---- the database connection ---------------------------------------------------------------- */

static void pg_watch(dthread *t, uint32_t ev)
{
    if (t->pg_broken || ev == t->pg_events)
        return;
    struct epoll_event e = { .events = ev, .data.ptr = &t->pgtag };
    epoll_ctl(t->ep, EPOLL_CTL_MOD, t->pgfd, &e);
    t->pg_events = ev;
}

/* Ends the batch: a Sync after the queries sent in it, and as much as the socket takes. */
static void pg_sync(dthread *t)
{
    if (t->pg_broken)
        return;
    if (t->unsynced) {
        if (!PQpipelineSync(t->pg)) {
            pg_fail(t);
            return;
        }
        t->unsynced = 0;
    }
    int r = PQflush(t->pg);
    if (r < 0)
        pg_fail(t);
    else
        pg_watch(t, r ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/* One query's result for the request at the FIFO's head. */
static void deliver(dthread *t, const PGresult *r)
{
    dreq *q = t->qhead;
    if (!q)
        return;   /* cannot happen: every result answers a queued query */
    if (q->status == 200 && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
        PQnfields(r) == 2 && PQgetlength(r, 0, 0) == 4 && PQgetlength(r, 0, 1) == 4) {
        uint32_t id, num;
        memcpy(&id, PQgetvalue(r, 0, 0), 4);
        memcpy(&num, PQgetvalue(r, 0, 1), 4);
        if (q->got > 0)
            hp_jw_char(&q->body, ',');
        hp_jw_raw(&q->body, "{\"id\":", 6);
        hp_jw_integer(&q->body, (int32_t)ntohl(id));
        hp_jw_raw(&q->body, ",\"randomNumber\":", 16);
        hp_jw_integer(&q->body, (int32_t)ntohl(num));
        hp_jw_char(&q->body, '}');
    } else {
        q->status = 500;
    }
    q->got++;
    complete_ready(t);
}

/* Reads the results that have arrived and hands them to their requests. In pipeline mode
 * PQgetResult returns a NULL after each query's results and a PGRES_PIPELINE_SYNC per Sync;
 * two NULLs in a row mean nothing more is there yet. */
static void pg_read(dthread *t)
{
    if (t->pg_broken)
        return;
    if (!PQconsumeInput(t->pg)) {
        pg_fail(t);
        return;
    }
    int nulls = 0;
    while (!PQisBusy(t->pg)) {
        PGresult *r = PQgetResult(t->pg);
        if (!r) {
            if (++nulls >= 2)
                break;
            continue;
        }
        nulls = 0;
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_PIPELINE_SYNC)
            deliver(t, r);
        PQclear(r);
    }
    if (PQstatus(t->pg) == CONNECTION_BAD)
        pg_fail(t);
}

/* ---- threads -------------------------------------------------------------------------------- */

static void on_accept(dthread *t)
{
    for (;;) {
        int fd = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return;   /* EAGAIN; EMFILE and the like: the next accept tries again */
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        dconn *c = calloc(1, sizeof *c);
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

/* Closes the connections idle past idle_timeout (none with requests waiting), and lingering
 * ones past LINGER_TIME. */
static void sweep(dthread *t)
{
    for (dconn *c = t->conns, *next; c; c = next) {
        next = c->next;
        double limit = c->lingering ? LINGER_TIME : t->idle_timeout;
        if (c->pending == 0 && t->now - c->since >= limit)
            conn_kill(t, c);
    }
}

static void *serve(void *arg)
{
    dthread *t = arg;
    struct epoll_event evs[MAXEV];
    t->now = coarse_now();
    t->next_sweep = t->now + 1;
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
        t->now = coarse_now();
        refresh_date(t);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == NULL) {
                on_accept(t);
            } else if (p == &t->pgtag) {
                if (evs[i].events & EPOLLOUT)
                    pg_sync(t);
                if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                    pg_read(t);
            } else {
                dconn *c = p;
                if (c->dead)
                    continue;
                if (evs[i].events & EPOLLOUT) {
                    if (conn_flush(t, c) == 0 && !c->paused && !c->closing)
                        conn_run(t, c);
                } else if (c->paused) {
                    conn_flush(t, c);
                } else {
                    conn_run(t, c);
                }
            }
        }
        run_touched(t);
        pg_sync(t);
        if (t->now >= t->next_sweep) {
            sweep(t);
            t->next_sweep = t->now + 1;
        }
    }
    while (t->qhead) {
        dreq *q = t->qhead;
        t->qhead = q->next;
        q->c->pending--;
        hp_jw_free(&q->body);
        free(q);
    }
    t->qtail = NULL;
    while (t->touched) {
        dconn *c = t->touched;
        t->touched = c->touched_next;
        c->touched = 0;
        if (c->dead && c->pending == 0)
            free(c);
    }
    while (t->conns)
        conn_kill(t, t->conns);
    return NULL;
}

/* Connects t's database connection, prepares the World query, and enters pipeline mode. */
static int pg_open(dthread *t, const char *conninfo, char **errmsg)
{
    t->pg = PQconnectdb(conninfo);
    if (!t->pg)
        return hp_err(errmsg, HP_ENOMEM, "out of memory");
    if (PQstatus(t->pg) != CONNECTION_OK)
        return hp_err(errmsg, HP_ESYS, "PostgreSQL: %s", PQerrorMessage(t->pg));
    static const Oid types[1] = { 23 };   /* int4 */
    PGresult *r = PQprepare(t->pg, "w", WORLD_SQL, 1, types);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
        return hp_err(errmsg, HP_ESYS, "PostgreSQL: %s", PQerrorMessage(t->pg));
    if (PQsetnonblocking(t->pg, 1) != 0 || !PQenterPipelineMode(t->pg))
        return hp_err(errmsg, HP_ESYS, "PostgreSQL: cannot enter pipeline mode: %s", PQerrorMessage(t->pg));
    t->pgfd = PQsocket(t->pg);
    return HP_OK;
}

static int listen_on(dthread *t, const struct addrinfo *ai, const char *addrtext, char **errmsg)
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
    ev.events = EPOLLIN;
    ev.data.ptr = &t->pgtag;
    t->pg_events = EPOLLIN;
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, t->pgfd, &ev) != 0)
        return hp_err_errno(errmsg, "epoll_ctl");
    return HP_OK;
}

int hp_dbserver_run(const hp_server_spec *spec, char **errmsg)
{
    if (!spec->pg || !spec->pg[0])
        return hp_err(errmsg, HP_EINVAL, "the db test needs a PostgreSQL conninfo (pg)");
    double idle = spec->idle_timeout > 0 ? spec->idle_timeout : IDLE_TIMEOUT;
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
    dthread *ts = calloc((size_t)spec->threads, sizeof *ts);
    if (!ts) {
        freeaddrinfo(ai);
        return hp_err(errmsg, HP_ENOMEM, "out of memory");
    }
    double deadline = spec->duration > 0 ? hp_clock_monotonic() + spec->duration : 0;
    uint64_t seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 17;
    int st = HP_OK, n = 0;
    for (; n < spec->threads; n++) {
        dthread *t = &ts[n];
        t->spec = spec;
        t->deadline = deadline;
        t->idle_timeout = idle;
        t->lfd = t->ep = t->pgfd = -1;
        t->rng = (seed + (uint64_t)n * 0xD1B54A32D192ED03ull) | 1;
        if ((st = pg_open(t, spec->pg, errmsg)) != HP_OK ||
            (st = listen_on(t, ai, addrtext, errmsg)) != HP_OK) {
            n++;
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
        if (ts[i].lfd >= 0)
            close(ts[i].lfd);
        if (ts[i].ep >= 0)
            close(ts[i].ep);
        if (ts[i].pg)
            PQfinish(ts[i].pg);
    }
    free(ts);
    return st;
}
