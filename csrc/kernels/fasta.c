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

static size_t put_header(char *o, const char *h)
{
    size_t l = strlen(h);
    memcpy(o, h, l);
    return l;
}

/* n letters cycled from ALU, in lines of 60. */
static size_t repeat(char *o, size_t n)
{
    size_t len = 0, at = 0, alen = sizeof ALU - 1;
    while (n > 0) {
        size_t m = n < LINE ? n : LINE;
        for (size_t i = 0; i < m; i++) {
            o[len++] = ALU[at];
            if (++at == alen)
                at = 0;
        }
        o[len++] = '\n';
        n -= m;
    }
    return len;
}

/* n weighted random letters, in lines of 60; advances *seed. */
static size_t random_letters(char *o, size_t n, const char *letters, uint32_t *seed)
{
    size_t len = 0;
    uint32_t s = *seed;
    while (n > 0) {
        size_t m = n < LINE ? n : LINE;
        for (size_t i = 0; i < m; i++) {
            s = (s * IA + IC) % IM;
            o[len++] = letters[s];
        }
        o[len++] = '\n';
        n -= m;
    }
    *seed = s;
    return len;
}

static size_t lines_len(size_t n) { return n + (n + LINE - 1) / LINE; }

int hp_fasta(int n, int threads, char **out, size_t *out_len, char **errmsg)
{
    (void)threads;
    *out = NULL;
    *out_len = 0;
    if (n < 0 || n > HP_FASTA_MAX_N)
        return hp_err(errmsg, HP_ELIMIT, "fasta: n must be between 0 and %d, got %d", HP_FASTA_MAX_N, n);
    static const char *const H1 = ">ONE Homo sapiens alu\n", *const H2 = ">TWO IUB ambiguity codes\n",
                             *const H3 = ">THREE Homo sapiens frequency\n";
    size_t nn = (size_t)n;
    size_t cap = strlen(H1) + strlen(H2) + strlen(H3) + lines_len(2 * nn) + lines_len(3 * nn) +
                 lines_len(5 * nn);
    char *buf = malloc(cap);
    char *letters = malloc(2 * IM);
    if (!buf || !letters) {
        free(buf);
        free(letters);
        return hp_err(errmsg, HP_ENOMEM, "fasta: cannot allocate %zu bytes", cap);
    }
    expand(IUB, (int)(sizeof IUB / sizeof IUB[0]), letters);
    expand(HOMO, (int)(sizeof HOMO / sizeof HOMO[0]), letters + IM);
    uint32_t seed = 42;
    size_t len = 0;
    len += put_header(buf + len, H1);
    len += repeat(buf + len, 2 * nn);
    len += put_header(buf + len, H2);
    len += random_letters(buf + len, 3 * nn, letters, &seed);
    len += put_header(buf + len, H3);
    len += random_letters(buf + len, 5 * nn, letters + IM, &seed);
    free(letters);
    *out = buf;
    *out_len = len;
    return HP_OK;
}
