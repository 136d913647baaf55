/* Lua-function tasks: pool:map(fn, inputs) runs fn in Lua states owned by the pool's worker
 * threads, one per thread (created by the thread on its first Lua chunk, kept across batches
 * in its hp_worker_local, closed by the thread itself when the pool shuts down; never one per
 * task or per batch). fn travels as bytecode (lua_dump) and may have no upvalue but _ENV;
 * inputs and results are copied through a flat byte encoding (nil, booleans, numbers, strings,
 * plain tables), so no worker ever touches the caller's lua_State, and the caller's state is
 * not touched while workers run.
 *
 * Isolation between batches: each batch's function is loaded afresh in each worker state with
 * a fresh global table: a copy of the standard library as it was when the state was created
 * (library tables copied one level), so globals and library fields set by one batch are not
 * seen by the next. Shared within a worker state across batches: package.loaded (modules a
 * task requires stay loaded), the string metatable and the registry.
 *
 * Compiled twice: into the Lua 5.4 module (hotpath.core, with lpool.c) and, with
 * HP_LTASKS_JIT, against LuaJIT's headers into hotpath.jitcore (linked to libhotpath.so);
 * under LuaJIT the pool handle arrives as its address (a number) from the FFI side.
 *
 * Cancel: the job stops handing out chunks, and running tasks are interrupted by a hook that is
 * installed only then, by the thread that runs the state. Nobody may call lua_sethook on a state
 * another thread is running (in 5.4 it writes the hook fields and walks the CallInfo list the
 * owner is changing; in LuaJIT it rewrites the dispatch table). The one way Lua supports
 * setting a hook on a running state is from a signal handler on the thread running it (lua.c's
 * Ctrl-C: laction). So each thread records in thread-local storage the state it runs and the
 * job it runs it for (around its task loop), and each batch slot keeps the pthread_t of the
 * thread running it (under lbatch.mu); cancel marks the job stopped and sends a real-time
 * signal (SIGRTMIN+5; HOTPATH_CANCEL_SIGNAL picks another number, 0 disables interruption) to
 * those threads; the handler sets the hook on its thread's state, as laction does; the hook
 * raises "cancelled" only if that thread's current job is stopped (a late signal landing on a
 * thread that already runs another batch clears the hook and does nothing).
 *
 * The handler and its signal number are process-wide state, the one exception here to "no
 * mutable globals": a signal disposition belongs to the process, and a handler is the only
 * async-safe way Lua offers to reach a running state. It is installed once (pthread_once), only
 * if the signal still has its default disposition (another library's handler is left alone and
 * interruption is then off). */
#include "ltasks.h"
#include "lcopy.h"
#include "common/common.h"
#include "pool/pool.h"
#include "pool/tasks.h"

#include <lauxlib.h>
#include <lualib.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LBATCH_MT "hotpath.lbatch"

#if LUA_VERSION_NUM >= 503
#define newud(L, size) lua_newuserdatauv(L, size, 0)
#define objlen lua_rawlen
#define dump(L, w, ud) lua_dump(L, w, ud, 0)
#else
#define newud(L, size) lua_newuserdata(L, size)
#define objlen lua_objlen
#define dump(L, w, ud) lua_dump(L, w, ud)
#define lua_absindex(L, i) ((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)
#endif

/* ---- batches --------------------------------------------------------------------------------- */

typedef struct {
    int running;      /* a thread is inside this slot's chunk (under lbatch.mu) ... */
    pthread_t thread; /* ... this one: cancel signals it */
    hp_lcopy_buf out;          /* results of the tasks this slot ran */
} slot;

typedef struct {
    hp_job *job;
    pthread_mutex_t mu; /* slots[].running/thread vs. cancel */
    char *code;
    size_t code_len;
    int is_range;
    int64_t first, step, count;
    hp_lcopy_buf in;
    size_t *in_off;     /* count offsets into in.p */
    int32_t *res_slot;  /* per task: slot whose buffer holds the result */
    size_t *res_off;
    slot *slots;
    int nslots;
} lbatch;

typedef struct { lbatch *b; } lbatch_ud;

/* ---- interruption by signal ------------------------------------------------------------------- */

/* This thread's running state and the job it runs it for: set by the thread itself around its
 * task loop, read by the signal handler and the hook on the same thread. initial-exec: in a
 * dlopen'ed module the default TLS model may allocate on a thread's first access, which a
 * handler must not do (a stray signal can land on a thread that never ran a task); these few
 * bytes come from the static TLS surplus instead. */
#define TLS static __thread __attribute__((tls_model("initial-exec")))
TLS lua_State *volatile tls_state;
TLS hp_job *volatile tls_job;
TLS int tls_unblocked; /* this thread unblocked the cancel signal */

static pthread_once_t signal_once = PTHREAD_ONCE_INIT;
static int cancel_signo; /* written once under signal_once; 0: no interruption */

/* Set by the handler on this thread's state: raises "cancelled" while the thread's current job
 * is stopped, and stays set so that a pcall inside the task cannot swallow the cancel (the
 * thread clears it before it runs the next batch); otherwise (a late signal) removes itself. */
static void cancel_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    hp_job *job = tls_job;
    if (!job || !hp_job_stopped(job)) {
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    luaL_error(L, "cancelled");
}

/* The cancel signal's handler: what lua.c's laction does, on the state this thread runs. */
static void cancel_signal(int sig)
{
    (void)sig;
    int saved = errno;
    lua_State *L = tls_state;
    if (L)
        lua_sethook(L, cancel_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
    errno = saved;
}

/* Once per process: picks the signal (HOTPATH_CANCEL_SIGNAL: a number, 0 = none; default
 * SIGRTMIN+5) and installs the handler if the signal has its default disposition. */
static void install_signal(void)
{
    int signo = SIGRTMIN + 5;
    const char *env = getenv("HOTPATH_CANCEL_SIGNAL");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        signo = (*end || v < 0 || v > SIGRTMAX) ? 0 : (int)v;
    }
    struct sigaction old;
    if (signo <= 0 || sigaction(signo, NULL, &old) != 0 ||
        (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cancel_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(signo, &sa, NULL) == 0)
        cancel_signo = signo;
}

/* Around a thread's task loop: makes its state reachable by the cancel signal (NULL: not). */
static void set_running(lua_State *L, hp_job *job)
{
    if (L) {
        if (!tls_unblocked && cancel_signo) {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, cancel_signo);
            pthread_sigmask(SIG_UNBLOCK, &set, NULL);
            tls_unblocked = 1;
        }
        tls_job = job;
        tls_state = L;
    } else {
        tls_state = NULL;
        tls_job = NULL;
    }
}

static int writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    hp_lcopy_put(ud, p, sz);
    return ((hp_lcopy_buf *)ud)->oom;
}

/* ---- worker states ---------------------------------------------------------------------------- */

/* A worker thread's Lua state and what it holds: the pristine globals (ENV0_KEY in the
 * registry) and the function of the batch it last ran (fn_ref, that batch's job serial). */
typedef struct {
    lua_State *L;
    uint64_t serial;
    int fn_ref;
    int run_ref; /* run_task, made once in protected mode (pushing a C function may allocate) */
} wstate;

static const char ENV0_KEY[] = "hotpath.env0";

static void wstate_close(void *data)
{
    wstate *ws = data;
    if (ws->L)
        lua_close(ws->L);
    free(ws);
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

/* Calls fn(L) with ud as a light userdata (argument 1) in protected mode, pushing nothing that
 * allocates outside it: the status of lua_pcall, the error object on top on failure. */
static int pcall_c(lua_State *L, lua_CFunction fn, void *ud)
{
#if LUA_VERSION_NUM >= 502
    lua_pushcfunction(L, fn); /* a light C function: no allocation */
    lua_pushlightuserdata(L, ud);
    return lua_pcall(L, 1, 0, 0);
#else
    return lua_cpcall(L, fn, ud); /* LuaJIT: makes the closure inside the protected call */
#endif
}

/* What a task gets: its function (registry ref) and its encoded argument. */
typedef struct {
    int fn_ref;
    const char *arg;
} task_arg;

/* Runs in protected mode (through wstate.run_ref): decodes a task's argument (which allocates
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

/* Runs in protected mode on a new state (argument 1: its wstate): libraries, the pristine copy
 * of the globals, and the reference to run_task. */
static int init_state(lua_State *L)
{
    wstate *ws = lua_touserdata(L, 1);
    lua_settop(L, 0);
    luaL_openlibs(L);
#if LUA_VERSION_NUM >= 502
    lua_pushglobaltable(L);
#else
    lua_pushvalue(L, LUA_GLOBALSINDEX);
#endif
    copy_globals(L, -1, 1);
    lua_pushnil(L);
    lua_setfield(L, -2, "_G"); /* each copy gets its own _G */
    lua_setfield(L, LUA_REGISTRYINDEX, ENV0_KEY);
    lua_settop(L, 0);
    lua_pushcfunction(L, run_task);
    ws->run_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* What load_fn loads (the batch's bytecode) and where it keeps the reference. */
typedef struct {
    const lbatch *b;
    wstate *ws;
} load_arg;

/* Runs in protected mode (argument 1: a load_arg): loads the batch's function with a fresh copy
 * of the pristine globals as its environment, and keeps a reference to it in ws->fn_ref. */
static int load_fn(lua_State *L)
{
    const load_arg *la = lua_touserdata(L, 1);
    lua_settop(L, 0);
    if (luaL_loadbuffer(L, la->b->code, la->b->code_len, "=task") != 0)
        return lua_error(L);
    int fn = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, ENV0_KEY);
    copy_globals(L, -1, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
#if LUA_VERSION_NUM >= 502
    const char *up = lua_getupvalue(L, fn, 1);
    if (up) {
        lua_pop(L, 1);
        if (strcmp(up, "_ENV") == 0)
            lua_setupvalue(L, fn, 1);
    }
#else
    lua_setfenv(L, fn);
#endif
    lua_settop(L, fn);
    la->ws->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* The text of the error object on top of L, copied to out (no Lua allocation: lua_tostring on
 * a number would convert it in place, outside any protected call). */
static const char *error_text(lua_State *L, int rc, char *out, size_t size)
{
    if (rc == LUA_ERRMEM)
        return "out of memory";
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: return lua_tostring(L, -1);
    case LUA_TNUMBER:
#if LUA_VERSION_NUM >= 503
        if (lua_isinteger(L, -1)) {
            snprintf(out, size, "%lld", (long long)lua_tointeger(L, -1));
            return out;
        }
#endif
        snprintf(out, size, "%.14g", (double)lua_tonumber(L, -1));
        return out;
    default: return "error object is not a string";
    }
}

/* The worker's Lua state (created on its first Lua chunk, kept in its hp_worker_local), with
 * this batch's function loaded; NULL with *errmsg on failure. A participant that is not a
 * pool thread (no local) gets a state of its own for this chunk (*temp set: close it). */
static wstate *worker_state(lbatch *b, hp_job *job, int w, wstate **temp, char **errmsg)
{
    hp_worker_local *local = hp_job_local(job, w);
    wstate *ws = local ? local->data : NULL;
    *temp = NULL;
    if (!ws) {
        ws = calloc(1, sizeof *ws);
        if (!ws || !(ws->L = luaL_newstate())) {
            free(ws);
            *errmsg = strdup("cannot create a Lua state");
            return NULL;
        }
        ws->fn_ref = ws->run_ref = LUA_NOREF;
        int rc = pcall_c(ws->L, init_state, ws);
        if (rc != 0) {
            *errmsg = strdup(rc == LUA_ERRMEM ? "out of memory" : "cannot open the Lua libraries");
            wstate_close(ws);
            return NULL;
        }
        if (local) {
            local->data = ws;
            local->dtor = wstate_close;
        } else {
            *temp = ws;
        }
    }
    uint64_t serial = hp_job_serial(job);
    if (ws->serial == serial)
        return ws;
    lua_State *L = ws->L;
    luaL_unref(L, LUA_REGISTRYINDEX, ws->fn_ref);
    ws->fn_ref = LUA_NOREF;
    ws->serial = 0;
    lua_settop(L, 0);
    load_arg la = { b, ws };
    int rc = pcall_c(L, load_fn, &la);
    if (rc != 0) {
        char num[48];
        *errmsg = strdup(error_text(L, rc, num, sizeof num));
        ws->fn_ref = LUA_NOREF;
        lua_settop(L, 0);
        if (*temp)
            wstate_close(ws);
        *temp = NULL;
        return NULL;
    }
    ws->serial = serial;
    return ws;
}

static int fail_task(int64_t k, const char *what, const char *detail, char **errmsg)
{
    size_t n = strlen(what) + strlen(detail) + 48;
    *errmsg = malloc(n);
    if (*errmsg)
        snprintf(*errmsg, n, "task %lld: %s%s", (long long)(k + 1), what, detail);
    return HP_EFAILED;
}

static int lchunk(void *ctx, hp_job *job, int64_t begin, int64_t end, int w,
                  int64_t *fail_index, char **errmsg)
{
    lbatch *b = ctx;
    char *lm = NULL;
    wstate *temp = NULL;
    wstate *ws = worker_state(b, job, w, &temp, &lm);
    if (!ws) {
        *fail_index = begin;
        int rc = fail_task(begin, "", lm ? lm : "out of memory", errmsg);
        free(lm);
        return rc;
    }
    lua_State *L = ws->L;
    slot *s = &b->slots[w];
    /* a hook left by the cancel of an earlier batch goes; then cancel may reach this state */
    lua_sethook(L, NULL, 0, 0);
    set_running(L, job);
    pthread_mutex_lock(&b->mu);
    s->thread = pthread_self();
    s->running = 1;
    pthread_mutex_unlock(&b->mu);
    int status = HP_OK;
    for (int64_t k = begin; k < end; k++) {
        if (hp_job_stopped(job))
            break;
        lua_settop(L, 0);
        const char *arg = b->is_range ? NULL : b->in.p + b->in_off[k];
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
#if LUA_VERSION_NUM >= 503
                lua_pushinteger(L, (lua_Integer)(b->first + k * b->step));
#else
                lua_pushnumber(L, (lua_Number)(b->first + k * b->step));
#endif
            }
        }
        int rc = lua_pcall(L, 1, 1, 0);
        const char *why = NULL;
        size_t mark = s->out.len;
        if (rc == 0 && hp_lcopy_encode(L, -1, &s->out, 0, &why)) {
            b->res_slot[k] = w;
            b->res_off[k] = mark;
            continue;
        }
        s->out.len = mark;
        if (status == HP_OK) {
            *fail_index = k;
            if (rc != 0) {
                char num[48];
                status = fail_task(k, "", error_text(L, rc, num, sizeof num), errmsg);
            } else {
                status = fail_task(k, "result: cannot copy ", why, errmsg);
            }
        }
        if (hp_job_stopped(job))
            break;
    }
    lua_settop(L, 0);
    pthread_mutex_lock(&b->mu);
    s->running = 0;
    pthread_mutex_unlock(&b->mu);
    set_running(NULL, NULL);
    if (temp)
        wstate_close(temp);
    if (s->out.oom && status == HP_OK) {
        *fail_index = begin;
        status = fail_task(begin, "", "out of memory for results", errmsg);
    }
    return status;
}

static void lbatch_destroy(void *arg)
{
    lbatch *b = arg;
    for (int w = 0; w < b->nslots; w++)
        free(b->slots[w].out.p);
    pthread_mutex_destroy(&b->mu);
    free(b->slots);
    free(b->code);
    free(b->in.p);
    free(b->in_off);
    free(b->res_slot);
    free(b->res_off);
    free(b);
}

/* Interrupts running tasks: the job stops (first, so that the hook sees it) and each thread
 * inside a chunk of this batch gets the cancel signal, whose handler hooks its own state. */
static void lbatch_cancel(lbatch *b)
{
    if (!b->job)
        return;
    hp_job_cancel(b->job);
    if (!cancel_signo)
        return;
    /* under mu: a recorded thread is inside this batch's chunk, so alive (pthread_kill on an
     * exited thread is undefined) */
    pthread_mutex_lock(&b->mu);
    for (int w = 0; w < b->nslots; w++)
        if (b->slots[w].running)
            pthread_kill(b->slots[w].thread, cancel_signo);
    pthread_mutex_unlock(&b->mu);
}

/* Cancels and releases without waiting: a worker still inside a task frees the batch. */
static void lbatch_free(lbatch *b)
{
    if (!b)
        return;
    lbatch_cancel(b);
    hp_job_release(b->job, lbatch_destroy, b);
}

static lbatch *checklb(lua_State *L, int idx)
{
    lbatch_ud *u = luaL_checkudata(L, idx, LBATCH_MT);
    if (!u->b)
        luaL_error(L, "future is released");
    return u->b;
}

static int lb_gc(lua_State *L)
{
    lbatch_ud *u = luaL_checkudata(L, 1, LBATCH_MT);
    lbatch_free(u->b);
    u->b = NULL;
    return 0;
}

/* prepare(fn): fn's bytecode, or nil and why it cannot travel. */
static int l_prepare(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TFUNCTION || lua_iscfunction(L, 1)) {
        lua_pushnil(L);
        lua_pushstring(L, "a Lua function expected");
        return 2;
    }
    for (int i = 1;; i++) {
        const char *name = lua_getupvalue(L, 1, i);
        if (!name)
            break;
        lua_pop(L, 1);
        if (strcmp(name, "_ENV") != 0) {
            lua_pushnil(L);
            lua_pushfstring(L, "function has upvalue '%s' (only _ENV; pass values as inputs)",
                            *name ? name : "?");
            return 2;
        }
    }
    hp_lcopy_buf b = { 0 };
    lua_settop(L, 1);
    int rc = dump(L, writer, &b);
    if (rc != 0 || b.oom) {
        free(b.p);
        lua_pushnil(L);
        lua_pushstring(L, "cannot dump the function");
        return 2;
    }
    lua_pushlstring(L, b.p ? b.p : "", b.len);
    free(b.p);
    return 1;
}

#ifdef HP_LTASKS_JIT
static hp_pool *pool_arg(lua_State *L, int idx)
{
    return (hp_pool *)(uintptr_t)luaL_checknumber(L, idx);
}
#else
#define pool_arg hp_lua_checkpool
#endif

/* map(pool, code, inputs|nil, first, count, step, chunk, threads, fail_fast): a started batch;
 * false, msg for an input that cannot be copied; nil, msg, code on failure. */
static int l_map(lua_State *L)
{
    hp_pool *pool = pool_arg(L, 1);
    size_t code_len;
    const char *code = luaL_checklstring(L, 2, &code_len);
    int has_table = lua_istable(L, 3);
    int64_t count = has_table ? (int64_t)objlen(L, 3) : (int64_t)luaL_checknumber(L, 5);
    int64_t chunk = (int64_t)luaL_optnumber(L, 7, 0);
    int threads = (int)luaL_optnumber(L, 8, 0);
    int fail_fast = lua_toboolean(L, 9);

    lbatch_ud *u = newud(L, sizeof *u);
    u->b = NULL;
    luaL_getmetatable(L, LBATCH_MT);
    lua_setmetatable(L, -2);
    int ud = lua_gettop(L);
    lbatch *b = calloc(1, sizeof *b);
    if (!b)
        return luaL_error(L, "out of memory");
    pthread_mutex_init(&b->mu, NULL);
    u->b = b;
    b->count = count;
    b->nslots = hp_pool_threads(pool);
    b->slots = calloc((size_t)b->nslots, sizeof *b->slots);
    b->code = malloc(code_len);
    b->res_slot = malloc((size_t)count * sizeof *b->res_slot + 1);
    b->res_off = malloc((size_t)count * sizeof *b->res_off + 1);
    if (!b->slots || !b->code || !b->res_slot || !b->res_off)
        return luaL_error(L, "out of memory");
    memcpy(b->code, code, code_len);
    b->code_len = code_len;
    if (has_table) {
        b->in_off = malloc((size_t)count * sizeof *b->in_off + 1);
        if (!b->in_off)
            return luaL_error(L, "out of memory");
        for (int64_t k = 0; k < count; k++) {
            lua_rawgeti(L, 3, (int)(k + 1));
            b->in_off[k] = b->in.len;
            const char *why = NULL;
            if (!hp_lcopy_encode(L, -1, &b->in, 0, &why)) {
                lua_pushboolean(L, 0);
                lua_pushfstring(L, "inputs[%d]: cannot copy %s", (int)(k + 1), why);
                return 2;
            }
            lua_pop(L, 1);
        }
        if (b->in.oom)
            return luaL_error(L, "out of memory");
    } else {
        b->is_range = 1;
        b->first = (int64_t)luaL_checknumber(L, 4);
        b->step = (int64_t)luaL_checknumber(L, 6);
    }
    pthread_once(&signal_once, install_signal); /* before any worker runs a chunk */
    char *msg = NULL;
    int rc = hp_pool_submit(pool, 0, count, chunk, threads, fail_fast, lchunk, b, &b->job, &msg);
    if (rc != HP_OK) {
        lua_pushnil(L);
        lua_pushstring(L, msg ? msg : hp_status_name(rc));
        free(msg);
        lua_pushstring(L, hp_status_name(rc));
        return 3;
    }
    lua_settop(L, ud);
    return 1;
}

static int l_wait(lua_State *L)
{
    lbatch *b = checklb(L, 1);
    lua_pushboolean(L, hp_job_wait(b->job, luaL_optnumber(L, 2, -1), 0) == HP_OK);
    return 1;
}

static int l_done(lua_State *L)
{
    lua_pushboolean(L, hp_job_done(checklb(L, 1)->job));
    return 1;
}

static int l_cancel(lua_State *L)
{
    lbatch_cancel(checklb(L, 1));
    return 0;
}

static int l_status(lua_State *L)
{
    int64_t index = 0;
    const char *msg = NULL;
    int rc = hp_job_status(checklb(L, 1)->job, &index, &msg);
    return hp_lua_push_job_status(L, rc, index, msg);
}

static int l_results(lua_State *L)
{
    lbatch *b = checklb(L, 1);
    lua_createtable(L, (int)b->count, 0);
    for (int64_t k = 0; k < b->count; k++) {
        const char *p = b->slots[b->res_slot[k]].out.p + b->res_off[k];
        if (!hp_lcopy_decode(L, &p))
            return luaL_error(L, "task %d: result: %s", (int)(k + 1), HP_LCOPY_DEEP_MSG);
        lua_rawseti(L, -2, (int)(k + 1));
    }
    return 1;
}

/* reduce(batch, op): over the numeric results, in C; raises on a non-number result. */
static int l_reduce(lua_State *L)
{
    lbatch *b = checklb(L, 1);
    int op = (int)luaL_checknumber(L, 2);
    int all_int = 1;
    int64_t is = 0, im = 0;
    double ds = 0, dm = 0;
    for (int64_t k = 0; k < b->count; k++) {
        const char *p = b->slots[b->res_slot[k]].out.p + b->res_off[k];
        int64_t iv = 0;
        double dv;
        if (*p == 'i') {
            memcpy(&iv, p + 1, sizeof iv);
            dv = (double)iv;
        } else if (*p == 'd') {
            memcpy(&dv, p + 1, sizeof dv);
            all_int = 0;
        } else {
            return luaL_error(L, "task %d: result is not a number", (int)(k + 1));
        }
        if (op == HP_REDUCE_SUM) {
            is = (int64_t)((uint64_t)is + (uint64_t)iv);
            ds += dv;
        } else if (k == 0 || (op == HP_REDUCE_MIN ? dv < dm : dv > dm)) {
            im = iv;
            dm = dv;
        }
    }
    if (b->count == 0 && op != HP_REDUCE_SUM)
        return 0;
    if (all_int)
        lua_pushinteger(L, (lua_Integer)(op == HP_REDUCE_SUM ? is : im));
    else
        lua_pushnumber(L, (lua_Number)(op == HP_REDUCE_SUM ? ds : dm));
    return 1;
}

/* cancel_signal(): the signal that interrupts running Lua tasks, or 0 when interruption is off
 * (installs the handler if that was not done yet). */
static int l_cancel_signal(lua_State *L)
{
    pthread_once(&signal_once, install_signal);
    lua_pushinteger(L, cancel_signo);
    return 1;
}

static const luaL_Reg ops[] = {
    { "prepare", l_prepare }, { "map", l_map }, { "wait", l_wait }, { "done", l_done },
    { "cancel", l_cancel }, { "status", l_status }, { "results", l_results },
    { "reduce", l_reduce }, { "free", lb_gc }, { "cancel_signal", l_cancel_signal },
    { NULL, NULL },
};

static void open_ops(lua_State *L)
{
    luaL_newmetatable(L, LBATCH_MT);
    lua_pushcfunction(L, lb_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_newtable(L);
#if LUA_VERSION_NUM >= 502
    luaL_setfuncs(L, ops, 0);
#else
    luaL_register(L, NULL, ops);
#endif
}

#ifdef HP_LTASKS_JIT
void hp_ltasks_open_jit(lua_State *L)
{
    open_ops(L);
}
#else
void hp_lua_open_ltasks(lua_State *L)
{
    open_ops(L);
    lua_setfield(L, -2, "lua_ops");
}
#endif
