/*
 * test_spool.c - the spool that holds request bodies and responses for slow
 * clients: memory first (bounded per spool and by a budget shared by all),
 * then a temporary file; read back in place; dropped from the front.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool.h"

#define B SPOOL_BLOCK_SIZE

struct fix {
    _Atomic uint64_t used;
    struct spool_pool pool;
    struct spool s;
    uint8_t *data; /* reference bytes */
};

static int setup_budget(void **state, uint64_t budget, const char *dir)
{
    struct fix *f = calloc(1, sizeof *f);
    atomic_store(&f->used, 0);
    spool_pool_init(&f->pool, 4, &f->used, budget, dir);
    f->data = malloc(1 << 22);
    for (size_t i = 0; i < (1u << 22); i++)
        f->data[i] = (uint8_t)(i * 7 + (i >> 9));
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_budget(state, 1 << 30, "/tmp");
}

static int teardown(void **state)
{
    struct fix *f = *state;
    spool_reset(&f->s);
    /* Every block went back: the shared budget is whole again. */
    assert_int_equal(atomic_load(&f->used), 0);
    spool_pool_destroy(&f->pool);
    free(f->data);
    free(f);
    return 0;
}

/* Read [off, off+len) back through spool_get and compare. */
static void expect_bytes(struct spool *s, uint64_t off, const uint8_t *want, size_t len)
{
    size_t done = 0;
    while (done < len) {
        const uint8_t *p;
        long n = spool_get(s, off + done, len - done, &p);
        assert_true(n > 0);
        assert_true((size_t)n <= len - done);
        assert_memory_equal(p, want + done, (size_t)n);
        done += (size_t)n;
    }
    const uint8_t *p;
    if (off + len == spool_length(s))
        assert_int_equal(spool_get(s, off + len, 1, &p), 0);
}

static void test_memory_only(void **state)
{
    struct fix *f = *state;
    spool_init(&f->s, &f->pool, 4 * B, 0);
    assert_int_equal(spool_room(&f->s), 4 * B);
    assert_int_equal(spool_append(&f->s, f->data, 100), 0);
    assert_int_equal(spool_append(&f->s, f->data + 100, B), 0); /* across a block */
    assert_int_equal(spool_length(&f->s), 100 + B);
    assert_int_equal(spool_pending(&f->s), 100 + B);
    assert_int_equal(f->s.fd, -1);
    expect_bytes(&f->s, 0, f->data, 100 + B);
    expect_bytes(&f->s, 50, f->data + 50, 100 + B - 50);
    assert_int_equal(atomic_load(&f->used), 2 * B);
    /* Over the memory limit, with no file allowed: refused, nothing added. */
    assert_int_equal(spool_room(&f->s), 4 * B - 100 - B);
    assert_int_equal(spool_append(&f->s, f->data, 3 * B), -1);
    assert_int_equal(spool_length(&f->s), 100 + B);
    expect_bytes(&f->s, 0, f->data, 100 + B);
}

static void test_memory_then_file(void **state)
{
    struct fix *f = *state;
    size_t n = 10 * B + 123;
    spool_init(&f->s, &f->pool, 2 * B, 1 << 20);
    for (size_t at = 0; at < n; at += 1000)
        assert_int_equal(spool_append(&f->s, f->data + at, n - at < 1000 ? n - at : 1000), 0);
    assert_true(f->s.fd >= 0);
    assert_int_equal(f->s.mem_end, 2 * B);
    assert_int_equal(atomic_load(&f->used), 2 * B);
    expect_bytes(&f->s, 0, f->data, n);
    /* Backwards too (a request sent again reads its body from 0). */
    expect_bytes(&f->s, 3 * B + 5, f->data + 3 * B + 5, 100);
    expect_bytes(&f->s, 7, f->data + 7, 10);
    /* A file read is at most one block, and stays put until the next. */
    const uint8_t *p, *q;
    assert_int_equal(spool_get(&f->s, 5 * B, 4 * B, &p), B);
    assert_int_equal(spool_get(&f->s, 5 * B + 10, 5, &q), 5);
    assert_ptr_equal(q, p + 10);
}

static void test_budget_spent_goes_to_file(void **state)
{
    struct fix *f = *state;
    struct spool other;
    f->pool.budget = 3 * B;
    spool_init(&other, &f->pool, 2 * B, 0);
    assert_int_equal(spool_append(&other, f->data, 2 * B), 0);
    spool_init(&f->s, &f->pool, 8 * B, 8 * B);
    /* One block of budget left: the rest goes to the file. */
    assert_int_equal(spool_append(&f->s, f->data, 5 * B), 0);
    assert_int_equal(f->s.mem_end, B);
    assert_int_equal(atomic_load(&f->used), 3 * B);
    expect_bytes(&f->s, 0, f->data, 5 * B);
    /* Memory only, and the budget spent: refused, nothing added. */
    assert_int_equal(spool_append(&other, f->data, 1), -1);
    spool_reset(&other);
    assert_int_equal(atomic_load(&f->used), B);
}

static void test_file_limit_undoes_the_memory_part(void **state)
{
    struct fix *f = *state;
    f->pool.budget = 2 * B;
    spool_init(&f->s, &f->pool, 8 * B, B);
    assert_int_equal(spool_append(&f->s, f->data, 10), 0);
    /* Room says 8B + B, but the budget stops memory at 2B: the rest does
     * not fit in the file, so nothing of this append stays. */
    assert_int_equal(spool_append(&f->s, f->data + 10, 4 * B), -1);
    assert_int_equal(spool_length(&f->s), 10);
    assert_int_equal(atomic_load(&f->used), B);
    expect_bytes(&f->s, 0, f->data, 10);
    assert_int_equal(spool_append(&f->s, f->data + 10, 100), 0);
    expect_bytes(&f->s, 0, f->data, 110);
}

static void test_no_temp_dir(void **state)
{
    struct fix *f = *state;
    f->pool.temp_dir = "/nonexistent-kiln-dir";
    spool_init(&f->s, &f->pool, B, 8 * B);
    assert_int_equal(spool_append(&f->s, f->data, 100), 0);
    assert_int_equal(spool_append(&f->s, f->data + 100, 2 * B), -2);
    assert_int_equal(spool_length(&f->s), 100);
    expect_bytes(&f->s, 0, f->data, 100);
}

/* FIFO use: append at the end, peek and drop at the front, in random
 * sizes, against a reference; a drained spool starts over in memory. */
static void test_fifo(void **state)
{
    struct fix *f = *state;
    uint64_t appended = 0, dropped = 0;
    unsigned seed = 12345;
    int saw_file = 0, back_to_memory = 0;

    spool_init(&f->s, &f->pool, 3 * B, 1 << 21);
    for (int round = 0; round < 4000; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 8) % (2 * B);
        if ((seed >> 4) & 1 && appended + len < (1u << 22) && len <= spool_room(&f->s)) {
            assert_int_equal(spool_append(&f->s, f->data + appended, len), 0);
            appended += len;
        } else {
            struct outq q;
            outq_init(&q);
            long n = spool_peek(&f->s, &q, len + 1);
            assert_true(n >= 0);
            assert_int_equal((uint64_t)n, q.bytes);
            uint64_t at = dropped;
            for (uint32_t i = q.head; i < q.tail; i++) {
                assert_memory_equal(q.iov[i].iov_base, f->data + at, q.iov[i].iov_len);
                at += q.iov[i].iov_len;
            }
            saw_file |= f->s.in_file;
            /* Drop part of what was peeked, as a short write would. */
            uint64_t take = n > 0 ? (uint64_t)n - ((seed >> 12) % ((uint64_t)n + 1)) / 2 : 0;
            dropped += take;
            spool_drop(&f->s, dropped);
            if (dropped == appended && saw_file && !f->s.in_file)
                back_to_memory = 1;
        }
        assert_int_equal(spool_pending(&f->s), appended - dropped);
        if (appended > (3u << 20))
            break;
    }
    assert_true(saw_file);
    assert_true(back_to_memory);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_memory_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_then_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_spent_goes_to_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_limit_undoes_the_memory_part, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_temp_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
