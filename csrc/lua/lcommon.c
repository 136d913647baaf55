/* Binding of common/: version, build info, clocks, CPU count, digests, waiting for a wall-clock time. */
#include "lhp.h"
#include "common/common.h"
#include "common/digest.h"
#include "common/wallclock.h"

#include <string.h>

static int l_version(lua_State *L) { lua_pushstring(L, hp_version()); return 1; }
static int l_build_info(lua_State *L) { lua_pushstring(L, hp_build_info()); return 1; }
static int l_clock(lua_State *L) { lua_pushnumber(L, hp_clock_monotonic()); return 1; }
static int l_cpu_count(lua_State *L) { lua_pushinteger(L, hp_cpu_count()); return 1; }
static int l_wallclock(lua_State *L) { lua_pushnumber(L, hp_wallclock_now()); return 1; }

/* sleep_until(epoch) -> true | nil, msg, code. Blocks the interpreter until the wall clock
 * reads epoch (hp_wallclock_sleep_until). */
static int l_sleep_until(lua_State *L)
{
    double t = luaL_checknumber(L, 1);
    void **msg = hp_lua_guard(L);
    int rc = hp_wallclock_sleep_until(t, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushboolean(L, 1);
    return 1;
}

/* digest(kind, data): kind is HP_DIGEST_SHA256 or HP_DIGEST_MD5 (checked by the Lua layer). */
static int l_digest(lua_State *L)
{
    int kind = (int)luaL_checkinteger(L, 1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    char hex[65];
    if (hp_digest_hex(kind, s, len, hex) != HP_OK)
        return luaL_argerror(L, 1, "unknown digest kind");
    lua_pushstring(L, hex);
    return 1;
}

void hp_lua_open_common(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "version", l_version }, { "build_info", l_build_info }, { "clock", l_clock },
        { "cpu_count", l_cpu_count }, { "digest", l_digest }, { "wallclock", l_wallclock },
        { "sleep_until", l_sleep_until }, { NULL, NULL },
    };
    luaL_setfuncs(L, fns, 0);
}
