/* hotpath:abi
 * Workloads as pool kinds: the kernels' work units registered on a pool by name
 * (hp_pool_register_kind), so that neither pool/ nor kernels/ knows the other's kinds. One
 * task = one independent unit, run single-threaded on its worker (the pool is the
 * parallelism): a batch is a parameter sweep or the kernel's own decomposition.
 *   binarytrees_check d   build a tree of depth d, count its nodes, free it (the unit the
 *                         binarytrees program repeats 2^(N-d+4) times per depth): 2^(d+1) - 1
 *   nbody_energy n        the energy after n steps (a float)
 *   spectral_norm n       the norm of the n x n matrix (a float)
 *   fannkuch_checksum n   the permutation checksum of 0..n-1
 * They do not poll the cancelled flag (a cancel stops the tasks not yet started).
 * Read by LuaJIT's ffi.cdef: no macros in declarations.
 */
#ifndef HP_WORKLOADS_H
#define HP_WORKLOADS_H
#include "pool/pool.h"
#pragma GCC visibility push(default)

/* Registers the kinds above on pool (replacing kinds of the same names). Never raises. */
int hp_workloads_register(hp_pool *pool, char **errmsg);

/* hp_pool_new, then hp_workloads_register: a pool that runs every kind of hp_task_kinds.
 * The Lua pools are made this way. Never raises. */
int hp_task_pool_new(hp_pool **out, int threads, char **errmsg);

/* The kinds of a pool made by hp_task_pool_new, comma-separated: the pool's own
 * ("noop,identity,fib_recursive,...", hp_pool_kinds), then the workloads' above. */
const char *hp_task_kinds(void);

#pragma GCC visibility pop
#endif
