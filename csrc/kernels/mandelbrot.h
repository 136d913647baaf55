/* hotpath:abi
 * mandelbrot (Benchmarks Game): the N x N bitmap as a PBM (P4) file.
 */
#ifndef HP_MANDELBROT_H
#define HP_MANDELBROT_H
#include <stddef.h>
#pragma GCC visibility push(default)

enum { HP_MANDELBROT_MAX_N = 32768 };

/* Renders the N x N bitmap and returns the program's whole output ("P4\nN N\n" and the rows)
 * in *out (malloc'd; free with hp_free) and its length in *out_len. threads <= 0 means the
 * default. HP_ELIMIT when n is outside 0..HP_MANDELBROT_MAX_N. Never raises; CPU-bound. */
int hp_mandelbrot(int n, int threads, char **out, size_t *out_len, char **errmsg);

#pragma GCC visibility pop
#endif
