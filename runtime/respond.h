/*
 * respond.h - the client's side of one response: what waits to be written
 * (c->out first, then what is held), the HTTP/1.1 framing of a proxied
 * body, and kiln's own answers.
 *
 * A proxied body goes straight from the upstream's read buffer into `out`
 * (zero-copy) while the client keeps up. When it falls behind, what waits
 * is copied into `held` (memory up to response_buffer_size, then a
 * temporary file up to response_temp_max: spool.h) and the upstream is
 * read on, so php-fpm's worker is free when the script ends. Past those
 * bounds, or when the script sent "X-Accel-Buffering: no" (server-sent
 * events, long polls), the upstream is read only as fast as the client
 * takes the response (backpressure): a slow client then holds at most one
 * upstream read buffer.
 *
 * Framing (resp_head.h): Content-Length when the whole body is in hand
 * before the first write, else the application's own valid length, else
 * chunked (HTTP/1.1) or until close (HTTP/1.0); no body for HEAD, 204, 304.
 */
#ifndef KILN_RESPOND_H
#define KILN_RESPOND_H

#include <stdint.h>
#include <sys/uio.h>

#include "arena.h"
#include "cgi_response.h"
#include "conn.h"
#include "http_response.h"
#include "outq.h"
#include "resp_head.h"
#include "spool.h"

struct response {
    struct outq out;        /* written first */
    struct spool held;      /* then this */
    uint8_t from_held;      /* `out` holds a window of `held` */
    uint8_t framing;        /* enum resp_framing */
    uint8_t no_absorb;      /* X-Accel-Buffering: no */
    uint8_t started;        /* the head is queued: a failure now cuts */
    uint8_t close;          /* the connection must close after this */
    uint64_t length_left;   /* FRAME_LENGTH: body bytes still owed */
    char chunk_line[24];    /* "<hex>\r\n" of the chunk being queued */
    char date_line[HTTP_DATE_LINE_LEN]; /* of a local answer being written */
};

void response_init(struct response *r, struct spool_pool *pool, const struct kiln_site *s);

/* Between requests: nothing queued, nothing held. */
void response_reset(struct response *r);

/* A response kiln made itself: `head` is the status line and headers but
 * Date and Connection; `body` is left out for HEAD. Connection: close when
 * `close`, keep-alive for an HTTP/1.0 client otherwise. */
void response_local(struct response *r, const char *date_line, const char *head,
                    size_t head_len, const char *body, size_t body_len, int head_only,
                    int close, int http10);

/* The proxied response's head from its CGI head (resp_head.h). Returns 0,
 * or -1 with *why. Sets r->close when the connection must close after. */
int response_head(struct response *r, struct arena *a, const struct cgi_response *cgi,
                  const struct resp_facts *f, const char **why);

/* A batch of the proxied body under the chosen framing (and its last chunk
 * when `ended`). Returns 0, or -1 with *why (more body than its
 * Content-Length, or the temporary file failed). */
int response_body(struct response *r, const struct iovec *spans, unsigned n, size_t bytes,
                  int ended, const char **why);

/* Write what can be written. Returns 1 when everything is written, 0 when
 * the socket is full, -1 when the client is gone (c is closed). */
int response_push(struct response *r, struct conn *c, uint32_t write_timeout_ms);

/* The client is behind (response_push returned 0): copy what `out` holds
 * into `held`, so nothing of it points into the caller's buffers (the
 * upstream's read buffer) any more. `at_end`: the response is complete;
 * its tail is held even under X-Accel-Buffering: no, since that frees the
 * worker and delays nothing. Returns 1 when nothing points into them, 0
 * when it must stay (backpressure), -1 with *why when the temporary file
 * fails (some bytes may have moved: the response is lost). */
int response_hold(struct response *r, int at_end, const char **why);

/* May another batch of body be taken now (no piece of the last one waits
 * in `out`, and `held` has room for a whole batch when holding)? */
int response_can_take(const struct response *r);

/* Is anything left to write? */
static inline int response_pending(const struct response *r)
{
    return !outq_empty(&r->out) || spool_pending(&r->held) > 0;
}

#endif /* KILN_RESPOND_H */
