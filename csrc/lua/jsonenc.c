/* The JSON encoder (jsonenc.h): Lua values -> hp_jw writer, through the Lua C API, the same
 * C for Lua 5.4 and LuaJIT.
 *
 * Everything here may raise (luaL_error) for values JSON cannot hold; no C memory is live
 * then: the writer and the cycle path belong to the encoder userdata (lencoder). */
#include "jsonenc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Whether the key at idx is the number i: the test of the array walk, in two API calls under
 * either ABI (lcompat.h's lua_isinteger of LuaJIT makes two itself). */
static inline int je_key_is(lua_State *L, int idx, lua_Integer i)
{
    if (HP_LUA_INTEGERS)
        return lua_isinteger(L, idx) && lua_tointeger(L, idx) == i;
    return lua_type(L, idx) == LUA_TNUMBER && lua_tonumber(L, idx) == (lua_Number)i;
}

/* Whether the key at idx is an integer in 1..n (an array index). */
static int je_index(lua_State *L, int idx, lua_Integer n)
{
    if (lua_type(L, idx) != LUA_TNUMBER)
        return 0;
    lua_Number k = lua_tonumber(L, idx);
    return k >= 1 && k <= (lua_Number)n && k == (lua_Number)(lua_Integer)k;
}

static void newline(encopts *o, int depth)
{
    if (!o->indent)
        return;
    hp_jw_char(&o->e->w, '\n');
    for (int i = 0; i < depth * o->indent; i++)
        hp_jw_char(&o->e->w, ' ');
}

static void encode_table(lua_State *L, encopts *o, int t, int depth);

/* The value at idx cannot be written: raises (kept out of line, off the hot paths). */
static __attribute__((noinline, noreturn)) void encode_bad(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TLIGHTUSERDATA)
        luaL_error(L, "cannot encode a light userdata (other than json.null) as JSON");
    luaL_error(L, "cannot encode a %s as JSON", luaL_typename(L, idx));
    abort();   /* not reached: luaL_error does not return */
}

/* A value of another type: the text the "text" hook gives for it (LuaJIT's int64 cdata),
 * else raises. Out of line (rare). */
static __attribute__((noinline)) void encode_other(lua_State *L, encopts *o, int idx)
{
    if (!lua_checkstack(L, 3))
        luaL_error(L, "JSON encode: Lua stack exhausted");
    if (o->hooks && lua_getfield(L, o->hooks, "text") == LUA_TFUNCTION) {
        lua_pushvalue(L, idx);
        lua_call(L, 1, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            size_t n;
            const char *s = lua_tolstring(L, -1, &n);
            hp_jw_raw(&o->e->w, s, n);
            lua_pop(L, 1);
            return;
        }
    }
    encode_bad(L, idx);   /* idx is absolute: what the lookup left above it does not matter */
}

static inline void encode_number(lua_State *L, encopts *o, int idx)
{
    if (HP_LUA_INTEGERS && lua_isinteger(L, idx)) {
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

/* Writes the value at idx; tables through encode_table. Inlined into the loops that write
 * most values: as a function of its own, its prologue (every callee-saved register, for the
 * table walk it contained) cost more than writing a short string. May raise. */
static inline __attribute__((always_inline)) void encode_value(lua_State *L, encopts *o,
                                                               int idx, int depth)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        hp_jw_str(&o->e->w, s, n);
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
        if (lua_touserdata(L, idx) != NULL)
            encode_bad(L, idx);
        hp_jw_raw(&o->e->w, "null", 4);
        break;
    case LUA_TTABLE: encode_table(L, o, idx, depth); break;
    default: encode_other(L, o, idx);
    }
}

/* Writes the text of the number key at kidx (unquoted). Raises on NaN and infinities. */
static void key_number(lua_State *L, hp_jw *w, int kidx)
{
    if (HP_LUA_INTEGERS && lua_isinteger(L, kidx)) {
        hp_jw_integer(w, (int64_t)lua_tointeger(L, kidx));
        return;
    }
    double d = lua_tonumber(L, kidx);
    if (!isfinite(d))
        luaL_error(L, "cannot encode a NaN or infinite table key as JSON");
    hp_jw_keynum(w, d);
}

/* A key that is not a string: numbers become their text (as in lua-cjson; hp_jw_keynum: an
 * integral key is written as an integer whether or not the runtime has an integer subtype, so
 * both runtimes write the same key); any other type raises. */
static __attribute__((noinline)) void encode_key_other(lua_State *L, encopts *o, int kidx)
{
    if (lua_type(L, kidx) != LUA_TNUMBER)
        luaL_error(L, "cannot encode a table key of type %s as JSON", luaL_typename(L, kidx));
    hp_jw_char(&o->e->w, '"');
    key_number(L, &o->e->w, kidx);
    hp_jw_char(&o->e->w, '"');
}

/* Writes the key at kidx and its colon. May raise. */
static inline void encode_key(lua_State *L, encopts *o, int kidx)
{
    if (lua_type(L, kidx) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, kidx, &n);
        hp_jw_str(&o->e->w, s, n);
    } else {
        encode_key_other(L, o, kidx);
    }
    hp_jw_char(&o->e->w, ':');
    if (o->indent)
        hp_jw_char(&o->e->w, ' ');
}

typedef struct { const char *s; size_t n; int slot, isnum; } skey;

/* By the key text written; a string key before a number key of the same text. */
static int skey_cmp(const void *a, const void *b)
{
    const skey *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    if (c)
        return c;
    if (x->n != y->n)
        return (x->n > y->n) - (x->n < y->n);
    return x->isnum - y->isnum;
}

/* Object with sorted keys: keys are copied into a Lua table (anchoring them), number keys'
 * texts (the text encode_key writes) beside them, sorted through a userdata array, then
 * written in order. */
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
        v[i].isnum = lua_type(L, -1) == LUA_TNUMBER;
        if (v[i].isnum) {
            /* at most 24 bytes: the stack buffer never grows onto the heap */
            char buf[48];
            hp_jw kw;
            hp_jw_init(&kw, buf, sizeof buf);
            key_number(L, &kw, lua_gettop(L));
            lua_pushlstring(L, kw.buf, kw.len);
            hp_jw_free(&kw);
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

/* The depth limit is reached: raises, naming a cycle when the path of open tables holds one
 * table twice. Checked here rather than as each table opens (a lua_topointer call and a walk
 * of the path for every table, a measurable share of an encode: doc/json.md), with the same
 * outcome: once the walk enters a table a second time it replays the walk that led there, so
 * it never leaves that table again before the limit and both entries stay on the path;
 * before that, nothing repeats, and every value the replay meets was met, and written, the
 * first time. So a cycle raises this error whatever max_depth is, and no other error comes
 * first that a check at every table would not also have raised. The compares are
 * O(depth^2) (at most JE_MAX_DEPTH levels), on this error path only. */
static __attribute__((noinline, noreturn)) void too_deep(lua_State *L, encopts *o, int depth)
{
    jepath *path = o->e->path;
    for (int i = 0; i < depth; i++)
        path[i].p = lua_topointer(L, path[i].idx);
    for (int i = 0; i < depth; i++)
        for (int j = i + 1; j < depth; j++)
            if (path[i].p == path[j].p)
                luaL_error(L, "cannot encode a table that contains itself (cycle) as JSON");
    luaL_error(L, "cannot encode tables nested deeper than %d as JSON", o->max_depth);
    abort();   /* not reached */
}

/* Writes an empty table: [] with the array metatable or the empty_array option, else {}. */
static void encode_empty(lua_State *L, encopts *o, int t)
{
    int is_array_mt = 0;
    if (lua_getmetatable(L, t)) {
        is_array_mt = lua_rawequal(L, -1, o->array_mt);
        lua_pop(L, 1);
    }
    if (is_array_mt || o->empty_array)
        hp_jw_raw(&o->e->w, "[]", 2);
    else
        hp_jw_raw(&o->e->w, "{}", 2);
}

/* Writes the table at t as an object, in lua_next order, from its first pair, which lua_next
 * has left at top + 1 (key) and top + 2 (value). Inlined: its loop is the encoder's hot path.
 * May raise. */
static inline __attribute__((always_inline)) void encode_pairs(lua_State *L, encopts *o, int t,
                                                               int depth, int top)
{
    hp_jw_char(&o->e->w, '{');
    int first = 1;
    do {
        if (!first)
            hp_jw_char(&o->e->w, ',');
        first = 0;
        newline(o, depth + 1);
        encode_key(L, o, top + 1);
        encode_value(L, o, top + 2, depth + 1);
        lua_settop(L, top + 1);
    } while (lua_next(L, t));
    newline(o, depth);
    hp_jw_char(&o->e->w, '}');
}

/* Writes the table at stack index t (depth: tables open above it). Its first key decides the
 * walk: a string key makes it an object, written in that one lua_next pass; otherwise it is an
 * array when its keys are exactly 1..n. May raise. */
static __attribute__((noinline)) void encode_table(lua_State *L, encopts *o, int t, int depth)
{
    if (depth >= o->max_depth)
        too_deep(L, o, depth);
    if ((size_t)depth >= o->e->pathcap) {
        size_t ncap = o->e->pathcap ? o->e->pathcap * 2 : 64;
        jepath *np = realloc(o->e->path, ncap * sizeof *np);
        if (!np)
            luaL_error(L, "out of memory encoding JSON");
        o->e->path = np;
        o->e->pathcap = ncap;
    }
    o->e->path[depth].idx = t;
    /* A level holds at most 6 slots (encode_sorted's): room for 8 levels at a time. */
    if ((depth & 7) == 0 && !lua_checkstack(L, 6 * 8))
        luaL_error(L, "JSON encode: Lua stack exhausted");

    int top = lua_gettop(L);   /* the first key will be at top + 1, its value at top + 2 */
    lua_pushnil(L);
    if (!lua_next(L, t)) {
        encode_empty(L, o, t);
        return;
    }
    lua_Integer n = 0;
    if (lua_type(L, top + 1) != LUA_TSTRING)
        n = (lua_Integer)lua_rawlen(L, t);   /* a table whose border is 0 has no [1] */
    if (n == 0) {
        if (o->sort) {
            lua_settop(L, top);
            encode_sorted(L, o, t, depth, 0);
            return;
        }
        encode_pairs(L, o, t, depth, top);
        return;
    }
    /* The common array: lua_next yields exactly the keys 1..n in order (it walks the array
     * part first, in order), and the values are written in that one pass. On any other key
     * the writer is rewound and the table classified by counting its keys: an array whose
     * keys sit in the hash part, out of order, is still an array. */
    size_t mark = o->e->w.len;
    lua_Integer count = 0;
    hp_jw_char(&o->e->w, '[');
    do {
        if (count >= n || !je_key_is(L, top + 1, count + 1))
            break;
        if (count++)
            hp_jw_char(&o->e->w, ',');
        newline(o, depth + 1);
        encode_value(L, o, top + 2, depth + 1);
        lua_settop(L, top + 1);
    } while (lua_next(L, t));
    if (lua_gettop(L) == top && count == n) {   /* lua_next ended after exactly 1..n */
        newline(o, depth);
        hp_jw_char(&o->e->w, ']');
        return;
    }
    lua_settop(L, top);
    o->e->w.len = mark;
    int keys = 0, array = 1;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        keys++;
        if (array && !je_index(L, -1, n))
            array = 0;
    }
    if (keys != n)
        array = 0;
    if (array) {
        hp_jw_char(&o->e->w, '[');
        int vi = top + 1;
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1)
                hp_jw_char(&o->e->w, ',');
            newline(o, depth + 1);
            lua_rawgeti(L, t, i);
            encode_value(L, o, vi, depth + 1);
            lua_settop(L, top);
        }
        newline(o, depth);
        hp_jw_char(&o->e->w, ']');
        return;
    }
    if (o->sort) {
        encode_sorted(L, o, t, depth, keys);
        return;
    }
    lua_pushnil(L);
    lua_next(L, t);   /* the table has keys: it was counted above */
    encode_pairs(L, o, t, depth, top);
}

void je_encode(lua_State *L, encopts *o)
{
    o->e->w.len = 0;
    o->e->w.oom = 0;
    encode_value(L, o, 1, 0);
}

void je_free(lencoder *e)
{
    hp_jw_free(&e->w);
    free(e->path);
    e->path = NULL;
    e->pathcap = 0;
}
