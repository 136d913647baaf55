/* Lua-function tasks (ltasks.c): batches of a Lua function run in the pool's worker Lua states,
 * registered by the pool binding (csrc/lua/lpool.c) as core.pool.lua_ops. */
#ifndef HP_LTASKS_H
#define HP_LTASKS_H
#include <lua.h>

/* Adds lua_ops (the Lua-function batch functions: prepare, map, results, reduce, free; the pool
 * binding adds wait, done, cancel and status, shared with native batches) to the table on top
 * of the stack. May raise (memory). */
void hp_lua_open_ltasks(lua_State *L);

/* The job of the Lua-function batch at idx (for the future functions that native and Lua
 * batches share: hp_lua_checkjob in lpool.c). Raises "bad argument #idx" for another value
 * and "future is released" once it was released. */
struct hp_job *hp_lua_ltask_job(lua_State *L, int idx);

#endif
