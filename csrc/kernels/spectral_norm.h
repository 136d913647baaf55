/* hotpath:abi
 * spectral-norm (Benchmarks Game): the spectral norm of the infinite matrix
 * A(i, j) = 1 / ((i + j)(i + j + 1) / 2 + i + 1), truncated to N x N, by 10 power steps.
 */
#ifndef HP_SPECTRAL_NORM_H
#define HP_SPECTRAL_NORM_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

enum { HP_SPECTRAL_NORM_MAX_N = 32768 };

/* Returns the norm as "%0.9f\n" in *out (malloc'd; free with hp_free). threads <= 0: all
 * CPUs. HP_ELIMIT when n is outside 0..HP_SPECTRAL_NORM_MAX_N (the work grows as 20 N^2).
 * Never raises; CPU-bound. */
int hp_spectral_norm(int n, int threads, char **out, size_t *out_len, char **errmsg);

/* The norm itself, at full precision, in *norm. HP_EINVAL "spectral_norm: n must be between
 * 1 and 32768, got 0" outside 1..HP_SPECTRAL_NORM_MAX_N (0 has no norm). threads <= 0: all
 * CPUs. Never raises; CPU-bound. */
int hp_spectral_norm_value(int64_t n, int threads, double *norm, char **errmsg);

#pragma GCC visibility pop
#endif
