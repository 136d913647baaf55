/* hotpath:abi
 * Latency histograms: log-linear buckets over nanoseconds (1 ns .. 137 s), relative bucket
 * width 1/1024, so every reported value is within 0.05 % of a recorded one (better than 3
 * significant digits). One writer per histogram; merge per-thread histograms afterwards.
 */
#ifndef HP_HTTP_HIST_H
#define HP_HTTP_HIST_H
#include <stdint.h>
#pragma GCC visibility push(default)

typedef struct hp_hist hp_hist;

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

/* The value at percentile p (0 < p <= 100) in ns: the middle of the bucket holding the
 * ceil(p/100 * count)-th smallest value, clamped to [min, max]; 100 gives the exact max.
 * 0 when empty. */
double hp_hist_percentile(const hp_hist *h, double p);

#pragma GCC visibility pop
#endif
