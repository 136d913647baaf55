/* Load generator and reference servers together, on 127.0.0.1 with free ports: exact counts,
 * pipelining, constant-rate accuracy, error classes (closed port, reset, stall), server
 * compliance (headers, Date, keep-alive, pipelining). Every run is bounded in time. */
#include "tap.h"
#include "dial.h"
#include "http/child.h"
#include "http/load.h"
#include "http/request.h"
#include "http/server.h"
#include "proc/spawn.h"
#include "common/common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int start_server(int test, int threads, int *port)
{
    for (int tries = 0; tries < 5; tries++) {
        *port = hp_free_port();
        int pid;
        char *err = NULL;
        if (hp_child_serve(test, *port, threads, 30, &pid, &err) == HP_OK)
            return pid;
        printf("# server start: %s\n", err ? err : "?");
        hp_free(err);
    }
    return -1;
}

static hp_load_spec spec_for(int port, const char *req, hp_load_phase *ph)
{
    hp_load_spec s;
    memset(&s, 0, sizeof s);
    s.host = "127.0.0.1";
    s.port = port;
    s.request = req;
    s.request_len = strlen(req);
    s.threads = 1;
    s.connections = 4;
    s.pipeline = 1;
    s.phases = ph;
    s.nphases = 1;
    s.timeout = 2;
    return s;
}

/* Sends raw bytes on a fresh connection; reads until `want` responses' worth of "HTTP/1.1 "
 * or 2 s; returns what came back (malloc'd). */
static char *exchange(int port, const char *req, int want)
{
    int fd = dial(port);
    if (fd < 0)
        return strdup("");
    (void)!write(fd, req, strlen(req));
    char *buf = calloc(1, 65536);
    size_t n = 0;
    double end = hp_clock_monotonic() + 2;
    for (;;) {
        int got = 0;
        for (char *p = buf; (p = strstr(p, "HTTP/1.1 ")); p++)
            got++;
        if (got >= want && strstr(buf + n - (n > 0), "") && n > 0 && buf[n - 1] != '\n' && strstr(buf, "\r\n\r\n"))
            break;
        struct pollfd pf = { fd, POLLIN, 0 };
        if (hp_clock_monotonic() > end || poll(&pf, 1, 100) < 0)
            break;
        if (pf.revents) {
            ssize_t k = read(fd, buf + n, 65535 - n);
            if (k <= 0)
                break;
            n += (size_t)k;
        }
    }
    close(fd);
    return buf;
}

static int count_of(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p++)
        n++;
    return n;
}

int main(void)
{
    char *req = NULL, *err = NULL;
    size_t req_len;
    hp_http_request_build("GET", "/plaintext", "127.0.0.1", NULL, NULL, 0, &req, &req_len, &err);
    CHECK_STR(req, "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "request serialized");
    char *r2 = NULL;
    hp_http_request_build("POST", "/x", "h:1", "Content-Type: a/b\r\n", "body", 4, &r2, &req_len, &err);
    CHECK_STR(r2, "POST /x HTTP/1.1\r\nHost: h:1\r\nContent-Type: a/b\r\nContent-Length: 4\r\n\r\nbody", "request with body");
    hp_free(r2);
    CHECK(hp_http_request_build("GET", "/a b", "h", NULL, NULL, 0, &r2, &req_len, &err) == HP_EINVAL, "bad target refused");
    CHECK_STR(err, "bad request target '/a b'", "bad target message");
    hp_free(err);
    err = NULL;
    CHECK(hp_http_request_build("GET", "/", "h", "X-A: 1", NULL, 0, &r2, &req_len, &err) == HP_EINVAL, "bad header block refused");
    hp_free(err);
    err = NULL;

    int port, pid = start_server(HP_SERVER_PLAINTEXT, 2, &port);
    CHECK(pid > 0, "plaintext server started");
    hp_load_phase ph[3] = { { 0, 10 } };
    hp_load_result *res = calloc(1, sizeof *res);

    /* closed loop, request count: exact */
    hp_load_spec s = spec_for(port, req, ph);
    s.requests = 5000;
    s.connections = 8;
    s.threads = 2;
    int rc = hp_load_run(&s, res, &err);
    CHECK(rc == HP_OK, "closed loop by request count runs");
    CHECK(res->total.requests == 5000 && res->status[200] == 5000, "exactly 5000 responses, all 200");
    CHECK(res->total.errors == 0 && res->reset == 0 && res->timeouts == 0, "no errors");
    CHECK(res->total.latency.count == 5000 && res->total.latency.p50 > 0
          && res->total.latency.p50 <= res->total.latency.p99 && res->total.latency.p99 <= res->total.latency.max,
          "latency percentiles ordered");
    CHECK(res->total.bytes > 5000 * 100, "bytes counted");

    /* pipelining */
    s.pipeline = 16;
    s.requests = 16000;
    rc = hp_load_run(&s, res, &err);
    CHECK(rc == HP_OK && res->total.requests == 16000 && res->status[200] == 16000 && res->total.errors == 0,
          "pipeline 16: 16000 responses, each counted");

    /* the run's histograms: per reported phase and in total, counts equal to the responses */
    hp_load_phase hp3[3] = { { 0, 0.1 }, { 0, 0.2 }, { 1000, 0.2 } };
    s = spec_for(port, req, hp3);
    s.nphases = 3;
    s.warmup = 1;
    s.threads = 2;
    hp_load *l = NULL;
    time_t before = time(NULL);
    rc = hp_load_start(&s, &l, &err);
    CHECK(rc == HP_OK && hp_load_histogram(l, -1, HP_LOAD_LATENCY) == NULL, "no histogram before finish");
    rc = rc == HP_OK ? hp_load_finish(l, res, &err) : rc;
    CHECK(rc == HP_OK && res->nphases == 2, "warm-up, closed loop and rate phases run");
    int hist_ok = 1;
    for (int which = 0; which < 2; which++)
        for (int p = -1; p < res->nphases; p++) {
            const hp_hist *h = hp_load_histogram(l, p, which);
            const hp_load_phase_result *pr = p < 0 ? &res->total : &res->phases[p];
            size_t nb = h ? hp_hist_buckets(h, NULL, 0) : 0;
            hp_hist_bucket *b = calloc(nb + 1, sizeof *b);
            if (h)
                hp_hist_buckets(h, b, nb);
            uint64_t sum = 0;
            for (size_t i = 0; i < nb; i++)
                sum += b[i].count;
            if (!h || hp_hist_count(h) != pr->requests || sum != pr->requests || pr->requests == 0
                || (which ? pr->service.count : pr->latency.count) != pr->requests) {
                printf("# phase %d, histogram %d: count %llu, buckets sum %llu, requests %llu\n", p, which,
                       h ? (unsigned long long)hp_hist_count(h) : 0ull, (unsigned long long)sum,
                       (unsigned long long)pr->requests);
                hist_ok = 0;
            }
            free(b);
        }
    CHECK(hist_ok, "every histogram's bucket counts add up to its phase's responses");
    CHECK(res->phases[0].requests + res->phases[1].requests == res->total.requests, "phases add up to the total");
    CHECK(hp_load_histogram(l, 2, HP_LOAD_LATENCY) == NULL && hp_load_histogram(l, -2, HP_LOAD_SERVICE) == NULL
          && hp_load_histogram(l, 0, 2) == NULL, "no histogram out of range");
    CHECK(res->start_time >= (double)before && res->start_time <= (double)time(NULL) + 1
          && res->end_time == res->start_time + res->wall && res->wall > 0.4, "start and end on the wall clock");
    hp_load_free(l);

    /* constant rate within 1 % of the asked rate, with a warm-up left out */
    /* The rate is the generator's property when it gets the CPU: on 2 cores shared with other
     * work (or under TSan) a descheduled run can miss its last sends, so each rate run gets up
     * to 3 attempts and the last one is checked. */
    hp_load_phase rp[2] = { { 1000, 0.2 }, { 2000, 1.0 } };
    s = spec_for(port, req, rp);
    s.nphases = 2;
    s.warmup = 1;
    double sent_rate = 0, got_rate = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        rc = hp_load_run(&s, res, &err);
        if (rc != HP_OK || res->nphases != 1)
            break;
        sent_rate = (double)res->phases[0].sent / res->phases[0].duration;
        got_rate = (double)res->phases[0].requests / res->phases[0].duration;
        printf("# asked 2000/s: sent %.1f/s, answered %.1f/s, p50 %.1f us, backlog %llu\n", sent_rate, got_rate,
               res->phases[0].latency.p50, (unsigned long long)res->phases[0].backlog_max);
        if (sent_rate > 1980 && sent_rate < 2020 && got_rate > 1980 && got_rate < 2020)
            break;
    }
    CHECK(rc == HP_OK && res->nphases == 1, "rate run with warm-up reports one phase");
    CHECK(sent_rate > 1980 && sent_rate < 2020, "sent rate within 1 %");
    CHECK(got_rate > 1980 && got_rate < 2020, "answered rate within 1 %");
    CHECK(res->status[200] == res->phases[0].requests, "warm-up responses left out of status counts");

    /* phases: results per phase, each within 1 % of its rate (a thread descheduled at the very
     * end of the run, as under TSan on loaded cores, leaves its last 3-4 sends unsent) */
    hp_load_phase pp[2] = { { 500, 0.4 }, { 1500, 0.4 } };
    s.phases = pp;
    s.warmup = 0;
    int phases_ok = 0;
    for (int attempt = 0; attempt < 3 && !phases_ok; attempt++) {
        rc = hp_load_run(&s, res, &err);
        if (rc != HP_OK)
            break;
        printf("# phases asked 200 and 600 sends: sent %llu and %llu, backlog max %llu and %llu\n",
               (unsigned long long)res->phases[0].sent, (unsigned long long)res->phases[1].sent,
               (unsigned long long)res->phases[0].backlog_max, (unsigned long long)res->phases[1].backlog_max);
        phases_ok = res->nphases == 2 && res->phases[0].sent >= 198 && res->phases[0].sent <= 202
                    && res->phases[1].sent >= 594 && res->phases[1].sent <= 606;
    }
    CHECK(rc == HP_OK && phases_ok, "two rate phases, each at its rate");

    /* server compliance */
    char *out = exchange(port, "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n", 1);
    CHECK(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "status line");
    CHECK(strstr(out, "\r\nServer: hotpath\r\n") != NULL, "Server header");
    CHECK(strstr(out, "\r\nContent-Type: text/plain\r\n") && strstr(out, "\r\nContent-Length: 13\r\n"), "type and length");
    char *d = strstr(out, "\r\nDate: ");
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char *endp = d ? strptime(d + 8, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    CHECK(endp && strncmp(endp, "\r\n", 2) == 0, "Date in IMF-fixdate");
    time_t now = time(NULL);
    CHECK(endp && llabs((long long)(timegm(&tm) - now)) <= 2, "Date is current");
    CHECK(strcmp(out + strlen(out) - 17, "\r\n\r\nHello, World!") == 0, "body");
    free(out);
    out = exchange(port, "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n", 3);
    CHECK(count_of(out, "Hello, World!") == 3, "three pipelined requests, three responses");
    free(out);
    out = exchange(port, "GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n", 2);
    CHECK(count_of(out, "Hello, World!") == 1 && strstr(out, "Connection: close\r\n"), "Connection: close honoured");
    free(out);
    out = exchange(port, "BROKEN\r\n\r\n", 1);
    CHECK(strncmp(out, "HTTP/1.1 400 Bad Request\r\n", 26) == 0, "malformed request gets 400");
    free(out);
    hp_proc_stop(pid, 2);

    /* json server */
    pid = start_server(HP_SERVER_JSON, 1, &port);
    out = exchange(port, "GET /json HTTP/1.1\r\nHost: x\r\n\r\n", 1);
    CHECK(strstr(out, "\r\nContent-Type: application/json\r\nContent-Length: 27\r\n") != NULL, "json headers");
    CHECK(strcmp(out + strlen(out) - 31, "\r\n\r\n{\"message\":\"Hello, World!\"}") == 0, "json body");
    free(out);
    hp_proc_stop(pid, 2);

    /* a closed port fails fast with a clear message */
    int closed = hp_free_port();
    s = spec_for(closed, req, ph);
    double t0 = hp_clock_monotonic();
    rc = hp_load_run(&s, res, &err);
    char want[192];
    snprintf(want, sizeof want, "connect to 127.0.0.1:%d: Connection refused", closed);
    CHECK(rc == HP_ESYS, "closed port: HP_ESYS");
    CHECK_STR(err, want, "closed port message");
    CHECK(hp_clock_monotonic() - t0 < 1, "closed port fails at once");
    hp_free(err);
    err = NULL;

    /* a server that resets every connection */
    pid = start_server(HP_SERVER_RESET, 1, &port);
    hp_load_phase short_ph = { 0, 0.3 };
    s = spec_for(port, req, &short_ph);
    rc = hp_load_run(&s, res, &err);
    CHECK(rc == HP_EFAILED && res->reset > 0 && res->total.requests == 0 && res->total.errors > 0, "resets counted");
    snprintf(want, sizeof want, "no response from 127.0.0.1:%d: ", port);
    CHECK(err && strncmp(err, want, strlen(want)) == 0 && strstr(err, " lost to errors (reset "),
          "no response at all: the run fails and says why");
    hp_free(err);
    err = NULL;
    printf("# reset: %llu resets, %llu connects, first error: %s\n", (unsigned long long)res->reset,
           (unsigned long long)res->connects, res->first_error);
    CHECK(strstr(res->first_error, "Connection reset by peer") != NULL, "reset error text");
    hp_proc_stop(pid, 2);

    /* a server that never answers: timeouts, and the run still ends on time */
    pid = start_server(HP_SERVER_STALL, 1, &port);
    hp_load_phase stall_ph = { 0, 0.5 };
    s = spec_for(port, req, &stall_ph);
    s.timeout = 0.1;
    t0 = hp_clock_monotonic();
    rc = hp_load_run(&s, res, &err);
    CHECK(rc == HP_EFAILED && res->timeouts >= 4 && res->total.requests == 0, "timeouts counted");
    hp_free(err);
    err = NULL;
    CHECK(hp_clock_monotonic() - t0 < 1.5, "a stalled server does not hang the run");
    snprintf(want, sizeof want, "timeout: no response from 127.0.0.1:%d within 0.1 s", port);
    CHECK_STR(res->first_error, want, "timeout error text");
    hp_proc_stop(pid, 2);

    /* a bad host: a label longer than DNS allows (63 bytes) fails inside the resolver before
     * any query is built, so nothing leaves the machine (a plain unknown name would be sent
     * to the configured name server) */
    static const char bad_host[] =
        "no-such-host-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.invalid";
    s = spec_for(80, req, ph);
    s.host = bad_host;
    rc = hp_load_run(&s, res, &err);
    snprintf(want, sizeof want, "cannot resolve '%s'", bad_host);
    CHECK(rc == HP_ESYS && err && strncmp(err, want, strlen(want)) == 0, "bad host message");
    hp_free(err);
    err = NULL;
    s.host = "127.0.0.1";
    s.pipeline = 0;
    rc = hp_load_run(&s, res, &err);
    CHECK(rc == HP_EINVAL, "pipeline 0 refused");
    CHECK_STR(err, "pipeline must be between 1 and 1024", "pipeline message");
    hp_free(err);

    free(res);
    hp_free(req);
    return tap_done();
}
