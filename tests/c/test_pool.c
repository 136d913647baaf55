/* The pool's C API: fork-join results for every thread count and chunk size, worker indexes,
 * failures, asynchronous jobs (wait, timeout, cancel), and closing with work in flight.
 * Also run under ThreadSanitizer by `make tsan`. */
#include "common/common.h"
#include "common/error.h"
#include "pool/pool.h"
#include "pool/tasks.h"
#include "tap.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* ---- fork-join ------------------------------------------------------------------------------- */

struct sum_ctx {
    int64_t partial[64];  /* per worker: no lock needed */
    atomic_int bad_worker;
    int threads;
    unsigned char *seen;  /* each index exactly once */
    int64_t base;
};

static int sum_chunk(void *ctx, int64_t begin, int64_t end, int worker)
{
    struct sum_ctx *c = ctx;
    if (worker < 0 || worker >= c->threads)
        atomic_store(&c->bad_worker, 1);
    for (int64_t i = begin; i < end; i++) {
        c->partial[worker] += i;
        c->seen[i - c->base]++;
    }
    return HP_OK;
}

static void check_sum(hp_pool *pool, int64_t begin, int64_t end, int64_t chunk, int threads)
{
    struct sum_ctx c = { .threads = threads > 0 ? threads : hp_pool_threads(pool), .base = begin };
    atomic_init(&c.bad_worker, 0);
    c.seen = calloc((size_t)(end - begin) + 1, 1);
    char *err = NULL;
    int rc = hp_pool_parallel_for(pool, begin, end, chunk, threads, sum_chunk, &c, &err);
    int64_t total = 0, want = 0;
    for (int i = 0; i < 64; i++)
        total += c.partial[i];
    for (int64_t i = begin; i < end; i++)
        want += i;
    int once = 1;
    for (int64_t i = 0; i < end - begin; i++)
        once &= c.seen[i] == 1;
    char what[160];
    snprintf(what, sizeof what, "parallel_for [%lld, %lld) chunk %lld threads %d on %d: sum, each index once, worker ids",
             (long long)begin, (long long)end, (long long)chunk, threads, hp_pool_threads(pool));
    CHECK(rc == HP_OK && err == NULL && total == want && once && !atomic_load(&c.bad_worker), what);
    free(c.seen);
    hp_free(err);
}

static int fail_chunk(void *ctx, int64_t begin, int64_t end, int worker)
{
    (void)worker;
    atomic_int *ran = ctx;
    atomic_fetch_add(ran, 1);
    return begin <= 500 && 500 < end ? HP_EFAILED : HP_OK;
}

/* ---- asynchronous jobs ----------------------------------------------------------------------- */

struct slow_ctx {
    atomic_int ran;
    atomic_int release; /* chunks spin-sleep until set (or the job is stopped) */
};

static void nap(void)
{
    struct timespec ts = { 0, 200000 };
    nanosleep(&ts, NULL);
}

static int slow_chunk(void *ctx, hp_job *job, int64_t begin, int64_t end, int worker,
                      int64_t *fail_index, char **errmsg)
{
    (void)begin; (void)end; (void)worker; (void)fail_index; (void)errmsg;
    struct slow_ctx *c = ctx;
    while (!atomic_load(&c->release) && !hp_job_stopped(job))
        nap();
    atomic_fetch_add(&c->ran, 1);
    return HP_OK;
}

static int odd_fails(void *ctx, hp_job *job, int64_t begin, int64_t end, int worker,
                     int64_t *fail_index, char **errmsg)
{
    (void)ctx; (void)job; (void)worker;
    for (int64_t i = begin; i < end; i++)
        if (i % 7 == 3) {
            *fail_index = i;
            return hp_err(errmsg, HP_EFAILED, "index %lld failed", (long long)i);
        }
    return HP_OK;
}

/* ---- shutdown --------------------------------------------------------------------------------- */

/* A chunk that ignores the stop flag until `unblock` is set (a task that cannot be interrupted);
 * its context is heap memory freed by the job's release destructor. */
static atomic_int unblock, ctx_freed, local_dtors, entered;

struct stuck_ctx {
    int64_t touched[64];
};

static void count_local(void *data)
{
    (void)data;
    atomic_fetch_add(&local_dtors, 1);
}

static int stuck_chunk(void *ctx, hp_job *job, int64_t begin, int64_t end, int worker,
                       int64_t *fail_index, char **errmsg)
{
    (void)job; (void)end; (void)fail_index; (void)errmsg;
    struct stuck_ctx *c = ctx;
    hp_worker_local *local = hp_job_local(job, worker);
    if (local && !local->dtor) {
        local->data = c;
        local->dtor = count_local;
    }
    atomic_fetch_add(&entered, 1);
    while (!atomic_load(&unblock))
        nap();
    c->touched[worker] += begin; /* writes the context after the pool was freed */
    return HP_OK;
}

static void free_ctx(void *ctx)
{
    free(ctx);
    atomic_store(&ctx_freed, 1);
}

static int short_chunk(void *ctx, hp_job *job, int64_t begin, int64_t end, int worker,
                       int64_t *fail_index, char **errmsg)
{
    (void)job; (void)begin; (void)end; (void)worker; (void)fail_index; (void)errmsg;
    nap();
    atomic_fetch_add((atomic_int *)ctx, 1);
    return HP_OK;
}

static int wait_flag(atomic_int *flag, int want)
{
    for (int i = 0; i < 50000 && atomic_load(flag) < want; i++)
        nap();
    return atomic_load(flag) >= want;
}

static void test_shutdown(void)
{
    hp_pool *pool = NULL;
    hp_job *job = NULL;
    char *err = NULL;

    /* drain: the queued job runs to its end */
    atomic_int ran;
    atomic_init(&ran, 0);
    hp_pool_new(&pool, 2, NULL);
    hp_pool_submit(pool, 0, 200, 1, 0, 0, short_chunk, &ran, &job, NULL);
    CHECK(hp_pool_shutdown(pool, 30, 10, &err) == HP_OK && err == NULL, "drain: HP_OK");
    CHECK(atomic_load(&ran) == 200 && hp_job_done(job) && hp_job_status(job, NULL, NULL) == HP_OK,
          "drain: every chunk of the job in flight ran");
    CHECK(hp_pool_shutdown(pool, 30, 10, &err) == HP_OK, "shutdown twice: HP_OK");
    hp_job_free(job);
    hp_pool_free(pool);

    /* drain with a deadline: the rest is cancelled */
    struct slow_ctx sc;
    atomic_init(&sc.ran, 0);
    atomic_init(&sc.release, 0);
    hp_pool_new(&pool, 2, NULL);
    hp_pool_submit(pool, 0, 100, 1, 0, 0, slow_chunk, &sc, &job, NULL);
    CHECK(hp_pool_shutdown(pool, 0.05, 10, &err) == HP_OK, "drain past the deadline: cancels, joins");
    CHECK(hp_job_status(job, NULL, NULL) == HP_ECANCELED && atomic_load(&sc.ran) < 100,
          "drain past the deadline: the job is cancelled");
    hp_job_free(job);
    hp_pool_free(pool);

    /* a worker stuck in a chunk past the deadline: detached, memory kept, freed by the worker */
    atomic_store(&unblock, 0);
    atomic_store(&ctx_freed, 0);
    atomic_store(&local_dtors, 0);
    atomic_store(&entered, 0);
    struct stuck_ctx *c = calloc(1, sizeof *c);
    hp_pool_new(&pool, 2, NULL);
    hp_pool_submit(pool, 0, 4, 1, 0, 0, stuck_chunk, c, &job, NULL);
    CHECK(wait_flag(&entered, 2), "both workers are inside a chunk");
    int rc = hp_pool_shutdown(pool, 0, 0.05, &err);
    CHECK(rc == HP_ETIMEDOUT && err != NULL, "stuck workers: HP_ETIMEDOUT");
    CHECK_STR(err, "pool: 2 worker(s) still running a task 0.05 s after the cancel; detached: "
              "they free the pool when their task returns", "the message counts the workers still running");
    hp_free(err);
    err = NULL;
    CHECK(hp_pool_closed(pool), "the pool is closed");
    hp_job *none = NULL;
    CHECK(hp_pool_submit(pool, 0, 5, 0, 0, 0, stuck_chunk, c, &none, &err) == HP_EINVAL && !none,
          "submit after a timed-out shutdown: HP_EINVAL");
    hp_free(err);
    err = NULL;
    hp_pool_free(pool);                  /* the owner lets go: the workers keep it */
    hp_job_release(job, free_ctx, c);    /* the owner lets go: the last worker frees c */
    CHECK(!atomic_load(&ctx_freed), "the context of a running job is not freed on release");
    atomic_store(&unblock, 1);
    CHECK(wait_flag(&ctx_freed, 1), "the last worker frees the released job's context");
    CHECK(wait_flag(&local_dtors, 2), "each exiting worker destroys its own worker-local data");
    struct timespec ts = { 0, 100000000 }; /* let them drop the pool (LeakSanitizer checks it) */
    nanosleep(&ts, NULL);

    /* release of a done job frees at once; of no job, just the destructor */
    atomic_store(&ctx_freed, 0);
    hp_pool_new(&pool, 1, NULL);
    hp_pool_submit(pool, 0, 0, 0, 0, 0, short_chunk, &ran, &job, NULL);
    hp_job_release(job, free_ctx, malloc(8));
    CHECK(atomic_load(&ctx_freed) == 1, "releasing a done job runs the destructor at once");
    atomic_store(&ctx_freed, 0);
    hp_job_release(NULL, free_ctx, malloc(8));
    CHECK(atomic_load(&ctx_freed) == 1, "releasing no job runs the destructor");
    CHECK(hp_pool_shutdown(pool, 0, 0, NULL) == HP_OK, "shutdown of an idle pool with timeout 0: HP_OK");
    hp_pool_free(pool);
}

/* A chunk that never polls hp_job_stopped (as a running Lua task): it returns when its job's
 * on_cancel function has run, or after ~20 s. */
static atomic_int interrupts, deaf_in;

static int deaf_chunk(void *ctx, hp_job *job, int64_t begin, int64_t end, int worker,
                      int64_t *fail_index, char **errmsg)
{
    (void)ctx, (void)job, (void)begin, (void)end, (void)worker, (void)fail_index, (void)errmsg;
    atomic_fetch_add(&deaf_in, 1);
    for (int i = 0; i < 100000 && !atomic_load(&interrupts); i++)
        nap();
    return HP_OK;
}

static void count_interrupt(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

/* hp_job_on_cancel: every cancel of the core reaches it, shutdown (the collector's path) too. */
static void test_on_cancel(void)
{
    hp_pool *pool = NULL;
    hp_job *job = NULL;
    char *err = NULL;

    atomic_store(&interrupts, 0);
    atomic_store(&deaf_in, 0);
    hp_pool_new(&pool, 2, NULL);
    hp_pool_submit(pool, 0, 2, 1, 0, 0, deaf_chunk, NULL, &job, NULL);
    hp_job_on_cancel(job, count_interrupt, &interrupts);
    CHECK(wait_flag(&deaf_in, 2), "both workers are inside a chunk that does not poll");
    CHECK(hp_pool_shutdown(pool, 0, 10, &err) == HP_OK && err == NULL,
          "shutdown interrupts the chunks through on_cancel and joins the workers");
    CHECK(atomic_load(&interrupts) == 1 && hp_job_status(job, NULL, NULL) == HP_ECANCELED,
          "on_cancel ran once; the job is cancelled");
    hp_job_free(job);
    hp_pool_free(pool);

    atomic_store(&interrupts, 0);
    atomic_store(&deaf_in, 0);
    hp_pool_new(&pool, 1, NULL);
    hp_pool_submit(pool, 0, 1, 1, 0, 0, deaf_chunk, NULL, &job, NULL);
    CHECK(wait_flag(&deaf_in, 1), "the worker is inside the chunk");
    hp_job_cancel(job);
    hp_job_on_cancel(job, count_interrupt, &interrupts);
    CHECK(atomic_load(&interrupts) == 1 && hp_job_wait(job, 10, 0) == HP_OK,
          "registered after the cancel: called at once, the job ends");
    hp_job_free(job);

    atomic_store(&interrupts, 0);
    hp_pool_submit(pool, 0, 0, 0, 0, 0, deaf_chunk, NULL, &job, NULL);
    hp_job_on_cancel(job, count_interrupt, &interrupts);
    hp_job_cancel(job);
    hp_job_free(job);
    CHECK(atomic_load(&interrupts) == 0, "a done job's on_cancel is never called");
    hp_pool_free(pool);
}

/* A started, finished batch of `kind` over the range first.., results kept. */
static hp_batch *ran_batch(hp_pool *pool, const char *kind, int64_t first, int64_t count)
{
    hp_batch_spec sp = { .kind = kind, .input_type = HP_VAL_INT, .is_range = 1, .first = first,
                         .step = 1, .count = count, .keep_results = 1 };
    hp_batch *b = NULL;
    if (hp_batch_new(pool, &sp, &b, NULL) != HP_OK || hp_batch_start(b, NULL) != HP_OK)
        return b;
    hp_batch_wait(b, -1);
    return b;
}

static int identity_results(const hp_batch *b, int64_t first, int64_t count)
{
    const int64_t *r = hp_batch_int_results(b);
    for (int64_t k = 0; r && k < count; k++)
        if (r[k] != first + k)
            return 0;
    return r != NULL;
}

/* A batch's job: none before the start; after it, the job's outcome is the batch's. */
static void test_batch_job(void)
{
    hp_pool *pool = NULL;
    hp_pool_new(&pool, 1, NULL);
    hp_batch_spec sp = { .kind = "fib_iterative", .input_type = HP_VAL_INT, .is_range = 1,
                         .first = 90, .step = 1, .count = 5, .keep_results = 1 };
    hp_batch *b = NULL;
    hp_batch_new(pool, &sp, &b, NULL);
    CHECK(b && hp_batch_job(b) == NULL, "a batch not started has no job");
    hp_batch_start(b, NULL);
    hp_job *job = hp_batch_job(b);
    CHECK(job != NULL && hp_job_wait(job, -1, 0) == HP_OK && hp_job_done(job),
          "a started batch's job is waited on and done");
    int64_t i1 = -1, i2 = -2;
    const char *m1 = NULL, *m2 = NULL;
    int r1 = hp_job_status(job, &i1, &m1), r2 = hp_batch_status(b, &i2, &m2);
    CHECK(r1 == r2 && r1 != HP_OK && i1 == 3 && i1 == i2 && m1 == m2,
          "the job's status is the batch's (task 4: fib_iterative(93) fails)");
    hp_batch_free(b);
    hp_pool_free(pool);
}

/* Results arrays are recycled through the pool, never while their batch is alive. */
static void test_results_reuse(void)
{
    hp_pool *pool = NULL;
    hp_pool_new(&pool, 2, NULL);
    enum { N = 100000 }; /* 800 KB of results: worth recycling */
    hp_batch *a = ran_batch(pool, "identity", 0, N);
    hp_batch *b = ran_batch(pool, "identity", 7, N);
    CHECK(identity_results(a, 0, N) && identity_results(b, 7, N),
          "two live batches: both results right");
    CHECK(hp_batch_int_results(a) != hp_batch_int_results(b), "a live batch's array is not reused");
    const int64_t *old = hp_batch_int_results(a);
    hp_batch_free(a);
    hp_batch *c = ran_batch(pool, "identity", 1000, N - 10);
    CHECK(hp_batch_int_results(c) == old, "a freed batch's array serves the next batch");
    CHECK(identity_results(c, 1000, N - 10) && identity_results(b, 7, N),
          "recycled: the new batch's results, the live one's untouched");
    hp_batch_free(c);
    hp_batch *d = ran_batch(pool, "fib_iterative", 50, N); /* n > 92 fails from task 44 on */
    int64_t index = -1;
    CHECK(hp_batch_status(d, &index, NULL) == HP_EINVAL && index == 43 &&
              hp_batch_int_results(d) == old && hp_batch_int_results(d)[43] == 0,
          "recycled: a failed task's entry is 0, not an earlier batch's value");
    hp_batch_free(d);
    hp_batch *e = ran_batch(pool, "identity", 0, 10);
    CHECK(hp_batch_int_results(e) != old && identity_results(e, 0, 10),
          "a small batch does not take a big spare");
    hp_pool_free(pool); /* the batches outlive the pool: their arrays are freed, not kept */
    hp_batch_free(b);
    hp_batch_free(e);
    CHECK(1, "batches freed after their pool (ASan checks the pool's memory)");
}

int main(void)
{
    hp_pool *pool = NULL;
    char *err = NULL;

    CHECK(hp_pool_new(&pool, 0, &err) == HP_OK && hp_pool_threads(pool) == hp_cpu_count(),
          "threads <= 0: one per online CPU");
    CHECK(hp_pool_started(pool) == 0, "workers start lazily (none before the first job)");
    hp_pool_free(pool);

    CHECK(hp_pool_new(&pool, 5000, &err) == HP_EINVAL && pool == NULL && err != NULL,
          "too many threads: HP_EINVAL with a message");
    hp_free(err);
    err = NULL;

    int counts[] = { 1, 2, 3, 8 };
    for (int t = 0; t < 4; t++) {
        hp_pool_new(&pool, counts[t], NULL);
        check_sum(pool, 0, 100000, 0, 0);
        check_sum(pool, 0, 1000, 1, 0);
        check_sum(pool, -50, 77, 13, 0);
        check_sum(pool, 5, 6, 0, 0);
        check_sum(pool, 0, 999, 1000, 0);
        check_sum(pool, 0, 10007, 3, 1);
        check_sum(pool, 0, 10007, 0, 2);
        CHECK(hp_pool_started(pool) == counts[t], "threads background workers started");
        hp_pool_free(pool);
    }

    hp_pool_new(&pool, 3, NULL);
    check_sum(pool, 10, 10, 0, 0);
    struct sum_ctx dummy = { .threads = 3 };
    CHECK(hp_pool_parallel_for(pool, 10, 5, 0, 0, sum_chunk, &dummy, &err) == HP_EINVAL && err,
          "reversed range: HP_EINVAL");
    CHECK_STR(err, "pool: reversed range [10, 5)", "reversed range message");
    hp_free(err);
    err = NULL;

    atomic_int ran;
    atomic_init(&ran, 0);
    int rc = hp_pool_parallel_for(pool, 0, 100000, 10, 0, fail_chunk, &ran, &err);
    CHECK(rc == HP_EFAILED, "a failing chunk's status is returned");
    CHECK_STR(err, "chunk [500, 510) failed: failed", "failing chunk's message");
    CHECK(atomic_load(&ran) < 10000, "the first failure stops the remaining chunks");
    hp_free(err);
    err = NULL;

    /* asynchronous: wait timeout, then release, then done */
    struct slow_ctx sc;
    atomic_init(&sc.ran, 0);
    atomic_init(&sc.release, 0);
    hp_job *job = NULL;
    CHECK(hp_pool_submit(pool, 0, 6, 1, 0, 0, slow_chunk, &sc, &job, &err) == HP_OK, "submit");
    CHECK(hp_job_done(job) == 0, "a blocked job is not done");
    CHECK(hp_job_wait(job, 0.05, 0) == HP_ETIMEDOUT, "wait with a timeout times out");
    CHECK(hp_job_wait(job, 0, 1) == HP_ETIMEDOUT, "wait(0) polls");
    atomic_store(&sc.release, 1);
    CHECK(hp_job_wait(job, 10, 1) == HP_OK && hp_job_done(job), "released job finishes");
    CHECK(hp_job_status(job, NULL, NULL) == HP_OK && atomic_load(&sc.ran) == 6, "every chunk ran");
    hp_job_free(job);

    /* cancel: chunks see the flag */
    atomic_init(&sc.ran, 0);
    atomic_init(&sc.release, 0);
    hp_pool_submit(pool, 0, 1000, 1, 0, 0, slow_chunk, &sc, &job, NULL);
    hp_job_cancel(job);
    CHECK(hp_job_wait(job, 10, 1) == HP_OK, "a cancelled job finishes");
    CHECK(hp_job_status(job, NULL, NULL) == HP_ECANCELED, "status HP_ECANCELED");
    CHECK(atomic_load(&sc.ran) < 1000, "cancel stops the chunks not yet claimed");
    hp_job_free(job);

    /* failure with the lowest index, every chunk run; fail_fast stops early */
    for (int ff = 0; ff < 2; ff++) {
        hp_pool_submit(pool, 0, 1000, 4, 0, ff, odd_fails, NULL, &job, NULL);
        hp_job_wait(job, -1, 1);
        int64_t index = -1;
        const char *msg = NULL;
        int st = hp_job_status(job, &index, &msg);
        if (!ff) {
            CHECK(st == HP_EFAILED && index == 3, "failure with the lowest index is kept");
            CHECK_STR(msg, "index 3 failed", "its message");
        } else {
            CHECK(st == HP_EFAILED && index % 7 == 3, "fail_fast: a failure is kept");
        }
        hp_job_free(job);
    }

    /* close with work in flight: never blocks forever, the job stays valid after free */
    atomic_init(&sc.ran, 0);
    atomic_init(&sc.release, 0);
    hp_pool_submit(pool, 0, 100, 1, 0, 0, slow_chunk, &sc, &job, NULL);
    nap();
    hp_pool_free(pool);
    CHECK(hp_job_done(job) && hp_job_status(job, NULL, NULL) == HP_ECANCELED,
          "closing the pool cancels the job in flight");
    hp_job_free(job);

    /* a job freed while running: cancel, then wait until no participant uses it */
    hp_pool_new(&pool, 2, NULL);
    atomic_init(&sc.release, 0);
    hp_pool_submit(pool, 0, 100, 1, 0, 0, slow_chunk, &sc, &job, NULL);
    nap();
    hp_job_free(job);
    CHECK(1, "freeing a running job returns");
    CHECK(hp_pool_submit(pool, 0, 0, 0, 0, 0, slow_chunk, &sc, &job, NULL) == HP_OK &&
              hp_job_done(job), "an empty job is done at once");
    hp_job_free(job);
    hp_pool_close(pool);
    CHECK(hp_pool_closed(pool), "closed");
    CHECK(hp_pool_submit(pool, 0, 5, 0, 0, 0, slow_chunk, &sc, &job, &err) == HP_EINVAL,
          "submit on a closed pool: HP_EINVAL");
    CHECK_STR(err, "pool: the pool is closed", "closed message");
    hp_free(err);
    hp_pool_free(pool);

    test_shutdown();
    test_results_reuse();
    test_batch_job();
    test_on_cancel();
    return tap_done();
}
