/* libpq loaded on demand (pq.h). */
#include "http/pq.h"
#include "common/common.h"
#include "common/error.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

#define HP_LIBPQ "libpq.so.5"

/* Each entry: the symbol and where its pointer goes in the table. */
static const struct {
    const char *name;
    size_t offset;
} SYMBOLS[] = {
#define SYM(field, sym) { #sym, offsetof(hp_pq, field) }
    SYM(connectdb, PQconnectdb), SYM(status, PQstatus), SYM(errorMessage, PQerrorMessage),
    SYM(prepare, PQprepare), SYM(resultStatus, PQresultStatus), SYM(clear, PQclear),
    SYM(setnonblocking, PQsetnonblocking), SYM(enterPipelineMode, PQenterPipelineMode),
    SYM(socket, PQsocket), SYM(sendQueryPrepared, PQsendQueryPrepared),
    SYM(pipelineSync, PQpipelineSync), SYM(flush, PQflush), SYM(ntuples, PQntuples),
    SYM(nfields, PQnfields), SYM(getlength, PQgetlength), SYM(getvalue, PQgetvalue),
    SYM(consumeInput, PQconsumeInput), SYM(isBusy, PQisBusy), SYM(getResult, PQgetResult),
    SYM(finish, PQfinish),
#undef SYM
};

int hp_pq_open(hp_pq *pq, char **errmsg)
{
    memset(pq, 0, sizeof *pq);
    pq->lib = dlopen(HP_LIBPQ, RTLD_NOW | RTLD_LOCAL);
    if (!pq->lib)
        return hp_err(errmsg, HP_ESYS, "PostgreSQL: cannot load " HP_LIBPQ " (install libpq5): %s", dlerror());
    for (size_t i = 0; i < sizeof SYMBOLS / sizeof SYMBOLS[0]; i++) {
        void *fn = dlsym(pq->lib, SYMBOLS[i].name);
        if (!fn) {
            int rc = hp_err(errmsg, HP_ESYS, "PostgreSQL: cannot load " HP_LIBPQ " (install libpq5): %s",
                            dlerror());
            memset(pq, 0, sizeof *pq);
            return rc;
        }
        /* POSIX guarantees a function pointer survives the trip through void * (dlsym) */
        memcpy((char *)pq + SYMBOLS[i].offset, &fn, sizeof fn);
    }
    return HP_OK;
}

/* The library stays mapped: libpq's OpenSSL cannot be unloaded safely (its exit handlers), and
 * a second dlopen of a loaded library only counts a reference. */
void hp_pq_close(hp_pq *pq)
{
    memset(pq, 0, sizeof *pq);
}
