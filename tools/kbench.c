/* Interleaved kernel timing: kbench KERNEL N ROUNDS [THREADS...]
 * Runs the kernel once per thread count per round (A B A B ...), prints per-thread-count
 * median, min, max wall seconds and the output's first line; checks that every run's output
 * is identical. Not part of the build: cc -O2 -Icsrc tools/kbench.c -Lbuild -lhotpath. */
#include "hotpath.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: kbench KERNEL N ROUNDS [THREADS...]\n");
        return 2;
    }
    const char *k = argv[1];
    int n = atoi(argv[2]), rounds = atoi(argv[3]);
    int nt = argc - 4 > 0 ? argc - 4 : 1, th[8] = { 1 };
    for (int i = 0; i < argc - 4 && i < 8; i++)
        th[i] = atoi(argv[4 + i]);
    char *fa = NULL;
    size_t fal = 0;
    char *err = NULL;
    if (!strcmp(k, "knucleotide") && hp_fasta(n, 1, &fa, &fal, &err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double *t = calloc((size_t)(nt * rounds), sizeof(double)), *u = calloc((size_t)(nt * rounds), sizeof(double));
    char *ref = NULL;
    size_t refl = 0;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < nt; i++) {
            char *out = NULL;
            size_t len = 0;
            double t0 = now(), u0 = cpu();
            int rc;
            if (!strcmp(k, "binarytrees")) rc = hp_binarytrees(n, th[i], &out, &len, &err);
            else if (!strcmp(k, "fannkuch")) rc = hp_fannkuch_redux(n, th[i], &out, &len, &err);
            else if (!strcmp(k, "mandelbrot")) rc = hp_mandelbrot(n, th[i], &out, &len, &err);
            else if (!strcmp(k, "knucleotide")) rc = hp_knucleotide(fa, fal, th[i], &out, &len, &err);
            else { fprintf(stderr, "unknown kernel\n"); return 2; }
            t[i * rounds + r] = now() - t0;
            u[i * rounds + r] = cpu() - u0;
            if (rc) { fprintf(stderr, "%s\n", err); return 1; }
            if (!ref) { ref = out; refl = len; }
            else {
                if (len != refl || memcmp(out, ref, len)) { fprintf(stderr, "OUTPUT DIFFERS (threads %d)\n", th[i]); return 1; }
                hp_free(out);
            }
        }
    for (int i = 0; i < nt; i++) {
        double *x = t + i * rounds, *y = u + i * rounds;
        qsort(x, (size_t)rounds, sizeof *x, cmpd);
        qsort(y, (size_t)rounds, sizeof *y, cmpd);
        printf("%s %d threads=%d: wall median %.4f s min %.4f max %.4f | cpu median %.4f min %.4f max %.4f (%d runs)\n",
               k, n, th[i], x[rounds / 2], x[0], x[rounds - 1], y[rounds / 2], y[0], y[rounds - 1], rounds);
    }
    return 0;
}
