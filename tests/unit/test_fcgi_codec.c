/*
 * test_fcgi_codec.c - FastCGI record/params codec and response reader.
 *
 * The reader tests feed every stream three ways (one shot, split at every
 * byte position, one byte at a time) and require the same outcome, with
 * every returned span inside the piece it came from. Pieces are copied into
 * exact-size heap blocks so AddressSanitizer sees any read past a piece.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fcgi_codec.h"

/* ---- helpers --------------------------------------------------------------- */

/* Append one record to out; returns its total size. */
static size_t rec(uint8_t *out, uint8_t type, uint16_t id, const void *content, size_t clen,
                  uint8_t pad)
{
    fcgi_header_encode(out, type, id, (uint16_t)clen, pad);
    if (clen > 0)
        memcpy(out + FCGI_HEADER_LEN, content, clen);
    memset(out + FCGI_HEADER_LEN + clen, 0xAA, pad); /* padding content is arbitrary */
    return FCGI_HEADER_LEN + clen + pad;
}

static size_t rec_end(uint8_t *out, uint16_t id, uint32_t app_status, uint8_t proto, uint8_t pad)
{
    uint8_t body[8] = {(uint8_t)(app_status >> 24), (uint8_t)(app_status >> 16),
                       (uint8_t)(app_status >> 8), (uint8_t)app_status, proto, 0, 0, 0};
    return rec(out, FCGI_END_REQUEST, id, body, sizeof body, pad);
}

#define OUT_CAP (1u << 18)

struct outcome {
    uint8_t *out; /* STDOUT content, concatenated */
    size_t out_len;
    uint8_t *err; /* STDERR content, concatenated */
    size_t err_len;
    int n_stdout_eof; /* empty STDOUT events */
    int ended;
    uint32_t app_status;
    uint8_t protocol_status;
    int failed;
    const char *error;
    size_t consumed; /* bytes consumed in total */
};

static void outcome_init(struct outcome *o)
{
    memset(o, 0, sizeof *o);
    o->out = calloc(1, OUT_CAP);
    o->err = calloc(1, OUT_CAP);
    assert_non_null(o->out);
    assert_non_null(o->err);
}

static void outcome_free(struct outcome *o)
{
    free(o->out);
    free(o->err);
}

/* Feed one piece; returns 0 to go on, 1 once the reader failed. */
static int feed_piece(struct fcgi_reader *r, const uint8_t *src, size_t plen, struct outcome *o)
{
    uint8_t *piece = malloc(plen ? plen : 1);
    assert_non_null(piece);
    memcpy(piece, src, plen);
    const uint8_t *p = piece;
    size_t len = plen;
    int stop = 0;

    while (len > 0 && !stop) {
        size_t used = 12345, dlen = 12345;
        const uint8_t *data = (const uint8_t *)"x";
        enum fcgi_event ev = fcgi_reader_next(r, p, len, &used, &data, &dlen);

        assert_true(used <= len);
        if (ev == FCGI_EV_STDOUT || ev == FCGI_EV_STDERR) {
            assert_non_null(data);
            assert_true(data >= piece && data + dlen <= piece + plen);
            assert_true(data >= p && data + dlen <= p + used);
        } else {
            assert_null(data);
            assert_int_equal(dlen, 0);
        }
        switch (ev) {
        case FCGI_EV_NEED_MORE:
            assert_int_equal(used, len); /* consumed everything given */
            break;
        case FCGI_EV_STDOUT:
            if (dlen == 0)
                o->n_stdout_eof++;
            assert_true(o->out_len + dlen <= OUT_CAP);
            memcpy(o->out + o->out_len, data, dlen);
            o->out_len += dlen;
            break;
        case FCGI_EV_STDERR:
            assert_true(dlen > 0); /* empty STDERR records produce no event */
            assert_true(o->err_len + dlen <= OUT_CAP);
            memcpy(o->err + o->err_len, data, dlen);
            o->err_len += dlen;
            break;
        case FCGI_EV_END:
            assert_false(o->ended);
            o->ended = 1;
            o->app_status = r->app_status;
            o->protocol_status = r->protocol_status;
            break;
        case FCGI_EV_ERROR:
            o->failed = 1;
            o->error = r->error;
            assert_non_null(r->error);
            stop = 1;
            break;
        }
        o->consumed += used;
        p += used;
        len -= used;
    }
    free(piece);
    return stop;
}

/* Feed stream[0..n) cut at the given ascending positions. */
static void run_cuts(const uint8_t *stream, size_t n, const size_t *cuts, size_t ncuts,
                     struct outcome *o)
{
    struct fcgi_reader r;
    size_t at = 0;

    fcgi_reader_init(&r, 1);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        if (feed_piece(&r, stream + at, end - at, o))
            break;
        at = end;
    }
}

static void assert_same(const struct outcome *a, const struct outcome *b)
{
    assert_int_equal(a->out_len, b->out_len);
    assert_memory_equal(a->out, b->out, a->out_len ? a->out_len : 1);
    assert_int_equal(a->err_len, b->err_len);
    assert_memory_equal(a->err, b->err, a->err_len ? a->err_len : 1);
    assert_int_equal(a->n_stdout_eof, b->n_stdout_eof);
    assert_int_equal(a->ended, b->ended);
    assert_int_equal(a->app_status, b->app_status);
    assert_int_equal(a->protocol_status, b->protocol_status);
    assert_int_equal(a->failed, b->failed);
    if (a->failed)
        assert_string_equal(a->error, b->error);
}

/*
 * Run the stream one-shot into *whole, then check that every two-piece
 * split and (for short streams) the byte-at-a-time feed agree with it.
 */
static void run_all_splits(const uint8_t *stream, size_t n, struct outcome *whole)
{
    outcome_init(whole);
    run_cuts(stream, n, NULL, 0, whole);

    size_t step = n > 4096 ? 61 : 1; /* long streams: a prime stride of cuts */
    for (size_t k = 1; k < n; k += step) {
        struct outcome o;
        outcome_init(&o);
        run_cuts(stream, n, &k, 1, &o);
        assert_same(whole, &o);
        outcome_free(&o);
    }
    if (n <= 4096) {
        size_t *cuts = malloc(n * sizeof *cuts);
        assert_non_null(cuts);
        for (size_t i = 1; i < n; i++)
            cuts[i - 1] = i;
        struct outcome o;
        outcome_init(&o);
        run_cuts(stream, n, cuts, n ? n - 1 : 0, &o);
        assert_same(whole, &o);
        outcome_free(&o);
        free(cuts);
    }
}

/* ---- record header ----------------------------------------------------------- */

static void test_header_round_trip(void **state)
{
    (void)state;
    static const uint8_t types[] = {FCGI_BEGIN_REQUEST, FCGI_STDOUT, FCGI_END_REQUEST, 0, 255};
    static const uint16_t ids[] = {0, 1, 0x00ff, 0x0100, 0xffff};
    static const uint16_t lens[] = {0, 1, 255, 256, 65535};
    static const uint8_t pads[] = {0, 1, 7, 255};

    for (size_t t = 0; t < sizeof types; t++)
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
            for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
                for (size_t p = 0; p < sizeof pads; p++) {
                    uint8_t b[FCGI_HEADER_LEN];
                    struct fcgi_header h;
                    fcgi_header_encode(b, types[t], ids[i], lens[l], pads[p]);
                    assert_int_equal(fcgi_header_decode(b, sizeof b, &h), FCGI_HEADER_LEN);
                    assert_int_equal(h.version, 1);
                    assert_int_equal(h.type, types[t]);
                    assert_int_equal(h.request_id, ids[i]);
                    assert_int_equal(h.content_length, lens[l]);
                    assert_int_equal(h.padding_length, pads[p]);
                }
}

static void test_header_bytes(void **state)
{
    (void)state;
    uint8_t b[FCGI_HEADER_LEN];
    static const uint8_t want[] = {1, 6, 0x12, 0x34, 0xab, 0xcd, 0x05, 0};

    fcgi_header_encode(b, FCGI_STDOUT, 0x1234, 0xabcd, 5);
    assert_memory_equal(b, want, sizeof want);
}

static void test_header_short_and_version(void **state)
{
    (void)state;
    uint8_t b[FCGI_HEADER_LEN];
    struct fcgi_header h;

    fcgi_header_encode(b, FCGI_STDOUT, 1, 10, 0);
    for (size_t n = 0; n < FCGI_HEADER_LEN; n++)
        assert_int_equal(fcgi_header_decode(b, n, &h), 0);
    b[0] = 0;
    assert_int_equal(fcgi_header_decode(b, sizeof b, &h), -1);
    b[0] = 2;
    assert_int_equal(fcgi_header_decode(b, sizeof b, &h), -1);
    b[0] = 0x81;
    assert_int_equal(fcgi_header_decode(b, sizeof b, &h), -1);
}

static void test_begin_request_bytes(void **state)
{
    (void)state;
    uint8_t b[16];
    static const uint8_t keep[] = {1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
    static const uint8_t close[] = {1, 1, 0xbe, 0xef, 0, 8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0};

    memset(b, 0xff, sizeof b);
    fcgi_begin_request_encode(b, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
    assert_memory_equal(b, keep, sizeof keep);
    memset(b, 0xff, sizeof b);
    fcgi_begin_request_encode(b, 0xbeef, FCGI_FILTER, 0);
    assert_memory_equal(b, close, sizeof close);
}

static void test_end_request_decode(void **state)
{
    (void)state;
    static const uint8_t body[9] = {0x01, 0x02, 0x03, 0x04, FCGI_UNKNOWN_ROLE, 9, 9, 9, 9};
    uint32_t app = 0;
    uint8_t proto = 0xff;

    assert_int_equal(fcgi_end_request_decode(body, 8, &app, &proto), 0);
    assert_int_equal(app, 0x01020304u);
    assert_int_equal(proto, FCGI_UNKNOWN_ROLE);

    static const uint8_t high[8] = {0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0};
    assert_int_equal(fcgi_end_request_decode(high, 8, &app, &proto), 0);
    assert_int_equal(app, 0xfffffffeu);
    assert_int_equal(proto, FCGI_REQUEST_COMPLETE);

    assert_int_equal(fcgi_end_request_decode(body, 7, &app, &proto), -1);
    assert_int_equal(fcgi_end_request_decode(body, 9, &app, &proto), -1);
    assert_int_equal(fcgi_end_request_decode(body, 0, &app, &proto), -1);
}

/* ---- name-value pairs ------------------------------------------------------------ */

static void check_pair(size_t name_len, size_t value_len)
{
    char *name = malloc(name_len ? name_len : 1);
    char *value = malloc(value_len ? value_len : 1);
    assert_non_null(name);
    assert_non_null(value);
    for (size_t i = 0; i < name_len; i++)
        name[i] = (char)('A' + i % 26);
    for (size_t i = 0; i < value_len; i++)
        value[i] = (char)(i * 7);

    size_t size = fcgi_param_size(name_len, value_len);
    size_t hdr = (name_len < 128 ? 1 : 4) + (value_len < 128 ? 1 : 4);
    assert_int_equal(size, hdr + name_len + value_len);

    uint8_t *buf = malloc(size);
    assert_non_null(buf);
    assert_int_equal(fcgi_param_encode(buf, name, name_len, value, value_len), size);

    /* The length prefixes, byte by byte. */
    const uint8_t *p = buf;
    size_t lens[2] = {name_len, value_len};
    for (int k = 0; k < 2; k++) {
        if (lens[k] < 128) {
            assert_int_equal(*p, lens[k]);
            p += 1;
        } else {
            assert_int_equal(p[0], 0x80 | (lens[k] >> 24));
            assert_int_equal(p[1], (uint8_t)(lens[k] >> 16));
            assert_int_equal(p[2], (uint8_t)(lens[k] >> 8));
            assert_int_equal(p[3], (uint8_t)lens[k]);
            p += 4;
        }
    }

    const uint8_t *n, *v;
    uint32_t nl, vl;
    assert_int_equal(fcgi_param_decode(buf, size, &n, &nl, &v, &vl), (int)size);
    assert_int_equal(nl, name_len);
    assert_int_equal(vl, value_len);
    assert_ptr_equal(n, buf + hdr);
    assert_ptr_equal(v, buf + hdr + name_len);
    if (name_len)
        assert_memory_equal(n, name, name_len);
    if (value_len)
        assert_memory_equal(v, value, value_len);

    /* Every proper prefix is "need more". Long pairs: check a sample. */
    size_t stride = size > 1024 ? 509 : 1;
    for (size_t k = 0; k < size; k += stride)
        assert_int_equal(fcgi_param_decode(buf, k, &n, &nl, &v, &vl), 0);
    assert_int_equal(fcgi_param_decode(buf, size - 1, &n, &nl, &v, &vl), 0);

    free(buf);
    free(name);
    free(value);
}

static void test_params_lengths(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 127, 128, 65535, 65536, (1u << 20) + 3};

    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        check_pair(lens[i], 0);
        check_pair(0, lens[i]);
        check_pair(lens[i], 5);
        check_pair(11, lens[i]);
    }
    check_pair(127, 128);
    check_pair(128, 127);
}

static void test_params_null_empty(void **state)
{
    (void)state;
    uint8_t buf[2];
    const uint8_t *n, *v;
    uint32_t nl, vl;

    assert_int_equal(fcgi_param_encode(buf, NULL, 0, NULL, 0), 2);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[1], 0);
    assert_int_equal(fcgi_param_decode(buf, 2, &n, &nl, &v, &vl), 2);
    assert_int_equal(nl, 0);
    assert_int_equal(vl, 0);
    assert_int_equal(fcgi_param_decode(buf, 0, &n, &nl, &v, &vl), 0);
}

static void test_params_long_form_small_length(void **state)
{
    (void)state;
    /* The spec allows the 4-byte form for any length. */
    static const uint8_t buf[] = {0x80, 0, 0, 3, 0x80, 0, 0, 2, 'F', 'O', 'O', 'h', 'i'};
    const uint8_t *n, *v;
    uint32_t nl, vl;

    assert_int_equal(fcgi_param_decode(buf, sizeof buf, &n, &nl, &v, &vl), (int)sizeof buf);
    assert_int_equal(nl, 3);
    assert_int_equal(vl, 2);
    assert_memory_equal(n, "FOO", 3);
    assert_memory_equal(v, "hi", 2);
}

static void test_params_huge_lengths(void **state)
{
    (void)state;
    /* Declared lengths far beyond the buffer: incomplete, never a wild read. */
    static const uint8_t buf[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x'};
    const uint8_t *n, *v;
    uint32_t nl, vl;

    assert_int_equal(fcgi_param_decode(buf, sizeof buf, &n, &nl, &v, &vl), 0);
}

static void test_params_sequence(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t len = 0;
    char big[200];
    memset(big, 'v', sizeof big);

    len += fcgi_param_encode(buf + len, "A", 1, "1", 1);
    len += fcgi_param_encode(buf + len, "EMPTY", 5, "", 0);
    len += fcgi_param_encode(buf + len, "BIG", 3, big, sizeof big);

    const uint8_t *p = buf, *n, *v;
    uint32_t nl, vl;
    int used;
    const char *names[] = {"A", "EMPTY", "BIG"};
    size_t vlens[] = {1, 0, sizeof big};
    size_t i = 0;
    while ((used = fcgi_param_decode(p, len - (size_t)(p - buf), &n, &nl, &v, &vl)) > 0) {
        assert_true(i < 3);
        assert_int_equal(nl, strlen(names[i]));
        assert_memory_equal(n, names[i], nl);
        assert_int_equal(vl, vlens[i]);
        p += used;
        i++;
    }
    assert_int_equal(i, 3);
    assert_ptr_equal(p, buf + len);
}

/* ---- response reader ------------------------------------------------------------- */

static void test_reader_simple(void **state)
{
    (void)state;
    uint8_t s[256];
    size_t n = 0;
    static const char body[] = "Content-type: text/html\r\n\r\nhello";

    n += rec(s + n, FCGI_STDOUT, 1, body, sizeof body - 1, 0);
    n += rec(s + n, FCGI_STDOUT, 1, NULL, 0, 0);
    n += rec_end(s + n, 1, 0, FCGI_REQUEST_COMPLETE, 0);

    struct outcome o;
    run_all_splits(s, n, &o);
    assert_int_equal(o.out_len, sizeof body - 1);
    assert_memory_equal(o.out, body, sizeof body - 1);
    assert_int_equal(o.err_len, 0);
    assert_int_equal(o.n_stdout_eof, 1);
    assert_true(o.ended);
    assert_false(o.failed);
    assert_int_equal(o.app_status, 0);
    assert_int_equal(o.protocol_status, FCGI_REQUEST_COMPLETE);
    assert_int_equal(o.consumed, n);
    outcome_free(&o);
}

static void test_reader_interleaved_and_padding(void **state)
{
    (void)state;
    uint8_t s[512];
    size_t n = 0;

    n += rec(s + n, FCGI_STDERR, 1, "PHP Warning: ", 13, 3);
    n += rec(s + n, FCGI_STDOUT, 1, "Status: 404 Not Found\r\n", 23, 1);
    n += rec(s + n, FCGI_STDERR, 1, "oops", 4, 4);
    n += rec(s + n, FCGI_STDERR, 1, NULL, 0, 7); /* empty STDERR: no event */
    n += rec(s + n, FCGI_STDOUT, 1, "\r\nbody", 6, 2);
    n += rec(s + n, FCGI_STDOUT, 1, NULL, 0, 5); /* padded end of stream */
    n += rec(s + n, FCGI_STDERR, 1, "late", 4, 0); /* STDERR may follow */
    n += rec_end(s + n, 1, 255, FCGI_REQUEST_COMPLETE, 0);

    struct outcome o;
    run_all_splits(s, n, &o);
    assert_int_equal(o.out_len, 29);
    assert_memory_equal(o.out, "Status: 404 Not Found\r\n\r\nbody", 29);
    assert_int_equal(o.err_len, 21);
    assert_memory_equal(o.err, "PHP Warning: oopslate", 21);
    assert_int_equal(o.n_stdout_eof, 1);
    assert_true(o.ended);
    assert_false(o.failed);
    assert_int_equal(o.app_status, 255);
    outcome_free(&o);
}

static void test_reader_end_padding(void **state)
{
    (void)state;
    uint8_t s[128];
    size_t n = 0;

    n += rec(s + n, FCGI_STDOUT, 1, "x", 1, 7);
    n += rec(s + n, FCGI_STDOUT, 1, NULL, 0, 0);
    n += rec_end(s + n, 1, 7, FCGI_OVERLOADED, 8);

    struct outcome o;
    run_all_splits(s, n, &o);
    assert_true(o.ended);
    assert_false(o.failed);
    assert_int_equal(o.protocol_status, FCGI_OVERLOADED);
    assert_int_equal(o.app_status, 7);
    outcome_free(&o);

    /* END is not reported before its padding has arrived. */
    struct fcgi_reader r;
    size_t used;
    const uint8_t *d;
    size_t dl;
    fcgi_reader_init(&r, 1);
    size_t before_pad = n - 8;
    size_t at = 0;
    while (at < before_pad) {
        enum fcgi_event ev = fcgi_reader_next(&r, s + at, before_pad - at, &used, &d, &dl);
        assert_int_not_equal(ev, FCGI_EV_END);
        assert_int_not_equal(ev, FCGI_EV_ERROR);
        at += used;
    }
    assert_int_equal(fcgi_reader_next(&r, s + at, 7, &used, &d, &dl), FCGI_EV_NEED_MORE);
    assert_int_equal(used, 7);
    assert_int_equal(fcgi_reader_next(&r, s + at + 7, 1, &used, &d, &dl), FCGI_EV_END);
    assert_int_equal(used, 1);
}

static void test_reader_empty_stdout_span(void **state)
{
    (void)state;
    uint8_t s[64];
    size_t n = rec(s, FCGI_STDOUT, 1, NULL, 0, 0);
    n += rec_end(s + n, 1, 0, 0, 0);
    struct fcgi_reader r;
    size_t used;
    const uint8_t *d;
    size_t dl = 99;

    fcgi_reader_init(&r, 1);
    assert_int_equal(fcgi_reader_next(&r, s, n, &used, &d, &dl), FCGI_EV_STDOUT);
    assert_int_equal(used, FCGI_HEADER_LEN);
    assert_int_equal(dl, 0);
    assert_ptr_equal(d, s + FCGI_HEADER_LEN);
    assert_true(r.stdout_closed);
    assert_int_equal(fcgi_reader_next(&r, s + used, n - used, &used, &d, &dl), FCGI_EV_END);
}

static void test_reader_stdout_without_close(void **state)
{
    (void)state;
    /* Some responders end with END_REQUEST and no empty STDOUT record. */
    uint8_t s[64];
    size_t n = rec(s, FCGI_STDOUT, 1, "abc", 3, 0);
    n += rec_end(s + n, 1, 0, 0, 0);
    struct outcome o;
    run_all_splits(s, n, &o);
    assert_true(o.ended);
    assert_false(o.failed);
    assert_int_equal(o.n_stdout_eof, 0);
    assert_int_equal(o.out_len, 3);
    outcome_free(&o);
}

static void expect_error(const uint8_t *s, size_t n, const char *why, size_t out_len)
{
    struct outcome o;
    run_all_splits(s, n, &o);
    assert_true(o.failed);
    assert_false(o.ended);
    assert_string_equal(o.error, why);
    assert_int_equal(o.out_len, out_len);
    outcome_free(&o);
}

static void test_reader_wrong_request_id(void **state)
{
    (void)state;
    uint8_t s[64];
    size_t n = rec(s, FCGI_STDOUT, 1, "ok", 2, 0);
    n += rec(s + n, FCGI_STDOUT, 2, "no", 2, 0);
    expect_error(s, n, "record for another request id", 2);

    n = rec(s, FCGI_END_REQUEST, 0, "\0\0\0\0\0\0\0\0", 8, 0); /* management id */
    expect_error(s, n, "record for another request id", 0);
}

/* Strays of an earlier request (its id) before any record of this one:
 * `foreign` with `answered` still 0; after a record of ours, `answered`. */
static void test_reader_foreign_flags(void **state)
{
    (void)state;
    uint8_t s[64];
    struct fcgi_reader r;
    size_t used, dlen;
    const uint8_t *data;

    size_t n = rec(s, FCGI_STDOUT, 6, "X-Injected: 1\r\n\r\n", 17, 0);
    fcgi_reader_init(&r, 7);
    assert_int_equal(fcgi_reader_next(&r, s, n, &used, &data, &dlen), FCGI_EV_ERROR);
    assert_true(r.foreign);
    assert_false(r.answered);

    n = rec(s, FCGI_STDOUT, 7, "ok", 2, 0);
    n += rec(s + n, FCGI_STDOUT, 6, "no", 2, 0);
    fcgi_reader_init(&r, 7);
    enum fcgi_event ev;
    size_t off = 0;
    while ((ev = fcgi_reader_next(&r, s + off, n - off, &used, &data, &dlen)) == FCGI_EV_STDOUT)
        off += used;
    assert_int_equal(ev, FCGI_EV_ERROR);
    assert_true(r.foreign);
    assert_true(r.answered);

    /* Other errors are not foreign. */
    n = rec(s, 42, 7, "\0\0\0\0\0\0\0\0", 8, 0);
    fcgi_reader_init(&r, 7);
    assert_int_equal(fcgi_reader_next(&r, s, n, &used, &data, &dlen), FCGI_EV_ERROR);
    assert_false(r.foreign);
}

/* A request encoded with one id is re-labelled for the connection that
 * carries it: every record header, and nothing else, changes. */
static void test_records_set_id(void **state)
{
    (void)state;
    uint8_t s[256], orig[256];
    size_t n = 0;
    n += rec(s + n, FCGI_PARAMS, 1, "\x03\x01" "abc" "d", 6, 2);
    n += rec(s + n, FCGI_PARAMS, 1, NULL, 0, 0);
    n += rec(s + n, FCGI_STDIN, 1, "body", 4, 4);
    n += rec(s + n, FCGI_STDIN, 1, NULL, 0, 0);
    memcpy(orig, s, n);

    assert_int_equal(fcgi_records_set_id(s, n, 0x1234), 0);
    size_t off = 0;
    int records = 0;
    while (off < n) {
        struct fcgi_header h;
        assert_int_equal(fcgi_header_decode(s + off, n - off, &h), 8);
        assert_int_equal(h.request_id, 0x1234);
        size_t total = 8 + h.content_length + h.padding_length;
        assert_memory_equal(s + off + 4, orig + off + 4, total - 4);
        assert_memory_equal(s + off, orig + off, 2);
        off += total;
        records++;
    }
    assert_int_equal(records, 4);
    assert_int_equal(fcgi_records_set_id(s, 0, 9), 0);
    /* Not on a record boundary: refused. */
    assert_int_equal(fcgi_records_set_id(s, n - 1, 9), -1);
    assert_int_equal(fcgi_records_set_id(s, 5, 9), -1);
}

static void test_reader_wrong_version(void **state)
{
    (void)state;
    uint8_t s[64];
    size_t n = rec(s, FCGI_STDOUT, 1, "ok", 2, 0);
    size_t second = n;
    n += rec(s + n, FCGI_STDOUT, 1, "no", 2, 0);
    s[second] = 2;
    expect_error(s, n, "record version is not 1", 2);
}

static void test_reader_unknown_type(void **state)
{
    (void)state;
    static const uint8_t types[] = {0,
                                    FCGI_BEGIN_REQUEST,
                                    FCGI_ABORT_REQUEST,
                                    FCGI_PARAMS,
                                    FCGI_STDIN,
                                    FCGI_DATA,
                                    FCGI_GET_VALUES,
                                    FCGI_GET_VALUES_RESULT,
                                    FCGI_UNKNOWN_TYPE,
                                    12,
                                    255};
    for (size_t i = 0; i < sizeof types; i++) {
        uint8_t s[64];
        size_t n = rec(s, types[i], 1, "abcdefgh", 8, 0);
        expect_error(s, n, "unexpected record type", 0);
    }
}

static void test_reader_end_wrong_length(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 7, 9, 16};
    uint8_t body[16] = {0};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        uint8_t s[64];
        size_t n = rec(s, FCGI_STDOUT, 1, "ab", 2, 0);
        n += rec(s + n, FCGI_END_REQUEST, 1, body, lens[i], 0);
        expect_error(s, n, "END_REQUEST body is not 8 bytes", 2);
    }
}

static void test_reader_data_after_end(void **state)
{
    (void)state;
    uint8_t s[64];
    size_t n = rec(s, FCGI_STDOUT, 1, NULL, 0, 0);
    n += rec_end(s + n, 1, 0, 0, 0);
    s[n++] = 1; /* a single stray byte is enough */

    struct outcome o;
    run_all_splits(s, n, &o);
    assert_true(o.ended);
    assert_true(o.failed);
    assert_string_equal(o.error, "data after END_REQUEST");
    assert_int_equal(o.consumed, n - 1);
    outcome_free(&o);

    /* A whole second response after END is refused too. */
    n = rec_end(s, 1, 0, 0, 0);
    n += rec(s + n, FCGI_STDOUT, 1, "x", 1, 0);
    run_all_splits(s, n, &o);
    assert_true(o.ended);
    assert_true(o.failed);
    assert_int_equal(o.out_len, 0);
    outcome_free(&o);
}

static void test_reader_stdout_after_close(void **state)
{
    (void)state;
    uint8_t s[64];
    size_t n = rec(s, FCGI_STDOUT, 1, "a", 1, 0);
    n += rec(s + n, FCGI_STDOUT, 1, NULL, 0, 0);
    n += rec(s + n, FCGI_STDOUT, 1, "b", 1, 0);
    expect_error(s, n, "STDOUT after the end of STDOUT", 1);

    /* A second empty STDOUT record is a second end of stream: refused. */
    n = rec(s, FCGI_STDOUT, 1, NULL, 0, 0);
    n += rec(s + n, FCGI_STDOUT, 1, NULL, 0, 0);
    n += rec_end(s + n, 1, 0, 0, 0);
    expect_error(s, n, "STDOUT after the end of STDOUT", 0);
}

static void test_reader_error_is_sticky(void **state)
{
    (void)state;
    uint8_t s[64];
    size_t n = rec(s, FCGI_PARAMS, 1, NULL, 0, 0);
    n += rec(s + n, FCGI_STDOUT, 1, "ok", 2, 0);
    struct fcgi_reader r;
    size_t used;
    const uint8_t *d;
    size_t dl;

    fcgi_reader_init(&r, 1);
    assert_int_equal(fcgi_reader_next(&r, s, n, &used, &d, &dl), FCGI_EV_ERROR);
    assert_int_equal(used, FCGI_HEADER_LEN);
    assert_int_equal(fcgi_reader_next(&r, s + used, n - used, &used, &d, &dl), FCGI_EV_ERROR);
    assert_int_equal(used, 0);
    assert_int_equal(fcgi_reader_next(&r, s, 0, &used, &d, &dl), FCGI_EV_ERROR);
    assert_int_equal(used, 0);
}

static void test_reader_max_record(void **state)
{
    (void)state;
    size_t cap = 3 * (FCGI_HEADER_LEN + 65535 + 255) + 64;
    uint8_t *s = malloc(cap);
    uint8_t *content = malloc(65535);
    assert_non_null(s);
    assert_non_null(content);
    for (size_t i = 0; i < 65535; i++)
        content[i] = (uint8_t)(i * 31 + 7);

    size_t n = 0;
    n += rec(s + n, FCGI_STDOUT, 1, content, 65535, 1); /* PHP-FPM pads to 8 */
    n += rec(s + n, FCGI_STDERR, 1, content, 65535, 255);
    n += rec(s + n, FCGI_STDOUT, 1, content, 100, 4);
    n += rec(s + n, FCGI_STDOUT, 1, NULL, 0, 0);
    n += rec_end(s + n, 1, 0, 0, 0);

    struct outcome o;
    run_all_splits(s, n, &o);
    assert_true(o.ended);
    assert_false(o.failed);
    assert_int_equal(o.out_len, 65535 + 100);
    assert_memory_equal(o.out, content, 65535);
    assert_memory_equal(o.out + 65535, content, 100);
    assert_int_equal(o.err_len, 65535);
    assert_memory_equal(o.err, content, 65535);
    outcome_free(&o);
    free(content);
    free(s);
}

static void test_reader_one_shot_spans(void **state)
{
    (void)state;
    /* One call per content record, each a span of the input itself. */
    uint8_t s[128];
    size_t n = rec(s, FCGI_STDOUT, 1, "hello", 5, 3);
    n += rec(s + n, FCGI_STDERR, 1, "err", 3, 0);
    struct fcgi_reader r;
    size_t used;
    const uint8_t *d;
    size_t dl;

    fcgi_reader_init(&r, 1);
    assert_int_equal(fcgi_reader_next(&r, s, n, &used, &d, &dl), FCGI_EV_STDOUT);
    assert_ptr_equal(d, s + FCGI_HEADER_LEN);
    assert_int_equal(dl, 5);
    assert_int_equal(used, FCGI_HEADER_LEN + 5);
    size_t at = used;
    assert_int_equal(fcgi_reader_next(&r, s + at, n - at, &used, &d, &dl), FCGI_EV_STDERR);
    assert_ptr_equal(d, s + 2 * FCGI_HEADER_LEN + 5 + 3);
    assert_int_equal(dl, 3);
    at += used;
    assert_int_equal(at, n);
    assert_int_equal(fcgi_reader_next(&r, s + at, 0, &used, &d, &dl), FCGI_EV_NEED_MORE);
    assert_int_equal(used, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_round_trip),
        cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_header_short_and_version),
        cmocka_unit_test(test_begin_request_bytes),
        cmocka_unit_test(test_end_request_decode),
        cmocka_unit_test(test_params_lengths),
        cmocka_unit_test(test_params_null_empty),
        cmocka_unit_test(test_params_long_form_small_length),
        cmocka_unit_test(test_params_huge_lengths),
        cmocka_unit_test(test_params_sequence),
        cmocka_unit_test(test_reader_simple),
        cmocka_unit_test(test_reader_interleaved_and_padding),
        cmocka_unit_test(test_reader_end_padding),
        cmocka_unit_test(test_reader_empty_stdout_span),
        cmocka_unit_test(test_reader_stdout_without_close),
        cmocka_unit_test(test_reader_wrong_request_id),
        cmocka_unit_test(test_reader_foreign_flags),
        cmocka_unit_test(test_records_set_id),
        cmocka_unit_test(test_reader_wrong_version),
        cmocka_unit_test(test_reader_unknown_type),
        cmocka_unit_test(test_reader_end_wrong_length),
        cmocka_unit_test(test_reader_data_after_end),
        cmocka_unit_test(test_reader_stdout_after_close),
        cmocka_unit_test(test_reader_error_is_sticky),
        cmocka_unit_test(test_reader_max_record),
        cmocka_unit_test(test_reader_one_shot_spans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
