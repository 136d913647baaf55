/* Binding of json/ for Lua 5.4: decode (records -> tables), lazy documents by node, and the
 * encoder (tables -> hp_jw writer). The Lua layer (lua/hotpath/json.lua) validates options.
 *
 *   core.json.null, core.json.array_mt, core.json.default_parser (one per Lua state)
 *   core.json.parser() -> a new parser userdata (for documents that live side by side)
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

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PARSER_MT "hotpath.json.parser"
#define ENCODER_MT "hotpath.json.encoder"

/* Upvalues of every function: 1 the array metatable, 2 the encoder userdata. */
#define UV_ARRAY_MT lua_upvalueindex(1)
#define UV_ENCODER lua_upvalueindex(2)

/* A parser, and the level array and string cache of the tape builder, all reused across
 * calls. The cache's anchor table is the userdata's user value (created with the entries). */
typedef struct { hp_json_parser *p; jb_stack levels; jb_centry *cache; } lparser;

static int parser_gc(lua_State *L)
{
    lparser *u = luaL_checkudata(L, 1, PARSER_MT);
    hp_json_parser_free(u->p);
    u->p = NULL;
    jb_stack_free(&u->levels);
    free(u->cache);
    u->cache = NULL;
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
static hp_json_parser *new_parser(lua_State *L)
{
    lparser *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->p = NULL;
    u->levels.v = NULL;
    u->levels.cap = 0;
    u->cache = NULL;
    luaL_setmetatable(L, PARSER_MT);
    u->p = hp_json_parser_new();
    if (!u->p)
        luaL_error(L, "out of memory creating a JSON parser");
    return u->p;
}

static int l_parser(lua_State *L)
{
    new_parser(L);
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
    u->cache = calloc(JB_CACHE, sizeof *u->cache);
    return u->cache;
}

static int l_decode(lua_State *L)
{
    lparser *u = check_lparser(L, 1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    unsigned depth = (unsigned)luaL_optinteger(L, 3, 0);
    int use_mt = lua_toboolean(L, 4);
    hp_json_tape tape;
    char *err = NULL;
    int rc = hp_json_decode_tape(u->p, s, len, depth, &tape, &err);
    if (rc == HP_OK) {
        lua_settop(L, 4);
        lua_pushvalue(L, UV_ARRAY_MT);
        jb_centry *ce = push_cache(L, u, 1);
        if (jb_build(L, &tape, &u->levels, use_mt ? 5 : 0, 0, ce, 6) == JB_OK)
            return 1;
        lua_settop(L, 4);
        rc = hp_json_depth_fail(u->p, s, len, &err);
    }
    void **slot = hp_lua_guard(L);
    *slot = err;
    return hp_lua_fail(L, rc, slot);
}

static int l_parse(lua_State *L)
{
    hp_json_parser *p = check_parser(L, 1);
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

/* Pushes kind, value, count for the node (containers: value is the node). */
static int push_node(lua_State *L, hp_json_parser *p, uint64_t gen, size_t node)
{
    hp_json_rec r;
    char *err = NULL;
    int rc = hp_json_node(p, gen, node, &r, &err);
    if (rc != HP_OK) {
        void **slot = hp_lua_guard(L);
        *slot = err;
        return raise_msg(L, rc, slot);
    }
    lua_pushinteger(L, r.type);
    if (r.type == HP_JSON_ARRAY || r.type == HP_JSON_OBJECT)
        lua_pushinteger(L, (lua_Integer)node);
    else
        push_scalar(L, &r);
    lua_pushinteger(L, r.n);
    return 3;
}

static int l_get(lua_State *L)
{
    hp_json_parser *p = check_parser(L, 1);
    uint64_t gen = (uint64_t)luaL_checkinteger(L, 2);
    size_t node = (size_t)luaL_checkinteger(L, 3);
    size_t plen = 0;
    const char *ptr = luaL_optlstring(L, 4, "", &plen);
    size_t found = node;
    if (plen) {
        char *err = NULL;
        int rc = hp_json_pointer(p, gen, node, ptr, plen, &found, &err);
        if (rc != HP_OK) {
            void **slot = hp_lua_guard(L);
            *slot = err;
            return raise_msg(L, rc, slot);
        }
        if (!found) {
            lua_pushinteger(L, 0);
            return 1;
        }
    }
    return push_node(L, p, gen, found);
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
        if (hp_json_node(p, gen, node, &rec, NULL) != HP_OK)
            return luaL_error(L, "JSON document used after its parser parsed another document");
        return luaL_error(L, "JSON value is not an array or object");
    }
    if (r == 0)
        return 0;
    lua_pushinteger(L, (lua_Integer)cursor);
    if (key) {
        hp_json_rec k;
        hp_json_node(p, gen, key, &k, NULL);
        lua_pushlstring(L, k.v.s, k.n);
    } else {
        lua_pushboolean(L, 0);
    }
    return 2 + push_node(L, p, gen, child);
}

static int l_materialize(lua_State *L)
{
    lparser *u = check_lparser(L, 1);
    uint64_t gen = (uint64_t)luaL_checkinteger(L, 2);
    size_t node = (size_t)luaL_checkinteger(L, 3);
    int use_mt = lua_toboolean(L, 4);
    hp_json_tape tape;
    char *err = NULL;
    int rc = hp_json_subtree_tape(u->p, gen, node, &tape, &err);
    if (rc != HP_OK) {
        void **slot = hp_lua_guard(L);
        *slot = err;
        return raise_msg(L, rc, slot);
    }
    lua_settop(L, 4);
    lua_pushvalue(L, UV_ARRAY_MT);
    jb_centry *ce = push_cache(L, u, 1);
    if (jb_build(L, &tape, &u->levels, use_mt ? 5 : 0, 0, ce, 6) != JB_OK)
        return luaL_error(L, "JSON subtree nested too deep");
    return 1;
}

/* ---- encoder ------------------------------------------------------------------------------ */

/* Per-state encoder: the writer and the path of open tables (cycle detection). Owned by a
 * userdata, so raising in the middle of an encode leaks nothing; the buffer is reused across
 * calls and shrunk after large outputs. */
typedef struct {
    hp_jw w;
    const void **path;
    size_t pathcap;
} lencoder;

typedef struct {
    lencoder *e;
    int sort, indent, empty_array, allow_nan, max_depth;
    int array_mt;   /* stack index of the array metatable */
} encopts;

static int encoder_gc(lua_State *L)
{
    lencoder *e = lua_touserdata(L, 1);
    hp_jw_free(&e->w);
    free(e->path);
    e->path = NULL;
    e->pathcap = 0;
    return 0;
}

static void newline(encopts *o, int depth)
{
    if (!o->indent)
        return;
    hp_jw_char(&o->e->w, '\n');
    for (int i = 0; i < depth * o->indent; i++)
        hp_jw_char(&o->e->w, ' ');
}

static void encode_value(lua_State *L, encopts *o, int idx, int depth);

static void encode_number(lua_State *L, encopts *o, int idx)
{
    if (lua_isinteger(L, idx)) {
        hp_jw_integer(&o->e->w, (int64_t)lua_tointeger(L, idx));
        return;
    }
    double d = lua_tonumber(L, idx);
    if (!isfinite(d)) {
        if (!o->allow_nan)
            luaL_error(L, "cannot encode %s as JSON (allow_nan = true writes null)",
                       d != d ? "NaN" : d > 0 ? "inf" : "-inf");
        hp_jw_raw(&o->e->w, "null", 4);
        return;
    }
    hp_jw_number(&o->e->w, d);
}

static void encode_key(lua_State *L, encopts *o, int kidx)
{
    int t = lua_type(L, kidx);
    if (t == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, kidx, &n);
        hp_jw_string(&o->e->w, s, n);
    } else if (t == LUA_TNUMBER) {
        /* Numeric keys become their decimal text, as in lua-cjson. */
        hp_jw w2;
        char buf[40];
        hp_jw_init(&w2, buf, sizeof buf);
        if (lua_isinteger(L, kidx))
            hp_jw_integer(&w2, (int64_t)lua_tointeger(L, kidx));
        else {
            double d = lua_tonumber(L, kidx);
            if (!isfinite(d))
                luaL_error(L, "cannot encode a NaN or infinite table key as JSON");
            hp_jw_number(&w2, d);
        }
        hp_jw_string(&o->e->w, w2.buf, w2.len);
        hp_jw_free(&w2);
    } else {
        luaL_error(L, "cannot encode a table key of type %s as JSON", luaL_typename(L, kidx));
    }
    hp_jw_char(&o->e->w, ':');
    if (o->indent)
        hp_jw_char(&o->e->w, ' ');
}

typedef struct { const char *s; size_t n; int slot; } skey;

static int skey_cmp(const void *a, const void *b)
{
    const skey *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Object with sorted keys: keys (strings, or numbers as their text) are copied into a
 * Lua table (anchoring them), sorted through a userdata array, then written in order. */
static void encode_sorted(lua_State *L, encopts *o, int t, int depth, int count)
{
    lua_createtable(L, count, 0);
    int keys = lua_gettop(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        int kt = lua_type(L, -1);
        if (kt != LUA_TSTRING && kt != LUA_TNUMBER)
            luaL_error(L, "cannot encode a table key of type %s as JSON", luaL_typename(L, -1));
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++n);
    }
    skey *v = lua_newuserdatauv(L, sizeof(skey) * (size_t)(n ? n : 1), 0);
    int vidx = lua_gettop(L);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, keys, i + 1);
        if (lua_type(L, -1) == LUA_TNUMBER) {
            /* Compare numbers by their key text: convert in the keys table. */
            lua_pushvalue(L, -1);
            const char *s = lua_tostring(L, -1);
            (void)s;
            lua_rawseti(L, keys, n + i + 1);
            lua_rawgeti(L, keys, n + i + 1);
            v[i].s = lua_tolstring(L, -1, &v[i].n);
            lua_pop(L, 1);
        } else {
            v[i].s = lua_tolstring(L, -1, &v[i].n);
        }
        v[i].slot = i + 1;
        lua_pop(L, 1);
    }
    qsort(v, (size_t)n, sizeof(skey), skey_cmp);
    hp_jw_char(&o->e->w, '{');
    for (int i = 0; i < n; i++) {
        if (i)
            hp_jw_char(&o->e->w, ',');
        newline(o, depth + 1);
        lua_rawgeti(L, keys, v[i].slot);
        encode_key(L, o, lua_gettop(L));
        lua_rawget(L, t);
        encode_value(L, o, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
    }
    if (n)
        newline(o, depth);
    hp_jw_char(&o->e->w, '}');
    lua_settop(L, vidx - 2);
}

static void encode_table(lua_State *L, encopts *o, int t, int depth)
{
    if (depth >= o->max_depth)
        luaL_error(L, "cannot encode tables nested deeper than %d as JSON", o->max_depth);
    const void *self = lua_topointer(L, t);
    for (int i = 0; i < depth; i++)
        if (o->e->path[i] == self)
            luaL_error(L, "cannot encode a table that contains itself (cycle) as JSON");
    if ((size_t)depth >= o->e->pathcap) {
        size_t ncap = o->e->pathcap ? o->e->pathcap * 2 : 64;
        const void **np = realloc(o->e->path, ncap * sizeof *np);
        if (!np)
            luaL_error(L, "out of memory encoding JSON");
        o->e->path = np;
        o->e->pathcap = ncap;
    }
    o->e->path[depth] = self;
    if (!lua_checkstack(L, 6))
        luaL_error(L, "JSON encode: Lua stack exhausted");

    /* Array when the keys are exactly 1..n. A table whose border is 0 has no [1], so it is
     * an object or empty: one lua_next pass writes it (the common object case pays no
     * separate counting pass, which costs a hash lookup per key). */
    lua_Integer n = (lua_Integer)lua_rawlen(L, t);
    int count = 0, array = 1;
    if (n == 0) {
        lua_pushnil(L);
        if (!lua_next(L, t)) {
            int is_array_mt = 0;
            if (lua_getmetatable(L, t)) {
                is_array_mt = lua_rawequal(L, -1, o->array_mt);
                lua_pop(L, 1);
            }
            if (is_array_mt || o->empty_array)
                hp_jw_raw(&o->e->w, "[]", 2);
            else
                hp_jw_raw(&o->e->w, "{}", 2);
            return;
        }
        if (o->sort) {
            lua_pop(L, 2);
            encode_sorted(L, o, t, depth, 0);
            return;
        }
        hp_jw_char(&o->e->w, '{');
        int first = 1;
        do {
            if (!first)
                hp_jw_char(&o->e->w, ',');
            first = 0;
            newline(o, depth + 1);
            int top = lua_gettop(L);
            encode_key(L, o, top - 1);
            encode_value(L, o, top, depth + 1);
            lua_pop(L, 1);
        } while (lua_next(L, t));
        newline(o, depth);
        hp_jw_char(&o->e->w, '}');
        return;
    }
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        count++;
        if (array && (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n))
            array = 0;
    }
    if (count != n)
        array = 0;
    if (array) {
        hp_jw_char(&o->e->w, '[');
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1)
                hp_jw_char(&o->e->w, ',');
            newline(o, depth + 1);
            lua_rawgeti(L, t, i);
            encode_value(L, o, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
        }
        newline(o, depth);
        hp_jw_char(&o->e->w, ']');
        return;
    }
    if (o->sort) {
        encode_sorted(L, o, t, depth, count);
        return;
    }
    hp_jw_char(&o->e->w, '{');
    int first = 1;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (!first)
            hp_jw_char(&o->e->w, ',');
        first = 0;
        newline(o, depth + 1);
        int top = lua_gettop(L);
        encode_key(L, o, top - 1);
        encode_value(L, o, top, depth + 1);
        lua_pop(L, 1);
    }
    if (!first)
        newline(o, depth);
    hp_jw_char(&o->e->w, '}');
}

static void encode_value(lua_State *L, encopts *o, int idx, int depth)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        hp_jw_string(&o->e->w, s, n);
        break;
    }
    case LUA_TNUMBER: encode_number(L, o, idx); break;
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, idx))
            hp_jw_raw(&o->e->w, "true", 4);
        else
            hp_jw_raw(&o->e->w, "false", 5);
        break;
    case LUA_TNIL: hp_jw_raw(&o->e->w, "null", 4); break;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) {
            hp_jw_raw(&o->e->w, "null", 4);
            break;
        }
        luaL_error(L, "cannot encode a light userdata (other than json.null) as JSON");
        break;
    case LUA_TTABLE: encode_table(L, o, idx, depth); break;
    default:
        luaL_error(L, "cannot encode a %s as JSON", luaL_typename(L, idx));
    }
}

static int l_encode(lua_State *L)
{
    lua_settop(L, 7);
    lencoder *e = lua_touserdata(L, UV_ENCODER);
    encopts o;
    o.e = e;
    o.sort = lua_toboolean(L, 2);
    o.indent = (int)luaL_optinteger(L, 3, 0);
    o.empty_array = lua_toboolean(L, 4);
    o.max_depth = (int)luaL_optinteger(L, 5, HP_JSON_DEFAULT_DEPTH);
    o.allow_nan = lua_toboolean(L, 6);
    lua_pushvalue(L, UV_ARRAY_MT);
    o.array_mt = lua_gettop(L);
    e->w.len = 0;
    e->w.oom = 0;
    encode_value(L, &o, 1, 0);
    if (e->w.oom) {
        hp_jw_free(&e->w);
        return luaL_error(L, "out of memory encoding JSON");
    }
    lua_pushlstring(L, e->w.buf ? e->w.buf : "", e->w.len);
    /* Keep a warm buffer for the next call, but not a huge one. */
    if (e->w.cap > (1u << 20))
        hp_jw_free(&e->w);
    return 1;
}

/* ---- registration ------------------------------------------------------------------------- */

void hp_lua_open_json(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "parser", l_parser }, { "decode", l_decode }, { "parse", l_parse },
        { "get", l_get }, { "next", l_next }, { "materialize", l_materialize },
        { "encode", l_encode }, { NULL, NULL },
    };
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
    lencoder *e = lua_newuserdatauv(L, sizeof *e, 0);   /* upvalue 2: the encoder */
    memset(e, 0, sizeof *e);
    hp_jw_init(&e->w, NULL, 0);
    if (luaL_newmetatable(L, ENCODER_MT)) {
        lua_pushcfunction(L, encoder_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -2);
    lua_setfield(L, -4, "array_mt");
    luaL_setfuncs(L, fns, 2);
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    new_parser(L);
    lua_setfield(L, -2, "default_parser");
    lua_pushinteger(L, HP_JSON_MAX_DEPTH);
    lua_setfield(L, -2, "max_depth_limit");
    lua_setfield(L, -2, "json");
}
