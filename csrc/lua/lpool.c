/* Binding of pool/: pool handles and native batches (futures). Only marshalling:
 * the Lua layer (lua/hotpath/pool.lua) validates arguments and shapes the API. Lua-function
 * batches are in csrc/luart/ltasks.c (registered here as lua_ops).
 *
 * Handles are born closed (NULL) and their __gc is idempotent. A bad input element is not
 * raised here but returned as (false, message) so that the Lua layer raises it against the
 * right argument, and so that no C memory is live when it does.
 *
 * Under LuaJIT an array batch of plain numbers or strings may instead be filled by the FFI fast
 * path (lua/hotpath/ffi/pool.lua): batch_prepare makes the batch, FFI writes its inputs through
 * the batch userdata's payload (layout asserted below), batch_start submits it. */
#include "lhp.h"
#include "luart/ltasks.h"
#include "common/common.h"
#include "pool/pool.h"
#include "pool/tasks.h"
#include "workloads/workloads.h"

#include <stddef.h>
#include <string.h>

#define POOL_MT "hotpath.pool"
#define BATCH_MT "hotpath.batch"

typedef struct { hp_pool *pool; } lpool;
typedef struct { hp_batch *b; } lbatch;

/* ffi/pool.lua reads a batch userdata's payload as struct { hp_batch *b; }. */
_Static_assert(offsetof(lbatch, b) == 0 && sizeof(lbatch) == sizeof(hp_batch *),
               "a batch userdata is its hp_batch pointer");

hp_pool *hp_lua_checkpool(lua_State *L, int idx)
{
    return hp_lua_checkhandle(L, idx, POOL_MT, "pool is closed");
}

/* ---- pools ----------------------------------------------------------------------------------- */

static int pool_gc(lua_State *L)
{
    lpool *p = luaL_checkudata(L, 1, POOL_MT);
    hp_pool_free(p->pool); /* cancels and joins; jobs still held keep its memory */
    p->pool = NULL;
    return 0;
}

/* close(pool, drain, timeout): true, or nil, msg, "timeout" when workers were still inside a
 * task at the deadline (they were detached and keep what they use; see hp_pool_shutdown). */
static int l_pool_close(lua_State *L)
{
    lpool *p = luaL_checkudata(L, 1, POOL_MT);
    double drain = luaL_optnumber(L, 2, 0);
    double timeout = luaL_optnumber(L, 3, -1);
    hp_pool *pool = p->pool;
    p->pool = NULL;
    void **msg = hp_lua_guard(L);
    int rc = hp_pool_shutdown(pool, drain, timeout, (char **)msg);
    hp_pool_free(pool);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_pool_new(lua_State *L)
{
    int threads = (int)luaL_optinteger(L, 1, 0);
    lpool *p = lua_newuserdatauv(L, sizeof *p, 0);
    p->pool = NULL;
    luaL_setmetatable(L, POOL_MT);
    void **msg = hp_lua_guard(L);
    int rc = hp_task_pool_new(&p->pool, threads, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pop(L, 1);
    return 1;
}

static int l_pool_threads(lua_State *L)
{
    lua_pushinteger(L, hp_pool_threads(hp_lua_checkpool(L, 1)));
    return 1;
}

static int l_pool_started(lua_State *L)
{
    lua_pushinteger(L, hp_pool_started(hp_lua_checkpool(L, 1)));
    return 1;
}

/* ---- native batches -------------------------------------------------------------------------- */

static hp_batch *checkbatch(lua_State *L, int idx)
{
    return hp_lua_checkhandle(L, idx, BATCH_MT, "future is released");
}

static int batch_gc(lua_State *L)
{
    lbatch *b = luaL_checkudata(L, 1, BATCH_MT);
    hp_batch_free(b->b);
    b->b = NULL;
    return 0;
}

/* A number input as the scan keeps it: int64 while every element so far is an integer, double
 * from the first float on (the earlier ones converted, as the batch's float array holds them). */
typedef union { int64_t i; double d; } num_slot;

/* The type of a table's elements 1..n (all integers, any float, or strings), or 0 with a
 * message about the first bad element pushed. Numbers are kept in nums (n slots) as they are
 * read, so that the batch is filled without reading the table again (half the Lua API calls a
 * number: the cost a task of an array batch pays in the binding). */
static int inputs_scan(lua_State *L, int t, lua_Integer n, num_slot *nums, size_t *bytes)
{
    int type = HP_VAL_INT;
    *bytes = 0;
    for (lua_Integer k = 1; k <= n; k++) {
        int lt = lua_rawgeti(L, t, k);
        long long iv = 0;
        double dv = 0;
        int et = lt == LUA_TNUMBER ? (hp_lua_tonum(L, -1, &iv, &dv) ? HP_VAL_INT : HP_VAL_FLOAT)
                 : lt == LUA_TSTRING ? HP_VAL_STRING : HP_VAL_NONE;
        int mixed = k > 1 && ((et == HP_VAL_STRING) != (type == HP_VAL_STRING));
        if (et == HP_VAL_NONE || mixed) {
            lua_pushfstring(L, "inputs[%d]: %s expected, got %s", (int)k,
                            k == 1 || type != HP_VAL_STRING ? (mixed ? "number" : "number or string")
                                                             : "string",
                            lua_typename(L, lt));
            return 0;
        }
        if (et == HP_VAL_STRING) {
            *bytes += lua_rawlen(L, -1);
        } else {
            if (et == HP_VAL_FLOAT && type == HP_VAL_INT)
                for (lua_Integer j = 0; j < k - 1; j++)
                    nums[j].d = (double)nums[j].i;
            if (et == HP_VAL_FLOAT)
                nums[k - 1].d = dv;
            else if (type == HP_VAL_FLOAT)
                nums[k - 1].d = (double)iv;
            else
                nums[k - 1].i = (int64_t)iv;
        }
        lua_pop(L, 1);
        if (k == 1 || et == HP_VAL_FLOAT)
            type = et;
    }
    return type;
}

/* The options at idx..idx+3 (chunk, threads, fail_fast, keep_results) into sp. May raise. */
static void batch_opts(lua_State *L, int idx, hp_batch_spec *sp)
{
    sp->chunk = luaL_optinteger(L, idx, 0);
    sp->threads = (int)luaL_optinteger(L, idx + 1, 0);
    sp->fail_fast = lua_toboolean(L, idx + 2);
    sp->keep_results = lua_isnoneornil(L, idx + 3) ? 1 : lua_toboolean(L, idx + 3);
}

/* A new, unstarted batch of sp as a userdata on the stack, with above it the guard *msg of
 * its error message (for hp_batch_start next); or NULL with nil, msg, code pushed (unknown
 * kind, closed pool, bad spec). May raise only for memory, before any batch exists. */
static lbatch *new_batch(lua_State *L, hp_pool *pool, const hp_batch_spec *sp, void ***msg)
{
    lbatch *ud = lua_newuserdatauv(L, sizeof *ud, 0);
    ud->b = NULL;
    luaL_setmetatable(L, BATCH_MT);
    *msg = hp_lua_guard(L);
    int rc = hp_batch_new(pool, sp, &ud->b, (char **)*msg);
    if (rc != HP_OK) {
        hp_lua_fail(L, rc, *msg);
        return NULL;
    }
    return ud;
}

/* map(pool, kind, inputs|nil, first, count, step, chunk, threads, fail_fast, keep_results):
 * a started batch, or nil, msg, code (unknown kind, closed pool), or false, msg (bad element). */
static int l_pool_map(lua_State *L)
{
    hp_pool *pool = hp_lua_checkpool(L, 1);
    hp_batch_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.kind = luaL_checkstring(L, 2);
    batch_opts(L, 7, &sp); /* before anything is pushed above the arguments */
    int has_table = lua_istable(L, 3);
    num_slot *nums = NULL;
    if (has_table) {
        sp.count = (int64_t)lua_rawlen(L, 3);
        /* a userdata: collected with the stack if anything below raises */
        nums = lua_newuserdatauv(L, (size_t)sp.count * sizeof *nums + 1, 0);
        sp.input_type = inputs_scan(L, 3, sp.count, nums, &sp.string_bytes);
        if (sp.input_type == 0) {
            lua_pushboolean(L, 0);
            lua_insert(L, -2);
            return 2;
        }
    } else {
        sp.is_range = 1;
        sp.input_type = HP_VAL_INT;
        sp.first = luaL_checkinteger(L, 4);
        sp.count = luaL_checkinteger(L, 5);
        sp.step = luaL_checkinteger(L, 6);
    }
    void **msg;
    lbatch *ud = new_batch(L, pool, &sp, &msg);
    if (!ud)
        return 3;
    int ud_idx = lua_gettop(L) - 1;
    hp_batch *b = ud->b;
    if (has_table) {
        int64_t *ints = hp_batch_ints(b);
        double *floats = hp_batch_floats(b);
        if (ints || floats) {
            for (int64_t k = 0; k < sp.count; k++) {
                if (ints)
                    ints[k] = nums[k].i;
                else
                    floats[k] = nums[k].d;
            }
        } else {
            for (lua_Integer k = 1; k <= (lua_Integer)sp.count; k++) {
                lua_rawgeti(L, 3, k);
                size_t len;
                const char *s = lua_tolstring(L, -1, &len);
                hp_batch_set_string(b, k - 1, s, len);
                lua_pop(L, 1);
            }
        }
    }
    int rc = hp_batch_start(b, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_settop(L, ud_idx);
    return 1;
}

/* prepare(pool, kind, input_type, count, string_bytes, chunk, threads, fail_fast, keep_results):
 * an unstarted array batch whose inputs the caller (LuaJIT's FFI fast path) writes, or nil, msg,
 * code as map. The core checks the spec (type, count); writing the inputs is the caller's. */
static int l_batch_prepare(lua_State *L)
{
    hp_pool *pool = hp_lua_checkpool(L, 1);
    hp_batch_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.kind = luaL_checkstring(L, 2);
    sp.input_type = (int)luaL_checkinteger(L, 3);
    sp.count = (int64_t)luaL_checkinteger(L, 4);
    lua_Integer bytes = luaL_checkinteger(L, 5);
    luaL_argcheck(L, bytes >= 0, 5, "negative string_bytes");
    sp.string_bytes = (size_t)bytes;
    batch_opts(L, 6, &sp);
    void **msg;
    if (!new_batch(L, pool, &sp, &msg))
        return 3;
    lua_pop(L, 1); /* the guard */
    return 1;
}

/* start(batch) of a prepared batch: the batch, or nil, msg, code (already started). */
static int l_batch_start(lua_State *L)
{
    hp_batch *b = checkbatch(L, 1);
    void **msg = hp_lua_guard(L);
    int rc = hp_batch_start(b, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_settop(L, 1);
    return 1;
}

/* ---- futures of both kinds: native batches and Lua-function batches (luart/ltasks.c) ------- */

/* The job of the started batch at idx, native or Lua-function. Raises "bad argument #idx" for
 * another value or a native batch not started (batch_prepare without batch_start), and
 * "future is released" once it was released. */
static hp_job *checkjob(lua_State *L, int idx)
{
    if (!luaL_testudata(L, idx, BATCH_MT))
        return hp_lua_ltask_job(L, idx);
    hp_job *job = hp_batch_job(checkbatch(L, idx));
    if (!job)
        luaL_argerror(L, idx, "batch not started");
    return job;
}

/* wait(batch, timeout): true once done, false on timeout. The background workers run the
 * batch (no help: a timeout is kept even when a task runs long). */
static int l_job_wait(lua_State *L)
{
    hp_job *job = checkjob(L, 1);
    double timeout = luaL_optnumber(L, 2, -1);
    lua_pushboolean(L, hp_job_wait(job, timeout, 0) == HP_OK);
    return 1;
}

static int l_job_done(lua_State *L)
{
    lua_pushboolean(L, hp_job_done(checkjob(L, 1)));
    return 1;
}

/* cancel(batch): running Lua tasks are interrupted too (the batch's hp_job_on_cancel). */
static int l_job_cancel(lua_State *L)
{
    hp_job_cancel(checkjob(L, 1));
    return 0;
}

/* status(batch) of a done batch: true, or nil, msg, index (1-based), code. */
static int l_job_status(lua_State *L)
{
    int64_t index = 0;
    const char *msg = NULL;
    int rc = hp_job_status(checkjob(L, 1), &index, &msg);
    return hp_lua_push_job_status(L, rc, index, msg);
}

/* ---- native batches: results -------------------------------------------------------------- */

/* results(batch) of a done, successful batch: the array (nil if results were not kept). */
static int l_batch_results(lua_State *L)
{
    hp_batch *b = checkbatch(L, 1);
    int64_t n = hp_batch_count(b);
    const int64_t *ir = hp_batch_int_results(b);
    const double *dr = hp_batch_float_results(b);
    if (!ir && !dr)
        return 0;
    lua_createtable(L, n > 0x7fffffff ? 0x7fffffff : (int)n, 0);
    for (int64_t k = 0; k < n; k++) {
        if (ir)
            lua_pushinteger(L, (lua_Integer)ir[k]);
        else
            lua_pushnumber(L, (lua_Number)dr[k]);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    return 1;
}

/* reduce(batch, op): the sum, min or max of a done, successful batch (nil: min/max of none). */
static int l_batch_reduce(lua_State *L)
{
    hp_batch *b = checkbatch(L, 1);
    hp_task_out out;
    if (!hp_batch_reduce(b, (int)luaL_checkinteger(L, 2), &out))
        return 0;
    if (hp_batch_result_type(b) == HP_VAL_INT)
        lua_pushinteger(L, (lua_Integer)out.i);
    else
        lua_pushnumber(L, (lua_Number)out.d);
    return 1;
}

void hp_lua_open_pool(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "pool_new", l_pool_new }, { "pool_close", l_pool_close }, { "pool_threads", l_pool_threads },
        { "pool_started", l_pool_started }, { "pool_map", l_pool_map },
        { "batch_wait", l_job_wait }, { "batch_done", l_job_done },
        { "batch_cancel", l_job_cancel }, { "batch_status", l_job_status },
        { "batch_results", l_batch_results }, { "batch_reduce", l_batch_reduce },
        { "batch_free", batch_gc }, { "batch_prepare", l_batch_prepare },
        { "batch_start", l_batch_start }, { NULL, NULL },
    };
    luaL_newmetatable(L, POOL_MT);
    lua_pushcfunction(L, pool_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, BATCH_MT);
    lua_pushcfunction(L, batch_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_newtable(L);
    luaL_setfuncs(L, fns, 0);
    hp_lua_open_ltasks(L);
    static const luaL_Reg job_fns[] = {
        { "wait", l_job_wait }, { "done", l_job_done }, { "cancel", l_job_cancel },
        { "status", l_job_status }, { NULL, NULL },
    };
    lua_getfield(L, -1, "lua_ops");
    luaL_setfuncs(L, job_fns, 0);
    lua_pop(L, 1);
    lua_pushstring(L, hp_task_kinds());
    lua_setfield(L, -2, "kinds");
    lua_setfield(L, -2, "pool");
}
