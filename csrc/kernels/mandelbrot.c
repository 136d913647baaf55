/* mandelbrot: c = (2x/N - 1.5) + (2y/N - 1)i, z0 = 0, 50 iterations of z = z^2 + c, each
 * followed by the escape test |z|^2 > 4 (doc/reference.md). Built with -ffp-contract=off, so the
 * rounding is the reference programs' whatever the target has FMA.
 *
 * Speed: rows are ranges the pool hands out; within a row, GROUP vectors of pixels iterate
 * together, so the multiply/add chains of independent vectors overlap. Every pixel runs all 50
 * iterations unless the whole group has escaped (checked every 5 iterations), and the bit is
 * the final test |z|^2 <= 4. That equals the reference's early-break test: for |c| < 1.81
 * (all pixels here), once |z| > 2 the modulus grows at every step (|z^2 + c| >= |z|^2 - |c| >
 * |z|), so an escaped pixel stays out, and if it overflows to inf the sum becomes inf or NaN,
 * which "<= 4" also rejects.
 *
 * One source, three widths picked at run time: AVX-512 (8 doubles, escape tests in mask
 * registers), AVX2 (4) and baseline SSE2 (2), each with its vectors in named registers (GCC
 * keeps arrays of vectors indexed in loops on the stack, which puts a store-forwarding delay
 * into every step of the z chain). 2*zr*zi is computed as (zr+zr)*zi in half the vectors and
 * as (zr*2)*zi in the others: both are exact doublings, so the result is bit-identical, and
 * the mix spreads the work over the add and multiply units (4 adds + 3 multiplies a step
 * otherwise). */
#include "kernels/mandelbrot.h"
#include "kernels/kpar.h"
#include "common/common.h"
#include "common/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITER 50
#define CHECK_EVERY 5
#define GROUP 4 /* vectors in flight */

#if defined(__x86_64__)
#include <immintrin.h>
#define MB_AVX512 1
#endif

typedef struct mb_ctx {
    int n;
    size_t bytes;        /* per row */
    const double *cr;    /* 2x/N - 1.5 for every x, padded to a multiple of 32 */
    double two;          /* 2.0, read at run time so the compiler cannot turn x*2 into x+x */
    unsigned char *rows; /* output rows */
    void (*row)(const struct mb_ctx *, int64_t y, unsigned char *out); /* one row, per ISA */
} mb_ctx;

/* Zeroes the bits of pixels past the right edge. */
static void mb_trim(const mb_ctx *c, unsigned char *row)
{
    int used = c->n - 8 * (int)(c->bytes - 1);
    if (c->bytes && used < 8)
        row[c->bytes - 1] &= (unsigned char)(0xFF00u >> used);
}

/* One step of z = z^2 + c for vector K; D is the doubling (a + a or a * two). */
#define MB_STEP(K, D)                                                                     \
    do {                                                                                  \
        zi##K = D(zr##K) * zi##K + ci;                                                    \
        zr##K = tr##K - ti##K + cr##K;                                                    \
        tr##K = zr##K * zr##K;                                                            \
        ti##K = zi##K * zi##K;                                                            \
    } while (0)
#define MB_ADD2(a) ((a) + (a))
#define MB_MUL2(a) ((a) * two)
#define MB_STEPS                                                                          \
    MB_STEP(0, MB_ADD2); MB_STEP(1, MB_MUL2); MB_STEP(2, MB_ADD2); MB_STEP(3, MB_MUL2)

/* Row y with vectors of W doubles (VT) and their comparison type (VI): GROUP * W pixels a
 * group; the bits of lane l of vector k are pixel k * W + l of the group. */
#define MB_ROW_GENERIC(NAME, TARGET, VT, VI, W)                                           \
    TARGET static void NAME(const mb_ctx *c, int64_t y, unsigned char *row)               \
    {                                                                                     \
        const double ci0 = 2.0 * (double)y / c->n - 1.0;                                  \
        VT ci, four, two;                                                                 \
        for (int l = 0; l < W; l++) {                                                     \
            ci[l] = ci0;                                                                  \
            four[l] = 4.0;                                                                \
            two[l] = c->two;                                                              \
        }                                                                                 \
        const size_t per = GROUP * W / 8, groups = (c->bytes + per - 1) / per;            \
        for (size_t g = 0; g < groups; g++) {                                             \
            const double *x = c->cr + g * GROUP * W;                                      \
            VT cr0, cr1, cr2, cr3;                                                        \
            memcpy(&cr0, x, sizeof(VT));                                                  \
            memcpy(&cr1, x + W, sizeof(VT));                                              \
            memcpy(&cr2, x + 2 * W, sizeof(VT));                                          \
            memcpy(&cr3, x + 3 * W, sizeof(VT));                                          \
            VT zr0 = { 0 }, zr1 = { 0 }, zr2 = { 0 }, zr3 = { 0 };                        \
            VT zi0 = { 0 }, zi1 = { 0 }, zi2 = { 0 }, zi3 = { 0 };                        \
            VT tr0 = { 0 }, tr1 = { 0 }, tr2 = { 0 }, tr3 = { 0 };                        \
            VT ti0 = { 0 }, ti1 = { 0 }, ti2 = { 0 }, ti3 = { 0 };                        \
            int alive = 1;                                                                \
            for (int it = 0; it < ITER && alive; it += CHECK_EVERY) {                     \
                MB_STEPS; MB_STEPS; MB_STEPS; MB_STEPS; MB_STEPS;                         \
                VI any = (tr0 + ti0 <= four) | (tr1 + ti1 <= four) |                      \
                         (tr2 + ti2 <= four) | (tr3 + ti3 <= four);                       \
                int64_t a = 0;                                                            \
                for (int l = 0; l < W; l++)                                               \
                    a |= any[l];                                                          \
                alive = a != 0;                                                           \
            }                                                                             \
            uint64_t bits = 0; /* pixel p of the group at bit GROUP*W-1-p */              \
            if (alive) {                                                                  \
                VI in[GROUP] = { tr0 + ti0 <= four, tr1 + ti1 <= four,                    \
                                 tr2 + ti2 <= four, tr3 + ti3 <= four };                  \
                for (int k = 0; k < GROUP; k++)                                           \
                    for (int l = 0; l < W; l++)                                           \
                        bits = bits << 1 | (uint64_t)(in[k][l] & 1);                      \
            }                                                                             \
            size_t at = g * per, m = c->bytes - at < per ? c->bytes - at : per;           \
            for (size_t b = 0; b < m; b++)                                                \
                row[at + b] = (unsigned char)(bits >> 8 * (per - 1 - b));                 \
        }                                                                                 \
    }

typedef double v4df __attribute__((vector_size(32)));
typedef int64_t v4di __attribute__((vector_size(32)));
typedef double v2df __attribute__((vector_size(16)));
typedef int64_t v2di __attribute__((vector_size(16)));

MB_ROW_GENERIC(mb_row_sse2, , v2df, v2di, 2)
#ifdef MB_AVX512
MB_ROW_GENERIC(mb_row_avx2, __attribute__((target("avx2"))), v4df, v4di, 4)

/* AVX-512: the same steps on 8 doubles, escape tests as masks (one byte of bits a vector). */
__attribute__((target("avx512f"))) static void mb_row_avx512(const mb_ctx *c, int64_t y, unsigned char *row)
{
    typedef double v8df __attribute__((vector_size(64)));
    const double ci0 = 2.0 * (double)y / c->n - 1.0;
    const v8df ci = { ci0, ci0, ci0, ci0, ci0, ci0, ci0, ci0 };
    const v8df two = { c->two, c->two, c->two, c->two, c->two, c->two, c->two, c->two };
    const __m512d four = _mm512_set1_pd(4.0);
    const size_t groups = (c->bytes + GROUP - 1) / GROUP;
    for (size_t g = 0; g < groups; g++) {
        const double *x = c->cr + g * GROUP * 8;
        v8df cr0, cr1, cr2, cr3;
        memcpy(&cr0, x, 64);
        memcpy(&cr1, x + 8, 64);
        memcpy(&cr2, x + 16, 64);
        memcpy(&cr3, x + 24, 64);
        v8df zr0 = { 0 }, zr1 = { 0 }, zr2 = { 0 }, zr3 = { 0 };
        v8df zi0 = { 0 }, zi1 = { 0 }, zi2 = { 0 }, zi3 = { 0 };
        v8df tr0 = { 0 }, tr1 = { 0 }, tr2 = { 0 }, tr3 = { 0 };
        v8df ti0 = { 0 }, ti1 = { 0 }, ti2 = { 0 }, ti3 = { 0 };
        __mmask8 m0 = 0xFF, m1 = 0xFF, m2 = 0xFF, m3 = 0xFF;
        for (int it = 0; it < ITER; it += CHECK_EVERY) {
            MB_STEPS; MB_STEPS; MB_STEPS; MB_STEPS; MB_STEPS;
            m0 = _mm512_cmp_pd_mask((__m512d)(tr0 + ti0), four, _CMP_LE_OQ);
            m1 = _mm512_cmp_pd_mask((__m512d)(tr1 + ti1), four, _CMP_LE_OQ);
            m2 = _mm512_cmp_pd_mask((__m512d)(tr2 + ti2), four, _CMP_LE_OQ);
            m3 = _mm512_cmp_pd_mask((__m512d)(tr3 + ti3), four, _CMP_LE_OQ);
            if (!(m0 | m1 | m2 | m3))
                break;
        }
        /* mask bit l is lane l; the byte wants lane 0 at the most significant bit */
        unsigned char out[GROUP] = { (unsigned char)m0, (unsigned char)m1, (unsigned char)m2, (unsigned char)m3 };
        size_t at = g * GROUP, m = c->bytes - at < GROUP ? c->bytes - at : GROUP;
        for (size_t b = 0; b < m; b++) {
            unsigned v = out[b];
            v = (v & 0xF0) >> 4 | (v & 0x0F) << 4;
            v = (v & 0xCC) >> 2 | (v & 0x33) << 2;
            v = (v & 0xAA) >> 1 | (v & 0x55) << 1;
            row[at + b] = (unsigned char)v;
        }
    }
}
#endif

/* Rows [begin, end). */
static int mb_rows(void *vctx, int64_t begin, int64_t end, int worker)
{
    (void)worker;
    const mb_ctx *c = vctx;
    for (int64_t y = begin; y < end; y++) {
        unsigned char *row = c->rows + (size_t)y * c->bytes;
        c->row(c, y, row);
        mb_trim(c, row);
    }
    return HP_OK;
}

int hp_mandelbrot(int n, int threads, char **out, size_t *out_len, char **errmsg)
{
    *out = NULL;
    *out_len = 0;
    if (n < 0 || n > HP_MANDELBROT_MAX_N)
        return hp_err(errmsg, HP_ELIMIT, "mandelbrot: n must be between 0 and %d, got %d",
                      HP_MANDELBROT_MAX_N, n);
    char head[32];
    int hl = snprintf(head, sizeof head, "P4\n%d %d\n", n, n);
    size_t bytes = (size_t)(n + 7) / 8;
    size_t len = (size_t)hl + bytes * (size_t)n;
    size_t padded = (bytes + GROUP) * 8; /* whole groups of GROUP bytes, and then some */
    char *buf = malloc(len);
    double *cr = malloc(padded * sizeof(double));
    if (!buf || !cr) {
        free(buf);
        free(cr);
        return hp_err(errmsg, HP_ENOMEM, "mandelbrot: cannot allocate %zu bytes", len);
    }
    for (size_t x = 0; x < padded; x++)
        cr[x] = 2.0 * (double)x / n - 1.5;
    memcpy(buf, head, (size_t)hl);
    mb_ctx c = { .n = n, .bytes = bytes, .cr = cr, .two = 2.0, .rows = (unsigned char *)buf + hl, .row = mb_row_sse2 };
#ifdef MB_AVX512
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        c.row = mb_row_avx512;
    else if (__builtin_cpu_supports("avx2"))
        c.row = mb_row_avx2;
#endif
    threads = hp_kpar_threads(threads);
    int rc = hp_kpar_for(n >= 64 ? threads : 1, 0, n, 4, mb_rows, &c, errmsg);
    free(cr);
    if (rc != HP_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = len;
    return HP_OK;
}
