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
    char *out;       /* where line `first` goes */
    size_t first;
    const uint8_t *comp;
} rc_ctx;

/* Output lines [begin, end) of one record. */
static int rc_lines(void *vctx, int64_t begin, int64_t end, int worker)
{
    (void)worker;
    const rc_ctx *c = vctx;
    for (size_t l = (size_t)begin; l < (size_t)end; l++) {
        size_t from = l * LINE, m = c->n - from < LINE ? c->n - from : LINE;
        char *o = c->out + (l - c->first) * (LINE + 1);
        const char *src = c->seq + c->n - 1 - from;
        for (size_t i = 0; i < m; i++)
            o[i] = (char)c->comp[(uint8_t)src[-(ptrdiff_t)i]];
        o[m] = '\n';
    }
    return HP_OK;
}

/* Where the output goes: one buffer holding all of it (write NULL), or a block of at most
 * HP_REVCOMP_BLOCK lines handed to write as soon as it is made, so that a consumer works while
 * the next block is made. */
typedef struct rc_out {
    char *buf;
    size_t len;
    size_t block;    /* lines made (in parallel) between two writes */
    hp_write_fn write;
    void *ctx;
    int failed;
} rc_out;

static void emit(rc_out *o, const char *p, size_t n)
{
    if (!o->failed && n && o->write(o->ctx, p, n) != 0)
        o->failed = 1;
}

/* The kernel, into o; seq is a work buffer of len bytes. */
static int run(const char *fasta, size_t len, int threads, char *seq, rc_out *o, char **errmsg)
{
    uint8_t comp[256];
    for (int i = 0; i < 256; i++)
        comp[i] = (uint8_t)i;
    static const char from[] = "ACGTUMRWSYKVHDBN", to[] = "TGCAAKYWSRMBDHVN";
    for (int i = 0; from[i]; i++) {
        comp[(uint8_t)from[i]] = (uint8_t)to[i];
        comp[(uint8_t)(from[i] | 0x20)] = (uint8_t)to[i];
    }
    threads = hp_kpar_threads(threads);
    const char *p = fasta, *end = fasta + len;
    /* skip to the first header */
    while (p < end && !(*p == '>' && (p == fasta || p[-1] == '\n'))) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    while (p < end && !o->failed) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t hl = (size_t)((nl ? nl : end) - p);
        if (o->write) {
            emit(o, p, hl);
            emit(o, "\n", 1);
        } else {
            memcpy(o->buf + o->len, p, hl);
            o->len += hl;
            o->buf[o->len++] = '\n';
        }
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
        size_t lines = (n + LINE - 1) / LINE, block = o->write ? o->block : lines;
        for (size_t b = 0; b < lines && !o->failed; b += block) {
            size_t e = lines - b < block ? lines : b + block;
            rc_ctx c = { .seq = seq, .n = n, .out = o->buf + o->len, .first = b, .comp = comp };
            int rc = hp_kpar_for(n >= (1u << 20) ? threads : 1, (int64_t)b, (int64_t)e, 4096, rc_lines, &c,
                                 errmsg);
            if (rc != HP_OK)
                return rc;
            /* lines of 60 letters and a break; the record's last line may be shorter */
            size_t bytes = (e - b) * (LINE + 1) - (e == lines ? lines * LINE - n : 0);
            if (o->write)
                emit(o, o->buf, bytes);
            else
                o->len += bytes;
        }
    }
    return HP_OK;
}

int hp_reverse_complement(const char *fasta, size_t len, int threads, char **out, size_t *out_len,
                          char **errmsg)
{
    *out = NULL;
    *out_len = 0;
    /* the output is never longer than the input plus a line break per header and per line */
    size_t cap = len + len / LINE + 2;
    rc_out o = { .buf = malloc(cap ? cap : 1) };
    char *seq = malloc(len ? len : 1);
    if (!o.buf || !seq) {
        free(o.buf);
        free(seq);
        return hp_err(errmsg, HP_ENOMEM, "reverse_complement: cannot allocate %zu bytes", 2 * len);
    }
    int rc = run(fasta, len, threads, seq, &o, errmsg);
    free(seq);
    if (rc != HP_OK) {
        free(o.buf);
        return rc;
    }
    *out = o.buf;
    *out_len = o.len;
    return HP_OK;
}

int hp_reverse_complement_write(const char *fasta, size_t len, int threads, hp_write_fn write, void *ctx,
                                char **errmsg)
{
    rc_out o = { .buf = malloc((size_t)HP_REVCOMP_BLOCK * (LINE + 1)), .block = HP_REVCOMP_BLOCK,
                 .write = write, .ctx = ctx };
    char *seq = malloc(len ? len : 1);
    if (!o.buf || !seq) {
        free(o.buf);
        free(seq);
        return hp_err(errmsg, HP_ENOMEM, "reverse_complement: cannot allocate %zu bytes", len);
    }
    int rc = run(fasta, len, threads, seq, &o, errmsg);
    free(seq);
    free(o.buf);
    if (rc == HP_OK && o.failed)
        rc = hp_err(errmsg, HP_ESYS, "reverse_complement: the output could not be written");
    return rc;
}
