/* Internal: case-insensitive header text matching, shared by the response parser (load
 * generator) and the request parser (reference server). Inline: both run per message. */
#ifndef HP_HTTP_TEXT_H
#define HP_HTTP_TEXT_H
#include <stddef.h>
#include <string.h>

static inline int hp_http_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Does [s, s+n) equal the lowercase literal name, ignoring case? */
static inline int hp_http_name_is(const char *s, size_t n, const char *name)
{
    size_t k = strlen(name);
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (hp_http_lower((unsigned char)s[i]) != name[i])
            return 0;
    return 1;
}

/* Does the header value [v, v+n) contain the lowercase token, ignoring case? */
static inline int hp_http_has_token(const char *v, size_t n, const char *tok)
{
    size_t k = strlen(tok);
    for (size_t i = 0; i + k <= n; i++) {
        size_t j = 0;
        while (j < k && hp_http_lower((unsigned char)v[i + j]) == tok[j])
            j++;
        if (j == k)
            return 1;
    }
    return 0;
}
#endif
