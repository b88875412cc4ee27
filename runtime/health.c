/*
 * health.c - liveness, readiness and drain endpoints (see health.h).
 */
#include "health.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <string.h>

#include "conn.h"
#include "log.h"

/* Every answer is a short text/plain body that no cache may keep. */
#define TEXT_HEAD(status, len)                                                                 \
    "HTTP/1.1 " status "\r\n"                                                                  \
    "Content-Type: text/plain; charset=utf-8\r\n"                                              \
    "Content-Length: " #len "\r\n"                                                             \
    "Cache-Control: no-store\r\n"

struct answer {
    const char *head;
    const char *body;
};

static const struct answer ok_answer = {TEXT_HEAD("200 OK", 3), "ok\n"};
static const struct answer ready = {TEXT_HEAD("200 OK", 6), "ready\n"};
static const struct answer not_ready = {TEXT_HEAD("503 Service Unavailable", 10),
                                        "not ready\n"};
static const struct answer draining_503 = {TEXT_HEAD("503 Service Unavailable", 9),
                                           "draining\n"};
static const struct answer draining_200 = {TEXT_HEAD("200 OK", 9), "draining\n"};
static const struct answer live = {TEXT_HEAD("200 OK", 5), "live\n"};
static const struct answer forbidden = {TEXT_HEAD("403 Forbidden", 10), "forbidden\n"};
static const struct answer not_found = {TEXT_HEAD("404 Not Found", 10), "not found\n"};

static void answer(struct conn *c, const struct answer *a)
{
    conn_respond(c, a->head, strlen(a->head), a->body, strlen(a->body));
}

static int draining(const struct conn *c)
{
    return atomic_load_explicit(&c->w->sh->drain_mode, memory_order_relaxed);
}

/* Is the client in readiness.drain_trusted_cidrs (all clients when the list
 * is empty)? Addresses compare as IPv6, IPv4 mapped (as the table is). */
static int drain_trusted(const struct conn *c)
{
    const struct kiln_readiness *r = &c->w->site->readiness;
    uint8_t addr[16];

    if (r->n_drain_trusted == 0)
        return 1;
    if (inet_pton(AF_INET6, c->remote_addr, addr) != 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(addr, mapped, 12);
        if (inet_pton(AF_INET, c->remote_addr, addr + 12) != 1)
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

static void drain(struct conn *c)
{
    const struct kiln_readiness *r = &c->w->site->readiness;

    if (!r->drain_enabled) {
        answer(c, &not_found);
        return;
    }
    if (!drain_trusted(c)) {
        log_warn("%s: /healthz/fail refused: client not in readiness.drain_trusted_cidrs",
                 c->remote_addr);
        answer(c, &forbidden);
        return;
    }
    if (atomic_exchange(&c->w->sh->drain_mode, 1) == 0)
        log_warn("%s: /healthz/fail: draining (readiness 503, connections close after "
                 "each response)",
                 c->remote_addr);
    answer(c, &draining_200);
}

/* Ask php-fpm for its status page, as a FastCGI request through the pool. */
static void probe(struct conn *c)
{
    const struct kiln_readiness *r = &c->w->site->readiness;

    if (!r->enabled) {
        answer(c, &ready);
        return;
    }
    if (draining(c)) {
        answer(c, &draining_503);
        return;
    }
    c->px.probe = 1;
    c->script.script_name = r->status_path.ptr;
    c->script.script_name_len = r->status_path.len;
    c->script.path_info = "";
    c->script.path_info_len = 0;
    c->script.canonical = r->status_path.ptr;
    c->script.canonical_len = r->status_path.len;
    conn_forward(c);
}

int health_route(struct conn *c, const char *path, size_t len)
{
    if (len == 8 && memcmp(path, "/healthz", 8) == 0)
        answer(c, &ok_answer);
    else if (len == 7 && memcmp(path, "/readyz", 7) == 0)
        probe(c);
    else if (len == 13 && memcmp(path, "/healthz/fail", 13) == 0)
        drain(c);
    else if (len == 21 && memcmp(path, "/healthz/drain-status", 21) == 0)
        answer(c, draining(c) ? &draining_200 : &live);
    else
        return 0;
    return 1;
}

void health_probe_answer(struct conn *c, int ok)
{
    const struct answer *a = ok ? &ready : &not_ready;

    if (!ok)
        log_warn("readiness: php-fpm's status page (%.*s) did not answer 2xx",
                 (int)c->w->site->readiness.status_path.len,
                 c->w->site->readiness.status_path.ptr);
    c->px.probe = 0;
    conn_queue_local(c, a->head, strlen(a->head), a->body, strlen(a->body));
}
