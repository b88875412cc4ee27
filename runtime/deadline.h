/*
 * deadline.h - a timer that is cheap to move.
 *
 * Every request sets and clears several deadlines (the keep-alive wait, the
 * head's read deadline, the upstream's read deadline). Doing each as a
 * libevent timer add/delete costs a heap operation every time; here setting
 * or clearing a deadline is a store. The event is re-armed only when a
 * deadline moves earlier than the pending one; when the event fires early
 * (the deadline moved later, or was cleared), deadline_expired() re-arms it
 * for the rest, or lets it lapse.
 */
#ifndef KILN_DEADLINE_H
#define KILN_DEADLINE_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdint.h>

struct deadline {
    struct event ev;
    uint64_t due;   /* coarse monotonic ms; 0 = no deadline */
    uint64_t armed; /* when ev is due to fire; 0 = not pending */
};

/* Milliseconds on the coarse monotonic clock (a vDSO read, no syscall). */
uint64_t deadline_now_ms(void);

void deadline_init(struct deadline *d, struct event_base *base, event_callback_fn cb,
                   void *arg);

/* The deadline is `ms` from now. */
void deadline_set(struct deadline *d, uint32_t ms);

/* No deadline (the event may still fire once, harmlessly). */
static inline void deadline_clear(struct deadline *d)
{
    d->due = 0;
}

/* Stop the event for good (the owner is going away). */
void deadline_stop(struct deadline *d);

/* In the event callback: 1 when the deadline has really passed (act on it);
 * 0 when it fired early or there is none (it re-armed itself if needed). */
int deadline_expired(struct deadline *d);

#endif /* KILN_DEADLINE_H */
