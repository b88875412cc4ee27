/*
 * respond.c - see respond.h.
 */
#include "respond.h"

#include <string.h>

#include "log.h"

/* Bytes of one batch the output can grow by: a read buffer of STDOUT
 * content (pool.h UPCONN_RBUF_SIZE), its chunk framing and the last chunk. */
#define BATCH_MAX_OUT (64 * 1024 + 64)
/* What one write to the client takes from `held` at most. */
#define HELD_WINDOW (256 * 1024)

void response_init(struct response *r, struct spool_pool *pool, const struct kiln_site *s)
{
    outq_init(&r->out);
    spool_init(&r->held, pool, s->response_buffer_size, s->response_temp_max);
    r->from_held = r->framing = r->no_absorb = r->started = r->close = 0;
    r->length_left = 0;
}

void response_reset(struct response *r)
{
    outq_init(&r->out);
    spool_reset(&r->held);
    r->from_held = r->framing = r->no_absorb = r->started = r->close = 0;
    r->length_left = 0;
}

void response_local(struct response *r, const char *date_line, const char *head,
                    size_t head_len, const char *body, size_t body_len, int head_only,
                    int close, int http10)
{
    static const char close_line[] = "Connection: close\r\n\r\n";
    static const char keep_line[] = "Connection: keep-alive\r\n\r\n";

    /* A copy: the thread rewrites its Date line every second, and a write
     * that stops half-way would otherwise finish with the next second. */
    memcpy(r->date_line, date_line, HTTP_DATE_LINE_LEN);
    outq_push(&r->out, head, head_len);
    outq_push(&r->out, r->date_line, HTTP_DATE_LINE_LEN);
    if (close)
        outq_push(&r->out, close_line, sizeof close_line - 1);
    else if (http10)
        outq_push(&r->out, keep_line, sizeof keep_line - 1);
    else
        outq_push(&r->out, "\r\n", 2);
    if (!head_only)
        outq_push(&r->out, body, body_len);
    r->started = 1;
    r->close = (uint8_t)close;
}

int response_head(struct response *r, struct arena *a, const struct cgi_response *cgi,
                  const struct resp_facts *f, const char **why)
{
    struct resp_head h;
    char *head = arena_alloc(a, resp_head_size(cgi, f));

    if (head == NULL) {
        *why = "response head over the request's memory bound";
        return -1;
    }
    if (resp_head_build(cgi, f, head, &h) != 0) {
        *why = h.why;
        return -1;
    }
    r->framing = h.framing;
    r->length_left = h.length;
    r->no_absorb = h.no_buffering;
    r->close = h.close;
    /* The head is the first byte out: nothing is held before it. */
    outq_push(&r->out, head, h.len);
    r->started = 1;
    return 0;
}

/* ---- the body --------------------------------------------------------------- */

/* Does output go to `held` (the client fell behind), not straight into
 * `out`? */
static int holding(const struct response *r)
{
    return r->from_held || spool_pending(&r->held) > 0;
}

/* Append body bytes: into `out` while nothing is held (zero-copy: they stay
 * where they are until written), else behind what `held` holds (room was
 * checked before the batch was read: response_can_take). */
static int emit(struct response *r, const void *p, size_t n, const char **why)
{
    if (!holding(r)) {
        outq_push(&r->out, p, n);
        return 0;
    }
    if (spool_append(&r->held, p, n) != 0) {
        *why = "cannot hold the response for a slow client";
        return -1;
    }
    return 0;
}

int response_body(struct response *r, const struct iovec *spans, unsigned n, size_t bytes,
                  int ended, const char **why)
{
    if (r->framing != FRAME_NONE && bytes > 0) {
        if (r->framing == FRAME_LENGTH) {
            if (bytes > r->length_left) {
                *why = "response body longer than its Content-Length";
                return -1;
            }
            r->length_left -= bytes;
        }
        if (r->framing == FRAME_CHUNKED) {
            static const char hex[] = "0123456789abcdef";
            char *end = r->chunk_line + sizeof r->chunk_line, *q = end - 2;
            size_t v = bytes;
            end[-2] = '\r';
            end[-1] = '\n';
            do {
                *--q = hex[v & 15];
                v >>= 4;
            } while (v != 0);
            if (emit(r, q, (size_t)(end - q), why) != 0)
                return -1;
        }
        for (unsigned i = 0; i < n; i++)
            if (emit(r, spans[i].iov_base, spans[i].iov_len, why) != 0)
                return -1;
        if (r->framing == FRAME_CHUNKED && emit(r, "\r\n", 2, why) != 0)
            return -1;
    }
    if (ended && r->framing == FRAME_CHUNKED)
        return emit(r, "0\r\n\r\n", 5, why);
    return 0;
}

int response_hold(struct response *r, int at_end, const char **why)
{
    struct outq *q = &r->out;

    if (r->from_held || outq_empty(q))
        return 1;
    if ((r->no_absorb && !at_end) || spool_room(&r->held) < q->bytes)
        return 0;
    for (uint32_t i = q->head; i < q->tail; i++) {
        if (spool_append(&r->held, q->iov[i].iov_base, q->iov[i].iov_len) != 0) {
            *why = "cannot hold the response for a slow client";
            return -1;
        }
    }
    outq_init(q);
    return 1;
}

int response_can_take(const struct response *r)
{
    if (!holding(r))
        return outq_empty(&r->out);
    return spool_room(&r->held) >= BATCH_MAX_OUT;
}

int response_push(struct response *r, struct conn *c, uint32_t write_timeout_ms)
{
    for (;;) {
        if (!outq_empty(&r->out)) {
            size_t before = r->out.bytes;
            int w = conn_write(c, &r->out, write_timeout_ms);
            if (w < 0)
                return -1;
            if (r->from_held)
                spool_drop(&r->held, r->held.start + (before - r->out.bytes));
            if (w == 0)
                return 0;
            r->from_held = 0;
        }
        if (spool_pending(&r->held) == 0)
            return 1;
        long n = spool_peek(&r->held, &r->out, HELD_WINDOW);
        if (n <= 0) {
            log_err("%s: cannot read back a held response", c->remote_addr);
            conn_close(c);
            return -1;
        }
        r->from_held = 1;
    }
}
