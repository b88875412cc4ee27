/*
 * worker.c - a worker thread: its event loop, accepting connections,
 * cross-thread wake-ups and the once-a-second tick.
 */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define ACCEPT_BATCH 64
#define ACCEPT_RETRY_MS 100
#define EXIT_CHECK_MS 10

void worker_wake(struct worker *w, uint32_t bits)
{
    uint64_t one = 1;
    atomic_fetch_or(&w->wake_bits, bits);
    /* An eventfd write only fails when the counter would overflow, and then
     * the worker is already due to wake. */
    ssize_t n = write(w->wake_fd, &one, sizeof one);
    (void)n;
}

static void stop_accepting(struct worker *w)
{
    if (w->listen_fd < 0)
        return;
    event_del(&w->listen_ev);
    event_del(&w->accept_retry_ev);
    close(w->listen_fd);
    w->listen_fd = -1;
}

/* Over max_concurrency: answer 503 without reading the request and close.
 * Best effort: the socket is new, so its send buffer is empty. */
static void refuse_overload(struct worker *w, int fd)
{
    static const char conn_close[] = "Connection: close\r\n\r\n";
    const struct http_error *e = http_error_get(503);
    struct iovec iov[4] = {
        {(void *)e->head.ptr, e->head.len},
        {w->loop.date.line, HTTP_DATE_LINE_LEN},
        {(void *)conn_close, sizeof conn_close - 1},
        {(void *)e->body.ptr, e->body.len},
    };
    /* Read what the client sent first: closing a socket with unread bytes
     * sends a reset, which can destroy the 503 before the client reads it. */
    char sink[4096];
    for (int i = 0; i < 16 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
        ;
    ssize_t n = writev(fd, iov, 4);
    (void)n;
    shutdown(fd, SHUT_WR);
    close(fd);
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd;
    (void)what;
    if (w->listen_fd >= 0)
        event_add(&w->listen_ev, NULL);
}

/* Out of descriptors: stop accepting for a moment instead of spinning on a
 * listener that stays readable. Established connections keep being served. */
static void accept_pause(struct worker *w, int err)
{
    static _Atomic uint64_t last_log_ms;
    uint64_t now = loop_now_ms();
    uint64_t prev = atomic_load(&last_log_ms);
    if (now - prev >= 1000 && atomic_compare_exchange_strong(&last_log_ms, &prev, now))
        log_err("accept: %s; pausing accepts for %d ms", strerror(err), ACCEPT_RETRY_MS);
    event_del(&w->listen_ev);
    struct timeval tv = {0, ACCEPT_RETRY_MS * 1000};
    event_add(&w->accept_retry_ev, &tv);
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
    struct worker *w = arg;
    (void)what;

    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                accept_pause(w, errno);
            else if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_err("accept: %s", strerror(errno));
            break;
        }
        uint32_t n = atomic_fetch_add(&w->sh->conns, 1) + 1;
        if (n > w->sh->site->max_concurrency) {
            atomic_fetch_sub(&w->sh->conns, 1);
            refuse_overload(w, fd);
            continue;
        }
        conn_accept(&w->conns, fd, (struct sockaddr *)&peer);
    }
    loop_reap(&w->loop);
}

/* While draining: leave the loop once nothing is left to serve. */
static void exit_check_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd;
    (void)what;
    if (w->conns.n == 0 && w->pool.n_open == 0)
        event_base_loopexit(w->base, NULL);
}

static void start_draining(struct worker *w)
{
    struct timeval tv = {0, EXIT_CHECK_MS * 1000};

    w->draining = 1;
    stop_accepting(w);
    conn_close_idle(&w->conns);
    pool_close_idle(&w->pool);
    event_add(&w->exit_ev, &tv);
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    uint64_t v;
    (void)what;

    ssize_t n = read(fd, &v, sizeof v);
    (void)n;
    uint32_t bits = atomic_exchange(&w->wake_bits, 0);
    if (bits & WAKE_STOP)
        start_draining(w);
    if (bits & WAKE_FORCE)
        event_base_loopbreak(w->base);
    if (bits & WAKE_SHED)
        pool_shed_idle(&w->pool);
    if (bits & WAKE_SLOT)
        pool_serve_waiters(&w->pool);
    loop_reap(&w->loop);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd;
    (void)what;
    loop_tick(&w->loop);
    pool_sweep(&w->pool);
    loop_reap(&w->loop);
}

static int worker_setup(struct worker *w)
{
    struct shared *sh = w->sh;
    const struct kiln_site *s = sh->site;
    struct event_config *cfg = event_config_new();

    if (cfg == NULL)
        return -1;
    /* One thread per base and no cross-thread libevent calls: no locks. */
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    w->base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (w->base == NULL)
        return -1;
    if (loop_init(&w->loop, w->base, &sh->spool_memory, s->buffer_memory_max, s->temp_dir) != 0)
        return -1;
    uint32_t idle = s->pool_max_idle / sh->n_workers;
    pool_init(&w->pool, &w->loop, s, &sh->slots, w->id, &sh->addrs, idle ? idle : 1);
    http_ctx_init(&w->http, &w->loop, s, &w->pool, &sh->health, &sh->stopping);
    conn_set_init(&w->conns, &w->loop, s, &http_conn_ops, &w->http, &sh->conns);

    event_assign(&w->listen_ev, w->base, w->listen_fd, EV_READ | EV_PERSIST, accept_cb, w);
    evtimer_assign(&w->accept_retry_ev, w->base, accept_resume_cb, w);
    event_assign(&w->wake_ev, w->base, w->wake_fd, EV_READ | EV_PERSIST, wake_cb, w);
    event_assign(&w->tick_ev, w->base, -1, EV_PERSIST, tick_cb, w);
    event_assign(&w->exit_ev, w->base, -1, EV_PERSIST, exit_check_cb, w);
    struct timeval second = {1, 0};
    if (event_add(&w->listen_ev, NULL) || event_add(&w->wake_ev, NULL) ||
        event_add(&w->tick_ev, &second))
        return -1;
    return 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    event_base_dispatch(w->base);
    /* Forced stop (grace period over): close whatever is left. */
    conn_close_all(&w->conns);
    pool_close_idle(&w->pool);
    loop_reap(&w->loop);
    http_ctx_destroy(&w->http);
    conn_set_destroy(&w->conns);
    pool_destroy(&w->pool);
    loop_destroy(&w->loop);
    return NULL;
}

int worker_start(struct worker *w)
{
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd < 0) {
        log_err("eventfd: %s", strerror(errno));
        return -1;
    }
    if (worker_setup(w) != 0) {
        log_err("worker %u: cannot set up its event loop", w->id);
        return -1;
    }
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
        log_err("pthread_create: %s", strerror(rc));
        return -1;
    }
    return 0;
}
