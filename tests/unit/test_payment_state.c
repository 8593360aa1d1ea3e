/* test_payment_state.c — the payment state machine, exhaustively: every (status,
 * action) pair, every (from, to) transition, reasons and event types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payment_state.h"

#define A PAY_AUTHORIZED
#define C PAY_CAPTURED
#define PR PAY_PARTIALLY_REFUNDED
#define R PAY_REFUNDED
#define V PAY_VOIDED
#define D PAY_DECLINED
#define U PAY_UNKNOWN
#define N PAY_NONE

typedef struct expect {
    payment_step_kind kind;
    payment_status to;   /* STEP_MOVE only */
    const char *what;    /* STEP_MOVE: event type; STEP_REFUSED: reason */
} expect;

#define MOVE(to, ev) {STEP_MOVE, (to), (ev)}
#define SAME {STEP_ALREADY, 0, NULL}
#define NO(reason) {STEP_REFUSED, 0, (reason)}

/* [status][action]: OPEN, APPROVED, DECLINED, CAPTURE, VOID, REFUND_PARTIAL, REFUND_FULL */
static const expect table[PAY_STATUS_COUNT][PAYMENT_ACTION_COUNT] = {
    [N] = {MOVE(U, "payment.unknown"), NO("PAYMENT_NOT_FOUND"), NO("PAYMENT_NOT_FOUND"), NO("PAYMENT_NOT_FOUND"),
           NO("PAYMENT_NOT_FOUND"), NO("PAYMENT_NOT_FOUND"), NO("PAYMENT_NOT_FOUND")},
    [U] = {NO("PAYMENT_EXISTS"), MOVE(A, "payment.authorized"), MOVE(D, "payment.declined"), NO("OUTCOME_UNKNOWN"),
           NO("OUTCOME_UNKNOWN"), NO("OUTCOME_UNKNOWN"), NO("OUTCOME_UNKNOWN")},
    [A] = {NO("PAYMENT_EXISTS"), SAME, NO("PAYMENT_AUTHORIZED"), MOVE(C, "payment.captured"),
           MOVE(V, "payment.voided"), NO("PAYMENT_NOT_CAPTURED"), NO("PAYMENT_NOT_CAPTURED")},
    [C] = {NO("PAYMENT_EXISTS"), NO("PAYMENT_CAPTURED"), NO("PAYMENT_CAPTURED"), SAME, NO("PAYMENT_CAPTURED"),
           MOVE(PR, "payment.refunded"), MOVE(R, "payment.refunded")},
    [PR] = {NO("PAYMENT_EXISTS"), NO("PAYMENT_PARTIALLY_REFUNDED"), NO("PAYMENT_PARTIALLY_REFUNDED"), SAME,
            NO("PAYMENT_CAPTURED"), MOVE(PR, "payment.refunded"), MOVE(R, "payment.refunded")},
    [R] = {NO("PAYMENT_EXISTS"), NO("PAYMENT_REFUNDED"), NO("PAYMENT_REFUNDED"), SAME, NO("PAYMENT_CAPTURED"),
           NO("REFUND_EXCEEDS_CAPTURED"), NO("REFUND_EXCEEDS_CAPTURED")},
    [V] = {NO("PAYMENT_EXISTS"), NO("PAYMENT_VOIDED"), NO("PAYMENT_VOIDED"), NO("PAYMENT_VOIDED"), SAME,
           NO("PAYMENT_VOIDED"), NO("PAYMENT_VOIDED")},
    [D] = {NO("PAYMENT_EXISTS"), NO("PAYMENT_DECLINED"), SAME, NO("PAYMENT_DECLINED"), NO("PAYMENT_DECLINED"),
           NO("PAYMENT_DECLINED"), NO("PAYMENT_DECLINED")},
};

static void test_every_status_and_action(void **state)
{
    (void)state;
    int checked = 0;
    for (int s = 0; s < PAY_STATUS_COUNT; s++)
        for (int a = 0; a < PAYMENT_ACTION_COUNT; a++) {
            const expect *e = &table[s][a];
            payment_step step = payment_next((payment_status)s, (payment_action)a);
            assert_int_equal(step.kind, e->kind);
            if (e->kind == STEP_MOVE) {
                assert_int_equal(step.to, e->to);
                assert_string_equal(step.event_type, e->what);
                assert_null(step.reason);
            } else {
                assert_int_equal(step.to, s); /* nothing moves */
                assert_null(step.event_type);
            }
            if (e->kind == STEP_REFUSED)
                assert_string_equal(step.reason, e->what);
            checked++;
        }
    assert_int_equal(checked, PAY_STATUS_COUNT * PAYMENT_ACTION_COUNT);
}

/* The allowed (from, to) pairs, and no others. */
static int expected_allowed(int from, int to)
{
    static const int pairs[][2] = {{N, U}, {U, A}, {U, D}, {A, C}, {A, V}, {C, PR}, {C, R}, {PR, PR}, {PR, R}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (pairs[i][0] == from && pairs[i][1] == to)
            return 1;
    return 0;
}

static void test_every_transition_pair(void **state)
{
    (void)state;
    int allowed = 0;
    for (int from = -2; from < PAY_STATUS_COUNT + 2; from++)
        for (int to = -2; to < PAY_STATUS_COUNT + 2; to++) {
            int got = payment_transition_allowed((payment_status)from, (payment_status)to);
            assert_int_equal(got, expected_allowed(from, to));
            allowed += got;
        }
    assert_int_equal(allowed, 9);
    /* terminal states go nowhere */
    int terminal[] = {R, V, D};
    for (size_t i = 0; i < 3; i++)
        for (int to = 0; to < PAY_STATUS_COUNT; to++)
            assert_false(payment_transition_allowed((payment_status)terminal[i], (payment_status)to));
}

/* Every move the actions make is an allowed transition, and every allowed transition
 * is made by some action: the two views of the machine agree. */
static void test_moves_and_transitions_agree(void **state)
{
    (void)state;
    int reached[PAY_STATUS_COUNT][PAY_STATUS_COUNT] = {{0}};
    for (int s = 0; s < PAY_STATUS_COUNT; s++)
        for (int a = 0; a < PAYMENT_ACTION_COUNT; a++) {
            payment_step step = payment_next((payment_status)s, (payment_action)a);
            if (step.kind != STEP_MOVE)
                continue;
            assert_true(payment_transition_allowed((payment_status)s, step.to));
            reached[s][step.to] = 1;
        }
    for (int from = 0; from < PAY_STATUS_COUNT; from++)
        for (int to = 0; to < PAY_STATUS_COUNT; to++)
            assert_int_equal(reached[from][to], expected_allowed(from, to));
}

static void test_out_of_range_inputs_are_refused(void **state)
{
    (void)state;
    payment_status bad[] = {(payment_status)-1, (payment_status)8, (payment_status)1000};
    for (size_t i = 0; i < 3; i++)
        for (int a = 0; a < PAYMENT_ACTION_COUNT; a++) {
            payment_step step = payment_next(bad[i], (payment_action)a);
            assert_int_equal(step.kind, STEP_REFUSED);
            assert_string_equal(step.reason, "PAYMENT_STATE_INVALID");
        }
    payment_step step = payment_next(A, (payment_action)PAYMENT_ACTION_COUNT);
    assert_int_equal(step.kind, STEP_REFUSED);
    step = payment_next(A, (payment_action)-1);
    assert_int_equal(step.kind, STEP_REFUSED);
}

static void test_status_names(void **state)
{
    (void)state;
    static const char *const names[] = {"UNSPECIFIED", "AUTHORIZED", "CAPTURED", "PARTIALLY_REFUNDED",
                                        "REFUNDED", "VOIDED", "DECLINED", "UNKNOWN"};
    for (int s = 0; s < PAY_STATUS_COUNT; s++)
        assert_string_equal(payment_status_name((payment_status)s), names[s]);
    assert_string_equal(payment_status_name((payment_status)42), "UNSPECIFIED");
    assert_string_equal(payment_status_name((payment_status)-3), "UNSPECIFIED");
}

/* The life of the saga's payments, step by step. */
static void test_paths_through_the_machine(void **state)
{
    (void)state;
    payment_action happy[] = {PAYMENT_OPEN, PAYMENT_AUTHORIZE_APPROVED, PAYMENT_CAPTURE, PAYMENT_REFUND_PARTIAL,
                              PAYMENT_REFUND_PARTIAL, PAYMENT_REFUND_FULL};
    payment_status want[] = {U, A, C, PR, PR, R};
    payment_status s = N;
    for (size_t i = 0; i < 6; i++) {
        payment_step step = payment_next(s, happy[i]);
        assert_int_equal(step.kind, STEP_MOVE);
        s = step.to;
        assert_int_equal(s, want[i]);
    }
    payment_status voided = payment_next(payment_next(payment_next(N, PAYMENT_OPEN).to,
                                                      PAYMENT_AUTHORIZE_APPROVED).to, PAYMENT_VOID).to;
    assert_int_equal(voided, V);
    assert_int_equal(payment_next(voided, PAYMENT_CAPTURE).kind, STEP_REFUSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_status_and_action),
        cmocka_unit_test(test_every_transition_pair),
        cmocka_unit_test(test_moves_and_transitions_agree),
        cmocka_unit_test(test_out_of_range_inputs_are_refused),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_paths_through_the_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
