/* test_search_shard.c — SEARCH_SHARD parsing, and the shards' partition ranges: for
 * every shard count they are contiguous, disjoint and cover the 64 partitions, and the
 * router's shard of a partition is the one whose range holds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "shard.h"

static void test_parse(void **state)
{
    (void)state;
    shard s;
    assert_int_equal(shard_parse("", &s), 0);
    assert_true(s.index == 0 && s.count == 1 && s.lo == 0 && s.hi == HOLD_PARTITIONS);
    assert_int_equal(shard_parse("1/2", &s), 0);
    assert_true(s.index == 1 && s.count == 2 && s.lo == 32 && s.hi == 64);
    assert_int_equal(shard_parse("2/3", &s), 0);
    assert_true(s.lo == 42 && s.hi == 64);
    static const char *const bad[] = {"2/2", "-1/2", "0/0", "1", "1/65", "a/b", "1/2x", "1 /2", "0/2/3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(shard_parse(bad[i], &s), -1);
}

static void test_ranges_cover_every_partition_once(void **state)
{
    (void)state;
    for (int n = 1; n <= SHARD_MAX; n++) {
        int next = 0;
        for (int i = 0; i < n; i++) {
            char text[16];
            shard s;
            snprintf(text, sizeof text, "%d/%d", i, n);
            assert_int_equal(shard_parse(text, &s), 0);
            assert_int_equal(s.lo, next);
            assert_true(s.hi > s.lo);
            for (int p = s.lo; p < s.hi; p++) {
                assert_int_equal(shard_of_partition(p, n), i);
                assert_true(shard_has_partition(&s, p));
            }
            next = s.hi;
        }
        assert_int_equal(next, HOLD_PARTITIONS);
    }
}

static void test_resources_by_their_partition(void **state)
{
    (void)state;
    shard a, b;
    assert_int_equal(shard_parse("0/2", &a), 0);
    assert_int_equal(shard_parse("1/2", &b), 0);
    static const char *const ids[] = {"demo-lisbon-tejo", "res_bench_00042", "r", "hotel-ü"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        assert_int_equal(shard_has_resource(&a, ids[i]) + shard_has_resource(&b, ids[i]), 1);
        assert_int_equal(shard_has_resource(&b, ids[i]), shard_of_partition(hold_partition(ids[i]), 2));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_ranges_cover_every_partition_once),
        cmocka_unit_test(test_resources_by_their_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
