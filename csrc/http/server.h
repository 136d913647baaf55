/* hotpath:abi
 * Reference HTTP servers for the TechEmpower plaintext and json tests: epoll, N threads each
 * with its own SO_REUSEPORT listener, keep-alive, pipelining (the responses to one read go out
 * in one write), Server and Date headers (Date refreshed every second), Content-Length.
 * Hostile input gets a status and a close, never a crash or a bare reset: request line 8 KiB
 * (414), head 32 KiB (431), body 64 KiB (413), malformed framing (400), idle and request
 * timeouts; the limits are in doc/http.md.
 */
#ifndef HP_HTTP_SERVER_H
#define HP_HTTP_SERVER_H
#pragma GCC visibility push(default)

enum {
    HP_SERVER_PLAINTEXT = 1,   /* "Hello, World!", text/plain */
    HP_SERVER_JSON = 2,        /* {"message":"Hello, World!"} serialized per request */
    HP_SERVER_RESET = 3,       /* test aid: accepts, reads a request, resets the connection */
    HP_SERVER_STALL = 4,       /* test aid: accepts and reads, never answers */
    HP_SERVER_DB = 5           /* TechEmpower's /db and /queries on PostgreSQL (pg below;
                                  http/dbserver.h) */
};

enum { HP_SERVER_MAX_THREADS = 1024 };

typedef struct hp_server_spec {
    const char *host;     /* address to listen on; NULL: "127.0.0.1" */
    int port;             /* 1..65535 */
    int test;             /* HP_SERVER_* */
    int threads;          /* 1..HP_SERVER_MAX_THREADS */
    double duration;      /* seconds after which the server returns by itself; <= 0: never */
    int ready_fd;         /* >= 0: one byte is written there once every listener is bound,
                             then it is closed; -1: none */
    double idle_timeout;  /* seconds a connection may wait for its next request, or for its
                             client to read the responses, before it is closed; 0: 60 */
    double request_timeout; /* seconds from a request's first byte until it is complete
                             (head and body); then 408 and close; 0: 10 */
    const char *pg;       /* HP_SERVER_DB: the database, a libpq conninfo string
                             ("host=127.0.0.1 port=5432 dbname=hello_world user=postgres") */
} hp_server_spec;

/* Serves until duration passes (or forever). Blocks the calling thread; starts
 * spec->threads - 1 more threads. HP_EINVAL for a port, test, thread count or timeout outside
 * the ranges above (timeouts: 0 to 1e6 seconds). HP_ESYS with "bind 127.0.0.1:8080: Address already in use"
 * style messages when a listener cannot be set up; HP_SERVER_DB: HP_EINVAL without pg, HP_ESYS
 * "PostgreSQL: ..." when the database cannot be reached or has no World table. */
int hp_server_run(const hp_server_spec *spec, char **errmsg);

#pragma GCC visibility pop
#endif
