/* test_booking_states.c — every transition of holds, bookings and waiting-list entries,
 * allowed and refused, against the state machines of SPEC §2 (booking-svc/states.c),
 * and the source lists the store's conditional UPDATEs are built from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "booking/v1/booking.pb-c.h"
#include "states.h"

#define H(s) BOOKING__V1__HOLD_STATUS__HOLD_STATUS_##s
#define B(s) BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_##s

/* SPEC §2: ACTIVE → CONFIRMING → CONFIRMED, ACTIVE → RELEASED, ACTIVE|CONFIRMING →
 * EXPIRED, and a declined payment returns CONFIRMING → ACTIVE. */
static int hold_expected(int from, int to)
{
    return (from == H(ACTIVE) && (to == H(CONFIRMING) || to == H(RELEASED) || to == H(EXPIRED))) ||
           (from == H(CONFIRMING) && (to == H(CONFIRMED) || to == H(ACTIVE) || to == H(EXPIRED)));
}

static int booking_expected(int from, int to)
{
    return from == B(CONFIRMED) && (to == B(CANCELLED) || to == B(COMPLETED));
}

static void test_every_hold_transition(void **state)
{
    (void)state;
    int allowed = 0;
    for (int from = H(UNSPECIFIED); from <= H(EXPIRED) + 1; from++)
        for (int to = H(UNSPECIFIED); to <= H(EXPIRED) + 1; to++) {
            if (hold_transition_allowed(from, to) != hold_expected(from, to))
                fail_msg("hold %d -> %d: allowed=%d, expected %d", from, to, hold_transition_allowed(from, to),
                         hold_expected(from, to));
            allowed += hold_expected(from, to);
        }
    assert_int_equal(allowed, 6);
}

static void test_every_booking_transition(void **state)
{
    (void)state;
    for (int from = B(UNSPECIFIED); from <= B(COMPLETED) + 1; from++)
        for (int to = B(UNSPECIFIED); to <= B(COMPLETED) + 1; to++)
            if (booking_transition_allowed(from, to) != booking_expected(from, to))
                fail_msg("booking %d -> %d: allowed=%d", from, to, booking_transition_allowed(from, to));
}

static void test_final_states_are_final(void **state)
{
    (void)state;
    const int hold_final[] = {H(CONFIRMED), H(RELEASED), H(EXPIRED)};
    for (size_t i = 0; i < 3; i++)
        for (int to = H(UNSPECIFIED); to <= H(EXPIRED); to++)
            assert_false(hold_transition_allowed(hold_final[i], to));
    for (int to = B(UNSPECIFIED); to <= B(COMPLETED); to++) {
        assert_false(booking_transition_allowed(B(CANCELLED), to));
        assert_false(booking_transition_allowed(B(COMPLETED), to));
    }
}

/* The sources of each target are exactly the statuses the machine allows it from. */
static void test_sources_match_the_machine(void **state)
{
    (void)state;
    for (int to = H(UNSPECIFIED); to <= H(EXPIRED); to++) {
        int src[8], n = hold_sources(to, src), expected = 0;
        for (int from = H(UNSPECIFIED); from <= H(EXPIRED); from++)
            expected += hold_expected(from, to);
        assert_int_equal(n, expected);
        for (int i = 0; i < n; i++)
            assert_true(hold_expected(src[i], to));
    }
    int src[8];
    assert_int_equal(booking_sources(B(CANCELLED), src), 1);
    assert_int_equal(src[0], B(CONFIRMED));
    assert_int_equal(booking_sources(B(CONFIRMED), src), 0);
}

#define W(s) BOOKING__V1__WAITLIST_STATUS__WAITLIST_STATUS_##s

/* A waiting-list entry: WAITING -> OFFERED -> CONVERTED | EXPIRED, LEFT from WAITING or
 * OFFERED, EXPIRED from WAITING when its range passes; the end states are final. */
static int waitlist_expected(int from, int to)
{
    return (from == W(WAITING) && (to == W(OFFERED) || to == W(LEFT) || to == W(EXPIRED))) ||
           (from == W(OFFERED) && (to == W(CONVERTED) || to == W(EXPIRED) || to == W(LEFT)));
}

static void test_every_waitlist_transition(void **state)
{
    (void)state;
    int allowed = 0;
    for (int from = W(UNSPECIFIED); from <= W(LEFT) + 1; from++)
        for (int to = W(UNSPECIFIED); to <= W(LEFT) + 1; to++) {
            if (waitlist_transition_allowed(from, to) != waitlist_expected(from, to))
                fail_msg("waitlist %d -> %d: allowed=%d", from, to, waitlist_transition_allowed(from, to));
            allowed += waitlist_expected(from, to);
        }
    assert_int_equal(allowed, 6);
    int src[8];
    assert_int_equal(waitlist_sources(W(LEFT), src), 2);
    assert_int_equal(waitlist_sources(W(CONVERTED), src), 1);
    assert_int_equal(src[0], W(OFFERED));
    assert_int_equal(waitlist_sources(W(WAITING), src), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_hold_transition),
        cmocka_unit_test(test_every_booking_transition),
        cmocka_unit_test(test_final_states_are_final),
        cmocka_unit_test(test_sources_match_the_machine),
        cmocka_unit_test(test_every_waitlist_transition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
