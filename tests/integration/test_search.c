/* test_search.c — SearchAvailability against the real stack (booking-svc, search-svc,
 * payment-svc, expiry-svc on real PostgreSQL and Redis): results agree with GetCalendar
 * and with the quote of a hold, full nights exclude, filters and geo (antimeridian
 * included), paging serves every result once, bad input names the field, every kind
 * of change shows within 1 s, and the model resyncs after Redis loses its data. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "support.h"
#include "timeutil.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM
#define CAR BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_RENTAL_CAR
#define TABLE BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_RESTAURANT_TABLE
#define TICKET BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_EVENT_TICKET
#define FRESH_MS 1000 /* the staleness bound */

static harness *stack;
static rpc_client *booking, *search;

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", "search-svc", "expiry-svc", NULL};
    stack = harness_start(services, NULL);
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

/* ---- resources ------------------------------------------------------------------ */

typedef struct spec {
    const char *city;
    Booking__V1__ResourceType type;
    int capacity, slot_minutes;
    int64_t price;
    double lat, lon, rating;
    const char *const *amenities;
    size_t n_amenities;
    Booking__V1__PricingRules *pricing;
    int hold_ttl_seconds;
    const char *time_zone;  /* NULL: UTC */
} spec;

static spec hotel_in(const char *city, int capacity, int64_t price)
{
    return (spec){.city = city, .type = HOTEL, .capacity = capacity, .slot_minutes = 1440, .price = price,
                  .rating = 4.0};
}

/* Creates the resource; returns its id (static storage rotated across 64 calls). */
static const char *create(const spec *s)
{
    static char ids[64][80];
    static int next;
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = s->price;
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_type = s->type;
    r.name = (char *)"Search test resource";
    r.location = (char *)s->city;
    r.latitude = s->lat;
    r.longitude = s->lon;
    r.rating = s->rating;
    r.capacity = s->capacity;
    r.slot_minutes = s->slot_minutes;
    r.time_zone = (char *)(s->time_zone ? s->time_zone : "UTC");
    r.base_price = &price;
    r.amenities = (char **)s->amenities;
    r.n_amenities = s->n_amenities;
    r.pricing = s->pricing;
    r.hold_ttl_seconds = s->hold_ttl_seconds;
    Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
    req.resource = &r;
    ProtobufCMessage *resp = NULL;
    rpc_result res;
    if (call_as(booking, "CreateResource", &req.base, ADMIN, &resp, &res) != RPC_OK)
        fail_msg("CreateResource: %s %s", rpc_code_name(res.code), res.message);
    char *id = ids[next++ % 64];
    snprintf(id, 80, "%s", ((Booking__V1__Resource *)resp)->resource_id);
    protobuf_c_message_free_unpacked(resp, NULL);
    return id;
}

static void set_inventory(const char *rid, int64_t from, int64_t to, int capacity, int64_t price_override)
{
    Booking__V1__SetInventoryRequest req = BOOKING__V1__SET_INVENTORY_REQUEST__INIT;
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = price_override;
    req.resource_id = (char *)rid;
    req.start_time = at(from);
    req.end_time = at(to);
    req.total_capacity = capacity;
    req.price_override = price_override >= 0 ? &price : NULL;
    rpc_result r;
    if (call_as(booking, "SetInventory", &req.base, ADMIN, NULL, &r) != RPC_OK)
        fail_msg("SetInventory: %s %s", rpc_code_name(r.code), r.message);
}

static void set_rating(const char *rid, double rating)
{
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_id = (char *)rid;
    r.rating = rating;
    char *paths[] = {(char *)"rating"};
    Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
    mask.paths = paths;
    mask.n_paths = 1;
    Booking__V1__UpdateResourceRequest req = BOOKING__V1__UPDATE_RESOURCE_REQUEST__INIT;
    req.resource = &r;
    req.update_mask = &mask;
    rpc_result res;
    if (call_as(booking, "UpdateResource", &req.base, ADMIN, NULL, &res) != RPC_OK)
        fail_msg("UpdateResource: %s %s", rpc_code_name(res.code), res.message);
}

static rpc_code release(const char *user, const char *hold_id)
{
    Booking__V1__ReleaseHoldRequest req = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    return call_as(booking, "ReleaseHold", &req.base, CUSTOMER(user), NULL, NULL);
}

/* ---- searching ------------------------------------------------------------------ */

/* A search request with its own timestamps (support's at() ring is shared). */
typedef struct query {
    Booking__V1__SearchAvailabilityRequest req;
    Google__Protobuf__Timestamp start, end;
} query;

/* A search in a city: check-in 15:00 of day d, check-out 11:00 of day d + nights. */
static void in_city(query *q, const char *city, int d, int nights)
{
    booking__v1__search_availability_request__init(&q->req);
    google__protobuf__timestamp__init(&q->start);
    google__protobuf__timestamp__init(&q->end);
    q->start.seconds = day(d) + 15 * 3600;
    q->end.seconds = day(d + nights) + 11 * 3600;
    q->req.location = (char *)city;
    q->req.start_time = &q->start;
    q->req.end_time = &q->end;
    q->req.page_size = 100;
}

static rpc_code do_search(const Booking__V1__SearchAvailabilityRequest *req,
                          Booking__V1__SearchAvailabilityResponse **resp, rpc_result *r)
{
    ProtobufCMessage *out = NULL;
    rpc_code code = call_as(search, "SearchAvailability", &req->base, (identity){0}, &out, r);
    *resp = (Booking__V1__SearchAvailabilityResponse *)out;
    return code;
}

static const Booking__V1__AvailabilityResult *find(const Booking__V1__SearchAvailabilityResponse *resp,
                                                   const char *rid)
{
    for (size_t i = 0; resp && i < resp->n_results; i++)
        if (strcmp(resp->results[i]->resource->resource_id, rid) == 0)
            return resp->results[i];
    return NULL;
}

/* The resource's available_quantity in a search (-1 when absent). */
static int available_in(const Booking__V1__SearchAvailabilityRequest *req, const char *rid)
{
    Booking__V1__SearchAvailabilityResponse *resp;
    rpc_result r;
    if (do_search(req, &resp, &r) != RPC_OK)
        fail_msg("SearchAvailability: %s %s", rpc_code_name(r.code), r.message);
    const Booking__V1__AvailabilityResult *hit = find(resp, rid);
    int n = hit ? hit->available_quantity : -1;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return n;
}

/* Polls until the search shows `want` (-1 = absent) for rid; returns the ms it took
 * from `since` (a monotonic_ms() time), or fails after 5 s. */
static long wait_for(const Booking__V1__SearchAvailabilityRequest *req, const char *rid, int want, long since)
{
    while (monotonic_ms() - since < 5000) {
        if (available_in(req, rid) == want)
            return monotonic_ms() - since;
        sleep_ms(2);
    }
    fail_msg("search never showed %d for %s", want, rid);
    return -1;
}

/* Searches until the answer's as_of reaches `since` (wall ms): then every change made
 * before `since` is in it. The caller frees the response. */
static Booking__V1__SearchAvailabilityResponse *search_fresh(const Booking__V1__SearchAvailabilityRequest *req,
                                                             int64_t since)
{
    long t0 = monotonic_ms();
    for (;;) {
        Booking__V1__SearchAvailabilityResponse *resp;
        rpc_result r;
        if (do_search(req, &resp, &r) != RPC_OK)
            fail_msg("SearchAvailability: %s %s", rpc_code_name(r.code), r.message);
        int64_t as_of = resp->as_of->seconds * 1000 + resp->as_of->nanos / 1000000;
        if (as_of >= since)
            return resp;
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        if (monotonic_ms() - t0 > 5000)
            fail_msg("as_of stayed %lld ms behind", (long long)(since - as_of));
        sleep_ms(2);
    }
}

static void assert_invalid(const Booking__V1__SearchAvailabilityRequest *req, const char *field)
{
    Booking__V1__SearchAvailabilityResponse *resp = NULL;
    rpc_result r;
    rpc_code code = do_search(req, &resp, &r);
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (code != RPC_INVALID_ARGUMENT)
        fail_msg("expected INVALID_ARGUMENT on %s, got %s", field, rpc_code_name(code));
    assert_int_equal(r.info.meta_count, 1);
    assert_string_equal(r.info.meta_key[0], "field");
    assert_string_equal(r.info.meta_value[0], field);
}

/* ---- tests ---------------------------------------------------------------------- */

/* The lowest available count over the calendar's slots of [from, to). */
static int calendar_min(const char *rid, int64_t from, int64_t to)
{
    Booking__V1__GetCalendarRequest req = BOOKING__V1__GET_CALENDAR_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.start_time = at(from);
    req.end_time = at(to);
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(search, "GetCalendar", &req.base, (identity){0}, &resp, NULL), RPC_OK);
    Booking__V1__GetCalendarResponse *cal = (Booking__V1__GetCalendarResponse *)resp;
    int min = -1;
    assert_non_null(cal->as_of);
    for (size_t i = 0; i < cal->n_slots; i++)
        if (min < 0 || cal->slots[i]->available < min)
            min = cal->slots[i]->available;
    protobuf_c_message_free_unpacked(resp, NULL);
    return min;
}

/* CreateHold's quoted total (the hold is released again). */
static int64_t hold_quote(const char *rid, int64_t start, int64_t end, int quantity, char *currency)
{
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.start_time = at(start);
    req.end_time = at(end);
    req.quantity = quantity;
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    if (call_as(booking, "CreateHold", &req.base, CUSTOMER("quoter"), &resp, &r) != RPC_OK)
        fail_msg("CreateHold: %s %s", rpc_code_name(r.code), r.message);
    Booking__V1__Hold *h = (Booking__V1__Hold *)resp;
    int64_t total = h->quote->total->amount_minor;
    snprintf(currency, 4, "%s", h->quote->total->currency);
    assert_int_equal(release("quoter", h->hold_id), RPC_OK);
    protobuf_c_message_free_unpacked(resp, NULL);
    return total;
}

static Booking__V1__PricingRules *rich_rules(void)
{
    static Booking__V1__PricingRules rules = BOOKING__V1__PRICING_RULES__INIT;
    static Booking__V1__OccupancyRule busy = BOOKING__V1__OCCUPANCY_RULE__INIT;
    static Booking__V1__OccupancyRule *occ[] = {&busy};
    static Booking__V1__LeadTimeRule early = BOOKING__V1__LEAD_TIME_RULE__INIT;
    static Booking__V1__LeadTimeRule *lead[] = {&early};
    static Booking__V1__Money fixed = BOOKING__V1__MONEY__INIT;
    busy.min_occupancy_percent = 40;
    busy.multiplier_bp = 13000;
    early.min_days_before_start = 7;
    early.discount_bp = 1000;
    fixed.currency = (char *)"EUR";
    fixed.amount_minor = 350;
    rules.weekend_multiplier_bp = 12500;
    rules.occupancy = occ;
    rules.n_occupancy = 1;
    rules.lead_time = lead;
    rules.n_lead_time = 1;
    rules.fee_bp = 500;
    rules.fee_fixed = &fixed;
    rules.tax_bp = 2300;
    return &rules;
}

static void test_results_match_calendar_and_hold_quote(void **state)
{
    (void)state;
    spec a = hotel_in("Matchville", 5, 10000), b = hotel_in("Matchville", 3, 8000), c = hotel_in("Matchville", 2, 12000);
    a.pricing = rich_rules();
    const char *ra = create(&a), *rb = create(&b), *rc = create(&c);
    char ids[3][80];
    snprintf(ids[0], 80, "%s", ra), snprintf(ids[1], 80, "%s", rb), snprintf(ids[2], 80, "%s", rc);
    set_inventory(ids[1], day(41), day(42), 3, 9900); /* a price override on one night */
    assert_int_equal(hold(booking, "u-match", ids[0], day(41), day(42), 3, NULL, 0), RPC_OK); /* occupancy 60 % */
    assert_int_equal(hold(booking, "u-match", ids[1], day(40), day(41), 1, NULL, 0), RPC_OK);
    query q;
    in_city(&q, "MATCHVILLE", 40, 3);
    Booking__V1__SearchAvailabilityRequest req = q.req;
    req.quantity = 2;
    Booking__V1__SearchAvailabilityResponse *resp = search_fresh(&req, wall_ms());
    assert_int_equal(resp->n_results, 3);
    assert_non_null(resp->as_of);
    for (size_t i = 0; i < resp->n_results; i++) {
        const Booking__V1__AvailabilityResult *res = resp->results[i];
        const char *rid = res->resource->resource_id;
        assert_int_equal(res->available_quantity, calendar_min(rid, day(40), day(43)));
        char currency[4];
        int64_t quoted = hold_quote(rid, req.start_time->seconds, req.end_time->seconds, 2, currency);
        assert_int_equal(res->total_price->amount_minor, quoted);
        assert_string_equal(res->total_price->currency, currency);
        assert_string_equal(res->resource->location, "Matchville");
        if (i > 0) /* cheapest first */
            assert_true(resp->results[i - 1]->total_price->amount_minor <= res->total_price->amount_minor);
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void test_a_fully_booked_night_excludes(void **state)
{
    (void)state;
    spec s = hotel_in("Fullville", 2, 5000);
    char full[80], blocked[80];
    snprintf(full, sizeof full, "%s", create(&s));
    snprintf(blocked, sizeof blocked, "%s", create(&s));
    query q3, q1;
    in_city(&q3, "Fullville", 50, 3);
    in_city(&q1, "Fullville", 50, 1);
    Booking__V1__SearchAvailabilityRequest three = q3.req, first = q1.req;
    wait_for(&three, full, 2, monotonic_ms());
    assert_int_equal(hold(booking, "u-full", full, day(51), day(52), 2, NULL, 0), RPC_OK);
    set_inventory(blocked, day(52), day(53), 0, -1);
    wait_for(&three, full, -1, monotonic_ms());
    wait_for(&three, blocked, -1, monotonic_ms());
    assert_int_equal(available_in(&first, full), 2);
    assert_int_equal(available_in(&first, blocked), 2);
    three.quantity = 3; /* more than any night has */
    first.quantity = 3;
    assert_int_equal(available_in(&first, full), -1);
}

/* Confirms a hold (payment-svc's sandbox approves pm_card_ok); returns the booking id. */
static void confirm(const char *user, const char *hold_id, char *booking_id)
{
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    req.payment_method_id = (char *)"pm_card_ok";
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    if (call_as(booking, "ConfirmBooking", &req.base, CUSTOMER(user), &resp, &r) != RPC_OK)
        fail_msg("ConfirmBooking: %s %s", rpc_code_name(r.code), r.message);
    snprintf(booking_id, 80, "%s", ((Booking__V1__Booking *)resp)->booking_id);
    protobuf_c_message_free_unpacked(resp, NULL);
}

static void cancel(const char *user, const char *booking_id)
{
    Booking__V1__CancelBookingRequest req = BOOKING__V1__CANCEL_BOOKING_REQUEST__INIT;
    req.booking_id = (char *)booking_id;
    rpc_result r;
    if (call_as(booking, "CancelBooking", &req.base, CUSTOMER(user), NULL, &r) != RPC_OK)
        fail_msg("CancelBooking: %s %s", rpc_code_name(r.code), r.message);
}

/* The confirmed count of a night per GetCalendar. */
static int confirmed_at(const char *rid, int64_t night)
{
    Booking__V1__GetCalendarRequest req = BOOKING__V1__GET_CALENDAR_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.start_time = at(night);
    req.end_time = at(night + 86400);
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(search, "GetCalendar", &req.base, (identity){0}, &resp, NULL), RPC_OK);
    int n = ((Booking__V1__GetCalendarResponse *)resp)->slots[0]->confirmed;
    protobuf_c_message_free_unpacked(resp, NULL);
    return n;
}

static void test_every_kind_of_change_shows_within_a_second(void **state)
{
    (void)state;
    spec s = hotel_in("Freshville", 4, 7000);
    s.hold_ttl_seconds = 1;
    char rid[80], hid[80], bid[80];
    long t = monotonic_ms(), took[6];
    snprintf(rid, sizeof rid, "%s", create(&s));
    query q;
    in_city(&q, "Freshville", 60, 3);
    Booking__V1__SearchAvailabilityRequest req = q.req;
    took[0] = wait_for(&req, rid, 4, t); /* a new resource */
    t = monotonic_ms();
    assert_int_equal(hold(booking, "u-fresh", rid, day(60), day(63), 1, hid, sizeof hid), RPC_OK);
    took[1] = wait_for(&req, rid, 3, t);
    t = monotonic_ms();
    assert_int_equal(release("u-fresh", hid), RPC_OK);
    took[2] = wait_for(&req, rid, 4, t);
    t = monotonic_ms();
    set_inventory(rid, day(60), day(63), 6, -1);
    took[3] = wait_for(&req, rid, 6, t);
    /* expiry: the hold lives 1 s; expiry-svc gives its units back */
    assert_int_equal(hold(booking, "u-fresh", rid, day(60), day(63), 2, hid, sizeof hid), RPC_OK);
    t = monotonic_ms();
    wait_for(&req, rid, 4, t);
    took[4] = wait_for(&req, rid, 6, t + 1000); /* from expires_at */
    /* confirmation moves the units to PostgreSQL; cancellation gives them back */
    assert_int_equal(hold(booking, "u-fresh", rid, day(60), day(63), 1, hid, sizeof hid), RPC_OK);
    confirm("u-fresh", hid, bid);
    wait_for(&req, rid, 5, monotonic_ms());
    long c0 = monotonic_ms();
    while (confirmed_at(rid, day(61)) != 1 && monotonic_ms() - c0 < 5000)
        sleep_ms(2);
    assert_int_equal(confirmed_at(rid, day(61)), 1);
    t = monotonic_ms();
    cancel("u-fresh", bid);
    took[5] = wait_for(&req, rid, 6, t);
    print_message("staleness ms: create %ld, hold %ld, release %ld, SetInventory %ld, expiry %ld (from expires_at), "
                  "cancellation %ld\n", took[0], took[1], took[2], took[3], took[4], took[5]);
    for (int i = 0; i < 6; i++)
        assert_true(took[i] <= FRESH_MS);
}

static void test_rating_update_shows_within_a_second(void **state)
{
    (void)state;
    spec s = hotel_in("Rateville", 2, 3000);
    s.rating = 3.9;
    char rid[80];
    snprintf(rid, sizeof rid, "%s", create(&s));
    query q;
    in_city(&q, "Rateville", 70, 2);
    Booking__V1__SearchAvailabilityRequest req = q.req;
    wait_for(&req, rid, 2, monotonic_ms());
    req.min_rating = 4.5;
    assert_int_equal(available_in(&req, rid), -1);
    long t = monotonic_ms();
    set_rating(rid, 4.8);
    long took = wait_for(&req, rid, 2, t);
    print_message("staleness ms: UpdateResource %ld\n", took);
    assert_true(took <= FRESH_MS);
}

/* Pages through a query; every id must come exactly once, in non-decreasing rank. */
static void page_through(Booking__V1__SearchAvailabilityRequest req, size_t expect)
{
    char seen[64][80];
    size_t n = 0, pages = 0;
    char token[256] = "";
    req.page_size = 5;
    do {
        req.page_token = token;
        Booking__V1__SearchAvailabilityResponse *resp;
        rpc_result r;
        if (do_search(&req, &resp, &r) != RPC_OK)
            fail_msg("page %zu: %s %s", pages, rpc_code_name(r.code), r.message);
        assert_true(resp->n_results <= 5);
        for (size_t i = 0; i < resp->n_results; i++) {
            for (size_t k = 0; k < n; k++)
                assert_string_not_equal(seen[k], resp->results[i]->resource->resource_id);
            snprintf(seen[n++], 80, "%s", resp->results[i]->resource->resource_id);
        }
        snprintf(token, sizeof token, "%s", resp->next_page_token ? resp->next_page_token : "");
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        pages++;
    } while (token[0]);
    assert_int_equal(n, expect);
    assert_int_equal(pages, (expect + 4) / 5);
}

static const char *make_page_town(void)
{
    static char last[80];
    for (int i = 0; i < 23; i++) {
        spec s = hotel_in("Pageville", 3, 1000 * (1 + i % 4)); /* equal prices: ties */
        s.rating = 1 + (i % 3);
        s.lat = 45.0 + (i % 5) * 0.01;
        s.lon = 7.0;
        snprintf(last, sizeof last, "%s", create(&s));
    }
    return last;
}

static void test_paging_serves_every_result_once(void **state)
{
    (void)state;
    const char *last = make_page_town();
    query q;
    in_city(&q, "Pageville", 80, 3);
    Booking__V1__SearchAvailabilityRequest req = q.req;
    wait_for(&req, last, 3, monotonic_ms());
    page_through(req, 23);
    req.sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_RATING;
    page_through(req, 23);
    req.latitude = 45.0;
    req.longitude = 7.0;
    req.radius_km = 50;
    req.sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE;
    page_through(req, 23);
    req.location = (char *)""; /* coordinates only */
    page_through(req, 23);
}

static void test_page_tokens_are_tamper_proof(void **state)
{
    (void)state;
    query q;
    in_city(&q, "Pageville", 80, 3);
    Booking__V1__SearchAvailabilityRequest req = q.req;
    req.page_size = 5;
    Booking__V1__SearchAvailabilityResponse *resp;
    assert_int_equal(do_search(&req, &resp, NULL), RPC_OK);
    assert_true(resp->next_page_token && *resp->next_page_token);
    char token[256], bad[256];
    snprintf(token, sizeof token, "%s", resp->next_page_token);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    req.page_token = token;
    assert_int_equal(do_search(&req, &resp, NULL), RPC_OK);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    snprintf(bad, sizeof bad, "%s", token);
    bad[10] = bad[10] == 'x' ? 'y' : 'x';
    req.page_token = bad;
    assert_invalid(&req, "page_token");
    bad[strlen(token) / 2] = '\0';
    assert_invalid(&req, "page_token");
    req.page_token = token;
    req.quantity = 2; /* another query */
    assert_invalid(&req, "page_token");
}

static void test_filters_type_amenities_price(void **state)
{
    (void)state;
    static const char *const full[] = {"WiFi", "Pool", "Parking"}, *const some[] = {"wifi"};
    spec a = hotel_in("Filterville", 2, 10000), b = hotel_in("Filterville", 2, 9000), car = a;
    a.amenities = full, a.n_amenities = 3, a.rating = 4.6;
    b.amenities = some, b.n_amenities = 1;
    car.type = CAR, car.price = 4000;
    char ra[80], rb[80], rcar[80];
    snprintf(ra, 80, "%s", create(&a)), snprintf(rb, 80, "%s", create(&b)), snprintf(rcar, 80, "%s", create(&car));
    query q;
    in_city(&q, "filterville", 90, 3);
    Booking__V1__SearchAvailabilityRequest req = q.req;
    wait_for(&req, ra, 2, monotonic_ms());
    wait_for(&req, rb, 2, monotonic_ms());
    wait_for(&req, rcar, 2, monotonic_ms());
    char *want[] = {(char *)"pool", (char *)"WIFI"};
    req.amenities = want, req.n_amenities = 2;
    assert_int_equal(available_in(&req, ra), 2);
    assert_int_equal(available_in(&req, rb), -1);
    req.n_amenities = 0;
    req.resource_type = CAR;
    assert_int_equal(available_in(&req, rcar), 2);
    assert_int_equal(available_in(&req, ra), -1);
    req.resource_type = HOTEL;
    Booking__V1__Money max = BOOKING__V1__MONEY__INIT;
    max.currency = (char *)"EUR", max.amount_minor = 27000; /* 3 x 90.00 fits, 3 x 100.00 does not */
    req.max_price = &max;
    assert_int_equal(available_in(&req, rb), 2);
    assert_int_equal(available_in(&req, ra), -1);
    max.currency = (char *)"USD", max.amount_minor = 1000000;
    assert_int_equal(available_in(&req, rb), -1);
    req.max_price = NULL;
    req.min_rating = 4.5;
    assert_int_equal(available_in(&req, ra), 2);
    assert_int_equal(available_in(&req, rb), -1);
}

static void test_geo_search_across_the_antimeridian(void **state)
{
    (void)state;
    spec east = hotel_in("Taveuni", 1, 5000), west = hotel_in("Taveuni", 1, 6000), far = hotel_in("Suva", 1, 4000);
    east.lat = west.lat = far.lat = -16.8;
    east.lon = 179.97, west.lon = -179.96, far.lon = 178.4;
    char re[80], rw[80], rf[80];
    snprintf(re, 80, "%s", create(&east)), snprintf(rw, 80, "%s", create(&west)), snprintf(rf, 80, "%s", create(&far));
    query q;
    in_city(&q, "", 100, 2);
    Booking__V1__SearchAvailabilityRequest req = q.req;
    req.latitude = -16.8;
    req.longitude = -179.99;
    req.radius_km = 30;
    req.sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE;
    Booking__V1__SearchAvailabilityResponse *resp = search_fresh(&req, wall_ms());
    const Booking__V1__AvailabilityResult *e = find(resp, re), *w = find(resp, rw);
    assert_non_null(e);
    assert_non_null(w);
    assert_null(find(resp, rf)); /* ~170 km away */
    assert_true(w->distance_km > 2.5 && w->distance_km < 3.8);  /* 0.03 degrees of longitude */
    assert_true(e->distance_km > 3.8 && e->distance_km < 5.0);  /* 0.04, across the antimeridian */
    assert_true(resp->results[0] == w); /* nearest first */
    protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void test_single_slot_and_timed_resources(void **state)
{
    (void)state;
    spec ev = hotel_in("Slotville", 0, 3500), tab = hotel_in("Slotville", 3, 0);
    ev.type = TICKET, ev.slot_minutes = 0;
    tab.type = TABLE, tab.slot_minutes = 30;
    char rev[80], rtab[80];
    snprintf(rev, 80, "%s", create(&ev)), snprintf(rtab, 80, "%s", create(&tab));
    int64_t show = day(20) + 21 * 3600;
    set_inventory(rev, show, show + 7200, 50, -1);
    query q;
    in_city(&q, "Slotville", 20, 1);
    q.start.seconds = show;
    q.end.seconds = show + 7200;
    Booking__V1__SearchAvailabilityResponse *fresh = search_fresh(&q.req, wall_ms());
    assert_non_null(find(fresh, rev));
    assert_int_equal(find(fresh, rev)->available_quantity, 50);
    protobuf_c_message_free_unpacked(&fresh->base, NULL);
    assert_int_equal(available_in(&q.req, rtab), 3); /* four 30-minute slots */
    q.end.seconds = show + 3600;
    assert_int_equal(available_in(&q.req, rev), -1); /* not exactly the event's slot */
    assert_int_equal(available_in(&q.req, rtab), 3);
    q.start.seconds = show + 600; /* off the table's 30-minute boundaries */
    assert_int_equal(available_in(&q.req, rtab), -1);
}

static void test_bad_inputs_name_the_field(void **state)
{
    (void)state;
    query q;
    Booking__V1__Money eur = BOOKING__V1__MONEY__INIT;
#define BAD(field, change) (in_city(&q, "Anywhere", 10, 2), (change), assert_invalid(&q.req, (field)))
    BAD("location", q.req.location = (char *)"");
    BAD("start_time", q.req.start_time = NULL);
    BAD("end_time", q.end.seconds = q.start.seconds);
    BAD("start_time", q.start.seconds = day(-3));
    BAD("end_time", q.end.seconds = day(900));
    BAD("quantity", q.req.quantity = -2);
    BAD("radius_km", q.req.radius_km = -1);
    BAD("latitude", (q.req.latitude = 123, q.req.radius_km = 5));
    BAD("min_rating", q.req.min_rating = 7);
    BAD("sort", q.req.sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE);
    BAD("resource_type", q.req.resource_type = (Booking__V1__ResourceType)42);
    BAD("max_price", (eur.currency = (char *)"euro", q.req.max_price = &eur));
    BAD("page_size", q.req.page_size = -1);
    BAD("page_token", q.req.page_token = (char *)"not-a-token");
#undef BAD
}

static void test_catalog_reads_its_writes(void **state)
{
    (void)state;
    spec s = hotel_in("Catalogville", 3, 4200);
    char rid[80];
    snprintf(rid, sizeof rid, "%s", create(&s));
    Booking__V1__GetResourceRequest get = BOOKING__V1__GET_RESOURCE_REQUEST__INIT;
    get.resource_id = rid;
    for (int round = 0; round < 3; round++) {
        double rating = 2.0 + round;
        set_rating(rid, rating); /* then read at once: never the old value */
        ProtobufCMessage *resp = NULL;
        assert_int_equal(call_as(search, "GetResource", &get.base, (identity){0}, &resp, NULL), RPC_OK);
        assert_true(((Booking__V1__Resource *)resp)->rating == rating);
        assert_non_null(((Booking__V1__Resource *)resp)->created_at);
        protobuf_c_message_free_unpacked(resp, NULL);
        assert_int_equal(hold(booking, "u-cat", rid, day(5 + round), day(6 + round), 1, NULL, 0), RPC_OK);
        assert_int_equal(available_at(search, rid, day(5 + round), day(6 + round)), 2);
    }
    get.resource_id = (char *)"res_does_not_exist";
    assert_int_equal(call_as(search, "GetResource", &get.base, (identity){0}, NULL, NULL), RPC_NOT_FOUND);
}

static void test_redis_loss_resyncs_the_model(void **state)
{
    (void)state;
    spec s = hotel_in("Lostville", 3, 2500);
    char rid[80];
    snprintf(rid, sizeof rid, "%s", create(&s));
    query q;
    in_city(&q, "Lostville", 110, 2);
    Booking__V1__SearchAvailabilityRequest req = q.req;
    assert_int_equal(hold(booking, "u-lost", rid, day(110), day(112), 2, NULL, 0), RPC_OK);
    wait_for(&req, rid, 1, monotonic_ms());
    long t = monotonic_ms();
    assert_int_equal(harness_restart_redis(stack), 0); /* live holds are gone with it */
    long took = wait_for(&req, rid, 3, t);
    print_message("resync after a Redis restart: %ld ms\n", took);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_match_calendar_and_hold_quote),
        cmocka_unit_test(test_a_fully_booked_night_excludes),
        cmocka_unit_test(test_every_kind_of_change_shows_within_a_second),
        cmocka_unit_test(test_rating_update_shows_within_a_second),
        cmocka_unit_test(test_paging_serves_every_result_once),
        cmocka_unit_test(test_page_tokens_are_tamper_proof),
        cmocka_unit_test(test_filters_type_amenities_price),
        cmocka_unit_test(test_geo_search_across_the_antimeridian),
        cmocka_unit_test(test_single_slot_and_timed_resources),
        cmocka_unit_test(test_bad_inputs_name_the_field),
        cmocka_unit_test(test_catalog_reads_its_writes),
        cmocka_unit_test(test_redis_loss_resyncs_the_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
