/*
 * test_cgi_response.c - CGI header block: end detection and strict parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgi_response.h"

#define MAXH 16

struct parsed {
    struct cgi_response r;
    struct cgi_header h[MAXH];
    const char *why;
    int rc;
};

/* Parse a whole block given as a C string; the block must be complete. */
static void parse_n(const char *block, uint32_t max_headers, struct parsed *out)
{
    size_t len = strlen(block);
    memset(out, 0, sizeof *out);
    out->r.headers = out->h;
    out->why = NULL;
    out->rc = cgi_parse_headers((const uint8_t *)block, len, &out->r, max_headers, &out->why);
    if (out->rc != 0)
        assert_non_null(out->why);
}

static void parse(const char *block, struct parsed *out)
{
    parse_n(block, MAXH, out);
}

static void assert_header(const struct cgi_header *h, const char *name, const char *value)
{
    assert_int_equal(h->name_len, strlen(name));
    assert_memory_equal(h->name, name, h->name_len);
    assert_int_equal(h->value_len, strlen(value));
    if (h->value_len)
        assert_memory_equal(h->value, value, h->value_len);
}

static void expect_fail(const char *block, const char *why)
{
    struct parsed p;
    parse(block, &p);
    if (p.rc != -1)
        fail_msg("accepted: %s", block);
    assert_string_equal(p.why, why);
}

static size_t end_of(const char *s)
{
    return cgi_header_end((const uint8_t *)s, strlen(s));
}

/* ---- cgi_header_end -------------------------------------------------------------- */

static void test_end_basic(void **state)
{
    (void)state;
    assert_int_equal(end_of("Content-Type: text/html\r\n\r\nbody"), 27);
    assert_int_equal(end_of("Content-Type: text/html\n\nbody"), 25);
    assert_int_equal(end_of("A: 1\r\n\nrest"), 7);
    assert_int_equal(end_of("A: 1\n\r\nrest"), 7);
    assert_int_equal(end_of("A: 1\r\nB: 2\r\n\r\n"), 14); /* blank line at the very end */
    assert_int_equal(end_of("\r\nbody"), 2);                /* no header lines */
    assert_int_equal(end_of("\nbody"), 1);
    /* Body bytes that look like a blank line do not matter: first one wins. */
    assert_int_equal(end_of("A: 1\n\n\n\n"), 6);
}

static void test_end_partial(void **state)
{
    (void)state;
    static const char *blocks[] = {
        "Status: 200 OK\r\nContent-Type: text/html\r\n\r\n",
        "X-Powered-By: PHP/8.2\nContent-type: text/html\n\n",
        "\r\n",
        "\n",
        "A:\r\n\n",
    };
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        size_t n = strlen(blocks[b]);
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(cgi_header_end((const uint8_t *)blocks[b], k), 0);
            /* Resumed after those k bytes: the same end, found in the rest. */
            assert_int_equal(cgi_header_end_from((const uint8_t *)blocks[b], n, k), n);
            for (size_t j = k; j < n; j++)
                assert_int_equal(cgi_header_end_from((const uint8_t *)blocks[b], j, k), 0);
        }
        assert_int_equal(cgi_header_end((const uint8_t *)blocks[b], n), n);
    }
    assert_int_equal(cgi_header_end(NULL, 0), 0);
    assert_int_equal(end_of("\r"), 0);
    assert_int_equal(end_of("A: 1\r\n\r"), 0);
    assert_int_equal(end_of("A: 1\r\n\rX"), 0); /* CR not followed by LF: not blank */
}

/* ---- parsing ----------------------------------------------------------------------- */

static void test_parse_php_response(void **state)
{
    (void)state;
    struct parsed p;
    parse("X-Powered-By: PHP/8.2.7\r\n"
          "Set-Cookie: a=1; path=/\r\n"
          "Set-Cookie: b=2; HttpOnly\r\n"
          "Content-type: text/html; charset=UTF-8\r\n"
          "\r\n",
          &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.status, 200);
    assert_false(p.r.has_status);
    assert_false(p.r.has_location);
    assert_null(p.r.reason);
    assert_int_equal(p.r.n_headers, 4);
    assert_header(&p.h[0], "X-Powered-By", "PHP/8.2.7");
    assert_header(&p.h[1], "Set-Cookie", "a=1; path=/");
    assert_header(&p.h[2], "Set-Cookie", "b=2; HttpOnly");
    assert_header(&p.h[3], "Content-type", "text/html; charset=UTF-8");
}

static void test_parse_lf_and_mixed(void **state)
{
    (void)state;
    struct parsed p;
    parse("A: 1\nB: 2\r\nC: 3\n\n", &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.n_headers, 3);
    assert_header(&p.h[0], "A", "1");
    assert_header(&p.h[1], "B", "2");
    assert_header(&p.h[2], "C", "3");
    parse("A: 1\r\n\n", &p);
    assert_int_equal(p.rc, 0);
    parse("A: 1\n\r\n", &p);
    assert_int_equal(p.rc, 0);
}

static void test_parse_empty_block(void **state)
{
    (void)state;
    struct parsed p;
    parse("\r\n", &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.n_headers, 0);
    assert_int_equal(p.r.status, 200);
    parse("\n", &p);
    assert_int_equal(p.rc, 0);
}

static void test_parse_status(void **state)
{
    (void)state;
    struct parsed p;

    parse("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n", &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.status, 404);
    assert_true(p.r.has_status);
    assert_int_equal(p.r.reason_len, 9);
    assert_memory_equal(p.r.reason, "Not Found", 9);
    assert_int_equal(p.r.n_headers, 1); /* Status is not a header */
    assert_header(&p.h[0], "Content-Type", "text/plain");

    parse("status:201\r\n\r\n", &p); /* no space, lower case, no reason */
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.status, 201);
    assert_null(p.r.reason);
    assert_int_equal(p.r.reason_len, 0);

    parse("STATUS: 599 Whatever It Is  \r\n\r\n", &p); /* trailing SP trimmed */
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.status, 599);
    assert_int_equal(p.r.reason_len, 14);
    assert_memory_equal(p.r.reason, "Whatever It Is", 14);

    parse("Status: 200 \r\n\r\n", &p); /* trailing SP only: no reason */
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.status, 200);
    assert_null(p.r.reason);

    parse("Status: 503 Service\tUnavailable\r\n\r\n", &p); /* HTAB in a reason */
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.reason_len, 19);
}

static void test_parse_status_bad(void **state)
{
    (void)state;
    expect_fail("Status: 2o0 OK\r\n\r\n", "malformed Status");
    expect_fail("Status: abc\r\n\r\n", "malformed Status");
    expect_fail("Status: 20\r\n\r\n", "malformed Status");
    expect_fail("Status: 2000\r\n\r\n", "malformed Status");
    expect_fail("Status: 404Not Found\r\n\r\n", "malformed Status");
    expect_fail("Status: 404\tNot Found\r\n\r\n", "malformed Status");
    expect_fail("Status: -20\r\n\r\n", "malformed Status");
    expect_fail("Status: +200\r\n\r\n", "malformed Status");
    expect_fail("Status:\r\n\r\n", "malformed Status");
    expect_fail("Status: 199 Early\r\n\r\n", "Status out of range");
    expect_fail("Status: 100\r\n\r\n", "Status out of range");
    expect_fail("Status: 600\r\n\r\n", "Status out of range");
    expect_fail("Status: 000\r\n\r\n", "Status out of range");
    expect_fail("Status: 999\r\n\r\n", "Status out of range");
    expect_fail("Status: 200 OK\r\nStatus: 500 Oops\r\n\r\n", "duplicate Status");
    expect_fail("Status: 200\r\nX: 1\r\nstatus: 200\r\n\r\n", "duplicate Status");
}

static void test_parse_location(void **state)
{
    (void)state;
    struct parsed p;

    parse("Location: https://example.com/\r\n\r\n", &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.status, 302);
    assert_false(p.r.has_status);
    assert_true(p.r.has_location);
    assert_int_equal(p.r.n_headers, 1);
    assert_header(&p.h[0], "Location", "https://example.com/");

    parse("Status: 301 Moved Permanently\r\nlocation: /new\r\n\r\n", &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.status, 301);
    assert_true(p.r.has_location);

    parse("location: /created\r\nStatus: 201 Created\r\n\r\n", &p); /* order free */
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.status, 201);
}

static void test_parse_value_trim_and_bytes(void **state)
{
    (void)state;
    struct parsed p;

    parse("X-A:   a b  \t\r\nX-Empty:\r\nX-Sp:    \r\nX-Tab:\tv\t1\r\n\r\n", &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.n_headers, 4);
    assert_header(&p.h[0], "X-A", "a b");
    assert_header(&p.h[1], "X-Empty", "");
    assert_header(&p.h[2], "X-Sp", "");
    assert_header(&p.h[3], "X-Tab", "v\t1");

    /* obs-text (UTF-8) and every VCHAR are fine in values; names are tokens. */
    parse("X-U: caf\xc3\xa9 \"q\" (c) <a@b> [x] {y} \\ / ? = ; , :\r\n"
          "!#$%&'*+-.^_`|~09AZaz: ok\r\n\r\n",
          &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.n_headers, 2);
    assert_header(&p.h[1], "!#$%&'*+-.^_`|~09AZaz", "ok");
}

static void test_parse_injection(void **state)
{
    (void)state;
    expect_fail("X-A: a\rSet-Cookie: evil=1\r\n\r\n", "bare CR");
    expect_fail("X-A: a\r\r\n\r\n", "bare CR");
    expect_fail("X\rA: a\r\n\r\n", "bare CR");
    expect_fail("\rX: a\r\n\r\n", "bare CR");
    expect_fail("X-A: a\r\n \tcontinued\r\n\r\n", "obs-fold (line starts with whitespace)");
    expect_fail("X-A: a\r\n\tcontinued\r\n\r\n", "obs-fold (line starts with whitespace)");
    expect_fail("X-A : a\r\n\r\n", "whitespace before the colon");
    expect_fail("X-A\t: a\r\n\r\n", "whitespace before the colon");
    expect_fail(": a\r\n\r\n", "empty header name");
    expect_fail("X(A): a\r\n\r\n", "invalid byte in header name");
    expect_fail("X@A: a\r\n\r\n", "invalid byte in header name");
    expect_fail("X\x80: a\r\n\r\n", "invalid byte in header name");
    expect_fail("no colon here\r\n\r\n", "header line without a colon");
    expect_fail("NoColonAtAll\r\n\r\n", "header line without a colon");
    expect_fail("X-A: a\x01\r\n\r\n", "control byte in header value");
    expect_fail("X-A: a\x1b[31m\r\n\r\n", "control byte in header value");
    expect_fail("X-A: a\x7f\r\n\r\n", "control byte in header value");
    expect_fail("X-A: a\x0b\r\n\r\n", "control byte in header value");
}

static void test_parse_nul(void **state)
{
    (void)state;
    static const char v[] = "X-A: a\0b\r\n\r\n";
    static const char n[] = "X\0A: a\r\n\r\n";
    struct parsed p;
    struct cgi_header h[4];
    const char *why = NULL;

    memset(&p, 0, sizeof p);
    p.r.headers = h;
    assert_int_equal(cgi_parse_headers((const uint8_t *)v, sizeof v - 1, &p.r, 4, &why), -1);
    assert_string_equal(why, "NUL byte");
    assert_int_equal(cgi_parse_headers((const uint8_t *)n, sizeof n - 1, &p.r, 4, &why), -1);
    assert_string_equal(why, "NUL byte");
}

static void test_parse_max_headers(void **state)
{
    (void)state;
    struct parsed p;
    const char *three = "Status: 200\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";

    parse_n(three, 3, &p); /* Status does not count */
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.n_headers, 3);
    parse_n(three, 2, &p);
    assert_int_equal(p.rc, -1);
    assert_string_equal(p.why, "too many header lines");
    parse_n("Status: 204\r\n\r\n", 0, &p);
    assert_int_equal(p.rc, 0);
    parse_n("A: 1\r\n\r\n", 0, &p);
    assert_int_equal(p.rc, -1);
}

static void test_parse_framing(void **state)
{
    (void)state;
    struct parsed p;

    /* len must be what cgi_header_end() measured. */
    parse("A: 1\r\n\r\nbody", &p);
    assert_int_equal(p.rc, -1);
    assert_string_equal(p.why, "bytes after the blank line");
    parse("A: 1\r\n", &p);
    assert_int_equal(p.rc, -1);
    assert_string_equal(p.why, "header block not terminated");
    parse("", &p);
    assert_int_equal(p.rc, -1);
    assert_string_equal(p.why, "header block not terminated");

    struct cgi_response r;
    r.headers = NULL;
    assert_int_equal(cgi_parse_headers(NULL, 0, &r, 0, NULL), -1); /* why may be NULL */
}

static void test_end_then_parse(void **state)
{
    (void)state;
    static const char resp[] = "Status: 302 Found\r\nLocation: /login\r\n"
                               "Set-Cookie: s=1\r\n\r\n<html>";
    struct cgi_response r;
    struct cgi_header h[8];
    const char *why = NULL;
    size_t end = cgi_header_end((const uint8_t *)resp, sizeof resp - 1);

    assert_int_equal(end, sizeof resp - 1 - 6);
    r.headers = h;
    assert_int_equal(cgi_parse_headers((const uint8_t *)resp, end, &r, 8, &why), 0);
    assert_int_equal(r.status, 302);
    assert_int_equal(r.n_headers, 2);
    /* Spans point into the input, zero-copy. */
    assert_ptr_equal(h[0].value, resp + 29);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_basic),
        cmocka_unit_test(test_end_partial),
        cmocka_unit_test(test_parse_php_response),
        cmocka_unit_test(test_parse_lf_and_mixed),
        cmocka_unit_test(test_parse_empty_block),
        cmocka_unit_test(test_parse_status),
        cmocka_unit_test(test_parse_status_bad),
        cmocka_unit_test(test_parse_location),
        cmocka_unit_test(test_parse_value_trim_and_bytes),
        cmocka_unit_test(test_parse_injection),
        cmocka_unit_test(test_parse_nul),
        cmocka_unit_test(test_parse_max_headers),
        cmocka_unit_test(test_parse_framing),
        cmocka_unit_test(test_end_then_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
