/*
 * request.h - HTTP/1.1 requests on client connections.
 *
 * A request object exists only while a connection has a request on its way:
 * it is taken from the thread's free list when the first byte of a request
 * arrives and goes back when the connection is idle again, so an idle
 * keep-alive connection holds none (conn.h).
 *
 * What a request goes through, in this order; everything before the
 * FastCGI call is answered from baked data without touching php-fpm:
 *
 *   head      read and checked strictly (http_parse.h), within
 *             read_timeout of its first byte and at client_min_rate once
 *             client_rate_grace has passed
 *   route     health endpoints, locations, script resolution (route.h)
 *   body      received in full before a php-fpm connection is taken
 *             (body.h): in place, or in memory, then a temporary file
 *   exchange  the request through FastCGI (exchange.h), its answer to the
 *             client through the response (respond.h); or, for /readyz,
 *             to the probe's sink (health.h)
 *
 * Requests on one connection are served one at a time, in order, so
 * pipelined responses can never be reordered: bytes of the next request
 * wait in the input buffer (or the socket) until the current response is
 * written.
 */
#ifndef KILN_REQUEST_H
#define KILN_REQUEST_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>

#include "conn.h"
#include "exchange.h"
#include "health.h"
#include "http_parse.h"
#include "loop.h"
#include "pool.h"
#include "site.h"

struct http_stats {
    uint64_t requests;
};

struct request;
TAILQ_HEAD(request_list, request);

/* One thread's HTTP layer. */
struct http_ctx {
    struct loop *loop;
    const struct kiln_site *site;
    struct pool *pool;
    struct health_state *health;  /* shared: draining */
    _Atomic int *stopping;        /* shared: SIGTERM came */
    struct http_limits limits;    /* the site's head limits, for the parser */
    struct request_list free;     /* recycled request objects */
    uint32_t n_free;
    struct http_stats stats;
    struct exchange_stats xstats;
};

/* The handlers a connection set of this thread is created with. */
extern const struct conn_ops http_conn_ops;

void http_ctx_init(struct http_ctx *h, struct loop *loop, const struct kiln_site *site,
                   struct pool *pool, struct health_state *health, _Atomic int *stopping);

/* Free the recycled request objects (every connection is closed). */
void http_ctx_destroy(struct http_ctx *h);

#endif /* KILN_REQUEST_H */
