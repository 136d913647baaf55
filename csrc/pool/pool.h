/* hotpath:abi
 * The threaded pool: persistent workers (started lazily, sleeping when idle) that run jobs, a
 * job being a range [begin, end) cut into chunks that participants claim with one atomic
 * fetch_add each (no lock and no malloc per task or per chunk).
 *
 * Two ways in:
 *   - hp_pool_parallel_for: fork-join for C code (the kernels); the caller participates and
 *     the call returns when every chunk ran.
 *   - hp_pool_submit + hp_job_*: an asynchronous job (the Lua batches of tasks.c and the Lua
 *     bindings); whoever waits on it participates until the chunks run out.
 * Read by LuaJIT's ffi.cdef: no macros in declarations.
 */
#ifndef HP_POOL_H
#define HP_POOL_H
#include <stdint.h>
#pragma GCC visibility push(default)

typedef struct hp_pool hp_pool; /* opaque */
typedef struct hp_job hp_job;   /* opaque: one submitted range */

enum { HP_POOL_MAX_THREADS = 1024 };
/* How long hp_pool_free (and so a collected Lua pool) waits for running chunks to return
 * before it detaches the workers (see hp_pool_shutdown). */
enum { HP_POOL_FREE_TIMEOUT_MS = 2000 };

/* Storage of one background thread for code that runs chunks on it (the Lua binding keeps its
 * worker lua_State here): set and read only on that thread; when the thread exits (the pool
 * shuts down) it calls dtor(data) itself, so data never crosses threads. */
typedef struct hp_worker_local {
    void *data;
    void (*dtor)(void *data);
} hp_worker_local;

/* Chunk callback: processes [begin, end); worker is 0..threads-1 (the calling thread is one of
 * them). Returns HP_OK or a status; the first failure stops the remaining chunks. */
typedef int (*hp_range_fn)(void *ctx, int64_t begin, int64_t end, int worker);

/* The general chunk callback of a job: as hp_range_fn, plus the job (for hp_job_stopped, which
 * long chunks poll) and, on failure, the index that failed (default: begin) and a malloc'd
 * message in *errmsg (may stay NULL). `worker` is unique among the job's participants at any
 * moment (per-worker scratch indexed by it needs no lock). */
typedef int (*hp_chunk_fn)(void *ctx, hp_job *job, int64_t begin, int64_t end, int worker,
                           int64_t *fail_index, char **errmsg);

/* A pool of `threads` workers (<= 0: one per online CPU). `threads` background threads start on
 * the first job; a parallel_for runs on threads - 1 of them plus its caller. Never raises. */
int hp_pool_new(hp_pool **out, int threads, char **errmsg);

/* Stops the pool: no more submits (they fail with HP_EINVAL); the jobs already queued may run
 * to their end for `drain` seconds (0: not at all, < 0: no limit); then every job not done is
 * cancelled (status HP_ECANCELED; chunks not yet claimed never run, running ones may poll
 * hp_job_stopped or are interrupted by the job's hp_job_on_cancel function), and the call
 * waits up to `timeout` seconds (< 0: no limit) for the workers inside a chunk to return,
 * then joins them all. HP_OK once every worker is joined;
 * HP_ETIMEDOUT (the message counts them) if some worker was still inside a chunk at the
 * deadline: the workers are detached and nothing they use is freed (each holds a reference on
 * the pool's memory, a job keeps its context until it is released, and the shared objects
 * holding the code they run stay mapped); the last of them frees the pool after hp_pool_free.
 * Jobs held by their owner stay valid. The handle stays valid until hp_pool_free. Idempotent
 * (a second call returns HP_OK at once). */
int hp_pool_shutdown(hp_pool *pool, double drain, double timeout, char **errmsg);

/* hp_pool_shutdown without drain and without a deadline. */
void hp_pool_close(hp_pool *pool);

/* hp_pool_shutdown (no drain, timeout HP_POOL_FREE_TIMEOUT_MS), then releases the caller's handle;
 * memory a job or a detached worker still uses stays until they release it. NULL is fine. */
void hp_pool_free(hp_pool *pool);

int hp_pool_threads(const hp_pool *pool);
int hp_pool_closed(const hp_pool *pool);
/* Background threads started so far (0 until the first job: they start lazily). */
int hp_pool_started(const hp_pool *pool);

/* Runs fn over [begin, end) in chunks of `chunk` items (<= 0: automatic: about 1/32 of a
 * worker's share, and guided: claims shrink to single items near the end, so that items of very
 * different costs still end together), on at most `threads`
 * workers (<= 0: all of the pool's), the caller participating; blocks until every chunk ran.
 * Returns the first failing chunk's status (its message in *errmsg). */
int hp_pool_parallel_for(hp_pool *pool, int64_t begin, int64_t end, int64_t chunk, int threads,
                         hp_range_fn fn, void *ctx, char **errmsg);

/* Submits a job over [begin, end) (chunk and threads as for parallel_for) and returns at once;
 * background workers run it (hp_job_wait with help also makes the caller participate). fail_fast: the
 * first failure stops the chunks not yet claimed (otherwise every chunk runs and the failure
 * with the lowest index is kept). ctx must stay valid until the job is done. The caller owns
 * *out and releases it with hp_job_free. Never raises; HP_EINVAL on a closed pool. */
int hp_pool_submit(hp_pool *pool, int64_t begin, int64_t end, int64_t chunk, int threads,
                   int fail_fast, hp_chunk_fn fn, void *ctx, hp_job **out, char **errmsg);

/* Participates in the job (when help is non-zero) until its chunks run out or the deadline
 * passes, then sleeps until it is done. timeout < 0: no deadline. HP_OK once the job is done
 * (whatever its outcome: see hp_job_status), HP_ETIMEDOUT if the deadline passed first. */
int hp_job_wait(hp_job *job, double timeout, int help);

/* 1 once every participant left and no chunk is left to run (a done job touches nothing). */
int hp_job_done(hp_job *job);

/* Stops the chunks not yet claimed; running chunks finish (or poll hp_job_stopped). The job's
 * status becomes HP_ECANCELED unless a failure came first. Never blocks on running chunks. */
void hp_job_cancel(hp_job *job);

/* Registers fn(arg) to interrupt the job's running chunks when it is cancelled: by
 * hp_job_cancel, hp_job_release, hp_job_free or hp_pool_shutdown (and so hp_pool_free, the
 * collector's path), while some participant is inside a chunk; at once if that already
 * happened. For chunks that cannot poll hp_job_stopped (the Lua binding signals the threads
 * running Lua tasks). fn runs on the cancelling thread under the pool's lock: it must not
 * block nor call into the pool (a lock of its own that is never held while calling the pool
 * is fine). arg must stay valid until the job is done. fn NULL: none. */
void hp_job_on_cancel(hp_job *job, void (*fn)(void *), void *arg);

/* Non-zero once the job was cancelled or failed with fail_fast: chunks may poll it (cheap). */
int hp_job_stopped(const hp_job *job);

/* Outcome of a done job: HP_OK, the failing chunk's status (*index: its failing index, *msg:
 * its message, owned by the job, may be NULL) or HP_ECANCELED. */
int hp_job_status(hp_job *job, int64_t *index, const char **msg);

/* Cancels the job if it is not done, waits until no participant uses it, and releases it. */
void hp_job_free(hp_job *job);

/* Cancels the job and releases it without waiting: if no participant is inside a chunk, frees
 * it and calls dtor(arg) now; otherwise the last participant does both when its chunk returns
 * (on its thread). For jobs whose context is heap memory that dtor frees (the Lua futures, so
 * that a collector never blocks on a running task). NULL job: just dtor(arg). */
void hp_job_release(hp_job *job, void (*dtor)(void *), void *arg);

/* Unique number of the job within its pool (1, 2, ...): tells batches apart in caches. */
uint64_t hp_job_serial(const hp_job *job);

/* The hp_worker_local of the background thread running this chunk as `worker`, or NULL when
 * the participant is a caller helping (hp_job_wait with help, parallel_for). Call only from
 * inside the chunk callback. */
hp_worker_local *hp_job_local(hp_job *job, int worker);

#pragma GCC visibility pop
#endif
