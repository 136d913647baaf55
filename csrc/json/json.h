/* hotpath:abi
 * JSON on simdjson: a parser handle, full decode into a flat record stream, and lazy access
 * to a parsed document by node (RFC 6901 pointers, children, subtrees).
 * Read by LuaJIT's ffi.cdef (see tools/gen_cdef.sh): no macros in declarations.
 *
 * Memory and lifetime: a parser owns one document at a time. Every hp_json_parse returns a
 * new generation number; node functions take the generation their document was parsed in
 * and fail with HP_EINVAL ("document ... reused") when the parser has parsed since, so a
 * stale document can never read freed memory. Records and string pointers handed out are
 * owned by the parser and valid until its next parse or flatten call. A failed parse leaves
 * the parser usable. Parsers are not thread-safe: one per Lua state (or thread).
 */
#ifndef HP_JSON_H
#define HP_JSON_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

enum hp_json_type {
    HP_JSON_NONE = 0,     /* not found (pointer lookups) */
    HP_JSON_NULL = 1,
    HP_JSON_FALSE = 2,
    HP_JSON_TRUE = 3,
    HP_JSON_INT = 4,      /* v.i: a signed 64-bit integer */
    HP_JSON_UINT = 5,     /* v.u: an integer above INT64_MAX */
    HP_JSON_DOUBLE = 6,   /* v.d */
    HP_JSON_STRING = 7,   /* v.s, n bytes (NUL-terminated, may contain NUL) */
    HP_JSON_ARRAY = 8,    /* n elements follow (records) */
    HP_JSON_OBJECT = 9    /* n key/value pairs follow: a STRING record, then the value */
};

enum {
    HP_JSON_DEFAULT_DEPTH = 1000,
    HP_JSON_MAX_DEPTH = 100000,       /* the largest max_depth accepted (parse, decode) */
    /* The largest max_depth the bindings' encoders accept, the same under both runtimes:
     * they recurse once per table, and LuaJIT's FFI encoder runs out of Lua stack (65,500
     * slots) near 3,300 levels (sorted, indented objects), less inside a deep caller. */
    HP_JSON_ENCODE_MAX_DEPTH = 2000
};

/* One value of the flat, pre-order record stream (16 bytes; checked by static_assert). */
typedef struct hp_json_rec {
    uint32_t type;      /* enum hp_json_type */
    uint32_t n;         /* string length, or element / pair count */
    union {
        int64_t i;
        uint64_t u;
        double d;
        const char *s;
    } v;
} hp_json_rec;

typedef struct hp_json_parser hp_json_parser;

/* A new parser, or NULL when out of memory. Never raises. */
hp_json_parser *hp_json_parser_new(void);

/* Frees the parser and everything it handed out. NULL is fine. */
void hp_json_parser_free(hp_json_parser *p);

/* Parses len bytes at s (strict RFC 8259; a leading UTF-8 byte order mark is skipped) with
 * at most max_depth nested arrays/objects (0: HP_JSON_DEFAULT_DEPTH). On success stores the
 * document's generation in *gen; its root node is 1. On failure returns HP_EPARSE (message:
 * what and the byte offset), HP_ELIMIT (too deep or too large) or HP_ENOMEM; the parser stays
 * usable and no document is current. The input need not outlive the call. */
int hp_json_parse(hp_json_parser *p, const char *s, size_t len, unsigned max_depth,
                  uint64_t *gen, char **errmsg);

/* The subtree at node as records (node's record first), in *recs (owned by the parser, valid
 * until its next parse or flatten) and their number in *nrecs. */
int hp_json_flatten(hp_json_parser *p, uint64_t gen, size_t node, const hp_json_rec **recs,
                    size_t *nrecs, char **errmsg);

/* parse + flatten of the root in one call (the decode path). */
int hp_json_decode(hp_json_parser *p, const char *s, size_t len, unsigned max_depth,
                   const hp_json_rec **recs, size_t *nrecs, char **errmsg);

/* The value at node: its type and scalar value (arrays and objects: the count in n).
 * Node arguments (here and below) are checked: a node is the start of a value of the current
 * document (for hp_json_node, also of an object key); anything else (a number's payload
 * word, a closing brace, an index outside the document) is HP_EINVAL "JSON node N is not a
 * value of this document". The first check of a node other than the root (1) of a document
 * marks its nodes in one pass over the tape (2 bits per tape word, kept by the parser). */
int hp_json_node(hp_json_parser *p, uint64_t gen, size_t node, hp_json_rec *out, char **errmsg);

/* Resolves the RFC 6901 pointer (ptr, len bytes; "" is node itself) from node. *out is the
 * node found, or 0 when the pointer names nothing. HP_EINVAL for a malformed pointer or a
 * stale document. */
int hp_json_pointer(hp_json_parser *p, uint64_t gen, size_t node, const char *ptr, size_t len,
                    size_t *out, char **errmsg);

/* hp_json_pointer, then hp_json_node of the node found, in one call (one node check): *found
 * is the node (node itself for an empty pointer), or 0 when the pointer names nothing; when
 * found, *out is its record. */
int hp_json_lookup(hp_json_parser *p, uint64_t gen, size_t node, const char *ptr, size_t len,
                   size_t *found, hp_json_rec *out, char **errmsg);

/* Iterates the children of an array or object node. *cursor starts at 0. Each call stores
 * the next child's node in *child (and, for objects, its key's node in *key, else 0) and
 * returns 1, or returns 0 at the end; -1 on a stale document, a node that is not a value, a
 * scalar node, or a *cursor that is not 0, the end, or a child start (objects: a key)
 * inside the container. */
int hp_json_next(hp_json_parser *p, uint64_t gen, size_t node, size_t *cursor, size_t *key,
                 size_t *child);

/* ---- the tape: simdjson's parsed document, read in one pass by the bindings' builders ----
 *
 * A document is a sequence of 64-bit words. The top byte of a word is its tag (enum
 * hp_json_tag, an ASCII character); the low 56 bits its payload:
 *   ARRAY / OBJECT   bits 0..31: index of the word after the matching END; bits 32..55: the
 *                    element / pair count, saturated at HP_JSON_COUNT_SAT (then a lower bound)
 *   END_ARRAY / END_OBJECT   (closes the innermost container)
 *   STRING           byte offset into strings: a little-endian uint32 length, then the bytes
 *                    (NUL-terminated, may contain NUL). The 8 bytes from the start of any
 *                    string's bytes are readable (short strings: padding, values unspecified)
 *   INT / UINT / DOUBLE      the value is the NEXT word (int64, uint64, IEEE double bits)
 *   TRUE / FALSE / NULL      no payload
 * Objects alternate a STRING key word and the value's words. The value of a document or
 * subtree starts at words[begin]. The words and strings are owned by the parser and valid
 * until its next parse (the same lifetime as records). This is simdjson 3's DOM tape layout,
 * checked against it by static_assert in the shim. */
enum hp_json_tag {
    HP_JSON_TAG_ROOT = 114,        /* 'r' */
    HP_JSON_TAG_ARRAY = 91,        /* '[' */
    HP_JSON_TAG_OBJECT = 123,      /* '{' */
    HP_JSON_TAG_END_ARRAY = 93,    /* ']' */
    HP_JSON_TAG_END_OBJECT = 125,  /* '}' */
    HP_JSON_TAG_STRING = 34,       /* '"' */
    HP_JSON_TAG_INT = 108,         /* 'l' */
    HP_JSON_TAG_UINT = 117,        /* 'u' */
    HP_JSON_TAG_DOUBLE = 100,      /* 'd' */
    HP_JSON_TAG_TRUE = 116,        /* 't' */
    HP_JSON_TAG_FALSE = 102,       /* 'f' */
    HP_JSON_TAG_NULL = 110,        /* 'n' */
    HP_JSON_COUNT_SAT = 16777215   /* 0xFFFFFF */
};

typedef struct hp_json_tape {
    const uint64_t *words;
    const uint8_t *strings;
    size_t begin;         /* index of the value's first word */
    unsigned max_depth;   /* the container depth the builder must enforce (decode) */
    size_t release_every; /* large decodes: call hp_json_tape_release about every this many
                           * words (0: never) */
    hp_json_parser *owner;
} hp_json_tape;

/* parse, then the document's tape in *out (the decode path of the one-pass builders; no
 * copy, no allocation beyond the parser's reused buffers). The builder must count container
 * nesting (every ARRAY/OBJECT word, empty or not) and call hp_json_depth_fail when it passes
 * out->max_depth: simdjson's own limit is one level looser. */
int hp_json_decode_tape(hp_json_parser *p, const char *s, size_t len, unsigned max_depth,
                        hp_json_tape *out, char **errmsg);

/* The tape of the subtree at node of the current document (max_depth: no limit needed). */
int hp_json_subtree_tape(hp_json_parser *p, uint64_t gen, size_t node, hp_json_tape *out,
                         char **errmsg);

/* A decode's builder is done with the words before word and the string bytes before
 * strbytes: their whole pages are given back to the kernel, so the build of a large document
 * holds only a window of the parser's buffers on top of the Lua values. Ends the document
 * (only for tapes from hp_json_decode_tape with release_every set). */
void hp_json_tape_release(hp_json_parser *p, size_t word, size_t strbytes);

/* The error of a tape build that went deeper than max_depth: HP_ELIMIT with the message
 * "nesting deeper than N at byte B" (s, len: the input decoded). Ends the document. */
int hp_json_depth_fail(hp_json_parser *p, const char *s, size_t len, char **errmsg);

/* ---- the JSON text writer (contract in json/writer.h) ---- */

typedef struct hp_jw { char *buf; size_t len, cap; int heap; int oom; } hp_jw;

/* Starts a writer on the caller's buffer (may be NULL/0); grows onto the heap when full. */
void hp_jw_init(hp_jw *w, char *buf, size_t cap);
void hp_jw_free(hp_jw *w);                    /* frees heap storage, if any */
void hp_jw_raw(hp_jw *w, const char *s, size_t n);
void hp_jw_string(hp_jw *w, const char *s, size_t n);   /* quoted, RFC 8259 escaping */
void hp_jw_number(hp_jw *w, double d);        /* shortest text that round-trips */
/* (integral values of magnitude <= 2^53 are written as integers: "100", not "1e2"; -0.0 as
 * "-0.0", which reads back as -0.0 where "-0" reads as the integer 0; NaN and infinities as
 * null, see hp_json_dtoa) */
void hp_jw_integer(hp_jw *w, int64_t i);
/* The text of a number used as a table key (unquoted), the same under both runtimes: an
 * integral value in [-2^63, 2^63) as an integer (Lua 5.4 stores such keys as integers; -0.0
 * as 0), any other value as hp_jw_number. Callers refuse NaN and infinities first. */
void hp_jw_keynum(hp_jw *w, double d);

/* Makes room for n more bytes; returns 0 on success, -1 (and sets oom) on failure. */
int hp_jw_reserve(hp_jw *w, size_t n);

#pragma GCC visibility pop
#endif
