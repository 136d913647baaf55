/* Kernels through the C ABI (ASan+UBSan build): outputs against naive C transcriptions of
 * the reference programs, identical for every thread count, limits and parse errors. */
#include "hotpath.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

typedef int (*size_kernel)(int n, int threads, char **out, size_t *out_len, char **errmsg);

/* The kernel's output as a NUL-terminated string (NULL on failure). */
static char *run(size_kernel fn, int n, int threads)
{
    char *out = NULL, *err = NULL;
    size_t len = 0;
    if (fn(n, threads, &out, &len, &err) != HP_OK) {
        printf("# failed: %s\n", err ? err : "?");
        hp_free(err);
        return NULL;
    }
    char *s = malloc(len + 1);
    memcpy(s, out, len);
    s[len] = 0;
    hp_free(out);
    return s;
}

/* ---- naive references -------------------------------------------------------------------- */

/* The reference C program's fannkuch-redux, as printed. */
static char *naive_fannkuch(int n)
{
    int perm[16], perm1[16], count[16], maxflips = 0, permcount = 0, checksum = 0, r = n;
    for (int i = 0; i < n; i++)
        perm1[i] = i;
    char *s = malloc(64);
    for (;;) {
        while (r > 1) {
            count[r - 1] = r;
            r--;
        }
        for (int i = 0; i < n; i++)
            perm[i] = perm1[i];
        int flips = 0;
        for (int k; n > 0 && (k = perm[0]) != 0; flips++)
            for (int i = 0, j = k; i < j; i++, j--) {
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        if (flips > maxflips)
            maxflips = flips;
        checksum += permcount % 2 == 0 ? flips : -flips;
        for (;;) {
            if (r >= n) {
                snprintf(s, 64, "%d\nPfannkuchen(%d) = %d\n", checksum, n, maxflips);
                return s;
            }
            int p0 = perm1[0];
            for (int i = 0; i < r; i++)
                perm1[i] = perm1[i + 1];
            perm1[r] = p0;
            if (--count[r] > 0)
                break;
            r++;
        }
        permcount++;
    }
}

/* The reference mandelbrot, one pixel at a time with an early break. */
static char *naive_mandelbrot(int n, size_t *len)
{
    int bytes = (n + 7) / 8;
    char *s = malloc(32 + (size_t)bytes * (size_t)n);
    int hl = sprintf(s, "P4\n%d %d\n", n, n);
    unsigned char *o = (unsigned char *)s + hl;
    for (int y = 0; y < n; y++)
        for (int b = 0; b < bytes; b++) {
            unsigned bits = 0;
            for (int x = b * 8; x < b * 8 + 8; x++) {
                unsigned in = 0;
                if (x < n) {
                    double cr = 2.0 * x / n - 1.5, ci = 2.0 * y / n - 1.0;
                    double zr = 0, zi = 0, tr = 0, ti = 0;
                    int i = 0;
                    for (; i < 50; i++) {
                        zi = 2.0 * zr * zi + ci;
                        zr = tr - ti + cr;
                        tr = zr * zr;
                        ti = zi * zi;
                        if (tr + ti > 4.0)
                            break;
                    }
                    in = i == 50;
                }
                bits = bits << 1 | in;
            }
            *o++ = (unsigned char)bits;
        }
    *len = (size_t)hl + (size_t)bytes * (size_t)n;
    return s;
}

/* ---- checks ------------------------------------------------------------------------------ */

static void check_fannkuch(void)
{
    for (int n = 0; n <= 9; n++) {
        char *want = naive_fannkuch(n), what[80];
        for (int t = 1; t <= 3; t++) {
            char *got = run(hp_fannkuch_redux, n, t);
            snprintf(what, sizeof what, "fannkuch_redux %d, %d threads = reference", n, t);
            CHECK_STR(got, want, what);
            free(got);
        }
        free(want);
    }
}

static void check_mandelbrot(void)
{
    int sizes[] = { 0, 1, 7, 9, 17, 63, 200, 333 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t wl, gl;
        char *want = naive_mandelbrot(sizes[i], &wl);
        for (int t = 1; t <= 3; t += 2) {
            char *got = NULL, what[80];
            hp_mandelbrot(sizes[i], t, &got, &gl, NULL);
            snprintf(what, sizeof what, "mandelbrot %d, %d threads = reference", sizes[i], t);
            CHECK(got && gl == wl && memcmp(got, want, wl) == 0, what);
            hp_free(got);
        }
        free(want);
    }
}

static void check_small_outputs(void)
{
    char *s = run(hp_binarytrees, 10, 2);
    CHECK_STR(s, "stretch tree of depth 11\t check: 4095\n"
                 "1024\t trees of depth 4\t check: 31744\n"
                 "256\t trees of depth 6\t check: 32512\n"
                 "64\t trees of depth 8\t check: 32704\n"
                 "16\t trees of depth 10\t check: 32752\n"
                 "long lived tree of depth 10\t check: 2047\n", "binarytrees 10");
    free(s);
    s = run(hp_pidigits, 27, 1);
    CHECK_STR(s, "3141592653\t:10\n5897932384\t:20\n6264338   \t:27\n", "pidigits 27");
    free(s);
    s = run(hp_nbody, 1000, 1);
    CHECK_STR(s, "-0.169075164\n-0.169087605\n", "nbody 1000");
    free(s);
    s = run(hp_spectral_norm, 100, 3);
    CHECK_STR(s, "1.274219991\n", "spectral_norm 100");
    free(s);
    s = run(hp_fasta, 1, 1);
    CHECK_STR(s, ">ONE Homo sapiens alu\nGG\n>TWO IUB ambiguity codes\nctt\n"
                 ">THREE Homo sapiens frequency\ntgagc\n", "fasta 1 (= bench/programs/fasta.lua 1)");
    free(s);
}

static void check_text_kernels(void)
{
    char *fa = run(hp_fasta, 5000, 1), *one = NULL, *other = NULL, *err = NULL;
    size_t l1 = 0, l2 = 0;
    int rc1 = hp_knucleotide(fa, strlen(fa), 1, &one, &l1, NULL);
    int rc2 = hp_knucleotide(fa, strlen(fa), 3, &other, &l2, NULL);
    CHECK(rc1 == HP_OK && rc2 == HP_OK && l1 == l2 && memcmp(one, other, l1) == 0,
          "knucleotide: 1 and 3 threads agree");
    hp_free(one);
    hp_free(other);
    rc1 = hp_reverse_complement(fa, strlen(fa), 1, &one, &l1, NULL);
    rc2 = hp_reverse_complement(fa, strlen(fa), 3, &other, &l2, NULL);
    CHECK(rc1 == HP_OK && rc2 == HP_OK && l1 == l2 && memcmp(one, other, l1) == 0,
          "reverse_complement: 1 and 3 threads agree");
    /* reverse-complementing twice gives the input back, upper-cased */
    char *twice = NULL;
    size_t lt = 0;
    hp_reverse_complement(one, l1, 2, &twice, &lt, NULL);
    int same = lt == strlen(fa);
    for (size_t i = 0; same && i < lt; i++)
        same = twice[i] == (fa[i] >= 'a' && fa[i] <= 'z' && fa[i - 1] != '>' ? fa[i] - 32 : fa[i]) ||
               twice[i] == fa[i];
    CHECK(same, "reverse_complement twice is the identity (up to case)");
    hp_free(twice);
    hp_free(one);
    hp_free(other);
    free(fa);
    /* past 1 MB of sequence the k-mer tables are counted by parallel jobs: same output */
    fa = run(hp_fasta, 210000, 1);
    rc1 = hp_knucleotide(fa, strlen(fa), 1, &one, &l1, NULL);
    for (int t = 2; t <= 3; t++) {
        rc2 = hp_knucleotide(fa, strlen(fa), t, &other, &l2, NULL);
        char what[80];
        snprintf(what, sizeof what, "knucleotide over fasta 210000: 1 and %d threads agree", t);
        CHECK(rc1 == HP_OK && rc2 == HP_OK && l1 == l2 && memcmp(one, other, l1) == 0, what);
        hp_free(other);
    }
    /* CRLF line ends read as LF */
    size_t fl = strlen(fa), nl = 0;
    for (size_t i = 0; i < fl; i++)
        nl += fa[i] == '\n';
    char *crlf = malloc(fl + nl + 1);
    size_t o = 0;
    for (size_t i = 0; i < fl; i++) {
        if (fa[i] == '\n')
            crlf[o++] = '\r';
        crlf[o++] = fa[i];
    }
    rc2 = hp_knucleotide(crlf, o, 2, &other, &l2, NULL);
    CHECK(rc1 == HP_OK && rc2 == HP_OK && l1 == l2 && memcmp(one, other, l1) == 0,
          "knucleotide: CRLF line ends count as LF");
    hp_free(other);
    /* a bad byte deep in a long sequence is found and named on the parallel path too */
    size_t at = fl - 100;
    char saved = fa[at];
    fa[at] = 'N';
    other = NULL;
    CHECK(hp_knucleotide(fa, fl, 2, &other, &l2, &err) == HP_EPARSE && other == NULL,
          "knucleotide: a bad letter in a long sequence is HP_EPARSE");
    char want[96];
    snprintf(want, sizeof want, "knucleotide: unexpected byte 0x4e at offset %zu", at);
    CHECK_STR(err, want, "its message names the offset");
    hp_free(err);
    err = NULL;
    fa[at] = saved;
    free(crlf);
    hp_free(one);
    free(fa);
    CHECK(hp_knucleotide(">ONE\nAC\n", 8, 1, &one, &l1, &err) == HP_EPARSE && one == NULL,
          "knucleotide without >THREE is HP_EPARSE");
    CHECK_STR(err, "knucleotide: no \">THREE\" header in the input", "its message");
    hp_free(err);
    err = NULL;
    CHECK(hp_knucleotide(">THREE\nAC*", 11, 1, &one, &l1, &err) == HP_EPARSE, "a bad letter is HP_EPARSE");
    CHECK_STR(err, "knucleotide: unexpected byte 0x2a at offset 9", "its message names the offset");
    hp_free(err);
}

static void check_limits(void)
{
    struct {
        size_kernel fn;
        int bad;
        const char *msg;
    } cases[] = {
        { hp_binarytrees, 40, "binarytrees: n must be between 0 and 21, got 40" },
        { hp_fannkuch_redux, 13, "fannkuch_redux: n must be between 0 and 12, got 13" },
        { hp_mandelbrot, -1, "mandelbrot: n must be between 0 and 32768, got -1" },
        { hp_fasta, -2, "fasta: n must be between 0 and 25000000, got -2" },
        { hp_nbody, -1, "nbody: n must be between 0 and 1000000000, got -1" },
        { hp_spectral_norm, 40000, "spectral_norm: n must be between 0 and 32768, got 40000" },
        { hp_pidigits, 1000000, "pidigits: n must be between 0 and 100000, got 1000000" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = (char *)1, *err = NULL;
        size_t len = 7;
        int rc = cases[i].fn(cases[i].bad, 1, &out, &len, &err);
        CHECK(rc == HP_ELIMIT && out == NULL && len == 0, cases[i].msg);
        CHECK_STR(err, cases[i].msg, "its message");
        hp_free(err);
    }
}

/* ---- the streaming variants (hotpath-kernel writes through them) ------------------------- */

/* A writer that appends to a buffer, counting calls and the largest piece; with fail_at > 0
 * it refuses its fail_at-th call. */
typedef struct sink {
    char *buf;
    size_t len, cap, largest;
    int calls, fail_at;
} sink;

static int sink_write(void *ctx, const char *p, size_t n)
{
    sink *k = ctx;
    k->calls++;
    if (k->fail_at && k->calls >= k->fail_at)
        return -1;
    if (k->len + n > k->cap) {
        k->cap = (k->len + n) * 2;
        k->buf = realloc(k->buf, k->cap);
    }
    memcpy(k->buf + k->len, p, n);
    k->len += n;
    if (n > k->largest)
        k->largest = n;
    return 0;
}

static void check_streamed(void)
{
    /* fasta sizes around one chunk and across several; the pieces join to hp_fasta's output */
    static const int sizes[] = { 0, 1, 60, 6000, 7000, 200000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *whole = NULL, *err = NULL;
        size_t wlen = 0;
        CHECK(hp_fasta(sizes[i], 1, &whole, &wlen, &err) == HP_OK, "fasta whole");
        sink k = { 0 };
        CHECK(hp_fasta_write(sizes[i], 1, sink_write, &k, &err) == HP_OK, "fasta_write");
        CHECK(k.len == wlen && memcmp(k.buf, whole, wlen) == 0, "fasta_write's pieces join to fasta's output");
        CHECK(k.largest <= HP_FASTA_CHUNK, "no piece above HP_FASTA_CHUNK");
        if (wlen > 3 * HP_FASTA_CHUNK)
            CHECK(k.calls > 3, "a large output goes in several pieces");
        /* reverse-complement of that text, through blocks of lines, with 1 and 3 threads */
        for (int t = 1; t <= 3; t += 2) {
            char *rc_whole = NULL;
            size_t rlen = 0;
            CHECK(hp_reverse_complement(whole, wlen, t, &rc_whole, &rlen, &err) == HP_OK, "revcomp whole");
            sink r = { 0 };
            CHECK(hp_reverse_complement_write(whole, wlen, t, sink_write, &r, &err) == HP_OK, "revcomp_write");
            CHECK(r.len == rlen && memcmp(r.buf, rc_whole, rlen) == 0,
                  "reverse_complement_write's pieces join to reverse_complement's output");
            CHECK(r.largest <= (size_t)HP_REVCOMP_BLOCK * 61, "no piece above a block of lines");
            hp_free(rc_whole);
            free(r.buf);
        }
        hp_free(whole);
        free(k.buf);
    }
    /* a writer that refuses: the kernel stops writing and says so */
    char *err = NULL;
    sink k = { .fail_at = 2 };
    CHECK(hp_fasta_write(200000, 1, sink_write, &k, &err) == HP_ESYS, "fasta_write: refused output is HP_ESYS");
    CHECK_STR(err, "fasta: the output could not be written", "its message");
    CHECK(k.calls == 2, "no write after the refusal");
    hp_free(err);
    err = NULL;
    char *text = NULL;
    size_t tlen = 0;
    CHECK(hp_fasta(200000, 1, &text, &tlen, &err) == HP_OK, "fasta input");
    sink r = { .fail_at = 1 };
    CHECK(hp_reverse_complement_write(text, tlen, 2, sink_write, &r, &err) == HP_ESYS, "revcomp_write: refused");
    CHECK_STR(err, "reverse_complement: the output could not be written", "its message");
    CHECK(r.calls == 1, "no write after the refusal");
    hp_free(err);
    err = NULL;
    CHECK(hp_fasta_write(-1, 1, sink_write, &r, &err) == HP_ELIMIT, "fasta_write checks n");
    CHECK_STR(err, "fasta: n must be between 0 and 25000000, got -1", "its message");
    hp_free(err);
    hp_free(text);
    free(k.buf);
    free(r.buf);
}

int main(void)
{
    check_streamed();
    check_fannkuch();
    check_mandelbrot();
    check_small_outputs();
    check_text_kernels();
    check_limits();
    return tap_done();
}
