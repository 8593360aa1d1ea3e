/* test_expiry.c — expiry-svc against the real stack: a short hold comes back promptly
 * and is recorded EXPIRED with one event; a duplicated notification changes nothing;
 * CONFIRMING holds are left to booking-svc's repair; corrupted counters are repaired by
 * reconciliation (RunSweep), and holds Redis lost are recorded ended by booking-svc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hold_cache.h"
#include "test_expiry_common.h"

static harness *stack;
static rpc_client *booking, *search;
static const char *expiry;
static char first_rid[80], first_hold[80];

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"booking-svc", "search-svc", "expiry-svc", NULL};
    stack = harness_start(services, NULL);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    search = rpc_client_new(harness_addr(stack, "search-svc"), &booking__v1__search_service__descriptor);
    expiry = harness_addr(stack, "expiry-svc");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    rpc_client_free(search);
    return harness_stop(stack);
}

static int get_hold_status(const char *hold_id)
{
    Booking__V1__GetHoldRequest req = BOOKING__V1__GET_HOLD_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(booking, "GetHold", &req.base, ADMIN, &resp, NULL), RPC_OK);
    int status = ((Booking__V1__Hold *)resp)->status;
    protobuf_c_message_free_unpacked(resp, NULL);
    return status;
}

static int calendar_within(const char *rid, int64_t slot, int want, long timeout_ms)
{
    int64_t give_up = wall_ms() + timeout_ms;
    int got;
    while ((got = available_at(search, rid, slot, slot + 86400)) != want && wall_ms() < give_up)
        sleep_ms(50);
    return got;
}

static void test_short_hold_comes_back_once(void **state)
{
    (void)state;
    int64_t d = day(2), expires;
    make_resource(booking, "Expiry Inn", 5, 1440, 2, first_rid, sizeof first_rid);
    assert_int_equal(hold_ms(booking, "ann", first_rid, d, d + 86400, 2, first_hold, sizeof first_hold, &expires),
                     RPC_OK);
    assert_int_equal(counter(stack, first_rid, d), 3);
    assert_true(wait_counter(stack, first_rid, d, 5, 10000) >= 0);
    int64_t back = wall_ms();
    print_message("units back %lld ms after expires_at (the lag target is measured by bench_expiry)\n",
                  (long long)(back - expires));
    assert_true(back >= expires);
    assert_int_equal(wait_status(stack, first_hold, HOLD_EXPIRED, 5000), HOLD_EXPIRED);
    assert_int_equal(hold_events(stack, first_hold, "hold.expired"), 1);
    assert_int_equal(get_hold_status(first_hold), BOOKING__V1__HOLD_STATUS__HOLD_STATUS_EXPIRED);
    assert_int_equal(calendar_within(first_rid, d, 5, 5000), 5);
    Booking__V1__ExpiryStats *s = expiry_stats(expiry);
    assert_true(s->holds_expired >= 1);
    assert_non_null(s->last_sweep_at);
    assert_true(s->lag_max_ms >= 0);
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void test_duplicated_notification_changes_nothing(void **state)
{
    (void)state;
    int64_t d = day(2);
    Booking__V1__ExpiryStats *before = expiry_stats(expiry);
    hold_keys k;
    hold_keys_for(&k, first_rid, first_hold);
    for (int i = 0; i < 2; i++)
        assert_true(redis_int(stack, "PUBLISH __keyevent@0__:expired %s", k.ttl) >= 1);
    int64_t give_up = wall_ms() + 5000;
    Booking__V1__ExpiryStats *after = expiry_stats(expiry);
    while (after->notifications_received < before->notifications_received + 2 && wall_ms() < give_up) {
        protobuf_c_message_free_unpacked(&after->base, NULL);
        sleep_ms(20);
        after = expiry_stats(expiry);
    }
    assert_int_equal(after->notifications_received, before->notifications_received + 2);
    assert_int_equal(after->holds_expired, before->holds_expired);
    assert_int_equal(counter(stack, first_rid, d), 5);
    assert_int_equal(hold_events(stack, first_hold, "hold.expired"), 1);
    assert_int_equal(hold_status(stack, first_hold), HOLD_EXPIRED);
    protobuf_c_message_free_unpacked(&before->base, NULL);
    protobuf_c_message_free_unpacked(&after->base, NULL);
}

static void test_metrics_are_exposed(void **state)
{
    (void)state;
    char *body = harness_metrics_body(stack, "expiry-svc");
    assert_non_null(body);
    Booking__V1__ExpiryStats *s = expiry_stats(expiry);
    double swept = harness_metric_value(body, "expiry_holds_expired_total{path=\"sweep\"} ");
    double notified = harness_metric_value(body, "expiry_holds_expired_total{path=\"notification\"} ");
    assert_true(swept >= 0 && notified >= 0);
    assert_true(swept + notified <= (double)s->holds_expired);
    assert_true(harness_metric_value(body, "expiry_release_lag_seconds_count ") >= 1);
    assert_true(harness_metric_value(body, "expiry_release_lag_window_seconds{quantile=\"0.99\"} ") >= 0);
    assert_true(harness_metric_value(body, "expiry_notifications_received_total ") >= 2);
    assert_true(harness_metric_value(body, "expiry_reconcile_mismatches_total ") >= 0);
    assert_true(harness_metric_value(body, "expiry_last_sweep_timestamp_seconds ") > 1e9);
    assert_true(harness_metric_value(body, "expiry_notify_config_ok ") == 1);
    protobuf_c_message_free_unpacked(&s->base, NULL);
    assert_true(harness_metric_value(body, "expiry_release_lag_window_seconds_count ") >= 1);
    char *report;
    if (harness_promtool_check(body, &report) != 0)
        fail_msg("promtool check metrics: %s\n---\n%s", report, body);
    free(report);
    free(body);
}

/* A confirmation began in Redis and its caller died before writing anything to
 * PostgreSQL: once its confirm deadline passes, booking-svc's repair fences it, finds no
 * booking and, the hold's own expiry having passed, expires it: the units come back,
 * the hold ends EXPIRED with one event. */
static void test_confirming_only_in_redis_is_resolved(void **state)
{
    (void)state;
    char rid[80], hid[80], until[24];
    int64_t d = day(3), expires;
    make_resource(booking, "Saga House", 3, 1440, 2, rid, sizeof rid);
    assert_int_equal(hold_ms(booking, "ben", rid, d, d + 86400, 1, hid, sizeof hid, &expires), RPC_OK);
    redis_conn *r = redis_connect(harness_redis_url(stack), 2000);
    snprintf(until, sizeof until, "%lld", (long long)(wall_ms() + 1000));
    hold_move begin = {CONFIRM_BEGIN, "", "test", until, "crashed-confirm", 0};
    assert_int_equal(hold_cache_confirm(r, rid, hid, &begin, wall_ms()).status, CONFIRM_OK);
    assert_int_equal(counter(stack, rid, d), 2);
    sleep_ms((long)(expires - wall_ms()));
    assert_true(wait_counter(stack, rid, d, 3, 5000) >= 0);
    assert_int_equal(wait_status(stack, hid, HOLD_EXPIRED, 5000), HOLD_EXPIRED);
    assert_int_equal(hold_events(stack, hid, "hold.expired"), 1);
    redis_close(r);
}

static void test_corrupted_counters_are_repaired(void **state)
{
    (void)state;
    char rid[80], hid[80];
    int64_t d = day(4), expires;
    int released = -1, fixed = -1;
    make_resource(booking, "Reconcile Lodge", 6, 1440, 0, rid, sizeof rid);
    assert_int_equal(hold_ms(booking, "cid", rid, d, d + 86400, 2, hid, sizeof hid, &expires), RPC_OK);
    hold_keys k;
    hold_keys_for(&k, rid, NULL);
    assert_int_equal(redis_int(stack, "HINCRBY %s %lld 3", k.avail, (long long)d), 7);
    Booking__V1__ExpiryStats *before = expiry_stats(expiry);
    assert_int_equal(run_sweep(expiry, &released, &fixed), RPC_OK);
    assert_true(fixed >= 1);
    assert_int_equal(counter(stack, rid, d), 4); /* 6 total - 0 confirmed - 2 held */
    assert_int_equal(redis_int(stack, "HINCRBY %s %lld -2", k.avail, (long long)d), 2);
    assert_int_equal(run_sweep(expiry, &released, &fixed), RPC_OK);
    assert_true(fixed >= 1);
    assert_int_equal(counter(stack, rid, d), 4);
    Booking__V1__ExpiryStats *after = expiry_stats(expiry);
    assert_true(after->reconcile_mismatches >= before->reconcile_mismatches + 2);
    protobuf_c_message_free_unpacked(&before->base, NULL);
    protobuf_c_message_free_unpacked(&after->base, NULL);
    assert_int_equal(run_sweep(expiry, &released, &fixed), RPC_OK);
    assert_int_equal(fixed, 0); /* nothing left to fix; the live hold is not a mismatch */
}

static void test_hold_lost_by_redis_is_recorded_expired(void **state)
{
    (void)state;
    char rid[80], hid[80];
    int64_t d = day(5), expires;
    int fixed = -1;
    make_resource(booking, "Flushed Hostel", 4, 1440, 0, rid, sizeof rid);
    assert_int_equal(hold_ms(booking, "dee", rid, d, d + 86400, 1, hid, sizeof hid, &expires), RPC_OK);
    assert_int_equal(wait_status(stack, hid, HOLD_ACTIVE, 5000), HOLD_ACTIVE); /* recorded */
    hold_keys k;
    hold_keys_for(&k, rid, hid);
    redis_int(stack, "DEL %s %s", k.hold, k.ttl);
    redis_int(stack, "ZREM %s %s", k.deadlines, hid);
    redis_int(stack, "SREM %s %s", k.live, hid);
    const char *params[1] = {hid};
    PGresult *r = PQexecParams(harness_db(stack),
                               "UPDATE booking.holds SET expires_at = now() - interval '5 minutes' WHERE hold_id = $1",
                               1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    assert_int_equal(run_sweep(expiry, NULL, &fixed), RPC_OK);
    assert_true(fixed >= 1);                     /* the lost hold's unit */
    assert_int_equal(counter(stack, rid, d), 4);
    assert_int_equal(wait_status(stack, hid, HOLD_EXPIRED, 5000), HOLD_EXPIRED);
    assert_int_equal(hold_events(stack, hid, "hold.expired"), 1);
    assert_int_equal(harness_sql_long(stack,
                                      "SELECT count(*) FROM booking.events WHERE subject_id = $1 "
                                      "AND metadata->>'path' = 'lost' AND actor_id = 'booking-svc'",
                                      1, params),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_hold_comes_back_once),
        cmocka_unit_test(test_duplicated_notification_changes_nothing),
        cmocka_unit_test(test_metrics_are_exposed),
        cmocka_unit_test(test_confirming_only_in_redis_is_resolved),
        cmocka_unit_test(test_corrupted_counters_are_repaired),
        cmocka_unit_test(test_hold_lost_by_redis_is_recorded_expired),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
