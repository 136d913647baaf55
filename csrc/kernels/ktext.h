/* Internal (not ABI): a kernel's short printed output (one or two numbers) from the numbers
 * its number-returning entry point computed, so that the program's text and the pool's work
 * units come from one computation. */
#ifndef HP_KTEXT_H
#define HP_KTEXT_H
#include <stddef.h>

/* printf-formats into a malloc'd *out (free with hp_free), its length in *out_len: HP_OK, or
 * HP_ENOMEM "KERNEL: out of memory" with *out NULL. Never raises. */
int hp_ktext(char **out, size_t *out_len, char **errmsg, const char *kernel, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
