/* The streaming response parser: framing, split reads, pipelined responses, errors. */
#include "tap.h"
#include "http/parser.h"

#include <stdlib.h>

/* Feeds s in pieces of `step` bytes (0: all at once); returns the number of complete
 * responses, or -1 on a parse error; statuses[] gets their codes, *ka the last keep_alive. */
static int feed(const char *s, size_t step, int head, int eof, int *statuses, int *ka)
{
    hp_http_parser *p = malloc(sizeof *p);
    hp_http_parser_init(p);
    p->head = head;
    size_t n = strlen(s), at = 0;
    int done = 0;
    while (at < n) {
        size_t len = step && n - at > step ? step : n - at;
        size_t off = 0;
        while (off < len) {
            size_t used;
            int rc = hp_http_parse(p, s + at + off, len - off, &used);
            off += used;
            if (rc == HP_HTTP_ERROR) {
                free(p);
                return -1;
            }
            if (rc == HP_HTTP_DONE) {
                statuses[done++] = p->status;
                *ka = p->keep_alive;
            }
        }
        at += len;
    }
    if (eof) {
        int rc = hp_http_parse_eof(p);
        if (rc == HP_HTTP_DONE) {
            statuses[done++] = p->status;
            *ka = p->keep_alive;
        } else if (rc == HP_HTTP_ERROR) {
            done = -1;
        }
    }
    free(p);
    return done;
}

static const char *PLAIN = "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 13\r\n\r\nHello, World!";
static const char *CHUNKED = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "5;ext=1\r\nHello\r\n8\r\n, World!\r\n0\r\nX-Trailer: y\r\n\r\n";

int main(void)
{
    int st[64], ka = -1;
    char msg[128];

    CHECK(feed(PLAIN, 0, 0, 0, st, &ka) == 1 && st[0] == 200 && ka == 1, "content-length response");
    int all = 1;
    for (size_t step = 1; step < 80; step++) {
        st[0] = 0;
        if (feed(PLAIN, step, 0, 0, st, &ka) != 1 || st[0] != 200)
            all = 0;
    }
    CHECK(all, "content-length response split at every size 1..79");
    all = 1;
    for (size_t step = 1; step < 100; step++)
        if (feed(CHUNKED, step, 0, 0, st, &ka) != 1 || st[0] != 201)
            all = 0;
    CHECK(all, "chunked response with extension and trailer, split at every size");

    char pipe[2048] = "";
    for (int i = 0; i < 5; i++)
        strcat(pipe, i % 2 ? CHUNKED : PLAIN);
    all = 1;
    for (size_t step = 0; step < 40; step++) {
        int n = feed(pipe, step, 0, 0, st, &ka);
        if (n != 5 || st[0] != 200 || st[1] != 201 || st[4] != 200)
            all = 0;
    }
    CHECK(all, "five pipelined responses, every split");

    CHECK(feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 0, 0, 0, st, &ka) == 1 && ka == 0,
          "Connection: close clears keep_alive");
    CHECK(feed("HTTP/1.0 200 OK\r\n\r\nbody until the end", 3, 0, 0, st, &ka) == 0, "1.0 without length waits for EOF");
    CHECK(feed("HTTP/1.0 200 OK\r\n\r\nbody until the end", 3, 0, 1, st, &ka) == 1 && ka == 0, "EOF ends a body without length");
    CHECK(feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 0, 0, 1, st, &ka) == -1, "EOF inside a body is an error");
    CHECK(feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 0, 0, 0, st, &ka) == 1 && st[0] == 204,
          "1xx skipped, 204 has no body");
    CHECK(feed("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0, 1, 0, st, &ka) == 2
          && st[0] == 200 && st[1] == 404, "HEAD responses carry no body");
    CHECK(feed("HTTP/1.1 200 OK\nContent-Length: 1\n\nx", 0, 0, 0, st, &ka) == 1, "bare LF line ends accepted");
    CHECK(feed("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 0, 0, 0, st, &ka) == 1, "status line without reason");

    static const char *bad[] = {
        "HTTP/2.0 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 600 X\r\n\r\n", "garbage\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(msg, sizeof msg, "malformed response %zu rejected", i + 1);
        CHECK(feed(bad[i], 0, 0, 0, st, &ka) == -1, msg);
    }
    /* a header line longer than the limit */
    size_t big = HP_HTTP_LINE_MAX + 100;
    char *longh = malloc(big + 64);
    strcpy(longh, "HTTP/1.1 200 OK\r\nX: ");
    memset(longh + strlen(longh), 'a', big);
    longh[20 + big] = 0;
    strcat(longh, "\r\n\r\n");
    CHECK(feed(longh, 1000, 0, 0, st, &ka) == -1, "over-long header line rejected");
    /* found by fuzz_http_response: a line complete in one read was parsed in place without
     * the length check, so the same bytes passed in one read and failed when split */
    CHECK(feed(longh, 0, 0, 0, st, &ka) == -1, "over-long header line rejected in one read too");
    hp_http_parser lp;
    hp_http_parser_init(&lp);
    size_t lused;
    CHECK(hp_http_parse(&lp, longh, strlen(longh), &lused) == HP_HTTP_ERROR, "over-long line: error in one read");
    CHECK_STR(lp.error, "line too long", "over-long line: error text in one read");
    /* the limit itself: a line of exactly HP_HTTP_LINE_MAX bytes (CR included) passes both ways */
    size_t at = strlen("HTTP/1.1 200 OK\r\nX: ");
    memset(longh + at, 'b', HP_HTTP_LINE_MAX - 4);
    strcpy(longh + at + HP_HTTP_LINE_MAX - 4, "\r\nContent-Length: 0\r\n\r\n");
    CHECK(feed(longh, 0, 0, 0, st, &ka) == 1 && feed(longh, 700, 0, 0, st, &ka) == 1,
          "a line of exactly the limit passes, in one read or split");
    memmove(longh + at + 1, longh + at, strlen(longh + at) + 1);
    longh[at] = 'b';
    CHECK(feed(longh, 0, 0, 0, st, &ka) == -1 && feed(longh, 700, 0, 0, st, &ka) == -1,
          "one byte over the limit fails, in one read or split");
    free(longh);

    hp_http_parser p;
    hp_http_parser_init(&p);
    size_t used;
    CHECK(hp_http_parse(&p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP", 44, &used) == HP_HTTP_DONE && used == 40,
          "consumed stops at the end of the response");
    CHECK(hp_http_parse_eof(&p) == HP_HTTP_NEED_MORE, "EOF between responses is clean");
    hp_http_parser_init(&p);
    CHECK(hp_http_parse(&p, "HTTP/1.1 200 OK\r\nX", 19, &used) == HP_HTTP_NEED_MORE && hp_http_parse_eof(&p) == HP_HTTP_ERROR, "EOF in the headers is an error");
    CHECK_STR(p.error, "connection closed mid-response", "error text");
    return tap_done();
}
