/*
 * conn.h - a client connection: reads request heads, answers what kiln
 * answers itself, hands the rest to the proxy, and keeps the connection
 * alive between requests.
 *
 * Requests on one connection are served one at a time, in order, so
 * pipelined responses can never be reordered: bytes of the next request wait
 * in the input buffer (or the socket) until the current response is written.
 */
#ifndef KILN_CONN_H
#define KILN_CONN_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/queue.h>

#include "arena.h"
#include "body.h"
#include "deadline.h"
#include "http_parse.h"
#include "outq.h"
#include "proxy.h"
#include "script.h"
#include "worker.h"

enum conn_state {
    CONN_IDLE = 0,   /* keep-alive: no byte of the next request yet */
    CONN_HEAD,       /* reading a request head */
    CONN_BODY,       /* receiving a request body, before a php-fpm
                      * connection is taken (body.h) */
    CONN_QUEUED,     /* waiting for an upstream connection */
    CONN_PROXY,      /* attached to an upstream */
    CONN_LOCAL,      /* writing a response kiln made itself */
    CONN_LINGER,     /* response sent; reading what the client still sends
                      * before closing, so a reset does not destroy it */
    CONN_DEAD,
};

const char *conn_state_name(enum conn_state s);

struct conn {
    struct worker *w;
    int fd;
    enum conn_state state;
    struct event rev;   /* EV_READ|EV_ET, registered once */
    struct event wev;   /* EV_WRITE|EV_ET, registered once */
    struct deadline timer; /* the one deadline that applies to the state */
    TAILQ_ENTRY(conn) link;      /* worker.conns, free_conns, dead_conns */
    TAILQ_ENTRY(conn) wait_link; /* worker.waiters while CONN_QUEUED */

    /* Input: bytes in[start..end) are received and not yet consumed. */
    uint8_t *in;
    uint32_t in_cap;
    uint32_t in_start;
    uint32_t in_end;
    uint8_t readable;    /* edge-triggered: the socket may hold more */
    uint8_t peer_eof;    /* the client shut down its sending side */
    uint8_t want_write;  /* out is not empty and the socket was full */
    uint8_t close_after; /* close once the current response is written */
    uint8_t serving;     /* inside conn_serve_heads (no re-entry) */

    /* The current request. */
    struct http_parser parser;
    struct http_request req;
    struct http_header *headers; /* site->max_headers entries */
    struct arena arena;
    uint8_t http10;
    uint8_t head_only;       /* HEAD: no response body */
    uint8_t idempotent;      /* safe to send twice (RFC 9110 9.2.2) */
    uint8_t body_unread;     /* the request has a body not (all) read yet */
    uint8_t body_in_place;   /* the body is in `in` at body_off (not copied) */
    uint32_t in_pending;     /* bytes of this request still in `in` (head
                              * answered locally, body sent from there),
                              * consumed when the request ends */
    uint32_t body_off;       /* body_in_place: where in `in` it starts */
    uint64_t body_len;       /* body length announced to the upstream */
    struct body_spool body;  /* a body not in place */
    uint64_t recv_start_ms;  /* the head's first byte, or the body's start */
    uint64_t recv_bytes;     /* body bytes received so far */
    struct script_result script; /* strings in the arena */
    struct upstream *up;
    struct proxy_state px;
    uint64_t started_ms;

    /* Output: `out` is written first, then what `held` holds (a response
     * the client is slower to take than php-fpm is to send; spool.h). */
    struct outq out;
    struct spool held;
    uint8_t out_from_held;   /* `out` holds a window of `held` */

    /* Addresses, as text, for CGI params and logs. */
    char remote_addr[INET6_ADDRSTRLEN];
    char remote_port[8];
    char server_addr[INET6_ADDRSTRLEN];
    char date_line[HTTP_DATE_LINE_LEN]; /* of a local response being written */
};

/* Take over an accepted socket (non-blocking). Closes it on failure. */
void conn_accept(struct worker *w, int fd, const struct sockaddr *peer, socklen_t peer_len);

/* Answer the current request with kiln's own error response; the
 * connection closes afterwards unless `keep` and the request is fully read. */
void conn_error(struct conn *c, unsigned status, int keep);

/* Queue a response kiln made itself: `head` (status line and headers but
 * Date and Connection), then `body` (left out for HEAD). */
void conn_queue_local(struct conn *c, const char *head, size_t head_len, const char *body,
                      size_t body_len);

/* Queue a response kiln made itself and send it; the request ends when it
 * is written. */
void conn_respond(struct conn *c, const char *head, size_t head_len, const char *body,
                  size_t body_len);

/* Send the request to php-fpm with c->script as its script, without its
 * body (the readiness probe). */
void conn_forward(struct conn *c);

/* The proxy finished the response (all of it is in c->out or written). */
void conn_request_done(struct conn *c);

/* Write c->out. Returns 1 when all is written, 0 when the socket is full
 * (the write event resumes), -1 when the client is gone (c is closed). */
int conn_flush(struct conn *c);

/* Where the body of the request on c is: in place in the input buffer
 * (returns a pointer to all of it), or NULL: in c->body. */
static inline const uint8_t *conn_body_in_place(const struct conn *c)
{
    return c->body_in_place ? c->in + c->body_off : NULL;
}

/* Close now (marks dead; memory is freed by worker_reap). Detaches and
 * closes the upstream if one is attached mid-request. */
void conn_close(struct conn *c);

/* Called by the worker's free-list handling. */
void conn_free(struct conn *c);

/* Graceful shutdown: close idle connections, let busy ones finish. */
void conn_drain_all(struct worker *w);

#endif /* KILN_CONN_H */
