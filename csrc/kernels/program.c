/* hotpath-kernel: the C kernels as standalone programs, measured the way the Rust and Go peers
 * are (one process whose peak memory is the kernel's own, with no Lua interpreter in it).
 *
 *   hotpath-kernel NAME [N [THREADS]]
 *
 * NAME is a kernel of kernels/ (binarytrees, fannkuch_redux, fasta, mandelbrot, nbody,
 * pidigits, spectral_norm; knucleotide and reverse_complement read the fasta text on stdin, as
 * their peers do). The output on stdout is byte-identical to hotpath.kernels.NAME's. THREADS
 * defaults to all CPUs. Exit status 0; 1 when the kernel fails (its message on stderr); 2 on a
 * usage error. Not part of the core: a program of its own (Makefile, PROGRAMS). */
#include "common/common.h"
#include "kernels/binarytrees.h"
#include "kernels/fannkuch_redux.h"
#include "kernels/fasta.h"
#include "kernels/knucleotide.h"
#include "kernels/mandelbrot.h"
#include "kernels/nbody.h"
#include "kernels/pidigits.h"
#include "kernels/reverse_complement.h"
#include "kernels/spectral_norm.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*size_kernel)(int n, int threads, char **out, size_t *out_len, char **errmsg);
typedef int (*text_kernel)(const char *in, size_t len, int threads, char **out, size_t *out_len,
                           char **errmsg);
typedef int (*streamed_kernel)(int n, int threads, hp_write_fn write, void *ctx, char **errmsg);
typedef int (*streamed_text_kernel)(const char *in, size_t len, int threads, hp_write_fn write, void *ctx,
                                    char **errmsg);

static const struct {
    const char *name;
    size_kernel sized;
    text_kernel texted;
    /* the variants that write as they go, as the peers do: used when there is one */
    streamed_kernel streamed;
    streamed_text_kernel streamed_text;
} KERNELS[] = {
    { "binarytrees", hp_binarytrees, NULL, NULL, NULL },
    { "fannkuch_redux", hp_fannkuch_redux, NULL, NULL, NULL },
    { "fasta", hp_fasta, NULL, hp_fasta_write, NULL },
    { "mandelbrot", hp_mandelbrot, NULL, NULL, NULL },
    { "nbody", hp_nbody, NULL, NULL, NULL },
    { "pidigits", hp_pidigits, NULL, NULL, NULL },
    { "spectral_norm", hp_spectral_norm, NULL, NULL, NULL },
    { "knucleotide", NULL, hp_knucleotide, NULL, NULL },
    { "reverse_complement", NULL, hp_reverse_complement, NULL, hp_reverse_complement_write },
};

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "hotpath-kernel: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: hotpath-kernel NAME [N [THREADS]]  (NAME:");
    for (size_t i = 0; i < sizeof KERNELS / sizeof KERNELS[0]; i++)
        fprintf(stderr, " %s", KERNELS[i].name);
    fprintf(stderr, "; knucleotide and reverse_complement read fasta text on stdin)\n");
    return 2;
}

/* A decimal integer in 0..INT_MAX, or -1. */
static int parse_int(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT_MAX)
        return -1;
    return (int)v;
}

/* The whole of stdin in *buf (malloc'd), its length in *len; 0, or -1 with errno set. */
static int read_all(char **buf, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    if (!b)
        return -1;
    for (;;) {
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                return -1;
            }
            b = nb;
        }
        ssize_t r = read(0, b + n, cap - n);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            free(b);
            return -1;
        }
        n += (size_t)r;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* All of p to stdout; an hp_write_fn, so that the streamed kernels write through it. */
static int write_to(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    while (n) {
        ssize_t w = write(1, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4)
        return usage("%s", argc < 2 ? "a kernel name expected" : "too many arguments");
    size_t k = 0, nk = sizeof KERNELS / sizeof KERNELS[0];
    while (k < nk && strcmp(KERNELS[k].name, argv[1]) != 0)
        k++;
    if (k == nk)
        return usage("unknown kernel '%s'", argv[1]);
    int n = 0, threads = 0;
    if (KERNELS[k].sized && argc < 3)
        return usage("%s needs a size N", argv[1]);
    if (KERNELS[k].texted && argc == 4)
        return usage("%s takes [THREADS] only (its input is stdin)", argv[1]);
    const char *narg = KERNELS[k].sized ? argv[2] : NULL;
    const char *targ = KERNELS[k].sized ? (argc == 4 ? argv[3] : NULL) : (argc == 3 ? argv[2] : NULL);
    if (narg && (n = parse_int(narg)) < 0)
        return usage("N must be a non-negative integer, got '%s'", narg);
    if (targ && (threads = parse_int(targ)) < 1)
        return usage("THREADS must be a positive integer, got '%s'", targ);

    char *out = NULL, *msg = NULL, *in = NULL;
    size_t out_len = 0, in_len = 0;
    int rc;
    if (KERNELS[k].streamed) {
        rc = KERNELS[k].streamed(n, threads, write_to, NULL, &msg);
    } else if (KERNELS[k].sized) {
        rc = KERNELS[k].sized(n, threads, &out, &out_len, &msg);
    } else {
        if (read_all(&in, &in_len) != 0) {
            perror("hotpath-kernel: reading stdin");
            return 1;
        }
        if (KERNELS[k].streamed_text)
            rc = KERNELS[k].streamed_text(in, in_len, threads, write_to, NULL, &msg);
        else
            rc = KERNELS[k].texted(in, in_len, threads, &out, &out_len, &msg);
        free(in);
    }
    if (rc != HP_OK) {
        fprintf(stderr, "hotpath-kernel: %s\n", msg ? msg : hp_status_name(rc));
        hp_free(msg);
        return 1;
    }
    int wrc = out ? write_to(NULL, out, out_len) : 0;
    hp_free(out);
    if (wrc != 0) {
        perror("hotpath-kernel: writing stdout");
        return 1;
    }
    return 0;
}
