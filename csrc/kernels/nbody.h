/* hotpath:abi
 * n-body (Benchmarks Game): the Jovian planets' orbits, symplectic integrator.
 */
#ifndef HP_NBODY_H
#define HP_NBODY_H
#include <stddef.h>
#pragma GCC visibility push(default)

enum { HP_NBODY_MAX_N = 1000000000 };

/* Advances the 5 bodies n steps of 0.01 and returns the energy before and after ("%.9f\n"
 * each) in *out (malloc'd; free with hp_free). Five bodies give ten pairs a step, too little
 * work to share, so threads is accepted for symmetry and ignored. HP_ELIMIT when n is outside
 * 0..HP_NBODY_MAX_N. Never raises; CPU-bound (50,000,000 steps take seconds). */
int hp_nbody(int n, int threads, char **out, size_t *out_len, char **errmsg);

#pragma GCC visibility pop
#endif
