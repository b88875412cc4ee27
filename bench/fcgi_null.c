/*
 * fcgi_null.c - a FastCGI responder that does (almost) nothing, to measure
 * what a proxy costs without PHP in the way.
 *
 *   fcgi_null -l /path/to.sock | -l 127.0.0.1:9000 [-w WORKERS] [-b BYTES]
 *             [-p PIDFILE]
 *
 * Every request gets, in one write():
 *
 *   FCGI_STDOUT  "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
 *                "{\"ok\":true}\n"      (or a BYTES-long JSON body with -b)
 *   FCGI_STDOUT  (empty: end of stream)
 *   FCGI_END_REQUEST  appStatus 0, FCGI_REQUEST_COMPLETE
 *
 * It is a real peer, not a mock: each record is checked (version 1, known
 * type, one request at a time per connection, BEGIN_REQUEST with role
 * RESPONDER, PARAMS then STDIN each ended by an empty record, the params'
 * name-value lengths consistent), and a connection that breaks the protocol
 * is closed and counted on stderr. FCGI_KEEP_CONN is honoured: without it
 * the connection is closed once the response is written. FCGI_GET_VALUES is
 * answered (MAX_CONNS, MAX_REQS, MPXS_CONNS=0), FCGI_ABORT_REQUEST ends the
 * request, an unknown management type gets FCGI_UNKNOWN_TYPE.
 *
 * WORKERS processes (fork, default 1) share one listening socket, each with
 * its own epoll loop (EPOLLEXCLUSIVE on the listener). Non-blocking I/O,
 * edge-triggered, no allocation on the request path. SIGTERM/SIGINT stop all.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* The record types and header encoder are kiln's own codec (runtime/), so
 * the benchmark backend and the proxy agree on the wire format by
 * construction; fcgi_codec.c is compiled in. */
#include "fcgi_codec.h"

#define HDR FCGI_HEADER_LEN

#define RBUF (2 * (HDR + 65535 + 255)) /* two maximal records */
#define WBUF (1 << 20)                 /* largest response with -b, plus slack */
#define MAX_EVENTS 256

enum req_state { RS_IDLE, RS_PARAMS, RS_STDIN };

struct conn {
    int fd;
    enum req_state state;
    uint16_t req_id;
    uint8_t keep_conn;
    uint8_t closing; /* close once wbuf is flushed */
    uint8_t p_hdr[8]; /* params: bytes of the current pair's lengths */
    size_t p_have;
    uint64_t p_skip;  /* params: name+value bytes still to skip */
    size_t rlen;
    size_t woff, wlen;
    uint8_t *wbuf; /* lazily allocated: most responses go out in one write */
    uint8_t rbuf[RBUF];
};

static volatile sig_atomic_t g_stop;
static uint8_t *g_resp;     /* the prebuilt response, request id patched per use */
static size_t g_resp_len;
static unsigned long g_proto_errors;

static void on_signal(int sig) { (void)sig; g_stop = 1; }

static void die(const char *what)
{
    perror(what);
    exit(1);
}


/* Build STDOUT (split into <=65528-byte records) + empty STDOUT + END_REQUEST
 * for a body of `body_bytes` (0 = the small default). Request id 0; patched
 * at the fixed offsets listed in g_id_offsets. */
static size_t g_id_offsets[64];
static size_t g_n_id_offsets;

static void build_response(size_t body_bytes)
{
    static const char head[] = "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n";
    static const char small[] = "{\"ok\":true}\n";
    size_t hl = sizeof(head) - 1;
    size_t bl = body_bytes ? body_bytes : sizeof(small) - 1;
    size_t plen = hl + bl;
    uint8_t *payload = malloc(plen);
    if (!payload)
        die("malloc");
    memcpy(payload, head, hl);
    if (body_bytes) {
        /* {"ok":true,"pad":"xxxx...x"}\n, exactly body_bytes long */
        static const char pre[] = "{\"ok\":true,\"pad\":\"";
        static const char post[] = "\"}\n";
        size_t fixed = sizeof(pre) - 1 + sizeof(post) - 1;
        if (body_bytes < fixed || body_bytes > WBUF / 2) {
            fprintf(stderr, "fcgi_null: -b must be between %zu and %d\n", fixed, WBUF / 2);
            exit(2);
        }
        memcpy(payload + hl, pre, sizeof(pre) - 1);
        memset(payload + hl + sizeof(pre) - 1, 'x', body_bytes - fixed);
        memcpy(payload + hl + body_bytes - (sizeof(post) - 1), post, sizeof(post) - 1);
    } else {
        memcpy(payload + hl, small, bl);
    }
    size_t nrec = (plen + 65527) / 65528;
    g_resp = malloc(plen + (nrec + 2) * (HDR + 8));
    if (!g_resp)
        die("malloc");
    size_t o = 0, done = 0;
    while (done < plen) {
        size_t n = plen - done > 65528 ? 65528 : plen - done;
        uint8_t pad = (uint8_t)((8 - n % 8) % 8);
        g_id_offsets[g_n_id_offsets++] = o + 2;
        fcgi_header_encode(g_resp + o, FCGI_STDOUT, 0, (uint16_t)n, pad);
        memcpy(g_resp + o + HDR, payload + done, n);
        memset(g_resp + o + HDR + n, 0, pad);
        o += HDR + n + pad;
        done += n;
    }
    g_id_offsets[g_n_id_offsets++] = o + 2;
    fcgi_header_encode(g_resp + o, FCGI_STDOUT, 0, 0, 0);
    o += HDR;
    g_id_offsets[g_n_id_offsets++] = o + 2;
    fcgi_header_encode(g_resp + o, FCGI_END_REQUEST, 0, 8, 0);
    memset(g_resp + o + HDR, 0, 8); /* appStatus 0, FCGI_REQUEST_COMPLETE */
    o += HDR + 8;
    g_resp_len = o;
    free(payload);
}

static void conn_close(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->wbuf);
    free(c);
}

/* Queue bytes for the client: write directly when nothing is pending.
 * Returns -1 on a fatal socket error. */
static int conn_send(struct conn *c, const uint8_t *p, size_t n)
{
    if (c->wlen == c->woff) {
        c->wlen = c->woff = 0;
        while (n > 0) {
            ssize_t w = write(c->fd, p, n);
            if (w > 0) {
                p += w;
                n -= (size_t)w;
                continue;
            }
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && errno == EAGAIN)
                break;
            return -1;
        }
        if (n == 0)
            return 0;
    }
    if (!c->wbuf && !(c->wbuf = malloc(2 * WBUF)))
        die("malloc");
    if (c->wlen + n > 2 * WBUF) {
        if (c->woff > 0) {
            memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
            c->wlen -= c->woff;
            c->woff = 0;
        }
        if (c->wlen + n > 2 * WBUF)
            return -1; /* the client does not read: give up on it */
    }
    memcpy(c->wbuf + c->wlen, p, n);
    c->wlen += n;
    return 0;
}

static int conn_flush(struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t w = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
        if (w > 0) {
            c->woff += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return 0;
        return -1;
    }
    c->woff = c->wlen = 0;
    return 0;
}

static int send_response(struct conn *c)
{
    for (size_t i = 0; i < g_n_id_offsets; i++) {
        g_resp[g_id_offsets[i]] = (uint8_t)(c->req_id >> 8);
        g_resp[g_id_offsets[i] + 1] = (uint8_t)c->req_id;
    }
    if (conn_send(c, g_resp, g_resp_len) < 0)
        return -1;
    c->state = RS_IDLE;
    if (!c->keep_conn)
        c->closing = 1;
    return 0;
}

/* Streaming check of the params: whole name-value pairs with a non-empty
 * name, which may be split anywhere across PARAMS records (the spec allows
 * it). Returns 0 on a malformed pair. */
static int params_feed(struct conn *c, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (c->p_skip > 0) {
            size_t k = n - i < c->p_skip ? n - i : (size_t)c->p_skip;
            i += k;
            c->p_skip -= k;
            continue;
        }
        c->p_hdr[c->p_have++] = p[i++];
        size_t l1 = (c->p_hdr[0] & 0x80) ? 4 : 1;
        if (c->p_have <= l1)
            continue;
        size_t l2 = (c->p_hdr[l1] & 0x80) ? 4 : 1;
        if (c->p_have < l1 + l2)
            continue;
        uint32_t len[2];
        const uint8_t *q = c->p_hdr;
        for (int k = 0; k < 2; k++) {
            if (q[0] & 0x80) {
                len[k] = ((uint32_t)(q[0] & 0x7f) << 24) | ((uint32_t)q[1] << 16) |
                         ((uint32_t)q[2] << 8) | q[3];
                q += 4;
            } else {
                len[k] = *q++;
            }
        }
        if (len[0] == 0)
            return 0;
        c->p_skip = (uint64_t)len[0] + len[1];
        c->p_have = 0;
    }
    return 1;
}

static int answer_get_values(struct conn *c)
{
    /* FCGI_MAX_CONNS=1024, FCGI_MAX_REQS=1024, FCGI_MPXS_CONNS=0 */
    static const char nv[] = "\x0e\x04" "FCGI_MAX_CONNS" "1024"
                             "\x0d\x04" "FCGI_MAX_REQS" "1024"
                             "\x0f\x01" "FCGI_MPXS_CONNS" "0";
    uint8_t out[HDR + sizeof(nv) + 8];
    size_t n = sizeof(nv) - 1;
    uint8_t pad = (uint8_t)((8 - n % 8) % 8);
    fcgi_header_encode(out, FCGI_GET_VALUES_RESULT, 0, (uint16_t)n, pad);
    memcpy(out + HDR, nv, n);
    memset(out + HDR + n, 0, pad);
    return conn_send(c, out, HDR + n + pad);
}

/* Process every complete record in rbuf. Returns -1 to close the connection
 * (protocol error or socket error). */
static int conn_process(struct conn *c)
{
    size_t off = 0;
    while (c->rlen - off >= HDR && !c->closing) {
        const uint8_t *h = c->rbuf + off;
        uint16_t id = (uint16_t)(h[2] << 8 | h[3]);
        size_t clen = (size_t)(h[4] << 8 | h[5]);
        size_t total = HDR + clen + h[6];
        if (h[0] != 1)
            goto proto;
        if (c->rlen - off < total)
            break;
        const uint8_t *body = h + HDR;
        switch (h[1]) {
        case FCGI_BEGIN_REQUEST:
            if (c->state != RS_IDLE || id == 0 || clen != 8)
                goto proto;
            if ((body[0] << 8 | body[1]) != FCGI_RESPONDER)
                goto proto;
            c->req_id = id;
            c->keep_conn = body[2] & FCGI_KEEP_CONN;
            c->state = RS_PARAMS;
            c->p_have = 0;
            c->p_skip = 0;
            break;
        case FCGI_PARAMS:
            if (c->state != RS_PARAMS || id != c->req_id)
                goto proto;
            if (clen == 0) {
                if (c->p_have || c->p_skip)
                    goto proto; /* a pair was cut short */
                c->state = RS_STDIN;
            } else if (!params_feed(c, body, clen)) {
                goto proto;
            }
            break;
        case FCGI_STDIN:
            if (c->state != RS_STDIN || id != c->req_id)
                goto proto;
            if (clen == 0 && send_response(c) < 0)
                return -1;
            break;
        case FCGI_DATA:
            if (c->state == RS_IDLE || id != c->req_id)
                goto proto;
            break;
        case FCGI_ABORT_REQUEST:
            if (c->state == RS_IDLE || id != c->req_id)
                break; /* late abort for a finished request: ignore */
            {
                uint8_t out[HDR + 8];
                fcgi_header_encode(out, FCGI_END_REQUEST, id, 8, 0);
                memset(out + HDR, 0, 8);
                if (conn_send(c, out, sizeof(out)) < 0)
                    return -1;
                c->state = RS_IDLE;
                if (!c->keep_conn)
                    c->closing = 1;
            }
            break;
        case FCGI_GET_VALUES:
            if (id != 0 || answer_get_values(c) < 0)
                goto proto;
            break;
        default:
            if (id != 0)
                goto proto;
            {
                uint8_t out[HDR + 8] = {0};
                fcgi_header_encode(out, FCGI_UNKNOWN_TYPE, 0, 8, 0);
                out[HDR] = h[1];
                if (conn_send(c, out, sizeof(out)) < 0)
                    return -1;
            }
            break;
        }
        off += total;
    }
    if (off > 0) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
    return 0;
proto:
    g_proto_errors++;
    fprintf(stderr, "fcgi_null[%d]: protocol error (record type %u), closing\n", (int)getpid(),
            c->rbuf[off + 1]);
    return -1;
}

static void on_readable(int ep, struct conn *c)
{
    for (;;) {
        if (c->rlen == RBUF) {
            if (conn_process(c) < 0 || c->rlen == RBUF) {
                conn_close(ep, c);
                return;
            }
        }
        ssize_t r = read(c->fd, c->rbuf + c->rlen, RBUF - c->rlen);
        if (r > 0) {
            c->rlen += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            break;
        /* EOF or error: the peer is gone (or done). */
        conn_close(ep, c);
        return;
    }
    if (conn_process(c) < 0) {
        conn_close(ep, c);
        return;
    }
    if (c->closing && c->woff == c->wlen)
        conn_close(ep, c);
}

static void accept_all(int ep, int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                perror("fcgi_null: accept");
            return;
        }
        struct conn *c = malloc(sizeof(*c));
        if (!c)
            die("malloc");
        c->fd = fd;
        c->state = RS_IDLE;
        c->req_id = 0;
        c->keep_conn = 0;
        c->closing = 0;
        c->rlen = c->woff = c->wlen = 0;
        c->wbuf = NULL;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                 .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            die("epoll_ctl");
    }
}

static int worker_loop(int lfd)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    static int listener_tag;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &listener_tag};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
        die("epoll_ctl listener");
    struct epoll_event evs[MAX_EVENTS];
    while (!g_stop) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, 1000);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == &listener_tag) {
                accept_all(ep, lfd);
                continue;
            }
            struct conn *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT) {
                if (conn_flush(c) < 0) {
                    conn_close(ep, c);
                    continue;
                }
                if (c->closing && c->woff == c->wlen) {
                    conn_close(ep, c);
                    continue;
                }
            }
            if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                on_readable(ep, c);
        }
    }
    if (g_proto_errors)
        fprintf(stderr, "fcgi_null[%d]: %lu protocol errors\n", (int)getpid(), g_proto_errors);
    return g_proto_errors ? 3 : 0;
}

static int listen_on(const char *addr)
{
    int fd;
    if (addr[0] == '/') {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(addr) >= sizeof(sun.sun_path)) {
            fprintf(stderr, "fcgi_null: socket path too long\n");
            exit(2);
        }
        strcpy(sun.sun_path, addr);
        unlink(addr);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            die("socket");
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
            die("bind");
        chmod(addr, 0666);
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon) {
            fprintf(stderr, "fcgi_null: -l wants /socket/path or HOST:PORT\n");
            exit(2);
        }
        char host[64];
        size_t hl = (size_t)(colon - addr);
        if (hl >= sizeof(host))
            exit(2);
        memcpy(host, addr, hl);
        host[hl] = 0;
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
            fprintf(stderr, "fcgi_null: bad IPv4 address %s\n", host);
            exit(2);
        }
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            die("socket");
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
            die("bind");
    }
    if (listen(fd, 4096) < 0)
        die("listen");
    return fd;
}

int main(int argc, char **argv)
{
    const char *addr = NULL, *pidfile = NULL;
    int workers = 1;
    size_t body = 0;
    int opt;
    while ((opt = getopt(argc, argv, "l:w:b:p:")) != -1) {
        switch (opt) {
        case 'l': addr = optarg; break;
        case 'w': workers = atoi(optarg); break;
        case 'b': body = (size_t)strtoul(optarg, NULL, 10); break;
        case 'p': pidfile = optarg; break;
        default: addr = NULL; optind = argc; break;
        }
    }
    if (!addr || workers < 1 || workers > 64) {
        fprintf(stderr, "usage: fcgi_null -l SOCKET_PATH|HOST:PORT [-w WORKERS] [-b BODY_BYTES] [-p PIDFILE]\n");
        return 2;
    }
    build_response(body);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int lfd = listen_on(addr);
    if (pidfile) {
        FILE *f = fopen(pidfile, "w");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
    }
    if (workers == 1)
        return worker_loop(lfd);

    pid_t kids[64];
    for (int i = 0; i < workers; i++) {
        pid_t p = fork();
        if (p < 0)
            die("fork");
        if (p == 0)
            _exit(worker_loop(lfd));
        kids[i] = p;
    }
    while (!g_stop)
        pause();
    int rc = 0;
    for (int i = 0; i < workers; i++)
        kill(kids[i], SIGTERM);
    for (int i = 0; i < workers; i++) {
        int st;
        if (waitpid(kids[i], &st, 0) > 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
            rc = 3;
    }
    if (addr[0] == '/')
        unlink(addr);
    return rc;
}
