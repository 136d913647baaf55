/* libFuzzer target: the C validator (hp_json_locate_error) on a malloc'd copy of exactly the
 * input's bytes, not NUL-terminated, so ASan sees any read past the end; and differentially
 * against simdjson (hp_json_parse): the validator is the error path's locator, so whenever
 * simdjson refuses a document the validator must find an error (else the message has no
 * offset), and a document it finds valid simdjson must accept (else a parse error names the
 * wrong place). Byte 0 picks max_depth (1..64, or the default 1000). */
#include "common/common.h"
#include "json/json.h"
#include "json/validate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hp_json_parser *parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!parser)
        parser = hp_json_parser_new();
    if (size == 0)
        return 0;
    unsigned depth = data[0] < 0x80 ? (unsigned)(data[0] % 64) + 1 : HP_JSON_DEFAULT_DEPTH;
    size_t len = size - 1;
    char *copy = malloc(len ? len : 1);
    memcpy(copy, data + 1, len);

    size_t off = (size_t)-1;
    const char *what = NULL;
    int bad = hp_json_locate_error(copy, len, depth, &off, &what);
    if (bad && (!what || off > len))
        abort();

    uint64_t gen;
    char *err = NULL;
    int rc = hp_json_parse(parser, copy, len, depth, &gen, &err);
    if ((rc == HP_OK) == (bad != 0) && rc != HP_ENOMEM) {
        fprintf(stderr, "simdjson: %s; validator: %s at %zu\n", rc == HP_OK ? "valid" : err,
                bad ? what : "valid", off);
        abort();
    }
    hp_free(err);
    free(copy);
    return 0;
}
