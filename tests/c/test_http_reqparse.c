/* The reference server's request parser alone (csrc/http/reqparse.h): valid requests and
 * their lengths, every prefix of them incomplete, each malformed form with its status and
 * reason, the limits at their edges, and the inputs that once crashed the server. */
#include "tap.h"
#include "http/reqparse.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *in;
    size_t inlen;        /* 0: strlen(in) */
    int rc;
    size_t len;          /* DONE: expected length; 0: the whole input */
    int keep, head;      /* DONE */
    int status;          /* BAD */
    const char *why;     /* BAD */
} row;

#define OK(s, k, h) { s, 0, HP_REQ_DONE, 0, k, h, 0, NULL }
#define OKLEN(s, l, k) { s, 0, HP_REQ_DONE, l, k, 0, 0, NULL }
#define MORE(s) { s, 0, HP_REQ_MORE, 0, 0, 0, 0, NULL }
#define BAD(s, st, w) { s, 0, HP_REQ_BAD, 0, 0, 0, st, w }

static const row rows[] = {
    OK("GET / HTTP/1.1\r\n\r\n", 1, 0),
    OK("GET /plaintext HTTP/1.1\r\nHost: localhost\r\nAccept: text/plain,text/html;q=0.9\r\n"
       "Connection: keep-alive\r\n\r\n", 1, 0),
    OK("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", 1, 1),
    OK("GET / HTTP/1.0\r\n\r\n", 0, 0),
    OK("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1, 0),
    OK("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0, 0),
    OK("GET / HTTP/1.1\r\nconnection: upgrade, CLOSE\r\n\r\n", 0, 0),
    OK("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", 1, 0),
    OK("GET / HTTP/1.2\r\n\r\n", 1, 0),
    OK("\r\n\r\nGET / HTTP/1.1\r\n\r\n", 1, 0),
    OK("GET / HTTP/1.1\r\nX:\r\nY: \t a\tb \t\r\n\r\n", 1, 0),
    OK("GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n", 1, 0),
    OK("OPTIONS * HTTP/1.1\r\n\r\n", 1, 0),
    OK("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 1, 0),
    OK("POST / HTTP/1.1\r\nContent-Length:5\r\nContent-Length: 5 , 5\r\n\r\nhello", 1, 0),
    OK("POST / HTTP/1.1\r\nContent-Length: 0005\r\n\r\nhello", 1, 0),
    OK("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 1, 0),
    OK("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n"
       "0\r\nTrailer: x\r\n\r\n", 1, 0),
    OK("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n000000000000000000000003\r\nabc\r\n0\r\n\r\n", 1, 0),
    /* pipelined: the first request's length */
    OKLEN("GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 18, 1),
    OKLEN("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nabGET / HTTP/1.1\r\n\r\n", 40, 1),

    MORE(""),
    MORE("\r"),
    MORE("\r\n"),
    MORE("GET / HTTP/1.1\r\nHost: x\r\n"),
    MORE("GET / HTTP/1.1\r\nHost: x\r\n\r"),
    MORE("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhell"),
    MORE("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
    MORE("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nT: 1\r\n"),

    /* the 22 bytes that crashed the server: a header line that is a bare LF */
    BAD("GET / HTTP/1.1\r\n\n\r\n\r\n", 400, "header line not ending in CRLF"),
    /* a request line starting with LF once moved a pointer before the buffer */
    BAD("\nGET / HTTP/1.1\r\n\r\n", 400, "request line not ending in CRLF"),
    BAD("\n", 400, "request line not ending in CRLF"),
    BAD("\r\n\n", 400, "request line not ending in CRLF"),
    BAD("GET / HTTP/1.1\n\n", 400, "request line not ending in CRLF"),
    BAD("GET / HTTP/1.1\r\nHost: x\n\r\n", 400, "header line not ending in CRLF"),
    BAD("GET / HTTP/1.1\r\nHost: x\r\n\n", 400, "header line not ending in CRLF"),
    BAD("GET / HTTP/1.1\r\nHost: x\r\r\n\r\n", 400, "bad character in header value"),
    BAD("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n", 400, "bad character in header value"),
    BAD("GET / HTTP/1.1\r\n\rX\r\n\r\n", 400, "header line not ending in CRLF"),
    BAD("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", 400, "bad character in header value"),
    BAD("GET / HTTP/1.1\r\nX: 0123456789abcdef\x7f\r\n\r\n", 400, "bad character in header value"),
    { "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 27, HP_REQ_BAD, 0, 0, 0, 400, "bad character in header value" },
    BAD("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "bad header name"),
    BAD("GET / HTTP/1.1\r\n: x\r\n\r\n", 400, "bad header name"),
    BAD("GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400, "bad header name"),
    BAD("GET / HTTP/1.1\r\nA(b: x\r\n\r\n", 400, "bad header name"),
    BAD("GET / HTTP/1.1\r\nX: a\r\n  folded\r\n\r\n", 400, "obsolete line folding"),
    BAD("GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400, "obsolete line folding"),
    BAD("BROKEN\r\n\r\n", 400, "bad method"),
    BAD("GET\r\n", 400, "bad method"),
    BAD(" / HTTP/1.1\r\n\r\n", 400, "bad method"),
    BAD("G(T / HTTP/1.1\r\n\r\n", 400, "bad method"),
    BAD("\x16\x03\x01\x02", 400, "bad method"),     /* a TLS handshake: rejected at once */
    BAD("GET  / HTTP/1.1\r\n\r\n", 400, "bad request target"),
    BAD("GET /\x01 HTTP/1.1\r\n\r\n", 400, "bad request target"),
    BAD("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", 400, "bad request target"),
    BAD("GET /\r\n\r\n", 400, "bad request target"),
    BAD("GET / \r\n\r\n", 400, "bad HTTP version"),
    BAD("GET / HTTP/1.1 \r\n\r\n", 400, "bad HTTP version"),
    BAD("GET / http/1.1\r\n\r\n", 400, "bad HTTP version"),
    BAD("GET / HTTP/11\r\n\r\n", 400, "bad HTTP version"),
    BAD("GET /a b HTTP/1.1\r\n\r\n", 400, "bad HTTP version"),
    BAD("GET / HTTP/2.0\r\n\r\n", 505, "HTTP version not supported"),
    BAD("GET / HTTP/0.9\r\n\r\n", 505, "HTTP version not supported"),
    /* framing (RFC 9112 6.3) */
    BAD("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, "conflicting Content-Length values"),
    BAD("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nhello!", 400, "conflicting Content-Length values"),
    BAD("POST / HTTP/1.1\r\nContent-Length: 5 junk\r\n\r\nhello", 400, "bad Content-Length"),
    BAD("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", 400, "bad Content-Length"),
    BAD("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "bad Content-Length"),
    BAD("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nhello", 400, "bad Content-Length"),
    BAD("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "bad Content-Length"),
    BAD("POST / HTTP/1.1\r\nContent-Length: 5,\r\n\r\nhello", 400, "bad Content-Length"),
    BAD("POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 413, "body too large"),
    BAD("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999999\r\n\r\n", 413, "body too large"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400, "both Transfer-Encoding and Content-Length"),
    BAD("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "Transfer-Encoding in an HTTP/1.0 request"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, "chunked is not the final transfer coding"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "chunked is not the final transfer coding"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 400, "chunked is not the final transfer coding"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", 400, "chunked is not the final transfer coding"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "transfer coding not implemented"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400, "chunk size overflows"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n", 413, "body too large"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n", 413, "body too large"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n", 400, "bad chunk size"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400, "bad chunk size"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400, "bad chunk size"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n", 400, "bad chunk size"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x01\r\nhello\r\n", 400, "bad character in chunk extension"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\rxhello\r\n", 400, "chunk size line not ending in CRLF"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400, "chunk data not followed by CRLF"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", 400, "bad trailer field"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n", 400, "bad trailer field"),
    BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rx", 400, "bad trailer field"),
};

static void check_row(const row *w, int i)
{
    size_t n = w->inlen ? w->inlen : strlen(w->in);
    char *copy = malloc(n ? n : 1);   /* exact size: ASan sees any read past the input */
    memcpy(copy, w->in, n);
    hp_req r;
    int rc = hp_req_parse(copy, n, NULL, &r);
    char what[160];
    snprintf(what, sizeof what, "row %d: %.60s", i, w->in);
    for (char *c = what; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = '.';
    if (w->rc == HP_REQ_DONE)
        CHECK(rc == HP_REQ_DONE && r.len == (w->len ? w->len : n) && r.keep_alive == w->keep &&
              r.head == w->head, what);
    else if (w->rc == HP_REQ_MORE)
        CHECK(rc == HP_REQ_MORE, what);
    else {
        CHECK(rc == HP_REQ_BAD && r.status == w->status, what);
        if (rc == HP_REQ_BAD && w->why)
            CHECK_STR(r.why, w->why, "  its reason");
    }
    free(copy);
}

/* Every proper prefix of a complete request is incomplete, never an error nor done. */
static void check_prefixes(const row *w, int i)
{
    size_t n = w->len ? w->len : strlen(w->in);
    int ok = 1;
    for (size_t k = 0; k < n && ok; k++) {
        char *copy = malloc(k ? k : 1);
        memcpy(copy, w->in, k);
        hp_req r;
        int rc = hp_req_parse(copy, k, NULL, &r);
        if (rc != HP_REQ_MORE) {
            printf("# prefix %zu: rc %d status %d %s\n", k, rc, r.status, r.why ? r.why : "");
            ok = 0;
        }
        free(copy);
    }
    char what[80];
    snprintf(what, sizeof what, "row %d: every prefix is incomplete", i);
    CHECK(ok, what);
}

/* s repeated to n bytes, inside prefix and suffix (malloc'd, NUL-terminated). */
static char *big(const char *prefix, char fill, size_t n, const char *suffix)
{
    size_t a = strlen(prefix), b = strlen(suffix);
    char *s = malloc(a + n + b + 1);
    memcpy(s, prefix, a);
    memset(s + a, fill, n);
    memcpy(s + a + n, suffix, b + 1);
    return s;
}

static int parse_str(const char *s, const hp_req_limits *lim, hp_req *r)
{
    return hp_req_parse(s, strlen(s), lim, r);
}

static void check_limits(void)
{
    hp_req r;
    /* the default limits, at their edges */
    char *s = big("GET /", 'a', HP_REQ_LINE_MAX - 14, " HTTP/1.1\r\n\r\n");
    CHECK(parse_str(s, NULL, &r) == HP_REQ_DONE, "a request line of exactly HP_REQ_LINE_MAX bytes");
    free(s);
    s = big("GET /", 'a', HP_REQ_LINE_MAX - 13, " HTTP/1.1\r\n\r\n");
    CHECK(parse_str(s, NULL, &r) == HP_REQ_BAD && r.status == 414, "one byte more: 414");
    free(s);
    s = big("GET /", 'a', 100000, "");   /* 100 KB of request line, no end in sight */
    CHECK(parse_str(s, NULL, &r) == HP_REQ_BAD && r.status == 414, "a 100 KB request line: 414");
    CHECK_STR(r.why, "request line too long", "  its reason");
    free(s);
    /* head: request line 16, "X: " 3 + k + CRLF 2, final CRLF 2 */
    s = big("GET / HTTP/1.1\r\nX: ", 'v', HP_REQ_HEAD_MAX - 23, "\r\n\r\n");
    CHECK(parse_str(s, NULL, &r) == HP_REQ_DONE && r.len == HP_REQ_HEAD_MAX, "a head of exactly HP_REQ_HEAD_MAX bytes");
    free(s);
    s = big("GET / HTTP/1.1\r\nX: ", 'v', HP_REQ_HEAD_MAX - 22, "\r\n\r\n");
    CHECK(parse_str(s, NULL, &r) == HP_REQ_BAD && r.status == 431, "one byte more: 431");
    free(s);
    s = big("GET / HTTP/1.1\r\nX: ", 'v', 1 << 20, "");   /* a 1 MB header, unfinished */
    CHECK(parse_str(s, NULL, &r) == HP_REQ_BAD && r.status == 431, "a 1 MB header: 431");
    CHECK_STR(r.why, "request head too large", "  its reason");
    free(s);
    /* empty lines before the request count as head */
    size_t k = HP_REQ_HEAD_MAX + 2;
    s = malloc(k + 1);
    for (size_t i = 0; i < k; i += 2)
        memcpy(s + i, "\r\n", 2);
    s[k] = 0;
    CHECK(parse_str(s, NULL, &r) == HP_REQ_BAD && r.status == 431, "endless empty lines: 431");
    free(s);
    s = big("POST / HTTP/1.1\r\nContent-Length: 65536\r\n\r\n", 'b', 65536, "");
    CHECK(parse_str(s, NULL, &r) == HP_REQ_DONE, "a body of exactly HP_REQ_BODY_MAX bytes");
    free(s);

    /* small limits: every way to stay incomplete ends before head_max + body_max */
    hp_req_limits lim = { 24, 60, 16 };
    CHECK(parse_str("GET /01234567890 HTTP/1.1\r\n\r\n", &lim, &r) == HP_REQ_BAD && r.status == 414, "line_max");
    CHECK(parse_str("GET /0123456789 HTTP/1.1\r\n\r\n", &lim, &r) == HP_REQ_DONE, "line_max exactly");
    s = big("GET / HTTP/1.1\r\nX: ", 'v', 37, "\r\n\r\n");
    CHECK(parse_str(s, &lim, &r) == HP_REQ_DONE && r.len == 60, "head_max exactly");
    free(s);
    s = big("GET / HTTP/1.1\r\nX: ", 'v', 38, "\r\n\r\n");
    CHECK(parse_str(s, &lim, &r) == HP_REQ_BAD && r.status == 431, "head_max");
    free(s);
    s = big("GET / HTTP/1.1\r\nX: ", 'v', 41, "");
    CHECK(parse_str(s, &lim, &r) == HP_REQ_BAD && r.status == 431, "head_max, unfinished");
    free(s);
    CHECK(parse_str("GET / HTTP/1.1\r\nContent-Length: 16\r\n\r\n0123456789abcdef", &lim, &r) == HP_REQ_DONE, "body_max exactly");
    CHECK(parse_str("GET / HTTP/1.1\r\nContent-Length: 17\r\n\r\n", &lim, &r) == HP_REQ_BAD && r.status == 413, "body_max");
    CHECK(parse_str("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;xxxxxxxxxxxxxx", &lim, &r) == HP_REQ_BAD && r.status == 413,
          "a chunk extension past body_max");
    CHECK(parse_str("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n0\r\n\r\n", &lim, &r) == HP_REQ_DONE,
          "chunked, framing of exactly body_max");
    CHECK(parse_str("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nabcdefg\r\n0\r\n\r\n", &lim, &r) == HP_REQ_BAD && r.status == 413,
          "chunked, framing past body_max");
}

int main(void)
{
    int n = (int)(sizeof rows / sizeof rows[0]);
    for (int i = 0; i < n; i++)
        check_row(&rows[i], i);
    for (int i = 0; i < n; i++)
        if (rows[i].rc == HP_REQ_DONE)
            check_prefixes(&rows[i], i);
    check_limits();
    return tap_done();
}
