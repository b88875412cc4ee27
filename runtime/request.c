/*
 * request.c - HTTP/1.1 requests on client connections (see request.h).
 *
 * Receive deadlines are totals, never re-armed by activity alone: a head
 * must be in within read_timeout of its first byte, a body may pause at
 * most read_timeout, and after client_rate_grace both must keep up an
 * average of client_min_rate bytes per second (receive_deadline).
 */
#include "request.h"

#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "cgi_params.h"
#include "log.h"
#include "respond.h"
#include "route.h"

#define FREE_REQUESTS_MAX 256

enum rq_state {
    RQ_WAIT = 0, /* between requests: no byte of the next one yet */
    RQ_HEAD,     /* reading a head */
    RQ_BODY,     /* receiving a body, before a php-fpm connection is taken */
    RQ_UPSTREAM, /* the exchange runs */
    RQ_LOCAL,    /* writing an answer kiln made itself */
    RQ_GONE,     /* detached from its connection */
};

struct request {
    struct http_ctx *h;
    struct conn *c;
    TAILQ_ENTRY(request) link;
    struct loop_defer defer;
    uint8_t state;           /* enum rq_state */
    uint8_t http10;
    uint8_t head_only;       /* HEAD: no response body */
    uint8_t close_after;     /* close once this response is written */
    uint8_t body_unread;     /* the request has a body not (all) read yet */
    uint8_t body_in_place;   /* the body is in the input buffer at body_off */
    uint8_t serving;         /* inside serve_heads (no re-entry) */
    uint8_t upstream_done;   /* the exchange is over: only writing is left */
    uint8_t probing;         /* /readyz: the exchange's answer is judged */
    uint32_t in_pending;     /* bytes of this request still in the input
                              * buffer (a head answered locally, a body sent
                              * from there), consumed when it ends */
    uint32_t body_off;
    uint32_t params_len;     /* encoded params at params + 24 */
    uint8_t *params;         /* in the arena, with room around (prepare) */
    uint64_t body_len;       /* announced to the upstream */
    uint64_t recv_start_ms;  /* the head's first byte, or the body's start */
    uint64_t recv_bytes;     /* body bytes received so far (raw) */
    struct http_parser parser;
    struct http_request req;
    struct arena arena;
    struct body_spool body;  /* a body not in place */
    struct route route;
    struct exchange x;
    struct health_probe probe;
    struct response resp;
    struct http_header headers[]; /* site->max_headers entries */
};

static void serve_heads(struct request *q);
static void request_finish(struct request *q);
static void probe_answered(void *arg, const struct health_answer *a);
static const struct exchange_sink_ops client_sink;

/* ---- objects ------------------------------------------------------------- */

void http_ctx_init(struct http_ctx *h, struct loop *loop, const struct kiln_site *site,
                   struct pool *pool, struct health_state *health, _Atomic int *stopping)
{
    memset(h, 0, sizeof *h);
    h->loop = loop;
    h->site = site;
    h->pool = pool;
    h->health = health;
    h->stopping = stopping;
    h->limits = (struct http_limits){site->max_request_line, site->max_header_size,
                                     site->max_headers};
    TAILQ_INIT(&h->free);
}

void http_ctx_destroy(struct http_ctx *h)
{
    struct request *q;
    while ((q = TAILQ_FIRST(&h->free)) != NULL) {
        TAILQ_REMOVE(&h->free, q, link);
        free(q);
    }
    h->n_free = 0;
}

/* The one place a request's state starts over. */
static void request_clear(struct request *q)
{
    http_parser_init(&q->parser);
    q->req.headers = q->headers;
    q->http10 = q->head_only = q->close_after = 0;
    q->body_unread = q->body_in_place = q->upstream_done = q->probing = 0;
    q->in_pending = 0;
    q->body_len = 0;
    q->recv_bytes = 0;
    body_spool_reset(&q->body);
    response_reset(&q->resp);
    exchange_reset(&q->x);
    arena_reset(&q->arena);
}

static struct request *request_get(struct http_ctx *h, struct conn *c)
{
    const struct kiln_site *s = h->site;
    struct request *q = TAILQ_FIRST(&h->free);

    if (q != NULL) {
        TAILQ_REMOVE(&h->free, q, link);
        h->n_free--;
    } else {
        q = calloc(1, sizeof *q + (size_t)s->max_headers * sizeof(struct http_header));
        if (q == NULL)
            return NULL;
        q->h = h;
        arena_init(&q->arena, &h->loop->arena_pool,
                   2 * (size_t)s->max_header_size + s->max_response_header_size + 64 * 1024);
        body_spool_init(&q->body, &h->loop->spool_pool, s);
        response_init(&q->resp, &h->loop->spool_pool, s);
        exchange_init(&q->x, h->loop, h->pool, s, &h->xstats);
        request_clear(q);
    }
    q->c = c;
    q->state = RQ_WAIT;
    return q;
}

static void request_free(struct loop_defer *d)
{
    struct request *q = (struct request *)((char *)d - offsetof(struct request, defer));
    struct http_ctx *h = q->h;

    request_clear(q);
    if (h->n_free < FREE_REQUESTS_MAX) {
        TAILQ_INSERT_HEAD(&h->free, q, link);
        h->n_free++;
        return;
    }
    free(q);
}

/* The connection and the request part: the request object is freed once
 * the current event is handled (callers up the stack may still look at
 * it; they see RQ_GONE). */
static void detach(struct request *q)
{
    if (q->state == RQ_GONE)
        return;
    if (q->c != NULL && q->c->user == q)
        q->c->user = NULL; /* so a close that follows does not detach again */
    q->state = RQ_GONE;
    q->c = NULL;
    loop_defer(q->h->loop, &q->defer, request_free);
}

/* ---- local answers ------------------------------------------------------- */

/* Connection: close when the client asked, the body was left unread (it
 * would be taken for the next request), or kiln is stopping or draining. */
static int must_close(struct request *q)
{
    struct http_ctx *h = q->h;
    if (q->body_unread || atomic_load_explicit(h->stopping, memory_order_relaxed) ||
        health_draining(h->health))
        q->close_after = 1;
    return q->close_after;
}

static void send_local(struct request *q)
{
    q->state = RQ_LOCAL;
    if (response_push(&q->resp, q->c, q->h->site->write_timeout_ms) == 1)
        request_finish(q);
}

static void respond(struct request *q, const char *head, size_t head_len, const char *body,
                    size_t body_len)
{
    response_local(&q->resp, q->h->loop->date.line, head, head_len, body, body_len,
                   q->head_only, must_close(q), q->http10);
    send_local(q);
}

/* Answer with kiln's own error response; the connection closes afterwards
 * unless `keep` and the request is fully read. */
static void request_error(struct request *q, unsigned status, int keep)
{
    const struct http_error *e = http_error_get(status);

    if (!keep)
        q->close_after = 1;
    if (q->probing) {
        /* php-fpm was not asked, or did not answer: not ready (the probe's
         * sink says so, through probe_answered). */
        health_probe_sink.failed(&q->probe, status, NULL);
        return;
    }
    respond(q, e->head.ptr, e->head.len, e->body.ptr, e->body.len);
}

static void probe_answered(void *arg, const struct health_answer *a)
{
    struct request *q = arg;

    q->probing = 0;
    respond(q, a->head, a->head_len, a->body, a->body_len);
}

/* ---- deadlines ------------------------------------------------------------- */

/*
 * The deadline of a head or body on its way in: never later than
 * client_rate_grace plus what the bytes so far earn at client_min_rate (a
 * client dripping bytes earns almost nothing), and for a head read_timeout
 * after its first byte, for a body read_timeout of silence. Computed from
 * totals each time bytes arrive.
 */
static void receive_deadline(struct request *q)
{
    const struct kiln_site *s = q->h->site;
    struct conn *c = q->c;
    uint64_t now = loop_now_ms();
    uint64_t bytes = q->state == RQ_HEAD ? c->in_end - c->in_start : q->recv_bytes;
    uint64_t due = q->recv_start_ms + s->client_rate_grace_ms + bytes * 1000 / s->client_min_rate;
    uint64_t cap = q->state == RQ_HEAD ? q->recv_start_ms + s->read_timeout_ms
                                       : now + s->read_timeout_ms;

    if (due > cap)
        due = cap;
    conn_deadline(c, due > now ? (uint32_t)(due - now) : 0);
}

/* ---- the upstream ------------------------------------------------------------ */

/* Encode the FastCGI params from the parsed head (so this runs before the
 * input buffer moves past the head), then let the input buffer move on:
 * from here on nothing may use q->req's pointers. `length_later`: a
 * chunked body's length, known at its end, is appended by seal(). */
static int prepare(struct request *q, int length_later)
{
    struct conn *c = q->c;
    const struct kiln_site *s = q->h->site;
    const struct http_request *r = &q->req;
    const struct script_result *sr = &q->route.script;
    const char *local = conn_local_addr(c);
    struct cgi_conn_info ci = {
        .remote_addr = c->remote_addr,
        .remote_port = c->remote_port,
        .server_addr = local,
        .remote_addr_len = c->remote_addr_len,
        .remote_port_len = c->remote_port_len,
        .server_addr_len = (uint8_t)strlen(local),
        .tls = 0,
    };
    /* An upper bound of the encoded params. */
    size_t bound = s->fcgi_static_params.len + 2 * (size_t)r->head_len +
                   16 * (size_t)r->n_headers + 4 * (size_t)r->target_len +
                   2 * (size_t)s->document_root.len +
                   2 * ((size_t)sr->canonical_len + s->index.len) + 1024;
    /* Room for the records around them (exchange_set_params) and for
     * CONTENT_LENGTH when it comes later. */
    uint8_t *buf = arena_alloc(&q->arena, 24 + bound + CGI_LENGTH_PAIR_MAX + 16);
    size_t n = buf == NULL ? 0
                           : cgi_params_build(buf + 24, bound, s, r, sr, &ci,
                                              length_later ? CGI_LENGTH_LATER : q->body_len);
    if (n == 0) {
        request_error(q, 431, 0);
        return -1;
    }
    q->params = buf;
    q->params_len = (uint32_t)n;
    q->x.idempotent = r->method_id == HTTP_M_GET || r->method_id == HTTP_M_HEAD ||
                      r->method_id == HTTP_M_OPTIONS || r->method_id == HTTP_M_PUT ||
                      r->method_id == HTTP_M_DELETE;
    c->in_start += r->head_len;
    q->in_pending = 0;
    return 0;
}

/* The body is in: lay the records out and start the exchange. */
static void to_upstream(struct request *q, int length_later)
{
    struct exchange *x = &q->x;
    uint8_t *buf = q->params;
    size_t n = q->params_len;

    if (length_later)
        n += cgi_params_content_length(buf + 24 + n, CGI_LENGTH_PAIR_MAX, q->body_len);
    x->arena = &q->arena;
    x->body_len = q->body_len;
    x->body_in_place = q->body_in_place ? q->c->in + q->body_off : NULL;
    x->body = &q->body;
    x->who = q->c->remote_addr;
    x->script = q->route.script.script_name;
    x->script_len = q->route.script.script_name_len;
    int rc = exchange_set_params(x, buf, n);
    if (rc < 0) {
        request_error(q, (unsigned)-rc, 0);
        return;
    }
    if (q->probing) {
        x->sink = &health_probe_sink;
        x->sink_arg = &q->probe;
        x->cap_ms = q->h->site->readiness.timeout_ms;
    } else {
        x->sink = &client_sink;
        x->sink_arg = q;
    }
    q->state = RQ_UPSTREAM;
    conn_no_deadline(q->c);
    /* The rest of a "100 Continue" may still wait for the socket: from now
     * on the write deadline bounds that wait. */
    if (q->c->want_write)
        conn_deadline(q->c, q->h->site->write_timeout_ms);
    exchange_start(x);
}

/* ---- bodies ------------------------------------------------------------------ */

/* Queue "HTTP/1.1 100 Continue" and send it: the client waits for it before
 * its body, which now has somewhere to go. It goes out like any response,
 * so a socket that takes only part of it gets the rest first. */
static void send_continue(struct request *q)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

    outq_push(&q->resp.out, cont, sizeof cont - 1);
    conn_write(q->c, &q->resp.out, 0);
}

static void body_run(struct request *q)
{
    struct conn *c = q->c;

    while (q->state == RQ_BODY) {
        if (c->in_end > c->in_start) {
            size_t used = 0;
            int rc = body_spool_feed(&q->body, c->in + c->in_start, c->in_end - c->in_start,
                                     &used);
            c->in_start += (uint32_t)used;
            if (rc < 0) {
                request_error(q, (unsigned)-rc, 0);
                return;
            }
            if (rc == 1) {
                q->body_unread = 0;
                q->body_len = body_spool_length(&q->body);
                to_upstream(q, q->body.chunked);
                return;
            }
        }
        if (!c->readable)
            return; /* the deadline runs meanwhile */
        uint32_t before = c->in_end - c->in_start;
        enum conn_fill f = conn_fill(c, 1);
        if (f == FILL_DATA) {
            q->recv_bytes += (c->in_end - c->in_start) - before;
            receive_deadline(q);
        } else if (f != FILL_AGAIN) {
            if (f == FILL_EOF)
                log_info("%s: client closed during the request body", c->remote_addr);
            conn_close(c);
            return;
        }
    }
}

/* Receive the body before anything else happens to the request (body.h).
 * A Content-Length body that came with its head stays where it is. */
static void receive_body(struct request *q)
{
    struct conn *c = q->c;
    int chunked = (q->req.flags & HTTP_F_CHUNKED) != 0;
    uint64_t length = chunked ? 0 : q->req.content_length;
    int expect = (q->req.flags & HTTP_F_EXPECT_CONTINUE) != 0;

    q->body_len = length; /* CONTENT_LENGTH; a chunked body's comes at its end */
    if (prepare(q, chunked) != 0)
        return;
    if (!chunked && c->in_end - c->in_start >= length) {
        q->body_in_place = 1;
        q->body_off = c->in_start;
        q->in_pending = (uint32_t)length;
        q->body_unread = 0;
        to_upstream(q, 0);
        return;
    }
    body_spool_start(&q->body, q->h->site, chunked, length);
    q->state = RQ_BODY;
    q->recv_start_ms = loop_now_ms();
    q->recv_bytes = c->in_end - c->in_start;
    receive_deadline(q);
    /* A client that already began its body is not waiting for the go. */
    if (expect && c->in_end == c->in_start)
        send_continue(q);
    if (q->state == RQ_BODY)
        body_run(q);
}

/* ---- routing ------------------------------------------------------------------- */

static void to_script(struct request *q)
{
    const struct kiln_site *s = q->h->site;
    const struct http_request *r = &q->req;

    if ((r->flags & HTTP_F_CONTENT_LENGTH) && r->content_length > s->max_body_size) {
        log_info("%s: body of %llu bytes is over max_body_size", q->c->remote_addr,
                 (unsigned long long)r->content_length);
        request_error(q, 413, 0);
        return;
    }
    if (q->body_unread) {
        receive_body(q);
        return;
    }
    q->body_len = 0;
    if (prepare(q, 0) == 0)
        to_upstream(q, 0);
}

/* /readyz asks php-fpm's status page, without the request's body (it is not
 * read: the connection closes after). */
static void to_probe(struct request *q)
{
    const struct kiln_readiness *rd = &q->h->site->readiness;
    struct script_result *sr = &q->route.script;

    q->probing = 1;
    health_probe_init(&q->probe, q->h->site, probe_answered, q);
    if (q->body_unread)
        q->close_after = 1;
    sr->script_name = sr->canonical = rd->status_path.ptr;
    sr->script_name_len = sr->canonical_len = rd->status_path.len;
    sr->path_info = "";
    sr->path_info_len = 0;
    q->body_len = 0;
    if (prepare(q, 0) == 0)
        to_upstream(q, 0);
}

/* Route a complete, valid request head. */
static void dispatch(struct request *q)
{
    struct http_ctx *h = q->h;
    const struct kiln_site *s = h->site;
    const struct http_request *r = &q->req;
    const struct health_answer *a;

    q->in_pending = r->head_len;
    h->stats.requests++;
    q->http10 = r->version_minor == 0;
    q->head_only = r->method_id == HTTP_M_HEAD;
    q->close_after = !(r->flags & HTTP_F_KEEP_ALIVE);
    q->body_unread = (r->flags & HTTP_F_CHUNKED) ||
                     ((r->flags & HTTP_F_CONTENT_LENGTH) && r->content_length > 0);
    conn_no_deadline(q->c);
    route_request(s, r, &q->arena, &q->route);
    switch (q->route.kind) {
    case ROUTE_ERROR:
        request_error(q, q->route.status, q->route.keep);
        return;
    case ROUTE_HEALTHZ:
    case ROUTE_DRAIN:
    case ROUTE_DRAIN_STATUS:
    case ROUTE_READYZ:
        a = health_answer(s, h->health, q->route.kind, q->c->remote_addr);
        if (a != NULL)
            respond(q, a->head, a->head_len, a->body, a->body_len);
        else
            to_probe(q);
        return;
    case ROUTE_RETURN: {
        const struct kiln_static_response *ret = &s->returns[q->route.index];
        respond(q, ret->head.ptr, ret->head.len, ret->body.ptr, ret->body.len);
        return;
    }
    case ROUTE_UPSTREAM_LOC:
        /* kiln-gen refuses such configs (serve.c): a mismatched build. */
        log_err("BUG: %s: an upstream location in a site this runtime cannot serve",
                s->upstreams[q->route.index].json_path);
        request_error(q, 500, 1);
        return;
    default:
        to_script(q);
        return;
    }
}

/* ---- heads ------------------------------------------------------------------- */

/* Nothing of a next request yet: the connection goes idle, without us. */
static void go_idle(struct request *q)
{
    struct conn *c = q->c;
    detach(q);
    conn_idle(c);
}

/* Parse (and serve) request heads while there is input; stops when a
 * request is underway that waits for something else, or the socket has
 * nothing more. */
static void serve_heads(struct request *q)
{
    q->serving = 1;
    while (q->state == RQ_WAIT || q->state == RQ_HEAD) {
        struct conn *c = q->c;
        if (c->in_end > c->in_start) {
            int rc = http_parse_request(&q->parser, c->in + c->in_start, c->in_end - c->in_start,
                                        &q->h->limits, &q->req);
            if (rc > 0) {
                dispatch(q);
                continue;
            }
            if (rc < 0) {
                request_error(q, (unsigned)-rc, 0);
                break;
            }
            if (q->state == RQ_WAIT) {
                q->state = RQ_HEAD; /* the head's deadline starts now */
                q->recv_start_ms = loop_now_ms();
            }
            receive_deadline(q);
        }
        if (!c->readable) {
            if (q->state == RQ_WAIT)
                go_idle(q);
            break;
        }
        enum conn_fill f = conn_fill(c, 0);
        if (f == FILL_AGAIN) {
            if (q->state == RQ_WAIT)
                go_idle(q);
            break;
        }
        if (f != FILL_DATA) {
            /* FILL_FULL cannot happen: the parser refuses a head this big
             * first. EOF between requests is the normal end. */
            conn_close(c);
            break;
        }
    }
    q->serving = 0;
}

/* The response is written: on to the next request, or idle, or closed. */
static void request_finish(struct request *q)
{
    struct conn *c = q->c;
    int close_now = q->close_after || atomic_load_explicit(q->h->stopping, memory_order_relaxed);

    c->in_start += q->in_pending;
    request_clear(q);
    if (close_now) {
        detach(q);
        conn_linger(c);
        return;
    }
    q->state = RQ_WAIT;
    conn_no_deadline(c);
    if (c->peer_eof && c->in_end == c->in_start && !c->readable) {
        conn_close(c);
        return;
    }
    /* Pipelined bytes already here, or more in the socket: go on (unless
     * this runs inside serve_heads, whose loop goes on by itself). */
    if (c->in_end > c->in_start || c->readable) {
        if (!q->serving)
            serve_heads(q);
        return;
    }
    go_idle(q);
}

/* ---- the client's sink --------------------------------------------------------- */

static int sink_head(void *arg, const struct cgi_response *cgi, long long all, const char **why)
{
    struct request *q = arg;
    struct http_ctx *h = q->h;
    const struct kiln_site *s = h->site;
    struct resp_facts f = {
        .head_only = q->head_only,
        .http10 = q->http10,
        .close = must_close(q),
        .body_len = all,
        .date_line = h->loop->date.line,
        .site_headers = s->response_headers,
        .site_header_names = s->response_header_names,
        .n_site_headers = s->n_response_headers,
    };
    if (response_head(&q->resp, &q->arena, cgi, &f, why) != 0)
        return -1;
    if (q->resp.close)
        q->close_after = 1;
    return 0;
}

/* Write the batch, or hold it when the client is behind (respond.h). */
static int sink_body(void *arg, const struct iovec *spans, unsigned n, size_t bytes, int ended,
                     const char **why)
{
    struct request *q = arg;

    if (response_body(&q->resp, spans, n, bytes, ended, why) != 0)
        return -1;
    int r = response_push(&q->resp, q->c, q->h->site->write_timeout_ms);
    if (r != 0)
        return r > 0; /* gone: the exchange was aborted (http_closed) */
    int a = response_hold(&q->resp, ended, why);
    if (a <= 0)
        return a;
    return ended || response_can_take(&q->resp);
}

static void sink_done(void *arg)
{
    struct request *q = arg;

    q->upstream_done = 1;
    if (q->resp.framing == FRAME_LENGTH && q->resp.length_left > 0) {
        log_warn("%s: upstream sent %llu bytes less than its Content-Length", q->c->remote_addr,
                 (unsigned long long)q->resp.length_left);
        q->close_after = 1;
    }
    if (!response_pending(&q->resp))
        request_finish(q);
}

static void sink_failed(void *arg, unsigned status, const char *why)
{
    struct request *q = arg;
    (void)why;

    if (status == 0) {
        /* Part of the response may be out: the client must see it cut. */
        conn_close(q->c);
        return;
    }
    if (status == 503)
        log_warn("%s: no upstream connection free within upstream_queue_timeout "
                 "(upstream_max_conns=%u busy)",
                 q->c->remote_addr, q->h->site->upstream_max_conns);
    q->upstream_done = 1;
    request_error(q, status, 1);
}

static const struct exchange_sink_ops client_sink = {sink_head, sink_body, sink_done,
                                                     sink_failed};

/* The socket takes more while the exchange runs (or is over). */
static void upstream_writable(struct request *q)
{
    const char *why = NULL;
    int r = response_push(&q->resp, q->c, q->h->site->write_timeout_ms);

    if (r < 0)
        return;
    if (q->upstream_done) {
        if (r == 1)
            request_finish(q);
        return;
    }
    int draining = q->x.state == X_DRAINING;
    int a = r == 1 ? 1 : response_hold(&q->resp, draining, &why);
    if (a < 0) {
        log_err("%s: %s", q->c->remote_addr, why);
        conn_close(q->c); /* aborts the exchange (http_closed) */
        return;
    }
    if (a == 1 && (draining || response_can_take(&q->resp)))
        exchange_resume(&q->x);
}

/* ---- the connection's handlers --------------------------------------------------- */

static void http_input(struct conn *c)
{
    struct request *q = c->user;

    if (q == NULL) {
        q = request_get(c->set->ctx, c);
        if (q == NULL) {
            log_err("out of memory for a request");
            conn_close(c);
            return;
        }
        c->user = q;
    }
    if (q->state == RQ_WAIT || q->state == RQ_HEAD)
        serve_heads(q);
    else if (q->state == RQ_BODY)
        body_run(q);
    /* Otherwise input waits in the socket (backpressure). */
}

static void http_writable(struct conn *c)
{
    struct request *q = c->user;

    switch (q->state) {
    case RQ_LOCAL:
        if (response_push(&q->resp, c, q->h->site->write_timeout_ms) == 1)
            request_finish(q);
        break;
    case RQ_UPSTREAM:
        upstream_writable(q);
        break;
    default:
        conn_write(c, &q->resp.out, 0); /* the rest of a "100 Continue" */
        break;
    }
}

static void http_timeout(struct conn *c)
{
    struct request *q = c->user;
    const struct kiln_site *s = q->h->site;
    uint64_t took = loop_now_ms() - q->recv_start_ms;

    switch (q->state) {
    case RQ_HEAD:
        log_info("%s: request head not received in time (%u bytes in %llu ms)", c->remote_addr,
                 c->in_end - c->in_start, (unsigned long long)took);
        request_error(q, 408, 0);
        break;
    case RQ_BODY:
        log_info("%s: request body not received in time (%llu bytes in %llu ms; "
                 "client_min_rate %u B/s after %u ms, read_timeout %u ms)",
                 c->remote_addr, (unsigned long long)q->recv_bytes, (unsigned long long)took,
                 s->client_min_rate, s->client_rate_grace_ms, s->read_timeout_ms);
        request_error(q, 408, 0);
        break;
    default:
        log_info("%s: client timed out (%s)", c->remote_addr,
                 q->state == RQ_UPSTREAM ? "proxy" : "local");
        conn_close(c);
        break;
    }
}

static void http_closed(struct conn *c)
{
    struct request *q = c->user;

    if (q == NULL)
        return;
    if (q->state == RQ_UPSTREAM && !q->upstream_done)
        exchange_abort(&q->x);
    detach(q);
}

const struct conn_ops http_conn_ops = {http_input, http_writable, http_timeout, http_closed};
