/* The reference server's request parser (see reqparse.h). Rules from RFC 9112: lines end in
 * CRLF (a bare LF or CR is an error, not a line end), no obsolete line folding, no whitespace
 * before a field's colon, one message framing (Content-Length, or chunked as the final
 * transfer coding, never both). Runs once per request on the server's hot path: lines are
 * found with memchr and header values checked eight bytes at a time. */
#include "http/reqparse.h"

#include <stdint.h>
#include <string.h>

/* Character classes (RFC 9110 5.6.2 tchar; request-target characters: visible ASCII). */
enum { C_TCHAR = 1, C_TARGET = 2 };
static const unsigned char cclass[256] = {
    ['!'] = 3, ['"'] = 2, ['#'] = 3, ['$'] = 3, ['%'] = 3, ['&'] = 3, ['\''] = 3, ['('] = 2,
    [')'] = 2, ['*'] = 3, ['+'] = 3, [','] = 2, ['-'] = 3, ['.'] = 3, ['/'] = 2, [':'] = 2,
    [';'] = 2, ['<'] = 2, ['='] = 2, ['>'] = 2, ['?'] = 2, ['@'] = 2, ['['] = 2, ['\\'] = 2,
    [']'] = 2, ['^'] = 3, ['_'] = 3, ['`'] = 3, ['{'] = 2, ['|'] = 3, ['}'] = 2, ['~'] = 3,
    ['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3, ['5'] = 3, ['6'] = 3, ['7'] = 3,
    ['8'] = 3, ['9'] = 3,
    ['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3, ['G'] = 3, ['H'] = 3,
    ['I'] = 3, ['J'] = 3, ['K'] = 3, ['L'] = 3, ['M'] = 3, ['N'] = 3, ['O'] = 3, ['P'] = 3,
    ['Q'] = 3, ['R'] = 3, ['S'] = 3, ['T'] = 3, ['U'] = 3, ['V'] = 3, ['W'] = 3, ['X'] = 3,
    ['Y'] = 3, ['Z'] = 3,
    ['a'] = 3, ['b'] = 3, ['c'] = 3, ['d'] = 3, ['e'] = 3, ['f'] = 3, ['g'] = 3, ['h'] = 3,
    ['i'] = 3, ['j'] = 3, ['k'] = 3, ['l'] = 3, ['m'] = 3, ['n'] = 3, ['o'] = 3, ['p'] = 3,
    ['q'] = 3, ['r'] = 3, ['s'] = 3, ['t'] = 3, ['u'] = 3, ['v'] = 3, ['w'] = 3, ['x'] = 3,
    ['y'] = 3, ['z'] = 3,
};

static int bad(hp_req *r, int status, const char *why)
{
    r->status = status;
    r->why = why;
    return HP_REQ_BAD;
}

/* Are all bytes of [s, s+n) allowed in a field value (VCHAR, SP, HTAB, obs-text: no control
 * character other than HTAB, no DEL)? Eight bytes a step; a word holding a byte below 0x20 or
 * DEL (most often a tab) is looked at bytewise. */
static int value_ok(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t y = x ^ (0x7f * ones);
        if (((x - 0x20 * ones) & ~x & highs) | ((y - ones) & ~y & highs))
            break;
    }
    for (; i < n; i++)
        if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
            return 0;
    return 1;
}

/* Does [s, s+n) equal the lowercase literal lit (letters, digits, '-') ignoring case? For
 * tchar input, c | 0x20 is a lowercase letter only when c is that letter in either case. */
static int name_eq(const char *s, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] | 0x20) != (unsigned char)lit[i])
            return 0;
    return 1;
}

/* The next element of a comma-separated list in [*s, end): skips empty elements and OWS,
 * sets *tok, *len (trailing OWS removed). Returns 0 at the end of the list. */
static int list_next(const char **s, const char *end, const char **tok, size_t *len)
{
    const char *q = *s;
    while (q < end && (*q == ',' || *q == ' ' || *q == '\t'))
        q++;
    if (q == end)
        return 0;
    const char *e = q;
    while (e < end && *e != ',')
        e++;
    *s = e;
    while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *tok = q;
    *len = (size_t)(e - q);
    return 1;
}

/* Content-Length's value (OWS trimmed): one or more decimal numbers separated by commas, all
 * equal (RFC 9112 6.3: a list of identical values is accepted). Values above max saturate to
 * max + 1. Returns 0 and sets *v, or -1 if malformed. */
static int parse_clen(const char *s, size_t n, size_t max, size_t *v)
{
    size_t i = 0;
    int first = 1;
    for (;;) {
        size_t x = 0, d = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            x = x * 10 + (size_t)(s[i] - '0');
            if (x > max)
                x = max + 1;   /* saturate: bounded, never overflows */
            i++, d++;
        }
        if (d == 0 || (!first && x != *v))
            return d == 0 ? -1 : -2;
        *v = x;
        first = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n)
            return 0;
        if (s[i] != ',')
            return -1;
        i++;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
    }
}

/* One field line [s, lf) (lf at its LF): checks it and finds name and trimmed value. Returns
 * NULL, or the reason it is malformed. */
static const char *field_line(const char *s, const char *lf, size_t *nl, const char **v, size_t *vl)
{
    if (lf - 1 < s || lf[-1] != '\r')
        return "header line not ending in CRLF";
    if (*s == ' ' || *s == '\t')
        return "obsolete line folding";
    const char *q = s;
    while (q < lf && (cclass[(unsigned char)*q] & C_TCHAR))
        q++;
    if (q == s || *q != ':')
        return "bad header name";
    *nl = (size_t)(q - s);
    const char *a = q + 1, *b = lf - 1;
    if (!value_ok((const unsigned char *)a, (size_t)(b - a)))
        return "bad character in header value";
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    *v = a;
    *vl = (size_t)(b - a);
    return NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The chunked body starting at p + b (b: the head's length). Returns DONE with r->len, MORE,
 * or BAD. */
static int chunked_body(const char *p, size_t n, size_t b, size_t body_max, hp_req *r)
{
    size_t i = b;
    for (;;) {
        uint64_t sz = 0;
        size_t start = i;
        while (i < n) {
            int h = hexval((unsigned char)p[i]);
            if (h < 0)
                break;
            if (sz > (UINT64_MAX >> 4))
                return bad(r, 400, "chunk size overflows");
            sz = sz << 4 | (uint64_t)h;
            i++;
        }
        if (i == n)
            goto more;
        if (i == start || (p[i] != ';' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r'))
            return bad(r, 400, "bad chunk size");
        /* chunk extensions are skipped; they may hold no control character but HTAB */
        const char *cr = memchr(p + i, '\r', n - i);
        if (!cr)
            goto more;
        if (!value_ok((const unsigned char *)p + i, (size_t)(cr - p) - i))
            return bad(r, 400, "bad character in chunk extension");
        i = (size_t)(cr - p) + 1;
        if (i == n)
            goto more;
        if (p[i] != '\n')
            return bad(r, 400, "chunk size line not ending in CRLF");
        i++;
        if (sz == 0)
            break;
        if (sz > body_max || i - b + sz + 2 > body_max)
            return bad(r, 413, "body too large");
        if (i + sz + 2 > n)
            goto more;
        if (p[i + sz] != '\r' || p[i + sz + 1] != '\n')
            return bad(r, 400, "chunk data not followed by CRLF");
        i += sz + 2;
    }
    /* trailer section: field lines, then an empty line */
    for (;;) {
        if (i - b > body_max)
            return bad(r, 413, "body too large");
        if (i == n)
            goto more;
        if (p[i] == '\r') {
            if (i + 1 == n)
                goto more;
            if (p[i + 1] != '\n')
                return bad(r, 400, "bad trailer field");
            i += 2;
            break;
        }
        const char *lf = memchr(p + i, '\n', n - i);
        if (!lf)
            goto more;
        size_t nl, vl;
        const char *v;
        if (lf == p + i || field_line(p + i, lf, &nl, &v, &vl))
            return bad(r, 400, "bad trailer field");
        i = (size_t)(lf - p) + 1;
    }
    if (i - b > body_max)
        return bad(r, 413, "body too large");
    r->len = i;
    return HP_REQ_DONE;
more:
    if (n - b >= body_max)
        return bad(r, 413, "body too large");
    return HP_REQ_MORE;
}

int hp_req_parse(const char *p, size_t n, const hp_req_limits *lim, hp_req *r)
{
    size_t line_max = lim ? lim->line_max : HP_REQ_LINE_MAX;
    size_t head_max = lim ? lim->head_max : HP_REQ_HEAD_MAX;
    size_t body_max = lim ? lim->body_max : HP_REQ_BODY_MAX;
    r->len = 0;
    r->keep_alive = r->head = r->status = 0;
    r->why = NULL;

    /* empty lines before the request line are ignored (RFC 9112 2.2); they count as head */
    size_t pos = 0;
    while (pos + 1 < n && p[pos] == '\r' && p[pos + 1] == '\n')
        pos += 2;
    if (pos >= head_max)
        return bad(r, 431, "request head too large");

    /* request-line = method SP request-target SP HTTP-version CRLF */
    size_t span = n - pos < line_max + 2 ? n - pos : line_max + 2;
    const char *lf = memchr(p + pos, '\n', span);
    if (!lf) {
        if (n - pos >= line_max + 2)
            return bad(r, 414, "request line too long");
        if (n >= head_max)
            return bad(r, 431, "request head too large");
        /* reject a method that cannot be one without waiting for the line's end */
        for (size_t i = pos; i < n && p[i] != ' '; i++)
            if (!(cclass[(unsigned char)p[i]] & C_TCHAR) && !(p[i] == '\r' && i + 1 == n))
                return bad(r, 400, "bad method");
        return HP_REQ_MORE;
    }
    const char *line = p + pos;
    if (lf == line || lf[-1] != '\r')
        return bad(r, 400, "request line not ending in CRLF");
    const char *eol = lf - 1;
    if ((size_t)(eol - line) > line_max)
        return bad(r, 414, "request line too long");
    if ((size_t)(lf - p) + 1 > head_max)
        return bad(r, 431, "request head too large");
    const char *q = line;
    while (q < eol && (cclass[(unsigned char)*q] & C_TCHAR))
        q++;
    if (q == line || q == eol || *q != ' ')
        return bad(r, 400, "bad method");
    size_t mlen = (size_t)(q - line);
    const char *tgt = ++q;
    while (q < eol && (cclass[(unsigned char)*q] & C_TARGET))
        q++;
    if (q == tgt || q == eol || *q != ' ')
        return bad(r, 400, "bad request target");
    q++;
    if (eol - q != 8 || memcmp(q, "HTTP/", 5) != 0 || q[5] < '0' || q[5] > '9' || q[6] != '.' ||
        q[7] < '0' || q[7] > '9')
        return bad(r, 400, "bad HTTP version");
    if (q[5] != '1')
        return bad(r, 505, "HTTP version not supported");
    int http10 = q[7] == '0';   /* HTTP/1.2 and later minors are treated as 1.1 (RFC 9110 2.5) */
    int ka_token = 0, close_token = 0, te = 0, te_chunked = 0, te_other = 0, te_last_chunked = 0;
    int have_clen = 0;
    size_t clen = 0;

    /* field lines, up to the empty line */
    pos = (size_t)(lf - p) + 1;
    size_t hlen;
    for (;;) {
        if (pos >= n)
            goto more_head;
        if (p[pos] == '\r') {
            if (pos + 1 == n)
                goto more_head;
            if (p[pos + 1] != '\n')
                return bad(r, 400, "header line not ending in CRLF");
            hlen = pos + 2;
            if (hlen > head_max)
                return bad(r, 431, "request head too large");
            break;
        }
        if (p[pos] == '\n')
            return bad(r, 400, "header line not ending in CRLF");
        size_t room = (n < head_max ? n : head_max) - pos;
        lf = memchr(p + pos, '\n', room);
        if (!lf)
            goto more_head;
        size_t nl, vl;
        const char *v, *why = field_line(p + pos, lf, &nl, &v, &vl);
        if (why)
            return bad(r, 400, why);
        const char *name = p + pos;
        if (nl == 10 && name_eq(name, "connection", 10)) {
            const char *s = v, *tok;
            size_t tl;
            while (list_next(&s, v + vl, &tok, &tl)) {
                if (tl == 5 && name_eq(tok, "close", 5))
                    close_token = 1;
                else if (tl == 10 && name_eq(tok, "keep-alive", 10))
                    ka_token = 1;
            }
        } else if (nl == 14 && name_eq(name, "content-length", 14)) {
            size_t x = 0;
            int rc = parse_clen(v, vl, body_max, &x);
            if (rc == -1)
                return bad(r, 400, "bad Content-Length");
            if (rc == -2 || (have_clen && x != clen))
                return bad(r, 400, "conflicting Content-Length values");
            have_clen = 1;
            clen = x;
        } else if (nl == 17 && name_eq(name, "transfer-encoding", 17)) {
            const char *s = v, *tok;
            size_t tl;
            te = 1;
            while (list_next(&s, v + vl, &tok, &tl)) {
                te_last_chunked = tl == 7 && name_eq(tok, "chunked", 7);
                if (te_last_chunked)
                    te_chunked++;
                else
                    te_other = 1;
            }
        }
        pos = (size_t)(lf - p) + 1;
    }

    r->head = mlen == 4 && memcmp(line, "HEAD", 4) == 0;
    r->keep_alive = !close_token && (!http10 || ka_token);
    if (te) {
        if (http10)
            return bad(r, 400, "Transfer-Encoding in an HTTP/1.0 request");
        if (have_clen)
            return bad(r, 400, "both Transfer-Encoding and Content-Length");
        if (!te_last_chunked || te_chunked > 1)
            return bad(r, 400, "chunked is not the final transfer coding");
        if (te_other)
            return bad(r, 501, "transfer coding not implemented");
        return chunked_body(p, n, hlen, body_max, r);
    }
    if (clen > body_max)
        return bad(r, 413, "body too large");
    if (n - hlen < clen)
        return HP_REQ_MORE;
    r->len = hlen + clen;
    return HP_REQ_DONE;

more_head:
    if (n >= head_max)
        return bad(r, 431, "request head too large");
    return HP_REQ_MORE;
}
