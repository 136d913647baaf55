/* spectral-norm: u = 1; ten times v = AtA u, u = AtA v; then sqrt(u.v / v.v). Each product
 * row is a dot product over j, computed in a fixed order of 4-wide partial sums whatever the
 * thread count, and rows are ranges the pool hands out (one fork-join per product, 40 in
 * all). A(i, j) is computed, not stored: 1 / ((i+j)(i+j+1)/2 + i + 1) in doubles, exact for
 * these integers, so N up to the limit cannot overflow. N = 0 prints the reference's nan. */
#include "kernels/spectral_norm.h"
#include "kernels/ktext.h"
#include "kernels/kpar.h"
#include "common/common.h"
#include "common/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef double v4df __attribute__((vector_size(32)));

typedef struct sn_ctx {
    int n;
    int transpose; /* 0: out = A in, 1: out = At in */
    const double *in;
    double *out;
} sn_ctx;

/* Rows [begin, end) of A in (or At in). j is carried as a vector of doubles (exact integers)
 * stepped by 4, not converted from an int each step, and the load of in[j..j+3] is one
 * unaligned vector load: the loop is then one division and a handful of multiplies and adds
 * per 4 elements. */
HP_TARGET_CLONES("avx2", "default") static int sn_rows(void *vctx, int64_t begin, int64_t end, int worker)
{
    (void)worker;
    const sn_ctx *c = vctx;
    int n = c->n;
    const v4df four = { 4, 4, 4, 4 };
    for (int i = (int)begin; i < (int)end; i++) {
        v4df acc = { 0, 0, 0, 0 };
        v4df jj = { 0, 1, 2, 3 };
        int j = 0;
        double di = (double)i;
        if (c->transpose) {
            for (; j + 4 <= n; j += 4) {
                v4df s = di + jj;
                v4df d = s * (s + 1) * 0.5 + jj + 1;
                v4df u;
                memcpy(&u, c->in + j, sizeof u);
                acc += u / d;
                jj += four;
            }
        } else {
            for (; j + 4 <= n; j += 4) {
                v4df s = di + jj;
                v4df d = s * (s + 1) * 0.5 + di + 1;
                v4df u;
                memcpy(&u, c->in + j, sizeof u);
                acc += u / d;
                jj += four;
            }
        }
        double sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for (; j < n; j++) {
            double s = di + j;
            double d = c->transpose ? s * (s + 1) * 0.5 + j + 1 : s * (s + 1) * 0.5 + di + 1;
            sum += c->in[j] / d;
        }
        c->out[i] = sum;
    }
    return HP_OK;
}

static int mul(int threads, int n, int transpose, const double *in, double *out, char **errmsg)
{
    sn_ctx c = { .n = n, .transpose = transpose, .in = in, .out = out };
    int64_t chunk = n / (8 * threads) + 1;
    return hp_kpar_for(n >= 256 ? threads : 1, 0, n, chunk, sn_rows, &c, errmsg);
}

/* out = At A in, through tmp. */
static int ata(int threads, int n, const double *in, double *tmp, double *out, char **errmsg)
{
    int rc = mul(threads, n, 0, in, tmp, errmsg);
    return rc != HP_OK ? rc : mul(threads, n, 1, tmp, out, errmsg);
}

/* The norm for n >= 0 on `threads` (resolved) workers; NaN for n = 0 (0/0, as the reference
 * program prints it). */
static int spectral(int n, int threads, double *norm, char **errmsg)
{
    size_t sz = (size_t)(n ? n : 1);
    double *u = malloc(sz * sizeof(double)), *v = malloc(sz * sizeof(double)),
           *t = malloc(sz * sizeof(double));
    int rc = HP_OK;
    if (!u || !v || !t) {
        rc = hp_err(errmsg, HP_ENOMEM, "spectral_norm: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++)
        u[i] = 1.0;
    for (int it = 0; it < 10 && rc == HP_OK; it++) {
        rc = ata(threads, n, u, t, v, errmsg);
        if (rc == HP_OK)
            rc = ata(threads, n, v, t, u, errmsg);
    }
    if (rc != HP_OK)
        goto done;
    double vbv = 0, vv = 0;
    for (int i = 0; i < n; i++) {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    *norm = sqrt(vbv / vv);
done:
    free(u);
    free(v);
    free(t);
    return rc;
}

int hp_spectral_norm(int n, int threads, char **out, size_t *out_len, char **errmsg)
{
    *out = NULL;
    *out_len = 0;
    if (n < 0 || n > HP_SPECTRAL_NORM_MAX_N)
        return hp_err(errmsg, HP_ELIMIT, "spectral_norm: n must be between 0 and %d, got %d",
                      HP_SPECTRAL_NORM_MAX_N, n);
    double norm = 0;
    int rc = spectral(n, hp_kpar_threads(threads), &norm, errmsg);
    return rc != HP_OK ? rc : hp_ktext(out, out_len, errmsg, "spectral_norm", "%0.9f\n", norm);
}

int hp_spectral_norm_value(int64_t n, int threads, double *norm, char **errmsg)
{
    *norm = 0;
    if (n < 1 || n > HP_SPECTRAL_NORM_MAX_N)
        return hp_err(errmsg, HP_EINVAL, "spectral_norm: n must be between 1 and %d, got %lld",
                      HP_SPECTRAL_NORM_MAX_N, (long long)n);
    return spectral((int)n, hp_kpar_threads(threads), norm, errmsg);
}
