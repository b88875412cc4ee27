/*
 * exchange.c - one request through FastCGI (see exchange.h).
 *
 * The common case costs two system calls on the upstream side: the whole
 * FastCGI request (BEGIN_REQUEST, params and an empty STDIN) goes out in
 * one write, and the response comes in one read; its body goes to the
 * sink as spans of the read buffer, without a copy.
 */
#include "exchange.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Records are encoded with this id and labelled with the connection's
 * own (upconn.req_id) when they are sent. */
#define REQUEST_ID 1
#define MAX_SPANS 56
#define MAX_CGI_HEADERS 256
#define STDERR_MAX_PER_REQUEST 8192
#define STDERR_MAX_PER_LINE 1024

static const uint8_t empty_params_stdin[16] = {
    FCGI_VERSION_1, FCGI_PARAMS, 0, REQUEST_ID, 0, 0, 0, 0,
    FCGI_VERSION_1, FCGI_STDIN,  0, REQUEST_ID, 0, 0, 0, 0,
};

enum fail_kind {
    FAIL_PROTOCOL, /* the upstream broke FastCGI or CGI rules */
    FAIL_RESET,    /* connection reset or broken pipe */
    FAIL_EOF,      /* closed before END_REQUEST */
    FAIL_TIMEOUT,
    FAIL_STATUS,   /* END_REQUEST with a protocolStatus other than COMPLETE */
    FAIL_STRAY,    /* records of an earlier request before any of this one */
};

static void x_fail(struct exchange *x, enum fail_kind kind, const char *detail);
static void pump_body(struct exchange *x);
static void read_answer(struct exchange *x);
static void on_ready(void *arg, struct upconn *u);
static void on_no_conn(void *arg, unsigned status);
static void on_readable(void *arg);
static void on_writable(void *arg);
static void on_timeout(void *arg);

static const struct pool_wait_ops wait_ops = {on_ready, on_no_conn};
static const struct upconn_ops conn_ops = {on_readable, on_writable, on_timeout};

static uint32_t capped(const struct exchange *x, uint32_t ms)
{
    return ms < x->cap_ms ? ms : x->cap_ms;
}

void exchange_init(struct exchange *x, struct loop *loop, struct pool *pool,
                   const struct kiln_site *site, struct exchange_stats *stats)
{
    memset(x, 0, sizeof *x);
    x->loop = loop;
    x->pool = pool;
    x->site = site;
    x->stats = stats;
    x->cap_ms = UINT32_MAX;
}

void exchange_reset(struct exchange *x)
{
    free(x->hacc);
    x->hacc = NULL;
    x->hacc_len = x->hacc_cap = 0;
    x->state = X_IDLE;
    x->u = NULL;
    x->retried = x->ended = x->head_given = x->head_parsed = 0;
    x->body_in_place = NULL;
    x->body = NULL;
    x->body_len = 0;
    x->cap_ms = UINT32_MAX;
    x->stderr_bytes = 0;
    x->fail_why = NULL;
}

/* ---- the request's records ------------------------------------------------ */

/* Bytes of the whole pairs from params[0..n) that fit in one record.
 * php-fpm decodes each PARAMS record on its own, so a pair must never
 * straddle two. Returns 0 when the first pair alone is too big for a
 * record (php-fpm could never take it). */
static size_t params_record_len(const uint8_t *params, size_t n)
{
    size_t len = 0;

    while (len < n) {
        const uint8_t *name, *value;
        uint32_t nl, vl;
        int k = fcgi_param_decode(params + len, n - len, &name, &nl, &value, &vl);
        if (k <= 0 || len + (size_t)k > FCGI_MAX_CONTENT)
            break;
        len += (size_t)k;
    }
    return len;
}

/* Lay the params out as PARAMS records of at most 65535 bytes each, split
 * between pairs, after a BEGIN_REQUEST, followed by the empty PARAMS record
 * (and the empty STDIN one when there is no body). One record, the usual
 * case, stays in place, its headers written by label_records() for the
 * connection that carries it; more are copied into a second block. */
int exchange_set_params(struct exchange *x, uint8_t *buf, size_t n)
{
    size_t tail = x->body_len == 0 ? 16 : 8;

    if (n <= FCGI_MAX_CONTENT) {
        x->prefix = buf;
        x->prefix_len = (uint32_t)(24 + n + tail);
        x->prefix_single = 1;
        return 0;
    }
    x->prefix_single = 0;
    /* Records hold at least half of their room each: a pair that does not
     * fit in what is left of one is bigger than half a record. */
    size_t nrec = 2 * ((n + FCGI_MAX_CONTENT - 1) / FCGI_MAX_CONTENT) + 1;
    uint8_t *out = arena_alloc(x->arena, 16 + 8 * nrec + n + tail);
    if (out == NULL)
        return -431;
    fcgi_begin_request_encode(out, REQUEST_ID, FCGI_RESPONDER, FCGI_KEEP_CONN);
    size_t o = 16;
    for (size_t done = 0; done < n;) {
        size_t len = params_record_len(buf + 24 + done, n - done);
        if (len == 0) {
            log_info("%s: a request header or path too long for FastCGI (over 64 KiB)",
                     x->who);
            return -431;
        }
        fcgi_header_encode(out + o, FCGI_PARAMS, REQUEST_ID, (uint16_t)len, 0);
        memcpy(out + o + 8, buf + 24 + done, len);
        o += 8 + len;
        done += len;
    }
    memcpy(out + o, empty_params_stdin, tail);
    x->prefix = out;
    x->prefix_len = (uint32_t)(o + tail);
    return 0;
}

/* Label the request's records with the id of the connection's request:
 * one PARAMS record (the usual case) by writing its headers, several by
 * walking them. */
static void label_records(struct exchange *x, uint16_t id)
{
    uint8_t *p = x->prefix;

    if (!x->prefix_single) {
        fcgi_records_set_id(p, x->prefix_len, id);
        return;
    }
    size_t n = x->prefix_len - 24 - (x->body_len == 0 ? 16 : 8);
    fcgi_begin_request_encode(p, id, FCGI_RESPONDER, FCGI_KEEP_CONN);
    fcgi_header_encode(p + 16, FCGI_PARAMS, id, (uint16_t)n, 0);
    fcgi_header_encode(p + 24 + n, FCGI_PARAMS, id, 0, 0);
    if (x->body_len == 0)
        fcgi_header_encode(p + 32 + n, FCGI_STDIN, id, 0, 0);
}

/* ---- sending ---------------------------------------------------------------- */

/* Write what is queued for the upstream. Returns 1 when all is written, 0
 * when the socket is full (the write edge resumes), -1 when the request
 * failed (handled) or the upstream refused the rest of the body. */
static int up_flush(struct exchange *x)
{
    struct upconn *u = x->u;
    size_t pending = x->out.bytes;
    int r = outq_write(&x->out, u->fd);

    if (x->out.bytes < pending)
        x->req_written = 1;
    if (r == 1) {
        u->want_write = 0;
        x->stdin_hdrs_used = 0; /* the queued STDIN headers are written */
        if (x->stdin_done)
            upconn_deadline(u, capped(x, x->site->read_timeout_ms));
        else
            upconn_no_deadline(u);
        return 1;
    }
    if (r == 0) {
        u->want_write = 1;
        upconn_deadline(u, capped(x, x->site->write_timeout_ms));
        return 0;
    }
    int err = errno;
    if ((err == EPIPE || err == ECONNRESET) && upconn_has_input(u)) {
        /* The upstream answered without reading the whole body and hung
         * up (unlike php-fpm, some FastCGI servers do): its answer is in
         * the socket and decides how the request ends. */
        u->want_write = 0;
        x->body_refused = 1;
        upconn_deadline(u, capped(x, x->site->read_timeout_ms));
        return -1;
    }
    x_fail(x, (err == EPIPE || err == ECONNRESET) ? FAIL_RESET : FAIL_PROTOCOL, strerror(err));
    return -1;
}

/* Is a queued record still pointing into the body's stage buffer? Memory
 * records end at the spool's mem_end, so once body_sent has passed it a
 * file record went through the stage, and it stays there until the queue
 * is written. */
static int stage_busy(const struct exchange *x)
{
    return x->body_sent > x->body->data.mem_end && !outq_empty(&x->out);
}

/* Queue STDIN records for the body, in place or collected, as far as the
 * queue has room. File-held bytes come through one stage buffer, so at
 * most one such record is queued until the queue is written: reading the
 * next would overwrite bytes still waiting for the socket. Returns -1 when
 * the collected body cannot be read. */
static int queue_body_records(struct exchange *x)
{
    uint32_t i = x->stdin_hdrs_used;

    while (x->body_sent < x->body_len && outq_space(&x->out) >= 3 && i < EXCHANGE_STDIN_HDRS) {
        const uint8_t *data;
        long n;
        if (x->body_in_place != NULL) {
            uint64_t left = x->body_len - x->body_sent;
            n = (long)(left < FCGI_MAX_CONTENT ? left : FCGI_MAX_CONTENT);
            data = x->body_in_place + x->body_sent;
        } else {
            if (stage_busy(x))
                break;
            n = body_spool_get(x->body, x->body_sent, FCGI_MAX_CONTENT, &data);
            if (n <= 0) {
                log_err("%s: cannot read back a collected request body", x->who);
                return -1;
            }
        }
        fcgi_header_encode(x->stdin_hdr[i], FCGI_STDIN, x->u->req_id, (uint16_t)n, 0);
        outq_push(&x->out, x->stdin_hdr[i], 8);
        outq_push(&x->out, data, (size_t)n);
        i++;
        x->body_sent += (uint64_t)n;
    }
    x->stdin_hdrs_used = i;
    return 0;
}

/* Queue what the upstream can have of the body now, and the empty STDIN
 * record after its last byte. Returns -1 when the request failed. */
static int queue_stdin(struct exchange *x)
{
    if (x->stdin_done)
        return 0;
    if (queue_body_records(x) != 0) {
        x_fail(x, FAIL_PROTOCOL, "request body unreadable");
        return -1;
    }
    if (x->body_sent == x->body_len && outq_space(&x->out) >= 1) {
        fcgi_header_encode(x->stdin_end, FCGI_STDIN, x->u->req_id, 0, 0);
        outq_push(&x->out, x->stdin_end, 8);
        x->stdin_done = 1;
    }
    return 0;
}

/* Send the request as fast as the upstream takes it: the params and a
 * small body go in one write, so php-fpm wakes once. */
static void pump_body(struct exchange *x)
{
    /* After END_REQUEST, or a hang-up after the answer began, the upstream
     * wants no more of the body: sending more could only fail, and failing
     * would cut a response that is complete. The connection is not pooled
     * again (release). */
    if (x->ended || x->body_refused)
        return;
    for (;;) {
        if (queue_stdin(x) != 0 || outq_empty(&x->out))
            return;
        if (up_flush(x) != 1)
            return;
    }
}

/* u is connected and ours: send the request. */
static void on_ready(void *arg, struct upconn *u)
{
    struct exchange *x = arg;

    x->u = u;
    x->state = X_ACTIVE;
    upconn_lend(u, &conn_ops, x);
    outq_init(&x->out);
    x->stdin_hdrs_used = 0;
    x->body_refused = 0;
    x->req_written = 0;
    x->stdin_done = x->body_len == 0; /* the prefix ends with the empty STDIN */
    x->body_sent = 0;
    x->rlen = x->roff = 0;
    x->ended = 0;
    u->req_id = (uint16_t)(u->req_id == UINT16_MAX ? 1 : u->req_id + 1);
    label_records(x, u->req_id);
    fcgi_reader_init(&x->reader, u->req_id);
    outq_push(&x->out, x->prefix, x->prefix_len);
    pump_body(x);
}

static void on_no_conn(void *arg, unsigned status)
{
    struct exchange *x = arg;

    x->state = X_OVER;
    x->u = NULL;
    x->sink->failed(x->sink_arg, status, NULL);
}

void exchange_start(struct exchange *x)
{
    pool_wait_init(&x->wait, &wait_ops, x);
    x->wait.once = !x->idempotent;
    x->wait.cap_ms = x->cap_ms;
    x->state = X_WAITING;
    pool_acquire(x->pool, &x->wait);
}

static void on_writable(void *arg)
{
    pump_body(arg);
}

/* ---- the answer's head ------------------------------------------------------ */

static int head_parse(struct exchange *x, const uint8_t *buf, size_t len)
{
    const char *why = NULL;

    x->cgi.headers = arena_alloc(x->arena, MAX_CGI_HEADERS * sizeof(struct cgi_header));
    if (x->cgi.headers == NULL) {
        x->fail_why = "CGI header block over the request's memory bound";
        return -1;
    }
    if (cgi_parse_headers(buf, len, &x->cgi, MAX_CGI_HEADERS, &why) != 0) {
        x->fail_why = why ? why : "malformed CGI header block";
        return -1;
    }
    x->head_parsed = 1;
    return 0;
}

/* Collect a head that spans records (rare, bounded). */
static int head_collect(struct exchange *x, const uint8_t *data, size_t len)
{
    uint32_t max = x->site->max_response_header_size;

    if ((size_t)x->hacc_len + len > x->hacc_cap) {
        size_t cap = x->hacc_cap ? x->hacc_cap : 4096;
        while (cap < (size_t)x->hacc_len + len)
            cap *= 2;
        if (cap > (size_t)max + FCGI_MAX_CONTENT)
            cap = (size_t)max + FCGI_MAX_CONTENT;
        if ((size_t)x->hacc_len + len > cap) {
            x->fail_why = "CGI header block over max_response_header_size";
            return -1;
        }
        uint8_t *p = realloc(x->hacc, cap);
        if (p == NULL) {
            x->fail_why = "out of memory for the CGI header block";
            return -1;
        }
        x->hacc = p;
        x->hacc_cap = (uint32_t)cap;
    }
    memcpy(x->hacc + x->hacc_len, data, len);
    x->hacc_len += (uint32_t)len;
    return 0;
}

/*
 * Feed STDOUT bytes while the CGI head is incomplete. On success the bytes
 * after the head, if any, are returned in *rest (a part of `data`, or of the
 * collected head buffer). Returns 0 (head parsed or more needed) or -1.
 */
static int head_feed(struct exchange *x, const uint8_t *data, size_t len, const uint8_t **rest,
                     size_t *rest_len)
{
    uint32_t max = x->site->max_response_header_size;
    size_t end;

    *rest_len = 0;
    if (x->hacc_len == 0 && (end = cgi_header_end(data, len)) > 0) {
        if (end > max) {
            x->fail_why = "CGI header block over max_response_header_size";
            return -1;
        }
        *rest = data + end;
        *rest_len = len - end;
        return head_parse(x, data, end);
    }
    size_t from = x->hacc_len;
    if (head_collect(x, data, len) != 0)
        return -1;
    end = cgi_header_end_from(x->hacc, x->hacc_len, from);
    if (end == 0 ? x->hacc_len > max : end > max) {
        x->fail_why = "CGI header block over max_response_header_size";
        return -1;
    }
    if (end == 0)
        return 0;
    *rest = x->hacc + end;
    *rest_len = x->hacc_len - end;
    return head_parse(x, x->hacc, end);
}

static void log_stderr(struct exchange *x, const uint8_t *d, size_t n)
{
    char esc[4 * STDERR_MAX_PER_LINE + 8];

    if (x->stderr_bytes >= STDERR_MAX_PER_REQUEST)
        return;
    size_t take = n;
    if (take > STDERR_MAX_PER_LINE)
        take = STDERR_MAX_PER_LINE;
    if (take > STDERR_MAX_PER_REQUEST - x->stderr_bytes)
        take = STDERR_MAX_PER_REQUEST - x->stderr_bytes;
    while (take > 0 && (d[take - 1] == '\n' || d[take - 1] == '\r'))
        take--;
    x->stderr_bytes += (uint32_t)n;
    log_escape(esc, sizeof esc, d, take);
    log_warn("upstream stderr [%s %.*s]: %s%s", x->who, (int)x->script_len, x->script, esc,
             take < n && n - take > 2 ? " [truncated]" : "");
}

/* ---- the answer's body -------------------------------------------------------- */

struct spans {
    struct iovec v[MAX_SPANS];
    unsigned n;
    size_t bytes;
};

static void spans_add(struct spans *sp, const uint8_t *d, size_t n)
{
    if (n == 0)
        return;
    sp->v[sp->n].iov_base = (void *)(uintptr_t)d;
    sp->v[sp->n].iov_len = n;
    sp->n++;
    sp->bytes += n;
}

/* One record event of the batch. Returns 0, or -1 when the request failed
 * (handled). */
static int take_event(struct exchange *x, enum fcgi_event ev, const uint8_t *data, size_t dlen,
                      struct spans *sp)
{
    switch (ev) {
    case FCGI_EV_NEED_MORE:
        return 0;
    case FCGI_EV_STDOUT:
        if (dlen == 0)
            return 0;
        if (x->head_parsed) {
            spans_add(sp, data, dlen);
            return 0;
        }
        const uint8_t *rest;
        size_t rest_len;
        if (head_feed(x, data, dlen, &rest, &rest_len) != 0) {
            x_fail(x, FAIL_PROTOCOL, x->fail_why);
            return -1;
        }
        if (x->head_parsed)
            spans_add(sp, rest, rest_len);
        return 0;
    case FCGI_EV_STDERR:
        log_stderr(x, data, dlen);
        return 0;
    case FCGI_EV_END:
        x->ended = 1;
        if (x->reader.protocol_status != FCGI_REQUEST_COMPLETE) {
            x_fail(x, FAIL_STATUS, "END_REQUEST protocolStatus is not COMPLETE");
            return -1;
        }
        return 0;
    case FCGI_EV_ERROR:
    default:
        x_fail(x, x->reader.foreign && !x->reader.answered ? FAIL_STRAY : FAIL_PROTOCOL,
               x->reader.error);
        return -1;
    }
}

/*
 * Walk the records in the read buffer and hand the sink what they carry:
 * the head once it is complete, then the body spans of this batch. Stops
 * at END_REQUEST, at the end of the buffer, or when the spans are full.
 * Returns 1 (the sink takes more), 0 (the sink holds us back), -1 (the
 * request failed or was aborted: handled).
 */
static int process_batch(struct exchange *x)
{
    struct upconn *u = x->u;
    struct spans sp; /* only n entries are ever read: no zeroing */
    const char *why = NULL;

    sp.n = 0;
    sp.bytes = 0;
    while (x->roff < x->rlen && sp.n < MAX_SPANS - 1 && !x->ended) {
        size_t used, dlen;
        const uint8_t *data;
        enum fcgi_event ev = fcgi_reader_next(&x->reader, u->rbuf + x->roff, x->rlen - x->roff,
                                              &used, &data, &dlen);
        x->roff += (uint32_t)used;
        if (take_event(x, ev, data, dlen, &sp) != 0)
            return -1;
    }
    if (!x->head_parsed) {
        if (x->ended) {
            x_fail(x, FAIL_PROTOCOL, "no CGI header block before END_REQUEST");
            return -1;
        }
        return 1;
    }
    if (!x->head_given) {
        long long all = x->ended && x->roff == x->rlen ? (long long)sp.bytes : -1;
        if (x->sink->head(x->sink_arg, &x->cgi, all, &why) != 0) {
            x_fail(x, FAIL_PROTOCOL, why);
            return -1;
        }
        x->head_given = 1;
    }
    int r = x->sink->body(x->sink_arg, sp.v, sp.n, sp.bytes, x->ended, &why);
    if (x->state == X_OVER)
        return -1; /* aborted from the sink */
    if (r < 0) {
        x_fail(x, FAIL_PROTOCOL, why);
        return -1;
    }
    return r;
}

/* The answer is complete and the sink points into nothing of ours: the
 * connection goes back, clean if nothing of the request or answer is left
 * on it. */
static void finish(struct exchange *x)
{
    struct upconn *u = x->u;
    int clean = x->stdin_done && outq_empty(&x->out) && x->roff == x->rlen;

    x->u = NULL;
    x->state = X_OVER;
    pool_release(u, clean);
    x->sink->done(x->sink_arg);
}

/* Read from the upstream while the sink takes what comes. */
static void read_answer(struct exchange *x)
{
    struct upconn *u = x->u;
    int looked = 0;

    while (x->state == X_ACTIVE) {
        if (x->roff == x->rlen) {
            /* A short read usually means the socket is drained, but a
             * hang-up that came in with the data raises no further edge:
             * look once more before waiting, or a cut response would wait
             * for read_timeout instead of failing at once. Free when the
             * response is complete (END_REQUEST ends the loop). */
            if (!u->readable) {
                if (looked) {
                    upconn_deadline(u, capped(x, x->site->read_timeout_ms));
                    return;
                }
                looked = 1;
            }
            ssize_t n;
            do {
                n = recv(u->fd, u->rbuf, UPCONN_RBUF_SIZE, 0);
            } while (n < 0 && errno == EINTR);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                int err = n < 0 ? errno : 0;
                u->readable = 0;
                x_fail(x, n == 0 ? FAIL_EOF : (err == ECONNRESET ? FAIL_RESET : FAIL_PROTOCOL),
                       n == 0 ? "closed before END_REQUEST" : strerror(err));
                return;
            }
            if (n < 0) {
                u->readable = 0;
                looked = 1;
                continue;
            }
            u->readable = n == UPCONN_RBUF_SIZE;
            x->rlen = (uint32_t)n;
            x->roff = 0;
        }
        int more = process_batch(x);
        if (more < 0)
            return;
        if (x->ended) {
            /* Only the sink's deadlines apply while its client drains. */
            upconn_no_deadline(u);
            if (more)
                finish(x);
            else
                x->state = X_DRAINING;
            return;
        }
        if (!more) {
            /* The client is behind and nothing more can be held: wait for
             * it; its write deadline applies, not the upstream's. */
            x->state = X_HELD;
            upconn_no_deadline(u);
            return;
        }
    }
}

static void on_readable(void *arg)
{
    read_answer(arg);
}

void exchange_resume(struct exchange *x)
{
    if (x->state == X_DRAINING) {
        finish(x);
    } else if (x->state == X_HELD) {
        x->state = X_ACTIVE;
        read_answer(x);
    }
}

void exchange_abort(struct exchange *x)
{
    if (x->state == X_WAITING)
        pool_cancel(&x->wait);
    if (x->u != NULL)
        pool_discard(x->u);
    x->u = NULL;
    x->state = X_OVER;
}

/* ---- failures ------------------------------------------------------------- */

static int can_retry(const struct exchange *x, enum fail_kind kind)
{
    /* Nothing of this request's answer came back (strays of the last one
     * do not count). */
    if (!x->u->reused || x->reader.answered || x->retried)
        return 0;
    if (x->idempotent)
        return kind == FAIL_RESET || kind == FAIL_EOF || kind == FAIL_STRAY;
    /* A request that must not run twice is sent again only when no byte of
     * it ever left: a reset after some did could come from a worker that
     * read it, ran it and died with the rest of the body unread. */
    return kind == FAIL_RESET && !x->req_written;
}

static void x_fail(struct exchange *x, enum fail_kind kind, const char *detail)
{
    struct upconn *u = x->u;
    const char *addr = u->pool->addrs->a[u->addr_index].text;

    if (u->reused && !x->reader.answered && (kind == FAIL_RESET || kind == FAIL_EOF))
        pool_fpm_closed(u->pool);
    if (kind == FAIL_STRAY)
        log_warn("upstream %s: sent records for an earlier request after its END_REQUEST; "
                 "connection closed [%s %.*s]",
                 addr, x->who, (int)x->script_len, x->script);
    if (can_retry(x, kind)) {
        /* Routine when php-fpm recycles workers (pm.max_requests): not
         * logged, counted (reported at exit). The body is held in full: it
         * is sent again from its start. */
        x->retried = 1;
        x->stats->retries++;
        x->state = X_WAITING;
        x->u = NULL;
        pool_redial(u, &x->wait);
        return;
    }
    log_err("upstream %s: %s [%s %.*s]", addr, detail, x->who, (int)x->script_len, x->script);
    x->u = NULL;
    x->state = X_OVER;
    pool_discard(u);
    x->sink->failed(x->sink_arg, x->head_given ? 0 : kind == FAIL_TIMEOUT ? 504 : 502, detail);
}

static void on_timeout(void *arg)
{
    struct exchange *x = arg;
    x_fail(x, FAIL_TIMEOUT,
           x->u->want_write ? "not reading the request within write_timeout"
                            : "no response within read_timeout");
}
