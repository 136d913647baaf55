/* hotpath:abi
 * Status codes, memory ownership and build facts shared by every module of the core.
 * Read by LuaJIT's ffi.cdef (see tools/gen_cdef.sh): no macros in declarations.
 */
#ifndef HP_COMMON_H
#define HP_COMMON_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

/* Every hp_ function that can fail returns one of these; 0 is success. A failing function
 * also stores a malloc'd message in *errmsg when errmsg is not NULL (free it with hp_free). */
enum hp_status {
    HP_OK = 0,
    HP_EINVAL = 1,     /* misuse: an argument outside the documented contract */
    HP_ENOMEM = 2,     /* out of memory */
    HP_ESYS = 3,       /* a system call failed; the message carries the errno text */
    HP_ETIMEDOUT = 4,  /* a deadline passed */
    HP_EPARSE = 5,     /* malformed input (JSON, HTTP) */
    HP_ECANCELED = 6,  /* the work was cancelled */
    HP_EFAILED = 7,    /* a task or a child process failed */
    HP_ELIMIT = 8      /* an input beyond a documented limit */
};

/* Frees memory the core handed to the caller (messages, output buffers). NULL is fine. */
void hp_free(void *p);

/* Where a streaming producer (hp_fasta_write, ...) puts its output, piece by piece, in order:
 * returns 0, or nonzero to say the output could not be taken (the producer then stops and
 * fails). Called on the producer's thread. */
typedef int (*hp_write_fn)(void *ctx, const char *data, size_t len);

/* Short lowercase name of a status ("ok", "invalid", "nomem", ...), never NULL. */
const char *hp_status_name(int status);

const char *hp_version(void);

/* Compiler, its version and the flags the core was built with. */
const char *hp_build_info(void);

/* Monotonic clock in seconds (CLOCK_MONOTONIC), for timing runs. */
double hp_clock_monotonic(void);

/* Number of online CPUs (at least 1). */
int hp_cpu_count(void);

#pragma GCC visibility pop
#endif
