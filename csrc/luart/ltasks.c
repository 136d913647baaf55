/* Lua-function tasks: pool:map(fn, inputs) runs fn in Lua states owned by the pool's worker
 * threads (lworker.c: one per thread, kept across batches, closed by the thread itself). fn
 * travels as bytecode (lua_dump) and may have no upvalue but _ENV; inputs and results are
 * copied through a flat byte encoding (lcopy.c: nil, booleans, numbers, strings, plain
 * tables), so no worker ever touches the caller's lua_State, and the caller's state is not
 * touched while workers run. This file holds the batches: their memory, the chunk function the
 * workers run, and the Lua functions of the binding (map, wait, cancel, results, ...).
 *
 * Part of hotpath.core, compiled once per Lua ABI like the binding (the pool handle is the
 * binding's userdata, checked by hp_lua_checkpool).
 *
 * Cancel interrupts running tasks with a real-time signal (linterrupt.c): each batch slot keeps
 * the pthread_t of the thread running it (under lbatch.mu), and a cancel signals those threads,
 * whose handler hooks their own state. The signalling is the job's hp_job_on_cancel function,
 * so every cancel in the core reaches it too: the pool's shutdown, hence the collection of a
 * pool (its handle's __gc, hp_pool_free, under both runtimes), not only the Lua layer's close. */
#include "ltasks.h"
#include "lcopy.h"
#include "linterrupt.h"
#include "lworker.h"
#include "common/common.h"
#include "lua/lhp.h"
#include "pool/pool.h"
#include "pool/tasks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LBATCH_MT "hotpath.lbatch"

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

/* ---- running --------------------------------------------------------------------------------- */

static int fail_task(int64_t k, const char *what, const char *detail, char **errmsg)
{
    size_t n = strlen(what) + strlen(detail) + 48;
    *errmsg = malloc(n);
    if (*errmsg)
        snprintf(*errmsg, n, "task %lld: %s%s", (long long)(k + 1), what, detail);
    return HP_EFAILED;
}

/* The batch's chunk function (hp_chunk_fn), on a pool thread or a helping caller: runs tasks
 * [begin, end) in that thread's own worker state (reachable by the cancel signal meanwhile),
 * appends each result to the slot's buffer, and reports the lowest failing task of the chunk.
 * Never raises: every Lua call is protected. */
static int lchunk(void *ctx, hp_job *job, int64_t begin, int64_t end, int w,
                  int64_t *fail_index, char **errmsg)
{
    lbatch *b = ctx;
    char *lm = NULL;
    hp_lworker *temp = NULL;
    hp_lworker *ws = hp_lworker_get(job, w, b->code, b->code_len, &temp, &lm);
    if (!ws) {
        *fail_index = begin;
        int rc = fail_task(begin, "", lm ? lm : "out of memory", errmsg);
        free(lm);
        return rc;
    }
    lua_State *L = ws->L;
    slot *s = &b->slots[w];
    hp_linterrupt_enter(L, job);
    pthread_mutex_lock(&b->mu);
    s->thread = pthread_self();
    s->running = 1;
    pthread_mutex_unlock(&b->mu);
    int status = HP_OK;
    for (int64_t k = begin; k < end; k++) {
        if (hp_job_stopped(job))
            break;
        const char *arg = b->is_range ? NULL : b->in.p + b->in_off[k];
        int rc = hp_lworker_call(ws, arg, b->is_range ? b->first + k * b->step : 0);
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
                status = fail_task(k, "", hp_lworker_error_text(L, rc, num, sizeof num), errmsg);
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
    hp_linterrupt_leave();
    hp_lworker_close(temp);
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

/* The job's hp_job_on_cancel function, run by whoever cancels it (a future's cancel, release or
 * collection, the pool's close or collection), under the pool's lock: each thread inside a
 * chunk of this batch gets the cancel signal, whose handler hooks its own state. The job is
 * stopped first, so the hook sees it. Takes only b->mu, never held while calling the pool. */
static void lbatch_interrupt(void *arg)
{
    lbatch *b = arg;
    if (!hp_linterrupt_signo())
        return;
    /* under mu: a recorded thread is inside this batch's chunk, so alive (pthread_kill on an
     * exited thread is undefined) */
    pthread_mutex_lock(&b->mu);
    for (int w = 0; w < b->nslots; w++)
        if (b->slots[w].running)
            hp_linterrupt_send(b->slots[w].thread);
    pthread_mutex_unlock(&b->mu);
}

/* Cancels and releases without waiting: a worker still inside a task frees the batch. */
static void lbatch_free(lbatch *b)
{
    if (!b)
        return;
    hp_job_release(b->job, lbatch_destroy, b); /* cancels: lbatch_interrupt */
}

static lbatch *checklb(lua_State *L, int idx)
{
    return hp_lua_checkhandle(L, idx, LBATCH_MT, "future is released");
}

static int lb_gc(lua_State *L)
{
    lbatch_ud *u = luaL_checkudata(L, 1, LBATCH_MT);
    lbatch_free(u->b);
    u->b = NULL;
    return 0;
}

/* lua_dump's writer into an hp_lcopy_buf (non-zero stops the dump when it cannot grow). */
static int writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    hp_lcopy_put(ud, p, sz);
    return ((hp_lcopy_buf *)ud)->oom;
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
    int rc = lua_dump(L, writer, &b, 0);
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

/* map(pool, code, inputs|nil, first, count, step, chunk, threads, fail_fast): a started batch;
 * false, msg for an input that cannot be copied; nil, msg, code on failure. */
static int l_map(lua_State *L)
{
    hp_pool *pool = hp_lua_checkpool(L, 1);
    size_t code_len;
    const char *code = luaL_checklstring(L, 2, &code_len);
    int has_table = lua_istable(L, 3);
    int64_t count = has_table ? (int64_t)lua_rawlen(L, 3) : (int64_t)luaL_checknumber(L, 5);
    int64_t chunk = (int64_t)luaL_optnumber(L, 7, 0);
    int threads = (int)luaL_optnumber(L, 8, 0);
    int fail_fast = lua_toboolean(L, 9);

    lbatch_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
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
    hp_linterrupt_init(); /* before any worker runs a chunk */
    char *msg = NULL;
    int rc = hp_pool_submit(pool, 0, count, chunk, threads, fail_fast, lchunk, b, &b->job, &msg);
    if (rc != HP_OK) {
        lua_pushnil(L);
        lua_pushstring(L, msg ? msg : hp_status_name(rc));
        free(msg);
        lua_pushstring(L, hp_status_name(rc));
        return 3;
    }
    hp_job_on_cancel(b->job, lbatch_interrupt, b);
    lua_settop(L, ud);
    return 1;
}

hp_job *hp_lua_ltask_job(lua_State *L, int idx)
{
    return checklb(L, idx)->job; /* set by l_map before the batch reaches Lua */
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
    lua_pushinteger(L, hp_linterrupt_init());
    return 1;
}

static const luaL_Reg ops[] = {
    { "prepare", l_prepare }, { "map", l_map }, { "results", l_results },
    { "reduce", l_reduce }, { "free", lb_gc }, { "cancel_signal", l_cancel_signal },
    { NULL, NULL },
};

void hp_lua_open_ltasks(lua_State *L)
{
    luaL_newmetatable(L, LBATCH_MT);
    lua_pushcfunction(L, lb_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_newtable(L);
    luaL_setfuncs(L, ops, 0);
    lua_setfield(L, -2, "lua_ops");
}
