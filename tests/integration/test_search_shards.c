/* test_search_shards.c — the sharded read model (docs/scale-out.md, "Sharded search")
 * against the real stack: two search-svc replicas each holding half the partitions
 * (SEARCH_SHARD=0/2 and 1/2) behind a router (SEARCH_SHARDS) answer exactly what one
 * replica holding everything answers — every page of every search, byte for byte but
 * as_of, page tokens included; GetResource and GetCalendar likewise; the same errors.
 * Also: PostgreSQL's stored partition of every resource is the one its Redis keys use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hold_cache.h"
#include "support.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM
#define TABLE BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_RESTAURANT_TABLE
#define RESOURCES 72

static harness *stack;
static rpc_client *booking, *whole, *router;
static char ids[RESOURCES][80];

/* search_model_resources of an instance (-1 when it does not answer). */
static long model_resources(const char *instance)
{
    char *scrape = harness_metrics(stack, instance);
    double v = harness_metric_value(scrape, "search_model_resources ");
    free(scrape);
    return (long)v;
}

/* Resource i: two cities, prices, ratings and amenities that tie and differ, nightly
 * and timed, a few in another currency. */
static void create(int i)
{
    static char *amen[] = {"wifi", "pool", "spa"};
    char name[32];
    snprintf(name, sizeof name, "Shard test %d", i);
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)(i % 9 == 0 ? "USD" : "EUR");
    price.amount_minor = 8000 + (i % 7) * 1000;
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_type = i % 5 == 0 ? TABLE : HOTEL;
    r.name = name;
    r.location = (char *)(i % 2 ? "Porto" : "Lisbon");
    r.latitude = (i % 2 ? 41.15 : 38.72) + (double)(i % 10) * 0.01;
    r.longitude = (i % 2 ? -8.61 : -9.14) + (double)(i % 6) * 0.01;
    r.capacity = 1 + i % 4;
    r.slot_minutes = r.resource_type == TABLE ? 120 : 1440;
    r.rating = (double)(i % 11) / 2.0;
    r.amenities = amen;
    r.n_amenities = (size_t)(i % 4);
    r.base_price = &price;
    create_resource_from(booking, &r, ids[i], sizeof ids[i]);
}

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", "search-svc", NULL};
    static const char *const env[] = {"SEARCH_TOKEN_KEY=shard-test-key", NULL};
    stack = harness_start(services, env);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    for (int i = 0; i < RESOURCES; i++)
        create(i);
    /* some nights taken: availability differs between resources and nights */
    for (int i = 0; i < RESOURCES; i += 3) {
        char user[32];
        snprintf(user, sizeof user, "shard-user-%d", i);
        assert_int_equal(hold(booking, user, ids[i], day(5 + i % 3), day(6 + i % 3), 1, NULL, 0), RPC_OK);
    }
    static const char *const half0[] = {"SEARCH_SHARD=0/2", NULL}, *const half1[] = {"SEARCH_SHARD=1/2", NULL};
    assert_int_equal(harness_start_service(stack, "search-svc#2", half0), 0);
    assert_int_equal(harness_start_service(stack, "search-svc#3", half1), 0);
    char shards[128];
    snprintf(shards, sizeof shards, "SEARCH_SHARDS=%s,%s", harness_addr(stack, "search-svc#2"),
             harness_addr(stack, "search-svc#3"));
    const char *const route[] = {shards, NULL};
    assert_int_equal(harness_start_service(stack, "search-svc#4", route), 0);
    whole = rpc_client_new(harness_addr(stack, "search-svc"), &booking__v1__search_service__descriptor);
    router = rpc_client_new(harness_addr(stack, "search-svc#4"), &booking__v1__search_service__descriptor);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    rpc_client_free(whole);
    rpc_client_free(router);
    return harness_stop(stack);
}

/* Every resource's stored partition is its Redis partition; the two halves hold
 * disjoint partitions that together are the whole catalogue. */
static void test_each_half_holds_its_partitions(void **state)
{
    (void)state;
    for (int i = 0; i < RESOURCES; i++) {
        const char *params[1] = {ids[i]};
        assert_int_equal(harness_sql_long(stack, "SELECT partition_id FROM booking.resources WHERE resource_id = $1",
                                          1, params),
                         hold_partition(ids[i]));
    }
    long all = 0, a = 0, b = 0;
    for (int i = 0; i < 100 && (all != RESOURCES || a + b != RESOURCES); i++, sleep_ms(100)) {
        all = model_resources("search-svc");
        a = model_resources("search-svc#2");
        b = model_resources("search-svc#3");
    }
    assert_int_equal(all, RESOURCES);
    assert_int_equal(a + b, RESOURCES);
    assert_true(a > 0 && b > 0);
}

/* The request's answer with as_of cleared, packed (malloc'd); *code set. */
static uint8_t *answer(rpc_client *c, const ProtobufCMessage *req, const char *method, size_t *len, rpc_result *res)
{
    ProtobufCMessage *resp = NULL;
    *len = 0;
    if (call_as(c, method, req, (identity){NULL, NULL, NULL}, &resp, res) != RPC_OK)
        return NULL;
    Google__Protobuf__Timestamp **as_of = NULL;
    if (strcmp(method, "SearchAvailability") == 0)
        as_of = &((Booking__V1__SearchAvailabilityResponse *)resp)->as_of;
    if (strcmp(method, "GetCalendar") == 0)
        as_of = &((Booking__V1__GetCalendarResponse *)resp)->as_of;
    Google__Protobuf__Timestamp *kept = as_of ? *as_of : NULL;
    if (as_of)
        *as_of = NULL; /* not packed; put back to be freed with the rest */
    *len = protobuf_c_message_get_packed_size(resp);
    uint8_t *buf = malloc(*len + 1);
    protobuf_c_message_pack(resp, buf);
    if (as_of)
        *as_of = kept;
    protobuf_c_message_free_unpacked(resp, NULL);
    return buf;
}

/* Both answer the same, byte for byte (as_of aside), or fail the same. */
static void same_answer(const ProtobufCMessage *req, const char *method)
{
    rpc_result ra, rb;
    size_t la, lb;
    uint8_t *a = answer(whole, req, method, &la, &ra), *b = answer(router, req, method, &lb, &rb);
    if (!a || !b) {
        assert_null(a);
        assert_null(b);
        assert_int_equal(rb.code, ra.code);
        assert_string_equal(rb.info.reason, ra.info.reason);
        assert_string_equal(rb.message, ra.message);
        return;
    }
    assert_int_equal(lb, la);
    assert_memory_equal(b, a, la);
    free(a);
    free(b);
}

/* Pages through a search on the whole replica, checking each page (and the token the
 * router would hand out) against the router's; returns the results seen. */
static size_t page_through(Booking__V1__SearchAvailabilityRequest req)
{
    size_t seen = 0;
    char token[256] = "";
    for (int page = 0; page < 50; page++) {
        req.page_token = token;
        same_answer(&req.base, "SearchAvailability");
        ProtobufCMessage *resp = NULL;
        assert_int_equal(call_as(whole, "SearchAvailability", &req.base, (identity){NULL, NULL, NULL}, &resp, NULL),
                         RPC_OK);
        Booking__V1__SearchAvailabilityResponse *r = (Booking__V1__SearchAvailabilityResponse *)resp;
        seen += r->n_results;
        snprintf(token, sizeof token, "%s", r->next_page_token ? r->next_page_token : "");
        protobuf_c_message_free_unpacked(resp, NULL);
        if (!token[0])
            return seen;
    }
    fail_msg("more than 50 pages");
    return seen;
}

static Booking__V1__SearchAvailabilityRequest base_query(int nights_from, int nights)
{
    Booking__V1__SearchAvailabilityRequest req = BOOKING__V1__SEARCH_AVAILABILITY_REQUEST__INIT;
    req.start_time = at(day(nights_from) + 15 * 3600);
    req.end_time = at(day(nights_from + nights) + 11 * 3600);
    req.quantity = 1;
    req.page_size = 5;
    return req;
}

static void test_every_page_of_every_search_is_the_same(void **state)
{
    (void)state;
    static Booking__V1__Money cap = BOOKING__V1__MONEY__INIT;
    cap.currency = (char *)"EUR";
    cap.amount_minor = 40000;
    static char *pool[] = {(char *)"pool"};
    Booking__V1__SearchAvailabilityRequest q = base_query(5, 2);
    q.resource_type = HOTEL;
    q.location = (char *)"Lisbon";
    assert_true(page_through(q) > 5); /* by price, several pages */
    q.sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_RATING;
    page_through(q);
    q.location = (char *)"Porto";
    q.quantity = 2;
    q.max_price = &cap;
    page_through(q);
    Booking__V1__SearchAvailabilityRequest g = base_query(6, 1);
    g.latitude = 38.75, g.longitude = -9.12, g.radius_km = 15;
    g.sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE;
    assert_true(page_through(g) > 5); /* every type, by distance */
    g.amenities = pool, g.n_amenities = 1, g.page_size = 3;
    page_through(g);
    Booking__V1__SearchAvailabilityRequest none = base_query(5, 2);
    none.location = (char *)"Nowhere";
    assert_int_equal(page_through(none), 0);
}

static void test_errors_are_the_same(void **state)
{
    (void)state;
    Booking__V1__SearchAvailabilityRequest q = base_query(5, 2);
    same_answer(&q.base, "SearchAvailability"); /* no place: INVALID_ARGUMENT location */
    q.location = (char *)"Lisbon";
    q.page_token = (char *)"not-a-token";
    same_answer(&q.base, "SearchAvailability");
    q.page_token = NULL;
    q.end_time = q.start_time;
    same_answer(&q.base, "SearchAvailability");
    Booking__V1__GetResourceRequest r = BOOKING__V1__GET_RESOURCE_REQUEST__INIT;
    r.resource_id = (char *)"no-such-resource";
    same_answer(&r.base, "GetResource");
}

static void test_resources_and_calendars_are_the_same(void **state)
{
    (void)state;
    for (int i = 0; i < RESOURCES; i += 5) {
        Booking__V1__GetResourceRequest r = BOOKING__V1__GET_RESOURCE_REQUEST__INIT;
        r.resource_id = ids[i];
        same_answer(&r.base, "GetResource");
        Booking__V1__GetCalendarRequest c = BOOKING__V1__GET_CALENDAR_REQUEST__INIT;
        c.resource_id = ids[i];
        c.start_time = at(day(4));
        c.end_time = at(day(9));
        same_answer(&c.base, "GetCalendar");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_half_holds_its_partitions),
        cmocka_unit_test(test_every_page_of_every_search_is_the_same),
        cmocka_unit_test(test_errors_are_the_same),
        cmocka_unit_test(test_resources_and_calendars_are_the_same),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
