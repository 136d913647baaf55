/* The threaded pool (see pool.h): the handle, its persistent workers (started lazily, sleeping
 * on a condition variable when idle) and shutdown. Jobs, and how a worker joins one, claims
 * chunks and leaves it, are in job.c; the kinds registered on a pool in registry.c.
 *
 * The pool's memory lives while the owner, a job or a background thread holds a reference
 * (refs): a worker detached by a shutdown that timed out frees it if it is the last. */
#include "pool/pool.h"
#include "pool/pool_impl.h"
#include "pool/job.h"
#include "common/common.h"
#include "common/error.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- memory ---------------------------------------------------------------------------------- */

/* Drops a reference; the last one frees the pool (see pool_impl.h). */
void hp_pool_unref(hp_pool *pool)
{
    if (atomic_fetch_sub_explicit(&pool->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done_cv);
    pthread_mutex_destroy(&pool->mu);
    free(pool->tids);
    free(pool->locals);
    free(pool->kinds);
    free(pool->spare);
    free(pool);
}

void hp_pool_ref(hp_pool *pool)
{
    atomic_fetch_add_explicit(&pool->refs, 1, memory_order_relaxed);
}

/* ---- recycled results buffers ------------------------------------------------------------------ */

/* What pays: glibc maps arrays above its mmap threshold afresh on every calloc, page faults
 * and all; the threshold rises to the size of a freed mapping, but never above 32 MiB, so
 * results arrays of more than 4M tasks would be fresh pages every batch (the A/B is in
 * doc/pool.md). Small arrays come from malloc's free lists anyway. One spare at most, of at
 * most 256 MiB (a pool holds no more than that idle; close frees it); a spare more than 4 times
 * too big stays for a bigger batch. */
enum { SPARE_MIN = 64 << 10, SPARE_MAX = 256 << 20, SPARE_SLACK = 4 };

void *hp_pool_take_buffer(hp_pool *pool, size_t size, size_t *cap)
{
    void *p = NULL;
    if (size < SPARE_MIN)
        return NULL;
    pthread_mutex_lock(&pool->mu);
    if (pool->spare && pool->spare_size >= size && pool->spare_size / SPARE_SLACK <= size) {
        p = pool->spare;
        *cap = pool->spare_size;
        pool->spare = NULL;
        pool->spare_size = 0;
    }
    pthread_mutex_unlock(&pool->mu);
    return p;
}

void hp_pool_give_buffer(hp_pool *pool, void *p, size_t cap)
{
    if (!p)
        return;
    void *drop = p;
    if (cap >= SPARE_MIN && cap <= SPARE_MAX) {
        pthread_mutex_lock(&pool->mu);
        if (!pool->closed) { /* a closed pool runs no more batches: no spare */
            drop = pool->spare;
            pool->spare = p;
            pool->spare_size = cap;
        }
        pthread_mutex_unlock(&pool->mu);
    }
    free(drop);
}

/* ---- workers --------------------------------------------------------------------------------- */

/* A background thread: runs jobs until the pool shuts down, then destroys its own
 * hp_worker_local (on this thread: it is the only one that touched it), and drops its
 * reference on the pool (so a worker detached by a shutdown that timed out frees the pool
 * itself if it is the last). */
static void *worker_main(void *arg)
{
    hp_pool *pool = arg;
    pthread_mutex_lock(&pool->mu);
    const int me = pool->next_index++;
    while (!pool->exiting) {
        hp_job *job = pool->head;
        int slot = -1;
        for (; job; job = job->next)
            if ((slot = hp_job_join(job, me)) >= 0)
                break;
        if (!job) {
            pthread_cond_wait(&pool->wake, &pool->mu);
            continue;
        }
        pool->busy++;
        pthread_mutex_unlock(&pool->mu);
        hp_job_run_chunks(job, slot, 0);
        pthread_mutex_lock(&pool->mu);
        hp_job_leave(job, slot);
        if (--pool->busy == 0 && pool->exiting)
            pthread_cond_broadcast(&pool->done_cv);
        if (job->done && job->orphan) {
            job->orphan = 0;
            pthread_mutex_unlock(&pool->mu);
            hp_job_release_now(job);
            pthread_mutex_lock(&pool->mu);
        }
    }
    hp_worker_local local = pool->locals[me];
    pool->locals[me].dtor = NULL;
    pthread_mutex_unlock(&pool->mu);
    if (local.dtor)
        local.dtor(local.data);
    pthread_mutex_lock(&pool->mu);
    pool->alive--;
    pthread_cond_broadcast(&pool->done_cv);
    pthread_mutex_unlock(&pool->mu);
    hp_pool_unref(pool);
    return NULL;
}

/* Under mu: starts the background threads once: `threads` of them, so that asynchronous jobs
 * run whole in the background (a waiter with a timeout never gets stuck in a long task); a
 * parallel_for uses threads - 1 of them plus its caller. A thread that cannot start leaves the
 * pool smaller; a waiter that helps still runs every job. */
void hp_pool_start_workers(hp_pool *pool)
{
    if (pool->start_tried)
        return;
    pool->start_tried = 1;
    for (int i = 0; i < pool->threads; i++) {
        atomic_fetch_add_explicit(&pool->refs, 1, memory_order_relaxed);
        if (pthread_create(&pool->tids[i], NULL, worker_main, pool) != 0) {
            atomic_fetch_sub_explicit(&pool->refs, 1, memory_order_relaxed);
            break;
        }
        pool->started++;
        pool->alive++;
    }
}

/* ---- pool ------------------------------------------------------------------------------------ */

int hp_pool_new(hp_pool **out, int threads, char **errmsg)
{
    *out = NULL;
    if (threads <= 0)
        threads = hp_cpu_count();
    if (threads > HP_POOL_MAX_THREADS)
        return hp_err(errmsg, HP_EINVAL, "pool: threads must be between 1 and %d, got %d",
                      HP_POOL_MAX_THREADS, threads);
    hp_pool *pool = calloc(1, sizeof *pool);
    if (!pool || !(pool->tids = calloc((size_t)threads, sizeof *pool->tids)) ||
        !(pool->locals = calloc((size_t)threads, sizeof *pool->locals))) {
        if (pool)
            free(pool->tids);
        free(pool);
        return hp_err(errmsg, HP_ENOMEM, "pool: out of memory");
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done_cv, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&pool->refs, 1);
    pool->threads = threads;
    *out = pool;
    return HP_OK;
}

/* Under mu: waits on done_cv until pred(pool) or the deadline (< 0: none). 1 if pred holds. */
static int wait_until(hp_pool *pool, int (*pred)(const hp_pool *), double deadline)
{
    struct timespec ts = hp_pool_abs_time(deadline);
    while (!pred(pool)) {
        if (deadline < 0)
            pthread_cond_wait(&pool->done_cv, &pool->mu);
        else if (pthread_cond_timedwait(&pool->done_cv, &pool->mu, &ts) == ETIMEDOUT)
            return pred(pool);
    }
    return 1;
}

static int queue_empty(const hp_pool *pool) { return pool->head == NULL; }
static int no_worker_busy(const hp_pool *pool) { return pool->busy == 0; }

/* Keeps the shared object holding addr mapped for good (dlclose becomes a no-op for it): a
 * detached worker may still run its code after the Lua state that loaded it is closed. */
static void pin_code(const void *addr)
{
    Dl_info info;
    if (addr && dladdr(addr, &info) && info.dli_fname)
        (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

int hp_pool_shutdown(hp_pool *pool, double drain, double timeout, char **errmsg)
{
    if (!pool)
        return HP_OK;
    pthread_mutex_lock(&pool->mu);
    if (pool->closed) {
        pthread_mutex_unlock(&pool->mu);
        return HP_OK;
    }
    pool->closed = 1; /* no more submits; workers go on running what is queued */
    void *spare = pool->spare; /* no batch will take it (freed below, outside mu) */
    pool->spare = NULL;
    pool->spare_size = 0;
    if (drain != 0)
        wait_until(pool, queue_empty, drain < 0 ? -1 : hp_clock_monotonic() + drain);
    for (hp_job *job = pool->head, *next; job; job = next) {
        next = job->next;
        hp_job_stop(job);
    }
    pool->exiting = 1;
    pthread_cond_broadcast(&pool->wake);
    int started = pool->started;
    /* idle workers leave at once; only one inside a chunk can keep us */
    if (wait_until(pool, no_worker_busy, timeout < 0 ? -1 : hp_clock_monotonic() + timeout)) {
        pthread_mutex_unlock(&pool->mu);
        free(spare);
        for (int i = 0; i < started; i++)
            pthread_join(pool->tids[i], NULL);
        return HP_OK;
    }
    /* Workers still inside a chunk: leave them the memory (each holds a reference on the pool,
     * each job on its context until hp_job_release) and the code they run. */
    int busy = pool->busy;
    pin_code((const void *)hp_pool_new);
    for (hp_job *job = pool->head; job; job = job->next)
        pin_code((const void *)job->fn);
    for (int i = 0; i < pool->nkinds; i++)
        pin_code((const void *)pool->kinds[i].fn);
    pthread_mutex_unlock(&pool->mu);
    free(spare);
    for (int i = 0; i < started; i++)
        pthread_detach(pool->tids[i]);
    return hp_err(errmsg, HP_ETIMEDOUT,
                  "pool: %d worker(s) still running a task %.3g s after the cancel; detached: "
                  "they free the pool when their task returns", busy, timeout);
}

void hp_pool_close(hp_pool *pool)
{
    hp_pool_shutdown(pool, 0, -1, NULL);
}

void hp_pool_free(hp_pool *pool)
{
    if (!pool)
        return;
    hp_pool_shutdown(pool, 0, (double)HP_POOL_FREE_TIMEOUT_MS / 1000.0, NULL);
    hp_pool_unref(pool);
}

int hp_pool_threads(const hp_pool *pool) { return pool->threads; }

int hp_pool_closed(const hp_pool *pool)
{
    hp_pool *p = (hp_pool *)pool;
    pthread_mutex_lock(&p->mu);
    int closed = p->closed;
    pthread_mutex_unlock(&p->mu);
    return closed;
}

int hp_pool_started(const hp_pool *pool)
{
    hp_pool *p = (hp_pool *)pool;
    pthread_mutex_lock(&p->mu);
    int started = p->started;
    pthread_mutex_unlock(&p->mu);
    return started;
}
