/* Batches of native tasks (see tasks.h): one job over the batch's indexes; each chunk applies
 * the kind to its inputs, stores the results in place and folds them into the worker's own
 * partial reductions (no lock, no atomic, no malloc per task). */
#include "pool/tasks.h"
#include "pool/kinds.h"
#include "pool/registry.h"
#include "pool/pool_impl.h"
#include "common/common.h"
#include "common/error.h"

#include <stdlib.h>
#include <string.h>

/* Per-worker partial reductions, a cache line each so that workers do not share lines. */
struct partial {
    int64_t n, isum, imin, imax;
    double dsum, dmin, dmax;
    char pad[8];
};

struct hp_batch {
    hp_pool *pool;
    hp_job *job;
    hp_kind_fn fn;
    void *kctx;
    int result_type;
    hp_batch_spec spec;
    int64_t *ints;
    double *floats;
    char *bytes;            /* string inputs, back to back */
    size_t *offsets;        /* count + 1 offsets into bytes */
    size_t bytes_used;
    int64_t *iresults;
    double *dresults;
    void *results;          /* iresults or dresults: recycled through the pool when freed */
    size_t results_cap;
    struct partial *parts;  /* one per worker slot */
    int nparts;
};

/* ---- running --------------------------------------------------------------------------------- */

/* Applies the kind to inputs [begin, end). The hot loop keeps everything it needs in locals
 * (the kind may write memory, so fields read through b would be reloaded every task) and folds
 * results into a local partial, written back once a chunk. */
static int batch_chunk(void *ctx, hp_job *job, int64_t begin, int64_t end, int worker,
                       int64_t *fail_index, char **errmsg)
{
    hp_batch *b = ctx;
    const hp_kind_fn fn = b->fn;
    void *const kctx = b->kctx;
    const int is_range = b->spec.is_range, fail_fast = b->spec.fail_fast;
    const int64_t first = b->spec.first, step = b->spec.step;
    const int64_t *const ints = b->ints;
    const double *const floats = b->floats;
    int64_t *const iresults = b->iresults;
    double *const dresults = b->dresults;
    const int fint = b->result_type == HP_VAL_INT;
    struct partial p = b->parts[worker];
    hp_task_in in = { .type = b->spec.input_type, .job = job };
    int status = HP_OK;
    for (int64_t k = begin; k < end; k++) {
        if ((k & 63) == 0 && hp_job_stopped(job))
            break;
        in.index = k;
        if (is_range) {
            in.i = first + k * step;
            in.d = (double)in.i;
        } else if (ints) {
            in.i = ints[k];
            in.d = (double)in.i;
        } else if (floats) {
            in.d = floats[k];
            in.i = in.d >= -9.2e18 && in.d <= 9.2e18 ? (int64_t)in.d : 0;
        } else {
            in.s = b->bytes + b->offsets[k];
            in.len = b->offsets[k + 1] - b->offsets[k];
        }
        hp_task_out out = { 0, 0 };
        char *msg = NULL;
        int rc = fn(kctx, &in, &out, &msg);
        if (rc != HP_OK) {
            if (iresults) /* a recycled array holds an earlier batch's value here */
                iresults[k] = 0;
            else if (dresults)
                dresults[k] = 0;
            if (status == HP_OK) {
                status = rc;
                *fail_index = k;
                hp_err(errmsg, rc, "task %lld: %s", (long long)(k + 1),
                       msg ? msg : hp_status_name(rc));
            }
            free(msg);
            if (fail_fast)
                break;
            continue;
        }
        if (msg)
            free(msg);
        if (fint) {
            if (iresults)
                iresults[k] = out.i;
            p.isum = (int64_t)((uint64_t)p.isum + (uint64_t)out.i);
            if (p.n == 0 || out.i < p.imin)
                p.imin = out.i;
            if (p.n == 0 || out.i > p.imax)
                p.imax = out.i;
        } else {
            if (dresults)
                dresults[k] = out.d;
            p.dsum += out.d;
            if (p.n == 0 || out.d < p.dmin)
                p.dmin = out.d;
            if (p.n == 0 || out.d > p.dmax)
                p.dmax = out.d;
        }
        p.n++;
    }
    b->parts[worker] = p;
    return status;
}

/* ---- lifecycle ------------------------------------------------------------------------------- */

int hp_batch_new(hp_pool *pool, const hp_batch_spec *spec, hp_batch **out, char **errmsg)
{
    *out = NULL;
    if (!spec->kind)
        return hp_err(errmsg, HP_EINVAL, "pool: no task kind");
    if (hp_pool_closed(pool))
        return hp_err(errmsg, HP_EINVAL, "pool: the pool is closed");
    hp_kind_fn fn;
    void *kctx;
    int type;
    if (!hp_pool_find_kind(pool, spec->kind, &fn, &kctx, &type) &&
        !hp_builtin_kind(spec->kind, &fn, &kctx, &type))
        return hp_err(errmsg, HP_EINVAL, "unknown task kind '%s'", spec->kind);
    if (spec->count < 0 || spec->count > ((int64_t)1 << HP_BATCH_MAX_BITS))
        return hp_err(errmsg, HP_ELIMIT, "pool: batch size %lld outside 0..2^%d",
                      (long long)spec->count, HP_BATCH_MAX_BITS);
    if (spec->is_range ? spec->input_type != HP_VAL_INT
                       : spec->input_type < HP_VAL_INT || spec->input_type > HP_VAL_STRING)
        return hp_err(errmsg, HP_EINVAL, "pool: bad input type %d", spec->input_type);

    hp_batch *b = calloc(1, sizeof *b);
    if (!b)
        return hp_err(errmsg, HP_ENOMEM, "pool: out of memory");
    b->pool = pool;
    hp_pool_ref(pool); /* the results buffer goes back to the pool, even after hp_pool_free */
    b->fn = fn;
    b->kctx = kctx;
    b->result_type = type;
    b->spec = *spec;
    b->spec.kind = NULL; /* not owned */
    size_t n = (size_t)spec->count;
    int ok = 1;
    if (!spec->is_range) {
        if (spec->input_type == HP_VAL_INT)
            ok &= (b->ints = malloc(n * sizeof *b->ints + 1)) != NULL;
        else if (spec->input_type == HP_VAL_FLOAT)
            ok &= (b->floats = malloc(n * sizeof *b->floats + 1)) != NULL;
        else {
            ok &= (b->bytes = malloc(spec->string_bytes + 1)) != NULL;
            ok &= (b->offsets = calloc(n + 1, sizeof *b->offsets)) != NULL;
        }
    }
    if (spec->keep_results) {
        /* an int64 or a double a task (8 bytes either way), recycled from a freed batch of the
         * pool when one fits: a fresh array of megabytes costs its page faults every batch */
        size_t bytes = (n + 1) * sizeof(int64_t);
        b->results = hp_pool_take_buffer(pool, bytes, &b->results_cap);
        if (!b->results) {
            b->results = calloc(n + 1, sizeof(int64_t));
            b->results_cap = bytes;
        }
        ok &= b->results != NULL;
        if (type == HP_VAL_INT)
            b->iresults = b->results;
        else
            b->dresults = b->results;
    }
    b->nparts = hp_pool_threads(pool);
    ok &= (b->parts = aligned_alloc(64, (size_t)b->nparts * sizeof *b->parts)) != NULL;
    if (!ok) {
        hp_batch_free(b);
        return hp_err(errmsg, HP_ENOMEM, "pool: out of memory for %lld tasks", (long long)n);
    }
    memset(b->parts, 0, (size_t)b->nparts * sizeof *b->parts);
    *out = b;
    return HP_OK;
}

int64_t *hp_batch_ints(hp_batch *b) { return b->ints; }
double *hp_batch_floats(hp_batch *b) { return b->floats; }

int hp_batch_set_string(hp_batch *b, int64_t k, const char *s, size_t len)
{
    if (!b->bytes || k < 0 || k >= b->spec.count || len > b->spec.string_bytes - b->bytes_used)
        return HP_EINVAL;
    memcpy(b->bytes + b->bytes_used, s, len);
    b->offsets[k] = b->bytes_used;
    b->bytes_used += len;
    b->offsets[k + 1] = b->bytes_used;
    return HP_OK;
}

int hp_batch_start(hp_batch *b, char **errmsg)
{
    if (b->job)
        return hp_err(errmsg, HP_EINVAL, "pool: batch already started");
    return hp_pool_submit(b->pool, 0, b->spec.count, b->spec.chunk, b->spec.threads,
                          b->spec.fail_fast, batch_chunk, b, &b->job, errmsg);
}

hp_job *hp_batch_job(hp_batch *b) { return b->job; }

int hp_batch_wait(hp_batch *b, double timeout)
{
    return b->job ? hp_job_wait(b->job, timeout, 0) : HP_OK;
}

int hp_batch_done(hp_batch *b) { return b->job ? hp_job_done(b->job) : 1; }

void hp_batch_cancel(hp_batch *b)
{
    if (b->job)
        hp_job_cancel(b->job);
}

int hp_batch_status(hp_batch *b, int64_t *index, const char **msg)
{
    if (!b->job) {
        if (index)
            *index = 0;
        if (msg)
            *msg = NULL;
        return HP_OK;
    }
    return hp_job_status(b->job, index, msg);
}

int64_t hp_batch_count(const hp_batch *b) { return b->spec.count; }
int hp_batch_result_type(const hp_batch *b) { return b->result_type; }
const int64_t *hp_batch_int_results(const hp_batch *b) { return b->iresults; }
const double *hp_batch_float_results(const hp_batch *b) { return b->dresults; }

int hp_batch_reduce(const hp_batch *b, int op, hp_task_out *out)
{
    out->i = 0;
    out->d = 0;
    int64_t n = 0;
    for (int w = 0; w < b->nparts; w++)
        n += b->parts[w].n;
    if (n == 0)
        return op == HP_REDUCE_SUM;
    if (b->result_type == HP_VAL_FLOAT && b->dresults && op == HP_REDUCE_SUM) {
        double s = 0; /* index order: the same sum whatever the scheduling */
        for (int64_t k = 0; k < b->spec.count; k++)
            s += b->dresults[k];
        out->d = s;
        return 1;
    }
    int first = 1;
    for (int w = 0; w < b->nparts; w++) {
        const struct partial *p = &b->parts[w];
        if (p->n == 0)
            continue;
        if (op == HP_REDUCE_SUM) {
            out->i = (int64_t)((uint64_t)out->i + (uint64_t)p->isum);
            out->d += p->dsum;
        } else if (op == HP_REDUCE_MIN) {
            if (first || p->imin < out->i)
                out->i = p->imin;
            if (first || p->dmin < out->d)
                out->d = p->dmin;
        } else {
            if (first || p->imax > out->i)
                out->i = p->imax;
            if (first || p->dmax > out->d)
                out->d = p->dmax;
        }
        first = 0;
    }
    return 1;
}

static void batch_destroy(void *arg)
{
    hp_batch *b = arg;
    free(b->ints);
    free(b->floats);
    free(b->bytes);
    free(b->offsets);
    free(b->parts);
    hp_pool_give_buffer(b->pool, b->results, b->results_cap);
    hp_pool_unref(b->pool);
    free(b);
}

void hp_batch_free(hp_batch *b)
{
    if (!b)
        return;
    /* cancels; the storage goes now, or with the last worker still inside a task */
    hp_job_release(b->job, batch_destroy, b);
}
