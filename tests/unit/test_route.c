/*
 * test_route.c - where a request goes, decided without a connection: the
 * health endpoints, baked locations, scripts, and the errors in between,
 * in the order the reference gives them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "http_parse.h"
#include "route.h"

static const struct kiln_location robots = {"/robots.txt", KILN_LOC_RETURN, 3};
static const struct kiln_location assoc = {"/aasa", KILN_LOC_UPSTREAM, 1};

static const struct kiln_location *lookup(const char *path, size_t len)
{
    if (len == 11 && memcmp(path, "/robots.txt", 11) == 0)
        return &robots;
    if (len == 5 && memcmp(path, "/aasa", 5) == 0)
        return &assoc;
    /* The health endpoints come first: they are never looked up here. */
    static const char *const health[] = {"/healthz", "/readyz", "/healthz/fail",
                                         "/healthz/drain-status"};
    for (size_t i = 0; i < sizeof health / sizeof health[0]; i++)
        if (len == strlen(health[i]) && memcmp(path, health[i], len) == 0)
            fail_msg("%s was looked up as a location", health[i]);
    return NULL;
}

struct fix {
    struct kiln_site site;
    struct arena_pool pool;
    struct arena arena;
    struct http_header headers[16];
    struct http_request req;
    struct route route;
    char raw[1024];
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    f->site.location_lookup = lookup;
    f->site.index = (struct kiln_bytes){"index.php", 9};
    arena_pool_init(&f->pool, 4);
    arena_init(&f->arena, &f->pool, 1 << 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    arena_reset(&f->arena);
    arena_pool_destroy(&f->pool);
    free(f);
    return 0;
}

/* Parse "METHOD TARGET" as a complete HTTP/1.1 head and route it. */
static const struct route *go(struct fix *f, const char *method, const char *target)
{
    struct http_parser p;
    struct http_limits lim = {1024, 1024, 16};
    int n = snprintf(f->raw, sizeof f->raw, "%s %s HTTP/1.1\r\nHost: a\r\n\r\n", method, target);
    http_parser_init(&p);
    memset(&f->req, 0, sizeof f->req);
    f->req.headers = f->headers;
    assert_int_equal(http_parse_request(&p, (const uint8_t *)f->raw, (size_t)n, &lim, &f->req), n);
    arena_reset(&f->arena);
    route_request(&f->site, &f->req, &f->arena, &f->route);
    return &f->route;
}

static void expect_error(struct fix *f, const char *target, unsigned status, int keep)
{
    const struct route *r = go(f, "GET", target);
    if (r->kind != ROUTE_ERROR || r->status != status || r->keep != keep)
        fail_msg("%s: kind %u status %u keep %u, want error %u keep %d", target, r->kind,
                 r->status, r->keep, status, keep);
}

static void expect_script(struct fix *f, const char *target, const char *name, const char *info)
{
    const struct route *r = go(f, "GET", target);
    assert_int_equal(r->kind, ROUTE_SCRIPT);
    assert_int_equal(r->script.script_name_len, strlen(name));
    assert_memory_equal(r->script.script_name, name, strlen(name));
    assert_int_equal(r->script.path_info_len, strlen(info));
    assert_memory_equal(r->script.path_info, info, strlen(info));
}

static void test_health_endpoints(void **state)
{
    struct fix *f = *state;
    assert_int_equal(go(f, "GET", "/healthz")->kind, ROUTE_HEALTHZ);
    assert_int_equal(go(f, "HEAD", "/readyz")->kind, ROUTE_READYZ);
    assert_int_equal(go(f, "GET", "/healthz/fail")->kind, ROUTE_DRAIN);
    assert_int_equal(go(f, "GET", "/healthz/drain-status?x=1")->kind, ROUTE_DRAIN_STATUS);
    /* After normalization: a doubled slash is the same endpoint. */
    assert_int_equal(go(f, "GET", "//healthz")->kind, ROUTE_HEALTHZ);
    /* Near misses are scripts (the front controller gets them). */
    expect_script(f, "/healthz/", "/healthz/index.php", "");
    expect_script(f, "/healthzz", "/index.php", "/healthzz");
}

static void test_locations(void **state)
{
    struct fix *f = *state;
    const struct route *r = go(f, "POST", "/robots.txt");
    assert_int_equal(r->kind, ROUTE_RETURN);
    assert_int_equal(r->index, 3);
    r = go(f, "GET", "/%61asa"); /* matched after decoding */
    assert_int_equal(r->kind, ROUTE_UPSTREAM_LOC);
    assert_int_equal(r->index, 1);
}

static void test_scripts(void **state)
{
    struct fix *f = *state;
    expect_script(f, "/", "/index.php", "");
    expect_script(f, "/index.php/api/users?page=2", "/index.php", "/api/users");
    expect_script(f, "/admin/", "/admin/index.php", "");
    expect_script(f, "/api/users", "/index.php", "/api/users");
    expect_script(f, "/admin/dashboard.php", "/admin/dashboard.php", "");
}

static void test_refusals(void **state)
{
    struct fix *f = *state;
    expect_error(f, "/.env", 403, 1);
    expect_error(f, "/.git/config", 403, 1);
    expect_error(f, "/a/../etc/passwd", 400, 1);
    expect_error(f, "/a/%2e%2e/b", 400, 1);
    expect_error(f, "/a%00b", 400, 1);
    expect_error(f, "/a?file=x%00.jpg", 400, 1);
    expect_error(f, "/a\\b", 400, 1);
    const struct route *r = go(f, "OPTIONS", "*");
    assert_int_equal(r->kind, ROUTE_ERROR);
    assert_int_equal(r->status, 405);
    assert_true(r->keep);
}

static void test_out_of_memory_is_431(void **state)
{
    struct fix *f = *state;
    arena_init(&f->arena, &f->pool, 16); /* no room for anything */
    const struct route *r = go(f, "GET", "/x");
    assert_int_equal(r->kind, ROUTE_ERROR);
    assert_int_equal(r->status, 431);
    assert_false(r->keep);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_health_endpoints), T(test_locations), T(test_scripts), T(test_refusals),
        T(test_out_of_memory_is_431),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
