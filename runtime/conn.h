/*
 * conn.h - a client connection: the socket, its input buffer, its deadline
 * and its life cycle (accept, keep-alive idleness, lingering close).
 *
 * It knows bytes, not HTTP: the layer above (request.c) registers handlers
 * and is called when bytes arrive, when the socket takes more, when its
 * deadline passes, and when the connection closes under it.
 *
 * An idle keep-alive connection holds no buffer: its input buffer comes
 * from the thread's free list when bytes arrive and goes back when the
 * connection is idle again with nothing left in it. So an idle connection
 * costs this struct (and the kernel's socket), nothing more.
 *
 * Sockets are registered once, edge-triggered, for reading and writing, so
 * no request makes an epoll_ctl call: a read that fills the buffer leaves
 * `readable` set, and a write that would block sets `want_write` and is
 * resumed on the write edge.
 */
#ifndef KILN_CONN_H
#define KILN_CONN_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "loop.h"
#include "outq.h"
#include "site.h"

enum conn_state {
    CONN_IDLE = 0, /* keep-alive: between requests */
    CONN_BUSY,     /* the layer above has it */
    CONN_LINGER,   /* response sent; reading what the client still sends
                    * before closing, so a reset does not destroy it */
    CONN_DEAD,
};

struct conn;

/* The layer above. `closed` is the last call it gets for c. */
struct conn_ops {
    void (*input)(struct conn *c);    /* readable (or hung up) while busy, or
                                       * bytes of a new request while idle */
    void (*writable)(struct conn *c); /* the socket takes more (want_write) */
    void (*timeout)(struct conn *c);  /* the deadline set while busy passed */
    void (*closed)(struct conn *c);   /* c closes: drop what uses it */
};

struct conn_set;

struct conn {
    struct conn_set *set;
    void *user;            /* the layer above's, while busy */
    int fd;
    uint8_t state;         /* enum conn_state */
    uint8_t readable;      /* edge-triggered: the socket may hold more */
    uint8_t peer_eof;      /* the client shut down its sending side */
    uint8_t want_write;    /* output waits for the write edge */
    uint8_t remote_addr_len;
    uint8_t remote_port_len;
    uint16_t local_addr;   /* index into the set's local address texts */
    struct event ev;       /* EV_READ|EV_WRITE|EV_CLOSED|EV_ET, registered once */
    struct timer timer;
    TAILQ_ENTRY(conn) link;
    struct loop_defer defer;
    /* Input: bytes in[start..end) are received and not yet consumed. */
    uint8_t *in;           /* NULL while idle with nothing to keep */
    uint32_t in_cap;
    uint32_t in_start;
    uint32_t in_end;
    char remote_addr[INET6_ADDRSTRLEN]; /* for CGI params and logs */
    char remote_port[6];
};

TAILQ_HEAD(conn_list, conn);

/* One thread's connections. */
struct conn_set {
    struct loop *loop;
    const struct kiln_site *site;
    const struct conn_ops *ops;
    void *ctx;                    /* the layer above's, for its handlers */
    _Atomic uint32_t *open_total; /* client connections, all threads */
    struct conn_list all;
    uint32_t n;
    struct conn_list free;        /* recycled objects */
    uint32_t n_free;
    uint8_t *bufs;                /* free input buffers (a list through
                                   * their first bytes) */
    uint32_t n_bufs;
    uint32_t buf_size;            /* the usual input buffer */
    uint32_t buf_max;             /* the most a head may need */
    /* The local addresses clients connected to, as text, each once: a
     * connection keeps an index (there are as many as the host has
     * addresses, not as many as connections). */
    char (*local)[INET6_ADDRSTRLEN];
    uint16_t n_local;
    uint16_t cap_local;
};

void conn_set_init(struct conn_set *s, struct loop *loop, const struct kiln_site *site,
                   const struct conn_ops *ops, void *ctx, _Atomic uint32_t *open_total);

/* Free the recycled objects and buffers (every connection is closed). */
void conn_set_destroy(struct conn_set *s);

/* Take over an accepted socket (non-blocking); closes it on failure. */
void conn_accept(struct conn_set *s, int fd, const struct sockaddr *peer);

/* The local address the client connected to, as text. */
static inline const char *conn_local_addr(const struct conn *c)
{
    return c->set->local[c->local_addr];
}

enum conn_fill { FILL_DATA, FILL_AGAIN, FILL_FULL, FILL_EOF, FILL_ERROR };

/* Read more into c->in (taking a buffer when c has none; growing it up to
 * what a maximal head needs when it is full). `again`: read once more even
 * after a short read (a hang-up right behind data raises no further edge). */
enum conn_fill conn_fill(struct conn *c, int again);

/* The deadline of the layer above: `ms` from now, or none. */
void conn_deadline(struct conn *c, uint32_t ms);
void conn_no_deadline(struct conn *c);

/* Write q. Returns 1 when all is written, 0 when the socket is full (the
 * write edge calls ops->writable), -1 when the client is gone (c is
 * closed). A write that waits arms `deadline_ms` (when not 0), but only
 * when it made progress or starts waiting: output queued behind does not
 * keep alive a client that takes nothing. */
int conn_write(struct conn *c, struct outq *q, uint32_t deadline_ms);

/* The layer above is done with c: idle until the next request's bytes (or
 * keepalive_timeout). Bytes already in c->in are the next request's: the
 * caller has handled them (it calls this only with none left). */
void conn_idle(struct conn *c);

/* Close after a moment of reading what the client still sends. */
void conn_linger(struct conn *c);

/* Close now (the layer above hears of it through ops->closed). */
void conn_close(struct conn *c);

/* Graceful shutdown: close idle connections; busy ones are told by the
 * layer above to close after their response. */
void conn_close_idle(struct conn_set *s);

/* Forced shutdown: close everything. */
void conn_close_all(struct conn_set *s);

#endif /* KILN_CONN_H */
