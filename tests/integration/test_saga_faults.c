/* test_saga_faults.c — the confirmation saga when things fail between its steps: a
 * payment whose outcome is unknown (timeout), captures that fail at first, payment-svc
 * killed mid-confirm and restarted, booking-svc killed mid-confirm. Each ends
 * consistent after booking-svc's own repair routine, checked with SQL on both schemas
 * (docs/architecture.md, the saga and invariants 4-5). */
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "invariants.h"
#include "support.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM
#define CONFIRM_TIMEOUT_S 2
#define REPAIR_WAIT_MS 30000 /* the repair runs every 200 ms; voids wait out payment-svc's leases */

static harness *stack;
static rpc_client *booking;

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", "expiry-svc", NULL};
    static const char *const env[] = {"PAYMENT_TIMEOUT_MS=1000", "CONFIRM_TIMEOUT_SECONDS=2",
                                      "IDEMPOTENCY_LEASE_SECONDS=2", NULL};
    stack = harness_start(services, env);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    return harness_stop(stack);
}

static long sql1(const char *query, const char *param)
{
    const char *params[1] = {param};
    return harness_sql_long(stack, query, param ? 1 : 0, params);
}

/* Waits for the repair to leave `query` (on the hold) answering `want`. */
static long settled(const char *query, const char *hold_id, long want)
{
    const char *params[1] = {hold_id};
    return wait_sql(stack, query, 1, params, want, REPAIR_WAIT_MS);
}

#define OPEN_AUTHORIZATIONS "SELECT count(*) FROM payment.payments WHERE reference = $1 AND status = 1"

static rpc_code confirm(const char *hold_id, const char *user, const char *method, rpc_result *r)
{
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    req.payment_method_id = (char *)method;
    return call_as(booking, "ConfirmBooking", &req.base, CUSTOMER(user), NULL, r);
}

#define ACTIVE BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE

/* An unknown outcome fences the confirmation at once: the hold is ACTIVE again (its
 * owner may retry), and the authorization the provider made late is voided. */
static void test_unknown_outcome_is_voided_then_the_hold_can_be_booked(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Timeout hotel", HOTEL, 2, 1440, 9000);
    char hid[80];
    rpc_result r;
    assert_int_equal(hold(booking, "tia", rid, day(20), day(21), 1, hid, sizeof hid), RPC_OK);
    assert_int_equal(confirm(hid, "tia", "pm_card_timeout", &r), RPC_UNAVAILABLE);
    assert_string_equal(r.info.reason, "PAYMENT_OUTCOME_UNKNOWN");
    assert_int_equal(hold_status_of(booking, hid), ACTIVE);
    assert_int_equal(settled("SELECT count(*) FROM payment.payments WHERE reference = $1 AND status = 5", hid, 1), 1);
    assert_int_equal(sql1("SELECT count(*) FROM booking.bookings WHERE hold_id = $1", hid), 0);
    invariants_check(stack, REPAIR_WAIT_MS);
    assert_int_equal(confirm(hid, "tia", "pm_card_ok", &r), RPC_OK);
    invariants_check(stack, REPAIR_WAIT_MS);
}

static void test_capture_failing_at_first_ends_captured(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Capture hotel", HOTEL, 2, 1440, 7000);
    char hid[80];
    assert_int_equal(hold(booking, "uma", rid, day(30), day(32), 1, hid, sizeof hid), RPC_OK);
    assert_int_equal(confirm(hid, "uma", "pm_card_capture_fails", NULL), RPC_OK);
    /* a capture still owed is retried by the repair after a short delay */
    assert_int_equal(settled("SELECT payment_status FROM booking.bookings WHERE hold_id = $1", hid,
                             BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_CAPTURED),
                     BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_CAPTURED);
    assert_int_equal(sql1("SELECT count(*) FROM payment.payments WHERE reference = $1 AND captured_minor = 14000", hid),
                     1);
    invariants_check(stack, REPAIR_WAIT_MS);
}

typedef struct pending_confirm {
    const char *addr, *hold_id;
    rpc_code code;
} pending_confirm;

static void *confirm_in_background(void *arg)
{
    pending_confirm *p = arg;
    rpc_client *c = rpc_client_new(p->addr, &booking__v1__booking_service__descriptor);
    p->code = confirm_hold(c, "vic", p->hold_id, "pm_card_ok");
    rpc_client_free(c);
    return NULL;
}

static void test_payment_service_killed_mid_confirm(void **state)
{
    (void)state;
    static const char *const slow[] = {"SANDBOX_LATENCY_MS=4000", NULL};
    assert_int_equal(harness_start_service(stack, "payment-svc", slow), 0);
    const char *rid = create_resource(booking, "Crash hotel", HOTEL, 2, 1440, 5000);
    char hid[80];
    assert_int_equal(hold(booking, "vic", rid, day(40), day(41), 1, hid, sizeof hid), RPC_OK);
    pending_confirm p = {harness_addr(stack, "booking-svc"), hid, RPC_OK};
    pthread_t t;
    pthread_create(&t, NULL, confirm_in_background, &p);
    usleep(500000); /* the authorization is at the provider */
    harness_stop_service(stack, "payment-svc", SIGKILL);
    pthread_join(t, NULL);
    assert_int_equal(p.code, RPC_UNAVAILABLE);
    assert_int_equal(harness_start_service(stack, "payment-svc", NULL), 0);
    assert_int_equal(hold_status_of(booking, hid), ACTIVE); /* the confirmation was fenced */
    /* the dead call's claim passes; the repair replays the authorization and voids it */
    assert_int_equal(settled("SELECT count(*) FROM booking.payment_attempts WHERE hold_id = $1 "
                             "AND state IN ('pending', 'authorized', 'abandoned')", hid, 0), 0);
    assert_int_equal(settled(OPEN_AUTHORIZATIONS, hid, 0), 0);
    assert_int_equal(sql1("SELECT count(*) FROM booking.bookings WHERE hold_id = $1", hid), 0);
    invariants_check(stack, REPAIR_WAIT_MS);
    assert_int_equal(confirm(hid, "vic", "pm_card_ok", NULL), RPC_OK);
    invariants_check(stack, REPAIR_WAIT_MS);
}

typedef struct duplicate {
    const char *hold_id;
    pthread_barrier_t *go;
    rpc_code code;
    atomic_int *finished;
} duplicate;

static void *confirm_duplicate(void *arg)
{
    duplicate *d = arg;
    rpc_client *c = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = (char *)d->hold_id;
    req.payment_method_id = (char *)"pm_card_ok";
    pthread_barrier_wait(d->go);
    d->code = call_as(c, "ConfirmBooking", &req.base, (identity){"dup", "customer", "same-confirm"}, NULL, NULL);
    atomic_fetch_add(d->finished, 1);
    rpc_client_free(c);
    return NULL;
}

/* Eight duplicates of a slow confirmation (one key) on four handler threads: the
 * duplicates wait for the first call's answer parked, not in a handler thread, so other
 * calls are still served meanwhile, and every duplicate gets the one booking. */
static void test_duplicates_never_hold_every_handler(void **state)
{
    (void)state;
    static const char *const slow[] = {"SANDBOX_LATENCY_MS=400", NULL};
    assert_int_equal(harness_start_service(stack, "payment-svc", slow), 0);
    const char *rid = create_resource(booking, "Duplicate hotel", HOTEL, 2, 1440, 5000);
    char hid[80];
    assert_int_equal(hold(booking, "dup", rid, day(45), day(46), 1, hid, sizeof hid), RPC_OK);
    enum { N = 8 };
    pthread_t t[N];
    duplicate d[N];
    pthread_barrier_t go;
    atomic_int finished = 0;
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        d[i] = (duplicate){hid, &go, RPC_UNKNOWN, &finished};
        pthread_create(&t[i], NULL, confirm_duplicate, &d[i]);
    }
    usleep(150000); /* the first confirmation is at the provider, duplicates arrived */
    assert_int_equal(hold_status_of(booking, hid), BOOKING__V1__HOLD_STATUS__HOLD_STATUS_CONFIRMING);
    int still_running = atomic_load(&finished) < N; /* answered while the duplicates are not all done */
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    assert_true(still_running);
    for (int i = 0; i < N; i++)
        assert_int_equal(d[i].code, RPC_OK);
    const char *params[1] = {hid};
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.bookings WHERE hold_id = $1", 1, params), 1);
    assert_int_equal(harness_start_service(stack, "payment-svc", NULL), 0);
    invariants_check(stack, REPAIR_WAIT_MS);
}

static void test_booking_past_its_end_becomes_completed(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Completed hotel", HOTEL, 2, 1440, 3000);
    char hid[80];
    assert_int_equal(hold(booking, "wes", rid, day(50), day(51), 1, hid, sizeof hid), RPC_OK);
    assert_int_equal(confirm(hid, "wes", "pm_card_ok", NULL), RPC_OK);
    /* time travel for the test: the stay is over */
    sql1("WITH b AS (UPDATE booking.bookings SET start_time = now() - interval '2 days', "
         "end_time = now() - interval '1 day' WHERE hold_id = $1 RETURNING 1) SELECT count(*) FROM b", hid);
    assert_int_equal(settled("SELECT status FROM booking.bookings WHERE hold_id = $1", hid,
                             BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_COMPLETED),
                     BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_COMPLETED);
    assert_int_equal(sql1("SELECT count(*) FROM booking.events e JOIN booking.bookings b ON e.subject_id = b.booking_id "
                          "WHERE b.hold_id = $1 AND e.event_type = 'booking.completed'", hid), 1);
    sleep(1); /* five more repair passes: exactly one event, however often the routine runs */
    assert_int_equal(sql1("SELECT count(*) FROM booking.events e JOIN booking.bookings b ON e.subject_id = b.booking_id "
                          "WHERE b.hold_id = $1 AND e.event_type = 'booking.completed'", hid), 1);
    /* back from the time travel: the stay on its own nights again, for the invariants */
    sql1("WITH b AS (UPDATE booking.bookings b SET start_time = h.start_time, end_time = h.end_time "
         "FROM booking.holds h WHERE h.hold_id = b.hold_id AND b.hold_id = $1 RETURNING 1) SELECT count(*) FROM b", hid);
    invariants_check(stack, REPAIR_WAIT_MS);
}

/* booking-svc stopped while its repair has a batch of voids to make and payment-svc is
 * gone (each call would wait out its deadline) stops after the call in flight, not
 * after the batch; the repair finishes the batch once both are back. */
static void test_stop_while_repair_waits_on_payment_svc(void **state)
{
    (void)state;
    /* what 60 confirmations cut off by crashes leave: attempts abandoned, outcome unknown */
    sql1("WITH a AS (INSERT INTO booking.payment_attempts (idempotency_key, hold_id, payment_method_id, currency, "
         "amount_minor, state) SELECT 'authorize:h_stop_' || i || ':1', 'h_stop_' || i, 'pm_card_ok', 'EUR', 1000, "
         "'abandoned' FROM generate_series(1, 60) i RETURNING 1) SELECT count(*) FROM a", NULL);
    assert_int_equal(harness_stop_service(stack, "payment-svc", SIGKILL), 128 + SIGKILL);
    usleep(600 * 1000); /* a repair pass is waiting on payment-svc */
    /* 60 voids of a 1 s deadline each would outlast the harness's 30 s before SIGKILL */
    assert_int_equal(harness_stop_service(stack, "booking-svc", SIGTERM), 0);
    assert_int_equal(harness_start_service(stack, "payment-svc", NULL), 0);
    assert_int_equal(harness_start_service(stack, "booking-svc", NULL), 0);
    assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.payment_attempts WHERE hold_id LIKE 'h_stop_%' "
                              "AND state <> 'voided'", 0, NULL, 0, REPAIR_WAIT_MS), 0);
    invariants_check(stack, REPAIR_WAIT_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_outcome_is_voided_then_the_hold_can_be_booked),
        cmocka_unit_test(test_capture_failing_at_first_ends_captured),
        cmocka_unit_test(test_payment_service_killed_mid_confirm),
        cmocka_unit_test(test_duplicates_never_hold_every_handler),
        cmocka_unit_test(test_booking_past_its_end_becomes_completed),
        cmocka_unit_test(test_stop_while_repair_waits_on_payment_svc),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
