/*
 * test_hdr.c - the one header table: every entry is found by its name in
 * any case, nothing else is, and the table is in lookup order.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "hdr.h"

static void test_table_is_sound(void **state)
{
    (void)state;
    for (size_t i = 0; i < hdr_table_len; i++) {
        assert_int_equal(hdr_table[i].len, strlen(hdr_table[i].name));
        if (hdr_table[i].flags & HDR_MANAGED)
            assert_non_null(hdr_table[i].why);
        for (size_t k = i + 1; k < hdr_table_len; k++)
            if (strcasecmp(hdr_table[i].name, hdr_table[k].name) == 0)
                fail_msg("%s twice", hdr_table[i].name);
    }
}

static void test_every_entry_found_in_any_case(void **state)
{
    (void)state;
    for (size_t i = 0; i < hdr_table_len; i++) {
        const struct hdr_info *h = &hdr_table[i], *got;
        char up[80], low[80];
        for (size_t k = 0; k <= h->len; k++) {
            up[k] = (char)toupper((unsigned char)h->name[k]);
            low[k] = (char)tolower((unsigned char)h->name[k]);
        }
        assert_int_equal(hdr_class(h->name, h->len, &got), h->flags);
        assert_ptr_equal(got, h);
        assert_int_equal(hdr_class(up, h->len, NULL), h->flags);
        assert_int_equal(hdr_class(low, h->len, &got), h->flags);
        assert_ptr_equal(got, h);
    }
}

static void test_what_kiln_does(void **state)
{
    (void)state;
    const struct hdr_info *got;
    /* The hop-by-hop headers go neither way and cannot be configured. */
    static const char *const hop[] = {"Connection", "Keep-Alive", "Proxy-Connection", "TE",
                                      "Trailer", "Transfer-Encoding", "Upgrade"};
    for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++) {
        unsigned f = hdr_class(hop[i], strlen(hop[i]), NULL);
        assert_true(f & HDR_REQ_DROP);
        assert_true(f & HDR_RESP_DROP);
        assert_true(f & HDR_MANAGED);
    }
    assert_int_equal(hdr_class("proxy", 5, NULL), HDR_REQ_DROP); /* httpoxy */
    assert_int_equal(hdr_class("x-forwarded-for", 15, NULL), HDR_REQ_DROP);
    assert_int_equal(hdr_class("Origin", 6, NULL), HDR_REQ_CORS);
    assert_true(hdr_class("Date", 4, &got) & HDR_MANAGED);
    assert_non_null(strstr(got->why, "Date"));
    assert_int_equal(hdr_class("Server", 6, NULL), HDR_RESP_DROP);
    assert_int_equal(hdr_class("X-Accel-Buffering", 17, &got), HDR_RESP_DROP);
    assert_int_equal(got->id, HDR_ID_X_ACCEL_BUFFERING);
    hdr_class("connection", 10, &got);
    assert_int_equal(got->id, HDR_ID_CONNECTION);
    hdr_class("CONTENT-LENGTH", 14, &got);
    assert_int_equal(got->id, HDR_ID_CONTENT_LENGTH);
    hdr_class("Keep-Alive", 10, &got);
    assert_int_equal(got->id, HDR_ID_OTHER);
}

static void test_others_are_nothing(void **state)
{
    (void)state;
    static const char *const plain[] = {"Host2", "Cookie", "Accept", "X-Proxy", "Te-",
                                        "Connections", "Content-Typ", "Contentlength",
                                        "Set-Cookie", "Location", "X-Real-Ip2", "T", ""};
    const struct hdr_info *got = (const struct hdr_info *)1;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        assert_int_equal(hdr_class(plain[i], strlen(plain[i]), &got), 0);
        assert_null(got);
    }
    char big[200];
    memset(big, 'a', sizeof big);
    assert_int_equal(hdr_class(big, sizeof big, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_sound),
        cmocka_unit_test(test_every_entry_found_in_any_case),
        cmocka_unit_test(test_what_kiln_does),
        cmocka_unit_test(test_others_are_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
