/* Internal to pool/: the pool handle's layout and what the job (job.c) and kind-registry
 * (registry.c) code needs from the pool itself (pool.c). Not ABI. */
#ifndef HP_POOL_IMPL_H
#define HP_POOL_IMPL_H
#include "pool/pool.h"
#include "pool/tasks.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

/* A kind registered on a pool (registry.c). */
struct hp_pool_kind {
    char name[64];
    hp_kind_fn fn;
    void *kctx;
    int type;
};

struct hp_pool {
    pthread_mutex_t mu;
    pthread_cond_t wake;        /* workers: a job was queued, or the pool closes */
    pthread_cond_t done_cv;     /* waiters: some job finished */
    atomic_int refs;            /* owner + jobs not yet freed + background threads alive */
    int threads;                /* workers including the waiting caller */
    int started;                /* background threads created (under mu) */
    int alive;                  /* background threads not yet exited (under mu) */
    int busy;                   /* background threads inside a job (under mu) */
    int next_index;             /* thread indexes handed out (under mu) */
    int start_tried;
    int closed;                 /* no more submits */
    int exiting;                /* workers leave their loop */
    uint64_t serials;           /* under mu */
    hp_worker_local *locals;    /* one per background thread, touched only by that thread */
    hp_job *head, *tail;        /* queued jobs, FIFO */
    pthread_t *tids;
    struct hp_pool_kind *kinds; /* under mu */
    int nkinds;
    void *spare;                /* a results buffer of a freed batch, kept for the next (under mu) */
    size_t spare_size;
};

/* Takes / drops a reference on the pool's memory; the last one frees it. Without mu. */
void hp_pool_ref(hp_pool *pool);
void hp_pool_unref(hp_pool *pool);

/* Results buffers recycled across the pool's batches (a fresh multi-megabyte array per batch
 * costs its page faults or its zeroing on every batch): take returns a buffer of at least size
 * bytes (its capacity in *cap; contents unspecified) if the pool keeps one that fits, else
 * NULL (the caller allocates). give hands a buffer back (ownership passes; NULL is fine): the
 * pool keeps it for the next batch or frees it. A buffer is given back only when the batch
 * that used it is freed, so a live batch's results are never reused under it. Without mu. */
void *hp_pool_take_buffer(hp_pool *pool, size_t size, size_t *cap);
void hp_pool_give_buffer(hp_pool *pool, void *p, size_t cap);

/* Under mu: starts the background threads, once (on the first job). */
void hp_pool_start_workers(hp_pool *pool);

/* An absolute CLOCK_MONOTONIC deadline (seconds) as a timespec. */
static inline struct timespec hp_pool_abs_time(double d)
{
    struct timespec ts;
    ts.tv_sec = (time_t)d;
    ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

#endif
