/* Binding of http/: load runs (a handle with wait/stop/finish), request building, the
 * reference server (blocking, for `hotpath serve`), forking it into the background, memory
 * samples. Starting other commands and stopping children is proc_start/proc_stop (lproc.c).
 * The Lua layer (lua/hotpath/http.lua) has validated every argument. */
#include "lhp.h"
#include "common/common.h"
#include "http/child.h"
#include "http/hist.h"
#include "http/load.h"
#include "proc/memory.h"
#include "http/request.h"
#include "http/server.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOAD_MT "hotpath.http.load"
#define HIST_MT "hotpath.http.hist"

typedef struct lload {
    hp_load *l;
} lload;


static double num_field(lua_State *L, int t, const char *k, double dflt)
{
    lua_getfield(L, t, k);
    double v = luaL_optnumber(L, -1, dflt);
    lua_pop(L, 1);
    return v;
}

/* ---- load runs ------------------------------------------------------------------------------ */

static int load_gc(lua_State *L)
{
    lload *u = luaL_checkudata(L, 1, LOAD_MT);
    if (u->l) {
        hp_load_free(u->l); /* stops and joins: blocks at most one loop tick */
        u->l = NULL;
    }
    return 0;
}

static lload *check_open(lua_State *L)
{
    lload *u = luaL_checkudata(L, 1, LOAD_MT);
    if (!u->l)
        luaL_error(L, "attempt to use a finished load run");
    return u;
}

/* http_load_start(spec) -> handle | nil, msg, code */
static int l_load_start(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    hp_load_spec s;
    memset(&s, 0, sizeof s);
    hp_load_phase ph[HP_LOAD_MAX_PHASES];
    lua_getfield(L, 1, "host");
    s.host = luaL_checkstring(L, -1);
    size_t rlen;
    lua_getfield(L, 1, "request");
    const char *req = luaL_checklstring(L, -1, &rlen);
    s.port = (int)num_field(L, 1, "port", 0);
    s.threads = (int)num_field(L, 1, "threads", 1);
    s.connections = (int)num_field(L, 1, "connections", 1);
    s.pipeline = (int)num_field(L, 1, "pipeline", 1);
    s.requests = (uint64_t)num_field(L, 1, "requests", 0);
    s.timeout = num_field(L, 1, "timeout", 2);
    lua_getfield(L, 1, "head");
    s.head = lua_toboolean(L, -1);
    lua_getfield(L, 1, "warmup");
    s.warmup = lua_toboolean(L, -1);
    lua_getfield(L, 1, "phases");
    luaL_checktype(L, -1, LUA_TTABLE);
    int pt = lua_gettop(L);
    lua_Integer np = luaL_len(L, pt);
    if (np < 1 || np > HP_LOAD_MAX_PHASES)
        return luaL_error(L, "between 1 and %d phases expected", HP_LOAD_MAX_PHASES);
    for (lua_Integer i = 1; i <= np; i++) {
        lua_rawgeti(L, pt, i);
        ph[i - 1].rate = num_field(L, -1, "rate", 0);
        ph[i - 1].duration = num_field(L, -1, "duration", 0);
        lua_pop(L, 1);
    }
    s.phases = ph;
    s.nphases = (int)np;

    lload *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->l = NULL;
    luaL_setmetatable(L, LOAD_MT);
    s.request = req; /* copied by hp_load_start */
    s.request_len = rlen;
    void **msg = hp_lua_guard(L);
    int rc = hp_load_start(&s, &u->l, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pop(L, 1);
    return 1;
}

/* handle:wait(seconds) -> done, progress */
static int l_load_wait(lua_State *L)
{
    lload *u = check_open(L);
    double w = luaL_optnumber(L, 2, 0);
    hp_load_progress pg;
    int done = hp_load_wait(u->l, w, &pg);
    lua_pushboolean(L, done);
    lua_createtable(L, 0, 4);
    hp_lua_setnum(L, "elapsed", pg.elapsed);
    hp_lua_setint(L, "phase", (lua_Integer)pg.phase + 1);
    hp_lua_setint(L, "requests", (lua_Integer)pg.requests);
    hp_lua_setint(L, "errors", (lua_Integer)pg.errors);
    return 2;
}

static int l_load_stop(lua_State *L)
{
    lload *u = check_open(L);
    hp_load_stop(u->l);
    return 0;
}

static void push_latency(lua_State *L, const char *k, const hp_load_latency *x)
{
    lua_createtable(L, 0, 10);
    hp_lua_setint(L, "count", (lua_Integer)x->count);
    hp_lua_setnum(L, "min", x->min);
    hp_lua_setnum(L, "mean", x->mean);
    hp_lua_setnum(L, "stdev", x->stdev);
    hp_lua_setnum(L, "p50", x->p50);
    hp_lua_setnum(L, "p90", x->p90);
    hp_lua_setnum(L, "p99", x->p99);
    hp_lua_setnum(L, "p99_9", x->p999);
    hp_lua_setnum(L, "p99_99", x->p9999);
    hp_lua_setnum(L, "max", x->max);
    lua_setfield(L, -2, k);
}

/* The raw histogram { count, min, max, sum, sumsq, buckets = { lo1, hi1, count1, lo2, ... } }
 * (ns) at t[k]; lua/hotpath/http.lua shapes it. The bucket array is a userdata, so that an
 * allocation failure raising here leaks nothing. */
static void push_hist(lua_State *L, const char *k, const hp_hist *h)
{
    if (!h)
        return;
    size_t n = hp_hist_buckets(h, NULL, 0);
    hp_hist_bucket *b = lua_newuserdatauv(L, (n ? n : 1) * sizeof *b, 0);
    hp_hist_buckets(h, b, n);
    lua_createtable(L, 0, 6);
    hp_lua_setint(L, "count", (lua_Integer)hp_hist_count(h));
    hp_lua_setint(L, "min", (lua_Integer)hp_hist_min(h));
    hp_lua_setint(L, "max", (lua_Integer)hp_hist_max(h));
    hp_lua_setnum(L, "sum", hp_hist_sum(h));
    hp_lua_setnum(L, "sumsq", hp_hist_sumsq(h));
    lua_createtable(L, (int)(3 * n), 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, (lua_Integer)b[i].lo);
        lua_rawseti(L, -2, (lua_Integer)(3 * i + 1));
        lua_pushinteger(L, (lua_Integer)b[i].hi);
        lua_rawseti(L, -2, (lua_Integer)(3 * i + 2));
        lua_pushinteger(L, (lua_Integer)b[i].count);
        lua_rawseti(L, -2, (lua_Integer)(3 * i + 3));
    }
    lua_setfield(L, -2, "buckets");
    lua_setfield(L, -3, k);
    lua_pop(L, 1); /* the bucket array */
}

/* The phase's results, with its histograms when the run still holds them (l, phase: see
 * hp_load_histogram). */
static void push_phase(lua_State *L, const hp_load_phase_result *p, const hp_load *l, int phase)
{
    lua_createtable(L, 0, 12);
    hp_lua_setnum(L, "rate", p->rate);
    hp_lua_setnum(L, "duration", p->duration);
    hp_lua_setint(L, "sent", (lua_Integer)p->sent);
    hp_lua_setint(L, "requests", (lua_Integer)p->requests);
    hp_lua_setint(L, "errors", (lua_Integer)p->errors);
    hp_lua_setint(L, "bytes", (lua_Integer)p->bytes);
    hp_lua_setint(L, "backlog_max", (lua_Integer)p->backlog_max);
    hp_lua_setint(L, "late", (lua_Integer)p->late);
    push_latency(L, "latency", &p->latency);
    push_latency(L, "service", &p->service);
    push_hist(L, "latency_hist", hp_load_histogram(l, phase, HP_LOAD_LATENCY));
    push_hist(L, "service_hist", hp_load_histogram(l, phase, HP_LOAD_SERVICE));
}

/* handle:finish() -> raw result table (joins the threads; the handle is spent) */
static int l_load_finish(lua_State *L)
{
    lload *u = check_open(L);
    hp_load_result *r = lua_newuserdatauv(L, sizeof *r, 0); /* collected with the stack */
    void **msg = hp_lua_guard(L);
    int rc = hp_load_finish(u->l, r, (char **)msg);
    if (rc != HP_OK) {
        hp_load_free(u->l);
        u->l = NULL;
        return hp_lua_fail(L, rc, msg);
    }
    lua_createtable(L, 0, 18);
    hp_lua_setnum(L, "wall", r->wall);
    hp_lua_setnum(L, "start_time", r->start_time);
    hp_lua_setnum(L, "end_time", r->end_time);
    hp_lua_setnum(L, "user", r->user);
    hp_lua_setnum(L, "sys", r->sys);
    hp_lua_setint(L, "connects", (lua_Integer)r->connects);
    hp_lua_setint(L, "refused", (lua_Integer)r->refused);
    hp_lua_setint(L, "reset", (lua_Integer)r->reset);
    hp_lua_setint(L, "closed", (lua_Integer)r->closed);
    hp_lua_setint(L, "timeouts", (lua_Integer)r->timeouts);
    hp_lua_setint(L, "parse_errors", (lua_Integer)r->parse_errors);
    hp_lua_setint(L, "connect_errors", (lua_Integer)r->connect_errors);
    lua_pushstring(L, r->first_error);
    lua_setfield(L, -2, "first_error");
    lua_newtable(L);
    for (int s = 100; s < 600; s++)
        if (r->status[s]) {
            lua_pushinteger(L, (lua_Integer)r->status[s]);
            lua_rawseti(L, -2, s);
        }
    lua_setfield(L, -2, "status");
    lua_createtable(L, r->nphases, 0);
    for (int i = 0; i < r->nphases; i++) {
        push_phase(L, &r->phases[i], u->l, i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "phases");
    push_phase(L, &r->total, u->l, -1);
    lua_setfield(L, -2, "total");
    hp_load_free(u->l); /* the histograms were copied above */
    u->l = NULL;
    return 1;
}

/* ---- merging exported histograms ------------------------------------------------------------ */

/* A histogram owned by a userdata, so that a raise while it is filled leaks nothing. */
typedef struct lhist {
    hp_hist *h;
} lhist;

static int hist_gc(lua_State *L)
{
    lhist *u = luaL_checkudata(L, 1, HIST_MT);
    hp_hist_free(u->h);
    u->h = NULL;
    return 0;
}

/* The value at the top of the stack as a uint64 (an integer, or a float with an integral value),
 * popped; 0 in *ok when it is neither or negative. */
static uint64_t pop_u64(lua_State *L, int *ok)
{
    int isint;
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    lua_pop(L, 1);
    *ok = isint && v >= 0;
    return *ok ? (uint64_t)v : 0;
}

/* t[k] as a double, NaN when it is not a number (JSON's null: unknown). */
static double num_or_nan(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    int isnum;
    double v = lua_tonumberx(L, -1, &isnum);
    lua_pop(L, 1);
    return isnum ? v : NAN;
}

/* http_hist_merge(list) -> { histogram = raw, latency = figures } | nil, msg, code, position
 * list: histograms as results carry them ({ min, max, sum, sumsq, buckets = { { lo, hi, count },
 * ... } }; sum/sumsq not numbers: unknown). Each is added bucket by bucket with
 * hp_hist_add_buckets, which checks it against the layout; the result is the merged histogram
 * (raw, as push_hist makes it) and its figures (hp_load_latency_of, microseconds). A histogram
 * that does not fit (a value that is not a whole number >= 0, a bucket not of the layout)
 * returns a message and its position in list. Raises only when list is not a table. */
static int l_hist_merge(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    lhist *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->h = NULL;
    luaL_setmetatable(L, HIST_MT);
    int top = lua_gettop(L);
    void **msg = hp_lua_guard(L);
    u->h = hp_hist_new();
    if (!u->h)
        return hp_lua_fail(L, HP_ENOMEM, msg);
    for (lua_Integer i = 1; i <= n; i++) {
        const char *bad = NULL;
        int ok = lua_rawgeti(L, 1, i) == LUA_TTABLE, t = lua_gettop(L);
        uint64_t min = 0, max = 0;
        size_t nb = 0;
        hp_hist_bucket *b = NULL;
        if (ok) {
            lua_getfield(L, t, "min");
            min = pop_u64(L, &ok);
        }
        if (ok) {
            lua_getfield(L, t, "max");
            max = pop_u64(L, &ok);
        }
        if (!ok)
            bad = "histogram without whole numbers min and max";
        else if (lua_getfield(L, t, "buckets") != LUA_TTABLE)
            bad = "histogram without buckets";
        else {
            nb = (size_t)luaL_len(L, -1);
            b = lua_newuserdatauv(L, (nb ? nb : 1) * sizeof *b, 0); /* collected with the stack */
            for (size_t k = 0; k < nb && !bad; k++) {
                ok = lua_rawgeti(L, t + 1, (lua_Integer)k + 1) == LUA_TTABLE;
                for (int j = 0; j < 3 && ok; j++) {
                    lua_rawgeti(L, -1, j + 1);
                    uint64_t v = pop_u64(L, &ok);
                    *(j == 0 ? &b[k].lo : j == 1 ? &b[k].hi : &b[k].count) = v;
                }
                lua_pop(L, 1);
                if (!ok)
                    bad = lua_pushfstring(L, "bucket %d is not [lo, hi, count] (whole numbers >= 0)", (int)k + 1);
            }
        }
        if (bad) {
            lua_pushnil(L);
            lua_pushstring(L, bad);
            lua_pushstring(L, hp_status_name(HP_EINVAL));
            lua_pushinteger(L, i);
            return 4;
        }
        double sum = num_or_nan(L, t, "sum"), sumsq = num_or_nan(L, t, "sumsq");
        int rc = hp_hist_add_buckets(u->h, b, nb, min, max, sum, sumsq, (char **)msg);
        if (rc != HP_OK) {
            int r = hp_lua_fail(L, rc, msg);
            lua_pushinteger(L, i);
            return r + 1;
        }
        lua_settop(L, top + 1); /* the histogram box and the message guard */
    }
    hp_load_latency x;
    hp_load_latency_of(u->h, &x);
    lua_createtable(L, 0, 2);
    push_latency(L, "latency", &x);
    push_hist(L, "histogram", u->h);
    return 1;
}

/* ---- the rest ------------------------------------------------------------------------------- */

/* http_request(method, target, host, headers|nil, body|nil) -> bytes | nil, msg, code */
static int l_request(lua_State *L)
{
    const char *method = luaL_checkstring(L, 1);
    const char *target = luaL_checkstring(L, 2);
    const char *host = luaL_checkstring(L, 3);
    const char *headers = luaL_optstring(L, 4, NULL);
    size_t blen = 0;
    const char *body = luaL_optlstring(L, 5, NULL, &blen);
    void **out = hp_lua_guard(L);
    void **msg = hp_lua_guard(L);
    size_t len;
    int rc = hp_http_request_build(method, target, host, headers, body, blen, (char **)out, &len, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushlstring(L, *out, len);
    return 1;
}

/* http_serve(test, port, threads, duration, host|nil, idle_timeout, request_timeout, pg|nil)
 * -> true | nil, msg, code (blocks) */
static int l_serve(lua_State *L)
{
    hp_server_spec s = { NULL, 0, 0, 1, 0, -1, 0, 0, NULL };
    s.test = (int)luaL_checkinteger(L, 1);
    s.port = (int)luaL_checkinteger(L, 2);
    s.threads = (int)luaL_optinteger(L, 3, 1);
    s.duration = luaL_optnumber(L, 4, 0);
    s.host = luaL_optstring(L, 5, NULL);
    s.idle_timeout = luaL_optnumber(L, 6, 0);
    s.request_timeout = luaL_optnumber(L, 7, 0);
    s.pg = luaL_optstring(L, 8, NULL);
    void **msg = hp_lua_guard(L);
    int rc = hp_server_run(&s, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushboolean(L, 1);
    return 1;
}

/* http_child_serve(test, port, threads, duration, idle_timeout, request_timeout, pg|nil) -> pid */
static int l_child_serve(lua_State *L)
{
    int pid;
    hp_server_spec s = { NULL, 0, 0, 1, 0, -1, 0, 0, NULL };
    s.test = (int)luaL_checkinteger(L, 1);
    s.port = (int)luaL_checkinteger(L, 2);
    s.threads = (int)luaL_optinteger(L, 3, 1);
    s.duration = luaL_optnumber(L, 4, 0);
    s.idle_timeout = luaL_optnumber(L, 5, 0);
    s.request_timeout = luaL_optnumber(L, 6, 0);
    s.pg = luaL_optstring(L, 7, NULL);
    void **msg = hp_lua_guard(L);
    int rc = hp_child_serve_spec(&s, &pid, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushinteger(L, pid);
    return 1;
}

static int l_child_wait_port(lua_State *L)
{
    void **msg = hp_lua_guard(L);
    int rc = hp_child_wait_port((int)luaL_checkinteger(L, 1), (int)luaL_checkinteger(L, 2),
                                luaL_checknumber(L, 3), (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_free_port(lua_State *L)
{
    lua_pushinteger(L, hp_free_port());
    return 1;
}

static int l_mem_read(lua_State *L)
{
    hp_mem_sample m;
    void **msg = hp_lua_guard(L);
    int rc = hp_mem_read((int)luaL_optinteger(L, 1, 0), &m, (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_createtable(L, 0, 4);
    hp_lua_setnum(L, "time", m.time);
    hp_lua_setint(L, "rss_kb", (lua_Integer)(uint64_t)m.rss_kb);
    hp_lua_setint(L, "hwm_kb", (lua_Integer)(uint64_t)m.hwm_kb);
    if (m.pss_kb >= 0)
        hp_lua_setint(L, "pss_kb", (lua_Integer)(uint64_t)m.pss_kb);
    return 1;
}

static int l_mem_reset_peak(lua_State *L)
{
    void **msg = hp_lua_guard(L);
    int rc = hp_mem_reset_peak((int)luaL_optinteger(L, 1, 0), (char **)msg);
    if (rc != HP_OK)
        return hp_lua_fail(L, rc, msg);
    lua_pushboolean(L, 1);
    return 1;
}

void hp_lua_open_http(lua_State *L)
{
    if (luaL_newmetatable(L, LOAD_MT)) {
        static const luaL_Reg m[] = {
            { "wait", l_load_wait }, { "stop", l_load_stop }, { "finish", l_load_finish }, { NULL, NULL },
        };
        lua_newtable(L);
        luaL_setfuncs(L, m, 0);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, load_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, load_gc);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, HIST_MT)) {
        lua_pushcfunction(L, hist_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        { "http_load_start", l_load_start }, { "http_request", l_request }, { "http_serve", l_serve },
        { "http_child_serve", l_child_serve }, { "http_child_wait_port", l_child_wait_port },
        { "http_free_port", l_free_port }, { "http_mem_read", l_mem_read },
        { "http_mem_reset_peak", l_mem_reset_peak }, { "http_hist_merge", l_hist_merge }, { NULL, NULL },
    };
    luaL_setfuncs(L, fns, 0);
    lua_createtable(L, 0, 3);
    hp_lua_setint(L, "lowest", HP_HIST_LOWEST);
    hp_lua_setint(L, "significant_digits", HP_HIST_SIGNIFICANT_DIGITS);
    hp_lua_setint(L, "highest_bits", HP_HIST_HIGHEST_BITS);
    lua_setfield(L, -2, "http_hist_layout");
}
