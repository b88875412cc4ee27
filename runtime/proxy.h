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
 * A client slower than php-fpm: what it has not taken yet is absorbed into
 * the connection's spool (memory up to response_buffer_size, then a
 * temporary file up to response_temp_max), so php-fpm's worker is free as
 * soon as the script ends. Past those bounds, or when the script sent
 * "X-Accel-Buffering: no" (server-sent events, long polls), the upstream
 * is read only as fast as the client takes the response (backpressure): a
 * slow client then holds at most one upstream read buffer.
 */
#ifndef KILN_PROXY_H
#define KILN_PROXY_H

#include <stdint.h>

#include "cgi_response.h"
#include "resp_head.h"

struct conn;
struct upstream;

struct proxy_state {
    uint8_t head_parsed;   /* the CGI head is parsed into `cgi` */
    uint8_t head_done;     /* the response head is built and queued */
    uint8_t framing;       /* enum resp_framing */
    uint8_t retried;       /* already replayed once */
    uint8_t finishing;     /* END_REQUEST relayed; flushing the rest */
    uint8_t probe;         /* a readiness probe (health.c): the response is
                            * judged, not relayed */
    uint8_t no_absorb;     /* X-Accel-Buffering: no: stream, never hold */
    uint8_t length_later;  /* CONTENT_LENGTH is added by proxy_seal() */
    uint8_t prefix_single; /* one PARAMS record, in place (label_records) */
    uint64_t length_left;  /* FRAME_LENGTH: body bytes still expected */
    struct cgi_response cgi; /* parsed CGI head (headers in the arena) */
    const char *fail_why;  /* static text for the log */
    uint8_t *hacc;         /* CGI head split across records, collected */
    uint32_t hacc_len;
    uint32_t hacc_cap;
    uint32_t stderr_bytes; /* logged so far for this request */
    uint8_t *params;       /* encoded params (arena), before the records */
    uint32_t params_len;
    uint8_t *fcgi_prefix;  /* BEGIN_REQUEST + PARAMS records (arena); their
                            * request id is set for each connection */
    uint32_t fcgi_prefix_len;
    char chunk_line[24];   /* "<hex>\r\n" of the chunk being written */
};

/* Encode the FastCGI params of the request on c from its parsed head (so
 * this runs before the input buffer moves past the head). `length_later`:
 * the body's length is not known yet (chunked); proxy_seal() adds it.
 * Returns 0, or the negated HTTP status to answer with. */
struct script_result;
int proxy_prepare(struct conn *c, const struct script_result *script, int length_later);

/* The body is in (c->body_len is its length): lay out the request's
 * records. Returns 0, or the negated HTTP status to answer with. */
int proxy_seal(struct conn *c);

/* u is connected (fresh or pooled) and attached to c: send the request. */
void proxy_start(struct conn *c, struct upstream *u);

/* Event handlers while a request is in flight. */
void proxy_upstream_readable(struct upstream *u);
void proxy_upstream_writable(struct upstream *u);
void proxy_upstream_timeout(struct upstream *u);
void proxy_client_writable(struct conn *c);

/* The dial of u failed or timed out (timeout != 0). */
void proxy_dial_failed(struct upstream *u, int timeout);

/* Reset per-request proxy state (request end or connection reuse). */
void proxy_state_reset(struct proxy_state *p);

/* Write c->out, then what c->held holds. Returns 1 when everything is
 * written, 0 when the socket is full (the write event resumes), -1 when
 * the client is gone (c is closed). */
int proxy_client_push(struct conn *c);

#endif /* KILN_PROXY_H */
