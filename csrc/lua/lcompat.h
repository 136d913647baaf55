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
#include <string.h>

#if LUA_VERSION_NUM >= 504
#define HP_LUA_ABI_NAME "lua54"

/* Calls fn(L) with ud as a light userdata (argument 1) in protected mode, allocating nothing
 * outside it (5.4: a light C function; 5.1's lua_cpcall makes its closure inside). Returns
 * lua_pcall's status, the error object on top on failure. */
static inline int hp_lua_cpcall(lua_State *L, lua_CFunction fn, void *ud)
{
    lua_pushcfunction(L, fn);
    lua_pushlightuserdata(L, ud);
    return lua_pcall(L, 1, 0, 0);
}

/* The number at idx (known to be one): 1 with *i set if it is an integer (lua_isinteger), else
 * 0 with *d set. One read of the value under either ABI. */
static inline int hp_lua_tonum(lua_State *L, int idx, long long *i, double *d)
{
    if (lua_isinteger(L, idx)) {
        *i = (long long)lua_tointeger(L, idx);
        return 1;
    }
    *d = (double)lua_tonumber(L, idx);
    return 0;
}

/* Pops a table and makes it the globals of the Lua function at fn (5.4: its _ENV upvalue, if
 * its first upvalue is _ENV; 5.1: its environment). */
static inline void hp_lua_setenv(lua_State *L, int fn)
{
    const char *up = lua_getupvalue(L, fn, 1);
    if (up) {
        lua_pop(L, 1);
        if (strcmp(up, "_ENV") == 0) {
            lua_setupvalue(L, fn, 1);
            return;
        }
    }
    lua_pop(L, 1);
}
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

static inline int hp_lua_cpcall(lua_State *L, lua_CFunction fn, void *ud)
{
    return lua_cpcall(L, fn, ud);
}

static inline void hp_lua_setenv(lua_State *L, int fn)
{
    lua_setfenv(L, fn);
}

static inline int lua_absindex(lua_State *L, int idx)
{
    return idx > 0 || idx <= LUA_REGISTRYINDEX ? idx : lua_gettop(L) + idx + 1;
}

/* LuaJIT's numbers are doubles: "an integer" is a number with an integral value that an
 * int64_t holds (what 5.4's integer subtype would have carried). The number is at idx. */
static inline int hp_lua_tonum(lua_State *L, int idx, long long *i, double *d)
{
    *d = (double)lua_tonumber(L, idx);
    /* the range first: converting a double out of long long's range is undefined */
    if (*d >= -9223372036854775808.0 && *d < 9223372036854775808.0 && *d == (double)(long long)*d) {
        *i = (long long)*d;
        return 1;
    }
    return 0;
}

static inline int lua_isinteger(lua_State *L, int idx)
{
    long long i;
    double d;
    return lua_type(L, idx) == LUA_TNUMBER && hp_lua_tonum(L, idx, &i, &d);
}

/* 5.4 raises on a number without an integer value where 5.1 truncates it: the 5.4 contract. */
static inline lua_Integer hp_lua_checkinteger(lua_State *L, int arg)
{
    if (lua_type(L, arg) == LUA_TNUMBER && !lua_isinteger(L, arg))
        luaL_argerror(L, arg, "number has no integer representation");
    return luaL_checkinteger(L, arg);
}
#define luaL_checkinteger(L, arg) hp_lua_checkinteger((L), (arg))
#define luaL_optinteger(L, arg, d) (lua_isnoneornil((L), (arg)) ? (lua_Integer)(d) : luaL_checkinteger((L), (arg)))
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
