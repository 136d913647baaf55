/* Digests against the published test vectors (FIPS 180-4 examples, RFC 1321 appendix). */
#include "common/common.h"
#include "common/digest.h"
#include "tap.h"

#include <stdlib.h>

static void one(int kind, const char *in, const char *want)
{
    char hex[65];
    hp_digest_hex(kind, in, strlen(in), hex);
    char what[160];
    snprintf(what, sizeof what, "%s(\"%.40s\")", kind == HP_DIGEST_SHA256 ? "sha256" : "md5", in);
    CHECK_STR(hex, want, what);
}

int main(void)
{
    one(HP_DIGEST_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    one(HP_DIGEST_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    one(HP_DIGEST_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    one(HP_DIGEST_MD5, "", "d41d8cd98f00b204e9800998ecf8427e");
    one(HP_DIGEST_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72");
    one(HP_DIGEST_MD5, "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
        "57edf4a22be3c955ac49da2e2107b67a");

    /* Streaming in uneven pieces gives the one-shot digest (block boundaries, 55/56/64 bytes). */
    size_t sizes[] = { 55, 56, 63, 64, 65, 1000000 };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        char *buf = malloc(n);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)('a' + i % 26);
        for (int kind = HP_DIGEST_SHA256; kind <= HP_DIGEST_MD5; kind++) {
            char one_shot[65], streamed[65];
            hp_digest_hex(kind, buf, n, one_shot);
            hp_digest d;
            hp_digest_init(&d, kind);
            for (size_t off = 0, step = 1; off < n; off += step, step = step * 3 % 97 + 1)
                hp_digest_update(&d, buf + off, off + step > n ? n - off : step);
            hp_digest_final_hex(&d, streamed);
            char what[80];
            snprintf(what, sizeof what, "streamed %zu bytes (kind %d) = one-shot", n, kind);
            CHECK_STR(streamed, one_shot, what);
        }
        free(buf);
    }
    /* One million 'a' (FIPS 180-4). */
    char *m = malloc(1000000);
    memset(m, 'a', 1000000);
    char hex[65];
    hp_digest_hex(HP_DIGEST_SHA256, m, 1000000, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "sha256 of a million 'a'");
    free(m);
    CHECK(hp_digest_hex(99, "", 0, hex) == HP_EINVAL, "unknown kind is HP_EINVAL");
    return tap_done();
}
