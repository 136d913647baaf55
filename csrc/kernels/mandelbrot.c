/* mandelbrot: c = (2x/N - 1.5) + (2y/N - 1)i, z0 = 0, 50 iterations of z = z^2 + c, each
 * followed by the escape test |z|^2 > 4 (REFERENCE.md). Built with -ffp-contract=off, so the
 * rounding is the reference programs' whatever the target has FMA.
 *
 * Speed: rows are ranges the pool hands out; within a row, GROUP vectors of 8 pixels (one
 * output byte each) iterate together, so the multiply/add chains of independent vectors
 * overlap. Every pixel runs all 50 iterations unless the whole group has escaped (checked
 * every 5 iterations), and the bit is the final test |z|^2 <= 4. That equals the reference's
 * early-break test: for |c| < 1.81 (all pixels here), once |z| > 2 the modulus grows at every
 * step (|z^2 + c| >= |z|^2 - |c| > |z|), so an escaped pixel stays out, and if it overflows to
 * inf the sum becomes inf or NaN, which "<= 4" also rejects. The vector code is one C source
 * built for AVX-512, AVX2 and baseline SSE2, picked at load time (target_clones). */
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
#define GROUP 4 /* vectors of 8 pixels in flight */

typedef double v8df __attribute__((vector_size(64)));
typedef int64_t v8di __attribute__((vector_size(64)));

typedef struct mb_ctx {
    int n;
    size_t bytes;        /* per row */
    const double *cr;    /* 2x/N - 1.5 for every x, padded to a multiple of 8 * GROUP */
    unsigned char *rows; /* output rows */
} mb_ctx;

/* Rows [begin, end). */
HP_TARGET_CLONES("avx512f", "avx2", "default") static int mb_rows(void *vctx, int64_t begin, int64_t end,
                                                                             int worker)
{
    (void)worker;
    const mb_ctx *c = vctx;
    const size_t groups = (c->bytes + GROUP - 1) / GROUP;
    for (int64_t y = begin; y < end; y++) {
        const double ci0 = 2.0 * (double)y / c->n - 1.0;
        const v8df ci = { ci0, ci0, ci0, ci0, ci0, ci0, ci0, ci0 };
        const v8df four = { 4, 4, 4, 4, 4, 4, 4, 4 };
        unsigned char *row = c->rows + (size_t)y * c->bytes;
        for (size_t g = 0; g < groups; g++) {
            v8df cr[GROUP], zr[GROUP], zi[GROUP], tr[GROUP], ti[GROUP];
            for (int k = 0; k < GROUP; k++) {
                memcpy(&cr[k], c->cr + (g * GROUP + (size_t)k) * 8, sizeof(v8df));
                zr[k] = zi[k] = tr[k] = ti[k] = (v8df){ 0 };
            }
            unsigned char out[GROUP] = { 0 };
            int alive = 1;
            for (int it = 0; it < ITER && alive; it += CHECK_EVERY) {
                for (int s = 0; s < CHECK_EVERY; s++)
                    for (int k = 0; k < GROUP; k++) {
                        zi[k] = 2.0 * zr[k] * zi[k] + ci;
                        zr[k] = tr[k] - ti[k] + cr[k];
                        tr[k] = zr[k] * zr[k];
                        ti[k] = zi[k] * zi[k];
                    }
                v8di any = { 0 };
                for (int k = 0; k < GROUP; k++)
                    any |= tr[k] + ti[k] <= four;
                int64_t a = 0;
                for (int l = 0; l < 8; l++)
                    a |= any[l];
                alive = a != 0;
            }
            if (alive)
                for (int k = 0; k < GROUP; k++) {
                    v8di in = tr[k] + ti[k] <= four;
                    unsigned bits = 0;
                    for (int l = 0; l < 8; l++)
                        bits = bits << 1 | (unsigned)(in[l] & 1);
                    out[k] = (unsigned char)bits;
                }
            size_t at = g * GROUP, m = c->bytes - at < GROUP ? c->bytes - at : GROUP;
            memcpy(row + at, out, m);
        }
        /* pixels past the right edge are 0 bits */
        int used = c->n - 8 * (int)(c->bytes - 1);
        if (c->bytes && used < 8)
            row[c->bytes - 1] &= (unsigned char)(0xFF00u >> used);
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
    size_t padded = (bytes + GROUP) * 8 * GROUP / GROUP;
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
    mb_ctx c = { .n = n, .bytes = bytes, .cr = cr, .rows = (unsigned char *)buf + hl };
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
