/* fannkuch-redux: permutations in the reference programs' order (index i <-> factorial-base
 * digits count[1..n-1]), split into blocks of consecutive indices that the pool hands out.
 * A block starts from its index's digits and then steps with the reference's rotations, so
 * the parity of every permutation's index (the checksum's sign) is its global index's.
 *
 * The flips run on a 16-byte vector: reversing the first k+1 entries is one byte shuffle
 * with a precomputed mask (pshufb with SSSE3, picked at run time; a scalar loop otherwise). */
#include "kernels/fannkuch_redux.h"
#include "kernels/kpar.h"
#include "common/common.h"
#include "common/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t v16u8 __attribute__((vector_size(16)));

typedef struct fk_ctx {
    int n, threads;
    int64_t fact[HP_FANNKUCH_REDUX_MAX_N + 1];
    int64_t *checksum; /* per worker */
    int *maxflips;     /* per worker */
    v16u8 masks[16];   /* masks[k] reverses entries 0..k */
} fk_ctx;

/* Flip counts of a block of permutations [begin, end), all of one worker. `flips` is the
 * per-ISA inner loop; it returns the number of flips of permutation p. */
#define FLIP_LOOP                                                                       \
    int f = 0;                                                                          \
    for (unsigned k = p[0]; k; k = p[0]) {                                              \
        p = __builtin_shuffle(p, c->masks[k]);                                          \
        f++;                                                                            \
    }                                                                                   \
    return f;

__attribute__((target("ssse3"))) static int flips_ssse3(const fk_ctx *c, v16u8 p) { FLIP_LOOP }

static int flips_generic(const fk_ctx *c, v16u8 p)
{
    (void)c;
    uint8_t a[16];
    memcpy(a, &p, 16);
    int f = 0;
    for (unsigned k = a[0]; k; k = a[0]) {
        for (unsigned i = 0, j = k; i < j; i++, j--) {
            uint8_t t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        f++;
    }
    return f;
}

/* Walks permutations [begin, end) (begin < end <= n!), accumulating into the worker's sums. */
#define RANGE_BODY(FLIPS)                                                               \
    const fk_ctx *c = vctx;                                                             \
    int n = c->n;                                                                       \
    uint8_t perm[16], count[16];                                                        \
    for (int i = 0; i < 16; i++)                                                        \
        perm[i] = (uint8_t)i;                                                           \
    memset(count, 0, sizeof count);                                                     \
    /* digits of begin: count[i] in 0..i is how far entries 0..i were rotated left */   \
    int64_t idx = begin;                                                                \
    for (int i = n - 1; i > 0; i--) {                                                   \
        int d = (int)(idx / c->fact[i]);                                                \
        idx %= c->fact[i];                                                              \
        count[i] = (uint8_t)d;                                                          \
        uint8_t tmp[16];                                                                \
        memcpy(tmp, perm, 16);                                                          \
        for (int j = 0; j <= i; j++)                                                    \
            perm[j] = j + d <= i ? tmp[j + d] : tmp[j + d - i - 1];                     \
    }                                                                                   \
    int64_t sum = 0;                                                                    \
    int maxf = 0;                                                                       \
    for (int64_t at = begin;;) {                                                        \
        if (perm[0]) {                                                                  \
            v16u8 v;                                                                    \
            memcpy(&v, perm, 16);                                                       \
            int f = FLIPS(c, v);                                                        \
            sum += (at & 1) ? -f : f;                                                   \
            if (f > maxf)                                                               \
                maxf = f;                                                               \
        }                                                                               \
        if (++at >= end)                                                                \
            break;                                                                      \
        /* next permutation: rotate entries 0..i left while the digit wraps */          \
        for (int i = 1;; i++) {                                                         \
            uint8_t first = perm[0];                                                    \
            for (int j = 0; j < i; j++)                                                 \
                perm[j] = perm[j + 1];                                                  \
            perm[i] = first;                                                            \
            if (++count[i] <= i)                                                        \
                break;                                                                  \
            count[i] = 0;                                                               \
        }                                                                               \
    }                                                                                   \
    c->checksum[worker] += sum;                                                         \
    if (maxf > c->maxflips[worker])                                                     \
        c->maxflips[worker] = maxf;                                                     \
    return HP_OK;

__attribute__((target("ssse3"))) static int fk_range_ssse3(void *vctx, int64_t begin, int64_t end, int worker)
{
    RANGE_BODY(flips_ssse3)
}

static int fk_range_generic(void *vctx, int64_t begin, int64_t end, int worker)
{
    RANGE_BODY(flips_generic)
}

int hp_fannkuch_redux(int n, int threads, char **out, size_t *out_len, char **errmsg)
{
    *out = NULL;
    *out_len = 0;
    if (n < 0 || n > HP_FANNKUCH_REDUX_MAX_N)
        return hp_err(errmsg, HP_ELIMIT, "fannkuch_redux: n must be between 0 and %d, got %d",
                      HP_FANNKUCH_REDUX_MAX_N, n);
    threads = hp_kpar_threads(threads);
    fk_ctx *c = calloc(1, sizeof *c);
    char *buf = malloc(64);
    if (c) {
        c->checksum = calloc((size_t)threads, sizeof(int64_t));
        c->maxflips = calloc((size_t)threads, sizeof(int));
    }
    int rc = HP_OK;
    if (!c || !buf || !c->checksum || !c->maxflips) {
        rc = hp_err(errmsg, HP_ENOMEM, "fannkuch_redux: out of memory");
        goto done;
    }
    c->n = n;
    c->threads = threads;
    c->fact[0] = 1;
    for (int i = 1; i <= HP_FANNKUCH_REDUX_MAX_N; i++)
        c->fact[i] = c->fact[i - 1] * i;
    for (int k = 0; k < 16; k++)
        for (int i = 0; i < 16; i++)
            c->masks[k][i] = (uint8_t)(i <= k ? k - i : i);
    int64_t total = c->fact[n];
    /* blocks: small enough to balance two to a few dozen workers, big enough that the
     * per-block start (O(n^2)) is noise */
    int64_t chunk = total / 256 > 720 ? total / 256 : 720;
    __builtin_cpu_init();
    hp_kpar_fn fn = __builtin_cpu_supports("ssse3") ? fk_range_ssse3 : fk_range_generic;
    rc = hp_kpar_for(threads, 0, total, chunk, fn, c, errmsg);
    if (rc != HP_OK)
        goto done;
    int64_t sum = 0;
    int maxf = 0;
    for (int w = 0; w < threads; w++) {
        sum += c->checksum[w];
        if (c->maxflips[w] > maxf)
            maxf = c->maxflips[w];
    }
    *out_len = (size_t)snprintf(buf, 64, "%lld\nPfannkuchen(%d) = %d\n", (long long)sum, n, maxf);
    *out = buf;
    buf = NULL;
done:
    if (c) {
        free(c->checksum);
        free(c->maxflips);
    }
    free(c);
    free(buf);
    return rc;
}
