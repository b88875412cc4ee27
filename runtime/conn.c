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
 * data without touching the upstream, and the body is received in full
 * before a php-fpm connection is taken (body.h), so a slow client never
 * holds a php-fpm worker while it sends.
 *
 * Receive deadlines are totals, never re-armed by activity alone: a head
 * must be in within read_timeout of its first byte, a body may pause at
 * most read_timeout, and after client_rate_grace both must keep up an
 * average of client_min_rate bytes per second (conn_receive_deadline).
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
    static const char *const names[] = {"idle",  "head",  "body",   "queued",
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

/*
 * The deadline of a head or body on its way in: never later than
 * client_rate_grace plus what the bytes so far earn at client_min_rate
 * (a client dripping bytes earns almost nothing), and for a head
 * read_timeout after its first byte, for a body read_timeout of silence.
 * Computed from totals each time bytes arrive.
 */
static void conn_receive_deadline(struct conn *c)
{
    const struct kiln_site *s = c->w->site;
    uint64_t now = worker_now_ms(c->w);
    uint64_t bytes = c->state == CONN_HEAD ? c->in_end - c->in_start : c->recv_bytes;
    uint64_t due = c->recv_start_ms + s->client_rate_grace_ms + bytes * 1000 / s->client_min_rate;
    uint64_t cap = c->state == CONN_HEAD ? c->recv_start_ms + s->read_timeout_ms
                                         : now + s->read_timeout_ms;

    if (due > cap)
        due = cap;
    conn_timer(c, due > now ? (uint32_t)(due - now) : 0);
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

/* The one place a connection's per-request state starts over. */
static void conn_reset_request(struct conn *c)
{
    http_parser_init(&c->parser);
    c->req.headers = c->headers;
    c->body_unread = 0;
    c->body_in_place = 0;
    c->body_len = 0;
    c->recv_bytes = 0;
    c->head_only = 0;
    c->up = NULL;
    proxy_state_reset(&c->px);
    body_spool_reset(&c->body);
    spool_reset(&c->held);
    c->out_from_held = 0;
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
    c->in_pending = 0;
    c->http10 = 0;
    arena_init(&c->arena, &w->arena_pool,
               2 * (size_t)w->site->max_header_size + w->site->max_response_header_size +
                   64 * 1024);
    body_spool_init(&c->body, &w->spool_pool, w->site);
    spool_init(&c->held, &w->spool_pool, w->site->response_buffer_size,
               w->site->response_temp_max);
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
    body_spool_reset(&c->body);
    spool_reset(&c->held);
    c->out_from_held = 0;
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
        c->recv_bytes += (uint64_t)n;
        /* A short read drained the socket; the next edge says when more
         * arrives. A full read may have left bytes behind. A request body
         * is read once more even after a short read: a client that hangs
         * up right behind its data raises no further edge, and would be
         * noticed only at its deadline. */
        c->readable = (size_t)n == room || c->state == CONN_BODY;
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

/* Does the request have a body, per its head? */
static int has_body(const struct http_request *r)
{
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
    /* c->out holds nothing of this request's answer yet; what it holds
     * (the rest of a "100 Continue") must still go out first. */
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
    /* An unread body would be taken for the next request: close instead
     * of reading it only to throw it away. */
    if (c->body_unread)
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

/* The request and its body are complete: its records are laid out, and it
 * waits for a php-fpm connection (or gets one at once). */
static void conn_to_upstream(struct conn *c)
{
    int rc = proxy_seal(c);
    if (rc < 0) {
        conn_error(c, (unsigned)-rc, 0);
        return;
    }
    c->state = CONN_QUEUED;
    conn_timer_off(c);
    /* The rest of a "100 Continue" may still wait for the socket: from now
     * on the write deadline bounds that wait. */
    if (c->want_write)
        conn_timer(c, c->w->site->write_timeout_ms);
    upstream_acquire(c);
}

/* The request goes upstream: build its FastCGI params from the head (still
 * at in_start), then let the input buffer move on past the head. From here
 * on nothing may use c->req's pointers. */
static int conn_prepare(struct conn *c, int length_later)
{
    int rc = proxy_prepare(c, &c->script, length_later);
    if (rc < 0) {
        conn_error(c, (unsigned)-rc, 0);
        return -1;
    }
    c->in_start += c->req.head_len;
    c->in_pending = 0;
    return 0;
}

void conn_forward(struct conn *c)
{
    /* A body sent to a health endpoint is not read: close after. */
    if (c->body_unread)
        c->close_after = 1;
    c->body_len = 0;
    if (conn_prepare(c, 0) == 0)
        conn_to_upstream(c);
}

/* Queue "HTTP/1.1 100 Continue" and send it: the client waits for it before
 * its body, which now has somewhere to go. It goes through c->out like any
 * response, so a socket that takes only part of it gets the rest first. */
static void conn_continue(struct conn *c)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

    outq_push(&c->out, cont, sizeof cont - 1);
    conn_flush(c);
}

/* Feed what the input buffer holds to the body being received. Returns 1
 * when the body is complete, 0 when more is needed, -1 when the request
 * was answered with an error. */
static int conn_body_feed(struct conn *c)
{
    size_t used = 0;
    int rc = body_spool_feed(&c->body, c->in + c->in_start, c->in_end - c->in_start, &used);

    c->in_start += (uint32_t)used;
    if (rc < 0) {
        conn_error(c, (unsigned)-rc, 0);
        return -1;
    }
    return rc;
}

static void conn_body_run(struct conn *c)
{
    while (c->state == CONN_BODY) {
        if (c->in_end > c->in_start) {
            int done = conn_body_feed(c);
            if (done < 0)
                return;
            if (done == 1) {
                c->body_unread = 0;
                c->body_len = body_spool_length(&c->body);
                conn_to_upstream(c);
                return;
            }
        }
        if (!c->readable)
            return; /* the deadline runs meanwhile */
        enum fill_result f = conn_fill(c);
        if (f == FILL_DATA) {
            conn_receive_deadline(c);
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
static void conn_receive_body(struct conn *c)
{
    const struct http_request *r = &c->req;
    int chunked = (r->flags & HTTP_F_CHUNKED) != 0;
    uint64_t length = chunked ? 0 : r->content_length;

    c->body_len = length; /* CONTENT_LENGTH; a chunked body's comes at its end */
    if (conn_prepare(c, chunked) != 0)
        return;
    if (!chunked && c->in_end - c->in_start >= length) {
        c->body_in_place = 1;
        c->body_off = c->in_start;
        c->body_len = length;
        c->in_pending = (uint32_t)length;
        c->body_unread = 0;
        conn_to_upstream(c);
        return;
    }
    body_spool_start(&c->body, c->w->site, chunked, length);
    c->state = CONN_BODY;
    c->recv_start_ms = worker_now_ms(c->w);
    c->recv_bytes = c->in_end - c->in_start;
    conn_receive_deadline(c);
    /* A client that already began its body is not waiting for the go. */
    if ((r->flags & HTTP_F_EXPECT_CONTINUE) && c->in_end == c->in_start)
        conn_continue(c);
    if (c->state == CONN_BODY)
        conn_body_run(c);
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

    c->in_pending = r->head_len;
    c->started_ms = worker_now_ms(w);
    w->stats.requests++;
    c->http10 = r->version_minor == 0;
    c->head_only = r->method_id == HTTP_M_HEAD;
    c->close_after = !(r->flags & HTTP_F_KEEP_ALIVE);
    c->body_unread = (uint8_t)has_body(r);
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
        /* kiln-gen refuses such configs (serve.c): a mismatched build. */
        log_err("BUG: %s: an upstream location in a site this runtime cannot serve",
                site->upstreams[loc->index].json_path);
        conn_error(c, 500, 1);
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
    if (c->body_unread) {
        conn_receive_body(c);
        return;
    }
    c->body_len = 0;
    if (conn_prepare(c, 0) == 0)
        conn_to_upstream(c);
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
                c->recv_start_ms = worker_now_ms(c->w);
            }
            conn_receive_deadline(c);
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

/* Read and discard until the client closes or the limit is reached. The
 * input buffer is the sink: nothing in it is needed any more. */
static void conn_linger_read(struct conn *c)
{
    size_t total = 0;

    for (;;) {
        ssize_t n = recv(c->fd, c->in, c->in_cap, 0);
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
    case CONN_BODY:
        conn_body_run(c);
        break;
    case CONN_LINGER:
        conn_linger_read(c);
        break;
    default:
        /* Queued or writing: input waits in the socket (backpressure). */
        break;
    }
}

void conn_request_done(struct conn *c)
{
    struct worker *w = c->w;

    conn_timer_off(c);
    int stopping = atomic_load_explicit(&w->sh->stopping, memory_order_relaxed);
    int close_now = c->close_after || stopping || w->draining;
    c->in_start += c->in_pending;
    c->in_pending = 0;
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
    size_t before = c->out.bytes;
    int r = outq_write(&c->out, c->fd);
    /* While a body comes in (after "100 Continue"), its own deadline
     * applies, not the write deadline. */
    int own = c->state != CONN_BODY;

    if (r == 1) {
        if (c->want_write) {
            c->want_write = 0;
            if (own)
                conn_timer_off(c);
        }
        return 1;
    }
    if (r == 0) {
        /* write_timeout bounds a wait without progress: output queued
         * behind (a response being held) does not keep alive a client that
         * takes nothing. */
        if (own && (!c->want_write || c->out.bytes < before))
            conn_timer(c, c->w->site->write_timeout_ms);
        c->want_write = 1;
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
    } else {
        conn_flush(c); /* the rest of a "100 Continue" */
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
        log_info("%s: request head not received in time (%u bytes in %llu ms)", c->remote_addr,
                 c->in_end - c->in_start,
                 (unsigned long long)(worker_now_ms(w) - c->recv_start_ms));
        conn_error(c, 408, 0);
        break;
    case CONN_BODY:
        log_info("%s: request body not received in time (%llu bytes in %llu ms; "
                 "client_min_rate %u B/s after %u ms, read_timeout %u ms)",
                 c->remote_addr, (unsigned long long)c->recv_bytes,
                 (unsigned long long)(worker_now_ms(w) - c->recv_start_ms),
                 w->site->client_min_rate, w->site->client_rate_grace_ms,
                 w->site->read_timeout_ms);
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
