/* Error messages for the errmsg out-parameter. */
#include "common/error.h"
#include "common/common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap, const char *suffix)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    size_t slen = suffix ? strlen(suffix) + 2 : 0;
    char *s = malloc((size_t)n + slen + 1);
    if (!s)
        return NULL;
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    if (suffix) {
        memcpy(s + n, ": ", 2);
        memcpy(s + n + 2, suffix, slen - 2 + 1);
    }
    return s;
}

int hp_err(char **errmsg, int status, const char *fmt, ...)
{
    if (errmsg) {
        va_list ap;
        va_start(ap, fmt);
        *errmsg = vformat(fmt, ap, NULL);
        va_end(ap);
    }
    return status;
}

int hp_err_errno(char **errmsg, const char *fmt, ...)
{
    int saved = errno;
    if (errmsg) {
        char buf[256];
        const char *text = strerror_r(saved, buf, sizeof buf);
        va_list ap;
        va_start(ap, fmt);
        *errmsg = vformat(fmt, ap, text);
        va_end(ap);
    }
    errno = saved;
    return saved == ENOMEM ? HP_ENOMEM : HP_ESYS;
}
