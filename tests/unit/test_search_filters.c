/* test_search_filters.c — SearchAvailability validation (defaults, and errors that
 * name the field), the query fingerprint, and the time-independent filters: type,
 * status, radius, rating, amenities (all required; by dictionary bits and by name),
 * currency and max_price. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "filters.h"
#include "query.h"

#define DAY 86400
#define NOW (20000 * (int64_t)DAY + 3600) /* 01:00 UTC of some day */

static Google__Protobuf__Timestamp ts_start, ts_end;
static Booking__V1__Money price;

static Booking__V1__SearchAvailabilityRequest base_request(void)
{
    Booking__V1__SearchAvailabilityRequest r = BOOKING__V1__SEARCH_AVAILABILITY_REQUEST__INIT;
    google__protobuf__timestamp__init(&ts_start);
    google__protobuf__timestamp__init(&ts_end);
    ts_start.seconds = NOW - 3600 + 10 * DAY + 15 * 3600;
    ts_end.seconds = NOW - 3600 + 13 * DAY + 11 * 3600;
    r.start_time = &ts_start;
    r.end_time = &ts_end;
    r.location = (char *)"Lisbon";
    return r;
}

static const query_limits limits = {NOW, NOW - 3600 + 400 * (int64_t)DAY, 31};

static const char *error_field(const Booking__V1__SearchAvailabilityRequest *r)
{
    search_query q;
    const char *field = NULL;
    char msg[200];
    if (query_parse(r, &limits, &q, &field, msg, sizeof msg) == 0)
        return "(accepted)";
    assert_non_null(field);
    assert_true(strlen(msg) > 0);
    return field;
}

static void test_defaults(void **state)
{
    (void)state;
    Booking__V1__SearchAvailabilityRequest r = base_request();
    r.location = (char *)"LisBON";
    search_query q;
    const char *field;
    char msg[200];
    assert_int_equal(query_parse(&r, &limits, &q, &field, msg, sizeof msg), 0);
    assert_string_equal(q.city, "lisbon");
    assert_int_equal(q.quantity, 1);
    assert_int_equal(q.page_size, 20);
    assert_int_equal(q.order, RANK_PRICE);
    assert_int_equal(q.resource_type, 0); /* every type */
    assert_false(q.geo);
    r.page_size = 1000;
    assert_int_equal(query_parse(&r, &limits, &q, &field, msg, sizeof msg), 0);
    assert_int_equal(q.page_size, 100); /* clamped */
}

static void test_errors_name_the_field(void **state)
{
    (void)state;
    Booking__V1__SearchAvailabilityRequest r;
#define EXPECT(field, change) (r = base_request(), (change), assert_string_equal(error_field(&r), (field)))
    EXPECT("resource_type", r.resource_type = (Booking__V1__ResourceType)99);
    EXPECT("location", r.location = (char *)"");
    EXPECT("location", r.location = (char *)"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    EXPECT("latitude", (r.latitude = 91, r.radius_km = 5));
    EXPECT("latitude", (r.latitude = NAN, r.radius_km = 5));
    EXPECT("longitude", (r.longitude = -181, r.radius_km = 5));
    EXPECT("radius_km", (r.latitude = 10, r.longitude = 10));
    EXPECT("radius_km", r.radius_km = -1);
    EXPECT("radius_km", r.radius_km = 30000);
    EXPECT("start_time", r.start_time = NULL);
    EXPECT("end_time", r.end_time = NULL);
    EXPECT("end_time", ts_end.seconds = ts_start.seconds);
    EXPECT("start_time", (ts_start.seconds = NOW - 2 * DAY));
    EXPECT("end_time", ts_end.seconds = NOW + 500 * (int64_t)DAY);
    EXPECT("end_time", ts_end.seconds = ts_start.seconds + 40 * (int64_t)DAY);
    EXPECT("quantity", r.quantity = -1);
    EXPECT("quantity", r.quantity = 100001);
    EXPECT("max_price", (price.currency = (char *)"eur", r.max_price = &price));
    EXPECT("max_price", (price.currency = (char *)"EUR", price.amount_minor = -5, r.max_price = &price));
    EXPECT("min_rating", r.min_rating = 5.5);
    EXPECT("min_rating", r.min_rating = NAN);
    EXPECT("sort", r.sort = (Booking__V1__SortOrder)9);
    EXPECT("sort", r.sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE); /* needs coordinates */
    EXPECT("page_size", r.page_size = -1);
    char *many[QUERY_AMENITIES_MAX + 1];
    for (int i = 0; i <= QUERY_AMENITIES_MAX; i++)
        many[i] = (char *)"wifi";
    EXPECT("amenities", (r.n_amenities = QUERY_AMENITIES_MAX + 1, r.amenities = many));
    char *empty[] = {(char *)""};
    EXPECT("amenities", (r.n_amenities = 1, r.amenities = empty));
#undef EXPECT
    r = base_request();
    ts_start.seconds = NOW - 3600; /* today 00:00: not in the past */
    assert_string_equal(error_field(&r), "(accepted)");
}

static void test_geo_query(void **state)
{
    (void)state;
    Booking__V1__SearchAvailabilityRequest r = base_request();
    r.location = (char *)"";
    r.radius_km = 10; /* (0, 0) is a real place */
    r.sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE;
    search_query q;
    const char *field;
    char msg[200];
    assert_int_equal(query_parse(&r, &limits, &q, &field, msg, sizeof msg), 0);
    assert_true(q.geo);
    assert_int_equal(q.order, RANK_DISTANCE);
}

static uint64_t fingerprint(const Booking__V1__SearchAvailabilityRequest *r)
{
    search_query q;
    const char *field;
    char msg[200];
    assert_int_equal(query_parse(r, &limits, &q, &field, msg, sizeof msg), 0);
    return query_fingerprint(&q);
}

static void test_fingerprint(void **state)
{
    (void)state;
    Booking__V1__SearchAvailabilityRequest a = base_request();
    uint64_t f = fingerprint(&a);
    a.page_size = 7;
    a.page_token = (char *)"whatever";
    assert_true(fingerprint(&a) == f); /* paging does not change the query */
    a.location = (char *)"LISBON";
    assert_true(fingerprint(&a) == f); /* case-insensitive city */
    a.quantity = 2;
    assert_true(fingerprint(&a) != f);
    a = base_request();
    a.min_rating = 4;
    assert_true(fingerprint(&a) != f);
    a = base_request();
    a.sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_RATING;
    assert_true(fingerprint(&a) != f);
}

static search_query parsed(Booking__V1__SearchAvailabilityRequest r)
{
    search_query q;
    const char *field;
    char msg[200];
    assert_int_equal(query_parse(&r, &limits, &q, &field, msg, sizeof msg), 0);
    return q;
}

static char *amen[] = {"wifi", "pool", "spa"};
static char *dict[] = {"pool", "wifi", "gym"}; /* spa is outside the dictionary */

static resource_facts hotel(void)
{
    resource_facts f = {.lat = 38.7223, .lon = -9.1393, .rating = 4.2, .amenities = amen, .n_amenities = 3,
                        .resource_type = BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM, .active = 1,
                        .currency = "EUR"};
    f.amenity_bits = amenity_bits_of(amen, 3, dict, 3);
    return f;
}

static int passes(const search_query *q, const resource_facts *f, double *d)
{
    amenity_need need = amenity_need_of(q, dict, 3);
    return filter_resource(q, &need, f, d);
}

static void test_filter_resource(void **state)
{
    (void)state;
    Booking__V1__SearchAvailabilityRequest r = base_request();
    search_query q = parsed(r);
    resource_facts f = hotel();
    double d;
    assert_true(passes(&q, &f, &d));
    assert_true(d == 0);
    f.active = 0;
    assert_false(passes(&q, &f, &d));
    r.resource_type = BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_RENTAL_CAR;
    q = parsed(r);
    f = hotel();
    assert_false(passes(&q, &f, &d));
    r = base_request();
    r.min_rating = 4.2;
    q = parsed(r);
    assert_true(passes(&q, &f, &d));
    r.min_rating = 4.3;
    q = parsed(r);
    assert_false(passes(&q, &f, &d));
}

static void test_amenity_dictionary(void **state)
{
    (void)state;
    assert_true(amenity_bits_of(amen, 3, dict, 3) == 3); /* pool = bit 0, wifi = bit 1 */
    Booking__V1__SearchAvailabilityRequest r = base_request();
    char *want[] = {(char *)"GYM", (char *)"Spa"};
    r.amenities = want;
    r.n_amenities = 2;
    search_query q = parsed(r);
    amenity_need need = amenity_need_of(&q, dict, 3);
    assert_true(need.bits == 4);
    assert_true(need.outside);
}

static void test_filter_amenities_all_required(void **state)
{
    (void)state;
    Booking__V1__SearchAvailabilityRequest r = base_request();
    char *want[] = {(char *)"WiFi", (char *)"Spa"}; /* one in the dictionary, one outside */
    r.amenities = want;
    r.n_amenities = 2;
    search_query q = parsed(r);
    resource_facts f = hotel();
    double d;
    assert_true(passes(&q, &f, &d));
    char *some[] = {"wifi", "pool"};
    f.amenities = some;
    f.n_amenities = 2;
    f.amenity_bits = amenity_bits_of(some, 2, dict, 3);
    assert_false(passes(&q, &f, &d)); /* no spa */
    char *in_dict[] = {(char *)"pool", (char *)"wifi"};
    r.amenities = in_dict;
    q = parsed(r);
    assert_true(passes(&q, &f, &d)); /* by bits alone */
    f.amenity_bits = 0;
    f.n_amenities = 0;
    assert_false(passes(&q, &f, &d));
}

static void test_filter_geo_and_price(void **state)
{
    (void)state;
    Booking__V1__SearchAvailabilityRequest r = base_request();
    r.location = (char *)"";
    r.latitude = 38.7;
    r.longitude = -9.1;
    r.radius_km = 5;
    search_query q = parsed(r);
    resource_facts f = hotel();
    double d;
    assert_true(passes(&q, &f, &d));
    assert_true(d > 3 && d < 5);
    f.lat = 41.15; /* Porto */
    f.lon = -8.61;
    assert_false(passes(&q, &f, &d));
    r = base_request();
    price.currency = (char *)"EUR";
    price.amount_minor = 30000;
    r.max_price = &price;
    q = parsed(r);
    f = hotel();
    assert_true(passes(&q, &f, &d));
    assert_true(filter_price(&q, 30000));
    assert_false(filter_price(&q, 30001));
    memcpy(f.currency, "USD", 4); /* another currency cannot be compared: excluded */
    assert_false(passes(&q, &f, &d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_geo_query),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_filter_resource),
        cmocka_unit_test(test_amenity_dictionary),
        cmocka_unit_test(test_filter_amenities_all_required),
        cmocka_unit_test(test_filter_geo_and_price),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
