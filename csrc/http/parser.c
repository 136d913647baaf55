/* Streaming HTTP/1.1 response parser: a small state machine over lines and body bytes.
 * Lines complete in the input are read in place; a line split across reads is gathered in
 * p->line first, so a response may arrive one byte at a time. */
#include "http/parser.h"
#include "http/text.h"

#include <string.h>

enum {
    ST_STATUS = 0,     /* expecting the status line */
    ST_HEADER,         /* header lines until the empty line */
    ST_BODY_LEN,       /* skipping remaining bytes of a Content-Length body */
    ST_BODY_EOF,       /* body runs to the end of the connection */
    ST_CHUNK_SIZE,     /* chunk-size line */
    ST_CHUNK_DATA,     /* chunk bytes */
    ST_CHUNK_CRLF,     /* the CRLF after chunk data */
    ST_TRAILER         /* trailer lines after the last chunk, until the empty line */
};

void hp_http_parser_init(hp_http_parser *p)
{
    memset(p, 0, sizeof *p);
    p->state = ST_STATUS;
    p->keep_alive = 1;
}

/* Ready for the next response on the same connection (keeps head, which the caller sets). */
static void next_response(hp_http_parser *p)
{
    p->state = ST_STATUS;
    p->chunked = 0;
    p->has_length = 0;
    p->remaining = 0;
    p->body_bytes = 0;
    p->line_len = 0;
}

static int fail(hp_http_parser *p, const char *why)
{
    p->error = why;
    return HP_HTTP_ERROR;
}

static int parse_u64(const char *s, size_t n, int base, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t start = i;
    for (; i < n; i++) {
        int c = hp_http_lower((unsigned char)s[i]), d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (i == start)
        return -1;
    /* allowed after digits: spaces, or ';' chunk extensions in a chunk-size line */
    for (; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') {
            if (base == 16 && s[i] == ';')
                break;
            return -1;
        }
    *out = v;
    return 0;
}

/* The headers ended: decide how the body is framed. Returns DONE, NEED_MORE (body follows)
 * or ERROR. */
static int headers_done(hp_http_parser *p)
{
    int s = p->status;
    if (s >= 100 && s < 200) { /* interim response: the real one follows */
        next_response(p);
        return HP_HTTP_NEED_MORE;
    }
    if (p->head || s == 204 || s == 304)
        return HP_HTTP_DONE;
    if (p->chunked) {
        p->state = ST_CHUNK_SIZE;
        return HP_HTTP_NEED_MORE;
    }
    if (p->has_length) {
        if (p->remaining == 0)
            return HP_HTTP_DONE;
        p->state = ST_BODY_LEN;
        return HP_HTTP_NEED_MORE;
    }
    p->state = ST_BODY_EOF;
    p->keep_alive = 0;
    return HP_HTTP_NEED_MORE;
}

/* One complete line (without CR LF) in the states that read lines. */
static int on_line(hp_http_parser *p, const char *s, size_t n)
{
    if (n && s[n - 1] == '\r')
        n--;
    switch (p->state) {
    case ST_STATUS: {
        /* HTTP/1.x SP 3DIGIT [SP reason] */
        if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
            return fail(p, "bad status line");
        if (s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9')
            return fail(p, "bad status code");
        if (n > 12 && s[12] != ' ')
            return fail(p, "bad status line");
        p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
        p->keep_alive = s[7] == '1';
        p->state = ST_HEADER;
        return HP_HTTP_NEED_MORE;
    }
    case ST_HEADER: {
        if (n == 0)
            return headers_done(p);
        const char *colon = memchr(s, ':', n);
        if (!colon || colon == s)
            return fail(p, "bad header line");
        size_t nl = (size_t)(colon - s);
        const char *v = colon + 1;
        size_t vl = n - nl - 1;
        switch (hp_http_lower((unsigned char)s[0])) {
        case 'c':
            if (hp_http_name_is(s, nl, "content-length")) {
                uint64_t len;
                if (parse_u64(v, vl, 10, &len) != 0)
                    return fail(p, "bad Content-Length");
                if (p->has_length && len != p->remaining)
                    return fail(p, "conflicting Content-Length");
                p->has_length = 1;
                p->remaining = len;
            } else if (hp_http_name_is(s, nl, "connection")) {
                if (hp_http_has_token(v, vl, "close"))
                    p->keep_alive = 0;
                else if (hp_http_has_token(v, vl, "keep-alive"))
                    p->keep_alive = 1;
            }
            break;
        case 't':
            if (hp_http_name_is(s, nl, "transfer-encoding")) {
                if (!hp_http_has_token(v, vl, "chunked"))
                    return fail(p, "unsupported Transfer-Encoding");
                p->chunked = 1;
            }
            break;
        }
        return HP_HTTP_NEED_MORE;
    }
    case ST_CHUNK_SIZE: {
        uint64_t sz;
        if (parse_u64(s, n, 16, &sz) != 0)
            return fail(p, "bad chunk size");
        if (sz == 0) {
            p->state = ST_TRAILER;
            return HP_HTTP_NEED_MORE;
        }
        p->remaining = sz;
        p->state = ST_CHUNK_DATA;
        return HP_HTTP_NEED_MORE;
    }
    case ST_CHUNK_CRLF:
        if (n != 0)
            return fail(p, "missing CRLF after chunk");
        p->state = ST_CHUNK_SIZE;
        return HP_HTTP_NEED_MORE;
    case ST_TRAILER:
        return n == 0 ? HP_HTTP_DONE : HP_HTTP_NEED_MORE;
    }
    return fail(p, "internal parser state");
}

int hp_http_parse(hp_http_parser *p, const char *buf, size_t len, size_t *consumed)
{
    size_t i = 0;
    while (i < len) {
        switch (p->state) {
        case ST_BODY_LEN:
        case ST_CHUNK_DATA: {
            size_t take = len - i;
            if ((uint64_t)take > p->remaining)
                take = (size_t)p->remaining;
            p->remaining -= take;
            p->body_bytes += take;
            i += take;
            if (p->remaining == 0) {
                if (p->state == ST_CHUNK_DATA) {
                    p->state = ST_CHUNK_CRLF;
                } else {
                    next_response(p);
                    *consumed = i;
                    return HP_HTTP_DONE;
                }
            }
            continue;
        }
        case ST_BODY_EOF:
            p->body_bytes += len - i;
            i = len;
            continue;
        default:
            break;
        }
        /* line states */
        const char *nl = memchr(buf + i, '\n', len - i);
        if (!nl) {
            size_t n = len - i;
            if (p->line_len + n > HP_HTTP_LINE_MAX)
                return fail(p, "line too long");
            memcpy(p->line + p->line_len, buf + i, n);
            p->line_len += n;
            i = len;
            break;
        }
        size_t n = (size_t)(nl - (buf + i));
        int rc;
        /* the limit holds however the line arrived: read in place as well as gathered */
        if (p->line_len + n > HP_HTTP_LINE_MAX)
            return fail(p, "line too long");
        if (p->line_len) {
            memcpy(p->line + p->line_len, buf + i, n);
            size_t total = p->line_len + n;
            p->line_len = 0;
            rc = on_line(p, p->line, total);
        } else {
            rc = on_line(p, buf + i, n);
        }
        i += n + 1;
        if (rc == HP_HTTP_ERROR)
            return rc;
        if (rc == HP_HTTP_DONE) {
            next_response(p);
            *consumed = i;
            return HP_HTTP_DONE;
        }
    }
    *consumed = len;
    return HP_HTTP_NEED_MORE;
}

int hp_http_parse_eof(hp_http_parser *p)
{
    if (p->state == ST_BODY_EOF) {
        next_response(p);
        return HP_HTTP_DONE;
    }
    if (p->state == ST_STATUS && p->line_len == 0)
        return HP_HTTP_NEED_MORE;
    return fail(p, "connection closed mid-response");
}
