/* Copying plain Lua values between Lua states (see lcopy.h). */
#include "lcopy.h"
#include "lua/lcompat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void hp_lcopy_put(hp_lcopy_buf *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_tag(hp_lcopy_buf *b, char t) { hp_lcopy_put(b, &t, 1); }

/* Encodes the value at idx; on an uncopyable value returns its description in why. Never
 * raises (uses only non-raising API calls besides lua_next on a valid table). */
int hp_lcopy_encode(lua_State *L, int idx, hp_lcopy_buf *b, int depth, const char **why)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: put_tag(b, 'n'); return 1;
    case LUA_TBOOLEAN: put_tag(b, lua_toboolean(L, idx) ? 't' : 'f'); return 1;
    case LUA_TNUMBER: {
        /* LuaJIT: a number with an integral value (lcompat.h), exact in either form */
        if (lua_isinteger(L, idx)) {
            int64_t v = (int64_t)lua_tointeger(L, idx);
            put_tag(b, 'i');
            hp_lcopy_put(b, &v, sizeof v);
            return 1;
        }
        double d = (double)lua_tonumber(L, idx);
        put_tag(b, 'd');
        hp_lcopy_put(b, &d, sizeof d);
        return 1;
    }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        put_tag(b, 's');
        hp_lcopy_put(b, &len, sizeof len);
        hp_lcopy_put(b, s, len);
        return 1;
    }
    case LUA_TTABLE:
        if (depth >= HP_LCOPY_MAX_DEPTH) {
            *why = "a table nested too deeply (or a cycle)";
            return 0;
        }
        if (lua_getmetatable(L, idx)) {
            lua_pop(L, 1);
            *why = "a table with a metatable";
            return 0;
        }
        /* key and value of this level, plus the nested level's lua_getmetatable: a C
         * function is promised only LUA_MINSTACK slots, and 64 levels push ~130 */
        if (!lua_checkstack(L, 3)) {
            *why = HP_LCOPY_DEEP_MSG;
            return 0;
        }
        put_tag(b, '{');
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            if (!hp_lcopy_encode(L, -2, b, depth + 1, why) || !hp_lcopy_encode(L, -1, b, depth + 1, why)) {
                lua_pop(L, 2);
                return 0;
            }
            lua_pop(L, 1);
        }
        put_tag(b, '}');
        return 1;
    default:
        *why = lua_typename(L, lua_type(L, idx));
        return 0;
    }
}

/* Pushes the value encoded at *p (advancing it); 0 (with nothing more pushed than the
 * partial table) when the Lua stack cannot grow for a nested table. May raise only on memory
 * errors. */
int hp_lcopy_decode(lua_State *L, const char **p)
{
    char t = *(*p)++;
    switch (t) {
    case 'n': lua_pushnil(L); break;
    case 't': lua_pushboolean(L, 1); break;
    case 'f': lua_pushboolean(L, 0); break;
    case 'i': {
        int64_t v;
        memcpy(&v, *p, sizeof v);
        *p += sizeof v;
        lua_pushinteger(L, (lua_Integer)v);
        break;
    }
    case 'd': {
        double d;
        memcpy(&d, *p, sizeof d);
        *p += sizeof d;
        lua_pushnumber(L, (lua_Number)d);
        break;
    }
    case 's': {
        size_t len;
        memcpy(&len, *p, sizeof len);
        *p += sizeof len;
        lua_pushlstring(L, *p, len);
        *p += len;
        break;
    }
    case '{':
        if (!lua_checkstack(L, 3))
            return 0;
        lua_newtable(L);
        while (**p != '}') {
            if (!hp_lcopy_decode(L, p) || !hp_lcopy_decode(L, p))
                return 0;
            lua_rawset(L, -3);
        }
        (*p)++;
        break;
    default: lua_pushnil(L); break;
    }
    return 1;
}

