/*
 * health.h - the endpoints for load balancers and Kubernetes, answered
 * before locations and authentication:
 *
 *   /healthz               200 "ok": the process serves (liveness); never
 *                          touches php-fpm
 *   /readyz                200 "ready" when php-fpm answers its status page
 *                          (readiness.status_path) with 2xx within
 *                          readiness.timeout, else 503 "not ready"; 503
 *                          "draining" once draining; like /healthz when
 *                          readiness.enabled is false
 *   /healthz/fail          start draining (200 "draining"): /readyz says
 *                          503 from then on and every response carries
 *                          "Connection: close", so load balancers and
 *                          keep-alive clients move away before the pod
 *                          stops. Only from readiness.drain_trusted_cidrs
 *                          (403 otherwise); 404 when readiness.drain_enabled
 *                          is false
 *   /healthz/drain-status  200 "live" or "draining"
 *
 * The readiness probe is an exchange like any request's (the same pool and
 * the same upstream_max_conns bound, so it never opens a connection
 * php-fpm has no worker for) with a sink of its own that judges the status
 * and never passes the status page's body on.
 */
#ifndef KILN_HEALTH_H
#define KILN_HEALTH_H

#include <stdatomic.h>
#include <stdint.h>

#include "exchange.h"
#include "site.h"

/* Shared by every thread. */
struct health_state {
    _Atomic int draining; /* /healthz/fail was called */
};

/* A ready-made text/plain answer: the caller adds Date and Connection. */
struct health_answer {
    const char *head;
    uint32_t head_len;
    const char *body;
    uint32_t body_len;
};

static inline int health_draining(struct health_state *st)
{
    return atomic_load_explicit(&st->draining, memory_order_relaxed);
}

/* The answer kiln gives itself to a health route (route.h kinds), or NULL
 * for /readyz when php-fpm must be asked. `remote_addr` is the client's,
 * for the drain endpoint's trusted networks. */
const struct health_answer *health_answer(const struct kiln_site *s, struct health_state *st,
                                          unsigned route_kind, const char *remote_addr);

/* The readiness probe's sink. `answered` gets the client's answer once
 * php-fpm has answered the status page (or failed to). */
struct health_probe {
    const struct kiln_site *site;
    uint8_t ok; /* the status page answered 2xx */
    void (*answered)(void *arg, const struct health_answer *a);
    void *arg;
};

extern const struct exchange_sink_ops health_probe_sink;

void health_probe_init(struct health_probe *p, const struct kiln_site *site,
                       void (*answered)(void *arg, const struct health_answer *a), void *arg);

#endif /* KILN_HEALTH_H */
