/* Workloads as pool kinds (ASan+UBSan build): the kernels' units reach a pool only through its
 * registry, their results are the kernels' numbers (the same the programs print, at full
 * precision), and every rule (integer input, range) answers with the kind's name. */
#include "hotpath.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>

/* One task of `kind` on input n; its status, result and message (freed by the caller). */
static int run_one(hp_pool *pool, const char *kind, int64_t n, hp_task_out *out, char **msg)
{
    hp_batch_spec sp = { .kind = kind, .input_type = HP_VAL_INT, .count = 1, .keep_results = 1 };
    hp_batch *b = NULL;
    int rc = hp_batch_new(pool, &sp, &b, msg);
    if (rc != HP_OK)
        return rc;
    hp_batch_ints(b)[0] = n;
    if ((rc = hp_batch_start(b, msg)) == HP_OK) {
        hp_batch_wait(b, -1);
        const char *m = NULL;
        rc = hp_batch_status(b, NULL, &m);
        if (m && msg)
            *msg = strdup(m);
        if (rc == HP_OK) {
            out->i = hp_batch_result_type(b) == HP_VAL_INT ? hp_batch_int_results(b)[0] : 0;
            out->d = hp_batch_result_type(b) == HP_VAL_FLOAT ? hp_batch_float_results(b)[0] : 0;
        }
    }
    hp_batch_free(b);
    return rc;
}

/* Line `line` (0-based) of a kernel program's output, as printed. */
static char *program_line(int (*fn)(int, int, char **, size_t *, char **), int n, int line)
{
    char *out = NULL;
    size_t len = 0;
    if (fn(n, 1, &out, &len, NULL) != HP_OK)
        return NULL;
    char *p = out;
    for (int k = 0; k < line && p; k++)
        p = (p = strchr(p, '\n')) ? p + 1 : NULL;
    char *s = p ? strndup(p, strcspn(p, "\n")) : NULL;
    hp_free(out);
    return s;
}

static void check_error(hp_pool *pool, const char *kind, int64_t n, const char *want)
{
    hp_task_out out = { 0, 0 };
    char *msg = NULL;
    char what[160], full[160];
    snprintf(what, sizeof what, "%s(%lld): HP_EINVAL with the kind's message", kind, (long long)n);
    snprintf(full, sizeof full, "task 1: %s", want);
    CHECK(run_one(pool, kind, n, &out, &msg) == HP_EINVAL, what);
    CHECK_STR(msg, full, what);
    free(msg);
}

static void test_registry(void)
{
    hp_pool *plain = NULL, *pool = NULL;
    char *err = NULL;
    hp_task_out out;
    hp_pool_new(&plain, 1, NULL);
    CHECK(run_one(plain, "nbody_energy", 1, &out, &err) == HP_EINVAL, "a bare pool has no workload kind");
    CHECK_STR(err, "unknown task kind 'nbody_energy'", "... and says so");
    hp_free(err);
    err = NULL;
    CHECK(hp_workloads_register(plain, NULL) == HP_OK && run_one(plain, "fannkuch_checksum", 7, &out, NULL) == HP_OK &&
              out.i == 228,
          "registered on a bare pool, the kinds run");
    hp_pool_free(plain);

    CHECK(hp_task_pool_new(&pool, 0, NULL) == HP_OK && pool, "hp_task_pool_new");
    CHECK_STR(hp_task_kinds(), "noop,identity,fib_recursive,fib_iterative,square,len,sleep,spin,"
                               "binarytrees_check,nbody_energy,spectral_norm,fannkuch_checksum",
              "hp_task_kinds: the pool's kinds, then the workloads'");
    CHECK_STR(hp_pool_kinds(), HP_POOL_KINDS, "hp_pool_kinds");
    char *list = strdup(hp_task_kinds()), *save = NULL;
    int all = 1, count = 0;
    for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save), count++) {
        hp_batch_spec sp = { .kind = k, .input_type = HP_VAL_INT, .count = 0 };
        hp_batch *b = NULL;
        all &= hp_batch_new(pool, &sp, &b, NULL) == HP_OK;
        hp_batch_free(b);
    }
    free(list);
    CHECK(all && count == 12, "every listed kind exists on a task pool");
    hp_pool_free(pool);
}

static void test_results(void)
{
    hp_pool *pool = NULL;
    hp_task_pool_new(&pool, 2, NULL);
    hp_task_out out = { 0, 0 };
    int ok = 1;
    for (int d = 0; d <= 12; d++)
        ok &= run_one(pool, "binarytrees_check", d, &out, NULL) == HP_OK && out.i == ((int64_t)2 << d) - 1;
    CHECK(ok, "binarytrees_check d: 2^(d+1) - 1 for d in 0..12");
    int64_t count = 0;
    CHECK(hp_binarytrees_check(HP_BINARYTREES_CHECK_MAX_DEPTH, &count, NULL) == HP_OK &&
              count == ((int64_t)2 << HP_BINARYTREES_CHECK_MAX_DEPTH) - 1,
          "hp_binarytrees_check at the deepest unit (the largest stretch tree)");

    int ns[] = { 0, 1, 1000 };
    for (int i = 0; i < 3; i++) {
        double e = 0;
        char text[64], what[96];
        CHECK(run_one(pool, "nbody_energy", ns[i], &out, NULL) == HP_OK &&
                  hp_nbody_energy(ns[i], &e, NULL) == HP_OK && out.d == e,
              "nbody_energy: the kernel's number, unrounded");
        char *line = program_line(hp_nbody, ns[i], 1);
        snprintf(text, sizeof text, "%.9f", out.d);
        snprintf(what, sizeof what, "nbody_energy(%d) prints as the program's second line", ns[i]);
        CHECK_STR(text, line, what);
        free(line);
    }
    CHECK(run_one(pool, "nbody_energy", 1000, &out, NULL) == HP_OK && out.d != strtod("-0.169087605", NULL),
          "nbody_energy keeps more than the 9 printed decimals");
    for (int n = 1; n <= 300; n += 99) {
        double v = 0;
        char text[64], what[96];
        CHECK(run_one(pool, "spectral_norm", n, &out, NULL) == HP_OK &&
                  hp_spectral_norm_value(n, 1, &v, NULL) == HP_OK && out.d == v,
              "spectral_norm: the kernel's number");
        double v4 = 0;
        CHECK(hp_spectral_norm_value(n, 4, &v4, NULL) == HP_OK && v4 == v, "spectral_norm: any thread count, same number");
        char *line = program_line(hp_spectral_norm, n, 0);
        snprintf(text, sizeof text, "%0.9f", out.d);
        snprintf(what, sizeof what, "spectral_norm(%d) prints as the program", n);
        CHECK_STR(text, line, what);
        free(line);
    }
    for (int n = 1; n <= 9; n++) {
        int64_t sum = 0;
        int flips = 0;
        char text[64], what[96];
        CHECK(run_one(pool, "fannkuch_checksum", n, &out, NULL) == HP_OK &&
                  hp_fannkuch_checksum(n, 3, &sum, &flips, NULL) == HP_OK && out.i == sum,
              "fannkuch_checksum: the kernel's checksum");
        char *line = program_line(hp_fannkuch_redux, n, 0), *line2 = program_line(hp_fannkuch_redux, n, 1);
        snprintf(text, sizeof text, "%lld", (long long)sum);
        snprintf(what, sizeof what, "fannkuch_checksum(%d) is the program's first line", n);
        CHECK_STR(text, line, what);
        snprintf(text, sizeof text, "Pfannkuchen(%d) = %d", n, flips);
        CHECK_STR(text, line2, "... and its maximum flips the second");
        free(line);
        free(line2);
    }
    hp_pool_free(pool);
}

static void test_errors(void)
{
    hp_pool *pool = NULL;
    hp_task_pool_new(&pool, 1, NULL);
    check_error(pool, "binarytrees_check", 23, "binarytrees_check: n must be between 0 and 22, got 23");
    check_error(pool, "binarytrees_check", -1, "binarytrees_check: n must be between 0 and 22, got -1");
    check_error(pool, "nbody_energy", -1, "nbody_energy: n must be between 0 and 1000000000, got -1");
    /* past int: checked as the 64-bit input, never truncated to a small valid n */
    check_error(pool, "nbody_energy", ((int64_t)1 << 32) + 5,
                "nbody_energy: n must be between 0 and 1000000000, got 4294967301");
    check_error(pool, "spectral_norm", 0, "spectral_norm: n must be between 1 and 32768, got 0");
    check_error(pool, "spectral_norm", 32769, "spectral_norm: n must be between 1 and 32768, got 32769");
    check_error(pool, "fannkuch_checksum", 0, "fannkuch_checksum: n must be between 1 and 12, got 0");
    check_error(pool, "fannkuch_checksum", 13, "fannkuch_checksum: n must be between 1 and 12, got 13");

    hp_batch_spec sp = { .kind = "spectral_norm", .input_type = HP_VAL_FLOAT, .count = 1, .keep_results = 1 };
    hp_batch *b = NULL;
    const char *m = NULL;
    hp_batch_new(pool, &sp, &b, NULL);
    hp_batch_floats(b)[0] = 2.5;
    hp_batch_start(b, NULL);
    hp_batch_wait(b, -1);
    CHECK(hp_batch_status(b, NULL, &m) == HP_EINVAL, "a fractional input: HP_EINVAL");
    CHECK_STR(m, "task 1: spectral_norm: integer expected, got 2.5", "... naming the kind");
    hp_batch_free(b);
    hp_pool_free(pool);

    char *err = NULL;
    double v = 0;
    CHECK(hp_spectral_norm_value(0, 1, &v, &err) == HP_EINVAL && v == 0, "hp_spectral_norm_value(0): HP_EINVAL");
    CHECK_STR(err, "spectral_norm: n must be between 1 and 32768, got 0", "... its message");
    hp_free(err);
}

int main(void)
{
    test_registry();
    test_results();
    test_errors();
    return tap_done();
}
