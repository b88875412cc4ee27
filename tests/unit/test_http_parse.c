/*
 * test_http_parse.c - the strict request head parser.
 *
 * Every vector is parsed three ways: in one call, split in two at every byte
 * position, and fed one byte at a time. All must agree: an early non-zero
 * result must equal the one-call result, and so must the final one. Each
 * call gets an exact-size heap copy of the bytes it may see (the parser keeps
 * offsets, not pointers, between calls), so AddressSanitizer catches a read
 * past them.
 *
 * With KILN_BENCH_ITERS=N in the environment, a micro-benchmark runs after
 * the tests (ns per parse of two browser request heads, ~400 and ~700
 * bytes, N parses each): a measurement, not a test, so ctest never runs it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "http_parse.h"

#define MAX_HDRS 256

static const struct http_limits lim_default = {8190, 16384, 100};

/* ---- harness -------------------------------------------------------------- */

struct parsed {
    int rc;
    uint8_t *buf; /* exact-size copy; the result points into it */
    size_t len;
    struct http_request req;
    struct http_header hdrs[MAX_HDRS];
};

static uint8_t *copy_exact(const void *s, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    if (n > 0)
        memcpy(b, s, n);
    return b;
}

/* Call the parser with an exact copy of s[0..n). */
static void feed(struct parsed *out, struct http_parser *p, const void *s, size_t n,
                 const struct http_limits *lim)
{
    free(out->buf);
    out->buf = copy_exact(s, n);
    out->len = n;
    memset(&out->req, 0, sizeof out->req);
    out->req.headers = out->hdrs;
    out->rc = http_parse_request(p, out->buf, n, lim, &out->req);
}

static struct parsed *parse_whole(const void *s, size_t n, const struct http_limits *lim)
{
    struct parsed *r = calloc(1, sizeof *r);
    struct http_parser p;

    assert_non_null(r);
    http_parser_init(&p);
    feed(r, &p, s, n, lim);
    return r;
}

static void parsed_free(struct parsed *r)
{
    if (r != NULL)
        free(r->buf);
    free(r);
}

static ptrdiff_t off(const struct parsed *r, const char *ptr)
{
    return (const uint8_t *)ptr - r->buf;
}

static void assert_span_eq(const struct parsed *a, const char *pa, uint32_t la,
                           const struct parsed *b, const char *pb, uint32_t lb)
{
    assert_int_equal(la, lb);
    assert_int_equal(off(a, pa), off(b, pb));
}

/* Two results over equal bytes (in different copies) must be identical. */
static void assert_same(const struct parsed *a, const struct parsed *b)
{
    const struct http_request *x = &a->req, *y = &b->req;

    assert_int_equal(a->rc, b->rc);
    if (a->rc <= 0)
        return;
    assert_span_eq(a, x->method, x->method_len, b, y->method, y->method_len);
    assert_span_eq(a, x->target, x->target_len, b, y->target, y->target_len);
    assert_span_eq(a, x->path, x->path_len, b, y->path, y->path_len);
    assert_span_eq(a, x->query, x->query_len, b, y->query, y->query_len);
    assert_span_eq(a, x->host, x->host_len, b, y->host, y->host_len);
    assert_int_equal(x->method_id, y->method_id);
    assert_int_equal(x->version_minor, y->version_minor);
    assert_int_equal(x->flags, y->flags);
    assert_int_equal(x->head_len, y->head_len);
    assert_int_equal(x->n_headers, y->n_headers);
    if (x->flags & HTTP_F_CONTENT_LENGTH)
        assert_true(x->content_length == y->content_length);
    for (uint32_t i = 0; i < x->n_headers; i++) {
        assert_span_eq(a, x->headers[i].name, x->headers[i].name_len, b, y->headers[i].name,
                       y->headers[i].name_len);
        assert_span_eq(a, x->headers[i].value, x->headers[i].value_len, b,
                       y->headers[i].value, y->headers[i].value_len);
    }
}

static void assert_span_in(const char *p, uint32_t n, const uint8_t *lo, const uint8_t *hi)
{
    assert_non_null(p);
    assert_true((uintptr_t)p >= (uintptr_t)lo);
    assert_true((uintptr_t)p + n <= (uintptr_t)hi);
}

/* What every successful result must satisfy. */
static void check_invariants(const struct parsed *r, const struct http_limits *lim)
{
    const struct http_request *q = &r->req;
    const uint8_t *lo = r->buf, *hi = r->buf + q->head_len;

    assert_true(r->rc > 0);
    assert_int_equal(r->rc, q->head_len);
    assert_true(q->head_len <= r->len);
    assert_true(q->head_len <= lim->max_header_size);
    assert_memory_equal(hi - 4, "\r\n\r\n", 4);
    assert_span_in(q->method, q->method_len, lo, hi);
    assert_true(q->method_len >= 1 && q->method_len <= HTTP_MAX_METHOD_LEN);
    assert_span_in(q->target, q->target_len, lo, hi);
    assert_span_in(q->host, q->host_len, lo, hi);
    assert_ptr_equal(q->path, q->target);
    assert_true(q->path_len >= 1 && q->path_len <= q->target_len);
    assert_span_in(q->query, q->query_len, (const uint8_t *)q->target,
                   (const uint8_t *)q->target + q->target_len);
    if (q->flags & HTTP_F_ASTERISK)
        assert_memory_equal(q->path, "*", 1);
    else
        assert_int_equal(q->path[0], '/');
    if (q->flags & HTTP_F_HAS_QUERY)
        assert_int_equal(q->query[-1], '?');
    else
        assert_int_equal(q->query_len, 0);
    assert_true(q->version_minor <= 1);
    assert_false((q->flags & HTTP_F_CHUNKED) && (q->flags & HTTP_F_CONTENT_LENGTH));
    if (q->flags & HTTP_F_CHUNKED)
        assert_int_equal(q->version_minor, 1);
    assert_true(q->n_headers <= lim->max_headers);
    for (uint32_t i = 0; i < q->n_headers; i++) {
        const struct http_header *h = &q->headers[i];
        assert_span_in(h->name, h->name_len, lo, hi);
        assert_span_in(h->value, h->value_len, lo, hi);
        assert_true(h->name_len > 0);
        for (uint32_t j = 0; j < h->name_len; j++)
            assert_true(http_ctype[(uint8_t)h->name[j]] & HTTP_CT_TCHAR);
        if (h->value_len > 0) {
            assert_true(h->value[0] != ' ' && h->value[0] != '\t');
            assert_true(h->value[h->value_len - 1] != ' ' && h->value[h->value_len - 1] != '\t');
        }
        for (uint32_t j = 0; j < h->value_len; j++)
            assert_true(http_ctype[(uint8_t)h->value[j]] & HTTP_CT_FIELD);
    }
}

/* Split at every position k (a stride for long inputs): prefix, then all. */
static void check_splits(const void *s, size_t n, const struct http_limits *lim,
                         const struct parsed *whole)
{
    size_t step = n > 4096 ? n / 1024 : 1;
    struct parsed *part = calloc(1, sizeof *part);

    assert_non_null(part);
    for (size_t k = 0; k < n; k += step) {
        struct http_parser p;
        http_parser_init(&p);
        feed(part, &p, s, k, lim);
        if (part->rc == 0)
            feed(part, &p, s, n, lim);
        assert_same(whole, part);
    }
    parsed_free(part);
}

/* One byte more per call until a result; every length is handed in twice,
 * as when a read brings nothing new. */
static void check_trickle(const void *s, size_t n, const struct http_limits *lim,
                          const struct parsed *whole)
{
    struct parsed *part = calloc(1, sizeof *part);
    struct http_parser p;

    assert_non_null(part);
    http_parser_init(&p);
    for (size_t k = 1; k <= n; k++) {
        feed(part, &p, s, k, lim);
        if (part->rc != 0)
            break;
        feed(part, &p, s, k, lim);
        assert_int_equal(part->rc, 0);
    }
    assert_same(whole, part);
    parsed_free(part);
}

/* Parse s[0..n) every way; the one-call result must be `expect`. Returns it
 * for further checks (free with parsed_free). */
static struct parsed *check_lim(const void *s, size_t n, const struct http_limits *lim, int expect)
{
    struct parsed *r = parse_whole(s, n, lim);

    if (r->rc != expect)
        print_error("expected %d, got %d for \"%.*s\"\n", expect, r->rc, (int)n,
                    (const char *)s);
    assert_int_equal(r->rc, expect);
    if (r->rc > 0)
        check_invariants(r, lim);
    check_splits(s, n, lim, r);
    check_trickle(s, n, lim, r);
    return r;
}

static struct parsed *check_str(const char *s, int expect)
{
    return check_lim(s, strlen(s), &lim_default, expect);
}

/* A valid request that is all head. */
static struct parsed *check_ok(const char *s)
{
    return check_str(s, (int)strlen(s));
}

static void assert_str(const char *p, uint32_t n, const char *want)
{
    if (n != strlen(want) || memcmp(p, want, n) != 0)
        print_error("got \"%.*s\", want \"%s\"\n", (int)n, p, want);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

/* ---- the vectors -------------------------------------------------------- */

struct vector {
    const char *name;
    const char *bytes;
    size_t len;
    int status; /* OK: valid, the whole input is the head */
};

#define OK 1
#define V(name, lit, st) {name, lit, sizeof(lit) - 1, st}
#define H11 " HTTP/1.1\r\nHost: a\r\n"
#define GET "GET / HTTP/1.1\r\nHost: a\r\n"
#define M33 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"

static const struct vector vectors[] = {
    /* request line */
    V("lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", -400),
    V("mixed-case version", "GET / Http/1.1\r\nHost: a\r\n\r\n", -400),
    V("version 1.10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", -400),
    V("version 2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", -505),
    V("version 0.9", "GET / HTTP/0.9\r\n\r\n", -505),
    V("version 1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", -505),
    V("version 3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", -505),
    V("version 1.x", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", -400),
    V("version HTTPS", "GET / HTTPS/1.1\r\nHost: a\r\n\r\n", -400),
    V("version without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", -400),
    V("SP after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", -400),
    V("HTAB after version", "GET / HTTP/1.1\t\r\nHost: a\r\n\r\n", -400),
    V("junk after version", "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", -400),
    V("no version", "GET /\r\nHost: a\r\n\r\n", -400),
    V("method only", "GET\r\nHost: a\r\n\r\n", -400),
    V("HTTP/0.9 simple request", "GET /\r\n\r\n", -400),
    V("two SP before target", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("two SP before version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("leading SP", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("HTAB separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("HTAB before version", "GET /\tHTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("DEL in target", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("obs-text in target", "GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("UTF-8 in target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("NUL in target", "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("NUL in method", "G\0T / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("fragment in target", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("percent not hex", "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("percent at end", "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("percent one digit", "GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("percent in query not hex", "GET /?a=%G0 HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("separator in method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("method too long", M33 " /" H11 "\r\n", -501),
    V("CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", -405),
    V("TRACE", "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", -405),
    V("asterisk with GET", "GET *" H11 "\r\n", -400),
    V("asterisk with suffix", "OPTIONS *x" H11 "\r\n", -400),
    V("relative target", "GET a/b" H11 "\r\n", -400),
    V("query-only target", "GET ?a" H11 "\r\n", -400),
    V("ftp scheme", "GET ftp://a/" H11 "\r\n", -400),
    V("scheme without slashes", "GET http:/a/" H11 "\r\n", -400),
    V("absolute without path", "GET http://a" H11 "\r\n", -400),
    V("absolute query without path", "GET http://a?x" H11 "\r\n", -400),
    V("absolute empty authority", "GET http:///x" H11 "\r\n", -400),
    V("absolute with userinfo", "GET http://u:p@a/" H11 "\r\n", -400),
    V("absolute port too big", "GET http://a:99999/" H11 "\r\n", -400),
    V("absolute empty port", "GET http://a:/" H11 "\r\n", -400),
    V("absolute unclosed IPv6", "GET http://[::1/" H11 "\r\n", -400),
    V("absolute without Host header", "GET http://a/ HTTP/1.1\r\n\r\n", -400),
    V("absolute with bad Host header", "GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n", -400),
    V("too many leading CRLF", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("leading bare LF", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("leading SP line", " \r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    /* line endings and bytes */
    V("bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", -400),
    V("bare LF after header", GET "X: y\n\r\n", -400),
    V("bare LF as end of head", GET "\n", -400),
    V("LF CR LF end", "GET / HTTP/1.1\r\nHost: a\n\r\n", -400),
    V("CR CR LF", "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", -400),
    V("bare CR in request line", "GET /\ra HTTP/1.1\r\nHost: a\r\n\r\n", -400),
    V("bare CR in value", GET "X: a\rb\r\n\r\n", -400),
    V("bare CR in name", GET "X\r: b\r\n\r\n", -400),
    V("bare CR at end of head", GET "\r\r\n", -400),
    V("NUL in value", GET "X: a\0b\r\n\r\n", -400),
    V("NUL in name", GET "X\0Y: b\r\n\r\n", -400),
    V("control byte in value", GET "X: \x01\r\n\r\n", -400),
    V("VT in value", GET "X: a\x0b\r\n\r\n", -400),
    V("ESC in value", GET "X: \x1b[31m\r\n\r\n", -400),
    V("DEL in value", GET "X: a\x7f\r\n\r\n", -400),
    V("obs-text in name", GET "X\x80: b\r\n\r\n", -400),
    V("separator in name", GET "X(Y: b\r\n\r\n", -400),
    V("slash in name", GET "X/Y: b\r\n\r\n", -400),
    /* header lines */
    V("obs-fold SP", GET "X: a\r\n b\r\n\r\n", -400),
    V("obs-fold HTAB", GET "X: a\r\n\tb\r\n\r\n", -400),
    V("SP before colon", GET "X : b\r\n\r\n", -400),
    V("HTAB before colon", GET "X\t: b\r\n\r\n", -400),
    V("no colon", GET "X b\r\n\r\n", -400),
    V("name only", GET "X\r\n\r\n", -400),
    V("empty name", GET ": b\r\n\r\n", -400),
    V("leading SP on first header", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", -400),
    /* Host */
    V("missing Host in 1.1", "GET / HTTP/1.1\r\n\r\n", -400),
    V("duplicate Host", GET "Host: a\r\n\r\n", -400),
    V("duplicate Host other case", GET "hOST: b\r\n\r\n", -400),
    V("duplicate Host in 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", -400),
    V("Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", -400),
    V("Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", -400),
    V("Host with slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", -400),
    V("Host with backslash", "GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n", -400),
    V("Host with dot-dot", "GET / HTTP/1.1\r\nHost: ..\r\n\r\n", -400),
    V("Host with inner dot-dot", "GET / HTTP/1.1\r\nHost: a..b:80\r\n\r\n", -400),
    V("absolute with dot-dot host", "GET http://a../x" H11 "\r\n", -400),
    V("Host with non-numeric port", "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", -400),
    V("Host with two ports", "GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", -400),
    V("Host port only", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", -400),
    V("Host port too big", "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", -400),
    V("Host port six digits", "GET / HTTP/1.1\r\nHost: a:000080\r\n\r\n", -400),
    V("Host empty port", "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", -400),
    V("Host unclosed IPv6", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", -400),
    V("Host bad IPv6", "GET / HTTP/1.1\r\nHost: [zz::1]\r\n\r\n", -400),
    V("Host IPv6 zone", "GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n", -400),
    V("Host junk after IPv6", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", -400),
    V("Host empty IPv6", "GET / HTTP/1.1\r\nHost: []\r\n\r\n", -400),
    V("Host bad escape", "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", -400),
    V("Host obs-text", "GET / HTTP/1.1\r\nHost: \xc3\xa9\r\n\r\n", -400),
    V("Host list", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", -400),
    /* Content-Length */
    V("CL plus sign", GET "Content-Length: +5\r\n\r\n", -400),
    V("CL minus sign", GET "Content-Length: -5\r\n\r\n", -400),
    V("CL list", GET "Content-Length: 5, 5\r\n\r\n", -400),
    V("CL list no space", GET "Content-Length: 5,5\r\n\r\n", -400),
    V("CL leading SP line", GET " Content-Length: 5\r\n\r\n", -400),
    V("CL hex", GET "Content-Length: 0x5\r\n\r\n", -400),
    V("CL exponent", GET "Content-Length: 1e3\r\n\r\n", -400),
    V("CL inner space", GET "Content-Length: 5 5\r\n\r\n", -400),
    V("CL empty", GET "Content-Length:\r\n\r\n", -400),
    V("CL twice identical", GET "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", -400),
    V("CL twice different", GET "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", -400),
    V("CL twice other case", GET "Content-Length: 5\r\ncontent-length: 5\r\n\r\n", -400),
    V("CL 2^63", GET "Content-Length: 9223372036854775808\r\n\r\n", -400),
    V("CL 2^64", GET "Content-Length: 18446744073709551616\r\n\r\n", -400),
    V("CL huge", GET "Content-Length: 99999999999999999999999999\r\n\r\n", -400),
    V("CL space before colon", GET "Content-Length : 5\r\n\r\n", -400),
    V("CL with NUL", GET "Content-Length: 5\0\r\n\r\n", -400),
    V("CL.TE", GET "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", -400),
    V("TE.CL", GET "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", -400),
    V("TE with CL 0", GET "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", -400),
    /* Transfer-Encoding */
    V("TE xchunked", GET "Transfer-Encoding: xchunked\r\n\r\n", -400),
    V("TE chunkedx", GET "Transfer-Encoding: chunkedx\r\n\r\n", -400),
    V("TE space before colon", GET "Transfer-Encoding : chunked\r\n\r\n", -400),
    V("TE chunked then x", GET "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n",
      -400),
    V("TE twice chunked", GET "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      -400),
    V("TE gzip, chunked", GET "Transfer-Encoding: gzip, chunked\r\n\r\n", -400),
    V("TE chunked, chunked", GET "Transfer-Encoding: chunked, chunked\r\n\r\n", -400),
    V("TE chunked,", GET "Transfer-Encoding: chunked,\r\n\r\n", -400),
    V("TE identity", GET "Transfer-Encoding: identity\r\n\r\n", -400),
    V("TE empty", GET "Transfer-Encoding:\r\n\r\n", -400),
    V("TE quoted", GET "Transfer-Encoding: \"chunked\"\r\n\r\n", -400),
    V("TE with parameter", GET "Transfer-Encoding: chunked;q=1\r\n\r\n", -400),
    V("TE inner space", GET "Transfer-Encoding: chun ked\r\n\r\n", -400),
    V("TE VT before value", GET "Transfer-Encoding:\x0b" "chunked\r\n\r\n", -400),
    V("TE obs-fold", GET "Transfer-Encoding:\r\n chunked\r\n\r\n", -400),
    V("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400),
    /* Expect */
    V("Expect unknown", GET "Expect: foo\r\n\r\n", -417),
    V("Expect suffix", GET "Expect: 100-continue-x\r\n\r\n", -417),
    V("Expect list", GET "Expect: 100-continue, foo\r\n\r\n", -417),
    V("Expect empty", GET "Expect:\r\n\r\n", -417),
    V("Expect unknown in 1.0", "GET / HTTP/1.0\r\nExpect: foo\r\n\r\n", -417),

    /* valid edge cases */
    V("minimal 1.1", GET "\r\n", OK),
    V("minimal 1.0", "GET / HTTP/1.0\r\n\r\n", OK),
    V("TE HTAB (valid)", GET "Transfer-Encoding:\tchunked\r\n\r\n", OK),
    V("TE uppercase", GET "Transfer-Encoding: CHUNKED\r\n\r\n", OK),
    V("TE trailing OWS", GET "Transfer-Encoding: chunked \t \r\n\r\n", OK),
    V("TE-like name", GET "Transfer_Encoding: gzip\r\n\r\n", OK),
    V("CL leading zeros", GET "Content-Length: 007\r\n\r\n", OK),
    V("CL 2^63-1", GET "Content-Length: 9223372036854775807\r\n\r\n", OK),
    V("CL in 1.0", "POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n", OK),
    V("HTAB in value", GET "X: a\tb\r\n\r\n", OK),
    V("obs-text in value", GET "X: caf\xc3\xa9 \x80\xff\r\n\r\n", OK),
    V("empty value", GET "X:\r\n\r\n", OK),
    V("OWS-only value", GET "X: \t \r\n\r\n", OK),
    V("quote and backslash in value", GET "X: \"a\\b\"\r\n\r\n", OK),
    V("empty query", "GET /?" H11 "\r\n", OK),
    V("question marks in query", "GET /a?b?c=/d" H11 "\r\n", OK),
    V("percent escapes", "GET /%2e%2E/%2f?q=%20" H11 "\r\n", OK),
    V("all target bytes", "GET /!$&'()*+,-./:;=@[]^_`{|}~\"<>\\?x" H11 "\r\n", OK),
    V("double slash path", "GET //a//b" H11 "\r\n", OK),
    V("one leading CRLF", "\r\n" GET "\r\n", OK),
    V("four leading CRLF", "\r\n\r\n\r\n\r\n" GET "\r\n", OK),
    V("empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", OK),
    V("Host IPv4 and port", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", OK),
    V("Host with a trailing dot", "GET / HTTP/1.1\r\nHost: a.example.\r\n\r\n", OK),
    V("Host IPv6", "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", OK),
    V("Host IPv6 and port", "GET / HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n", OK),
    V("Host IPv4-mapped IPv6", "GET / HTTP/1.1\r\nHost: [::ffff:192.0.2.1]\r\n\r\n", OK),
    V("Host reg-name chars", "GET / HTTP/1.1\r\nHost: a-b.c_d~e!$&'()*+,;=\r\n\r\n", OK),
    V("Host escape", "GET / HTTP/1.1\r\nHost: a%41b\r\n\r\n", OK),
    V("Host port 0", "GET / HTTP/1.1\r\nHost: a:0\r\n\r\n", OK),
    V("Host port 65535", "GET / HTTP/1.1\r\nHost: a:65535\r\n\r\n", OK),
    V("Host OWS trimmed", "GET / HTTP/1.1\r\nHost: \t a.b \t\r\n\r\n", OK),
    V("absolute-form", "GET http://a.b:8080/x?y HTTP/1.1\r\nHost: z\r\n\r\n", OK),
    V("absolute-form HTTPS upper", "GET HTTPS://A/x HTTP/1.1\r\nHost: a\r\n\r\n", OK),
    V("absolute-form IPv6", "GET http://[::1]:80/ HTTP/1.1\r\nHost: a\r\n\r\n", OK),
    V("absolute-form 1.0 no Host", "GET http://a/ HTTP/1.0\r\n\r\n", OK),
    V("OPTIONS *", "OPTIONS *" H11 "\r\n", OK),
    V("unknown method", "PURGE /x" H11 "\r\n", OK),
    V("lowercase method", "get /" H11 "\r\n", OK),
    V("lowercase connect", "connect /" H11 "\r\n", OK),
    V("method 32 bytes", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef /" H11 "\r\n", OK),
    V("token chars in method", "!#$%&'*+-.^_`|~09 /" H11 "\r\n", OK),
    V("Expect 100-continue", GET "Expect: 100-continue\r\n\r\n", OK),
    V("Expect case", GET "Expect: 100-Continue\r\n\r\n", OK),
    V("Expect twice", GET "Expect: 100-continue\r\nExpect: 100-continue\r\n\r\n", OK),
    V("Expect 100-continue in 1.0", "GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", OK),
    V("Connection list", GET "Connection: keep-alive, Upgrade\r\n\r\n", OK),
    V("colon in value", GET "X: a:b::\r\n\r\n", OK),
    V("header name all tchar", GET "!#$%&'*+-.^_`|~0aZ: v\r\n\r\n", OK),
};

static void run_vector(void **state)
{
    const struct vector *v = *state;
    int expect = v->status == OK ? (int)v->len : v->status;

    parsed_free(check_lim(v->bytes, v->len, &lim_default, expect));
}

/* ---- fields of valid requests ------------------------------------------ */

static void test_origin_form_fields(void **state)
{
    (void)state;
    struct parsed *r = check_ok("GET /a/b%20c?x=1&y=%2F HTTP/1.1\r\n"
                                "Host: example.com\r\n"
                                "User-Agent: t\r\n\r\n");
    const struct http_request *q = &r->req;

    assert_str(q->method, q->method_len, "GET");
    assert_int_equal(q->method_id, HTTP_M_GET);
    assert_str(q->target, q->target_len, "/a/b%20c?x=1&y=%2F");
    assert_str(q->path, q->path_len, "/a/b%20c");
    assert_str(q->query, q->query_len, "x=1&y=%2F");
    assert_str(q->host, q->host_len, "example.com");
    assert_int_equal(q->version_minor, 1);
    assert_int_equal(q->flags, HTTP_F_HAS_QUERY | HTTP_F_KEEP_ALIVE);
    assert_int_equal(q->n_headers, 2);
    assert_int_equal(q->head_len, r->len);
    parsed_free(r);
}

static void test_query_forms(void **state)
{
    (void)state;
    struct parsed *r = check_ok("GET /p? HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_true(r->req.flags & HTTP_F_HAS_QUERY);
    assert_str(r->req.path, r->req.path_len, "/p");
    assert_int_equal(r->req.query_len, 0);
    assert_ptr_equal(r->req.query, r->req.target + r->req.target_len);
    parsed_free(r);

    r = check_ok("GET /p HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_false(r->req.flags & HTTP_F_HAS_QUERY);
    assert_str(r->req.path, r->req.path_len, "/p");
    assert_int_equal(r->req.query_len, 0);
    assert_ptr_equal(r->req.query, r->req.target + r->req.target_len);
    parsed_free(r);

    r = check_ok("GET /p?a?b HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_str(r->req.path, r->req.path_len, "/p");
    assert_str(r->req.query, r->req.query_len, "a?b");
    parsed_free(r);
}

static void test_absolute_form_fields(void **state)
{
    (void)state;
    struct parsed *r = check_ok("GET http://Example.COM:8080/p/q?z HTTP/1.1\r\n"
                                "Host: other.example\r\n\r\n");
    const struct http_request *q = &r->req;

    assert_true(q->flags & HTTP_F_ABSOLUTE_FORM);
    assert_str(q->host, q->host_len, "Example.COM:8080"); /* the authority wins */
    assert_str(q->target, q->target_len, "/p/q?z");
    assert_str(q->path, q->path_len, "/p/q");
    assert_str(q->query, q->query_len, "z");
    assert_int_equal(q->n_headers, 1);
    assert_str(q->headers[0].value, q->headers[0].value_len, "other.example");
    parsed_free(r);

    r = check_ok("GET hTTpS://[::1]/ HTTP/1.0\r\n\r\n");
    assert_str(r->req.host, r->req.host_len, "[::1]");
    assert_str(r->req.target, r->req.target_len, "/");
    parsed_free(r);
}

static void test_asterisk_form(void **state)
{
    (void)state;
    struct parsed *r = check_ok("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    const struct http_request *q = &r->req;

    assert_int_equal(q->method_id, HTTP_M_OPTIONS);
    assert_true(q->flags & HTTP_F_ASTERISK);
    assert_str(q->target, q->target_len, "*");
    assert_str(q->path, q->path_len, "*");
    assert_int_equal(q->query_len, 0);
    parsed_free(r);
}

static void test_method_ids(void **state)
{
    (void)state;
    static const struct {
        const char *m;
        int id;
    } cases[] = {
        {"GET", HTTP_M_GET},         {"HEAD", HTTP_M_HEAD},       {"POST", HTTP_M_POST},
        {"PUT", HTTP_M_PUT},         {"DELETE", HTTP_M_DELETE},   {"OPTIONS", HTTP_M_OPTIONS},
        {"PATCH", HTTP_M_PATCH},     {"get", HTTP_M_OTHER},       {"PURGE", HTTP_M_OTHER},
        {"GETS", HTTP_M_OTHER},      {"POS", HTTP_M_OTHER},       {"PROPFIND", HTTP_M_OTHER},
    };
    char buf[128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(buf, sizeof buf, "%s / HTTP/1.1\r\nHost: a\r\n\r\n", cases[i].m);
        struct parsed *r = check_ok(buf);
        assert_int_equal(r->req.method_id, cases[i].id);
        assert_str(r->req.method, r->req.method_len, cases[i].m);
        parsed_free(r);
    }
}

static void test_headers_in_order(void **state)
{
    (void)state;
    struct parsed *r = check_ok("POST /f HTTP/1.1\r\n"
                                "hOsT: a.example\r\n"
                                "X-Empty:\r\n"
                                "X-Trim: \t  a \t b  \t\r\n"
                                "Content-Length: 12\r\n"
                                "Cookie: a=1\r\n"
                                "Cookie: b=2\r\n"
                                "X-Obs: \xe2\x82\xac\r\n\r\n");
    const struct http_request *q = &r->req;
    static const char *const want[][2] = {
        {"hOsT", "a.example"}, {"X-Empty", ""}, {"X-Trim", "a \t b"}, {"Content-Length", "12"},
        {"Cookie", "a=1"},     {"Cookie", "b=2"}, {"X-Obs", "\xe2\x82\xac"},
    };

    assert_int_equal(q->n_headers, 7);
    for (uint32_t i = 0; i < q->n_headers; i++) {
        assert_str(q->headers[i].name, q->headers[i].name_len, want[i][0]);
        assert_str(q->headers[i].value, q->headers[i].value_len, want[i][1]);
    }
    assert_str(q->host, q->host_len, "a.example");
    assert_int_equal(q->flags, HTTP_F_CONTENT_LENGTH | HTTP_F_KEEP_ALIVE);
    assert_true(q->content_length == 12);
    parsed_free(r);
}

static void test_framing_flags(void **state)
{
    (void)state;
    struct parsed *r = check_ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n");
    assert_int_equal(r->req.flags, HTTP_F_CHUNKED | HTTP_F_KEEP_ALIVE);
    parsed_free(r);

    r = check_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(r->req.flags, HTTP_F_CONTENT_LENGTH | HTTP_F_KEEP_ALIVE);
    assert_true(r->req.content_length == 0);
    parsed_free(r);

    r = check_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n");
    assert_true(r->req.content_length == INT64_MAX);
    parsed_free(r);

    r = check_ok("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(r->req.flags, HTTP_F_KEEP_ALIVE);
    parsed_free(r);
}

static void test_keep_alive(void **state)
{
    (void)state;
    static const struct {
        const char *head;
        int keep;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade,  close \r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", 1},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: x-close\r\n\r\n", 1},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\nConnection: close\r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection:\r\n\r\n", 1},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close \t, te\r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: ,,\r\n\r\n", 1},
        {"GET / HTTP/1.0\r\n\r\n", 0},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1},
        {"GET / HTTP/1.0\r\nConnection: te, keep-alive\r\n\r\n", 1},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", 0},
        {"GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n", 0},
        {"GET / HTTP/1.0\r\nKeep-Alive: 300\r\n\r\n", 0},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct parsed *r = check_ok(cases[i].head);
        if (!!(r->req.flags & HTTP_F_KEEP_ALIVE) != cases[i].keep)
            print_error("case %zu: %s", i, cases[i].head);
        assert_int_equal(!!(r->req.flags & HTTP_F_KEEP_ALIVE), cases[i].keep);
        parsed_free(r);
    }
}

static void test_expect(void **state)
{
    (void)state;
    struct parsed *r = check_ok("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-CONTINUE\r\n\r\n");
    assert_true(r->req.flags & HTTP_F_EXPECT_CONTINUE);
    parsed_free(r);

    /* RFC 9110 10.1.1: ignored in HTTP/1.0 */
    r = check_ok("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
    assert_false(r->req.flags & HTTP_F_EXPECT_CONTINUE);
    parsed_free(r);

    r = check_ok("POST / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_false(r->req.flags & HTTP_F_EXPECT_CONTINUE);
    parsed_free(r);
}

static void test_host_values(void **state)
{
    (void)state;
    struct parsed *r = check_ok("GET / HTTP/1.0\r\n\r\n");
    assert_int_equal(r->req.host_len, 0);
    parsed_free(r);

    r = check_ok("GET / HTTP/1.1\r\nHost:   \r\n\r\n");
    assert_int_equal(r->req.host_len, 0);
    parsed_free(r);

    r = check_ok("GET / HTTP/1.0\r\nHost: b.example:81\r\n\r\n");
    assert_str(r->req.host, r->req.host_len, "b.example:81");
    parsed_free(r);
}

static void test_leading_crlf(void **state)
{
    (void)state;
    struct parsed *r = check_ok("\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(off(r, r->req.method), 4);
    assert_str(r->req.path, r->req.path_len, "/x");
    assert_int_equal(r->req.head_len, r->len);
    parsed_free(r);
}

static void test_pipelined(void **state)
{
    (void)state;
    static const char two[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                              "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                              "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t n = sizeof two - 1, pos = 0;
    static const char *const paths[] = {"/1", "/2", "/3"};

    for (int i = 0; i < 3; i++) {
        const char *s = two + pos;
        const char *end = strstr(s, "\r\n\r\n");
        assert_non_null(end);
        int head = (int)(end + 4 - s);
        struct parsed *r = check_lim(s, n - pos, &lim_default, head);
        assert_str(r->req.path, r->req.path_len, paths[i]);
        pos += (size_t)head;
        if (r->req.flags & HTTP_F_CONTENT_LENGTH)
            pos += (size_t)r->req.content_length;
        parsed_free(r);
    }
    assert_int_equal(pos, n);
}

/* ---- incremental behaviour ---------------------------------------------- */

static int parse_prefix(const char *s, size_t n, const struct http_limits *lim)
{
    struct parsed *r = parse_whole(s, n, lim);
    int rc = r->rc;
    parsed_free(r);
    return rc;
}

static void test_need_more(void **state)
{
    (void)state;
    static const char *const partial[] = {
        "", "G", "GET", "GET ", "GET /", "GET / HTTP/1.1", "GET / HTTP/1.1\r",
        "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r",
        "\r", "\r\n", "\r\n\r\n\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: \t",
        /* the full parse has not run yet: grammar errors wait for the end */
        "GET  / HTTP/1.1\r\n", "GET / HTTP/2.0\r\nHost: a\r\n", "CONNECT a:1 HTTP/1.1\r\n",
    };
    for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++)
        assert_int_equal(parse_prefix(partial[i], strlen(partial[i]), &lim_default), 0);
}

/* Bad bytes and line ends are reported before the head is complete, so the
 * client is answered at once instead of waiting for a timeout. */
static void test_early_errors(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
    } cases[] = {
        {"GET /\0", 6},
        {"GET / HTTP/1.1\rX", 16},
        {"GET / HTTP/1.1\nHost", 19},
        {"GET / HTTP/1.1\r\nHost: a\nX", 25},
        {"GET / HTTP/1.1\r\nX: \x01", 20},
        {"GET / HTTP/1.1\r\nX: \x7f", 20},
        {"\n", 1},
        {"\r\r", 2},
        {"\r\n\r\n\r\n\r\n\r\n", 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(parse_prefix(cases[i].s, cases[i].n, &lim_default), -400);
}

/* An error result is not written into req. */
static void test_req_untouched_on_error(void **state)
{
    (void)state;
    static const char bad[] = "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
    struct http_header hdrs[8];
    struct http_request req;
    struct http_parser p;
    const struct http_limits lim = {100, 1000, 8};

    memset(&req, 0xA5, sizeof req);
    req.headers = hdrs;
    http_parser_init(&p);
    assert_int_equal(http_parse_request(&p, (const uint8_t *)bad, sizeof bad - 1, &lim, &req),
                     -400);
    assert_ptr_equal(req.headers, hdrs);
    assert_int_equal(req.head_len, 0xA5A5A5A5u);
}

/* ---- limits ------------------------------------------------------------- */

/* "GET /aaa...a HTTP/1.1" of exactly `line` bytes, then CRLF and the rest. */
static char *request_with_line(size_t line, const char *rest)
{
    static const char pre[] = "GET /", post[] = " HTTP/1.1\r\n";
    size_t fill = line - (sizeof pre - 1) - (sizeof post - 3);
    size_t n = line + 2 + strlen(rest);
    char *s = malloc(n + 1);

    assert_non_null(s);
    memcpy(s, pre, sizeof pre - 1);
    memset(s + sizeof pre - 1, 'a', fill);
    memcpy(s + sizeof pre - 1 + fill, post, sizeof post - 1);
    strcpy(s + line + 2, rest);
    return s;
}

static void test_limit_request_line(void **state)
{
    (void)state;
    const struct http_limits lim = {64, 4096, 10};
    char *s = request_with_line(64, "Host: a\r\n\r\n");
    parsed_free(check_lim(s, strlen(s), &lim, (int)strlen(s)));
    free(s);

    s = request_with_line(65, "Host: a\r\n\r\n");
    parsed_free(check_lim(s, strlen(s), &lim, -414));
    /* refused once byte 65 is in, long before the CRLF */
    assert_int_equal(parse_prefix(s, 64, &lim), 0);
    assert_int_equal(parse_prefix(s, 65, &lim), -414);
    free(s);

    /* 64 bytes then CR: the line may still be exactly 64 */
    s = request_with_line(64, "");
    assert_int_equal(parse_prefix(s, 65, &lim), 0);
    free(s);

    /* the limit counts from after the leading empty lines */
    s = request_with_line(64, "Host: a\r\n\r\n");
    size_t n = strlen(s);
    char *lead = malloc(n + 5);
    assert_non_null(lead);
    memcpy(lead, "\r\n\r\n", 4);
    memcpy(lead + 4, s, n + 1);
    parsed_free(check_lim(lead, n + 4, &lim, (int)(n + 4)));
    free(lead);
    free(s);

    /* header lines are not bound by the request-line limit */
    char line[300];
    memset(line, 'v', sizeof line);
    char *big = malloc(512);
    assert_non_null(big);
    snprintf(big, 512, "GET / HTTP/1.1\r\nHost: a\r\nX: %.*s\r\n\r\n", 200, line);
    parsed_free(check_lim(big, strlen(big), &lim, (int)strlen(big)));
    free(big);
}

/* A head of exactly `size` bytes: one filler header sized to fit. */
static char *head_of_size(size_t size)
{
    static const char pre[] = "GET / HTTP/1.1\r\nHost: a\r\nX: ", post[] = "\r\n\r\n";
    size_t fill = size - (sizeof pre - 1) - (sizeof post - 1);
    char *s = malloc(size + 1);

    assert_non_null(s);
    memcpy(s, pre, sizeof pre - 1);
    memset(s + sizeof pre - 1, 'x', fill);
    memcpy(s + size - 4, post, sizeof post);
    return s;
}

static void test_limit_header_size(void **state)
{
    (void)state;
    const struct http_limits lim = {64, 256, 10};
    char *s = head_of_size(256);
    parsed_free(check_lim(s, 256, &lim, 256));
    /* a valid head followed by more bytes is fine: pipelining */
    free(s);

    s = head_of_size(257);
    parsed_free(check_lim(s, 257, &lim, -431));
    assert_int_equal(parse_prefix(s, 255, &lim), 0);
    assert_int_equal(parse_prefix(s, 256, &lim), -431); /* certain once 256 are in */
    free(s);

    /* the leading empty lines count */
    s = head_of_size(256);
    char *lead = malloc(259);
    assert_non_null(lead);
    memcpy(lead, "\r\n", 2);
    memcpy(lead + 2, s, 257);
    parsed_free(check_lim(lead, 258, &lim, -431));
    free(lead);
    free(s);

    /* the default limit, with a long value just inside it */
    s = head_of_size(16384);
    parsed_free(check_lim(s, 16384, &lim_default, 16384));
    free(s);
    s = head_of_size(16385);
    parsed_free(check_lim(s, 16385, &lim_default, -431));
    free(s);
}

static void test_limit_header_count(void **state)
{
    (void)state;
    const struct http_limits lim = {64, 4096, 4};
    static const char four[] = "GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\nD: 3\r\n\r\n";
    static const char five[] = "GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\nD: 3\r\nE: 4\r\n\r\n";

    struct parsed *r = check_lim(four, sizeof four - 1, &lim, sizeof four - 1);
    assert_int_equal(r->req.n_headers, 4);
    parsed_free(r);
    parsed_free(check_lim(five, sizeof five - 1, &lim, -431));
    /* refused as soon as the fifth line is complete */
    assert_int_equal(parse_prefix(five, sizeof five - 3, &lim), -431);

    const struct http_limits none = {64, 4096, 0};
    static const char bare[] = "GET / HTTP/1.0\r\n\r\n";
    parsed_free(check_lim(bare, sizeof bare - 1, &none, sizeof bare - 1));
    parsed_free(check_lim("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27, &none, -431));

    /* the default 100 */
    char *big = malloc(100 * 16 + 64);
    assert_non_null(big);
    size_t n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 1; i < 100; i++)
        n += (size_t)sprintf(big + n, "X-%03d: v\r\n", i);
    strcpy(big + n, "\r\n");
    parsed_free(check_lim(big, n + 2, &lim_default, (int)(n + 2)));
    n += (size_t)sprintf(big + n, "X-100: v\r\n");
    strcpy(big + n, "\r\n");
    parsed_free(check_lim(big, n + 2, &lim_default, -431));
    free(big);
}

/* Which error wins when a head has several. */
static void test_precedence(void **state)
{
    (void)state;
    const struct http_limits lim = {16, 4096, 2};
    /* bytes before limits, in byte order */
    parsed_free(check_lim("GET /\0aaaaaaaaaaaaaaaaaaa", 25, &lim, -400));
    parsed_free(check_lim("GET /aaaaaaaaaaaaaa\0", 20, &lim, -414));
    /* request line before headers */
    parsed_free(check_str("GET /# HTTP/2.0\r\n\r\n", -400));
    parsed_free(check_str(M33 " / HTTP/2.0\r\n\r\n", -501));
    parsed_free(check_str("GET / HTTP/2.0\r\nX : y\r\n\r\n", -505));
    parsed_free(check_str("TRACE / HTTP/1.1\r\nContent-Length: x\r\n\r\n", -405));
    /* framing before Expect */
    parsed_free(check_str(GET "Expect: x\r\nContent-Length: x\r\n\r\n", -400));
}

/* ---- helpers and tables ------------------------------------------------- */

static void test_name_eq(void **state)
{
    (void)state;
    assert_true(http_name_eq("Content-Length", 14, "content-length", 14));
    assert_true(http_name_eq("CONTENT-LENGTH", 14, "content-length", 14));
    assert_false(http_name_eq("Content-Lengt", 13, "content-length", 14));
    assert_false(http_name_eq("Content_Length", 14, "content-length", 14));
    /* '\r' | 0x20 == '-': case folding must touch letters only */
    assert_false(http_name_eq("a\rb", 3, "a-b", 3));
    assert_false(http_name_eq("\xc1", 1, "\xe1", 1));
    assert_true(http_name_eq("", 0, "", 0));
}

static void test_list_has_token(void **state)
{
    (void)state;
    assert_true(http_list_has_token("close", 5, "close", 5));
    assert_true(http_list_has_token("Keep-Alive, Close", 17, "close", 5));
    assert_true(http_list_has_token(" ,, close ,", 11, "close", 5));
    assert_true(http_list_has_token("a,\tclose\t", 9, "close", 5));
    assert_false(http_list_has_token("closed", 6, "close", 5));
    assert_false(http_list_has_token("clo se", 6, "close", 5));
    assert_false(http_list_has_token("", 0, "close", 5));
    assert_false(http_list_has_token(",,,", 3, "close", 5));
    assert_false(http_list_has_token("x-close", 7, "close", 5));
}

/* The shared byte classes against the RFC 9110 definitions. */
static void test_ctype_table(void **state)
{
    (void)state;
    static const char tchar_punct[] = "!#$%&'*+-.^_`|~";

    for (int c = 0; c < 256; c++) {
        int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        int tchar = alnum || (c != 0 && strchr(tchar_punct, c) != NULL);
        int vchar = c >= 0x21 && c <= 0x7E;
        int field = c == '\t' || c == ' ' || vchar || c >= 0x80;
        int qdtext = field && c != '"' && c != '\\';
        assert_int_equal(!!(http_ctype[c] & HTTP_CT_TCHAR), tchar);
        assert_int_equal(!!(http_ctype[c] & HTTP_CT_FIELD), field);
        assert_int_equal(!!(http_ctype[c] & HTTP_CT_QDTEXT), qdtext);
    }
}

/* pre, the byte c, post: into buf; returns the length. */
static size_t with_byte(char *buf, const char *pre, int c, const char *post)
{
    size_t a = strlen(pre), b = strlen(post);

    memcpy(buf, pre, a);
    buf[a] = (char)c;
    memcpy(buf + a + 1, post, b);
    return a + 1 + b;
}

/* Every byte value in a value, a path and a name: only the allowed pass. */
static void test_every_byte(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        char buf[64];
        size_t n;

        n = with_byte(buf, "GET / HTTP/1.1\r\nHost: a\r\nX: a", c, "b\r\n\r\n");
        int field = c == '\t' || (c >= 0x20 && c != 0x7F);
        assert_int_equal(parse_prefix(buf, n, &lim_default), field ? (int)n : -400);

        n = with_byte(buf, "GET /a", c, "b HTTP/1.1\r\nHost: a\r\n\r\n");
        /* '%' is refused because "%b " is not an escape */
        int target = c > 0x20 && c < 0x7F && c != '#' && c != '%';
        assert_int_equal(parse_prefix(buf, n, &lim_default), target ? (int)n : -400);

        n = with_byte(buf, "GET / HTTP/1.1\r\nHost: a\r\nX", c, "Y: b\r\n\r\n");
        int name = (http_ctype[c] & HTTP_CT_TCHAR) || c == ':'; /* "X:Y: b" is valid */
        assert_int_equal(parse_prefix(buf, n, &lim_default), name ? (int)n : -400);

        n = with_byte(buf, "G", c, "T / HTTP/1.1\r\nHost: a\r\n\r\n");
        int method = http_ctype[c] & HTTP_CT_TCHAR;
        assert_int_equal(parse_prefix(buf, n, &lim_default), method ? (int)n : -400);
    }
}

/* ---- benchmark ---------------------------------------------------------- */

/* Firefox asking a PHP site for a page: about 400 bytes. */
static const char bench_small[] =
    "GET /index.php?page=2 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: PHPSESSID=298zf09hf012fh2; csrftoken=u32t4o3tb3gg43\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "\r\n";

/* Chrome asking a WordPress site for a stylesheet: about 700 bytes. */
static const char bench_large[] =
    "GET /wp-content/themes/twentytwentyfour/assets/css/style.css?ver=6.4.2 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "sec-ch-ua: \"Not_A Brand\";v=\"8\", \"Chromium\";v=\"120\", \"Google Chrome\";v=\"120\"\r\n"
    "sec-ch-ua-mobile: ?0\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "sec-ch-ua-platform: \"Linux\"\r\n"
    "Accept: text/css,*/*;q=0.1\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Sec-Fetch-Mode: no-cors\r\n"
    "Sec-Fetch-Dest: style\r\n"
    "Referer: https://www.example.com/blog/hello-world/\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Cookie: wordpress_test_cookie=WP%20Cookie%20check; wp-settings-time-1=1700000000\r\n"
    "\r\n";

/* CPU time of this thread: on a shared machine, wall time mostly measures
 * the neighbours. */
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Parse one head `iters` times in 10 rounds; prints the best round's ns per
 * parse (the least disturbed one). */
static void bench_one(const char *head, long iters)
{
    enum { ROUNDS = 10 };
    size_t n = strlen(head);
    struct http_header hdrs[MAX_HDRS];
    struct http_request req = {.headers = hdrs};
    struct http_parser p;
    volatile uint32_t sink = 0;
    long per_round = iters / ROUNDS > 0 ? iters / ROUNDS : 1;
    double best = 0;

    parsed_free(check_ok(head));
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = cpu_ns();
        for (long i = 0; i < per_round; i++) {
            http_parser_init(&p);
            int rc = http_parse_request(&p, (const uint8_t *)head, n, &lim_default, &req);
            sink += (uint32_t)rc + req.n_headers;
        }
        double ns = (cpu_ns() - t0) / (double)per_round;
        if (r == 0 || ns < best)
            best = ns;
    }
    print_message("bench: %zu-byte head, %u headers: %.1f ns/op, %.0f MB/s "
                  "(best of %d rounds of %ld, thread CPU time)\n",
                  n, req.n_headers, best, (double)n / best * 1e3, ROUNDS, per_round);
    assert_true(sink != 0);
}

static void run_bench(void **state)
{
    long iters = *(const long *)*state;

    bench_one(bench_small, iters);
    bench_one(bench_large, iters);
}

/* ---- main ---------------------------------------------------------------- */

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_origin_form_fields),
        cmocka_unit_test(test_query_forms),
        cmocka_unit_test(test_absolute_form_fields),
        cmocka_unit_test(test_asterisk_form),
        cmocka_unit_test(test_method_ids),
        cmocka_unit_test(test_headers_in_order),
        cmocka_unit_test(test_framing_flags),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_host_values),
        cmocka_unit_test(test_leading_crlf),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_need_more),
        cmocka_unit_test(test_early_errors),
        cmocka_unit_test(test_req_untouched_on_error),
        cmocka_unit_test(test_limit_request_line),
        cmocka_unit_test(test_limit_header_size),
        cmocka_unit_test(test_limit_header_count),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_name_eq),
        cmocka_unit_test(test_list_has_token),
        cmocka_unit_test(test_ctype_table),
        cmocka_unit_test(test_every_byte),
    };
    enum { N_VECTORS = sizeof vectors / sizeof vectors[0], N_FIXED = sizeof fixed / sizeof fixed[0] };
    /* One named test per vector, so a failure names the vector. */
    static struct CMUnitTest all[N_VECTORS + N_FIXED];

    for (size_t i = 0; i < N_VECTORS; i++)
        all[i] = (struct CMUnitTest){.name = vectors[i].name,
                                     .test_func = run_vector,
                                     .initial_state = (void *)&vectors[i]};
    for (size_t i = 0; i < N_FIXED; i++)
        all[N_VECTORS + i] = fixed[i];
    int failed = _cmocka_run_group_tests("http_parse", all, N_VECTORS + N_FIXED, NULL, NULL);
    const char *env = getenv("KILN_BENCH_ITERS");
    static long iters;
    if (failed == 0 && env != NULL && (iters = atol(env)) > 0) {
        const struct CMUnitTest bench[] = {cmocka_unit_test_prestate(run_bench, &iters)};
        failed = _cmocka_run_group_tests("http_parse_bench", bench, 1, NULL, NULL);
    }
    return failed;
}
