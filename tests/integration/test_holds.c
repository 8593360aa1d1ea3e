/* test_holds.c — resources, inventory and holds against real Redis (cluster mode) and
 * PostgreSQL: atomic all-or-nothing holds, races for the last units, idempotency,
 * ownership, anti-hoarding, Redis losing its data, hostile input. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <cmocka.h>

#include "hold_cache.h"
#include "support.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM
#define TABLE BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_RESTAURANT_TABLE
#define TICKET BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_EVENT_TICKET
#define MAX_HELD_UNITS 12

static harness *stack;
static rpc_client *booking, *search;

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"booking-svc", "search-svc", NULL};
    static const char *const env[] = {"MAX_HELD_UNITS=12", NULL};
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

static rpc_code set_inventory(const char *resource_id, int64_t from, int64_t to, int capacity)
{
    Booking__V1__SetInventoryRequest req = BOOKING__V1__SET_INVENTORY_REQUEST__INIT;
    req.resource_id = (char *)resource_id;
    req.start_time = at(from);
    req.end_time = at(to);
    req.total_capacity = capacity;
    rpc_result r;
    rpc_code code = call_as(booking, "SetInventory", &req.base, ADMIN, NULL, &r);
    if (code != RPC_OK)
        print_message("SetInventory: %s: %s\n", rpc_code_name(code), r.message);
    return code;
}

static rpc_code release(const char *hold_id, identity id, int *status)
{
    Booking__V1__ReleaseHoldRequest req = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    ProtobufCMessage *resp = NULL;
    rpc_code code = call_as(booking, "ReleaseHold", &req.base, id, &resp, NULL);
    if (resp) {
        *status = ((Booking__V1__Hold *)resp)->status;
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    return code;
}

static void test_identity_and_roles(void **state)
{
    (void)state;
    Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
    rpc_result r;
    assert_int_equal(call_as(booking, "CreateResource", &req.base, (identity){0}, NULL, &r), RPC_UNAUTHENTICATED);
    assert_int_equal(call_as(booking, "CreateResource", &req.base, CUSTOMER("u1"), NULL, &r), RPC_PERMISSION_DENIED);
    assert_int_equal(call_as(booking, "CreateResource", &req.base, ADMIN, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "resource");
}

static void test_invalid_resource_names_the_field(void **state)
{
    (void)state;
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = 100;
    Booking__V1__Resource res = BOOKING__V1__RESOURCE__INIT;
    res.resource_type = HOTEL;
    res.name = (char *)"Bad";
    res.location = (char *)"Porto";
    res.capacity = 3;
    res.slot_minutes = 7; /* not a divisor of 1440 */
    res.time_zone = (char *)"Europe/Lisbon";
    res.base_price = &price;
    Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
    req.resource = &res;
    rpc_result r;
    assert_int_equal(call_as(booking, "CreateResource", &req.base, ADMIN, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "resource.slot_minutes");
    res.slot_minutes = 1440;
    price.currency = (char *)"eur";
    assert_int_equal(call_as(booking, "CreateResource", &req.base, ADMIN, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "resource.base_price");
    price.currency = (char *)"EUR";
    res.name = (char *)"Caf\xc3\x28"; /* invalid UTF-8 */
    assert_int_equal(call_as(booking, "CreateResource", &req.base, ADMIN, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "resource.name");
    res.name = (char *)"Mixed currencies";
    Booking__V1__PricingRules rules = BOOKING__V1__PRICING_RULES__INIT;
    Booking__V1__Money fee = BOOKING__V1__MONEY__INIT;
    fee.currency = (char *)"USD"; /* a dollar fee on a euro total */
    fee.amount_minor = 500;
    rules.fee_fixed = &fee;
    res.pricing = &rules;
    assert_int_equal(call_as(booking, "CreateResource", &req.base, ADMIN, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "resource.pricing.fee_fixed");
}

/* A CreateResource that committed and died before recording its answer (its record
 * gone, as after a crash between the two) runs again under the same key: the same
 * resource answers, no second one is made. */
static void test_create_resource_rerun_finds_its_resource(void **state)
{
    (void)state;
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = 100;
    Booking__V1__Resource res = BOOKING__V1__RESOURCE__INIT;
    res.resource_type = HOTEL;
    res.name = (char *)"Rerun inn";
    res.location = (char *)"Porto";
    res.time_zone = (char *)"Europe/Lisbon";
    res.capacity = 3;
    res.slot_minutes = 1440;
    res.base_price = &price;
    Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
    req.resource = &res;
    identity id = {"root", "admin", "rerun-key"};
    ProtobufCMessage *first = NULL, *again = NULL;
    assert_int_equal(call_as(booking, "CreateResource", &req.base, id, &first, NULL), RPC_OK);
    harness_sql_long(stack, "WITH d AS (DELETE FROM booking.idempotency_keys WHERE key = 'rerun-key' RETURNING 1) "
                            "SELECT count(*) FROM d", 0, NULL);
    assert_int_equal(call_as(booking, "CreateResource", &req.base, id, &again, NULL), RPC_OK);
    assert_string_equal(((Booking__V1__Resource *)again)->resource_id, ((Booking__V1__Resource *)first)->resource_id);
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.resources WHERE name = 'Rerun inn'", 0,
                                      NULL),
                     1);
    protobuf_c_message_free_unpacked(first, NULL);
    protobuf_c_message_free_unpacked(again, NULL);
}

static void test_nightly_hold_quote_calendar_release(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Hotel Tejo deluxe", HOTEL, 5, 1440, 12000);
    char hid[80];
    /* check-in 15:00, check-out 11:00 two days later: 2 nights */
    int64_t in = day(10) + 15 * 3600, out = day(12) + 11 * 3600;
    Booking__V1__CreateHoldRequest req = hold_request(rid, in, out, 2);
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(booking, "CreateHold", &req.base, CUSTOMER("alice"), &resp, NULL), RPC_OK);
    Booking__V1__Hold *h = (Booking__V1__Hold *)resp;
    snprintf(hid, sizeof hid, "%s", h->hold_id);
    /* the id names its resource (docs/architecture.md: a release needs no read first) */
    assert_true(strlen(hid) > strlen(rid) && strcmp(hid + strlen(hid) - strlen(rid), rid) == 0);
    assert_int_equal(h->status, BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE);
    assert_int_equal(h->quote->n_lines, 2);
    assert_int_equal(h->quote->lines[0]->slot_start->seconds, day(10));
    assert_int_equal(h->quote->lines[1]->slot_start->seconds, day(11));
    assert_int_equal(h->quote->total->amount_minor, 2 * 2 * 12000);
    assert_true(h->expires_at->seconds > (int64_t)time(NULL) + 500);
    protobuf_c_message_free_unpacked(resp, NULL);

    assert_int_equal(available_at(search, rid, day(10), day(11)), 3);
    assert_int_equal(available_at(search, rid, day(11), day(12)), 3);
    assert_int_equal(available_at(search, rid, day(12), day(13)), 5);

    int status = 0;
    assert_int_equal(release(hid, CUSTOMER("mallory"), &status), RPC_PERMISSION_DENIED);
    assert_int_equal(available_at(search, rid, day(10), day(11)), 3); /* another user's release changed nothing */
    assert_int_equal(release(hid, CUSTOMER("alice"), &status), RPC_OK);
    assert_int_equal(status, BOOKING__V1__HOLD_STATUS__HOLD_STATUS_RELEASED);
    assert_int_equal(available_at(search, rid, day(10), day(11)), 5);
    /* releasing again changes nothing */
    assert_int_equal(release(hid, CUSTOMER("alice"), &status), RPC_OK);
    assert_int_equal(status, BOOKING__V1__HOLD_STATUS__HOLD_STATUS_RELEASED);
    assert_int_equal(available_at(search, rid, day(10), day(11)), 5);
    const char *params[1] = {hid};
    /* created, released: one event per state change, once the recorder has caught up */
    assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.events WHERE subject_id = $1", 1, params, 2, 5000), 2);
}

static void test_all_or_nothing_across_slots(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Hotel Alfama", HOTEL, 4, 1440, 9000);
    assert_int_equal(set_inventory(rid, day(21), day(22), 0), RPC_OK); /* the middle night is blocked */
    assert_int_equal(hold(booking, "bob", rid, day(20), day(23), 1, NULL, 0), RPC_RESOURCE_EXHAUSTED);
    for (int d = 20; d < 23; d++)
        assert_int_equal(available_at(search, rid, day(d), day(d + 1)), d == 21 ? 0 : 4);
    assert_int_equal(hold(booking, "bob", rid, day(20), day(21), 4, NULL, 0), RPC_OK);
    assert_int_equal(hold(booking, "bob", rid, day(22), day(23), 4, NULL, 0), RPC_OK);
    assert_int_equal(hold(booking, "carol", rid, day(20), day(21), 1, NULL, 0), RPC_RESOURCE_EXHAUSTED);
}

static void test_invalid_hold_requests(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Cervejaria table", TABLE, 3, 30, 0);
    int64_t t = day(3) + 19 * 3600;
    rpc_result r;
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.start_time = at(t + 600); /* 19:10 is not on a 30-minute boundary */
    req.end_time = at(t + 3600);
    req.quantity = 1;
    assert_int_equal(call_as(booking, "CreateHold", &req.base, CUSTOMER("dan"), NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "start_time");
    req.start_time = at(t);
    req.end_time = at(t);
    assert_int_equal(call_as(booking, "CreateHold", &req.base, CUSTOMER("dan"), NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "end_time");
    req.end_time = at(t + 3600);
    req.quantity = 0;
    assert_int_equal(call_as(booking, "CreateHold", &req.base, CUSTOMER("dan"), NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "quantity");
    req.quantity = 1;
    req.resource_id = (char *)"no-such-resource";
    assert_int_equal(call_as(booking, "CreateHold", &req.base, CUSTOMER("dan"), NULL, &r), RPC_NOT_FOUND);
    req.resource_id = (char *)rid;
    req.user_id = (char *)"someone-else";
    assert_int_equal(call_as(booking, "CreateHold", &req.base, CUSTOMER("dan"), NULL, &r), RPC_PERMISSION_DENIED);
    req.user_id = NULL;
    assert_int_equal(call_as(booking, "CreateHold", &req.base, CUSTOMER("dan"), NULL, &r), RPC_OK);
}

static void test_hundred_clients_race_for_five_units(void **state)
{
    (void)state;
    enum { CLIENTS = 100 };
    const char *rid = create_resource(booking, "Last five seats", TABLE, 5, 60, 2500);
    int64_t start = day(5) + 20 * 3600;
    int ok = 0, exhausted = 0;
    race_for_holds(harness_addr(stack, "booking-svc"), rid, start, start + 3600, CLIENTS, &ok, &exhausted);
    assert_int_equal(ok, 5);
    assert_int_equal(exhausted, 95);
    const char *params[1] = {rid};
    /* the history, once the recorder has caught up with the hold log */
    assert_int_equal(wait_sql(stack, "SELECT coalesce(sum(quantity), 0) FROM booking.holds "
                                     "WHERE resource_id = $1 AND status = 1", 1, params, 5, 5000), 5);
    assert_int_equal(available_at(search, rid, start, start + 3600), 0);
}

static void test_idempotent_create_hold(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Idempotent room", HOTEL, 9, 1440, 5000);
    Booking__V1__CreateHoldRequest req = hold_request(rid, day(30), day(31), 2);
    identity id = {"erin", "customer", "key-erin-1"};
    ProtobufCMessage *first = NULL, *second = NULL;
    assert_int_equal(call_as(booking, "CreateHold", &req.base, id, &first, NULL), RPC_OK);
    assert_int_equal(call_as(booking, "CreateHold", &req.base, id, &second, NULL), RPC_OK);
    assert_string_equal(((Booking__V1__Hold *)first)->hold_id, ((Booking__V1__Hold *)second)->hold_id);
    protobuf_c_message_free_unpacked(first, NULL);
    protobuf_c_message_free_unpacked(second, NULL);
    assert_int_equal(available_at(search, rid, day(30), day(31)), 7); /* taken once */
    req.quantity = 3;
    rpc_result r;
    assert_int_equal(call_as(booking, "CreateHold", &req.base, id, NULL, &r), RPC_ALREADY_EXISTS);
    assert_string_equal(r.info.reason, "IDEMPOTENCY_KEY_REUSED");
    /* the same key from another user is another key */
    id.user = "frank";
    assert_int_equal(call_as(booking, "CreateHold", &req.base, id, NULL, NULL), RPC_OK);
}

static long idempotency_records(const char *key)
{
    const char *params[1] = {key};
    return harness_sql_long(stack, "SELECT count(*) FROM booking.idempotency_keys WHERE key = $1", 1, params);
}

/* Records older than IDEMPOTENCY_RETENTION_HOURS (24 by default) go as keyed calls go
 * on (a small batch every 1000th call recorded in PostgreSQL); younger ones stay and
 * still replay. */
static void test_old_idempotency_records_are_purged(void **state)
{
    (void)state;
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = 5000;
    r.name = (char *)"Retention room";
    r.location = (char *)"Lisbon";
    r.resource_type = HOTEL;
    r.capacity = 9;
    r.slot_minutes = 1440;
    r.time_zone = (char *)"UTC";
    r.base_price = &price;
    Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
    req.resource = &r;
    identity old = {"root", "admin", "retention-old"}, young = {"root", "admin", "retention-young"};
    ProtobufCMessage *first = NULL, *again = NULL;
    assert_int_equal(call_as(booking, "CreateResource", &req.base, old, NULL, NULL), RPC_OK);
    assert_int_equal(call_as(booking, "CreateResource", &req.base, young, &first, NULL), RPC_OK);
    assert_int_equal(harness_sql_long(stack, "WITH aged AS (UPDATE booking.idempotency_keys SET created_at = "
                                             "now() - interval '25 hours' WHERE key = 'retention-old' RETURNING 1) "
                                             "SELECT count(*) FROM aged", 0, NULL),
                     1);
    Booking__V1__CancelBookingRequest cancel = BOOKING__V1__CANCEL_BOOKING_REQUEST__INIT;
    cancel.booking_id = (char *)"bk_retention_none";
    for (int i = 0; i < 1000; i++) { /* keyed calls of any outcome count */
        char key[48];
        snprintf(key, sizeof key, "retention-fill-%d", i);
        assert_int_equal(call_as(booking, "CancelBooking", &cancel.base, (identity){"ida", "customer", key}, NULL,
                                 NULL),
                         RPC_NOT_FOUND);
    }
    assert_int_equal(idempotency_records("retention-old"), 0);
    assert_int_equal(idempotency_records("retention-young"), 1);
    assert_int_equal(call_as(booking, "CreateResource", &req.base, young, &again, NULL), RPC_OK);
    assert_string_equal(((Booking__V1__Resource *)again)->resource_id, ((Booking__V1__Resource *)first)->resource_id);
    protobuf_c_message_free_unpacked(first, NULL);
    protobuf_c_message_free_unpacked(again, NULL);
}

/* CreateHold and ReleaseHold keep their idempotency records where the hold lives, in
 * Redis, for the retention time (24 h), not in PostgreSQL. */
static void test_hold_keys_live_in_redis(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Key room", HOTEL, 3, 1440, 5000);
    Booking__V1__CreateHoldRequest req = hold_request(rid, day(52), day(53), 1);
    identity id = {"jo", "customer", "redis-kept-key"};
    assert_int_equal(call_as(booking, "CreateHold", &req.base, id, NULL, NULL), RPC_OK);
    assert_int_equal(idempotency_records("redis-kept-key"), 0);
    redisReply *ttl = redisCommand(harness_redis(stack), "PTTL idem:{u:jo}:/booking.v1.BookingService/CreateHold:%s",
                                   "redis-kept-key");
    assert_non_null(ttl);
    assert_int_equal(ttl->type, REDIS_REPLY_INTEGER);
    assert_true(ttl->integer > 23LL * 3600 * 1000 && ttl->integer <= 24LL * 3600 * 1000);
    freeReplyObject(ttl);
}

typedef struct same_key {
    const char *addr, *resource_id;
    pthread_barrier_t *go;
    char hold_id[80];
} same_key;

static void *same_key_call(void *arg)
{
    same_key *s = arg;
    rpc_client *c = rpc_client_new(s->addr, &booking__v1__booking_service__descriptor);
    Booking__V1__CreateHoldRequest req = hold_request(s->resource_id, day(40), day(42), 1);
    pthread_barrier_wait(s->go);
    ProtobufCMessage *resp = NULL;
    if (call_as(c, "CreateHold", &req.base, (identity){"gina", "customer", "race-key"}, &resp, NULL) == RPC_OK) {
        snprintf(s->hold_id, sizeof s->hold_id, "%s", ((Booking__V1__Hold *)resp)->hold_id);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    rpc_client_free(c);
    return NULL;
}

static void test_idempotent_calls_racing(void **state)
{
    (void)state;
    enum { CALLS = 8 };
    const char *rid = create_resource(booking, "Racing keys", HOTEL, 3, 1440, 5000);
    same_key calls[CALLS];
    pthread_t threads[CALLS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, CALLS);
    for (int i = 0; i < CALLS; i++) {
        calls[i] = (same_key){harness_addr(stack, "booking-svc"), rid, &go, ""};
        pthread_create(&threads[i], NULL, same_key_call, &calls[i]);
    }
    for (int i = 0; i < CALLS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&go);
    for (int i = 0; i < CALLS; i++) {
        assert_true(calls[i].hold_id[0] != '\0');
        assert_string_equal(calls[i].hold_id, calls[0].hold_id);
    }
    const char *params[1] = {rid};
    assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.holds WHERE resource_id = $1", 1, params, 1, 5000),
                     1);
}

static void test_ownership_of_holds(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Private room", HOTEL, 2, 1440, 5000);
    char hid[80];
    assert_int_equal(hold(booking, "harry", rid, day(50), day(51), 1, hid, sizeof hid), RPC_OK);
    Booking__V1__GetHoldRequest req = BOOKING__V1__GET_HOLD_REQUEST__INIT;
    req.hold_id = hid;
    assert_int_equal(call_as(booking, "GetHold", &req.base, CUSTOMER("harry"), NULL, NULL), RPC_OK);
    assert_int_equal(call_as(booking, "GetHold", &req.base, CUSTOMER("ivy"), NULL, NULL), RPC_PERMISSION_DENIED);
    assert_int_equal(call_as(booking, "GetHold", &req.base, ADMIN, NULL, NULL), RPC_OK);
    assert_int_equal(call_as(booking, "GetHold", &req.base, (identity){0}, NULL, NULL), RPC_UNAUTHENTICATED);
    req.hold_id = (char *)"hold_nope";
    assert_int_equal(call_as(booking, "GetHold", &req.base, CUSTOMER("harry"), NULL, NULL), RPC_NOT_FOUND);
    int status = 0;
    assert_int_equal(release(hid, CUSTOMER("ivy"), &status), RPC_PERMISSION_DENIED);
    assert_int_equal(release(hid, ADMIN, &status), RPC_OK); /* an admin may end anyone's hold */
    assert_int_equal(status, BOOKING__V1__HOLD_STATUS__HOLD_STATUS_RELEASED);
    assert_int_equal(hold(booking, "harry", rid, day(50), day(51), 2, NULL, 0), RPC_OK); /* both units back */
}

/* ReleaseHold on a hold whose confirmation is under way refuses, and the hold keeps
 * counting against its user's allowance until the confirmation ends (the release's
 * give-back travels with it and is taken back). */
static void test_release_during_confirmation_keeps_the_allowance(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Being confirmed", TABLE, 100, 60, 100);
    int64_t t = day(7) + 12 * 3600;
    char hid[80];
    assert_int_equal(hold(booking, "payer", rid, t, t + 3600, 10, hid, sizeof hid), RPC_OK);
    assert_int_equal(hold(booking, "payer", rid, t, t + 3600, MAX_HELD_UNITS - 10, NULL, 0), RPC_OK); /* all held */
    hold_keys k;
    hold_keys_for(&k, rid, hid);
    freeReplyObject(redisCommand(harness_redis(stack), "HSET %s st C", k.hold)); /* as ConfirmBooking's first step does */
    int status = 0;
    rpc_result r;
    Booking__V1__ReleaseHoldRequest rel = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
    rel.hold_id = hid;
    assert_int_equal(call_as(booking, "ReleaseHold", &rel.base, CUSTOMER("payer"), NULL, &r), RPC_FAILED_PRECONDITION);
    assert_string_equal(r.info.reason, "HOLD_CONFIRMED");
    redisReply *held = redisCommand(harness_redis(stack), "HEXISTS uheld:{u:payer} %s", hid);
    assert_non_null(held);
    assert_int_equal(held->integer, 1);
    freeReplyObject(held);
    assert_int_equal(hold(booking, "payer", rid, t + 3600, t + 7200, 1, NULL, 0), RPC_RESOURCE_EXHAUSTED);
    freeReplyObject(redisCommand(harness_redis(stack), "HSET %s st A", k.hold)); /* the confirmation gave up */
    assert_int_equal(release(hid, CUSTOMER("payer"), &status), RPC_OK);
    assert_int_equal(status, BOOKING__V1__HOLD_STATUS__HOLD_STATUS_RELEASED);
    assert_int_equal(hold(booking, "payer", rid, t + 3600, t + 7200, 1, NULL, 0), RPC_OK);
}

static void test_anti_hoarding_limit(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Hoarded", TABLE, 100, 60, 100);
    int64_t t = day(6) + 12 * 3600;
    assert_int_equal(hold(booking, "hoarder", rid, t, t + 3600, 10, NULL, 0), RPC_OK);
    rpc_result r;
    Booking__V1__CreateHoldRequest req = hold_request(rid, t + 3600, t + 7200, MAX_HELD_UNITS - 10 + 1);
    assert_int_equal(call_as(booking, "CreateHold", &req.base, CUSTOMER("hoarder"), NULL, &r), RPC_RESOURCE_EXHAUSTED);
    assert_string_equal(r.info.reason, "TOO_MANY_HELD_UNITS");
    req.quantity = MAX_HELD_UNITS - 10;
    assert_int_equal(call_as(booking, "CreateHold", &req.base, CUSTOMER("hoarder"), NULL, &r), RPC_OK);
}

static void test_inventory_changes_move_live_counters(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Flexible", HOTEL, 5, 1440, 7000);
    assert_int_equal(hold(booking, "jane", rid, day(60), day(61), 2, NULL, 0), RPC_OK);
    assert_int_equal(set_inventory(rid, day(60), day(62), 8), RPC_OK);
    assert_int_equal(available_at(search, rid, day(60), day(61)), 6);
    assert_int_equal(available_at(search, rid, day(61), day(62)), 8);
    rpc_result r;
    Booking__V1__SetInventoryRequest req = BOOKING__V1__SET_INVENTORY_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.start_time = at(day(60) + 3600); /* inventory of a nightly resource covers whole nights */
    req.end_time = at(day(60));
    req.total_capacity = 1;
    assert_int_equal(call_as(booking, "SetInventory", &req.base, ADMIN, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "end_time");
}

static void test_single_slot_event(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Fado night", TICKET, 0, 0, 3500);
    int64_t show = day(14) + 21 * 3600 + 1800; /* 21:30 */
    assert_int_equal(set_inventory(rid, show, show + 7200, 50), RPC_OK);
    assert_int_equal(hold(booking, "kim", rid, show, show + 7200, 4, NULL, 0), RPC_OK);
    assert_int_equal(hold(booking, "kim", rid, show, show + 3600, 1, NULL, 0), RPC_INVALID_ARGUMENT);
    assert_int_equal(available_at(search, rid, show, show + 7200), 46);
}

static void test_redis_flush_reloads_counters_without_overselling(void **state)
{
    (void)state;
    const char *rid = create_resource(booking, "Flushed", HOTEL, 3, 1440, 4000);
    assert_int_equal(hold(booking, "leo", rid, day(70), day(71), 2, NULL, 0), RPC_OK);
    redisReply *reply = redisCommand(harness_redis(stack), "FLUSHALL");
    assert_non_null(reply);
    freeReplyObject(reply);
    /* live holds are lost with Redis; bookings (none here) are not: counters reload as
     * total - confirmed, once, and never oversell */
    assert_int_equal(hold(booking, "mia", rid, day(70), day(71), 3, NULL, 0), RPC_OK);
    assert_int_equal(hold(booking, "ned", rid, day(70), day(71), 1, NULL, 0), RPC_RESOURCE_EXHAUSTED);
    assert_int_equal(available_at(search, rid, day(70), day(71)), 0);
}

static void test_hostile_bytes_never_crash(void **state)
{
    (void)state;
    rpc_client *c = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    Booking__V1__SetInventoryResponse junk = BOOKING__V1__SET_INVENTORY_RESPONSE__INIT;
    int invalid = 0;
    for (int i = 0; i < 300; i++) {
        /* random field numbers and wire types, shaped as a message */
        uint8_t bytes[64];
        getrandom(bytes, sizeof bytes, 0);
        ProtobufCMessageUnknownField field = {.tag = (uint32_t)(bytes[0] % 40 + 1),
                                              .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
                                              .len = (size_t)(bytes[1] % 60), .data = bytes + 2};
        junk.base.n_unknown_fields = 1;
        junk.base.unknown_fields = &field;
        rpc_result r;
        rpc_code code = call_as(c, "CreateHold", &junk.base, CUSTOMER("fuzz"), NULL, &r);
        assert_true(code == RPC_INVALID_ARGUMENT || code == RPC_NOT_FOUND);
        invalid += code == RPC_INVALID_ARGUMENT;
    }
    assert_true(invalid > 0);
    junk.base.n_unknown_fields = 0;
    rpc_client_free(c);
    const char *rid = create_resource(booking, "Still standing", HOTEL, 1, 1440, 100);
    assert_int_equal(hold(booking, "fuzz", rid, day(80), day(81), 1, NULL, 0), RPC_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_and_roles),
        cmocka_unit_test(test_invalid_resource_names_the_field),
        cmocka_unit_test(test_create_resource_rerun_finds_its_resource),
        cmocka_unit_test(test_nightly_hold_quote_calendar_release),
        cmocka_unit_test(test_all_or_nothing_across_slots),
        cmocka_unit_test(test_invalid_hold_requests),
        cmocka_unit_test(test_hundred_clients_race_for_five_units),
        cmocka_unit_test(test_idempotent_create_hold),
        cmocka_unit_test(test_idempotent_calls_racing),
        cmocka_unit_test(test_ownership_of_holds),
        cmocka_unit_test(test_anti_hoarding_limit),
        cmocka_unit_test(test_release_during_confirmation_keeps_the_allowance),
        cmocka_unit_test(test_inventory_changes_move_live_counters),
        cmocka_unit_test(test_single_slot_event),
        cmocka_unit_test(test_redis_flush_reloads_counters_without_overselling),
        cmocka_unit_test(test_hostile_bytes_never_crash),
        cmocka_unit_test(test_old_idempotency_records_are_purged),
        cmocka_unit_test(test_hold_keys_live_in_redis),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
