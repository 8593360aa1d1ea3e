/* test_expiry_keymap.c — expiry-svc's (string, int64) -> int64 map: insert, overwrite,
 * growth across many keys, distinct sub-keys, swap and clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "keymap.h"

static void test_put_get_overwrite(void **state)
{
    (void)state;
    keymap m = KEYMAP_INIT;
    int64_t v = 0;
    assert_false(keymap_get(&m, "hold_a", 5, &v));
    keymap_put(&m, "hold_a", 5, 42);
    assert_true(keymap_get(&m, "hold_a", 5, &v));
    assert_int_equal(v, 42);
    assert_false(keymap_get(&m, "hold_a", 6, NULL)); /* the sub-key is part of the key */
    assert_false(keymap_get(&m, "hold_b", 5, NULL));
    keymap_put(&m, "hold_a", 5, -3);
    assert_true(keymap_get(&m, "hold_a", 5, &v));
    assert_int_equal(v, -3);
    assert_int_equal(m.count, 1);
    keymap_clear(&m);
    assert_false(keymap_get(&m, "hold_a", 5, NULL));
}

static void test_many_keys_survive_growth(void **state)
{
    (void)state;
    keymap m = KEYMAP_INIT;
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "res-%d", i % 700);
        keymap_put(&m, key, i, i * 2);
    }
    assert_int_equal(m.count, 5000);
    for (int i = 0; i < 5000; i++) {
        int64_t v = -1;
        snprintf(key, sizeof key, "res-%d", i % 700);
        assert_true(keymap_get(&m, key, i, &v));
        assert_int_equal(v, i * 2);
    }
    keymap_clear(&m);
}

static void test_swap(void **state)
{
    (void)state;
    keymap a = KEYMAP_INIT, b = KEYMAP_INIT;
    keymap_put(&a, "x", 1, 1);
    keymap_put(&b, "y", 2, 2);
    keymap_swap(&a, &b);
    assert_true(keymap_get(&a, "y", 2, NULL));
    assert_false(keymap_get(&a, "x", 1, NULL));
    assert_true(keymap_get(&b, "x", 1, NULL));
    keymap_clear(&a);
    keymap_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_overwrite),
        cmocka_unit_test(test_many_keys_survive_growth),
        cmocka_unit_test(test_swap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
