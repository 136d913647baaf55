/* One-pass builder of Lua values from a JSON tape (hp_json_tape, json/json.h).
 *
 * Why a tape walk: the tape is already pre-order with container counts, so tables are created
 * pre-sized and filled as the words go by, with no intermediate records and no allocation
 * beyond the Lua values themselves. Open containers live on the Lua stack (a table, plus its
 * pending key for objects), their array index / kind in a growable C array owned by the
 * caller's userdata (jb_stack). When the Lua stack has no room for another level (LuaJIT lets
 * a C function hold about 8000 slots, Lua 5.4 a million) the open levels are moved into a
 * spill table and brought back, a chunk at a time, as their containers close: any nesting the
 * depth limit allows fits, under either ABI, with no second builder. The same move lets a
 * build stop after a budget of words and go on in a later call (hooked decode: a Lua loop
 * calls the build and the hook in turn, so the hook may yield under both ABIs). */
#include "jsonbuild.h"

#include <stdlib.h>
#include <string.h>

void jb_stack_free(jb_stack *st)
{
    free(st->v);
    st->v = NULL;
    st->cap = 0;
    free(st->chunks);
    st->chunks = NULL;
    st->chunkcap = st->nchunks = 0;
}

void jb_decoder_free(jb_decoder *d)
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

/* The string cache: short strings (keys, and values like "ok" or "alpha") repeat within and
 * across documents, and pushing a cached string (lua_rawgeti from an array) costs a third of
 * interning it again (hashing every byte, a chain walk, a memcmp). Two-way set-associative
 * (so two keys that collide do not evict each other on every object), JB_CACHE slots; slot
 * k's string is anchored at index k + 1 of a Lua table the caller keeps alive (so the byte
 * pointers here stay valid), and its bytes and length are recorded here.
 *
 * The cache of one build: entries, the anchor table's stack index, and the insertion policy,
 * counted apart for keys and for values: a string that misses is inserted only while that
 * kind's misses stay within 16 + 4 x its hits, so a document of unique values (names, ids)
 * stops paying for insertions that would never hit and does not evict the keys, which
 * repeat in every real document. */
typedef struct { jb_centry *e; int idx; unsigned hits[2], misses[2]; } jb_cache;

/* An empty slot has a length no string can have, so a lookup never matches it. */
jb_centry *jb_cache_new(void)
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
    /* (lua_rawgeti): the library function itself, not lcompat.h's shim, which adds a call of
     * lua_type under LuaJIT for a result not used here. */
    (lua_rawgeti)(L, c->idx, (int)(k + way) + 1);
    c->hits[is_key]++;
    return;
miss:
    jb_push_miss(L, c, is_key, s, n, k, a, b);
}

/* An integer that a number without an integer subtype (LuaJIT) cannot hold exactly (beyond
 * +-2^53, or any uint64 above int64): bigint 2 pushes the nearest double, 1 its decimal text,
 * 0 what hooks.int64 (hooks: a stack index) makes of its 8 bytes (int64/uint64 cdata). May
 * raise (allocation, the hook's errors, no hook). */
static __attribute__((noinline, cold)) void jb_bigint(lua_State *L, uint64_t raw, int is_unsigned,
                                                int bigint, int hooks)
{
    if (bigint == 2) {
        lua_pushnumber(L, is_unsigned ? (lua_Number)raw : (lua_Number)(int64_t)raw);
    } else if (bigint == 1) {
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
    } else {
        if (!lua_checkstack(L, 4))
            luaL_error(L, "JSON too deep for the Lua stack");
        if (!hooks || lua_getfield(L, hooks, "int64") != LUA_TFUNCTION)
            luaL_error(L, "JSON integer beyond +-2^53 and no int64 hook");
        lua_pushlstring(L, (const char *)&raw, 8);
        lua_pushboolean(L, is_unsigned);
        lua_call(L, 2, 1);
    }
}

void jb_push_int(lua_State *L, uint64_t raw, int is_unsigned, int bigint, int hooks)
{
    if (HP_LUA_INTEGERS) {
        if (is_unsigned)
            lua_pushnumber(L, (lua_Number)raw);   /* above int64: a float, as lua-cjson does */
        else
            lua_pushinteger(L, (lua_Integer)(int64_t)raw);
        return;
    }
    int64_t v = (int64_t)raw;
    if (!is_unsigned && v < 9007199254740992LL && v > -9007199254740992LL)
        lua_pushnumber(L, (lua_Number)v);
    else
        jb_bigint(L, raw, is_unsigned, bigint, hooks);
}

void jb_pos_init(jb_pos *pos, const hp_json_tape *t)
{
    memset(pos, 0, sizeof *pos);
    pos->tape = *t;
    pos->i = pos->mark = t->begin;
    pos->next_release = t->release_every ? t->begin + t->release_every : (size_t)-1;
}

/* The slots that open levels lo + 1 .. hi hold on the Lua stack: a table, and for an object
 * its pending key (pushed as soon as the level opens or a member is stored). */
static size_t level_slots(const lua_Integer *lv, size_t lo, size_t hi)
{
    size_t n = 0;
    for (size_t d = lo + 1; d <= hi; d++)
        n += lv[d] ? 1 : 2;
    return n;
}

/* Moves the open levels on the stack (above base: levels wbase + 1 .. depth) into the spill
 * table at o->spill (made on first use), as one chunk. May raise (allocation). */
static __attribute__((noinline, cold)) void spill(lua_State *L, jb_stack *st, jb_pos *pos,
                                                  const jb_opts *o, int base)
{
    int top = lua_gettop(L);
    if (top == base)
        return;
    if (st->nchunks == st->chunkcap) {
        size_t ncap = st->chunkcap ? st->chunkcap * 2 : 16;
        size_t *nc = realloc(st->chunks, ncap * sizeof *nc);
        if (!nc)
            luaL_error(L, "out of memory decoding JSON");
        st->chunks = nc;
        st->chunkcap = ncap;
    }
    if (lua_isnil(L, o->spill)) {
        lua_createtable(L, top - base, 0);
        lua_replace(L, o->spill);
    }
    for (int k = base + 1; k <= top; k++) {
        lua_pushvalue(L, k);
        lua_rawseti(L, o->spill, (lua_Integer)++pos->nspill);
    }
    lua_settop(L, base);
    st->chunks[st->nchunks++] = pos->wbase;
    pos->wbase = pos->depth;
}

/* Brings the last spilled chunk back onto the stack, below the complete value on top. May
 * raise (Lua stack exhausted). */
static __attribute__((noinline, cold)) void unspill(lua_State *L, jb_stack *st, jb_pos *pos,
                                                    const jb_opts *o)
{
    size_t lo = st->chunks[--st->nchunks];
    size_t n = level_slots(st->v, lo, pos->wbase);
    if (n > (size_t)1 << 20 || !lua_checkstack(L, (int)n + 8))
        luaL_error(L, "JSON too deep for the Lua stack");
    int v = lua_gettop(L);
    for (size_t k = pos->nspill - n + 1; k <= pos->nspill; k++)
        lua_rawgeti(L, o->spill, (lua_Integer)k);
    pos->nspill -= n;
    lua_pushvalue(L, v);
    lua_remove(L, v);
    pos->wbase = lo;
}

int jb_build(lua_State *L, jb_stack *st, jb_pos *pos, const jb_opts *o)
{
    const hp_json_tape *t = &pos->tape;
    const uint64_t *w = t->words;
    const uint8_t *strings = t->strings;
    size_t i = pos->i, depth = pos->depth, max_depth = t->max_depth, room = 0;
    size_t wbase = pos->wbase;   /* levels 1 .. wbase are spilled, not on the stack */
    jb_cache c = { o->cache, o->cidx, { 0, 0 }, { 0, 0 } };
    size_t next_release = pos->next_release;
    size_t stop = o->budget == (size_t)-1 ? (size_t)-1 : i + o->budget;
    int use_mt = o->use_mt, base = lua_gettop(L);
    /* One compare per value for both: a release of consumed pages, the end of the budget. */
    size_t next_check = next_release < stop ? next_release : stop;
    lua_Integer *lv = st->v;
    if (depth == 0)
        st->nchunks = 0;   /* nothing is spilled yet: forget what a build that raised left */
    for (;;) {
        if (i >= next_check) {
            if (i >= next_release) {
                /* Large decode: hand back the pages of the words and strings behind us (the
                 * strings are stored in document order: up to the end of the last string
                 * passed). Found by a forward pass over the words since the last release
                 * (number payload words are skipped, never read as tags). */
                size_t strbytes = pos->strbytes;
                for (size_t j = pos->mark; j < i;) {
                    uint64_t y = w[j];
                    unsigned tag = (unsigned)(y >> 56);
                    if (tag == HP_JSON_TAG_STRING)
                        strbytes = (size_t)(y & 0x00FFFFFFFFFFFFFFull);
                    j += (tag == HP_JSON_TAG_INT || tag == HP_JSON_TAG_UINT ||
                          tag == HP_JSON_TAG_DOUBLE) ? 2 : 1;
                }
                pos->mark = i;
                pos->strbytes = strbytes;
                hp_json_tape_release(t->owner, i, strbytes);
                next_release = i + t->release_every;
            }
            if (i >= stop) {   /* the budget is spent: park the open levels, stop */
                pos->i = i;
                pos->depth = depth;
                pos->next_release = next_release;
                spill(L, st, pos, o, base);
                return JB_MORE;
            }
            next_check = next_release < stop ? next_release : stop;
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
                    pos->depth = depth;
                    spill(L, st, pos, o, base);
                    wbase = pos->wbase;
                    if (!lua_checkstack(L, 40))
                        luaL_error(L, "JSON too deep for the Lua stack");
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
            if (HP_LUA_INTEGERS)
                lua_pushinteger(L, (lua_Integer)v);
            else if (v < 9007199254740992LL && v > -9007199254740992LL)
                lua_pushnumber(L, (lua_Number)v);
            else
                jb_bigint(L, (uint64_t)v, 0, o->bigint, o->hooks);
            i += 2;
            break;
        }
        case HP_JSON_TAG_UINT:
            if (HP_LUA_INTEGERS)
                lua_pushnumber(L, (lua_Number)w[i + 1]);
            else
                jb_bigint(L, w[i + 1], 1, o->bigint, o->hooks);
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
            if (depth == 0) {
                pos->i = i;
                pos->depth = 0;
                return JB_OK;
            }
            if (depth == wbase) {   /* the parent was spilled: bring its chunk back */
                unspill(L, st, pos, o);
                wbase = pos->wbase;
                room = 0;
            }
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
