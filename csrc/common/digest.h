/* hotpath:abi
 * Streaming SHA-256 and MD5, for verifying outputs by digest ("sha256:<hex>", "md5:<hex>").
 */
#ifndef HP_DIGEST_H
#define HP_DIGEST_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

enum hp_digest_kind { HP_DIGEST_NONE = 0, HP_DIGEST_SHA256 = 1, HP_DIGEST_MD5 = 2 };

/* Plain state, so callers (and FFI) can keep it on the stack. */
typedef struct hp_digest {
    int kind;
    uint32_t h[8];
    uint64_t total;          /* bytes fed so far */
    unsigned char block[64];
    size_t used;             /* bytes in block */
} hp_digest;

/* Starts a digest of the given kind; HP_EINVAL for an unknown kind. */
int hp_digest_init(hp_digest *d, int kind);
void hp_digest_update(hp_digest *d, const void *data, size_t len);
/* Finishes the digest and writes its lowercase hex (64 or 32 chars) and a NUL into hex[65]. */
void hp_digest_final_hex(hp_digest *d, char *hex);
/* One-shot form; returns HP_EINVAL for an unknown kind. */
int hp_digest_hex(int kind, const void *data, size_t len, char *hex);

#pragma GCC visibility pop
#endif
