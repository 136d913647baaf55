/* Copying plain Lua values between Lua states that never meet (the caller's state and the
 * pool's worker states): a flat byte encoding of nil, booleans, numbers, strings and plain
 * tables (no metatables, no cycles, at most HP_LCOPY_MAX_DEPTH levels). Part of csrc/luart/,
 * compiled into hotpath.core once per Lua ABI. */
#ifndef HP_LCOPY_H
#define HP_LCOPY_H
#include <stddef.h>
#include <lua.h>

enum { HP_LCOPY_MAX_DEPTH = 64 };
#define HP_LCOPY_DEEP_MSG "a table nested too deeply for the Lua stack"

/* A growable byte buffer; oom is set (and later puts are dropped) when it cannot grow. */
typedef struct hp_lcopy_buf {
    char *p;
    size_t len, cap;
    int oom;
} hp_lcopy_buf;

void hp_lcopy_put(hp_lcopy_buf *b, const void *src, size_t n);

/* Appends the value at idx; 0 with its description in *why when it cannot be copied. Never
 * raises. */
int hp_lcopy_encode(lua_State *L, int idx, hp_lcopy_buf *b, int depth, const char **why);

/* Pushes the value encoded at *p and advances *p; 0 when the Lua stack cannot grow for a
 * nested table. May raise on memory errors only (call it in protected mode). */
int hp_lcopy_decode(lua_State *L, const char **p);

#endif
