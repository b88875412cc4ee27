/*
 * worker.h - one thread with its own event loop, listener, connections and
 * upstream pool, and the little state all threads share.
 *
 * Threads share only: the baked site (read-only), the resolved upstream
 * addresses (read-only after start), and a few counters and flags that are
 * atomics (connection count, open upstream connections, stop flag). Nothing
 * on the request path takes a lock. Threads signal each other through each
 * worker's eventfd (an upstream slot freed, idle connections wanted, stop).
 */
#ifndef KILN_WORKER_H
#define KILN_WORKER_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "arena.h"
#include "http_parse.h"
#include "http_response.h"
#include "site.h"
#include "spool.h"

struct conn;
struct upstream;

TAILQ_HEAD(conn_list, conn);
TAILQ_HEAD(upstream_list, upstream);

/* A resolved FastCGI address. */
struct upstream_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[128]; /* for logs */
};
#define MAX_UPSTREAM_ADDRS 8

/* Process-wide state, shared by all workers. */
struct shared {
    const struct kiln_site *site;
    struct worker *workers;
    unsigned n_workers;
    struct upstream_addr addrs[MAX_UPSTREAM_ADDRS];
    unsigned n_addrs;
    uint32_t idle_per_worker; /* pool_max_idle split across threads */

    _Atomic uint32_t conns;      /* client connections, all threads */
    _Atomic uint32_t up_open;    /* upstream connections open or opening */
    _Atomic uint32_t up_idle;    /* of which idle in some pool */
    _Atomic uint32_t up_waiting; /* requests queued for an upstream slot */
    _Atomic int stopping;        /* SIGTERM/SIGINT received */
    _Atomic int drain_mode;      /* /healthz/fail: readiness 503, close after
                                  * every response */
    _Atomic unsigned wake_rr;    /* round robin for slot hand-off */
    _Atomic uint64_t careful_until; /* ms: php-fpm recycles connections;
                                     * see upstream_fpm_closed() */
    _Atomic uint64_t spool_memory;  /* bytes of spool blocks held, all threads
                                     * (bounded by buffer_memory_max) */
};

/* Why a worker was woken (bits of worker.wake_bits). */
#define WAKE_SLOT 0x1u /* an upstream slot was freed: serve the queue */
#define WAKE_SHED 0x2u /* another thread waits for a slot: drop idle conns */
#define WAKE_STOP 0x4u /* graceful shutdown */
#define WAKE_FORCE 0x8u /* grace period over: leave the loop now */

/* Counters for logs and tests; each worker writes only its own. */
struct worker_stats {
    uint64_t requests;
    uint64_t up_connects;   /* upstream connections opened */
    uint64_t up_reused;     /* requests sent on a pooled connection */
    uint64_t up_retries;    /* requests replayed after a dead pooled conn */
    uint64_t queue_timeouts;
};

struct worker {
    unsigned id;
    struct shared *sh;
    const struct kiln_site *site;
    struct http_limits limits;    /* site's request-head limits, for the parser */
    pthread_t thread;
    struct event_base *base;

    int listen_fd;
    struct event listen_ev;
    struct event accept_retry_ev; /* re-enable accepting after EMFILE */
    int wake_fd;                  /* eventfd */
    struct event wake_ev;
    _Atomic uint32_t wake_bits;
    struct event tick_ev;         /* once a second */

    struct http_date date;
    struct arena_pool arena_pool;
    struct spool_pool spool_pool; /* blocks for bodies and held responses */

    struct conn_list conns;       /* every client connection */
    uint32_t n_conns;
    struct conn_list waiters;     /* requests waiting for an upstream, FIFO */
    uint32_t n_waiters;
    struct upstream_list idle;    /* pooled upstream connections, LIFO */
    uint32_t n_idle;
    /* Copies of n_waiters and n_idle that other threads may read. */
    _Atomic uint32_t n_queued;
    _Atomic uint32_t n_idle_shared;
    /* started_ms of the request at the head of `waiters` (0 = none), so a
     * thread handing out a connection can see who has waited longest. */
    _Atomic uint64_t queue_head_ms;
    uint32_t n_up;                /* upstream connections of this thread */

    struct conn_list free_conns;  /* recycled objects */
    uint32_t n_free_conns;
    struct upstream_list free_ups;
    uint32_t n_free_ups;
    struct conn_list dead_conns;  /* closed during this callback, freed after */
    struct upstream_list dead_ups;

    int draining;                 /* stopped accepting */
    struct worker_stats stats;
};

/* Start the thread; returns 0 or -1. */
int worker_start(struct worker *w);

/* Ask worker w to act on `bits` (WAKE_*); safe from any thread. */
void worker_wake(struct worker *w, uint32_t bits);

/* Free the connections and upstreams closed during the current callback.
 * Every top-level event callback ends with this, so nothing is freed while
 * a caller up the stack may still use it. */
void worker_reap(struct worker *w);

/* Milliseconds from the loop's cached clock (monotonic). */
uint64_t worker_now_ms(struct worker *w);

/* Stop listening (shutdown or drain). */
void worker_stop_accepting(struct worker *w);

/* Once nothing is left to serve during a shutdown, leave the loop. */
void worker_maybe_exit(struct worker *w);

#endif /* KILN_WORKER_H */
