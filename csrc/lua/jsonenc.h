/* The JSON encoder of the binding (Lua values -> hp_jw writer), compiled once per Lua ABI like
 * every file here. ljson.c owns the encoder userdata and registers json.encode. */
#ifndef HP_LUA_JSONENC_H
#define HP_LUA_JSONENC_H
#include "lcompat.h"
#include "json/json.h"
#include "json/writer.h"

/* The deepest nesting encode accepts: each level is a C call (json.h's constant, which the Lua
 * layer reads from consts.lua). */
enum { JE_MAX_DEPTH = HP_JSON_ENCODE_MAX_DEPTH };

/* A level of the path of open tables: its stack index, and (filled only when the depth limit
 * is reached, to tell a cycle from deep data) its address. */
typedef struct { int idx; const void *p; } jepath;

/* An encoder: the writer and the path of open tables (cycle detection). Owned by a userdata,
 * so raising in the middle of an encode leaks nothing; the buffer is reused across calls and
 * shrunk after large outputs. busy: an encode is using w and path (reentrant calls, ljson.c). */
typedef struct {
    hp_jw w;
    jepath *path;
    size_t pathcap;
    int busy;
} lencoder;

/* One encode's options. array_mt: stack index of the array metatable. hooks: stack index of
 * a table whose field "text", when it is a function, gives the JSON text of a value of a type
 * the encoder does not know (LuaJIT's int64 cdata) or nil; 0: no such table. */
typedef struct {
    lencoder *e;
    int sort, indent, empty_array, allow_nan, max_depth;
    int array_mt, hooks;
} encopts;

/* Encodes the value at stack index 1 into o->e's writer (reset first) and leaves the text
 * there (oom checked by the caller). Raises (luaL_error) for values JSON cannot hold, cycles
 * and nesting beyond o->max_depth (at most JE_MAX_DEPTH); no C memory is live then. */
void je_encode(lua_State *L, encopts *o);

/* Frees the writer and path of e (its userdata's __gc); idempotent. */
void je_free(lencoder *e);

#endif
