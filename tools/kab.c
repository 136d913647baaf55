/* A/B timing of two builds of one kernel, interleaved (A B A B ...) in one process:
 *   kab LIB_A LIB_B KERNEL N THREADS ROUNDS
 * Prints each build's median, min, max wall seconds and the ratio of medians B/A; fails when
 * the outputs differ. Not part of the build (cc -O2 tools/kab.c -ldl). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

typedef int (*sized_fn)(int, int, char **, size_t *, char **);
typedef int (*text_fn)(const char *, size_t, int, char **, size_t *, char **);

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
    if (argc < 7) {
        fprintf(stderr, "usage: kab LIB_A LIB_B KERNEL N THREADS ROUNDS\n");
        return 2;
    }
    const char *k = argv[3];
    int n = atoi(argv[4]), th = atoi(argv[5]), rounds = atoi(argv[6]);
    void *h[2];
    const char *sym = !strcmp(k, "fannkuch") ? "hp_fannkuch_redux" : !strcmp(k, "knucleotide") ? "hp_knucleotide"
                    : !strcmp(k, "mandelbrot") ? "hp_mandelbrot" : "hp_binarytrees";
    void *fn[2];
    for (int i = 0; i < 2; i++) {
        h[i] = dlopen(argv[1 + i], RTLD_NOW | RTLD_LOCAL);
        if (!h[i]) { fprintf(stderr, "%s\n", dlerror()); return 1; }
        fn[i] = dlsym(h[i], sym);
    }
    char *fa = NULL, *err = NULL;
    size_t fal = 0;
    if (!strcmp(k, "knucleotide")) {
        sized_fn fasta = (sized_fn)dlsym(h[0], "hp_fasta");
        if (fasta(n, 1, &fa, &fal, &err)) { fprintf(stderr, "%s\n", err); return 1; }
    }
    double *t = calloc((size_t)(2 * rounds), sizeof(double)), *u = calloc((size_t)(2 * rounds), sizeof(double));
    char *ref = NULL;
    size_t refl = 0;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < 2; i++) {
            char *out = NULL;
            size_t len = 0;
            double t0 = now(), u0 = cpu();
            int rc = fa ? ((text_fn)fn[i])(fa, fal, th, &out, &len, &err) : ((sized_fn)fn[i])(n, th, &out, &len, &err);
            t[i * rounds + r] = now() - t0;
            u[i * rounds + r] = cpu() - u0;
            if (rc) { fprintf(stderr, "%s\n", err); return 1; }
            if (!ref) { ref = out; refl = len; }
            else if (len != refl || memcmp(out, ref, len)) { fprintf(stderr, "OUTPUT DIFFERS\n"); return 1; }
            else free(out);
        }
    double med[2];
    for (int i = 0; i < 2; i++) {
        double *x = t + i * rounds;
        double *y = u + i * rounds;
        qsort(x, (size_t)rounds, sizeof *x, cmpd);
        qsort(y, (size_t)rounds, sizeof *y, cmpd);
        med[i] = x[rounds / 2];
        printf("%s: %s %d threads=%d wall median %.4f s min %.4f max %.4f | cpu median %.4f min %.4f max %.4f\n",
               i ? "B" : "A", k, n, th, med[i], x[0], x[rounds - 1], y[rounds / 2], y[0], y[rounds - 1]);
    }
    printf("B/A median ratio %.3f\n", med[1] / med[0]);
    return 0;
}
