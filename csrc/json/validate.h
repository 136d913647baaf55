/* Strict RFC 8259 checker that finds where a document goes wrong. Internal to the core.
 * simdjson says only what kind of error it met; this says where, so every parse error the
 * user sees carries a byte offset. Used on the error path only: clarity over speed. */
#ifndef HP_JSON_VALIDATE_H
#define HP_JSON_VALIDATE_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/* Checks len bytes at s (a leading UTF-8 BOM is skipped) with at most max_depth nested
 * arrays/objects. Returns 1 and stores the offset of the first error and a static
 * description in *offset / *what, or 0 when the document is valid. Never raises; allocates
 * at most max_depth bytes (returns 1 with what = "out of memory" if that fails). */
int hp_json_locate_error(const char *s, size_t len, unsigned max_depth, size_t *offset,
                         const char **what);

#ifdef __cplusplus
}
#endif
#endif
