/* Interleaved timing of native kernels in one process (A B A B ...), by thread count or by
 * build of libhotpath.so:
 *   kbench KERNEL N ROUNDS [THREADS...]            thread counts, over build/libhotpath.so
 *                                                  (another build: KBENCH_LIB=path)
 *   kbench --ab LIB_A LIB_B KERNEL N THREADS ROUNDS  two builds, B/A ratio of the medians
 * KERNEL: binarytrees, fannkuch, mandelbrot or knucleotide (over fasta N's output). Prints
 * each variant's median, min and max wall and process-CPU seconds; fails when any run's
 * output differs from the first. Not part of the build:
 *   cc -O2 tools/kbench.c -ldl -o build/kbench */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

typedef int (*sized_fn)(int, int, char **, size_t *, char **);
typedef int (*text_fn)(const char *, size_t, int, char **, size_t *, char **);

enum { MAXV = 8 };

typedef struct {
    void *fn;           /* the kernel in this variant's library */
    int threads;
    char label[64];
    double *wall, *cpu; /* per round */
} variant;

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

static void *open_lib(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "kbench: %s\n", dlerror());
        exit(1);
    }
    return h;
}

static const char *symbol(const char *kernel)
{
    if (!strcmp(kernel, "binarytrees")) return "hp_binarytrees";
    if (!strcmp(kernel, "fannkuch")) return "hp_fannkuch_redux";
    if (!strcmp(kernel, "mandelbrot")) return "hp_mandelbrot";
    if (!strcmp(kernel, "knucleotide")) return "hp_knucleotide";
    fprintf(stderr, "kbench: unknown kernel '%s'\n", kernel);
    exit(2);
}

static void usage(void)
{
    fprintf(stderr, "usage: kbench KERNEL N ROUNDS [THREADS...]\n"
                    "       kbench --ab LIB_A LIB_B KERNEL N THREADS ROUNDS\n");
    exit(2);
}

int main(int argc, char **argv)
{
    variant v[MAXV];
    int nv = 0, n, rounds;
    const char *k;
    void *first;
    if (argc >= 2 && !strcmp(argv[1], "--ab")) {
        if (argc != 8)
            usage();
        k = argv[4];
        n = atoi(argv[5]);
        rounds = atoi(argv[7]);
        for (int i = 0; i < 2; i++) {
            void *h = open_lib(argv[2 + i]);
            if (i == 0)
                first = h;
            v[nv].fn = dlsym(h, symbol(k));
            v[nv].threads = atoi(argv[6]);
            snprintf(v[nv].label, sizeof v[nv].label, "%s", i ? "B" : "A");
            nv++;
        }
    } else {
        if (argc < 4)
            usage();
        k = argv[1];
        n = atoi(argv[2]);
        rounds = atoi(argv[3]);
        const char *lib = getenv("KBENCH_LIB") ? getenv("KBENCH_LIB") : "build/libhotpath.so";
        first = open_lib(lib);
        int counts = argc > 4 ? argc - 4 : 1;   /* no THREADS: one variant, 1 thread */
        if (counts > MAXV)
            usage();
        for (int i = 0; i < counts; i++) {
            v[nv].fn = dlsym(first, symbol(k));
            v[nv].threads = argc > 4 ? atoi(argv[4 + i]) : 1;
            snprintf(v[nv].label, sizeof v[nv].label, "threads=%d", v[nv].threads);
            nv++;
        }
    }
    if (rounds < 1)
        usage();
    char *fa = NULL, *err = NULL;
    size_t fal = 0;
    if (!strcmp(k, "knucleotide")) {
        sized_fn fasta = (sized_fn)dlsym(first, "hp_fasta");
        if (fasta(n, 1, &fa, &fal, &err)) {
            fprintf(stderr, "kbench: %s\n", err);
            return 1;
        }
    }
    for (int i = 0; i < nv; i++) {
        v[i].wall = calloc((size_t)rounds, sizeof(double));
        v[i].cpu = calloc((size_t)rounds, sizeof(double));
    }
    char *ref = NULL;
    size_t refl = 0;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < nv; i++) {
            char *out = NULL;
            size_t len = 0;
            double t0 = now(), u0 = cpu();
            int rc = fa ? ((text_fn)v[i].fn)(fa, fal, v[i].threads, &out, &len, &err)
                        : ((sized_fn)v[i].fn)(n, v[i].threads, &out, &len, &err);
            v[i].wall[r] = now() - t0;
            v[i].cpu[r] = cpu() - u0;
            if (rc) {
                fprintf(stderr, "kbench: %s\n", err);
                return 1;
            }
            if (!ref) {
                ref = out;
                refl = len;
            } else if (len != refl || memcmp(out, ref, len)) {
                fprintf(stderr, "kbench: OUTPUT DIFFERS (%s, round %d)\n", v[i].label, r + 1);
                return 1;
            } else {
                free(out);
            }
        }
    double med[MAXV];
    for (int i = 0; i < nv; i++) {
        qsort(v[i].wall, (size_t)rounds, sizeof(double), cmpd);
        qsort(v[i].cpu, (size_t)rounds, sizeof(double), cmpd);
        med[i] = v[i].wall[rounds / 2];
        printf("%s %d %s: wall median %.4f s min %.4f max %.4f | cpu median %.4f min %.4f max %.4f (%d runs)\n",
               k, n, v[i].label, med[i], v[i].wall[0], v[i].wall[rounds - 1], v[i].cpu[rounds / 2],
               v[i].cpu[0], v[i].cpu[rounds - 1], rounds);
    }
    if (nv == 2)
        printf("second/first median ratio %.3f\n", med[1] / med[0]);
    return 0;
}
