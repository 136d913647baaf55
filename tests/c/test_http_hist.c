/* Latency histograms: percentiles of known distributions within the stated precision. */
#include "tap.h"
#include "http/hist.h"
#include "http/load.h"

#include "common/common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exports h's buckets (malloc'd array, *n of them). */
static hp_hist_bucket *export_buckets(const hp_hist *h, size_t *n)
{
    *n = hp_hist_buckets(h, NULL, 0);
    hp_hist_bucket *b = calloc(*n ? *n : 1, sizeof *b);
    size_t again = hp_hist_buckets(h, b, *n);
    if (again != *n)
        printf("# bucket count changed: %zu then %zu\n", *n, again);
    return b;
}

/* Rebuilds a histogram from a's exported buckets and compares everything a reader sees. */
static int same_after_rebuild(const hp_hist *a)
{
    size_t n;
    hp_hist_bucket *b = export_buckets(a, &n);
    hp_hist *r = hp_hist_new();
    char *err = NULL;
    int ok = hp_hist_add_buckets(r, b, n, hp_hist_min(a), hp_hist_max(a), hp_hist_sum(a), hp_hist_sumsq(a), &err) == HP_OK;
    if (!ok)
        printf("# rebuild failed: %s\n", err ? err : "?");
    hp_free(err);
    ok = ok && hp_hist_count(r) == hp_hist_count(a) && hp_hist_min(r) == hp_hist_min(a) && hp_hist_max(r) == hp_hist_max(a)
         && hp_hist_mean(r) == hp_hist_mean(a) && hp_hist_stdev(r) == hp_hist_stdev(a);
    for (double p = 0.1; ok && p <= 100; p += 0.1)
        if (hp_hist_percentile(r, p) != hp_hist_percentile(a, p)) {
            printf("# p%g: %.17g rebuilt vs %.17g\n", p, hp_hist_percentile(r, p), hp_hist_percentile(a, p));
            ok = 0;
        }
    const double tail[] = { 99.9, 99.99, 99.999, 100 };
    for (int i = 0; ok && i < 4; i++)
        ok = hp_hist_percentile(r, tail[i]) == hp_hist_percentile(a, tail[i]);
    hp_hist_free(r);
    free(b);
    return ok;
}

static int near(double got, double want, double rel)
{
    if (fabs(got - want) <= rel * want)
        return 1;
    printf("# got %.6g, want %.6g (+- %.3g %%)\n", got, want, rel * 100);
    return 0;
}

int main(void)
{
    hp_hist *h = hp_hist_new(), *h2 = hp_hist_new();
    CHECK(hp_hist_count(h) == 0 && hp_hist_percentile(h, 50) == 0, "empty histogram");
    char txt[32];
    snprintf(txt, sizeof txt, "%g", hp_hist_mean(h));
    CHECK_STR(txt, "0", "empty mean");

    /* uniform 1 us .. 100 ms in 1 us steps: percentile p is p% of 100 ms */
    for (uint64_t v = 1000; v <= 100000000; v += 1000)
        hp_hist_record(h, v);
    CHECK(hp_hist_count(h) == 100000, "count");
    CHECK(hp_hist_min(h) == 1000 && hp_hist_max(h) == 100000000, "exact min and max");
    CHECK(near(hp_hist_percentile(h, 50), 50e6, 0.001), "uniform p50 within 0.1 %");
    CHECK(near(hp_hist_percentile(h, 90), 90e6, 0.001), "uniform p90 within 0.1 %");
    CHECK(near(hp_hist_percentile(h, 99), 99e6, 0.001), "uniform p99 within 0.1 %");
    CHECK(near(hp_hist_percentile(h, 99.9), 99.9e6, 0.001), "uniform p99.9 within 0.1 %");
    CHECK(near(hp_hist_percentile(h, 99.99), 99.99e6, 0.001), "uniform p99.99 within 0.1 %");
    CHECK(hp_hist_percentile(h, 100) == 1e8, "p100 is the max");
    CHECK(near(hp_hist_mean(h), 50.0005e6, 1e-9), "exact mean");

    /* exponential, mean 1 ms, by inverse CDF on an even grid: p-quantile = -ln(1-p) ms */
    int n = 1000000;
    for (int i = 0; i < n; i++) {
        double u = (i + 0.5) / n;
        hp_hist_record(h2, (uint64_t)(-log(1 - u) * 1e6));
    }
    const double ps[] = { 50, 90, 99, 99.9, 99.99 };
    int ok = 1;
    for (int i = 0; i < 5; i++)
        ok &= near(hp_hist_percentile(h2, ps[i]), -log(1 - ps[i] / 100) * 1e6, 0.001);
    CHECK(ok, "exponential percentiles within 0.1 %");

    /* 1 us to 60 s, every decade: relative error of a single value stays below 0.05 % */
    ok = 1;
    for (double v = 1000; v <= 60e9; v *= 1.37) {
        hp_hist_reset(h);
        hp_hist_record(h, (uint64_t)v);
        hp_hist_record(h, (uint64_t)v + 1); /* p50 then falls inside the bucket, not at min */
        ok &= near(hp_hist_percentile(h, 50), v, 0.0005);
    }
    CHECK(ok, "3 significant digits from 1 us to 60 s");

    hp_hist_reset(h);
    hp_hist_record_n(h, 5000, 99);
    hp_hist_record(h, 7000000);
    hp_hist_reset(h2);
    hp_hist_record(h2, 300);
    hp_hist_merge(h, h2);
    CHECK(hp_hist_count(h) == 101 && hp_hist_min(h) == 300 && hp_hist_max(h) == 7000000, "merge keeps count, min, max");
    CHECK(near(hp_hist_percentile(h, 50), 5000, 0.0005), "merged p50");
    CHECK(near(hp_hist_percentile(h, 99.5), 7000000, 0.0005), "merged tail");
    {
        /* the figures a result reports (and hotpath merge reports for merged histograms) */
        hp_load_latency x;
        hp_load_latency_of(h, &x);
        CHECK(x.count == 101 && x.min == 0.3 && x.max == 7000 && x.mean == hp_hist_mean(h) / 1e3
                  && x.stdev == hp_hist_stdev(h) / 1e3 && x.p50 == hp_hist_percentile(h, 50) / 1e3
                  && x.p90 == hp_hist_percentile(h, 90) / 1e3 && x.p99 == hp_hist_percentile(h, 99) / 1e3
                  && x.p999 == hp_hist_percentile(h, 99.9) / 1e3 && x.p9999 == hp_hist_percentile(h, 99.99) / 1e3,
              "hp_load_latency_of: count, min, max, mean, stdev and percentiles in microseconds");
    }
    hp_hist_record(h, (uint64_t)1 << 60);
    CHECK(hp_hist_max(h) == ((uint64_t)1 << 37) - 1, "values beyond 137 s are clamped");

    /* export: sparse, ascending, exact bucket bounds, counts summing to the count */
    hp_hist_reset(h);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) { /* xorshift: values spread over 1 ns .. 2^37 ns, log-uniform */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        hp_hist_record(h, x >> (27 + x % 37));
    }
    hp_hist_record(h, 0);
    size_t nb;
    hp_hist_bucket *b = export_buckets(h, &nb);
    uint64_t sum = 0;
    ok = nb > 1000;
    for (size_t i = 0; i < nb; i++) {
        sum += b[i].count;
        ok &= b[i].count > 0 && b[i].lo <= b[i].hi && (i == 0 || b[i].lo > b[i - 1].hi);
    }
    CHECK(ok, "non-empty buckets only, ascending, disjoint");
    CHECK(sum == hp_hist_count(h) && sum == 200001, "exported counts sum to the count");
    CHECK(b[0].lo == 0 && b[0].hi == 0 && b[nb - 1].hi <= ((uint64_t)1 << 37) - 1, "first and last bucket in range");
    int layout_ok = 1;
    for (size_t i = 0; i < nb; i++) {
        uint64_t w = b[i].hi - b[i].lo + 1;
        /* HdrHistogram(1, 2^37 - 1, 3 digits): width 1 below 2048, then 2^(k-10) in [2^k, 2^(k+1)) */
        uint64_t want = b[i].lo < 2048 ? 1 : (uint64_t)1 << ((63 - __builtin_clzll(b[i].lo)) - 10);
        layout_ok &= w == want && b[i].lo % w == 0;
    }
    CHECK(layout_ok, "bucket widths are HdrHistogram's for 3 significant digits");
    CHECK(hp_hist_buckets(h, b, 2) == nb, "a short buffer still returns the number of buckets");
    free(b);
    hp_hist_reset(h2);
    CHECK(hp_hist_buckets(h2, NULL, 0) == 0, "an empty histogram has no buckets");

    CHECK(same_after_rebuild(h), "rebuilt from its buckets: identical percentiles, count, min, max, mean, stdev");
    CHECK(same_after_rebuild(h2), "an empty histogram rebuilds empty");
    hp_hist_reset(h2);
    for (uint64_t v = 20000; v < 90000; v += 7)
        hp_hist_record(h2, v);
    CHECK(same_after_rebuild(h2), "a narrow histogram rebuilds identically");

    /* two exported runs added into one histogram give the merge of the originals */
    hp_hist *m = hp_hist_new(), *r = hp_hist_new();
    hp_hist_merge(m, h);
    hp_hist_merge(m, h2);
    hp_hist_bucket *b1 = export_buckets(h, &nb), *b2;
    size_t nb2;
    b2 = export_buckets(h2, &nb2);
    char *err = NULL;
    int rc = hp_hist_add_buckets(r, b1, nb, hp_hist_min(h), hp_hist_max(h), hp_hist_sum(h), hp_hist_sumsq(h), &err);
    rc |= hp_hist_add_buckets(r, b2, nb2, hp_hist_min(h2), hp_hist_max(h2), hp_hist_sum(h2), hp_hist_sumsq(h2), &err);
    ok = rc == HP_OK && hp_hist_count(r) == hp_hist_count(m) && hp_hist_min(r) == hp_hist_min(m)
         && hp_hist_max(r) == hp_hist_max(m) && hp_hist_mean(r) == hp_hist_mean(m);
    for (double p = 0.5; ok && p <= 100; p += 0.5)
        ok = hp_hist_percentile(r, p) == hp_hist_percentile(m, p);
    CHECK(ok, "adding two exports equals merging the two histograms");

    /* unknown sums: the bucket middles stand in; percentiles stay identical */
    hp_hist_reset(r);
    rc = hp_hist_add_buckets(r, b2, nb2, hp_hist_min(h2), hp_hist_max(h2), NAN, NAN, &err);
    CHECK(rc == HP_OK && near(hp_hist_mean(r), hp_hist_mean(h2), 0.0005)
          && hp_hist_percentile(r, 99) == hp_hist_percentile(h2, 99), "NaN sums: mean from bucket middles");

    /* refused imports leave the histogram unchanged */
    struct { hp_hist_bucket b[2]; size_t n; uint64_t min, max; double sum; const char *msg; } bad[] = {
        { { { 2048, 2048, 1 } }, 1, 2048, 2048, 2048, "bucket 1: [2048, 2048] is not a bucket of the layout" },
        { { { 5, 5, 1 }, { 2049, 2050, 1 } }, 2, 5, 2050, 2055, "bucket 2: [2049, 2050] is not a bucket of the layout" },
        { { { 7, 6, 1 } }, 1, 7, 7, 7, "bucket 1: [7, 6] is not a bucket of the layout" },
        { { { (uint64_t)1 << 37, ((uint64_t)1 << 37) + 127, 1 } }, 1, 0, 0, 0,
          "bucket 1: [137438953472, 137438953599] is not a bucket of the layout" },
        { { { 4096, 4099, 3 } }, 1, 4095, 4099, 1, "min 4095 is outside the lowest bucket [4096, 4099]" },
        { { { 10, 10, 1 }, { 4096, 4099, 3 } }, 2, 10, 4100, 1, "max 4100 is outside the highest bucket [4096, 4099]" },
        { { { 4096, 4099, 3 } }, 1, 4099, 4096, 1, "min 4099 is above max 4096" },
        { { { 10, 10, UINT64_MAX - 5 }, { 11, 11, 10 } }, 2, 10, 11, 1, "bucket 2: the count overflows" },
        { { { 10, 10, 1 } }, 1, 10, 10, -1, "sum and sumsq must be finite and >= 0, or both unknown (NaN)" },
    };
    ok = 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hp_hist_reset(r);
        hp_hist_record(r, 77);
        err = NULL;
        rc = hp_hist_add_buckets(r, bad[i].b, bad[i].n, bad[i].min, bad[i].max, bad[i].sum, 1, &err);
        char what[160];
        snprintf(what, sizeof what, "refused import %zu: %s", i + 1, bad[i].msg);
        CHECK(rc == HP_EINVAL, what);
        CHECK_STR(err, bad[i].msg, "its message");
        hp_free(err);
        ok &= hp_hist_count(r) == 1 && hp_hist_min(r) == 77 && hp_hist_max(r) == 77 && hp_hist_mean(r) == 77;
    }
    CHECK(ok, "a refused import changes nothing");
    hp_hist_bucket zero = { 10, 10, 0 };
    CHECK(hp_hist_add_buckets(r, &zero, 1, 0, 0, 0, 0, &err) == HP_OK && hp_hist_count(r) == 1, "empty buckets add nothing");
    free(b1);
    free(b2);
    hp_hist_free(m);
    hp_hist_free(r);
    hp_hist_free(h);
    hp_hist_free(h2);
    return tap_done();
}
