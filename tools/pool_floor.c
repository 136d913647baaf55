/* Measures the pool against the compute floor of the concurrency workload, interleaved in one
 * process: N recursive fib(i % 30) (default 100,000) through the pool on 1 thread and on all
 * cores, and through hand-written threads with a perfect static split (contiguous halves of
 * whole periods of 30) on 1 thread and on all cores; wall and process CPU time of each.
 *   cc -O2 -D_GNU_SOURCE -Icsrc tools/pool_floor.c -Lbuild -lhotpath -Wl,-rpath,$PWD/build \
 *      -lpthread -o build/pool_floor && build/pool_floor REPS [N]
 * The floor is the 1-thread time / cores of the same run; "pool/static" compares the pool with
 * the best a hand-written split does on this machine at that moment. */
#include "pool/tasks.h"
#include "common/common.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double cpu_now(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static double last_cpu;
static int N = 100000;
static int64_t fib_rec(int n) { return n < 2 ? n : fib_rec(n - 1) + fib_rec(n - 2); }
struct part { int64_t b, e, sum; };
static void *half(void *arg) { struct part *p = arg; for (int64_t i = p->b; i < p->e; i++) p->sum += fib_rec((int)(i % 30)); return NULL; }
static double ideal(int t) {
    double c0 = cpu_now();
    double t0 = hp_clock_monotonic();
    pthread_t th[8]; struct part ps[8]; int64_t sum = 0;
    for (int k = 0; k < t; k++) { ps[k] = (struct part){ (int64_t)N * k / t, (int64_t)N * (k + 1) / t, 0 }; pthread_create(&th[k], NULL, half, &ps[k]); }
    for (int k = 0; k < t; k++) { pthread_join(th[k], NULL); sum += ps[k].sum; }
    if (N == 100000 && sum != 4487111332LL) abort();
    last_cpu = cpu_now() - c0;
    return hp_clock_monotonic() - t0;
}
static double pool(hp_pool *p) {
    hp_batch_spec sp = { .kind = "fib_recursive", .input_type = HP_VAL_INT, .count = N, .keep_results = 0 };
    double c0 = cpu_now();
    double t0 = hp_clock_monotonic();
    hp_batch *b; hp_batch_new(p, &sp, &b, NULL);
    int64_t *in = hp_batch_ints(b); for (int i = 0; i < N; i++) in[i] = i % 30;
    hp_batch_start(b, NULL); hp_batch_wait(b, -1);
    hp_task_out o; hp_batch_reduce(b, HP_REDUCE_SUM, &o);
    if (N == 100000 && o.i != 4487111332LL) abort();
    double t = hp_clock_monotonic() - t0; last_cpu = cpu_now() - c0; hp_batch_free(b); return t;
}
static double load(void) { FILE *f = fopen("/proc/loadavg", "r"); double l = 0; if (f) { if (fscanf(f, "%lf", &l) != 1) l = 0; fclose(f); } return l; }
int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 3, cores = hp_cpu_count(); if (argc > 2) N = atoi(argv[2]);
    hp_pool *p1, *pn; hp_pool_new(&p1, 1, NULL); hp_pool_new(&pn, cores, NULL);
    pool(pn);
    for (int r = 0; r < reps; r++) {
        double a = pool(p1), ca = last_cpu, b = pool(pn), cb = last_cpu;
        double c = ideal(1), cc = last_cpu, d = ideal(cores), cd = last_cpu;
        printf("rep %d (load %.2f): wall: pool 1 thread %.3f s, %d %.3f s (/floor %.3f); static split 1 thread %.3f s, %d %.3f s (/floor %.3f)\n"
               "        cpu: pool 1 thread %.3f s, %d %.3f s (x%.4f); static split 1 %.3f s, %d %.3f s (x%.4f); pool/static cpu %d threads %.4f\n",
               r, load(), a, cores, b, b / (a / cores), c, cores, d, d / (c / cores), ca, cores, cb, cb / ca, cc, cores, cd, cd / cc, cores, cb / cd);
        fflush(stdout);
    }
    hp_pool_free(p1); hp_pool_free(pn);
}
