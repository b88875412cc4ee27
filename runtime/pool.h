/*
 * pool.h - one thread's FastCGI connections: dialing, the keep-alive pool,
 * and the queue of requests waiting for a connection.
 *
 * The pool knows connections, not requests. A borrower (the exchange)
 * asks with a struct pool_wait and is called back through it once a
 * connected struct upconn is its own (at once, or later from the queue);
 * while it holds the connection, the connection's events go to the
 * handlers the borrower lends it. The borrower gives it back clean or not.
 *
 * Pool hygiene (nginx's keepalive rules): a connection returns to the pool,
 * or goes straight to a waiter, only after a clean END_REQUEST with the
 * whole request sent, nothing stray after it, and no hang-up from php-fpm
 * seen (up_settled); while idle, any readable event or hang-up closes it
 * (php-fpm closes connections when a worker recycles), and it is closed
 * after site->pool_idle_timeout_ms. Idle connections are used most recent
 * first and kept at most site->pool_max_idle over all threads.
 *
 * The bound on open connections and the wake-ups between threads are in
 * slots.h.
 */
#ifndef KILN_POOL_H
#define KILN_POOL_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "loop.h"
#include "site.h"
#include "slots.h"

#define UPCONN_RBUF_SIZE (64 * 1024)

/* A resolved FastCGI address. */
struct upstream_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[128]; /* for logs */
};
#define MAX_UPSTREAM_ADDRS 8

struct upstream_addrs {
    struct upstream_addr a[MAX_UPSTREAM_ADDRS];
    unsigned n;
};

/* Resolve site's upstream address at start-up. Returns 0 or -1 (logged). */
int upstream_resolve(const struct kiln_site *site, struct upstream_addrs *out);

/* What a borrower lends a connection: its event handlers. */
struct upconn_ops {
    void (*readable)(void *arg);
    void (*writable)(void *arg);
    void (*timeout)(void *arg);
};

enum upconn_state {
    UC_CONNECTING = 0,
    UC_LENT,      /* a borrower has it */
    UC_IDLE,      /* in the pool */
    UC_DEAD,
};

struct pool;
struct pool_wait;

struct upconn {
    struct pool *pool;
    int fd;
    uint8_t state;          /* enum upconn_state */
    uint8_t readable;       /* edge-triggered: more may be waiting */
    uint8_t peer_closed;    /* php-fpm's hang-up was seen (EV_CLOSED) */
    uint8_t want_write;     /* the borrower wants the write edge */
    uint8_t reused;         /* the current request came from the pool */
    uint16_t req_id;        /* FastCGI id of the current request: each one
                             * on a connection gets the next */
    uint32_t gen;           /* sockets this object has had: an event for an
                             * earlier one is not passed on */
    unsigned addr_index;
    uint64_t idle_since_ms;
    struct event ev;        /* EV_READ|EV_WRITE|EV_CLOSED|EV_ET, registered once */
    struct timer timer;     /* dial, or the borrower's deadline */
    TAILQ_ENTRY(upconn) link;
    struct loop_defer defer;
    struct pool_wait *dialer; /* while connecting: who gets it */
    const struct upconn_ops *ops; /* while lent */
    void *arg;
    uint8_t *rbuf;          /* UPCONN_RBUF_SIZE bytes, for the borrower */
};

/* How a wait ends. */
struct pool_wait_ops {
    /* u is connected and the borrower's: lend it handlers and use it. */
    void (*ready)(void *arg, struct upconn *u);
    /* No connection: 502 (dial failed), 503 (queue timeout), 504 (dial
     * timeout). The wait is over. */
    void (*failed)(void *arg, unsigned status);
};

struct pool_wait {
    TAILQ_ENTRY(pool_wait) link;
    struct timer timer;     /* the queue deadline */
    uint64_t since_ms;
    uint32_t cap_ms;        /* no wait (queue, dial) longer than this */
    uint8_t once;           /* the request must not be sent twice (POST) */
    uint8_t queued;
    struct upconn *dialing; /* the connection being dialled for it */
    struct pool *pool;
    const struct pool_wait_ops *ops;
    void *arg;
};

struct pool_stats {
    uint64_t connects;       /* connections opened */
    uint64_t reused;         /* requests sent on a pooled connection */
    uint64_t queue_timeouts;
};

TAILQ_HEAD(upconn_list, upconn);
TAILQ_HEAD(pool_wait_list, pool_wait);

struct pool {
    struct loop *loop;
    const struct kiln_site *site;
    struct slots *slots;
    unsigned thread;           /* this thread's index in slots */
    const struct upstream_addrs *addrs;
    uint32_t idle_max;         /* pool_max_idle, this thread's share */
    struct upconn_list idle;   /* LIFO */
    uint32_t n_idle;
    struct pool_wait_list waiters; /* FIFO */
    uint32_t n_waiters;
    uint32_t n_open;           /* connections of this thread */
    struct upconn_list free;   /* recycled objects */
    uint32_t n_free;
    uint8_t closing;           /* shutting down: pool nothing */
    struct pool_stats stats;
};

void pool_init(struct pool *p, struct loop *loop, const struct kiln_site *site,
               struct slots *slots, unsigned thread, const struct upstream_addrs *addrs,
               uint32_t idle_max);

/* Free the recycled objects (every connection is closed by then). */
void pool_destroy(struct pool *p);

/* Get a connection for w (set up with pool_wait_init): w->ops->ready()
 * or ->failed() is called, maybe before this returns. */
void pool_acquire(struct pool *p, struct pool_wait *w);

void pool_wait_init(struct pool_wait *w, const struct pool_wait_ops *ops, void *arg);

/* The borrower gives up waiting (its client left): out of the queue, or
 * the connection being dialled for it closed. No callback follows. */
void pool_cancel(struct pool_wait *w);

/* Lend u the borrower's handlers (in ready()). */
void upconn_lend(struct upconn *u, const struct upconn_ops *ops, void *arg);

/* The borrower's deadline on u: `ms` from now, or none. */
void upconn_deadline(struct upconn *u, uint32_t ms);
void upconn_no_deadline(struct upconn *u);

/* 1 when nothing waits in u's socket: php-fpm has not closed it (nor sent
 * anything) since its last request. One MSG_PEEK. */
int upconn_peer_open(struct upconn *u);

/* 1 when u's socket holds bytes from the peer (one MSG_PEEK); the read
 * handler then runs in the next loop iteration whatever the edges said. */
int upconn_has_input(struct upconn *u);

/* The request on u is over: a clean connection goes to a waiter or the
 * pool, anything else is closed. u is no longer the borrower's. */
void pool_release(struct upconn *u, int clean);

/* Close u (a failure); its slot goes to a waiter. */
void pool_discard(struct upconn *u);

/* Close u's socket and dial again on the same slot, for w: the retry of a
 * request whose pooled connection turned out dead. Ends like an acquire. */
void pool_redial(struct upconn *u, struct pool_wait *w);

/* php-fpm closed a kept-alive connection on its own: see slots_careful. */
void pool_fpm_closed(struct pool *p);

/* Wake-up work: serve the queue (a slot was freed), shed idle ones. */
void pool_serve_waiters(struct pool *p);
void pool_shed_idle(struct pool *p);

/* Once a second: close idle connections past pool_idle_timeout. */
void pool_sweep(struct pool *p);

/* Shutdown: close every idle connection, pool nothing from now on. */
void pool_close_idle(struct pool *p);

#endif /* KILN_POOL_H */
