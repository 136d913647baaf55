/* libFuzzer target: the reference server's request parser (csrc/http/reqparse.h). Besides
 * memory errors (ASan/UBSan), it checks the parser's contract on every input: a done request
 * lies within the input and parses alike alone, every shorter prefix of it is incomplete,
 * "incomplete" never lasts past head_max + body_max bytes (the server's buffer), an error
 * carries one of the statuses the server answers with. The input is consumed as a pipelined
 * stream, as the server does, under the default limits and under small ones. */
#include "http/reqparse.h"

#include <stdint.h>
#include <stdlib.h>

static void check(const char *p, size_t n, const hp_req_limits *lim)
{
    size_t line_max = lim ? lim->line_max : HP_REQ_LINE_MAX;
    size_t head_max = lim ? lim->head_max : HP_REQ_HEAD_MAX;
    size_t body_max = lim ? lim->body_max : HP_REQ_BODY_MAX;
    (void)line_max;
    size_t off = 0;
    for (int guard = 0; guard < 100000; guard++) {
        hp_req r;
        int rc = hp_req_parse(p + off, n - off, lim, &r);
        if (rc == HP_REQ_BAD) {
            if (!r.why || (r.status != 400 && r.status != 413 && r.status != 414 && r.status != 431 &&
                           r.status != 501 && r.status != 505))
                abort();
            return;
        }
        if (rc == HP_REQ_MORE) {
            if (n - off >= head_max + body_max)
                abort();
            /* a prefix of an incomplete request is incomplete too */
            hp_req r2;
            if ((n - off) > 0 && hp_req_parse(p + off, (n - off) / 2, lim, &r2) != HP_REQ_MORE)
                abort();
            return;
        }
        if (rc != HP_REQ_DONE || r.len == 0 || r.len > n - off || (r.keep_alive & ~1) || (r.head & ~1))
            abort();
        hp_req r2;
        if (hp_req_parse(p + off, r.len, lim, &r2) != HP_REQ_DONE || r2.len != r.len ||
            r2.keep_alive != r.keep_alive || r2.head != r.head)
            abort();
        if (hp_req_parse(p + off, r.len / 2, lim, &r2) != HP_REQ_MORE ||
            hp_req_parse(p + off, r.len - 1, lim, &r2) != HP_REQ_MORE)
            abort();
        off += r.len;
        if (off == n)
            return;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so that ASan sees any read past the end */
    char *p = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++)
        p[i] = (char)data[i];
    check(p, size, NULL);
    hp_req_limits small = { 24, 64, 32 };
    check(p, size, &small);
    hp_req_limits tiny = { 1, 2, 1 };
    check(p, size, &tiny);
    free(p);
    return 0;
}
