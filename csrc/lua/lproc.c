/* Binding of proc/: proc_run(spec) -> result table | nil, msg, code; proc_start(argv,
 * keep_output) -> pid | nil, msg, code; proc_stop(pid, timeout) -> wait status | -1; rss_kb;
 * isatty.
 * The Lua layer (lua/hotpath/proc.lua) has validated spec and turned names into numbers. */
#include "lhp.h"
#include "common/common.h"
#include "proc/proc.h"
#include "proc/spawn.h"

#include <string.h>

static int result_gc(lua_State *L)
{
    hp_proc_result *r = lua_touserdata(L, 1);
    if (r)
        hp_proc_result_free(r);
    return 0;
}

/* A NULL-terminated array (a userdata pushed on the stack) of the strings of the list at stack
 * index t, borrowed from that table, which must stay alive for the call. Strings only: a
 * number converted here would live in a popped slot, not in the table. Raises (argument arg)
 * on anything else. */
static const char **string_array(lua_State *L, int t, int arg, const char *what)
{
    lua_Integer n = luaL_len(L, t);
    const char **v = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n + 1), 0);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, t, i) != LUA_TSTRING)
            luaL_argerror(L, arg, lua_pushfstring(L, "%s must be a list of strings", what));
        v[i - 1] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    v[n] = NULL;
    return v;
}

/* string_array of t[field] (spec: the table at stack index 1); NULL when the field is absent.
 * The list table and the array stay on the stack. */
static const char **string_list(lua_State *L, int spec, const char *field)
{
    if (lua_getfield(L, spec, field) == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    return string_array(L, lua_gettop(L), 1, field);
}

static lua_Integer opt_int(lua_State *L, int spec, const char *field)
{
    lua_getfield(L, spec, field);
    lua_Integer v = luaL_optinteger(L, -1, 0);
    lua_pop(L, 1);
    return v;
}

static void set_str(lua_State *L, const char *k, const char *s, size_t n)
{
    if (!s)
        return;
    lua_pushlstring(L, s, n);
    lua_setfield(L, -2, k);
}

static int l_proc_run(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    hp_proc_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.argv = string_list(L, 1, "argv");
    spec.env = string_list(L, 1, "env");
    lua_getfield(L, 1, "cwd");
    spec.cwd = lua_tostring(L, -1);
    lua_getfield(L, 1, "stdin");
    spec.stdin_data = lua_tolstring(L, -1, &spec.stdin_len);
    lua_getfield(L, 1, "timeout");
    spec.timeout = luaL_optnumber(L, -1, 0);
    lua_pop(L, 1);
    spec.digest_kind = (int)opt_int(L, 1, "digest");
    spec.keep_stdout = (size_t)opt_int(L, 1, "keep_stdout");
    spec.keep_stderr = (size_t)opt_int(L, 1, "keep_stderr");
    spec.report_fd = (int)opt_int(L, 1, "report_fd");

    hp_proc_result *r = lua_newuserdatauv(L, sizeof *r, 0);
    memset(r, 0, sizeof *r);
    lua_newtable(L);
    lua_pushcfunction(L, result_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    void **msg = hp_lua_guard(L);
    int rc = hp_proc_run(&spec, r, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);

    lua_createtable(L, 0, 16);
    hp_lua_setnum(L, "wall", r->wall);
    hp_lua_setnum(L, "user", r->user);
    hp_lua_setnum(L, "sys", r->sys);
    hp_lua_setint(L, "maxrss_kb", r->maxrss_kb);
    hp_lua_setint(L, "pid", r->pid);
    hp_lua_setbool(L, "exited", r->exited);
    hp_lua_setint(L, "exit_code", r->exit_code);
    hp_lua_setint(L, "signal", r->signal);
    hp_lua_setbool(L, "timed_out", r->timed_out);
    hp_lua_setint(L, "stdout_bytes", (lua_Integer)r->stdout_bytes);
    if (spec.digest_kind)
        set_str(L, "digest", r->digest, strlen(r->digest));
    set_str(L, "stdout", spec.keep_stdout ? (r->stdout_data ? r->stdout_data : "") : NULL, r->stdout_len);
    set_str(L, "stderr", r->stderr_data ? r->stderr_data : "", r->stderr_len);
    set_str(L, "report", spec.report_fd ? (r->report_data ? r->report_data : "") : NULL, r->report_len);
    hp_proc_result_free(r);
    return 1;
}

/* proc_start(argv, keep_output): argv a list of strings, borrowed from the argument table for
 * the call; the pid belongs to the caller (the Lua layer stops it). */
static int l_proc_start(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char **argv = string_array(L, 1, 1, "argv");
    int pid;
    void **msg = hp_lua_guard(L);
    int rc = hp_proc_start(argv, lua_toboolean(L, 2), &pid, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushinteger(L, pid);
    return 1;
}

/* proc_stop(pid, timeout = 2): blocks until the child is reaped (at most timeout + a SIGKILL). */
static int l_proc_stop(lua_State *L)
{
    lua_pushinteger(L, hp_proc_stop((int)luaL_checkinteger(L, 1), luaL_optnumber(L, 2, 2)));
    return 1;
}

static int l_rss_kb(lua_State *L)
{
    lua_pushinteger(L, hp_proc_rss_kb((int)luaL_optinteger(L, 1, 0), (int)luaL_optinteger(L, 2, 0)));
    return 1;
}

/* proc_program(name) -> path | nil, msg, code (hp_proc_program). */
static int l_proc_program(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    void **path = hp_lua_guard(L);
    void **msg = hp_lua_guard(L);
    int rc = hp_proc_program(name, (char **)path, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushstring(L, *path);
    return 1;
}

static int l_isatty(lua_State *L)
{
    lua_pushboolean(L, hp_isatty((int)luaL_checkinteger(L, 1)));
    return 1;
}

void hp_lua_open_proc(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "proc_run", l_proc_run }, { "proc_start", l_proc_start }, { "proc_stop", l_proc_stop },
        { "rss_kb", l_rss_kb }, { "isatty", l_isatty }, { "proc_program", l_proc_program },
        { NULL, NULL },
    };
    luaL_setfuncs(L, fns, 0);
}
