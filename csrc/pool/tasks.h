/* hotpath:abi
 * Batches of native tasks on a pool: a kind (a C function registered by name) applied to every
 * input of a batch (an integer range, or an array of integers, floats or strings), the results
 * kept in one array and/or reduced (sum, min, max) in C. A batch crosses the Lua/C boundary
 * once: the binding fills the inputs in place and starts it.
 * Read by LuaJIT's ffi.cdef: no macros in declarations.
 */
#ifndef HP_TASKS_H
#define HP_TASKS_H
#include <stddef.h>
#include <stdint.h>
#include "pool/pool.h"
#pragma GCC visibility push(default)

enum hp_value_type { HP_VAL_NONE = 0, HP_VAL_INT = 1, HP_VAL_FLOAT = 2, HP_VAL_STRING = 3 };
enum hp_reduce_op { HP_REDUCE_SUM = 0, HP_REDUCE_MIN = 1, HP_REDUCE_MAX = 2 };
/* A batch has at most 2^HP_BATCH_MAX_BITS tasks. */
enum { HP_BATCH_MAX_BITS = 40 };

/* One task's input. index: 0-based position in the batch; type: HP_VAL_INT (i set, d = i),
 * HP_VAL_FLOAT (d set, i = (int64_t)d) or HP_VAL_STRING (s, len). job: for hp_job_stopped. */
typedef struct hp_task_in {
    int64_t index;
    int type;
    int64_t i;
    double d;
    const char *s;
    size_t len;
    hp_job *job;
} hp_task_in;

/* One task's result: the kind fills i or d according to its result type. */
typedef struct hp_task_out {
    int64_t i;
    double d;
} hp_task_out;

/* A native kind: computes one task; returns HP_OK, or a status with a malloc'd message in
 * *errmsg (may stay NULL). Runs on any worker thread, concurrently with itself: kctx is shared
 * and must be read-only (or synchronised by the kind). Must not raise. */
typedef int (*hp_kind_fn)(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg);

/* Registers a kind on this pool under name (copied; at most 63 bytes), replacing one of the
 * same name. result_type: HP_VAL_INT or HP_VAL_FLOAT. The pool's built-in kinds (see
 * hp_pool_kinds) exist on every pool; workloads register theirs (workloads/workloads.h).
 * Never raises. */
int hp_pool_register_kind(hp_pool *pool, const char *name, hp_kind_fn fn, void *kctx,
                          int result_type, char **errmsg);

/* The pool's built-in kinds' names, comma-separated (HP_POOL_KINDS). */
#define HP_POOL_KINDS "noop,identity,fib_recursive,fib_iterative,square,len,sleep,spin"
const char *hp_pool_kinds(void);

/* For kinds that take an integer: in's value in *v if it is an integer (a float only when
 * integral) in [lo, hi]; else HP_EINVAL "KIND: integer expected, got string" (or "got 1.5"),
 * "KIND: n must be between LO and HI, got N". Never raises. */
int hp_task_int_input(const hp_task_in *in, const char *kind, int64_t lo, int64_t hi,
                      int64_t *v, char **errmsg);

/* What a batch is. kind: a registered name. input_type: HP_VAL_INT (an array, or a range when
 * is_range: input k = first + k * step), HP_VAL_FLOAT or HP_VAL_STRING (string_bytes: total
 * length of the strings). chunk, threads: as for hp_pool_parallel_for. keep_results: 0 keeps
 * only the reductions (no per-task memory at all). */
typedef struct hp_batch_spec {
    const char *kind;
    int input_type;
    int is_range;
    int64_t first, step;
    int64_t count;
    size_t string_bytes;
    int64_t chunk;
    int threads;
    int fail_fast;
    int keep_results;
} hp_batch_spec;

typedef struct hp_batch hp_batch;

/* Allocates a batch (inputs and results); the caller then fills the inputs (hp_batch_ints,
 * hp_batch_floats, hp_batch_set_string) and calls hp_batch_start. HP_EINVAL for an unknown kind
 * (message "unknown task kind 'x'"), a closed pool or a bad spec. Never raises. */
int hp_batch_new(hp_pool *pool, const hp_batch_spec *spec, hp_batch **out, char **errmsg);

/* Input storage of a batch before it starts (NULL when the input type differs). */
int64_t *hp_batch_ints(hp_batch *b);
double *hp_batch_floats(hp_batch *b);
/* Copies string input k (0-based) into the batch; strings are set in order of k. */
int hp_batch_set_string(hp_batch *b, int64_t k, const char *s, size_t len);

/* Submits the batch to its pool; returns at once. */
int hp_batch_start(hp_batch *b, char **errmsg);

/* The batch's job once started, else NULL: a binding that also runs batches of its own on the
 * pool (the Lua binding's Lua-function batches) waits, polls, cancels and reads the outcome of
 * both through hp_job_wait (without help), hp_job_done, hp_job_cancel and hp_job_status. */
hp_job *hp_batch_job(hp_batch *b);

/* As hp_job_wait without help (the background workers run the batch, so a timeout is kept
 * even when a task runs long): HP_OK once done, HP_ETIMEDOUT. */
int hp_batch_wait(hp_batch *b, double timeout);
int hp_batch_done(hp_batch *b);
void hp_batch_cancel(hp_batch *b);

/* Outcome once done: HP_OK, or the failing task's status, with *index (0-based) and *msg
 * ("task 17: ...", owned by the batch), or HP_ECANCELED. */
int hp_batch_status(hp_batch *b, int64_t *index, const char **msg);

int64_t hp_batch_count(const hp_batch *b);
int hp_batch_result_type(const hp_batch *b);
/* Results once done (NULL without keep_results, or of the other type). A failed task's entry
 * is 0; the entries of tasks that never ran (a cancelled batch, fail_fast) are unspecified
 * (the array may be recycled from an earlier batch of the pool). */
const int64_t *hp_batch_int_results(const hp_batch *b);
const double *hp_batch_float_results(const hp_batch *b);

/* Reduction over the results of a done, successful batch: 1 with *out set, 0 for an empty
 * batch's min or max. Integer sums wrap like int64 arithmetic; float sums of kept results are
 * taken in index order. */
int hp_batch_reduce(const hp_batch *b, int op, hp_task_out *out);

/* Cancels if running and releases it without waiting: a worker still inside a task frees it
 * when that task returns (hp_job_release). NULL is fine. */
void hp_batch_free(hp_batch *b);

#pragma GCC visibility pop
#endif
