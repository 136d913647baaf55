/* Binding of json/ for Lua 5.4: decode (records -> tables), lazy documents by node, and the
 * encoder (tables -> hp_jw writer). The Lua layer (lua/hotpath/json.lua) validates options.
 *
 *   core.json.null, core.json.array_mt, core.json.default_parser (one per Lua state)
 *   core.json.parser() -> a new parser userdata (for documents that live side by side)
 *   core.json.is_parser(v) -> whether v is one
 *   core.json.decode(parser, s, max_depth, use_array_mt) -> value | nil, msg, code
 *   core.json.parse(parser, s, max_depth) -> gen | nil, msg, code
 *   core.json.get(parser, gen, node, ptr) -> kind, value, count   (kind 0: not found)
 *   core.json.next(parser, gen, node, cursor) -> cursor, key|false, kind, value, count | nil
 *   core.json.materialize(parser, gen, node, use_array_mt) -> value
 *   core.json.encode(value, sort, indent, empty_array, max_depth, allow_nan) -> string
 * Stale documents and malformed pointers raise (misuse); parse failures return nil, msg, code.
 */
#include "lhp.h"
#include "common/common.h"
#include "json/json.h"
#include "json/writer.h"
#include "jsonbuild.h"
#include "jsonenc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PARSER_MT "hotpath.json.parser"
#define ENCODER_MT "hotpath.json.encoder"

/* Upvalues of every function: 1 the array metatable, 2 the encoder userdata. */
#define UV_ARRAY_MT lua_upvalueindex(1)
#define UV_ENCODER lua_upvalueindex(2)

/* A parser userdata holds a jb_decoder; the cache's anchor table is its user value 1
 * (created with the entries). */
typedef jb_decoder lparser;

#define BUSY_MT "hotpath.json.busy"

/* The busy mark of a parser (user value 2 of its userdata): a build from the parser's tape is
 * running. Builds allocate, an allocation can run a __gc finalizer, and a finalizer that
 * decoded or parsed with the same parser would rewrite the tape and the level array under
 * the running build (use after free). Set through a to-be-closed slot whose __close clears
 * it, so a build that raises clears it too. */
typedef struct { int *flag; } lbusy;

static int busy_close(lua_State *L)
{
    lbusy *b = lua_touserdata(L, 1);
    if (b && b->flag)
        *b->flag = 0;
    return 0;
}

/* Marks u (the parser userdata at stack index pidx) busy until the calling C function returns
 * or raises: pushes its guard in a to-be-closed slot. Allocates nothing (an allocation
 * before the mark could run a finalizer that parses with u). */
static void hold(lua_State *L, lparser *u, int pidx)
{
    lua_getiuservalue(L, pidx, 2);   /* made with the parser: nothing here allocates */
    lua_toclose(L, -1);
    u->busy = 1;
}

static int parser_gc(lua_State *L)
{
    jb_decoder_free(luaL_checkudata(L, 1, PARSER_MT));
    return 0;
}

static lparser *check_lparser(lua_State *L, int idx)
{
    lparser *u = luaL_checkudata(L, idx, PARSER_MT);
    if (!u->p)
        luaL_error(L, "attempt to use a closed JSON parser");
    return u;
}

static hp_json_parser *check_parser(lua_State *L, int idx)
{
    return check_lparser(L, idx)->p;
}

/* A new parser userdata on the stack. Born closed, so a failed allocation leaves nothing
 * to free. May raise (allocation). */
static lparser *new_parser(lua_State *L)
{
    lparser *u = lua_newuserdatauv(L, sizeof *u, 2);
    u->busy = 0;
    u->p = NULL;
    u->levels.v = NULL;
    u->levels.cap = 0;
    u->cache = NULL;
    luaL_setmetatable(L, PARSER_MT);
    lbusy *b = lua_newuserdatauv(L, sizeof *b, 0);   /* the busy guard (user value 2) */
    b->flag = &u->busy;
    luaL_setmetatable(L, BUSY_MT);
    lua_setiuservalue(L, -2, 2);
    u->p = hp_json_parser_new();
    if (!u->p)
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

/* Raises the message of a failed call (errmsg held by a guard slot, freed by the GC). */
static int raise_msg(lua_State *L, int status, void **slot)
{
    lua_pushstring(L, *slot ? (const char *)*slot : hp_status_name(status));
    hp_lua_release(L, -2);
    return lua_error(L);
}

/* ---- tape -> Lua values (jsonbuild.h); scalars of lazy nodes ---------------------------------------------------------------- */

static void push_scalar(lua_State *L, const hp_json_rec *r)
{
    switch (r->type) {
    case HP_JSON_NULL: lua_pushlightuserdata(L, NULL); break;
    case HP_JSON_FALSE: lua_pushboolean(L, 0); break;
    case HP_JSON_TRUE: lua_pushboolean(L, 1); break;
    case HP_JSON_INT: lua_pushinteger(L, (lua_Integer)r->v.i); break;
    case HP_JSON_UINT: lua_pushnumber(L, (lua_Number)r->v.u); break;
    case HP_JSON_DOUBLE: lua_pushnumber(L, r->v.d); break;
    default: lua_pushlstring(L, r->v.s, r->n); break;
    }
}

/* Pushes the string cache's anchor table of the parser at stack index pidx and returns its
 * entries (NULL, and nil pushed, when they cannot be allocated: decode then goes uncached).
 * May raise (allocation) with nothing live. */
static jb_centry *push_cache(lua_State *L, lparser *u, int pidx)
{
    if (u->cache) {
        lua_getiuservalue(L, pidx, 1);
        return u->cache;
    }
    lua_createtable(L, JB_CACHE, 0);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, pidx, 1);
    u->cache = jb_cache_new();
    return u->cache;
}

/* Stack slots of l_decode (and of its continuation): 1 parser, 2 input, 3 max_depth,
 * 4 use_mt, 5 bigint (LuaJIT only), 6 hook, 7 hook period; then: */
enum { D_MT = 8, D_PARSER = 9, D_CACHE = 10, D_HOOK = 11 };

/* The end of a decode whose build returned r (u: the parser that built). */
static int decode_end(lua_State *L, lparser *u, int r)
{
    if (r == JB_OK)
        return 1;
    lua_settop(L, D_HOOK);   /* drop the unfinished tables */
    size_t len;
    const char *s = lua_tolstring(L, 2, &len);
    char *err = NULL;
    int rc = hp_json_depth_fail(u->p, s, len, &err);
    void **slot = hp_lua_guard(L);
    *slot = err;
    return hp_lua_fail(L, rc, slot);
}

/* A hooked decode resumed after its hook yielded: the build goes on where it stopped. */
static int decode_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    lparser *u = lua_touserdata(L, D_PARSER);
    jb_hook *hk = lua_touserdata(L, D_HOOK);
    return decode_end(L, u, jb_build(L, &hk->tape, &u->levels, lua_toboolean(L, 4) ? D_MT : 0,
                                     0, NULL, D_CACHE, hk));
}

/* Decodes with the parser at 1. While that parser is busy (a finalizer decoding during a
 * build), or with a hook (argument 6: a function called about every `argument 7` tape words,
 * which may yield), with a parser of its own and no string cache: a coroutine suspended in
 * its hook and never resumed then holds only that parser, never the shared one. */
static int l_decode(lua_State *L)
{
    lparser *u = check_lparser(L, 1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    unsigned depth = (unsigned)luaL_optinteger(L, 3, 0);
    int use_mt = lua_toboolean(L, 4);
    int hooked = !lua_isnoneornil(L, 6);
    lua_Integer every = hooked ? luaL_checkinteger(L, 7) : 0;
    if (hooked) {
        luaL_checktype(L, 6, LUA_TFUNCTION);
        luaL_argcheck(L, every >= 1, 7, "hook period must be at least 1");
    }
    lua_settop(L, 7);
    lua_pushvalue(L, UV_ARRAY_MT);           /* D_MT */
    jb_centry *ce = NULL;
    if (u->busy || hooked) {
        u = new_parser(L);                   /* D_PARSER */
        lua_pushnil(L);                      /* D_CACHE: none */
    } else {
        hold(L, u, 1);                       /* D_PARSER: the busy guard */
        ce = push_cache(L, u, 1);            /* D_CACHE */
    }
    jb_hook *hk = NULL;
    if (hooked) {
        hk = lua_newuserdatauv(L, sizeof *hk, 0);   /* D_HOOK */
        memset(hk, 0, sizeof *hk);
        hk->every = (size_t)every;
        hk->fn = 6;
        hk->k = decode_k;
    }
    hp_json_tape tape;
    char *err = NULL;
    int rc = hp_json_decode_tape(u->p, s, len, depth, &tape, &err);
    if (rc != HP_OK) {
        void **slot = hp_lua_guard(L);
        *slot = err;
        return hp_lua_fail(L, rc, slot);
    }
    if (hk)
        hk->tape = tape;
    return decode_end(L, u, jb_build(L, hk ? &hk->tape : &tape, &u->levels, use_mt ? D_MT : 0, 0,
                                     ce, D_CACHE, hk));
}

static int l_parse(lua_State *L)
{
    lparser *u = check_lparser(L, 1);
    hp_json_parser *p = u->p;
    if (u->busy) {
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
    int rc = hp_json_parse(p, s, len, depth, &gen, &err);
    if (rc != HP_OK) {
        void **slot = hp_lua_guard(L);
        *slot = err;
        return hp_lua_fail(L, rc, slot);
    }
    lua_pushinteger(L, (lua_Integer)gen);
    return 1;
}

/* Pushes kind, value, count of the node's record r (containers: value is the node). */
static int push_rec(lua_State *L, const hp_json_rec *r, size_t node)
{
    lua_pushinteger(L, r->type);
    if (r->type == HP_JSON_ARRAY || r->type == HP_JSON_OBJECT)
        lua_pushinteger(L, (lua_Integer)node);
    else
        push_scalar(L, r);
    lua_pushinteger(L, r->n);
    return 3;
}

/* Raises the message of a failed node call (errmsg handed to a guard slot first). */
static int raise_err(lua_State *L, int rc, char *err)
{
    void **slot = hp_lua_guard(L);
    *slot = err;
    return raise_msg(L, rc, slot);
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
        if (rec.type == HP_JSON_ARRAY || rec.type == HP_JSON_OBJECT)
            return luaL_error(L, "JSON iteration cursor %I is not a child of node %I",
                              (lua_Integer)cursor, (lua_Integer)node);
        return luaL_error(L, "JSON value is not an array or object");
    }
    if (r == 0)
        return 0;
    lua_pushinteger(L, (lua_Integer)cursor);
    if (key) {
        hp_json_rec k;
        if (hp_json_node(p, gen, key, &k, NULL) != HP_OK || k.type != HP_JSON_STRING)
            return luaL_error(L, "JSON object key at node %I is not a string", (lua_Integer)key);
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
    int use_mt = lua_toboolean(L, 4);
    lua_settop(L, 4);
    lua_pushvalue(L, UV_ARRAY_MT);           /* 5 */
    jb_stack *levels = &u->levels;
    jb_centry *ce = NULL;
    if (u->busy) {
        levels = &new_parser(L)->levels;     /* 6: its level array */
        lua_pushnil(L);                      /* 7: no cache */
    } else {
        hold(L, u, 1);                       /* 6 */
        ce = push_cache(L, u, 1);            /* 7 */
    }
    /* The tape only now: the allocations above may have run a finalizer that parsed. */
    hp_json_tape tape;
    char *err = NULL;
    int rc = hp_json_subtree_tape(u->p, gen, node, &tape, &err);
    if (rc != HP_OK) {
        void **slot = hp_lua_guard(L);
        *slot = err;
        return raise_msg(L, rc, slot);
    }
    if (jb_build(L, &tape, levels, use_mt ? 5 : 0, 0, ce, 7, NULL) != JB_OK)
        return luaL_error(L, "JSON subtree nested too deep");
    return 1;
}

/* ---- encoder (jsonenc.h) ---------------------------------------------------------------- */

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
 * reset them under it: the outer call marks the encoder busy, through a to-be-closed slot so
 * that raising clears the mark too, and a reentrant call encodes with a temporary encoder. */
static int l_encode(lua_State *L)
{
    lua_settop(L, 7);
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
        e = new_encoder(L);                 /* slot 8 */
    } else {
        lua_pushvalue(L, UV_ENCODER);       /* slot 8: clears busy when the call ends */
        lua_toclose(L, 8);
        e->busy = 1;
    }
    encopts o;
    o.e = e;
    o.sort = lua_toboolean(L, 2);
    o.indent = (int)indent;
    o.empty_array = lua_toboolean(L, 4);
    o.max_depth = (int)max_depth;
    o.allow_nan = lua_toboolean(L, 6);
    lua_pushvalue(L, UV_ARRAY_MT);
    o.array_mt = lua_gettop(L);
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

/* ---- registration ------------------------------------------------------------------------- */

void hp_lua_open_json(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "parser", l_parser }, { "decode", l_decode }, { "parse", l_parse },
        { "get", l_get }, { "next", l_next }, { "materialize", l_materialize },
        { "encode", l_encode }, { "is_parser", l_is_parser }, { NULL, NULL },
    };
    if (luaL_newmetatable(L, BUSY_MT)) {
        lua_pushcfunction(L, busy_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, PARSER_MT)) {
        lua_pushcfunction(L, parser_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, parser_gc);
        lua_setfield(L, -2, "__close");
        lua_pushliteral(L, "hotpath.json.parser");
        lua_setfield(L, -2, "__name");
    }
    lua_pop(L, 1);
    lua_newtable(L);                        /* core.json */
    lua_newtable(L);                        /* upvalue 1: the array metatable */
    lua_pushliteral(L, "array");
    lua_setfield(L, -2, "__jsontype");
    if (luaL_newmetatable(L, ENCODER_MT)) {
        lua_pushcfunction(L, encoder_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, encoder_release);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    new_encoder(L);                         /* upvalue 2: the encoder */
    lua_pushvalue(L, -2);
    lua_setfield(L, -4, "array_mt");
    luaL_setfuncs(L, fns, 2);
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    new_parser(L);
    lua_setfield(L, -2, "default_parser");
    lua_pushinteger(L, HP_JSON_MAX_DEPTH);
    lua_setfield(L, -2, "max_depth_limit");
    lua_pushinteger(L, JE_MAX_DEPTH);
    lua_setfield(L, -2, "encode_depth_limit");
    lua_setfield(L, -2, "json");
}
