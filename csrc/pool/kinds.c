/* The built-in native kinds: the concurrency workload (fibonacci, recursive as the published Go
 * program, iterative as the published Rust one), the kernels' work units (see "kernel work
 * units" below), and trivial kinds that measure the pool's own per-task overhead or exercise
 * cancellation. Each checks its input and says what was wrong. */
#include "pool/kinds.h"
#include "common/common.h"
#include "common/error.h"
#include "kernels/binarytrees.h"
#include "kernels/fannkuch_redux.h"
#include "kernels/nbody.h"
#include "kernels/spectral_norm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { FIB_RECURSIVE_MAX = 40, FIB_ITERATIVE_MAX = 92, SLEEP_MAX_MS = 60000 };

/* The input as an integer in [lo, hi], or a status with a message naming the kind. */
static int int_input(const hp_task_in *in, const char *kind, int64_t lo, int64_t hi,
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
    int rc = int_input(in, "fib_recursive", 0, FIB_RECURSIVE_MAX, &n, errmsg);
    if (rc == HP_OK)
        out->i = fib_rec((int)n);
    return rc;
}

static int k_fib_iterative(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t n = 0;
    int rc = int_input(in, "fib_iterative", 0, FIB_ITERATIVE_MAX, &n, errmsg);
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
    int rc = int_input(in, "identity", INT64_MIN, INT64_MAX, &v, errmsg);
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
    int rc = int_input(in, "sleep", 0, SLEEP_MAX_MS, &ms, errmsg);
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
    int rc = int_input(in, "spin", 0, SLEEP_MAX_MS, &ms, errmsg);
    if (rc != HP_OK)
        return rc;
    double end = hp_clock_monotonic() + (double)ms / 1000.0;
    while (hp_clock_monotonic() < end)
        ;
    out->i = ms;
    return HP_OK;
}

/* ---- kernel work units ------------------------------------------------------------------------
 * One task = one independent unit of a kernel, run single-threaded on the worker (the pool is
 * the parallelism), so a batch is a parameter sweep or the kernel's own decomposition:
 *   binarytrees_check d: build a binary tree of depth d, check it (count its nodes), free it:
 *     the unit the binarytrees program repeats 2^(N-d+4) times per depth. A local
 *     implementation (one allocation a node, as the published programs do), since the kernel
 *     exports only the whole program. Result: 2^(d+1) - 1.
 *   nbody_energy n, spectral_norm n, fannkuch_checksum n: the kernels' public entry points
 *     with threads = 1 (hp_nbody, hp_spectral_norm, hp_fannkuch_redux): energy after n steps,
 *     the norm, the permutation checksum. They do not poll the cancelled flag.
 * Not a kind: a mandelbrot row (or a spectral-norm row, or a k-nucleotide shard) needs a
 * row-level entry point the kernels do not export (see doc/pool.md). */

typedef struct tnode {
    struct tnode *left, *right;
} tnode;

static void tree_free(tnode *t)
{
    if (t->left) {
        tree_free(t->left);
        tree_free(t->right);
    }
    free(t);
}

/* Builds a tree of the given depth; NULL if out of memory (what was built is freed). */
static tnode *tree_build(int depth)
{
    tnode *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    t->left = t->right = NULL;
    if (depth > 0) {
        t->left = tree_build(depth - 1);
        t->right = t->left ? tree_build(depth - 1) : NULL;
        if (!t->right) { /* a whole left subtree, or none */
            if (t->left)
                tree_free(t->left);
            free(t);
            return NULL;
        }
    }
    return t;
}

static int64_t tree_check(const tnode *t)
{
    return t->left ? 1 + tree_check(t->left) + tree_check(t->right) : 1;
}

static int k_binarytrees_check(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t d = 0;
    int rc = int_input(in, "binarytrees_check", 0, HP_BINARYTREES_MAX_N + 1, &d, errmsg);
    if (rc != HP_OK)
        return rc;
    tnode *t = tree_build((int)d);
    if (!t)
        return hp_err(errmsg, HP_ENOMEM, "binarytrees_check: out of memory for depth %d", (int)d);
    out->i = tree_check(t);
    tree_free(t);
    return HP_OK;
}

typedef int (*kernel_fn)(int n, int threads, char **out, size_t *out_len, char **errmsg);

/* Runs a kernel on this thread and parses the number on line `line` (0-based) of its output. */
static int kernel_number(kernel_fn fn, const char *kind, int64_t n, int line, double *v,
                         char **errmsg)
{
    char *text = NULL, *msg = NULL;
    size_t len = 0;
    int rc = fn((int)n, 1, &text, &len, &msg);
    if (rc != HP_OK) {
        hp_err(errmsg, rc, "%s: %s", kind, msg ? msg : hp_status_name(rc));
        hp_free(msg);
        hp_free(text);
        return rc;
    }
    const char *p = text;
    for (int k = 0; k < line && p; k++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    char *end = NULL;
    *v = p ? strtod(p, &end) : 0;
    rc = p && end != p ? HP_OK : hp_err(errmsg, HP_EFAILED, "%s: unexpected kernel output", kind);
    hp_free(text);
    return rc;
}

static int k_nbody_energy(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t n = 0;
    int rc = int_input(in, "nbody_energy", 0, HP_NBODY_MAX_N, &n, errmsg);
    return rc != HP_OK ? rc : kernel_number(hp_nbody, "nbody_energy", n, 1, &out->d, errmsg);
}

static int k_spectral_norm(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t n = 0;
    int rc = int_input(in, "spectral_norm", 1, HP_SPECTRAL_NORM_MAX_N, &n, errmsg);
    return rc != HP_OK ? rc : kernel_number(hp_spectral_norm, "spectral_norm", n, 0, &out->d, errmsg);
}

static int k_fannkuch_checksum(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t n = 0;
    double v = 0;
    int rc = int_input(in, "fannkuch_checksum", 1, HP_FANNKUCH_REDUX_MAX_N, &n, errmsg);
    if (rc == HP_OK)
        rc = kernel_number(hp_fannkuch_redux, "fannkuch_checksum", n, 0, &v, errmsg);
    out->i = (int64_t)v;
    return rc;
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
    { "binarytrees_check", k_binarytrees_check, HP_VAL_INT },
    { "nbody_energy", k_nbody_energy, HP_VAL_FLOAT },
    { "spectral_norm", k_spectral_norm, HP_VAL_FLOAT },
    { "fannkuch_checksum", k_fannkuch_checksum, HP_VAL_INT },
};

const char *hp_task_kinds(void) { return "noop,identity,fib_recursive,fib_iterative,square,len,sleep,spin,"
                                      "binarytrees_check,nbody_energy,spectral_norm,fannkuch_checksum"; }

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
