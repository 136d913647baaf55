/* Shortest round-trip text of a double, over simdjson's exported Grisu2 (to_chars), with the
 * output normalised to the shortest JSON spelling: "100.0" -> "100", "1e+21" -> "1e21",
 * "1e-07" -> "1e-7". C++ only because to_chars is; no exception can arise here (to_chars
 * works on a caller buffer and does not allocate), so nothing needs catching. */
#include "json/writer.h"

#include <simdjson.h>
#include <cmath>

size_t hp_json_dtoa(char *buf, double d)
{
    if (!std::isfinite(d)) {
        memcpy(buf, "null", 4);
        return 4;
    }
    char *end = simdjson::internal::to_chars(buf, nullptr, d);
    size_t n = (size_t)(end - buf);
    /* Integral values print as "123.0": drop the fraction. */
    if (n >= 2 && buf[n - 1] == '0' && buf[n - 2] == '.')
        return n - 2;
    char *e = (char *)memchr(buf, 'e', n);
    if (!e)
        return n;
    /* Exponent: drop '+' and leading zeros. */
    char *src = e + 1, *dst = e + 1;
    if (*src == '-')
        *dst++ = *src++;
    else if (*src == '+')
        src++;
    while (src < end - 1 && *src == '0')
        src++;
    while (src < end)
        *dst++ = *src++;
    return (size_t)(dst - buf);
}
