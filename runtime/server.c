/*
 * server.c - process life cycle: listeners, worker threads, signals, and a
 * graceful stop.
 *
 * SIGTERM or SIGINT: every worker stops accepting, closes idle connections
 * and lets requests in flight finish (their responses carry
 * "Connection: close"). The process exits 0 once all are done, or when
 * site->shutdown_timeout_ms has passed, whichever comes first.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_response.h"
#include "log.h"
#include "loop.h"
#include "pool.h"
#include "slots.h"
#include "worker.h"

#define MAX_WORKERS 256

static int listen_addr(const struct kiln_site *s, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    if (s->listen_host[0] == '\0' || strchr(s->listen_host, ':') != NULL) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(s->listen_port);
        if (s->listen_host[0] != '\0' && inet_pton(AF_INET6, s->listen_host, &a->sin6_addr) != 1)
            return -1;
        if (s->listen_host[0] == '\0')
            a->sin6_addr = in6addr_any;
        *len = sizeof *a;
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(s->listen_port);
    if (inet_pton(AF_INET, s->listen_host, &a->sin_addr) != 1)
        return -1;
    *len = sizeof *a;
    return 0;
}

/* One listening socket per worker, all on the same address: the kernel
 * spreads new connections over them (SO_REUSEPORT), and no thread ever
 * touches another's listener. */
static int listen_socket(const struct kiln_site *s)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1, zero = 0;

    if (listen_addr(s, &ss, &len) != 0) {
        log_err("listen: bad address %s", s->listen);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && ss.ss_family == AF_INET6 && s->listen_host[0] == '\0') {
        /* No IPv6 on this host: every IPv4 address then. */
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        memset(&ss, 0, sizeof ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(s->listen_port);
        a->sin_addr.s_addr = htonl(INADDR_ANY);
        len = sizeof *a;
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0) {
        log_err("listen %s: socket: %s", s->listen, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (ss.ss_family == AF_INET6 && s->listen_host[0] == '\0')
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    /* Wake up only once the request's first bytes are in. */
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        log_err("listen %s: %s", s->listen, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static unsigned worker_count(const struct kiln_site *s)
{
    long n = s->workers;
    if (n == 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > MAX_WORKERS)
        n = MAX_WORKERS;
    return (unsigned)n;
}

/* Wait for SIGTERM or SIGINT in the main thread. */
static int wait_for_stop(void)
{
    sigset_t set;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    while (sigwait(&set, &sig) != 0)
        ;
    return sig;
}

static void stop_workers(struct shared *sh, uint32_t grace_ms)
{
    struct timespec deadline;

    atomic_store(&sh->stopping, 1);
    for (unsigned i = 0; i < sh->n_workers; i++)
        worker_wake(&sh->workers[i], WAKE_STOP);
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += grace_ms / 1000;
    deadline.tv_nsec += (long)(grace_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    unsigned forced = 0;
    for (unsigned i = 0; i < sh->n_workers; i++) {
        struct worker *w = &sh->workers[i];
        if (pthread_timedjoin_np(w->thread, NULL, &deadline) != 0) {
            forced++;
            worker_wake(w, WAKE_FORCE);
            pthread_join(w->thread, NULL);
        }
    }
    if (forced > 0)
        log_warn("shutdown_timeout reached: %u thread(s) closed requests still in flight",
                 forced);
}

/* The slots' way to wake a thread (a slot freed, idle connections wanted). */
static void wake_thread(void *ctx, unsigned thread, unsigned why)
{
    struct shared *sh = ctx;
    worker_wake(&sh->workers[thread], why);
}

/* Every thread has closed all it had: each slot taken was given back, each
 * spool block too. Tests fail on these lines (kilnfix.py). */
static void check_accounting(struct shared *sh)
{
    uint32_t open = atomic_load(&sh->slots.open), idle = atomic_load(&sh->slots.idle);
    uint32_t waiting = atomic_load(&sh->slots.waiting);
    uint64_t spooled = atomic_load(&sh->spool_memory);

    if (open != 0 || idle != 0 || waiting != 0)
        log_err("BUG: upstream accounting at exit: %u slots, %u idle, %u waiting left", open,
                idle, waiting);
    if (spooled != 0)
        log_err("BUG: %llu bytes of spool blocks not returned at exit",
                (unsigned long long)spooled);
}

static void log_totals(struct shared *sh)
{
    uint64_t requests = 0, connects = 0, retries = 0;

    for (unsigned i = 0; i < sh->n_workers; i++) {
        requests += sh->workers[i].http.stats.requests;
        connects += sh->workers[i].pool.stats.connects;
        retries += sh->workers[i].http.xstats.retries;
    }
    log_info("stopped: %llu requests, %llu upstream connections opened, %llu retried",
             (unsigned long long)requests, (unsigned long long)connects,
             (unsigned long long)retries);
}

int kiln_serve(const struct kiln_site *site)
{
    static struct shared sh;
    sigset_t block, old;

    signal(SIGPIPE, SIG_IGN);
    http_errors_init();
    sh.site = site;
    if (upstream_resolve(site, &sh.addrs) != 0)
        return 1;
    sh.n_workers = worker_count(site);
    sh.workers = calloc(sh.n_workers, sizeof *sh.workers);
    if (sh.workers == NULL ||
        slots_init(&sh.slots, site->upstream_max_conns, sh.n_workers, wake_thread, &sh) != 0)
        return 1;
    slots_careful_at_start(&sh.slots, loop_now_ms());
    for (unsigned i = 0; i < sh.n_workers; i++) {
        struct worker *w = &sh.workers[i];
        w->id = i;
        w->sh = &sh;
        w->listen_fd = listen_socket(site);
        if (w->listen_fd < 0)
            return 1;
    }

    /* Workers never see SIGTERM/SIGINT: the main thread waits for them. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (unsigned i = 0; i < sh.n_workers; i++) {
        if (worker_start(&sh.workers[i]) != 0)
            return 1;
    }
    log_info("kiln %s serving %s (sha256:%.12s) on %s, %u thread(s), upstream %s %s",
             KILN_VERSION, site->config_name, site->config_sha256, site->listen,
             sh.n_workers, site->network == KILN_NET_UNIX ? "unix" : "tcp",
             sh.addrs.a[0].text);

    int sig = wait_for_stop();
    log_info("%s: stopping; finishing requests in flight (at most %u ms)",
             sig == SIGINT ? "SIGINT" : "SIGTERM", site->shutdown_timeout_ms);
    stop_workers(&sh, site->shutdown_timeout_ms);
    check_accounting(&sh);
    log_totals(&sh);
    slots_destroy(&sh.slots);
    return 0;
}
