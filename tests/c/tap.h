/* A minimal TAP producer for the C tests: each CHECK is one test line ("ok N - ..." or
 * "not ok N - ..."), and tap_done() prints the plan and returns the exit status.
 * tools/run_tests.sh counts the lines of every test program. */
#ifndef HP_TAP_H
#define HP_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void tap_check(int ok, const char *what, const char *file, int line)
{
    tap_n++;
    if (!ok)
        tap_failed++;
    printf("%sok %d - %s%s", ok ? "" : "not ", tap_n, what, ok ? "\n" : "");
    if (!ok)
        printf(" (%s:%d)\n", file, line);
    fflush(stdout);
}

#define CHECK(cond, what) tap_check(!!(cond), what, __FILE__, __LINE__)
#define CHECK_STR(a, b, what) tap_check(tap_streq((a), (b)), what, __FILE__, __LINE__)

static int tap_streq(const char *a, const char *b)
{
    if (a && b && strcmp(a, b) == 0)
        return 1;
    printf("# got:      %s\n# expected: %s\n", a ? a : "(null)", b ? b : "(null)");
    return 0;
}

static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
#endif
