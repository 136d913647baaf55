/* k-nucleotide: k-mers are their 2-bit codes (A=0 C=1 G=2 T=3, so numeric key order is
 * letter order) as an integer, most significant first. The k-mers of each length k in
 * {1, 2, 3, 4, 6, 12, 18} are counted in full: k <= 6 through a direct table of 4096 6-mer
 * counters, 12 and 18 in open-addressing hash tables (the Benchmarks Game's "update a
 * hashtable" pass; the input's generator has only 139968 states, so these stay near 140,000
 * keys, 2 MB of slots each).
 *
 * Passes read the fasta text itself (no copy of the sequence: the kernel's own memory is the
 * tables). With more than one thread the work is three jobs, one per table (12-mers, 18-mers,
 * 6-mers), that the pool hands out: each table has one owner, nothing is merged, and the two
 * big tables live in two cores' caches. One thread runs the three jobs in turn, which beats
 * one pass over all three tables (a job keeps one 2 MB table in the cache; doc/kernels.md).
 * The counts, and the output, never depend on the split. Probes: AVX2 compares four slots
 * at once, so the common hit costs no data-dependent branch (mispredicted probe loops were
 * about one per letter). */
#include "kernels/knucleotide.h"
#include "kernels/kpar.h"
#include "common/common.h"
#include "common/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* k <= 6 come from one table of 4096 6-mer counters: the count of a shorter k-mer is the sum
 * over the 6-mers it starts, plus the last 5 positions (the "tail"), added at the end. */
#define SMALL 6

/* ---- open-addressing hash table of packed slots ------------------------------------------
 * A slot is (key + 1) << COUNT_BITS | count, 0 when empty: one 8-byte load per probe. Keys of
 * 18-mers take 36 bits, so counts get 27 bits (HP_KNUCLEOTIDE_MAX_LETTERS). Linear probing
 * does not wrap: PAD slots past the capacity take the probes that run off the end (the table
 * grows if a probe runs past them), so four slots from any home slot can be read at once. */
#define COUNT_BITS 27
#define COUNT_MASK ((UINT64_C(1) << COUNT_BITS) - 1)
#define PAD 64

#if defined(__x86_64__)
#include <immintrin.h>
#define KN_X86 1
#endif

typedef struct htab {
    uint64_t *slots; /* mask + 1 + PAD */
    size_t mask, used;
    int shift; /* 64 - log2(capacity) */
} htab;

static int ht_init(htab *t, int log2cap)
{
    t->mask = ((size_t)1 << log2cap) - 1;
    t->shift = 64 - log2cap;
    t->used = 0;
    t->slots = calloc(t->mask + 1 + PAD, sizeof(uint64_t));
    return t->slots ? HP_OK : HP_ENOMEM;
}

static void ht_free(htab *t) { free(t->slots); }

static inline size_t ht_slot(const htab *t, uint64_t key)
{
    return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> t->shift);
}

static int ht_grow(htab *t);

/* What ht_add_at returns when it added the key and the table was doubled (slot indices
 * computed before are stale). */
#define HT_GREW (-1)

/* Adds n to key's count, probing from slot i (ht_slot(t, key)). HP_OK, HT_GREW, or
 * HP_ENOMEM when the table cannot grow. */
static int ht_add_at(htab *t, uint64_t key, size_t i, uint64_t n)
{
    uint64_t tag = (key + 1) << COUNT_BITS;
    const size_t end = t->mask + 1 + PAD;
    for (; i < end; i++) {
        uint64_t s = t->slots[i];
        if ((s & ~COUNT_MASK) == tag) {
            t->slots[i] = s + n;
            return HP_OK;
        }
        if (s == 0)
            break;
    }
    if (i < end) {
        t->slots[i] = tag | n;
        if (++t->used * 4 <= t->mask * 3)
            return HP_OK;
        return ht_grow(t) == HP_OK ? HT_GREW : HP_ENOMEM;
    }
    /* ran off the padding: a bigger table spreads the cluster */
    if (ht_grow(t) != HP_OK)
        return HP_ENOMEM;
    int rc = ht_add_at(t, key, ht_slot(t, key), n);
    return rc == HP_OK ? HT_GREW : rc;
}

/* Adds n to key's count. HP_ENOMEM when the table cannot grow. */
static int ht_add(htab *t, uint64_t key, uint64_t n)
{
    int rc = ht_add_at(t, key, ht_slot(t, key), n);
    return rc == HT_GREW ? HP_OK : rc;
}

static int ht_grow(htab *t)
{
    htab old = *t;
    if (ht_init(t, 64 - old.shift + 1) != HP_OK) {
        *t = old;
        return HP_ENOMEM;
    }
    for (size_t i = 0; i < old.mask + 1 + PAD; i++)
        if (old.slots[i] && ht_add(t, (old.slots[i] >> COUNT_BITS) - 1, old.slots[i] & COUNT_MASK) != HP_OK) {
            ht_free(t);
            *t = old;
            return HP_ENOMEM;
        }
    ht_free(&old);
    return HP_OK;
}

static uint64_t ht_get(const htab *t, uint64_t key)
{
    uint64_t tag = (key + 1) << COUNT_BITS;
    for (size_t i = ht_slot(t, key); i < t->mask + 1 + PAD; i++) {
        if ((t->slots[i] & ~COUNT_MASK) == tag)
            return t->slots[i] & COUNT_MASK;
        if (t->slots[i] == 0)
            return 0;
    }
    return 0;
}

#ifdef KN_X86
/* The common case without a branch per probe: key already among the four slots from its home
 * slot i. Adds 1 to it (subtracting the all-ones compare lane) and returns 1, else 0. */
__attribute__((target("avx2"))) static inline int ht_hit4_avx2(uint64_t *slots, uint64_t key, size_t i)
{
    const __m256i keep = _mm256_set1_epi64x((long long)~COUNT_MASK);
    const __m256i tag = _mm256_set1_epi64x((long long)((key + 1) << COUNT_BITS));
    __m256i v = _mm256_loadu_si256((const __m256i *)(slots + i));
    __m256i eq = _mm256_cmpeq_epi64(_mm256_and_si256(v, keep), tag);
    if (_mm256_testz_si256(eq, eq))
        return 0;
    _mm256_storeu_si256((__m256i *)(slots + i), _mm256_sub_epi64(v, eq));
    return 1;
}
#endif

/* ---- counting ---------------------------------------------------------------------------- */

/* Keys are added a block at a time: all of a block's slots are hashed and prefetched, then
 * probed, so the probes (the tables outgrow a core's L2) find their lines on the way. */
#define BLOCK 64

static inline __attribute__((always_inline)) int kn_block(htab *t, const uint64_t *keys, size_t nk, int simd)
{
    size_t idx[BLOCK];
    for (size_t j = 0; j < nk; j++) {
        idx[j] = ht_slot(t, keys[j]);
        __builtin_prefetch(&t->slots[idx[j]], 1);
    }
    for (size_t j = 0; j < nk; j++) {
#ifdef KN_X86
        if (simd && ht_hit4_avx2(t->slots, keys[j], idx[j]))
            continue;
#else
        (void)simd;
#endif
        int rc = ht_add_at(t, keys[j], idx[j], 1);
        if (rc == HT_GREW) /* the block's remaining slots moved */
            for (size_t i = j + 1; i < nk; i++)
                idx[i] = ht_slot(t, keys[i]);
        else if (rc != HP_OK)
            return rc;
    }
    return HP_OK;
}

enum { KN_SIX = 1, KN_12 = 2, KN_18 = 4 };

typedef struct kn_ctx {
    const char *sec, *end; /* the sequence lines after the ">THREE" header */
    uint8_t code[256];     /* letter -> 0..3, 0xFF for anything else */
    int jobs[3];           /* what each job counts: KN_* flags */
    uint32_t *six;         /* 4096 counters */
    htab big[2];           /* 12-mers, 18-mers */
    /* filled by the job that counts 6-mers: letters, the last 32 codes, any bad byte seen */
    size_t n;
    uint64_t last;
    int bad;
} kn_ctx;

/* One pass over the sequence lines (the lines of extract()), counting the k-mers of one
 * length: 6 into the direct table (and the letters, the last codes and any bad byte), 12 or
 * 18 into its hash table. Inlined into one specialised copy per k. HP_ENOMEM when a table
 * cannot grow. */
static inline __attribute__((always_inline)) int kn_pass(kn_ctx *c, int k, int simd)
{
    const uint8_t *code = c->code;
    const uint64_t mask = k == 12 ? (UINT64_C(1) << 24) - 1 : (UINT64_C(1) << 36) - 1;
    uint32_t *six = c->six;
    htab *t = &c->big[k == 12 ? 0 : 1];
    uint64_t keys[BLOCK];
    size_t nk = 0;
    uint64_t key = 0;
    size_t pos = 0;
    uint8_t bad = 0;
    const char *p = c->sec, *end = c->end;
    while (p < end && *p != '>') {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r')
            le--;
        for (const char *q = p; q < le; q++) {
            uint8_t cd = code[(uint8_t)*q];
            bad |= cd;
            key = key << 2 | (cd & 3);
            pos++;
            if (k == 6) {
                if (pos >= 6)
                    six[key & 4095]++;
            } else if (pos >= (size_t)k) {
                keys[nk++] = key & mask;
                if (nk == BLOCK) {
                    if (kn_block(t, keys, nk, simd) != HP_OK)
                        return HP_ENOMEM;
                    nk = 0;
                }
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (k != 6 && nk && kn_block(t, keys, nk, simd) != HP_OK)
        return HP_ENOMEM;
    if (k == 6) {
        c->n = pos;
        c->last = key;
        c->bad = (bad & 0x80) != 0;
    }
    return HP_OK;
}

/* Jobs [begin, end): job j counts c->jobs[j]. One copy per ISA (SIMD: AVX2 probes). */
#define KN_JOBS(NAME, TARGET, SIMD)                                                           \
    TARGET static int NAME(void *vctx, int64_t begin, int64_t end, int worker)              \
    {                                                                                     \
        (void)worker;                                                                     \
        kn_ctx *c = vctx;                                                                 \
        for (int64_t j = begin; j < end; j++) {                                           \
            int rc;                                                                       \
            switch (c->jobs[j]) {                                                         \
            case KN_12: rc = kn_pass(c, 12, SIMD); break;                                 \
            case KN_18: rc = kn_pass(c, 18, SIMD); break;                                 \
            case KN_SIX: rc = kn_pass(c, 6, SIMD); break;                                 \
            default: rc = HP_OK; break;                                                   \
            }                                                                             \
            if (rc != HP_OK)                                                              \
                return rc;                                                                \
        }                                                                                 \
        return HP_OK;                                                                     \
    }

KN_JOBS(kn_jobs, , 0)
#ifdef KN_X86
KN_JOBS(kn_jobs_avx2, __attribute__((target("avx2"))), 1)
#endif

/* ---- input and output -------------------------------------------------------------------- */

/* Where the ">THREE" sequence starts: the line after its header (NULL when there is none). */
static const char *find_three(const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    for (;;) {
        const char *gt = memchr(p, '>', (size_t)(end - p));
        if (!gt)
            return NULL;
        if ((gt == text || gt[-1] == '\n') && end - gt >= 6 && memcmp(gt, ">THREE", 6) == 0) {
            const char *nl = memchr(gt, '\n', (size_t)(end - gt));
            return nl ? nl + 1 : end;
        }
        p = gt + 1;
    }
}

/* Packs the ">THREE" sequence into codes (A=0 C=1 G=2 T=3, either case), line by line,
 * until the next '>' or the end. HP_EPARSE (with the byte offset) on any other letter.
 * Used only to validate: for the exact error and the letter limit. */
static int extract(const char *text, size_t len, uint8_t **codes, size_t *n, char **errmsg)
{
    const char *p = text, *end = text + len;
    for (;;) {
        const char *gt = memchr(p, '>', (size_t)(end - p));
        if (!gt)
            return hp_err(errmsg, HP_EPARSE, "knucleotide: no \">THREE\" header in the input");
        if ((gt == text || gt[-1] == '\n') && end - gt >= 6 && memcmp(gt, ">THREE", 6) == 0) {
            p = gt;
            break;
        }
        p = gt + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    p = nl ? nl + 1 : end;
    uint8_t code[256];
    memset(code, 0xFF, sizeof code);
    code['A'] = code['a'] = 0;
    code['C'] = code['c'] = 1;
    code['G'] = code['g'] = 2;
    code['T'] = code['t'] = 3;
    uint8_t *out = malloc((size_t)(end - p) + 1);
    if (!out)
        return hp_err(errmsg, HP_ENOMEM, "knucleotide: cannot allocate %zu bytes", (size_t)(end - p));
    size_t k = 0;
    while (p < end && *p != '>') {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r')
            le--;
        uint8_t bad = 0;
        for (const char *q = p; q < le; q++) {
            uint8_t cd = code[(uint8_t)*q];
            bad |= cd;
            out[k++] = cd;
        }
        if (bad & 0x80)
            for (const char *q = p; q < le; q++)
                if (code[(uint8_t)*q] == 0xFF) {
                    free(out);
                    return hp_err(errmsg, HP_EPARSE, "knucleotide: unexpected byte 0x%02x at offset %zu",
                                  (unsigned)(uint8_t)*q, (size_t)(q - text));
                }
        p = nl ? nl + 1 : end;
    }
    if (k > HP_KNUCLEOTIDE_MAX_LETTERS) {
        free(out);
        return hp_err(errmsg, HP_ELIMIT, "knucleotide: the sequence must have at most %d letters, got %zu",
                      HP_KNUCLEOTIDE_MAX_LETTERS, k);
    }
    *codes = out;
    *n = k;
    return HP_OK;
}

static void key_letters(uint64_t key, int k, char *s)
{
    static const char L[4] = { 'A', 'C', 'G', 'T' };
    for (int i = k - 1; i >= 0; i--, key >>= 2)
        s[i] = L[key & 3];
    s[k] = 0;
}

typedef struct freq {
    uint32_t key, count;
} freq;

static int by_count(const void *a, const void *b)
{
    const freq *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return x->key < y->key ? -1 : x->key > y->key;
}

int hp_knucleotide(const char *fasta, size_t len, int threads, char **out, size_t *out_len, char **errmsg)
{
    *out = NULL;
    *out_len = 0;
    kn_ctx c;
    memset(&c, 0, sizeof c);
    c.sec = find_three(fasta, len);
    c.end = fasta + len;
    if (!c.sec)
        return hp_err(errmsg, HP_EPARSE, "knucleotide: no \">THREE\" header in the input");
    int rc = HP_OK;
    if ((size_t)(c.end - c.sec) > HP_KNUCLEOTIDE_MAX_LETTERS) {
        /* may hold too many letters: count them first (extract names the limit) */
        uint8_t *seq = NULL;
        size_t n = 0;
        rc = extract(fasta, len, &seq, &n, errmsg);
        free(seq);
        if (rc != HP_OK)
            return rc;
    }
    memset(c.code, 0xFF, sizeof c.code);
    c.code['A'] = c.code['a'] = 0;
    c.code['C'] = c.code['c'] = 1;
    c.code['G'] = c.code['g'] = 2;
    c.code['T'] = c.code['t'] = 3;
    threads = hp_kpar_threads(threads);
    /* a short input is not worth starting threads */
    if (c.end - c.sec < (1 << 20))
        threads = 1;
    /* one job per table even on one thread: a pass then keeps one 2 MB table in the cache;
     * the two big jobs first, the small one to whoever ends first */
    c.jobs[0] = KN_12;
    c.jobs[1] = KN_18;
    c.jobs[2] = KN_SIX;
    int njobs = 3;
    char *buf = malloc(4096);
    c.six = calloc(4096, sizeof(uint32_t));
    int log2cap = c.end - c.sec > (1 << 20) ? 18 : 12;
    int ok0 = ht_init(&c.big[0], log2cap) == HP_OK, ok1 = ht_init(&c.big[1], log2cap) == HP_OK;
    if (!buf || !c.six || !ok0 || !ok1) {
        rc = hp_err(errmsg, HP_ENOMEM, "knucleotide: out of memory");
        goto done;
    }
    hp_kpar_fn jobs = kn_jobs;
#ifdef KN_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
        jobs = kn_jobs_avx2;
#endif
    rc = hp_kpar_for(threads, 0, njobs, 1, jobs, &c, errmsg);
    if (rc == HP_ENOMEM && errmsg && !*errmsg)
        rc = hp_err(errmsg, HP_ENOMEM, "knucleotide: out of memory");
    if (rc != HP_OK)
        goto done;
    if (c.bad) { /* a byte that is not a letter: extract finds it and names its offset */
        uint8_t *seq = NULL;
        size_t n = 0;
        rc = extract(fasta, len, &seq, &n, errmsg);
        free(seq);
        if (rc == HP_OK) /* cannot happen: the pass and extract read the same lines */
            rc = hp_err(errmsg, HP_EPARSE, "knucleotide: malformed input");
        goto done;
    }
    size_t n = c.n;
    /* k-mers of k <= 6: sums over the 6-mers they start, plus the tail positions (the last
     * 5 codes are in c.last: code j is (last >> 2 * (n - 1 - j)) & 3) */
    uint64_t small[SMALL + 1][4096];
    memset(small, 0, sizeof small);
    for (uint32_t key = 0; key < 4096; key++)
        for (int k = 1; k <= SMALL; k++)
            small[k][key >> 2 * (SMALL - k)] += c.six[key];
    for (size_t p = n >= SMALL ? n - SMALL + 1 : 0; p < n; p++) {
        uint32_t key = 0;
        for (int k = 1; k < SMALL && p + (size_t)k <= n; k++) {
            key = key << 2 | (uint32_t)((c.last >> 2 * (n - p - (size_t)k)) & 3);
            small[k][key]++;
        }
    }
    size_t o = 0;
    char s[HP_KNUCLEOTIDE_MAX_K + 1];
    for (int k = 1; k <= 2; k++) {
        freq f[16];
        int nf = 0;
        uint64_t total = 0;
        for (uint32_t key = 0; key < (1u << 2 * k); key++) {
            uint64_t cnt = small[k][key];
            if (cnt) {
                f[nf].key = key;
                f[nf++].count = (uint32_t)cnt;
                total += cnt;
            }
        }
        qsort(f, (size_t)nf, sizeof f[0], by_count);
        for (int i = 0; i < nf; i++) {
            key_letters(f[i].key, k, s);
            o += (size_t)snprintf(buf + o, 4096 - o, "%s %.3f\n", s, 100.0 * f[i].count / (double)total);
        }
        buf[o++] = '\n';
    }
    static const char *const QUERY[] = { "GGT", "GGTA", "GGTATT", "GGTATTTTAATT", "GGTATTTTAATTTATAGT" };
    for (int q = 0; q < 5; q++) {
        int k = (int)strlen(QUERY[q]);
        uint64_t key = 0;
        for (int i = 0; i < k; i++)
            key = key << 2 | (uint64_t)(QUERY[q][i] == 'A' ? 0 : QUERY[q][i] == 'C' ? 1 : QUERY[q][i] == 'G' ? 2 : 3);
        uint64_t cnt = k <= SMALL ? small[k][key] : ht_get(&c.big[k == 12 ? 0 : 1], key);
        o += (size_t)snprintf(buf + o, 4096 - o, "%llu\t%s\n", (unsigned long long)cnt, QUERY[q]);
    }
    *out = buf;
    *out_len = o;
    buf = NULL;
done:
    free(c.six);
    for (int t = 0; t < 2; t++)
        ht_free(&c.big[t]);
    free(buf);
    return rc;
}
