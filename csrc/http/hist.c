/* Log-linear latency histogram (HdrHistogram's layout, simplified): values below 2048 ns have
 * one bucket each; above, every power of two is split into 1024 equal buckets. */
#include "http/hist.h"
#include "common/common.h"
#include "common/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    SUB_BITS = 10,                  /* 1024 buckets per power of two */
    SUB = 1 << SUB_BITS,
    LINEAR = 2 * SUB,               /* values 0..2047 exactly */
    MAX_EXP = HP_HIST_HIGHEST_BITS - 1, /* top power of two: 2^37 ns ~ 137 s */
    NBUCKETS = LINEAR + (MAX_EXP - SUB_BITS) * SUB
};
static const uint64_t TOP = ((uint64_t)1 << (MAX_EXP + 1)) - 1;

struct hp_hist {
    uint64_t count, min, max;
    double sum, sumsq;
    uint64_t b[NBUCKETS];
};

static inline int bucket_of(uint64_t v)
{
    if (v < LINEAR)
        return (int)v;
    int e = 63 - __builtin_clzll(v);       /* 11 .. MAX_EXP */
    int shift = e - SUB_BITS;
    return LINEAR + (e - SUB_BITS - 1) * SUB + (int)((v >> shift) - SUB);
}

/* Lowest value and width of bucket i. */
static void bucket_range(int i, uint64_t *lo, uint64_t *width)
{
    if (i < LINEAR) {
        *lo = (uint64_t)i;
        *width = 1;
        return;
    }
    int k = i - LINEAR;
    int shift = k / SUB + 1;
    *lo = ((uint64_t)(k % SUB) + SUB) << shift;
    *width = (uint64_t)1 << shift;
}

hp_hist *hp_hist_new(void) { return calloc(1, sizeof(hp_hist)); }
void hp_hist_free(hp_hist *h) { free(h); }
void hp_hist_reset(hp_hist *h) { memset(h, 0, sizeof *h); }

void hp_hist_record_n(hp_hist *h, uint64_t v, uint64_t n)
{
    if (n == 0)
        return;
    if (v > TOP)
        v = TOP;
    if (h->count == 0 || v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->count += n;
    h->sum += (double)v * (double)n;
    h->sumsq += (double)v * (double)v * (double)n;
    h->b[bucket_of(v)] += n;
}

void hp_hist_record(hp_hist *h, uint64_t v) { hp_hist_record_n(h, v, 1); }

void hp_hist_merge(hp_hist *dst, const hp_hist *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->count += src->count;
    dst->sum += src->sum;
    dst->sumsq += src->sumsq;
    for (int i = 0; i < NBUCKETS; i++)
        dst->b[i] += src->b[i];
}

uint64_t hp_hist_count(const hp_hist *h) { return h->count; }
double hp_hist_sum(const hp_hist *h) { return h->sum; }
double hp_hist_sumsq(const hp_hist *h) { return h->sumsq; }
uint64_t hp_hist_min(const hp_hist *h) { return h->min; }
uint64_t hp_hist_max(const hp_hist *h) { return h->max; }
double hp_hist_mean(const hp_hist *h) { return h->count ? h->sum / (double)h->count : 0; }

double hp_hist_stdev(const hp_hist *h)
{
    if (h->count < 2)
        return 0;
    double m = h->sum / (double)h->count;
    double var = h->sumsq / (double)h->count - m * m;
    return var > 0 ? sqrt(var) : 0;
}

double hp_hist_percentile(const hp_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p >= 100)
        return (double)h->max;
    double r = ceil(p / 100.0 * (double)h->count);
    uint64_t rank = r < 1 ? 1 : (uint64_t)r;
    uint64_t seen = 0;
    for (int i = bucket_of(h->min); i < NBUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t lo, w;
            bucket_range(i, &lo, &w);
            double v = (double)lo + (double)(w - 1) / 2.0;
            if (v < (double)h->min)
                v = (double)h->min;
            if (v > (double)h->max)
                v = (double)h->max;
            return v;
        }
    }
    return (double)h->max;
}

size_t hp_hist_buckets(const hp_hist *h, hp_hist_bucket *out, size_t cap)
{
    size_t n = 0;
    if (h->count == 0)
        return 0;
    for (int i = bucket_of(h->min); i <= bucket_of(h->max); i++) {
        if (!h->b[i])
            continue;
        if (n < cap) {
            uint64_t lo, w;
            bucket_range(i, &lo, &w);
            out[n].lo = lo;
            out[n].hi = lo + w - 1;
            out[n].count = h->b[i];
        }
        n++;
    }
    return n;
}

/* The index of the bucket that is exactly [lo, hi], or -1. */
static int bucket_exact(uint64_t lo, uint64_t hi)
{
    if (lo > TOP || hi < lo)
        return -1;
    int i = bucket_of(lo);
    uint64_t blo, w;
    bucket_range(i, &blo, &w);
    return blo == lo && hi == lo + w - 1 ? i : -1;
}

int hp_hist_add_buckets(hp_hist *h, const hp_hist_bucket *b, size_t n, uint64_t min, uint64_t max,
                        double sum, double sumsq, char **errmsg)
{
    uint64_t total = 0, low = 0, low_hi = 0, high = 0, high_lo = 0;
    double msum = 0, msumsq = 0;
    for (size_t k = 0; k < n; k++) {
        if (bucket_exact(b[k].lo, b[k].hi) < 0)
            return hp_err(errmsg, HP_EINVAL, "bucket %zu: [%llu, %llu] is not a bucket of the layout", k + 1,
                          (unsigned long long)b[k].lo, (unsigned long long)b[k].hi);
        if (b[k].count == 0)
            continue;
        if (total + b[k].count < total || h->count + total + b[k].count < h->count)
            return hp_err(errmsg, HP_EINVAL, "bucket %zu: the count overflows", k + 1);
        if (total == 0 || b[k].lo < low)
            low = b[k].lo, low_hi = b[k].hi;
        if (total == 0 || b[k].hi > high)
            high = b[k].hi, high_lo = b[k].lo;
        total += b[k].count;
        double mid = ((double)b[k].lo + (double)b[k].hi) / 2;
        msum += mid * (double)b[k].count;
        msumsq += mid * mid * (double)b[k].count;
    }
    if (total == 0)
        return HP_OK;
    if (min < low || min > low_hi)
        return hp_err(errmsg, HP_EINVAL, "min %llu is outside the lowest bucket [%llu, %llu]",
                      (unsigned long long)min, (unsigned long long)low, (unsigned long long)low_hi);
    if (max < high_lo || max > high)
        return hp_err(errmsg, HP_EINVAL, "max %llu is outside the highest bucket [%llu, %llu]",
                      (unsigned long long)max, (unsigned long long)high_lo, (unsigned long long)high);
    if (min > max)
        return hp_err(errmsg, HP_EINVAL, "min %llu is above max %llu", (unsigned long long)min,
                      (unsigned long long)max);
    if (!(sum >= 0 && sum < INFINITY) || !(sumsq >= 0 && sumsq < INFINITY)) {
        if (sum == sum || sumsq == sumsq)
            return hp_err(errmsg, HP_EINVAL, "sum and sumsq must be finite and >= 0, or both unknown (NaN)");
        sum = msum, sumsq = msumsq;
    }
    for (size_t k = 0; k < n; k++)
        h->b[bucket_exact(b[k].lo, b[k].hi)] += b[k].count;
    if (h->count == 0 || min < h->min)
        h->min = min;
    if (max > h->max)
        h->max = max;
    h->count += total;
    h->sum += sum;
    h->sumsq += sumsq;
    return HP_OK;
}
