/*
 * loop.h - what every module of one thread shares: its event base, its
 * deadlines, the cached Date line, its memory pools, and deferred frees.
 *
 * Deadlines: every connection has one, and requests move them several times
 * each (keep-alive wait, head, body, upstream read). A libevent timer per
 * object would cost 128 bytes per idle connection and a heap operation per
 * move; here a deadline is 24 bytes in its owner and one entry in the
 * thread's own min-heap, behind one libevent timer. Moving a deadline later
 * or clearing it is a store: the heap entry keeps its earlier key, and when
 * it surfaces it is re-keyed (or dropped) instead of fired. Only a deadline
 * that moves earlier touches the heap.
 *
 * Deferred frees: an object closed inside a callback is freed only once the
 * top-level event handler returns (loop_reap), so nothing up the stack is
 * left holding a freed pointer.
 */
#ifndef KILN_LOOP_H
#define KILN_LOOP_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdint.h>

#include "arena.h"
#include "http_response.h"
#include "spool.h"

struct loop;

/* A deadline, embedded in its owner. */
struct timer {
    uint64_t due;  /* ms on the coarse monotonic clock; 0 = none */
    uint32_t slot; /* heap index + 1; 0 = not in the heap */
    void (*fire)(struct timer *t);
};

struct timer_ent {
    uint64_t key; /* when to look at t: its due time when it was keyed */
    struct timer *t;
};

/* An object waiting to be freed. */
struct loop_defer {
    struct loop_defer *next;
    void (*free)(struct loop_defer *d);
};

struct loop {
    struct event_base *base;
    struct event timer_ev;
    struct timer_ent *heap;
    uint32_t n_timers;
    uint32_t cap_timers;
    uint64_t armed;          /* when timer_ev fires; 0 = not pending */
    struct loop_defer *dead; /* freed by loop_reap() */
    struct http_date date;   /* refreshed once a second (loop_tick) */
    struct arena_pool arena_pool;
    struct spool_pool spool_pool;
};

/* Milliseconds on the coarse monotonic clock (a vDSO read, no syscall). */
uint64_t loop_now_ms(void);

/* Set up on `base`: the timer event, the pools (spool blocks count against
 * `budget_used` up to `budget`; temporary files go to temp_dir). Returns 0,
 * or -1 when the timer event cannot be set up. */
int loop_init(struct loop *l, struct event_base *base, _Atomic uint64_t *budget_used,
              uint64_t budget, const char *temp_dir);

/* Free what loop_init set up (the timers' owners are gone by then). */
void loop_destroy(struct loop *l);

/* Once a second: the Date line. */
void loop_tick(struct loop *l);

static inline void timer_init(struct timer *t, void (*fire)(struct timer *t))
{
    t->due = 0;
    t->slot = 0;
    t->fire = fire;
}

/* The deadline is `ms` from now (0: as soon as the loop runs). */
void timer_set(struct loop *l, struct timer *t, uint32_t ms);

/* No deadline; a store (the heap entry lapses when it surfaces). */
static inline void timer_clear(struct timer *t)
{
    t->due = 0;
}

static inline int timer_pending(const struct timer *t)
{
    return t->due != 0;
}

/* Out of the heap for good: before the owner is freed. */
void timer_stop(struct loop *l, struct timer *t);

/* Free d (with d->free) once the current event handler is done. */
static inline void loop_defer(struct loop *l, struct loop_defer *d, void (*fn)(struct loop_defer *))
{
    d->free = fn;
    d->next = l->dead;
    l->dead = d;
}

/* Free everything deferred. Every top-level event handler ends with it. */
void loop_reap(struct loop *l);

#endif /* KILN_LOOP_H */
