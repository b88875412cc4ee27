/*
 * pool.c - one thread's FastCGI connections (see pool.h and slots.h).
 */
#include "pool.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define FREE_UPCONNS_MAX 64
/* A request that must not be sent twice reuses only a connection idle this
 * long (see idle_pick). */
#define SETTLE_MS 10

static void upconn_event(evutil_socket_t fd, short what, void *arg);
static void upconn_timer_fired(struct timer *t);
static void wait_timer_fired(struct timer *t);
static void dial(struct pool *p, struct pool_wait *w, struct upconn *u);

static uint32_t min_ms(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* ---- objects ------------------------------------------------------------- */

static struct upconn *upconn_get(struct pool *p)
{
    struct upconn *u = TAILQ_FIRST(&p->free);

    if (u != NULL) {
        TAILQ_REMOVE(&p->free, u, link);
        p->n_free--;
    } else {
        u = calloc(1, sizeof *u);
        if (u == NULL)
            return NULL;
        u->rbuf = malloc(UPCONN_RBUF_SIZE);
        if (u->rbuf == NULL) {
            free(u);
            return NULL;
        }
    }
    u->pool = p;
    u->fd = -1;
    u->reused = 0;
    u->readable = u->want_write = u->peer_closed = 0;
    u->req_id = 0;
    u->dialer = NULL;
    u->ops = NULL;
    u->arg = NULL;
    timer_init(&u->timer, upconn_timer_fired);
    return u;
}

static void upconn_free(struct loop_defer *d)
{
    struct upconn *u = (struct upconn *)((char *)d - offsetof(struct upconn, defer));
    struct pool *p = u->pool;

    if (p->n_free < FREE_UPCONNS_MAX) {
        TAILQ_INSERT_HEAD(&p->free, u, link);
        p->n_free++;
        return;
    }
    free(u->rbuf);
    free(u);
}

void pool_init(struct pool *p, struct loop *loop, const struct kiln_site *site,
               struct slots *slots, unsigned thread, const struct upstream_addrs *addrs,
               uint32_t idle_max)
{
    memset(p, 0, sizeof *p);
    p->loop = loop;
    p->site = site;
    p->slots = slots;
    p->thread = thread;
    p->addrs = addrs;
    p->idle_max = idle_max;
    TAILQ_INIT(&p->idle);
    TAILQ_INIT(&p->waiters);
    TAILQ_INIT(&p->free);
}

void pool_destroy(struct pool *p)
{
    struct upconn *u;
    while ((u = TAILQ_FIRST(&p->free)) != NULL) {
        TAILQ_REMOVE(&p->free, u, link);
        free(u->rbuf);
        free(u);
    }
    p->n_free = 0;
}

static void idle_publish(struct pool *p, int delta)
{
    slots_publish_idle(p->slots, p->thread, p->n_idle, delta);
}

static void idle_remove(struct upconn *u)
{
    struct pool *p = u->pool;
    TAILQ_REMOVE(&p->idle, u, link);
    p->n_idle--;
    idle_publish(p, -1);
}

/* Close the socket and forget its event; the slot is not touched. */
static void close_fd(struct upconn *u)
{
    if (u->fd >= 0) {
        event_del(&u->ev);
        close(u->fd);
    }
    u->fd = -1;
    timer_clear(&u->timer);
}

/* Close u for good and give its slot back. */
static void up_close(struct upconn *u)
{
    struct pool *p = u->pool;

    if (u->state == UC_DEAD)
        return;
    if (u->state == UC_IDLE)
        idle_remove(u);
    close_fd(u);
    timer_stop(p->loop, &u->timer);
    u->state = UC_DEAD;
    u->ops = NULL;
    u->dialer = NULL;
    p->n_open--;
    loop_defer(p->loop, &u->defer, upconn_free);
    slots_give(p->slots);
}

void pool_discard(struct upconn *u)
{
    up_close(u);
}

void pool_fpm_closed(struct pool *p)
{
    slots_fpm_closed(p->slots, loop_now_ms());
}

/* ---- the borrower's side ---------------------------------------------------- */

void upconn_lend(struct upconn *u, const struct upconn_ops *ops, void *arg)
{
    u->ops = ops;
    u->arg = arg;
}

void upconn_deadline(struct upconn *u, uint32_t ms)
{
    timer_set(u->pool->loop, &u->timer, ms);
}

void upconn_no_deadline(struct upconn *u)
{
    timer_clear(&u->timer);
}

int upconn_peer_open(struct upconn *u)
{
    uint8_t b;
    ssize_t n = recv(u->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int upconn_has_input(struct upconn *u)
{
    uint8_t b;

    if (recv(u->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
        return 0;
    event_active(&u->ev, EV_READ, 0);
    return 1;
}

/* ---- dialing ------------------------------------------------------------- */

/* Start connecting u. Returns 1 when connected at once (common for Unix
 * sockets), 0 when in progress, -1 on failure (logged; socket closed). */
static int up_connect(struct pool *p, struct upconn *u, uint32_t cap_ms)
{
    const struct upstream_addr *a = &p->addrs->a[u->addr_index];

    u->gen++;
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
    event_assign(&u->ev, p->loop->base, u->fd, EV_READ | EV_WRITE | EV_CLOSED | EV_PERSIST | EV_ET,
                 upconn_event, u);
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
    if (event_add(&u->ev, NULL) != 0) {
        log_err("upstream %s: cannot watch the connection", a->text);
        close(u->fd);
        u->fd = -1;
        return -1;
    }
    p->stats.connects++;
    if (rc == 0)
        return 1;
    timer_set(p->loop, &u->timer, min_ms(p->site->dial_timeout_ms, cap_ms));
    return 0;
}

/* The connection is w's now. A pooled one about to carry a request that
 * must not be sent twice is looked at first: php-fpm may have closed it
 * already, and that request would not be retried (see idle_pick). */
static void give(struct pool_wait *w, struct upconn *u)
{
    if (u->reused && w->once && !upconn_peer_open(u)) {
        pool_fpm_closed(u->pool);
        pool_redial(u, w);
        return;
    }
    u->state = UC_LENT;
    w->ops->ready(w->arg, u);
}

/* Dial for w on a slot already taken, trying each resolved address in turn
 * on immediate failures. */
static void dial(struct pool *p, struct pool_wait *w, struct upconn *u)
{
    for (unsigned i = 0; i < p->addrs->n; i++) {
        u->addr_index = i;
        u->state = UC_CONNECTING;
        int rc = up_connect(p, u, w->cap_ms);
        if (rc == 1) {
            give(w, u);
            return;
        }
        if (rc == 0) {
            u->dialer = w;
            w->dialing = u;
            return;
        }
    }
    up_close(u);
    w->ops->failed(w->arg, 502);
}

static void dial_new(struct pool *p, struct pool_wait *w)
{
    struct upconn *u = upconn_get(p);

    if (u == NULL) {
        log_err("out of memory for an upstream connection");
        slots_give(p->slots);
        w->ops->failed(w->arg, 502);
        return;
    }
    p->n_open++;
    dial(p, w, u);
}

void pool_redial(struct upconn *u, struct pool_wait *w)
{
    close_fd(u); /* a lent connection: its slot stays taken */
    u->reused = 0;
    u->ops = NULL;
    dial(u->pool, w, u);
}

static void connected(struct upconn *u)
{
    struct pool_wait *w = u->dialer;
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    u->dialer = NULL;
    w->dialing = NULL;
    timer_clear(&u->timer);
    if (err != 0) {
        log_err("upstream %s: connect: %s", u->pool->addrs->a[u->addr_index].text, strerror(err));
        up_close(u);
        w->ops->failed(w->arg, 502);
        return;
    }
    give(w, u);
}

/* ---- the queue ----------------------------------------------------------- */

void pool_wait_init(struct pool_wait *w, const struct pool_wait_ops *ops, void *arg)
{
    w->queued = 0;
    w->once = 0;
    w->dialing = NULL;
    w->cap_ms = UINT32_MAX;
    w->ops = ops;
    w->arg = arg;
    timer_init(&w->timer, wait_timer_fired);
}

static void queue_publish(struct pool *p)
{
    struct pool_wait *head = TAILQ_FIRST(&p->waiters);
    uint64_t ms = head == NULL ? 0 : head->since_ms;
    slots_publish_queue(p->slots, p->thread, p->n_waiters, ms == 0 && head != NULL ? 1 : ms);
}

static void enqueue(struct pool *p, struct pool_wait *w)
{
    w->queued = 1;
    TAILQ_INSERT_TAIL(&p->waiters, w, link);
    p->n_waiters++;
    queue_publish(p);
    slots_waiting(p->slots, 1);
    timer_set(p->loop, &w->timer, min_ms(p->site->upstream_queue_timeout_ms, w->cap_ms));
    /* A slot freed, or a connection pooled, by another thread between our
     * failed look and the count above saw no waiter: look again (through
     * the wake event, not from here, which is inside the borrower). */
    if (atomic_load(&p->slots->open) < p->slots->max)
        p->slots->wake(p->slots->wake_ctx, p->thread, SLOTS_WAKE_SERVE);
    slots_ask_to_shed(p->slots, p->thread);
}

static void dequeue(struct pool_wait *w)
{
    struct pool *p = w->pool;

    if (!w->queued)
        return;
    TAILQ_REMOVE(&p->waiters, w, link);
    p->n_waiters--;
    w->queued = 0;
    queue_publish(p);
    slots_waiting(p->slots, -1);
    timer_stop(p->loop, &w->timer);
}

void pool_cancel(struct pool_wait *w)
{
    dequeue(w);
    if (w->dialing != NULL) {
        struct upconn *u = w->dialing;
        w->dialing = NULL;
        up_close(u);
    }
}

static void wait_timer_fired(struct timer *t)
{
    struct pool_wait *w = (struct pool_wait *)((char *)t - offsetof(struct pool_wait, timer));

    w->pool->stats.queue_timeouts++;
    dequeue(w);
    w->ops->failed(w->arg, 503);
}

/*
 * A pooled connection for a request: the most recently used one, except
 * that a request which must not be sent twice (POST, PATCH) only takes one
 * that has been idle for SETTLE_MS. php-fpm writes END_REQUEST before it
 * finishes the request's shutdown, and a worker that reached
 * pm.max_requests closes the connection only after that: a request sent in
 * that window is lost with a clean close, indistinguishable from a crash
 * after the script ran, so it could not be retried. A connection idle for
 * the settle time has shown its close already (the idle watch drops it).
 * That costs a new connection per such request under load, so it applies
 * only while php-fpm is seen recycling connections (slots_careful).
 */
static struct upconn *idle_pick(struct pool *p, int once)
{
    struct upconn *u = TAILQ_FIRST(&p->idle);
    uint64_t now = loop_now_ms();

    if (!once || u == NULL || !slots_careful(p->slots, now))
        return u;
    for (; u != NULL; u = TAILQ_NEXT(u, link))
        if (now - u->idle_since_ms >= SETTLE_MS)
            return u;
    return NULL;
}

enum found { FOUND_NONE, FOUND_POOLED, FOUND_SLOT, FOUND_SWAP };

/* What w can have now: a pooled connection, a new one on a free slot (the
 * slot is then taken), or a new one in place of a pooled one too fresh for
 * w's request. */
static enum found find(struct pool *p, const struct pool_wait *w, struct upconn **u)
{
    if ((*u = idle_pick(p, w->once)) != NULL)
        return FOUND_POOLED;
    if (slots_take(p->slots))
        return FOUND_SLOT;
    *u = TAILQ_FIRST(&p->idle);
    return *u != NULL ? FOUND_SWAP : FOUND_NONE;
}

static void hand_over(struct pool *p, struct pool_wait *w, enum found how, struct upconn *u)
{
    switch (how) {
    case FOUND_POOLED:
        idle_remove(u);
        timer_clear(&u->timer);
        u->reused = 1;
        p->stats.reused++;
        give(w, u);
        break;
    case FOUND_SLOT:
        dial_new(p, w);
        break;
    case FOUND_SWAP:
        idle_remove(u);
        u->state = UC_LENT;
        pool_redial(u, w);
        break;
    case FOUND_NONE:
        break;
    }
}

void pool_acquire(struct pool *p, struct pool_wait *w)
{
    struct upconn *u;
    enum found how;

    w->pool = p;
    w->since_ms = loop_now_ms();
    /* Requests already waiting go first. */
    if (p->n_waiters == 0 && (how = find(p, w, &u)) != FOUND_NONE) {
        hand_over(p, w, how, u);
        return;
    }
    enqueue(p, w);
}

void pool_serve_waiters(struct pool *p)
{
    struct pool_wait *w;

    while ((w = TAILQ_FIRST(&p->waiters)) != NULL) {
        struct upconn *u;
        enum found how = find(p, w, &u);
        if (how == FOUND_NONE) {
            slots_ask_to_shed(p->slots, p->thread);
            return;
        }
        dequeue(w);
        hand_over(p, w, how, u);
    }
    /* Woken for a slot our waiters no longer need (they left, or one of our
     * own connections served them): pass it on. */
    if (atomic_load(&p->slots->open) < p->slots->max)
        slots_wake_waiter(p->slots);
}

/* ---- giving back ---------------------------------------------------------- */

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
static int up_settled(struct upconn *u)
{
    if (u->peer_closed)
        return 0;
    if (u->readable) {
        if (!upconn_peer_open(u))
            return 0;
        u->readable = 0;
    }
    return 1;
}

static void pool_put(struct pool *p, struct upconn *u)
{
    u->state = UC_IDLE;
    u->idle_since_ms = loop_now_ms();
    TAILQ_INSERT_HEAD(&p->idle, u, link);
    p->n_idle++;
    idle_publish(p, 1);
}

void pool_release(struct upconn *u, int clean)
{
    struct pool *p = u->pool;
    struct slots *s = p->slots;
    struct pool_wait *next;

    u->ops = NULL;
    u->arg = NULL;
    u->want_write = 0;
    timer_clear(&u->timer);
    if (!clean || p->closing) {
        up_close(u);
        return;
    }
    if (!up_settled(u)) {
        pool_fpm_closed(p);
        up_close(u);
        return;
    }
    /* A request of this thread is waiting: it gets the connection, unless a
     * request of another thread has waited clearly longer (by 1/16 of
     * upstream_queue_timeout). Then the connection is closed and its slot
     * goes to that thread: connections belong to one thread's event loop,
     * and a thread that always has requests of its own queued would
     * otherwise keep every slot while the others' requests reach their
     * deadline. The margin keeps connections from being closed and dialled
     * again while the threads' queues are merely even. */
    if ((next = TAILQ_FIRST(&p->waiters)) != NULL) {
        uint64_t margin = p->site->upstream_queue_timeout_ms / 16;
        if (slots_other_waited_longer(s, p->thread, next->since_ms, margin)) {
            up_close(u);
            return;
        }
        dequeue(next);
        if (next->once && slots_careful(s, loop_now_ms())) {
            pool_redial(u, next); /* too fresh for it: see idle_pick */
            return;
        }
        u->reused = 1;
        p->stats.reused++;
        give(next, u);
        return;
    }
    /* Another thread is waiting, or the pool is full: close, so the slot
     * goes where it is needed. */
    if (atomic_load(&s->waiting) > 0 || p->n_idle >= p->idle_max) {
        up_close(u);
        return;
    }
    pool_put(p, u);
    /* Pooled, then look for waiters: a thread that queues counts itself,
     * then looks for idle connections (slots_ask_to_shed), so one of the
     * two sees the other. */
    if (atomic_load(&s->waiting) > 0)
        up_close(u); /* its slot goes to the waiter */
}

void pool_shed_idle(struct pool *p)
{
    uint32_t want = atomic_load(&p->slots->waiting);
    struct upconn *u;

    /* Oldest first: the tail of the LIFO. */
    while (want > 0 && (u = TAILQ_LAST(&p->idle, upconn_list)) != NULL) {
        up_close(u);
        want--;
    }
}

void pool_sweep(struct pool *p)
{
    uint64_t now = loop_now_ms();
    uint32_t ttl = p->site->pool_idle_timeout_ms;
    struct upconn *u;

    while ((u = TAILQ_LAST(&p->idle, upconn_list)) != NULL && now - u->idle_since_ms >= ttl)
        up_close(u);
}

void pool_close_idle(struct pool *p)
{
    struct upconn *u;

    p->closing = 1;
    while ((u = TAILQ_FIRST(&p->idle)) != NULL)
        up_close(u);
}

/* ---- events -------------------------------------------------------------- */

/* An idle connection became readable: php-fpm closed it (a worker recycled
 * or restarted) or sent something it should not have. Either way it is no
 * longer safe to reuse. */
static void idle_readable(struct upconn *u)
{
    if (!u->peer_closed && upconn_peer_open(u)) {
        u->readable = 0;
        return;
    }
    pool_fpm_closed(u->pool);
    up_close(u);
}

static void upconn_event(evutil_socket_t fd, short what, void *arg)
{
    struct upconn *u = arg;
    struct loop *loop = u->pool->loop;
    (void)fd;

    if (what & (EV_READ | EV_CLOSED))
        u->readable = 1;
    if (what & EV_CLOSED)
        u->peer_closed = 1;
    switch (u->state) {
    case UC_CONNECTING:
        if (what & EV_WRITE)
            connected(u);
        break;
    case UC_IDLE:
        if (u->readable)
            idle_readable(u);
        break;
    case UC_LENT: {
        uint32_t gen = u->gen;
        if ((what & EV_WRITE) && u->want_write && u->ops != NULL)
            u->ops->writable(u->arg);
        /* The write handler may have given u back, closed it, or dialled
         * again (a retry): the read edge was the old socket's. */
        if ((what & (EV_READ | EV_CLOSED)) && u->state == UC_LENT && u->ops != NULL &&
            u->gen == gen)
            u->ops->readable(u->arg);
        break;
    }
    default:
        break;
    }
    loop_reap(loop);
}

static void upconn_timer_fired(struct timer *t)
{
    struct upconn *u = (struct upconn *)((char *)t - offsetof(struct upconn, timer));

    if (u->state == UC_CONNECTING) {
        struct pool_wait *w = u->dialer;
        log_err("upstream %s: no connection within dial_timeout",
                u->pool->addrs->a[u->addr_index].text);
        w->dialing = NULL;
        up_close(u);
        w->ops->failed(w->arg, 504);
    } else if (u->state == UC_LENT && u->ops != NULL) {
        u->ops->timeout(u->arg);
    }
}

/* ---- start-up ------------------------------------------------------------ */

static int resolve_unix(const char *path, struct upstream_addrs *out)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&out->a[0].sa;
    size_t len = strlen(path);

    if (len >= sizeof sun->sun_path) {
        log_err("upstream socket path too long: %s", path);
        return -1;
    }
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, len + 1);
    out->a[0].len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    snprintf(out->a[0].text, sizeof out->a[0].text, "unix:%s", path);
    out->n = 1;
    return 0;
}

int upstream_resolve(const struct kiln_site *s, struct upstream_addrs *out)
{
    struct addrinfo hints = {0}, *res = NULL, *ai;
    char port[8];

    if (s->network == KILN_NET_UNIX)
        return resolve_unix(s->upstream_path, out);
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
    out->n = 0;
    for (ai = res; ai != NULL && out->n < MAX_UPSTREAM_ADDRS; ai = ai->ai_next) {
        struct upstream_addr *a = &out->a[out->n++];
        memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
        a->len = ai->ai_addrlen;
        char host[INET6_ADDRSTRLEN] = "?";
        getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, NULL, 0, NI_NUMERICHOST);
        snprintf(a->text, sizeof a->text, ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
                 host, port);
    }
    freeaddrinfo(res);
    return out->n > 0 ? 0 : -1;
}
