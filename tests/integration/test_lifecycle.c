/* test_lifecycle.c — the checkout lifecycle against the real stack (docs/checkout-lifecycle.md):
 * ExtendHold within its bounds and racing with expiry, overbooking at exactly the
 * allowance under a 100-client race (Redis and PostgreSQL each the gate), partial
 * cancellations adding up to the whole booking. The waiting list is test_waitlist.c. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "invariants.h"
#include "hold_cache.h"
#include "support.h"
#include "timeutil.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM
#define HOLD(s) BOOKING__V1__HOLD_STATUS__HOLD_STATUS_##s
#define BOOKING(s) BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_##s
#define PAY(s) BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_##s
#define SETTLE_MS 15000
#define RACERS 100

static harness *stack;
static rpc_client *booking, *search;

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", "search-svc", "expiry-svc", NULL};
    static const char *const env[] = {"PAYMENT_TIMEOUT_MS=3000", "RECONCILE_INTERVAL_MS=500", NULL};
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

/* A hotel with the lifecycle settings (a 100 % refund until the start). */
static const char *hotel(const char *name, int capacity, int ttl, int max_ext, int max_seconds, int overbooking)
{
    return lifecycle_hotel(booking, name, capacity, (lifecycle_settings){ttl, max_ext, max_seconds, overbooking});
}

/* ExtendHold as `user` (key: idempotency key or NULL); *out the hold (may be NULL). */
static rpc_code extend(const char *hold_id, const char *user, const char *key, int seconds, Booking__V1__Hold **out,
                       rpc_result *r)
{
    Booking__V1__ExtendHoldRequest req = BOOKING__V1__EXTEND_HOLD_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    req.extend_seconds = seconds;
    ProtobufCMessage *resp = NULL;
    rpc_code code = call_as(booking, "ExtendHold", &req.base, (identity){user, "customer", key}, &resp, r);
    if (out)
        *out = (Booking__V1__Hold *)resp;
    else if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

static int64_t expires_ms_of(const Booking__V1__Hold *h)
{
    return h->expires_at->seconds * 1000 + h->expires_at->nanos / 1000000;
}

static Booking__V1__Hold *get_hold(const char *hold_id)
{
    Booking__V1__GetHoldRequest req = BOOKING__V1__GET_HOLD_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(booking, "GetHold", &req.base, ADMIN, &resp, NULL), RPC_OK);
    return (Booking__V1__Hold *)resp;
}

static void expect_not_extendable(const char *hold_id, const char *user, int seconds, const char *why)
{
    rpc_result r;
    assert_int_equal(extend(hold_id, user, NULL, seconds, NULL, &r), RPC_FAILED_PRECONDITION);
    assert_string_equal(r.info.reason, "HOLD_NOT_EXTENDABLE");
    assert_string_equal(error_detail(&r, "why"), why);
}

static void test_extend_within_bounds(void **state)
{
    (void)state;
    const char *rid = hotel("Extendable", 5, 60, 2, 100, 0);
    char hid[80], other[80];
    Booking__V1__Hold *h = NULL;
    rpc_result r;
    assert_int_equal(hold(booking, "ext", rid, day(20), day(21), 1, hid, sizeof hid), RPC_OK);
    Booking__V1__Hold *before = get_hold(hid);
    int64_t created = before->created_at->seconds * 1000 + before->created_at->nanos / 1000000;
    assert_int_equal(extend(hid, "ext", "ext-key-1", 10, &h, NULL), RPC_OK);
    assert_int_equal(expires_ms_of(h), expires_ms_of(before) + 10000);
    assert_int_equal(h->extensions, 1);
    assert_int_equal(h->status, HOLD(ACTIVE));
    protobuf_c_message_free_unpacked(&h->base, NULL);
    /* the same key again: the same answer, no second move */
    assert_int_equal(extend(hid, "ext", "ext-key-1", 10, &h, NULL), RPC_OK);
    assert_int_equal(expires_ms_of(h), expires_ms_of(before) + 10000);
    assert_int_equal(h->extensions, 1);
    protobuf_c_message_free_unpacked(&h->base, NULL);
    /* another customer's hold, bad amounts */
    assert_int_equal(extend(hid, "intruder", NULL, 10, NULL, &r), RPC_PERMISSION_DENIED);
    assert_int_equal(extend(hid, "ext", NULL, 0, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "extend_seconds");
    assert_int_equal(extend(hid, "ext", NULL, 101, NULL, &r), RPC_INVALID_ARGUMENT);
    /* the lifetime bound: 60 s + 10 s + 35 s > 100 s from creation */
    expect_not_extendable(hid, "ext", 35, "max_hold_seconds");
    assert_int_equal(extend(hid, "ext", NULL, 30, &h, NULL), RPC_OK); /* exactly 100 s */
    assert_int_equal(expires_ms_of(h) - created, 100000);
    protobuf_c_message_free_unpacked(&h->base, NULL);
    /* the count bound: two extensions */
    expect_not_extendable(hid, "ext", 1, "max_hold_extensions");
    /* the audit trail: two hold.extended, recorded with the new expiry */
    const char *params[1] = {hid};
    assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.events WHERE subject_id = $1 "
                                     "AND event_type = 'hold.extended'", 1, params, 2, 5000), 2);
    char expect[32];
    snprintf(expect, sizeof expect, "%lld", (long long)(created / 1000 + 100));
    const char *p2[2] = {hid, expect};
    assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.holds WHERE hold_id = $1 AND "
                                     "floor(extract(epoch FROM expires_at))::bigint = $2::bigint", 2, p2, 1, 5000), 1);
    /* ended holds are not extendable */
    assert_int_equal(hold(booking, "ext", rid, day(22), day(23), 1, other, sizeof other), RPC_OK);
    Booking__V1__ReleaseHoldRequest rel = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
    rel.hold_id = other;
    assert_int_equal(call_as(booking, "ReleaseHold", &rel.base, CUSTOMER("ext"), NULL, NULL), RPC_OK);
    expect_not_extendable(other, "ext", 5, "state");
    assert_int_equal(confirm_as(booking, hid, "ext", "pm_card_ok", NULL, NULL), RPC_OK);
    expect_not_extendable(hid, "ext", 5, "state");
    protobuf_c_message_free_unpacked(&before->base, NULL);
    invariants_check(stack, SETTLE_MS);
}

static void test_resource_bounds_validated(void **state)
{
    (void)state;
    static const struct {
        int ttl, max_ext, max_seconds, overbooking;
        const char *field;
    } bad[] = {
        {0, -1, 0, 0, "resource.max_hold_extensions"}, {0, 101, 0, 0, "resource.max_hold_extensions"},
        {0, 0, -5, 0, "resource.max_hold_seconds"},    {0, 0, 86401, 0, "resource.max_hold_seconds"},
        {600, 0, 300, 0, "resource.max_hold_seconds"}, {0, 0, 0, 51, "resource.overbooking_percent"},
        {0, 0, 0, -1, "resource.overbooking_percent"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
        price.currency = (char *)"EUR";
        price.amount_minor = 100;
        Booking__V1__Resource res = BOOKING__V1__RESOURCE__INIT;
        res.resource_type = HOTEL;
        res.name = (char *)"Bad";
        res.location = (char *)"Lisbon";
        res.time_zone = (char *)"UTC";
        res.capacity = 1;
        res.slot_minutes = 1440;
        res.base_price = &price;
        res.hold_ttl_seconds = bad[i].ttl;
        res.max_hold_extensions = bad[i].max_ext;
        res.max_hold_seconds = bad[i].max_seconds;
        res.overbooking_percent = bad[i].overbooking;
        Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
        req.resource = &res;
        rpc_result r;
        assert_int_equal(call_as(booking, "CreateResource", &req.base, ADMIN, NULL, &r), RPC_INVALID_ARGUMENT);
        assert_string_equal(r.info.meta_value[0], bad[i].field);
    }
}

static void sleep_until_ms(int64_t wall)
{
    int64_t left = wall - wall_ms();
    if (left > 0)
        nanosleep(&(struct timespec){left / 1000, (left % 1000) * 1000000L}, NULL);
}

/* A hold extended 50 ms before its deadline is not released: the sweep (every 50 ms)
 * and the TTL marker's notification either come first (and the extension is refused:
 * never here) or find the new deadline. Several holds, one after the other. */
static void test_extend_races_expiry(void **state)
{
    (void)state;
    const char *rid = hotel("Racing", 10, 2, 3, 60, 0);
    for (int round = 0; round < 5; round++) {
        char hid[80];
        assert_int_equal(hold(booking, "racer", rid, day(30 + round), day(31 + round), 1, hid, sizeof hid), RPC_OK);
        Booking__V1__Hold *h = get_hold(hid);
        int64_t deadline = expires_ms_of(h);
        protobuf_c_message_free_unpacked(&h->base, NULL);
        sleep_until_ms(deadline - 50);
        Booking__V1__Hold *x = NULL;
        rpc_result r;
        assert_int_equal(extend(hid, "racer", NULL, 3, &x, &r), RPC_OK);
        assert_int_equal(expires_ms_of(x), deadline + 3000);
        protobuf_c_message_free_unpacked(&x->base, NULL);
        sleep_until_ms(deadline + 1000); /* a second past the old deadline: many sweeps */
        assert_int_equal(hold_status_of(booking, hid), HOLD(ACTIVE));
        const char *params[1] = {hid};
        assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.events WHERE subject_id = $1 "
                                                 "AND event_type = 'hold.expired'", 1, params), 0);
        hold_keys k;
        hold_keys_for(&k, rid, NULL);
        redisReply *left = redisCommand(harness_redis(stack), "HGET %s %lld", k.avail, (long long)day(30 + round));
        assert_string_equal(left->str, "9"); /* the unit is still held */
        freeReplyObject(left);
        sleep_until_ms(deadline + 3000 + 400); /* then it expires at its new deadline */
        assert_int_equal(hold_status_of(booking, hid), HOLD(EXPIRED));
        assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.events WHERE subject_id = $1 "
                                         "AND event_type = 'hold.expired'", 1, params, 1, 5000), 1);
    }
    invariants_check(stack, SETTLE_MS);
}

/* ---- overbooking ---------------------------------------------------------------------- */

typedef struct racer {
    const char *rid;
    int64_t from, to;
    int index;
    rpc_code held, booked;
} racer;

static void *race_one(void *arg)
{
    racer *r = arg;
    char user[32], hid[80];
    snprintf(user, sizeof user, "over-%d", r->index);
    r->held = hold(booking, user, r->rid, r->from, r->to, 1, hid, sizeof hid);
    r->booked = r->held == RPC_OK ? confirm_as(booking, hid, user, "pm_card_ok", NULL, NULL) : r->held;
    return NULL;
}

/* RACERS clients hold and confirm one unit of the same night at once; how many booked. */
static int race(const char *rid, int64_t from, int64_t to, int *held)
{
    static racer racers[RACERS];
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (racer){rid, from, to, i, RPC_UNKNOWN, RPC_UNKNOWN};
        pthread_create(&threads[i], NULL, race_one, &racers[i]);
    }
    int booked = 0;
    *held = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        *held += racers[i].held == RPC_OK;
        booked += racers[i].booked == RPC_OK;
        if (racers[i].held != RPC_OK)
            assert_int_equal(racers[i].held, RPC_RESOURCE_EXHAUSTED);
        else if (racers[i].booked != RPC_OK)
            assert_int_equal(racers[i].booked, RPC_FAILED_PRECONDITION); /* CAPACITY_GONE */
    }
    return booked;
}

static Booking__V1__SlotAvailability *calendar_slot(const char *rid, int64_t from, int64_t to,
                                                    Booking__V1__GetCalendarResponse **cal)
{
    Booking__V1__GetCalendarRequest req = BOOKING__V1__GET_CALENDAR_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.start_time = at(from);
    req.end_time = at(to);
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(search, "GetCalendar", &req.base, CUSTOMER("viewer"), &resp, NULL), RPC_OK);
    *cal = (Booking__V1__GetCalendarResponse *)resp;
    assert_true((*cal)->n_slots >= 1);
    return (*cal)->slots[0];
}

static void wait_calendar(const char *rid, int64_t from, int64_t to, int confirmed)
{
    for (int i = 0; i < 100; i++) {
        Booking__V1__GetCalendarResponse *cal;
        int seen = calendar_slot(rid, from, to, &cal)->confirmed;
        protobuf_c_message_free_unpacked(&cal->base, NULL);
        if (seen == confirmed)
            return;
        nanosleep(&(struct timespec){0, 100 * 1000000L}, NULL);
    }
    fail_msg("the calendar never showed %d confirmed", confirmed);
}

static void test_overbooking_at_the_allowance(void **state)
{
    (void)state;
    const char *rid = hotel("Overbooked", 20, 600, 0, 0, 10); /* sells 22 */
    int64_t from = day(40), to = day(41);
    char *before = harness_metrics_body(stack, "booking-svc");
    double oversold0 = harness_metric_value(before, "booking_oversold_slots_total ");
    free(before);
    int held = 0;
    assert_int_equal(race(rid, from, to, &held), 22);
    assert_int_equal(held, 22); /* Redis's counter counts from the sell limit */
    char slot[24];
    snprintf(slot, sizeof slot, "%lld", (long long)from);
    const char *params[2] = {rid, slot};
    assert_int_equal(harness_sql_long(stack, "SELECT confirmed FROM booking.slots WHERE resource_id = $1 "
                                             "AND slot_start = to_timestamp($2::bigint)", 2, params), 22);
    char *after = harness_metrics_body(stack, "booking-svc");
    assert_int_equal((int)(harness_metric_value(after, "booking_oversold_slots_total ") - oversold0), 2);
    free(after);
    /* the calendar shows the allowance: 20 rooms, 22 sellable, none left */
    wait_calendar(rid, from, to, 22);
    Booking__V1__GetCalendarResponse *cal;
    Booking__V1__SlotAvailability *s = calendar_slot(rid, from, to, &cal);
    assert_int_equal(s->total_capacity, 20);
    assert_int_equal(s->sell_limit, 22);
    assert_int_equal(s->available, 0);
    protobuf_c_message_free_unpacked(&cal->base, NULL);
    /* PostgreSQL is the gate too: Redis told there is room (as after losing state), 100
     * more clients race; holds are taken, no confirmation passes the allowance */
    hold_keys k;
    hold_keys_for(&k, rid, NULL);
    freeReplyObject(redisCommand(harness_redis(stack), "HINCRBY %s %s 10", k.avail, slot));
    assert_int_equal(race(rid, from, to, &held), 0);
    assert_true(held >= 10); /* a refused confirmation gives its units back: the next client holds them */
    assert_int_equal(harness_sql_long(stack, "SELECT confirmed FROM booking.slots WHERE resource_id = $1 "
                                             "AND slot_start = to_timestamp($2::bigint)", 2, params), 22);
    /* the allowance cannot shrink below what is sold */
    Booking__V1__Resource upd = BOOKING__V1__RESOURCE__INIT;
    upd.resource_id = (char *)rid;
    upd.overbooking_percent = 5; /* 21 < 22 */
    rpc_result r;
    assert_int_equal(update_resource_field(booking, &upd, "overbooking_percent", &r), RPC_FAILED_PRECONDITION);
    assert_string_equal(r.info.reason, "BELOW_CONFIRMED");
    Booking__V1__SetInventoryRequest inv = BOOKING__V1__SET_INVENTORY_REQUEST__INIT;
    inv.resource_id = (char *)rid;
    inv.start_time = at(from);
    inv.end_time = at(to);
    inv.total_capacity = 19; /* 19 + 1 = 20 < 22 */
    assert_int_equal(call_as(booking, "SetInventory", &inv.base, ADMIN, NULL, &r), RPC_FAILED_PRECONDITION);
    inv.total_capacity = 20; /* 22: allowed, nothing left */
    assert_int_equal(call_as(booking, "SetInventory", &inv.base, ADMIN, NULL, &r), RPC_OK);
    /* a larger allowance sells more at once: 20 x 1.5 = 30 */
    upd.overbooking_percent = 50;
    assert_int_equal(update_resource_field(booking, &upd, "overbooking_percent", &r), RPC_OK);
    invariants_check(stack, SETTLE_MS); /* the counter lied by 10: reconciled */
    assert_int_equal(race(rid, from, to, &held), 8);
    invariants_check(stack, SETTLE_MS);
}

/* ---- partial cancellation --------------------------------------------------------------- */

static int64_t refunded_of(const char *bid)
{
    const char *params[1] = {bid};
    return harness_sql_long(stack, "SELECT p.refunded_minor FROM payment.payments p JOIN booking.bookings b "
                                   "USING (payment_id) WHERE b.booking_id = $1", 1, params);
}

static void test_partial_cancellations_add_up(void **state)
{
    (void)state;
    const char *rid = hotel("Partial", 5, 600, 0, 0, 0);
    char hid[80], bid[80];
    Booking__V1__Booking *b = NULL;
    rpc_result r;
    assert_int_equal(hold(booking, "par", rid, day(50), day(52), 3, hid, sizeof hid), RPC_OK);
    assert_int_equal(confirm_as(booking, hid, "par", "pm_card_ok", &b, NULL), RPC_OK);
    snprintf(bid, sizeof bid, "%s", b->booking_id);
    int64_t total = b->price->total->amount_minor;
    size_t lines = b->price->n_lines;
    protobuf_c_message_free_unpacked(&b->base, NULL);
    /* one unit, under an idempotency key twice: one cancellation */
    identity keyed = {"par", "customer", "cancel-one"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cancel_units(booking, bid, keyed, 1, &b, NULL), RPC_OK);
        assert_int_equal(b->status, BOOKING(CONFIRMED));
        assert_int_equal(b->quantity, 3);
        assert_int_equal(b->cancelled_quantity, 1);
        assert_int_equal(b->price->n_lines, lines + 1); /* the snapshot's lines and a cancellation line */
        assert_int_equal(b->price->lines[lines]->quantity, 1);
        assert_int_equal(b->price->lines[lines]->amount->amount_minor, -(total / 3));
        assert_int_equal(b->price->total->amount_minor, total); /* what was charged */
        assert_int_equal(b->refunded->amount_minor, total / 3);
        assert_int_equal(b->payment_status, PAY(PARTIALLY_REFUNDED));
        protobuf_c_message_free_unpacked(&b->base, NULL);
    }
    const char *params[2] = {rid, NULL};
    char slot[24];
    snprintf(slot, sizeof slot, "%lld", (long long)day(51));
    params[1] = slot;
    assert_int_equal(harness_sql_long(stack, "SELECT confirmed FROM booking.slots WHERE resource_id = $1 "
                                             "AND slot_start = to_timestamp($2::bigint)", 2, params), 2);
    /* more than is left; a negative count */
    assert_int_equal(cancel_units(booking, bid, CUSTOMER("par"), 3, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "quantity");
    assert_int_equal(cancel_units(booking, bid, CUSTOMER("par"), -1, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_int_equal(cancel_units(booking, bid, CUSTOMER("other"), 1, NULL, &r), RPC_PERMISSION_DENIED);
    /* another unit, then the rest (quantity 0): CANCELLED, the whole total refunded */
    assert_int_equal(cancel_units(booking, bid, CUSTOMER("par"), 1, NULL, NULL), RPC_OK);
    assert_int_equal(cancel_units(booking, bid, CUSTOMER("par"), 0, &b, NULL), RPC_OK);
    assert_int_equal(b->status, BOOKING(CANCELLED));
    assert_int_equal(b->cancelled_quantity, 3);
    assert_int_equal(b->price->n_lines, lines + 3);
    int64_t sum = 0;
    for (size_t i = lines; i < b->price->n_lines; i++)
        sum -= b->price->lines[i]->amount->amount_minor;
    assert_int_equal(sum, total);
    assert_int_equal(b->refunded->amount_minor, total);
    assert_int_equal(b->payment_status, PAY(REFUNDED));
    protobuf_c_message_free_unpacked(&b->base, NULL);
    assert_int_equal(refunded_of(bid), total);
    const char *bp[1] = {bid};
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.events WHERE subject_id = $1 "
                                             "AND event_type = 'booking.partially_cancelled'", 1, bp), 2);
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.events WHERE subject_id = $1 "
                                             "AND event_type = 'booking.refunded'", 1, bp), 3);
    assert_int_equal(harness_sql_long(stack, "SELECT confirmed FROM booking.slots WHERE resource_id = $1 "
                                             "AND slot_start = to_timestamp($2::bigint)", 2, params), 0);
    /* cancelled twice is cancelled once */
    assert_int_equal(cancel_units(booking, bid, CUSTOMER("par"), 1, &b, NULL), RPC_OK);
    assert_int_equal(b->cancelled_quantity, 3);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    /* the units are sellable again: five rooms */
    char again[80];
    assert_int_equal(hold(booking, "par2", rid, day(50), day(52), 5, again, sizeof again), RPC_OK);
    invariants_check(stack, SETTLE_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extend_within_bounds),
        cmocka_unit_test(test_resource_bounds_validated),
        cmocka_unit_test(test_extend_races_expiry),
        cmocka_unit_test(test_overbooking_at_the_allowance),
        cmocka_unit_test(test_partial_cancellations_add_up),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
