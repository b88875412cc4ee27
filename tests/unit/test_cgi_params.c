/*
 * test_cgi_params.c - the FastCGI params of one request.
 *
 * Requests and the site are built by hand; the output is decoded with
 * fcgi_param_decode() and compared with the exact expected set of params.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "cgi_params.h"
#include "fcgi_codec.h"

/* ---- fixtures -------------------------------------------------------------------- */

#define MAX_HDRS 1200
#define OUT_CAP (1u << 20)

struct fixture {
    struct kiln_site site;
    uint8_t static_params[256];
    struct http_request req;
    struct http_header headers[MAX_HDRS];
    struct script_result script;
    char canon[256], script_buf[256];
    struct cgi_conn_info conn;
    uint8_t *out;
};

static size_t add_static(uint8_t *p, const char *name, const char *value)
{
    return fcgi_param_encode(p, name, strlen(name), value, strlen(value));
}

static void set_root(struct fixture *f, const char *root)
{
    size_t n = 0;
    n += add_static(f->static_params + n, "GATEWAY_INTERFACE", "CGI/1.1");
    n += add_static(f->static_params + n, "SERVER_SOFTWARE", "kiln");
    n += add_static(f->static_params + n, "DOCUMENT_ROOT", root);
    n += add_static(f->static_params + n, "REDIRECT_STATUS", "200");
    n += add_static(f->static_params + n, "SERVER_PORT", "8080");
    f->site.fcgi_static_params.ptr = (const char *)f->static_params;
    f->site.fcgi_static_params.len = (uint32_t)n;
    f->site.document_root.ptr = root;
    f->site.document_root.len = (uint32_t)strlen(root);
}

/* Origin-form request; the script comes from the real resolver. */
static void set_request(struct fixture *f, const char *method, const char *target)
{
    struct http_request *r = &f->req;
    const char *q = strchr(target, '?');
    size_t path_len = q ? (size_t)(q - target) : strlen(target);

    memset(r, 0, sizeof *r);
    r->headers = f->headers;
    r->method = method;
    r->method_len = (uint32_t)strlen(method);
    r->target = target;
    r->target_len = (uint32_t)strlen(target);
    r->path = target;
    r->path_len = (uint32_t)path_len;
    r->query = q ? q + 1 : "";
    r->query_len = q ? (uint32_t)strlen(q + 1) : 0;
    r->flags = q ? HTTP_F_HAS_QUERY : 0;
    r->version_minor = 1;
    r->host = "";

    int hidden;
    int n = script_canonicalize(target, path_len, f->canon, sizeof f->canon, &hidden);
    assert_true(n > 0);
    assert_int_equal(script_resolve(f->canon, (size_t)n, hidden, "index.php", 9, f->script_buf,
                                    sizeof f->script_buf, &f->script),
                     0);
}

static void add_header_n(struct fixture *f, const char *name, size_t name_len, const char *value)
{
    struct http_request *r = &f->req;
    assert_true(r->n_headers < MAX_HDRS);
    struct http_header *h = &f->headers[r->n_headers++];
    h->name = name;
    h->name_len = (uint32_t)name_len;
    h->value = value;
    h->value_len = (uint32_t)strlen(value);
    if (name_len == 4 && strncasecmp(name, "host", 4) == 0) {
        r->host = value;
        r->host_len = h->value_len;
    }
}

static void add_header(struct fixture *f, const char *name, const char *value)
{
    add_header_n(f, name, strlen(name), value);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->out = malloc(OUT_CAP);
    assert_non_null(f->out);
    f->site.magic = KILN_SITE_MAGIC;
    f->site.abi = KILN_SITE_ABI;
    f->site.listen_host = "";
    f->site.listen_port = 8080;
    f->site.index.ptr = "index.php";
    f->site.index.len = 9;
    set_root(f, "/srv/www");
    f->conn.remote_addr = "203.0.113.7";
    f->conn.remote_addr_len = 11;
    f->conn.remote_port = "51234";
    f->conn.remote_port_len = 5;
    f->conn.server_addr = "10.0.0.2";
    f->conn.server_addr_len = 8;
    set_request(f, "GET", "/");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->out);
    free(f);
    return 0;
}

/* ---- decoding ------------------------------------------------------------------- */

struct pair {
    const uint8_t *name, *value;
    uint32_t name_len, value_len;
};

struct params {
    struct pair p[MAX_HDRS + 64];
    size_t n;
    size_t len;
};

static struct params P; /* large; one request at a time */

static size_t build_cap(struct fixture *f, size_t cap, uint64_t content_length)
{
    return cgi_params_build(f->out, cap, &f->site, &f->req, &f->script, &f->conn,
                            content_length);
}

/* Build with plenty of room and decode everything into P. */
static struct params *build(struct fixture *f, uint64_t content_length)
{
    size_t len = build_cap(f, OUT_CAP, content_length);
    assert_true(len > 0);
    P.n = 0;
    P.len = len;
    size_t at = 0;
    while (at < len) {
        struct pair *q = &P.p[P.n];
        int used = fcgi_param_decode(f->out + at, len - at, &q->name, &q->name_len, &q->value,
                                     &q->value_len);
        assert_true(used > 0);
        assert_true(P.n < sizeof P.p / sizeof P.p[0]);
        at += (size_t)used;
        P.n++;
    }
    assert_int_equal(at, len);
    /* A name appears once: PHP would keep only one of two. */
    for (size_t i = 0; i < P.n; i++)
        for (size_t j = i + 1; j < P.n; j++)
            if (P.p[i].name_len == P.p[j].name_len &&
                memcmp(P.p[i].name, P.p[j].name, P.p[i].name_len) == 0)
                fail_msg("param %.*s twice", (int)P.p[i].name_len, P.p[i].name);
    return &P;
}

static const struct pair *find(const struct params *ps, const char *name)
{
    for (size_t i = 0; i < ps->n; i++)
        if (ps->p[i].name_len == strlen(name) && memcmp(ps->p[i].name, name, strlen(name)) == 0)
            return &ps->p[i];
    return NULL;
}

static void expect(const struct params *ps, const char *name, const char *value)
{
    const struct pair *q = find(ps, name);
    if (q == NULL)
        fail_msg("%s missing", name);
    if (q->value_len != strlen(value) || memcmp(q->value, value, q->value_len) != 0)
        fail_msg("%s = \"%.*s\", want \"%s\"", name, (int)q->value_len, q->value, value);
}

static void absent(const struct params *ps, const char *name)
{
    if (find(ps, name) != NULL)
        fail_msg("%s present", name);
}

/* Count the HTTP_* params. */
static size_t n_http(const struct params *ps)
{
    size_t n = 0;
    for (size_t i = 0; i < ps->n; i++)
        if (ps->p[i].name_len > 5 && memcmp(ps->p[i].name, "HTTP_", 5) == 0)
            n++;
    return n;
}

/* ---- the whole set ------------------------------------------------------------- */

static void test_exact_set(void **state)
{
    struct fixture *f = *state;
    set_request(f, "GET", "/api/users?page=2&q=%41");
    add_header(f, "Host", "Example.COM:8080");
    add_header(f, "User-Agent", "curl/8.0");
    add_header(f, "Cookie", "a=1");
    add_header(f, "Accept", "*/*");
    add_header(f, "cookie", "b=2");

    struct params *ps = build(f, 0);
    static const char *const want[][2] = {
        {"GATEWAY_INTERFACE", "CGI/1.1"},
        {"SERVER_SOFTWARE", "kiln"},
        {"DOCUMENT_ROOT", "/srv/www"},
        {"REDIRECT_STATUS", "200"},
        {"SERVER_PORT", "8080"},
        {"SERVER_PROTOCOL", "HTTP/1.1"},
        {"SERVER_NAME", "example.com"},
        {"REQUEST_METHOD", "GET"},
        {"REQUEST_URI", "/api/users?page=2&q=%41"},
        {"SCRIPT_NAME", "/index.php"},
        {"SCRIPT_FILENAME", "/srv/www/index.php"},
        {"PATH_INFO", "/api/users"},
        {"QUERY_STRING", "page=2&q=%41"},
        {"DOCUMENT_URI", "/index.php/api/users"},
        {"REMOTE_ADDR", "203.0.113.7"},
        {"REMOTE_PORT", "51234"},
        {"CONTENT_TYPE", ""},
        {"CONTENT_LENGTH", ""},
        {"REQUEST_SCHEME", "http"},
        {"SERVER_ADDR", "10.0.0.2"},
        {"HTTP_HOST", "Example.COM:8080"},
        {"HTTP_USER_AGENT", "curl/8.0"},
        {"HTTP_COOKIE", "a=1; b=2"},
        {"HTTP_ACCEPT", "*/*"},
        {"HTTP_X_FORWARDED_FOR", "203.0.113.7"},
        {"HTTP_X_REAL_IP", "203.0.113.7"},
    };
    size_t n_want = sizeof want / sizeof want[0];
    for (size_t i = 0; i < ps->n && i < n_want; i++) {
        const struct pair *q = &ps->p[i];
        if (q->name_len != strlen(want[i][0]) || memcmp(q->name, want[i][0], q->name_len) != 0 ||
            q->value_len != strlen(want[i][1]) || memcmp(q->value, want[i][1], q->value_len) != 0)
            fail_msg("param %zu: %.*s=%.*s, want %s=%s", i, (int)q->name_len, q->name,
                     (int)q->value_len, q->value, want[i][0], want[i][1]);
    }
    assert_int_equal(ps->n, n_want);
}

static void test_protocol_method(void **state)
{
    struct fixture *f = *state;
    set_request(f, "PROPFIND", "/dav/");
    f->req.version_minor = 0;
    struct params *ps = build(f, 0);
    expect(ps, "SERVER_PROTOCOL", "HTTP/1.0");
    expect(ps, "REQUEST_METHOD", "PROPFIND");
    expect(ps, "SCRIPT_NAME", "/dav/index.php");
    expect(ps, "SCRIPT_FILENAME", "/srv/www/dav/index.php");
    expect(ps, "PATH_INFO", "");
    expect(ps, "DOCUMENT_URI", "/dav/index.php");
    expect(ps, "QUERY_STRING", "");
    absent(ps, "HTTP_HOST");
}

/* ---- SERVER_NAME ------------------------------------------------------------- */

static void server_name_case(struct fixture *f, const char *host, const char *want)
{
    set_request(f, "GET", "/");
    add_header(f, "Host", host);
    struct params *ps = build(f, 0);
    expect(ps, "SERVER_NAME", want);
    expect(ps, "HTTP_HOST", host);
}

static void test_server_name(void **state)
{
    struct fixture *f = *state;
    server_name_case(f, "example.com", "example.com");
    server_name_case(f, "example.com:8080", "example.com");
    server_name_case(f, "WWW.Example.Com:443", "www.example.com");
    server_name_case(f, "192.0.2.1:80", "192.0.2.1");
    server_name_case(f, "[::1]:8080", "[::1]");
    server_name_case(f, "[2001:DB8::1]", "[2001:db8::1]");
    server_name_case(f, "example.com:", "example.com");
}

static void test_server_name_without_host(void **state)
{
    struct fixture *f = *state;
    set_request(f, "GET", "/");
    f->req.version_minor = 0;
    expect(build(f, 0), "SERVER_NAME", "localhost");
    f->site.listen_host = "127.0.0.1";
    expect(build(f, 0), "SERVER_NAME", "127.0.0.1");
    f->site.listen_host = "::1";
    expect(build(f, 0), "SERVER_NAME", "[::1]");
    f->site.listen_host = NULL;
    expect(build(f, 0), "SERVER_NAME", "localhost");
}

/* ---- REQUEST_URI, SCRIPT_*, PATH_INFO -------------------------------------- */

static void test_request_uri_raw(void **state)
{
    struct fixture *f = *state;
    set_request(f, "GET", "/a%20b/c.php/x%2Fy?q=%20&r");
    struct params *ps = build(f, 0);
    expect(ps, "REQUEST_URI", "/a%20b/c.php/x%2Fy?q=%20&r");
    expect(ps, "QUERY_STRING", "q=%20&r");
    expect(ps, "SCRIPT_NAME", "/a b/c.php"); /* decoded */
    expect(ps, "PATH_INFO", "/x/y");
    expect(ps, "DOCUMENT_URI", "/a b/c.php/x/y");

    set_request(f, "GET", "/?");
    ps = build(f, 0);
    expect(ps, "REQUEST_URI", "/?");
    expect(ps, "QUERY_STRING", "");
}

static void absolute_form(struct fixture *f, const char *target, const char *path,
                          const char *query)
{
    set_request(f, "GET", path); /* resolves the script from the path */
    f->req.target = target;
    f->req.target_len = (uint32_t)strlen(target);
    f->req.path = path;
    f->req.path_len = (uint32_t)strlen(path);
    f->req.flags = HTTP_F_ABSOLUTE_FORM;
    if (query) {
        f->req.flags |= HTTP_F_HAS_QUERY;
        f->req.query = query;
        f->req.query_len = (uint32_t)strlen(query);
    }
    f->req.host = "proxy.example";
    f->req.host_len = 13;
}

static void test_request_uri_absolute_form(void **state)
{
    struct fixture *f = *state;

    absolute_form(f, "http://proxy.example/p/q.php?x=1", "/p/q.php", "x=1");
    struct params *ps = build(f, 0);
    expect(ps, "REQUEST_URI", "/p/q.php?x=1");
    expect(ps, "QUERY_STRING", "x=1");
    expect(ps, "SCRIPT_NAME", "/p/q.php");
    expect(ps, "SERVER_NAME", "proxy.example");
    expect(ps, "HTTP_HOST", "proxy.example"); /* the authority, not a Host line */

    absolute_form(f, "http://proxy.example/p?", "/p", "");
    expect(build(f, 0), "REQUEST_URI", "/p?");

    absolute_form(f, "https://proxy.example/", "/", NULL);
    add_header(f, "Host", "other.example"); /* the authority wins */
    f->req.host = "proxy.example";
    f->req.host_len = 13;
    ps = build(f, 0);
    expect(ps, "REQUEST_URI", "/");
    expect(ps, "HTTP_HOST", "proxy.example");
}

static void test_script_filename_root(void **state)
{
    struct fixture *f = *state;
    set_root(f, "/");
    set_request(f, "GET", "/x/y.php/z");
    struct params *ps = build(f, 0);
    expect(ps, "DOCUMENT_ROOT", "/");
    expect(ps, "SCRIPT_FILENAME", "/x/y.php");
    expect(ps, "PATH_INFO", "/z");

    set_root(f, "/var/www/html");
    set_request(f, "GET", "/admin/");
    ps = build(f, 0);
    expect(ps, "SCRIPT_FILENAME", "/var/www/html/admin/index.php");
}

/* ---- CONTENT_*, HTTPS ------------------------------------------------------- */

static void test_content(void **state)
{
    struct fixture *f = *state;

    set_request(f, "GET", "/");
    struct params *ps = build(f, 0);
    expect(ps, "CONTENT_TYPE", "");
    expect(ps, "CONTENT_LENGTH", "");

    set_request(f, "POST", "/form.php");
    add_header(f, "Content-Type", "application/x-www-form-urlencoded");
    add_header(f, "Content-Length", "999"); /* the argument is what counts */
    f->req.flags |= HTTP_F_CONTENT_LENGTH;
    f->req.content_length = 999;
    ps = build(f, 11);
    expect(ps, "CONTENT_TYPE", "application/x-www-form-urlencoded");
    expect(ps, "CONTENT_LENGTH", "11");
    absent(ps, "HTTP_CONTENT_TYPE");
    absent(ps, "HTTP_CONTENT_LENGTH");
    assert_int_equal(n_http(ps), 2); /* X-Forwarded-For, X-Real-IP */

    set_request(f, "POST", "/");
    add_header(f, "Content-Length", "0");
    f->req.flags |= HTTP_F_CONTENT_LENGTH;
    expect(build(f, 0), "CONTENT_LENGTH", "0");

    set_request(f, "PUT", "/upload.php");
    add_header(f, "Transfer-Encoding", "chunked");
    add_header(f, "content-type", "image/png");
    add_header(f, "Content-Type", "text/plain"); /* the first one counts */
    f->req.flags |= HTTP_F_CHUNKED;
    ps = build(f, 268435456);
    expect(ps, "CONTENT_LENGTH", "268435456");
    expect(ps, "CONTENT_TYPE", "image/png");
    absent(ps, "HTTP_TRANSFER_ENCODING");
    absent(ps, "HTTP_CONTENT_TYPE");

    set_request(f, "POST", "/");
    f->req.flags |= HTTP_F_CHUNKED;
    expect(build(f, 0), "CONTENT_LENGTH", "0");
    set_request(f, "POST", "/");
    add_header(f, "Content-Type", "");
    expect(build(f, 1234567), "CONTENT_LENGTH", "1234567");
}

/* A chunked body's length is known only at its end: the params are built
 * without CONTENT_LENGTH, and the pair is appended once it is (it is the
 * only one then, and last). */
static void test_content_length_later(void **state)
{
    struct fixture *f = *state;

    set_request(f, "POST", "/upload.php");
    add_header(f, "Transfer-Encoding", "chunked");
    f->req.flags |= HTTP_F_CHUNKED;
    size_t len = build_cap(f, OUT_CAP, CGI_LENGTH_LATER);
    assert_true(len > 0);
    size_t extra = cgi_params_content_length(f->out + len, OUT_CAP - len, 123456789);
    assert_true(extra > 0 && extra <= CGI_LENGTH_PAIR_MAX);
    const uint8_t *name, *value;
    uint32_t nl, vl;
    assert_int_equal(fcgi_param_decode(f->out + len, extra, &name, &nl, &value, &vl), (int)extra);
    assert_memory_equal(name, "CONTENT_LENGTH", 14);
    assert_int_equal(vl, 9);
    assert_memory_equal(value, "123456789", 9);

    /* Built once more without the pair: build() decodes it all and finds
     * no CONTENT_LENGTH (and no name twice). */
    struct params *ps = build(f, CGI_LENGTH_LATER);
    absent(ps, "CONTENT_LENGTH");
    expect(ps, "CONTENT_TYPE", "");

    /* The largest value fits the bound; a buffer one byte short is refused. */
    uint8_t pair[CGI_LENGTH_PAIR_MAX];
    size_t big = cgi_params_content_length(pair, sizeof pair, UINT64_MAX - 1);
    assert_int_equal(big, CGI_LENGTH_PAIR_MAX);
    assert_int_equal(cgi_params_content_length(pair, big - 1, UINT64_MAX - 1), 0);
}

static void test_https(void **state)
{
    struct fixture *f = *state;
    struct params *ps = build(f, 0);
    absent(ps, "HTTPS");
    expect(ps, "REQUEST_SCHEME", "http");

    f->conn.tls = 1;
    ps = build(f, 0);
    expect(ps, "HTTPS", "on");
    expect(ps, "REQUEST_SCHEME", "https");

    /* A client header cannot fake it. */
    f->conn.tls = 0;
    add_header(f, "HTTPS", "on");
    ps = build(f, 0);
    absent(ps, "HTTPS");
    expect(ps, "HTTP_HTTPS", "on");
}

/* ---- forwarding rules, one by one -------------------------------------------- */

static void test_proxy_dropped(void **state)
{
    struct fixture *f = *state;
    add_header(f, "Proxy", "http://evil.example:8080");
    add_header(f, "PROXY", "http://evil.example:8080");
    add_header(f, "X-Ok", "1");
    struct params *ps = build(f, 0);
    absent(ps, "HTTP_PROXY");
    expect(ps, "HTTP_X_OK", "1");
}

static void test_forwarded_for_replaced(void **state)
{
    struct fixture *f = *state;
    add_header(f, "X-Forwarded-For", "1.2.3.4");
    add_header(f, "x-real-ip", "1.2.3.4");
    add_header(f, "X-FORWARDED-FOR", "5.6.7.8");
    add_header(f, "X_Forwarded_For", "9.9.9.9");
    add_header(f, "X-Real_IP", "9.9.9.9");
    struct params *ps = build(f, 0);
    expect(ps, "HTTP_X_FORWARDED_FOR", "203.0.113.7");
    expect(ps, "HTTP_X_REAL_IP", "203.0.113.7");
    assert_int_equal(n_http(ps), 2);

    f->conn.remote_addr = "2001:db8::7";
    f->conn.remote_addr_len = 11;
    ps = build(f, 0);
    expect(ps, "REMOTE_ADDR", "2001:db8::7");
    expect(ps, "HTTP_X_FORWARDED_FOR", "2001:db8::7");
    expect(ps, "HTTP_X_REAL_IP", "2001:db8::7");
}

static void test_hop_by_hop_dropped(void **state)
{
    struct fixture *f = *state;
    static const char *const hop[] = {
        "Connection", "Keep-Alive", "Proxy-Connection",    "TE",     "Trailer",
        "Transfer-Encoding", "Upgrade", "Proxy-Authorization", "Expect",
    };
    for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++) {
        set_request(f, "GET", "/");
        add_header(f, hop[i], "x");
        add_header(f, "X-Kept", "1");
        struct params *ps = build(f, 0);
        if (n_http(ps) != 3)
            fail_msg("%s forwarded", hop[i]);
        expect(ps, "HTTP_X_KEPT", "1");
    }
}

static void test_connection_named_dropped(void **state)
{
    struct fixture *f = *state;
    add_header(f, "X-Secret", "s1");
    add_header(f, "Connection", "keep-alive, X-Secret");
    add_header(f, "X-Other", "o");
    add_header(f, "x-secret", "s2");
    add_header(f, "Connection", " close ,  x-other-2 ,");
    add_header(f, "X-Other-2", "o2");
    add_header(f, "X-Secretive", "kept: not the same token");
    struct params *ps = build(f, 0);
    absent(ps, "HTTP_X_SECRET");
    absent(ps, "HTTP_X_OTHER_2");
    absent(ps, "HTTP_CONNECTION");
    expect(ps, "HTTP_X_OTHER", "o");
    expect(ps, "HTTP_X_SECRETIVE", "kept: not the same token");
    assert_int_equal(n_http(ps), 4);
}

static void test_bad_names_dropped(void **state)
{
    struct fixture *f = *state;
    add_header(f, "My_Header", "u");
    add_header(f, "X.Dot", "d");
    add_header(f, "X@At", "a");
    add_header(f, "123", "digits only");
    add_header(f, "-", "dash only");
    add_header(f, "1-2", "no letter");
    add_header(f, "X\xc3\xa9", "utf8");
    add_header_n(f, "X\0Y", 3, "nul");
    add_header(f, "X-1", "digit ok");
    add_header(f, "9a", "letter ok");
    struct params *ps = build(f, 0);
    expect(ps, "HTTP_X_1", "digit ok");
    expect(ps, "HTTP_9A", "letter ok");
    assert_int_equal(n_http(ps), 4);
}

static void test_repeated_headers_joined(void **state)
{
    struct fixture *f = *state;
    add_header(f, "Accept", "text/html");
    add_header(f, "Cookie", "a=1");
    add_header(f, "X-Multi", "one");
    add_header(f, "accept", "application/json");
    add_header(f, "Cookie", "b=2; c=3");
    add_header(f, "x-multi", "");
    add_header(f, "X-MULTI", "three");
    add_header(f, "COOKIE", "d=4");
    struct params *ps = build(f, 0);
    expect(ps, "HTTP_ACCEPT", "text/html, application/json");
    expect(ps, "HTTP_COOKIE", "a=1; b=2; c=3; d=4");
    expect(ps, "HTTP_X_MULTI", "one, , three");
    assert_int_equal(n_http(ps), 5);
}

static void test_host_and_values_as_is(void **state)
{
    struct fixture *f = *state;
    add_header(f, "Host", "shop.example");
    add_header(f, "X-Utf8", "caf\xc3\xa9 \"quoted\"\t tab");
    add_header(f, "X-Empty", "");
    add_header(f, "authorization", "Bearer abc");
    struct params *ps = build(f, 0);
    expect(ps, "HTTP_HOST", "shop.example");
    expect(ps, "HTTP_X_UTF8", "caf\xc3\xa9 \"quoted\"\t tab");
    expect(ps, "HTTP_X_EMPTY", "");
    expect(ps, "HTTP_AUTHORIZATION", "Bearer abc");
}

static void test_cors_headers(void **state)
{
    struct fixture *f = *state;
    add_header(f, "Origin", "https://app.example");
    add_header(f, "Access-Control-Request-Method", "PUT");
    add_header(f, "Access-Control-Request-Headers", "x-a");
    struct params *ps = build(f, 0);
    expect(ps, "HTTP_ORIGIN", "https://app.example"); /* the backend handles CORS */
    expect(ps, "HTTP_ACCESS_CONTROL_REQUEST_METHOD", "PUT");

    f->site.cors.enabled = 1; /* the proxy is the only CORS authority */
    ps = build(f, 0);
    absent(ps, "HTTP_ORIGIN");
    absent(ps, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
    absent(ps, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS");
}

static void test_many_headers(void **state)
{
    struct fixture *f = *state;
    static char names[MAX_HDRS][16];

    /* The most lines there may be, repeats spread across all of them. */
    for (uint32_t i = 0; i < CGI_PARAMS_MAX_HEADERS - 1; i++) {
        if (i == 5 || i == 700 || i == 1022) {
            add_header(f, "X-Dup", i == 5 ? "a" : i == 700 ? "b" : "c");
            continue;
        }
        if (i == 1010 || i == 1011) {
            add_header(f, "x-late", i == 1010 ? "l1" : "l2");
            continue;
        }
        snprintf(names[i], sizeof names[i], "X-H%u", i);
        add_header(f, names[i], "v");
    }
    add_header(f, "Connection", "x-h7, X-H1020");
    struct params *ps = build(f, 0);
    expect(ps, "HTTP_X_DUP", "a, b, c");
    expect(ps, "HTTP_X_LATE", "l1, l2");
    expect(ps, "HTTP_X_H1021", "v");
    absent(ps, "HTTP_X_H7");
    absent(ps, "HTTP_X_H1020");
    /* 1023 - 5 distinct X-H, X-Dup, X-Late, minus 2 named in Connection,
     * plus X-Forwarded-For and X-Real-IP. */
    assert_int_equal(n_http(ps), 1023 - 5 + 2 - 2 + 2);

    /* One line more than the limit: refused (431). */
    add_header(f, "X-One-Too-Many", "v");
    assert_int_equal(build_cap(f, OUT_CAP, 0), 0);
}

static void test_long_common_prefix_names(void **state)
{
    struct fixture *f = *state;
    static char names[1000][64];

    /* Names that differ only at the end: grouping must still be exact. */
    for (int i = 0; i < 1000; i++) {
        snprintf(names[i], sizeof names[i], "X-Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%04d", i % 500);
        add_header(f, names[i], i < 500 ? "first" : "second");
    }
    struct params *ps = build(f, 0);
    assert_int_equal(n_http(ps), 500 + 2);
    expect(ps, "HTTP_X_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA0499", "first, second");
}

/* ---- capacity -------------------------------------------------------------- */

static void test_capacity(void **state)
{
    struct fixture *f = *state;
    set_request(f, "POST", "/index.php/x?y=1");
    add_header(f, "Host", "example.com");
    add_header(f, "Cookie", "a=1");
    add_header(f, "Cookie", "b=2");
    add_header(f, "Content-Type", "text/plain");
    char big[300];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    add_header(f, "X-Big", big); /* a 4-byte value length */

    size_t full = build_cap(f, OUT_CAP, 42);
    assert_true(full > 0);
    uint8_t *ref = malloc(full);
    assert_non_null(ref);
    memcpy(ref, f->out, full);

    uint8_t *buf = malloc(full + 64);
    assert_non_null(buf);
    for (size_t cap = 0; cap < full; cap++) {
        memset(buf, 0xEE, full + 64);
        size_t n = cgi_params_build(buf, cap, &f->site, &f->req, &f->script, &f->conn, 42);
        if (n != 0)
            fail_msg("cap %zu: returned %zu", cap, n);
        for (size_t i = cap; i < full + 64; i++)
            if (buf[i] != 0xEE)
                fail_msg("cap %zu: byte %zu written", cap, i);
    }
    memset(buf, 0xEE, full + 64);
    assert_int_equal(cgi_params_build(buf, full, &f->site, &f->req, &f->script, &f->conn, 42),
                     full);
    assert_memory_equal(buf, ref, full);
    assert_int_equal(buf[full], 0xEE);
    free(buf);
    free(ref);
}

static void test_capacity_dropped_header_is_free(void **state)
{
    struct fixture *f = *state;
    size_t base = build_cap(f, OUT_CAP, 0);
    static char big[5000];
    memset(big, 'z', sizeof big - 1);
    add_header(f, "Not_Forwarded", big); /* would not fit, but is dropped */
    add_header(f, "Proxy", big);
    assert_int_equal(build_cap(f, base, 0), base);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_exact_set),
        T(test_protocol_method),
        T(test_server_name),
        T(test_server_name_without_host),
        T(test_request_uri_raw),
        T(test_request_uri_absolute_form),
        T(test_script_filename_root),
        T(test_content),
        T(test_content_length_later),
        T(test_https),
        T(test_proxy_dropped),
        T(test_forwarded_for_replaced),
        T(test_hop_by_hop_dropped),
        T(test_connection_named_dropped),
        T(test_bad_names_dropped),
        T(test_repeated_headers_joined),
        T(test_host_and_values_as_is),
        T(test_cors_headers),
        T(test_many_headers),
        T(test_long_common_prefix_names),
        T(test_capacity),
        T(test_capacity_dropped_header_is_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
#undef T
}
