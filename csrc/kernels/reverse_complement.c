/* reverse-complement: one sequential pass strips the line breaks of each record's sequence
 * into a work buffer; then every output line (60 letters of the complement read backwards) is
 * independent of the others, so lines are ranges the pool hands out. */
#include "kernels/reverse_complement.h"
#include "kernels/kpar.h"
#include "common/common.h"
#include "common/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LINE 60

typedef struct rc_ctx {
    const char *seq; /* one record's letters, no line breaks */
    size_t n;
    char *out; /* where its lines go */
    const uint8_t *comp;
} rc_ctx;

/* Output lines [begin, end) of one record. */
static int rc_lines(void *vctx, int64_t begin, int64_t end, int worker)
{
    (void)worker;
    const rc_ctx *c = vctx;
    for (size_t l = (size_t)begin; l < (size_t)end; l++) {
        size_t from = l * LINE, m = c->n - from < LINE ? c->n - from : LINE;
        char *o = c->out + l * (LINE + 1);
        const char *src = c->seq + c->n - 1 - from;
        for (size_t i = 0; i < m; i++)
            o[i] = (char)c->comp[(uint8_t)src[-(ptrdiff_t)i]];
        o[m] = '\n';
    }
    return HP_OK;
}

int hp_reverse_complement(const char *fasta, size_t len, int threads, char **out, size_t *out_len,
                          char **errmsg)
{
    *out = NULL;
    *out_len = 0;
    uint8_t comp[256];
    for (int i = 0; i < 256; i++)
        comp[i] = (uint8_t)i;
    static const char from[] = "ACGTUMRWSYKVHDBN", to[] = "TGCAAKYWSRMBDHVN";
    for (int i = 0; from[i]; i++) {
        comp[(uint8_t)from[i]] = (uint8_t)to[i];
        comp[(uint8_t)(from[i] | 0x20)] = (uint8_t)to[i];
    }
    threads = hp_kpar_threads(threads);
    /* the output is never longer than the input plus a line break per header and per line */
    size_t cap = len + len / LINE + 2;
    char *buf = malloc(cap ? cap : 1), *seq = malloc(len ? len : 1);
    if (!buf || !seq) {
        free(buf);
        free(seq);
        return hp_err(errmsg, HP_ENOMEM, "reverse_complement: cannot allocate %zu bytes", 2 * len);
    }
    const char *p = fasta, *end = fasta + len;
    size_t o = 0;
    int rc = HP_OK;
    /* skip to the first header */
    while (p < end && !(*p == '>' && (p == fasta || p[-1] == '\n'))) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t hl = (size_t)((nl ? nl : end) - p);
        memcpy(buf + o, p, hl);
        o += hl;
        buf[o++] = '\n';
        p = nl ? nl + 1 : end;
        size_t n = 0;
        while (p < end && *p != '>') {
            nl = memchr(p, '\n', (size_t)(end - p));
            size_t ll = (size_t)((nl ? nl : end) - p);
            if (ll && p[ll - 1] == '\r')
                ll--;
            memcpy(seq + n, p, ll);
            n += ll;
            p = nl ? nl + 1 : end;
        }
        rc_ctx c = { .seq = seq, .n = n, .out = buf + o, .comp = comp };
        size_t lines = (n + LINE - 1) / LINE;
        rc = hp_kpar_for(n >= (1u << 20) ? threads : 1, 0, (int64_t)lines, 4096, rc_lines, &c, errmsg);
        if (rc != HP_OK)
            break;
        o += n + lines;
    }
    free(seq);
    if (rc != HP_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = o;
    return HP_OK;
}
