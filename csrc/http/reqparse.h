/* Internal: the reference server's HTTP/1.1 request parser (RFC 9112). Stateless: it looks at
 * the front of a connection's buffered input and says whether one whole request is there, how
 * long it is, or which 4xx/5xx status it earns. No allocation, no I/O, a plain C ABI, so it is
 * unit-tested (tests/c/test_http_reqparse.c) and fuzzed (tests/fuzz/fuzz_http_request.c) alone.
 * The limits and what each status means are in doc/http.md ("Limits"). */
#ifndef HP_HTTP_REQPARSE_H
#define HP_HTTP_REQPARSE_H
#include <stddef.h>

/* The server's limits (doc/http.md). */
enum {
    HP_REQ_LINE_MAX = 8192,     /* request line without its CRLF; longer: 414 */
    HP_REQ_HEAD_MAX = 32768,    /* empty lines before it, request line, fields, final CRLF: 431 */
    HP_REQ_BODY_MAX = 65536     /* body as sent (Content-Length, or chunked with its framing): 413 */
};

typedef struct hp_req_limits {
    size_t line_max, head_max, body_max;   /* each >= 1 and below SIZE_MAX / 16 */
} hp_req_limits;

enum { HP_REQ_MORE = 0, HP_REQ_DONE = 1, HP_REQ_BAD = -1 };

typedef struct hp_req {
    size_t len;          /* DONE: bytes of the request (leading empty lines, head, body) */
    int keep_alive;      /* DONE: the connection may stay open after the response */
    int head;            /* DONE: the method is HEAD (the response has no body) */
    int status;          /* BAD: the status to answer before closing: 400, 413, 414, 431, 501, 505 */
    const char *why;     /* BAD: what was wrong (static text, for tests and logs) */
} hp_req;

/* Parses the request at the front of [p, p+n); lim NULL: the HP_REQ_* limits. Returns
 * HP_REQ_DONE (r->len <= n, r->keep_alive, r->head set), HP_REQ_MORE (the request may still
 * be valid once more bytes come; only while n < head_max + body_max, so a buffer of that size
 * never stalls) or HP_REQ_BAD (r->status, r->why set; the connection must close after the
 * answer, the input's framing being unknown). Reads only [p, p+n); never blocks or raises. */
int hp_req_parse(const char *p, size_t n, const hp_req_limits *lim, hp_req *r);

#endif
