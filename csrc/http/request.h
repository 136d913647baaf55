/* hotpath:abi
 * Request serialization: the load generator sends the same bytes for every request, so the
 * request is built once, before the run.
 */
#ifndef HP_HTTP_REQUEST_H
#define HP_HTTP_REQUEST_H
#include <stddef.h>
#pragma GCC visibility push(default)

/* Builds "METHOD target HTTP/1.1\r\nHost: host\r\n<headers>[Content-Length: n\r\n]\r\n<body>"
 * into *out (malloc'd, free with hp_free). headers is a block of complete "Name: value\r\n"
 * lines or NULL; a Host or Content-Length line in it replaces the generated one. A body (even
 * empty, when body is not NULL) gets Content-Length. HP_EINVAL for a method or target with
 * spaces or control characters, or headers not made of CRLF-terminated "Name: value" lines. */
int hp_http_request_build(const char *method, const char *target, const char *host,
                          const char *headers, const char *body, size_t body_len,
                          char **out, size_t *out_len, char **errmsg);

#pragma GCC visibility pop
#endif
