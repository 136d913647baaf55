/* Latency histograms: percentiles of known distributions within the stated precision. */
#include "tap.h"
#include "http/hist.h"

#include <math.h>
#include <stdio.h>

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
    hp_hist_record(h, (uint64_t)1 << 60);
    CHECK(hp_hist_max(h) == ((uint64_t)1 << 37) - 1, "values beyond 137 s are clamped");
    hp_hist_free(h);
    hp_hist_free(h2);
    return tap_done();
}
