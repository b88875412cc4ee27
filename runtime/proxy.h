/*
 * proxy.h - one request through FastCGI: encode and send it (params once,
 * body streamed as STDIN records), then relay the response (the CGI header
 * block parsed into an HTTP/1.1 head, the body streamed with backpressure).
 *
 * Framing of the client response: when the whole response is in hand before
 * the first write, Content-Length; otherwise the upstream's own valid
 * Content-Length if it sent one; otherwise chunked (HTTP/1.1) or
 * close-delimited (HTTP/1.0). HEAD, 204 and 304 have no body.
 *
 * Backpressure: the upstream is read only while nothing is waiting to be
 * written to the client, so a slow client holds at most one upstream read
 * buffer of response, however large the response.
 */
#ifndef KILN_PROXY_H
#define KILN_PROXY_H

#include <stdint.h>

#include "cgi_response.h"

struct conn;
struct upstream;

enum proxy_framing {
    FRAME_NONE = 0,  /* no body (HEAD, 204, 304) */
    FRAME_LENGTH,    /* Content-Length */
    FRAME_CHUNKED,
    FRAME_CLOSE,     /* until the connection closes (HTTP/1.0) */
};

struct proxy_state {
    uint8_t head_parsed;   /* the CGI head is parsed into `cgi` */
    uint8_t head_done;     /* the response head is built and queued */
    uint8_t framing;       /* enum proxy_framing */
    uint8_t retried;       /* already replayed once */
    uint8_t replayable;    /* every byte sent so far can be sent again */
    uint8_t finishing;     /* END_REQUEST relayed; flushing the rest */
    uint8_t probe;         /* a readiness probe (health.c): the response is
                            * judged, not relayed */
    uint32_t body_start;   /* in_start of the body, for a replay */
    uint64_t length_left;  /* FRAME_LENGTH: body bytes still expected */
    struct cgi_response cgi; /* parsed CGI head (headers in the arena) */
    const char *fail_why;  /* static text for the log */
    uint8_t *hacc;         /* CGI head split across records, collected */
    uint32_t hacc_len;
    uint32_t hacc_cap;
    uint32_t stderr_bytes; /* logged so far for this request */
    uint8_t *fcgi_prefix;  /* BEGIN_REQUEST + PARAMS records (arena); their
                            * request id is set for each connection */
    uint32_t fcgi_prefix_len;
    char chunk_line[24];   /* "<hex>\r\n" of the chunk being written */
};

/* Build the FastCGI request prefix for the request on c (params from the
 * parsed head, so this runs before the input buffer moves on). Returns 0,
 * or the negated HTTP status to answer with. */
struct script_result;
int proxy_prepare(struct conn *c, const struct script_result *script);

/* u is connected (fresh or pooled) and attached to c: send the request. */
void proxy_start(struct conn *c, struct upstream *u);

/* Event handlers while a request is in flight. */
void proxy_upstream_readable(struct upstream *u);
void proxy_upstream_writable(struct upstream *u);
void proxy_upstream_timeout(struct upstream *u);
void proxy_client_writable(struct conn *c);
void proxy_client_readable(struct conn *c);

/* The dial of u failed or timed out (timeout != 0). */
void proxy_dial_failed(struct upstream *u, int timeout);

/* Reset per-request proxy state (request end or connection reuse). */
void proxy_state_reset(struct proxy_state *p);

#endif /* KILN_PROXY_H */
