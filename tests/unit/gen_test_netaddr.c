/* gen_test_netaddr.c - IP literals, host:port, CIDR, origins, URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netaddr.h"

static int v4(const char *s)
{
    uint8_t a[4];
    return ip4_parse(s, strlen(s), a);
}

static int v6(const char *s, uint8_t out[16])
{
    uint8_t tmp[16];
    return ip6_parse(s, strlen(s), out ? out : tmp);
}

static void test_ipv4(void **state)
{
    (void)state;
    uint8_t a[4];
    assert_int_equal(ip4_parse("192.168.0.255", 13, a), 0);
    assert_memory_equal(a, ((uint8_t[]){192, 168, 0, 255}), 4);
    assert_int_equal(v4("0.0.0.0"), 0);
    assert_int_equal(v4("255.255.255.255"), 0);
    assert_int_equal(v4("256.0.0.1"), -1);
    assert_int_equal(v4("010.0.0.1"), -1); /* octal to inet_aton */
    assert_int_equal(v4("1.2.3"), -1);
    assert_int_equal(v4("1.2.3.4.5"), -1);
    assert_int_equal(v4("1.2.3."), -1);
    assert_int_equal(v4("1..2.3"), -1);
    assert_int_equal(v4("0x1.2.3.4"), -1);
    assert_int_equal(v4(" 1.2.3.4"), -1);
    assert_int_equal(v4(""), -1);
}

static void test_ipv6(void **state)
{
    (void)state;
    uint8_t a[16];
    assert_int_equal(v6("::1", a), 0);
    assert_int_equal(a[15], 1);
    assert_int_equal(v6("::", a), 0);
    assert_int_equal(v6("2001:db8::ff00:42:8329", a), 0);
    assert_int_equal(a[0], 0x20);
    assert_int_equal(a[15], 0x29);
    assert_int_equal(v6("2001:0DB8:0000:0000:0000:0000:0000:0001", NULL), 0);
    assert_int_equal(v6("::ffff:192.0.2.1", a), 0);
    assert_int_equal(a[10], 0xff);
    assert_int_equal(a[12], 192);
    assert_int_equal(v6("1::", NULL), 0);
    assert_int_equal(v6("1:2:3:4:5:6:7::", NULL), 0);
    assert_int_equal(v6("1:2:3:4:5:6:7:8", NULL), 0);
    assert_int_equal(v6("1:2:3:4:5:6:1.2.3.4", NULL), 0);
    assert_int_equal(v6("1:2:3:4:5:6:7:8:9", NULL), -1);
    assert_int_equal(v6("1:2:3:4:5:6:7", NULL), -1);
    assert_int_equal(v6("1:2:3:4:5:6:7:8::", NULL), -1);
    assert_int_equal(v6("::1::", NULL), -1);
    assert_int_equal(v6(":::", NULL), -1);
    assert_int_equal(v6(":1", NULL), -1);
    assert_int_equal(v6("1:", NULL), -1);
    assert_int_equal(v6("12345::", NULL), -1);
    assert_int_equal(v6("fe80::1%eth0", NULL), -1);
    assert_int_equal(v6("::g", NULL), -1);
    assert_int_equal(v6("::1.2.3", NULL), -1);
    assert_int_equal(v6("1.2.3.4::", NULL), -1);
    assert_int_equal(v6("", NULL), -1);
}

static const char *hp(const char *s, struct hostport *out)
{
    struct hostport tmp;
    return hostport_parse(s, strlen(s), out ? out : &tmp);
}

static void test_hostport(void **state)
{
    (void)state;
    struct hostport h;
    assert_null(hp(":8080", &h));
    assert_int_equal(h.kind, HOST_NONE);
    assert_int_equal(h.port, 8080);
    assert_null(hp("127.0.0.1:9000", &h));
    assert_int_equal(h.kind, HOST_IP4);
    assert_null(hp("[::1]:9000", &h));
    assert_int_equal(h.kind, HOST_IP6);
    assert_int_equal(h.host_len, 3);
    assert_null(hp("php-fpm:9000", &h));
    assert_int_equal(h.kind, HOST_NAME);
    assert_null(hp("php_fpm.default.svc.cluster.local.:9000", NULL));
    assert_null(hp("x:1", NULL));
    assert_null(hp("x:65535", NULL));
    assert_non_null(hp("x:0", NULL));
    assert_non_null(hp("x:65536", NULL));
    assert_non_null(hp("x:", NULL));
    assert_non_null(hp("x", NULL));
    assert_non_null(hp("x:+80", NULL));
    assert_non_null(hp("::1:80", NULL));
    assert_non_null(hp("[::1]", NULL));
    assert_non_null(hp("[::1]80", NULL));
    assert_non_null(hp("[1.2.3.4]:80", NULL));
    assert_non_null(hp("-bad:80", NULL));
    assert_non_null(hp("bad-.x:80", NULL));
    assert_non_null(hp("a..b:80", NULL));
    assert_non_null(hp("1.2.3:80", NULL));
    assert_non_null(hp("300.1.1.1:80", NULL));
    assert_non_null(hp("caf\xc3\xa9:80", NULL));
}

static void test_hostname_lengths(void **state)
{
    (void)state;
    char name[300];
    memset(name, 'a', 63);
    assert_null(hostname_check(name, 63));
    assert_non_null(hostname_check(name, 64));
    for (int i = 0; i < 4; i++) {
        memset(name + i * 64, 'a', 63);
        name[i * 64 + 63] = '.';
    }
    assert_null(hostname_check(name, 253));
    assert_non_null(hostname_check(name, 255));
}

static const char *cidr(const char *s, struct cidr *c)
{
    struct cidr tmp;
    return cidr_parse(s, strlen(s), c ? c : &tmp);
}

static void check_cidr_text(const char *in, const char *want, int host_bits)
{
    struct cidr c;
    char text[CIDR_TEXT_MAX];
    assert_null(cidr(in, &c));
    cidr_format(&c, text);
    assert_string_equal(text, want);
    assert_int_equal(c.host_bits, host_bits);
}

static void test_cidr(void **state)
{
    (void)state;
    struct cidr c;
    assert_null(cidr("127.0.0.0/8", &c));
    assert_int_equal(c.prefix, 104);
    assert_memory_equal(c.addr, ((uint8_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 0}),
                        16);
    assert_null(cidr("::1/128", &c));
    assert_int_equal(c.prefix, 128);
    check_cidr_text("10.1.2.3/8", "10.0.0.0/8", 1);
    check_cidr_text("0.0.0.0/0", "0.0.0.0/0", 0);
    check_cidr_text("1.2.3.4/32", "1.2.3.4/32", 0);
    check_cidr_text("fe80::1/64", "fe80::/64", 1);
    check_cidr_text("2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128", 0);
    check_cidr_text("0:0:1::/48", "0:0:1::/48", 0);
    check_cidr_text("::/0", "::/0", 0);
    check_cidr_text("1:0:0:1:0:0:0:1/128", "1:0:0:1::1/128", 0);
    check_cidr_text("10.0.0.129/25", "10.0.0.128/25", 1);
    assert_non_null(cidr("10.0.0.0", NULL));
    assert_non_null(cidr("10.0.0.0/", NULL));
    assert_non_null(cidr("10.0.0.0/33", NULL));
    assert_non_null(cidr("10.0.0.0/08", NULL));
    assert_non_null(cidr("10.0.0.0/-1", NULL));
    assert_non_null(cidr("::/129", NULL));
    assert_non_null(cidr("x/8", NULL));
    assert_non_null(cidr("10.0.0.0/8/8", NULL));
}

static const char *origin(const char *s, char *lower, int *def)
{
    char tmp[256];
    int d;
    return origin_parse(s, strlen(s), lower ? lower : tmp, def ? def : &d);
}

static void test_origins(void **state)
{
    (void)state;
    char lower[256];
    int def;
    assert_null(origin("HTTPS://App.Example.COM:8443", lower, &def));
    assert_string_equal(lower, "https://app.example.com:8443");
    assert_false(def);
    assert_null(origin("https://app.example.com:443", lower, &def));
    assert_true(def);
    assert_null(origin("http://x:80", NULL, &def));
    assert_true(def);
    assert_null(origin("app://localhost", NULL, NULL));
    assert_null(origin("http://[::1]:3000", NULL, NULL));
    assert_null(origin("http://127.0.0.1", NULL, NULL));
    assert_null(origin("null", lower, NULL));
    assert_string_equal(lower, "null");
    assert_null(origin("*", NULL, NULL));
    assert_non_null(origin("NULL", NULL, NULL));
    assert_non_null(origin("ftp://x", NULL, NULL));
    assert_non_null(origin("https://", NULL, NULL));
    assert_non_null(origin("https://x/", NULL, NULL));
    assert_non_null(origin("https://x/path", NULL, NULL));
    assert_non_null(origin("https://x?q", NULL, NULL));
    assert_non_null(origin("https://x#f", NULL, NULL));
    assert_non_null(origin("https://u@x", NULL, NULL));
    assert_non_null(origin("app://loc:alhost", NULL, NULL));
    assert_non_null(origin("https://x:0", NULL, NULL));
    assert_non_null(origin("https://x:65536", NULL, NULL));
    assert_non_null(origin("https://x:080", NULL, NULL));
    assert_non_null(origin("https://x:", NULL, NULL));
    assert_non_null(origin("https://*.example.com", NULL, NULL));
    assert_non_null(origin("https://a b", NULL, NULL));
    assert_non_null(origin("https:/x", NULL, NULL));
    assert_non_null(origin("", NULL, NULL));
}

static void test_urls(void **state)
{
    (void)state;
    assert_null(url_check("https://cdn.example.com/a/b?x=1", 31));
    assert_null(url_check("http://cdn", 10));
    assert_null(url_check("HTTP://[2001:db8::1]:8080/x", 27));
    assert_null(url_check("https://cdn.example.com#frag", 28));
    assert_non_null(url_check("ftp://x/", 8));
    assert_non_null(url_check("https://u:p@x/", 14));
    assert_non_null(url_check("https:///x", 10));
    assert_non_null(url_check("https://x:99999/", 16));
    assert_non_null(url_check("https://x/a b", 13));
    assert_non_null(url_check("https://x/\n", 11));
    assert_non_null(url_check("cdn.example.com/x", 17));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),    cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_hostport), cmocka_unit_test(test_hostname_lengths),
        cmocka_unit_test(test_cidr),    cmocka_unit_test(test_origins),
        cmocka_unit_test(test_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
