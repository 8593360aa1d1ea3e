/* test_bookings.c — the confirmation saga and what follows, against real Redis,
 * PostgreSQL, booking-svc and payment-svc: one booking and one capture per hold under
 * concurrency, declines, cancellation with the resource's refund rules, history and the
 * audit trail; SPEC §6 invariants checked with SQL on both schemas after each test. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "invariants.h"
#include "support.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM
#define PAY(s) BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_##s
#define SETTLE_MS 15000 /* the recorder and the repair catch up in the background */

static harness *stack;
static rpc_client *booking, *search;

static int setup(void **state)
{
    (void)state;
    /* expiry-svc reconciles the Redis counters a test changed behind Redis's back */
    static const char *const services[] = {"payment-svc", "booking-svc", "search-svc", "expiry-svc", NULL};
    static const char *const env[] = {"PAYMENT_TIMEOUT_MS=1500", "RECONCILE_INTERVAL_MS=500", NULL};
    stack = harness_start(services, env);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    search = rpc_client_new(harness_addr(stack, "search-svc"), &booking__v1__search_service__descriptor);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    rpc_client_free(search);
    return harness_stop(stack);
}

static rpc_code confirm(const char *hold_id, const char *user, const char *method, Booking__V1__Booking **out,
                        rpc_result *r)
{
    return confirm_as(booking, hold_id, user, method, out, r);
}

static rpc_code cancel(const char *booking_id, identity id, Booking__V1__Booking **out)
{
    return cancel_units(booking, booking_id, id, 0, out, NULL);
}

/* A reason of the longest length allowed, ending in a two-byte character, is kept whole:
 * the answer is the same valid UTF-8 the caller sent. */
static void test_long_cancel_reason_comes_back_whole(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Long reason", HOTEL, 2, 1440, 5000);
    char hid[80], reason[501];
    memset(reason, 'a', 498);
    memcpy(reason + 498, "\xc3\xa9", 2); /* é */
    reason[500] = '\0';
    Booking__V1__Booking *b = NULL;
    assert_int_equal(hold(booking, "rea", rid, day(60), day(61), 1, hid, sizeof hid), RPC_OK);
    assert_int_equal(confirm(hid, "rea", "pm_card_ok", &b, NULL), RPC_OK);
    Booking__V1__CancelBookingRequest req = BOOKING__V1__CANCEL_BOOKING_REQUEST__INIT;
    req.booking_id = b->booking_id;
    req.reason = reason;
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(booking, "CancelBooking", &req.base, CUSTOMER("rea"), &resp, NULL), RPC_OK);
    assert_string_equal(((Booking__V1__Booking *)resp)->cancel_reason, reason);
    protobuf_c_message_free_unpacked(resp, NULL);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    invariants_check(stack, SETTLE_MS);
}

static void test_full_flow_hold_confirm_cancel(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Saga hotel", HOTEL, 4, 1440, 10000);
    char hid[80];
    assert_int_equal(hold(booking, "ana", rid, day(20), day(22), 2, hid, sizeof hid), RPC_OK);
    Booking__V1__Booking *b = NULL;
    assert_int_equal(confirm(hid, "ana", "pm_card_ok", &b, NULL), RPC_OK);
    assert_int_equal(b->status, BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_CONFIRMED);
    assert_int_equal(b->payment_status, PAY(CAPTURED));
    assert_int_equal(b->price->total->amount_minor, 2 * 2 * 10000);
    char bid[80];
    snprintf(bid, sizeof bid, "%s", b->booking_id);
    assert_int_equal(available_at(search, rid, day(20), day(21)), 2);
    /* a confirmed hold cannot be released, and confirming again gives the same booking:
     * the first answer (made from what the confirmation wrote) is the booking as stored,
     * which the repeat reads back, to the byte */
    Booking__V1__Booking *again = NULL;
    assert_int_equal(confirm(hid, "ana", "pm_card_ok", &again, NULL), RPC_OK);
    assert_string_equal(again->booking_id, bid);
    size_t len = protobuf_c_message_get_packed_size(&b->base);
    assert_int_equal(protobuf_c_message_get_packed_size(&again->base), len);
    uint8_t *first = malloc(len), *stored = malloc(len);
    protobuf_c_message_pack(&b->base, first);
    protobuf_c_message_pack(&again->base, stored);
    assert_memory_equal(first, stored, len);
    free(first);
    free(stored);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    protobuf_c_message_free_unpacked(&again->base, NULL);
    assert_int_equal(cancel(bid, CUSTOMER("eve"), NULL), RPC_PERMISSION_DENIED);
    assert_int_equal(cancel(bid, CUSTOMER("ana"), &b), RPC_OK);
    assert_int_equal(b->status, BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_CANCELLED);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    assert_int_equal(available_at(search, rid, day(20), day(21)), 4);
    assert_int_equal(cancel(bid, CUSTOMER("ana"), &b), RPC_OK); /* twice: the same cancellation */
    assert_int_equal(b->status, BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_CANCELLED);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    assert_int_equal(available_at(search, rid, day(20), day(21)), 4);
    invariants_check(stack, SETTLE_MS);
}

typedef struct confirmer {
    const char *addr, *hold_id;
    pthread_barrier_t *go;
    rpc_code code;
    char booking_id[80];
} confirmer;

static void *confirm_thread(void *arg)
{
    confirmer *c = arg;
    rpc_client *client = rpc_client_new(c->addr, &booking__v1__booking_service__descriptor);
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = (char *)c->hold_id;
    req.payment_method_id = (char *)"pm_card_ok";
    pthread_barrier_wait(c->go);
    ProtobufCMessage *resp = NULL;
    c->code = call_as(client, "ConfirmBooking", &req.base, CUSTOMER("ben"), &resp, NULL);
    if (resp) {
        snprintf(c->booking_id, sizeof c->booking_id, "%s", ((Booking__V1__Booking *)resp)->booking_id);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    rpc_client_free(client);
    return NULL;
}

static void test_concurrent_confirms_make_one_booking_and_one_capture(void **state)
{
    (void)state;
    enum { N = 8 };
    const char *rid = create_resource(booking, "Contended", HOTEL, 2, 1440, 8000);
    char hid[80];
    assert_int_equal(hold(booking, "ben", rid, day(30), day(31), 1, hid, sizeof hid), RPC_OK);
    confirmer cs[N];
    pthread_t threads[N];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        cs[i] = (confirmer){harness_addr(stack, "booking-svc"), hid, &go, RPC_UNKNOWN, ""};
        pthread_create(&threads[i], NULL, confirm_thread, &cs[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&go);
    for (int i = 0; i < N; i++) {
        assert_int_equal(cs[i].code, RPC_OK);
        assert_string_equal(cs[i].booking_id, cs[0].booking_id);
    }
    const char *params[1] = {hid};
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.bookings WHERE hold_id = $1", 1, params), 1);
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM payment.payments WHERE reference = $1 "
                                             "AND captured_minor > 0", 1, params), 1);
    invariants_check(stack, SETTLE_MS);
}

/* PostgreSQL is the arbiter: when Redis let a hold through that PostgreSQL has no room
 * for (Redis lost state), the confirmation fails, the payment is voided and nothing is
 * oversold. */
static void test_capacity_gone_in_postgres_voids_and_fails(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Lost state", HOTEL, 2, 1440, 6000);
    char hid[80];
    rpc_result r;
    assert_int_equal(hold(booking, "kai", rid, day(70), day(71), 2, hid, sizeof hid), RPC_OK);
    /* behind Redis's back: the night's capacity drops to 1 in PostgreSQL */
    const char *params[1] = {rid};
    harness_sql_long(stack,
                     "WITH s AS (INSERT INTO booking.slots (resource_id, slot_start, slot_end, total_capacity) "
                     "VALUES ($1, date_trunc('day', now()) + interval '70 days', "
                     "date_trunc('day', now()) + interval '71 days', 1) RETURNING 1) SELECT count(*) FROM s",
                     1, params);
    assert_int_equal(confirm(hid, "kai", "pm_card_ok", NULL, &r), RPC_FAILED_PRECONDITION);
    assert_string_equal(r.info.reason, "CAPACITY_GONE");
    const char *hp[1] = {hid};
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.bookings WHERE hold_id = $1", 1, hp), 0);
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM payment.payments WHERE reference = $1 "
                                             "AND status <> 5", 1, hp), 0); /* voided */
    assert_int_equal(hold_status_of(booking, hid), BOOKING__V1__HOLD_STATUS__HOLD_STATUS_EXPIRED);
    assert_int_equal(wait_sql(stack, "SELECT coalesce(max(status), 0) FROM booking.holds WHERE hold_id = $1", 1, hp,
                              BOOKING__V1__HOLD_STATUS__HOLD_STATUS_EXPIRED, 5000), /* the recorder's lag */
                     BOOKING__V1__HOLD_STATUS__HOLD_STATUS_EXPIRED);
    invariants_check(stack, SETTLE_MS);
}

static void test_inventory_never_below_confirmed(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Shrinking", HOTEL, 4, 1440, 6000);
    char hid[80];
    assert_int_equal(hold(booking, "lea", rid, day(75), day(76), 2, hid, sizeof hid), RPC_OK);
    assert_int_equal(confirm(hid, "lea", "pm_card_ok", NULL, NULL), RPC_OK);
    Booking__V1__SetInventoryRequest req = BOOKING__V1__SET_INVENTORY_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.start_time = at(day(74));
    req.end_time = at(day(77));
    req.total_capacity = 1;
    rpc_result r;
    assert_int_equal(call_as(booking, "SetInventory", &req.base, ADMIN, NULL, &r), RPC_FAILED_PRECONDITION);
    assert_string_equal(r.info.reason, "BELOW_CONFIRMED");
    assert_int_equal(available_at(search, rid, day(74), day(75)), 4); /* nothing changed */
    req.total_capacity = 2;
    assert_int_equal(call_as(booking, "SetInventory", &req.base, ADMIN, NULL, &r), RPC_OK);
    assert_int_equal(available_at(search, rid, day(75), day(76)), 0);
    assert_int_equal(available_at(search, rid, day(74), day(75)), 2);
    invariants_check(stack, SETTLE_MS);
}

static rpc_code set_capacity(const char *rid, int capacity, rpc_result *r)
{
    Booking__V1__Resource upd = BOOKING__V1__RESOURCE__INIT;
    upd.resource_id = (char *)rid;
    upd.capacity = capacity;
    return update_resource_field(booking, &upd, "capacity", r);
}

/* A night a booking touched follows the resource's capacity like the others: lowering
 * the capacity lowers it too (never below what is confirmed there). */
static void test_capacity_change_reaches_booked_nights(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Downsized", HOTEL, 4, 1440, 6000);
    char hid[80];
    assert_int_equal(hold(booking, "max", rid, day(80), day(81), 1, hid, sizeof hid), RPC_OK);
    assert_int_equal(confirm(hid, "max", "pm_card_ok", NULL, NULL), RPC_OK);
    assert_int_equal(available_at(search, rid, day(80), day(81)), 3);
    assert_int_equal(set_capacity(rid, 2, NULL), RPC_OK);
    assert_int_equal(available_at(search, rid, day(80), day(81)), 1); /* 2 - 1 confirmed */
    assert_int_equal(available_at(search, rid, day(81), day(82)), 2);
    rpc_result r;
    assert_int_equal(set_capacity(rid, 0, &r), RPC_FAILED_PRECONDITION);
    assert_string_equal(r.info.reason, "BELOW_CONFIRMED");
    assert_int_equal(available_at(search, rid, day(80), day(81)), 1);
    assert_int_equal(hold(booking, "max", rid, day(80), day(81), 2, NULL, 0), RPC_RESOURCE_EXHAUSTED);
    invariants_check(stack, SETTLE_MS);
}

static void test_decline_then_retry_with_another_card(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Decline hotel", HOTEL, 1, 1440, 5000);
    char hid[80];
    assert_int_equal(hold(booking, "cleo", rid, day(40), day(41), 1, hid, sizeof hid), RPC_OK);
    rpc_result r;
    assert_int_equal(confirm(hid, "cleo", "pm_card_declined", NULL, &r), RPC_FAILED_PRECONDITION);
    assert_string_equal(r.info.reason, "PAYMENT_DECLINED");
    assert_non_null(strstr(r.message, "card_declined"));
    assert_int_equal(confirm(hid, "cleo", "pm_card_insufficient_funds", NULL, &r), RPC_FAILED_PRECONDITION);
    assert_non_null(strstr(r.message, "insufficient_funds"));
    /* the hold stayed ACTIVE and its unit held */
    assert_int_equal(available_at(search, rid, day(40), day(41)), 0);
    Booking__V1__Booking *b = NULL;
    assert_int_equal(confirm(hid, "cleo", "pm_card_ok", &b, NULL), RPC_OK);
    assert_int_equal(b->payment_status, PAY(CAPTURED));
    protobuf_c_message_free_unpacked(&b->base, NULL);
    invariants_check(stack, SETTLE_MS);
}

static void test_confirm_refusals(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Refusals", HOTEL, 3, 1440, 5000);
    char hid[80];
    rpc_result r;
    assert_int_equal(hold(booking, "dora", rid, day(50), day(51), 1, hid, sizeof hid), RPC_OK);
    assert_int_equal(confirm(hid, "eric", "pm_card_ok", NULL, &r), RPC_PERMISSION_DENIED);
    assert_int_equal(confirm(hid, "dora", "", NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "payment_method_id");
    assert_int_equal(confirm(hid, "dora", "pm_card_unknown", NULL, &r), RPC_INVALID_ARGUMENT);
    assert_int_equal(confirm("hold_missing", "dora", "pm_card_ok", NULL, &r), RPC_NOT_FOUND);
    Booking__V1__ReleaseHoldRequest rel = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
    rel.hold_id = hid;
    assert_int_equal(call_as(booking, "ReleaseHold", &rel.base, CUSTOMER("dora"), NULL, NULL), RPC_OK);
    assert_int_equal(confirm(hid, "dora", "pm_card_ok", NULL, &r), RPC_FAILED_PRECONDITION);
    invariants_check(stack, SETTLE_MS);
}

static Booking__V1__CancellationRule rule(int hours, int percent)
{
    Booking__V1__CancellationRule c = BOOKING__V1__CANCELLATION_RULE__INIT;
    c.hours_before_start = hours;
    c.refund_percent = percent;
    return c;
}

static void test_partial_refund_from_policy(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Policy hotel", HOTEL, 2, 1440, 10000);
    /* 100 % until 30 days before, 50 % until the start */
    Booking__V1__CancellationRule r1 = rule(720, 100), r2 = rule(0, 50);
    Booking__V1__CancellationRule *rules[] = {&r1, &r2};
    Booking__V1__Resource upd = BOOKING__V1__RESOURCE__INIT;
    upd.resource_id = (char *)rid;
    upd.n_cancellation_rules = 2;
    upd.cancellation_rules = rules;
    char *paths[] = {(char *)"cancellation_rules"};
    Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
    mask.n_paths = 1;
    mask.paths = paths;
    Booking__V1__UpdateResourceRequest ureq = BOOKING__V1__UPDATE_RESOURCE_REQUEST__INIT;
    ureq.resource = &upd;
    ureq.update_mask = &mask;
    assert_int_equal(call_as(booking, "UpdateResource", &ureq.base, ADMIN, NULL, NULL), RPC_OK);
    char hid[80];
    assert_int_equal(hold(booking, "fay", rid, day(5), day(7), 1, hid, sizeof hid), RPC_OK);
    Booking__V1__Booking *b = NULL;
    assert_int_equal(confirm(hid, "fay", "pm_card_ok", &b, NULL), RPC_OK);
    char bid[80];
    snprintf(bid, sizeof bid, "%s", b->booking_id);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    assert_int_equal(cancel(bid, CUSTOMER("fay"), &b), RPC_OK);
    assert_int_equal(b->refunded->amount_minor, 10000); /* 50 % of 20000: 5 days ahead */
    assert_int_equal(b->payment_status, PAY(PARTIALLY_REFUNDED));
    protobuf_c_message_free_unpacked(&b->base, NULL);
    const char *params[1] = {bid};
    assert_int_equal(harness_sql_long(stack, "SELECT p.refunded_minor FROM payment.payments p JOIN booking.bookings b "
                                             "USING (payment_id) WHERE b.booking_id = $1", 1, params), 10000);
    invariants_check(stack, SETTLE_MS);
}

static void test_history_paging_and_status_filter(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "History", HOTEL, 20, 1440, 1000);
    char bids[5][80];
    for (int i = 0; i < 5; i++) {
        char hid[80];
        Booking__V1__Booking *b = NULL;
        assert_int_equal(hold(booking, "gus", rid, day(60 + i), day(61 + i), 1, hid, sizeof hid), RPC_OK);
        assert_int_equal(confirm(hid, "gus", "pm_card_ok", &b, NULL), RPC_OK);
        snprintf(bids[i], sizeof bids[i], "%s", b->booking_id);
        protobuf_c_message_free_unpacked(&b->base, NULL);
    }
    assert_int_equal(cancel(bids[1], CUSTOMER("gus"), NULL), RPC_OK);
    Booking__V1__ListBookingsRequest req = BOOKING__V1__LIST_BOOKINGS_REQUEST__INIT;
    req.page_size = 2;
    char token[256] = "";
    int seen = 0;
    for (int page = 0; page < 4; page++) {
        req.page_token = token;
        ProtobufCMessage *resp = NULL;
        assert_int_equal(call_as(booking, "ListBookings", &req.base, CUSTOMER("gus"), &resp, NULL), RPC_OK);
        Booking__V1__ListBookingsResponse *l = (Booking__V1__ListBookingsResponse *)resp;
        for (size_t i = 0; i < l->n_bookings; i++, seen++)
            assert_string_equal(l->bookings[i]->booking_id, bids[4 - seen]); /* newest first */
        snprintf(token, sizeof token, "%s", l->next_page_token);
        protobuf_c_message_free_unpacked(resp, NULL);
        if (!token[0])
            break;
    }
    assert_int_equal(seen, 5);
    req.page_token = NULL;
    req.page_size = 0;
    req.status = BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_CANCELLED;
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(booking, "ListBookings", &req.base, CUSTOMER("gus"), &resp, NULL), RPC_OK);
    assert_int_equal(((Booking__V1__ListBookingsResponse *)resp)->n_bookings, 1);
    protobuf_c_message_free_unpacked(resp, NULL);
    req.user_id = (char *)"gus";
    assert_int_equal(call_as(booking, "ListBookings", &req.base, CUSTOMER("hal"), NULL, NULL), RPC_PERMISSION_DENIED);
    req.user_id = NULL;
    req.page_token = (char *)"zz";
    rpc_result r;
    assert_int_equal(call_as(booking, "ListBookings", &req.base, CUSTOMER("gus"), NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "page_token");
    invariants_check(stack, SETTLE_MS);
}

static void test_events_one_per_state_change_in_order(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Audit", HOTEL, 2, 1440, 1000);
    char hid[80], bid[80];
    Booking__V1__Booking *b = NULL;
    assert_int_equal(hold(booking, "ida", rid, day(90), day(91), 1, hid, sizeof hid), RPC_OK);
    assert_int_equal(confirm(hid, "ida", "pm_card_declined", NULL, NULL), RPC_FAILED_PRECONDITION);
    assert_int_equal(confirm(hid, "ida", "pm_card_ok", &b, NULL), RPC_OK);
    snprintf(bid, sizeof bid, "%s", b->booking_id);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    assert_int_equal(cancel(bid, CUSTOMER("ida"), NULL), RPC_OK);
    Booking__V1__ListEventsRequest req = BOOKING__V1__LIST_EVENTS_REQUEST__INIT;
    req.booking_id = bid;
    /* the booking commits, then the hold is marked CONFIRMED in Redis (its event reaches
     * PostgreSQL through the recorder, within its lag) */
    static const char *const expected[] = {"hold.created", "hold.confirming", "hold.payment_declined",
                                           "hold.confirming", "booking.confirmed", "hold.confirmed",
                                           "booking.payment_captured", "booking.cancelled"}; /* no refund rule */
    const char *params[2] = {bid, hid};
    assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.events WHERE subject_id IN ($1, $2)", 2, params, 8,
                              5000),
                     8);
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(booking, "ListEvents", &req.base, CUSTOMER("ida"), &resp, NULL), RPC_OK);
    Booking__V1__ListEventsResponse *l = (Booking__V1__ListEventsResponse *)resp;
    assert_int_equal(l->n_events, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < l->n_events; i++)
        assert_string_equal(l->events[i]->event_type, expected[i]);
    protobuf_c_message_free_unpacked(resp, NULL);
    assert_int_equal(call_as(booking, "ListEvents", &req.base, CUSTOMER("jon"), NULL, NULL), RPC_PERMISSION_DENIED);
    invariants_check(stack, SETTLE_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_flow_hold_confirm_cancel),
        cmocka_unit_test(test_long_cancel_reason_comes_back_whole),
        cmocka_unit_test(test_concurrent_confirms_make_one_booking_and_one_capture),
        cmocka_unit_test(test_decline_then_retry_with_another_card),
        cmocka_unit_test(test_capacity_gone_in_postgres_voids_and_fails),
        cmocka_unit_test(test_inventory_never_below_confirmed),
        cmocka_unit_test(test_capacity_change_reaches_booked_nights),
        cmocka_unit_test(test_confirm_refusals),
        cmocka_unit_test(test_partial_refund_from_policy),
        cmocka_unit_test(test_history_paging_and_status_filter),
        cmocka_unit_test(test_events_one_per_state_change_in_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
