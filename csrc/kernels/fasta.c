/* fasta: the reference programs' generator. random(max) = max * seed / IM after
 * seed = (seed * IA + IC) % IM; a nucleotide is the first whose cumulative probability
 * (summed in double, in table order) exceeds random(1.0).
 *
 * The LCG has only IM states and the chosen letter depends on the state alone, so each
 * weighted table is expanded once into an IM-entry letter table (the same comparison, made
 * once per state); the hot loop is then one multiply-modulo and one load per letter. */
#include "kernels/fasta.h"
#include "common/common.h"
#include "common/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IM 139968
#define IA 3877
#define IC 29573
#define LINE 60

static const char ALU[] =
    "GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGG"
    "GAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA"
    "CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAAT"
    "ACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA"
    "GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGG"
    "AGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC"
    "AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA";

typedef struct weighted {
    char c;
    double p;
} weighted;

static const weighted IUB[] = {
    { 'a', 0.27 }, { 'c', 0.12 }, { 'g', 0.12 }, { 't', 0.27 }, { 'B', 0.02 },
    { 'D', 0.02 }, { 'H', 0.02 }, { 'K', 0.02 }, { 'M', 0.02 }, { 'N', 0.02 },
    { 'R', 0.02 }, { 'S', 0.02 }, { 'V', 0.02 }, { 'W', 0.02 }, { 'Y', 0.02 },
};

static const weighted HOMO[] = {
    { 'a', 0.3029549426680 }, { 'c', 0.1979883004921 },
    { 'g', 0.1975473066391 }, { 't', 0.3015094502008 },
};

/* Fills letters[state] for every LCG state: the letter random(1.0) == state / IM picks. */
static void expand(const weighted *w, int count, char *letters)
{
    double cum[16];
    double cp = 0.0;
    for (int i = 0; i < count; i++)
        cum[i] = cp += w[i].p;
    for (int s = 0; s < IM; s++) {
        double r = 1.0 * s / IM;
        int i = 0;
        while (i < count - 1 && !(r < cum[i]))
            i++;
        letters[s] = w[i].c;
    }
}

/* Where the output goes: one buffer holding all of it (write NULL, cap its exact size), or a
 * chunk handed to write whenever the next line might not fit. */
typedef struct fout {
    char *buf;
    size_t len, cap;
    hp_write_fn write;
    void *ctx;
    int failed;   /* write refused: the rest is not generated */
} fout;

/* Room for need more bytes at buf + len, flushing a full chunk first. */
static char *room(fout *o, size_t need)
{
    if (o->write && o->len + need > o->cap) {
        if (!o->failed && o->len && o->write(o->ctx, o->buf, o->len) != 0)
            o->failed = 1;
        o->len = 0;
    }
    return o->buf + o->len;
}

static void put_header(fout *o, const char *h)
{
    size_t l = strlen(h);
    memcpy(room(o, l), h, l);
    o->len += l;
}

/* n letters cycled from ALU, in lines of 60. */
static void repeat(fout *o, size_t n)
{
    size_t at = 0, alen = sizeof ALU - 1;
    while (n > 0 && !o->failed) {
        size_t m = n < LINE ? n : LINE;
        char *p = room(o, m + 1);
        for (size_t i = 0; i < m; i++) {
            p[i] = ALU[at];
            if (++at == alen)
                at = 0;
        }
        p[m] = '\n';
        o->len += m + 1;
        n -= m;
    }
}

/* n weighted random letters, in lines of 60; advances *seed. */
static void random_letters(fout *o, size_t n, const char *letters, uint32_t *seed)
{
    uint32_t s = *seed;
    while (n > 0 && !o->failed) {
        size_t m = n < LINE ? n : LINE;
        char *p = room(o, m + 1);
        for (size_t i = 0; i < m; i++) {
            s = (s * IA + IC) % IM;
            p[i] = letters[s];
        }
        p[m] = '\n';
        o->len += m + 1;
        n -= m;
    }
    *seed = s;
}

static size_t lines_len(size_t n) { return n + (n + LINE - 1) / LINE; }

static const char *const H1 = ">ONE Homo sapiens alu\n", *const H2 = ">TWO IUB ambiguity codes\n",
                  *const H3 = ">THREE Homo sapiens frequency\n";

/* The whole program into o (buf already allocated); ENOMEM for the letter tables. */
static int generate(size_t nn, fout *o, char **errmsg)
{
    char *letters = malloc(2 * IM);
    if (!letters)
        return hp_err(errmsg, HP_ENOMEM, "fasta: cannot allocate %d bytes", 2 * IM);
    expand(IUB, (int)(sizeof IUB / sizeof IUB[0]), letters);
    expand(HOMO, (int)(sizeof HOMO / sizeof HOMO[0]), letters + IM);
    uint32_t seed = 42;
    put_header(o, H1);
    repeat(o, 2 * nn);
    put_header(o, H2);
    random_letters(o, 3 * nn, letters, &seed);
    put_header(o, H3);
    random_letters(o, 5 * nn, letters + IM, &seed);
    free(letters);
    return HP_OK;
}

static int check_n(int n, char **errmsg)
{
    if (n < 0 || n > HP_FASTA_MAX_N)
        return hp_err(errmsg, HP_ELIMIT, "fasta: n must be between 0 and %d, got %d", HP_FASTA_MAX_N, n);
    return HP_OK;
}

int hp_fasta(int n, int threads, char **out, size_t *out_len, char **errmsg)
{
    (void)threads;
    *out = NULL;
    *out_len = 0;
    int rc = check_n(n, errmsg);
    if (rc != HP_OK)
        return rc;
    size_t nn = (size_t)n;
    fout o = { 0 };
    o.cap = strlen(H1) + strlen(H2) + strlen(H3) + lines_len(2 * nn) + lines_len(3 * nn) + lines_len(5 * nn);
    o.buf = malloc(o.cap);
    if (!o.buf)
        return hp_err(errmsg, HP_ENOMEM, "fasta: cannot allocate %zu bytes", o.cap);
    rc = generate(nn, &o, errmsg);
    if (rc != HP_OK) {
        free(o.buf);
        return rc;
    }
    *out = o.buf;
    *out_len = o.len;
    return HP_OK;
}

int hp_fasta_write(int n, int threads, hp_write_fn write, void *ctx, char **errmsg)
{
    (void)threads;
    int rc = check_n(n, errmsg);
    if (rc != HP_OK)
        return rc;
    fout o = { .buf = malloc(HP_FASTA_CHUNK), .cap = HP_FASTA_CHUNK, .write = write, .ctx = ctx };
    if (!o.buf)
        return hp_err(errmsg, HP_ENOMEM, "fasta: cannot allocate %d bytes", HP_FASTA_CHUNK);
    rc = generate((size_t)n, &o, errmsg);
    if (rc == HP_OK)
        room(&o, o.cap + 1); /* the last piece */
    free(o.buf);
    if (rc != HP_OK)
        return rc;
    if (o.failed)
        return hp_err(errmsg, HP_ESYS, "fasta: the output could not be written");
    return HP_OK;
}
