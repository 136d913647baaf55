/* binarytrees: trees are built top-down into an arena (one per worker, reset per tree, as the
 * rules allow "memory pool" allocation) of 8-byte nodes linked by 32-bit indices, then walked
 * to count their nodes. Index 0 is the null link, so a tree's nodes start at index 1.
 *
 * Output (the reference programs'):
 *   stretch tree of depth D+1\t check: C
 *   I\t trees of depth d\t check: C        for d = 4, 6, ..., D
 *   long lived tree of depth D\t check: C
 * Work: every depth d costs 2^(D-d+4) trees of 2^(d+1)-1 nodes, the same 2^(D+5) nodes each,
 * split into units of whole trees that the pool hands to workers. */
#include "kernels/binarytrees.h"
#include "kernels/kpar.h"
#include "common/common.h"
#include "common/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_DEPTH 4
_Static_assert(HP_BINARYTREES_CHECK_MAX_DEPTH == HP_BINARYTREES_MAX_N + 1,
               "the deepest unit is the largest program's stretch tree");
#define UNITS_PER_DEPTH 64

typedef struct node {
    uint32_t l, r;
} node;

/* Builds a tree of the given depth at arena[*next...] (pre-order); returns its root index.
 * The nodes above the leaves allocate and write their two leaves themselves: half the nodes
 * are leaves, so that halves the calls. */
static uint32_t build(node *arena, uint32_t *next, int depth)
{
    uint32_t me = (*next)++, l, r;
    if (depth > 1) {
        l = build(arena, next, depth - 1);
        r = build(arena, next, depth - 1);
    } else if (depth == 1) {
        l = (*next)++;
        r = (*next)++;
        arena[l].l = arena[l].r = arena[r].l = arena[r].r = 0;
    } else {
        l = r = 0;
    }
    arena[me].l = l;
    arena[me].r = r;
    return me;
}

/* Counts the nodes reachable from root; a child that is a leaf is counted without a call. */
static int64_t check(const node *arena, uint32_t root)
{
    const node *t = &arena[root];
    if (!t->l)
        return 1;
    int64_t n = 1;
    n += arena[t->l].l ? check(arena, t->l) : 1;
    n += arena[t->r].l ? check(arena, t->r) : 1;
    return n;
}

static size_t tree_nodes(int depth) { return ((size_t)2 << depth) - 1; }

/* One tree in a fresh arena: build, check; the arena is reused by the next tree (freed). */
static int64_t one_tree(node *arena, int depth)
{
    uint32_t next = 1;
    uint32_t root = build(arena, &next, depth);
    return check(arena, root);
}

int hp_binarytrees_check(int64_t depth, int64_t *count, char **errmsg)
{
    *count = 0;
    if (depth < 0 || depth > HP_BINARYTREES_CHECK_MAX_DEPTH)
        return hp_err(errmsg, HP_EINVAL, "binarytrees_check: n must be between 0 and %d, got %lld",
                      HP_BINARYTREES_CHECK_MAX_DEPTH, (long long)depth);
    node *arena = malloc((tree_nodes((int)depth) + 1) * sizeof(node));
    if (!arena)
        return hp_err(errmsg, HP_ENOMEM, "binarytrees_check: out of memory for depth %d", (int)depth);
    *count = one_tree(arena, (int)depth);
    free(arena);
    return HP_OK;
}

typedef struct bt_ctx {
    int max_depth, ndepths, units_per_depth[16];
    node **arenas;      /* one per worker, tree_nodes(max_depth) + 1 nodes each */
    int64_t *sums;      /* [worker * ndepths + depth index] */
    int threads;
} bt_ctx;

/* Units [begin, end): unit u is depth index u / UNITS_PER_DEPTH, a share of that depth's trees. */
static int bt_range(void *vctx, int64_t begin, int64_t end, int worker)
{
    bt_ctx *c = vctx;
    if (worker < 0 || worker >= c->threads)
        return HP_EINVAL;
    node *arena = c->arenas[worker];
    for (int64_t u = begin; u < end; u++) {
        int di = (int)(u / UNITS_PER_DEPTH), share = (int)(u % UNITS_PER_DEPTH);
        int depth = MIN_DEPTH + 2 * di;
        int64_t iters = (int64_t)1 << (c->max_depth - depth + MIN_DEPTH);
        int units = c->units_per_depth[di];
        if (share >= units)
            continue;
        int64_t per = iters / units, sum = 0;
        for (int64_t i = 0; i < per; i++)
            sum += one_tree(arena, depth);
        c->sums[worker * c->ndepths + di] += sum;
    }
    return HP_OK;
}

int hp_binarytrees(int n, int threads, char **out, size_t *out_len, char **errmsg)
{
    *out = NULL;
    *out_len = 0;
    if (n < 0 || n > HP_BINARYTREES_MAX_N)
        return hp_err(errmsg, HP_ELIMIT, "binarytrees: n must be between 0 and %d, got %d",
                      HP_BINARYTREES_MAX_N, n);
    int max_depth = n > MIN_DEPTH + 2 ? n : MIN_DEPTH + 2;
    threads = hp_kpar_threads(threads);
    bt_ctx c = { .max_depth = max_depth, .ndepths = (max_depth - MIN_DEPTH) / 2 + 1, .threads = threads };
    for (int di = 0; di < c.ndepths; di++) {
        int64_t iters = (int64_t)1 << (max_depth - MIN_DEPTH - 2 * di + MIN_DEPTH);
        c.units_per_depth[di] = (int)(iters < UNITS_PER_DEPTH ? iters : UNITS_PER_DEPTH);
    }
    size_t cap = 512 + (size_t)c.ndepths * 80;
    char *buf = malloc(cap);
    /* the stretch tree's arena, freed before the long-lived tree gets its own (half as big):
     * freeing an arena this large returns its pages, so the peak is the larger of the stretch
     * tree and the long-lived tree plus the worker arenas, not their sum */
    node *big = malloc((tree_nodes(max_depth + 1) + 1) * sizeof(node));
    c.arenas = calloc((size_t)threads, sizeof(node *));
    c.sums = calloc((size_t)threads * (size_t)c.ndepths, sizeof(int64_t));
    int rc = HP_OK;
    if (!buf || !big || !c.arenas || !c.sums) {
        rc = hp_err(errmsg, HP_ENOMEM, "binarytrees: out of memory");
        goto done;
    }
    size_t len = 0;
    /* The stretch tree lives and dies first. */
    len += (size_t)snprintf(buf + len, cap - len, "stretch tree of depth %d\t check: %lld\n",
                            max_depth + 1, (long long)one_tree(big, max_depth + 1));
    /* The long-lived tree is built now and walked at the end. */
    free(big);
    big = malloc((tree_nodes(max_depth) + 1) * sizeof(node));
    if (!big) {
        rc = hp_err(errmsg, HP_ENOMEM, "binarytrees: out of memory");
        goto done;
    }
    uint32_t next = 1;
    uint32_t long_root = build(big, &next, max_depth);
    for (int w = 0; w < threads; w++) {
        c.arenas[w] = malloc((tree_nodes(max_depth) + 1) * sizeof(node));
        if (!c.arenas[w]) {
            rc = hp_err(errmsg, HP_ENOMEM, "binarytrees: out of memory");
            goto done;
        }
    }
    rc = hp_kpar_for(threads, 0, (int64_t)c.ndepths * UNITS_PER_DEPTH, 1, bt_range, &c, errmsg);
    if (rc != HP_OK)
        goto done;
    for (int di = 0; di < c.ndepths; di++) {
        int depth = MIN_DEPTH + 2 * di;
        int64_t sum = 0;
        for (int w = 0; w < threads; w++)
            sum += c.sums[w * c.ndepths + di];
        len += (size_t)snprintf(buf + len, cap - len, "%lld\t trees of depth %d\t check: %lld\n",
                                (long long)1 << (max_depth - depth + MIN_DEPTH), depth, (long long)sum);
    }
    len += (size_t)snprintf(buf + len, cap - len, "long lived tree of depth %d\t check: %lld\n",
                            max_depth, (long long)check(big, long_root));
    *out = buf;
    *out_len = len;
    buf = NULL;
done:
    if (c.arenas)
        for (int w = 0; w < threads; w++)
            free(c.arenas[w]);
    free(c.arenas);
    free(c.sums);
    free(big);
    free(buf);
    return rc;
}
