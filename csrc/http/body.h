/* Internal: the json test's body, serialized per request with the project's JSON writer. */
#ifndef HP_HTTP_BODY_H
#define HP_HTTP_BODY_H
#include <stddef.h>

/* Writes {"message":"Hello, World!"} into buf (cap bytes, >= 64); returns its length. */
size_t hp_http_json_hello(char *buf, size_t cap);

#endif
