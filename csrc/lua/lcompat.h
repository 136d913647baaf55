/* The one place where the Lua ABIs the binding is compiled for differ: Lua 5.4 and LuaJIT 2.1
 * (the 5.1 API plus luaL_setfuncs, luaL_setmetatable, luaL_testudata). Every file under
 * csrc/lua/ and csrc/luart/ is written against the 5.4 API and includes this header (through
 * lhp.h or directly); the Makefile compiles each of them once per ABI into
 * build/<abi>/hotpath/core.so. Nothing here is a rule of the project: only shims with the 5.4
 * meaning, so that no file needs an ABI #if of its own.
 *
 * HP_LUA_ABI_NAME names the ABI ("lua54" or "luajit": core.backend and the build folder). */
#ifndef HP_LCOMPAT_H
#define HP_LCOMPAT_H
#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM >= 504
#define HP_LUA_ABI_NAME "lua54"
#else
#define HP_LUA_ABI_NAME "luajit"

/* Number of the values a lua_getfield/lua_rawgeti pushed: 5.4 returns the type; 5.1 nothing.
 * (A macro may name itself: the inner call is the library's.) */
#define lua_rawgeti(L, t, n) (lua_rawgeti((L), (t), (int)(n)), lua_type((L), -1))
#define lua_getfield(L, t, k) (lua_getfield((L), (t), (k)), lua_type((L), -1))
#define lua_rawseti(L, t, n) lua_rawseti((L), (t), (int)(n))

#define lua_rawlen(L, i) lua_objlen((L), (i))
/* Plain tables only (5.1 has no __len for tables): the binding takes no proxies. */
#define luaL_len(L, i) ((lua_Integer)lua_objlen((L), (i)))
/* The binding's userdata carry no user values. */
#define lua_newuserdatauv(L, size, nuv) lua_newuserdata((L), (size))
#define lua_pushglobaltable(L) lua_pushvalue((L), LUA_GLOBALSINDEX)
#define lua_dump(L, writer, data, strip) lua_dump((L), (writer), (data))

static inline int lua_absindex(lua_State *L, int idx)
{
    return idx > 0 || idx <= LUA_REGISTRYINDEX ? idx : lua_gettop(L) + idx + 1;
}

/* LuaJIT's numbers are doubles: "an integer" is a number with an integral value that an
 * int64_t holds (what 5.4's integer subtype would have carried). */
static inline int lua_isinteger(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TNUMBER)
        return 0;
    lua_Number v = lua_tonumber(L, idx);
    /* the range first: converting a double out of long long's range is undefined */
    return v >= -9223372036854775808.0 && v < 9223372036854775808.0 && v == (lua_Number)(long long)v;
}
#endif

/* ---- for JSON (ljson.c, jsonbuild.c, jsonenc.c) ---- */

/* 1 where numbers have an integer subtype (Lua 5.4), 0 where every number is a double
 * (LuaJIT). A constant in plain C conditions: both branches compile under both ABIs. */
#if LUA_VERSION_NUM >= 503
#define HP_LUA_INTEGERS 1
#else
#define HP_LUA_INTEGERS 0
#endif

/* HP_LUA_HOLD(L, idx, flag): sets *flag (unless flag is NULL) until the calling C function
 * returns or raises, so that a mark such as "this parser is in use" never outlives its call.
 * A declaration: once per function, in its outermost block. Lua 5.4 raises by longjmp: the
 * value at stack index idx (nil, or a userdata whose __close clears the flag) becomes a
 * to-be-closed slot. LuaJIT raises by unwinding (the binding is built with -fexceptions): a
 * cleanup handler of the C frame clears it; idx is unused. */
static inline int *hp_lua_hold_set(int *flag)
{
    if (flag)
        *flag = 1;
    return flag;
}
#if LUA_VERSION_NUM >= 504
#define HP_LUA_HOLD(L, idx, flag) \
    int *hp_lua_held_ __attribute__((unused)) = (lua_toclose((L), (idx)), hp_lua_hold_set(flag))
#else
static inline void hp_lua_unhold(int **flag)
{
    if (*flag)
        **flag = 0;
}
#define HP_LUA_HOLD(L, idx, flag) \
    int *hp_lua_held_ __attribute__((cleanup(hp_lua_unhold))) = ((void)(L), (void)(idx), hp_lua_hold_set(flag))
#endif

#endif
