/* gen_test_lexical.c - header names and values, paths, user names, HA1,
 * bcrypt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lexical.h"

#define OK(fn, s) assert_null(fn(s, sizeof(s) - 1))
#define BAD(fn, s) assert_non_null(fn(s, sizeof(s) - 1))

static const char bcrypt_ok[] = "$2b$10$siJqW8F4auYqhnMuFVeJU.prqFp8mGmCk.hOS.8ztPdzngQao/bBi";

static void test_header_names(void **state)
{
    (void)state;
    OK(lex_header_name, "X-Frame-Options");
    OK(lex_header_name, "a");
    OK(lex_header_name, "X-1");
    BAD(lex_header_name, "");
    BAD(lex_header_name, "X Frame");
    BAD(lex_header_name, "X_Frame");
    BAD(lex_header_name, "X-Frame:");
    BAD(lex_header_name, "X\xc3\xa9");
    BAD(lex_header_name, "X\0Y");
}

static void test_header_values(void **state)
{
    (void)state;
    OK(lex_header_value, "");
    OK(lex_header_value, "max-age=31536000; includeSubDomains");
    OK(lex_header_value, "a\tb");
    OK(lex_header_value, "caf\xc3\xa9");
    BAD(lex_header_value, "a\r\nb");
    BAD(lex_header_value, "a\nb");
    BAD(lex_header_value, "a\0b");
    BAD(lex_header_value, "a\x1b");
    BAD(lex_header_value, "a\x7f");
}

static void test_location_paths(void **state)
{
    (void)state;
    OK(lex_location_path, "/");
    OK(lex_location_path, "/robots.txt");
    OK(lex_location_path, "/.well-known/security.txt");
    OK(lex_location_path, "/a/b/");
    OK(lex_location_path, "/caf\xc3\xa9");
    OK(lex_location_path, "/...");
    OK(lex_location_path, "/a/.b");
    BAD(lex_location_path, "");
    BAD(lex_location_path, "robots.txt");
    BAD(lex_location_path, "//a");
    BAD(lex_location_path, "/a//");
    BAD(lex_location_path, "/.");
    BAD(lex_location_path, "/..");
    BAD(lex_location_path, "/a/./b");
    BAD(lex_location_path, "/a/../b");
    BAD(lex_location_path, "/a/..");
    BAD(lex_location_path, "/a%2e");
    BAD(lex_location_path, "/a?b");
    BAD(lex_location_path, "/a#b");
    BAD(lex_location_path, "/a\\b");
    BAD(lex_location_path, "/a b");
    BAD(lex_location_path, "/a\tb");
    BAD(lex_location_path, "/a\0");
    char long_path[1026];
    memset(long_path, 'a', sizeof long_path);
    long_path[0] = '/';
    assert_null(lex_location_path(long_path, 1024));
    assert_non_null(lex_location_path(long_path, 1025));
}

static void check_normalize(const char *in, const char *want)
{
    char buf[64];
    strcpy(buf, in);
    assert_null(lex_abs_path(buf, strlen(buf)));
    size_t n = lex_abs_path_normalize(buf, strlen(buf));
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
}

static void test_abs_paths(void **state)
{
    (void)state;
    check_normalize("/", "/");
    check_normalize("//", "/");
    check_normalize("/var/www/html", "/var/www/html");
    check_normalize("/var/www/html/", "/var/www/html");
    check_normalize("//var///www//", "/var/www");
    check_normalize("/var/.hidden/x", "/var/.hidden/x");
    BAD(lex_abs_path, "");
    BAD(lex_abs_path, "var/www");
    BAD(lex_abs_path, "/var/../etc");
    BAD(lex_abs_path, "/var/./www");
    BAD(lex_abs_path, "/var/..");
    BAD(lex_abs_path, "/var/www\n");
    BAD(lex_abs_path, "/var\0/www");
}

static void test_file_names(void **state)
{
    (void)state;
    OK(lex_file_name, "index.php");
    OK(lex_file_name, ".index.php");
    OK(lex_file_name, "...");
    BAD(lex_file_name, "");
    BAD(lex_file_name, ".");
    BAD(lex_file_name, "..");
    BAD(lex_file_name, "a/b");
    BAD(lex_file_name, "a\\b");
    BAD(lex_file_name, "a\0b");
    BAD(lex_file_name, "a\nb");
}

static void test_users_and_realms(void **state)
{
    (void)state;
    OK(lex_username, "alice");
    OK(lex_username, "alice@example.com");
    OK(lex_username, "\xc3\xa9lise");
    BAD(lex_username, "");
    BAD(lex_username, "a:b");
    BAD(lex_username, "a\"b");
    BAD(lex_username, "a\rb");
    BAD(lex_username, "a\nb");
    BAD(lex_username, "a\0b");
    char name[258];
    memset(name, 'a', sizeof name);
    assert_null(lex_username(name, 256));
    assert_non_null(lex_username(name, 257));
    OK(lex_realm, "kiln");
    OK(lex_realm, "staff only");
    BAD(lex_realm, "");
    BAD(lex_realm, "a\"b");
    BAD(lex_realm, "a\r\nb");
    BAD(lex_realm, "a\0b");
    OK(lex_request_path, "/status");
    BAD(lex_request_path, "status");
    BAD(lex_request_path, "/status?full");
    BAD(lex_request_path, "/sta tus");
}

static void test_ha1(void **state)
{
    (void)state;
    const char *sha = "9dfb2a5e6c53c6698ae50f21c0fa27a0cf0c5c00774b513a7337f6bde78dd178";
    const char *md5 = "31fc81bd0755f003369cc5bf66a7dd1c";
    assert_null(lex_ha1(sha, 64, 64));
    assert_null(lex_ha1(md5, 32, 32));
    assert_non_null(lex_ha1(md5, 32, 64));
    assert_non_null(lex_ha1(sha, 64, 32));
    assert_non_null(lex_ha1(sha, 63, 64));
    assert_string_equal(lex_ha1("9DFB", 4, 64), "must be lower-case hex");
    assert_string_equal(lex_ha1("9dfg", 4, 64), "must be hex digits only (0-9, a-f)");
    assert_non_null(lex_ha1("", 0, 32));
}

static void with_char(char *out, size_t at, char c)
{
    memcpy(out, bcrypt_ok, sizeof bcrypt_ok);
    out[at] = c;
}

static void test_bcrypt(void **state)
{
    (void)state;
    char h[sizeof bcrypt_ok];
    assert_null(lex_bcrypt(bcrypt_ok, 60));
    assert_int_equal(lex_bcrypt_cost(bcrypt_ok), 10);
    with_char(h, 2, 'a');
    assert_null(lex_bcrypt(h, 60));
    with_char(h, 2, 'y');
    assert_null(lex_bcrypt(h, 60));
    with_char(h, 2, 'x');
    assert_non_null(lex_bcrypt(h, 60));
    with_char(h, 5, '3'); /* cost 13 */
    assert_null(lex_bcrypt(h, 60));
    with_char(h, 4, '0');
    h[5] = '4';
    assert_null(lex_bcrypt(h, 60));
    h[5] = '3';
    assert_non_null(lex_bcrypt(h, 60)); /* cost 03 */
    with_char(h, 4, '3');
    h[5] = '2';
    assert_non_null(lex_bcrypt(h, 60)); /* cost 32 */
    with_char(h, 4, 'x');
    assert_non_null(lex_bcrypt(h, 60));
    with_char(h, 6, 'x');
    assert_non_null(lex_bcrypt(h, 60));
    with_char(h, 30, '+');
    assert_non_null(lex_bcrypt(h, 60));
    with_char(h, 59, '=');
    assert_non_null(lex_bcrypt(h, 60));
    assert_non_null(lex_bcrypt(bcrypt_ok, 59));
    assert_string_equal(lex_bcrypt("hunter2", 7),
                        "plaintext passwords are rejected; store a bcrypt hash (htpasswd -B)");
    assert_non_null(lex_bcrypt("$1$abc$def", 10));
    assert_non_null(lex_bcrypt("", 0));
}

static void test_case_helpers(void **state)
{
    (void)state;
    assert_true(lex_ieq("Content-Length", 14, "content-length"));
    assert_false(lex_ieq("Content-Lengt", 13, "content-length"));
    assert_true(lex_iprefix("access-control-allow-origin", 27, "Access-Control-"));
    assert_false(lex_iprefix("Access", 6, "Access-Control-"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_names),   cmocka_unit_test(test_header_values),
        cmocka_unit_test(test_location_paths), cmocka_unit_test(test_abs_paths),
        cmocka_unit_test(test_file_names),     cmocka_unit_test(test_users_and_realms),
        cmocka_unit_test(test_ha1),            cmocka_unit_test(test_bcrypt),
        cmocka_unit_test(test_case_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
