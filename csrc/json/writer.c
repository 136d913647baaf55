/* JSON text writer (see writer.h). */
#include "json/writer.h"

#include <math.h>
#include <stdlib.h>

void hp_jw_init(hp_jw *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->len = 0;
    w->cap = buf ? cap : 0;
    w->heap = 0;
    w->oom = 0;
}

void hp_jw_free(hp_jw *w)
{
    if (w->heap)
        free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
    w->heap = 0;
}

int hp_jw_reserve(hp_jw *w, size_t n)
{
    if (w->oom)
        return -1;
    if (w->cap - w->len >= n)
        return 0;
    if (n > SIZE_MAX / 2 - w->len) {
        w->oom = 1;
        w->cap = w->len;   /* no room: the inline fast paths fall through to here */
        return -1;
    }
    size_t need = w->len + n, cap = w->cap ? w->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p;
    if (w->heap) {
        p = realloc(w->buf, cap);
    } else {
        p = malloc(cap);
        if (p && w->len)
            memcpy(p, w->buf, w->len);
    }
    if (!p) {
        w->oom = 1;
        w->cap = w->len;
        return -1;
    }
    w->buf = p;
    w->cap = cap;
    w->heap = 1;
    return 0;
}

void hp_jw_raw(hp_jw *w, const char *s, size_t n)
{
    if (w->cap - w->len < n && hp_jw_reserve(w, n) != 0)
        return;
    if (n)
        memcpy(w->buf + w->len, s, n);
    w->len += n;
}

/* 0: byte copied as is; otherwise the letter of its two-character escape, or 'u' for \u00XX.
 * RFC 8259 section 7: '"', '\\' and the control characters U+0000..U+001F must be escaped. */
static const char esc[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
};

/* The first byte at or after p that needs an escape, or end. Eight bytes at a time: a word
 * with no byte below 0x20, no '"' and no '\\' (hp_jw_flags8, writer.h: exact tests, see
 * "determine if a word has a byte less than n", Bit Twiddling Hacks) is skipped whole;
 * otherwise the table decides byte by byte. */
static const unsigned char *scan_plain(const unsigned char *p, const unsigned char *end)
{
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        if (hp_jw_flags8(x))
            break;
        p += 8;
    }
    while (p < end && !esc[*p])
        p++;
    return p;
}

/* The general case of hp_jw_str (writer.h): any length, escapes, growth. */
void hp_jw_string_slow(hp_jw *w, const char *s, size_t n)
{
    /* Reserve for the common case (nothing to escape); each escape then makes room for
     * itself and the rest, so a small caller buffer is used whenever the text fits. */
    if (n > SIZE_MAX / 8 || (w->cap - w->len < n + 2 && hp_jw_reserve(w, n + 2) != 0)) {
        w->oom = 1;
        w->cap = w->len;
        return;
    }
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    w->buf[w->len++] = '"';
    if (n < 16) {
        /* Short strings (most keys and values): copy byte by byte until an escape. */
        unsigned char *o = (unsigned char *)w->buf + w->len;
        while (p < end && !esc[*p])
            *o++ = *p++;
        w->len = (size_t)((char *)o - w->buf);
    }
    while (p < end) {
        const unsigned char *run = p;
        p = scan_plain(p, end);
        if (p > run) {
            memcpy(w->buf + w->len, run, (size_t)(p - run));
            w->len += (size_t)(p - run);
        }
        if (p == end)
            break;
        /* 6 bytes of escape at most, the unescaped rest, and the closing quote. */
        if (hp_jw_reserve(w, 6 + (size_t)(end - p - 1) + 1) != 0)
            return;
        char e = esc[*p], *o = w->buf + w->len;
        *o++ = '\\';
        if (e == 'u') {
            memcpy(o, "u00", 3);
            o[3] = hex[*p >> 4];
            o[4] = hex[*p & 15];
            o += 5;
        } else {
            *o++ = e;
        }
        w->len = (size_t)(o - w->buf);
        p++;
    }
    w->buf[w->len++] = '"';
}

void hp_jw_string(hp_jw *w, const char *s, size_t n)
{
    hp_jw_str(w, s, n);
}

/* The number of decimal digits of u (1 for 0). */
static inline size_t dec_digits(uint64_t u)
{
    static const uint64_t p10[] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
        100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
        10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
    };
    size_t n = 1;
    while (n < 20 && u >= p10[n])
        n++;
    return n;
}

void hp_jw_number(hp_jw *w, double d)
{
    /* Integral values below 2^53 are exact as integers, and their digits are never longer
     * than the exponent form. */
    if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(int64_t)d &&
        !(d == 0 && signbit(d))) {
        hp_jw_integer(w, (int64_t)d);
        return;
    }
    /* -0.0: "-0" is an integer to JSON readers (simdjson reads 0, losing the sign), so the
     * text that round-trips needs its fraction. */
    if (d == 0) {
        hp_jw_raw(w, "-0.0", 4);
        return;
    }
    if (w->cap - w->len < 32 && hp_jw_reserve(w, 32) != 0)
        return;
    /* Few decimals (prices, scores: 7.5, 0.25, 19.99): the least k <= 4 for which the
     * integer nearest d * 10^k, divided back (exact operands, one correctly rounded
     * division), gives d again, is the shortest text that round-trips, written as fixed
     * notation, which is also what the shortest-digits path writes in this range. */
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e11) {
        static const double p10[] = { 1, 10, 100, 1000, 10000 };
        for (int k = 1; k <= 4; k++) {
            double m = nearbyint(d * p10[k]);
            if (m / p10[k] == d && fabs(m) < 1e15) {
                /* |m|'s digits with a point before the last k, at least one digit before it
                 * (0.25): written back to front straight into the buffer. */
                uint64_t u = (uint64_t)fabs(m);
                char *o = w->buf + w->len;
                if (d < 0)
                    *o++ = '-';
                size_t nd = dec_digits(u);
                if (nd < (size_t)k + 1)
                    nd = (size_t)k + 1;
                char *end = o + nd + 1, *q = end;
                for (int i = 0; i < k; i++) {
                    *--q = (char)('0' + u % 10);
                    u /= 10;
                }
                *--q = '.';
                while (q > o) {
                    *--q = (char)('0' + u % 10);
                    u /= 10;
                }
                w->len = (size_t)(end - w->buf);
                return;
            }
        }
    }
    w->len += hp_json_dtoa(w->buf + w->len, d);
}

void hp_jw_integer(hp_jw *w, int64_t i)
{
    if (w->cap - w->len < 21 && hp_jw_reserve(w, 21) != 0)
        return;
    /* Work on the unsigned magnitude so INT64_MIN needs no special case; digits go back to
     * front straight into the buffer once their count is known (no temporary to copy). */
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    char *o = w->buf + w->len;
    if (i < 0)
        *o++ = '-';
    char *end = o + dec_digits(u), *p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    w->len = (size_t)(end - w->buf);
}

void hp_jw_keynum(hp_jw *w, double d)
{
    /* [-2^63, 2^63): the doubles that convert to int64_t exactly when integral. */
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == (double)(int64_t)d)
        hp_jw_integer(w, (int64_t)d);   /* -0.0 too: Lua 5.4 stores that key as 0 */
    else
        hp_jw_number(w, d);
}

char *hp_jw_detach(hp_jw *w, size_t *len)
{
    char *out = NULL;
    if (!w->oom && hp_jw_reserve(w, 1) == 0) {
        w->buf[w->len] = '\0';
        if (w->heap) {
            out = w->buf;
            w->heap = 0;
            w->buf = NULL;
        } else {
            out = malloc(w->len + 1);
            if (out)
                memcpy(out, w->buf, w->len + 1);
        }
        if (out && len)
            *len = w->len;
    }
    hp_jw_free(w);
    w->oom = 0;
    return out;
}
