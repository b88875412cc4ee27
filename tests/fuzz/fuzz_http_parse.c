// kiln-fuzz: proto
/*
 * fuzz_http_parse.c - one client connection as a byte stream: request heads
 * one after another, each followed by its body (Content-Length or chunked,
 * decoded with http_chunked), as a connection would see them.
 *
 * Input: one control byte, then the stream. The control byte's low two bits
 * pick the limits (the defaults, or small ones that make the limit paths
 * reachable); the rest seeds the sizes of the pieces the stream is fed in.
 *
 * For every request:
 *   - the head is parsed in one call and again fed in random pieces; both
 *     must agree (an early result must be the final one), field by field;
 *   - a valid head must satisfy the invariants below, checked against a
 *     naive re-reading of the same bytes (where the head ends, how many
 *     lines it has, which framing headers it holds);
 *   - a chunked body is decoded in one piece and in random pieces; both
 *     must agree, and must agree with a naive decoder on where the body
 *     ends and what data it carries.
 * Every call gets an exact-size heap copy of what it may read, so
 * AddressSanitizer catches a read past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_chunked.h"
#include "http_parse.h"

#define MAX_HDRS 128

static const struct http_limits profiles[4] = {
    {8190, 16384, 100}, /* the defaults */
    {64, 512, 8},
    {16, 64, 2},
    {1024, 2048, MAX_HDRS},
};

#define CHECK(cond)          \
    do {                     \
        if (!(cond))         \
            abort();         \
    } while (0)

/* ---- helpers -------------------------------------------------------------- */

struct rng {
    uint32_t s;
};

static uint32_t rng_next(struct rng *r)
{
    uint32_t x = r->s; /* xorshift32 */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return r->s = x;
}

/* Mostly small pieces, sometimes a single byte, sometimes large ones. */
static size_t piece_size(struct rng *r)
{
    uint32_t x = rng_next(r);
    switch (x & 3) {
    case 0:
        return 1;
    case 1:
        return 1 + (x >> 2) % 8;
    case 2:
        return 1 + (x >> 2) % 64;
    default:
        return 1 + (x >> 2) % 1024;
    }
}

static uint8_t *exact(const uint8_t *s, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    CHECK(b != NULL);
    if (n > 0)
        memcpy(b, s, n);
    return b;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int name_is(const struct http_header *h, const char *lit)
{
    size_t n = strlen(lit);
    if (h->name_len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((uint8_t)h->name[i]) != lit[i])
            return 0;
    return 1;
}

static int in_span(const char *p, uint32_t n, const uint8_t *lo, const uint8_t *hi)
{
    return p != NULL && (uintptr_t)p >= (uintptr_t)lo && (uintptr_t)p + n <= (uintptr_t)hi;
}

/* ---- request heads -------------------------------------------------------- */

struct head {
    int rc;
    uint8_t *buf; /* the copy the result points into */
    struct http_request req;
    struct http_header hdrs[MAX_HDRS];
};

static ptrdiff_t off(const struct head *h, const char *p)
{
    return (const uint8_t *)p - h->buf;
}

#define SAME_SPAN(a, b, field)                                                        \
    CHECK((a)->req.field##_len == (b)->req.field##_len &&                              \
          off(a, (a)->req.field) == off(b, (b)->req.field))

static void check_same_head(const struct head *a, const struct head *b)
{
    CHECK(a->rc == b->rc);
    if (a->rc <= 0)
        return;
    SAME_SPAN(a, b, method);
    SAME_SPAN(a, b, target);
    SAME_SPAN(a, b, path);
    SAME_SPAN(a, b, query);
    SAME_SPAN(a, b, host);
    CHECK(a->req.method_id == b->req.method_id);
    CHECK(a->req.version_minor == b->req.version_minor);
    CHECK(a->req.flags == b->req.flags);
    CHECK(a->req.head_len == b->req.head_len);
    CHECK(a->req.n_headers == b->req.n_headers);
    CHECK(!(a->req.flags & HTTP_F_CONTENT_LENGTH) ||
          a->req.content_length == b->req.content_length);
    for (uint32_t i = 0; i < a->req.n_headers; i++) {
        const struct http_header *x = &a->hdrs[i], *y = &b->hdrs[i];
        CHECK(x->name_len == y->name_len && off(a, x->name) == off(b, y->name));
        CHECK(x->value_len == y->value_len && off(a, x->value) == off(b, y->value));
    }
}

static void parse_call(struct head *h, struct http_parser *p, const uint8_t *s, size_t n,
                       const struct http_limits *lim)
{
    free(h->buf);
    h->buf = exact(s, n);
    memset(&h->req, 0, sizeof h->req);
    h->req.headers = h->hdrs;
    h->rc = http_parse_request(p, h->buf, n, lim, &h->req);
    CHECK(h->rc <= 0 || (size_t)h->rc <= n);
}

/* What a valid head must be, re-read naively from its bytes. */
static void check_head(const struct head *h, size_t len, const struct http_limits *lim)
{
    const struct http_request *q = &h->req;
    const uint8_t *b = h->buf, *hi = b + q->head_len;
    size_t skip = 0, crlf = 0;
    int n_host = 0, n_cl = 0, n_te = 0;

    CHECK((uint32_t)h->rc == q->head_len && q->head_len <= len);
    CHECK(q->head_len <= lim->max_header_size);
    while (skip + 1 < q->head_len && b[skip] == '\r' && b[skip + 1] == '\n')
        skip += 2;
    CHECK(skip <= 2 * HTTP_MAX_LEADING_CRLF);
    /* the head ends at the first empty line after the request line */
    for (size_t i = skip; i + 4 < q->head_len; i++)
        CHECK(memcmp(b + i, "\r\n\r\n", 4) != 0);
    CHECK(q->head_len >= 4 && memcmp(hi - 4, "\r\n\r\n", 4) == 0);
    /* strict line ends and no control bytes but HTAB */
    for (size_t i = 0; i < q->head_len; i++) {
        uint8_t c = b[i];
        if (c == '\r')
            CHECK(i + 1 < q->head_len && b[i + 1] == '\n');
        else if (c == '\n') {
            CHECK(i > 0 && b[i - 1] == '\r');
            crlf++;
        } else
            CHECK(c == '\t' || (c >= 0x20 && c != 0x7F));
    }
    /* request line + headers + the empty line, after the skipped ones */
    CHECK(crlf == skip / 2 + 1 + q->n_headers + 1);
    CHECK(q->n_headers <= lim->max_headers);

    CHECK(in_span(q->method, q->method_len, b, hi) && q->method == (const char *)b + skip);
    CHECK(q->method_len >= 1 && q->method_len <= HTTP_MAX_METHOD_LEN);
    CHECK(q->method[q->method_len] == ' ');
    CHECK(in_span(q->target, q->target_len, b, hi) && q->target_len >= 1);
    CHECK(in_span(q->host, q->host_len, b, hi));
    CHECK(q->path == q->target && q->path_len >= 1 && q->path_len <= q->target_len);
    CHECK(in_span(q->query, q->query_len, (const uint8_t *)q->target,
                  (const uint8_t *)q->target + q->target_len));
    CHECK((q->flags & HTTP_F_ASTERISK) ? q->path[0] == '*' : q->path[0] == '/');
    CHECK((q->flags & HTTP_F_HAS_QUERY) ? q->query[-1] == '?' : q->query_len == 0);
    for (uint32_t i = 0; i < q->target_len; i++) {
        uint8_t c = (uint8_t)q->target[i];
        CHECK(c > 0x20 && c < 0x7F && c != '#');
    }
    CHECK(q->version_minor <= 1);

    for (uint32_t i = 0; i < q->n_headers; i++) {
        const struct http_header *x = &q->headers[i];
        CHECK(in_span(x->name, x->name_len, b, hi) && in_span(x->value, x->value_len, b, hi));
        CHECK(x->name_len >= 1 && x->name[x->name_len] == ':');
        CHECK(x->name[-1] == '\n');
        for (uint32_t j = 0; j < x->name_len; j++)
            CHECK(http_ctype[(uint8_t)x->name[j]] & HTTP_CT_TCHAR);
        if (x->value_len > 0) {
            CHECK(x->value[0] != ' ' && x->value[0] != '\t');
            CHECK(x->value[x->value_len - 1] != ' ' && x->value[x->value_len - 1] != '\t');
        }
        n_host += name_is(x, "host");
        if (name_is(x, "content-length")) {
            uint64_t v = 0;
            n_cl++;
            CHECK(x->value_len >= 1);
            for (uint32_t j = 0; j < x->value_len; j++) {
                CHECK(x->value[j] >= '0' && x->value[j] <= '9');
                CHECK(v <= (uint64_t)INT64_MAX / 10);
                v = v * 10 + (uint64_t)(x->value[j] - '0');
            }
            CHECK(v <= (uint64_t)INT64_MAX && v == q->content_length);
        }
        if (name_is(x, "transfer-encoding")) {
            n_te++;
            CHECK(x->value_len == 7);
        }
    }
    CHECK(n_host <= 1 && (q->version_minor == 0 || n_host == 1));
    CHECK(n_cl == !!(q->flags & HTTP_F_CONTENT_LENGTH));
    CHECK(n_te == !!(q->flags & HTTP_F_CHUNKED));
    CHECK(!(n_cl && n_te) && !(n_te && q->version_minor == 0));
}

/* Parse the head at s[0..n): in one call, then in pieces; they must agree.
 * Returns the one-call result in *whole (the caller frees whole->buf). */
static void fuzz_head(struct head *whole, const uint8_t *s, size_t n,
                      const struct http_limits *lim, struct rng *rng)
{
    struct http_parser p;
    struct head *part = calloc(1, sizeof *part);
    size_t avail = 0;

    CHECK(part != NULL);
    http_parser_init(&p);
    parse_call(whole, &p, s, n, lim);
    if (whole->rc > 0)
        check_head(whole, n, lim);

    http_parser_init(&p);
    do {
        avail += piece_size(rng);
        if (avail > n)
            avail = n;
        parse_call(part, &p, s, avail, lim);
    } while (part->rc == 0 && avail < n);
    check_same_head(whole, part);
    free(part->buf);
    free(part);
}

/* ---- chunked bodies ------------------------------------------------------- */

struct body {
    int rc;
    int done;
    size_t end;
    uint8_t *data;
    size_t data_len;
};

/* Decode s[0..n), revealing it `avail` bytes more at a time as rng says
 * (rng NULL: all at once), keeping unconsumed bytes as a connection does. */
static void decode_body(struct body *out, const uint8_t *s, size_t n, uint64_t max,
                        struct rng *rng)
{
    struct chunked_decoder d;
    size_t pos = 0, avail = rng != NULL ? 0 : n, used = 0;

    memset(out, 0, sizeof *out);
    out->data = malloc(n ? n : 1);
    CHECK(out->data != NULL);
    chunked_init(&d, max);
    for (;;) {
        /* more input when all is taken or the last call could not go on */
        if (rng != NULL && avail < n && (pos == avail || used == 0)) {
            avail += piece_size(rng);
            if (avail > n)
                avail = n;
        }
        uint8_t *piece = exact(s + pos, avail - pos);
        const uint8_t *data;
        size_t dlen;
        uint64_t before = d.total;
        out->rc = chunked_decode(&d, piece, avail - pos, &used, &data, &dlen);
        CHECK(used <= avail - pos && dlen <= used);
        CHECK(d.total == before + dlen && d.total <= max);
        if (dlen > 0) {
            CHECK(data >= piece && data + dlen == piece + used);
            memcpy(out->data + out->data_len, data, dlen);
            out->data_len += dlen;
        }
        free(piece);
        if (out->rc != CHUNKED_OK) {
            CHECK(used == 0 && dlen == 0);
            break;
        }
        pos += used;
        if (d.done)
            break;
        if (used == 0 && avail == n)
            break;
    }
    out->done = d.done;
    out->end = pos;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (uint8_t)lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Position after the next CRLF at or after pos (the body was accepted, so
 * there is one). */
static size_t after_crlf(const uint8_t *s, size_t n, size_t pos)
{
    while (pos + 1 < n && !(s[pos] == '\r' && s[pos + 1] == '\n'))
        pos++;
    CHECK(pos + 1 < n);
    return pos + 2;
}

/* A naive re-reading of a body the decoder accepted: the same data, the same
 * end. */
static void check_body(const struct body *b, const uint8_t *s, size_t n)
{
    size_t pos = 0, got = 0;

    for (;;) {
        uint64_t size = 0;
        int v, digits = 0;
        while ((v = hexval(s[pos])) >= 0) {
            size = size << 4 | (uint64_t)v;
            pos++;
            digits++;
        }
        CHECK(digits >= 1 && digits <= CHUNKED_MAX_SIZE_DIGITS);
        pos = after_crlf(s, n, pos);
        if (size == 0)
            break;
        CHECK(size <= n - pos && got + size <= b->data_len);
        CHECK(memcmp(s + pos, b->data + got, (size_t)size) == 0);
        got += (size_t)size;
        pos += (size_t)size;
        CHECK(pos + 2 <= n && s[pos] == '\r' && s[pos + 1] == '\n');
        pos += 2;
    }
    while (!(s[pos] == '\r' && s[pos + 1] == '\n'))
        pos = after_crlf(s, n, pos);
    CHECK(got == b->data_len && pos + 2 == b->end);
}

/* Decode the chunked body at s[0..n) both ways. Returns its length, or 0
 * when the stream cannot go on after it. */
static size_t fuzz_chunked(const uint8_t *s, size_t n, uint64_t max, struct rng *rng)
{
    struct body whole, part;
    size_t end = 0;

    decode_body(&whole, s, n, max, NULL);
    decode_body(&part, s, n, max, rng);
    CHECK(whole.rc == part.rc);
    if (whole.rc == CHUNKED_OK) {
        CHECK(whole.done == part.done && whole.end == part.end);
        CHECK(whole.data_len == part.data_len);
        CHECK(memcmp(whole.data, part.data, whole.data_len) == 0);
        if (whole.done) {
            check_body(&whole, s, n);
            end = whole.end;
        }
    }
    free(whole.data);
    free(part.data);
    return end;
}

/* ---- the stream ----------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct http_limits *lim = &profiles[data[0] & 3];
    /* small bodies may be refused too, to reach CHUNKED_TOO_LARGE */
    uint64_t max_body = (data[0] & 4) ? 16 : (uint64_t)1 << 20;
    struct rng rng = {.s = 0x9E3779B9u ^ (uint32_t)data[0] << 8 ^ (uint32_t)size};
    const uint8_t *s = data + 1;
    size_t n = size - 1, pos = 0;

    while (pos < n) {
        struct head h = {0};
        fuzz_head(&h, s + pos, n - pos, lim, &rng);
        int rc = h.rc;
        uint32_t flags = h.req.flags;
        uint64_t cl = h.req.content_length;
        free(h.buf);
        if (rc <= 0)
            break;
        pos += (size_t)rc;
        if (flags & HTTP_F_CHUNKED) {
            size_t body = fuzz_chunked(s + pos, n - pos, max_body, &rng);
            if (body == 0)
                break;
            pos += body;
        } else if (flags & HTTP_F_CONTENT_LENGTH) {
            if (cl > n - pos)
                break;
            pos += (size_t)cl;
        }
    }
    return 0;
}
