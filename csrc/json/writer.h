/* JSON text writer: an append-only byte buffer with RFC 8259 string escaping and shortest
 * round-trip number text. Plain C, internal to the core (the encoder and the HTTP server use
 * it); not part of the FFI ABI, so it carries no ABI marker.
 *
 * Memory: the writer starts on the caller's buffer (which may be NULL with cap 0) and moves
 * onto the heap when that is full; hp_jw_free releases the heap copy, if any. An allocation
 * failure sets oom and turns every later write into a no-op, so callers check oom once at the
 * end instead of after every call. Nothing here raises, blocks or touches a global. */
#ifndef HP_JSON_WRITER_H
#define HP_JSON_WRITER_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct hp_jw { char *buf; size_t len, cap; int heap; int oom; } hp_jw;

/* Starts a writer on the caller's buffer (may be NULL/0); grows onto the heap when full. */
void hp_jw_init(hp_jw *w, char *buf, size_t cap);
void hp_jw_free(hp_jw *w);                    /* frees heap storage, if any */
void hp_jw_raw(hp_jw *w, const char *s, size_t n);
void hp_jw_string(hp_jw *w, const char *s, size_t n);   /* quoted, RFC 8259 escaping */
void hp_jw_number(hp_jw *w, double d);        /* shortest text that round-trips */
/* (integral values of magnitude <= 2^53 are written as integers: "100", not "1e2";
 * NaN and infinities as null, see hp_json_dtoa) */
void hp_jw_integer(hp_jw *w, int64_t i);

/* Added beyond the contract. */

/* Makes room for n more bytes; returns 0 on success, -1 (and sets oom) on failure. */
int hp_jw_reserve(hp_jw *w, size_t n);

/* Appends one byte. */
static inline void hp_jw_char(hp_jw *w, char c)
{
    if (w->len < w->cap || hp_jw_reserve(w, 1) == 0)
        w->buf[w->len++] = c;
}

/* Hands the written bytes to the caller as a malloc'd string (NUL-terminated, length in
 * *len) and resets the writer to empty; NULL when out of memory (the writer is freed then).
 * The result is freed with free()/hp_free. */
char *hp_jw_detach(hp_jw *w, size_t *len);

/* Writes the shortest decimal text of a finite double that reads back to the same value
 * into buf (at least 32 bytes) and returns its length. Non-finite values are written as
 * "null" (JSON has no NaN or infinity; callers that must refuse them check first). */
size_t hp_json_dtoa(char *buf, double d);

#ifdef __cplusplus
}
#endif
#endif
