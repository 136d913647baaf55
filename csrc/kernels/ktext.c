/* A kernel's short printed output (see ktext.h). */
#include "kernels/ktext.h"
#include "common/common.h"
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int hp_ktext(char **out, size_t *out_len, char **errmsg, const char *kernel, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    *out = NULL;
    *out_len = 0;
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf)
        return hp_err(errmsg, HP_ENOMEM, "%s: out of memory", kernel);
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *out = buf;
    *out_len = (size_t)n;
    return HP_OK;
}
