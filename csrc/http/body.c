/* The json test's body. TechEmpower asks for a fresh serialization per request, so this goes
 * through a JSON writer each time rather than copying a constant. */
#include "http/body.h"

#include <string.h>

/* Until the project's writer (csrc/json/writer.h) is merged: a minimal escaping writer. */
static size_t put_string(char *o, const char *s)
{
    size_t n = 0;
    o[n++] = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            o[n++] = '\\';
        o[n++] = *s;
    }
    o[n++] = '"';
    return n;
}

size_t hp_http_json_hello(char *buf, size_t cap)
{
    (void)cap;
    size_t n = 0;
    buf[n++] = '{';
    n += put_string(buf + n, "message");
    buf[n++] = ':';
    n += put_string(buf + n, "Hello, World!");
    buf[n++] = '}';
    return n;
}
