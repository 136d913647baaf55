/* hotpath:abi
 * The HTTP load generator: threads, each with its own epoll loop and connections, send one
 * pre-serialized request over keep-alive connections (pipelined to a depth), either in a
 * closed loop (every connection keeps `pipeline` requests in flight) or at a constant rate
 * (open model: sends scheduled at t0 + i/R, latency from the intended send time, so that a
 * slow server cannot hide its stalls). A run is a list of phases; the first may be a warm-up
 * that is left out of the results.
 */
#ifndef HP_HTTP_LOAD_H
#define HP_HTTP_LOAD_H
#include "http/hist.h"

#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(default)

enum {
    HP_LOAD_MAX_PHASES = 32,
    HP_LOAD_MAX_PIPELINE = 1024,
    HP_LOAD_MAX_CONNECTIONS = 100000,
    HP_LOAD_MAX_THREADS = 256
};

typedef struct hp_load_phase {
    double rate;       /* requests per second over all threads; 0: closed loop */
    double duration;   /* seconds (> 0) */
} hp_load_phase;

typedef struct hp_load_spec {
    const char *host;      /* address to connect to: numeric, or a name for getaddrinfo */
    int port;
    const char *request;   /* the serialized request, sent as is (hp_http_request_build) */
    size_t request_len;
    int head;              /* the request is HEAD: responses carry no body */
    int threads;           /* >= 1 */
    int connections;       /* >= threads; spread evenly over the threads */
    int pipeline;          /* requests in flight per connection, 1..HP_LOAD_MAX_PIPELINE */
    const hp_load_phase *phases;
    int nphases;           /* 1..HP_LOAD_MAX_PHASES */
    int warmup;            /* 1: phases[0] is a warm-up, not reported */
    uint64_t requests;     /* > 0: stop after this many requests were answered or lost
                              (closed loop; the phases' total duration is then a time limit) */
    double timeout;        /* seconds a request may wait for its response; then the
                              connection is dropped and reopened */
} hp_load_spec;

typedef struct hp_load_latency {   /* microseconds */
    uint64_t count;
    double min, mean, stdev, p50, p90, p99, p999, p9999, max;
} hp_load_latency;

typedef struct hp_load_phase_result {
    double rate;           /* asked rate (0: closed loop) */
    double duration;       /* seconds the phase lasted */
    uint64_t sent;         /* requests written */
    uint64_t requests;     /* responses received (any status) */
    uint64_t errors;       /* requests lost to errors (reset, closed, timeout, parse);
                              doc/http.md, "Errors", says what counts */
    uint64_t bytes;        /* bytes read */
    uint64_t backlog_max;  /* constant rate: most sends waiting for a free connection */
    uint64_t late;         /* constant rate: sends made more than 1 ms after their time */
    hp_load_latency latency;  /* from the intended send time (corrected for coordinated
                                 omission); in a closed loop the same as `service` */
    hp_load_latency service;  /* from the actual send time */
} hp_load_phase_result;

typedef struct hp_load_result {
    int nphases;                     /* reported phases (the warm-up is left out) */
    hp_load_phase_result phases[HP_LOAD_MAX_PHASES];
    hp_load_phase_result total;      /* all reported phases together */
    uint64_t connects;               /* connections opened */
    uint64_t refused, reset, closed, timeouts, parse_errors, connect_errors;
    uint64_t status[600];            /* responses by status code (reported phases) */
    double wall;                     /* seconds, start to end of the run */
    double start_time, end_time;     /* wall clock, epoch seconds: the first phase's start
                                        (warm-up included) and start_time + wall */
    double user, sys;                /* CPU seconds of the generator's threads */
    char first_error[160];           /* text of the first error seen, or "" */
} hp_load_result;

typedef struct hp_load_progress {
    double elapsed;        /* seconds since the start */
    int phase;             /* index into spec.phases of the running phase */
    uint64_t requests;     /* responses so far (all phases) */
    uint64_t errors;
} hp_load_progress;

typedef struct hp_load hp_load;

/* Checks the spec, resolves the host, connects once (blocking, at most 2 s) so that a bad
 * address or a closed port fails here with a clear message ("connect to 127.0.0.1:9:
 * Connection refused"), copies what it needs from spec and starts the threads. *out owns
 * them: call hp_load_finish, then hp_load_free. */
int hp_load_start(const hp_load_spec *spec, hp_load **out, char **errmsg);

/* Blocks at most `wait` seconds; fills *progress (may be NULL). Returns 1 when the run has
 * ended, 0 otherwise. Call it in a loop to run on_tick-like callbacks between waits. */
int hp_load_wait(hp_load *l, double wait, hp_load_progress *progress);

/* Asks the threads to stop early (the results cover what ran). Safe from any thread. */
void hp_load_stop(hp_load *l);

/* Joins the threads (blocking until the run ends) and fills *res. A run in which no request
 * got a response (in the reported phases) returns HP_EFAILED with the counts in the message
 * ("no response from 127.0.0.1:8080: 12 requests sent, 12 lost to errors (closed 12); first
 * error: ..."); *res is filled all the same. */
int hp_load_finish(hp_load *l, hp_load_result *res, char **errmsg);

enum { HP_LOAD_LATENCY = 0, HP_LOAD_SERVICE = 1 };

/* A finished run's merged histogram (ns): `which` is HP_LOAD_LATENCY (from the intended send
 * time) or HP_LOAD_SERVICE (from the actual send), phase 0..res.nphases-1 a reported phase or
 * -1 all reported phases together; its count is that phase's `requests`. NULL before
 * hp_load_finish, when that ran out of memory, or out of range. Owned by l: valid until
 * hp_load_free. */
const hp_hist *hp_load_histogram(const hp_load *l, int phase, int which);

/* The figures a result reports for histogram h (ns): count, exact min, max and mean, stdev and
 * the percentiles, in microseconds. What hp_load_finish reports for a phase, and what `hotpath
 * merge` reports for histograms merged bucket by bucket (the same figures for the same
 * samples). */
void hp_load_latency_of(const hp_hist *h, hp_load_latency *out);

/* Stops, joins and frees; NULL is fine. */
void hp_load_free(hp_load *l);

/* Runs start, finish and free in one call (C programs and tests). */
int hp_load_run(const hp_load_spec *spec, hp_load_result *res, char **errmsg);

#pragma GCC visibility pop
#endif
