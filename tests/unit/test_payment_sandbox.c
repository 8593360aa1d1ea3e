/* test_payment_sandbox.c — the sandbox provider's decisions per test card and
 * operation (approve, decline codes, late answers, failing captures), and provider
 * lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "provider.h"
#include "sandbox.h"
#include "timeutil.h"

static provider_request request(const char *pm, int attempt, int64_t deadline_left_ms)
{
    return (provider_request){.payment_id = "pay_test", .payment_method_id = pm, .currency = "EUR",
                              .amount_minor = 1000, .operation_id = "pay_test", .attempt = attempt,
                              .deadline_left_ms = deadline_left_ms};
}

static provider_result decide(provider_op op, const char *pm, int attempt, int64_t left, provider_outcome *out,
                              int64_t *delay)
{
    provider_request r = request(pm, attempt, left);
    provider_result result = sandbox_decide(op, &r, out, delay);
    assert_int_equal(result, out->result);
    return result;
}

static void test_lookup_and_known_methods(void **state)
{
    (void)state;
    assert_ptr_equal(provider_find("sandbox"), &sandbox_provider);
    assert_null(provider_find("stripe"));
    assert_null(provider_find(""));
    const char *known[] = {"pm_card_ok", "pm_card_declined", "pm_card_insufficient_funds", "pm_card_timeout",
                           "pm_card_capture_fails"};
    for (size_t i = 0; i < 5; i++)
        assert_true(sandbox_provider.method_known(known[i]));
    const char *unknown[] = {"", "pm_card", "pm_card_OK", "pm_card_ok ", "PM_CARD_OK", "pm_card_okay", "card"};
    for (size_t i = 0; i < 7; i++)
        assert_false(sandbox_provider.method_known(unknown[i]));
    assert_false(sandbox_provider.method_known(NULL));
}

static void test_authorize_per_card(void **state)
{
    (void)state;
    provider_outcome out;
    int64_t delay = -1;
    assert_int_equal(decide(PROVIDER_AUTHORIZE, "pm_card_ok", 1, 5000, &out, &delay), PROVIDER_APPROVED);
    assert_int_equal(delay, 0);
    assert_string_equal(out.decline_code, "");
    assert_int_equal(decide(PROVIDER_AUTHORIZE, "pm_card_declined", 1, 5000, &out, &delay), PROVIDER_DECLINED);
    assert_string_equal(out.decline_code, "card_declined");
    assert_int_equal(decide(PROVIDER_AUTHORIZE, "pm_card_insufficient_funds", 1, 5000, &out, &delay),
                     PROVIDER_DECLINED);
    assert_string_equal(out.decline_code, "insufficient_funds");
    assert_int_equal(delay, 0);
    assert_int_equal(decide(PROVIDER_AUTHORIZE, "pm_card_capture_fails", 1, 5000, &out, &delay), PROVIDER_APPROVED);
    assert_int_equal(decide(PROVIDER_AUTHORIZE, "pm_card_timeout", 1, 1000, &out, &delay), PROVIDER_APPROVED);
    assert_int_equal(delay, 1000 + SANDBOX_LATE_MS);
    assert_int_equal(decide(PROVIDER_AUTHORIZE, "pm_nope", 1, 1000, &out, &delay), PROVIDER_DECLINED);
    assert_string_equal(out.decline_code, "unknown_payment_method");
}

/* pm_card_timeout answers after the deadline, but never waits more than the cap. */
static void test_timeout_card_delays(void **state)
{
    (void)state;
    struct { int64_t left, delay; } cases[] = {
        {1000, 1300}, {0, SANDBOX_LATE_MS}, {-100, 200}, {-300, 0}, {-5000, 0},
        {SANDBOX_MAX_DELAY_MS - SANDBOX_LATE_MS, SANDBOX_MAX_DELAY_MS}, {20000, SANDBOX_MAX_DELAY_MS},
        {INT64_MAX, SANDBOX_MAX_DELAY_MS}, {INT64_MIN, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        provider_outcome out;
        int64_t delay = -1;
        assert_int_equal(decide(PROVIDER_AUTHORIZE, "pm_card_timeout", 1, cases[i].left, &out, &delay),
                         PROVIDER_APPROVED);
        assert_int_equal(delay, cases[i].delay);
    }
}

static void test_capture_fails_twice_then_succeeds(void **state)
{
    (void)state;
    provider_outcome out;
    int64_t delay;
    for (int attempt = 1; attempt <= SANDBOX_CAPTURE_FAILURES; attempt++) {
        assert_int_equal(decide(PROVIDER_CAPTURE, "pm_card_capture_fails", attempt, 5000, &out, &delay),
                         PROVIDER_ERROR);
        assert_string_equal(out.decline_code, "");
        assert_true(strlen(out.message) > 0);
    }
    assert_int_equal(decide(PROVIDER_CAPTURE, "pm_card_capture_fails", 3, 5000, &out, &delay), PROVIDER_APPROVED);
    assert_int_equal(decide(PROVIDER_CAPTURE, "pm_card_capture_fails", 4, 5000, &out, &delay), PROVIDER_APPROVED);
    assert_int_equal(SANDBOX_CAPTURE_FAILURES, 2);
}

/* Captures, voids and refunds of every card succeed at once (only the two special
 * cards behave differently, each in its own operation). */
static void test_other_operations_approve(void **state)
{
    (void)state;
    const char *cards[] = {"pm_card_ok", "pm_card_declined", "pm_card_insufficient_funds", "pm_card_timeout",
                           "pm_card_capture_fails"};
    provider_op ops[] = {PROVIDER_CAPTURE, PROVIDER_VOID, PROVIDER_REFUND};
    for (size_t c = 0; c < 5; c++)
        for (size_t o = 0; o < 3; o++) {
            provider_outcome out;
            int64_t delay = -1;
            int attempt = c == 4 && ops[o] == PROVIDER_CAPTURE ? 3 : 1;
            assert_int_equal(decide(ops[o], cards[c], attempt, 100, &out, &delay), PROVIDER_APPROVED);
            assert_int_equal(delay, 0);
        }
}

/* SANDBOX_LATENCY_MS delays every answer; the late card keeps its own delay. */
static void test_latency_setting(void **state)
{
    (void)state;
    provider_outcome out;
    int64_t delay = -1;
    sandbox_latency_ms = 30;
    assert_int_equal(decide(PROVIDER_REFUND, "pm_card_ok", 1, 5000, &out, &delay), PROVIDER_APPROVED);
    assert_int_equal(delay, 30);
    assert_int_equal(decide(PROVIDER_AUTHORIZE, "pm_card_declined", 1, 5000, &out, &delay), PROVIDER_DECLINED);
    assert_int_equal(delay, 30);
    assert_int_equal(decide(PROVIDER_AUTHORIZE, "pm_card_timeout", 1, 1000, &out, &delay), PROVIDER_APPROVED);
    assert_int_equal(delay, 1000 + SANDBOX_LATE_MS);
    sandbox_latency_ms = 0;
    assert_int_equal(decide(PROVIDER_REFUND, "pm_card_ok", 1, 5000, &out, &delay), PROVIDER_APPROVED);
    assert_int_equal(delay, 0);
}

/* Through the interface: the late card really waits, the others answer at once. */
static void test_provider_calls_wait_as_decided(void **state)
{
    (void)state;
    provider_outcome out;
    provider_request r = request("pm_card_timeout", 1, -SANDBOX_LATE_MS + 80);
    int64_t started = monotonic_ms();
    assert_int_equal(provider_run(&sandbox_provider, PROVIDER_AUTHORIZE, &r, &out), PROVIDER_APPROVED);
    int64_t took = monotonic_ms() - started;
    assert_true(took >= 75 && took < 2000);
    r = request("pm_card_declined", 1, 10);
    assert_int_equal(provider_run(&sandbox_provider, PROVIDER_AUTHORIZE, &r, &out), PROVIDER_DECLINED);
    assert_string_equal(out.decline_code, "card_declined");
    r = request("pm_card_capture_fails", 1, 10);
    assert_int_equal(provider_run(&sandbox_provider, PROVIDER_CAPTURE, &r, &out), PROVIDER_ERROR);
    assert_int_equal(provider_run(&sandbox_provider, PROVIDER_VOID, &r, &out), PROVIDER_APPROVED);
    assert_int_equal(provider_run(&sandbox_provider, PROVIDER_REFUND, &r, &out), PROVIDER_APPROVED);
    assert_int_equal(provider_run(&sandbox_provider, (provider_op)99, &r, &out), PROVIDER_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_and_known_methods),
        cmocka_unit_test(test_authorize_per_card),
        cmocka_unit_test(test_timeout_card_delays),
        cmocka_unit_test(test_capture_fails_twice_then_succeeds),
        cmocka_unit_test(test_other_operations_approve),
        cmocka_unit_test(test_latency_setting),
        cmocka_unit_test(test_provider_calls_wait_as_decided),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
