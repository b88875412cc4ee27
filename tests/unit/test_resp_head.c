/*
 * test_resp_head.c - the HTTP/1.1 head kiln builds from an application's
 * CGI head: framing, what is dropped, what the site adds, Connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgi_response.h"
#include "resp_head.h"

static const char DATE[] = "Date: Tue, 08 Dec 2026 01:00:00 GMT\r\n";
static const struct kiln_bytes site_names[] = {{"x-frame-options", 15}};

struct t {
    struct cgi_header hdrs[32];
    struct cgi_response r;
    struct resp_facts f;
    struct resp_head h;
    char out[4096];
};

static struct t *T;

static int setup(void **state)
{
    T = calloc(1, sizeof *T);
    *state = T;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Parse a CGI head (lines ending \r\n, blank line included). */
static void cgi(const char *text)
{
    const char *why = NULL;
    memset(&T->r, 0, sizeof T->r);
    T->r.headers = T->hdrs;
    assert_int_equal(cgi_parse_headers((const uint8_t *)text, strlen(text), &T->r, 32, &why), 0);
    T->f = (struct resp_facts){.body_len = -1, .date_line = DATE, .site_headers = {"", 0}};
}

static const char *build(void)
{
    assert_true(resp_head_size(&T->r, &T->f) <= sizeof T->out);
    assert_int_equal(resp_head_build(&T->r, &T->f, T->out, &T->h), 0);
    assert_true(T->h.len <= resp_head_size(&T->r, &T->f));
    T->out[T->h.len] = '\0';
    return T->out;
}

static void test_length_when_the_body_is_in_hand(void **state)
{
    (void)state;
    cgi("Content-Type: text/html\r\n\r\n");
    T->f.body_len = 5;
    assert_string_equal(build(), "HTTP/1.1 200 OK\r\n"
                                 "Date: Tue, 08 Dec 2026 01:00:00 GMT\r\n"
                                 "Content-Type: text/html\r\n"
                                 "Content-Length: 5\r\n\r\n");
    assert_int_equal(T->h.framing, FRAME_LENGTH);
    assert_int_equal(T->h.length, 5);
    assert_false(T->h.close);
}

static void test_streamed_framing(void **state)
{
    (void)state;
    cgi("Status: 201 Made\r\nContent-Type: a/b\r\n\r\n");
    const char *h = build();
    assert_non_null(strstr(h, "HTTP/1.1 201 Made\r\n"));
    assert_non_null(strstr(h, "Transfer-Encoding: chunked\r\n"));
    assert_int_equal(T->h.framing, FRAME_CHUNKED);

    /* The application's own valid length wins over chunked. */
    cgi("Content-Length: 1234\r\n\r\n");
    h = build();
    assert_int_equal(T->h.framing, FRAME_LENGTH);
    assert_int_equal(T->h.length, 1234);
    assert_non_null(strstr(h, "Content-Length: 1234\r\n"));
    assert_null(strstr(h, "chunked"));

    /* HTTP/1.0 without a length: until close. */
    cgi("Content-Type: a/b\r\n\r\n");
    T->f.http10 = 1;
    h = build();
    assert_int_equal(T->h.framing, FRAME_CLOSE);
    assert_true(T->h.close);
    assert_non_null(strstr(h, "Connection: close\r\n"));
}

static void test_no_body(void **state)
{
    (void)state;
    cgi("Status: 304 Not Modified\r\n\r\n");
    T->f.body_len = 0;
    const char *h = build();
    assert_int_equal(T->h.framing, FRAME_NONE);
    assert_null(strstr(h, "Content-Length"));

    /* HEAD keeps the application's own length, and gets no body. */
    cgi("Content-Length: 99\r\n\r\n");
    T->f.head_only = 1;
    h = build();
    assert_int_equal(T->h.framing, FRAME_NONE);
    assert_non_null(strstr(h, "Content-Length: 99\r\n"));
    cgi("X-A: 1\r\n\r\n");
    T->f.head_only = 1;
    h = build();
    assert_null(strstr(h, "Content-Length"));
    assert_null(strstr(h, "chunked"));
}

static void test_dropped_headers(void **state)
{
    (void)state;
    cgi("Connection: x-secret, Keep-Alive\r\nX-Secret: 1\r\nKeep-Alive: 5\r\n"
        "connection: X-Other\r\nX-Other: 2\r\nTransfer-Encoding: chunked\r\n"
        "Server: php\r\nDate: then\r\nTE: x\r\nTrailer: y\r\nUpgrade: z\r\n"
        "Proxy-Connection: k\r\nProxy-Authenticate: Basic\r\n"
        "X-Frame-Options: SAMEORIGIN\r\nX-Kept: yes\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n");
    T->f.site_headers = (struct kiln_bytes){"X-Frame-Options: DENY\r\n", 23};
    T->f.site_header_names = site_names;
    T->f.n_site_headers = 1;
    T->f.body_len = 0;
    const char *h = build();
    static const char *const gone[] = {"X-Secret", "Keep-Alive", "X-Other", "Transfer-Encoding",
                                       "Server", "then", "TE:", "Trailer", "Upgrade",
                                       "Proxy-Connection", "Proxy-Authenticate", "SAMEORIGIN",
                                       "onnection:"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (strstr(h, gone[i]) != NULL)
            fail_msg("%s kept in\n%s", gone[i], h);
    assert_non_null(strstr(h, "X-Kept: yes\r\n"));
    assert_non_null(strstr(h, "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n"));
    assert_non_null(strstr(h, "X-Frame-Options: DENY\r\n"));
    assert_non_null(strstr(h, DATE));
}

static void test_x_accel_buffering(void **state)
{
    (void)state;
    cgi("X-Accel-Buffering: no\r\n\r\n");
    const char *h = build();
    assert_true(T->h.no_buffering);
    assert_null(strstr(h, "X-Accel"));
    cgi("X-Accel-Buffering: yes\r\n\r\n");
    build();
    assert_false(T->h.no_buffering);
}

static void test_connection_close_and_keep_alive(void **state)
{
    (void)state;
    cgi("X: 1\r\n\r\n");
    T->f.body_len = 1;
    T->f.close = 1;
    assert_non_null(strstr(build(), "Connection: close\r\n\r\n"));
    assert_true(T->h.close);
    cgi("X: 1\r\n\r\n");
    T->f.body_len = 1;
    T->f.http10 = 1;
    assert_non_null(strstr(build(), "Connection: keep-alive\r\n\r\n"));
    assert_false(T->h.close);
}

static void test_bad_length_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"Content-Length: 1\r\nContent-Length: 1\r\n\r\n",
                                      "Content-Length: 12a\r\n\r\n",
                                      "Content-Length: 1234567890123456789\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cgi(bad[i]);
        assert_int_equal(resp_head_build(&T->r, &T->f, T->out, &T->h), -1);
        assert_non_null(T->h.why);
    }
}

static void test_reason_phrases(void **state)
{
    (void)state;
    cgi("Status: 404\r\n\r\n");
    assert_non_null(strstr(build(), "HTTP/1.1 404 Not Found\r\n"));
    cgi("Location: /x\r\n\r\n");
    assert_non_null(strstr(build(), "HTTP/1.1 302 Found\r\nDate"));
    cgi("Status: 599\r\n\r\n");
    assert_non_null(strstr(build(), "HTTP/1.1 599 \r\n"));
}

int main(void)
{
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T_(test_length_when_the_body_is_in_hand),
        T_(test_streamed_framing),
        T_(test_no_body),
        T_(test_dropped_headers),
        T_(test_x_accel_buffering),
        T_(test_connection_close_and_keep_alive),
        T_(test_bad_length_refused),
        T_(test_reason_phrases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
