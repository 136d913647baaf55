/* Binding of kernels/: each kernel returns its program output as a string, or nil, msg, code.
 * Sizes are checked against the limits by the Lua layer first; the core checks again. */
#include "lhp.h"
#include "common/common.h"
#include "kernels/binarytrees.h"
#include "kernels/fannkuch_redux.h"
#include "kernels/fasta.h"
#include "kernels/knucleotide.h"
#include "kernels/mandelbrot.h"
#include "kernels/nbody.h"
#include "kernels/pidigits.h"
#include "kernels/reverse_complement.h"
#include "kernels/spectral_norm.h"

typedef int (*size_kernel)(int n, int threads, char **out, size_t *out_len, char **errmsg);
typedef int (*text_kernel)(const char *in, size_t len, int threads, char **out, size_t *out_len,
                           char **errmsg);

/* Pushes the kernel's output (or nil, msg, code). The guards own the C memory while Lua may
 * raise (an allocation failure in lua_pushlstring). */
static int finish(lua_State *L, int rc, void **out, void **msg, size_t len)
{
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushlstring(L, *out, len);
    hp_lua_release(L, -3); /* the output's guard: free the buffer now, not at the next GC */
    return 1;
}

/* kernel(n [, threads]): upvalue 1 is the C entry. */
static int l_size_kernel(lua_State *L)
{
    size_kernel fn = (size_kernel)lua_touserdata(L, lua_upvalueindex(1));
    lua_Integer n = luaL_checkinteger(L, 1);
    int threads = (int)luaL_optinteger(L, 2, 0);
    luaL_argcheck(L, n >= -1 && n <= 0x7fffffff, 1, "size out of range");
    void **out = hp_lua_guard(L);
    void **msg = hp_lua_guard(L);
    size_t len = 0;
    int rc = fn((int)n, threads, (char **)out, &len, (char **)msg);
    return finish(L, rc, out, msg, len);
}

/* kernel(text [, threads]): upvalue 1 is the C entry. */
static int l_text_kernel(lua_State *L)
{
    text_kernel fn = (text_kernel)lua_touserdata(L, lua_upvalueindex(1));
    size_t inlen;
    const char *in = luaL_checklstring(L, 1, &inlen);
    int threads = (int)luaL_optinteger(L, 2, 0);
    void **out = hp_lua_guard(L);
    void **msg = hp_lua_guard(L);
    size_t len = 0;
    int rc = fn(in, inlen, threads, (char **)out, &len, (char **)msg);
    return finish(L, rc, out, msg, len);
}

/* Function pointers travel as light userdata: the C standard does not promise that a function
 * pointer fits a void *, but every ABI this builds on (POSIX dlsym) does. */
static void add(lua_State *L, const char *name, lua_CFunction wrapper, void *fn, const char *limit_name,
                lua_Integer limit)
{
    lua_pushlightuserdata(L, fn);
    lua_pushcclosure(L, wrapper, 1);
    lua_setfield(L, -2, name);
    if (limit_name) {
        lua_pushinteger(L, limit);
        lua_setfield(L, -2, limit_name);
    }
}

void hp_lua_open_kernels(lua_State *L)
{
    lua_newtable(L);
    add(L, "binarytrees", l_size_kernel, (void *)hp_binarytrees, "binarytrees_max_n", HP_BINARYTREES_MAX_N);
    add(L, "fannkuch_redux", l_size_kernel, (void *)hp_fannkuch_redux, "fannkuch_redux_max_n",
        HP_FANNKUCH_REDUX_MAX_N);
    add(L, "fasta", l_size_kernel, (void *)hp_fasta, "fasta_max_n", HP_FASTA_MAX_N);
    add(L, "mandelbrot", l_size_kernel, (void *)hp_mandelbrot, "mandelbrot_max_n", HP_MANDELBROT_MAX_N);
    add(L, "nbody", l_size_kernel, (void *)hp_nbody, "nbody_max_n", HP_NBODY_MAX_N);
    add(L, "pidigits", l_size_kernel, (void *)hp_pidigits, "pidigits_max_n", HP_PIDIGITS_MAX_N);
    add(L, "spectral_norm", l_size_kernel, (void *)hp_spectral_norm, "spectral_norm_max_n",
        HP_SPECTRAL_NORM_MAX_N);
    add(L, "knucleotide", l_text_kernel, (void *)hp_knucleotide, NULL, 0);
    add(L, "reverse_complement", l_text_kernel, (void *)hp_reverse_complement, NULL, 0);
    lua_setfield(L, -2, "kernels");
}
