/* libFuzzer target: full decode through the C ABI (hp_json_decode, then hp_json_parse and a
 * walk of every node with hp_json_node / hp_json_next / hp_json_flatten), on one parser
 * reused across inputs (as the bindings reuse theirs, errors included).
 * Checks, besides memory safety: every failure carries a message, and a parse error names
 * a byte offset within the input; decode and parse agree; the records of a successful decode
 * form exactly one value whose strings have the lengths they claim.
 * The first input byte picks max_depth (1..64, or the default) so the depth limit is hit
 * often; the rest is the document. */
#include "common/common.h"
#include "json/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hp_json_parser *parser;

/* Records from recs[*i] make one value: returns 0 when the count runs out. */
static int one_value(const hp_json_rec *recs, size_t n, size_t *i)
{
    /* iterative: remaining values per open container on an explicit stack */
    size_t *need = malloc(sizeof *need * (n + 1));
    size_t depth = 0;
    int ok = 1;
    need[0] = 1;
    for (;;) {
        while (depth > 0 && need[depth] == 0)
            depth--;
        if (need[depth] == 0)
            break;
        if (*i >= n) {
            ok = 0;
            break;
        }
        const hp_json_rec *r = &recs[(*i)++];
        need[depth]--;
        if (r->type == HP_JSON_STRING && r->v.s && strlen(r->v.s) > r->n) {
            ok = 0;   /* NUL-terminated at n: no byte beyond n before the NUL */
            break;
        }
        if (r->type == HP_JSON_ARRAY || r->type == HP_JSON_OBJECT)
            need[++depth] = r->type == HP_JSON_OBJECT ? 2 * (size_t)r->n : r->n;
        else if (r->type < HP_JSON_NULL || r->type > HP_JSON_OBJECT)
            ok = 0;
        if (!ok)
            break;
    }
    free(need);
    return ok;
}

static void check_error(int rc, char *err, size_t len)
{
    if (!err)
        abort();   /* every failure explains itself */
    if (rc == HP_EPARSE || rc == HP_ELIMIT) {
        const char *at = strstr(err, " at byte ");
        if (!at) {
            fprintf(stderr, "no byte offset: %s\n", err);
            abort();
        }
        unsigned long long off = strtoull(at + 9, NULL, 10);
        if (off > len) {
            fprintf(stderr, "offset beyond the input (%zu bytes): %s\n", len, err);
            abort();
        }
    } else if (rc != HP_ENOMEM) {
        fprintf(stderr, "unexpected status %d: %s\n", rc, err);
        abort();
    }
}

/* Visits every node under node with the lazy API (depth-first, iterative by recursion on
 * containers only: depth is bounded by max_depth <= 64 or the default 1000). */
static void walk(uint64_t gen, size_t node, int depth)
{
    hp_json_rec r;
    char *err = NULL;
    if (hp_json_node(parser, gen, node, &r, &err) != HP_OK)
        abort();   /* a node the iterator handed out must be valid */
    if (r.type != HP_JSON_ARRAY && r.type != HP_JSON_OBJECT)
        return;
    size_t cursor = 0, key, child, count = 0;
    int k;
    while ((k = hp_json_next(parser, gen, node, &cursor, &key, &child)) == 1) {
        count++;
        if (depth < 1100)
            walk(gen, child, depth + 1);
    }
    if (k != 0 || count != r.n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!parser)
        parser = hp_json_parser_new();
    if (size == 0)
        return 0;
    unsigned depth = data[0] < 0x80 ? (unsigned)(data[0] % 64) + 1 : 0;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;

    const hp_json_rec *recs;
    size_t nrecs;
    char *err = NULL;
    int drc = hp_json_decode(parser, s, len, depth, &recs, &nrecs, &err);
    char *derr = err;
    if (drc != HP_OK) {
        check_error(drc, derr, len);
    } else {
        size_t i = 0;
        if (!one_value(recs, nrecs, &i) || i != nrecs)
            abort();
    }

    uint64_t gen;
    err = NULL;
    int prc = hp_json_parse(parser, s, len, depth, &gen, &err);
    if (prc != drc)
        abort();   /* parse and decode accept the same documents */
    if (prc != HP_OK) {
        if (strcmp(err, derr) != 0)
            abort();   /* ... and refuse them with the same message */
        hp_free(err);
    } else {
        walk(gen, 1, 0);
        const hp_json_rec *r2;
        size_t n2;
        if (hp_json_flatten(parser, gen, 1, &r2, &n2, NULL) != HP_OK || n2 != nrecs)
            abort();
    }
    hp_free(derr);
    return 0;
}
