/* Internal: the database server's routes (TechEmpower's single-query and multiple-queries
 * tests) and its queries parameter. Pure functions of the request bytes: no allocation, no
 * I/O, unit-tested in tests/c/test_http_dbroute.c. */
#ifndef HP_HTTP_DBROUTE_H
#define HP_HTTP_DBROUTE_H
#include <stddef.h>

enum {
    HP_DB_NOTFOUND = 0,   /* any other target: 404 */
    HP_DB_SINGLE = 1,     /* GET /db: one row, as an object */
    HP_DB_QUERIES = 2     /* GET /queries?queries=N: N rows, as an array */
};
enum { HP_DB_QUERIES_MAX = 500 };

/* The queries parameter of a query string [q, q+n) (the text after '?', without the '?'), per
 * TechEmpower's rules: the first "queries=" pair's value; missing, empty or not an integer
 * (optional sign, then decimal digits only): 1; below 1: 1; above 500 (however many digits):
 * 500. */
int hp_db_queries_param(const char *q, size_t n);

/* The route of one complete request [p, p+n) as hp_req_parse accepted it (leading empty
 * lines, request line, ...): GET or HEAD with origin-form target "/db" or "/queries" (any
 * query string), else HP_DB_NOTFOUND. *queries: 1 for /db, the parameter for /queries. */
int hp_db_route(const char *p, size_t n, int *queries);

#endif
