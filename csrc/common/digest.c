/* SHA-256 (FIPS 180-4) and MD5 (RFC 1321) over one streaming state.
 * Speed matters little (outputs are a few MB); clarity and exactness do. */
#include "common/digest.h"
#include "common/common.h"

#include <string.h>

/* ---- SHA-256 ------------------------------------------------------------------------------ */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

/* ---- MD5 ---------------------------------------------------------------------------------- */

static const uint32_t KMD5[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
static const int RMD5[64] = {
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

static void md5_block(uint32_t h[4], const unsigned char *p)
{
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
               (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) { f = (b & c) | (~b & d); g = i; }
        else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) & 15; }
        else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) & 15; }
        else { f = c ^ (b | ~d); g = (7 * i) & 15; }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rol(a + f + KMD5[i] + m[g], RMD5[i]);
        a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
}

/* ---- streaming ---------------------------------------------------------------------------- */

int hp_digest_init(hp_digest *d, int kind)
{
    static const uint32_t iv256[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    static const uint32_t ivmd5[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
    memset(d, 0, sizeof *d);
    if (kind == HP_DIGEST_SHA256)
        memcpy(d->h, iv256, sizeof iv256);
    else if (kind == HP_DIGEST_MD5)
        memcpy(d->h, ivmd5, sizeof ivmd5);
    else
        return HP_EINVAL;
    d->kind = kind;
    return HP_OK;
}

static void block(hp_digest *d, const unsigned char *p)
{
    if (d->kind == HP_DIGEST_SHA256)
        sha256_block(d->h, p);
    else
        md5_block(d->h, p);
}

void hp_digest_update(hp_digest *d, const void *data, size_t len)
{
    const unsigned char *p = data;
    d->total += len;
    if (d->used) {
        size_t take = 64 - d->used < len ? 64 - d->used : len;
        memcpy(d->block + d->used, p, take);
        d->used += take;
        p += take;
        len -= take;
        if (d->used < 64)
            return;
        block(d, d->block);
        d->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        block(d, p);
    memcpy(d->block, p, len);
    d->used = len;
}

void hp_digest_final_hex(hp_digest *d, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    uint64_t bits = d->total * 8;
    unsigned char pad[72] = { 0x80 };
    size_t padlen = (d->used < 56 ? 56 : 120) - d->used;
    for (int i = 0; i < 8; i++) /* SHA-256 stores the length big-endian, MD5 little-endian */
        pad[padlen + i] = (unsigned char)(d->kind == HP_DIGEST_SHA256 ? bits >> (56 - 8 * i)
                                                                      : bits >> (8 * i));
    uint64_t total = d->total;
    hp_digest_update(d, pad, padlen + 8);
    d->total = total;
    int words = d->kind == HP_DIGEST_SHA256 ? 8 : 4;
    for (int i = 0; i < words; i++)
        for (int j = 0; j < 4; j++) {
            unsigned v = d->kind == HP_DIGEST_SHA256 ? d->h[i] >> (24 - 8 * j) & 0xff
                                                     : d->h[i] >> (8 * j) & 0xff;
            hex[8 * i + 2 * j] = digits[v >> 4];
            hex[8 * i + 2 * j + 1] = digits[v & 15];
        }
    hex[8 * words] = '\0';
}

int hp_digest_hex(int kind, const void *data, size_t len, char *hex)
{
    hp_digest d;
    if (hp_digest_init(&d, kind) != HP_OK)
        return HP_EINVAL;
    hp_digest_update(&d, data, len);
    hp_digest_final_hex(&d, hex);
    return HP_OK;
}
