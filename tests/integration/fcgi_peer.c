/*
 * fcgi_peer.c - a FastCGI server for kiln's fault tests: well-behaved, or
 * misbehaving in one precise way, on command.
 *
 * usage: fcgi_peer -l ADDR -s STATS [-t SECONDS]
 *   -l ADDR    a Unix socket path (starting with '/') or HOST:PORT
 *   -s STATS   a file rewritten atomically (tmp + rename) after every event:
 *                connections N   connections accepted so far
 *                open N          connections open now
 *                requests N      BEGIN_REQUEST records received
 *                bad_reuse N     requests received on a connection after it
 *                                misbehaved (kiln must never send one)
 *                bad_open N      connections open now that misbehaved (kiln
 *                                must close each one)
 *                aborts N        ABORT_REQUEST records received
 *   -t SECONDS exit after this long (default 900), so a peer left behind by
 *              a crashed test never outlives it for long
 *
 * The ok body names the connection, the request's number on it and its
 * FastCGI request id: "ok conn=C req=R id=I len=L fnv=F".
 *
 * One thread per connection, blocking I/O: a misbehaviour is a few lines of
 * straight code. The records are encoded here, not with kiln's codec, so a
 * bug in that codec cannot hide itself.
 *
 * A request's behaviour comes from its QUERY_STRING, "mode=NAME&opt=N...",
 * or, without a mode there, from SCRIPT_NAME's base name ("/badid.php").
 *
 *   ok            a correct response (body: counters, body length, FNV-1a)
 *   big           n bytes of body in 65535-byte records with padding
 *   stderr        n bytes of STDERR in 65535-byte records, then as ok
 *   stderr_endless  STDERR until kiln closes (or the time cap)
 *   oneshot       after ms (0), a correct response of n (1000, at most 60000)
 *                 body bytes in one write
 *   trickle       a correct response in n (4) pieces of 100 bytes, ms (500)
 *                 milliseconds apart
 *   endless       a response head, then STDOUT until kiln closes (or the cap)
 *   headloop      header lines that never end the header block
 *   trunc_header  half of a record header
 *   trunc_content a STDOUT record announcing n bytes (default 1000), 10 sent
 *   badid         a STDOUT record for another request id
 *   badtype       a record of unknown type t (default 42)
 *   badversion    a record of version 2
 *   noend         a response without END_REQUEST
 *   badstatus     a response whose END_REQUEST has protocolStatus ps (2)
 *   stall         nothing for ms milliseconds (default 60000)
 *   noread        never read the request body; wait ms (default 60000)
 *   after_end     a correct response with a STDOUT record after END_REQUEST
 *   stray         a correct response, then ms (100) later a stray byte
 *   stray_late    after hold (0) ms a correct response, then delay (20) ms
 *                 later a STDOUT record for the same request id carrying an
 *                 "X-Injected: yes" header block and a body, as if the
 *                 response went on after its END_REQUEST (delay=0: in the
 *                 next write, right behind it)
 *
 * Options: n (bytes), ms (milliseconds), ps, t; slow=MS sleeps MS
 * milliseconds after each STDIN record, so kiln's writes of a large body
 * meet a full socket; read=0 answers without reading STDIN (the STDIN
 * records then end the connection, unread: kiln's next write fails); pre=N sends a valid head and
 * N body bytes first and waits gap (300) ms, so kiln has sent the client the
 * head before the fault; then=stay (default) keeps the connection open after
 * the fault (serving on if kiln sends another request: counted as
 * bad_reuse), then=close closes it, then=rst resets it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define T_BEGIN 1
#define T_ABORT 2
#define T_END 3
#define T_PARAMS 4
#define T_STDIN 5
#define T_STDOUT 6
#define T_STDERR 7
#define MAX_CONTENT 65535
#define PARAMS_MAX (1 << 20)
#define ENDLESS_CAP_MS 30000

/* ---- counters and the stats file ------------------------------------------ */

static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *stats_path;
static unsigned long st_connections, st_open, st_requests, st_bad_reuse, st_aborts, st_bad_open;

static void stats_write_locked(void)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", stats_path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return;
    fprintf(f, "connections %lu\nopen %lu\nrequests %lu\nbad_reuse %lu\naborts %lu\n"
               "bad_open %lu\n",
            st_connections, st_open, st_requests, st_bad_reuse, st_aborts, st_bad_open);
    fclose(f);
    rename(tmp, stats_path);
}

static void stats_add(unsigned long *counter, long delta)
{
    pthread_mutex_lock(&stats_mu);
    *counter += (unsigned long)delta;
    stats_write_locked();
    pthread_mutex_unlock(&stats_mu);
}

/* ---- I/O ------------------------------------------------------------------ */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 1 = got n bytes, 0 = EOF before any byte, -1 = error or EOF midway. */
static int recv_all(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, b + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return got == 0 ? 0 : -1;
        if (r < 0)
            return -1;
        got += (size_t)r;
    }
    return 1;
}

/* Wait up to ms, returning early (1) when kiln hangs up. Bytes kiln sends
 * meanwhile (a request body) stay unread. */
static int wait_hangup(int fd, long ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    for (;;) {
        uint64_t t = now_ms();
        if (t >= end)
            return 0;
        struct pollfd p = {.fd = fd, .events = POLLRDHUP};
        int r = poll(&p, 1, (int)(end - t));
        if (r < 0 && errno == EINTR)
            continue;
        if (r != 0)
            return 1;
    }
}

static void header(uint8_t h[8], int version, int type, unsigned id, size_t len, unsigned pad)
{
    h[0] = (uint8_t)version;
    h[1] = (uint8_t)type;
    h[2] = (uint8_t)(id >> 8);
    h[3] = (uint8_t)id;
    h[4] = (uint8_t)(len >> 8);
    h[5] = (uint8_t)len;
    h[6] = (uint8_t)pad;
    h[7] = 0;
}

static int send_record(int fd, int type, unsigned id, const void *data, size_t len, unsigned pad)
{
    static const uint8_t zeros[256];
    uint8_t h[8];
    header(h, 1, type, id, len, pad);
    if (send_all(fd, h, 8) != 0 || send_all(fd, data, len) != 0)
        return -1;
    return send_all(fd, zeros, pad);
}

/* A stream's bytes in records of at most 65535. */
static int send_stream(int fd, int type, unsigned id, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        size_t n = len < MAX_CONTENT ? len : MAX_CONTENT;
        if (send_record(fd, type, id, p, n, 0) != 0)
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

/* Append a record to buf (for replies that must arrive in one write). */
static size_t append_record(uint8_t *buf, size_t at, int type, unsigned id, const void *data,
                            size_t len)
{
    header(buf + at, 1, type, id, len, 0);
    memcpy(buf + at + 8, data, len);
    return at + 8 + len;
}

static int send_end(int fd, unsigned id, unsigned protocol_status)
{
    uint8_t body[8] = {0, 0, 0, 0, (uint8_t)protocol_status, 0, 0, 0};
    if (send_record(fd, T_STDOUT, id, "", 0, 0) != 0)
        return -1;
    return send_record(fd, T_END, id, body, 8, 0);
}

/* ---- requests ------------------------------------------------------------- */

struct request {
    unsigned id;
    int keep_conn;
    char mode[32];
    long n, ms, ps, t, pre, gap, slow, read, hold, delay;
    char then[8];
    uint64_t body_len;
    uint32_t fnv;
};

struct peer_conn {
    int fd;
    unsigned long id;     /* connection number */
    unsigned long served; /* requests on this connection */
    int bad;              /* misbehaved: kiln must not send another request */
};

static long opt_num(const char *qs, size_t qlen, const char *key, long dflt)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i + klen < qlen; i++) {
        if ((i == 0 || qs[i - 1] == '&') && memcmp(qs + i, key, klen) == 0 && qs[i + klen] == '=')
            return strtol(qs + i + klen + 1, NULL, 10);
    }
    return dflt;
}

static void opt_str(const char *qs, size_t qlen, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i + klen < qlen; i++) {
        if ((i == 0 || qs[i - 1] == '&') && memcmp(qs + i, key, klen) == 0 && qs[i + klen] == '=') {
            size_t j = 0;
            for (i += klen + 1; i < qlen && qs[i] != '&' && j + 1 < cap; i++)
                out[j++] = qs[i];
            out[j] = '\0';
            return;
        }
    }
}

static uint32_t plen(const uint8_t *p, size_t avail, size_t *used)
{
    if (avail >= 1 && !(p[0] & 0x80)) {
        *used = 1;
        return p[0];
    }
    if (avail >= 4) {
        *used = 4;
        return (uint32_t)(p[0] & 0x7f) << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
    *used = 0;
    return 0;
}

/* Pick the behaviour from the params. */
static void decide(struct request *rq, const uint8_t *params, size_t len)
{
    const char *qs = "", *script = "";
    size_t qlen = 0, slen = 0;

    for (size_t off = 0; off < len;) {
        size_t a, b;
        uint32_t nl = plen(params + off, len - off, &a);
        if (a == 0)
            break;
        uint32_t vl = plen(params + off + a, len - off - a, &b);
        if (b == 0 || (uint64_t)nl + vl > len - off - a - b)
            break;
        const char *name = (const char *)params + off + a + b;
        const char *value = name + nl;
        if (nl == 12 && memcmp(name, "QUERY_STRING", 12) == 0)
            qs = value, qlen = vl;
        else if (nl == 11 && memcmp(name, "SCRIPT_NAME", 11) == 0)
            script = value, slen = vl;
        off += a + b + nl + vl;
    }
    strcpy(rq->mode, "ok");
    strcpy(rq->then, "stay");
    const char *base = script;
    for (size_t i = 0; i < slen; i++)
        if (script[i] == '/')
            base = script + i + 1;
    size_t blen = (size_t)(script + slen - base);
    if (blen > 4 && memcmp(base + blen - 4, ".php", 4) == 0 && blen - 4 < sizeof rq->mode) {
        memcpy(rq->mode, base, blen - 4);
        rq->mode[blen - 4] = '\0';
    }
    opt_str(qs, qlen, "mode", rq->mode, sizeof rq->mode);
    opt_str(qs, qlen, "then", rq->then, sizeof rq->then);
    rq->n = opt_num(qs, qlen, "n", -1);
    rq->ms = opt_num(qs, qlen, "ms", -1);
    rq->ps = opt_num(qs, qlen, "ps", 2);
    rq->t = opt_num(qs, qlen, "t", 42);
    rq->pre = opt_num(qs, qlen, "pre", -1);
    rq->gap = opt_num(qs, qlen, "gap", 300);
    rq->slow = opt_num(qs, qlen, "slow", 0);
    rq->read = opt_num(qs, qlen, "read", 1);
    rq->hold = opt_num(qs, qlen, "hold", 0);
    rq->delay = opt_num(qs, qlen, "delay", 20);
}

/*
 * Read one request: BEGIN_REQUEST, PARAMS to their end, and (unless the
 * mode is noread) STDIN to its end. Returns 1, 0 on a clean EOF before it,
 * -1 on anything else.
 */
static int read_request(struct peer_conn *pc, struct request *rq, uint8_t *params)
{
    uint8_t h[8];
    uint8_t content[MAX_CONTENT + 255];
    size_t plen_total = 0;
    int stage = 0; /* 0 begin, 1 params, 2 stdin */

    memset(rq, 0, sizeof *rq);
    rq->fnv = 2166136261u;
    for (;;) {
        int r = recv_all(pc->fd, h, 8);
        if (r <= 0)
            return stage == 0 && r == 0 ? 0 : -1;
        size_t clen = (size_t)h[4] << 8 | h[5];
        unsigned id = (unsigned)h[2] << 8 | h[3];
        if (h[0] != 1 || recv_all(pc->fd, content, clen + h[6]) != 1)
            return -1;
        if (h[1] == T_ABORT) {
            stats_add(&st_aborts, 1);
            return -1;
        }
        if (stage == 0) {
            if (h[1] != T_BEGIN || clen != 8)
                return -1;
            rq->id = id;
            rq->keep_conn = content[2] & 1;
            stats_add(&st_requests, 1);
            if (pc->bad)
                stats_add(&st_bad_reuse, 1);
            stage = 1;
            continue;
        }
        if (id != rq->id)
            return -1;
        if (stage == 1) {
            if (h[1] != T_PARAMS)
                return -1;
            if (clen == 0) {
                decide(rq, params, plen_total);
                if (strcmp(rq->mode, "noread") == 0 || rq->read == 0)
                    return 1;
                stage = 2;
                continue;
            }
            if (plen_total + clen > PARAMS_MAX)
                return -1;
            memcpy(params + plen_total, content, clen);
            plen_total += clen;
            continue;
        }
        if (h[1] != T_STDIN)
            return -1;
        if (clen == 0)
            return 1;
        rq->body_len += clen;
        for (size_t i = 0; i < clen; i++)
            rq->fnv = (rq->fnv ^ content[i]) * 16777619u;
        if (rq->slow > 0) {
            struct timespec ts = {rq->slow / 1000, rq->slow % 1000 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

static const char ok_head[] = "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n";

static int send_ok(struct peer_conn *pc, struct request *rq)
{
    char body[256];
    int n = snprintf(body, sizeof body, "%sok conn=%lu req=%lu id=%u len=%llu fnv=%08x\n",
                     ok_head, pc->id, pc->served, rq->id, (unsigned long long)rq->body_len,
                     rq->fnv);
    if (send_stream(pc->fd, T_STDOUT, rq->id, body, (size_t)n) != 0)
        return -1;
    return send_end(pc->fd, rq->id, 0);
}

/* The body pattern of `big` and `endless`: "0123456789abcdef" repeated. */
static void fill_pattern(uint8_t *p, size_t n, uint64_t from)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)"0123456789abcdef"[(from + i) % 16];
}

static int send_big(struct peer_conn *pc, struct request *rq)
{
    static const char head[] = "Status: 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n";
    uint8_t buf[MAX_CONTENT];
    uint64_t total = rq->n < 0 ? 1 << 20 : (uint64_t)rq->n, sent = 0;

    if (send_record(pc->fd, T_STDOUT, rq->id, head, sizeof head - 1, 0) != 0)
        return -1;
    while (sent < total) {
        size_t len = total - sent < MAX_CONTENT ? (size_t)(total - sent) : MAX_CONTENT;
        fill_pattern(buf, len, sent);
        /* Padding to a multiple of 8, as the spec recommends. */
        if (send_record(pc->fd, T_STDOUT, rq->id, buf, len, (unsigned)((8 - len % 8) % 8)) != 0)
            return -1;
        sent += len;
    }
    return send_end(pc->fd, rq->id, 0);
}

/* Records of `type` until kiln stops taking them, n bytes, or the cap. */
static int send_endless(struct peer_conn *pc, struct request *rq, int type, const char *line)
{
    uint8_t buf[MAX_CONTENT];
    size_t llen = strlen(line);
    uint64_t limit = rq->n < 0 ? UINT64_MAX : (uint64_t)rq->n, sent = 0;
    uint64_t end = now_ms() + (uint64_t)(rq->ms < 0 ? ENDLESS_CAP_MS : rq->ms);

    while (sent < limit && now_ms() < end) {
        size_t len = limit - sent < sizeof buf ? (size_t)(limit - sent) : sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)line[(sent + i) % llen];
        if (send_record(pc->fd, type, rq->id, buf, len, 0) != 0)
            return -1;
        sent += len;
    }
    return 0;
}

/* From now on kiln must not use this connection again. */
static void mark_bad(struct peer_conn *pc)
{
    if (!pc->bad)
        stats_add(&st_bad_open, 1);
    pc->bad = 1;
}

/* Serve rq. Returns 0 when the connection may go on, -1 to close it. */
static int serve(struct peer_conn *pc, struct request *rq)
{
    int fd = pc->fd;
    const char *m = rq->mode;
    uint8_t h[8];

    if (strcmp(m, "ok") == 0)
        return send_ok(pc, rq);
    if (strcmp(m, "big") == 0)
        return send_big(pc, rq);
    if (strcmp(m, "stderr") == 0) {
        if (rq->n < 0)
            rq->n = 1 << 20;
        if (send_endless(pc, rq, T_STDERR, "PHP Warning: something odd\n") != 0)
            return -1;
        return send_ok(pc, rq);
    }
    if (strcmp(m, "oneshot") == 0) {
        /* After ms, the whole response (n <= 60000 body bytes) in one write. */
        uint8_t buf[65536 + 64];
        uint8_t body[60000], end[8] = {0};
        size_t n = rq->n < 0 ? 1000 : (size_t)(rq->n < 60000 ? rq->n : 60000), len = 0;
        fill_pattern(body, n, 0);
        len = append_record(buf, len, T_STDOUT, rq->id, ok_head, sizeof ok_head - 1);
        len = append_record(buf, len, T_STDOUT, rq->id, body, n);
        len = append_record(buf, len, T_STDOUT, rq->id, "", 0);
        len = append_record(buf, len, T_END, rq->id, end, 8);
        if (rq->ms > 0 && wait_hangup(fd, rq->ms))
            return -1;
        return send_all(fd, buf, len);
    }
    if (strcmp(m, "trickle") == 0) {
        long pieces = rq->n < 0 ? 4 : rq->n, gap = rq->ms < 0 ? 500 : rq->ms;
        uint8_t buf[100];
        if (send_record(fd, T_STDOUT, rq->id, ok_head, sizeof ok_head - 1, 0) != 0)
            return -1;
        for (long i = 0; i < pieces; i++) {
            if (wait_hangup(fd, gap))
                return -1;
            fill_pattern(buf, sizeof buf, (uint64_t)i * sizeof buf);
            if (send_record(fd, T_STDOUT, rq->id, buf, sizeof buf, 0) != 0)
                return -1;
        }
        return send_end(fd, rq->id, 0);
    }
    if (strcmp(m, "after_end") == 0) {
        /* Marked first: the test must not see the response before. The
         * stray record goes in the same write as END_REQUEST. */
        uint8_t buf[512], end[8] = {0};
        char text[256];
        int n = snprintf(text, sizeof text, "%sok conn=%lu req=%lu\n", ok_head, pc->id,
                         pc->served);
        size_t len = append_record(buf, 0, T_STDOUT, rq->id, text, (size_t)n);
        len = append_record(buf, len, T_STDOUT, rq->id, "", 0);
        len = append_record(buf, len, T_END, rq->id, end, 8);
        len = append_record(buf, len, T_STDOUT, rq->id, "late", 4);
        mark_bad(pc);
        return send_all(fd, buf, len);
    }
    if (strcmp(m, "stray_late") == 0) {
        static const char injected[] = "X-Injected: yes\r\nContent-Type: text/plain\r\n\r\n"
                                       "injected body\n";
        mark_bad(pc); /* before the response: see after_end */
        if (rq->hold > 0 && wait_hangup(fd, rq->hold))
            return -1;
        if (send_ok(pc, rq) != 0)
            return -1;
        if (rq->delay > 0 && wait_hangup(fd, rq->delay))
            return -1;
        return send_record(fd, T_STDOUT, rq->id, injected, sizeof injected - 1, 0);
    }
    if (strcmp(m, "stray") == 0) {
        mark_bad(pc); /* before the response: see after_end */
        if (send_ok(pc, rq) != 0)
            return -1;
        wait_hangup(fd, rq->ms < 0 ? 100 : rq->ms);
        return send_all(fd, "\x01", 1);
    }

    /* The faults. Optionally a valid head and some body first. */
    mark_bad(pc);
    if (rq->pre >= 0) {
        uint8_t buf[MAX_CONTENT];
        size_t n = rq->pre < MAX_CONTENT ? (size_t)rq->pre : MAX_CONTENT;
        fill_pattern(buf, n, 0);
        if (send_record(fd, T_STDOUT, rq->id, ok_head, sizeof ok_head - 1, 0) != 0 ||
            send_record(fd, T_STDOUT, rq->id, buf, n, 0) != 0)
            return -1;
        if (wait_hangup(fd, rq->gap))
            return -1;
    }
    int rc = 0;
    if (strcmp(m, "stderr_endless") == 0) {
        rc = send_endless(pc, rq, T_STDERR, "PHP Warning: flood\n");
    } else if (strcmp(m, "endless") == 0) {
        if (rq->pre < 0)
            rc = send_record(fd, T_STDOUT, rq->id, ok_head, sizeof ok_head - 1, 0);
        if (rc == 0)
            rc = send_endless(pc, rq, T_STDOUT, "0123456789abcdef");
    } else if (strcmp(m, "headloop") == 0) {
        rc = send_endless(pc, rq, T_STDOUT, "X-Loop: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    } else if (strcmp(m, "trunc_header") == 0) {
        header(h, 1, T_STDOUT, rq->id, 100, 0);
        rc = send_all(fd, h, 4);
    } else if (strcmp(m, "trunc_content") == 0) {
        header(h, 1, T_STDOUT, rq->id, rq->n < 0 ? 1000 : (size_t)rq->n, 0);
        rc = send_all(fd, h, 8) || send_all(fd, "Status: 2", 10);
    } else if (strcmp(m, "badid") == 0) {
        rc = send_record(fd, T_STDOUT, rq->id + 1, ok_head, sizeof ok_head - 1, 0);
    } else if (strcmp(m, "badtype") == 0) {
        rc = send_record(fd, (int)rq->t, rq->id, "\0\0\0\0\0\0\0\0", 8, 0);
    } else if (strcmp(m, "badversion") == 0) {
        header(h, 2, T_STDOUT, rq->id, sizeof ok_head - 1, 0);
        rc = send_all(fd, h, 8) || send_all(fd, ok_head, sizeof ok_head - 1);
    } else if (strcmp(m, "noend") == 0) {
        if (rq->pre < 0)
            rc = send_record(fd, T_STDOUT, rq->id, ok_head, sizeof ok_head - 1, 0) ||
                 send_record(fd, T_STDOUT, rq->id, "partial\n", 8, 0);
    } else if (strcmp(m, "badstatus") == 0) {
        /* One write, so kiln sees the status before it could send a head. */
        uint8_t buf[256], end[8] = {0, 0, 0, 0, (uint8_t)rq->ps, 0, 0, 0};
        size_t len = 0;
        if (rq->pre < 0)
            len = append_record(buf, len, T_STDOUT, rq->id, ok_head, sizeof ok_head - 1);
        len = append_record(buf, len, T_STDOUT, rq->id, "", 0);
        len = append_record(buf, len, T_END, rq->id, end, 8);
        rc = send_all(fd, buf, len);
    } else if (strcmp(m, "stall") == 0 || strcmp(m, "noread") == 0) {
        if (wait_hangup(fd, rq->ms < 0 ? 60000 : rq->ms))
            return -1;
    } else if (strcmp(m, "none") != 0) {
        fprintf(stderr, "fcgi_peer: unknown mode %s\n", m);
        return -1;
    }
    if (rc != 0 || strcmp(rq->then, "close") == 0)
        return -1;
    if (strcmp(rq->then, "rst") == 0) {
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        return -1;
    }
    return 0;
}

static void *conn_main(void *arg)
{
    struct peer_conn *pc = arg;
    uint8_t *params = malloc(PARAMS_MAX);
    struct request rq;

    while (params != NULL) {
        if (read_request(pc, &rq, params) != 1)
            break;
        pc->served++;
        if (serve(pc, &rq) != 0 || (!rq.keep_conn && !pc->bad))
            break;
    }
    free(params);
    close(pc->fd);
    pthread_mutex_lock(&stats_mu);
    st_open--;
    if (pc->bad)
        st_bad_open--;
    stats_write_locked();
    pthread_mutex_unlock(&stats_mu);
    free(pc);
    return NULL;
}

/* ---- start-up ------------------------------------------------------------- */

static int listen_on(const char *addr)
{
    int fd;
    if (addr[0] == '/') {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(addr) >= sizeof sun.sun_path)
            return -1;
        strcpy(sun.sun_path, addr);
        unlink(addr);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
            return -1;
    } else {
        struct sockaddr_in sin = {.sin_family = AF_INET};
        const char *colon = strrchr(addr, ':');
        char host[64];
        int one = 1;
        if (colon == NULL || (size_t)(colon - addr) >= sizeof host)
            return -1;
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
        sin.sin_port = htons((uint16_t)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
            return -1;
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
            return -1;
    }
    if (listen(fd, 128) != 0)
        return -1;
    return fd;
}

int main(int argc, char **argv)
{
    const char *addr = NULL;
    long lifetime = 900;
    int opt;

    while ((opt = getopt(argc, argv, "l:s:t:")) != -1) {
        if (opt == 'l')
            addr = optarg;
        else if (opt == 's')
            stats_path = optarg;
        else if (opt == 't')
            lifetime = atol(optarg);
        else
            break;
    }
    if (addr == NULL || stats_path == NULL) {
        fprintf(stderr, "usage: fcgi_peer -l ADDR -s STATS [-t SECONDS]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)lifetime);
    int lfd = listen_on(addr);
    if (lfd < 0) {
        fprintf(stderr, "fcgi_peer: cannot listen on %s: %s\n", addr, strerror(errno));
        return 1;
    }
    stats_add(&st_open, 0); /* the stats file exists once we listen */
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
                continue;
            perror("fcgi_peer: accept");
            return 1;
        }
        struct peer_conn *pc = calloc(1, sizeof *pc);
        pthread_t t;
        if (pc == NULL) {
            close(fd);
            continue;
        }
        pc->fd = fd;
        pthread_mutex_lock(&stats_mu);
        pc->id = ++st_connections;
        st_open++;
        stats_write_locked();
        pthread_mutex_unlock(&stats_mu);
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, conn_main, pc) != 0) {
            close(fd);
            free(pc);
            stats_add(&st_open, -1);
        }
        pthread_attr_destroy(&at);
    }
}
