/*
 * health.h - the endpoints for load balancers and Kubernetes, answered
 * before CORS, locations and authentication:
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
 * The readiness probe is an ordinary FastCGI request through the same pool
 * and the same upstream_max_conns bound as the site's requests, so it can
 * never open a connection php-fpm has no worker for; its status page body
 * is never passed on.
 */
#ifndef KILN_HEALTH_H
#define KILN_HEALTH_H

#include <stddef.h>

struct conn;

/* Answer `path` (canonical) if it is a health endpoint. Returns 1 when the
 * request is taken care of (answered, or the probe is under way), 0 when
 * the path is not one of them. */
int health_route(struct conn *c, const char *path, size_t len);

/* The readiness probe's outcome: queue its client's answer (the caller
 * sends it). `ok` when php-fpm's status page answered 2xx. */
void health_probe_answer(struct conn *c, int ok);

#endif /* KILN_HEALTH_H */
