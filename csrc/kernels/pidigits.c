/* pidigits: the reference C program's spigot (Gibbons' unbounded algorithm) on GMP integers:
 * next_term(k) extends the linear fractional transformation; a digit is safe when
 * floor((3 num + acc) / den) == floor((4 num + acc) / den). */
#include "kernels/pidigits.h"
#include "common/common.h"
#include "common/error.h"

#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct spigot {
    mpz_t tmp1, tmp2, acc, den, num;
} spigot;

static unsigned extract_digit(spigot *s, unsigned nth)
{
    mpz_mul_ui(s->tmp1, s->num, nth);
    mpz_add(s->tmp2, s->tmp1, s->acc);
    mpz_tdiv_q(s->tmp1, s->tmp2, s->den);
    return (unsigned)mpz_get_ui(s->tmp1);
}

static void eliminate_digit(spigot *s, unsigned d)
{
    mpz_submul_ui(s->acc, s->den, d);
    mpz_mul_ui(s->acc, s->acc, 10);
    mpz_mul_ui(s->num, s->num, 10);
}

static void next_term(spigot *s, unsigned k)
{
    unsigned k2 = k * 2u + 1u;
    mpz_addmul_ui(s->acc, s->num, 2u);
    mpz_mul_ui(s->acc, s->acc, k2);
    mpz_mul_ui(s->den, s->den, k2);
    mpz_mul_ui(s->num, s->num, k);
}

int hp_pidigits(int n, int threads, char **out, size_t *out_len, char **errmsg)
{
    (void)threads;
    *out = NULL;
    *out_len = 0;
    if (n < 0 || n > HP_PIDIGITS_MAX_N)
        return hp_err(errmsg, HP_ELIMIT, "pidigits: n must be between 0 and %d, got %d",
                      HP_PIDIGITS_MAX_N, n);
    /* each line: 10 digits, "\t:", the count (at most 6 digits), "\n" */
    size_t cap = ((size_t)n / 10 + 1) * 20 + 1;
    char *buf = malloc(cap);
    if (!buf)
        return hp_err(errmsg, HP_ENOMEM, "pidigits: cannot allocate %zu bytes", cap);
    spigot s;
    mpz_init(s.tmp1);
    mpz_init(s.tmp2);
    mpz_init_set_ui(s.acc, 0);
    mpz_init_set_ui(s.den, 1);
    mpz_init_set_ui(s.num, 1);
    size_t len = 0;
    int i = 0;
    for (unsigned k = 0; i < n;) {
        next_term(&s, ++k);
        if (mpz_cmp(s.num, s.acc) > 0)
            continue;
        unsigned d = extract_digit(&s, 3);
        if (d != extract_digit(&s, 4))
            continue;
        buf[len++] = (char)('0' + d);
        if (++i % 10 == 0)
            len += (size_t)snprintf(buf + len, cap - len, "\t:%d\n", i);
        eliminate_digit(&s, d);
    }
    if (i % 10) {
        memset(buf + len, ' ', (size_t)(10 - i % 10));
        len += (size_t)(10 - i % 10);
        len += (size_t)snprintf(buf + len, cap - len, "\t:%d\n", i);
    }
    mpz_clear(s.tmp1);
    mpz_clear(s.tmp2);
    mpz_clear(s.acc);
    mpz_clear(s.den);
    mpz_clear(s.num);
    *out = buf;
    *out_len = len;
    return HP_OK;
}
