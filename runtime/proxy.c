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
 * case, is built in place; more are copied into a second block. */
static int lay_out_records(struct conn *c, uint8_t *buf, size_t n)
{
    struct proxy_state *px = &c->px;
    size_t tail = c->body_len == 0 ? 16 : 8;

    if (n <= FCGI_MAX_CONTENT) {
        fcgi_begin_request_encode(buf, REQUEST_ID, FCGI_RESPONDER, FCGI_KEEP_CONN);
        fcgi_header_encode(buf + 16, FCGI_PARAMS, REQUEST_ID, (uint16_t)n, 0);
        memcpy(buf + 24 + n, empty_params_stdin, tail);
        px->fcgi_prefix = buf;
        px->fcgi_prefix_len = (uint32_t)(24 + n + tail);
        return 0;
    }
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

int proxy_prepare(struct conn *c, const struct script_result *sr)
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
    uint8_t *buf = arena_alloc(&c->arena, 24 + bound + 16);

    if (buf == NULL)
        return -431;
    size_t n = cgi_params_build(buf + 24, bound, site, &c->req, sr, &ci, c->body_len);
    if (n == 0)
        return -431;
    c->idempotent = c->req.method_id == HTTP_M_GET || c->req.method_id == HTTP_M_HEAD ||
                    c->req.method_id == HTTP_M_OPTIONS || c->req.method_id == HTTP_M_PUT ||
                    c->req.method_id == HTTP_M_DELETE;
    return lay_out_records(c, buf, n);
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
        if (!c->want_write)
            deadline_clear(&c->timer); /* the client's body is not read now */
        return -1;
    }
    proxy_fail(c, u, (err == EPIPE || err == ECONNRESET) ? FAIL_RESET : FAIL_PROTOCOL,
               strerror(err));
    return -1;
}

/* Queue STDIN records for body bytes in the client's input buffer. */
static void queue_body_from_input(struct conn *c, struct upstream *u)
{
    uint32_t i = u->stdin_hdrs_used;

    while (c->body_left > 0 && c->in_end > c->in_start && outq_space(&u->out) >= 3 &&
           i < UPSTREAM_STDIN_HDRS) {
        size_t avail = c->in_end - c->in_start;
        size_t len = avail < c->body_left ? avail : (size_t)c->body_left;
        if (len > FCGI_MAX_CONTENT)
            len = FCGI_MAX_CONTENT;
        fcgi_header_encode(u->stdin_hdr[i], FCGI_STDIN, u->req_id, (uint16_t)len, 0);
        outq_push(&u->out, u->stdin_hdr[i], 8);
        outq_push(&u->out, c->in + c->in_start, len);
        i++;
        c->in_start += (uint32_t)len;
        c->body_left -= len;
        u->body_sent += len;
    }
    u->stdin_hdrs_used = i;
}

/* Is a queued record still pointing into the spool's stage buffer? Memory
 * records end at mem_len, so once body_sent has passed it a file record
 * went through the stage, and it stays there until the queue is written. */
static int stage_busy(const struct conn *c, const struct upstream *u)
{
    return u->body_sent > c->spool.mem_len && !outq_empty(&u->out);
}

/* Queue STDIN records for a collected chunked body. File-held bytes come
 * through one stage buffer, so at most one such record may be queued until
 * the queue is fully written: reading the next one would overwrite bytes
 * still waiting for the socket. */
static int queue_body_from_spool(struct conn *c, struct upstream *u)
{
    uint32_t i = u->stdin_hdrs_used;

    while (u->body_sent < c->body_len && !stage_busy(c, u) && outq_space(&u->out) >= 3 &&
           i < UPSTREAM_STDIN_HDRS) {
        const uint8_t *data;
        long n = body_spool_get(&c->spool, u->body_sent, FCGI_MAX_CONTENT, &data);
        if (n <= 0) {
            log_err("%s: cannot read back a spooled request body", c->remote_addr);
            return -1;
        }
        fcgi_header_encode(u->stdin_hdr[i], FCGI_STDIN, u->req_id, (uint16_t)n, 0);
        outq_push(&u->out, u->stdin_hdr[i], 8);
        outq_push(&u->out, data, (size_t)n);
        i++;
        u->body_sent += (uint64_t)n;
    }
    u->stdin_hdrs_used = i;
    c->body_left = c->body_len - u->body_sent;
    return 0;
}

/* Queue what the upstream can have of the body now (and the empty STDIN
 * record after the last byte). Returns -1 when the request failed. */
static int queue_stdin(struct conn *c, struct upstream *u)
{
    if (u->stdin_done)
        return 0;
    if (c->spool.active) {
        if (queue_body_from_spool(c, u) != 0) {
            proxy_fail(c, u, FAIL_PROTOCOL, "request body spool unreadable");
            return -1;
        }
    } else {
        queue_body_from_input(c, u);
    }
    if (c->body_left == 0 && outq_space(&u->out) >= 1) {
        fcgi_header_encode(u->stdin_end, FCGI_STDIN, u->req_id, 0, 0);
        outq_push(&u->out, u->stdin_end, 8);
        u->stdin_done = 1;
        /* The body's read deadline ends with the body; from here the
         * upstream's deadlines apply (and the client's write deadline,
         * when a write to it is pending). */
        if (!c->want_write)
            deadline_clear(&c->timer);
    }
    return 0;
}

/* Move the request body to the upstream as fast as both sides allow. What
 * is queued goes out in one write with whatever body is already here (the
 * params and a small body in one go: php-fpm wakes once). */
static void proxy_pump_body(struct conn *c, struct upstream *u)
{
    /* After END_REQUEST, or a hang-up after the answer began, the upstream
     * wants no more of the body: sending more could only fail, and failing
     * would cut a response that is complete. The connection is not pooled
     * again (proxy_complete). */
    if (u->ended || u->body_refused)
        return;
    for (;;) {
        if (queue_stdin(c, u) != 0)
            return;
        if (!outq_empty(&u->out)) {
            int r = up_flush(c, u);
            /* The upstream is not taking the body, so kiln stops reading
             * the client: its read deadline must not run meanwhile (the
             * client is not the one stalling). The upstream's write
             * deadline applies, and gives the 504. */
            if (r == 0 && !c->want_write)
                deadline_clear(&c->timer);
            if (r != 1)
                return;
            continue;
        }
        if (u->stdin_done)
            return;
        /* Nothing to send: wait for the client to send more. Reading may
         * overwrite bytes already sent, so the request is no longer
         * replayable after this. */
        c->px.replayable = 0;
        if (conn_read_body(c) <= 0)
            return; /* wait for the read edge, or the client is gone */
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
    u->stdin_done = c->body_len == 0;
    u->body_sent = 0;
    u->rlen = u->roff = 0;
    u->got_bytes = 0;
    u->ended = 0;
    u->req_id = (uint16_t)(u->req_id == UINT16_MAX ? 1 : u->req_id + 1);
    fcgi_records_set_id(px->fcgi_prefix, px->fcgi_prefix_len, u->req_id);
    fcgi_reader_init(&u->reader, u->req_id);
    if (!px->retried) {
        px->body_start = c->in_start;
        px->replayable = 1;
    }
    outq_push(&u->out, px->fcgi_prefix, px->fcgi_prefix_len);

    /* Ask for the body only now that it has somewhere to go. */
    conn_continue(c, c->body_left <= (uint64_t)(c->in_end - c->in_start));
    proxy_pump_body(c, u);
}

void proxy_upstream_writable(struct upstream *u)
{
    proxy_pump_body(u->client, u);
}

void proxy_client_readable(struct conn *c)
{
    struct upstream *u = c->up;

    if (u != NULL && u->state == UP_ACTIVE && outq_empty(&u->out) && !u->stdin_done)
        proxy_pump_body(c, u);
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

static int name_is(const struct cgi_header *h, const char *lower, uint32_t len)
{
    return http_name_eq(h->name, h->name_len, lower, len);
}
#define NAME_IS(h, lit) name_is((h), (lit), sizeof(lit) - 1)

/* Is h named by any of the response's Connection lines (RFC 9110 7.6.1:
 * every one of them counts)? */
static int named_by_connection(const struct cgi_response *r, const struct cgi_header *h)
{
    for (uint32_t i = 0; i < r->n_headers; i++) {
        const struct cgi_header *k = &r->headers[i];
        if (NAME_IS(k, "connection") &&
            http_list_has_token(k->value, k->value_len, h->name, h->name_len))
            return 1;
    }
    return 0;
}

/* Headers the upstream may not set: hop-by-hop ones, the ones kiln frames
 * or owns, and those the site sets itself (response_headers replace). */
static int header_dropped(const struct kiln_site *s, const struct cgi_response *r,
                          const struct cgi_header *h, int has_connection)
{
    switch (h->name_len) {
    case 2:
        if (NAME_IS(h, "te"))
            return 1;
        break;
    case 4:
        if (NAME_IS(h, "date"))
            return 1;
        break;
    case 6:
        if (NAME_IS(h, "server"))
            return 1;
        break;
    case 7:
        if (NAME_IS(h, "trailer") || NAME_IS(h, "upgrade"))
            return 1;
        break;
    case 10:
        if (NAME_IS(h, "connection") || NAME_IS(h, "keep-alive"))
            return 1;
        break;
    case 14:
        if (NAME_IS(h, "content-length"))
            return 1;
        break;
    case 16:
        if (NAME_IS(h, "proxy-connection"))
            return 1;
        break;
    case 17:
        if (NAME_IS(h, "transfer-encoding"))
            return 1;
        break;
    case 18:
        if (NAME_IS(h, "proxy-authenticate"))
            return 1;
        break;
    }
    for (uint32_t i = 0; i < s->n_response_headers; i++)
        if (name_is(h, s->response_header_names[i].ptr, s->response_header_names[i].len))
            return 1;
    return has_connection && named_by_connection(r, h);
}

/* The upstream's Content-Length, when it sent exactly one valid value. */
static int upstream_length(const struct cgi_response *r, uint64_t *len)
{
    int found = 0;

    for (uint32_t i = 0; i < r->n_headers; i++) {
        const struct cgi_header *h = &r->headers[i];
        if (!NAME_IS(h, "content-length"))
            continue;
        if (found++ || h->value_len == 0 || h->value_len > 18)
            return -1;
        uint64_t v = 0;
        for (uint32_t k = 0; k < h->value_len; k++) {
            if (h->value[k] < '0' || h->value[k] > '9')
                return -1;
            v = v * 10 + (uint64_t)(h->value[k] - '0');
        }
        *len = v;
    }
    return found;
}

static char *put(char *p, const void *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* Decimal, without printf's machinery (this runs for every response). */
static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_content_length(char *p, uint64_t v)
{
    p = put(p, "Content-Length: ", 16);
    p = put_u64(p, v);
    return put(p, "\r\n", 2);
}

/* Build the client response head once the CGI head is parsed. `all_body`
 * is the whole body's length when it is already in hand, else -1. */
static int build_head(struct conn *c, long long all_body)
{
    struct proxy_state *px = &c->px;
    const struct kiln_site *s = c->w->site;
    const struct cgi_response *r = &px->cgi;
    const struct cgi_header *connection = NULL;
    uint64_t up_len = 0;
    int has_up_len = upstream_length(r, &up_len);
    size_t size = 128 + HTTP_DATE_LINE_LEN + s->response_headers.len + r->reason_len;

    if (has_up_len < 0) {
        px->fail_why = "invalid or repeated Content-Length from the upstream";
        return -1;
    }
    for (uint32_t i = 0; i < r->n_headers; i++) {
        size += r->headers[i].name_len + r->headers[i].value_len + 4;
        if (NAME_IS(&r->headers[i], "connection"))
            connection = &r->headers[i];
    }
    int no_body = c->head_only || r->status == 204 || r->status == 304;
    if (no_body)
        px->framing = FRAME_NONE;
    else if (all_body >= 0)
        px->framing = FRAME_LENGTH, px->length_left = (uint64_t)all_body;
    else if (has_up_len)
        px->framing = FRAME_LENGTH, px->length_left = up_len;
    else if (c->http10)
        px->framing = FRAME_CLOSE, c->close_after = 1;
    else
        px->framing = FRAME_CHUNKED;
    if (atomic_load_explicit(&c->w->sh->stopping, memory_order_relaxed) || c->w->draining ||
        atomic_load_explicit(&c->w->sh->drain_mode, memory_order_relaxed))
        c->close_after = 1;

    char *head = arena_alloc(&c->arena, size);
    if (head == NULL) {
        px->fail_why = "response head over the request's memory bound";
        return -1;
    }
    char *p = put(head, "HTTP/1.1 ", 9);
    p = put_u64(p, r->status);
    *p++ = ' ';
    if (r->reason != NULL && r->reason_len > 0) {
        p = put(p, r->reason, r->reason_len);
    } else {
        const char *reason = http_reason(r->status);
        p = put(p, reason, strlen(reason));
    }
    p = put(p, "\r\n", 2);
    p = put(p, c->w->date.line, HTTP_DATE_LINE_LEN);
    for (uint32_t i = 0; i < r->n_headers; i++) {
        const struct cgi_header *h = &r->headers[i];
        if (header_dropped(s, r, h, connection != NULL))
            continue;
        p = put(p, h->name, h->name_len);
        p = put(p, ": ", 2);
        p = put(p, h->value, h->value_len);
        p = put(p, "\r\n", 2);
    }
    p = put(p, s->response_headers.ptr, s->response_headers.len);
    if (px->framing == FRAME_LENGTH)
        p = put_content_length(p, px->length_left);
    else if (px->framing == FRAME_CHUNKED)
        p = put(p, "Transfer-Encoding: chunked\r\n", 28);
    else if (c->head_only && has_up_len)
        p = put_content_length(p, up_len);
    if (c->close_after)
        p = put(p, "Connection: close\r\n", 19);
    else if (c->http10)
        p = put(p, "Connection: keep-alive\r\n", 24);
    p = put(p, "\r\n", 2);
    outq_push(&c->out, head, (size_t)(p - head));
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

/* Queue body spans for the client under the chosen framing. */
static int queue_body(struct conn *c, struct spans *sp)
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
        outq_push(&c->out, q, (size_t)(end - q));
    }
    for (uint32_t i = 0; i < sp->n; i++)
        outq_push(&c->out, sp->data[i], sp->len[i]);
    if (px->framing == FRAME_CHUNKED)
        outq_push(&c->out, "\r\n", 2);
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
    if (queue_body(c, &sp) != 0) {
        proxy_fail(c, u, FAIL_PROTOCOL, px->fail_why);
        return -1;
    }
    if (u->ended && px->framing == FRAME_CHUNKED)
        outq_push(&c->out, "0\r\n\r\n", 5);
    return 0;
}

/* Everything of the response is queued or written: hand the upstream back
 * and finish the request. */
static void proxy_complete(struct conn *c, struct upstream *u)
{
    struct proxy_state *px = &c->px;
    int clean = u->stdin_done && outq_empty(&u->out) && u->roff == u->rlen;

    if (px->framing == FRAME_LENGTH && px->length_left > 0) {
        log_warn("%s: upstream sent %llu bytes less than its Content-Length", c->remote_addr,
                 (unsigned long long)px->length_left);
        c->close_after = 1;
    }
    if (c->body_left > 0 || !u->stdin_done)
        c->close_after = 1; /* the rest of the request body is unread */
    c->up = NULL;
    upstream_release(u, clean);
    conn_request_done(c);
}

static void proxy_finish(struct conn *c, struct upstream *u)
{
    /* The whole response is in hand: only the client's write deadline
     * applies while it drains. */
    deadline_clear(&u->timer);
    c->px.finishing = 1;
    int r = conn_flush(c);
    if (r == 1)
        proxy_complete(c, u);
}

void proxy_upstream_readable(struct upstream *u)
{
    struct conn *c = u->client;
    int looked = 0;

    while (outq_empty(&c->out) && !c->px.finishing) {
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
        if (!outq_empty(&c->out) && conn_flush(c) == 0) {
            /* The client is slow: stop reading the upstream until it has
             * taken this batch; the client's write deadline applies. */
            deadline_clear(&u->timer);
            return;
        }
        if (c->state == CONN_DEAD)
            return;
    }
}

void proxy_client_writable(struct conn *c)
{
    struct upstream *u = c->up;

    if (conn_flush(c) != 1 || u == NULL)
        return;
    if (c->px.finishing)
        proxy_complete(c, u);
    else
        proxy_upstream_readable(u);
}

/* ---- failures ------------------------------------------------------------- */

static int can_retry(const struct conn *c, const struct upstream *u, enum fail_kind kind)
{
    /* Nothing of this request's answer came back (strays of the last one
     * do not count). */
    if (!u->reused || u->reader.answered || c->px.retried || !c->px.replayable)
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
        if (!c->spool.active) {
            c->in_start = c->px.body_start;
            c->body_left = c->body_len;
        }
        upstream_redial(u);
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
