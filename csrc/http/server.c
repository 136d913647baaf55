/* The plaintext and json reference servers and the test aids (see server.h), on the epoll
 * server core (srvcore.c: listeners, connections, timers, limits). Requests are parsed by
 * http/reqparse.c under fixed limits; this file says what to answer. */
#include "http/server.h"
#include "http/srvcore.h"
#include "http/body.h"
#include "http/reqparse.h"
#include "http/dbserver.h"
#include "common/common.h"
#include "common/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A thread's response head up to and including "Date: ...\r\n", rebuilt when the date
 * changes (once a second). */
typedef struct hello_thread {
    time_t date_sec;
    char head[256];
    size_t head_len;
} hello_thread;

/* Appends the test's response (200) to c's output; HEAD gets the headers only. -1: no memory. */
static int respond(hp_srv *t, hp_sconn *c, int keep_alive, int head)
{
    hello_thread *h = t->data;
    if (h->date_sec != t->date_sec || !h->head_len) {
        h->date_sec = t->date_sec;
        h->head_len = (size_t)snprintf(h->head, sizeof h->head,
                                       "HTTP/1.1 200 OK\r\nServer: hotpath\r\nDate: %s\r\n", t->date);
    }
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
    if (hp_srv_reserve(c, h->head_len + (size_t)m + blen))
        return -1;
    hp_srv_add(c, h->head, h->head_len);
    hp_srv_add(c, mid, (size_t)m);
    if (!head)
        hp_srv_add(c, body, blen);
    return 0;
}

/* Answers the complete requests at the front of c's input, while the output stays below
 * HP_SRV_OUT_HIGH; leaves the rest (an incomplete request, or more than fits). A malformed
 * request gets its 4xx/5xx and closes the connection. Returns the number answered. */
static size_t hello_parse(hp_srv *t, hp_sconn *c, size_t *used)
{
    size_t off = 0, done = 0;
    while (off < c->inlen && c->outlen < HP_SRV_OUT_HIGH) {
        hp_req r;
        int rc = hp_req_parse(c->in + off, c->inlen - off, NULL, &r);
        if (rc == HP_REQ_MORE)
            break;
        if (rc == HP_REQ_BAD) {
            hp_srv_error(t, c, r.status);
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
    *used = off;
    return done;
}

/* The test aids: STALL reads and never answers, RESET resets on the first read. */
static void aid_readable(hp_srv *t, hp_sconn *c)
{
    if (t->spec->test == HP_SERVER_RESET) {
        struct linger lg = { 1, 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        hp_srv_close_now(t, c);
        return;
    }
    hp_srv_discard(t, c);
}

static const hp_srv_app hello_app = { .data_size = sizeof(hello_thread), .parse = hello_parse };
static const hp_srv_app aid_app = { .parse = hello_parse, .readable = aid_readable };

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
    if (spec->threads < 1 || spec->threads > HP_SERVER_MAX_THREADS)
        return hp_err(errmsg, HP_EINVAL, "threads must be between 1 and %d, got %d",
                      HP_SERVER_MAX_THREADS, spec->threads);
    int st = check_timeout(spec->idle_timeout, "idle_timeout", errmsg);
    if (st == HP_OK)
        st = check_timeout(spec->request_timeout, "request_timeout", errmsg);
    if (st != HP_OK)
        return st;
    if (spec->test == HP_SERVER_DB)
        return hp_dbserver_run(spec, errmsg);
    return hp_srv_run(spec, spec->test >= HP_SERVER_RESET ? &aid_app : &hello_app, errmsg);
}
