/* Shared helpers of the Lua bindings (csrc/lua/). Bindings only marshal: they check types,
 * call the C ABI, and turn results into Lua values. Argument validation with user-facing
 * messages lives in the Lua layer (lua/hotpath/), which both runtimes share. */
#ifndef HP_LHP_H
#define HP_LHP_H
#include "lcompat.h"

#include <stdint.h>

/* A userdata slot that frees its pointer on __gc. Create it BEFORE calling a core function that
 * hands back malloc'd memory, and pass the slot as the out-parameter: if a later push raises
 * (out of memory), the collector still frees the buffer. May raise (allocation). */
void **hp_lua_guard(lua_State *L);

/* Frees the guarded pointer now (the slot at stack index idx), idempotently. */
void hp_lua_release(lua_State *L, int idx);

/* Pushes nil, message, status name; returns 3. The message comes from a guard slot (may be NULL). */
int hp_lua_fail(lua_State *L, int status, void **msg_slot);

/* t[k] = v for the table on top of the stack (result tables of the bindings). May raise (memory). */
void hp_lua_setnum(lua_State *L, const char *k, double v);
void hp_lua_setint(lua_State *L, const char *k, lua_Integer v);
void hp_lua_setbool(lua_State *L, const char *k, int v);

/* Pushes the outcome of a finished batch (native or Lua-function): true, or nil, message,
 * index (1-based; nil when cancelled), code. Returns the number of values pushed. */
int hp_lua_push_job_status(lua_State *L, int rc, int64_t index, const char *msg);

/* The pointer a handle userdata holds: a userdata of metatable mt whose block starts with it
 * (pools, native and Lua-function batches). Raises "bad argument #idx" for any other value,
 * and the message `gone` (e.g. "future is released") once the pointer was cleared. */
void *hp_lua_checkhandle(lua_State *L, int idx, const char *mt, const char *gone);

/* The pool of a hotpath.pool userdata (lpool.c); raises if it is not one or is closed. */
struct hp_pool *hp_lua_checkpool(lua_State *L, int idx);

/* Module parts, each filling the table on top of the stack. */
void hp_lua_open_common(lua_State *L);
void hp_lua_open_proc(lua_State *L);
void hp_lua_open_kernels(lua_State *L);
void hp_lua_open_json(lua_State *L);
void hp_lua_open_http(lua_State *L);
void hp_lua_open_pool(lua_State *L);

#endif
