/* luaopen_hotpath_jitcore: the small C module for LuaJIT (built against LuaJIT's headers) that
 * does what FFI cannot do well: building Lua tables from a JSON tape through the C API is
 * 1.5x faster than the FFI record builder (a Lua loop with an FFI read per value). The same C
 * as the Lua 5.4 binding's builder (jsonbuild.h), compiled for the 5.1 ABI.
 * lua/hotpath/ffi/json.lua uses it when it loads and falls back to the FFI builder otherwise
 * (or when HOTPATH_NO_C_MODULE is set, e.g. under OpenResty). Encoding stays on FFI: the
 * 5.4 binding's C encoder built here measured 0.84x the JIT-compiled FFI walker.
 *
 *   jitcore.json.decode(s, max_depth, use_mt, bigint, array_mt)
 *       -> value | nil, msg, code | false (for the FFI builder: an integer beyond +-2^53
 *          with bigint 0 must be int64 cdata, or nesting too deep for the C API's stack)
 *   jitcore.json.null: the NULL light userdata (== cjson.null == ngx.null)
 * One decoder (parser, level array, string cache) per Lua state, as upvalues. The module links
 * to libhotpath.so (rpath), so pools made through FFI and tasks run here share one core.
 */
#define JB_LUAJIT 1
#include <lua.h>
#include <lauxlib.h>
#include <stdio.h>

#include "common/common.h"
#include "json/json.h"
#include "lua/jsonbuild.h"

__attribute__((visibility("default"))) int luaopen_hotpath_jitcore(lua_State *L);

#define DECODER_MT "hotpath.jitcore.decoder"

/* busy: a build from p's tape runs. A finalizer run by one of its allocations that decodes
 * must not re-parse with p (the running build would read a rewritten or freed tape): it gets
 * a temporary decoder. A build can raise (out of memory, or an error in a finalizer, which
 * LuaJIT propagates to the allocation that ran it); l_decode clears the mark then too. */
typedef jb_decoder jdecoder;

static int decoder_gc(lua_State *L)
{
    jb_decoder_free(lua_touserdata(L, 1));
    return 0;
}

/* Pushes nil, msg, code for a failed decode; frees err before anything can raise. */
static int fail(lua_State *L, int rc, char *err)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", err ? err : hp_status_name(rc));
    hp_free(err);
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, hp_status_name(rc));
    return 3;
}

/* A decoder's busy flag and the value it had before a build. */
typedef struct { int *flag; int was; } busy_mark;

static void unbusy(busy_mark *m)
{
    *m->flag = m->was;
}

/* Whether the decoder is marked busy (for tests: a raising build must not leave it set). */
static int l_busy(lua_State *L)
{
    jdecoder *d = lua_touserdata(L, lua_upvalueindex(1));
    lua_pushboolean(L, d->busy);
    return 1;
}

/* Upvalues: 1 the decoder userdata, 2 the string cache's anchor table. */
static int l_decode(lua_State *L)
{
    jdecoder *d = lua_touserdata(L, lua_upvalueindex(1));
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    unsigned depth = (unsigned)luaL_optinteger(L, 2, 0);
    int use_mt = lua_toboolean(L, 3);
    int bigint = (int)luaL_optinteger(L, 4, 0);
    lua_settop(L, 5);
    lua_pushvalue(L, lua_upvalueindex(2));   /* 6 */
    jb_centry *cache = d->cache;
    if (d->busy) {
        d = lua_newuserdata(L, sizeof *d);   /* 7: a temporary decoder, freed by its __gc */
        memset(d, 0, sizeof *d);
        luaL_getmetatable(L, DECODER_MT);
        lua_setmetatable(L, -2);
        d->p = hp_json_parser_new();
        if (!d->p)
            return luaL_error(L, "out of memory creating a JSON parser");
        cache = NULL;
    }
    hp_json_tape tape;
    char *err = NULL;
    int rc = hp_json_decode_tape(d->p, s, len, depth, &tape, &err);
    if (rc == HP_OK) {
        /* Cleared on return and when the build raises: LuaJIT on x64 throws its errors with
         * the system unwinder, which runs this cleanup (the file is built with -fexceptions;
         * spec/json_spec.lua checks it with an error raised by a finalizer mid-build). */
        busy_mark mark __attribute__((cleanup(unbusy))) = { &d->busy, d->busy };
        d->busy = 1;
        int r = jb_build(L, &tape, &d->levels, use_mt ? 5 : 0, bigint, cache, 6, NULL);
        if (r == JB_OK)
            return 1;
        lua_settop(L, 6);
        if (r == JB_FALLBACK) {
            lua_pushboolean(L, 0);
            return 1;
        }
        rc = hp_json_depth_fail(d->p, s, len, &err);
    }
    return fail(L, rc, err);
}

int luaopen_hotpath_jitcore(lua_State *L)
{
    lua_newtable(L);                       /* jitcore */
    lua_newtable(L);                       /* jitcore.json */

    jdecoder *d = lua_newuserdata(L, sizeof *d);
    memset(d, 0, sizeof *d);
    luaL_newmetatable(L, DECODER_MT);
    lua_pushcfunction(L, decoder_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    d->p = hp_json_parser_new();
    if (!d->p)
        return luaL_error(L, "out of memory creating a JSON parser");
    d->cache = jb_cache_new();   /* NULL: decode goes uncached */
    lua_createtable(L, JB_CACHE, 0);
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, l_busy, 1);
    lua_setfield(L, -4, "busy");
    lua_pushcclosure(L, l_decode, 2);
    lua_setfield(L, -2, "decode");

    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    lua_setfield(L, -2, "json");
    return 1;
}
