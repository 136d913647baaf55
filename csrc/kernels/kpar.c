/* Running kernel range callbacks on the task pool (see kpar.h). */
#include "kernels/kpar.h"
#include "common/common.h"
#include "common/error.h"

#if __has_include("pool/pool.h")
#include "pool/pool.h"
#define HP_KPAR_POOL 1
#endif

int hp_kpar_threads(int threads)
{
    if (threads <= 0)
        threads = hp_cpu_count();
    return threads < 1 ? 1 : threads;
}

/* In-order fallback: the same chunks the pool would hand out, all as worker 0. */
static int run_inline(int64_t begin, int64_t end, int64_t chunk, hp_kpar_fn fn, void *ctx)
{
    for (int64_t b = begin; b < end; b += chunk) {
        int64_t e = end - b > chunk ? b + chunk : end;
        int rc = fn(ctx, b, e, 0);
        if (rc != HP_OK)
            return rc;
    }
    return HP_OK;
}

int hp_kpar_for(int threads, int64_t begin, int64_t end, int64_t chunk, hp_kpar_fn fn, void *ctx,
                char **errmsg)
{
    if (chunk < 1)
        chunk = 1;
    if (end <= begin)
        return HP_OK;
#ifdef HP_KPAR_POOL
    if (threads > 1 && end - begin > chunk) {
        hp_pool *pool = NULL;
        int rc = hp_pool_new(&pool, threads, errmsg);
        if (rc != HP_OK)
            return rc;
        rc = hp_pool_parallel_for(pool, begin, end, chunk, threads, fn, ctx, errmsg);
        hp_pool_free(pool);
        return rc;
    }
#else
    (void)threads;
#endif
    int rc = run_inline(begin, end, chunk, fn, ctx);
    return rc == HP_OK ? rc : hp_err(errmsg, rc, "kernel: a range task failed (%s)", hp_status_name(rc));
}
