/*
 * test_script.c - path canonicalization and front-controller resolution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "script.h"

#define CAP 256

/* Canonical paths never contain these, whatever the input. */
static void assert_canonical_shape(const char *c, size_t n)
{
    assert_true(n >= 1);
    assert_int_equal(c[0], '/');
    for (size_t i = 0; i + 1 < n; i++)
        assert_false(c[i] == '/' && c[i + 1] == '/');
    for (size_t i = 0; i < n; i++) {
        if (c[i] != '/')
            continue;
        size_t seg = i + 1, end = seg;
        while (end < n && c[end] != '/')
            end++;
        size_t len = end - seg;
        assert_false(len == 1 && c[seg] == '.');
        assert_false(len == 2 && c[seg] == '.' && c[seg + 1] == '.');
    }
}

/* Canonicalize `raw` (length given, so NUL can be tested) and compare. */
static void canon_n(const char *raw, size_t len, int want_rc, const char *want, int want_hidden)
{
    char out[CAP];
    int hidden = -1;
    int rc = script_canonicalize(raw, len, out, sizeof out, &hidden);

    if (want_rc < 0) {
        if (rc != want_rc)
            fail_msg("\"%.*s\": got %d, want %d", (int)len, raw, rc, want_rc);
        return;
    }
    if (rc <= 0)
        fail_msg("\"%.*s\": got %d", (int)len, raw, rc);
    assert_int_equal((size_t)rc, strlen(want));
    assert_memory_equal(out, want, (size_t)rc);
    assert_int_equal(hidden, want_hidden);
    assert_canonical_shape(out, (size_t)rc);
}

static void canon(const char *raw, const char *want)
{
    canon_n(raw, strlen(raw), 1, want, 0);
}

static void canon_hidden(const char *raw, const char *want)
{
    canon_n(raw, strlen(raw), 1, want, 1);
}

static void canon_err(const char *raw, int want_rc)
{
    canon_n(raw, strlen(raw), want_rc, NULL, 0);
}

/* Canonicalize and resolve with index "index.php"; returns resolve's rc. */
static int resolve(const char *raw, char *sn, char *pi)
{
    char out[CAP], buf[CAP];
    int hidden;
    struct script_result res;
    int n = script_canonicalize(raw, strlen(raw), out, sizeof out, &hidden);
    if (n < 0)
        return n;
    int rc = script_resolve(out, (size_t)n, hidden, "index.php", 9, buf, sizeof buf, &res);
    if (rc < 0)
        return rc;
    assert_ptr_equal(res.canonical, out);
    assert_int_equal(res.canonical_len, n);
    memcpy(sn, res.script_name, res.script_name_len);
    sn[res.script_name_len] = '\0';
    memcpy(pi, res.path_info, res.path_info_len);
    pi[res.path_info_len] = '\0';
    /* PATH_INFO is a suffix of the canonical path, or empty. */
    if (res.path_info_len > 0)
        assert_ptr_equal(res.path_info, out + n - res.path_info_len);
    else
        assert_string_equal(res.path_info, "");
    return 0;
}

static void row(const char *raw, const char *want_sn, const char *want_pi)
{
    char sn[2 * CAP], pi[CAP];
    int rc = resolve(raw, sn, pi);
    if (rc != 0)
        fail_msg("\"%s\": resolve returned %d", raw, rc);
    if (strcmp(sn, want_sn) != 0 || strcmp(pi, want_pi) != 0)
        fail_msg("\"%s\": got (%s, %s), want (%s, %s)", raw, sn, pi, want_sn, want_pi);
}

static void row_err(const char *raw, int want_rc)
{
    char sn[2 * CAP], pi[CAP];
    int rc = resolve(raw, sn, pi);
    if (rc != want_rc)
        fail_msg("\"%s\": got %d, want %d", raw, rc, want_rc);
}

/* ---- the front-controller table ------------------------------------------------- */

static void test_table(void **state)
{
    (void)state;
    row("/index.php", "/index.php", "");
    row("/index.php/api/users", "/index.php", "/api/users");
    row("/", "/index.php", "");
    row("/admin/", "/admin/index.php", "");
    row("/api/users", "/index.php", "/api/users");
    row("/admin/dashboard.php", "/admin/dashboard.php", "");
}

static void test_table_more(void **state)
{
    (void)state;
    row("/admin", "/index.php", "/admin"); /* no slash: not a directory */
    row("/index.php/", "/index.php", "/");  /* trailing slash kept */
    row("/a.php/b.php/c", "/a.php", "/b.php/c");
    row("/a/b/c.php/d/", "/a/b/c.php", "/d/");
    row("/INDEX.PHP", "/INDEX.PHP", "");
    row("/Admin/Login.Php/x", "/Admin/Login.Php", "/x");
    row("/x.pHp", "/x.pHp", "");
    row("/foo.php5", "/index.php", "/foo.php5");
    row("/foo.phps", "/index.php", "/foo.phps");
    row("/foo.php.jpg", "/index.php", "/foo.php.jpg");
    row("/foo.php.jpg/", "/foo.php.jpg/index.php", "");
    row("/php", "/index.php", "/php");
    row("/xphp", "/index.php", "/xphp");
    row("/a.phpx/b", "/index.php", "/a.phpx/b");
    row("//admin//", "/admin/index.php", "");
    row("/index.php%2Fapi", "/index.php", "/api");
    row("/caf%C3%A9.php/%E2%82%AC", "/caf\xc3\xa9.php", "/\xe2\x82\xac");
}

static void test_hidden_resolve(void **state)
{
    (void)state;
    row_err("/.env", -403);
    row_err("/.git/config", -403);
    row_err("/.well-known/x", -403);
    row_err("/.php", -403);
    row_err("/a/.hidden/b.php", -403);
    row_err("/index.php/.git", -403); /* hidden PATH_INFO too: refused */
    row_err("/%2egit/HEAD", -403);
    row_err("/.htaccess/", -403);
}

static void test_resolve_ignores_lost_hidden_flag(void **state)
{
    (void)state;
    char buf[CAP];
    struct script_result res;
    static const char c1[] = "/.git/config";
    static const char c2[] = "/a/.env";

    assert_int_equal(script_resolve(c1, sizeof c1 - 1, 0, "index.php", 9, buf, sizeof buf, &res),
                     -403);
    assert_int_equal(script_resolve(c2, sizeof c2 - 1, 0, "index.php", 9, buf, sizeof buf, &res),
                     -403);
    assert_int_equal(script_resolve("", 0, 0, "index.php", 9, buf, sizeof buf, &res), -403);
    assert_int_equal(script_resolve("a.php", 5, 0, "index.php", 9, buf, sizeof buf, &res), -403);
}

static void test_resolve_capacity(void **state)
{
    (void)state;
    struct script_result res;
    static const char dir[] = "/admin/"; /* 7 + 9 + 1 = 17 bytes needed */
    char buf[32];

    memset(buf, 'x', sizeof buf);
    assert_int_equal(script_resolve(dir, 7, 0, "index.php", 9, buf, 17, &res), 0);
    assert_string_equal(buf, "/admin/index.php");
    assert_int_equal(res.script_name_len, 16);
    assert_ptr_equal(res.script_name, buf);
    assert_int_equal(script_resolve(dir, 7, 0, "index.php", 9, buf, 16, &res), -414);

    /* Front controller: "/index.php" + NUL. */
    assert_int_equal(script_resolve("/api", 4, 0, "index.php", 9, buf, 11, &res), 0);
    assert_string_equal(buf, "/index.php");
    assert_int_equal(script_resolve("/api", 4, 0, "index.php", 9, buf, 10, &res), -414);

    /* A .php path needs no buffer at all. */
    assert_int_equal(script_resolve("/a.php", 6, 0, "index.php", 9, NULL, 0, &res), 0);
    assert_int_equal(res.script_name_len, 6);

    /* Another index name. */
    assert_int_equal(script_resolve("/", 1, 0, "app.php", 7, buf, sizeof buf, &res), 0);
    assert_string_equal(buf, "/app.php");
}

/* ---- canonicalization ----------------------------------------------------------- */

static void test_canon_basic(void **state)
{
    (void)state;
    canon("/", "/");
    canon("//", "/");
    canon("///", "/");
    canon("/a", "/a");
    canon("/a/", "/a/");
    canon("/a//b///c", "/a/b/c");
    canon("//a//b//", "/a/b/");
    canon("/a/b/c.php", "/a/b/c.php");
    canon("/a.b/c..d/e.", "/a.b/c..d/e."); /* dots inside names are fine */
    canon("/~user/", "/~user/");
}

static void test_canon_percent(void **state)
{
    (void)state;
    canon("/a%20b", "/a b");
    canon("/%41%42%63", "/ABc");
    canon("/a%2Fb", "/a/b");
    canon("/a%2fb", "/a/b");
    canon("/a%2F%2Fb", "/a/b");
    canon("/a%2F", "/a/");
    canon("/%25", "/%");
    canon("/%252e%252e", "/%2e%2e"); /* decoded once */
    canon("/caf%C3%A9", "/caf\xc3\xa9");
    canon("/caf\xc3\xa9", "/caf\xc3\xa9"); /* raw UTF-8 kept */
    canon("/%ff%80", "/\xff\x80");
    canon("/%3F%23", "/?#");
}

static void test_canon_bad_escapes(void **state)
{
    (void)state;
    canon_err("/%", -400);
    canon_err("/a%", -400);
    canon_err("/a%4", -400);
    canon_err("/%zz", -400);
    canon_err("/%g0", -400);
    canon_err("/%0g", -400);
    canon_err("/%%41", -400);
    canon_err("/% 41", -400);
    canon_err("/%-1", -400);
}

static void test_canon_dot_segments(void **state)
{
    (void)state;
    canon_err("/.", -400);
    canon_err("/..", -400);
    canon_err("/./", -400);
    canon_err("/../", -400);
    canon_err("/a/./b", -400);
    canon_err("/a/../b", -400);
    canon_err("/a/..", -400);
    canon_err("/%2e", -400);
    canon_err("/%2e%2e", -400);
    canon_err("/%2E%2E/etc/passwd", -400);
    canon_err("/.%2e/", -400);
    canon_err("/a%2F..%2Fb", -400); /* %2F makes ".." a segment */
    canon_err("/a/..%2f", -400);
}

static void test_canon_refused_bytes(void **state)
{
    (void)state;
    canon_n("/a\0b", 4, -400, NULL, 0);
    canon_err("/a%00", -400);
    canon_err("/a%00.php", -400);
    canon_err("/a\\b", -400);
    canon_err("/a%5Cb", -400);
    canon_err("/a%5cb", -400);
    canon_err("/..%5C..%5Cwin.ini", -400);
    canon_err("/a%01", -400);
    canon_err("/a%0a", -400);
    canon_err("/a%0D%0A", -400);
    canon_err("/a%1f", -400);
    canon_err("/a%7f", -400);
    canon_err("/a\x01", -400);
    canon_err("/a\t", -400);
    canon_err("/a\x7f", -400);
    canon_err("/a\r\n", -400);
}

static void test_canon_start(void **state)
{
    (void)state;
    canon_n("", 0, -400, NULL, 0);
    canon_err("a", -400);
    canon_err("%2Fa", -400); /* must start with a raw '/' */
    canon_err("*", -400);
    canon_err("http://x/", -400);
}

static void test_canon_hidden(void **state)
{
    (void)state;
    canon_hidden("/.env", "/.env");
    canon_hidden("/.git/config", "/.git/config");
    canon_hidden("/.well-known/x", "/.well-known/x");
    canon_hidden("/.well-known/security.txt", "/.well-known/security.txt");
    canon_hidden("/a/%2ehtaccess", "/a/.htaccess");
    canon_hidden("/.php", "/.php");
    canon_hidden("/...", "/...");
    canon_hidden("/..a", "/..a");
    canon("/a.", "/a.");
    canon("/a/b.c/", "/a/b.c/");
}

static void test_canon_capacity(void **state)
{
    (void)state;
    char out[16];
    int hidden;

    assert_int_equal(script_canonicalize("/abc", 4, out, 4, &hidden), 4);
    assert_int_equal(script_canonicalize("/abc", 4, out, 3, &hidden), -414);
    assert_int_equal(script_canonicalize("/abc/", 5, out, 5, &hidden), 5);
    assert_int_equal(script_canonicalize("/abc/", 5, out, 4, &hidden), -414);
    assert_int_equal(script_canonicalize("/", 1, out, 1, &hidden), 1);
    assert_int_equal(script_canonicalize("/", 1, out, 0, &hidden), -414);
    /* Decoding and collapsing shrink: the output bound is what counts. */
    assert_int_equal(script_canonicalize("//%41%42//", 10, out, 4, &hidden), 4);
    assert_memory_equal(out, "/AB/", 4);
    /* A bad byte after the capacity ran out: -414 wins, it came first. */
    assert_int_equal(script_canonicalize("/abcd%00", 8, out, 3, &hidden), -414);
}

static void test_canon_long(void **state)
{
    (void)state;
    size_t n = 100000;
    char *raw = malloc(n), *out = malloc(n);
    int hidden;
    assert_non_null(raw);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++)
        raw[i] = (i % 10 == 0) ? '/' : 'a';
    assert_int_equal(script_canonicalize(raw, n, out, n, &hidden), (int)n);
    assert_memory_equal(out, raw, n);
    assert_int_equal(script_canonicalize(raw, n, out, n - 1, &hidden), -414);
    free(raw);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_more),
        cmocka_unit_test(test_hidden_resolve),
        cmocka_unit_test(test_resolve_ignores_lost_hidden_flag),
        cmocka_unit_test(test_resolve_capacity),
        cmocka_unit_test(test_canon_basic),
        cmocka_unit_test(test_canon_percent),
        cmocka_unit_test(test_canon_bad_escapes),
        cmocka_unit_test(test_canon_dot_segments),
        cmocka_unit_test(test_canon_refused_bytes),
        cmocka_unit_test(test_canon_start),
        cmocka_unit_test(test_canon_hidden),
        cmocka_unit_test(test_canon_capacity),
        cmocka_unit_test(test_canon_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
