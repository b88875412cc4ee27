/*
 * upstream.c - FastCGI connections: dial, pool, global bound, wait queue
 * (see upstream.h for why).
 */
#include "upstream.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "proxy.h"

#define FREE_UPS_MAX 64

static void up_read_cb(evutil_socket_t fd, short what, void *arg);
static void up_write_cb(evutil_socket_t fd, short what, void *arg);
static void up_timer_cb(evutil_socket_t fd, short what, void *arg);

/* ---- the global bound ---------------------------------------------------- */

static int slot_take(struct shared *sh)
{
    uint32_t open = atomic_load(&sh->up_open);
    while (open < sh->site->upstream_max_conns) {
        if (atomic_compare_exchange_weak(&sh->up_open, &open, open + 1))
            return 1;
    }
    return 0;
}

/* The thread whose first queued request has waited longest, or NULL. */
static struct worker *oldest_waiter(struct shared *sh)
{
    struct worker *best = NULL;
    uint64_t best_ms = UINT64_MAX;

    for (unsigned i = 0; i < sh->n_workers; i++) {
        struct worker *t = &sh->workers[i];
        uint64_t ms = atomic_load_explicit(&t->queue_head_ms, memory_order_relaxed);
        if (ms != 0 && ms < best_ms &&
            atomic_load_explicit(&t->n_queued, memory_order_relaxed) > 0) {
            best = t;
            best_ms = ms;
        }
    }
    return best;
}

/* A slot is free again: let the thread whose queued request has waited
 * longest use it (first come, first served across threads; a thread that
 * always has requests of its own queued must not starve the others). The
 * own thread is served through its wake event too, so this never re-enters
 * the request code that called it. */
static void wake_a_waiter(struct shared *sh)
{
    if (atomic_load(&sh->up_waiting) == 0)
        return;
    struct worker *t = oldest_waiter(sh);
    if (t != NULL) {
        worker_wake(t, WAKE_SLOT);
        return;
    }
    unsigned n = sh->n_workers;
    unsigned start = atomic_fetch_add(&sh->wake_rr, 1);
    for (unsigned i = 0; i < n; i++) {
        t = &sh->workers[(start + i) % n];
        if (atomic_load_explicit(&t->n_queued, memory_order_relaxed) > 0) {
            worker_wake(t, WAKE_SLOT);
            return;
        }
    }
}

static void slot_give(struct worker *w)
{
    /* Free the slot, then look for waiters: enqueue() counts itself as
     * waiting, then looks for a slot, so one of the two sees the other. */
    atomic_fetch_sub(&w->sh->up_open, 1);
    wake_a_waiter(w->sh);
}

/* Publish when this thread's first queued request started. */
static void queue_head_publish(struct worker *w)
{
    struct conn *head = TAILQ_FIRST(&w->waiters);
    uint64_t ms = head == NULL ? 0 : head->started_ms;
    atomic_store_explicit(&w->queue_head_ms, ms == 0 && head != NULL ? 1 : ms,
                          memory_order_relaxed);
}

/* This thread waits while others hold idle connections: ask one of them to
 * close some. */
static void ask_to_shed(struct worker *w)
{
    struct shared *sh = w->sh;

    if (atomic_load(&sh->up_idle) == 0)
        return;
    for (unsigned i = 0; i < sh->n_workers; i++) {
        struct worker *t = &sh->workers[i];
        if (t != w && atomic_load_explicit(&t->n_idle_shared, memory_order_relaxed) > 0) {
            worker_wake(t, WAKE_SHED);
            return;
        }
    }
}

/* ---- objects ------------------------------------------------------------- */

static struct upstream *up_get(struct worker *w)
{
    struct upstream *u = TAILQ_FIRST(&w->free_ups);

    if (u != NULL) {
        TAILQ_REMOVE(&w->free_ups, u, link);
        w->n_free_ups--;
    } else {
        u = calloc(1, sizeof *u);
        if (u == NULL)
            return NULL;
        u->rbuf = malloc(UPSTREAM_RBUF_SIZE);
        if (u->rbuf == NULL) {
            free(u);
            return NULL;
        }
    }
    u->w = w;
    u->fd = -1;
    u->client = NULL;
    u->reused = 0;
    u->readable = u->want_write = u->peer_closed = 0;
    u->req_id = 0;
    return u;
}

void upstream_free(struct upstream *u)
{
    struct worker *w = u->w;

    if (w->n_free_ups < FREE_UPS_MAX) {
        TAILQ_INSERT_HEAD(&w->free_ups, u, link);
        w->n_free_ups++;
        return;
    }
    free(u->rbuf);
    free(u);
}

static void idle_remove(struct upstream *u)
{
    struct worker *w = u->w;
    TAILQ_REMOVE(&w->idle, u, link);
    w->n_idle--;
    atomic_store_explicit(&w->n_idle_shared, w->n_idle, memory_order_relaxed);
    atomic_fetch_sub(&w->sh->up_idle, 1);
}

/* Close the socket and forget its events; the slot is not touched. */
static void up_close_fd(struct upstream *u)
{
    event_del(&u->rev);
    event_del(&u->wev);
    deadline_stop(&u->timer);
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
}

void upstream_close(struct upstream *u)
{
    struct worker *w = u->w;

    if (u->state == UP_DEAD)
        return;
    if (u->state == UP_IDLE)
        idle_remove(u);
    up_close_fd(u);
    u->state = UP_DEAD;
    u->client = NULL;
    w->n_up--;
    TAILQ_INSERT_TAIL(&w->dead_ups, u, link);
    slot_give(w);
}

/* Careful for a minute after php-fpm last closed a connection on its own
 * (with pm.max_requests it does so all the time, so that is "always"), and
 * for the first seconds after start, before anything could be seen. */
#define CAREFUL_AFTER_CLOSE_MS 60000
#define CAREFUL_AT_START_MS 10000

static int careful(struct worker *w)
{
    uint64_t until = atomic_load_explicit(&w->sh->careful_until, memory_order_relaxed);
    return until == 0 || worker_now_ms(w) < until;
}

void upstream_fpm_closed(struct worker *w)
{
    uint64_t until = worker_now_ms(w) + CAREFUL_AFTER_CLOSE_MS;
    uint64_t cur = atomic_load_explicit(&w->sh->careful_until, memory_order_relaxed);
    /* Once a second at most: this runs on every recycled connection. */
    while (until > cur + 1000 &&
           !atomic_compare_exchange_weak(&w->sh->careful_until, &cur, until))
        ;
}

void upstream_careful_at_start(struct shared *sh)
{
    atomic_store(&sh->careful_until, deadline_now_ms() + CAREFUL_AT_START_MS);
}

static uint32_t min_ms(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

uint32_t upstream_wait_ms(const struct upstream *u, uint32_t ms)
{
    const struct conn *c = u->client;
    if (c != NULL && c->px.probe)
        return min_ms(ms, u->w->site->readiness.timeout_ms);
    return ms;
}

/* ---- dialing ------------------------------------------------------------- */

/* Start connecting u. Returns 1 when connected at once (common for Unix
 * sockets), 0 when in progress, -1 on failure (logged; socket closed). */
static int up_connect(struct upstream *u)
{
    struct worker *w = u->w;
    const struct upstream_addr *a = &w->sh->addrs[u->addr_index];

    u->fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (u->fd < 0) {
        log_err("upstream %s: socket: %s", a->text, strerror(errno));
        return -1;
    }
    if (a->sa.ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(u->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    /* EV_CLOSED: a hang-up that arrives together with END_REQUEST raises
     * no further edge, and must still be known (up_settled). */
    u->peer_closed = 0;
    u->readable = 0;
    event_assign(&u->rev, w->base, u->fd, EV_READ | EV_CLOSED | EV_PERSIST | EV_ET, up_read_cb,
                 u);
    event_assign(&u->wev, w->base, u->fd, EV_WRITE | EV_PERSIST | EV_ET, up_write_cb, u);
    deadline_init(&u->timer, w->base, up_timer_cb, u);
    int rc;
    do {
        rc = connect(u->fd, (const struct sockaddr *)&a->sa, a->len);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno != EINPROGRESS) {
        /* EAGAIN on a Unix socket: php-fpm's listen backlog is full. */
        log_err("upstream %s: connect: %s", a->text, strerror(errno));
        close(u->fd);
        u->fd = -1;
        return -1;
    }
    if (event_add(&u->rev, NULL) != 0 || event_add(&u->wev, NULL) != 0) {
        log_err("upstream %s: cannot watch the connection", a->text);
        up_close_fd(u);
        return -1;
    }
    w->stats.up_connects++;
    if (rc == 0)
        return 1;
    deadline_set(&u->timer, upstream_wait_ms(u, w->site->dial_timeout_ms));
    return 0;
}

/* Dial for client c on a slot already taken. Tries each resolved address
 * in turn on immediate failures. */
static void up_dial(struct worker *w, struct conn *c, struct upstream *u)
{
    unsigned n = w->sh->n_addrs;

    c->up = u;
    u->client = c;
    c->state = CONN_PROXY;
    for (unsigned i = 0; i < n; i++) {
        u->addr_index = i;
        u->state = UP_CONNECTING;
        int rc = up_connect(u);
        if (rc == 1) {
            u->state = UP_ACTIVE;
            proxy_start(c, u);
            return;
        }
        if (rc == 0)
            return;
    }
    proxy_dial_failed(u, 0);
}

static void up_dial_new(struct worker *w, struct conn *c)
{
    struct upstream *u = up_get(w);

    if (u == NULL) {
        log_err("out of memory for an upstream connection");
        slot_give(w);
        c->state = CONN_PROXY; /* not in the queue: nothing to dequeue */
        conn_error(c, 502, 1);
        return;
    }
    w->n_up++;
    up_dial(w, c, u);
}

int upstream_peer_open(struct upstream *u)
{
    uint8_t b;
    ssize_t n = recv(u->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int upstream_has_input(struct upstream *u)
{
    uint8_t b;

    if (recv(u->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
        return 0;
    event_active(&u->rev, EV_READ, 0);
    return 1;
}

void upstream_redial(struct upstream *u)
{
    struct conn *c = u->client;

    up_close_fd(u); /* an active connection: callers take idle ones out */
    u->reused = 0;
    up_dial(u->w, c, u);
}

/* ---- acquiring and releasing --------------------------------------------- */

/*
 * Is nothing waiting on u from php-fpm: no hang-up seen, and, when the last
 * read may have left bytes behind, none there now (one MSG_PEEK)? The one
 * check before u carries another request, whether it goes to the pool or
 * straight to a waiting request. A php-fpm child that recycles (or a
 * restart) writes END_REQUEST and hangs up at once; that hang-up usually
 * arrives with the answer, in the same edge. Sending the next request on
 * such a connection makes both sides wait: php-fpm's child drains what
 * kiln sends until kiln closes, and kiln waits for an answer.
 */
static int up_settled(struct upstream *u)
{
    if (u->peer_closed)
        return 0;
    if (u->readable) {
        if (!upstream_peer_open(u))
            return 0;
        u->readable = 0;
    }
    return 1;
}

static void idle_take(struct upstream *u)
{
    idle_remove(u);
    deadline_clear(&u->timer);
    u->state = UP_ACTIVE;
    u->reused = 1;
    u->w->stats.up_reused++;
}

/*
 * A pooled connection for a request: the most recently used one, except
 * that a request which must not be sent twice (POST, PATCH) only takes one
 * that has been idle for UPSTREAM_SETTLE_MS. php-fpm writes END_REQUEST
 * before it finishes the request's shutdown, and a worker that reached
 * pm.max_requests closes the connection only after that: a request sent in
 * that window is lost with a clean close, indistinguishable from a crash
 * after the script ran, so it could not be retried. A connection idle for
 * the settle time has shown its close already (the idle watch drops it).
 * That costs a new connection per such request under load, so it applies
 * only while php-fpm is seen recycling connections (careful()).
 */
static struct upstream *idle_pick(struct worker *w, int idempotent)
{
    struct upstream *u = TAILQ_FIRST(&w->idle);

    if (idempotent || u == NULL || !careful(w))
        return u;
    uint64_t now = worker_now_ms(w);
    for (; u != NULL; u = TAILQ_NEXT(u, link))
        if (now - u->idle_since_ms >= UPSTREAM_SETTLE_MS)
            return u;
    return NULL;
}

/* Swap u (pooled, too fresh for c's request) for a new connection on the
 * same slot. */

static void swap_for_new(struct conn *c, struct upstream *u)
{
    if (u->state == UP_IDLE)
        idle_remove(u);
    u->state = UP_ACTIVE;
    u->client = c;
    upstream_redial(u);
}

enum found { FOUND_NONE, FOUND_POOLED, FOUND_SLOT, FOUND_SWAP };

/* What c can have now: a pooled connection, a new one on a free slot (the
 * slot is then taken), or a new one in place of a pooled one too fresh for
 * c's request. */
static enum found find_connection(struct worker *w, const struct conn *c, struct upstream **u)
{
    if ((*u = idle_pick(w, c->idempotent)) != NULL)
        return FOUND_POOLED;
    if (slot_take(w->sh))
        return FOUND_SLOT;
    *u = TAILQ_FIRST(&w->idle);
    return *u != NULL ? FOUND_SWAP : FOUND_NONE;
}

static void hand_over(struct worker *w, struct conn *c, enum found how, struct upstream *u)
{
    switch (how) {
    case FOUND_POOLED:
        idle_take(u);
        proxy_start(c, u);
        break;
    case FOUND_SLOT:
        up_dial_new(w, c);
        break;
    case FOUND_SWAP:
        swap_for_new(c, u);
        break;
    case FOUND_NONE:
        break;
    }
}

static void enqueue(struct worker *w, struct conn *c)
{
    c->state = CONN_QUEUED;
    TAILQ_INSERT_TAIL(&w->waiters, c, wait_link);
    w->n_waiters++;
    if (w->n_waiters == 1)
        queue_head_publish(w);
    atomic_store_explicit(&w->n_queued, w->n_waiters, memory_order_relaxed);
    atomic_fetch_add(&w->sh->up_waiting, 1);
    deadline_set(&c->timer, c->px.probe ? min_ms(w->site->upstream_queue_timeout_ms,
                                                  w->site->readiness.timeout_ms)
                                       : w->site->upstream_queue_timeout_ms);
    /* A slot freed, or a connection pooled, by another thread between our
     * failed look and the count above saw no waiter: look again (through
     * the wake event, not from here, which is inside the request code). */
    if (atomic_load(&w->sh->up_open) < w->site->upstream_max_conns)
        worker_wake(w, WAKE_SLOT);
    ask_to_shed(w);
}

void upstream_dequeue(struct conn *c)
{
    struct worker *w = c->w;

    if (c->state != CONN_QUEUED)
        return;
    TAILQ_REMOVE(&w->waiters, c, wait_link);
    w->n_waiters--;
    queue_head_publish(w);
    atomic_store_explicit(&w->n_queued, w->n_waiters, memory_order_relaxed);
    atomic_fetch_sub(&w->sh->up_waiting, 1);
    deadline_clear(&c->timer);
    c->state = CONN_PROXY; /* no longer queued; the caller decides next */
}

void upstream_acquire(struct conn *c)
{
    struct worker *w = c->w;

    struct upstream *u;
    enum found how;

    /* Requests already waiting go first. */
    if (w->n_waiters == 0 && (how = find_connection(w, c, &u)) != FOUND_NONE) {
        hand_over(w, c, how, u);
        return;
    }
    enqueue(w, c);
}

void upstream_serve_waiters(struct worker *w)
{
    struct conn *c;

    while ((c = TAILQ_FIRST(&w->waiters)) != NULL) {
        struct upstream *u;
        enum found how = find_connection(w, c, &u);
        if (how == FOUND_NONE) {
            ask_to_shed(w);
            return;
        }
        upstream_dequeue(c);
        hand_over(w, c, how, u);
    }
    /* Woken for a slot our waiters no longer need (they left, or one of our
     * own connections served them): pass it on. */
    if (atomic_load(&w->sh->up_open) < w->site->upstream_max_conns)
        wake_a_waiter(w->sh);
}

void upstream_release(struct upstream *u, int clean)
{
    struct worker *w = u->w;
    struct shared *sh = w->sh;
    struct conn *next;

    u->client = NULL;
    deadline_clear(&u->timer);
    if (!clean || w->draining || atomic_load(&sh->stopping)) {
        upstream_close(u);
        return;
    }
    if (!up_settled(u)) {
        upstream_fpm_closed(w);
        upstream_close(u);
        return;
    }
    /* A request of this thread is waiting: it gets the connection, unless a
     * request of another thread has waited clearly longer (by 1/16 of
     * upstream_queue_timeout). Then the connection is closed and its slot
     * goes to that thread (slot_give): connections belong to one thread's
     * event loop, and a thread that always has requests of its own queued
     * would otherwise keep every slot while the others' requests reach
     * their deadline. The margin keeps connections from being closed and
     * dialled again while the threads' queues are merely even. */
    if ((next = TAILQ_FIRST(&w->waiters)) != NULL) {
        struct worker *oldest = oldest_waiter(sh);
        uint64_t margin = w->site->upstream_queue_timeout_ms / 16;
        if (oldest != NULL && oldest != w &&
            atomic_load_explicit(&oldest->queue_head_ms, memory_order_relaxed) + margin <
                next->started_ms) {
            upstream_close(u);
            return;
        }
        upstream_dequeue(next);
        if (!next->idempotent && careful(w)) {
            swap_for_new(next, u); /* too fresh for it: see idle_pick */
            return;
        }
        u->reused = 1;
        w->stats.up_reused++;
        proxy_start(next, u);
        return;
    }
    /* Another thread is waiting, or the pool is full: close, so the slot
     * goes where it is needed. */
    if (atomic_load(&sh->up_waiting) > 0 || w->n_idle >= sh->idle_per_worker) {
        upstream_close(u);
        return;
    }
    u->state = UP_IDLE;
    u->idle_since_ms = worker_now_ms(w);
    TAILQ_INSERT_HEAD(&w->idle, u, link);
    w->n_idle++;
    atomic_store_explicit(&w->n_idle_shared, w->n_idle, memory_order_relaxed);
    atomic_fetch_add(&sh->up_idle, 1);
    /* Pooled, then look for waiters: enqueue() counts itself, then looks
     * for idle connections (ask_to_shed), so one of the two sees the other. */
    if (atomic_load(&sh->up_waiting) > 0)
        upstream_close(u); /* its slot goes to the waiter (slot_give) */
}

void upstream_shed_idle(struct worker *w)
{
    uint32_t want = atomic_load(&w->sh->up_waiting);
    struct upstream *u;

    /* Oldest first: the tail of the LIFO. */
    while (want > 0 && (u = TAILQ_LAST(&w->idle, upstream_list)) != NULL) {
        upstream_close(u);
        want--;
    }
}

void upstream_sweep(struct worker *w)
{
    uint64_t now = worker_now_ms(w);
    uint32_t ttl = w->site->pool_idle_timeout_ms;
    struct upstream *u;

    while ((u = TAILQ_LAST(&w->idle, upstream_list)) != NULL && now - u->idle_since_ms >= ttl)
        upstream_close(u);
}

void upstream_close_idle(struct worker *w)
{
    struct upstream *u;
    while ((u = TAILQ_FIRST(&w->idle)) != NULL)
        upstream_close(u);
}

/* ---- events -------------------------------------------------------------- */

/* An idle connection became readable: php-fpm closed it (a worker recycled
 * or restarted) or sent something it should not have. Either way it is no
 * longer safe to reuse. */
static void up_idle_readable(struct upstream *u)
{
    if (!u->peer_closed && upstream_peer_open(u)) {
        u->readable = 0;
        return;
    }
    upstream_fpm_closed(u->w);
    upstream_close(u);
}

static void up_connected(struct upstream *u)
{
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err != 0) {
        log_err("upstream %s: connect: %s", u->w->sh->addrs[u->addr_index].text,
                strerror(err));
        proxy_dial_failed(u, 0);
        return;
    }
    deadline_clear(&u->timer);
    u->state = UP_ACTIVE;
    proxy_start(u->client, u);
}

static void up_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct upstream *u = arg;
    struct worker *w = u->w;
    (void)fd;

    u->readable = 1;
    if (what & EV_CLOSED)
        u->peer_closed = 1;
    if (u->state == UP_IDLE)
        up_idle_readable(u);
    else if (u->state == UP_ACTIVE && u->client != NULL)
        proxy_upstream_readable(u);
    worker_reap(w);
}

static void up_write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct upstream *u = arg;
    struct worker *w = u->w;
    (void)fd;
    (void)what;

    if (u->state == UP_CONNECTING)
        up_connected(u);
    else if (u->state == UP_ACTIVE && u->want_write && u->client != NULL)
        proxy_upstream_writable(u);
    worker_reap(w);
}

static void up_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct upstream *u = arg;
    struct worker *w = u->w;
    (void)fd;
    (void)what;

    if (!deadline_expired(&u->timer))
        return;

    if (u->state == UP_CONNECTING) {
        log_err("upstream %s: no connection within dial_timeout",
                w->sh->addrs[u->addr_index].text);
        proxy_dial_failed(u, 1);
    } else if (u->state == UP_ACTIVE && u->client != NULL) {
        proxy_upstream_timeout(u);
    }
    worker_reap(w);
}

/* ---- start-up ------------------------------------------------------------ */

static int resolve_unix(struct shared *sh, const char *path)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&sh->addrs[0].sa;
    size_t len = strlen(path);

    if (len >= sizeof sun->sun_path) {
        log_err("upstream socket path too long: %s", path);
        return -1;
    }
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, len + 1);
    sh->addrs[0].len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    snprintf(sh->addrs[0].text, sizeof sh->addrs[0].text, "unix:%s", path);
    sh->n_addrs = 1;
    return 0;
}

int upstream_resolve(struct shared *sh)
{
    const struct kiln_site *s = sh->site;
    struct addrinfo hints = {0}, *res = NULL, *ai;
    char port[8];

    if (s->network == KILN_NET_UNIX)
        return resolve_unix(sh, s->upstream_path);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = s->network == KILN_NET_TCP4   ? AF_INET
                      : s->network == KILN_NET_TCP6 ? AF_INET6
                                                    : AF_UNSPEC;
    snprintf(port, sizeof port, "%u", s->upstream_port);
    int rc = getaddrinfo(s->upstream_host, port, &hints, &res);
    if (rc != 0) {
        log_err("upstream %s: cannot resolve: %s", s->address, gai_strerror(rc));
        return -1;
    }
    sh->n_addrs = 0;
    for (ai = res; ai != NULL && sh->n_addrs < MAX_UPSTREAM_ADDRS; ai = ai->ai_next) {
        struct upstream_addr *a = &sh->addrs[sh->n_addrs++];
        memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
        a->len = ai->ai_addrlen;
        char host[INET6_ADDRSTRLEN] = "?";
        getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, NULL, 0, NI_NUMERICHOST);
        snprintf(a->text, sizeof a->text, ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
                 host, port);
    }
    freeaddrinfo(res);
    return sh->n_addrs > 0 ? 0 : -1;
}
