/* test_expiry_notify.c — notify-keyspace-events flags that do and do not publish
 * expired key events, the keyevent channel name, and parsing of hold TTL marker keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "notify.h"

static void test_flags(void **state)
{
    (void)state;
    assert_true(notify_flags_cover_expired("Ex"));
    assert_true(notify_flags_cover_expired("xE"));
    assert_true(notify_flags_cover_expired("KEA"));
    assert_true(notify_flags_cover_expired("AE"));
    assert_true(notify_flags_cover_expired("Egx$"));
    assert_false(notify_flags_cover_expired(""));
    assert_false(notify_flags_cover_expired(NULL));
    assert_false(notify_flags_cover_expired("Kx"));  /* keyspace channel only */
    assert_false(notify_flags_cover_expired("E"));   /* no event class */
    assert_false(notify_flags_cover_expired("Eg$")); /* generic and string events, not expired */
    assert_false(notify_flags_cover_expired("KA"));
}

static void test_channel(void **state)
{
    (void)state;
    char ch[64];
    notify_channel(0, ch, sizeof ch);
    assert_string_equal(ch, "__keyevent@0__:expired");
    notify_channel(3, ch, sizeof ch);
    assert_string_equal(ch, "__keyevent@3__:expired");
}

static void test_ttl_keys(void **state)
{
    (void)state;
    char id[65];
    int p = -1;
    assert_int_equal(notify_parse_ttl_key("holdttl:{p07}:hold_abc", &p, id, sizeof id), 0);
    assert_int_equal(p, 7);
    assert_string_equal(id, "hold_abc");
    assert_int_equal(notify_parse_ttl_key("holdttl:{p63}:h:with:colons", &p, id, sizeof id), 0);
    assert_int_equal(p, 63);
    assert_string_equal(id, "h:with:colons");
    assert_int_equal(notify_parse_ttl_key("holdttl:{p64}:x", &p, id, sizeof id), -1);
    assert_int_equal(notify_parse_ttl_key("holdttl:{p7}:x", &p, id, sizeof id), -1);
    assert_int_equal(notify_parse_ttl_key("holdttl:{p07}:", &p, id, sizeof id), -1);
    assert_int_equal(notify_parse_ttl_key("hold:{p07}:x", &p, id, sizeof id), -1);
    assert_int_equal(notify_parse_ttl_key("session:abc", &p, id, sizeof id), -1);
    char tiny[4];
    assert_int_equal(notify_parse_ttl_key("holdttl:{p01}:toolong", &p, tiny, sizeof tiny), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_channel),
        cmocka_unit_test(test_ttl_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
