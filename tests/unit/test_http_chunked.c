/*
 * test_http_chunked.c - the chunked request body decoder.
 *
 * Every body is decoded three ways, the way a connection feeds it (bytes not
 * consumed are kept and handed in again with the next piece): in one piece,
 * split in two at every position, and one byte at a time. All three must
 * give the same result, the same data and stop at the same byte. Each call
 * gets an exact-size heap copy of what it may read, so AddressSanitizer sees
 * any read past it, and every returned span is checked to lie in the input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_chunked.h"

#define DEFAULT_MAX ((uint64_t)1 << 20)

/* ---- harness -------------------------------------------------------------- */

struct decoded {
    int rc;
    int done;
    size_t end;     /* input bytes consumed in all */
    uint8_t *data;  /* the data spans, joined */
    size_t data_len;
    uint64_t total; /* the decoder's own count */
};

static void decoded_free(struct decoded *d)
{
    free(d->data);
    memset(d, 0, sizeof *d);
}

/* One call on an exact copy of in[0..n); appends the span to out. */
static int call(struct chunked_decoder *dec, struct decoded *out, const uint8_t *in, size_t n,
                size_t *consumed)
{
    uint8_t *piece = malloc(n ? n : 1);
    const uint8_t *data = (const uint8_t *)"x";
    size_t data_len = 12345;
    uint64_t before = dec->total;

    assert_non_null(piece);
    if (n > 0)
        memcpy(piece, in, n);
    *consumed = 12345;
    int rc = chunked_decode(dec, piece, n, consumed, &data, &data_len);
    if (rc != CHUNKED_OK) {
        assert_int_equal(*consumed, 0);
        assert_int_equal(data_len, 0);
    }
    assert_true(*consumed <= n);
    assert_true(data_len <= *consumed);
    if (data_len > 0) {
        /* the call stops right after its data span */
        assert_ptr_equal(data + data_len, piece + *consumed);
        memcpy(out->data + out->data_len, data, data_len);
        out->data_len += data_len;
    }
    assert_true(dec->total == before + data_len);
    assert_true(dec->total <= dec->max_total);
    free(piece);
    return rc;
}

/*
 * Feed in[0..n), revealing it at the cut points cuts[0] < cuts[1] < ... = n,
 * like a connection: consumed bytes are dropped, the rest is handed in again
 * with more.
 */
static void decode_cuts(struct decoded *out, const uint8_t *in, size_t n, const size_t *cuts,
                        size_t n_cuts, uint64_t max)
{
    struct chunked_decoder dec;
    size_t pos = 0, avail = 0, c = 0;

    memset(out, 0, sizeof *out);
    out->data = malloc(n ? n : 1);
    assert_non_null(out->data);
    chunked_init(&dec, max);
    for (;;) {
        size_t used;
        if (pos == avail) {
            if (c == n_cuts)
                break;
            avail = cuts[c++];
        }
        out->rc = call(&dec, out, in + pos, avail - pos, &used);
        if (out->rc != CHUNKED_OK)
            break;
        pos += used;
        if (dec.done) {
            /* nothing more is taken once done */
            size_t again;
            assert_int_equal(call(&dec, out, in + pos, n - pos, &again), CHUNKED_OK);
            assert_int_equal(again, 0);
            break;
        }
        if (used == 0) {
            if (c == n_cuts)
                break;
            avail = cuts[c++];
        }
    }
    out->done = dec.done;
    out->end = pos;
    out->total = dec.total;
    assert_true(out->total == out->data_len);
}

static void assert_same(const struct decoded *a, const struct decoded *b)
{
    assert_int_equal(a->rc, b->rc);
    if (a->rc != CHUNKED_OK)
        return;
    assert_int_equal(a->done, b->done);
    assert_int_equal(a->end, b->end);
    assert_int_equal(a->data_len, b->data_len);
    assert_memory_equal(a->data, b->data, a->data_len);
}

/* Decode every way; returns the one-piece result (decoded_free it). */
static struct decoded check_all(const void *s, size_t n, uint64_t max)
{
    const uint8_t *in = s;
    struct decoded whole, other;
    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    size_t step = n > 4096 ? n / 512 : 1;

    assert_non_null(cuts);
    cuts[0] = n;
    decode_cuts(&whole, in, n, cuts, 1, max);

    for (size_t k = 1; k < n; k += step) {
        cuts[0] = k;
        cuts[1] = n;
        decode_cuts(&other, in, n, cuts, 2, max);
        assert_same(&whole, &other);
        decoded_free(&other);
    }
    if (n <= 65536) {
        for (size_t k = 0; k < n; k++)
            cuts[k] = k + 1;
        decode_cuts(&other, in, n, cuts, n, max);
        assert_same(&whole, &other);
        decoded_free(&other);
    }
    free(cuts);
    return whole;
}

static struct decoded check_str(const char *s, uint64_t max)
{
    return check_all(s, strlen(s), max);
}

/* ---- vectors ------------------------------------------------------------ */

struct vector {
    const char *name;
    const char *bytes;
    size_t len;
    int rc;
    int done;        /* for CHUNKED_OK */
    size_t end;      /* for CHUNKED_OK: input consumed; SIZE_MAX = all of it */
    const char *data; /* for CHUNKED_OK: the decoded data */
    size_t data_len;
};

#define ALL SIZE_MAX
#define OKV(name, lit, data) {name, lit, sizeof(lit) - 1, CHUNKED_OK, 1, ALL, data, sizeof(data) - 1}
/* a body, then bytes that belong to the next request */
#define PIPE(name, body, rest, data)                                                      \
    {name, body rest, sizeof(body rest) - 1, CHUNKED_OK, 1, sizeof(body) - 1, data,      \
     sizeof(data) - 1}
/* valid so far, but incomplete */
#define MORE(name, lit, data) {name, lit, sizeof(lit) - 1, CHUNKED_OK, 0, ALL, data, sizeof(data) - 1}
#define ERR(name, lit) {name, lit, sizeof(lit) - 1, CHUNKED_ERROR, 0, 0, NULL, 0}
#define BIG(name, lit) {name, lit, sizeof(lit) - 1, CHUNKED_TOO_LARGE, 0, 0, NULL, 0}

static const struct vector vectors[] = {
    /* valid */
    OKV("empty body", "0\r\n\r\n", ""),
    OKV("one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello"),
    OKV("two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"),
    OKV("hex upper and lower",
        "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij"),
    OKV("hex letters", "1f\r\n0123456789abcdefghijklmnopqrstu\r\n0\r\n\r\n",
        "0123456789abcdefghijklmnopqrstu"),
    OKV("leading zeros", "0005\r\nhello\r\n0000\r\n\r\n", "hello"),
    OKV("sixteen digits", "0000000000000005\r\nhello\r\n0000000000000000\r\n\r\n", "hello"),
    OKV("data holding CRLF and a last-chunk", "7\r\n\r\n0\r\n\r\n\r\n0\r\n\r\n", "\r\n0\r\n\r\n"),
    OKV("binary data", "4\r\n\0\xff\r\x80\r\n0\r\n\r\n", "\0\xff\r\x80"),
    OKV("ext name", "5;a\r\nhello\r\n0\r\n\r\n", "hello"),
    OKV("ext token value", "5;a=b\r\nhello\r\n0\r\n\r\n", "hello"),
    OKV("ext quoted value", "5;a=\"b c\"\r\nhello\r\n0\r\n\r\n", "hello"),
    OKV("ext quoted-pair", "5;a=\"b\\\"c\\\\\"\r\nhello\r\n0\r\n\r\n", "hello"),
    OKV("ext empty quoted", "5;a=\"\"\r\nhello\r\n0\r\n\r\n", "hello"),
    OKV("ext quoted HTAB and obs-text", "5;a=\"\t\xe9;=,\"\r\nhello\r\n0\r\n\r\n", "hello"),
    OKV("ext BWS everywhere", "5 \t; a \t= \tb ;c\t;\td = \"e\"\r\nhello\r\n0\r\n\r\n", "hello"),
    OKV("ext several", "5;a=b;c=\"d\";e\r\nhello\r\n0\r\n\r\n", "hello"),
    OKV("ext token chars", "5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n", "hello"),
    OKV("ext on last chunk", "0;x=1\r\n\r\n", ""),
    OKV("trailer", "0\r\nX: y\r\n\r\n", ""),
    OKV("trailers", "5\r\nhello\r\n0\r\nA: 1\r\nB:2\r\nC: \t3 \t\r\n\r\n", "hello"),
    OKV("trailer empty value", "0\r\nX:\r\n\r\n", ""),
    OKV("trailer obs-text", "0\r\nX: \xe9\x80\xff\r\n\r\n", ""),
    OKV("trailer colon in value", "0\r\nX: a:b\r\n\r\n", ""),
    PIPE("pipelined request", "3\r\nabc\r\n0\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "abc"),
    PIPE("pipelined after trailers", "0\r\nX: y\r\n\r\n", "POST", ""),
    PIPE("pipelined CRLF", "0\r\n\r\n", "\r\n", ""),
    MORE("empty input", "", ""),
    MORE("size only", "5", ""),
    MORE("size line", "5\r\n", ""),
    MORE("part of the data", "5\r\nhel", "hel"),
    MORE("data and CR", "5\r\nhello\r", "hello"),
    MORE("in the ext", "5;a=\"b", ""),
    MORE("last-chunk line", "0\r\n", ""),
    MORE("in a trailer", "0\r\nX: y", ""),
    MORE("before final LF", "0\r\n\r", ""),
    MORE("size equal to max", "100000\r\n", ""),

    /* chunk-size */
    ERR("empty size line", "\r\n0\r\n\r\n"),
    ERR("non-hex size", "x\r\nhello\r\n"),
    ERR("minus sign", "-1\r\nh\r\n"),
    ERR("plus sign", "+5\r\nhello\r\n"),
    ERR("0x prefix", "0x5\r\nhello\r\n"),
    ERR("leading SP", " 5\r\nhello\r\n"),
    ERR("leading HTAB", "\t5\r\nhello\r\n"),
    ERR("BWS without ext", "5 \r\nhello\r\n"),
    ERR("two sizes", "5 5\r\nhello\r\n"),
    ERR("seventeen digits", "00000000000000005\r\nhello\r\n"),
    ERR("seventeen zeros", "00000000000000000\r\n\r\n"),
    ERR("size then junk", "5g\r\nhello\r\n"),
    ERR("comma after size", "5,\r\nhello\r\n"),
    ERR("NUL after size", "5\0\r\nhello\r\n"),
    ERR("bare LF after size", "5\nhello\r\n0\r\n\r\n"),
    ERR("CR CR after size", "5\r\r\nhello\r\n"),
    ERR("CR then junk after size", "5\rXhello\r\n"),
    ERR("LF CR after size", "5\n\rhello\r\n"),
    /* after the data */
    ERR("data not followed by CRLF", "5\r\nhelloX\r\n0\r\n\r\n"),
    ERR("data followed by bare LF", "5\r\nhello\n0\r\n\r\n"),
    ERR("data followed by CR only", "5\r\nhello\r0\r\n\r\n"),
    ERR("data followed by LF CR", "5\r\nhello\n\r0\r\n\r\n"),
    ERR("more data than size", "3\r\nhello\r\n0\r\n\r\n"),
    ERR("less data than size", "6\r\nhello\r\n0\r\n\r\n\r\n"),
    ERR("no CRLF before next size", "5\r\nhello5\r\nhello\r\n"),
    /* chunk-ext */
    ERR("ext empty", "5;\r\nhello\r\n"),
    ERR("ext empty name", "5;=b\r\nhello\r\n"),
    ERR("ext empty value", "5;a=\r\nhello\r\n"),
    ERR("ext name then space then name", "5;a b\r\nhello\r\n"),
    ERR("ext value then space then token", "5;a=b c\r\nhello\r\n"),
    ERR("ext trailing BWS", "5;a=b \r\nhello\r\n"),
    ERR("ext name trailing BWS", "5;a \r\nhello\r\n"),
    ERR("ext separator in name", "5;a(b\r\nhello\r\n"),
    ERR("ext separator in value", "5;a=b/c\r\nhello\r\n"),
    ERR("ext unterminated quote", "5;a=\"b\r\nhello\r\n"),
    ERR("ext junk after quote", "5;a=\"b\"c\r\nhello\r\n"),
    ERR("ext control in quote", "5;a=\"\x01\"\r\nhello\r\n"),
    ERR("ext DEL in quote", "5;a=\"\x7f\"\r\nhello\r\n"),
    ERR("ext quoted-pair of control", "5;a=\"\\\x01\"\r\nhello\r\n"),
    ERR("ext quoted-pair of CR", "5;a=\"\\\r\n\"\r\nhello\r\n"),
    ERR("ext bare LF", "5;a\nhello\r\n"),
    ERR("ext bare LF in value", "5;a=b\nhello\r\n"),
    ERR("ext NUL", "5;a=b\0\r\nhello\r\n"),
    ERR("ext double equals", "5;a==b\r\nhello\r\n"),
    ERR("ext obs-text name", "5;\xe9\r\nhello\r\n"),
    /* trailers */
    ERR("trailer SP before colon", "0\r\nX : y\r\n\r\n"),
    ERR("trailer HTAB before colon", "0\r\nX\t: y\r\n\r\n"),
    ERR("trailer leading SP", "0\r\n X: y\r\n\r\n"),
    ERR("trailer obs-fold", "0\r\nX: y\r\n z\r\n\r\n"),
    ERR("trailer no colon", "0\r\nX\r\n\r\n"),
    ERR("trailer empty name", "0\r\n: y\r\n\r\n"),
    ERR("trailer NUL in value", "0\r\nX: a\0b\r\n\r\n"),
    ERR("trailer NUL in name", "0\r\nX\0: b\r\n\r\n"),
    ERR("trailer DEL", "0\r\nX: \x7f\r\n\r\n"),
    ERR("trailer bare CR", "0\r\nX: a\rb\r\n\r\n"),
    ERR("trailer bare LF", "0\r\nX: y\n\r\n"),
    ERR("final bare LF", "0\r\n\n"),
    ERR("final CR junk", "0\r\n\rX"),
    ERR("final after trailer bare LF", "0\r\nX: y\r\n\n"),
    ERR("trailer obs-text name", "0\r\n\xe9: y\r\n\r\n"),
    /* limits */
    BIG("size over max", "100001\r\n"),
    BIG("sixteen F", "FFFFFFFFFFFFFFFF\r\n"),
    BIG("over max after leading zeros", "000000100001\r\n"),
};

static void run_vector(void **state)
{
    const struct vector *v = *state;
    struct decoded r = check_all(v->bytes, v->len, DEFAULT_MAX);

    if (r.rc != v->rc)
        print_error("expected %d, got %d\n", v->rc, r.rc);
    assert_int_equal(r.rc, v->rc);
    if (v->rc == CHUNKED_OK) {
        assert_int_equal(r.done, v->done);
        assert_int_equal(r.end, v->end == ALL ? v->len : v->end);
        assert_int_equal(r.data_len, v->data_len);
        assert_memory_equal(r.data, v->data, v->data_len);
    }
    decoded_free(&r);
}

/* ---- single calls -------------------------------------------------------- */

static int decode1(struct chunked_decoder *d, const char *s, size_t *consumed, const uint8_t **data,
                   size_t *data_len)
{
    return chunked_decode(d, (const uint8_t *)s, strlen(s), consumed, data, data_len);
}

/* One data span per call, zero-copy, and the call stops right after it. */
static void test_spans(void **state)
{
    (void)state;
    static const char body[] = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nNEXT";
    struct chunked_decoder d;
    const uint8_t *in = (const uint8_t *)body, *data;
    size_t n = sizeof body - 1, pos = 0, used, dlen;

    chunked_init(&d, 100);
    assert_int_equal(chunked_decode(&d, in, n, &used, &data, &dlen), CHUNKED_OK);
    assert_int_equal(used, 6);
    assert_ptr_equal(data, in + 3);
    assert_int_equal(dlen, 3);
    pos += used;
    assert_int_equal(chunked_decode(&d, in + pos, n - pos, &used, &data, &dlen), CHUNKED_OK);
    assert_int_equal(used, 7);
    assert_ptr_equal(data, in + 11);
    assert_int_equal(dlen, 2);
    pos += used;
    assert_int_equal(chunked_decode(&d, in + pos, n - pos, &used, &data, &dlen), CHUNKED_OK);
    assert_int_equal(used, 7);
    assert_int_equal(dlen, 0);
    assert_null(data);
    assert_true(d.done);
    assert_true(d.total == 5);
    pos += used;
    assert_memory_equal(in + pos, "NEXT", 4);
    assert_int_equal(chunked_decode(&d, in + pos, n - pos, &used, &data, &dlen), CHUNKED_OK);
    assert_int_equal(used, 0);
    assert_int_equal(dlen, 0);
}

/* Too large is known from the size line, before any of the data arrives. */
static void test_too_large_early(void **state)
{
    (void)state;
    struct chunked_decoder d;
    const uint8_t *data;
    size_t used, dlen;

    chunked_init(&d, 5);
    assert_int_equal(decode1(&d, "6", &used, &data, &dlen), CHUNKED_TOO_LARGE);
    assert_int_equal(used, 0);

    chunked_init(&d, 5);
    assert_int_equal(decode1(&d, "5\r\nhello\r\n", &used, &data, &dlen), CHUNKED_OK);
    assert_int_equal(decode1(&d, "\r\n", &used, &data, &dlen), CHUNKED_OK); /* the CRLF */
    assert_int_equal(decode1(&d, "1;x", &used, &data, &dlen), CHUNKED_TOO_LARGE);

    /* leading zeros do not make it larger */
    chunked_init(&d, 5);
    assert_int_equal(decode1(&d, "00000005\r\nhello\r\n0\r\n\r\n", &used, &data, &dlen),
                     CHUNKED_OK);

    /* exactly max_total over several chunks */
    struct decoded r = check_str("2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", 5);
    assert_int_equal(r.rc, CHUNKED_OK);
    assert_true(r.done);
    assert_true(r.total == 5);
    decoded_free(&r);
    r = check_str("2\r\nab\r\n4\r\ncdef\r\n0\r\n\r\n", 5);
    assert_int_equal(r.rc, CHUNKED_TOO_LARGE);
    assert_int_equal(r.data_len, 2); /* only the first chunk came out */
    decoded_free(&r);

    /* max_total 0: only an empty body */
    r = check_str("0\r\n\r\n", 0);
    assert_int_equal(r.rc, CHUNKED_OK);
    decoded_free(&r);
    r = check_str("1\r\na\r\n0\r\n\r\n", 0);
    assert_int_equal(r.rc, CHUNKED_TOO_LARGE);
    decoded_free(&r);
}

/* Sixteen digits fill 64 bits; the seventeenth is refused, whatever the limit. */
static void test_size_bounds(void **state)
{
    (void)state;
    struct chunked_decoder d;
    const uint8_t *data;
    size_t used, dlen;

    chunked_init(&d, UINT64_MAX);
    assert_int_equal(decode1(&d, "FFFFFFFFFFFFFFFF\r\nab", &used, &data, &dlen), CHUNKED_OK);
    assert_int_equal(used, 20);
    assert_int_equal(dlen, 2);
    assert_true(d.total == 2);

    chunked_init(&d, UINT64_MAX);
    assert_int_equal(decode1(&d, "10000000000000000", &used, &data, &dlen), CHUNKED_ERROR);

    /* with a limit that is not a power of two */
    chunked_init(&d, 1000);
    assert_int_equal(decode1(&d, "3e8\r\n", &used, &data, &dlen), CHUNKED_OK);
    chunked_init(&d, 1000);
    assert_int_equal(decode1(&d, "3e9\r\n", &used, &data, &dlen), CHUNKED_TOO_LARGE);
}

/* Errors stick: a failed decoder never takes input again. */
static void test_errors_stick(void **state)
{
    (void)state;
    struct chunked_decoder d;
    const uint8_t *data;
    size_t used, dlen;

    chunked_init(&d, 100);
    assert_int_equal(decode1(&d, "z", &used, &data, &dlen), CHUNKED_ERROR);
    assert_int_equal(decode1(&d, "0\r\n\r\n", &used, &data, &dlen), CHUNKED_ERROR);
    assert_int_equal(used, 0);
    assert_int_equal(dlen, 0);
    assert_false(d.done);

    chunked_init(&d, 1);
    assert_int_equal(decode1(&d, "2", &used, &data, &dlen), CHUNKED_TOO_LARGE);
    assert_int_equal(decode1(&d, "0\r\n\r\n", &used, &data, &dlen), CHUNKED_TOO_LARGE);
    assert_int_equal(used, 0);
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Size and trailer lines: CHUNKED_MAX_LINE bytes pass, one more fails. */
static void test_line_limit(void **state)
{
    (void)state;
    char *buf = malloc(2 * CHUNKED_MAX_LINE);
    assert_non_null(buf);

    for (int extra = 0; extra <= 1; extra++) {
        /* "1;" + name: the whole size line is CHUNKED_MAX_LINE + extra */
        char *name = repeat('n', CHUNKED_MAX_LINE - 2 + (size_t)extra);
        int n = snprintf(buf, 2 * CHUNKED_MAX_LINE, "1;%s\r\nx\r\n0\r\n\r\n", name);
        struct decoded r = check_all(buf, (size_t)n, DEFAULT_MAX);
        assert_int_equal(r.rc, extra ? CHUNKED_ERROR : CHUNKED_OK);
        decoded_free(&r);
        free(name);

        /* "X: " + value */
        char *value = repeat('v', CHUNKED_MAX_LINE - 3 + (size_t)extra);
        n = snprintf(buf, 2 * CHUNKED_MAX_LINE, "0\r\nX: %s\r\n\r\n", value);
        r = check_all(buf, (size_t)n, DEFAULT_MAX);
        assert_int_equal(r.rc, extra ? CHUNKED_ERROR : CHUNKED_OK);
        decoded_free(&r);
        free(value);
    }

    /* the count starts again on every line */
    char *value = repeat('v', CHUNKED_MAX_LINE - 3);
    free(buf);
    buf = malloc(3 * CHUNKED_MAX_LINE);
    assert_non_null(buf);
    int n = snprintf(buf, 3 * CHUNKED_MAX_LINE, "0\r\nX: %s\r\nY: %s\r\n\r\n", value, value);
    struct decoded r = check_all(buf, (size_t)n, DEFAULT_MAX);
    assert_int_equal(r.rc, CHUNKED_OK);
    assert_true(r.done);
    decoded_free(&r);
    free(value);
    free(buf);
}

static void test_trailer_count(void **state)
{
    (void)state;
    char buf[2048];

    for (int extra = 0; extra <= 1; extra++) {
        size_t n = (size_t)sprintf(buf, "0\r\n");
        for (int i = 0; i < CHUNKED_MAX_TRAILERS + extra; i++)
            n += (size_t)sprintf(buf + n, "T%d: v\r\n", i);
        n += (size_t)sprintf(buf + n, "\r\n");
        struct decoded r = check_all(buf, n, DEFAULT_MAX);
        assert_int_equal(r.rc, extra ? CHUNKED_ERROR : CHUNKED_OK);
        decoded_free(&r);
    }
}

/* A large body in large chunks: spans come out whole, and nothing is copied. */
static void test_large_body(void **state)
{
    (void)state;
    size_t chunk = 20000, n = 0;
    uint8_t *buf = malloc(3 * (chunk + 16) + 16);
    assert_non_null(buf);

    for (int i = 0; i < 3; i++) {
        n += (size_t)sprintf((char *)buf + n, "%zx\r\n", chunk);
        for (size_t j = 0; j < chunk; j++)
            buf[n + j] = (uint8_t)(j * 7 + (size_t)i);
        n += chunk;
        memcpy(buf + n, "\r\n", 2);
        n += 2;
    }
    memcpy(buf + n, "0\r\n\r\n", 5);
    n += 5;

    struct decoded r = check_all(buf, n, DEFAULT_MAX);
    assert_int_equal(r.rc, CHUNKED_OK);
    assert_true(r.done);
    assert_int_equal(r.end, n);
    assert_int_equal(r.data_len, 3 * chunk);
    for (size_t j = 0; j < r.data_len; j++)
        assert_int_equal(r.data[j], (uint8_t)((j % chunk) * 7 + j / chunk));
    decoded_free(&r);

    /* one call per chunk when all of it is there */
    struct chunked_decoder d;
    const uint8_t *data;
    size_t used, dlen, pos = 0;
    int calls = 0;
    chunked_init(&d, DEFAULT_MAX);
    while (!d.done) {
        assert_int_equal(chunked_decode(&d, buf + pos, n - pos, &used, &data, &dlen), CHUNKED_OK);
        assert_true(used > 0);
        pos += used;
        calls++;
    }
    assert_int_equal(calls, 4);
    free(buf);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_spans),          cmocka_unit_test(test_too_large_early),
        cmocka_unit_test(test_size_bounds),    cmocka_unit_test(test_errors_stick),
        cmocka_unit_test(test_line_limit),     cmocka_unit_test(test_trailer_count),
        cmocka_unit_test(test_large_body),
    };
    enum { N_VECTORS = sizeof vectors / sizeof vectors[0], N_FIXED = sizeof fixed / sizeof fixed[0] };
    static struct CMUnitTest all[N_VECTORS + N_FIXED];

    for (size_t i = 0; i < N_VECTORS; i++)
        all[i] = (struct CMUnitTest){.name = vectors[i].name,
                                     .test_func = run_vector,
                                     .initial_state = (void *)&vectors[i]};
    for (size_t i = 0; i < N_FIXED; i++)
        all[N_VECTORS + i] = fixed[i];
    return _cmocka_run_group_tests("http_chunked", all, N_VECTORS + N_FIXED, NULL, NULL);
}
