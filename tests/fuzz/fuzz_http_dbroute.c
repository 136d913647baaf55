/* libFuzzer target: the database server's routes and queries parameter (csrc/http/dbroute.h).
 * Besides memory errors (ASan/UBSan; the input is copied to a buffer of exactly its size, so a
 * read past it is caught), it checks the contract on every input: the route is one of the
 * three, the queries count is 1..500, and 1 for anything but /queries; the parameter alone is
 * 1..500 too. Requests as the server hands them over (hp_req_parse's DONE) are also tried. */
#include "http/dbroute.h"
#include "http/reqparse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    int q = -1;
    int r = hp_db_route(p, size, &q);
    if (r != HP_DB_NOTFOUND && r != HP_DB_SINGLE && r != HP_DB_QUERIES)
        abort();
    if (q < 1 || q > HP_DB_QUERIES_MAX || (r != HP_DB_QUERIES && q != 1))
        abort();
    int n = hp_db_queries_param(p, size);
    if (n < 1 || n > HP_DB_QUERIES_MAX)
        abort();
    hp_req req;
    if (hp_req_parse(p, size, NULL, &req) == HP_REQ_DONE) {
        q = -1;
        r = hp_db_route(p, req.len, &q);
        if (q < 1 || q > HP_DB_QUERIES_MAX || (r != HP_DB_QUERIES && q != 1))
            abort();
    }
    free(p);
    return 0;
}
