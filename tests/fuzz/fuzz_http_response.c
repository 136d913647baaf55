/* libFuzzer target: the load generator's streaming response parser (http/parser.h).
 *
 * Input: byte 0 = flags (bit 0: the request was HEAD; bit 1: also feed one byte at a time),
 * byte 1 = number of cut points k (taken mod 32), then k little-endian 16-bit piece lengths,
 * then the response stream. The stream is parsed three ways: in one piece, in the pieces the
 * cut points give (each length taken mod what is left; the rest in one last piece), and (bit
 * 1) byte by byte; then the end of the connection. The three traces (each response's status,
 * keep_alive and end offset; the error text; the end-of-connection result) must be identical:
 * how the bytes arrive never changes what they mean. A difference, a DONE that consumed
 * nothing, a status outside 100..599 or a consumed count past the input aborts. */
#include "http/parser.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_EVENTS = 4096, MAX_CUTS = 32 };

typedef struct trace {
    int n;                        /* responses completed */
    uint64_t end[MAX_EVENTS];     /* stream offset just past each response */
    int status[MAX_EVENTS];
    int keep_alive[MAX_EVENTS];
    const char *error;            /* parse error text, or NULL */
    int eof_rc;                   /* hp_http_parse_eof's result (not called after an error) */
    int eof_status, eof_keep_alive;
} trace;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_http_response: %s\n", what);
    abort();
}

static void record(trace *t, const hp_http_parser *p, uint64_t end)
{
    if (p->status < 100 || p->status > 599)
        die("status outside 100..599");
    if (t->n < MAX_EVENTS) {
        t->end[t->n] = end;
        t->status[t->n] = p->status;
        t->keep_alive[t->n] = p->keep_alive;
    }
    t->n++;
}

/* Feeds one piece; returns 0, or -1 after a parse error (recorded). */
static int feed(hp_http_parser *p, trace *t, const char *buf, size_t len, uint64_t base)
{
    size_t off = 0;
    while (off < len) {
        size_t used = (size_t)-1;
        int rc = hp_http_parse(p, buf + off, len - off, &used);
        if (rc == HP_HTTP_ERROR) {
            if (!p->error)
                die("error without text");
            t->error = p->error;
            return -1;
        }
        if (used > len - off)
            die("consumed past the input");
        off += used;
        if (rc == HP_HTTP_DONE) {
            if (used == 0)
                die("DONE consumed nothing");
            record(t, p, base + off);
        } else if (rc != HP_HTTP_NEED_MORE) {
            die("unknown return code");
        } else if (off != len) {
            die("NEED_MORE left bytes unconsumed");
        }
    }
    return 0;
}

/* Parses data in pieces of the given lengths (0 pieces: all at once; step 1: byte by byte). */
static void run(trace *t, int head, const uint8_t *data, size_t size, const uint16_t *cuts, int ncuts, int bytewise)
{
    static hp_http_parser p; /* 8 KiB: not on the fuzzer's stack */
    memset(t, 0, sizeof *t);
    hp_http_parser_init(&p);
    p.head = head;
    size_t at = 0;
    int c = 0;
    while (at < size) {
        size_t len = size - at;
        if (bytewise)
            len = 1;
        else if (c < ncuts)
            len = cuts[c++] % (len + 1);
        if (feed(&p, t, (const char *)data + at, len, at) != 0)
            return;
        at += len;
    }
    t->eof_rc = hp_http_parse_eof(&p);
    if (t->eof_rc == HP_HTTP_DONE) {
        t->eof_status = p.status;
        t->eof_keep_alive = p.keep_alive;
        record(t, &p, size);
    } else if (t->eof_rc == HP_HTTP_ERROR) {
        if (!p.error)
            die("eof error without text");
        t->error = p.error;
    }
}

static void same(const trace *a, const trace *b)
{
    if (a->n != b->n)
        die("split parse completed a different number of responses");
    int n = a->n < MAX_EVENTS ? a->n : MAX_EVENTS;
    for (int i = 0; i < n; i++)
        if (a->end[i] != b->end[i] || a->status[i] != b->status[i] || a->keep_alive[i] != b->keep_alive[i])
            die("split parse differs in a response's end, status or keep_alive");
    if ((a->error == NULL) != (b->error == NULL) || (a->error && strcmp(a->error, b->error) != 0))
        die("split parse differs in its error");
    if (a->eof_rc != b->eof_rc || a->eof_status != b->eof_status || a->eof_keep_alive != b->eof_keep_alive)
        die("split parse differs at the end of the connection");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static trace one, split, bytes;
    if (size < 2)
        return 0;
    int head = data[0] & 1, bytewise = data[0] & 2;
    int ncuts = data[1] % MAX_CUTS;
    data += 2;
    size -= 2;
    uint16_t cuts[MAX_CUTS];
    int k = 0;
    for (; k < ncuts && size >= 2; k++) {
        cuts[k] = (uint16_t)(data[0] | data[1] << 8);
        data += 2;
        size -= 2;
    }
    run(&one, head, data, size, NULL, 0, 0);
    run(&split, head, data, size, cuts, k, 0);
    same(&one, &split);
    if (bytewise) {
        run(&bytes, head, data, size, NULL, 0, 1);
        same(&one, &bytes);
    }
    return 0;
}
