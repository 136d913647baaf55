/* The builder of Lua values from a JSON tape (hp_json_tape, json/json.h), used by ljson.c for
 * decode, hooked decode and doc:decode(). Compiled once per Lua ABI like every file here
 * (integers: lcompat.h's HP_LUA_INTEGERS). See jsonbuild.c for how it works. */
#ifndef HP_LUA_JSONBUILD_H
#define HP_LUA_JSONBUILD_H
#include <stddef.h>
#include <stdint.h>
#include "lcompat.h"
#include "json/json.h"

/* The string cache: JB_CACHE slots of strings up to JB_CACHE_MAXLEN bytes (jsonbuild.c). */
enum { JB_CACHE = 1024, JB_CACHE_MAXLEN = 40 };
typedef struct { uint64_t a, b; const char *s; size_t n; } jb_centry;

/* Growable C arrays of a build, owned by the caller's userdata so that a raising Lua
 * allocation leaks nothing: per open container its next array index (0: an object), and the
 * open depth at which each chunk of spilled levels starts. */
typedef struct {
    lua_Integer *v;
    size_t cap;
    size_t *chunks;
    size_t nchunks, chunkcap;
} jb_stack;

/* What ljson.c keeps per parser userdata: the parser, and the builder's level array and
 * string cache, reused across calls; busy while a build reads the parser's tape. p and busy
 * first: LuaJIT's FFI fast paths read them (ljson.c static_asserts the layout). */
typedef struct { hp_json_parser *p; int busy; jb_stack levels; jb_centry *cache; } jb_decoder;

/* Where a build stands: its tape and position, so a build can stop and go on (hooked decode). */
typedef struct {
    hp_json_tape tape;
    size_t i, depth, wbase, nspill, next_release, mark, strbytes;
} jb_pos;

/* A build's Lua side: stack indices of the array metatable (0: none), of a hooks table whose
 * field int64 is a function (8 bytes, unsigned) -> int64/uint64 cdata (0: none), of the
 * cache's anchor table (with cache, NULL: no cache) and of the spill slot (a nil or a table the
 * builder makes and owns: the levels it moves off the Lua stack). bigint: the LuaJIT mode for
 * integers beyond +-2^53: 0 hooks.int64, 1 decimal text, 2 a float (unused where numbers have
 * an integer subtype). budget: tape words to build before returning JB_MORE ((size_t)-1: all). */
typedef struct {
    int use_mt, hooks, cidx, spill, bigint;
    jb_centry *cache;
    size_t budget;
} jb_opts;

enum { JB_OK = 0, JB_DEEP = 1, JB_MORE = 2 };

/* New cache entries, all empty (NULL when out of memory: decode goes uncached). Never raises. */
jb_centry *jb_cache_new(void);

/* Frees everything a decoder holds (its owner's __gc); idempotent. The stack alone: jb_stack_free. */
void jb_decoder_free(jb_decoder *d);
void jb_stack_free(jb_stack *st);

/* Pushes a tape integer (raw: its word; is_unsigned: a uint64 above int64): an integer where
 * numbers have an integer subtype (uint64 above int64: a float), else as jb_opts' bigint and
 * hooks say when a double cannot hold it. May raise. */
void jb_push_int(lua_State *L, uint64_t raw, int is_unsigned, int bigint, int hooks);

/* Starts pos at the beginning of tape t. */
void jb_pos_init(jb_pos *pos, const hp_json_tape *t);

/* Builds from pos. JB_OK: the value is on top of the stack. JB_DEEP: nesting beyond the tape's
 * max_depth (the stack is left above its entry top; the caller resets it). JB_MORE: o->budget
 * words were built; every open level is in the spill table and the stack is as on entry; call
 * again with the same st, pos and spill table to go on. May raise (Lua allocation, the int64
 * maker's errors); nothing C-owned is live then. */
int jb_build(lua_State *L, jb_stack *st, jb_pos *pos, const jb_opts *o);

#endif
