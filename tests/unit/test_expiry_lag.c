/* test_expiry_lag.c — the release-lag window: nearest-rank percentiles, the maximum,
 * the ring keeping only the most recent samples, concurrent adds. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lag_window.h"

static lag_window window = LAG_WINDOW_INIT;

static int reset(void **state)
{
    (void)state;
    lag_window_reset(&window);
    return 0;
}

static void test_empty_is_zero(void **state)
{
    (void)state;
    lag_summary s = lag_window_summary(&window);
    assert_int_equal(s.count, 0);
    assert_true(s.p50 == 0 && s.p99 == 0 && s.max == 0);
}

static void test_percentiles_nearest_rank(void **state)
{
    (void)state;
    for (int i = 100; i >= 1; i--) /* order does not matter */
        lag_window_add(&window, i);
    lag_summary s = lag_window_summary(&window);
    assert_int_equal(s.count, 100);
    assert_true(s.p50 == 50);
    assert_true(s.p99 == 99);
    assert_true(s.max == 100);
    double one[] = {7};
    assert_true(lag_percentile(one, 1, 0.99) == 7);
    assert_true(lag_percentile(one, 0, 0.5) == 0);
}

static void test_ring_keeps_recent(void **state)
{
    (void)state;
    lag_window_add(&window, 1e6); /* old outlier, pushed out by the ring */
    for (int i = 0; i < LAG_WINDOW_SIZE; i++)
        lag_window_add(&window, 10);
    lag_summary s = lag_window_summary(&window);
    assert_int_equal(s.count, LAG_WINDOW_SIZE);
    assert_true(s.max == 10);
}

static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        lag_window_add(&window, 1);
    return NULL;
}

static void test_concurrent_adds(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, adder, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(lag_window_summary(&window).count, 4000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_empty_is_zero, reset),
        cmocka_unit_test_setup(test_percentiles_nearest_rank, reset),
        cmocka_unit_test_setup(test_ring_keeps_recent, reset),
        cmocka_unit_test_setup(test_concurrent_adds, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
