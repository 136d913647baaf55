/* IMF-fixdate without locale or strftime: the header must be English whatever LC_TIME says. */
#include "http/httpdate.h"

#include <stdio.h>
#include <string.h>

void hp_httpdate(time_t t, char *out)
{
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm;
    gmtime_r(&t, &tm);
    char tmp[96]; /* room for any int, so the compiler sees no truncation */
    snprintf(tmp, sizeof tmp, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT",
             days + 3 * tm.tm_wday, tm.tm_mday, months + 3 * tm.tm_mon, tm.tm_year + 1900,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, HP_HTTPDATE_LEN);
    out[HP_HTTPDATE_LEN] = 0;
}
