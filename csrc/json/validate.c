/* Strict RFC 8259 checker (see validate.h). Iterative: nesting lives in a byte stack, so no
 * input depth can exhaust the C stack. */
#include "json/validate.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *s, *end, *p;
    const char *what;
} scan;

static int fail(scan *c, const unsigned char *at, const char *what)
{
    c->p = at;
    c->what = what;
    return -1;
}

static void ws(scan *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* One UTF-8 sequence at c->p (first byte >= 0x80): well-formed per RFC 3629 (no overlongs,
 * no surrogates, at most U+10FFFF). */
static int utf8(scan *c)
{
    const unsigned char *p = c->p;
    size_t left = (size_t)(c->end - p);
    unsigned b = p[0], n, min;
    uint32_t cp;
    if (b >= 0xc2 && b <= 0xdf) { n = 2; cp = b & 0x1f; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { n = 3; cp = b & 0x0f; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { n = 4; cp = b & 0x07; min = 0x10000; }
    else return fail(c, p, "invalid UTF-8");
    if (left < n)
        return fail(c, p, "invalid UTF-8");
    for (unsigned i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return fail(c, p, "invalid UTF-8");
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return fail(c, p, "invalid UTF-8");
    c->p += n;
    return 0;
}

static int hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
    if (end - p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned ch = p[i], d;
        if (ch >= '0' && ch <= '9') d = ch - '0';
        else if ((ch | 32) >= 'a' && (ch | 32) <= 'f') d = (ch | 32) - 'a' + 10;
        else return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

static int string(scan *c)
{
    const unsigned char *start = c->p++;
    while (c->p < c->end) {
        unsigned ch = *c->p;
        if (ch == '"') {
            c->p++;
            return 0;
        }
        if (ch < 0x20)
            return fail(c, c->p, "unescaped control character in string");
        if (ch >= 0x80) {
            if (utf8(c))
                return -1;
            continue;
        }
        if (ch != '\\') {
            c->p++;
            continue;
        }
        const unsigned char *esc = c->p;
        if (c->p + 1 >= c->end)
            break;
        ch = c->p[1];
        if (strchr("\"\\/bfnrt", (int)ch) && ch) {
            c->p += 2;
            continue;
        }
        if (ch != 'u')
            return fail(c, esc, "invalid escape in string");
        unsigned u, lo;
        if (hex4(c->p + 2, c->end, &u))
            return fail(c, esc, "invalid \\u escape in string");
        c->p += 6;
        if (u >= 0xdc00 && u <= 0xdfff)
            return fail(c, esc, "lone low surrogate in string");
        if (u >= 0xd800 && u <= 0xdbff) {
            if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
                hex4(c->p + 2, c->end, &lo) || lo < 0xdc00 || lo > 0xdfff)
                return fail(c, esc, "lone high surrogate in string");
            c->p += 6;
        }
    }
    return fail(c, start, "unterminated string");
}

static int digits(scan *c)
{
    const unsigned char *d = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > d ? 0 : -1;
}

/* Whether the unsigned decimal number at [p, end) (grammar already checked: digits, an
 * optional fraction, an optional exponent) rounds to infinity as a double, which simdjson
 * rejects. Reads only [p, end): the input need not be NUL-terminated. Any length: the value
 * is 0.D x 10^e with D its significant digits; only e == 309 needs rounding (0.D x 10^309 is
 * at least 1e308 and below 1e309), done by strtod on a bounded copy of D whose cut-off digits,
 * if any is non-zero, become one sticky '1' (the halfway point between DBL_MAX and 2^1024 has
 * 309 significant digits, far fewer than the copy keeps). */
static int overflows(const unsigned char *p, const unsigned char *end)
{
    enum { KEEP = 400 };
    char buf[KEEP + 16];
    size_t nd = 0;
    int nonzero = 0, sticky = 0, frac = 0;
    long long e = 0;   /* decimal exponent of 0.D: digits before the point, minus leading zeros after it */
    for (; p < end && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            frac = 1;
            continue;
        }
        if (!nonzero && *p == '0') {
            if (frac)
                e--;
            continue;
        }
        nonzero = 1;
        if (!frac)
            e++;
        if (nd < KEEP)
            buf[nd++] = (char)*p;
        else if (*p != '0')
            sticky = 1;
    }
    if (!nonzero)
        return 0;   /* zero, whatever its exponent */
    if (p < end) {   /* the exponent, saturated far beyond any double */
        int eneg = 0;
        long long x = 0;
        p++;
        if (*p == '+' || *p == '-')
            eneg = *p++ == '-';
        for (; p < end; p++)
            if (x < 1000000000LL)
                x = x * 10 + (*p - '0');
        e += eneg ? -x : x;
    }
    if (e != 309)
        return e > 309;
    if (sticky)
        buf[nd++] = '1';
    /* 0.D as D x 10^-nd: written as "D" then the exponent 309 - nd */
    snprintf(buf + nd, sizeof buf - nd, "e%d", 309 - (int)nd);
    return isinf(strtod(buf, NULL));
}

static int number(scan *c)
{
    const unsigned char *start = c->p;
    int neg = 0, integral = 1;
    if (*c->p == '-') {
        neg = 1;
        c->p++;
    }
    if (c->p < c->end && *c->p == '0') {
        c->p++;
        if (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            return fail(c, start, "invalid number (leading zero)");
    } else if (digits(c)) {
        return fail(c, start, "invalid number");
    }
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        integral = 0;
        if (digits(c))
            return fail(c, start, "invalid number (digit expected after '.')");
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        integral = 0;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (digits(c))
            return fail(c, start, "invalid number (digit expected in exponent)");
    }
    if (integral) {
        /* simdjson keeps integers exact: they must fit int64 (or uint64 when positive). */
        size_t nd = (size_t)(c->p - start) - (size_t)neg;
        const char *lim = neg ? "9223372036854775808" : "18446744073709551615";
        if (nd > strlen(lim) || (nd == strlen(lim) && memcmp(start + neg, lim, nd) > 0))
            return fail(c, start, "integer out of the 64-bit range");
        return 0;
    }
    if (overflows(start + neg, c->p))
        return fail(c, start, "number out of the double range");
    return 0;
}

static int literal(scan *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return fail(c, c->p, "invalid literal");
    c->p += n;
    return 0;
}

/* Scans one value (nested values included). */
static int value(scan *c, unsigned max_depth, unsigned char *stack)
{
    unsigned depth = 0;
    for (;;) {
        ws(c);
        if (c->p >= c->end)
            return fail(c, c->p, depth ? "unexpected end of input" : "empty document");
        unsigned ch = *c->p;
        int r = 0;
        if (ch == '[' || ch == '{') {
            if (depth >= max_depth)
                return fail(c, c->p, "nesting too deep");
            stack[depth++] = (unsigned char)ch;
            c->p++;
            ws(c);
            if (c->p < c->end && *c->p == (ch == '[' ? ']' : '}')) {
                depth--;
                c->p++;
                goto after_value;
            }
            if (ch == '{')
                goto key;
            continue;
        } else if (ch == '"') r = string(c);
        else if (ch == '-' || (ch >= '0' && ch <= '9')) r = number(c);
        else if (ch == 't') r = literal(c, "true");
        else if (ch == 'f') r = literal(c, "false");
        else if (ch == 'n') r = literal(c, "null");
        else return fail(c, c->p, "unexpected character");
        if (r)
            return -1;
    after_value:
        for (;;) {
            if (depth == 0)
                return 0;
            ws(c);
            if (c->p >= c->end)
                return fail(c, c->p, "unexpected end of input");
            unsigned close = stack[depth - 1] == '[' ? ']' : '}';
            if (*c->p == close) {
                depth--;
                c->p++;
                continue;
            }
            if (*c->p != ',')
                return fail(c, c->p, stack[depth - 1] == '[' ? "',' or ']' expected"
                                                              : "',' or '}' expected");
            c->p++;
            if (stack[depth - 1] == '{')
                goto key;
            break;
        }
        continue;
    key:
        ws(c);
        if (c->p >= c->end)
            return fail(c, c->p, "unexpected end of input");
        if (*c->p != '"')
            return fail(c, c->p, "object key (string) expected");
        if (string(c))
            return -1;
        ws(c);
        if (c->p >= c->end)
            return fail(c, c->p, "unexpected end of input");
        if (*c->p != ':')
            return fail(c, c->p, "':' expected");
        c->p++;
    }
}

int hp_json_locate_error(const char *s, size_t len, unsigned max_depth, size_t *offset,
                         const char **what)
{
    scan c;
    c.s = (const unsigned char *)s;
    c.end = c.s + len;
    c.p = c.s;
    c.what = NULL;
    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        c.p += 3;
    unsigned char *stack = malloc(max_depth ? max_depth : 1);
    if (!stack) {
        *offset = 0;
        *what = "out of memory";
        return 1;
    }
    int r = value(&c, max_depth, stack);
    free(stack);
    if (r == 0) {
        ws(&c);
        if (c.p < c.end)
            fail(&c, c.p, "trailing content after the document");
        else
            return 0;
    }
    *offset = (size_t)(c.p - c.s);
    *what = c.what;
    return 1;
}
