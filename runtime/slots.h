/*
 * slots.h - php-fpm connections as a resource shared by all threads.
 *
 * php-fpm binds a worker process to a kept-alive connection until that
 * connection closes, so every connection, busy or idle, holds a worker, and
 * connections beyond pm.max_children wait in php-fpm's accept queue where
 * their requests hang. So at most site->upstream_max_conns connections are
 * open or opening over all threads (a "slot" each). A thread that finds no
 * slot queues its request (pool.c); when a slot is given back, the thread
 * whose first queued request has waited longest is woken to use it, so no
 * thread starves another; a thread that waits while others hold idle
 * connections asks one of them to close some.
 *
 * Also here, because every thread must see it: "careful" mode, during
 * which a request that must not be sent twice avoids connections that just
 * finished a request (php-fpm recycles workers: see pool.c idle_pick).
 *
 * Everything is atomics; threads call each other only through the wake
 * function the server registers (an eventfd write).
 */
#ifndef KILN_SLOTS_H
#define KILN_SLOTS_H

#include <stdatomic.h>
#include <stdint.h>

/* Why a thread is woken (bits). */
#define SLOTS_WAKE_SERVE 0x1u /* a slot was freed: serve your queue */
#define SLOTS_WAKE_SHED 0x2u  /* another thread waits: close idle connections */

/* What other threads may read of one thread's queue and pool. */
struct slot_thread {
    _Atomic uint32_t n_queued;
    _Atomic uint32_t n_idle;
    _Atomic uint64_t queue_head_ms; /* since when its first request waits; 0 = none */
};

struct slots {
    uint32_t max;                 /* upstream_max_conns */
    _Atomic uint32_t open;        /* connections open or opening, all threads */
    _Atomic uint32_t idle;        /* of which idle in some pool */
    _Atomic uint32_t waiting;     /* requests queued, all threads */
    _Atomic unsigned rr;          /* round robin for a wake-up without a clear oldest */
    _Atomic uint64_t careful_until;
    unsigned n_threads;
    struct slot_thread *threads;
    void (*wake)(void *ctx, unsigned thread, unsigned why);
    void *wake_ctx;
};

/* Returns 0, or -1 when out of memory. */
int slots_init(struct slots *s, uint32_t max, unsigned n_threads,
               void (*wake)(void *ctx, unsigned thread, unsigned why), void *wake_ctx);
void slots_destroy(struct slots *s);

/* Take a slot: 1, or 0 when all are in use. */
int slots_take(struct slots *s);

/* Give a slot back and wake the thread whose request waited longest. */
void slots_give(struct slots *s);

/* Wake a thread with queued requests (a slot is free that its owner's
 * queue no longer needs). */
void slots_wake_waiter(struct slots *s);

/* Thread `self` publishes its queue: length and when its head arrived. */
void slots_publish_queue(struct slots *s, unsigned self, uint32_t n_queued, uint64_t head_ms);

/* A request was queued (+1) or left the queue (-1) somewhere. */
void slots_waiting(struct slots *s, int delta);

/* Thread `self` publishes how many idle connections it holds, after
 * adding `delta` to the total. */
void slots_publish_idle(struct slots *s, unsigned self, uint32_t n_idle, int delta);

/* Ask another thread that holds idle connections to close some. */
void slots_ask_to_shed(struct slots *s, unsigned self);

/* Has a request of another thread waited clearly longer (by margin_ms)
 * than ours, queued since head_ms? */
int slots_other_waited_longer(struct slots *s, unsigned self, uint64_t head_ms,
                              uint64_t margin_ms);

/* Careful mode (see above): on when php-fpm closed a connection on its own
 * in the last minute, and for the first seconds after start. */
int slots_careful(struct slots *s, uint64_t now_ms);
void slots_fpm_closed(struct slots *s, uint64_t now_ms);
void slots_careful_at_start(struct slots *s, uint64_t now_ms);

#endif /* KILN_SLOTS_H */
