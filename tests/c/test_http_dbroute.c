/* The database server's routes and queries parameter (csrc/http/dbroute.h): TechEmpower's
 * clamping rules (missing, not an integer, below 1: 1; above 500: 500) and the targets that
 * are and are not /db and /queries. */
#include "tap.h"
#include "http/dbroute.h"

#include <stdio.h>
#include <string.h>

static const struct { const char *q; int want; } params[] = {
    { "queries=1", 1 }, { "queries=20", 20 }, { "queries=500", 500 }, { "queries=499", 499 },
    { "queries=0", 1 }, { "queries=501", 500 }, { "queries=-3", 1 }, { "queries=+7", 7 },
    { "queries=foo", 1 }, { "queries=5x", 1 }, { "queries=", 1 }, { "queries=-", 1 },
    { "queries=007", 7 }, { "queries=99999999999999999999999999", 500 }, { "queries= 5", 1 },
    { "", 1 }, { "query=5", 1 }, { "xqueries=5", 1 }, { "a=1&queries=12", 12 },
    { "queries=12&queries=3", 12 }, { "queries=3&b=2", 3 }, { "&&queries=4&", 4 },
    { "Queries=9", 1 }, { "queries=2.5", 1 },
};

static const struct { const char *req; int route, queries; } routes[] = {
    { "GET /db HTTP/1.1\r\nHost: x\r\n\r\n", HP_DB_SINGLE, 1 },
    { "HEAD /db HTTP/1.1\r\n\r\n", HP_DB_SINGLE, 1 },
    { "\r\n\r\nGET /db HTTP/1.1\r\n\r\n", HP_DB_SINGLE, 1 },
    { "GET /db?queries=9 HTTP/1.1\r\n\r\n", HP_DB_SINGLE, 1 },
    { "GET /queries HTTP/1.1\r\n\r\n", HP_DB_QUERIES, 1 },
    { "GET /queries? HTTP/1.1\r\n\r\n", HP_DB_QUERIES, 1 },
    { "GET /queries?queries=20 HTTP/1.1\r\n\r\n", HP_DB_QUERIES, 20 },
    { "GET /queries?queries=0 HTTP/1.1\r\n\r\n", HP_DB_QUERIES, 1 },
    { "GET /queries?queries=501 HTTP/1.1\r\n\r\n", HP_DB_QUERIES, 500 },
    { "GET /queries?queries=foo HTTP/1.1\r\n\r\n", HP_DB_QUERIES, 1 },
    { "GET /dbx HTTP/1.1\r\n\r\n", HP_DB_NOTFOUND, 1 },
    { "GET /d HTTP/1.1\r\n\r\n", HP_DB_NOTFOUND, 1 },
    { "GET / HTTP/1.1\r\n\r\n", HP_DB_NOTFOUND, 1 },
    { "GET /queries/ HTTP/1.1\r\n\r\n", HP_DB_NOTFOUND, 1 },
    { "GET /DB HTTP/1.1\r\n\r\n", HP_DB_NOTFOUND, 1 },
    { "POST /db HTTP/1.1\r\nContent-Length: 0\r\n\r\n", HP_DB_NOTFOUND, 1 },
    { "GET http://x/db HTTP/1.1\r\n\r\n", HP_DB_NOTFOUND, 1 },
    { "GET", HP_DB_NOTFOUND, 1 },
    { "", HP_DB_NOTFOUND, 1 },
};

int main(void)
{
    char what[200];
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        int got = hp_db_queries_param(params[i].q, strlen(params[i].q));
        snprintf(what, sizeof what, "queries param '%s' -> %d (got %d)", params[i].q, params[i].want, got);
        CHECK(got == params[i].want, what);
    }
    /* the parameter reads only its n bytes: a value cut short by n */
    CHECK(hp_db_queries_param("queries=123", 10) == 12, "queries param reads only n bytes");
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int q = -1;
        int r = hp_db_route(routes[i].req, strlen(routes[i].req), &q);
        char got[64], want[64];
        snprintf(got, sizeof got, "route %d, %d queries", r, q);
        snprintf(want, sizeof want, "route %d, %d queries", routes[i].route, routes[i].queries);
        snprintf(what, sizeof what, "route of row %zu '%.*s'", i, (int)strcspn(routes[i].req, "\r\n"), routes[i].req);
        CHECK_STR(got, want, what);
    }
    return tap_done();
}
