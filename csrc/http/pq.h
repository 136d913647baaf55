/* Internal: libpq, loaded when a database server starts rather than linked. Linked, libpq maps
 * its whole dependency chain (OpenSSL, GnuTLS, Kerberos, LDAP, SASL: about 4.9 MB of resident
 * pages, doc/http.md "Server memory") into every process that loads hotpath, including the
 * plaintext and json servers and every measured Lua child; loaded, only the database server
 * pays for it. The table holds the functions dbserver.c calls, typed by libpq's own header. */
#ifndef HP_HTTP_PQ_H
#define HP_HTTP_PQ_H
#include <libpq-fe.h>

typedef struct hp_pq {
    void *lib; /* the dlopen handle; NULL when closed */
    __typeof__(PQconnectdb) *connectdb;
    __typeof__(PQstatus) *status;
    __typeof__(PQerrorMessage) *errorMessage;
    __typeof__(PQprepare) *prepare;
    __typeof__(PQresultStatus) *resultStatus;
    __typeof__(PQclear) *clear;
    __typeof__(PQsetnonblocking) *setnonblocking;
    __typeof__(PQenterPipelineMode) *enterPipelineMode;
    __typeof__(PQsocket) *socket;
    __typeof__(PQsendQueryPrepared) *sendQueryPrepared;
    __typeof__(PQpipelineSync) *pipelineSync;
    __typeof__(PQflush) *flush;
    __typeof__(PQntuples) *ntuples;
    __typeof__(PQnfields) *nfields;
    __typeof__(PQgetlength) *getlength;
    __typeof__(PQgetvalue) *getvalue;
    __typeof__(PQconsumeInput) *consumeInput;
    __typeof__(PQisBusy) *isBusy;
    __typeof__(PQgetResult) *getResult;
    __typeof__(PQfinish) *finish;
} hp_pq;

/* Loads libpq (libpq.so.5, Debian's libpq5) and fills *pq. HP_ESYS "PostgreSQL: cannot load
 * libpq.so.5 (install libpq5): <dlerror>" when it is missing or lacks a function (pipeline
 * mode needs libpq >= 14). Never raises; on failure *pq is closed. */
int hp_pq_open(hp_pq *pq, char **errmsg);

/* Forgets the table (libpq itself stays loaded for the process's life; pq.c says why). */
void hp_pq_close(hp_pq *pq);

#endif
