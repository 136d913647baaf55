/* Binding of json/: decode (tape -> tables, jsonbuild.c), lazy documents by node, and the
 * encoder (tables -> hp_jw writer, jsonenc.c). The same C for Lua 5.4 and LuaJIT (lcompat.h);
 * the Lua layer (lua/hotpath/json.lua) validates options.
 *
 *   core.json.null, core.json.array_mt, core.json.default_parser (one per Lua state)
 *   core.json.hooks: a table lua/hotpath/ffi/json.lua fills under LuaJIT: int64(bytes,
 *       unsigned) -> cdata for integers beyond +-2^53, text(v) -> JSON text of an int64 cdata
 *   core.json.library: the path of the shared object this binding is in (LuaJIT's FFI fast
 *       paths load it, to call this copy of the core on this binding's parsers)
 *   core.json.parser() -> a new parser userdata (for documents that live side by side)
 *   core.json.is_parser(v) -> whether v is one
 *   core.json.decode(parser, s, max_depth, use_array_mt, bigint) -> value | nil, msg, code
 *   core.json.decode_start(s, max_depth, use_array_mt, bigint) -> build | nil, msg, code
 *   core.json.decode_step(build, s, spill, words) -> true, value | false | nil, msg, code
 *       (a hooked decode: json.lua calls the hook between steps, so it may yield)
 *   core.json.parse(parser, s, max_depth) -> gen | nil, msg, code
 *   core.json.get(parser, gen, node, ptr) -> kind, value, count   (kind 0: not found)
 *   core.json.next(parser, gen, node, cursor) -> cursor, key|false, kind, value, count | nil
 *   core.json.materialize(parser, gen, node, use_array_mt, bigint) -> value
 *   core.json.encode(value, sort, indent, empty_array, max_depth, allow_nan) -> string
 * bigint (LuaJIT's integers beyond +-2^53): 0 int64 cdata (hooks.int64), 1 text, 2 float.
 * Stale documents and malformed pointers raise (misuse); parse failures return nil, msg, code.
 */
#include "lhp.h"
#include "common/common.h"
#include "json/json.h"
#include "json/writer.h"
#include "jsonbuild.h"
#include "jsonenc.h"
#include "pool/pool.h"

#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARSER_MT "hotpath.json.parser"
#define ENCODER_MT "hotpath.json.encoder"
#define BUILD_MT "hotpath.json.build"
#define GUARD_MT "hotpath.json.guard"

/* Upvalues of every function: 1 the array metatable, 2 the encoder userdata, 3 the hooks
 * table, 4 the encoder's busy guard, 5 the parser metatable. */
#define UV_ARRAY_MT lua_upvalueindex(1)
#define UV_ENCODER lua_upvalueindex(2)
#define UV_HOOKS lua_upvalueindex(3)
#define UV_ENC_GUARD lua_upvalueindex(4)
#define UV_PARSER_MT lua_upvalueindex(5)

/* A parser userdata: the decoder (parser, level array, string cache), and registry references
 * to the cache's anchor table and to its busy guard.
 *
 * busy: a build from the parser's tape is running. Builds allocate, an allocation can run a
 * __gc finalizer, and a finalizer that decoded or parsed with the same parser would rewrite
 * the tape and the level array under the running build (use after free): such calls get a
 * temporary parser (decode, materialize) or are refused (parse). The mark is held with
 * HP_LUA_HOLD (lcompat.h), so a build that raises clears it too, under either ABI. */
typedef struct {
    jb_decoder d;
    int cache_ref, guard_ref;
} lparser;

/* LuaJIT's FFI fast paths (lua/hotpath/ffi/json.lua: json.parse, doc:at()) read the start of
 * the userdata's payload as struct { hp_json_parser *p; int busy; }. */
_Static_assert(offsetof(lparser, d) == 0 && offsetof(jb_decoder, p) == 0 &&
               offsetof(jb_decoder, busy) == sizeof(hp_json_parser *),
               "a parser userdata starts with its hp_json_parser pointer and busy mark");

/* A busy guard: its __close (Lua 5.4's to-be-closed slot of HP_LUA_HOLD) clears the flag. */
typedef struct { int *flag; } lguard;

static int guard_close(lua_State *L)
{
    lguard *g = lua_touserdata(L, 1);
    if (g && g->flag)
        *g->flag = 0;
    return 0;
}

/* Pushes a new guard over flag. May raise (allocation). */
static void push_guard(lua_State *L, int *flag)
{
    lguard *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->flag = flag;
    luaL_setmetatable(L, GUARD_MT);
}

/* parser:close(), __close and __gc, one idempotent function: frees the parser's C memory now
 * (documents of a closed parser raise "attempt to use a closed JSON parser"). Raises only on a
 * parser a build is reading (busy: a finalizer that closes it during doc:decode()). */
static int parser_gc(lua_State *L)
{
    lparser *u = luaL_checkudata(L, 1, PARSER_MT);
    if (u->d.busy)   /* a finalizer closing it during doc:decode(): never under __gc (reachable) */
        return luaL_error(L, "JSON parser in use: a document of this parser is being decoded");
    jb_decoder_free(&u->d);
    luaL_unref(L, LUA_REGISTRYINDEX, u->cache_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, u->guard_ref);
    u->cache_ref = u->guard_ref = LUA_NOREF;
    return 0;
}

/* The parser at idx (functions with the binding's upvalues only). Its metatable is compared
 * with upvalue 5 first: luaL_checkudata looks the name up in the registry on every call (a
 * visible share of a lazy accessor's time, doc/json.md); it still gives the message when the
 * value is no parser. Raises on a closed parser. */
static lparser *check_lparser(lua_State *L, int idx)
{
    lparser *u = lua_touserdata(L, idx);
    int ok = u && lua_getmetatable(L, idx);
    if (ok) {
        ok = lua_rawequal(L, -1, UV_PARSER_MT);
        lua_pop(L, 1);
    }
    if (!ok)
        u = luaL_checkudata(L, idx, PARSER_MT);
    if (!u->d.p)
        luaL_error(L, "attempt to use a closed JSON parser");
    return u;
}

static hp_json_parser *check_parser(lua_State *L, int idx)
{
    return check_lparser(L, idx)->d.p;
}

/* A new parser userdata on the stack. Born closed, so a failed allocation leaves nothing
 * to free. May raise (allocation). */
static lparser *new_parser(lua_State *L)
{
    lparser *u = lua_newuserdatauv(L, sizeof *u, 0);
    memset(u, 0, sizeof *u);
    u->cache_ref = u->guard_ref = LUA_NOREF;
    luaL_setmetatable(L, PARSER_MT);
    push_guard(L, &u->d.busy);
    u->guard_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    u->d.p = hp_json_parser_new();
    if (!u->d.p)
        luaL_error(L, "out of memory creating a JSON parser");
    return u;
}

static int l_parser(lua_State *L)
{
    new_parser(L);
    return 1;
}

/* Whether the value is a parser userdata (open or closed: using a closed one raises). */
static int l_is_parser(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, PARSER_MT) != NULL);
    return 1;
}

/* Pushes nil, msg, code for a failed core call (err: its malloc'd message or NULL, handed to
 * a guard slot first so that nothing leaks if a push raises). */
static int fail(lua_State *L, int rc, char *err)
{
    void **slot = hp_lua_guard(L);
    *slot = err;
    return hp_lua_fail(L, rc, slot);
}

/* Raises the message of a failed core call (err as in fail). */
static int raise_err(lua_State *L, int rc, char *err)
{
    void **slot = hp_lua_guard(L);
    *slot = err;
    lua_pushstring(L, err ? err : hp_status_name(rc));
    hp_lua_release(L, -2);
    return lua_error(L);
}

/* Pushes the string cache's anchor table of u and returns its entries (NULL when they cannot
 * be allocated: the build goes uncached). May raise (allocation). */
static jb_centry *push_cache(lua_State *L, lparser *u)
{
    if (u->cache_ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, u->cache_ref);
        return u->d.cache;
    }
    lua_createtable(L, JB_CACHE, 0);
    lua_pushvalue(L, -1);
    u->cache_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    u->d.cache = jb_cache_new();
    return u->d.cache;
}

/* ---- decode --------------------------------------------------------------------------------- */

/* Stack slots of l_decode and l_materialize above their 5 arguments. */
enum { S_SPILL = 6, S_GUARD = 7, S_TEMP = 8, S_CACHE = 9 };

/* Sets up the slots above for a build with the parser at 1, but the cache: its guard, or,
 * while it is busy (a finalizer decoding during a build), a temporary parser. Returns the
 * decoder to build with. Allocates nothing unless busy: the caller holds the busy mark next,
 * and an allocation before that could run a finalizer that parses with the parser. May raise
 * (allocation). */
static jb_decoder *build_slots(lua_State *L, lparser *u)
{
    lua_settop(L, 5);
    lua_pushnil(L);                                   /* S_SPILL */
    if (u->d.busy) {
        lua_pushnil(L);                               /* S_GUARD: none */
        return &new_parser(L)->d;                     /* S_TEMP */
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, u->guard_ref);  /* S_GUARD */
    lua_pushnil(L);                                   /* S_TEMP: none */
    return &u->d;
}

/* After build_slots and the hold: pushes the string cache's anchor table (S_CACHE; a nil for
 * a temporary parser, which builds uncached) and returns the build's options. May raise. */
static jb_opts build_opts(lua_State *L, lparser *u, int held)
{
    jb_centry *ce = NULL;
    if (held)
        ce = push_cache(L, u);
    else
        lua_pushnil(L);
    jb_opts o;
    o.use_mt = lua_toboolean(L, 4) ? UV_ARRAY_MT : 0;
    o.bigint = (int)luaL_optinteger(L, 5, 0);
    o.hooks = UV_HOOKS;
    o.cache = ce;
    o.cidx = S_CACHE;
    o.spill = S_SPILL;
    o.budget = (size_t)-1;
    return o;
}

/* Decodes with the parser at 1 (or a temporary one while it is busy). */
static int l_decode(lua_State *L)
{
    lparser *u = check_lparser(L, 1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    unsigned depth = (unsigned)luaL_optinteger(L, 3, 0);
    int held = !u->d.busy;
    jb_decoder *d = build_slots(L, u);
    HP_LUA_HOLD(L, S_GUARD, held ? &u->d.busy : NULL);
    jb_opts o = build_opts(L, u, held);
    hp_json_tape tape;
    char *err = NULL;
    int rc = hp_json_decode_tape(d->p, s, len, depth, &tape, &err);
    if (rc != HP_OK)
        return fail(L, rc, err);
    jb_pos pos;
    jb_pos_init(&pos, &tape);
    if (jb_build(L, &d->levels, &pos, &o) == JB_OK)
        return 1;
    lua_settop(L, S_CACHE);   /* JB_DEEP: drop the unfinished tables */
    rc = hp_json_depth_fail(d->p, s, len, &err);
    return fail(L, rc, err);
}

/* A hooked decode's state: a parser of its own (a coroutine suspended in its hook and never
 * resumed then holds only this one, never a shared parser), and where the build stands. */
/* The parse of a hooked decode started on a pool thread (decode_start_on): the job's context,
 * owned by the build, or by the job when the build was collected first (hp_job_release). The
 * input is copied: a Lua string may be collected while a pool thread still reads it. */
typedef struct {
    hp_json_parser *p;   /* moved to the build by decode_finish */
    char *s;
    size_t len;
    unsigned depth;
    hp_json_tape tape;
    int rc;
    char *err;
} lparse_job;

typedef struct {
    jb_decoder d;
    jb_pos pos;
    int use_mt, bigint, done;
    hp_job *job;         /* decode_start_on's parse, until the build is collected */
    lparse_job *pj;
} lbuild;

static void parse_job_free(void *arg)
{
    lparse_job *c = arg;
    if (!c)
        return;
    hp_json_parser_free(c->p);
    free(c->s);
    free(c->err);
    free(c);
}

/* The job's one item: simdjson's parse of the copy, on a pool thread. Never fails the job:
 * the outcome is the context's (rc, err). */
static int parse_chunk(void *ctx, hp_job *job, int64_t begin, int64_t end, int worker,
                       int64_t *fail_index, char **errmsg)
{
    (void)job, (void)begin, (void)end, (void)worker, (void)fail_index, (void)errmsg;
    lparse_job *c = ctx;
    c->rc = hp_json_decode_tape(c->p, c->s, c->len, c->depth, &c->tape, &c->err);
    return HP_OK;
}

/* Pushes a new, empty build userdata whose options are the arguments at opt (use_array_mt)
 * and opt + 1 (bigint). Raises on a bad option or out of memory (nothing malloc'd is live). */
static lbuild *push_build(lua_State *L, int opt)
{
    int use_mt = lua_toboolean(L, opt);
    int bigint = (int)luaL_optinteger(L, opt + 1, 0);
    lbuild *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    luaL_setmetatable(L, BUILD_MT);
    b->use_mt = use_mt;
    b->bigint = bigint;
    return b;
}

/* Frees the build; a parse still running on a pool thread keeps its context until it returns
 * (the collector never waits for it). */
static int build_gc(lua_State *L)
{
    lbuild *b = luaL_checkudata(L, 1, BUILD_MT);
    if (b->job) {
        hp_job_release(b->job, parse_job_free, b->pj);
        b->job = NULL;
        b->pj = NULL;
    }
    jb_decoder_free(&b->d);
    return 0;
}

/* decode_start(s, max_depth, use_array_mt, bigint) -> build | nil, msg, code: parses s into
 * the build's tape at once; decode_step then builds the Lua value in slices. Raises on misuse
 * and out of memory (the parser is the userdata's, so nothing malloc'd is live then). */
static int l_decode_start(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    unsigned depth = (unsigned)luaL_optinteger(L, 2, 0);
    lbuild *b = push_build(L, 3);
    b->d.p = hp_json_parser_new();
    if (!b->d.p)
        return luaL_error(L, "out of memory creating a JSON parser");
    hp_json_tape tape;
    char *err = NULL;
    int rc = hp_json_decode_tape(b->d.p, s, len, depth, &tape, &err);
    if (rc != HP_OK)
        return fail(L, rc, err);
    jb_pos_init(&b->pos, &tape);
    return 1;
}

/* decode_start_on(pool, s, max_depth, use_array_mt, bigint) -> build | nil, msg, code: as
 * decode_start, but simdjson's parse (the one step of a decode that cannot yield: 25-38 ms for
 * 5 MB) runs on a thread of the pool; decode_ready(build) says when it is done, then
 * decode_finish(build) -> true | nil, msg, code, then decode_step as usual. Raises on misuse
 * and out of memory (nothing malloc'd is live then). */
static int l_decode_start_on(lua_State *L)
{
    hp_pool *pool = hp_lua_checkpool(L, 1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    unsigned depth = (unsigned)luaL_optinteger(L, 3, 0);
    lbuild *b = push_build(L, 4);
    lparse_job *c = calloc(1, sizeof *c);
    if (c && (c->s = malloc(len ? len : 1)) && (c->p = hp_json_parser_new())) {
        memcpy(c->s, s, len);
        c->len = len;
        c->depth = depth;
        c->rc = HP_ECANCELED; /* until the parse ran (a closed pool cancels it) */
        char *err = NULL;
        int rc = hp_pool_submit(pool, 0, 1, 1, 1, 0, parse_chunk, c, &b->job, &err);
        if (rc != HP_OK) {
            parse_job_free(c);
            b->job = NULL;
            return fail(L, rc, err);
        }
        b->pj = c;
        return 1;
    }
    parse_job_free(c);
    return luaL_error(L, "out of memory starting a JSON decode");
}

static lbuild *check_started(lua_State *L)
{
    lbuild *b = luaL_checkudata(L, 1, BUILD_MT);
    if (!b->pj)
        luaL_error(L, "JSON decode not started on a pool");
    return b;
}

/* decode_ready(build) -> whether its parse is done (never blocks). */
static int l_decode_ready(lua_State *L)
{
    lua_pushboolean(L, hp_job_done(check_started(L)->job));
    return 1;
}

/* decode_finish(build) -> true | nil, msg, code: the parse's outcome; on success the build
 * takes its parser and tape. Raises when the parse is not done. */
static int l_decode_finish(lua_State *L)
{
    lbuild *b = check_started(L);
    if (!hp_job_done(b->job))
        return luaL_error(L, "JSON decode: the parse is still running");
    lparse_job *c = b->pj;
    if (b->d.p)
        return luaL_error(L, "JSON decode already finished");
    if (c->rc != HP_OK) {
        char *err = c->err;
        c->err = NULL;
        b->done = 1;
        return fail(L, c->rc, err);
    }
    b->d.p = c->p;
    c->p = NULL;
    jb_pos_init(&b->pos, &c->tape);
    lua_pushboolean(L, 1);
    return 1;
}

/* Builds about `words` more tape words of the hooked decode at 1 (s: its input, for the
 * offset of a depth error; spill: a table kept by the caller across steps). */
static int l_decode_step(lua_State *L)
{
    lbuild *b = luaL_checkudata(L, 1, BUILD_MT);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_Integer words = luaL_checkinteger(L, 4);
    luaL_argcheck(L, words >= 1, 4, "words must be at least 1");
    if (b->done)
        return luaL_error(L, "JSON decode already finished");
    if (!b->d.p)
        return luaL_error(L, "JSON decode: the parse is not finished (decode_finish)");
    lua_settop(L, 4);
    jb_opts o;
    o.use_mt = b->use_mt ? UV_ARRAY_MT : 0;
    o.bigint = b->bigint;
    o.hooks = UV_HOOKS;
    o.cache = NULL;
    o.cidx = 0;
    o.spill = 3;
    o.budget = (size_t)words;
    int r = jb_build(L, &b->d.levels, &b->pos, &o);
    if (r == JB_MORE) {
        lua_pushboolean(L, 0);
        return 1;
    }
    b->done = 1;
    if (r == JB_OK) {
        lua_pushboolean(L, 1);
        lua_insert(L, -2);
        return 2;
    }
    lua_settop(L, 4);
    char *err = NULL;
    int rc = hp_json_depth_fail(b->d.p, s, len, &err);
    return fail(L, rc, err);
}

/* ---- lazy documents ------------------------------------------------------------------------- */

static int l_parse(lua_State *L)
{
    lparser *u = check_lparser(L, 1);
    if (u->d.busy) {
        lua_pushnil(L);
        lua_pushliteral(L, "JSON parser in use: a document of this parser is being decoded "
                           "(a finalizer parsed during doc:decode()); use another json.parser()");
        lua_pushstring(L, hp_status_name(HP_EINVAL));
        return 3;
    }
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    unsigned depth = (unsigned)luaL_optinteger(L, 3, 0);
    uint64_t gen;
    char *err = NULL;
    int rc = hp_json_parse(u->d.p, s, len, depth, &gen, &err);
    if (rc != HP_OK)
        return fail(L, rc, err);
    lua_pushinteger(L, (lua_Integer)gen);
    return 1;
}

/* Pushes kind, value, count of the node's record r (containers: value is the node). May raise
 * (allocation, the int64 hook). */
static int push_rec(lua_State *L, const hp_json_rec *r, size_t node)
{
    lua_pushinteger(L, r->type);
    switch (r->type) {
    case HP_JSON_ARRAY:
    case HP_JSON_OBJECT: lua_pushinteger(L, (lua_Integer)node); break;
    case HP_JSON_NULL: lua_pushlightuserdata(L, NULL); break;
    case HP_JSON_FALSE: lua_pushboolean(L, 0); break;
    case HP_JSON_TRUE: lua_pushboolean(L, 1); break;
    case HP_JSON_INT: jb_push_int(L, (uint64_t)r->v.i, 0, 0, UV_HOOKS); break;
    case HP_JSON_UINT: jb_push_int(L, r->v.u, 1, 0, UV_HOOKS); break;
    case HP_JSON_DOUBLE: lua_pushnumber(L, r->v.d); break;
    default: lua_pushlstring(L, r->v.s, r->n); break;
    }
    lua_pushinteger(L, r->n);
    return 3;
}

/* Pushes kind, value, count for the node. */
static int push_node(lua_State *L, hp_json_parser *p, uint64_t gen, size_t node)
{
    hp_json_rec r;
    char *err = NULL;
    int rc = hp_json_node(p, gen, node, &r, &err);
    if (rc != HP_OK)
        return raise_err(L, rc, err);
    return push_rec(L, &r, node);
}

/* Node indices come from Lua (raw integers): the core checks them (HP_EINVAL, raised). */
static int l_get(lua_State *L)
{
    hp_json_parser *p = check_parser(L, 1);
    uint64_t gen = (uint64_t)luaL_checkinteger(L, 2);
    size_t node = (size_t)luaL_checkinteger(L, 3);
    size_t plen = 0;
    const char *ptr = luaL_optlstring(L, 4, "", &plen);
    size_t found = 0;
    hp_json_rec r;
    char *err = NULL;
    int rc = hp_json_lookup(p, gen, node, ptr, plen, &found, &r, &err);
    if (rc != HP_OK)
        return raise_err(L, rc, err);
    if (!found) {
        lua_pushinteger(L, 0);
        return 1;
    }
    return push_rec(L, &r, found);
}

static int l_next(lua_State *L)
{
    hp_json_parser *p = check_parser(L, 1);
    uint64_t gen = (uint64_t)luaL_checkinteger(L, 2);
    size_t node = (size_t)luaL_checkinteger(L, 3);
    size_t cursor = (size_t)luaL_optinteger(L, 4, 0), key = 0, child = 0;
    int r = hp_json_next(p, gen, node, &cursor, &key, &child);
    if (r < 0) {
        hp_json_rec rec;
        size_t found;
        char *err = NULL;
        int rc = hp_json_lookup(p, gen, node, "", 0, &found, &rec, &err);
        if (rc != HP_OK)
            return raise_err(L, rc, err);
        if (rec.type == HP_JSON_ARRAY || rec.type == HP_JSON_OBJECT) {
            char msg[96];
            snprintf(msg, sizeof msg, "JSON iteration cursor %zu is not a child of node %zu",
                     cursor, node);
            return luaL_error(L, "%s", msg);
        }
        return luaL_error(L, "JSON value is not an array or object");
    }
    if (r == 0)
        return 0;
    lua_pushinteger(L, (lua_Integer)cursor);
    if (key) {
        hp_json_rec k;
        if (hp_json_node(p, gen, key, &k, NULL) != HP_OK || k.type != HP_JSON_STRING) {
            char msg[80];
            snprintf(msg, sizeof msg, "JSON object key at node %zu is not a string", key);
            return luaL_error(L, "%s", msg);
        }
        lua_pushlstring(L, k.v.s, k.n);
    } else {
        lua_pushboolean(L, 0);
    }
    return 2 + push_node(L, p, gen, child);
}

/* Builds the subtree at node. Reads the parser's tape, which must not change meanwhile: the
 * parser is marked busy (l_parse refuses it); a nested materialize (a finalizer) uses its own
 * level array and no string cache. */
static int l_materialize(lua_State *L)
{
    lparser *u = check_lparser(L, 1);
    uint64_t gen = (uint64_t)luaL_checkinteger(L, 2);
    size_t node = (size_t)luaL_checkinteger(L, 3);
    int held = !u->d.busy;
    jb_decoder *d = build_slots(L, u);
    HP_LUA_HOLD(L, S_GUARD, held ? &u->d.busy : NULL);
    jb_opts o = build_opts(L, u, held);
    /* The tape only now: the allocations above may have run a finalizer that parsed. */
    hp_json_tape tape;
    char *err = NULL;
    int rc = hp_json_subtree_tape(u->d.p, gen, node, &tape, &err);
    if (rc != HP_OK)
        return raise_err(L, rc, err);
    jb_pos pos;
    jb_pos_init(&pos, &tape);
    if (jb_build(L, &d->levels, &pos, &o) != JB_OK)
        return luaL_error(L, "JSON subtree nested too deep");
    return 1;
}

/* ---- encode --------------------------------------------------------------------------------- */

static int encoder_gc(lua_State *L)
{
    je_free(luaL_checkudata(L, 1, ENCODER_MT));
    return 0;
}

/* A new encoder userdata on the stack (its __gc frees the writer and path). May raise. */
static lencoder *new_encoder(lua_State *L)
{
    lencoder *e = lua_newuserdatauv(L, sizeof *e, 0);
    memset(e, 0, sizeof *e);
    hp_jw_init(&e->w, NULL, 0);
    luaL_setmetatable(L, ENCODER_MT);
    return e;
}

/* The per-state encoder's writer and path are reused across calls. A call made while another
 * runs (a __gc finalizer that encodes, run by an allocation of the outer encode) must not
 * reset them under it: the outer call marks the encoder busy (HP_LUA_HOLD: raising clears
 * the mark too), and a reentrant call encodes with a temporary encoder. */
static int l_encode(lua_State *L)
{
    lua_settop(L, 6);
    /* json.lua validates these; checked again because the C stack depth (max_depth levels of
     * recursion) and the indent loop must not depend on every caller doing so. */
    lua_Integer indent = luaL_optinteger(L, 3, 0);
    lua_Integer max_depth = luaL_optinteger(L, 5, HP_JSON_DEFAULT_DEPTH);
    luaL_argcheck(L, indent >= 0 && indent <= 16, 3, "indent must be between 0 and 16");
    if (max_depth < 1 || max_depth > JE_MAX_DEPTH)
        return luaL_argerror(L, 5, lua_pushfstring(L, "max_depth must be between 1 and %d",
                                                   (int)JE_MAX_DEPTH));
    lencoder *e = lua_touserdata(L, UV_ENCODER);
    int temp = e->busy;
    if (temp) {
        lua_pushnil(L);                     /* 7: no guard */
        e = new_encoder(L);                 /* 8 */
    } else {
        lua_pushvalue(L, UV_ENC_GUARD);     /* 7 */
        lua_pushnil(L);                     /* 8 */
    }
    HP_LUA_HOLD(L, 7, temp ? NULL : &e->busy);
    encopts o;
    o.e = e;
    o.sort = lua_toboolean(L, 2);
    o.indent = (int)indent;
    o.empty_array = lua_toboolean(L, 4);
    o.max_depth = (int)max_depth;
    o.allow_nan = lua_toboolean(L, 6);
    o.array_mt = UV_ARRAY_MT;
    o.hooks = UV_HOOKS;
    je_encode(L, &o);
    if (e->w.oom) {
        hp_jw_free(&e->w);
        return luaL_error(L, "out of memory encoding JSON");
    }
    lua_pushlstring(L, e->w.buf ? e->w.buf : "", e->w.len);
    /* Keep a warm buffer for the next call, but not a huge one (a temporary one: none). */
    if (temp || e->w.cap > (1u << 20))
        hp_jw_free(&e->w);
    return 1;
}

/* Whether the per-state encoder or a parser (argument 1) is marked busy: for the specs (a
 * raising call must not leave the mark set). */
static int l_busy(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lencoder *e = lua_touserdata(L, UV_ENCODER);
        lua_pushboolean(L, e->busy);
    } else {
        lua_pushboolean(L, check_lparser(L, 1)->d.busy);
    }
    return 1;
}

/* ---- registration --------------------------------------------------------------------------- */

static void new_mt(lua_State *L, const char *name, lua_CFunction gc, lua_CFunction close)
{
    if (luaL_newmetatable(L, name)) {
        if (gc) {
            lua_pushcfunction(L, gc);
            lua_setfield(L, -2, "__gc");
        }
        if (close) {
            lua_pushcfunction(L, close);
            lua_setfield(L, -2, "__close");
        }
        lua_pushstring(L, name);
        lua_setfield(L, -2, "__name");
    }
    lua_pop(L, 1);
}

void hp_lua_open_json(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "parser", l_parser }, { "decode", l_decode }, { "decode_start", l_decode_start },
        { "decode_step", l_decode_step }, { "decode_start_on", l_decode_start_on },
        { "decode_ready", l_decode_ready }, { "decode_finish", l_decode_finish }, { "parse", l_parse }, { "get", l_get },
        { "next", l_next }, { "materialize", l_materialize }, { "encode", l_encode },
        { "is_parser", l_is_parser }, { "busy", l_busy }, { NULL, NULL },
    };
    new_mt(L, GUARD_MT, NULL, guard_close);
    new_mt(L, PARSER_MT, parser_gc, parser_gc);
    luaL_getmetatable(L, PARSER_MT);        /* parser:close() */
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, parser_gc);
    lua_setfield(L, -2, "close");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    new_mt(L, BUILD_MT, build_gc, NULL);
    new_mt(L, ENCODER_MT, encoder_gc, NULL);
    lua_newtable(L);                        /* core.json */
    lua_newtable(L);                        /* upvalue 1: the array metatable */
    lua_pushliteral(L, "array");
    lua_setfield(L, -2, "__jsontype");
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "array_mt");
    lencoder *e = new_encoder(L);           /* upvalue 2: the encoder */
    lua_newtable(L);                        /* upvalue 3: the hooks */
    lua_pushvalue(L, -1);
    lua_setfield(L, -5, "hooks");
    push_guard(L, &e->busy);                /* upvalue 4: the encoder's guard */
    luaL_getmetatable(L, PARSER_MT);        /* upvalue 5 */
    luaL_setfuncs(L, fns, 5);
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    new_parser(L);
    lua_setfield(L, -2, "default_parser");
    /* dladdr names a module by the path it was opened with, which may be relative */
    Dl_info info;
    char path[PATH_MAX];
    if (dladdr((void *)hp_lua_open_json, &info) && info.dli_fname) {
        lua_pushstring(L, realpath(info.dli_fname, path) ? path : info.dli_fname);
        lua_setfield(L, -2, "library");
    }
    lua_setfield(L, -2, "json");
}
