/* hotpath:abi
 * binarytrees (Benchmarks Game): allocate, walk and free perfect binary trees.
 */
#ifndef HP_BINARYTREES_H
#define HP_BINARYTREES_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

enum { HP_BINARYTREES_MAX_N = 21 };
/* The deepest single tree: the program's stretch tree, max depth + 1. */
enum { HP_BINARYTREES_CHECK_MAX_DEPTH = 22 };

/* Runs binarytrees N (max depth max(6, N)) and returns the program's whole output in *out
 * (malloc'd; free with hp_free), its length in *out_len. threads <= 0: all CPUs. HP_ELIMIT
 * when n is outside 0..HP_BINARYTREES_MAX_N. Never raises; CPU- and memory-bound. */
int hp_binarytrees(int n, int threads, char **out, size_t *out_len, char **errmsg);

/* One unit of the program: builds a tree of the given depth (as the program builds its trees,
 * in one arena), counts its nodes into *count (2^(depth+1) - 1) and frees it. HP_EINVAL
 * "binarytrees_check: n must be between 0 and 22, got 23" outside
 * 0..HP_BINARYTREES_CHECK_MAX_DEPTH; HP_ENOMEM. Single-threaded; never raises. */
int hp_binarytrees_check(int64_t depth, int64_t *count, char **errmsg);

#pragma GCC visibility pop
#endif
