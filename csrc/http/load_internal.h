/* Internal to the load generator (load.c: the run; loop.c: one thread's event loop). Not ABI. */
#ifndef HP_HTTP_LOAD_INTERNAL_H
#define HP_HTTP_LOAD_INTERNAL_H
#include "http/hist.h"
#include "http/load.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

/* What every thread reads (set before the threads start), plus the few shared atomics. */
typedef struct load_shared {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char addrtext[80];        /* "127.0.0.1:8080", for messages */
    char *reqbuf;             /* the request repeated pipeline + 1 times */
    size_t req_len;
    int pipeline, head, threads, warmup;
    int nphases;
    hp_load_phase phases[HP_LOAD_MAX_PHASES];
    uint64_t phase_start[HP_LOAD_MAX_PHASES + 1];  /* monotonic ns; [nphases] is the end */
    uint64_t timeout_ns;
    uint64_t requests_limit;  /* 0: none */
    atomic_uint_fast64_t tickets;
    atomic_int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running;              /* threads not finished yet (under mu) */
} load_shared;

/* One thread's connections and results. */
typedef struct load_worker {
    load_shared *sh;
    int index, nconn;
    pthread_t th;
    int started;
    hp_hist *lat[HP_LOAD_MAX_PHASES];   /* from intended send */
    hp_hist *svc[HP_LOAD_MAX_PHASES];   /* from actual send */
    hp_load_phase_result pr[HP_LOAD_MAX_PHASES];
    uint64_t connects, refused, reset, closed, timeouts, parse_errors, connect_errors;
    uint64_t status[600];
    double user, sys;
    char first_error[160];
    atomic_uint_fast64_t prog_requests, prog_errors;
    atomic_int prog_phase;
} load_worker;

uint64_t hp_load_now_ns(void);

/* The thread body (loop.c): runs the phases on w->nconn connections, then signals sh->cv. */
void *hp_load_worker_main(void *arg);

#endif
