/* JSON core: the writer (escaping, numbers, growth from a caller buffer onto the heap), node
 * checks, and hostile input (empty documents, depth at the limit, long numbers, duplicate
 * keys, unterminated buffers for the validator). */
#include "common/common.h"
#include "json/validate.h"
#include "json/writer.h"
#include "tap.h"

#include <float.h>
#include <stdio.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

static char *text(hp_jw *w)
{
    static char out[4096];
    size_t n = w->len < sizeof out - 1 ? w->len : sizeof out - 1;
    memcpy(out, w->buf, n);
    out[n] = '\0';
    return out;
}

static void num(double d, const char *want)
{
    hp_jw w;
    hp_jw_init(&w, NULL, 0);
    hp_jw_number(&w, d);
    char what[80];
    snprintf(what, sizeof what, "number %.17g -> %s", d, want);
    CHECK_STR(text(&w), want, what);
    hp_jw_free(&w);
}

/* The text hp_jw_integer writes for i (text()'s static buffer, valid until its next call). */
static const char *integer_text(int64_t i)
{
    char buf[8];
    hp_jw w;
    hp_jw_init(&w, buf, sizeof buf); /* too small for most: exercises the move to the heap */
    hp_jw_integer(&w, i);
    const char *t = text(&w);
    hp_jw_free(&w);
    return t;
}

static void integer(int64_t i, const char *want)
{
    CHECK_STR(integer_text(i), want, "integer");
}

/* The text hp_jw_string writes for the n bytes at s (as integer_text). */
static const char *string_text(const char *s, size_t n)
{
    hp_jw w;
    hp_jw_init(&w, NULL, 0);
    hp_jw_string(&w, s, n);
    const char *t = text(&w);
    hp_jw_free(&w);
    return t;
}

static void str(const char *s, size_t n, const char *want)
{
    CHECK_STR(string_text(s, n), want, "string escape");
}

static void writer_tests(void)
{
    num(0.0, "0");
    num(-0.0, "-0.0");   /* "-0" reads back as the integer 0 (fuzz_json_roundtrip) */
    num(1.0, "1");
    num(-1.5, "-1.5");
    num(0.1, "0.1");
    num(0.3, "0.3");
    num(100.0, "100");
    num(3e10, "30000000000");
    num(1e21, "1e21");
    num(1e-7, "1e-7");
    num(2.5e-5, "2.5e-5");
    num(5e-324, "5e-324");
    num(DBL_MAX, "1.7976931348623157e308");
    num(9007199254740993.0, "9007199254740992");
    num(NAN, "null");
    num(INFINITY, "null");
    /* Every printed value reads back to the same double. */
    int bad = 0;
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (!isfinite(d))
            continue;
        char b[40];
        size_t n = hp_json_dtoa(b, d);
        b[n] = '\0';
        if (strtod(b, NULL) != d || n > 24)
            bad++;
    }
    CHECK(bad == 0, "20000 random doubles round-trip through hp_json_dtoa");
    /* The writer's few-decimals path (prices, scores) against the Grisu2 path: it reads back
     * to the same double, and is the same text, or shorter where Grisu2 is not shortest
     * (Grisu2 writes 83175.93030000001 for 831759303 / 1e4, which reads back from 83175.9303). */
    int differ = 0, noround = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        static const double p10[] = { 10, 100, 1000, 10000, 1e5 };
        double d = (double)(int64_t)(x % 2000000000u) / p10[i % 5];
        if (i & 1)
            d = -d;
        if (i % 7 == 0) {   /* and arbitrary doubles of the same range */
            d = (double)(x >> 11) / 9007199254740992.0 * 1e6;
        }
        hp_jw w;
        char buf[64], ref[40];
        hp_jw_init(&w, buf, sizeof buf);
        hp_jw_number(&w, d);
        buf[w.len] = '\0';
        size_t n = hp_json_dtoa(ref, d);
        ref[n] = '\0';
        if (d == (double)(int64_t)d)   /* integral values print as integers */
            snprintf(ref, sizeof ref, "%lld", (long long)d);
        if (strcmp(buf, ref) != 0 && (strlen(buf) >= strlen(ref) || strtod(ref, NULL) != d) &&
            differ++ < 3)
            printf("# %.17g: writer %s, dtoa %s\n", d, buf, ref);
        if (strtod(buf, NULL) != d)
            noround++;
        hp_jw_free(&w);
    }
    CHECK(differ == 0 && noround == 0, "numbers with few decimals: the writer's text round-trips, as short as Grisu2's or shorter");

    /* number keys: integral values within int64 as integers (-0 as 0), others as numbers */
    static const struct { double d; const char *want; } keys[] = {
        { 0.1, "0.1" }, { -0.0, "0" }, { 3.0, "3" }, { 1152921504606846976.0, "1152921504606846976" },
        { -9223372036854775808.0, "-9223372036854775808" },
        { 9223372036854775808.0, "9.223372036854776e18" }, { 1e300, "1e300" }, { -1.5, "-1.5" },
    };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        hp_jw w;
        hp_jw_init(&w, NULL, 0);
        hp_jw_keynum(&w, keys[i].d);
        CHECK_STR(text(&w), keys[i].want, "number key text");
        hp_jw_free(&w);
    }

    integer(0, "0");
    integer(-7, "-7");
    integer(INT64_MAX, "9223372036854775807");
    integer(INT64_MIN, "-9223372036854775808");
    /* Each digit count's edges (the writer counts digits before writing them). */
    int wrong = 0;
    int64_t p = 1;   /* 10^0 .. 10^18 */
    for (int k = 0; k < 19; k++, p = k < 19 ? p * 10 : p) {
        const int64_t edges[] = { p - 1, p, p + 1, -(p - 1), -p, -(p + 1) };
        for (size_t e = 0; e < sizeof edges / sizeof *edges; e++) {
            char want[24];
            snprintf(want, sizeof want, "%lld", (long long)edges[e]);
            const char *got = integer_text(edges[e]);
            if (strcmp(got, want) != 0 && wrong++ < 3)
                printf("# integer %s written as %s\n", want, got);
        }
    }
    CHECK(wrong == 0, "integers at every power of ten, both signs");
    num(0.25, "0.25");
    num(-0.5, "-0.5");
    num(7.5, "7.5");
    num(-19.99, "-19.99");
    num(0.001, "0.001");
    num(99999.5, "99999.5");

    str("", 0, "\"\"");
    str("plain", 5, "\"plain\"");
    str("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"");
    str("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
    str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"");
    str("a\0b", 3, "\"a\\u0000b\"");
    str("\xc3\xa9\xf0\x9f\x98\x80", 6, "\"\xc3\xa9\xf0\x9f\x98\x80\"");
    /* Long strings (the word-at-a-time scan): one byte that needs escaping at every position
     * of 40, against a byte-at-a-time reference. */
    int badesc = 0;
    const char specials[] = { '"', '\\', '\n', 0x01, 0x1f };
    for (size_t c = 0; c < sizeof specials; c++) {
        for (size_t at = 0; at < 40; at++) {
            char in[40], want[64];
            memset(in, 'x', sizeof in);
            in[at] = specials[c];
            size_t k = 0;
            want[k++] = '"';
            for (size_t i = 0; i < sizeof in; i++) {
                unsigned char ch = (unsigned char)in[i];
                if (ch == '"' || ch == '\\') {
                    want[k++] = '\\';
                    want[k++] = (char)ch;
                } else if (ch == '\n') {
                    want[k++] = '\\';
                    want[k++] = 'n';
                } else if (ch < 0x20) {
                    k += (size_t)snprintf(want + k, sizeof want - k, "\\u%04x", ch);
                } else {
                    want[k++] = (char)ch;
                }
            }
            want[k++] = '"';
            want[k] = '\0';
            const char *got = string_text(in, sizeof in);
            if (strcmp(got, want) != 0 && badesc++ < 3)
                printf("# byte %02x at %zu: %s\n", (unsigned char)specials[c], at, got);
        }
    }
    CHECK(badesc == 0, "a byte to escape at each position of a 40-byte string");

    /* The TechEmpower body, on a stack buffer that is large enough: no heap. */
    char stack[64];
    hp_jw w;
    hp_jw_init(&w, stack, sizeof stack);
    hp_jw_raw(&w, "{", 1);
    hp_jw_string(&w, "message", 7);
    hp_jw_char(&w, ':');
    hp_jw_string(&w, "Hello, World!", 13);
    hp_jw_char(&w, '}');
    CHECK_STR(text(&w), "{\"message\":\"Hello, World!\"}", "TechEmpower body");
    CHECK(!w.heap && w.buf == stack && !w.oom, "stays on the caller's buffer");
    hp_jw_free(&w);

    /* Growth: a megabyte through a 16-byte start keeps every byte. */
    char small[16];
    hp_jw_init(&w, small, sizeof small);
    for (int i = 0; i < 100000; i++)
        hp_jw_raw(&w, "0123456789", 10);
    int same = w.len == 1000000 && w.heap && !w.oom;
    for (size_t i = 0; same && i < w.len; i++)
        same = w.buf[i] == (char)('0' + i % 10);
    CHECK(same, "grows onto the heap and keeps every byte");
    size_t len = 0;
    char *s = hp_jw_detach(&w, &len);
    CHECK(s && len == 1000000 && s[len] == '\0' && w.buf == NULL, "detach hands over the buffer");
    hp_free(s);

    hp_jw_init(&w, NULL, 0);
    s = hp_jw_detach(&w, &len);
    CHECK(s && len == 0 && s[0] == '\0', "detach of an empty writer gives an empty string");
    hp_free(s);
    hp_jw_free(&w);
}

/* The escaper's word-at-a-time scan against a byte-by-byte reference: every byte value at
 * every position of strings of 1..19 bytes (runs shorter than, equal to and spanning words). */
static void escape_scan_tests(void)
{
    static const char hex[] = "0123456789abcdef";
    int bad = 0;
    for (size_t n = 1; n < 20; n++) {
        for (size_t pos = 0; pos < n; pos++) {
            for (int c = 0; c < 256; c++) {
                char in[20], want[20 * 6 + 3];
                size_t k = 0;
                memset(in, 'a', n);
                in[pos] = (char)c;
                if (pos + 1 < n)
                    in[n - 1] = (char)0xc3;   /* a high byte stays as is */
                want[k++] = '"';
                for (size_t i = 0; i < n; i++) {
                    unsigned char b = (unsigned char)in[i];
                    if (b == '"' || b == '\\') {
                        want[k++] = '\\';
                        want[k++] = (char)b;
                    } else if (b < 0x20) {
                        const char *two = b == '\b' ? "b" : b == '\t' ? "t" : b == '\n' ? "n" :
                                          b == '\f' ? "f" : b == '\r' ? "r" : NULL;
                        want[k++] = '\\';
                        if (two) {
                            want[k++] = two[0];
                        } else {
                            memcpy(want + k, "u00", 3);
                            want[k + 3] = hex[b >> 4];
                            want[k + 4] = hex[b & 15];
                            k += 5;
                        }
                    } else {
                        want[k++] = (char)b;
                    }
                }
                want[k++] = '"';
                /* a writer with no room (the general path), then one with room whose spare
                 * bytes hold quotes, backslashes and controls (the short-string fast path
                 * must ignore bytes past the string) */
                for (int room = 0; room < 2; room++) {
                    char spare[160];
                    for (size_t i = 0; i < sizeof spare; i++)
                        spare[i] = "\"\\\x01" "a"[i % 4];
                    hp_jw w;
                    hp_jw_init(&w, room ? spare : NULL, room ? sizeof spare : 0);
                    hp_jw_string(&w, in, n);
                    if (w.len != k || memcmp(w.buf, want, k) != 0)
                        bad++;
                    hp_jw_free(&w);
                }
            }
        }
    }
    CHECK(bad == 0, "string escaping matches the byte-by-byte reference for every byte at every position");
}

/* Node indices from outside (a Lua integer, a table field) are checked: only the start of a
 * value (or, for hp_json_node, an object key) is a node; number payload words, closing
 * braces and indices past the document are HP_EINVAL, never a read of raw payload bits. */
static void node_validation_tests(void)
{
    hp_json_parser *p = hp_json_parser_new();
    uint64_t gen;
    char *err = NULL;
    /* tape: 0 root, 1 '[', 2 'u', 3 payload, 4 'd', 5 payload, 6 '{', 7 key "k", 8 'l',
     * 9 payload, 10 '}', 11 '"' "s", 12 ']', 13 root */
    const char *doc2 = "[18446744073709551615,1.5,{\"k\":-1},\"s\"]";
    int rc = hp_json_parse(p, doc2, strlen(doc2), 0, &gen, &err);
    CHECK(rc == HP_OK, "parse the node test document");
    hp_json_rec r;
    CHECK(hp_json_node(p, gen, 1, &r, NULL) == HP_OK && r.type == HP_JSON_ARRAY && r.n == 4, "root node");
    CHECK(hp_json_node(p, gen, 2, &r, NULL) == HP_OK && r.type == HP_JSON_UINT, "uint node");
    CHECK(hp_json_node(p, gen, 11, &r, NULL) == HP_OK && r.type == HP_JSON_STRING && r.n == 1, "string node");
    CHECK(hp_json_node(p, gen, 7, &r, NULL) == HP_OK && r.type == HP_JSON_STRING, "a key is a node for hp_json_node");
    static const size_t bad[] = { 0, 3, 5, 9, 10, 12, 13, 14, 1000, (size_t)-1 };
    int rejected = 0;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err = NULL;
        if (hp_json_node(p, gen, bad[i], &r, &err) == HP_EINVAL && err &&
            strstr(err, "not a value") != NULL)
            rejected++;
        hp_free(err);
    }
    CHECK(rejected == (int)(sizeof bad / sizeof *bad), "hp_json_node rejects payload words, closing braces and out-of-range indices");
    size_t out = 99;
    err = NULL;
    CHECK(hp_json_pointer(p, gen, 3, "/0", 2, &out, &err) == HP_EINVAL, "hp_json_pointer rejects a payload word");
    hp_free(err);
    err = NULL;
    CHECK(hp_json_pointer(p, gen, 7, "/0", 2, &out, &err) == HP_EINVAL, "hp_json_pointer rejects a key");
    hp_free(err);
    const hp_json_rec *recs;
    size_t nrecs;
    err = NULL;
    CHECK(hp_json_flatten(p, gen, 9, &recs, &nrecs, &err) == HP_EINVAL, "hp_json_flatten rejects a payload word");
    hp_free(err);
    hp_json_tape tape;
    err = NULL;
    CHECK(hp_json_subtree_tape(p, gen, 10, &tape, &err) == HP_EINVAL, "hp_json_subtree_tape rejects a closing brace");
    hp_free(err);
    /* Iteration: the cursor must be a child start inside the container. */
    size_t cur = 0, key = 0, child = 0;
    int n = 0;
    while (hp_json_next(p, gen, 1, &cur, &key, &child) == 1)
        n++;
    CHECK(n == 4, "hp_json_next iterates the root array");
    cur = 0;
    CHECK(hp_json_next(p, gen, 6, &cur, &key, &child) == 1 && key == 7 && child == 8, "object iteration gives key and value");
    static const size_t badcur[] = { 3, 5, 9, 10, 13, 1000, 2 };
    int badok = 0;
    for (size_t i = 0; i < sizeof badcur / sizeof *badcur; i++) {
        cur = badcur[i];
        if (hp_json_next(p, gen, badcur[i] == 2 ? 6 : 1, &cur, &key, &child) == -1)
            badok++;
    }
    CHECK(badok == (int)(sizeof badcur / sizeof *badcur), "hp_json_next rejects cursors that are not a child start inside the container");
    cur = 8;   /* a value, not a key, inside the object */
    CHECK(hp_json_next(p, gen, 6, &cur, &key, &child) == -1, "hp_json_next rejects an object cursor on a value");
    cur = 12;  /* the closing brace: the end */
    CHECK(hp_json_next(p, gen, 1, &cur, &key, &child) == 0, "a cursor at the closing brace is the end");
    CHECK(hp_json_next(p, gen, 3, &cur, &key, &child) == -1, "hp_json_next rejects a payload word as the container");
    hp_json_parser_free(p);
}


/* The status and message of parsing len bytes at s with a fresh parser (each of the three
 * entry points: parse, decode, decode_tape) must all be want_rc / want_msg. */
static void parse_fails(const char *s, size_t len, unsigned max_depth, int want_rc,
                        const char *want_msg, const char *what)
{
    int ok = 1;
    for (int how = 0; how < 3; how++) {
        hp_json_parser *p = hp_json_parser_new();
        char *err = NULL;
        int rc;
        if (how == 0) {
            uint64_t gen;
            rc = hp_json_parse(p, s, len, max_depth, &gen, &err);
        } else if (how == 1) {
            const hp_json_rec *recs;
            size_t n;
            rc = hp_json_decode(p, s, len, max_depth, &recs, &n, &err);
        } else {
            hp_json_tape t;
            rc = hp_json_decode_tape(p, s, len, max_depth, &t, &err);
        }
        if (rc != want_rc || !err || strcmp(err, want_msg) != 0) {
            printf("# %s (entry %d): got %d \"%s\", expected %d \"%s\"\n", what, how, rc,
                   err ? err : "(null)", want_rc, want_msg);
            ok = 0;
        }
        hp_free(err);
        hp_json_parser_free(p);
    }
    CHECK(ok, what);
}

/* Parses s with p at max_depth; returns the status (the message freed). */
static int parse_rc(hp_json_parser *p, const char *s, unsigned max_depth, uint64_t *gen)
{
    char *err = NULL;
    int rc = hp_json_parse(p, s, strlen(s), max_depth, gen, &err);
    hp_free(err);
    return rc;
}

/* A malloc'd copy of s without its NUL (exactly strlen(s) bytes): ASan reports any read past
 * the end. */
static char *unterminated(const char *s, size_t *len)
{
    *len = strlen(s);
    char *b = malloc(*len);
    memcpy(b, s, *len);
    return b;
}

/* s with every '#' replaced by n copies of fill (a long number's digits). */
static char *expand(const char *s, char fill, size_t n)
{
    char *out = malloc(strlen(s) + n + 1), *o = out;
    for (; *s; s++) {
        if (*s == '#') {
            memset(o, fill, n);
            o += n;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

static void hostile_tests(void)
{
    /* Empty documents: a fresh parser has no padded buffer yet (was a NULL memset). */
    parse_fails("", 0, 0, HP_EPARSE, "empty document at byte 0", "empty input on a fresh parser");
    parse_fails(NULL, 0, 0, HP_EPARSE, "empty document at byte 0", "NULL, 0 on a fresh parser");
    parse_fails("\xef\xbb\xbf", 3, 0, HP_EPARSE, "empty document at byte 3", "a BOM alone");
    parse_fails(" \n", 2, 0, HP_EPARSE, "empty document at byte 2", "whitespace alone");

    /* A failed parse leaves the parser usable. */
    hp_json_parser *p = hp_json_parser_new();
    uint64_t gen;
    hp_json_rec r;
    CHECK(parse_rc(p, "", 0, &gen) == HP_EPARSE, "empty input fails");
    CHECK(parse_rc(p, "[1,", 0, &gen) == HP_EPARSE, "truncated input fails");
    CHECK(parse_rc(p, "[7]", 0, &gen) == HP_OK && hp_json_node(p, gen, 1, &r, NULL) == HP_OK &&
          r.type == HP_JSON_ARRAY && r.n == 1, "the parser parses after errors");

    /* Depth: exactly max_depth containers, empty or not, under every entry point (parse let
     * an empty container one level deeper through). */
    CHECK(parse_rc(p, "[[[]]]", 3, &gen) == HP_OK, "3 levels with max_depth 3");
    CHECK(parse_rc(p, "[[[1]]]", 3, &gen) == HP_OK, "3 levels and a scalar with max_depth 3");
    CHECK(parse_rc(p, "[{\"a\":[1]}]", 3, &gen) == HP_OK, "3 levels with an object");
    CHECK(parse_rc(p, "[]", 1, &gen) == HP_OK && parse_rc(p, "[1]", 1, &gen) == HP_OK &&
          parse_rc(p, "1", 1, &gen) == HP_OK, "max_depth 1 admits one level");
    parse_fails("[[[[]]]]", 8, 3, HP_ELIMIT, "nesting deeper than 3 at byte 3", "an empty 4th level");
    parse_fails("[[[[1]]]]", 9, 3, HP_ELIMIT, "nesting deeper than 3 at byte 3", "a non-empty 4th level");
    parse_fails("[[[1]],[[[]]]]", 14, 3, HP_ELIMIT, "nesting deeper than 3 at byte 9",
                "an empty 4th level after a valid branch");
    parse_fails("{\"a\":{}}", 8, 1, HP_ELIMIT, "nesting deeper than 1 at byte 5", "an empty object one level deep");
    /* ... and the parser is usable after the depth retry */
    CHECK(parse_rc(p, "[[[[]]]]", 3, &gen) == HP_ELIMIT && parse_rc(p, "[[2]]", 3, &gen) == HP_OK &&
          hp_json_lookup(p, gen, 1, "/0/0", 4, &(size_t){ 0 }, &r, NULL) == HP_OK &&
          r.type == HP_JSON_INT && r.v.i == 2, "parse after a depth error");

    /* Duplicate keys: the last value wins, as in decode (doc/json.md). */
    CHECK(parse_rc(p, "{\"a\":1,\"b\":0,\"a\":2}", 0, &gen) == HP_OK, "parse duplicate keys");
    size_t found = 0;
    CHECK(hp_json_lookup(p, gen, 1, "/a", 2, &found, &r, NULL) == HP_OK && r.type == HP_JSON_INT &&
          r.v.i == 2, "a pointer to a duplicate key finds the last value");
    const hp_json_rec *recs;
    size_t nrecs;
    CHECK(hp_json_flatten(p, gen, 1, &recs, &nrecs, NULL) == HP_OK && nrecs == 7 &&
          recs[0].n == 3, "flatten keeps every pair in document order");

    /* Long numbers that overflow a double name their offset (strtod saw only 63 bytes, and
     * the long path only the exponent). */
    char *big = expand("1#.0", '0', 400);
    parse_fails(big, strlen(big), 0, HP_EPARSE, "number out of the double range at byte 0",
                "a 400-digit mantissa");
    free(big);
    big = expand("[1.#e309]", '0', 70);
    parse_fails(big, strlen(big), 0, HP_EPARSE, "number out of the double range at byte 1",
                "a long mantissa with a small exponent");
    free(big);
    big = expand("[1.7976931348623159#e308]", '0', 60);
    parse_fails(big, strlen(big), 0, HP_EPARSE, "number out of the double range at byte 1",
                "a long number just above DBL_MAX");
    free(big);
    big = expand("[1.7976931348623157#e308]", '0', 60);
    CHECK(parse_rc(p, big, 0, &gen) == HP_OK && hp_json_lookup(p, gen, 1, "/0", 2, &found, &r, NULL) == HP_OK &&
          r.type == HP_JSON_DOUBLE && r.v.d == DBL_MAX, "a long number just below DBL_MAX");
    free(big);
    /* The error is the one simdjson met, not a long number the checker wrongly refused. */
    big = expand("[0.#1e401,x]", '0', 400);
    char want[80];
    snprintf(want, sizeof want, "unexpected character 'x' at byte %zu", strlen(big) - 2);
    parse_fails(big, strlen(big), 0, HP_EPARSE, want, "a long number in range before an error");
    free(big);

    /* The checker reads only its len bytes (was strtol past the end of a long number). */
    size_t len, off = 0;
    const char *what = NULL;
    big = expand("1.#e5", '0', 70);
    char *u = unterminated(big, &len);
    CHECK(hp_json_locate_error(u, len, 10, &off, &what) == 0, "checker: unterminated long number in range");
    free(u);
    free(big);
    big = expand("-1.#e99999", '0', 70);
    u = unterminated(big, &len);
    CHECK(hp_json_locate_error(u, len, 10, &off, &what) == 1 && off == 0 &&
          strcmp(what, "number out of the double range") == 0, "checker: unterminated long number out of range");
    free(u);
    free(big);
    u = unterminated("[1.5e", &len);
    CHECK(hp_json_locate_error(u, len, 10, &off, &what) == 1 && off == 1, "checker: unterminated exponent");
    free(u);

    /* A document beyond simdjson's 4 GB limit (0xFFFFFFFF bytes) is refused before it is
     * read or copied: 4 GB + 1 of untouched zero pages, reserved but never backed. */
    size_t huge = ((size_t)1 << 32) + 1;
    char *vast = mmap(NULL, huge, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vast != MAP_FAILED) {
        parse_fails(vast, huge, 0, HP_ELIMIT,
                    "JSON document of 4294967297 bytes is beyond simdjson's 4 GB limit",
                    "a document of 4 GB + 1 byte");
        munmap(vast, huge);
    } else {
        printf("# skipped the 4 GB document: no address space\n");
    }

    /* The writer's text of -0.0 reads back as -0.0 (found by fuzz_json_roundtrip: "-0" was
     * read back as the integer 0). */
    hp_jw w;
    hp_jw_init(&w, NULL, 0);
    hp_jw_number(&w, -0.0);
    CHECK(hp_json_decode(p, w.buf, w.len, 0, &recs, &nrecs, NULL) == HP_OK && nrecs == 1 &&
          recs[0].type == HP_JSON_DOUBLE && recs[0].v.d == 0 && signbit(recs[0].v.d),
          "-0.0 written and read back keeps its sign");
    hp_jw_free(&w);
    hp_json_parser_free(p);
}

int main(void)
{
    writer_tests();
    escape_scan_tests();
    node_validation_tests();
    hostile_tests();
    return tap_done();
}
