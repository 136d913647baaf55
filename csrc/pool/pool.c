/* The threaded pool (see pool.h): persistent workers, jobs claimed in chunks with one atomic
 * fetch_add, participants counted under one mutex taken per join/leave (not per chunk).
 *
 * Invariants (all under pool->mu unless atomic):
 *   - a job is in the queue from submit until done; workers only join queued jobs that still
 *     have unclaimed chunks and a free worker slot;
 *   - a participant leaves only after a failed claim (the job is exhausted: cursor >= end or
 *     stop set), or early when its wait deadline passed (it returns its slot);
 *   - so "exhausted and no participant" means every claimed chunk returned: the job is done,
 *     and from then on nothing but its owner touches it;
 *   - the pool's memory lives while the owner or a job holds a reference (refs).
 */
#include "pool/pool.h"
#include "pool/kinds.h"
#include "pool/tasks.h"
#include "common/common.h"
#include "common/error.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hp_job {
    hp_pool *pool;
    hp_job *next;               /* queue link (under mu) */
    int64_t begin, end, chunk;  /* chunk: the claim size (guided: the largest claim) */
    int guided;                 /* automatic chunk: claims shrink near the end */
    _Atomic int64_t cursor;     /* next unclaimed index */
    atomic_int stop;            /* cancelled, or failed with fail_fast */
    hp_chunk_fn fn;
    void *ctx;
    int fail_fast;
    uint64_t serial;            /* unique within the pool */
    int nslots;
    /* under pool->mu */
    int queued, done, participants;
    int orphan;                 /* released by its owner while running: the last participant frees it */
    void (*dtor)(void *);
    void *dtor_arg;
    int nfree;                  /* free worker slots, in slots[0..nfree) */
    int status;
    int64_t fail_index;
    char *msg;
    int slots[];                /* [0, nslots): free slot stack; [nslots, 2 nslots): thread per slot */
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
    struct kind { char name[64]; hp_kind_fn fn; void *kctx; int type; } *kinds; /* under mu */
    int nkinds;
};

/* ---- helpers --------------------------------------------------------------------------------- */

static void pool_unref(hp_pool *pool)
{
    if (atomic_fetch_sub_explicit(&pool->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done_cv);
    pthread_mutex_destroy(&pool->mu);
    free(pool->tids);
    free(pool->locals);
    free(pool->kinds);
    free(pool);
}

static int exhausted(const hp_job *job)
{
    return atomic_load_explicit(&job->stop, memory_order_relaxed) ||
           atomic_load_explicit(&job->cursor, memory_order_relaxed) >= job->end;
}

static void unlink_job(hp_pool *pool, hp_job *job)
{
    hp_job **pp = &pool->head;
    hp_job *prev = NULL;
    while (*pp && *pp != job) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = job->next;
        if (pool->tail == job)
            pool->tail = prev;
    }
    job->next = NULL;
    job->queued = 0;
}

/* Under mu: marks the job done when nothing is left to run and nobody runs it. */
static void try_finish(hp_job *job)
{
    if (job->done || job->participants > 0 || !exhausted(job))
        return;
    job->done = 1;
    if (job->queued)
        unlink_job(job->pool, job);
    pthread_cond_broadcast(&job->pool->done_cv);
}

/* Records a chunk's failure (takes msg). Without fail_fast the lowest index wins, so that the
 * reported failure does not depend on scheduling. */
static void record_failure(hp_job *job, int rc, int64_t index, char *msg)
{
    hp_pool *pool = job->pool;
    pthread_mutex_lock(&pool->mu);
    /* after a cancel, failures of interrupted chunks are not news: the job stays cancelled */
    int take = job->status == HP_OK ||
               (!job->fail_fast && job->status != HP_ECANCELED && index < job->fail_index);
    if (take) {
        free(job->msg);
        job->status = rc;
        job->fail_index = index;
        job->msg = msg;
        msg = NULL;
    }
    if (job->fail_fast)
        atomic_store_explicit(&job->stop, 1, memory_order_relaxed);
    pthread_mutex_unlock(&pool->mu);
    free(msg);
}

/* Claims and runs chunks until the job is exhausted or (deadline > 0) the clock passes it.
 * Returns 1 if it stopped for the deadline. Called without mu. */
static int run_chunks(hp_job *job, int slot, double deadline)
{
    const int64_t chunk = job->chunk, end = job->end;
    for (;;) {
        if (atomic_load_explicit(&job->stop, memory_order_relaxed))
            return 0;
        int64_t b, e;
        if (!job->guided) {
            b = atomic_fetch_add_explicit(&job->cursor, chunk, memory_order_relaxed);
            if (b >= end)
                return 0;
            e = end - b > chunk ? b + chunk : end;
        } else {
            /* guided: a claim is at most 1/(4 x participants) of what is left, so the last
             * claims shrink to single items and the workers finish together even when items
             * differ 10^6-fold in cost (fib(i % 30)); one CAS a chunk, as cheap as fetch_add */
            const int64_t share = 4 * (int64_t)job->nslots;
            b = atomic_load_explicit(&job->cursor, memory_order_relaxed);
            do {
                if (b >= end)
                    return 0;
                int64_t c = (end - b) / share;
                c = c > chunk ? chunk : c < 1 ? 1 : c;
                e = b + c;
            } while (!atomic_compare_exchange_weak_explicit(&job->cursor, &b, e,
                                                            memory_order_relaxed,
                                                            memory_order_relaxed));
        }
        int64_t fail_index = b;
        char *msg = NULL;
        int rc = job->fn(job->ctx, job, b, e, slot, &fail_index, &msg);
        if (rc != HP_OK)
            record_failure(job, rc, fail_index, msg);
        else
            free(msg);
        if (deadline > 0 && hp_clock_monotonic() >= deadline)
            return 1;
    }
}

/* Under mu: takes a worker slot in the job if it has work left; -1 if not. thread: the
 * background thread's index (its hp_worker_local), -1 for a caller that helps. */
static int join_job(hp_job *job, int thread)
{
    if (job->done || job->nfree == 0 || exhausted(job))
        return -1;
    job->participants++;
    int slot = job->slots[--job->nfree];
    job->slots[job->nslots + slot] = thread;
    return slot;
}

/* Frees a done job and runs its owner's destructor (after hp_job_release). Without mu. */
static void release_now(hp_job *job)
{
    hp_pool *pool = job->pool;
    if (job->dtor)
        job->dtor(job->dtor_arg);
    free(job->msg);
    free(job);
    pool_unref(pool);
}

/* Under mu (re-taken by the caller): leaves the job, giving the slot back if work is left. */
static void leave_job(hp_job *job, int slot)
{
    job->participants--;
    if (!exhausted(job))
        job->slots[job->nfree++] = slot;
    try_finish(job);
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
            if ((slot = join_job(job, me)) >= 0)
                break;
        if (!job) {
            pthread_cond_wait(&pool->wake, &pool->mu);
            continue;
        }
        pool->busy++;
        pthread_mutex_unlock(&pool->mu);
        run_chunks(job, slot, 0);
        pthread_mutex_lock(&pool->mu);
        leave_job(job, slot);
        if (--pool->busy == 0 && pool->exiting)
            pthread_cond_broadcast(&pool->done_cv);
        if (job->done && job->orphan) {
            job->orphan = 0;
            pthread_mutex_unlock(&pool->mu);
            release_now(job);
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
    pool_unref(pool);
    return NULL;
}

/* Under mu: starts the background threads once: `threads` of them, so that asynchronous jobs
 * run whole in the background (a waiter with a timeout never gets stuck in a long task); a
 * parallel_for uses threads - 1 of them plus its caller. A thread that cannot start leaves the
 * pool smaller; a waiter that helps still runs every job. */
static void start_workers(hp_pool *pool)
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

/* Under mu: an absolute CLOCK_MONOTONIC deadline as a timespec. */
static struct timespec abs_time(double d)
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

/* Under mu: waits on done_cv until pred(pool) or the deadline (< 0: none). 1 if pred holds. */
static int wait_until(hp_pool *pool, int (*pred)(const hp_pool *), double deadline)
{
    struct timespec ts = abs_time(deadline);
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
    if (drain != 0)
        wait_until(pool, queue_empty, drain < 0 ? -1 : hp_clock_monotonic() + drain);
    for (hp_job *job = pool->head, *next; job; job = next) {
        next = job->next;
        atomic_store_explicit(&job->stop, 1, memory_order_relaxed);
        if (job->status == HP_OK)
            job->status = HP_ECANCELED;
        try_finish(job);
    }
    pool->exiting = 1;
    pthread_cond_broadcast(&pool->wake);
    int started = pool->started;
    /* idle workers leave at once; only one inside a chunk can keep us */
    if (wait_until(pool, no_worker_busy, timeout < 0 ? -1 : hp_clock_monotonic() + timeout)) {
        pthread_mutex_unlock(&pool->mu);
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
    pool_unref(pool);
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

/* ---- kinds registered on the pool ----------------------------------------------------------- */

int hp_pool_register_kind(hp_pool *pool, const char *name, hp_kind_fn fn, void *kctx,
                          int result_type, char **errmsg)
{
    if (!name || !*name || strlen(name) >= sizeof pool->kinds[0].name)
        return hp_err(errmsg, HP_EINVAL, "pool: kind name must be 1 to 63 bytes");
    if (!fn || (result_type != HP_VAL_INT && result_type != HP_VAL_FLOAT))
        return hp_err(errmsg, HP_EINVAL, "pool: kind '%s' needs a function and a result type", name);
    pthread_mutex_lock(&pool->mu);
    int i = 0;
    while (i < pool->nkinds && strcmp(pool->kinds[i].name, name) != 0)
        i++;
    if (i == pool->nkinds) {
        struct kind *k = realloc(pool->kinds, (size_t)(i + 1) * sizeof *k);
        if (!k) {
            pthread_mutex_unlock(&pool->mu);
            return hp_err(errmsg, HP_ENOMEM, "pool: out of memory");
        }
        pool->kinds = k;
        pool->nkinds++;
        strcpy(k[i].name, name);
    }
    pool->kinds[i].fn = fn;
    pool->kinds[i].kctx = kctx;
    pool->kinds[i].type = result_type;
    pthread_mutex_unlock(&pool->mu);
    return HP_OK;
}

int hp_pool_find_kind(hp_pool *pool, const char *name, hp_kind_fn *fn, void **kctx, int *type)
{
    int found = 0;
    pthread_mutex_lock(&pool->mu);
    for (int i = 0; i < pool->nkinds && !found; i++)
        if (strcmp(pool->kinds[i].name, name) == 0) {
            *fn = pool->kinds[i].fn;
            *kctx = pool->kinds[i].kctx;
            *type = pool->kinds[i].type;
            found = 1;
        }
    pthread_mutex_unlock(&pool->mu);
    return found;
}

/* ---- jobs ------------------------------------------------------------------------------------ */

/* Builds a job; with caller_slot non-NULL the caller joins it before it is published (so a
 * parallel_for always has the caller among its workers). */
static int submit(hp_pool *pool, int64_t begin, int64_t end, int64_t chunk, int threads,
                  int fail_fast, hp_chunk_fn fn, void *ctx, hp_job **out, int *caller_slot,
                  char **errmsg)
{
    *out = NULL;
    if (!fn)
        return hp_err(errmsg, HP_EINVAL, "pool: no chunk function");
    if (end < begin)
        return hp_err(errmsg, HP_EINVAL, "pool: reversed range [%lld, %lld)", (long long)begin,
                      (long long)end);
    if (end - begin > ((int64_t)1 << 52) || begin < -((int64_t)1 << 60) ||
        end > ((int64_t)1 << 60))
        return hp_err(errmsg, HP_ELIMIT, "pool: range [%lld, %lld) too large", (long long)begin,
                      (long long)end);
    int workers = threads <= 0 || threads > pool->threads ? pool->threads : threads;
    int guided = chunk <= 0;
    if (guided) {
        /* ~32 chunks a worker (few claims for cheap items), shrinking near the end (guided) */
        chunk = (end - begin) / ((int64_t)workers * 32);
        if (chunk < 1)
            chunk = 1;
    }
    hp_job *job = calloc(1, sizeof *job + 2 * (size_t)workers * sizeof(int));
    if (!job)
        return hp_err(errmsg, HP_ENOMEM, "pool: out of memory");
    job->pool = pool;
    job->begin = begin;
    job->end = end;
    job->chunk = chunk;
    job->guided = guided;
    atomic_init(&job->cursor, begin);
    atomic_init(&job->stop, 0);
    job->fn = fn;
    job->ctx = ctx;
    job->fail_fast = fail_fast;
    job->nslots = workers;
    job->nfree = workers;
    for (int i = 0; i < workers; i++)
        job->slots[i] = workers - 1 - i; /* slot 0 is handed out first */

    pthread_mutex_lock(&pool->mu);
    if (pool->closed) {
        pthread_mutex_unlock(&pool->mu);
        free(job);
        return hp_err(errmsg, HP_EINVAL, "pool: the pool is closed");
    }
    atomic_fetch_add_explicit(&pool->refs, 1, memory_order_relaxed);
    job->serial = ++pool->serials;
    if (caller_slot)
        *caller_slot = join_job(job, -1);
    if (exhausted(job)) {
        try_finish(job);
    } else {
        job->queued = 1;
        if (pool->tail)
            pool->tail->next = job;
        else
            pool->head = job;
        pool->tail = job;
        start_workers(pool);
        int wake = job->nfree < pool->started ? job->nfree : pool->started;
        for (int i = 0; i < wake; i++)
            pthread_cond_signal(&pool->wake);
    }
    pthread_mutex_unlock(&pool->mu);
    *out = job;
    return HP_OK;
}

int hp_pool_submit(hp_pool *pool, int64_t begin, int64_t end, int64_t chunk, int threads,
                   int fail_fast, hp_chunk_fn fn, void *ctx, hp_job **out, char **errmsg)
{
    return submit(pool, begin, end, chunk, threads, fail_fast, fn, ctx, out, NULL, errmsg);
}

int hp_job_wait(hp_job *job, double timeout, int help)
{
    hp_pool *pool = job->pool;
    double deadline = timeout >= 0 ? hp_clock_monotonic() + timeout : 0;
    if (timeout == 0)
        deadline = -1; /* poll: neither help nor sleep */
    pthread_mutex_lock(&pool->mu);
    if (help && deadline >= 0) {
        int slot = join_job(job, -1);
        if (slot >= 0) {
            pthread_mutex_unlock(&pool->mu);
            run_chunks(job, slot, deadline);
            pthread_mutex_lock(&pool->mu);
            leave_job(job, slot);
        }
    }
    int rc = HP_OK;
    if (deadline > 0 || deadline < 0) {
        struct timespec ts = abs_time(deadline < 0 ? hp_clock_monotonic() : deadline);
        while (!job->done)
            if (pthread_cond_timedwait(&pool->done_cv, &pool->mu, &ts) == ETIMEDOUT)
                break;
        if (!job->done)
            rc = HP_ETIMEDOUT;
    } else {
        while (!job->done)
            pthread_cond_wait(&pool->done_cv, &pool->mu);
    }
    pthread_mutex_unlock(&pool->mu);
    return rc;
}

int hp_job_done(hp_job *job)
{
    pthread_mutex_lock(&job->pool->mu);
    int done = job->done;
    pthread_mutex_unlock(&job->pool->mu);
    return done;
}

void hp_job_cancel(hp_job *job)
{
    pthread_mutex_lock(&job->pool->mu);
    if (!job->done) {
        atomic_store_explicit(&job->stop, 1, memory_order_relaxed);
        if (job->status == HP_OK)
            job->status = HP_ECANCELED;
        try_finish(job);
    }
    pthread_mutex_unlock(&job->pool->mu);
}

int hp_job_stopped(const hp_job *job)
{
    return atomic_load_explicit(&job->stop, memory_order_relaxed);
}

int hp_job_status(hp_job *job, int64_t *index, const char **msg)
{
    pthread_mutex_lock(&job->pool->mu);
    int status = job->status;
    if (index)
        *index = job->fail_index;
    if (msg)
        *msg = job->msg;
    pthread_mutex_unlock(&job->pool->mu);
    return status;
}

uint64_t hp_job_serial(const hp_job *job) { return job->serial; }

hp_worker_local *hp_job_local(hp_job *job, int worker)
{
    if (worker < 0 || worker >= job->nslots)
        return NULL;
    /* written under mu when this participant joined; read by that same participant */
    int thread = job->slots[job->nslots + worker];
    return thread >= 0 ? &job->pool->locals[thread] : NULL;
}

void hp_job_release(hp_job *job, void (*dtor)(void *), void *arg)
{
    if (!job) {
        if (dtor)
            dtor(arg);
        return;
    }
    hp_job_cancel(job);
    hp_pool *pool = job->pool;
    pthread_mutex_lock(&pool->mu);
    job->dtor = dtor;
    job->dtor_arg = arg;
    if (!job->done) { /* cancelled, so some participant is inside a chunk: it frees the job */
        job->orphan = 1;
        pthread_mutex_unlock(&pool->mu);
        return;
    }
    pthread_mutex_unlock(&pool->mu);
    release_now(job);
}

void hp_job_free(hp_job *job)
{
    if (!job)
        return;
    hp_pool *pool = job->pool;
    hp_job_cancel(job);
    pthread_mutex_lock(&pool->mu);
    while (!job->done)
        pthread_cond_wait(&pool->done_cv, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
    free(job->msg);
    free(job);
    pool_unref(pool);
}

/* ---- fork-join ------------------------------------------------------------------------------- */

struct range_ctx {
    hp_range_fn fn;
    void *ctx;
};

static int range_chunk(void *ctx, hp_job *job, int64_t begin, int64_t end, int worker,
                       int64_t *fail_index, char **errmsg)
{
    (void)job;
    struct range_ctx *rc = ctx;
    int status = rc->fn(rc->ctx, begin, end, worker);
    if (status != HP_OK) {
        *fail_index = begin;
        hp_err(errmsg, status, "chunk [%lld, %lld) failed: %s", (long long)begin,
               (long long)end, hp_status_name(status));
    }
    return status;
}

int hp_pool_parallel_for(hp_pool *pool, int64_t begin, int64_t end, int64_t chunk, int threads,
                         hp_range_fn fn, void *ctx, char **errmsg)
{
    if (!fn)
        return hp_err(errmsg, HP_EINVAL, "pool: no chunk function");
    struct range_ctx rc = { fn, ctx };
    hp_job *job;
    int slot = -1;
    int status = submit(pool, begin, end, chunk, threads, 1, range_chunk, &rc, &job, &slot,
                        errmsg);
    if (status != HP_OK)
        return status;
    if (slot >= 0) {
        run_chunks(job, slot, 0);
        pthread_mutex_lock(&pool->mu);
        leave_job(job, slot);
        pthread_mutex_unlock(&pool->mu);
    }
    hp_job_wait(job, -1, 1);
    const char *msg = NULL;
    status = hp_job_status(job, NULL, &msg);
    if (status != HP_OK)
        hp_err(errmsg, status, "%s", msg ? msg : hp_status_name(status));
    hp_job_free(job);
    return status;
}
