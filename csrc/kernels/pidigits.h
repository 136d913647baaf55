/* hotpath:abi
 * pidigits (Benchmarks Game): the first N digits of pi by the unbounded spigot, with GMP.
 */
#ifndef HP_PIDIGITS_H
#define HP_PIDIGITS_H
#include <stddef.h>
#pragma GCC visibility push(default)

enum { HP_PIDIGITS_MAX_N = 100000 };

/* Returns the digits in lines of 10, each followed by "\t:<count>" (the last line padded with
 * spaces), in *out (malloc'd; free with hp_free). The spigot is sequential, so threads is
 * accepted for symmetry and ignored. HP_ELIMIT when n is outside 0..HP_PIDIGITS_MAX_N (the
 * work grows as N^2: 10,000 digits take about half a second). Never raises. */
int hp_pidigits(int n, int threads, char **out, size_t *out_len, char **errmsg);

#pragma GCC visibility pop
#endif
