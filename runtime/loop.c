/*
 * loop.c - see loop.h.
 */
#include "loop.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define ARENA_CHUNKS_KEPT 256
#define SPOOL_BLOCKS_KEPT 64

uint64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the heap ----------------------------------------------------------- */

static void heap_place(struct loop *l, uint32_t i, struct timer_ent e)
{
    l->heap[i] = e;
    e.t->slot = i + 1;
}

static void sift_up(struct loop *l, uint32_t i)
{
    struct timer_ent e = l->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (l->heap[parent].key <= e.key)
            break;
        heap_place(l, i, l->heap[parent]);
        i = parent;
    }
    heap_place(l, i, e);
}

static void sift_down(struct loop *l, uint32_t i)
{
    struct timer_ent e = l->heap[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= l->n_timers)
            break;
        if (child + 1 < l->n_timers && l->heap[child + 1].key < l->heap[child].key)
            child++;
        if (l->heap[child].key >= e.key)
            break;
        heap_place(l, i, l->heap[child]);
        i = child;
    }
    heap_place(l, i, e);
}

static void heap_remove(struct loop *l, uint32_t i)
{
    struct timer *t = l->heap[i].t;
    t->slot = 0;
    if (--l->n_timers == i)
        return;
    struct timer_ent last = l->heap[l->n_timers];
    heap_place(l, i, last);
    sift_down(l, i);
    sift_up(l, last.t->slot - 1);
}

static void heap_push(struct loop *l, struct timer *t, uint64_t key)
{
    if (l->n_timers == l->cap_timers) {
        uint32_t cap = l->cap_timers ? l->cap_timers * 2 : 256;
        struct timer_ent *h = realloc(l->heap, (size_t)cap * sizeof *h);
        if (h == NULL) {
            log_err("out of memory for the deadline heap");
            abort();
        }
        l->heap = h;
        l->cap_timers = cap;
    }
    uint32_t i = l->n_timers++;
    l->heap[i] = (struct timer_ent){key, t};
    t->slot = i + 1;
    sift_up(l, i);
}

/* Have timer_ev fire at `key` if that is earlier than it would. */
static void arm(struct loop *l, uint64_t key, uint64_t now)
{
    if (l->armed != 0 && l->armed <= key)
        return;
    /* At least 1 ms, so a deadline due now still goes through the loop. */
    uint64_t ms = key > now ? key - now : 1;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    event_add(&l->timer_ev, &tv);
    l->armed = key;
}

/* ---- deadlines ---------------------------------------------------------- */

void timer_set(struct loop *l, struct timer *t, uint32_t ms)
{
    uint64_t now = loop_now_ms();
    /* At least 1 ms: a deadline set while deadlines fire waits for the next
     * pass, so a handler that re-arms itself cannot spin. */
    t->due = now + (ms > 0 ? ms : 1);
    if (t->slot == 0) {
        heap_push(l, t, t->due);
    } else if (l->heap[t->slot - 1].key > t->due) {
        l->heap[t->slot - 1].key = t->due;
        sift_up(l, t->slot - 1);
    } else {
        return; /* keyed earlier: re-keyed when it surfaces */
    }
    arm(l, t->due, now);
}

void timer_stop(struct loop *l, struct timer *t)
{
    if (t->slot != 0)
        heap_remove(l, t->slot - 1);
    t->due = 0;
}

/* Fire every deadline that has passed; re-key those that moved later and
 * drop those that were cleared. */
static void timers_run(evutil_socket_t fd, short what, void *arg)
{
    struct loop *l = arg;
    uint64_t now = loop_now_ms();
    (void)fd;
    (void)what;

    l->armed = 0;
    while (l->n_timers > 0 && l->heap[0].key <= now) {
        struct timer *t = l->heap[0].t;
        if (t->due == 0) {
            heap_remove(l, 0);
        } else if (t->due > now) {
            l->heap[0].key = t->due;
            sift_down(l, 0);
        } else {
            heap_remove(l, 0);
            t->due = 0;
            t->fire(t);
        }
    }
    if (l->n_timers > 0)
        arm(l, l->heap[0].key, now);
    loop_reap(l);
}

/* ---- the rest ----------------------------------------------------------- */

void loop_reap(struct loop *l)
{
    struct loop_defer *d;

    while ((d = l->dead) != NULL) {
        l->dead = d->next;
        d->free(d);
    }
}

int loop_init(struct loop *l, struct event_base *base, _Atomic uint64_t *budget_used,
              uint64_t budget, const char *temp_dir)
{
    memset(l, 0, sizeof *l);
    l->base = base;
    arena_pool_init(&l->arena_pool, ARENA_CHUNKS_KEPT);
    spool_pool_init(&l->spool_pool, SPOOL_BLOCKS_KEPT, budget_used, budget, temp_dir);
    http_date_update(&l->date, time(NULL));
    return evtimer_assign(&l->timer_ev, base, timers_run, l);
}

void loop_destroy(struct loop *l)
{
    event_del(&l->timer_ev);
    loop_reap(l);
    free(l->heap);
    l->heap = NULL;
    l->n_timers = l->cap_timers = 0;
    arena_pool_destroy(&l->arena_pool);
    spool_pool_destroy(&l->spool_pool);
}

void loop_tick(struct loop *l)
{
    http_date_update(&l->date, time(NULL));
}
