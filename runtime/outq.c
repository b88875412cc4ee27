/*
 * outq.c - see outq.h.
 */
#include "outq.h"

#include <sys/socket.h>

/* Advance past n written bytes. */
static void outq_consume(struct outq *q, size_t n)
{
    q->bytes -= n;
    while (n > 0) {
        struct iovec *v = &q->iov[q->head];
        if (n < v->iov_len) {
            v->iov_base = (char *)v->iov_base + n;
            v->iov_len -= n;
            return;
        }
        n -= v->iov_len;
        q->head++;
    }
}

int outq_write(struct outq *q, int fd)
{
    while (q->bytes > 0) {
        ssize_t n;
        uint32_t cnt = q->tail - q->head;
        if (cnt == 1) {
            n = send(fd, q->iov[q->head].iov_base, q->iov[q->head].iov_len, MSG_NOSIGNAL);
        } else {
            struct msghdr mh = {.msg_iov = &q->iov[q->head], .msg_iovlen = cnt};
            n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        outq_consume(q, (size_t)n);
    }
    q->head = q->tail = 0;
    return 1;
}
