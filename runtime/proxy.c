/*
 * proxy.c - one request through FastCGI (see proxy.h).
 *
 * The common case costs four system calls besides epoll_wait: the client's
 * request is read once, the whole FastCGI request (BEGIN_REQUEST, params and
 * an empty STDIN) goes out in one write, the response comes in one read, and
 * the client gets head and body in one writev straight from the upstream's
 * read buffer.
 */
#include "proxy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi_params.h"
#include "cgi_response.h"
#include "conn.h"
#include "fcgi_codec.h"
#include "health.h"
#include "http_parse.h"
#include "log.h"
#include "resp_head.h"
#include "upstream.h"

/* Records are encoded with this id and relabelled with the connection's
 * own (upstream.req_id) when they are sent. */
#define REQUEST_ID 1
#define MAX_SPANS (OUTQ_MAX - 6)     /* room for head, chunk framing, end */
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

static void proxy_fail(struct conn *c, struct upstream *u, enum fail_kind kind,
                       const char *detail);
static void proxy_pump_body(struct conn *c, struct upstream *u);

void proxy_state_reset(struct proxy_state *p)
{
    free(p->hacc);
    memset(p, 0, sizeof *p);
}

/* ---- request ------------------------------------------------------------- */

/* An upper bound of the encoded params of this request. */
static size_t params_bound(const struct conn *c, const struct script_result *sr)
{
    const struct kiln_site *s = c->w->site;
    const struct http_request *r = &c->req;

    return s->fcgi_static_params.len + 2 * (size_t)r->head_len + 16 * (size_t)r->n_headers +
           4 * (size_t)r->target_len + 2 * (size_t)s->document_root.len +
           2 * ((size_t)sr->canonical_len + s->index.len) + 1024;
}

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
static int lay_out_records(struct conn *c, uint8_t *buf, size_t n)
{
    struct proxy_state *px = &c->px;
    size_t tail = c->body_len == 0 ? 16 : 8;

    if (n <= FCGI_MAX_CONTENT) {
        px->fcgi_prefix = buf;
        px->fcgi_prefix_len = (uint32_t)(24 + n + tail);
        px->prefix_single = 1;
        return 0;
    }
    px->prefix_single = 0;
    /* Records hold at least half of their room each: a pair that does not
     * fit in what is left of one is bigger than half a record. */
    size_t nrec = 2 * ((n + FCGI_MAX_CONTENT - 1) / FCGI_MAX_CONTENT) + 1;
    uint8_t *out = arena_alloc(&c->arena, 16 + 8 * nrec + n + tail);
    if (out == NULL)
        return -431;
    fcgi_begin_request_encode(out, REQUEST_ID, FCGI_RESPONDER, FCGI_KEEP_CONN);
    size_t o = 16;
    for (size_t done = 0; done < n;) {
        size_t len = params_record_len(buf + 24 + done, n - done);
        if (len == 0) {
            log_info("%s: a request header or path too long for FastCGI (over 64 KiB)",
                     c->remote_addr);
            return -431;
        }
        fcgi_header_encode(out + o, FCGI_PARAMS, REQUEST_ID, (uint16_t)len, 0);
        memcpy(out + o + 8, buf + 24 + done, len);
        o += 8 + len;
        done += len;
    }
    memcpy(out + o, empty_params_stdin, tail);
    px->fcgi_prefix = out;
    px->fcgi_prefix_len = (uint32_t)(o + tail);
    return 0;
}

/* Label the request's records with the id of the connection's request:
 * one PARAMS record (the usual case) by writing its headers, several by
 * walking them. */
static void label_records(struct conn *c, uint16_t id)
{
    struct proxy_state *px = &c->px;
    uint8_t *p = px->fcgi_prefix;

    if (!px->prefix_single) {
        fcgi_records_set_id(p, px->fcgi_prefix_len, id);
        return;
    }
    size_t n = px->fcgi_prefix_len - 24 - (c->body_len == 0 ? 16 : 8);
    fcgi_begin_request_encode(p, id, FCGI_RESPONDER, FCGI_KEEP_CONN);
    fcgi_header_encode(p + 16, FCGI_PARAMS, id, (uint16_t)n, 0);
    fcgi_header_encode(p + 24 + n, FCGI_PARAMS, id, 0, 0);
    if (c->body_len == 0)
        fcgi_header_encode(p + 32 + n, FCGI_STDIN, id, 0, 0);
}

int proxy_prepare(struct conn *c, const struct script_result *sr, int length_later)
{
    const struct kiln_site *site = c->w->site;
    struct cgi_conn_info ci = {
        .remote_addr = c->remote_addr,
        .remote_port = c->remote_port,
        .server_addr = c->server_addr,
        .remote_addr_len = (uint8_t)strlen(c->remote_addr),
        .remote_port_len = (uint8_t)strlen(c->remote_port),
        .server_addr_len = (uint8_t)strlen(c->server_addr),
        .tls = 0,
    };
    size_t bound = params_bound(c, sr);
    /* Room for the record header before, CONTENT_LENGTH and the closing
     * records after (lay_out_records builds the usual one record in place). */
    uint8_t *buf = arena_alloc(&c->arena, 24 + bound + CGI_LENGTH_PAIR_MAX + 16);

    if (buf == NULL)
        return -431;
    size_t n = cgi_params_build(buf + 24, bound, site, &c->req, sr, &ci,
                                length_later ? CGI_LENGTH_LATER : c->body_len);
    if (n == 0)
        return -431;
    c->idempotent = c->req.method_id == HTTP_M_GET || c->req.method_id == HTTP_M_HEAD ||
                    c->req.method_id == HTTP_M_OPTIONS || c->req.method_id == HTTP_M_PUT ||
                    c->req.method_id == HTTP_M_DELETE;
    c->px.params = buf;
    c->px.params_len = (uint32_t)n;
    c->px.length_later = (uint8_t)length_later;
    return 0;
}

int proxy_seal(struct conn *c)
{
    struct proxy_state *px = &c->px;
    size_t n = px->params_len;

    if (px->length_later)
        n += cgi_params_content_length(px->params + 24 + n, CGI_LENGTH_PAIR_MAX, c->body_len);
    return lay_out_records(c, px->params, n);
}

/* Write what is queued for the upstream. Returns 1 when all is written, 0
 * when the socket is full (the write edge resumes), -1 when the request
 * failed (handled). */
static int up_flush(struct conn *c, struct upstream *u)
{
    size_t pending = u->out.bytes;
    int r = outq_write(&u->out, u->fd);

    if (u->out.bytes < pending)
        u->req_written = 1;

    if (r == 1) {
        u->want_write = 0;
        u->stdin_hdrs_used = 0; /* the queued STDIN headers are written */
        if (u->stdin_done)
            deadline_set(&u->timer, upstream_wait_ms(u, u->w->site->read_timeout_ms));
        else
            deadline_clear(&u->timer);
        return 1;
    }
    if (r == 0) {
        u->want_write = 1;
        deadline_set(&u->timer, upstream_wait_ms(u, u->w->site->write_timeout_ms));
        return 0;
    }
    int err = errno;
    if ((err == EPIPE || err == ECONNRESET) && upstream_has_input(u)) {
        /* The upstream answered without reading the whole body and hung
         * up (unlike php-fpm, some FastCGI servers do): its answer is in
         * the socket and decides how the request ends. */
        u->want_write = 0;
        u->body_refused = 1;
        deadline_set(&u->timer, upstream_wait_ms(u, u->w->site->read_timeout_ms));
        return -1;
    }
    proxy_fail(c, u, (err == EPIPE || err == ECONNRESET) ? FAIL_RESET : FAIL_PROTOCOL,
               strerror(err));
    return -1;
}

/* Is a queued record still pointing into the body's stage buffer? Memory
 * records end at the spool's mem_end, so once body_sent has passed it a
 * file record went through the stage, and it stays there until the queue
 * is written. */
static int stage_busy(const struct conn *c, const struct upstream *u)
{
    return u->body_sent > c->body.data.mem_end && !outq_empty(&u->out);
}

/* Queue STDIN records for the body, in place in the input buffer or
 * collected in c->body, as far as the queue has room. File-held bytes come
 * through one stage buffer, so at most one such record is queued until the
 * queue is written: reading the next would overwrite bytes still waiting
 * for the socket. Returns -1 when the collected body cannot be read. */
static int queue_body_records(struct conn *c, struct upstream *u)
{
    const uint8_t *in_place = conn_body_in_place(c);
    uint32_t i = u->stdin_hdrs_used;

    while (u->body_sent < c->body_len && outq_space(&u->out) >= 3 && i < UPSTREAM_STDIN_HDRS) {
        const uint8_t *data;
        long n;
        if (in_place != NULL) {
            uint64_t left = c->body_len - u->body_sent;
            n = (long)(left < FCGI_MAX_CONTENT ? left : FCGI_MAX_CONTENT);
            data = in_place + u->body_sent;
        } else {
            if (stage_busy(c, u))
                break;
            n = body_spool_get(&c->body, u->body_sent, FCGI_MAX_CONTENT, &data);
            if (n <= 0) {
                log_err("%s: cannot read back a collected request body", c->remote_addr);
                return -1;
            }
        }
        fcgi_header_encode(u->stdin_hdr[i], FCGI_STDIN, u->req_id, (uint16_t)n, 0);
        outq_push(&u->out, u->stdin_hdr[i], 8);
        outq_push(&u->out, data, (size_t)n);
        i++;
        u->body_sent += (uint64_t)n;
    }
    u->stdin_hdrs_used = i;
    return 0;
}

/* Queue what the upstream can have of the body now, and the empty STDIN
 * record after its last byte. Returns -1 when the request failed. */
static int queue_stdin(struct conn *c, struct upstream *u)
{
    if (u->stdin_done)
        return 0;
    if (queue_body_records(c, u) != 0) {
        proxy_fail(c, u, FAIL_PROTOCOL, "request body unreadable");
        return -1;
    }
    if (u->body_sent == c->body_len && outq_space(&u->out) >= 1) {
        fcgi_header_encode(u->stdin_end, FCGI_STDIN, u->req_id, 0, 0);
        outq_push(&u->out, u->stdin_end, 8);
        u->stdin_done = 1;
    }
    return 0;
}

/* Send the request (its body is complete) as fast as the upstream takes
 * it: the params and a small body go in one write, so php-fpm wakes once. */
static void proxy_pump_body(struct conn *c, struct upstream *u)
{
    /* After END_REQUEST, or a hang-up after the answer began, the upstream
     * wants no more of the body: sending more could only fail, and failing
     * would cut a response that is complete. The connection is not pooled
     * again (proxy_complete). */
    if (u->ended || u->body_refused)
        return;
    for (;;) {
        if (queue_stdin(c, u) != 0 || outq_empty(&u->out))
            return;
        if (up_flush(c, u) != 1)
            return;
    }
}

void proxy_start(struct conn *c, struct upstream *u)
{
    struct proxy_state *px = &c->px;

    c->up = u;
    u->client = c;
    c->state = CONN_PROXY;
    if (u->reused && !c->idempotent && !upstream_peer_open(u)) {
        upstream_fpm_closed(c->w);
        /* A pooled connection php-fpm has already closed. An idempotent
         * request finds out by sending and is retried (proxy_fail); this
         * one would not be, so check first: nothing is sent yet, and a
         * fresh connection is always safe. */
        upstream_redial(u);
        return;
    }
    outq_init(&u->out);
    u->stdin_hdrs_used = 0;
    u->body_refused = 0;
    u->req_written = 0;
    u->stdin_done = c->body_len == 0; /* the prefix ends with the empty STDIN */
    u->body_sent = 0;
    u->rlen = u->roff = 0;
    u->got_bytes = 0;
    u->ended = 0;
    u->req_id = (uint16_t)(u->req_id == UINT16_MAX ? 1 : u->req_id + 1);
    label_records(c, u->req_id);
    fcgi_reader_init(&u->reader, u->req_id);
    outq_push(&u->out, px->fcgi_prefix, px->fcgi_prefix_len);
    proxy_pump_body(c, u);
}

void proxy_upstream_writable(struct upstream *u)
{
    proxy_pump_body(u->client, u);
}

/* ---- response head ------------------------------------------------------- */

static int head_parse(struct conn *c, const uint8_t *buf, size_t len)
{
    struct proxy_state *px = &c->px;
    const char *why = NULL;

    px->cgi.headers = arena_alloc(&c->arena, MAX_CGI_HEADERS * sizeof(struct cgi_header));
    if (px->cgi.headers == NULL)
        return -1;
    if (cgi_parse_headers(buf, len, &px->cgi, MAX_CGI_HEADERS, &why) != 0) {
        px->fail_why = why ? why : "malformed CGI header block";
        return -1;
    }
    px->head_parsed = 1;
    return 0;
}

/*
 * Feed STDOUT bytes while the CGI head is incomplete. On success the bytes
 * after the head, if any, are returned in *rest (a part of `data`, or of the
 * collected head buffer). Returns 0 (head parsed or more needed) or -1.
 */
static int head_feed(struct conn *c, const uint8_t *data, size_t len, const uint8_t **rest,
                     size_t *rest_len)
{
    struct proxy_state *px = &c->px;
    uint32_t max = c->w->site->max_response_header_size;

    *rest_len = 0;
    if (px->hacc_len == 0) {
        size_t end = cgi_header_end(data, len);
        if (end > 0) {
            if (end > max) {
                px->fail_why = "CGI header block over max_response_header_size";
                return -1;
            }
            *rest = data + end;
            *rest_len = len - end;
            return head_parse(c, data, end);
        }
    }
    /* The head spans records: collect it (rare, bounded). */
    size_t from = px->hacc_len;
    if ((size_t)px->hacc_len + len > px->hacc_cap) {
        size_t cap = px->hacc_cap ? px->hacc_cap : 4096;
        while (cap < (size_t)px->hacc_len + len)
            cap *= 2;
        if (cap > (size_t)max + FCGI_MAX_CONTENT)
            cap = (size_t)max + FCGI_MAX_CONTENT;
        if ((size_t)px->hacc_len + len > cap) {
            px->fail_why = "CGI header block over max_response_header_size";
            return -1;
        }
        uint8_t *p = realloc(px->hacc, cap);
        if (p == NULL) {
            px->fail_why = "out of memory for the CGI header block";
            return -1;
        }
        px->hacc = p;
        px->hacc_cap = (uint32_t)cap;
    }
    memcpy(px->hacc + px->hacc_len, data, len);
    px->hacc_len += (uint32_t)len;
    size_t end = cgi_header_end_from(px->hacc, px->hacc_len, from);
    if (end == 0) {
        if (px->hacc_len > max) {
            px->fail_why = "CGI header block over max_response_header_size";
            return -1;
        }
        return 0;
    }
    if (end > max) {
        px->fail_why = "CGI header block over max_response_header_size";
        return -1;
    }
    *rest = px->hacc + end;
    *rest_len = px->hacc_len - end;
    return head_parse(c, px->hacc, end);
}

/* Build the client response head once the CGI head is parsed. `all_body`
 * is the whole body's length when it is already in hand, else -1. */
static int build_head(struct conn *c, long long all_body)
{
    struct proxy_state *px = &c->px;
    const struct kiln_site *s = c->w->site;
    struct resp_facts f = {
        .head_only = c->head_only,
        .http10 = c->http10,
        .close = c->close_after || c->w->draining ||
                 atomic_load_explicit(&c->w->sh->stopping, memory_order_relaxed) ||
                 atomic_load_explicit(&c->w->sh->drain_mode, memory_order_relaxed),
        .body_len = all_body,
        .date_line = c->w->date.line,
        .site_headers = s->response_headers,
        .site_header_names = s->response_header_names,
        .n_site_headers = s->n_response_headers,
    };
    struct resp_head h;
    char *head = arena_alloc(&c->arena, resp_head_size(&px->cgi, &f));

    if (head == NULL) {
        px->fail_why = "response head over the request's memory bound";
        return -1;
    }
    if (resp_head_build(&px->cgi, &f, head, &h) != 0) {
        px->fail_why = h.why;
        return -1;
    }
    px->framing = h.framing;
    px->length_left = h.length;
    px->no_absorb = h.no_buffering;
    if (h.close)
        c->close_after = 1;
    /* The head is the first byte out: nothing is held before it. */
    outq_push(&c->out, head, h.len);
    px->head_done = 1;
    return 0;
}

/* ---- response body -------------------------------------------------------- */

struct spans {
    const uint8_t *data[MAX_SPANS];
    size_t len[MAX_SPANS];
    uint32_t n;
    size_t bytes;
};

static void spans_add(struct spans *sp, const uint8_t *d, size_t n)
{
    if (n == 0)
        return;
    sp->data[sp->n] = d;
    sp->len[sp->n] = n;
    sp->n++;
    sp->bytes += n;
}

static void log_stderr(struct conn *c, const uint8_t *d, size_t n)
{
    struct proxy_state *px = &c->px;
    char esc[4 * STDERR_MAX_PER_LINE + 8];

    if (px->stderr_bytes >= STDERR_MAX_PER_REQUEST)
        return;
    size_t take = n;
    if (take > STDERR_MAX_PER_LINE)
        take = STDERR_MAX_PER_LINE;
    if (take > STDERR_MAX_PER_REQUEST - px->stderr_bytes)
        take = STDERR_MAX_PER_REQUEST - px->stderr_bytes;
    while (take > 0 && (d[take - 1] == '\n' || d[take - 1] == '\r'))
        take--;
    px->stderr_bytes += (uint32_t)n;
    log_escape(esc, sizeof esc, d, take);
    log_warn("upstream stderr [%s %.*s]: %s%s", c->remote_addr, (int)c->script.script_name_len,
             c->script.script_name, esc, take < n && n - take > 2 ? " [truncated]" : "");
}

/* ---- output to the client ------------------------------------------------ */

/* Bytes of one batch the client's output can grow by: a read buffer of
 * STDOUT content, its chunk framing and the last chunk. */
#define BATCH_MAX_OUT (UPSTREAM_RBUF_SIZE + 64)
/* What one write to the client takes from c->held at most. */
#define HELD_WINDOW (256 * 1024)

/* Does output go to c->held (the client fell behind), not straight into
 * c->out? */
static int holding(const struct conn *c)
{
    return c->out_from_held || spool_pending(&c->held) > 0;
}

/* Append response bytes: into c->out while nothing is held (zero-copy:
 * they stay where they are, the upstream's read buffer or the arena, until
 * written), else behind what c->held holds. Room in c->held is checked
 * before a batch is read (can_take_more). Returns -1 (fail_why set) when
 * the temporary file fails. */
static int emit(struct conn *c, const void *p, size_t n)
{
    if (!holding(c)) {
        outq_push(&c->out, p, n);
        return 0;
    }
    if (spool_append(&c->held, p, n) != 0) {
        c->px.fail_why = "cannot hold the response for a slow client";
        return -1;
    }
    return 0;
}

/*
 * The client fell behind with c->out holding pieces of the upstream's read
 * buffer (and the head, and chunk framing): copy them into c->held, so the
 * upstream can be read on and php-fpm's worker goes free when the script
 * ends. `at_end`: the response is complete; its tail is held even when the
 * script asked not to be buffered, since that frees the worker and delays
 * nothing. Returns 1 when nothing in c->out points into the read buffer
 * any more, 0 when it must stay (backpressure), -1 when the temporary file
 * fails (fail_why set; some bytes may have moved: the response is lost).
 */
static int absorb(struct conn *c, int at_end)
{
    struct outq *q = &c->out;

    if (c->out_from_held || outq_empty(q))
        return 1;
    if ((c->px.no_absorb && !at_end) || spool_room(&c->held) < q->bytes)
        return 0;
    for (uint32_t i = q->head; i < q->tail; i++) {
        if (spool_append(&c->held, q->iov[i].iov_base, q->iov[i].iov_len) != 0) {
            c->px.fail_why = "cannot hold the response for a slow client";
            return -1;
        }
    }
    outq_init(q);
    return 1;
}

/* May the upstream be read now? Not while c->out holds pieces of its read
 * buffer; while holding, only if c->held has room for a whole batch. */
static int can_take_more(const struct conn *c)
{
    if (!holding(c))
        return outq_empty(&c->out);
    return spool_room(&c->held) >= BATCH_MAX_OUT;
}

int proxy_client_push(struct conn *c)
{
    for (;;) {
        if (!outq_empty(&c->out)) {
            size_t before = c->out.bytes;
            int r = conn_flush(c);
            if (r < 0)
                return -1;
            if (c->out_from_held)
                spool_drop(&c->held, c->held.start + (before - c->out.bytes));
            if (r == 0)
                return 0;
            c->out_from_held = 0;
        }
        if (spool_pending(&c->held) == 0)
            return 1;
        long n = spool_peek(&c->held, &c->out, HELD_WINDOW);
        if (n <= 0) {
            log_err("%s: cannot read back a held response", c->remote_addr);
            conn_close(c);
            return -1;
        }
        c->out_from_held = 1;
    }
}

/* Queue body spans for the client under the chosen framing. */
static int queue_spans(struct conn *c, struct spans *sp)
{
    struct proxy_state *px = &c->px;

    if (px->framing == FRAME_NONE || sp->bytes == 0)
        return 0;
    if (px->framing == FRAME_LENGTH) {
        if (sp->bytes > px->length_left) {
            px->fail_why = "response body longer than its Content-Length";
            return -1;
        }
        px->length_left -= sp->bytes;
    }
    if (px->framing == FRAME_CHUNKED) {
        static const char hex[] = "0123456789abcdef";
        char *end = px->chunk_line + sizeof px->chunk_line, *q = end - 2;
        size_t v = sp->bytes;
        end[-2] = '\r';
        end[-1] = '\n';
        do {
            *--q = hex[v & 15];
            v >>= 4;
        } while (v != 0);
        if (emit(c, q, (size_t)(end - q)) != 0)
            return -1;
    }
    for (uint32_t i = 0; i < sp->n; i++)
        if (emit(c, sp->data[i], sp->len[i]) != 0)
            return -1;
    if (px->framing == FRAME_CHUNKED)
        return emit(c, "\r\n", 2);
    return 0;
}

/*
 * Walk the records in u->rbuf[roff..rlen) and queue what they carry for the
 * client. Stops at END_REQUEST, at the end of the buffer, or when the
 * client's queue has no room for more spans. Returns 0, or -1 when the
 * request failed (handled).
 */
static int process_batch(struct conn *c, struct upstream *u)
{
    struct proxy_state *px = &c->px;
    struct spans sp; /* only n entries are ever read: no zeroing */

    sp.n = 0;
    sp.bytes = 0;

    while (u->roff < u->rlen && sp.n < MAX_SPANS - 1 && !u->ended) {
        size_t used, dlen;
        const uint8_t *data;
        enum fcgi_event ev = fcgi_reader_next(&u->reader, u->rbuf + u->roff, u->rlen - u->roff,
                                              &used, &data, &dlen);
        u->roff += (uint32_t)used;
        switch (ev) {
        case FCGI_EV_NEED_MORE:
            break;
        case FCGI_EV_STDOUT:
            if (dlen == 0)
                break;
            if (!px->head_parsed) {
                const uint8_t *rest;
                size_t rest_len;
                if (head_feed(c, data, dlen, &rest, &rest_len) != 0) {
                    proxy_fail(c, u, FAIL_PROTOCOL, px->fail_why);
                    return -1;
                }
                if (px->head_parsed)
                    spans_add(&sp, rest, rest_len);
            } else {
                spans_add(&sp, data, dlen);
            }
            break;
        case FCGI_EV_STDERR:
            log_stderr(c, data, dlen);
            break;
        case FCGI_EV_END:
            u->ended = 1;
            if (u->reader.protocol_status != FCGI_REQUEST_COMPLETE) {
                proxy_fail(c, u, FAIL_STATUS, "END_REQUEST protocolStatus is not COMPLETE");
                return -1;
            }
            break;
        case FCGI_EV_ERROR:
            proxy_fail(c, u, u->reader.foreign && !u->reader.answered ? FAIL_STRAY : FAIL_PROTOCOL,
                       u->reader.error);
            return -1;
        }
    }
    if (!px->head_parsed) {
        if (u->ended) {
            proxy_fail(c, u, FAIL_PROTOCOL, "no CGI header block before END_REQUEST");
            return -1;
        }
        return 0;
    }
    if (px->probe) {
        /* The readiness probe: judge the status, drop the body. */
        if (u->ended)
            health_probe_answer(c, px->cgi.status >= 200 && px->cgi.status < 300);
        return 0;
    }
    if (!px->head_done &&
        build_head(c, u->ended && u->roff == u->rlen ? (long long)sp.bytes : -1) != 0) {
        proxy_fail(c, u, FAIL_PROTOCOL, px->fail_why);
        return -1;
    }
    if (queue_spans(c, &sp) != 0 ||
        (u->ended && px->framing == FRAME_CHUNKED && emit(c, "0\r\n\r\n", 5) != 0)) {
        proxy_fail(c, u, FAIL_PROTOCOL, px->fail_why);
        return -1;
    }
    return 0;
}

/* The response is all in hand and nothing the client still has to take
 * points into u's read buffer: hand the upstream back (to the pool, or to
 * a request waiting for one) while the client takes its time. */
static void proxy_release(struct conn *c, struct upstream *u)
{
    int clean = u->stdin_done && outq_empty(&u->out) && u->roff == u->rlen;

    c->up = NULL;
    upstream_release(u, clean);
}

/* Everything of the response is written. */
static void proxy_done(struct conn *c)
{
    struct proxy_state *px = &c->px;

    if (px->framing == FRAME_LENGTH && px->length_left > 0) {
        log_warn("%s: upstream sent %llu bytes less than its Content-Length", c->remote_addr,
                 (unsigned long long)px->length_left);
        c->close_after = 1;
    }
    conn_request_done(c);
}

/* END_REQUEST is in. The client takes what is left from c->out and
 * c->held; the upstream goes back at once unless pieces of its read buffer
 * still wait in c->out and cannot be held. */
static void proxy_finish(struct conn *c, struct upstream *u)
{
    /* Only the client's write deadline applies while it drains. */
    deadline_clear(&u->timer);
    c->px.finishing = 1;
    int r = proxy_client_push(c);
    if (r < 0)
        return;
    if (r == 1) {
        proxy_release(c, u);
        proxy_done(c);
        return;
    }
    int a = absorb(c, 1);
    if (a < 0)
        proxy_fail(c, u, FAIL_PROTOCOL, c->px.fail_why);
    else if (a == 1)
        proxy_release(c, u);
}

/* Read the upstream's records while the client's output can take them. */
void proxy_upstream_readable(struct upstream *u)
{
    struct conn *c = u->client;
    int looked = 0;

    while (!c->px.finishing) {
        if (!can_take_more(c)) {
            /* The client is behind and nothing more can be held: wait for
             * it; its write deadline applies, not the upstream's. */
            deadline_clear(&u->timer);
            return;
        }
        if (u->roff == u->rlen) {
            /* A short read usually means the socket is drained, but a
             * hang-up that came in with the data raises no further edge:
             * look once more before waiting, or a cut response would
             * wait for read_timeout instead of failing at once. Free
             * when the response is complete (END_REQUEST ends the loop). */
            if (!u->readable) {
                if (looked) {
                    deadline_set(&u->timer, upstream_wait_ms(u, u->w->site->read_timeout_ms));
                    return;
                }
                looked = 1;
            }
            ssize_t n;
            do {
                n = recv(u->fd, u->rbuf, UPSTREAM_RBUF_SIZE, 0);
            } while (n < 0 && errno == EINTR);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                int err = n < 0 ? errno : 0;
                u->readable = 0;
                proxy_fail(c, u, n == 0 ? FAIL_EOF : (err == ECONNRESET ? FAIL_RESET : FAIL_PROTOCOL),
                           n == 0 ? "closed before END_REQUEST" : strerror(err));
                return;
            }
            if (n < 0) {
                u->readable = 0;
                looked = 1;
                continue;
            }
            u->readable = n == UPSTREAM_RBUF_SIZE;
            u->rlen = (uint32_t)n;
            u->roff = 0;
            u->got_bytes = 1;
        }
        if (process_batch(c, u) != 0)
            return;
        if (u->ended) {
            proxy_finish(c, u);
            return;
        }
        int r = proxy_client_push(c);
        if (r < 0)
            return;
        if (r == 0 && absorb(c, 0) < 0) {
            proxy_fail(c, u, FAIL_PROTOCOL, c->px.fail_why);
            return;
        }
    }
}

void proxy_client_writable(struct conn *c)
{
    struct upstream *u = c->up;
    int r = proxy_client_push(c);

    if (r < 0)
        return;
    if (!c->px.finishing) {
        if (r == 0 && absorb(c, 0) < 0)
            proxy_fail(c, u, FAIL_PROTOCOL, c->px.fail_why);
        else
            proxy_upstream_readable(u);
        return;
    }
    if (r == 1) {
        if (u != NULL)
            proxy_release(c, u);
        proxy_done(c);
        return;
    }
    if (u == NULL)
        return;
    int a = absorb(c, 1);
    if (a < 0)
        proxy_fail(c, u, FAIL_PROTOCOL, c->px.fail_why);
    else if (a == 1)
        proxy_release(c, u);
}

/* ---- failures ------------------------------------------------------------- */

static int can_retry(const struct conn *c, const struct upstream *u, enum fail_kind kind)
{
    /* Nothing of this request's answer came back (strays of the last one
     * do not count). */
    if (!u->reused || u->reader.answered || c->px.retried)
        return 0;
    if (c->idempotent)
        return kind == FAIL_RESET || kind == FAIL_EOF || kind == FAIL_STRAY;
    /* A request that must not run twice is sent again only when no byte of
     * it ever left: a reset after some did could come from a worker that
     * read it, ran it and died with the rest of the body unread. */
    return kind == FAIL_RESET && !u->req_written;
}

static void proxy_fail(struct conn *c, struct upstream *u, enum fail_kind kind,
                       const char *detail)
{
    struct worker *w = c->w;
    const char *addr = w->sh->addrs[u->addr_index].text;

    if (u->reused && !u->got_bytes && (kind == FAIL_RESET || kind == FAIL_EOF))
        upstream_fpm_closed(w);
    if (kind == FAIL_STRAY)
        log_warn("upstream %s: sent records for an earlier request after its END_REQUEST; "
                 "connection closed [%s %.*s]",
                 addr, c->remote_addr, (int)c->script.script_name_len, c->script.script_name);
    if (can_retry(c, u, kind)) {
        /* Routine when php-fpm recycles workers (pm.max_requests): not
         * logged, counted (reported at exit). */
        c->px.retried = 1;
        w->stats.up_retries++;
        upstream_redial(u); /* the body is held in full: sent again from its start */
        return;
    }
    log_err("upstream %s: %s [%s %.*s]", addr, detail, c->remote_addr,
            (int)c->script.script_name_len, c->script.script_name);
    c->up = NULL;
    u->client = NULL;
    upstream_close(u);
    if (c->px.head_done) {
        /* Part of the response may be out: the client must see it cut. */
        conn_close(c);
        return;
    }
    conn_error(c, kind == FAIL_TIMEOUT ? 504 : 502, 1);
}

void proxy_upstream_timeout(struct upstream *u)
{
    struct conn *c = u->client;
    proxy_fail(c, u, FAIL_TIMEOUT,
               u->want_write ? "not reading the request within write_timeout"
                             : "no response within read_timeout");
}

void proxy_dial_failed(struct upstream *u, int timeout)
{
    struct conn *c = u->client;

    c->up = NULL;
    u->client = NULL;
    upstream_close(u);
    conn_error(c, timeout ? 504 : 502, 1);
}
