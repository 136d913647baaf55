/* libFuzzer target: the encoder round trip. Decode the input (hp_json_decode); write the
 * records back as JSON with the writer (hp_jw_*, as the encoders do); decode that text and
 * compare record by record: same types, counts, integers, strings byte for byte, and doubles
 * bit for bit (the writer's shortest text must read back to the same double). Then write the
 * second decode too and compare the two texts (the writer is deterministic). */
#include "common/common.h"
#include "json/json.h"
#include "json/writer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hp_json_parser *p1, *p2;

/* Writes n records (one value, pre-order) as JSON text. */
static void write_recs(hp_jw *w, const hp_json_rec *r, size_t n)
{
    /* per open container: values left to write and whether an object (keys alternate) */
    size_t *left = malloc(sizeof *left * (n + 1));
    char *obj = malloc(n + 1), *first = malloc(n + 1);
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (depth) {
            if (!first[depth] && (!obj[depth] || left[depth] % 2 == 0))
                hp_jw_char(w, ',');
            first[depth] = 0;
        }
        const hp_json_rec *x = &r[i];
        int is_key = depth && obj[depth] && left[depth] % 2 == 0;
        switch (x->type) {
        case HP_JSON_NULL: hp_jw_raw(w, "null", 4); break;
        case HP_JSON_FALSE: hp_jw_raw(w, "false", 5); break;
        case HP_JSON_TRUE: hp_jw_raw(w, "true", 4); break;
        case HP_JSON_INT: hp_jw_integer(w, x->v.i); break;
        case HP_JSON_UINT: {
            char b[24];
            int k = snprintf(b, sizeof b, "%llu", (unsigned long long)x->v.u);
            hp_jw_raw(w, b, (size_t)k);
            break;
        }
        case HP_JSON_DOUBLE: hp_jw_number(w, x->v.d); break;
        case HP_JSON_STRING: hp_jw_string(w, x->v.s, x->n); break;
        default: break;
        }
        if (is_key)
            hp_jw_char(w, ':');
        if (depth)
            left[depth]--;
        if (x->type == HP_JSON_ARRAY || x->type == HP_JSON_OBJECT) {
            hp_jw_char(w, x->type == HP_JSON_ARRAY ? '[' : '{');
            depth++;
            obj[depth] = x->type == HP_JSON_OBJECT;
            left[depth] = obj[depth] ? 2 * (size_t)x->n : x->n;
            first[depth] = 1;
        }
        while (depth && left[depth] == 0) {
            hp_jw_char(w, obj[depth] ? '}' : ']');
            depth--;
        }
    }
    free(left);
    free(obj);
    free(first);
}

static int same_rec(const hp_json_rec *a, const hp_json_rec *b)
{
    if (a->type != b->type || a->n != b->n)
        return 0;
    switch (a->type) {
    case HP_JSON_INT: return a->v.i == b->v.i;
    case HP_JSON_UINT: return a->v.u == b->v.u;
    /* bit for bit, except that an integral double may come back as an integer (the writer
     * writes integral values below 2^53 as integers): handled by the caller */
    case HP_JSON_DOUBLE: return memcmp(&a->v.d, &b->v.d, 8) == 0;
    case HP_JSON_STRING: return memcmp(a->v.s, b->v.s, a->n) == 0;
    default: return 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!p1) {
        p1 = hp_json_parser_new();
        p2 = hp_json_parser_new();
    }
    const hp_json_rec *r1, *r2;
    size_t n1, n2;
    char *err = NULL;
    if (hp_json_decode(p1, (const char *)data, size, 0, &r1, &n1, &err) != HP_OK) {
        hp_free(err);
        return 0;
    }
    hp_jw w1;
    hp_jw_init(&w1, NULL, 0);
    write_recs(&w1, r1, n1);
    if (w1.oom)
        abort();
    if (hp_json_decode(p2, w1.buf, w1.len, 0, &r2, &n2, &err) != HP_OK) {
        fprintf(stderr, "re-decode failed: %s\n%.*s\n", err, (int)w1.len, w1.buf);
        abort();
    }
    if (n1 != n2)
        abort();
    for (size_t i = 0; i < n1; i++) {
        if (same_rec(&r1[i], &r2[i]))
            continue;
        /* an integral double written as an integer: the same value */
        if (r1[i].type == HP_JSON_DOUBLE && r2[i].type == HP_JSON_INT &&
            (double)r2[i].v.i == r1[i].v.d && !(r1[i].v.d == 0 && signbit(r1[i].v.d)))
            continue;
        fprintf(stderr, "record %zu differs after the round trip\n%.*s\n", i, (int)w1.len, w1.buf);
        abort();
    }
    /* writing the second decode gives the same text */
    hp_jw w2;
    hp_jw_init(&w2, NULL, 0);
    write_recs(&w2, r2, n2);
    if (w2.len != w1.len || memcmp(w2.buf, w1.buf, w1.len) != 0)
        abort();
    hp_jw_free(&w1);
    hp_jw_free(&w2);
    return 0;
}
