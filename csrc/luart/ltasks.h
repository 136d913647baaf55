/* Lua-function tasks (ltasks.c): batches of a Lua function run in the pool's worker Lua states,
 * registered by the pool binding (csrc/lua/lpool.c) as core.pool.lua_ops. */
#ifndef HP_LTASKS_H
#define HP_LTASKS_H
#include <lua.h>

/* Adds lua_ops (the Lua-function batch functions: prepare, map, wait, ...) to the table on top
 * of the stack. May raise (memory). */
void hp_lua_open_ltasks(lua_State *L);

#endif
