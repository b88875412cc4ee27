/*
 * route.h - where a request goes, decided from its head and the site alone
 * (no connection, no I/O): kiln's health endpoints, a baked location, a
 * PHP script, or an error.
 *
 * In this order, as the reference orders them: the path is decoded and
 * normalized once (script.h: a '.' or '..' segment, NUL or another control
 * byte, or a backslash is refused), a "%00" in the query is refused like a
 * NUL in the path, then /healthz and friends, then the exact-path
 * locations (the generated perfect hash), then script resolution (the
 * front-controller convention, and 403 for a hidden segment).
 */
#ifndef KILN_ROUTE_H
#define KILN_ROUTE_H

#include <stdint.h>

#include "arena.h"
#include "http_parse.h"
#include "script.h"
#include "site.h"

enum route_kind {
    ROUTE_ERROR = 0,    /* answer `status` */
    ROUTE_HEALTHZ,      /* /healthz */
    ROUTE_READYZ,       /* /readyz */
    ROUTE_DRAIN,        /* /healthz/fail */
    ROUTE_DRAIN_STATUS, /* /healthz/drain-status */
    ROUTE_RETURN,       /* site->returns[index] */
    ROUTE_UPSTREAM_LOC, /* site->upstreams[index] (kiln-gen refuses these
                         * for this runtime: a mismatched build) */
    ROUTE_SCRIPT,       /* php-fpm runs `script` */
};

struct route {
    uint8_t kind;       /* enum route_kind */
    uint8_t keep;       /* ROUTE_ERROR: the connection may go on */
    uint16_t status;    /* ROUTE_ERROR */
    uint16_t index;     /* ROUTE_RETURN, ROUTE_UPSTREAM_LOC */
    struct script_result script; /* ROUTE_SCRIPT; strings in the arena */
};

/* Route a complete, valid request head; strings go to `a`. */
void route_request(const struct kiln_site *s, const struct http_request *r, struct arena *a,
                   struct route *out);

#endif /* KILN_ROUTE_H */
