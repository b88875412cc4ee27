/*
 * conn.c - client connections (see conn.h).
 *
 * Sockets are registered once, edge-triggered, for reading and writing, so
 * the request path makes no epoll_ctl calls: a read that fills the buffer
 * leaves `readable` set and is resumed when there is room again; a write
 * that would block sets `want_write` and is resumed on the write edge.
 *
 * Order of a request: /healthz -> locations -> script resolution -> body
 * -> FastCGI. Everything before the FastCGI call is answered from baked
 * data without touching the upstream.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "health.h"
#include "log.h"
#include "script.h"
#include "upstream.h"

#define IN_INITIAL (8 * 1024)
#define FREE_CONNS_MAX 256
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (1024 * 1024)

static void conn_run(struct conn *c);
static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void conn_write_cb(evutil_socket_t fd, short what, void *arg);
static void conn_timer_cb(evutil_socket_t fd, short what, void *arg);

const char *conn_state_name(enum conn_state s)
{
    static const char *const names[] = {"idle",  "head",  "spool", "queued",
                                        "proxy", "local", "linger", "dead"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* ---- timers ------------------------------------------------------------- */

static void conn_timer(struct conn *c, uint32_t ms)
{
    deadline_set(&c->timer, ms);
}

static void conn_timer_off(struct conn *c)
{
    deadline_clear(&c->timer);
}

/* ---- life cycle --------------------------------------------------------- */

static struct conn *conn_get(struct worker *w)
{
    struct conn *c = TAILQ_FIRST(&w->free_conns);

    if (c != NULL) {
        TAILQ_REMOVE(&w->free_conns, c, link);
        w->n_free_conns--;
        return c;
    }
    size_t hdrs = (size_t)w->site->max_headers * sizeof(struct http_header);
    c = calloc(1, sizeof *c + hdrs);
    if (c == NULL)
        return NULL;
    c->headers = (struct http_header *)(c + 1);
    c->in_cap = IN_INITIAL < w->site->max_header_size ? IN_INITIAL : w->site->max_header_size;
    c->in = malloc(c->in_cap);
    if (c->in == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void conn_free(struct conn *c)
{
    struct worker *w = c->w;

    if (w->n_free_conns < FREE_CONNS_MAX && c->in_cap <= IN_INITIAL) {
        TAILQ_INSERT_HEAD(&w->free_conns, c, link);
        w->n_free_conns++;
        return;
    }
    free(c->in);
    free(c);
}

static void format_addr(const struct sockaddr *sa, char *host, size_t hcap, char *port,
                        size_t pcap)
{
    host[0] = '\0';
    port[0] = '\0';
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, (socklen_t)hcap);
        if (port != NULL)
            snprintf(port, pcap, "%u", ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
            inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, (socklen_t)hcap);
        else
            inet_ntop(AF_INET6, &s6->sin6_addr, host, (socklen_t)hcap);
        if (port != NULL)
            snprintf(port, pcap, "%u", ntohs(s6->sin6_port));
    }
}

static void conn_reset_request(struct conn *c)
{
    http_parser_init(&c->parser);
    c->req.headers = c->headers;
    c->continue_sent = 0;
    c->body_left = 0;
    c->body_len = 0;
    c->head_only = 0;
    c->up = NULL;
    proxy_state_reset(&c->px);
    body_spool_reset(&c->spool);
    arena_reset(&c->arena);
    outq_init(&c->out);
}

void conn_accept(struct worker *w, int fd, const struct sockaddr *peer, socklen_t peer_len)
{
    struct conn *c = conn_get(w);
    (void)peer_len;

    if (c == NULL) {
        log_err("out of memory for a new connection");
        close(fd);
        atomic_fetch_sub(&w->sh->conns, 1);
        return;
    }
    c->w = w;
    c->fd = fd;
    c->state = CONN_IDLE;
    c->in_start = c->in_end = 0;
    c->readable = 1; /* TCP_DEFER_ACCEPT: the request is usually here */
    c->peer_eof = c->want_write = c->close_after = 0;
    c->head_pending = 0;
    c->http10 = 0;
    arena_init(&c->arena, &w->arena_pool,
               2 * (size_t)w->site->max_header_size + w->site->max_response_header_size +
                   64 * 1024);
    body_spool_init(&c->spool);
    c->px.hacc = NULL;
    conn_reset_request(c);

    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    format_addr(peer, c->remote_addr, sizeof c->remote_addr, c->remote_port,
                sizeof c->remote_port);
    if (w->site->listen_host[0] != '\0') {
        snprintf(c->server_addr, sizeof c->server_addr, "%s", w->site->listen_host);
    } else {
        struct sockaddr_storage local;
        socklen_t llen = sizeof local;
        if (getsockname(fd, (struct sockaddr *)&local, &llen) == 0)
            format_addr((struct sockaddr *)&local, c->server_addr, sizeof c->server_addr,
                        NULL, 0);
    }

    event_assign(&c->rev, w->base, fd, EV_READ | EV_CLOSED | EV_PERSIST | EV_ET, conn_read_cb,
                 c);
    event_assign(&c->wev, w->base, fd, EV_WRITE | EV_PERSIST | EV_ET, conn_write_cb, c);
    deadline_init(&c->timer, w->base, conn_timer_cb, c);
    if (event_add(&c->rev, NULL) != 0 || event_add(&c->wev, NULL) != 0) {
        log_err("cannot watch a new connection");
        close(fd);
        atomic_fetch_sub(&w->sh->conns, 1);
        conn_free(c);
        return;
    }
    TAILQ_INSERT_TAIL(&w->conns, c, link);
    w->n_conns++;
    conn_timer(c, w->site->read_timeout_ms);
    conn_run(c);
}

void conn_close(struct conn *c)
{
    struct worker *w = c->w;

    if (c->state == CONN_DEAD)
        return;
    if (c->state == CONN_QUEUED)
        upstream_dequeue(c);
    if (c->up != NULL) {
        struct upstream *u = c->up;
        c->up = NULL;
        u->client = NULL;
        upstream_close(u);
    }
    event_del(&c->rev);
    event_del(&c->wev);
    deadline_stop(&c->timer);
    close(c->fd);
    c->fd = -1;
    body_spool_reset(&c->spool);
    proxy_state_reset(&c->px);
    arena_reset(&c->arena);
    c->state = CONN_DEAD;
    TAILQ_REMOVE(&w->conns, c, link);
    w->n_conns--;
    atomic_fetch_sub(&w->sh->conns, 1);
    TAILQ_INSERT_TAIL(&w->dead_conns, c, link);
}

/* Half-close and read what the client still sends for a moment, so the
 * kernel does not answer its unread bytes with a reset that could destroy
 * the response before the client reads it. */
static void conn_linger(struct conn *c)
{
    if (shutdown(c->fd, SHUT_WR) != 0 || c->peer_eof) {
        conn_close(c);
        return;
    }
    c->state = CONN_LINGER;
    c->in_start = c->in_end = 0;
    conn_timer(c, LINGER_MS);
    conn_run(c);
}

void conn_drain_all(struct worker *w)
{
    struct conn *c, *next;

    for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
        next = TAILQ_NEXT(c, link);
        if (c->state == CONN_IDLE && c->in_end == c->in_start)
            conn_close(c);
        else
            c->close_after = 1;
    }
}

/* ---- input -------------------------------------------------------------- */

enum fill_result { FILL_DATA, FILL_AGAIN, FILL_FULL, FILL_EOF, FILL_ERROR };

/* Make room at the end of the input buffer: drop consumed bytes, then grow
 * up to what a maximal head needs. */
static int conn_make_room(struct conn *c)
{
    uint32_t max_cap = c->w->site->max_header_size + 4096;

    if (c->in_start == c->in_end) {
        c->in_start = c->in_end = 0;
        return c->in_cap > 0;
    }
    if (c->in_end < c->in_cap)
        return 1;
    if (c->in_start > 0) {
        memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
        c->in_end -= c->in_start;
        c->in_start = 0;
        return 1;
    }
    if (c->in_cap >= max_cap)
        return 0;
    uint8_t *p = realloc(c->in, max_cap);
    if (p == NULL)
        return 0;
    c->in = p;
    c->in_cap = max_cap;
    return 1;
}

static enum fill_result conn_fill(struct conn *c)
{
    if (!conn_make_room(c))
        return FILL_FULL;
    size_t room = c->in_cap - c->in_end;
    ssize_t n;
    do {
        n = recv(c->fd, c->in + c->in_end, room, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        c->in_end += (uint32_t)n;
        /* A short read drained the socket; the next edge says when more
         * arrives. A full read may have left bytes behind. A request body
         * is read once more even after a short read: a client that hangs
         * up right behind its data raises no further edge, and its
         * upload would hold the upstream until read_timeout. */
        c->readable = (size_t)n == room || c->state == CONN_PROXY || c->state == CONN_SPOOL;
        return FILL_DATA;
    }
    c->readable = 0;
    if (n == 0) {
        c->peer_eof = 1;
        return FILL_EOF;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return FILL_AGAIN;
    return FILL_ERROR;
}

/* ---- local responses ---------------------------------------------------- */

static const char *connection_line(struct conn *c)
{
    if (c->close_after || atomic_load_explicit(&c->w->sh->stopping, memory_order_relaxed) ||
        atomic_load_explicit(&c->w->sh->drain_mode, memory_order_relaxed)) {
        c->close_after = 1;
        return "Connection: close\r\n\r\n";
    }
    return c->http10 ? "Connection: keep-alive\r\n\r\n" : "\r\n";
}

/* A local response is queued in c->out: write it and finish the request
 * (or wait for the write edge). Returns 1 if the request is finished. */
static int conn_send_local(struct conn *c)
{
    c->state = CONN_LOCAL;
    int r = conn_flush(c);
    if (r == 1) {
        conn_request_done(c);
        return 1;
    }
    return 0;
}

/* An unread request body makes the connection unusable for another
 * request, unless it is read and thrown away; kiln closes instead. */
static int body_pending(const struct conn *c)
{
    const struct http_request *r = &c->req;
    return (r->flags & HTTP_F_CHUNKED) ||
           ((r->flags & HTTP_F_CONTENT_LENGTH) && r->content_length > 0);
}

void conn_error(struct conn *c, unsigned status, int keep)
{
    const struct http_error *e = http_error_get(status);

    if (!keep)
        c->close_after = 1; /* and conn_queue_local closes after any body */
    if (c->state == CONN_QUEUED)
        upstream_dequeue(c);
    outq_init(&c->out);
    if (c->px.probe) {
        /* php-fpm did not answer the readiness probe: not ready. */
        health_probe_answer(c, 0);
        conn_send_local(c);
        return;
    }
    conn_respond(c, e->head.ptr, e->head.len, e->body.ptr, e->body.len);
}


void conn_queue_local(struct conn *c, const char *head, size_t head_len, const char *body,
                      size_t body_len)
{
    if (body_pending(c))
        c->close_after = 1;
    /* A copy: the worker rewrites its Date line every second, and a write
     * that stops half-way would otherwise finish with the next second. */
    memcpy(c->date_line, c->w->date.line, HTTP_DATE_LINE_LEN);
    outq_push(&c->out, head, head_len);
    outq_push(&c->out, c->date_line, HTTP_DATE_LINE_LEN);
    const char *cl = connection_line(c);
    outq_push(&c->out, cl, strlen(cl));
    if (!c->head_only)
        outq_push(&c->out, body, body_len);
}

void conn_respond(struct conn *c, const char *head, size_t head_len, const char *body,
                  size_t body_len)
{
    conn_queue_local(c, head, head_len, body, body_len);
    conn_send_local(c);
}

/* ---- requests ----------------------------------------------------------- */

/* The request goes upstream: build its FastCGI params from the head (still
 * at in_start), then let the input buffer move on past it. */
static void conn_to_upstream(struct conn *c, uint32_t consumed)
{
    int rc = proxy_prepare(c, &c->script);
    if (rc < 0) {
        conn_error(c, (unsigned)-rc, 0);
        return;
    }
    /* From here on the head's bytes may be overwritten: nothing may use
     * c->req's pointers any more. */
    c->in_start += consumed;
    c->head_pending = 0;
    c->state = CONN_QUEUED;
    conn_timer_off(c);
    upstream_acquire(c);
}

void conn_forward(struct conn *c)
{
    /* A body sent to a health endpoint is not read: close after. */
    if (body_pending(c))
        c->close_after = 1;
    c->body_len = 0;
    c->body_left = 0;
    conn_to_upstream(c, c->req.head_len);
}

/*
 * Collect a chunked body. The head stays in the input buffer, because the
 * params (which need the body's length) are built from it once the body is
 * complete; raw chunked bytes land after it and are dropped as soon as they
 * are decoded. Returns 1 when complete, 0 when more input is needed, -1
 * when the request was answered with an error.
 */
static int conn_spool(struct conn *c)
{
    uint32_t raw = c->in_start + c->spool_off;
    size_t used = 0;
    int rc = body_spool_feed(&c->spool, c->w->site, c->in + raw, c->in_end - raw, &used);

    c->spool_off += (uint32_t)used;
    if (rc < 0) {
        conn_error(c, (unsigned)-rc, 0);
        return -1;
    }
    if (rc == 0 && c->in_start + c->spool_off == c->in_end) {
        c->in_end = c->in_start + c->req.head_len; /* all decoded: drop */
        c->spool_off = c->req.head_len;
    }
    return rc;
}

/*
 * A fill moves the head when it ends at the end of the buffer (compacted to
 * the front, or the buffer reallocated), and c->req points into it. Parse
 * it again where it is now: same bytes, same result, valid pointers.
 */
static void conn_spool_rebase(struct conn *c, uint32_t start, uint32_t cap)
{
    if (c->in_start == start && c->in_cap == cap)
        return;
    http_parser_init(&c->parser);
    c->req.headers = c->headers;
    int rc = http_parse_request(&c->parser, c->in + c->in_start, c->req.head_len, &c->w->limits,
                                &c->req);
    (void)rc;
    assert(rc == (int)c->req.head_len);
}

static void conn_spool_run(struct conn *c)
{
    while (c->state == CONN_SPOOL) {
        int done = conn_spool(c);
        if (done < 0)
            return;
        if (done == 1) {
            c->body_len = body_spool_length(&c->spool);
            conn_to_upstream(c, c->spool_off);
            return;
        }
        if (!c->readable)
            return;
        uint32_t start = c->in_start, cap = c->in_cap;
        enum fill_result f = conn_fill(c);
        conn_spool_rebase(c, start, cap);
        if (f == FILL_DATA) {
            conn_timer(c, c->w->site->read_timeout_ms);
        } else if (f != FILL_AGAIN) {
            if (f == FILL_EOF)
                log_info("%s: client closed during a chunked body", c->remote_addr);
            conn_close(c);
            return;
        }
    }
}

void conn_continue(struct conn *c, int body_here)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

    if ((c->req.flags & HTTP_F_EXPECT_CONTINUE) && !c->continue_sent && !body_here) {
        /* Tiny, and the socket is idle: written at once. */
        ssize_t n = send(c->fd, cont, sizeof cont - 1, MSG_NOSIGNAL);
        (void)n;
    }
    c->continue_sent = 1;
}

static void conn_begin_spool(struct conn *c)
{
    body_spool_start(&c->spool, c->w->site);
    c->spool_off = c->req.head_len;
    c->state = CONN_SPOOL;
    conn_timer(c, c->w->site->read_timeout_ms);
    conn_continue(c, c->in_end > c->in_start + c->spool_off);
    conn_spool_run(c);
}

/* A NUL in the query, written "%00" (a raw one never gets past the
 * parser): the null-byte injection that truncates a file name in C-string
 * code behind PHP ("?file=../x%00.jpg"). Refused like a NUL in the path. */
static int query_has_nul(const char *q, uint32_t len)
{
    for (uint32_t i = 0; i + 2 < len; i++)
        if (q[i] == '%' && q[i + 1] == '0' && q[i + 2] == '0')
            return 1;
    return 0;
}

/* Route a complete, valid request head. */
static void conn_dispatch(struct conn *c)
{
    struct worker *w = c->w;
    const struct kiln_site *site = w->site;
    struct http_request *r = &c->req;
    int hidden = 0;

    c->head_pending = r->head_len;
    c->started_ms = worker_now_ms(w);
    w->stats.requests++;
    c->http10 = r->version_minor == 0;
    c->head_only = r->method_id == HTTP_M_HEAD;
    c->close_after = !(r->flags & HTTP_F_KEEP_ALIVE);
    conn_timer_off(c);

    if (r->flags & HTTP_F_ASTERISK) {
        conn_error(c, 405, 1);
        return;
    }
    size_t cap = (size_t)r->path_len + 1;
    char *canon = arena_alloc(&c->arena, cap);
    if (canon == NULL) {
        conn_error(c, 431, 0);
        return;
    }
    int len = script_canonicalize(r->path, r->path_len, canon, cap, &hidden);
    if (len < 0) {
        conn_error(c, (unsigned)-len, 1);
        return;
    }
    if (query_has_nul(r->query, r->query_len)) {
        conn_error(c, 400, 1);
        return;
    }
    if (health_route(c, canon, (size_t)len))
        return;
    const struct kiln_location *loc = site->location_lookup(canon, (size_t)len);
    if (loc != NULL && loc->kind == KILN_LOC_RETURN) {
        const struct kiln_static_response *ret = &site->returns[loc->index];
        conn_respond(c, ret->head.ptr, ret->head.len, ret->body.ptr, ret->body.len);
        return;
    }
    if (loc != NULL && loc->kind == KILN_LOC_UPSTREAM) {
        log_err("%s: upstream locations are not supported by this build",
                site->upstreams[loc->index].json_path);
        conn_error(c, 502, 1);
        return;
    }

    size_t scap = (size_t)len + site->index.len + 1;
    char *sbuf = arena_alloc(&c->arena, scap);
    int rc = sbuf == NULL ? -431
                          : script_resolve(canon, (size_t)len, hidden, site->index.ptr,
                                           site->index.len, sbuf, scap, &c->script);
    if (rc < 0) {
        conn_error(c, (unsigned)-rc, 1);
        return;
    }
    if ((r->flags & HTTP_F_CONTENT_LENGTH) && r->content_length > site->max_body_size) {
        log_info("%s: body of %llu bytes is over max_body_size", c->remote_addr,
                 (unsigned long long)r->content_length);
        conn_error(c, 413, 0);
        return;
    }
    if (r->flags & HTTP_F_CHUNKED) {
        conn_begin_spool(c);
        return;
    }
    c->body_len = (r->flags & HTTP_F_CONTENT_LENGTH) ? r->content_length : 0;
    c->body_left = c->body_len;
    conn_to_upstream(c, r->head_len);
}

/* Parse (and serve) request heads while there is input; stops when a
 * request is handed to the upstream or the socket has nothing more. */
static void conn_serve_heads(struct conn *c)
{
    c->serving = 1;
    while (c->state == CONN_IDLE || c->state == CONN_HEAD) {
        if (c->in_end > c->in_start) {
            int rc = http_parse_request(&c->parser, c->in + c->in_start,
                                        c->in_end - c->in_start, &c->w->limits, &c->req);
            if (rc > 0) {
                conn_dispatch(c);
                continue;
            }
            if (rc < 0) {
                conn_error(c, (unsigned)-rc, 0);
                break;
            }
            if (c->state == CONN_IDLE) {
                c->state = CONN_HEAD; /* the head's deadline starts now */
                conn_timer(c, c->w->site->read_timeout_ms);
            }
        }
        if (!c->readable)
            break;
        enum fill_result f = conn_fill(c);
        if (f == FILL_AGAIN)
            break;
        if (f != FILL_DATA) {
            /* FILL_FULL cannot happen: the parser refuses a head this big
             * first. EOF between requests is the normal end. */
            conn_close(c);
            break;
        }
    }
    c->serving = 0;
}

/* Read and discard until the client closes or the limit is reached. */
static void conn_linger_read(struct conn *c)
{
    static uint8_t sink[16384];
    size_t total = 0;

    for (;;) {
        ssize_t n = recv(c->fd, sink, sizeof sink, 0);
        if (n > 0) {
            total += (size_t)n;
            if (total > LINGER_MAX_BYTES)
                break;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        break;
    }
    conn_close(c);
}

/* Drive the connection after any event. */
static void conn_run(struct conn *c)
{
    switch (c->state) {
    case CONN_IDLE:
    case CONN_HEAD:
        conn_serve_heads(c);
        break;
    case CONN_SPOOL:
        conn_spool_run(c);
        break;
    case CONN_PROXY:
        if (c->body_left > 0)
            proxy_client_readable(c);
        break;
    case CONN_LINGER:
        conn_linger_read(c);
        break;
    default:
        /* Queued or writing: input waits in the socket (backpressure). */
        break;
    }
}

int conn_read_body(struct conn *c)
{
    if (!c->readable) {
        /* Nothing in the socket: wait for the client, but not forever (a
         * stalled body would hold the php-fpm worker and the slot). */
        conn_timer(c, c->w->site->read_timeout_ms);
        return 0;
    }
    enum fill_result f = conn_fill(c);
    if (f == FILL_DATA) {
        conn_timer(c, c->w->site->read_timeout_ms);
        return 1;
    }
    if (f == FILL_AGAIN) {
        conn_timer(c, c->w->site->read_timeout_ms);
        return 0;
    }
    log_info("%s: client closed during the request body", c->remote_addr);
    conn_close(c);
    return -1;
}

void conn_request_done(struct conn *c)
{
    struct worker *w = c->w;

    conn_timer_off(c);
    int stopping = atomic_load_explicit(&w->sh->stopping, memory_order_relaxed);
    int close_now = c->close_after || stopping || w->draining;
    c->in_start += c->head_pending;
    c->head_pending = 0;
    conn_reset_request(c);
    if (close_now) {
        conn_linger(c);
        return;
    }
    c->state = CONN_IDLE;
    conn_timer(c, w->site->keepalive_timeout_ms);
    if (c->peer_eof && c->in_end == c->in_start && !c->readable) {
        conn_close(c);
        return;
    }
    /* Pipelined bytes already here, or more in the socket: go on (unless
     * this runs inside conn_serve_heads, whose loop goes on by itself). */
    if (!c->serving && (c->in_end > c->in_start || c->readable))
        conn_serve_heads(c);
}

int conn_flush(struct conn *c)
{
    int r = outq_write(&c->out, c->fd);

    if (r == 1) {
        if (c->want_write) {
            c->want_write = 0;
            conn_timer_off(c);
        }
        return 1;
    }
    if (r == 0) {
        c->want_write = 1;
        conn_timer(c, c->w->site->write_timeout_ms);
        return 0;
    }
    if (errno != EPIPE && errno != ECONNRESET)
        log_info("%s: write: %s", c->remote_addr, strerror(errno));
    conn_close(c);
    return -1;
}

/* ---- event callbacks ---------------------------------------------------- */

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    (void)fd;
    c->readable = 1;
    /* The client shut down its side. Bytes it sent before are still to be
     * read, but once they are served the connection is over; without this
     * a FIN that came in the same segment as the last request raises no
     * further edge, and the connection would wait for keepalive_timeout. */
    if (what & EV_CLOSED)
        c->peer_eof = 1;
    conn_run(c);
    worker_reap(c->w);
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    struct worker *w = c->w;
    (void)fd;
    (void)what;

    if (!c->want_write)
        return;
    if (c->state == CONN_LOCAL) {
        if (conn_flush(c) == 1)
            conn_request_done(c);
    } else if (c->state == CONN_PROXY) {
        proxy_client_writable(c);
    }
    worker_reap(w);
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    struct worker *w = c->w;
    (void)fd;
    (void)what;

    if (!deadline_expired(&c->timer))
        return;

    switch (c->state) {
    case CONN_IDLE:
        conn_close(c);
        break;
    case CONN_HEAD:
    case CONN_SPOOL:
        log_info("%s: request not received within read_timeout", c->remote_addr);
        c->close_after = 1;
        conn_error(c, 408, 0);
        break;
    case CONN_QUEUED:
        w->stats.queue_timeouts++;
        log_warn("%s: no upstream connection free within upstream_queue_timeout "
                 "(upstream_max_conns=%u busy)",
                 c->remote_addr, w->site->upstream_max_conns);
        conn_error(c, 503, 1);
        break;
    default:
        log_info("%s: client timed out (%s)", c->remote_addr, conn_state_name(c->state));
        conn_close(c);
        break;
    }
    worker_reap(w);
}
