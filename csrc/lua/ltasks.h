/* Lua-function tasks (ltasks.c): shared by the Lua 5.4 binding and the LuaJIT module
 * hotpath.jitcore (the same file compiled against LuaJIT's headers with HP_LTASKS_JIT). */
#ifndef HP_LTASKS_H
#define HP_LTASKS_H
#include <lua.h>
#include "pool/pool.h"

#include <stdint.h>
#include "common/common.h"

/* Pushes the outcome of a finished batch (native or Lua-function): true, or nil, message,
 * index (1-based; nil when cancelled), code. Returns the number of values pushed. */
static inline int hp_lua_push_job_status(lua_State *L, int rc, int64_t index, const char *msg)
{
    if (rc == HP_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    lua_pushstring(L, msg ? msg : rc == HP_ECANCELED ? "cancelled" : hp_status_name(rc));
    if (rc == HP_ECANCELED)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)index + 1);
    lua_pushstring(L, hp_status_name(rc));
    return 4;
}

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
