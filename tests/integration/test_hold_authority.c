/* test_hold_authority.c — a live hold lives in Redis alone (docs/architecture.md, "Who
 * owns what"): the hot path commits nothing in PostgreSQL; the recorder writes every
 * hold event exactly once although killed mid-batch; Redis crashing (with its data,
 * or losing it) while holds and confirmations run leaves no unit sold twice, no hold
 * unconfirmable and only contract answers; booking-svc killed mid-confirm repairs its
 * own confirmation when it returns. Invariants checked afterwards (invariants.c). */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "invariants.h"
#include "support.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM
#define SETTLE_MS 30000
#define MAX_HOLDS 4000
#define WORKERS 8

static harness *stack;
static rpc_client *booking;

static int stack_up(const char *const *services, const char *const *env)
{
    stack = harness_start(services, env);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    return 0;
}

static int full_stack(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", "expiry-svc", NULL};
    static const char *const env[] = {"CONFIRM_TIMEOUT_SECONDS=2", "RECORDER_CLAIM_IDLE_MS=500",
                                      "RECONCILE_INTERVAL_MS=1000", "PAYMENT_TIMEOUT_MS=2000",
                                      "IDEMPOTENCY_LEASE_SECONDS=2", "LOST_HOLD_AFTER_SECONDS=5", NULL};
    return stack_up(services, env);
}

static int stack_down(void **state)
{
    (void)state;
    rpc_client_free(booking);
    return harness_stop(stack);
}

static long metric(const char *instance, const char *series)
{
    char *scrape = harness_metrics(stack, instance);
    double v = scrape ? harness_metric_value(scrape, series) : -1;
    free(scrape);
    return (long)v;
}

static long xact_commit(void)
{
    return harness_sql_long(stack, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'booking'", 0, NULL);
}

/* PostgreSQL's backends report their counts when idle for a while (at most 10 s late). */
static void stats_settle(void) { sleep(11); }

/* After warm-up, 200 CreateHold + 200 ReleaseHold move the booking database's
 * committed transactions only by the recorder's batches (and this test's own reads). */
static void test_hot_path_commits_nothing(void **state)
{
    (void)state;
    static const char *const services[] = {"booking-svc", NULL};
    /* no maintenance and no webhook sender (it polls the outbox) during the count */
    static const char *const env[] = {"REPAIR_INTERVAL_MS=600000", "WEBHOOK_SENDER=false", NULL};
    stack_up(services, env);
    PQclear(PQexec(harness_db(stack), "ALTER SYSTEM SET autovacuum = off"));
    PQclear(PQexec(harness_db(stack), "SELECT pg_reload_conf()"));
    const char *rid = create_resource(booking, "Count nothing", HOTEL, 500, 1440, 9000);
    char hid[80];
    for (int i = 0; i < 5; i++) /* warm-up: slot info loaded, catalogue cached */
        assert_int_equal(hold(booking, "warm", rid, day(3 + i), day(4 + i), 1, hid, sizeof hid), RPC_OK);
    stats_settle();
    long commits = xact_commit(), batches = metric("booking-svc", "booking_recorder_transactions_total ");
    long events = metric("booking-svc", "booking_recorder_events_total ");
    for (int i = 0; i < 200; i++) {
        char user[32];
        snprintf(user, sizeof user, "quiet-%d", i % 10);
        assert_int_equal(hold(booking, user, rid, day(3 + i % 5), day(4 + i % 5), 1, hid, sizeof hid), RPC_OK);
        Booking__V1__ReleaseHoldRequest rel = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
        rel.hold_id = hid;
        assert_int_equal(call_as(booking, "ReleaseHold", &rel.base, CUSTOMER(user), NULL, NULL), RPC_OK);
    }
    for (int i = 0; i < 100 && metric("booking-svc", "booking_recorder_events_total ") < events + 400; i++)
        usleep(100000);
    assert_int_equal(metric("booking-svc", "booking_recorder_events_total "), events + 400);
    stats_settle();
    long commits_after = xact_commit(), batches_after = metric("booking-svc", "booking_recorder_transactions_total ");
    print_message("commits: %ld, of which the recorder's batches: %ld\n", commits_after - commits,
                  batches_after - batches);
    /* the first read above is the only other transaction */
    assert_true(commits_after - commits - (batches_after - batches) <= 1);
    assert_true(batches_after - batches < 400); /* batched */
    invariants_check(stack, SETTLE_MS);
    stack_down(NULL);
}

/* ---- concurrent flows under faults ------------------------------------------------ */

typedef struct flows {
    const char *resource_id;
    atomic_int stop;
    atomic_int holds;
    char hold_ids[MAX_HOLDS][80];
    atomic_int codes[17];  /* every answer a client saw, by code */
    int confirm;           /* confirm every other hold instead of releasing it */
} flows;

static void saw(flows *f, rpc_code code) { atomic_fetch_add(&f->codes[code >= 0 && code <= 16 ? code : 2], 1); }

typedef struct worker {
    flows *f;
    int index;
} worker;

static void *flow_worker(void *arg)
{
    worker *w = arg;
    flows *f = w->f;
    rpc_client *c = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    char user[32], hid[80];
    snprintf(user, sizeof user, "flow-%d", w->index);
    for (int n = 0; !atomic_load(&f->stop); n++) {
        rpc_code code = hold(c, user, f->resource_id, day(5 + n % 20), day(6 + n % 20), 1, hid, sizeof hid);
        saw(f, code);
        if (code != RPC_OK) {
            usleep(20000);
            continue;
        }
        int slot = atomic_fetch_add(&f->holds, 1);
        if (slot < MAX_HOLDS)
            snprintf(f->hold_ids[slot], 80, "%s", hid);
        const char *method = f->confirm && n % 2 ? "ConfirmBooking" : "ReleaseHold";
        Booking__V1__ConfirmBookingRequest conf = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
        Booking__V1__ReleaseHoldRequest rel = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
        conf.hold_id = rel.hold_id = hid;
        conf.payment_method_id = (char *)"pm_card_ok";
        saw(f, call_as(c, method, method[0] == 'C' ? &conf.base : &rel.base, CUSTOMER(user), NULL, NULL));
    }
    rpc_client_free(c);
    return NULL;
}

static void run_flows(flows *f, void (*fault)(void), int seconds_before, int seconds_after)
{
    pthread_t t[WORKERS];
    worker w[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i] = (worker){f, i};
        pthread_create(&t[i], NULL, flow_worker, &w[i]);
    }
    sleep((unsigned)seconds_before);
    fault();
    sleep((unsigned)seconds_after);
    atomic_store(&f->stop, 1);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
}

/* Faults are answered with codes of the contract only (UNAVAILABLE, ABORTED,
 * DEADLINE_EXCEEDED, or the refusals of a hold that ended), never INTERNAL or UNKNOWN. */
static void check_answers(const flows *f)
{
    static const rpc_code allowed[] = {RPC_OK, RPC_UNAVAILABLE, RPC_ABORTED, RPC_DEADLINE_EXCEEDED,
                                       RPC_FAILED_PRECONDITION, RPC_RESOURCE_EXHAUSTED, RPC_NOT_FOUND};
    for (int code = 0; code <= 16; code++) {
        int n = atomic_load(&f->codes[code]), ok = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            ok |= (int)allowed[i] == code;
        if (n && !ok)
            fail_msg("%d answer(s) %s under the fault", n, rpc_code_name(code));
        if (n)
            print_message("  %-20s %d\n", rpc_code_name(code), n);
    }
}

/* Every hold clients got ends in one state, the same in Redis (GetHold) and in its
 * history, and none is left unconfirmable: an ACTIVE one confirms, or is refused
 * with a final answer (it expired, its units are gone). */
static void check_holds(flows *f)
{
    int n = atomic_load(&f->holds) < MAX_HOLDS ? atomic_load(&f->holds) : MAX_HOLDS, active = 0;
    for (int i = 0; i < n; i++) {
        const char *hid = f->hold_ids[i];
        int status = hold_status_of(booking, hid);
        assert_true(status >= BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE || status == -1);
        if (status != BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE || active++ >= 20)
            continue;
        Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
        req.hold_id = (char *)hid;
        req.payment_method_id = (char *)"pm_card_ok";
        ProtobufCMessage *resp = NULL;
        rpc_code code = call_as(booking, "ConfirmBooking", &req.base, (identity){"ops", "admin", NULL}, &resp, NULL);
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        if (code != RPC_OK && code != RPC_FAILED_PRECONDITION)
            fail_msg("hold %s could not be confirmed after the fault: %s", hid, rpc_code_name(code));
    }
}

static void crash_redis(void) { assert_int_equal(harness_crash_redis(stack), 0); }
static void lose_redis(void) { assert_int_equal(harness_restart_redis(stack), 0); }

static void redis_fault(void (*fault)(void), const char *name)
{
    flows *f = calloc(1, sizeof *f);
    f->resource_id = create_resource(booking, name, HOTEL, 6, 1440, 4000);
    f->confirm = 1;
    run_flows(f, fault, 2, 3);
    print_message("%s: %d holds; answers:\n", name, atomic_load(&f->holds));
    check_answers(f);
    invariants_check(stack, SETTLE_MS);
    check_holds(f);
    invariants_check(stack, SETTLE_MS);
    free(f);
}

static void test_redis_crash_keeps_its_data(void **state)
{
    (void)state;
    redis_fault(crash_redis, "Crash with AOF");
}

static void test_redis_restart_without_data(void **state)
{
    (void)state;
    redis_fault(lose_redis, "Crash losing everything");
}

/* A hold created and confirmed within the recorder's lag, then Redis lost everything:
 * the hold's whole log (created, confirmed) is gone and only the booking remains
 * (simulated: its history row and events deleted, Redis restarted empty). The
 * maintenance pass records the hold CONFIRMED from its booking. */
static void test_booked_hold_whose_whole_log_was_lost(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Lost log", HOTEL, 4, 1440, 4000);
    char hid[80];
    assert_int_equal(hold(booking, "lea", rid, day(3), day(4), 1, hid, sizeof hid), RPC_OK);
    assert_int_equal(confirm_hold(booking, "lea", hid, "pm_card_ok"), RPC_OK);
    const char *params[1] = {hid};
    const char *recorded = "SELECT count(*) FROM booking.holds WHERE hold_id = $1 AND status = 3";
    assert_int_equal(wait_sql(stack, recorded, 1, params, 1, SETTLE_MS), 1);
    assert_int_equal(harness_sql_long(stack,
                                      "WITH e AS (DELETE FROM booking.events WHERE subject_id = $1 RETURNING 1), "
                                      "h AS (DELETE FROM booking.holds WHERE hold_id = $1 RETURNING 1) "
                                      "SELECT count(*) FROM h",
                                      1, params),
                     1);
    lose_redis();
    assert_int_equal(wait_sql(stack, recorded, 1, params, 1, SETTLE_MS), 1);
    invariants_check(stack, SETTLE_MS);
}

/* The recorder is killed with SIGKILL while it writes (three times), each time coming
 * back as a new consumer that takes over what the dead one left pending: every hold
 * event ends in PostgreSQL exactly once. */
static void kill_booking_three_times(void)
{
    for (int i = 0; i < 3; i++) {
        assert_int_equal(harness_stop_service(stack, "booking-svc", SIGKILL), 128 + SIGKILL);
        assert_int_equal(harness_start_service(stack, "booking-svc", NULL), 0);
        usleep(700000);
    }
}

static void test_recorder_killed_records_every_event_once(void **state)
{
    (void)state;
    flows *f = calloc(1, sizeof *f);
    f->resource_id = create_resource(booking, "Killed recorder", HOTEL, 400, 1440, 4000);
    run_flows(f, kill_booking_three_times, 1, 1);
    int n = atomic_load(&f->holds) < MAX_HOLDS ? atomic_load(&f->holds) : MAX_HOLDS;
    print_message("%d holds through three SIGKILLs\n", n);
    check_answers(f);
    for (int i = 0; i < n; i++) {
        const char *params[1] = {f->hold_ids[i]};
        assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.events WHERE subject_id = $1 "
                                         "AND event_type = 'hold.created'", 1, params, 1, SETTLE_MS),
                         1);
    }
    invariants_check(stack, SETTLE_MS);
    free(f);
}

typedef struct pending_confirm {
    const char *hold_id;
    rpc_code code;
} pending_confirm;

static void *confirm_in_background(void *arg)
{
    pending_confirm *p = arg;
    rpc_client *c = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = (char *)p->hold_id;
    req.payment_method_id = (char *)"pm_card_ok";
    p->code = call_as(c, "ConfirmBooking", &req.base, CUSTOMER("kim"), NULL, NULL);
    rpc_client_free(c);
    return NULL;
}

/* booking-svc dies while the payment is at the provider: the hold stays CONFIRMING
 * until its confirm deadline, then booking-svc itself (back again) fences the
 * confirmation, puts the hold back to ACTIVE and voids the authorization. */
static void test_booking_svc_killed_mid_confirm_repairs_itself(void **state)
{
    (void)state;
    static const char *const slow[] = {"SANDBOX_LATENCY_MS=1500", NULL};
    assert_int_equal(harness_start_service(stack, "payment-svc", slow), 0);
    const char *rid = create_resource(booking, "Killed mid-confirm", HOTEL, 2, 1440, 5000);
    char hid[80];
    assert_int_equal(hold(booking, "kim", rid, day(40), day(41), 1, hid, sizeof hid), RPC_OK);
    pending_confirm p = {hid, RPC_OK};
    pthread_t t;
    pthread_create(&t, NULL, confirm_in_background, &p);
    usleep(700000); /* the authorization is at the provider */
    assert_int_equal(harness_stop_service(stack, "booking-svc", SIGKILL), 128 + SIGKILL);
    pthread_join(t, NULL);
    assert_int_equal(p.code, RPC_UNAVAILABLE);
    assert_int_equal(harness_start_service(stack, "booking-svc", NULL), 0);
    int status = hold_status_of(booking, hid); /* CONFIRMING, or back already if the restart was slow */
    assert_true(status == BOOKING__V1__HOLD_STATUS__HOLD_STATUS_CONFIRMING ||
                status == BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE);
    const char *params[1] = {hid};
    assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.payment_attempts WHERE hold_id = $1 "
                                     "AND state = 'voided'", 1, params, 1, SETTLE_MS),
                     1);
    assert_int_equal(hold_status_of(booking, hid), BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE);
    assert_int_equal(harness_start_service(stack, "payment-svc", NULL), 0);
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = hid;
    req.payment_method_id = (char *)"pm_card_ok";
    assert_int_equal(call_as(booking, "ConfirmBooking", &req.base, CUSTOMER("kim"), NULL, NULL), RPC_OK);
    invariants_check(stack, SETTLE_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hot_path_commits_nothing),
        cmocka_unit_test_setup_teardown(test_recorder_killed_records_every_event_once, full_stack, stack_down),
        cmocka_unit_test_setup_teardown(test_booking_svc_killed_mid_confirm_repairs_itself, full_stack, stack_down),
        cmocka_unit_test_setup_teardown(test_redis_crash_keeps_its_data, full_stack, stack_down),
        cmocka_unit_test_setup_teardown(test_redis_restart_without_data, full_stack, stack_down),
        cmocka_unit_test_setup_teardown(test_booked_hold_whose_whole_log_was_lost, full_stack, stack_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
