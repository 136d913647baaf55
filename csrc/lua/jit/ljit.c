/* luaopen_hotpath_jitcore: LuaJIT's second C module, interim: only the Lua-function batch
 * functions of pools made through FFI (jitcore.tasks: csrc/lua/ltasks.c, the same file as in
 * the 5.4 binding, built here with HP_LTASKS_JIT), linked to libhotpath.so so that those pools
 * and their tasks share one core. JSON is in the one binding (csrc/lua/ljson.c, core.so for
 * both ABIs); the rest goes when the pool binding does too. */
#include <lua.h>
#include <lauxlib.h>

#include "lua/ltasks.h"

__attribute__((visibility("default"))) int luaopen_hotpath_jitcore(lua_State *L);

int luaopen_hotpath_jitcore(lua_State *L)
{
    lua_newtable(L);                       /* jitcore */
    hp_ltasks_open_jit(L);                 /* jitcore.tasks: Lua-function pool tasks */
    lua_setfield(L, -2, "tasks");
    return 1;
}
