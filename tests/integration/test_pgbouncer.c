/* test_pgbouncer.c — what changes when PostgreSQL is reached through Debian's PgBouncer
 * 1.18 in transaction mode (docs/scale-out.md): the maintenance leader lock lives on a
 * session past the pooler (exactly one leader among replicas, one such session in all,
 * taken over when the leader dies), and a PostgreSQL restart behind the pooler is survived. The booking
 * flow and the saga's faults through the pooler are test_bookings_pgbouncer and
 * test_saga_faults_pgbouncer. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM

static harness *stack;
static rpc_client *booking;

static int setup(void **state)
{
    (void)state;
    setenv("HARNESS_PGBOUNCER", "1", 1);
    static const char *const services[] = {"payment-svc", "booking-svc", "booking-svc#2", NULL};
    stack = harness_start(services, NULL);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    return harness_stop(stack);
}

/* booking_maintenance_leader of a running instance (0 when it does not answer). */
static int leader(const char *instance)
{
    if (!harness_running(stack, instance))
        return 0;
    char *scrape = harness_metrics(stack, instance);
    double v = harness_metric_value(scrape, "booking_maintenance_leader ");
    free(scrape);
    return v > 0.5;
}

/* Waits until exactly one running replica leads; returns how many lead then. */
static int settle_leaders(long timeout_ms)
{
    int n = 0;
    for (long waited = 0; waited <= timeout_ms; waited += 100) {
        n = leader("booking-svc") + leader("booking-svc#2");
        if (n == 1)
            return n;
        sleep_ms(100);
    }
    return n;
}

/* Through a transaction pooler a session lock taken by one replica would sit on a shared
 * backend: both could "hold" it, and it would outlive its replica. On a session of its
 * own, one replica leads, and the other takes over when it dies. */
static void test_one_maintenance_leader_through_the_pooler(void **state)
{
    (void)state;
    assert_int_equal(settle_leaders(10000), 1);
    for (int i = 0; i < 10; i++) { /* and it stays one, pass after pass (REPAIR_INTERVAL_MS=200) */
        assert_int_equal(leader("booking-svc") + leader("booking-svc#2"), 1);
        sleep_ms(150);
    }
    /* the follower holds no connection between its tries: one maintenance session in all */
    assert_int_equal(wait_sql(stack, "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                     "'booking-maintenance'", 0, NULL, 1, 10000), 1);
    const char *first = leader("booking-svc") ? "booking-svc" : "booking-svc#2";
    const char *other = strcmp(first, "booking-svc") == 0 ? "booking-svc#2" : "booking-svc";
    assert_int_equal(harness_stop_service(stack, first, SIGKILL), 128 + SIGKILL);
    assert_int_equal(settle_leaders(10000), 1);
    assert_int_equal(leader(other), 1);
    assert_int_equal(harness_start_service(stack, first, NULL), 0);
    assert_int_equal(settle_leaders(10000), 1);
}

/* Holds and confirms once; returns the confirm's code. */
static rpc_code book(const char *resource_id, int night, const char *user)
{
    char hold_id[96];
    rpc_code code = hold(booking, user, resource_id, day(night), day(night + 1), 1, hold_id, sizeof hold_id);
    if (code != RPC_OK)
        return code;
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = hold_id;
    req.payment_method_id = (char *)"pm_card_ok";
    ProtobufCMessage *resp = NULL;
    code = call_as(booking, "ConfirmBooking", &req.base, CUSTOMER(user), &resp, NULL);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

/* PgBouncer stays up while PostgreSQL restarts: calls in between fail UNAVAILABLE (never
 * anything else), and bookings go on once it is back. */
static void test_postgres_restart_behind_the_pooler(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Bouncer inn", HOTEL, 5, 1440, 9000);
    assert_int_equal(book(rid, 10, "bea"), RPC_OK);
    assert_int_equal(harness_stop_postgres(stack), 0);
    rpc_code down = book(rid, 11, "bea");
    assert_true(down == RPC_UNAVAILABLE || down == RPC_OK); /* a hold needs no PostgreSQL; a confirm does */
    assert_int_equal(harness_start_postgres(stack), 0);
    rpc_code code = RPC_UNAVAILABLE;
    for (int i = 0; i < 100 && code != RPC_OK; i++) {
        code = book(rid, 12, "bea");
        if (code != RPC_OK) {
            assert_int_equal(code, RPC_UNAVAILABLE);
            sleep_ms(100);
        }
    }
    assert_int_equal(code, RPC_OK);
    const char *params[1] = {rid};
    assert_true(wait_sql(stack, "SELECT count(*) FROM booking.bookings WHERE resource_id = $1", 1, params, 2, 5000) >=
                2);
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.slots WHERE confirmed > total_capacity", 0,
                                      NULL),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_maintenance_leader_through_the_pooler),
        cmocka_unit_test(test_postgres_restart_behind_the_pooler),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
