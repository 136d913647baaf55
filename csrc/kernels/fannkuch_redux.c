/* fannkuch-redux: permutations in the reference programs' order (index i <-> factorial-base
 * digits count[1..n-1]), split into blocks of consecutive indices that the pool hands out.
 * A block starts from its index's digits and then steps with the reference's rotations, so
 * the parity of every permutation's index (the checksum's sign) is its global index's.
 *
 * The flips run on a 16-byte vector: reversing the first k+1 entries is one byte shuffle
 * (pshufb) with the mask {k, k-1, ..., 0, k+1, ..., 15}. With AVX2 (picked at run time),
 * permutations are collected in batches of 16 (one batch per parity of the index, so a
 * batch's flips share one sign) and flipped in lock step, two to a 256-bit register and
 * eight registers in flight: the mask is computed from each lane's first byte (broadcast,
 * subtract, compare, blend), a lane whose first entry is 0 gets the identity mask, and the
 * batch ends when every lane has. The flip chain of one permutation is latency-bound (~9
 * cycles a flip); sixteen in flight fill the vector units instead, at the price of running
 * each batch as long as its slowest lane (doc/kernels.md has the cost). SSSE3 flips one permutation
 * at a time; other CPUs run a scalar loop. */
#include "kernels/fannkuch_redux.h"
#include "kernels/ktext.h"
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
#define BATCH 16

/* One flip of both 16-byte lanes of P. A lane whose first entry is 0 gets the identity mask.
 * Counting: byte i of `past` is -1 when i > k, so byte 1 of F drops by one at each step where
 * k == 0 (a finished lane): the flips are the steps minus that, with no extra compare. */
#define FLIP1(P, F)                                                                     \
    do {                                                                                \
        __m256i k_ = _mm256_shuffle_epi8(P, zero);                 /* first entry */    \
        __m256i past_ = _mm256_cmpgt_epi8(iota, k_);               /* i > k: stays */   \
        __m256i mask_ = _mm256_blendv_epi8(_mm256_sub_epi8(k_, iota), iota, past_);     \
        P = _mm256_shuffle_epi8(P, mask_);                                              \
        F = _mm256_add_epi8(F, past_);                                                  \
    } while (0)

/* Two 16-byte permutations into one register. Two 16-byte loads, not one 32-byte load: the
 * permutations were just stored 16 bytes at a time, and a wider load would miss store
 * forwarding. */
#define LOAD2(A, B) _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_load_si128(A)), _mm_load_si128(B), 1)

/* Flips a batch of 16 permutations (entries beyond n are the identity; unused slots hold the
 * identity, 0 flips) in lock step, in eight named registers (not arrays: GCC keeps an array
 * indexed in a loop on the stack, which puts a store-forwarding delay into every flip of the
 * chain). A flip is a chain of ~9 cycles (shuffle, compare, blend, shuffle): four registers
 * in flight left the vector units half idle, eight fill them, at the price of waiting for the
 * slowest of 16 lanes instead of 8 (a net gain: doc/kernels.md). Adds the flip counts to
 * *sum (64-bit per half) and their maximum to *maxv (byte 1 of each lane). FIX turns byte 1
 * of F into the flip count. */
#define FLIPS_BODY(STEP, FIX)                                                           \
    const __m256i iota = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, \
                                          0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); \
    const __m256i zero = _mm256_setzero_si256();                                        \
    const __m256i first = _mm256_setr_epi8(-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
                                           -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0); \
    const __m256i second = _mm256_setr_epi8(0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
                                            0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0); \
    __m256i p0 = LOAD2(&perms[0], &perms[1]), p1 = LOAD2(&perms[2], &perms[3]);         \
    __m256i p2 = LOAD2(&perms[4], &perms[5]), p3 = LOAD2(&perms[6], &perms[7]);         \
    __m256i p4 = LOAD2(&perms[8], &perms[9]), p5 = LOAD2(&perms[10], &perms[11]);       \
    __m256i p6 = LOAD2(&perms[12], &perms[13]), p7 = LOAD2(&perms[14], &perms[15]);     \
    __m256i f0 = zero, f1 = zero, f2 = zero, f3 = zero, f4 = zero, f5 = zero, f6 = zero, f7 = zero; \
    int steps = 0;                                                                      \
    for (;;) {                                                                          \
        STEP(p0, f0); STEP(p1, f1); STEP(p2, f2); STEP(p3, f3);                         \
        STEP(p4, f4); STEP(p5, f5); STEP(p6, f6); STEP(p7, f7);                         \
        STEP(p0, f0); STEP(p1, f1); STEP(p2, f2); STEP(p3, f3);                         \
        STEP(p4, f4); STEP(p5, f5); STEP(p6, f6); STEP(p7, f7);                         \
        steps += 2;                                                                     \
        __m256i any = _mm256_or_si256(_mm256_or_si256(_mm256_or_si256(p0, p1), _mm256_or_si256(p2, p3)), \
                                      _mm256_or_si256(_mm256_or_si256(p4, p5), _mm256_or_si256(p6, p7))); \
        if (_mm256_testz_si256(any, first))                                             \
            break;                                                                      \
    }                                                                                   \
    const __m256i s_ = _mm256_set1_epi8((char)steps);                                   \
    (void)s_;                                                                           \
    f0 = _mm256_and_si256(FIX(f0), second);                                             \
    f1 = _mm256_and_si256(FIX(f1), second);                                             \
    f2 = _mm256_and_si256(FIX(f2), second);                                             \
    f3 = _mm256_and_si256(FIX(f3), second);                                             \
    f4 = _mm256_and_si256(FIX(f4), second);                                             \
    f5 = _mm256_and_si256(FIX(f5), second);                                             \
    f6 = _mm256_and_si256(FIX(f6), second);                                             \
    f7 = _mm256_and_si256(FIX(f7), second);                                             \
    __m256i s = _mm256_add_epi64(_mm256_add_epi64(_mm256_sad_epu8(f0, zero), _mm256_sad_epu8(f1, zero)), \
                                 _mm256_add_epi64(_mm256_sad_epu8(f2, zero), _mm256_sad_epu8(f3, zero))); \
    s = _mm256_add_epi64(s, _mm256_add_epi64(_mm256_add_epi64(_mm256_sad_epu8(f4, zero), _mm256_sad_epu8(f5, zero)), \
                                             _mm256_add_epi64(_mm256_sad_epu8(f6, zero), _mm256_sad_epu8(f7, zero)))); \
    *sum = _mm256_add_epi64(*sum, s);                                                   \
    __m256i m = _mm256_max_epu8(_mm256_max_epu8(f0, f1), _mm256_max_epu8(f2, f3));      \
    m = _mm256_max_epu8(m, _mm256_max_epu8(_mm256_max_epu8(f4, f5), _mm256_max_epu8(f6, f7))); \
    *maxv = _mm256_max_epu8(*maxv, m);

#define FIX_STEPS(F) _mm256_add_epi8(F, s_) /* steps - steps with k == 0 */

__attribute__((target("avx2"))) static void flips16_avx2(const __m128i *perms, __m256i *sum, __m256i *maxv)
{
    FLIPS_BODY(FLIP1, FIX_STEPS)
}

/* Permutations [begin, end) as RANGE_BODY, but the next permutation is computed with byte
 * shuffles (rotate entries 0..i left: rot[i]) and the ones whose first entry is not 0 (0
 * means 0 flips: nothing to add) are batched by the parity of their index, so that a batch's
 * flips all carry one sign and add up in vector registers with no per-permutation work. */
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
    const __m128i ident = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m128i perm = _mm_loadu_si128((const __m128i *)start);
    /* batch[parity]: one slot more than BATCH, since every permutation is written at nb and
     * counted only when its first entry is not 0 */
    __m128i batch[2][BATCH + 1];
    int nb[2] = { 0, 0 };
    __m256i sum[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
    __m256i maxv = _mm256_setzero_si256();
    int64_t at = begin;
    /* pairs: an even index and the next, odd one (its first two entries swapped: rot[1]);
     * the digit count[1] then wraps, so the walk goes on from rot[2] */
    for (; (at & 1) == 0 && at + 1 < end; at += 2) {
        __m128i odd = _mm_shuffle_epi8(perm, rot[1]);
        _mm_store_si128(&batch[0][nb[0]], perm);
        nb[0] += (_mm_cvtsi128_si32(perm) & 0xFF) != 0;
        _mm_store_si128(&batch[1][nb[1]], odd);
        nb[1] += (_mm_cvtsi128_si32(odd) & 0xFF) != 0;
        if (nb[0] == BATCH) {
            flips16_avx2(batch[0], &sum[0], &maxv);
            nb[0] = 0;
        }
        if (nb[1] == BATCH) {
            flips16_avx2(batch[1], &sum[1], &maxv);
            nb[1] = 0;
        }
        if (at + 2 >= end)
            break;
        perm = odd; /* count[1] is 1 here: rotate 0..1 back, then the carry from i = 2 */
        perm = _mm_shuffle_epi8(perm, rot[1]);
        count[1] = 0;
        for (int i = 2;; i++) {
            perm = _mm_shuffle_epi8(perm, rot[i]);
            if (++count[i] <= i)
                break;
            count[i] = 0;
        }
    }
    if ((at & 1) == 0 && at + 2 >= end && at + 1 < end)
        at = end; /* the pair loop ended the range */
    /* an odd start, or an even index left alone at the end: one at a time */
    for (; at < end;) {
        int par = (int)(at & 1);
        _mm_store_si128(&batch[par][nb[par]], perm);
        nb[par] += (_mm_cvtsi128_si32(perm) & 0xFF) != 0;
        if (nb[par] == BATCH) {
            flips16_avx2(batch[par], &sum[par], &maxv);
            nb[par] = 0;
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
    for (int par = 0; par < 2; par++)
        if (nb[par]) {
            for (int b = nb[par]; b < BATCH; b++) /* the identity: 0 flips */
                batch[par][b] = ident;
            flips16_avx2(batch[par], &sum[par], &maxv);
        }
    int64_t s[2][4];
    uint8_t m[32];
    memcpy(s[0], &sum[0], 32);
    memcpy(s[1], &sum[1], 32);
    _mm256_storeu_si256((__m256i *)m, maxv);
    int maxf = 0;
    for (int i = 0; i < 32; i++)
        maxf = m[i] > maxf ? m[i] : maxf;
    c->checksum[worker] += (s[0][0] + s[0][2]) - (s[1][0] + s[1][2]); /* psadbw: one sum per 64 bits */
    if (maxf > c->maxflips[worker])
        c->maxflips[worker] = maxf;
    return HP_OK;
}
#undef FLIP1
#undef LOAD2
#endif

/* Checksum and maximum flips over all permutations of 0..n-1 (0 <= n <= 12). */
static int fannkuch(int n, int threads, int64_t *checksum, int *maxflips, char **errmsg)
{
    threads = hp_kpar_threads(threads);
    fk_ctx *c = calloc(1, sizeof *c);
    if (c) {
        c->checksum = calloc((size_t)threads, sizeof(int64_t));
        c->maxflips = calloc((size_t)threads, sizeof(int));
    }
    int rc = HP_OK;
    if (!c || !c->checksum || !c->maxflips) {
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
    *checksum = sum;
    *maxflips = maxf;
done:
    if (c) {
        free(c->checksum);
        free(c->maxflips);
    }
    free(c);
    return rc;
}

int hp_fannkuch_redux(int n, int threads, char **out, size_t *out_len, char **errmsg)
{
    *out = NULL;
    *out_len = 0;
    if (n < 0 || n > HP_FANNKUCH_REDUX_MAX_N)
        return hp_err(errmsg, HP_ELIMIT, "fannkuch_redux: n must be between 0 and %d, got %d",
                      HP_FANNKUCH_REDUX_MAX_N, n);
    int64_t sum = 0;
    int maxf = 0;
    int rc = fannkuch(n, threads, &sum, &maxf, errmsg);
    return rc != HP_OK ? rc
                       : hp_ktext(out, out_len, errmsg, "fannkuch_redux", "%lld\nPfannkuchen(%d) = %d\n",
                                  (long long)sum, n, maxf);
}

int hp_fannkuch_checksum(int64_t n, int threads, int64_t *checksum, int *maxflips, char **errmsg)
{
    *checksum = 0;
    *maxflips = 0;
    if (n < 1 || n > HP_FANNKUCH_REDUX_MAX_N)
        return hp_err(errmsg, HP_EINVAL, "fannkuch_checksum: n must be between 1 and %d, got %lld",
                      HP_FANNKUCH_REDUX_MAX_N, (long long)n);
    return fannkuch((int)n, threads, checksum, maxflips, errmsg);
}
