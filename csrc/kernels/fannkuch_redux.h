/* hotpath:abi
 * fannkuch-redux (Benchmarks Game): pancake flips over all permutations of 0..N-1.
 */
#ifndef HP_FANNKUCH_REDUX_H
#define HP_FANNKUCH_REDUX_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

enum { HP_FANNKUCH_REDUX_MAX_N = 12 };

/* Returns "<checksum>\nPfannkuchen(N) = <max flips>\n" in *out (malloc'd; free with hp_free).
 * threads <= 0: all CPUs. HP_ELIMIT when n is outside 0..HP_FANNKUCH_REDUX_MAX_N (13 would
 * take minutes, 20 days). Never raises; CPU-bound. */
int hp_fannkuch_redux(int n, int threads, char **out, size_t *out_len, char **errmsg);

/* The program's two numbers: the checksum in *checksum, the maximum flips in *maxflips.
 * HP_EINVAL "fannkuch_checksum: n must be between 1 and 12, got 0" outside
 * 1..HP_FANNKUCH_REDUX_MAX_N. threads <= 0: all CPUs. Never raises; CPU-bound. */
int hp_fannkuch_checksum(int64_t n, int threads, int64_t *checksum, int *maxflips, char **errmsg);

#pragma GCC visibility pop
#endif
