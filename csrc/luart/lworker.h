/* Worker Lua states for Lua-function tasks (lworker.c): the state a pool thread owns, with a
 * batch's function loaded. Part of the Lua runtime of worker threads (csrc/luart/, compiled
 * into hotpath.core once per Lua ABI); not ABI. Every function here runs on the thread that
 * owns the state, inside a chunk of the job. */
#ifndef HP_LWORKER_H
#define HP_LWORKER_H
#include <lua.h>
#include <stddef.h>
#include <stdint.h>
#include "pool/pool.h"

/* Functions a worker state keeps loaded, by bytecode (see hp_lworker_get). */
#define HP_LWORKER_FNS 8

/* A loaded task function: the FNV-1a hash of its bytecode, a copy of the bytecode (compared
 * on a hash match), its registry reference, and when it was last used (for eviction). */
typedef struct {
    uint64_t hash;
    size_t len;
    char *code;
    int ref;
    uint64_t used;
} hp_lfn;

/* A worker thread's Lua state and what it holds: the pristine globals (in its registry), the
 * function of the batch it last ran (fn_ref, that batch's job serial; a reference owned by
 * fns) and the functions it loaded last (fns, at most HP_LWORKER_FNS). */
typedef struct hp_lworker {
    lua_State *L;
    uint64_t serial;
    int fn_ref;
    int run_ref; /* run_task, made once in protected mode (pushing a C function may allocate) */
    uint64_t tick;
    hp_lfn fns[HP_LWORKER_FNS];
} hp_lworker;

/* The state of the thread running `job` as participant w (created on its first Lua chunk, kept
 * in its hp_worker_local), with the batch's function (code: its bytecode) ready unless it
 * already is for this job: the state's function of the same bytecode if it has one, else
 * loaded; either way with fresh globals. NULL with a malloc'd *errmsg on failure. A participant that is not
 * a pool thread (no local) gets a state of its own for this chunk (*temp set: the caller closes
 * it with hp_lworker_close). Never raises. */
hp_lworker *hp_lworker_get(hp_job *job, int w, const char *code, size_t code_len,
                           hp_lworker **temp, char **errmsg);

/* Closes the state and frees ws (NULL is fine). */
void hp_lworker_close(hp_lworker *ws);

/* Runs one task: the batch's function on arg (an lcopy encoding) or, when arg is NULL, on the
 * integer n (a range input). Returns lua_pcall's status with the result or the error object
 * on top; never raises (an argument that must allocate is decoded inside the protected call). */
int hp_lworker_call(hp_lworker *ws, const char *arg, int64_t n);

/* The text of the error object on top of L after status rc, copied to out when it must be
 * formatted (no Lua allocation: lua_tostring on a number would convert it in place, outside
 * any protected call). */
const char *hp_lworker_error_text(lua_State *L, int rc, char *out, size_t size);

#endif
