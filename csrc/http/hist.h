/* hotpath:abi
 * Latency histograms: log-linear buckets over nanoseconds (1 ns .. 137 s), relative bucket
 * width 1/1024, so every reported value is within 0.05 % of a recorded one (better than 3
 * significant digits). One writer per histogram; merge per-thread histograms afterwards.
 *
 * The buckets are HdrHistogram's for lowest discernible value 1, highest trackable value
 * 2^37 - 1 and 3 significant digits: values 0..2047 one bucket each, then every power of two
 * [2^k, 2^(k+1)) (k = 11..36) split into 1024 equal buckets of width 2^(k-10). A histogram
 * travels as its non-empty buckets (hp_hist_buckets) with count, min, max, sum and sum of
 * squares, and is rebuilt from them exactly (hp_hist_add_buckets): same percentiles, same
 * mean and stdev (doc/http.md, "Histograms").
 */
#ifndef HP_HTTP_HIST_H
#define HP_HTTP_HIST_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

enum {
    HP_HIST_LOWEST = 1,              /* ns: lowest discernible value */
    HP_HIST_SIGNIFICANT_DIGITS = 3,
    HP_HIST_HIGHEST_BITS = 37        /* highest trackable value 2^37 - 1 ns (~137 s) */
};

typedef struct hp_hist hp_hist;

/* One bucket: the values lo..hi (ns, both included) were recorded count times. */
typedef struct hp_hist_bucket {
    uint64_t lo, hi, count;
} hp_hist_bucket;

/* A new empty histogram (about 230 KB), or NULL when out of memory. */
hp_hist *hp_hist_new(void);
void hp_hist_free(hp_hist *h);
void hp_hist_reset(hp_hist *h);

/* Records one value in nanoseconds; values above the range are clamped to its top. */
void hp_hist_record(hp_hist *h, uint64_t ns);
void hp_hist_record_n(hp_hist *h, uint64_t ns, uint64_t count);

/* Adds src's counts to dst. */
void hp_hist_merge(hp_hist *dst, const hp_hist *src);

uint64_t hp_hist_count(const hp_hist *h);
/* Exact smallest and largest recorded values and mean, in ns (0 when empty). */
uint64_t hp_hist_min(const hp_hist *h);
uint64_t hp_hist_max(const hp_hist *h);
double hp_hist_mean(const hp_hist *h);
double hp_hist_stdev(const hp_hist *h);
/* Sum of the recorded values (ns) and of their squares (ns^2), as doubles. */
double hp_hist_sum(const hp_hist *h);
double hp_hist_sumsq(const hp_hist *h);

/* The value at percentile p (0 < p <= 100) in ns: the middle of the bucket holding the
 * ceil(p/100 * count)-th smallest value, clamped to [min, max]; 100 gives the exact max.
 * 0 when empty. */
double hp_hist_percentile(const hp_hist *h, double p);

/* The non-empty buckets in ascending order: writes the first min(n, cap) of them to out
 * (out may be NULL when cap is 0) and returns n, their number (at most 28672). */
size_t hp_hist_buckets(const hp_hist *h, hp_hist_bucket *out, size_t cap);

/* Adds n exported buckets (in any order; counts of 0 are skipped) to h as if their values had
 * been recorded, with min and max the exact extremes of the added values and sum/sumsq their
 * sums (hp_hist_sum/hp_hist_sumsq of the exported histogram; NaN when unknown: the bucket
 * middles are used then). Checks everything before changing h; HP_EINVAL, h unchanged, when a
 * bucket is not one of this layout ("bucket 2: [2048, 2048] is not a bucket of the layout"),
 * min or max lies outside the lowest or highest non-empty bucket, or the count overflows. */
int hp_hist_add_buckets(hp_hist *h, const hp_hist_bucket *b, size_t n, uint64_t min, uint64_t max,
                        double sum, double sumsq, char **errmsg);

#pragma GCC visibility pop
#endif
