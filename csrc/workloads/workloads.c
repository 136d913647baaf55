/* The kernels' work units as pool kinds (see workloads.h): each kind reads its integer input
 * (hp_task_int_input, any integer: the kernel's function checks the range and names the
 * kind in its message) and calls the kernel's number-returning entry point on one thread. */
#include "workloads/workloads.h"
#include "pool/tasks.h"
#include "common/common.h"
#include "common/error.h"
#include "kernels/binarytrees.h"
#include "kernels/fannkuch_redux.h"
#include "kernels/nbody.h"
#include "kernels/spectral_norm.h"

#include <stdint.h>

#define WORKLOAD_KINDS "binarytrees_check,nbody_energy,spectral_norm,fannkuch_checksum"

static int k_binarytrees_check(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t d = 0;
    int rc = hp_task_int_input(in, "binarytrees_check", INT64_MIN, INT64_MAX, &d, errmsg);
    return rc != HP_OK ? rc : hp_binarytrees_check(d, &out->i, errmsg);
}

static int k_nbody_energy(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t n = 0;
    int rc = hp_task_int_input(in, "nbody_energy", INT64_MIN, INT64_MAX, &n, errmsg);
    return rc != HP_OK ? rc : hp_nbody_energy(n, &out->d, errmsg);
}

static int k_spectral_norm(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t n = 0;
    int rc = hp_task_int_input(in, "spectral_norm", INT64_MIN, INT64_MAX, &n, errmsg);
    return rc != HP_OK ? rc : hp_spectral_norm_value(n, 1, &out->d, errmsg);
}

static int k_fannkuch_checksum(void *kctx, const hp_task_in *in, hp_task_out *out, char **errmsg)
{
    (void)kctx;
    int64_t n = 0;
    int maxflips = 0;
    int rc = hp_task_int_input(in, "fannkuch_checksum", INT64_MIN, INT64_MAX, &n, errmsg);
    return rc != HP_OK ? rc : hp_fannkuch_checksum(n, 1, &out->i, &maxflips, errmsg);
}

static const struct {
    const char *name;
    hp_kind_fn fn;
    int type;
} kinds[] = {
    { "binarytrees_check", k_binarytrees_check, HP_VAL_INT },
    { "nbody_energy", k_nbody_energy, HP_VAL_FLOAT },
    { "spectral_norm", k_spectral_norm, HP_VAL_FLOAT },
    { "fannkuch_checksum", k_fannkuch_checksum, HP_VAL_INT },
};

int hp_workloads_register(hp_pool *pool, char **errmsg)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        int rc = hp_pool_register_kind(pool, kinds[i].name, kinds[i].fn, NULL, kinds[i].type, errmsg);
        if (rc != HP_OK)
            return rc;
    }
    return HP_OK;
}

int hp_task_pool_new(hp_pool **out, int threads, char **errmsg)
{
    int rc = hp_pool_new(out, threads, errmsg);
    if (rc == HP_OK && (rc = hp_workloads_register(*out, errmsg)) != HP_OK) {
        hp_pool_free(*out);
        *out = NULL;
    }
    return rc;
}

const char *hp_task_kinds(void) { return HP_POOL_KINDS "," WORKLOAD_KINDS; }
