/*
 * kaclient.c - send an exact number of keep-alive HTTP/1.1 requests.
 *
 *   kaclient -p PORT [-a 127.0.0.1] [-n REQUESTS] [-c CONNECTIONS] [-u PATH]
 *            [-s EXPECTED_STATUS] [-q]
 *
 * wrk runs for a time, not a count; cost profiles (instructions, syscalls,
 * allocator calls per request) need a fixed count. Each of CONNECTIONS
 * connections sends one request, reads the whole response (Content-Length,
 * chunked, or close-delimited), then sends the next, until REQUESTS
 * responses have been received in total. The request is the same bytes wrk
 * sends ("GET PATH HTTP/1.1" + Host). A server that closes a keep-alive
 * connection (nginx after keepalive_requests, "Connection: close") is
 * reconnected and the reconnection counted.
 *
 * Prints one line: "requests=N errors=E reconnects=R seconds=S rps=X".
 * Exit status 0 only when every response had the expected status (200).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 256
#define BUF (256 * 1024)

enum st { S_HEAD, S_BODY_LEN, S_CHUNK_SIZE, S_CHUNK_DATA, S_CHUNK_CRLF, S_TRAILER, S_BODY_EOF };

struct conn {
    int fd;
    enum st st;
    int close_after;
    int status;
    uint64_t remaining;
    size_t len; /* bytes in buf */
    char buf[BUF];
};

static struct sockaddr_in g_addr;
static char g_req[2048];
static size_t g_req_len;
static int g_expect = 200;
static long g_done, g_sent, g_total, g_errors, g_reconnects;

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&g_addr, sizeof(g_addr)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_req(struct conn *c)
{
    size_t off = 0;
    while (off < g_req_len) {
        ssize_t w = write(c->fd, g_req + off, g_req_len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    g_sent++;
    c->st = S_HEAD;
    c->close_after = 0;
    return 0;
}

/* Start the next request on c, or close it when none is left. */
static int next(struct conn *c)
{
    if (c->close_after) {
        close(c->fd);
        c->fd = -1;
        c->len = 0;
        if (g_sent >= g_total)
            return 0;
        if ((c->fd = dial()) < 0)
            return -1;
        g_reconnects++;
    }
    if (g_sent >= g_total) {
        close(c->fd);
        c->fd = -1;
        return 0;
    }
    return send_req(c);
}

static void response_done(int status)
{
    g_done++;
    if (status != g_expect)
        g_errors++;
}

/* Consume what is in c->buf. Returns 1 when a response completed, 0 for
 * need more, -1 on a malformed response. */
static int parse(struct conn *c, int *status)
{
    for (;;) {
        switch (c->st) {
        case S_HEAD: {
            char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
            if (!end)
                return c->len == BUF ? -1 : 0;
            size_t hlen = (size_t)(end - c->buf) + 4;
            if (c->len < 12 || memcmp(c->buf, "HTTP/1.", 7) != 0)
                return -1;
            *status = c->status = atoi(c->buf + 9);
            int chunked = 0, have_len = 0;
            uint64_t clen = 0;
            if (memcmp(c->buf, "HTTP/1.0", 8) == 0)
                c->close_after = 1;
            for (char *l = memchr(c->buf, '\n', hlen) + 1; l < end;) {
                char *e = memchr(l, '\n', (size_t)(end + 2 - l));
                if (!e)
                    break;
                if (strncasecmp(l, "content-length:", 15) == 0) {
                    clen = strtoull(l + 15, NULL, 10);
                    have_len = 1;
                } else if (strncasecmp(l, "transfer-encoding:", 18) == 0) {
                    chunked = memmem(l, (size_t)(e - l), "chunked", 7) != NULL;
                } else if (strncasecmp(l, "connection:", 11) == 0) {
                    if (memmem(l, (size_t)(e - l), "close", 5))
                        c->close_after = 1;
                    else if (memmem(l, (size_t)(e - l), "keep-alive", 10))
                        c->close_after = 0;
                }
                l = e + 1;
            }
            memmove(c->buf, c->buf + hlen, c->len - hlen);
            c->len -= hlen;
            if (*status == 204 || *status == 304 || (*status >= 100 && *status < 200)) {
                return 1;
            } else if (chunked) {
                c->st = S_CHUNK_SIZE;
            } else if (have_len) {
                c->remaining = clen;
                c->st = S_BODY_LEN;
            } else {
                c->close_after = 1;
                c->st = S_BODY_EOF;
            }
            break;
        }
        case S_BODY_LEN: {
            size_t k = c->len < c->remaining ? c->len : (size_t)c->remaining;
            memmove(c->buf, c->buf + k, c->len - k);
            c->len -= k;
            c->remaining -= k;
            if (c->remaining == 0)
                return 1;
            return 0;
        }
        case S_CHUNK_SIZE:
        case S_TRAILER: {
            char *e = memmem(c->buf, c->len, "\r\n", 2);
            if (!e)
                return c->len == BUF ? -1 : 0;
            size_t ll = (size_t)(e - c->buf) + 2;
            if (c->st == S_TRAILER) {
                memmove(c->buf, c->buf + ll, c->len - ll);
                c->len -= ll;
                if (ll == 2)
                    return 1; /* empty line: end of trailers */
                break;
            }
            char *after;
            c->remaining = strtoull(c->buf, &after, 16);
            if (after == c->buf)
                return -1;
            memmove(c->buf, c->buf + ll, c->len - ll);
            c->len -= ll;
            c->st = c->remaining ? S_CHUNK_DATA : S_TRAILER;
            break;
        }
        case S_CHUNK_DATA: {
            size_t k = c->len < c->remaining ? c->len : (size_t)c->remaining;
            memmove(c->buf, c->buf + k, c->len - k);
            c->len -= k;
            c->remaining -= k;
            if (c->remaining)
                return 0;
            c->st = S_CHUNK_CRLF;
            break;
        }
        case S_CHUNK_CRLF:
            if (c->len < 2)
                return 0;
            if (c->buf[0] != '\r' || c->buf[1] != '\n')
                return -1;
            memmove(c->buf, c->buf + 2, c->len - 2);
            c->len -= 2;
            c->st = S_CHUNK_SIZE;
            break;
        case S_BODY_EOF:
            c->len = 0;
            return 0;
        }
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *path = "/index.php";
    int port = 0, nconn = 1, quiet = 0, opt;
    g_total = 1000;
    while ((opt = getopt(argc, argv, "a:p:n:c:u:s:q")) != -1) {
        switch (opt) {
        case 'a': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'n': g_total = atol(optarg); break;
        case 'c': nconn = atoi(optarg); break;
        case 'u': path = optarg; break;
        case 's': g_expect = atoi(optarg); break;
        case 'q': quiet = 1; break;
        default: port = 0; optind = argc; break;
        }
    }
    if (port <= 0 || g_total <= 0 || nconn < 1 || nconn > MAXC) {
        fprintf(stderr, "usage: kaclient -p PORT [-a ADDR] [-n REQUESTS] [-c CONNS<=%d] [-u PATH] [-s STATUS] [-q]\n", MAXC);
        return 2;
    }
    g_addr.sin_family = AF_INET;
    g_addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &g_addr.sin_addr) != 1) {
        fprintf(stderr, "kaclient: bad address %s\n", host);
        return 2;
    }
    int n = snprintf(g_req, sizeof(g_req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", path, host, port);
    if (n <= 0 || (size_t)n >= sizeof(g_req))
        return 2;
    g_req_len = (size_t)n;

    static struct conn conns[MAXC];
    struct pollfd pfd[MAXC];
    if (nconn > g_total)
        nconn = (int)g_total;
    double t0 = now();
    for (int i = 0; i < nconn; i++) {
        conns[i].len = 0;
        if ((conns[i].fd = dial()) < 0 || send_req(&conns[i]) < 0) {
            perror("kaclient: connect");
            return 1;
        }
    }
    int fatal = 0;
    while (g_done < g_total && !fatal) {
        int live = 0;
        for (int i = 0; i < nconn; i++) {
            pfd[i].fd = conns[i].fd;
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
            live += conns[i].fd >= 0;
        }
        if (!live)
            break;
        int r = poll(pfd, (nfds_t)nconn, 10000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "kaclient: no response for 10 s (%ld of %ld done)\n", g_done, g_total);
            fatal = 1;
            break;
        }
        for (int i = 0; i < nconn && !fatal; i++) {
            struct conn *c = &conns[i];
            if (c->fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = read(c->fd, c->buf + c->len, BUF - c->len);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                if (c->st == S_BODY_EOF) { /* close-delimited body ends here */
                    response_done(c->status);
                    c->close_after = 1;
                    if (next(c) < 0)
                        fatal = 1;
                    continue;
                }
                fprintf(stderr, "kaclient: connection closed mid-response (%ld done)\n", g_done);
                fatal = 1;
                break;
            }
            c->len += (size_t)got;
            int status = 0, pr;
            while ((pr = parse(c, &status)) == 1) {
                response_done(status);
                if (next(c) < 0) {
                    perror("kaclient: reconnect");
                    fatal = 1;
                }
                if (c->fd < 0 || fatal || c->len == 0)
                    break;
            }
            if (pr < 0) {
                fprintf(stderr, "kaclient: malformed response\n");
                fatal = 1;
            }
        }
    }
    double dt = now() - t0;
    for (int i = 0; i < nconn; i++)
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    if (!quiet || fatal || g_errors)
        printf("requests=%ld errors=%ld reconnects=%ld seconds=%.3f rps=%.0f\n", g_done, g_errors,
               g_reconnects, dt, dt > 0 ? (double)g_done / dt : 0.0);
    return (fatal || g_errors || g_done != g_total) ? 1 : 0;
}
