/*
 * exchange.h - one request through FastCGI, into a sink.
 *
 * The exchange takes a prepared request (its params, and its body, complete:
 * in place or collected), gets a php-fpm connection from the pool, sends
 * BEGIN_REQUEST, PARAMS and STDIN (the params and a small body in one
 * write), reads the answer's records, parses the CGI head, and hands the
 * sink the head and then the body as it comes. It knows nothing of HTTP
 * framing or of the client: the client's sink (respond.c) turns the head
 * into an HTTP/1.1 head and the body into chunks; the readiness probe's
 * sink (health.c) judges the status and drops the body.
 *
 * Flow: the exchange reads a batch from the upstream only when the sink
 * took the last one (flush() said so): body spans point into the
 * connection's read buffer, so the sink either writes them, copies them,
 * or holds the exchange back (backpressure) until it calls
 * exchange_resume(). At END_REQUEST the connection goes back to the pool as
 * soon as the sink no longer points into its buffer.
 *
 * Failures: before anything reached the sink, a pooled connection that
 * turns out dead is replaced and the request sent again once, when that is
 * safe (see can_retry); otherwise the sink is told the status (502, 503,
 * 504). After the head reached the sink, it is told to cut the response.
 */
#ifndef KILN_EXCHANGE_H
#define KILN_EXCHANGE_H

#include <stdint.h>
#include <sys/uio.h>

#include "arena.h"
#include "body.h"
#include "cgi_response.h"
#include "fcgi_codec.h"
#include "outq.h"
#include "pool.h"

#define EXCHANGE_STDIN_HDRS 16

struct exchange_sink_ops {
    /* The CGI head is in. `all` is the whole body's length when the
     * response is already complete, else -1. Returns 0, or -1 with *why
     * (the exchange fails with 502). */
    int (*head)(void *sink, const struct cgi_response *cgi, long long all, const char **why);
    /* A batch of body bytes (`bytes` in `n` spans, maybe none), after the
     * head; `ended`: the response is complete. The spans stay valid until
     * the exchange reads again. Returns 1 when the sink keeps no pointer
     * into them and takes more, 0 when the exchange must wait for
     * exchange_resume(), -1 with *why when the response is broken (the
     * exchange fails). The sink may abort the exchange from here. */
    int (*body)(void *sink, const struct iovec *spans, unsigned n, size_t bytes, int ended,
                const char **why);
    /* The response is complete and the connection handed back. */
    void (*done)(void *sink);
    /* The exchange failed. `status` (502, 503, 504) when nothing reached
     * the sink; 0 after the head did: the sink cuts its response. */
    void (*failed)(void *sink, unsigned status, const char *why);
};

enum exchange_state {
    X_IDLE = 0,
    X_WAITING,   /* for a connection (pool) */
    X_ACTIVE,    /* the request goes out, the answer comes in */
    X_HELD,      /* the sink holds the exchange back (backpressure) */
    X_DRAINING,  /* END_REQUEST in; the sink still points into the buffer */
    X_OVER,
};

struct exchange_stats {
    uint64_t retries; /* requests sent again after a dead pooled connection */
};

struct exchange {
    /* Set by the owner (exchange_init, exchange_set_params and below). */
    struct loop *loop;
    struct pool *pool;
    const struct kiln_site *site;
    struct arena *arena;          /* the request's: CGI headers */
    const struct exchange_sink_ops *sink;
    void *sink_arg;
    struct exchange_stats *stats;
    const uint8_t *body_in_place; /* the body, or NULL: it is in `body` */
    struct body_spool *body;
    uint64_t body_len;
    uint8_t idempotent;           /* may be sent twice (RFC 9110 9.2.2) */
    uint32_t cap_ms;              /* no wait longer (the readiness probe) */
    const char *who;              /* for logs: the client's address */
    const char *script;
    uint32_t script_len;

    /* exchange.c only */
    uint8_t state;                /* enum exchange_state */
    uint8_t prefix_single;        /* one PARAMS record, in place */
    uint8_t retried;
    uint8_t stdin_done;           /* the empty STDIN record is queued */
    uint8_t req_written;          /* some byte of this request was sent */
    uint8_t body_refused;         /* the upstream hung up on the body with its
                                   * answer waiting: send no more, read that */
    uint8_t ended;                /* END_REQUEST arrived */
    uint8_t head_given;           /* the sink has the head */
    uint8_t *prefix;              /* BEGIN_REQUEST + PARAMS records (arena) */
    uint32_t prefix_len;
    struct pool_wait wait;
    struct upconn *u;
    struct outq out;
    uint8_t stdin_hdr[EXCHANGE_STDIN_HDRS][8];
    uint8_t stdin_end[8];
    uint32_t stdin_hdrs_used;
    uint64_t body_sent;
    uint32_t rlen;                /* bytes in u->rbuf */
    uint32_t roff;                /* of which walked */
    struct fcgi_reader reader;
    uint8_t *hacc;                /* a CGI head split across records */
    uint32_t hacc_len;
    uint32_t hacc_cap;
    struct cgi_response cgi;
    uint8_t head_parsed;
    uint32_t stderr_bytes;
    const char *fail_why;
};

/* Bind x to its thread's loop and pool; idle. */
void exchange_init(struct exchange *x, struct loop *loop, struct pool *pool,
                   const struct kiln_site *site, struct exchange_stats *stats);

/* Back to idle for the next request (frees what the last one held). The
 * exchange must be over or never started. */
void exchange_reset(struct exchange *x);

/* The encoded params: buf[24 .. 24+n) holds them, with 24 bytes free before
 * and 16 after (records are laid out around them). Set x->body_len first.
 * Returns 0, or -431 when a single pair is too big for a FastCGI record. */
int exchange_set_params(struct exchange *x, uint8_t *buf, size_t n);

/* Send the request; the sink hears of it from here on. */
void exchange_start(struct exchange *x);

/* The sink can take more (after flush() returned 0). */
void exchange_resume(struct exchange *x);

/* The sink's client left: drop the connection (closed: its answer is
 * unread). No sink callback follows. */
void exchange_abort(struct exchange *x);

#endif /* KILN_EXCHANGE_H */
