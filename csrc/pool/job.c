/* Jobs of the pool (see pool.h): a range [begin, end) that participants claim in chunks with
 * one atomic fetch_add (or one CAS when guided), and its lifecycle: submit, wait, cancel,
 * status, release; and the C fork-join on top of it. The pool's workers (pool.c) join and
 * leave jobs through the participation functions of job.h.
 *
 * Invariants (all under pool->mu unless atomic):
 *   - a job is in the queue from submit until done; workers only join queued jobs that still
 *     have unclaimed chunks and a free worker slot;
 *   - a participant leaves only after a failed claim (the job is exhausted: cursor >= end or
 *     stop set), or early when its wait deadline passed (it returns its slot);
 *   - so "exhausted and no participant" means every claimed chunk returned: the job is done,
 *     and from then on nothing but its owner touches it;
 *   - a job holds a reference on the pool's memory until it is freed.
 */
#include "pool/job.h"
#include "pool/pool_impl.h"
#include "common/common.h"
#include "common/error.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- participation --------------------------------------------------------------------------- */

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
int hp_job_run_chunks(hp_job *job, int slot, double deadline)
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
int hp_job_join(hp_job *job, int thread)
{
    if (job->done || job->nfree == 0 || exhausted(job))
        return -1;
    job->participants++;
    int slot = job->slots[--job->nfree];
    job->slots[job->nslots + slot] = thread;
    return slot;
}

/* Frees a done job and runs its owner's destructor (after hp_job_release). Without mu. */
void hp_job_release_now(hp_job *job)
{
    hp_pool *pool = job->pool;
    if (job->dtor)
        job->dtor(job->dtor_arg);
    free(job->msg);
    free(job);
    hp_pool_unref(pool);
}

/* Under mu (re-taken by the caller): leaves the job, giving the slot back if work is left. */
void hp_job_leave(hp_job *job, int slot)
{
    job->participants--;
    if (!exhausted(job))
        job->slots[job->nfree++] = slot;
    try_finish(job);
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
        *caller_slot = hp_job_join(job, -1);
    if (exhausted(job)) {
        try_finish(job);
    } else {
        job->queued = 1;
        if (pool->tail)
            pool->tail->next = job;
        else
            pool->head = job;
        pool->tail = job;
        hp_pool_start_workers(pool);
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
        int slot = hp_job_join(job, -1);
        if (slot >= 0) {
            pthread_mutex_unlock(&pool->mu);
            hp_job_run_chunks(job, slot, deadline);
            pthread_mutex_lock(&pool->mu);
            hp_job_leave(job, slot);
        }
    }
    int rc = HP_OK;
    if (deadline > 0 || deadline < 0) {
        struct timespec ts = hp_pool_abs_time(deadline < 0 ? hp_clock_monotonic() : deadline);
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

/* Under mu: the cancel of hp_job_cancel and hp_pool_shutdown (see job.h). */
void hp_job_stop(hp_job *job)
{
    atomic_store_explicit(&job->stop, 1, memory_order_relaxed);
    if (job->status == HP_OK)
        job->status = HP_ECANCELED;
    job->cancelled = 1;
    if (job->on_cancel && job->participants > 0)
        job->on_cancel(job->on_cancel_arg);
    try_finish(job);
}

void hp_job_on_cancel(hp_job *job, void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&job->pool->mu);
    job->on_cancel = fn;
    job->on_cancel_arg = arg;
    /* cancelled before this call (a shutdown from another thread) with chunks still running */
    if (fn && job->cancelled && !job->done && job->participants > 0)
        fn(arg);
    pthread_mutex_unlock(&job->pool->mu);
}

void hp_job_cancel(hp_job *job)
{
    pthread_mutex_lock(&job->pool->mu);
    if (!job->done)
        hp_job_stop(job);
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
    hp_job_release_now(job);
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
    hp_pool_unref(pool);
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
        hp_job_run_chunks(job, slot, 0);
        pthread_mutex_lock(&pool->mu);
        hp_job_leave(job, slot);
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
