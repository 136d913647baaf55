/* The pool's built-in native kinds: the concurrency workload (fibonacci, recursive as the
 * published Go program, iterative as the published Rust one) and trivial kinds that measure
 * the pool's own per-task overhead or exercise cancellation. Each checks its input and says
 * what was wrong. Other workloads (the kernels' units) register on a pool through
 * hp_pool_register_kind: the pool knows no workload module. */
#include "pool/kinds.h"
#include "common/common.h"
#include "common/error.h"

#include <string.h>
#include <time.h>

enum { FIB_RECURSIVE_MAX = 40, FIB_ITERATIVE_MAX = 92, SLEEP_MAX_MS = 60000 };

int hp_task_int_input(const hp_task_in *in, const char *kind, int64_t lo, int64_t hi,
                      int64_t *v, char **errmsg)
{
    if (in->type == HP_VAL_STRING)
        return hp_err(errmsg, HP_EINVAL, "%s: integer expected, got string", kind);
    if (in->type == HP_VAL_FLOAT && (double)in->i != in->d)
        return hp_err(errmsg, HP_EINVAL, "%s: integer expected, got %.17g", kind, in->d);
    if (in->i < lo || in->i > hi)
        return hp_err(errmsg, HP_EINVAL, "%s: n must be between %lld and %lld, got %lld", kind,
                      (long long)lo, (long long)hi, (long long)in->i);
    *v = in->i;
    return HP_OK;
}

static int64_t fib_rec(int n) { return n < 2 ? n : fib_rec(n - 1) + fib_rec(n - 2); }

static int k_fib_recursive(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t n = 0;
    int rc = hp_task_int_input(in, "fib_recursive", 0, FIB_RECURSIVE_MAX, &n, errmsg);
    if (rc == HP_OK)
        out->i = fib_rec((int)n);
    return rc;
}

static int k_fib_iterative(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t n = 0;
    int rc = hp_task_int_input(in, "fib_iterative", 0, FIB_ITERATIVE_MAX, &n, errmsg);
    if (rc != HP_OK)
        return rc;
    /* unsigned: the last step also computes fib(n + 1), which for n = 92 is past INT64_MAX
     * (signed overflow is undefined) but fits in 64 unsigned bits */
    uint64_t a = 0, b = 1;
    for (int64_t k = 0; k < n; k++) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    out->i = (int64_t)a;
    return HP_OK;
}

/* noop: the pool's cost alone (result 0). */
static int k_noop(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx; (void)in; (void)out; (void)errmsg;
    return HP_OK;
}

/* identity: the input integer back (floats must be integral). */
static int k_identity(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t v = 0;
    int rc = hp_task_int_input(in, "identity", INT64_MIN, INT64_MAX, &v, errmsg);
    if (rc == HP_OK)
        out->i = v;
    return rc;
}

/* square: the input as a float, squared (float results). */
static int k_square(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    if (in->type == HP_VAL_STRING)
        return hp_err(errmsg, HP_EINVAL, "square: number expected, got string");
    out->d = in->d * in->d;
    return HP_OK;
}

/* len: a string's length in bytes. */
static int k_len(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    if (in->type != HP_VAL_STRING)
        return hp_err(errmsg, HP_EINVAL, "len: string expected, got number");
    out->i = (int64_t)in->len;
    return HP_OK;
}

/* sleep: waits n milliseconds (0..60000), polling the batch's cancelled flag every millisecond;
 * a cancelled task fails with HP_ECANCELED. Result: n. */
static int k_sleep(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t ms = 0;
    int rc = hp_task_int_input(in, "sleep", 0, SLEEP_MAX_MS, &ms, errmsg);
    if (rc != HP_OK)
        return rc;
    struct timespec ts = { 0, 1000000 };
    for (int64_t k = 0; k < ms; k++) {
        if (in->job && hp_job_stopped(in->job))
            return hp_err(errmsg, HP_ECANCELED, "sleep: cancelled");
        nanosleep(&ts, NULL);
    }
    out->i = ms;
    return HP_OK;
}

/* spin: busy-waits n milliseconds (0..60000) WITHOUT polling the cancelled flag: a task that
 * cannot be interrupted, for tests of shutdown deadlines. Result: n. */
static int k_spin(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t ms = 0;
    int rc = hp_task_int_input(in, "spin", 0, SLEEP_MAX_MS, &ms, errmsg);
    if (rc != HP_OK)
        return rc;
    double end = hp_clock_monotonic() + (double)ms / 1000.0;
    while (hp_clock_monotonic() < end)
        ;
    out->i = ms;
    return HP_OK;
}

static const struct {
    const char *name;
    hp_kind_fn fn;
    int type;
} builtins[] = {
    { "noop", k_noop, HP_VAL_INT },
    { "identity", k_identity, HP_VAL_INT },
    { "fib_recursive", k_fib_recursive, HP_VAL_INT },
    { "fib_iterative", k_fib_iterative, HP_VAL_INT },
    { "square", k_square, HP_VAL_FLOAT },
    { "len", k_len, HP_VAL_INT },
    { "sleep", k_sleep, HP_VAL_INT },
    { "spin", k_spin, HP_VAL_INT },
};

const char *hp_pool_kinds(void) { return HP_POOL_KINDS; }

int hp_builtin_kind(const char *name, hp_kind_fn *fn, void **kctx, int *type)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i].name, name) == 0) {
            *fn = builtins[i].fn;
            *kctx = NULL;
            *type = builtins[i].type;
            return 1;
        }
    return 0;
}
