/*
 * worker.h - one thread: its event loop, listener, connections, FastCGI
 * pool and HTTP layer, and the little state all threads share.
 *
 * Threads share only: the baked site (read-only), the resolved upstream
 * addresses (read-only after start), the php-fpm slots (slots.h), the drain
 * flag (health.h) and a few counters and flags, all atomics. Nothing on
 * the request path takes a lock. Threads signal each other through each
 * worker's eventfd (a slot freed, idle connections wanted, stop).
 */
#ifndef KILN_WORKER_H
#define KILN_WORKER_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "conn.h"
#include "health.h"
#include "loop.h"
#include "pool.h"
#include "request.h"
#include "site.h"
#include "slots.h"

struct worker;

/* Process-wide state, shared by all workers. */
struct shared {
    const struct kiln_site *site;
    struct worker *workers;
    unsigned n_workers;
    struct upstream_addrs addrs;
    struct slots slots;
    struct health_state health;
    _Atomic uint32_t conns;        /* client connections, all threads */
    _Atomic int stopping;          /* SIGTERM/SIGINT received */
    _Atomic uint64_t spool_memory; /* bytes of spool blocks held, all threads
                                    * (bounded by buffer_memory_max) */
};

/* Why a worker was woken (bits of worker.wake_bits). */
#define WAKE_SLOT SLOTS_WAKE_SERVE /* a slot was freed: serve the queue */
#define WAKE_SHED SLOTS_WAKE_SHED  /* another thread waits: drop idle conns */
#define WAKE_STOP 0x4u             /* graceful shutdown */
#define WAKE_FORCE 0x8u            /* grace period over: leave the loop now */

struct worker {
    unsigned id;
    struct shared *sh;
    pthread_t thread;
    struct event_base *base;
    int listen_fd;
    struct event listen_ev;
    struct event accept_retry_ev; /* re-enable accepting after EMFILE */
    int wake_fd;                  /* eventfd */
    struct event wake_ev;
    _Atomic uint32_t wake_bits;
    struct event tick_ev;         /* once a second */
    struct event exit_ev;         /* while draining: leave once all is done */
    int draining;                 /* stopped accepting */
    struct loop loop;
    struct conn_set conns;
    struct pool pool;
    struct http_ctx http;
};

/* Set up (event base, listener events) and start the thread; 0 or -1. */
int worker_start(struct worker *w);

/* Ask worker w to act on `bits` (WAKE_*); safe from any thread. */
void worker_wake(struct worker *w, uint32_t bits);

#endif /* KILN_WORKER_H */
