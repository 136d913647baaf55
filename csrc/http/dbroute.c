/* Routes and the queries parameter of the database server (see dbroute.h). */
#include "http/dbroute.h"

#include <string.h>

int hp_db_queries_param(const char *q, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t end = i;
        while (end < n && q[end] != '&')
            end++;
        if (end - i >= 8 && memcmp(q + i, "queries=", 8) == 0) {
            const char *v = q + i + 8;
            size_t k = end - i - 8, j = 0;
            int neg = 0;
            if (k > 0 && (v[0] == '+' || v[0] == '-')) {
                neg = v[0] == '-';
                j = 1;
            }
            if (j == k)
                return 1;   /* empty, or a sign alone: not an integer */
            long long val = 0;
            for (; j < k; j++) {
                if (v[j] < '0' || v[j] > '9')
                    return 1;
                if (val <= HP_DB_QUERIES_MAX)   /* saturate: only the comparisons matter */
                    val = val * 10 + (v[j] - '0');
            }
            if (neg || val < 1)
                return 1;
            return val > HP_DB_QUERIES_MAX ? HP_DB_QUERIES_MAX : (int)val;
        }
        i = end + 1;
    }
    return 1;
}

int hp_db_route(const char *p, size_t n, int *queries)
{
    size_t i = 0;
    *queries = 1;
    while (i + 1 < n && p[i] == '\r' && p[i + 1] == '\n')   /* leading empty lines (RFC 9112) */
        i += 2;
    while (i < n && p[i] == '\n')
        i++;
    size_t m = i;
    while (m < n && p[m] != ' ')
        m++;
    int get = (m - i == 3 && memcmp(p + i, "GET", 3) == 0) || (m - i == 4 && memcmp(p + i, "HEAD", 4) == 0);
    if (!get || m >= n)
        return HP_DB_NOTFOUND;
    size_t t = m + 1, e = t;
    while (e < n && p[e] != ' ' && p[e] != '\r' && p[e] != '\n')
        e++;
    size_t path_end = t;
    while (path_end < e && p[path_end] != '?')
        path_end++;
    size_t plen = path_end - t;
    if (plen == 3 && memcmp(p + t, "/db", 3) == 0)
        return HP_DB_SINGLE;
    if (plen == 8 && memcmp(p + t, "/queries", 8) == 0) {
        if (path_end < e)
            *queries = hp_db_queries_param(p + path_end + 1, e - path_end - 1);
        return HP_DB_QUERIES;
    }
    return HP_DB_NOTFOUND;
}
