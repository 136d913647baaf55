/* fannkuch-redux: permutations in the reference programs' order (index i <-> factorial-base
 * digits count[1..n-1]), split into blocks of consecutive indices that the pool hands out.
 * A block starts from its index's digits and then steps with the reference's rotations, so
 * the parity of every permutation's index (the checksum's sign) is its global index's.
 *
 * The flips run on a 16-byte vector: reversing the first k+1 entries is one byte shuffle
 * (pshufb) with the mask {k, k-1, ..., 0, k+1, ..., 15}. With AVX2 (picked at run time),
 * permutations are collected in batches of 8 and flipped in lock step, two to a 256-bit
 * register and four registers in flight: the mask is computed from each lane's first byte
 * (broadcast, subtract, compare, blend), a lane whose first entry is 0 gets the identity mask
 * and stops counting, and the batch ends when every lane has. The flip chain of one
 * permutation is latency-bound (~14 cycles a flip alone); eight in flight fill the shuffle
 * units instead. SSSE3 flips one permutation at a time; other CPUs run a scalar loop. */
#include "kernels/fannkuch_redux.h"
#include "kernels/kpar.h"
#include "common/common.h"
#include "common/error.h"

#include <stdint.h>
#include <stdio.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FK_X86 1
#endif
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

#ifdef FK_X86
__attribute__((target("ssse3"))) static int flips_ssse3(const fk_ctx *c, v16u8 p) { FLIP_LOOP }
#endif

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

#ifdef FK_X86
__attribute__((target("ssse3"))) static int fk_range_ssse3(void *vctx, int64_t begin, int64_t end, int worker)
{
    RANGE_BODY(flips_ssse3)
}
#endif

static int fk_range_generic(void *vctx, int64_t begin, int64_t end, int worker)
{
    RANGE_BODY(flips_generic)
}


#ifdef FK_X86
#define BATCH 8

/* Flip counts of 8 permutations (16 bytes each, entries beyond n are the identity) into
 * flips[8]. Lock step: every register runs until all its lanes reached first entry 0. */
__attribute__((target("avx2"))) static void flips8_avx2(const uint8_t (*perms)[16], int *flips)
{
    const __m256i iota = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                          0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m256i zero = _mm256_setzero_si256();
    const __m256i first = _mm256_setr_epi8(-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    __m256i p[4], f[4];
    for (int j = 0; j < 4; j++) {
        p[j] = _mm256_loadu_si256((const __m256i *)perms[2 * j]);
        f[j] = zero;
    }
    for (;;) {
        for (int step = 0; step < 2; step++)
            for (int j = 0; j < 4; j++) {
                __m256i k = _mm256_shuffle_epi8(p[j], zero);          /* first entry, every byte */
                __m256i past = _mm256_cmpgt_epi8(iota, k);            /* i > k: stays */
                __m256i mask = _mm256_blendv_epi8(_mm256_sub_epi8(k, iota), iota, past);
                p[j] = _mm256_shuffle_epi8(p[j], mask);
                f[j] = _mm256_sub_epi8(f[j], _mm256_cmpgt_epi8(k, zero)); /* +1 while k != 0 */
            }
        __m256i any = _mm256_or_si256(_mm256_or_si256(p[0], p[1]), _mm256_or_si256(p[2], p[3]));
        if (_mm256_testz_si256(any, first))
            break;
    }
    uint8_t out[4][32];
    for (int j = 0; j < 4; j++)
        _mm256_storeu_si256((__m256i *)out[j], f[j]);
    for (int j = 0; j < 4; j++) {
        flips[2 * j] = out[j][0];
        flips[2 * j + 1] = out[j][16];
    }
}

/* Permutations [begin, end) as RANGE_BODY, but the next permutation is computed with byte
 * shuffles (rotate entries 0..i left: rot[i]) and the ones whose first entry is not 0 are
 * batched for flips8_avx2 (a first entry of 0 means 0 flips: nothing to add). */
__attribute__((target("avx2"))) static int fk_range_avx2(void *vctx, int64_t begin, int64_t end, int worker)
{
    const fk_ctx *c = vctx;
    int n = c->n;
    uint8_t start[16], count[16];
    for (int i = 0; i < 16; i++)
        start[i] = (uint8_t)i;
    memset(count, 0, sizeof count);
    int64_t idx = begin;
    for (int i = n - 1; i > 0; i--) {
        int d = (int)(idx / c->fact[i]);
        idx %= c->fact[i];
        count[i] = (uint8_t)d;
        uint8_t tmp[16];
        memcpy(tmp, start, 16);
        for (int j = 0; j <= i; j++)
            start[j] = j + d <= i ? tmp[j + d] : tmp[j + d - i - 1];
    }
    __m128i rot[16];
    for (int i = 0; i < 16; i++) {
        uint8_t m[16];
        for (int j = 0; j < 16; j++)
            m[j] = (uint8_t)(j < i ? j + 1 : j == i ? 0 : j);
        rot[i] = _mm_loadu_si128((const __m128i *)m);
    }
    __m128i perm = _mm_loadu_si128((const __m128i *)start);
    uint8_t batch[BATCH][16];
    int sign[BATCH], flips[BATCH], nb = 0;
    int64_t sum = 0;
    int maxf = 0;
    for (int64_t at = begin;;) {
        if (_mm_cvtsi128_si32(perm) & 0xFF) {
            _mm_storeu_si128((__m128i *)batch[nb], perm);
            sign[nb++] = (at & 1) ? -1 : 1;
        }
        if (nb == BATCH || (at + 1 >= end && nb)) {
            for (int b = nb; b < BATCH; b++) /* pad with the identity: 0 flips */
                for (int j = 0; j < 16; j++)
                    batch[b][j] = (uint8_t)j;
            flips8_avx2((const uint8_t (*)[16])batch, flips);
            for (int b = 0; b < nb; b++) {
                sum += sign[b] * flips[b];
                if (flips[b] > maxf)
                    maxf = flips[b];
            }
            nb = 0;
        }
        if (++at >= end)
            break;
        for (int i = 1;; i++) {
            perm = _mm_shuffle_epi8(perm, rot[i]);
            if (++count[i] <= i)
                break;
            count[i] = 0;
        }
    }
    c->checksum[worker] += sum;
    if (maxf > c->maxflips[worker])
        c->maxflips[worker] = maxf;
    return HP_OK;
}
#endif

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
    hp_kpar_fn fn = fk_range_generic;
#ifdef FK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
        fn = fk_range_avx2;
    else if (__builtin_cpu_supports("ssse3"))
        fn = fk_range_ssse3;
#endif
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
