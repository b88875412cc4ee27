/*
 * route.c - see route.h.
 */
#include "route.h"

#include <string.h>

static void error(struct route *out, unsigned status, int keep)
{
    out->kind = ROUTE_ERROR;
    out->status = (uint16_t)status;
    out->keep = (uint8_t)keep;
}

/* A NUL in the query, written "%00" (a raw one never gets past the
 * parser): the null-byte injection that truncates a file name in C-string
 * code behind PHP ("?file=../x%00.jpg"). */
static int query_has_nul(const char *q, uint32_t len)
{
    for (uint32_t i = 0; i + 2 < len; i++)
        if (q[i] == '%' && q[i + 1] == '0' && q[i + 2] == '0')
            return 1;
    return 0;
}

static int is(const char *path, size_t len, const char *lit, size_t lit_len)
{
    return len == lit_len && memcmp(path, lit, len) == 0;
}
#define IS(lit) is(canon, (size_t)len, lit, sizeof(lit) - 1)

static int health_route(const char *canon, int len, struct route *out)
{
    if (IS("/healthz"))
        out->kind = ROUTE_HEALTHZ;
    else if (IS("/readyz"))
        out->kind = ROUTE_READYZ;
    else if (IS("/healthz/fail"))
        out->kind = ROUTE_DRAIN;
    else if (IS("/healthz/drain-status"))
        out->kind = ROUTE_DRAIN_STATUS;
    else
        return 0;
    return 1;
}

void route_request(const struct kiln_site *s, const struct http_request *r, struct arena *a,
                   struct route *out)
{
    int hidden = 0;

    memset(out, 0, sizeof *out);
    if (r->flags & HTTP_F_ASTERISK) {
        error(out, 405, 1);
        return;
    }
    size_t cap = (size_t)r->path_len + 1;
    char *canon = arena_alloc(a, cap);
    if (canon == NULL) {
        error(out, 431, 0);
        return;
    }
    int len = script_canonicalize(r->path, r->path_len, canon, cap, &hidden);
    if (len < 0) {
        error(out, (unsigned)-len, 1);
        return;
    }
    if (query_has_nul(r->query, r->query_len)) {
        error(out, 400, 1);
        return;
    }
    if (health_route(canon, len, out))
        return;
    const struct kiln_location *loc = s->location_lookup(canon, (size_t)len);
    if (loc != NULL) {
        out->kind = loc->kind == KILN_LOC_RETURN ? ROUTE_RETURN : ROUTE_UPSTREAM_LOC;
        out->index = loc->index;
        return;
    }
    size_t scap = (size_t)len + s->index.len + 1;
    char *sbuf = arena_alloc(a, scap);
    int rc = sbuf == NULL ? -431
                          : script_resolve(canon, (size_t)len, hidden, s->index.ptr,
                                           s->index.len, sbuf, scap, &out->script);
    if (rc < 0) {
        error(out, (unsigned)-rc, 1);
        return;
    }
    out->kind = ROUTE_SCRIPT;
}
