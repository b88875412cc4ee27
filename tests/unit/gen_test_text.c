/* gen_test_text.c - did-you-mean, C string escaping, JSON paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "cstr.h"
#include "diag.h"
#include "suggest.h"

static const char *const keys[] = {"listen", "network", "address", "document_root",
                                   "read_timeout", "write_timeout", "max_headers",
                                   "max_header_size"};

static const char *closest(const char *word)
{
    return suggest_closest(word, strlen(word), keys, sizeof keys / sizeof keys[0]);
}

static void test_distance(void **state)
{
    (void)state;
    assert_int_equal(suggest_distance("listen", 6, "listen", 6), 0);
    assert_int_equal(suggest_distance("lisen", 5, "listen", 6), 1);
    assert_int_equal(suggest_distance("lsiten", 6, "listen", 6), 1);
    assert_int_equal(suggest_distance("LISTEN", 6, "listen", 6), 0);
    assert_int_equal(suggest_distance("", 0, "abc", 3), 3);
    assert_int_equal(suggest_distance("kitten", 6, "sitting", 7), 3);
}

static void test_suggest(void **state)
{
    (void)state;
    assert_string_equal(closest("lisen"), "listen");
    assert_string_equal(closest("Listen"), "listen");
    assert_string_equal(closest("adress"), "address");
    assert_string_equal(closest("documentroot"), "document_root");
    assert_string_equal(closest("read_timout"), "read_timeout");
    assert_string_equal(closest("max_header"), "max_headers");
    assert_null(closest("frobnicate"));
    assert_null(closest("x"));
    assert_null(closest(""));
}

static char *literal(const char *s, size_t len)
{
    struct buf b = BUF_INIT;
    cstr_literal(&b, s, len);
    return buf_take(&b, NULL);
}

static void test_cstr_escapes(void **state)
{
    (void)state;
    char *out = literal("a\"b\\c?d\te", 9);
    assert_string_equal(out, "\"a\\\"b\\\\c\\?d\\te\"");
    free(out);
    out = literal("\0\001\177\200\377", 5);
    assert_string_equal(out, "\"\\000\\001\\177\\200\\377\"");
    free(out);
    out = literal("", 0);
    assert_string_equal(out, "\"\"");
    free(out);
    /* Octal escapes are always three digits, so a digit after one stays a
     * digit; a "??=" can never become a trigraph. */
    out = literal("\0001?\?=", 5);
    assert_string_equal(out, "\"\\0001\\?\\?=\"");
    free(out);
}

static void test_cstr_splits(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_puts(&b, "x = ");
    cstr_literal(&b, "one\ntwo\n", 8);
    assert_string_equal(b.p, "x = \"one\\n\"\n    \"two\\n\"");
    buf_free(&b);
    char data[200];
    memset(data, 'a', sizeof data);
    char *out = literal(data, sizeof data);
    /* Split into several literals, each line short. */
    size_t lines = 1, longest = 0, run = 0;
    for (char *p = out; *p; p++) {
        if (*p == '\n') {
            lines++;
            run = 0;
        } else if (++run > longest) {
            longest = run;
        }
    }
    assert_true(lines >= 3);
    assert_true(longest <= 70);
    free(out);
}

static void test_comment_text(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    cstr_comment(&b, "/a/*b*/?\?/\\\n", 12, 100);
    assert_null(strstr(b.p, "/*"));
    assert_null(strstr(b.p, "*/"));
    assert_null(strstr(b.p, "??"));
    assert_null(strchr(b.p, '\n'));
    buf_free(&b);
    cstr_comment(&b, "abcdef", 6, 3);
    assert_string_equal(b.p, "\"abc...\"");
    buf_free(&b);
}

static void test_json_paths(void **state)
{
    (void)state;
    struct buf p = BUF_INIT;
    buf_puts(&p, "$");
    jpath_key(&p, "locations", 9);
    jpath_index(&p, 3);
    jpath_key(&p, "path", 4);
    assert_string_equal(p.p, "$.locations[3].path");
    buf_truncate(&p, 1);
    jpath_key(&p, "response_headers", 16);
    jpath_key(&p, "X Bad\"", 6);
    assert_string_equal(p.p, "$.response_headers[\"X Bad\\\"\"]");
    buf_free(&p);
}

static void test_diag_collects(void **state)
{
    (void)state;
    struct diag d = DIAG_INIT;
    diag_error(&d, "$.a", "bad %d", 1);
    diag_warn(&d, "$.b", "odd");
    diag_error(&d, NULL, "whole file");
    assert_int_equal(d.errors, 2);
    assert_int_equal(d.warnings, 1);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    diag_print(&d, "site.json", f);
    fclose(f);
    assert_string_equal(text, "site.json: $.a: bad 1\nsite.json: $.b: warning: odd\n"
                              "site.json: whole file\n");
    free(text);
    diag_free(&d);
    diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),     cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_cstr_escapes), cmocka_unit_test(test_cstr_splits),
        cmocka_unit_test(test_comment_text), cmocka_unit_test(test_json_paths),
        cmocka_unit_test(test_diag_collects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
