/* The database reference server (see dbserver.h), on the epoll server core (srvcore.c:
 * listeners, connections, timers, limits). Per thread it adds one libpq connection in
 * pipeline mode, watched in the thread's epoll, and the FIFO of requests waiting for it.
 *
 * The order argument: a thread sends the queries of every request it parses, in parse order,
 * on its one database connection, and PostgreSQL answers a pipeline in the order sent. So the
 * thread's FIFO of waiting requests is also the order of the results, and since each HTTP
 * connection's requests enter the FIFO in their own order, its responses complete in request
 * order too. A request with no query (404, a parser's 4xx) still takes its place in the FIFO
 * when requests are waiting ahead of it, so it cannot overtake them on its connection.
 *
 * A connection that goes away while it has requests in the FIFO is closed at once and marked
 * dead by the core; its struct is freed when its last request leaves the FIFO
 * (hp_srv_release). */
#include "http/dbserver.h"
#include "http/server.h"
#include "http/srvcore.h"
#include "http/dbroute.h"
#include "http/reqparse.h"
#include "json/writer.h"
#include "common/common.h"
#include "common/error.h"

#include "http/pq.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

enum { WORLD_ROWS = 10000 };   /* TechEmpower's World table: ids 1..10000 */

static const char WORLD_SQL[] = "SELECT id, randomNumber FROM World WHERE id = $1";

typedef struct dreq {            /* a request waiting in the FIFO */
    struct dreq *next;
    hp_sconn *c;
    int want, got;               /* queries sent, results received */
    int status;                  /* 200, or what to answer instead */
    unsigned char keep_alive, head, array;
    hp_jw body;
    char small[64];              /* the body of /db fits here */
} dreq;

typedef struct dthread {         /* a server thread's database side (hp_srv.data) */
    hp_pq pq;                    /* libpq, loaded when the server starts (http/pq.h) */
    PGconn *pg;
    int pg_broken;               /* the database connection failed: every query answers 500 */
    int unsynced;                /* queries sent since the last Sync */
    dreq *qhead, *qtail;
    uint64_t rng;
} dthread;

/* A World id in 1..WORLD_ROWS (xorshift64*; the modulo bias is below 1e-15). */
static int32_t random_id(dthread *d)
{
    uint64_t x = d->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    d->rng = x;
    return (int32_t)(((x * 0x2545F4914F6CDD1Dull) >> 32) % WORLD_ROWS) + 1;
}

/* ---- responses ------------------------------------------------------------------------------ */

/* Appends q's response to its connection's output (nothing for a dead connection). */
static void respond(hp_srv *t, dreq *q)
{
    hp_sconn *c = q->c;
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
                     "Content-Length: %zu\r\n%s\r\n", status, hp_srv_reason(status), t->date,
                     ok ? "Content-Type: application/json\r\n" : "", blen,
                     close_after ? "Connection: close\r\n" : "");
    size_t body = q->head ? 0 : blen;
    if (hp_srv_reserve(c, (size_t)m + body) != 0) {
        c->closing = 1;
        return;
    }
    hp_srv_add(c, head, (size_t)m);
    if (body)
        hp_srv_add(c, q->body.buf, body);
    if (close_after)
        c->closing = 1;
}

/* Answers and frees the finished requests at the FIFO's head. */
static void complete_ready(hp_srv *t)
{
    dthread *d = t->data;
    while (d->qhead && d->qhead->got >= d->qhead->want) {
        dreq *q = d->qhead;
        d->qhead = q->next;
        if (!d->qhead)
            d->qtail = NULL;
        respond(t, q);
        hp_srv_touch(t, q->c);
        hp_srv_release(t, q->c);
        hp_jw_free(&q->body);
        free(q);
    }
}

/* The database connection failed: every waiting query is answered 500, and so is every later
 * one (the server keeps answering HTTP; the scenario sees the errors). */
static void pg_fail(hp_srv *t)
{
    dthread *d = t->data;
    if (!d->pg_broken)
        hp_srv_unwatch(t);
    d->pg_broken = 1;
    for (dreq *q = d->qhead; q; q = q->next) {
        q->status = 500;
        q->got = q->want;
    }
    complete_ready(t);
}

/* Sends the queries of a new request (want of them) and queues it; a request without
 * queries is answered at once when nothing waits ahead of it. */
static void submit(hp_srv *t, hp_sconn *c, int status, int route, int queries, int keep_alive, int head)
{
    dthread *d = t->data;
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
    if (status == 200 && !d->pg_broken) {
        q->want = route == HP_DB_QUERIES ? queries : 1;
        if (q->array)
            hp_jw_char(&q->body, '[');
        for (int i = 0; i < q->want; i++) {
            uint32_t be = htonl((uint32_t)random_id(d));
            const char *vals[1] = { (const char *)&be };
            static const int lens[1] = { 4 }, fmts[1] = { 1 };
            if (!d->pq.sendQueryPrepared(d->pg, "w", 1, vals, lens, fmts, 1)) {
                q->want = i;   /* the ones sent still come back (or fail with the rest) */
                q->status = 500;
                d->unsynced += i;
                break;
            }
        }
        if (q->status == 200)
            d->unsynced += q->want;
    } else if (status == 200) {
        q->status = 500;
    }
    c->pending++;
    if (q->want == 0 && !d->qhead) {   /* nothing ahead: answer now */
        respond(t, q);
        hp_srv_release(t, c);
        hp_jw_free(&q->body);
        free(q);
        return;
    }
    if (d->qtail)
        d->qtail->next = q;
    else
        d->qhead = q;
    d->qtail = q;
}

/* Parses the complete requests at the front of c's input and submits them, while the output
 * stays below HP_SRV_OUT_HIGH and fewer than HP_DB_CONN_PENDING of c's requests wait. */
static size_t db_parse(hp_srv *t, hp_sconn *c, size_t *used)
{
    size_t off = 0, done = 0;
    while (off < c->inlen && c->outlen < HP_SRV_OUT_HIGH && c->pending < HP_DB_CONN_PENDING &&
           !c->closing) {
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
        done++;
        submit(t, c, route == HP_DB_NOTFOUND ? 404 : 200, route, queries, r.keep_alive, r.head);
        if (!r.keep_alive) {
            c->closing = 1;
            off = c->inlen;
        }
    }
    *used = off;
    return done;
}

/* ---- the database connection ---------------------------------------------------------------- */

/* Ends the batch: a Sync after the queries sent in it, and as much as the socket takes. */
static void pg_sync(hp_srv *t)
{
    dthread *d = t->data;
    if (d->pg_broken)
        return;
    if (d->unsynced) {
        if (!d->pq.pipelineSync(d->pg)) {
            pg_fail(t);
            return;
        }
        d->unsynced = 0;
    }
    int r = d->pq.flush(d->pg);
    if (r < 0)
        pg_fail(t);
    else
        hp_srv_rewatch(t, r ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/* One query's result for the request at the FIFO's head. */
static void deliver(hp_srv *t, const PGresult *r)
{
    dthread *d = t->data;
    dreq *q = d->qhead;
    if (!q)
        return;   /* cannot happen: every result answers a queued query */
    if (q->status == 200 && d->pq.resultStatus(r) == PGRES_TUPLES_OK && d->pq.ntuples(r) == 1 &&
        d->pq.nfields(r) == 2 && d->pq.getlength(r, 0, 0) == 4 && d->pq.getlength(r, 0, 1) == 4) {
        uint32_t id, num;
        memcpy(&id, d->pq.getvalue(r, 0, 0), 4);
        memcpy(&num, d->pq.getvalue(r, 0, 1), 4);
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
static void pg_read(hp_srv *t)
{
    dthread *d = t->data;
    if (d->pg_broken)
        return;
    if (!d->pq.consumeInput(d->pg)) {
        pg_fail(t);
        return;
    }
    int nulls = 0;
    while (!d->pq.isBusy(d->pg)) {
        PGresult *r = d->pq.getResult(d->pg);
        if (!r) {
            if (++nulls >= 2)
                break;
            continue;
        }
        nulls = 0;
        ExecStatusType st = d->pq.resultStatus(r);
        if (st != PGRES_PIPELINE_SYNC)
            deliver(t, r);
        d->pq.clear(r);
    }
    if (d->pq.status(d->pg) == CONNECTION_BAD)
        pg_fail(t);
}

/* Events on the database socket. */
static void pg_events(hp_srv *t, uint32_t events)
{
    if (events & EPOLLOUT)
        pg_sync(t);
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        pg_read(t);
}

/* ---- threads -------------------------------------------------------------------------------- */

/* Connects the thread's database connection, prepares the World query, enters pipeline mode
 * and watches its socket. */
static int pg_open(hp_srv *t, int index, char **errmsg)
{
    dthread *d = t->data;
    uint64_t seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 17;
    d->rng = (seed + (uint64_t)index * 0xD1B54A32D192ED03ull) | 1;
    int rc = hp_pq_open(&d->pq, errmsg);
    if (rc != HP_OK)
        return rc;
    d->pg = d->pq.connectdb(t->spec->pg);
    if (!d->pg)
        return hp_err(errmsg, HP_ENOMEM, "out of memory");
    if (d->pq.status(d->pg) != CONNECTION_OK)
        return hp_err(errmsg, HP_ESYS, "PostgreSQL: %s", d->pq.errorMessage(d->pg));
    static const Oid types[1] = { 23 };   /* int4 */
    PGresult *r = d->pq.prepare(d->pg, "w", WORLD_SQL, 1, types);
    int ok = d->pq.resultStatus(r) == PGRES_COMMAND_OK;
    d->pq.clear(r);
    if (!ok)
        return hp_err(errmsg, HP_ESYS, "PostgreSQL: %s", d->pq.errorMessage(d->pg));
    if (d->pq.setnonblocking(d->pg, 1) != 0 || !d->pq.enterPipelineMode(d->pg))
        return hp_err(errmsg, HP_ESYS, "PostgreSQL: cannot enter pipeline mode: %s", d->pq.errorMessage(d->pg));
    if (hp_srv_watch(t, d->pq.socket(d->pg), EPOLLIN) != 0)
        return hp_err_errno(errmsg, "epoll_ctl");
    return HP_OK;
}

/* The loop ended: the waiting requests are dropped. */
static void drop_waiting(hp_srv *t)
{
    dthread *d = t->data;
    while (d->qhead) {
        dreq *q = d->qhead;
        d->qhead = q->next;
        hp_srv_release(t, q->c);
        hp_jw_free(&q->body);
        free(q);
    }
    d->qtail = NULL;
}

static void pg_close(hp_srv *t)
{
    dthread *d = t->data;
    if (d && d->pg)
        d->pq.finish(d->pg);
    if (d)
        hp_pq_close(&d->pq);
}

static const hp_srv_app db_app = {
    .data_size = sizeof(dthread),
    .max_pending = HP_DB_CONN_PENDING,
    .parse = db_parse,
    .thread_init = pg_open,
    .watched = pg_events,
    .batch_end = pg_sync,
    .thread_end = drop_waiting,
    .thread_free = pg_close,
};

int hp_dbserver_run(const hp_server_spec *spec, char **errmsg)
{
    if (!spec->pg || !spec->pg[0])
        return hp_err(errmsg, HP_EINVAL, "the db test needs a PostgreSQL conninfo (pg)");
    return hp_srv_run(spec, &db_app, errmsg);
}
