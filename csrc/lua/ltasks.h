/* Lua-function tasks (ltasks.c): shared by the Lua 5.4 binding and the LuaJIT module
 * hotpath.jitcore (the same file compiled against LuaJIT's headers with HP_LTASKS_JIT). */
#ifndef HP_LTASKS_H
#define HP_LTASKS_H
#include <lua.h>
#include "pool/pool.h"

#ifdef HP_LTASKS_JIT
/* Pushes the table of Lua-function batch functions (part of the LuaJIT module jitcore). */
void hp_ltasks_open_jit(lua_State *L);
#else
/* The pool of a hotpath.pool userdata (lpool.c); raises if closed. */
hp_pool *hp_lua_checkpool(lua_State *L, int idx);
/* Adds lua_ops (the Lua-function batch functions) to the table on top of the stack. */
void hp_lua_open_ltasks(lua_State *L);
#endif

#endif
