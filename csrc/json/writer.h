/* JSON text writer: an append-only byte buffer with RFC 8259 string escaping and shortest
 * round-trip number text. Plain C (the encoders and the HTTP server use it). The writer's
 * struct and functions are declared in json/json.h, which exports them for LuaJIT's encoder;
 * this header adds the inline helpers and is what C code includes.
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
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __cplusplus
extern "C" {
#endif

/* The writer type and functions are declared in json/json.h (exported for the FFI encoder):
 *   typedef struct hp_jw { char *buf; size_t len, cap; int heap; int oom; } hp_jw;
 *   hp_jw_init, hp_jw_free, hp_jw_raw, hp_jw_string, hp_jw_number, hp_jw_integer,
 *   hp_jw_reserve, hp_jw_detach, hp_json_dtoa. */
#include "json/json.h"

/* Appends one byte. */
static inline void hp_jw_char(hp_jw *w, char c)
{
    if (w->len < w->cap || hp_jw_reserve(w, 1) == 0)
        w->buf[w->len++] = c;
}

/* The general case of hp_jw_str below (any length, escapes, growth). */
void hp_jw_string_slow(hp_jw *w, const char *s, size_t n);

/* Copies n <= 16 bytes from s to o, reading only [s, s + n). */
static inline void hp_jw_copy16(unsigned char *o, const char *s, size_t n)
{
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(o, &a, 4);
        memcpy(o + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            o[i] = (unsigned char)s[i];
    }
}

/* The high bit of each byte of x that is below 0x20, '"' or '\\' (exact for a byte when no
 * lower byte is flagged: borrows only run upwards). */
static inline uint64_t hp_jw_flags8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

/* The bytes of a word below byte k (k <= 8). */
static inline uint64_t hp_jw_low_bytes(size_t k)
{
    return k >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * k)) - 1;
}

/* Whether the n <= 16 bytes at p need no escape; p has 16 readable bytes (flags of the bytes
 * past n are masked off). SSE2 where there is SSE2 (every x86-64): three byte compares and a
 * movemask; else two words of the tests above. */
#ifdef __SSE2__
static inline int hp_jw_plain16(const unsigned char *p, size_t n)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i q = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    __m128i b = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    __m128i c = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c));
    return (m & ((1u << n) - 1)) == 0;
}
#else
static inline int hp_jw_plain16(const unsigned char *p, size_t n)
{
    uint64_t x0, x1;
    memcpy(&x0, p, 8);
    if (n <= 8)
        return (hp_jw_flags8(x0) & hp_jw_low_bytes(n)) == 0;
    memcpy(&x1, p + 8, 8);
    return (hp_jw_flags8(x0) | (hp_jw_flags8(x1) & hp_jw_low_bytes(n - 8))) == 0;
}
#endif

/* hp_jw_string, inline where it runs hundreds of times a document (the Lua 5.4 encoder):
 * most keys and values are short and need no escape: copy, then test 16 bytes at once. */
static inline void hp_jw_str(hp_jw *w, const char *s, size_t n)
{
    if (n <= 16 && w->cap - w->len >= 18) {
        unsigned char *o = (unsigned char *)w->buf + w->len;
        hp_jw_copy16(o + 1, s, n);
        if (hp_jw_plain16(o + 1, n)) {
            o[0] = '"';
            o[n + 1] = '"';
            w->len += n + 2;
            return;
        }
    }
    hp_jw_string_slow(w, s, n);
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
