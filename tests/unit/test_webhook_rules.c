/* test_webhook_rules.c — the pure rules of webhooks: the Booking-Signature header against
 * HMAC-SHA256 vectors computed independently (Python's hmac), what a receiver accepts
 * (tolerance, tampering, several v1 entries), the retry schedule over its 3-day window,
 * and which endpoint URLs and secrets are accepted in development and production. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "webhook_rules.h"

#define SECRET "whsec_0123456789abcdef"
#define BODY "{\"id\":\"evt_1\",\"type\":\"booking.confirmed\"}"
/* python3: hmac.new(SECRET, b"1700000000." + BODY, hashlib.sha256).hexdigest() */
#define BODY_MAC "ee3541134a503818532fabd6a13be2284d4be472d474ec20229e1b48ae41dc52"
#define EMPTY_MAC "0e1fd9afd303fb6f213cc511093ec9783e6286d777cfee89f917aebd54d9a963"

static void test_signature_matches_independent_hmac(void **state)
{
    (void)state;
    char sig[WEBHOOK_SIGNATURE_MAX];
    assert_int_equal(webhook_sign(SECRET, 1700000000, BODY, strlen(BODY), sig, sizeof sig), 0);
    assert_string_equal(sig, "t=1700000000,v1=" BODY_MAC);
    assert_int_equal(webhook_sign(SECRET, 1700000000, "", 0, sig, sizeof sig), 0);
    assert_string_equal(sig, "t=1700000000,v1=" EMPTY_MAC);
    assert_int_equal(webhook_sign(SECRET, 1700000000, BODY, strlen(BODY), sig, 20), -1); /* too small */
}

static void test_receiver_verification(void **state)
{
    (void)state;
    const char *good = "t=1700000000,v1=" BODY_MAC;
    size_t len = strlen(BODY);
    assert_int_equal(webhook_verify(good, SECRET, BODY, len, 1700000000, 300), 0);
    assert_int_equal(webhook_verify(good, SECRET, BODY, len, 1700000300, 300), 0);  /* at the tolerance */
    assert_int_equal(webhook_verify(good, SECRET, BODY, len, 1700000301, 300), -1); /* replayed too late */
    assert_int_equal(webhook_verify(good, SECRET, BODY, len, 1699999699, 300), -1); /* from the future */
    assert_int_equal(webhook_verify(good, "whsec_another_secret", BODY, len, 1700000000, 300), -1);
    assert_int_equal(webhook_verify(good, SECRET, "{\"id\":\"evt_2\",\"type\":\"booking.confirmed\"}", len,
                                    1700000000, 300), -1);
    /* the timestamp is signed: moving it breaks the signature */
    assert_int_equal(webhook_verify("t=1700000001,v1=" BODY_MAC, SECRET, BODY, len, 1700000000, 300), -1);
    /* during a secret rotation a header may carry several v1 entries: one match is enough */
    assert_int_equal(webhook_verify("t=1700000000,v1=00ff,v1=" BODY_MAC, SECRET, BODY, len, 1700000000, 300), 0);
    assert_int_equal(webhook_verify("v1=" BODY_MAC, SECRET, BODY, len, 1700000000, 300), -1); /* no t */
    assert_int_equal(webhook_verify("t=abc,v1=" BODY_MAC, SECRET, BODY, len, 1700000000, 300), -1);
    assert_int_equal(webhook_verify("t=1700000000", SECRET, BODY, len, 1700000000, 300), -1);
    assert_int_equal(webhook_verify("", SECRET, BODY, len, 1700000000, 300), -1);
    assert_int_equal(webhook_verify(NULL, SECRET, BODY, len, 1700000000, 300), -1);
    /* a truncated signature is not a prefix match */
    assert_int_equal(webhook_verify("t=1700000000,v1=ee3541134a50", SECRET, BODY, len, 1700000000, 300), -1);
}

static const webhook_retry_policy production = {30000, 6 * 3600 * 1000, 3 * 86400};

static void test_backoff_doubles_within_jitter_and_caps(void **state)
{
    (void)state;
    int64_t full = 30000;
    for (int n = 1; n <= 30; n++) {
        int64_t lo = webhook_backoff_ms(&production, n, 0.0), hi = webhook_backoff_ms(&production, n, 0.999999);
        assert_int_equal(lo, full / 2);
        assert_true(hi <= full && hi > full - full / 1000);
        assert_true(webhook_backoff_ms(&production, n, 0.5) >= lo && webhook_backoff_ms(&production, n, 0.5) <= hi);
        full = full * 2 > production.max_ms ? production.max_ms : full * 2;
    }
    assert_int_equal(webhook_backoff_ms(&production, 1, -1), 15000); /* jitter clamped */
    assert_true(webhook_backoff_ms(&production, 1, 7) <= 30000);
}

/* Attempts over the window with the largest waits: the schedule ends at the 3-day mark,
 * with a last attempt there, and then gives up. */
static void test_schedule_spans_three_days_then_gives_up(void **state)
{
    (void)state;
    int64_t start = 1000000, now = start, delay = 0;
    int failed = 0;
    while (!webhook_retry_next(&production, ++failed, start, now, 0.999999, &delay)) {
        assert_true(delay > 0);
        now += delay;
        assert_true(now <= start + production.window_s * 1000);
    }
    assert_int_equal(now, start + production.window_s * 1000); /* the last attempt: at the end */
    assert_true(failed > 15 && failed < 30);
    /* with the shortest waits there are more attempts, never past the window */
    now = start;
    failed = 0;
    while (!webhook_retry_next(&production, ++failed, start, now, 0, &delay))
        now += delay;
    assert_int_equal(now, start + production.window_s * 1000);
    assert_true(failed < 40);
    /* a round started long ago is over at once */
    assert_int_equal(webhook_retry_next(&production, 1, start, start + 3 * 86400 * 1000LL, 0.5, &delay), 1);
}

static void test_event_types(void **state)
{
    (void)state;
    for (int i = 0; i < WEBHOOK_EVENT_TYPE_COUNT; i++)
        assert_true(webhook_event_type_known(webhook_event_types[i]));
    assert_false(webhook_event_type_known("booking.refunded")); /* its audit name, not the webhook's */
    assert_false(webhook_event_type_known("hold.created"));
    assert_false(webhook_event_type_known(""));
}

static void test_urls(void **state)
{
    (void)state;
    const char *ok_both[] = {"https://hooks.example.com/booking", "https://example.com:8443/x?y=1",
                             "https://10.0.0.5/hooks"};
    for (size_t i = 0; i < sizeof ok_both / sizeof ok_both[0]; i++) {
        assert_null(webhook_url_problem(ok_both[i], 0));
        assert_null(webhook_url_problem(ok_both[i], 1));
    }
    const char *dev_only[] = {"http://127.0.0.1:8080/hooks", "http://localhost/x", "http://[::1]:9000/",
                              "https://127.0.0.1/x", "http://127.1.2.3/x", "http://app.localhost/x"};
    for (size_t i = 0; i < sizeof dev_only / sizeof dev_only[0]; i++) {
        assert_null(webhook_url_problem(dev_only[i], 1));
        assert_non_null(webhook_url_problem(dev_only[i], 0));
    }
    const char *never[] = {"", "http://hooks.example.com/x", "ftp://example.com/x", "example.com/hooks",
                           "https://user:pw@example.com/x", "https://exa mple.com/", "https:///nohost",
                           "http://10.0.0.5/x", "javascript:alert(1)"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        assert_non_null(webhook_url_problem(never[i], 1));
        assert_non_null(webhook_url_problem(never[i], 0));
    }
    assert_non_null(webhook_url_problem(NULL, 1));
    assert_non_null(webhook_url_problem("https://169.254.169.254/latest", 0)); /* cloud metadata */
    assert_non_null(webhook_url_problem("https://0.0.0.0/x", 0));
    assert_non_null(webhook_url_problem("https://[fe80::1]/x", 0));
    assert_non_null(webhook_url_problem("https://[::ffff:127.0.0.1]/x", 0));
    char longest[WEBHOOK_URL_MAX + 2];
    memset(longest, 'a', sizeof longest);
    memcpy(longest, "https://example.com/", 20);
    longest[WEBHOOK_URL_MAX + 1] = '\0';
    assert_string_equal(webhook_url_problem(longest, 1), "is longer than 2048 bytes");
    assert_string_equal(webhook_url_problem("http://example.com/", 0), "must use https");
}

static void test_secrets(void **state)
{
    (void)state;
    assert_null(webhook_secret_problem("0123456789abcdef"));
    assert_non_null(webhook_secret_problem("0123456789abcde")); /* 15 */
    char s[WEBHOOK_SECRET_MAX + 2];
    memset(s, 'x', sizeof s);
    s[WEBHOOK_SECRET_MAX] = '\0';
    assert_null(webhook_secret_problem(s));
    s[WEBHOOK_SECRET_MAX] = 'x';
    s[WEBHOOK_SECRET_MAX + 1] = '\0';
    assert_non_null(webhook_secret_problem(s));
    assert_non_null(webhook_secret_problem("0123456789 abcdef"));
    assert_non_null(webhook_secret_problem("0123456789abcdef\x7f"));
}

static void test_internal_addresses(void **state)
{
    (void)state;
    struct {
        int family;
        const char *addr;
        int internal;
    } cases[] = {{AF_INET, "127.0.0.1", 1},     {AF_INET, "169.254.169.254", 1}, {AF_INET, "0.0.0.0", 1},
                 {AF_INET, "93.184.216.34", 0}, {AF_INET, "10.1.2.3", 0},        {AF_INET6, "::1", 1},
                 {AF_INET6, "fe80::1", 1},      {AF_INET6, "::ffff:127.0.0.1", 1}, {AF_INET6, "2001:db8::1", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sockaddr_storage ss = {0};
        if (cases[i].family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            in->sin_family = AF_INET;
            inet_pton(AF_INET, cases[i].addr, &in->sin_addr);
        } else {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            in6->sin6_family = AF_INET6;
            inet_pton(AF_INET6, cases[i].addr, &in6->sin6_addr);
        }
        assert_int_equal(webhook_address_internal((struct sockaddr *)&ss), cases[i].internal);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_matches_independent_hmac),
        cmocka_unit_test(test_receiver_verification),
        cmocka_unit_test(test_backoff_doubles_within_jitter_and_caps),
        cmocka_unit_test(test_schedule_spans_three_days_then_gives_up),
        cmocka_unit_test(test_event_types),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_internal_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
