/*
 * health.c - liveness, readiness and drain endpoints (see health.h).
 */
#include "health.h"

#include <arpa/inet.h>
#include <string.h>

#include "log.h"
#include "route.h"

/* Every answer is a short text/plain body that no cache may keep. */
#define TEXT_HEAD(status, len)                                                                 \
    "HTTP/1.1 " status "\r\n"                                                                  \
    "Content-Type: text/plain; charset=utf-8\r\n"                                              \
    "Content-Length: " #len "\r\n"                                                             \
    "Cache-Control: no-store\r\n"
#define ANSWER(head, body) {head, sizeof(head) - 1, body, sizeof(body) - 1}

static const struct health_answer ok_answer = ANSWER(TEXT_HEAD("200 OK", 3), "ok\n");
static const struct health_answer ready = ANSWER(TEXT_HEAD("200 OK", 6), "ready\n");
static const struct health_answer not_ready =
    ANSWER(TEXT_HEAD("503 Service Unavailable", 10), "not ready\n");
static const struct health_answer draining_503 =
    ANSWER(TEXT_HEAD("503 Service Unavailable", 9), "draining\n");
static const struct health_answer draining_200 = ANSWER(TEXT_HEAD("200 OK", 9), "draining\n");
static const struct health_answer live = ANSWER(TEXT_HEAD("200 OK", 5), "live\n");
static const struct health_answer forbidden =
    ANSWER(TEXT_HEAD("403 Forbidden", 10), "forbidden\n");
static const struct health_answer not_found =
    ANSWER(TEXT_HEAD("404 Not Found", 10), "not found\n");

/* Is the client in readiness.drain_trusted_cidrs (all clients when the list
 * is empty)? Addresses compare as IPv6, IPv4 mapped (as the table is). */
static int drain_trusted(const struct kiln_readiness *r, const char *remote_addr)
{
    uint8_t addr[16];

    if (r->n_drain_trusted == 0)
        return 1;
    if (inet_pton(AF_INET6, remote_addr, addr) != 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(addr, mapped, 12);
        if (inet_pton(AF_INET, remote_addr, addr + 12) != 1)
            return 0;
    }
    for (uint32_t i = 0; i < r->n_drain_trusted; i++) {
        const struct kiln_cidr *n = &r->drain_trusted[i];
        unsigned bits = n->prefix, k = 0;
        for (; bits >= 8; bits -= 8, k++)
            if (addr[k] != n->addr[k])
                break;
        if (bits >= 8)
            continue;
        if (bits == 0 || ((addr[k] ^ n->addr[k]) & (uint8_t)(0xff00u >> bits)) == 0)
            return 1;
    }
    return 0;
}

static const struct health_answer *drain(const struct kiln_readiness *r, struct health_state *st,
                                         const char *remote_addr)
{
    if (!r->drain_enabled)
        return &not_found;
    if (!drain_trusted(r, remote_addr)) {
        log_warn("%s: /healthz/fail refused: client not in readiness.drain_trusted_cidrs",
                 remote_addr);
        return &forbidden;
    }
    if (atomic_exchange(&st->draining, 1) == 0)
        log_warn("%s: /healthz/fail: draining (readiness 503, connections close after "
                 "each response)",
                 remote_addr);
    return &draining_200;
}

const struct health_answer *health_answer(const struct kiln_site *s, struct health_state *st,
                                          unsigned route_kind, const char *remote_addr)
{
    switch (route_kind) {
    case ROUTE_HEALTHZ:
        return &ok_answer;
    case ROUTE_DRAIN:
        return drain(&s->readiness, st, remote_addr);
    case ROUTE_DRAIN_STATUS:
        return health_draining(st) ? &draining_200 : &live;
    case ROUTE_READYZ:
        if (!s->readiness.enabled)
            return &ready;
        if (health_draining(st))
            return &draining_503;
        return NULL;
    default:
        return &not_found;
    }
}

/* ---- the probe's sink ------------------------------------------------------ */

void health_probe_init(struct health_probe *p, const struct kiln_site *site,
                       void (*answered)(void *arg, const struct health_answer *a), void *arg)
{
    p->site = site;
    p->ok = 0;
    p->answered = answered;
    p->arg = arg;
}

static int probe_head(void *sink, const struct cgi_response *cgi, long long all, const char **why)
{
    struct health_probe *p = sink;
    (void)all;
    (void)why;
    p->ok = cgi->status >= 200 && cgi->status < 300;
    return 0;
}

/* The status page's body (worker counts) is never passed on. */
static int probe_body(void *sink, const struct iovec *spans, unsigned n, size_t bytes, int ended,
                      const char **why)
{
    (void)sink;
    (void)spans;
    (void)n;
    (void)bytes;
    (void)ended;
    (void)why;
    return 1;
}

static void not_ready_log(const struct health_probe *p)
{
    log_warn("readiness: php-fpm's status page (%.*s) did not answer 2xx",
             (int)p->site->readiness.status_path.len, p->site->readiness.status_path.ptr);
}

static void probe_done(void *sink)
{
    struct health_probe *p = sink;
    if (!p->ok)
        not_ready_log(p);
    p->answered(p->arg, p->ok ? &ready : &not_ready);
}

static void probe_failed(void *sink, unsigned status, const char *why)
{
    struct health_probe *p = sink;
    (void)status;
    (void)why;
    not_ready_log(p);
    p->answered(p->arg, &not_ready);
}

const struct exchange_sink_ops health_probe_sink = {
    probe_head, probe_body, probe_done, probe_failed,
};
