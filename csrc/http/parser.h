/* hotpath:abi
 * A streaming HTTP/1.1 response parser for the load generator: bytes go in as they arrive
 * (any split), complete responses come out one at a time with their status code. Bodies are
 * skipped, never copied: framing by Content-Length, chunked transfer coding, or the end of
 * the connection. No allocation; one parser per connection.
 */
#ifndef HP_HTTP_PARSER_H
#define HP_HTTP_PARSER_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

enum {
    HP_HTTP_LINE_MAX = 8192,    /* longest status, header, chunk-size or trailer line */
    HP_HTTP_NEED_MORE = 0,      /* every byte consumed, the response is not complete yet */
    HP_HTTP_DONE = 1,           /* one response complete; see status, keep_alive */
    HP_HTTP_ERROR = -1          /* malformed; see error; the connection must be dropped */
};

typedef struct hp_http_parser {
    int state;
    int status;            /* status code of the response being parsed / just completed */
    int keep_alive;        /* after DONE: 0 if the server will close (Connection: close, 1.0) */
    int head;              /* set by the caller: the request was HEAD (no body follows) */
    int chunked;
    int has_length;
    uint64_t remaining;    /* body or chunk bytes still to skip */
    uint64_t body_bytes;   /* body bytes of the current response */
    const char *error;     /* static text after HP_HTTP_ERROR */
    size_t line_len;
    char line[HP_HTTP_LINE_MAX];
} hp_http_parser;

/* Prepares p for a new connection (head = 0). */
void hp_http_parser_init(hp_http_parser *p);

/* Feeds len bytes. Returns HP_HTTP_DONE when a response completed, with *consumed the bytes
 * used up to its end (feed the rest again); HP_HTTP_NEED_MORE when all len bytes were used;
 * HP_HTTP_ERROR when malformed. 1xx interim responses are skipped silently. */
int hp_http_parse(hp_http_parser *p, const char *buf, size_t len, size_t *consumed);

/* The connection ended: HP_HTTP_DONE if that completes a response framed by the end of the
 * connection, HP_HTTP_NEED_MORE if no response was in progress, HP_HTTP_ERROR if one was cut. */
int hp_http_parse_eof(hp_http_parser *p);

#pragma GCC visibility pop
#endif
