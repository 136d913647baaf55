/* libFuzzer target: lazy documents through the C ABI: hp_json_parse, RFC 6901 pointers
 * (hp_json_pointer, hp_json_lookup), iteration (hp_json_next), subtrees (hp_json_flatten,
 * hp_json_subtree_tape), and forged node indices and cursors.
 * Input: byte 0 is n, the length of a pointer taken from the bytes after it (n % 48); the
 * rest is the document. Checks: for every member of every container the pointer built from
 * its key or index finds it (for a key given twice, the last one: json.md); the fuzzed
 * pointer resolves or fails cleanly; any node index the caller forges is refused or valid;
 * a document is refused once its parser parsed again. */
#include "common/common.h"
#include "json/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hp_json_parser *parser;

/* Appends "/" and the RFC 6901 escape of the n bytes of key to buf (len *blen, cap bcap);
 * 0 when it does not fit. */
static int push_token(char *buf, size_t *blen, size_t bcap, const char *key, size_t n)
{
    if (*blen + 1 + 2 * n > bcap)
        return 0;
    buf[(*blen)++] = '/';
    for (size_t i = 0; i < n; i++) {
        if (key[i] == '~' || key[i] == '/') {
            buf[(*blen)++] = '~';
            buf[(*blen)++] = key[i] == '~' ? '0' : '1';
        } else {
            buf[(*blen)++] = key[i];
        }
    }
    return 1;
}

/* Whether key (n bytes) appears again after member cursor `after` of object node. */
static int key_again(uint64_t gen, size_t node, size_t after, const char *key, size_t n)
{
    size_t cursor = after, k, child;
    while (hp_json_next(parser, gen, node, &cursor, &k, &child) == 1) {
        hp_json_rec r;
        if (hp_json_node(parser, gen, k, &r, NULL) != HP_OK)
            abort();
        if (r.n == n && memcmp(r.v.s, key, n) == 0)
            return 1;
    }
    return 0;
}

/* Checks every member under node against the pointer that names it (ptr: node's pointer). */
static void walk(uint64_t gen, size_t node, char *ptr, size_t plen, size_t pcap, int depth)
{
    hp_json_rec r;
    if (hp_json_node(parser, gen, node, &r, NULL) != HP_OK)
        abort();
    if ((r.type != HP_JSON_ARRAY && r.type != HP_JSON_OBJECT) || depth > 200)
        return;
    size_t cursor = 0, key, child, index = 0;
    while (hp_json_next(parser, gen, node, &cursor, &key, &child) == 1) {
        size_t len = plen;
        int fits;
        const char *kname = NULL;
        size_t kn = 0;
        if (r.type == HP_JSON_OBJECT) {
            hp_json_rec k;
            if (hp_json_node(parser, gen, key, &k, NULL) != HP_OK || k.type != HP_JSON_STRING)
                abort();
            kname = k.v.s;
            kn = k.n;
            fits = push_token(ptr, &len, pcap, kname, kn);
        } else {
            char num[24];
            int n = snprintf(num, sizeof num, "%zu", index);
            fits = push_token(ptr, &len, pcap, num, (size_t)n);
        }
        index++;
        if (!fits)
            continue;
        size_t found = 0;
        char *err = NULL;
        if (hp_json_pointer(parser, gen, 1, ptr, len, &found, &err) != HP_OK)
            abort();   /* a pointer built from the document is well-formed */
        /* The member itself, unless its key appears again later (then the last one). Keys
         * on the path above were checked the same way, so found is below the same parent. */
        if (found != child && !(kname && key_again(gen, node, cursor, kname, kn)))
            abort();
        hp_json_rec a, b;
        size_t f2;
        if (hp_json_lookup(parser, gen, 1, ptr, len, &f2, &a, NULL) != HP_OK || f2 != found ||
            hp_json_node(parser, gen, found, &b, NULL) != HP_OK || a.type != b.type || a.n != b.n)
            abort();
        if (found == child)
            walk(gen, child, ptr, len, pcap, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!parser)
        parser = hp_json_parser_new();
    if (size == 0)
        return 0;
    size_t plen = data[0] % 48;
    if (plen > size - 1)
        plen = size - 1;
    const char *fptr = (const char *)data + 1;
    const char *s = fptr + plen;
    size_t len = size - 1 - plen;

    uint64_t gen;
    char *err = NULL;
    if (hp_json_parse(parser, s, len, 0, &gen, &err) != HP_OK) {
        hp_free(err);
        return 0;
    }
    /* the fuzzed pointer: resolves, names nothing, or is refused as malformed */
    size_t found = 0;
    hp_json_rec r;
    int rc = hp_json_lookup(parser, gen, 1, fptr, plen, &found, &r, &err);
    if (rc != HP_OK && rc != HP_EINVAL)
        abort();
    if (rc != HP_OK)
        hp_free(err);
    if (rc == HP_OK && found) {
        const hp_json_rec *recs;
        size_t n;
        hp_json_tape t;
        if (hp_json_flatten(parser, gen, found, &recs, &n, NULL) != HP_OK || n == 0 ||
            recs[0].type != r.type || hp_json_subtree_tape(parser, gen, found, &t, NULL) != HP_OK)
            abort();
    }

    char *ptr = malloc(4096);
    walk(gen, 1, ptr, 0, 4096, 0);
    free(ptr);

    /* forged node indices and cursors: refused, or a real node */
    for (size_t i = 0; i < 64 && i < len + 4; i++) {
        size_t node = (size_t)(data[i % size]) * (i + 1) % (len + 8);
        err = NULL;
        rc = hp_json_node(parser, gen, node, &r, &err);
        if (rc != HP_OK && rc != HP_EINVAL)
            abort();
        hp_free(err);
        size_t cursor = node / 2, key, child;
        (void)hp_json_next(parser, gen, node, &cursor, &key, &child);
        cursor = node;
        (void)hp_json_next(parser, gen, 1, &cursor, &key, &child);
    }
    /* a stale document */
    uint64_t gen2;
    if (hp_json_parse(parser, "0", 1, 0, &gen2, NULL) != HP_OK ||
        hp_json_node(parser, gen, 1, &r, NULL) != HP_EINVAL)
        abort();
    return 0;
}
