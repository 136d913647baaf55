/* The worker Lua states of Lua-function tasks (see ltasks.c): one per pool thread, created by
 * that thread on its first Lua chunk, kept in its hp_worker_local across batches and closed by
 * the thread itself when the pool shuts down; never one per task or per batch.
 *
 * Isolation between batches: each batch's function gets, in each worker state, a fresh global
 * table: a copy of the standard library as it was when the state was created (library tables
 * copied one level), so globals and library fields set by one batch are not seen by the next.
 * The function itself is loaded once per bytecode and state (the last HP_LWORKER_FNS kept). Shared within a worker state across batches: package.loaded (modules a
 * task requires stay loaded), the string metatable and the registry.
 *
 * Everything here runs on the thread that owns the state. */
#include "lworker.h"
#include "lcopy.h"
#include "common/common.h"
#include "lua/lcompat.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The registry key of a state's pristine globals. */
static const char ENV0_KEY[] = "hotpath.env0";

void hp_lworker_close(hp_lworker *ws)
{
    if (!ws)
        return;
    if (ws->L)
        lua_close(ws->L);
    for (int i = 0; i < HP_LWORKER_FNS; i++)
        free(ws->fns[i].code);
    free(ws);
}

/* FNV-1a over the bytecode: picks the cache entry; the bytes are compared on a match. */
static uint64_t code_hash(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* hp_lworker_close as an hp_worker_local destructor (the pool thread calls it at exit). */
static void lworker_dtor(void *data)
{
    hp_lworker_close(data);
}

/* Pushes a copy of the table at idx, table values copied one level (the library tables). */
static void copy_globals(lua_State *L, int idx, int deep)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (deep && lua_istable(L, -1) && !lua_rawequal(L, -1, idx)) {
            copy_globals(L, -1, 0);
            lua_replace(L, -2);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
}

/* What a task gets: its function (registry ref) and its encoded argument. */
typedef struct {
    int fn_ref;
    const char *arg;
} task_arg;

/* Runs in protected mode (through hp_lworker.run_ref): decodes a task's argument (which allocates
 * strings and tables) and calls the task's function with it; returns its result. */
static int run_task(lua_State *L)
{
    const task_arg *ta = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ta->fn_ref);
    const char *p = ta->arg;
    if (!hp_lcopy_decode(L, &p))
        return luaL_error(L, "argument: %s", HP_LCOPY_DEEP_MSG);
    lua_call(L, 1, 1);
    return 1;
}

/* Runs in protected mode on a new state (argument 1: its hp_lworker): libraries, the pristine copy
 * of the globals, and the reference to run_task. */
static int init_state(lua_State *L)
{
    hp_lworker *ws = lua_touserdata(L, 1);
    lua_settop(L, 0);
    luaL_openlibs(L);
    lua_pushglobaltable(L);
    copy_globals(L, -1, 1);
    lua_pushnil(L);
    lua_setfield(L, -2, "_G"); /* each copy gets its own _G */
    lua_setfield(L, LUA_REGISTRYINDEX, ENV0_KEY);
    lua_settop(L, 0);
    lua_pushcfunction(L, run_task);
    ws->run_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* What load_fn loads: the batch's bytecode, or the function already loaded from it (ref), and
 * the reference it makes for a newly loaded one. */
typedef struct {
    const char *code;
    size_t code_len;
    int ref;     /* the cached function, or LUA_NOREF: load code */
    int new_ref; /* out: the reference of the function loaded */
} load_arg;

/* Runs in protected mode (argument 1: a load_arg): the batch's function (the cached one, or
 * loaded from its bytecode, then referenced in la->new_ref), with a fresh copy of the pristine
 * globals as its environment. A function is loaded once per bytecode and state: loading it for
 * every batch made LuaJIT compile it again each time, and its memory grew with the batches
 * (doc/openresty.md). */
static int load_fn(lua_State *L)
{
    load_arg *la = lua_touserdata(L, 1);
    lua_settop(L, 0);
    if (la->ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, la->ref);
    } else if (luaL_loadbuffer(L, la->code, la->code_len, "=task") != 0) {
        return lua_error(L);
    }
    int fn = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, ENV0_KEY);
    copy_globals(L, -1, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
    hp_lua_setenv(L, fn);
    lua_settop(L, fn);
    if (la->ref == LUA_NOREF)
        la->new_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* The cache entry of this bytecode, or NULL. */
static hp_lfn *fn_find(hp_lworker *ws, uint64_t h, const char *code, size_t len)
{
    for (int i = 0; i < HP_LWORKER_FNS; i++) {
        hp_lfn *e = &ws->fns[i];
        if (e->code && e->hash == h && e->len == len && memcmp(e->code, code, len) == 0)
            return e;
    }
    return NULL;
}

/* The entry a new function goes to: a free one, else the least recently used (emptied: its
 * function unreferenced, its bytecode freed). */
static hp_lfn *fn_slot(hp_lworker *ws)
{
    hp_lfn *victim = &ws->fns[0];
    for (int i = 0; i < HP_LWORKER_FNS; i++) {
        hp_lfn *e = &ws->fns[i];
        if (!e->code)
            return e;
        if (e->used < victim->used)
            victim = e;
    }
    luaL_unref(ws->L, LUA_REGISTRYINDEX, victim->ref);
    free(victim->code);
    memset(victim, 0, sizeof *victim);
    return victim;
}

/* The text of the error object (see lworker.h). */
const char *hp_lworker_error_text(lua_State *L, int rc, char *out, size_t size)
{
    if (rc == LUA_ERRMEM)
        return "out of memory";
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: return lua_tostring(L, -1);
    case LUA_TNUMBER:
        if (lua_isinteger(L, -1)) {
            snprintf(out, size, "%lld", (long long)lua_tointeger(L, -1));
            return out;
        }
        snprintf(out, size, "%.14g", (double)lua_tonumber(L, -1));
        return out;
    default: return "error object is not a string";
    }
}

/* The thread's state with the batch's function loaded (see lworker.h): created and cached on
 * the thread's first Lua chunk, reloaded when the job's serial differs from the last one. */
hp_lworker *hp_lworker_get(hp_job *job, int w, const char *code, size_t code_len,
                           hp_lworker **temp, char **errmsg)
{
    hp_worker_local *local = hp_job_local(job, w);
    hp_lworker *ws = local ? local->data : NULL;
    *temp = NULL;
    if (!ws) {
        ws = calloc(1, sizeof *ws);
        if (!ws || !(ws->L = luaL_newstate())) {
            free(ws);
            *errmsg = strdup("cannot create a Lua state");
            return NULL;
        }
        ws->fn_ref = ws->run_ref = LUA_NOREF;
        for (int i = 0; i < HP_LWORKER_FNS; i++)
            ws->fns[i].ref = LUA_NOREF;
        int rc = hp_lua_cpcall(ws->L, init_state, ws);
        if (rc != 0) {
            *errmsg = strdup(rc == LUA_ERRMEM ? "out of memory" : "cannot open the Lua libraries");
            hp_lworker_close(ws);
            return NULL;
        }
        if (local) {
            local->data = ws;
            local->dtor = lworker_dtor;
        } else {
            *temp = ws;
        }
    }
    uint64_t serial = hp_job_serial(job);
    if (ws->serial == serial)
        return ws;
    lua_State *L = ws->L;
    ws->fn_ref = LUA_NOREF; /* owned by its cache entry */
    ws->serial = 0;
    lua_settop(L, 0);
    uint64_t h = code_hash(code, code_len);
    hp_lfn *e = fn_find(ws, h, code, code_len);
    char *copy = NULL;
    if (!e) {
        copy = malloc(code_len ? code_len : 1);
        if (!copy) {
            *errmsg = strdup("out of memory");
            if (*temp)
                hp_lworker_close(ws);
            *temp = NULL;
            return NULL;
        }
        memcpy(copy, code, code_len);
        e = fn_slot(ws);
    }
    load_arg la = { code, code_len, copy ? LUA_NOREF : e->ref, LUA_NOREF };
    int rc = hp_lua_cpcall(L, load_fn, &la);
    if (rc == 0 && copy) {
        e->hash = h;
        e->len = code_len;
        e->code = copy;
        e->ref = la.new_ref;
    }
    if (rc != 0) {
        free(copy);
        char num[48];
        *errmsg = strdup(hp_lworker_error_text(L, rc, num, sizeof num));
        ws->fn_ref = LUA_NOREF;
        lua_settop(L, 0);
        if (*temp)
            hp_lworker_close(ws);
        *temp = NULL;
        return NULL;
    }
    e->used = ++ws->tick;
    ws->fn_ref = e->ref;
    ws->serial = serial;
    return ws;
}

int hp_lworker_call(hp_lworker *ws, const char *arg, int64_t n)
{
    lua_State *L = ws->L;
    lua_settop(L, 0);
    if (arg && (*arg == 's' || *arg == '{')) {
        /* decoding allocates: inside the protected call, with the task */
        task_arg ta = { ws->fn_ref, arg };
        lua_rawgeti(L, LUA_REGISTRYINDEX, ws->run_ref);
        lua_pushlightuserdata(L, &ta);
    } else {
        /* nil, booleans, numbers: pushed without allocating, the task called directly */
        lua_rawgeti(L, LUA_REGISTRYINDEX, ws->fn_ref);
        if (arg) {
            hp_lcopy_decode(L, &arg);
        } else {
            lua_pushinteger(L, (lua_Integer)n);
        }
    }
    return lua_pcall(L, 1, 1, 0);
}
