/* Internal (not ABI): how the kernels run a range callback on threads. Uses the task pool's C
 * API (csrc/pool/pool.h) when the pool is built in; otherwise, or for one thread, it runs the
 * chunks in order on the calling thread, so outputs never depend on which path ran. */
#ifndef HP_KPAR_H
#define HP_KPAR_H
#include <stdint.h>

/* Same shape as the pool's hp_range_fn: handles [begin, end) as worker `worker`
 * (0 <= worker < the resolved thread count); returns HP_OK or a status. */
/* Function multi-versioning: target_clones dispatches through an ifunc resolver that the
 * dynamic loader runs before any sanitizer runtime has started, which crashes TSan builds.
 * Sanitizer builds define HP_NO_CLONES and keep only the default version. */
#ifdef HP_NO_CLONES
#define HP_TARGET_CLONES(...)
#else
#define HP_TARGET_CLONES(...) __attribute__((target_clones(__VA_ARGS__)))
#endif

typedef int (*hp_kpar_fn)(void *ctx, int64_t begin, int64_t end, int worker);

/* The thread count a kernel will use: threads <= 0 means all CPUs. At least 1. */
int hp_kpar_threads(int threads);

/* Runs fn over [begin, end) in chunks of `chunk` (>= 1) on `threads` workers (a resolved
 * count from hp_kpar_threads; a transient pool when > 1). Blocks until all chunks ran.
 * Returns HP_OK or the first failing status (message in *errmsg). Never raises. */
int hp_kpar_for(int threads, int64_t begin, int64_t end, int64_t chunk, hp_kpar_fn fn, void *ctx,
                char **errmsg);

#endif
