/* Binding of kernels/: each kernel returns its program output as a string, or nil, msg, code.
 * Sizes are checked against the limits by the Lua layer first; the core checks again. */
#include "lhp.h"
#include "common/common.h"
#include "kernels/mandelbrot.h"

static int l_mandelbrot(lua_State *L)
{
    int n = (int)luaL_checkinteger(L, 1);
    int threads = (int)luaL_optinteger(L, 2, 0);
    void **out = hp_lua_guard(L);
    void **msg = hp_lua_guard(L);
    size_t len = 0;
    int rc = hp_mandelbrot(n, threads, (char **)out, &len, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushlstring(L, *out, len);
    hp_lua_release(L, -3);
    return 1;
}

void hp_lua_open_kernels(lua_State *L)
{
    static const luaL_Reg fns[] = { { "mandelbrot", l_mandelbrot }, { NULL, NULL } };
    lua_newtable(L);
    luaL_setfuncs(L, fns, 0);
    lua_pushinteger(L, HP_MANDELBROT_MAX_N);
    lua_setfield(L, -2, "mandelbrot_max_n");
    lua_setfield(L, -2, "kernels");
}
