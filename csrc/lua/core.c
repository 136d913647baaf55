/* luaopen_hotpath_core: the C module, one source for both runtimes (compiled once per Lua ABI:
 * build/lua54/hotpath/core.so and build/luajit/hotpath/core.so). Every part adds its functions
 * to one table. */
#include "lhp.h"
#include "common/common.h"

#include <stdlib.h>
#include <string.h>

__attribute__((visibility("default"))) int luaopen_hotpath_core(lua_State *L);

static int guard_gc(lua_State *L)
{
    void **slot = lua_touserdata(L, 1);
    if (slot && *slot) {
        hp_free(*slot);
        *slot = NULL;
    }
    return 0;
}

void **hp_lua_guard(lua_State *L)
{
    void **slot = lua_newuserdatauv(L, sizeof(void *), 0);
    *slot = NULL;
    if (luaL_newmetatable(L, "hotpath.guard")) {
        lua_pushcfunction(L, guard_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return slot;
}

void hp_lua_release(lua_State *L, int idx)
{
    void **slot = lua_touserdata(L, idx);
    if (slot && *slot) {
        hp_free(*slot);
        *slot = NULL;
    }
}

int hp_lua_fail(lua_State *L, int status, void **msg_slot)
{
    lua_pushnil(L);
    lua_pushstring(L, msg_slot && *msg_slot ? (const char *)*msg_slot : hp_status_name(status));
    lua_pushstring(L, hp_status_name(status));
    return 3;
}

void *hp_lua_checkhandle(lua_State *L, int idx, const char *mt, const char *gone)
{
    void *p;
    memcpy(&p, luaL_checkudata(L, idx, mt), sizeof p); /* the block's first member */
    if (!p)
        luaL_error(L, "%s", gone);
    return p;
}

int hp_lua_push_job_status(lua_State *L, int rc, int64_t index, const char *msg)
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

void hp_lua_setnum(lua_State *L, const char *k, double v) { lua_pushnumber(L, v); lua_setfield(L, -2, k); }
void hp_lua_setint(lua_State *L, const char *k, lua_Integer v) { lua_pushinteger(L, v); lua_setfield(L, -2, k); }
void hp_lua_setbool(lua_State *L, const char *k, int v) { lua_pushboolean(L, v); lua_setfield(L, -2, k); }

int luaopen_hotpath_core(lua_State *L)
{
    lua_newtable(L);
    hp_lua_open_common(L);
    hp_lua_open_proc(L);
    hp_lua_open_kernels(L);
    hp_lua_open_json(L);
    hp_lua_open_http(L);
    hp_lua_open_pool(L);
    lua_pushliteral(L, HP_LUA_ABI_NAME);
    lua_setfield(L, -2, "backend");
    return 1;
}
