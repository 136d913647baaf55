/* The load run: checks the spec, resolves and probes the address, starts the threads
 * (loop.c), waits with progress, merges the per-thread results. */
#include "http/load_internal.h"
#include "common/common.h"
#include "common/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct hp_load {
    load_shared sh;
    load_worker *w;
    int nw;
    uint64_t start_ns;
    double start_epoch;              /* start_ns on the wall clock */
    int joined;
    int nreported;                   /* reported phases with histograms below (after finish) */
    hp_hist *hist[2][HP_LOAD_MAX_PHASES + 1];  /* [which][phase]; [which][nreported]: total */
};

/* Resolves host:port into sh->addr (first address returned). */
static int resolve(load_shared *sh, const char *host, int port, char **errmsg)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &ai);
    if (rc != 0 || !ai)
        return hp_err(errmsg, HP_ESYS, "cannot resolve '%s': %s", host, gai_strerror(rc));
    memcpy(&sh->addr, ai->ai_addr, ai->ai_addrlen);
    sh->addrlen = ai->ai_addrlen;
    char txt[INET6_ADDRSTRLEN] = "?";
    if (ai->ai_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, txt, sizeof txt);
    else if (ai->ai_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, txt, sizeof txt);
    snprintf(sh->addrtext, sizeof sh->addrtext, ai->ai_family == AF_INET6 ? "[%s]:%d" : "%s:%d", txt, port);
    freeaddrinfo(ai);
    return HP_OK;
}

/* One blocking connect (at most 2 s) so that a closed port fails before the run. */
static int probe(load_shared *sh, char **errmsg)
{
    int fd = socket(sh->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hp_err_errno(errmsg, "socket for %s", sh->addrtext);
    int rc = connect(fd, (struct sockaddr *)&sh->addr, sh->addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd pf = { .fd = fd, .events = POLLOUT };
        rc = poll(&pf, 1, 2000);
        if (rc == 0) {
            close(fd);
            return hp_err(errmsg, HP_ETIMEDOUT, "connect to %s: timed out after 2 s", sh->addrtext);
        }
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        errno = err;
        rc = err ? -1 : 0;
    }
    if (rc != 0) {
        int st = hp_err_errno(errmsg, "connect to %s", sh->addrtext);
        close(fd);
        return st;
    }
    close(fd);
    return HP_OK;
}

static int check_spec(const hp_load_spec *s, char **errmsg)
{
    if (!s->host || !*s->host)
        return hp_err(errmsg, HP_EINVAL, "host expected");
    if (s->port < 1 || s->port > 65535)
        return hp_err(errmsg, HP_EINVAL, "port must be between 1 and 65535, got %d", s->port);
    if (!s->request || s->request_len == 0)
        return hp_err(errmsg, HP_EINVAL, "request bytes expected");
    if (s->threads < 1 || s->threads > HP_LOAD_MAX_THREADS)
        return hp_err(errmsg, HP_EINVAL, "threads must be between 1 and %d", HP_LOAD_MAX_THREADS);
    if (s->connections < s->threads || s->connections > HP_LOAD_MAX_CONNECTIONS)
        return hp_err(errmsg, HP_EINVAL, "connections must be between threads (%d) and %d",
                      s->threads, HP_LOAD_MAX_CONNECTIONS);
    if (s->pipeline < 1 || s->pipeline > HP_LOAD_MAX_PIPELINE)
        return hp_err(errmsg, HP_EINVAL, "pipeline must be between 1 and %d", HP_LOAD_MAX_PIPELINE);
    if (s->nphases < 1 || s->nphases > HP_LOAD_MAX_PHASES || !s->phases)
        return hp_err(errmsg, HP_EINVAL, "between 1 and %d phases expected", HP_LOAD_MAX_PHASES);
    if (s->warmup && s->nphases < 2)
        return hp_err(errmsg, HP_EINVAL, "a warm-up needs a phase after it");
    for (int i = 0; i < s->nphases; i++)
        if (!(s->phases[i].duration > 0 && s->phases[i].duration < 1e6) || !(s->phases[i].rate >= 0 && s->phases[i].rate < 1e9))
            return hp_err(errmsg, HP_EINVAL, "phase %d: duration must be > 0 and rate >= 0", i + 1);
    if (!(s->timeout > 0))
        return hp_err(errmsg, HP_EINVAL, "timeout must be > 0");
    return HP_OK;
}

void hp_load_stop(hp_load *l)
{
    if (l)
        atomic_store(&l->sh.stop, 1);
}

static void join_all(hp_load *l)
{
    if (l->joined)
        return;
    for (int i = 0; i < l->nw; i++)
        if (l->w[i].started)
            pthread_join(l->w[i].th, NULL);
    l->joined = 1;
}

static void free_results(hp_load *l)
{
    for (int k = 0; k < 2; k++)
        for (int p = 0; p <= HP_LOAD_MAX_PHASES; p++) {
            hp_hist_free(l->hist[k][p]);
            l->hist[k][p] = NULL;
        }
    l->nreported = 0;
}

void hp_load_free(hp_load *l)
{
    if (!l)
        return;
    hp_load_stop(l);
    join_all(l);
    for (int i = 0; i < l->nw; i++)
        for (int p = 0; p < HP_LOAD_MAX_PHASES; p++) {
            hp_hist_free(l->w[i].lat[p]);
            hp_hist_free(l->w[i].svc[p]);
        }
    free_results(l);
    free(l->w);
    free(l->sh.reqbuf);
    pthread_mutex_destroy(&l->sh.mu);
    pthread_cond_destroy(&l->sh.cv);
    free(l);
}

int hp_load_start(const hp_load_spec *spec, hp_load **out, char **errmsg)
{
    *out = NULL;
    int rc = check_spec(spec, errmsg);
    if (rc)
        return rc;
    hp_load *l = calloc(1, sizeof *l);
    if (!l)
        return hp_err(errmsg, HP_ENOMEM, "out of memory");
    load_shared *sh = &l->sh;
    pthread_mutex_init(&sh->mu, NULL);
    pthread_cond_init(&sh->cv, NULL);
    if ((rc = resolve(sh, spec->host, spec->port, errmsg)) || (rc = probe(sh, errmsg))) {
        hp_load_free(l);
        return rc;
    }
    sh->req_len = spec->request_len;
    sh->pipeline = spec->pipeline;
    sh->head = spec->head;
    sh->threads = spec->threads;
    sh->warmup = spec->warmup;
    sh->nphases = spec->nphases;
    memcpy(sh->phases, spec->phases, sizeof *spec->phases * (size_t)spec->nphases);
    sh->timeout_ns = (uint64_t)(spec->timeout * 1e9);
    sh->requests_limit = spec->requests;
    sh->reqbuf = malloc(spec->request_len * (size_t)(spec->pipeline + 1));
    l->nw = spec->threads;
    l->w = calloc((size_t)l->nw, sizeof *l->w);
    if (!sh->reqbuf || !l->w) {
        hp_load_free(l);
        return hp_err(errmsg, HP_ENOMEM, "out of memory");
    }
    for (int i = 0; i <= spec->pipeline; i++)
        memcpy(sh->reqbuf + (size_t)i * spec->request_len, spec->request, spec->request_len);
    for (int i = 0; i < l->nw; i++) {
        load_worker *w = &l->w[i];
        w->sh = sh;
        w->index = i;
        w->nconn = spec->connections / l->nw + (i < spec->connections % l->nw);
        for (int p = 0; p < spec->nphases; p++) {
            w->lat[p] = hp_hist_new();
            w->svc[p] = hp_hist_new();
            if (!w->lat[p] || !w->svc[p]) {
                hp_load_free(l);
                return hp_err(errmsg, HP_ENOMEM, "out of memory for histograms");
            }
        }
    }
    /* the schedule: phases back to back from a start slightly ahead, so threads begin together */
    struct timespec wall;
    uint64_t now = hp_load_now_ns();
    clock_gettime(CLOCK_REALTIME, &wall);
    l->start_ns = now + 2000000;
    l->start_epoch = (double)wall.tv_sec + (double)wall.tv_nsec * 1e-9 + 2e-3;
    uint64_t t = l->start_ns;
    for (int p = 0; p < spec->nphases; p++) {
        sh->phase_start[p] = t;
        t += (uint64_t)(spec->phases[p].duration * 1e9);
    }
    sh->phase_start[spec->nphases] = t;
    sh->running = l->nw;
    for (int i = 0; i < l->nw; i++) {
        if (pthread_create(&l->w[i].th, NULL, hp_load_worker_main, &l->w[i]) != 0) {
            pthread_mutex_lock(&sh->mu);
            sh->running -= l->nw - i;
            pthread_mutex_unlock(&sh->mu);
            hp_load_free(l);
            return hp_err(errmsg, HP_ESYS, "cannot start load thread %d", i + 1);
        }
        l->w[i].started = 1;
    }
    *out = l;
    return HP_OK;
}

int hp_load_wait(hp_load *l, double wait, hp_load_progress *pg)
{
    load_shared *sh = &l->sh;
    pthread_mutex_lock(&sh->mu);
    if (sh->running > 0 && wait > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double t = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 + wait;
        ts.tv_sec = (time_t)t;
        ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
        while (sh->running > 0) {
            if (pthread_cond_timedwait(&sh->cv, &sh->mu, &ts) != 0)
                break;
        }
    }
    int done = sh->running == 0;
    pthread_mutex_unlock(&sh->mu);
    if (pg) {
        memset(pg, 0, sizeof *pg);
        uint64_t now = hp_load_now_ns();
        pg->elapsed = now > l->start_ns ? (double)(now - l->start_ns) * 1e-9 : 0;
        for (int i = 0; i < l->nw; i++) {
            pg->requests += atomic_load_explicit(&l->w[i].prog_requests, memory_order_relaxed);
            pg->errors += atomic_load_explicit(&l->w[i].prog_errors, memory_order_relaxed);
            int ph = atomic_load_explicit(&l->w[i].prog_phase, memory_order_relaxed);
            if (ph > pg->phase)
                pg->phase = ph;
        }
    }
    return done;
}

void hp_load_latency_of(const hp_hist *h, hp_load_latency *o)
{
    o->count = hp_hist_count(h);
    o->min = (double)hp_hist_min(h) / 1e3;
    o->mean = hp_hist_mean(h) / 1e3;
    o->stdev = hp_hist_stdev(h) / 1e3;
    o->p50 = hp_hist_percentile(h, 50) / 1e3;
    o->p90 = hp_hist_percentile(h, 90) / 1e3;
    o->p99 = hp_hist_percentile(h, 99) / 1e3;
    o->p999 = hp_hist_percentile(h, 99.9) / 1e3;
    o->p9999 = hp_hist_percentile(h, 99.99) / 1e3;
    o->max = (double)hp_hist_max(h) / 1e3;
}

static void add_counts(hp_load_phase_result *d, const hp_load_phase_result *s)
{
    d->sent += s->sent;
    d->requests += s->requests;
    d->errors += s->errors;
    d->bytes += s->bytes;
    d->late += s->late;
    if (s->backlog_max > d->backlog_max)
        d->backlog_max = s->backlog_max;
}

/* A run without a single response measured nothing: it fails, with the counts in the message
 * (the bindings return it as nil, message, "failed" and drop the result). */
static int no_response(const hp_load *l, const hp_load_result *res, char **errmsg)
{
    const hp_load_phase_result *t = &res->total;
    if (t->errors == 0)
        return hp_err(errmsg, HP_EFAILED, "no response from %s: %llu requests sent, none answered within the run (%.3g s)",
                      l->sh.addrtext, (unsigned long long)t->sent, t->duration);
    static const char *const names[] = { "refused", "connect", "reset", "closed", "timeout", "parse" };
    const uint64_t counts[] = { res->refused, res->connect_errors, res->reset, res->closed, res->timeouts,
                                res->parse_errors };
    char kinds[160] = "";
    size_t k = 0;
    for (int i = 0; i < 6; i++)
        if (counts[i] && k < sizeof kinds)
            k += (size_t)snprintf(kinds + k, sizeof kinds - k, "%s%s %llu", k ? ", " : "", names[i],
                                  (unsigned long long)counts[i]);
    return hp_err(errmsg, HP_EFAILED, "no response from %s: %llu requests sent, %llu lost to errors (%s); first error: %s",
                  l->sh.addrtext, (unsigned long long)t->sent, (unsigned long long)t->errors, kinds,
                  res->first_error[0] ? res->first_error : "none recorded");
}

int hp_load_finish(hp_load *l, hp_load_result *res, char **errmsg)
{
    join_all(l);
    memset(res, 0, sizeof *res);
    free_results(l);
    load_shared *sh = &l->sh;
    uint64_t end = hp_load_now_ns();
    res->wall = end > l->start_ns ? (double)(end - l->start_ns) * 1e-9 : 0;
    res->start_time = l->start_epoch;
    res->end_time = l->start_epoch + res->wall;
    int first = sh->warmup ? 1 : 0;
    res->nphases = sh->nphases - first;
    for (int k = 0; k < 2; k++)
        for (int p = 0; p <= res->nphases; p++)
            if (!(l->hist[k][p] = hp_hist_new())) {
                free_results(l);
                return hp_err(errmsg, HP_ENOMEM, "out of memory merging histograms");
            }
    l->nreported = res->nphases;
    hp_hist *tlat = l->hist[HP_LOAD_LATENCY][res->nphases], *tsvc = l->hist[HP_LOAD_SERVICE][res->nphases];
    for (int i = 0; i < l->nw; i++) {
        load_worker *w = &l->w[i];
        res->connects += w->connects;
        res->refused += w->refused;
        res->reset += w->reset;
        res->closed += w->closed;
        res->timeouts += w->timeouts;
        res->parse_errors += w->parse_errors;
        res->connect_errors += w->connect_errors;
        for (int s = 0; s < 600; s++)
            res->status[s] += w->status[s];
        res->user += w->user;
        res->sys += w->sys;
        if (!res->first_error[0] && w->first_error[0])
            memcpy(res->first_error, w->first_error, sizeof res->first_error);
    }
    double total_dur = 0;
    for (int p = first; p < sh->nphases; p++) {
        hp_load_phase_result *pr = &res->phases[p - first];
        hp_hist *lat = l->hist[HP_LOAD_LATENCY][p - first], *svc = l->hist[HP_LOAD_SERVICE][p - first];
        for (int i = 0; i < l->nw; i++) {
            add_counts(pr, &l->w[i].pr[p]);
            hp_hist_merge(lat, l->w[i].lat[p]);
            hp_hist_merge(svc, l->w[i].svc[p]);
        }
        pr->rate = sh->phases[p].rate;
        uint64_t ps = sh->phase_start[p], pe = sh->phase_start[p + 1];
        if (end < pe)
            pe = end > ps ? end : ps;  /* stopped early (request count reached, or stop) */
        pr->duration = (double)(pe - ps) * 1e-9;
        total_dur += pr->duration;
        hp_load_latency_of(lat, &pr->latency);
        hp_load_latency_of(svc, &pr->service);
        add_counts(&res->total, pr);
        hp_hist_merge(tlat, lat);
        hp_hist_merge(tsvc, svc);
    }
    res->total.duration = total_dur;
    res->total.rate = res->nphases == 1 ? res->phases[0].rate : 0;
    hp_load_latency_of(tlat, &res->total.latency);
    hp_load_latency_of(tsvc, &res->total.service);
    if (res->total.requests == 0)
        return no_response(l, res, errmsg);
    return HP_OK;
}

const hp_hist *hp_load_histogram(const hp_load *l, int phase, int which)
{
    if (!l || which < 0 || which > 1 || phase < -1 || phase >= l->nreported || !l->hist[which][0])
        return NULL;
    return l->hist[which][phase < 0 ? l->nreported : phase];
}

int hp_load_run(const hp_load_spec *spec, hp_load_result *res, char **errmsg)
{
    hp_load *l;
    memset(res, 0, sizeof *res);
    int rc = hp_load_start(spec, &l, errmsg);
    if (rc)
        return rc;
    rc = hp_load_finish(l, res, errmsg);
    hp_load_free(l);
    return rc;
}
