/* The epoll server core (http/srvcore.h) with an application whose responses complete later,
 * as the database server's do (ASan+UBSan build, the server on a thread of this process, on
 * 127.0.0.1 at a free port, for a bounded duration): every request is held pending and
 * answered on the next epoll batch, through a watched eventfd. Pins the core's paths that
 * only the db server takes in production: the pending limit stops reading and reading
 * resumes as answers leave, responses keep request order, a client that half-closes gets its
 * answers then a clean close (the staged close of a connection freed on the spot), a client
 * gone with requests pending is freed with the last of them, and an incomplete request with
 * nothing pending gets 408. */
#include "tap.h"
#include "dial.h"
#include "http/srvcore.h"
#include "http/reqparse.h"
#include "http/child.h"
#include "common/common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_PENDING = 4 };
static const char GET[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
static const char OK[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

static atomic_int most_pending;   /* the most requests one connection had pending */

typedef struct held {
    struct held *next;
    hp_sconn *c;
} held;

typedef struct later {            /* the per-thread state */
    held *head, *tail;
    int efd;
} later;

/* Holds every complete request pending and pokes the eventfd, so it is answered on the next
 * epoll batch; stops at the pending limit, as dbserver.c's parse does. */
static size_t later_parse(hp_srv *t, hp_sconn *c, size_t *used)
{
    later *d = t->data;
    size_t off = 0, done = 0;
    while (off < c->inlen && c->pending < MAX_PENDING && !c->closing) {
        hp_req r;
        int rc = hp_req_parse(c->in + off, c->inlen - off, NULL, &r);
        if (rc == HP_REQ_MORE)
            break;
        if (rc == HP_REQ_BAD) {
            off = c->inlen;
            c->closing = 1;
            break;
        }
        off += r.len;
        done++;
        held *h = calloc(1, sizeof *h);
        if (!h) {
            c->closing = 1;
            break;
        }
        h->c = c;
        c->pending++;
        if (c->pending > atomic_load(&most_pending))
            atomic_store(&most_pending, c->pending);
        if (d->tail)
            d->tail->next = h;
        else
            d->head = h;
        d->tail = h;
        uint64_t one = 1;
        (void)!write(d->efd, &one, sizeof one);
        if (!r.keep_alive) {
            c->closing = 1;
            off = c->inlen;
        }
    }
    *used = off;
    return done;
}

/* The eventfd fired: every held request is answered (a gone connection's only released). */
static void later_answer(hp_srv *t, uint32_t events)
{
    (void)events;
    later *d = t->data;
    uint64_t v;
    (void)!read(d->efd, &v, sizeof v);
    while (d->head) {
        held *h = d->head;
        d->head = h->next;
        if (!d->head)
            d->tail = NULL;
        hp_sconn *c = h->c;
        if (!c->dead && hp_srv_reserve(c, sizeof OK - 1) == 0)
            hp_srv_add(c, OK, sizeof OK - 1);
        hp_srv_touch(t, c);
        hp_srv_release(t, c);
        free(h);
    }
}

static int later_init(hp_srv *t, int index, char **errmsg)
{
    (void)index;
    (void)errmsg;
    later *d = t->data;
    d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return d->efd >= 0 && hp_srv_watch(t, d->efd, EPOLLIN) == 0 ? HP_OK : HP_ESYS;
}

static void later_end(hp_srv *t)
{
    later *d = t->data;
    while (d->head) {
        held *h = d->head;
        d->head = h->next;
        hp_srv_release(t, h->c);
        free(h);
    }
    d->tail = NULL;
}

static void later_free(hp_srv *t)
{
    later *d = t->data;
    if (d && d->efd >= 0)
        close(d->efd);
}

static const hp_srv_app LATER = {
    .data_size = sizeof(later), .max_pending = MAX_PENDING, .parse = later_parse,
    .thread_init = later_init, .watched = later_answer, .thread_end = later_end,
    .thread_free = later_free,
};

typedef struct {
    hp_server_spec spec;
    int rc;
} server;

static void *serve(void *arg)
{
    server *s = arg;
    char *err = NULL;
    s->rc = hp_srv_run(&s->spec, &LATER, &err);
    if (err)
        printf("# server: %s\n", err);
    hp_free(err);
    return NULL;
}

/* Reads into buf until `want` bytes, the server's close (*eof = 1) or `secs` pass. */
static size_t receive(int fd, char *buf, size_t cap, size_t want, double secs, int *eof)
{
    size_t n = 0;
    *eof = 0;
    double end = hp_clock_monotonic() + secs;
    while (n < want && n < cap && hp_clock_monotonic() < end) {
        struct pollfd pf = { fd, POLLIN, 0 };
        if (poll(&pf, 1, 50) <= 0)
            continue;
        ssize_t k = recv(fd, buf + n, cap - n, 0);
        if (k > 0) {
            n += (size_t)k;
        } else {
            *eof = k == 0;
            break;
        }
    }
    return n;
}

/* n pipelined GETs in one write: n answers, in order, while the limit stopped the reading. */
static int pipelined(int port, int n, int half_close)
{
    int fd = dial(port);
    if (fd < 0)
        return 0;
    char req[64 * sizeof GET], buf[64 * sizeof OK + 1];
    size_t len = 0;
    for (int i = 0; i < n; i++, len += sizeof GET - 1)
        memcpy(req + len, GET, sizeof GET - 1);
    int ok = send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len;
    if (half_close)
        shutdown(fd, SHUT_WR);
    int eof;
    size_t want = (size_t)n * (sizeof OK - 1);
    size_t got = receive(fd, buf, sizeof buf - 1, half_close ? sizeof buf : want, 3, &eof);
    for (int i = 0; ok && i < n; i++)
        ok = got >= want && memcmp(buf + (size_t)i * (sizeof OK - 1), OK, sizeof OK - 1) == 0;
    ok = ok && got == want && (!half_close || eof);
    close(fd);
    return ok;
}

int main(void)
{
    server s = { .spec = { .port = hp_free_port(), .test = HP_SERVER_PLAINTEXT, .threads = 1,
                           .duration = 6, .request_timeout = 0.3 } };
    int ready[2];
    if (pipe(ready) != 0)
        return 1;
    s.spec.ready_fd = ready[1];
    pthread_t th;
    pthread_create(&th, NULL, serve, &s);
    char r;
    CHECK(read(ready[0], &r, 1) == 1, "the server is ready");
    close(ready[0]);

    CHECK(pipelined(s.spec.port, 1, 0), "a request answered on a later batch");
    CHECK(pipelined(s.spec.port, 10, 0), "10 pipelined requests, 10 answers in order");
    CHECK(atomic_load(&most_pending) == MAX_PENDING,
          "the pending limit was reached and held (reading stopped, then went on)");
    CHECK(pipelined(s.spec.port, 3, 1), "a client that half-closes gets its answers, then a clean close");

    int fd = dial(s.spec.port);   /* gone with requests pending: freed with the last of them */
    (void)!send(fd, GET, sizeof GET - 1, MSG_NOSIGNAL);
    (void)!send(fd, GET, sizeof GET - 1, MSG_NOSIGNAL);
    close(fd);
    CHECK(pipelined(s.spec.port, 2, 0), "after a client left with requests pending, the server answers");

    fd = dial(s.spec.port);
    static const char part[] = "GET / HTTP/1.1\r\nHost:";
    (void)!send(fd, part, sizeof part - 1, MSG_NOSIGNAL);
    char buf[256];
    int eof;
    double t0 = hp_clock_monotonic();
    size_t got = receive(fd, buf, sizeof buf - 1, sizeof buf, 3, &eof);
    buf[got] = 0;
    CHECK(eof && strstr(buf, "\r\nConnection: close\r\n"), "an incomplete request with nothing pending: a close");
    buf[strcspn(buf, "\r")] = 0;
    CHECK_STR(buf, "HTTP/1.1 408 Request Timeout", "... after a 408");
    CHECK(hp_clock_monotonic() - t0 < 2.5, "... after request_timeout, not at the end of the run");
    close(fd);
    CHECK(pipelined(s.spec.port, 1, 0), "the server still answers");

    pthread_join(th, NULL);
    CHECK(s.rc == HP_OK, "the server ran to its duration");
    return tap_done();
}
