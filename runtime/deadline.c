/*
 * deadline.c - see deadline.h.
 */
#include "deadline.h"

#include <time.h>

uint64_t deadline_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void arm(struct deadline *d, uint64_t now)
{
    /* At least 1 ms, so a deadline due now still goes through the loop. */
    uint64_t ms = d->due > now ? d->due - now : 1;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    event_add(&d->ev, &tv);
    d->armed = d->due;
}

void deadline_init(struct deadline *d, struct event_base *base, event_callback_fn cb,
                   void *arg)
{
    evtimer_assign(&d->ev, base, cb, arg);
    d->due = 0;
    d->armed = 0;
}

void deadline_set(struct deadline *d, uint32_t ms)
{
    uint64_t now = deadline_now_ms();
    d->due = now + ms;
    if (d->armed == 0 || d->armed > d->due)
        arm(d, now);
}

void deadline_stop(struct deadline *d)
{
    event_del(&d->ev);
    d->due = 0;
    d->armed = 0;
}

int deadline_expired(struct deadline *d)
{
    d->armed = 0;
    if (d->due == 0)
        return 0;
    uint64_t now = deadline_now_ms();
    if (now < d->due) {
        arm(d, now);
        return 0;
    }
    d->due = 0;
    return 1;
}
