/* test_payment_refund.c — refund arithmetic: partial, full, repeated, exceeding,
 * overflow-proof bounds, and the refund step by payment status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "payment_state.h"

static void test_plan_partial_and_full(void **state)
{
    (void)state;
    int64_t total = -1;
    payment_action action = PAYMENT_OPEN;
    assert_int_equal(refund_plan(10000, 0, 2500, &total, &action), REFUND_OK);
    assert_int_equal(total, 2500);
    assert_int_equal(action, PAYMENT_REFUND_PARTIAL);
    assert_int_equal(refund_plan(10000, 2500, 7500, &total, &action), REFUND_OK);
    assert_int_equal(total, 10000);
    assert_int_equal(action, PAYMENT_REFUND_FULL);
    assert_int_equal(refund_plan(10000, 0, 10000, &total, &action), REFUND_OK);
    assert_int_equal(action, PAYMENT_REFUND_FULL);
    assert_int_equal(refund_plan(1, 0, 1, &total, &action), REFUND_OK);
    assert_int_equal(action, PAYMENT_REFUND_FULL);
}

static void test_plan_refuses(void **state)
{
    (void)state;
    int64_t total = 77;
    payment_action action = PAYMENT_OPEN;
    assert_int_equal(refund_plan(10000, 0, 0, &total, &action), REFUND_NOT_POSITIVE);
    assert_int_equal(refund_plan(10000, 0, -5, &total, &action), REFUND_NOT_POSITIVE);
    assert_int_equal(refund_plan(10000, 0, INT64_MIN, &total, &action), REFUND_NOT_POSITIVE);
    assert_int_equal(refund_plan(10000, 0, 10001, &total, &action), REFUND_EXCEEDS_CAPTURED);
    assert_int_equal(refund_plan(10000, 9999, 2, &total, &action), REFUND_EXCEEDS_CAPTURED);
    assert_int_equal(refund_plan(10000, 10000, 1, &total, &action), REFUND_EXCEEDS_CAPTURED);
    assert_int_equal(refund_plan(0, 0, 1, &total, &action), REFUND_EXCEEDS_CAPTURED);
    /* refunded + amount would overflow int64: still refused, not wrapped */
    assert_int_equal(refund_plan(INT64_MAX, 10, INT64_MAX, &total, &action), REFUND_EXCEEDS_CAPTURED);
    assert_int_equal(refund_plan(INT64_MAX, INT64_MAX - 1, INT64_MAX, &total, &action), REFUND_EXCEEDS_CAPTURED);
    /* inconsistent inputs are never accepted */
    assert_int_equal(refund_plan(100, 200, 1, &total, &action), REFUND_EXCEEDS_CAPTURED);
    assert_int_equal(refund_plan(-100, 0, 1, &total, &action), REFUND_EXCEEDS_CAPTURED);
    assert_int_equal(refund_plan(100, -1, 1, &total, &action), REFUND_EXCEEDS_CAPTURED);
    assert_int_equal(total, 77); /* untouched when refused */
    assert_int_equal(action, PAYMENT_OPEN);
    assert_int_equal(refund_plan(INT64_MAX, INT64_MAX - 1, 1, &total, &action), REFUND_OK);
    assert_int_equal(total, INT64_MAX);
}

/* Eight refunds of 20 % each: exactly five fit, and the total reaches the capture. */
static void test_repeated_fifths(void **state)
{
    (void)state;
    int64_t captured = 12345 * 5, refunded = 0;
    payment_status s = PAY_CAPTURED;
    int ok = 0;
    for (int i = 0; i < 8; i++) {
        int64_t total = 0;
        payment_step step = payment_refund_step(s, captured, refunded, captured / 5, &total);
        if (step.kind != STEP_MOVE) {
            assert_int_equal(step.kind, STEP_REFUSED);
            assert_string_equal(step.reason, "REFUND_EXCEEDS_CAPTURED");
            continue;
        }
        ok++;
        s = step.to;
        refunded = total;
        assert_int_equal(s, ok < 5 ? PAY_PARTIALLY_REFUNDED : PAY_REFUNDED);
        assert_string_equal(step.event_type, "payment.refunded");
    }
    assert_int_equal(ok, 5);
    assert_int_equal(refunded, captured);
}

static void test_refund_step_by_status(void **state)
{
    (void)state;
    int64_t total = 0;
    struct { payment_status s; const char *reason; } refused[] = {
        {PAY_NONE, "PAYMENT_NOT_FOUND"},    {PAY_UNKNOWN, "OUTCOME_UNKNOWN"},
        {PAY_AUTHORIZED, "PAYMENT_NOT_CAPTURED"}, {PAY_VOIDED, "PAYMENT_VOIDED"},
        {PAY_DECLINED, "PAYMENT_DECLINED"}, {PAY_REFUNDED, "REFUND_EXCEEDS_CAPTURED"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        payment_step step = payment_refund_step(refused[i].s, 1000, 0, 10, &total);
        assert_int_equal(step.kind, STEP_REFUSED);
        assert_string_equal(step.reason, refused[i].reason);
    }
    payment_step step = payment_refund_step(PAY_CAPTURED, 1000, 0, 1000, &total);
    assert_int_equal(step.kind, STEP_MOVE);
    assert_int_equal(step.to, PAY_REFUNDED);
    step = payment_refund_step(PAY_PARTIALLY_REFUNDED, 1000, 400, 1, &total);
    assert_int_equal(step.to, PAY_PARTIALLY_REFUNDED);
    assert_int_equal(total, 401);
    step = payment_refund_step(PAY_PARTIALLY_REFUNDED, 1000, 400, 601, &total);
    assert_string_equal(step.reason, "REFUND_EXCEEDS_CAPTURED");
    step = payment_refund_step(PAY_CAPTURED, 1000, 0, 0, &total);
    assert_string_equal(step.reason, "REFUND_NOT_POSITIVE");
}

/* Random refunds against random captures: the total never passes the capture, and
 * the status always says where the counters are. */
static void test_random_refunds_never_exceed(void **state)
{
    (void)state;
    srand(7);
    for (int run = 0; run < 2000; run++) {
        int64_t captured = 1 + rand() % 100000, refunded = 0;
        payment_status s = PAY_CAPTURED;
        for (int i = 0; i < 20; i++) {
            int64_t amount = (rand() % 3 == 0) ? captured - refunded + rand() % 3 - 1 : 1 + rand() % (captured / 3 + 1);
            int64_t total = 0;
            payment_step step = payment_refund_step(s, captured, refunded, amount, &total);
            if (step.kind == STEP_MOVE) {
                assert_true(amount > 0 && total == refunded + amount && total <= captured);
                s = step.to;
                refunded = total;
            } else {
                assert_true(amount <= 0 || refunded + amount > captured);
            }
            assert_int_equal(s, refunded == 0 ? PAY_CAPTURED
                                : refunded == captured ? PAY_REFUNDED : PAY_PARTIALLY_REFUNDED);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_partial_and_full),
        cmocka_unit_test(test_plan_refuses),
        cmocka_unit_test(test_repeated_fifths),
        cmocka_unit_test(test_refund_step_by_status),
        cmocka_unit_test(test_random_refunds_never_exceed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
