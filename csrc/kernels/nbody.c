/* n-body: the reference C program's arithmetic, operation for operation (the output's 9
 * decimals after 50 million steps depend on it), built with -ffp-contract=off. */
#include "kernels/nbody.h"
#include "kernels/ktext.h"
#include "common/common.h"
#include "common/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NB 5

typedef struct body {
    double x, y, z, vx, vy, vz, mass;
} body;

enum { NPAIRS = NB * (NB - 1) / 2 };

/* One step. The pairs' distances and magnitudes depend only on the positions, which this step
 * changes last, so they are computed first, all ten independent of each other (their square
 * roots and divisions overlap in the pipeline instead of waiting on one another); the
 * velocities are then updated pair by pair in the reference order, so every sum is the
 * reference's, bit for bit. */
static void advance(body *b, double dt)
{
    double dx[NPAIRS], dy[NPAIRS], dz[NPAIRS], mag[NPAIRS];
    int k = 0;
    for (int i = 0; i < NB; i++)
        for (int j = i + 1; j < NB; j++, k++) {
            dx[k] = b[i].x - b[j].x;
            dy[k] = b[i].y - b[j].y;
            dz[k] = b[i].z - b[j].z;
        }
#pragma GCC unroll 10
    for (k = 0; k < NPAIRS; k++) {
        double distance = sqrt(dx[k] * dx[k] + dy[k] * dy[k] + dz[k] * dz[k]);
        mag[k] = dt / (distance * distance * distance);
    }
    k = 0;
#pragma GCC unroll 5
    for (int i = 0; i < NB; i++) {
        body *bi = &b[i];
        for (int j = i + 1; j < NB; j++, k++) {
            body *bj = &b[j];
            bi->vx -= dx[k] * bj->mass * mag[k];
            bi->vy -= dy[k] * bj->mass * mag[k];
            bi->vz -= dz[k] * bj->mass * mag[k];
            bj->vx += dx[k] * bi->mass * mag[k];
            bj->vy += dy[k] * bi->mass * mag[k];
            bj->vz += dz[k] * bi->mass * mag[k];
        }
    }
    for (int i = 0; i < NB; i++) {
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

static double energy(const body *b)
{
    double e = 0.0;
    for (int i = 0; i < NB; i++) {
        e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < NB; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            double distance = sqrt(dx * dx + dy * dy + dz * dz);
            e -= (b[i].mass * b[j].mass) / distance;
        }
    }
    return e;
}

static void offset_momentum(body *b)
{
    double px = 0.0, py = 0.0, pz = 0.0;
    for (int i = 0; i < NB; i++) {
        px += b[i].vx * b[i].mass;
        py += b[i].vy * b[i].mass;
        pz += b[i].vz * b[i].mass;
    }
    b[0].vx = -px / SOLAR_MASS;
    b[0].vy = -py / SOLAR_MASS;
    b[0].vz = -pz / SOLAR_MASS;
}

/* The reference program's run: the energy before and after n steps of 0.01. */
static void nbody_run(int n, double *before, double *after)
{
    body b[NB] = {
        { 0, 0, 0, 0, 0, 0, SOLAR_MASS },
        { 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
          1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
          -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS },
        { 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
          -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
          2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS },
        { 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
          2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
          -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS },
        { 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
          2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
          -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS },
    };
    offset_momentum(b);
    *before = energy(b);
    for (int i = 0; i < n; i++)
        advance(b, 0.01);
    *after = energy(b);
}

int hp_nbody(int n, int threads, char **out, size_t *out_len, char **errmsg)
{
    (void)threads;
    *out = NULL;
    *out_len = 0;
    if (n < 0 || n > HP_NBODY_MAX_N)
        return hp_err(errmsg, HP_ELIMIT, "nbody: n must be between 0 and %d, got %d", HP_NBODY_MAX_N, n);
    double before, after;
    nbody_run(n, &before, &after);
    return hp_ktext(out, out_len, errmsg, "nbody", "%.9f\n%.9f\n", before, after);
}

int hp_nbody_energy(int64_t n, double *energy_after, char **errmsg)
{
    *energy_after = 0;
    if (n < 0 || n > HP_NBODY_MAX_N)
        return hp_err(errmsg, HP_EINVAL, "nbody_energy: n must be between 0 and %d, got %lld",
                      HP_NBODY_MAX_N, (long long)n);
    double before;
    nbody_run((int)n, &before, energy_after);
    return HP_OK;
}
