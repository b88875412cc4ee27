/*
 * conn.c - client connections (see conn.h).
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define BUF_USUAL (8 * 1024)
#define FREE_CONNS_MAX 256
#define FREE_BUFS_MAX 256
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (1024 * 1024)

static void conn_event(evutil_socket_t fd, short what, void *arg);
static void conn_timer_fired(struct timer *t);

void conn_set_init(struct conn_set *s, struct loop *loop, const struct kiln_site *site,
                   const struct conn_ops *ops, void *ctx, _Atomic uint32_t *open_total)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->site = site;
    s->ops = ops;
    s->ctx = ctx;
    s->open_total = open_total;
    TAILQ_INIT(&s->all);
    TAILQ_INIT(&s->free);
    s->buf_size = BUF_USUAL < site->max_header_size ? BUF_USUAL : site->max_header_size;
    s->buf_max = site->max_header_size + 4096;
}

void conn_set_destroy(struct conn_set *s)
{
    struct conn *c;
    while ((c = TAILQ_FIRST(&s->free)) != NULL) {
        TAILQ_REMOVE(&s->free, c, link);
        free(c);
    }
    while (s->bufs != NULL) {
        uint8_t *b = s->bufs;
        memcpy(&s->bufs, b, sizeof s->bufs);
        free(b);
    }
    free(s->local);
    s->local = NULL;
    s->n_free = s->n_bufs = s->n_local = s->cap_local = 0;
}

/* ---- memory -------------------------------------------------------------- */

static uint8_t *buf_get(struct conn_set *s)
{
    uint8_t *b = s->bufs;
    if (b != NULL) {
        memcpy(&s->bufs, b, sizeof s->bufs);
        s->n_bufs--;
        return b;
    }
    return malloc(s->buf_size);
}

/* Give c's input buffer back (an enlarged one is freed). */
static void buf_put(struct conn *c)
{
    struct conn_set *s = c->set;
    uint8_t *b = c->in;
    uint32_t cap = c->in_cap;

    c->in = NULL;
    c->in_cap = c->in_start = c->in_end = 0;
    if (b == NULL)
        return;
    if (cap != s->buf_size || s->n_bufs >= FREE_BUFS_MAX) {
        free(b);
        return;
    }
    memcpy(b, &s->bufs, sizeof s->bufs);
    s->bufs = b;
    s->n_bufs++;
}

static struct conn *conn_get(struct conn_set *s)
{
    struct conn *c = TAILQ_FIRST(&s->free);
    if (c != NULL) {
        TAILQ_REMOVE(&s->free, c, link);
        s->n_free--;
        return c;
    }
    return calloc(1, sizeof *c);
}

static void conn_free(struct loop_defer *d)
{
    struct conn *c = (struct conn *)((char *)d - offsetof(struct conn, defer));
    struct conn_set *s = c->set;

    if (s->n_free < FREE_CONNS_MAX) {
        TAILQ_INSERT_HEAD(&s->free, c, link);
        s->n_free++;
        return;
    }
    free(c);
}

/* ---- addresses ----------------------------------------------------------- */

static void format_addr(const struct sockaddr *sa, char *host, size_t hcap, char *port,
                        size_t pcap)
{
    host[0] = '\0';
    if (port != NULL)
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

/* The index of a local address text, added when new. */
static uint16_t local_index(struct conn_set *s, const char *text)
{
    for (uint16_t i = 0; i < s->n_local; i++)
        if (strcmp(s->local[i], text) == 0)
            return i;
    if (s->n_local == s->cap_local) {
        uint16_t cap = s->cap_local ? (uint16_t)(s->cap_local * 2) : 4;
        if (cap <= s->cap_local || cap > 4096)
            return 0; /* not plausible for one host; the first one is used */
        void *p = realloc(s->local, (size_t)cap * sizeof *s->local);
        if (p == NULL) {
            log_err("out of memory for local addresses");
            abort();
        }
        s->local = p;
        s->cap_local = cap;
    }
    snprintf(s->local[s->n_local], sizeof s->local[0], "%s", text);
    return s->n_local++;
}

static void set_addresses(struct conn *c, const struct sockaddr *peer)
{
    struct conn_set *s = c->set;
    char local[INET6_ADDRSTRLEN] = "";

    format_addr(peer, c->remote_addr, sizeof c->remote_addr, c->remote_port,
                sizeof c->remote_port);
    c->remote_addr_len = (uint8_t)strlen(c->remote_addr);
    c->remote_port_len = (uint8_t)strlen(c->remote_port);
    if (s->site->listen_host[0] != '\0') {
        snprintf(local, sizeof local, "%s", s->site->listen_host);
    } else {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0)
            format_addr((struct sockaddr *)&ss, local, sizeof local, NULL, 0);
    }
    c->local_addr = local_index(s, local);
}

/* ---- life cycle ---------------------------------------------------------- */

static void idle_input(struct conn *c);

void conn_accept(struct conn_set *s, int fd, const struct sockaddr *peer)
{
    struct conn *c = conn_get(s);

    if (c == NULL) {
        log_err("out of memory for a new connection");
        close(fd);
        atomic_fetch_sub(s->open_total, 1);
        return;
    }
    memset(c, 0, sizeof *c);
    c->set = s;
    c->fd = fd;
    c->state = CONN_IDLE;
    c->readable = 1; /* TCP_DEFER_ACCEPT: the request is usually here */
    timer_init(&c->timer, conn_timer_fired);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_addresses(c, peer);
    event_assign(&c->ev, s->loop->base, fd, EV_READ | EV_WRITE | EV_CLOSED | EV_PERSIST | EV_ET,
                 conn_event, c);
    if (event_add(&c->ev, NULL) != 0) {
        log_err("cannot watch a new connection");
        close(fd);
        atomic_fetch_sub(s->open_total, 1);
        loop_defer(s->loop, &c->defer, conn_free);
        return;
    }
    TAILQ_INSERT_TAIL(&s->all, c, link);
    s->n++;
    /* A connection that never sends its request is dropped like a head
     * that never ends. */
    timer_set(s->loop, &c->timer, s->site->read_timeout_ms);
    idle_input(c);
}

void conn_close(struct conn *c)
{
    struct conn_set *s = c->set;

    if (c->state == CONN_DEAD)
        return;
    if (c->state == CONN_BUSY)
        s->ops->closed(c);
    c->state = CONN_DEAD;
    c->user = NULL;
    event_del(&c->ev);
    timer_stop(s->loop, &c->timer);
    close(c->fd);
    c->fd = -1;
    buf_put(c);
    TAILQ_REMOVE(&s->all, c, link);
    s->n--;
    atomic_fetch_sub(s->open_total, 1);
    loop_defer(s->loop, &c->defer, conn_free);
}

void conn_idle(struct conn *c)
{
    c->state = CONN_IDLE;
    c->user = NULL;
    c->want_write = 0;
    if (c->peer_eof && c->in_end == c->in_start && !c->readable) {
        conn_close(c);
        return;
    }
    if (c->in_start == c->in_end)
        buf_put(c);
    timer_set(c->set->loop, &c->timer, c->set->site->keepalive_timeout_ms);
}

static void linger_read(struct conn *c);

/* Half-close and read what the client still sends for a moment, so the
 * kernel does not answer its unread bytes with a reset that could destroy
 * the response before the client reads it. */
void conn_linger(struct conn *c)
{
    if (shutdown(c->fd, SHUT_WR) != 0 || c->peer_eof) {
        conn_close(c);
        return;
    }
    c->state = CONN_LINGER;
    c->user = NULL;
    c->in_start = c->in_end = 0;
    timer_set(c->set->loop, &c->timer, LINGER_MS);
    linger_read(c);
}

void conn_close_idle(struct conn_set *s)
{
    struct conn *c, *next;

    for (c = TAILQ_FIRST(&s->all); c != NULL; c = next) {
        next = TAILQ_NEXT(c, link);
        if (c->state == CONN_IDLE && c->in_end == c->in_start)
            conn_close(c);
    }
}

void conn_close_all(struct conn_set *s)
{
    struct conn *c;
    while ((c = TAILQ_FIRST(&s->all)) != NULL)
        conn_close(c);
}

/* ---- input --------------------------------------------------------------- */

/* Make room at the end of the input buffer: take one, drop consumed bytes,
 * then grow up to what a maximal head needs. */
static int make_room(struct conn *c)
{
    struct conn_set *s = c->set;

    if (c->in == NULL) {
        if ((c->in = buf_get(s)) == NULL)
            return 0;
        c->in_cap = s->buf_size;
        c->in_start = c->in_end = 0;
    }
    if (c->in_start == c->in_end) {
        c->in_start = c->in_end = 0;
        return 1;
    }
    if (c->in_end < c->in_cap)
        return 1;
    if (c->in_start > 0) {
        memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
        c->in_end -= c->in_start;
        c->in_start = 0;
        return 1;
    }
    if (c->in_cap >= s->buf_max)
        return 0;
    uint8_t *p = malloc(s->buf_max);
    if (p == NULL)
        return 0;
    memcpy(p, c->in, c->in_end);
    uint32_t end = c->in_end;
    buf_put(c);
    c->in = p;
    c->in_cap = s->buf_max;
    c->in_end = end;
    return 1;
}

enum conn_fill conn_fill(struct conn *c, int again)
{
    if (!make_room(c))
        return FILL_FULL;
    size_t room = c->in_cap - c->in_end;
    ssize_t n;
    do {
        n = recv(c->fd, c->in + c->in_end, room, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        c->in_end += (uint32_t)n;
        /* A short read drained the socket; the next edge says when more
         * arrives. A full read may have left bytes behind. */
        c->readable = (size_t)n == room || again;
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

/* Bytes for an idle connection: the start of a request for the layer above,
 * or nothing (the buffer goes back), or the end (EOF between requests is
 * the normal end of a connection). */
static void idle_input(struct conn *c)
{
    if (c->in_end == c->in_start) {
        if (!c->readable)
            return;
        enum conn_fill f = conn_fill(c, 0);
        if (f == FILL_AGAIN) {
            buf_put(c);
            return;
        }
        if (f != FILL_DATA) {
            conn_close(c);
            return;
        }
    }
    c->state = CONN_BUSY;
    conn_no_deadline(c);
    c->set->ops->input(c);
}

/* Read and discard until the client closes or the limit is reached. The
 * input buffer is the sink: nothing in it is needed any more. */
static void linger_read(struct conn *c)
{
    size_t total = 0;

    if (c->in == NULL && (c->in = buf_get(c->set)) != NULL)
        c->in_cap = c->set->buf_size;
    if (c->in == NULL) {
        conn_close(c);
        return;
    }
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

/* ---- output and deadlines ------------------------------------------------ */

void conn_deadline(struct conn *c, uint32_t ms)
{
    timer_set(c->set->loop, &c->timer, ms);
}

void conn_no_deadline(struct conn *c)
{
    timer_clear(&c->timer);
}

int conn_write(struct conn *c, struct outq *q, uint32_t deadline_ms)
{
    size_t before = q->bytes;
    int r = outq_write(q, c->fd);

    if (r == 1) {
        if (c->want_write && deadline_ms != 0)
            conn_no_deadline(c);
        c->want_write = 0;
        return 1;
    }
    if (r == 0) {
        if (deadline_ms != 0 && (!c->want_write || q->bytes < before))
            conn_deadline(c, deadline_ms);
        c->want_write = 1;
        return 0;
    }
    if (errno != EPIPE && errno != ECONNRESET)
        log_info("%s: write: %s", c->remote_addr, strerror(errno));
    conn_close(c);
    return -1;
}

/* ---- events -------------------------------------------------------------- */

static void conn_event(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    struct loop *loop = c->set->loop;
    (void)fd;

    if (what & (EV_READ | EV_CLOSED))
        c->readable = 1;
    /* The client shut down its side. Bytes it sent before are still to be
     * read, but once they are served the connection is over; without this
     * a FIN that came in the same segment as the last request raises no
     * further edge, and the connection would wait for keepalive_timeout. */
    if (what & EV_CLOSED)
        c->peer_eof = 1;
    switch (c->state) {
    case CONN_IDLE:
        idle_input(c);
        break;
    case CONN_BUSY:
        if (what & (EV_READ | EV_CLOSED))
            c->set->ops->input(c);
        if ((what & EV_WRITE) && c->want_write && c->state == CONN_BUSY)
            c->set->ops->writable(c);
        break;
    case CONN_LINGER:
        linger_read(c);
        break;
    default:
        break;
    }
    loop_reap(loop);
}

static void conn_timer_fired(struct timer *t)
{
    struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));

    if (c->state == CONN_BUSY)
        c->set->ops->timeout(c);
    else
        conn_close(c); /* keep-alive or linger time is over */
}
