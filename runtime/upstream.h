/*
 * upstream.h - FastCGI connections: dialing, the per-thread keep-alive pool,
 * and the process-wide bound on open connections with its wait queue.
 *
 * Why a global bound: php-fpm binds a worker process to a kept-alive
 * connection until that connection closes, so every idle pooled connection
 * pins a php-fpm worker. Opening more connections than pm.max_children
 * leaves the extra ones in php-fpm's accept backlog, where requests hang.
 * So at most site->upstream_max_conns connections exist across all threads;
 * a request that finds none free waits in its thread's FIFO queue for at
 * most site->upstream_queue_timeout_ms, then gets 503. A thread that waits
 * while another holds idle connections asks it to close some, so idle
 * connections in one thread never starve another.
 *
 * Pool hygiene (nginx's keepalive rules): a connection returns to the pool
 * only after a clean END_REQUEST with nothing stray after it and the whole
 * request sent; while idle, any readable event or hang-up closes it (php-fpm
 * closes connections when a worker recycles), and it is closed after
 * site->pool_idle_timeout_ms.
 */
#ifndef KILN_UPSTREAM_H
#define KILN_UPSTREAM_H

#include <stdint.h>
#include <sys/queue.h>

#include "deadline.h"
#include "fcgi_codec.h"
#include "outq.h"
#include "worker.h"

enum upstream_state {
    UP_CONNECTING = 0,
    UP_ACTIVE,      /* serving a request */
    UP_IDLE,        /* in the pool */
    UP_DEAD,
};

#define UPSTREAM_RBUF_SIZE (64 * 1024)
#define UPSTREAM_STDIN_HDRS 16
/* A request that must not be sent twice reuses only a connection idle this
 * long (see idle_pick in upstream.c). */
#define UPSTREAM_SETTLE_MS 10

struct upstream {
    struct worker *w;
    int fd;
    enum upstream_state state;
    struct event rev;   /* EV_READ|EV_ET, registered once */
    struct event wev;   /* EV_WRITE|EV_ET, registered once */
    struct deadline timer; /* dial, read or write deadline */
    TAILQ_ENTRY(upstream) link; /* worker.idle, free_ups, dead_ups */
    struct conn *client;        /* while active */
    unsigned addr_index;        /* which resolved address */
    uint64_t idle_since_ms;
    uint8_t readable;           /* edge-triggered: more may be waiting */
    uint8_t peer_closed;        /* php-fpm's hang-up was seen (EV_CLOSED) */
    uint8_t want_write;
    uint8_t reused;             /* the current request came from the pool */
    uint16_t req_id;            /* FastCGI id of the current request; each
                                 * request on a connection gets the next one,
                                 * so a stray record of the last one is told
                                 * apart from the answer to this one */

    /* Request side. */
    struct outq out;
    uint8_t stdin_done;         /* the empty STDIN record is queued */
    uint8_t req_written;        /* some byte of this request was sent */
    uint8_t body_refused;       /* the upstream hung up on the body with its
                                   answer waiting: send no more, read that */
    uint64_t body_sent;         /* body bytes queued as STDIN */
    uint8_t stdin_hdr[UPSTREAM_STDIN_HDRS][8]; /* headers of queued STDIN records */
    uint8_t stdin_end[8];       /* the empty STDIN record ending the body */
    uint32_t stdin_hdrs_used;   /* of stdin_hdr, until the queue is written */

    /* Response side. */
    uint8_t *rbuf;              /* UPSTREAM_RBUF_SIZE bytes */
    uint32_t rlen;
    uint32_t roff;              /* bytes of rbuf already walked */
    struct fcgi_reader reader;
    uint8_t got_bytes;          /* any response byte arrived */
    uint8_t ended;              /* END_REQUEST arrived */
};

/* Get a connection for the request on c: reuse an idle one, dial a new one,
 * or queue c. Calls proxy_start() when one is ready (maybe before
 * returning), or answers the request with an error. */
void upstream_acquire(struct conn *c);

/* The request on u is over. A clean connection goes back to the pool (or
 * straight to a waiting request); anything else is closed. */
void upstream_release(struct upstream *u, int clean);

/* Close u now and free its slot (marks dead; freed by worker_reap). */
void upstream_close(struct upstream *u);

/* Close u's socket and dial again, keeping its slot: the retry of a request
 * whose pooled connection turned out to be dead. */
void upstream_redial(struct upstream *u);

/* 1 when nothing is waiting in u's socket: php-fpm has not closed it (nor
 * sent anything) since its last request. One MSG_PEEK; for a pooled
 * connection about to carry a request that must not be sent twice, whose
 * closing may be in the socket before its event is handled (a php-fpm
 * worker recycled by pm.max_requests closes right after its last
 * END_REQUEST). */
int upstream_peer_open(struct upstream *u);

/* 1 when u's socket holds bytes from the peer, to be read (one MSG_PEEK).
 * If so, the read callback runs in the next loop iteration, whatever the
 * edge-triggered events already said. */
int upstream_has_input(struct upstream *u);

/* A queued request gave up (timeout or client gone). */
void upstream_dequeue(struct conn *c);

/* Wake-up handlers, run in the owning thread. */
void upstream_serve_waiters(struct worker *w);
void upstream_shed_idle(struct worker *w);

/* Once a second: close idle connections past pool_idle_timeout. */
void upstream_sweep(struct worker *w);

/* Shutdown: close every idle connection of this thread. */
void upstream_close_idle(struct worker *w);

void upstream_free(struct upstream *u);

/* php-fpm closed a kept-alive connection on its own (a worker recycled by
 * pm.max_requests, a restart). For a while after that, requests that must
 * not be sent twice avoid connections that just finished a request. */
void upstream_fpm_closed(struct worker *w);

/* The deadline for a wait on u of normally `ms`: a readiness probe waits
 * at most readiness.timeout for anything. */
uint32_t upstream_wait_ms(const struct upstream *u, uint32_t ms);

/* Start careful (see upstream_fpm_closed). */
void upstream_careful_at_start(struct shared *sh);

/* Resolve site's upstream address into sh->addrs at start-up. */
int upstream_resolve(struct shared *sh);

#endif /* KILN_UPSTREAM_H */
