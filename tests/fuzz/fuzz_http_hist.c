/* libFuzzer target: histogram export and import (hp_hist_buckets, hp_hist_add_buckets).
 * Round trip: the input's bytes become recorded values (5 bytes each: 32 bits shifted by 0..31);
 * the exported buckets must add up to the count and rebuild identical percentiles, min, max
 * and mean. Hostile import: the input read as raw buckets (lo, hi, count) plus min and max;
 * a refused import must leave the histogram unchanged, an accepted one must export buckets
 * that add up to its count. */
#include "common/common.h"
#include "http/hist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static hp_hist *a, *b;

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void check_export(const hp_hist *h, hp_hist_bucket **out, size_t *n)
{
    *n = hp_hist_buckets(h, NULL, 0);
    *out = calloc(*n + 1, sizeof **out);
    if (hp_hist_buckets(h, *out, *n) != *n)
        abort();
    uint64_t sum = 0;
    for (size_t i = 0; i < *n; i++) {
        if ((*out)[i].count == 0 || (*out)[i].lo > (*out)[i].hi || (i && (*out)[i].lo <= (*out)[i - 1].hi))
            abort();
        sum += (*out)[i].count;
    }
    if (sum != hp_hist_count(h))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!a) {
        a = hp_hist_new();
        b = hp_hist_new();
    }
    if (size < 1)
        return 0;
    hp_hist_reset(a);
    hp_hist_reset(b);
    char *err = NULL;
    hp_hist_bucket *bk;
    size_t n;
    if (data[0] & 1) {
        for (size_t i = 1; i + 5 <= size; i += 5) {
            uint32_t v;
            memcpy(&v, data + i + 1, 4);
            hp_hist_record(a, (uint64_t)v << (data[i] % 32));
        }
        check_export(a, &bk, &n);
        if (hp_hist_add_buckets(b, bk, n, hp_hist_min(a), hp_hist_max(a), hp_hist_sum(a), hp_hist_sumsq(a), &err) != HP_OK)
            abort();
        if (hp_hist_count(b) != hp_hist_count(a) || hp_hist_min(b) != hp_hist_min(a) || hp_hist_max(b) != hp_hist_max(a)
            || hp_hist_mean(b) != hp_hist_mean(a))
            abort();
        static const double ps[] = { 0.1, 1, 25, 50, 75, 90, 99, 99.9, 99.99, 100 };
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
            if (hp_hist_percentile(b, ps[i]) != hp_hist_percentile(a, ps[i]))
                abort();
        free(bk);
        return 0;
    }
    if (size < 17)
        return 0;
    uint64_t min = rd64(data + 1), max = rd64(data + 9);
    size_t nb = (size - 17) / 24;
    hp_hist_bucket *in = calloc(nb + 1, sizeof *in);
    for (size_t i = 0; i < nb; i++) {
        const uint8_t *p = data + 17 + 24 * i;
        in[i].lo = rd64(p) >> (p[0] % 64);
        in[i].hi = rd64(p + 8) >> (p[8] % 64);
        in[i].count = rd64(p + 16) >> (p[16] % 64);
    }
    hp_hist_record(b, 77);
    int rc = hp_hist_add_buckets(b, in, nb, min >> (data[0] % 64), max >> (data[0] % 64), (data[0] & 2) ? 0.0 / 0.0 : 1e6, 1e12, &err);
    if (rc != HP_OK) {
        if (!err || hp_hist_count(b) != 1 || hp_hist_min(b) != 77 || hp_hist_max(b) != 77)
            abort();
        hp_free(err);
    } else {
        check_export(b, &bk, &n);
        if (hp_hist_min(b) > hp_hist_max(b) || hp_hist_percentile(b, 50) > hp_hist_percentile(b, 100))
            abort();
        free(bk);
    }
    free(in);
    return 0;
}
