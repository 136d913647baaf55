/* Internal to pool/: a job's layout and its participation protocol (job.c), as the pool's
 * workers (pool.c) use them. Not ABI. */
#ifndef HP_POOL_JOB_H
#define HP_POOL_JOB_H
#include "pool/pool.h"

#include <stdatomic.h>
#include <stdint.h>

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
    int cancelled;              /* hp_job_stop ran (a fail_fast stop is not a cancel) */
    void (*on_cancel)(void *);  /* hp_job_on_cancel */
    void *on_cancel_arg;
    int nfree;                  /* free worker slots, in slots[0..nfree) */
    int status;
    int64_t fail_index;
    char *msg;
    int slots[];                /* [0, nslots): free slot stack; [nslots, 2 nslots): thread per slot */
};

/* Under mu: takes a worker slot in the job if it has work left; -1 if not. thread: the
 * background thread's index (its hp_worker_local), -1 for a caller that helps. */
int hp_job_join(hp_job *job, int thread);

/* Claims and runs chunks until the job is exhausted or (deadline > 0) the clock passes it.
 * Returns 1 if it stopped for the deadline. Called without mu, by a participant (joined). */
int hp_job_run_chunks(hp_job *job, int slot, double deadline);

/* Under mu (re-taken by the caller): leaves the job, giving the slot back if work is left. */
void hp_job_leave(hp_job *job, int slot);

/* Under mu, on a job not done: stops the job as a cancel does (status HP_ECANCELED unless a
 * failure came first), calls its on_cancel function (hp_job_on_cancel) so that running chunks
 * are interrupted, and marks it done if nobody is inside a chunk. */
void hp_job_stop(hp_job *job);

/* Frees a done job and runs its owner's destructor (after hp_job_release). Without mu. */
void hp_job_release_now(hp_job *job);

#endif
