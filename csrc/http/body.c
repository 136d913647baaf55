/* The json test's body. TechEmpower asks for a fresh serialization per request, so this goes
 * through the project's JSON writer (csrc/json/writer.h) each time rather than copying a
 * constant. */
#include "http/body.h"
#include "json/writer.h"

size_t hp_http_json_hello(char *buf, size_t cap)
{
    hp_jw w;
    hp_jw_init(&w, buf, cap);
    hp_jw_char(&w, '{');
    hp_jw_string(&w, "message", 7);
    hp_jw_char(&w, ':');
    hp_jw_string(&w, "Hello, World!", 13);
    hp_jw_char(&w, '}');
    size_t n = w.len;
    if (w.heap || w.oom) { /* cannot happen with cap >= 64; never hand back heap memory */
        hp_jw_free(&w);
        return 0;
    }
    return n;
}
