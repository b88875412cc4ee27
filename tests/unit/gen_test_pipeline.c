/* gen_test_pipeline.c - the generator end to end in memory: defaults,
 * emitted tables, strictness, docs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen.h"
#include "schema.h"

struct run {
    struct diag d;
    struct gen_result r;
    int rc;
};

static void run_opt(struct run *x, const char *json, int strict, int serve_all)
{
    struct gen_options opt = {.strict = strict, .check_fs = 0, .serve_all = serve_all};
    memset(x, 0, sizeof *x);
    x->rc = gen_run(json, strlen(json), "t.json", &opt, &x->d, &x->r);
}

static void run(struct run *x, const char *json, int strict)
{
    run_opt(x, json, strict, 0);
}

/* The emitters of tables the runtime does not serve yet (serve.c refuses
 * such configs) are still tested: they are what the features will read. */
static void run_all(struct run *x, const char *json, int strict)
{
    run_opt(x, json, strict, 1);
}

static void done(struct run *x)
{
    gen_result_free(&x->r);
    diag_free(&x->d);
}

static void has(const struct buf *b, const char *needle)
{
    if (strstr(buf_str(b), needle) == NULL)
        fail_msg("missing in output: %s", needle);
}

static void test_empty_config(void **state)
{
    (void)state;
    struct run x;
    run(&x, "{}", 1);
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.d.n, 0);
    has(&x.r.site_c, ".listen_port = 8080,");
    has(&x.r.site_c, ".listen_host = \"\",");
    has(&x.r.site_c, ".upstream_host = \"127.0.0.1\",");
    has(&x.r.site_c, ".upstream_port = 9000,");
    has(&x.r.site_c, ".location_lookup = site_location_none,");
    has(&x.r.site_c, ".type = KILN_AUTH_NONE,");
    has(&x.r.site_c, ".upstream_max_conns = 5,");
    has(&x.r.gperf, "\"(none)\", 0, 0");
    assert_int_equal(strlen(x.r.sha256), 64);
    done(&x);
}

static void test_same_input_same_output(void **state)
{
    (void)state;
    const char *cfg = "{\"response_headers\": {\"B\": \"2\", \"a\": \"1\"},"
                      " \"locations\": [{\"path\": \"/x\", \"return\": {\"body\": \"hi\"}}]}";
    const char *swapped = "{\"locations\": [{\"path\": \"/x\", \"return\": {\"body\": \"hi\"}}],"
                          " \"response_headers\": {\"a\": \"1\", \"B\": \"2\"}}";
    struct run a, b;
    run(&a, cfg, 0);
    run(&b, swapped, 0);
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    /* Key order in the JSON is not semantic: identical output. */
    assert_string_equal(a.r.site_c.p, b.r.site_c.p);
    assert_string_equal(a.r.sha256, b.r.sha256);
    has(&a.r.site_c, "\"a: 1\\r\\n\"");
    has(&a.r.site_c, "\"HTTP/1.1 200 OK\\r\\n\"");
    has(&a.r.site_c, "\"Content-Length: 2\\r\\n\"");
    done(&a);
    done(&b);
}

static void test_return_heads(void **state)
{
    (void)state;
    struct run x;
    run(&x, "{\"response_headers\": {\"Content-Type\": \"application/json\", \"X-A\": \"1\"},"
            " \"locations\": ["
            " {\"path\": \"/n\", \"return\": {\"status\": 204, \"body\": \"\"}},"
            " {\"path\": \"/u\", \"return\": {\"status\": 299, \"body\": \"x\", \"content_type\": \"\"}},"
            " {\"path\": \"/t\", \"return\": {\"status\": 404, \"body\": \"gone\"}}]}", 0);
    assert_int_equal(x.rc, 0);
    /* 204: no Content-Type or Content-Length; the configured headers stay. */
    has(&x.r.site_c, ".head = {.ptr = \"HTTP/1.1 204 No Content\\r\\n\"\n"
                     "                        \"Content-Type: application/json\\r\\n\"");
    /* Unknown status: empty reason; empty content_type: the configured one. */
    has(&x.r.site_c, "\"HTTP/1.1 299 \\r\\n\"\n                        \"Content-Length: 1\\r\\n\"\n"
                     "                        \"Content-Type: application/json\\r\\n\"");
    /* The location's own Content-Type replaces the configured one. */
    has(&x.r.site_c, "\"HTTP/1.1 404 Not Found\\r\\n\"\n"
                     "                        \"Content-Type: text/plain; charset=utf-8\\r\\n\"\n"
                     "                        \"Content-Length: 4\\r\\n\"\n"
                     "                        \"X-A: 1\\r\\n\", .len = ");
    has(&x.r.gperf, "\"/t\", KILN_LOC_RETURN, 2");
    done(&x);
}

static void test_cors_tables(void **state)
{
    (void)state;
    struct run x;
    run_all(&x, "{\"cors\": {\"enabled\": true, \"allowed_origins\": [\"https://b.example\","
            " \"HTTPS://A.example\", \"null\"], \"allowed_methods\": [\"put\", \"GET\", \"get\"],"
            " \"exposed_headers\": [\"X-Id\"], \"max_age\": \"10m\"}}", 0);
    assert_int_equal(x.rc, 0);
    const char *a = strstr(x.r.site_c.p, ".origin = {.ptr = \"https://a.example\"");
    const char *b = strstr(x.r.site_c.p, ".origin = {.ptr = \"https://b.example\"");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    has(&x.r.site_c, "static const char *const site_cors_methods[] = {\"GET\", \"PUT\"};");
    has(&x.r.site_c, "\"Access-Control-Max-Age: 600\\r\\n\"");
    has(&x.r.site_c, "\"Access-Control-Expose-Headers: X-Id\\r\\n\"");
    has(&x.r.site_c, ".allow_null_origin = 1,");
    has(&x.r.site_c, ".echo_request_headers = 1,");
    has(&x.r.site_c, ".n_origins = 2,");
    has(&x.r.site_c, ".vary_only = {.ptr = \"Vary: Origin\\r\\n\", .len = 14}");
    done(&x);
}

static void test_auth_tables(void **state)
{
    (void)state;
    struct run x;
    run_all(&x, "{\"auth\": {\"enabled\": true, \"type\": \"basic\", \"realm\": \"r\", \"users\": ["
            "{\"username\": \"zed\", \"password_hash\": "
            "\"$2b$12$PWJWyAewl5egoXr5gWQxz.X262dUYl7Wg//rK6KbRu7P2ssqICWDe\"},"
            "{\"username\": \"amy\", \"password_hash\": "
            "\"$2b$12$siJqW8F4auYqhnMuFVeJU.prqFp8mGmCk.hOS.8ztPdzngQao/bBi\"},"
            "{\"username\": \"bob\", \"password_hash\": "
            "\"$2b$10$siJqW8F4auYqhnMuFVeJU.prqFp8mGmCk.hOS.8ztPdzngQao/bBi\"}]}}", 0);
    assert_int_equal(x.rc, 0);
    /* Highest cost, first by name among equals: amy. */
    has(&x.r.site_c, ".basic_dummy_hash = \"$2b$12$siJq");
    assert_true(strstr(x.r.site_c.p, "\"amy\"") < strstr(x.r.site_c.p, "\"zed\""));
    has(&x.r.site_c, ".password_cache_enabled = 1,");
    has(&x.r.site_c, ".digest_alg = 0,");
    /* The canonical config keeps the secret; the printed one does not. */
    assert_non_null(strstr(x.r.canonical, "$2b$12$PWJW"));
    has(&x.r.site_c, "\"        \\\"password_hash\\\": \\\"<redacted>\\\",\\n\"");
    done(&x);

    run_all(&x, "{\"auth\": {\"enabled\": true, \"realm\": \"r\", \"algorithm\": \"md5\", \"users\": ["
            "{\"username\": \"a\", \"ha1\": \"31fc81bd0755f003369cc5bf66a7dd1c\"}]}}", 0);
    assert_int_equal(x.rc, 0);
    has(&x.r.site_c, ".ha1 = {0x31, 0xfc, 0x81, 0xbd, 0x07, 0x55, 0xf0, 0x03,");
    has(&x.r.site_c, ".ha1_len = 16,");
    has(&x.r.site_c, ".digest_alg = KILN_DIGEST_MD5,");
    has(&x.r.site_c, "\\\"ha1\\\": \\\"<redacted>\\\"");
    assert_non_null(strstr(x.r.canonical, "\"algorithm\":\"MD5\""));
    done(&x);
}

static void test_unserved_refused(void **state)
{
    (void)state;
    struct run x;
    run(&x, "{\"cors\": {\"enabled\": true, \"allowed_origins\": [\"https://b.example\"]}}", 0);
    assert_int_equal(x.rc, -1);
    assert_int_equal(x.d.errors, 1);
    assert_int_equal(x.r.site_c.len, 0);
    done(&x);
}

static void test_strict_and_errors(void **state)
{
    (void)state;
    struct run x;
    run(&x, "{\"index\": \"index.html\"}", 0);
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.d.warnings, 1);
    done(&x);
    run(&x, "{\"index\": \"index.html\"}", 1);
    assert_int_equal(x.rc, -1);
    assert_int_equal(x.r.site_c.len, 0);
    assert_null(x.r.canonical);
    done(&x);
    run(&x, "{\"listen\": 1, \"network\": 2, \"address\": 3}", 0);
    assert_int_equal(x.rc, -1);
    assert_int_equal(x.d.errors, 3);
    done(&x);
    run(&x, "not json", 0);
    assert_int_equal(x.rc, -1);
    assert_int_equal(x.d.errors, 1);
    done(&x);
}

/* Every key of every table has a description, a default or a reason it
 * has none, and shows up in the docs. */
static void check_table(const struct schema_obj *obj, const char *doc)
{
    for (size_t i = 0; i < obj->n_keys; i++) {
        const struct schema_key *k = &obj->keys[i];
        assert_non_null(k->doc);
        char needle[128];
        snprintf(needle, sizeof needle, "%s`", k->name);
        assert_non_null(strstr(doc, needle));
        if (k->sub != NULL)
            check_table(k->sub, doc);
    }
}

static void test_docs(void **state)
{
    (void)state;
    struct buf doc = BUF_INIT;
    schema_doc(&doc);
    check_table(&schema_config, doc.p);
    assert_non_null(strstr(doc.p, "| `cors.allowed_origins` |"));
    assert_non_null(strstr(doc.p, "| `locations[].return.status` |"));
    assert_non_null(strstr(doc.p, "| `dial_timeout` | duration | `\"5s\"` | `100ms` – `5m` |"));
    buf_free(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_config),  cmocka_unit_test(test_same_input_same_output),
        cmocka_unit_test(test_return_heads),  cmocka_unit_test(test_cors_tables),
        cmocka_unit_test(test_auth_tables),   cmocka_unit_test(test_unserved_refused),
        cmocka_unit_test(test_strict_and_errors),
        cmocka_unit_test(test_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
