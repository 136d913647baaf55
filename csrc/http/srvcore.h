/* Internal (not ABI): the epoll server core that both reference servers run on (server.c: the
 * plaintext and json tests and the test aids; dbserver.c: /db and /queries). Per thread: one
 * epoll loop over its own SO_REUSEPORT listener and its connections, so threads share nothing
 * but the deadline. The core owns what every HTTP/1.1 server of the project does alike:
 * accepting (paused after EMFILE and the like instead of spinning), bounded input (IN_MAX) and
 * output (HP_SRV_OUT_HIGH) buffers, reading and sending with backpressure, the timers (idle,
 * request: 408, write, linger) checked by a sweep, the staged close, the Date header. The
 * application supplies what a request means (hp_srv_app.parse) and, for the db server,
 * responses that complete later (pending requests, hp_srv_touch) and one more descriptor per
 * thread (hp_srv_watch). The limits are in doc/http.md ("Limits"). */
#ifndef HP_HTTP_SRVCORE_H
#define HP_HTTP_SRVCORE_H
#include "http/httpdate.h"
#include "http/server.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* With this much output pending, a parse answers no more requests before it is sent. */
enum { HP_SRV_OUT_HIGH = 65536 };

typedef struct hp_sconn {
    struct hp_sconn *prev, *next;   /* the thread's live connections, for the sweep */
    struct hp_sconn *touched_next;  /* on the thread's touched list (see hp_srv_touch) */
    int fd;
    int pending;                 /* the application's requests of this connection still to
                                    answer (responses that complete later); 0 for server.c */
    unsigned char closing;       /* close once the output is sent and nothing is pending */
    unsigned char paused;        /* output blocked: only EPOLLOUT is watched, nothing is read */
    unsigned char lingering;     /* our side is shut: input is read and dropped until EOF */
    unsigned char peer_eof;      /* the client closed its side */
    unsigned char dead;          /* closed while requests were pending: freed with the last */
    unsigned char touched;
    uint32_t events;             /* what epoll watches now */
    double since;                /* start of the current timer */
    char *in;
    size_t inlen, incap;
    char *out;
    size_t outlen, outoff, outcap;
} hp_sconn;

typedef struct hp_srv hp_srv;

/* What a server is. Every hook runs on the thread of its hp_srv, never raises. */
typedef struct hp_srv_app {
    size_t data_size;    /* the per-thread state hp_srv.data points to (zeroed) */
    int max_pending;     /* a connection with this many pending requests is not read; 0: none */
    /* Answers (or submits) the complete requests at the front of c->in[0..inlen) and
     * returns how many; *used: the bytes it is done with (the core removes them). Stops at
     * an incomplete request, when c->outlen reaches HP_SRV_OUT_HIGH, or when it sets
     * c->closing. */
    size_t (*parse)(hp_srv *t, hp_sconn *c, size_t *used);
    /* Optional, replaces reading and parsing (the test aids): c is readable. */
    void (*readable)(hp_srv *t, hp_sconn *c);
    /* Optional: once per thread after its listener is set up (the db connection); a status
     * with *errmsg fails the start. */
    int (*thread_init)(hp_srv *t, int index, char **errmsg);
    /* Optional: events on the descriptor given to hp_srv_watch. */
    void (*watched)(hp_srv *t, uint32_t events);
    /* Optional: after each epoll batch, once its touched connections are flushed. */
    void (*batch_end)(hp_srv *t);
    /* Optional: the loop ended: drop every pending request (hp_srv_release each). */
    void (*thread_end)(hp_srv *t);
    /* Optional: after every thread ended: release what thread_init made. */
    void (*thread_free)(hp_srv *t);
} hp_srv_app;

struct hp_srv {
    const hp_server_spec *spec;
    const hp_srv_app *app;
    void *data;                  /* the application's per-thread state */
    double now;                  /* coarse monotonic seconds, taken once per epoll batch */
    char date[HP_HTTPDATE_LEN + 1]; /* the Date header's value, refreshed every second */
    time_t date_sec;
    /* the core's own */
    int lfd, ep, watch_fd;
    uint32_t watch_events;
    pthread_t th;
    double deadline, idle_timeout, request_timeout, sweep_every, next_sweep, accept_resume;
    hp_sconn *conns, *touched;
    char watch_tag;              /* its address tags the watched descriptor in epoll */
};

/* Serves spec with app until spec->duration passes (or forever): spec->threads threads (the
 * caller is one), each with its listener; ready_fd is written once every thread is set up.
 * spec is checked by the caller (hp_server_run). HP_ESYS "bind 127.0.0.1:8080: ..." and the
 * like, or thread_init's status. Blocks. */
int hp_srv_run(const hp_server_spec *spec, const hp_srv_app *app, char **errmsg);

/* Grows c's output buffer to hold n more bytes: 0, or -1 out of memory. */
int hp_srv_grow(hp_sconn *c, size_t n);

/* Room for n more bytes of output on c: 0, or -1 out of memory. Inline: it runs once or twice
 * a response, and almost always finds the room there. */
static inline int hp_srv_reserve(hp_sconn *c, size_t n)
{
    return c->outlen + n <= c->outcap ? 0 : hp_srv_grow(c, n);
}

/* Appends n bytes (room reserved by hp_srv_reserve). */
static inline void hp_srv_add(hp_sconn *c, const void *s, size_t n)
{
    memcpy(c->out + c->outlen, s, n);
    c->outlen += n;
}

/* The reason phrase of a status code the servers send ("Bad Request" for others). */
const char *hp_srv_reason(int code);

/* Appends an error response (no body, Connection: close) and marks c closing. */
void hp_srv_error(hp_srv *t, hp_sconn *c, int code);

/* Output was added to c outside its own event (a pending request completed): it is sent after
 * the current epoll batch, and c read on if it waited. */
void hp_srv_touch(hp_srv *t, hp_sconn *c);

/* Closes c at once (no staged close: the test aid that resets); its struct goes when nothing
 * is pending. */
void hp_srv_close_now(hp_srv *t, hp_sconn *c);

/* Reads and drops what c has sent; closes it at EOF or error. */
void hp_srv_discard(hp_srv *t, hp_sconn *c);

/* One of c's pending requests is answered or dropped; a connection closed meanwhile is freed
 * with its last one. */
void hp_srv_release(hp_srv *t, hp_sconn *c);

/* Watches fd (one per thread) for events in the thread's epoll (0 with errno on failure);
 * hp_srv_rewatch changes the events, hp_srv_unwatch stops watching. */
int hp_srv_watch(hp_srv *t, int fd, uint32_t events);
void hp_srv_rewatch(hp_srv *t, uint32_t events);
void hp_srv_unwatch(hp_srv *t);

#endif
