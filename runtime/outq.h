/*
 * outq.h - a queue of byte ranges waiting to be written with one writev(2).
 *
 * The queue does not own the bytes: each range points into memory that the
 * caller keeps unchanged until the range is written (the request arena, a
 * connection's input buffer, an upstream read buffer, baked site data).
 * That is what lets a response body go from the upstream's read buffer to
 * the client's socket without a copy.
 */
#ifndef KILN_OUTQ_H
#define KILN_OUTQ_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define OUTQ_MAX 64

struct outq {
    struct iovec iov[OUTQ_MAX];
    uint32_t head;  /* first pending entry */
    uint32_t tail;  /* one past the last entry */
    size_t bytes;   /* pending bytes */
};

static inline void outq_init(struct outq *q)
{
    q->head = q->tail = 0;
    q->bytes = 0;
}

static inline int outq_empty(const struct outq *q)
{
    return q->bytes == 0;
}

/* Free entries left before the queue must be written out. */
static inline uint32_t outq_space(const struct outq *q)
{
    return OUTQ_MAX - q->tail;
}

/* Append a range. Returns -1 (nothing added) when the queue is full. Empty
 * ranges are ignored. */
static inline int outq_push(struct outq *q, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (q->tail == OUTQ_MAX)
        return -1;
    q->iov[q->tail].iov_base = (void *)(uintptr_t)p;
    q->iov[q->tail].iov_len = n;
    q->tail++;
    q->bytes += n;
    return 0;
}

/*
 * outq_write - write as much as the socket takes.
 * Returns 1 when the queue is now empty, 0 when the socket would block
 * with bytes left (wait for writability), -1 on a write error (errno set).
 */
int outq_write(struct outq *q, int fd);

#endif /* KILN_OUTQ_H */
