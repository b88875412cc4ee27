/*
 * slots.c - see slots.h.
 */
#include "slots.h"

#include <stdlib.h>

/* Careful for a minute after php-fpm last closed a connection on its own
 * (with pm.max_requests it does so all the time, so that is "always"), and
 * for the first seconds after start, before anything could be seen. */
#define CAREFUL_AFTER_CLOSE_MS 60000
#define CAREFUL_AT_START_MS 10000

int slots_init(struct slots *s, uint32_t max, unsigned n_threads,
               void (*wake)(void *ctx, unsigned thread, unsigned why), void *wake_ctx)
{
    s->max = max;
    atomic_init(&s->open, 0);
    atomic_init(&s->idle, 0);
    atomic_init(&s->waiting, 0);
    atomic_init(&s->rr, 0);
    atomic_init(&s->careful_until, 0);
    s->n_threads = n_threads;
    s->wake = wake;
    s->wake_ctx = wake_ctx;
    s->threads = calloc(n_threads, sizeof *s->threads);
    return s->threads != NULL ? 0 : -1;
}

void slots_destroy(struct slots *s)
{
    free(s->threads);
    s->threads = NULL;
}

int slots_take(struct slots *s)
{
    uint32_t open = atomic_load(&s->open);
    while (open < s->max) {
        if (atomic_compare_exchange_weak(&s->open, &open, open + 1))
            return 1;
    }
    return 0;
}

/* The thread whose first queued request has waited longest, or -1. */
static int oldest_waiter(struct slots *s)
{
    int best = -1;
    uint64_t best_ms = UINT64_MAX;

    for (unsigned i = 0; i < s->n_threads; i++) {
        struct slot_thread *t = &s->threads[i];
        uint64_t ms = atomic_load_explicit(&t->queue_head_ms, memory_order_relaxed);
        if (ms != 0 && ms < best_ms &&
            atomic_load_explicit(&t->n_queued, memory_order_relaxed) > 0) {
            best = (int)i;
            best_ms = ms;
        }
    }
    return best;
}

/* First come, first served across threads: a thread that always has
 * requests of its own queued must not starve the others. The own thread is
 * served through its wake event too, so this never re-enters the request
 * code that called it. */
void slots_wake_waiter(struct slots *s)
{
    if (atomic_load(&s->waiting) == 0)
        return;
    int t = oldest_waiter(s);
    if (t >= 0) {
        s->wake(s->wake_ctx, (unsigned)t, SLOTS_WAKE_SERVE);
        return;
    }
    unsigned n = s->n_threads;
    unsigned start = atomic_fetch_add(&s->rr, 1);
    for (unsigned i = 0; i < n; i++) {
        unsigned k = (start + i) % n;
        if (atomic_load_explicit(&s->threads[k].n_queued, memory_order_relaxed) > 0) {
            s->wake(s->wake_ctx, k, SLOTS_WAKE_SERVE);
            return;
        }
    }
}

void slots_give(struct slots *s)
{
    /* Free the slot, then look for waiters: a thread that queues counts
     * itself as waiting first, then looks for a slot, so one of the two
     * sees the other. */
    atomic_fetch_sub(&s->open, 1);
    slots_wake_waiter(s);
}

void slots_publish_queue(struct slots *s, unsigned self, uint32_t n_queued, uint64_t head_ms)
{
    struct slot_thread *t = &s->threads[self];
    atomic_store_explicit(&t->queue_head_ms, head_ms, memory_order_relaxed);
    atomic_store_explicit(&t->n_queued, n_queued, memory_order_relaxed);
}

void slots_waiting(struct slots *s, int delta)
{
    if (delta > 0)
        atomic_fetch_add(&s->waiting, (uint32_t)delta);
    else
        atomic_fetch_sub(&s->waiting, (uint32_t)-delta);
}

void slots_publish_idle(struct slots *s, unsigned self, uint32_t n_idle, int delta)
{
    atomic_store_explicit(&s->threads[self].n_idle, n_idle, memory_order_relaxed);
    if (delta > 0)
        atomic_fetch_add(&s->idle, (uint32_t)delta);
    else if (delta < 0)
        atomic_fetch_sub(&s->idle, (uint32_t)-delta);
}

void slots_ask_to_shed(struct slots *s, unsigned self)
{
    if (atomic_load(&s->idle) == 0)
        return;
    for (unsigned i = 0; i < s->n_threads; i++) {
        if (i != self &&
            atomic_load_explicit(&s->threads[i].n_idle, memory_order_relaxed) > 0) {
            s->wake(s->wake_ctx, i, SLOTS_WAKE_SHED);
            return;
        }
    }
}

int slots_other_waited_longer(struct slots *s, unsigned self, uint64_t head_ms,
                              uint64_t margin_ms)
{
    int t = oldest_waiter(s);
    if (t < 0 || (unsigned)t == self)
        return 0;
    uint64_t ms = atomic_load_explicit(&s->threads[t].queue_head_ms, memory_order_relaxed);
    return ms + margin_ms < head_ms;
}

int slots_careful(struct slots *s, uint64_t now_ms)
{
    uint64_t until = atomic_load_explicit(&s->careful_until, memory_order_relaxed);
    return until == 0 || now_ms < until;
}

void slots_fpm_closed(struct slots *s, uint64_t now_ms)
{
    uint64_t until = now_ms + CAREFUL_AFTER_CLOSE_MS;
    uint64_t cur = atomic_load_explicit(&s->careful_until, memory_order_relaxed);
    /* Once a second at most: this runs on every recycled connection. */
    while (until > cur + 1000 && !atomic_compare_exchange_weak(&s->careful_until, &cur, until))
        ;
}

void slots_careful_at_start(struct slots *s, uint64_t now_ms)
{
    atomic_store(&s->careful_until, now_ms + CAREFUL_AT_START_MS);
}
