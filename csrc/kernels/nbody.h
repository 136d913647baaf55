/* hotpath:abi
 * n-body (Benchmarks Game): the Jovian planets' orbits, symplectic integrator.
 */
#ifndef HP_NBODY_H
#define HP_NBODY_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

enum { HP_NBODY_MAX_N = 1000000000 };

/* Advances the 5 bodies n steps of 0.01 and returns the energy before and after ("%.9f\n"
 * each) in *out (malloc'd; free with hp_free). Five bodies give ten pairs a step, too little
 * work to share, so threads is accepted for symmetry and ignored. HP_ELIMIT when n is outside
 * 0..HP_NBODY_MAX_N. Never raises; CPU-bound (50,000,000 steps take seconds). */
int hp_nbody(int n, int threads, char **out, size_t *out_len, char **errmsg);

/* The program's second number as a double: the energy after n steps (its full precision;
 * the program prints it rounded to 9 decimals). HP_EINVAL "nbody_energy: n must be between 0
 * and 1000000000, got -1" outside 0..HP_NBODY_MAX_N. Never raises; CPU-bound. */
int hp_nbody_energy(int64_t n, double *energy, char **errmsg);

#pragma GCC visibility pop
#endif
