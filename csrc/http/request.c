/* Builds the request bytes once for a whole load run (see request.h). */
#include "http/request.h"
#include "common/common.h"
#include "common/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int token_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 127)
            return 0;
    return 1;
}

/* Checks the header block; sets *has_host / *has_length when the user gave those. */
static int headers_ok(const char *h, int *has_host, int *has_length)
{
    while (*h) {
        const char *eol = strstr(h, "\r\n");
        const char *colon = strchr(h, ':');
        if (!eol || !colon || colon > eol || colon == h)
            return 0;
        for (const char *c = h; c < eol; c++)
            if ((unsigned char)*c < ' ' && *c != '\t')
                return 0;
        for (const char *c = h; c < colon; c++)
            if ((unsigned char)*c <= ' ')
                return 0;
        size_t nl = (size_t)(colon - h);
        if (nl == 4 && strncasecmp(h, "host", 4) == 0)
            *has_host = 1;
        if (nl == 14 && strncasecmp(h, "content-length", 14) == 0)
            *has_length = 1;
        h = eol + 2;
    }
    return 1;
}

int hp_http_request_build(const char *method, const char *target, const char *host,
                          const char *headers, const char *body, size_t body_len,
                          char **out, size_t *out_len, char **errmsg)
{
    *out = NULL;
    *out_len = 0;
    if (!token_ok(method))
        return hp_err(errmsg, HP_EINVAL, "bad method '%s'", method ? method : "");
    if (!token_ok(target))
        return hp_err(errmsg, HP_EINVAL, "bad request target '%s'", target ? target : "");
    if (!token_ok(host))
        return hp_err(errmsg, HP_EINVAL, "bad host '%s'", host ? host : "");
    int has_host = 0, has_length = 0;
    if (!headers)
        headers = "";
    if (!headers_ok(headers, &has_host, &has_length))
        return hp_err(errmsg, HP_EINVAL, "headers must be CRLF-terminated \"Name: value\" lines");
    char clen[48] = "";
    if (body && !has_length)
        snprintf(clen, sizeof clen, "Content-Length: %zu\r\n", body_len);
    size_t n = strlen(method) + 1 + strlen(target) + 11 + (has_host ? 0 : 8 + strlen(host))
               + strlen(headers) + strlen(clen) + 2 + (body ? body_len : 0);
    char *r = malloc(n + 1);
    if (!r)
        return hp_err(errmsg, HP_ENOMEM, "out of memory building the request");
    int k = snprintf(r, n + 1, "%s %s HTTP/1.1\r\n", method, target);
    if (!has_host)
        k += snprintf(r + k, n + 1 - (size_t)k, "Host: %s\r\n", host);
    k += snprintf(r + k, n + 1 - (size_t)k, "%s%s\r\n", headers, clen);
    if (body && body_len)
        memcpy(r + k, body, body_len);
    r[n] = 0;
    *out = r;
    *out_len = n;
    return HP_OK;
}
