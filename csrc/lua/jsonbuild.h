/* One-pass builder of Lua values from a JSON tape (hp_json_tape, json/json.h), shared by the
 * Lua 5.4 binding (ljson.c) and the LuaJIT C module (jit/ljit.c): the same C compiled
 * once per Lua ABI (define JB_LUAJIT for LuaJIT's 5.1 API, where numbers are doubles).
 *
 * Why a tape walk: the tape is already pre-order with container counts, so tables are created
 * pre-sized and filled as the words go by, with no intermediate records and no allocation
 * beyond the Lua values themselves. Open containers live on the Lua stack (a table, plus its
 * pending key for objects), their array index / kind in a growable C array owned by the
 * caller's userdata (jb_stack), so no nesting depth can overflow either stack and a raising
 * Lua allocation leaks nothing. Included by exactly one .c file per module. */
#ifndef HP_LUA_JSONBUILD_H
#define HP_LUA_JSONBUILD_H
#include <lua.h>
#include <lauxlib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "json/json.h"

/* Per open container: 0 for an object, else the next array index (from 1). */
typedef struct { lua_Integer *v; size_t cap; } jb_stack;

/* The string cache: short strings (keys, and values like "ok" or "alpha") repeat within and
 * across documents, and pushing a cached string (lua_rawgeti from an array) costs a third of
 * interning it again (hashing every byte, a chain walk, a memcmp). Two-way set-associative
 * (so two keys that collide do not evict each other on every object), JB_CACHE slots; slot
 * k's string is anchored at index k + 1 of a Lua table the caller keeps alive
 * (so the byte pointers here stay valid), and its bytes and length are recorded here. */
enum { JB_CACHE = 1024, JB_CACHE_MAXLEN = 40 };
typedef struct { uint64_t a, b; const char *s; size_t n; } jb_centry;

enum { JB_OK = 0, JB_DEEP = 1, JB_FALLBACK = 2 };

/* Frees the level array (the owner's __gc). Idempotent. */
static void jb_stack_free(jb_stack *st)
{
    free(st->v);
    st->v = NULL;
    st->cap = 0;
}

/* What a binding keeps per decoder handle (the Lua 5.4 parser userdata, LuaJIT's jitcore
 * decoder): the parser, and the level array and string cache of the builder, all reused
 * across calls; busy while a build reads the parser's tape (see the bindings). */
typedef struct { hp_json_parser *p; jb_stack levels; jb_centry *cache; int busy; } jb_decoder;

/* Frees everything a decoder holds (its owner's __gc). Idempotent. */
static void jb_decoder_free(jb_decoder *d)
{
    hp_json_parser_free(d->p);
    d->p = NULL;
    jb_stack_free(&d->levels);
    free(d->cache);
    d->cache = NULL;
}

/* Makes room for level index d. May raise (out of memory): nothing is live then, the array
 * belongs to the caller's userdata. */
static lua_Integer *jb_grow(lua_State *L, jb_stack *st, size_t d)
{
    if (d < st->cap)
        return st->v;
    size_t ncap = st->cap ? st->cap * 2 : 64;
    while (ncap <= d)
        ncap *= 2;
    lua_Integer *nv = realloc(st->v, ncap * sizeof *nv);
    if (!nv)
        luaL_error(L, "out of memory decoding JSON");
    st->v = nv;
    st->cap = ncap;
    return nv;
}

/* The cache of one build: entries, the anchor table's stack index, and the insertion policy,
 * counted apart for keys and for values: a string that misses is inserted only while that
 * kind's misses stay within 16 + 4 x its hits, so a document of unique values (names, ids)
 * stops paying for insertions that would never hit and does not evict the keys, which
 * repeat in every real document. */
typedef struct { jb_centry *e; int idx; unsigned hits[2], misses[2]; } jb_cache;

/* New cache entries, all empty (NULL when out of memory: decode then goes uncached). An
 * empty slot has a length no string can have, so a lookup never matches it. Never raises. */
static jb_centry *jb_cache_new(void)
{
    jb_centry *e = aligned_alloc(64, JB_CACHE * sizeof *e);   /* a slot pair per cache line */
    if (e)
        for (size_t k = 0; k < JB_CACHE; k++)
            e[k] = (jb_centry){ 0, 0, NULL, (size_t)-1 };
    return e;
}

/* A miss of slot pair k for the string s, n bytes (a, b: its key words): pushes a new string,
 * then records it in slot k (the previous one aged into k + 1) unless the policy says no.
 * Kept out of line so the hit path stays small where it is inlined. May raise. */
static __attribute__((noinline)) void jb_push_miss(lua_State *L, jb_cache *c, int is_key,
                                                   const char *s, size_t n, size_t k,
                                                   uint64_t a, uint64_t b)
{
    lua_pushlstring(L, s, n);
    if (++c->misses[is_key] > 16 + 4 * c->hits[is_key])
        return;
    jb_centry *e = &c->e[k];
    if (e[0].s) {   /* age the newer entry into the second way */
        lua_rawgeti(L, c->idx, (lua_Integer)k + 1);
        lua_rawseti(L, c->idx, (lua_Integer)k + 2);
        e[1] = e[0];
    }
    lua_pushvalue(L, -1);
    lua_rawseti(L, c->idx, (lua_Integer)k + 1);
    e->s = lua_tostring(L, -1);
    e->n = n;
    e->a = a;
    e->b = b;
}

/* Pushes the tape string at word, through the cache c when c->e is not NULL and the string
 * is short. Inlined at its three call sites: a hit (the common case: keys, and values like
 * "ok") is a hash, one compare and one lua_rawgeti. May raise (allocation). */
static inline __attribute__((always_inline)) void
jb_push_string(lua_State *L, const uint8_t *strings, uint64_t word, jb_cache *c, int is_key)
{
    const uint8_t *p = strings + (word & 0x00FFFFFFFFFFFFFFull);
    uint32_t n;
    memcpy(&n, p, 4);
    const char *s = (const char *)p + 4;
    if (n > JB_CACHE_MAXLEN || !c->e) {
        lua_pushlstring(L, s, n);
        return;
    }
    /* a, b: the first and last 8 bytes, which with n identify strings of up to 16 bytes.
     * Reading 8 bytes at s is in bounds for any n (json.h: the tape's strings are padded);
     * the bytes past a short string are masked off. */
    uint64_t a, b = 0;
    memcpy(&a, s, 8);
    if (n < 8)
        a &= ((uint64_t)1 << (8 * n)) - 1;
    else
        memcpy(&b, s + n - 8, 8);
    uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ n;
    /* Two-way: the pair of slots k, k + 1 (one 64-byte line); the newer string in k. */
    size_t k = (size_t)(h >> 54) & (JB_CACHE - 2);
    const jb_centry *e = &c->e[k];
    size_t way = 0;
    if (e[0].a != a || e[0].b != b || e[0].n != n) {
        way = 1;
        if (e[1].a != a || e[1].b != b || e[1].n != n)
            goto miss;
    }
    if (n > 16 && memcmp(s + 8, e[way].s + 8, n - 16) != 0)
        goto miss;
    lua_rawgeti(L, c->idx, (lua_Integer)(k + way) + 1);
    c->hits[is_key]++;
    return;
miss:
    jb_push_miss(L, c, is_key, s, n, k, a, b);
}

#ifdef JB_LUAJIT
/* An integer beyond +-2^53 under LuaJIT: bigint 1 pushes its decimal text, 2 a double;
 * 0 (int64 cdata) cannot be made through the C API: the caller falls back to the FFI
 * builder for this document (returns 0 then). */
static int jb_bigint(lua_State *L, uint64_t raw, int is_unsigned, int bigint)
{
    if (bigint == 2) {
        lua_pushnumber(L, is_unsigned ? (lua_Number)raw : (lua_Number)(int64_t)raw);
        return 1;
    }
    if (bigint == 1) {
        char buf[24], *e = buf + sizeof buf, *q = e;
        int neg = !is_unsigned && (int64_t)raw < 0;
        uint64_t u = neg ? (uint64_t)0 - raw : raw;
        do {
            *--q = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (neg)
            *--q = '-';
        lua_pushlstring(L, q, (size_t)(e - q));
        return 1;
    }
    return 0;
}
#endif

/* A build that calls a Lua function (the hook) about every `every` tape words, so that a
 * large decode can let other work run (OpenResty's ngx.sleep(0), a progress report). Lua 5.4
 * only (LuaJIT's hooked builds take the FFI builder): the hook may yield; the build then
 * continues in the caller's continuation k, which calls jb_build again with the same hook
 * state (the open tables wait on the Lua stack, the loop's position is saved here). The
 * state must stay at a fixed stack index of the caller (a userdata) across the yield. */
typedef struct {
    hp_json_tape tape;       /* the tape being built (valid: the parser is the build's own) */
    size_t every;            /* words between calls */
    int fn;                  /* stack index of the hook function */
    int (*k)(lua_State *L, int status, intptr_t ctx);  /* the caller's continuation */
    int resume;              /* set while the hook runs: jb_build restores the state below */
    size_t i, depth, next_release, next_hook, mark, strbytes;
} jb_hook;

/* Pushes the value whose tape starts at t->begin. Returns JB_OK (the value on top), JB_DEEP
 * (nesting beyond t->max_depth) or JB_FALLBACK (LuaJIT only: an integer beyond +-2^53 with
 * bigint 0, or nesting beyond what LuaJIT lets a C function hold on the Lua stack, about
 * 4000 levels: the FFI builder does those);
 * on those the stack is left above base and the caller resets it. use_mt: stack index of the
 * array metatable, or 0; ce, cidx: the string cache and its anchor table's stack index
 * (ce NULL: no cache). hk: NULL, or a hook (above; Lua 5.4: t is then hk->tape, and a call
 * with hk->resume set continues a build suspended in its hook). May raise (Lua allocation,
 * Lua stack exhausted, the hook's errors). */
static int jb_build(lua_State *L, const hp_json_tape *t, jb_stack *st, int use_mt, int bigint,
                    jb_centry *ce, int cidx, jb_hook *hk)
{
    const uint64_t *w = t->words;
    const uint8_t *strings = t->strings;
    size_t i = t->begin, depth = 0, max_depth = t->max_depth, room = 0;
    jb_cache c = { ce, cidx, { 0, 0 }, { 0, 0 } };
    size_t next_release = t->release_every ? i + t->release_every : (size_t)-1;
    size_t next_hook = hk ? i + hk->every : (size_t)-1;
    size_t mark = i, strbytes = 0;   /* released up to: a word boundary, a string offset */
    if (hk && hk->resume) {          /* back from a hook that yielded */
        hk->resume = 0;
        i = hk->i;
        depth = hk->depth;
        next_release = hk->next_release;
        next_hook = hk->next_hook;
        mark = hk->mark;
        strbytes = hk->strbytes;
    }
    /* One compare per value for both periodic jobs below. */
    size_t next_check = next_release < next_hook ? next_release : next_hook;
    lua_Integer *lv = st->v;
    (void)bigint;
    for (;;) {
        if (i >= next_check) {
            if (i >= next_release) {
                /* Large decode: hand back the pages of the words and strings behind us (the
                 * strings are stored in document order: up to the end of the last string
                 * passed). Found by a forward pass over the words since the last release
                 * (number payload words are skipped, never read as tags). */
                for (size_t j = mark; j < i;) {
                    uint64_t y = w[j];
                    unsigned tag = (unsigned)(y >> 56);
                    if (tag == HP_JSON_TAG_STRING)
                        strbytes = (size_t)(y & 0x00FFFFFFFFFFFFFFull);
                    j += (tag == HP_JSON_TAG_INT || tag == HP_JSON_TAG_UINT ||
                          tag == HP_JSON_TAG_DOUBLE) ? 2 : 1;
                }
                mark = i;
                hp_json_tape_release(t->owner, i, strbytes);
                next_release = i + t->release_every;
            }
#ifndef JB_LUAJIT
            if (i >= next_hook) {
                next_hook = i + hk->every;
                hk->i = i;
                hk->depth = depth;
                hk->next_release = next_release;
                hk->next_hook = next_hook;
                hk->mark = mark;
                hk->strbytes = strbytes;
                hk->resume = 1;
                if (!lua_checkstack(L, 2))
                    luaL_error(L, "JSON too deep for the Lua stack");
                lua_pushvalue(L, hk->fn);
                lua_callk(L, 0, 0, 0, hk->k);   /* a yield continues in hk->k */
                hk->resume = 0;
                room = 0;
            }
#endif
            next_check = next_release < next_hook ? next_release : next_hook;
        }
        uint64_t x = w[i];
        switch ((unsigned)(x >> 56)) {
        case HP_JSON_TAG_ARRAY:
        case HP_JSON_TAG_OBJECT: {
            int obj = (unsigned)(x >> 56) == HP_JSON_TAG_OBJECT;
            int cnt = (int)((x >> 32) & HP_JSON_COUNT_SAT);
            if (depth >= max_depth)
                return JB_DEEP;
            /* Each open level holds a table and a key: check the Lua stack every 16. */
            if (room < 3) {
                if (!lua_checkstack(L, 40)) {
#ifdef JB_LUAJIT
                    return JB_FALLBACK;   /* LuaJIT gives a C function 8000 slots at most */
#else
                    luaL_error(L, "JSON too deep for the Lua stack");
#endif
                }
                room = 36;
            }
            if (obj) {
                lua_createtable(L, 0, cnt);
            } else {
                lua_createtable(L, cnt, 0);
                if (use_mt) {
                    lua_pushvalue(L, use_mt);
                    lua_setmetatable(L, -2);
                }
            }
            i++;
            if ((unsigned)(w[i] >> 56) == (obj ? HP_JSON_TAG_END_OBJECT : HP_JSON_TAG_END_ARRAY)) {
                i++;
                break;   /* empty: a complete value */
            }
            depth++;
            room -= 2;
            if (depth >= st->cap)
                lv = jb_grow(L, st, depth);
            lv[depth] = obj ? 0 : 1;
            if (obj)
                jb_push_string(L, strings, w[i++], &c, 1);
            continue;
        }
        case HP_JSON_TAG_STRING:
            jb_push_string(L, strings, x, &c, 0);
            i++;
            break;
        case HP_JSON_TAG_INT: {
            int64_t v = (int64_t)w[i + 1];
#ifdef JB_LUAJIT
            if (v < 9007199254740992LL && v > -9007199254740992LL)
                lua_pushnumber(L, (lua_Number)v);
            else if (!jb_bigint(L, (uint64_t)v, 0, bigint))
                return JB_FALLBACK;
#else
            lua_pushinteger(L, (lua_Integer)v);
#endif
            i += 2;
            break;
        }
        case HP_JSON_TAG_UINT:
#ifdef JB_LUAJIT
            if (!jb_bigint(L, w[i + 1], 1, bigint))
                return JB_FALLBACK;
#else
            lua_pushnumber(L, (lua_Number)w[i + 1]);
#endif
            i += 2;
            break;
        case HP_JSON_TAG_DOUBLE: {
            double d;
            memcpy(&d, &w[i + 1], 8);
            lua_pushnumber(L, d);
            i += 2;
            break;
        }
        case HP_JSON_TAG_TRUE: lua_pushboolean(L, 1); i++; break;
        case HP_JSON_TAG_FALSE: lua_pushboolean(L, 0); i++; break;
        default: lua_pushlightuserdata(L, NULL); i++; break;   /* NULL */
        }
        /* A complete value is on top: store it in its parent, closing finished parents. */
        for (;;) {
            if (depth == 0)
                return JB_OK;
            lua_Integer ix = lv[depth];
            if (ix) {
                lua_rawseti(L, -2, ix);
                lv[depth] = ix + 1;
            } else {
                lua_rawset(L, -3);
            }
            unsigned tag = (unsigned)(w[i] >> 56);
            if (tag == HP_JSON_TAG_END_ARRAY || tag == HP_JSON_TAG_END_OBJECT) {
                i++;
                depth--;
                room += 2;
                continue;
            }
            if (!ix)
                jb_push_string(L, strings, w[i++], &c, 1);
            break;
        }
    }
}

#endif
