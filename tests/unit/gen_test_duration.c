/* gen_test_duration.c - Go duration parsing (exact) and canonical format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "duration.h"

static int64_t ns_of(const char *s)
{
    int64_t ns = -12345;
    int exact;
    const char *why = duration_parse(s, strlen(s), &ns, &exact);
    assert_null(why);
    assert_true(exact);
    return ns;
}

static const char *fails(const char *s)
{
    int64_t ns;
    int exact;
    const char *why = duration_parse(s, strlen(s), &ns, &exact);
    assert_non_null(why);
    return why;
}

static void test_units(void **state)
{
    (void)state;
    assert_int_equal(ns_of("1ns"), 1);
    assert_int_equal(ns_of("1us"), 1000);
    assert_int_equal(ns_of("1\xc2\xb5s"), 1000);
    assert_int_equal(ns_of("1\xce\xbcs"), 1000);
    assert_int_equal(ns_of("1ms"), 1000000);
    assert_int_equal(ns_of("1s"), 1000000000LL);
    assert_int_equal(ns_of("1m"), 60000000000LL);
    assert_int_equal(ns_of("1h"), 3600000000000LL);
    assert_int_equal(ns_of("0"), 0);
    assert_int_equal(ns_of("0s"), 0);
    assert_int_equal(ns_of("+5s"), 5000000000LL);
    assert_int_equal(ns_of("-5s"), -5000000000LL);
}

static void test_compound_and_fractions(void **state)
{
    (void)state;
    assert_int_equal(ns_of("1m30s"), 90000000000LL);
    assert_int_equal(ns_of("1h1m1s1ms1us1ns"), 3661001001001LL);
    assert_int_equal(ns_of("1.5s"), 1500000000LL);
    assert_int_equal(ns_of(".5s"), 500000000LL);
    assert_int_equal(ns_of("5.s"), 5000000000LL);
    assert_int_equal(ns_of("0.1h"), 360000000000LL);
    /* Exact where a float would not be: 1/3 of an hour is not a fraction
     * that needs rounding here, but 0.000000001h is 3.6us exactly. */
    assert_int_equal(ns_of("0.000000001h"), 3600);
    assert_int_equal(ns_of("1.000000000000000000000s"), 1000000000LL);
    assert_int_equal(ns_of("2h45m"), 9900000000000LL);
}

static void test_inexact(void **state)
{
    (void)state;
    int64_t ns;
    int exact;
    assert_null(duration_parse("1.5ns", 5, &ns, &exact));
    assert_false(exact);
    assert_int_equal(ns, 1);
    assert_null(duration_parse("1.0000000000000000000001s", 25, &ns, &exact));
    assert_false(exact);
}

static void test_garbage(void **state)
{
    (void)state;
    fails("");
    fails("-");
    fails("s");
    fails(".s");
    fails("5");
    fails("1.5");
    fails("5 s");
    fails(" 5s");
    fails("5s ");
    fails("5d");
    fails("5sec");
    fails("1e3s");
    fails("--5s");
    fails("5s-");
    fails("1..5s");
    assert_string_equal(fails("5"), "missing unit (use ns, us, ms, s, m or h)");
}

static void test_bounds(void **state)
{
    (void)state;
    assert_int_equal(ns_of("9223372036854775807ns"), INT64_MAX);
    assert_int_equal(ns_of("-9223372036854775808ns"), INT64_MIN);
    fails("9223372036854775808ns");
    fails("2562048h");
    fails("2562047h48m");
    assert_int_equal(ns_of("2562047h47m16.854775807s"), INT64_MAX);
    fails("99999999999999999999999s");
}

static void test_whole_ms(void **state)
{
    (void)state;
    int64_t ms;
    assert_non_null(duration_parse_ms("1500us", 6, &ms));
    assert_null(duration_parse_ms("2000000ns", 9, &ms));
    assert_int_equal(ms, 2);
    assert_null(duration_parse_ms("0.25s", 5, &ms));
    assert_int_equal(ms, 250);
    assert_non_null(duration_parse_ms("0.0005s", 7, &ms));
    assert_non_null(duration_parse_ms("1.5ns", 5, &ms));
}

static void check_format(int64_t ms, const char *want)
{
    char text[DURATION_TEXT_MAX];
    duration_format_ms(ms, text);
    assert_string_equal(text, want);
    /* And it reads back to the same value. */
    int64_t back;
    assert_null(duration_parse_ms(text, strlen(text), &back));
    assert_int_equal(back, ms);
}

static void test_format(void **state)
{
    (void)state;
    check_format(0, "0s");
    check_format(1, "1ms");
    check_format(100, "100ms");
    check_format(1000, "1s");
    check_format(1500, "1s500ms");
    check_format(90000, "1m30s");
    check_format(300000, "5m");
    check_format(3600000, "1h");
    check_format(3601000, "1h1s");
    check_format(86400000, "24h");
    check_format(-1500, "-1s500ms");
    check_format(INT64_MAX / 1000000, "2562047h47m16s854ms");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),    cmocka_unit_test(test_compound_and_fractions),
        cmocka_unit_test(test_inexact),  cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_bounds),   cmocka_unit_test(test_whole_ms),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
