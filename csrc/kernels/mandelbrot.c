/* mandelbrot: c = (2x/N - 1.5) + (2y/N - 1)i, z0 = 0, 50 iterations of z = z^2 + c, each
 * followed by the escape test |z|^2 > 4 (REFERENCE.md). Built with -ffp-contract=off, so the
 * rounding is the reference programs' whatever the target has FMA. */
#include "kernels/mandelbrot.h"
#include "common/common.h"
#include "common/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITER 50

/* One row of the bitmap, 8 pixels a byte, MSB first, the last byte padded with 0 bits. */
static void render_row(int n, int y, unsigned char *row)
{
    const double ci = 2.0 * y / n - 1.0;
    int bytes = (n + 7) / 8;
    for (int b = 0; b < bytes; b++) {
        unsigned bits = 0;
        for (int k = 0; k < 8; k++) {
            int x = b * 8 + k;
            unsigned in = 0;
            if (x < n) {
                const double cr = 2.0 * x / n - 1.5;
                double zr = 0, zi = 0, tr = 0, ti = 0;
                int i = 0;
                for (; i < ITER; i++) {
                    zi = 2.0 * zr * zi + ci;
                    zr = tr - ti + cr;
                    tr = zr * zr;
                    ti = zi * zi;
                    if (tr + ti > 4.0)
                        break;
                }
                in = i == ITER;
            }
            bits = bits << 1 | in;
        }
        row[b] = (unsigned char)bits;
    }
}

int hp_mandelbrot(int n, int threads, char **out, size_t *out_len, char **errmsg)
{
    (void)threads; /* single-threaded until the kernels move onto the pool */
    *out = NULL;
    *out_len = 0;
    if (n < 0 || n > HP_MANDELBROT_MAX_N)
        return hp_err(errmsg, HP_ELIMIT, "mandelbrot: n must be between 0 and %d, got %d",
                      HP_MANDELBROT_MAX_N, n);
    char head[32];
    int hl = snprintf(head, sizeof head, "P4\n%d %d\n", n, n);
    size_t bytes = (size_t)(n + 7) / 8;
    size_t len = (size_t)hl + bytes * (size_t)n;
    char *buf = malloc(len ? len : 1);
    if (!buf)
        return hp_err(errmsg, HP_ENOMEM, "mandelbrot: cannot allocate %zu bytes", len);
    memcpy(buf, head, (size_t)hl);
    for (int y = 0; y < n; y++)
        render_row(n, y, (unsigned char *)buf + hl + (size_t)y * bytes);
    *out = buf;
    *out_len = len;
    return HP_OK;
}
