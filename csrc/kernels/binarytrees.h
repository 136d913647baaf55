/* hotpath:abi
 * binarytrees (Benchmarks Game): allocate, walk and free perfect binary trees.
 */
#ifndef HP_BINARYTREES_H
#define HP_BINARYTREES_H
#include <stddef.h>
#pragma GCC visibility push(default)

enum { HP_BINARYTREES_MAX_N = 21 };

/* Runs binarytrees N (max depth max(6, N)) and returns the program's whole output in *out
 * (malloc'd; free with hp_free), its length in *out_len. threads <= 0: all CPUs. HP_ELIMIT
 * when n is outside 0..HP_BINARYTREES_MAX_N. Never raises; CPU- and memory-bound. */
int hp_binarytrees(int n, int threads, char **out, size_t *out_len, char **errmsg);

#pragma GCC visibility pop
#endif
