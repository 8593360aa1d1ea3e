/* test_local_nights.c — resources in their own time zones, end to end (booking-svc,
 * search-svc, payment-svc, real Redis and PostgreSQL): the zone is required and checked;
 * two guests of a Los Angeles hotel checking in at different hours on the same local
 * night compete for the same unit; a New York DST night (23 or 25 hours) is held,
 * confirmed, cancelled and its units come back; calendars and searches answer with
 * local dates and times, a search's dates being each hotel's own; timed slots on the
 * local wall clock (+05:30); the cancellation window measured to the local check-in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "invariants.h"
#include "local_time.h"
#include "support.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM
#define CLINIC BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_APPOINTMENT
#define DAY INT64_C(86400)
#define H 3600

static harness *stack;
static rpc_client *booking, *search;

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", "search-svc", NULL};
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

/* ---- helpers ---- */

static const local_zone *zone(const char *name)
{
    const local_zone *z = local_zone_get(name);
    assert_non_null(z);
    return z;
}

/* The instant of local day `day` at hh:mm in the zone. */
static int64_t local_at(const char *name, int64_t day, int hour, int minute)
{
    return local_instant(zone(name), day * DAY + hour * H + minute * 60);
}

static int64_t today_in(const char *name) { return local_day(zone(name), (int64_t)time(NULL)); }

static char *rfc3339(const char *name, int64_t t, char *buf)
{
    return local_rfc3339(zone(name), t, buf, 40);
}

static char *date_text(int64_t day, char *buf)
{
    int64_t y;
    int m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(buf, 16, "%04lld-%02d-%02d", (long long)y, m, d);
    return buf;
}

static Booking__V1__CancellationRule rule(int hours, int percent)
{
    Booking__V1__CancellationRule r = BOOKING__V1__CANCELLATION_RULE__INIT;
    r.hours_before_start = hours;
    r.refund_percent = percent;
    return r;
}

/* A resource in zone `tz` of `city`; check_in NULL = the default. Its id in out. */
static void make(const char *name, const char *tz, const char *city, Booking__V1__ResourceType type, int capacity,
                 int slot_minutes, const char *check_in, Booking__V1__CancellationRule *rules, size_t n_rules,
                 char *out)
{
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"USD";
    price.amount_minor = 10000;
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_type = type;
    r.name = (char *)name;
    r.location = (char *)city;
    r.capacity = capacity;
    r.slot_minutes = slot_minutes;
    r.time_zone = (char *)tz;
    r.check_in_local_time = (char *)(check_in ? check_in : "");
    r.base_price = &price;
    Booking__V1__CancellationRule *list[4];
    for (size_t i = 0; i < n_rules; i++)
        list[i] = &rules[i];
    r.cancellation_rules = list;
    r.n_cancellation_rules = n_rules;
    create_resource_from(booking, &r, out, 80);
}

/* CreateHold; on OK the hold's [start, end) and id. */
static rpc_code hold_range(const char *user, const char *rid, int64_t start, int64_t end, int quantity, char *hid,
                           int64_t *slot_start, int64_t *slot_end, rpc_result *r)
{
    Booking__V1__CreateHoldRequest req = hold_request(rid, start, end, quantity);
    ProtobufCMessage *resp = NULL;
    rpc_code code = call_as(booking, "CreateHold", &req.base, CUSTOMER(user), &resp, r);
    if (code == RPC_OK) {
        Booking__V1__Hold *h = (Booking__V1__Hold *)resp;
        snprintf(hid, 80, "%s", h->hold_id);
        if (slot_start)
            *slot_start = h->start_time->seconds;
        if (slot_end)
            *slot_end = h->end_time->seconds;
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

static rpc_code release(const char *user, const char *hid)
{
    Booking__V1__ReleaseHoldRequest req = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
    req.hold_id = (char *)hid;
    return call_as(booking, "ReleaseHold", &req.base, CUSTOMER(user), NULL, NULL);
}

/* ConfirmBooking (pm_card_ok); the booking id into bid. */
static void confirm(const char *user, const char *hid, char *bid)
{
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = (char *)hid;
    req.payment_method_id = (char *)"pm_card_ok";
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    if (call_as(booking, "ConfirmBooking", &req.base, CUSTOMER(user), &resp, &r) != RPC_OK)
        fail_msg("ConfirmBooking: %s %s", rpc_code_name(r.code), r.message);
    snprintf(bid, 80, "%s", ((Booking__V1__Booking *)resp)->booking_id);
    protobuf_c_message_free_unpacked(resp, NULL);
}

/* CancelBooking; the refunded amount (-1 when refused: *code says why). */
static int64_t cancel(const char *user, const char *bid, rpc_code *code)
{
    Booking__V1__CancelBookingRequest req = BOOKING__V1__CANCEL_BOOKING_REQUEST__INIT;
    req.booking_id = (char *)bid;
    ProtobufCMessage *resp = NULL;
    *code = call_as(booking, "CancelBooking", &req.base, CUSTOMER(user), &resp, NULL);
    if (*code != RPC_OK)
        return -1;
    Booking__V1__Booking *b = (Booking__V1__Booking *)resp;
    assert_int_equal(b->status, BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_CANCELLED);
    int64_t refunded = b->refunded ? b->refunded->amount_minor : 0;
    protobuf_c_message_free_unpacked(resp, NULL);
    return refunded;
}

static Booking__V1__GetCalendarResponse *calendar(const char *rid, int64_t from, int64_t to)
{
    Booking__V1__GetCalendarRequest req = BOOKING__V1__GET_CALENDAR_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.start_time = at(from);
    req.end_time = at(to);
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    if (call_as(search, "GetCalendar", &req.base, (identity){0}, &resp, &r) != RPC_OK)
        fail_msg("GetCalendar: %s %s", rpc_code_name(r.code), r.message);
    return (Booking__V1__GetCalendarResponse *)resp;
}

/* SearchAvailability in city over the wall-clock range [from, to) (UTC fields = local ones). */
static Booking__V1__SearchAvailabilityResponse *search_city(const char *city, Booking__V1__ResourceType type,
                                                            int64_t from, int64_t to)
{
    Booking__V1__SearchAvailabilityRequest req = BOOKING__V1__SEARCH_AVAILABILITY_REQUEST__INIT;
    req.resource_type = type;
    req.location = (char *)city;
    req.start_time = at(from);
    req.end_time = at(to);
    req.quantity = 1;
    req.page_size = 50;
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    if (call_as(search, "SearchAvailability", &req.base, (identity){0}, &resp, &r) != RPC_OK)
        fail_msg("SearchAvailability: %s %s", rpc_code_name(r.code), r.message);
    return (Booking__V1__SearchAvailabilityResponse *)resp;
}

static const Booking__V1__AvailabilityResult *result_for(const Booking__V1__SearchAvailabilityResponse *s,
                                                          const char *rid)
{
    for (size_t i = 0; i < s->n_results; i++)
        if (strcmp(s->results[i]->resource->resource_id, rid) == 0)
            return s->results[i];
    return NULL;
}

/* Polls the search until rid's presence is `want` (the read model follows within a second). */
static void wait_presence(const char *city, Booking__V1__ResourceType type, int64_t from, int64_t to, const char *rid,
                          int want)
{
    for (int i = 0; i < 100; i++) {
        Booking__V1__SearchAvailabilityResponse *s = search_city(city, type, from, to);
        int present = result_for(s, rid) != NULL;
        protobuf_c_message_free_unpacked(&s->base, NULL);
        if (present == want)
            return;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("%s is still %s the search", rid, want ? "missing from" : "in");
}

/* ---- the zone is required and checked ---- */

static rpc_code create_raw(Booking__V1__Resource *r, rpc_result *res)
{
    Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
    req.resource = r;
    return call_as(booking, "CreateResource", &req.base, ADMIN, NULL, res);
}

static void test_time_zone_is_required_and_checked(void **state)
{
    (void)state;
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"USD";
    price.amount_minor = 100;
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_type = HOTEL;
    r.name = (char *)"Zoneless";
    r.location = (char *)"Nowhere";
    r.capacity = 1;
    r.slot_minutes = 1440;
    r.base_price = &price;
    rpc_result res;
    static const char *const bad[] = {"", "Mars/Olympus", "PST", "america/los_angeles", "UTC+1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r.time_zone = (char *)bad[i];
        assert_int_equal(create_raw(&r, &res), RPC_INVALID_ARGUMENT);
        assert_string_equal(res.info.meta_value[0], "resource.time_zone");
    }
    r.time_zone = (char *)"America/Los_Angeles";
    r.check_in_local_time = (char *)"25:00";
    assert_int_equal(create_raw(&r, &res), RPC_INVALID_ARGUMENT);
    assert_string_equal(res.info.meta_value[0], "resource.check_in_local_time");
    r.check_in_local_time = (char *)"16:00";
    r.check_out_local_time = (char *)"9:00";
    assert_int_equal(create_raw(&r, &res), RPC_INVALID_ARGUMENT);
    assert_string_equal(res.info.meta_value[0], "resource.check_out_local_time");

    /* the zone cannot change; the check-in time can */
    char rid[80];
    make("Zoned", "America/Los_Angeles", "Nowhere", HOTEL, 1, 1440, "16:00", NULL, 0, rid);
    Booking__V1__Resource upd = BOOKING__V1__RESOURCE__INIT;
    upd.resource_id = rid;
    upd.time_zone = (char *)"Europe/Lisbon";
    upd.check_in_local_time = (char *)"14:30";
    char *paths[] = {(char *)"time_zone", (char *)"check_in_local_time"};
    Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
    mask.paths = paths;
    mask.n_paths = 2;
    Booking__V1__UpdateResourceRequest req = BOOKING__V1__UPDATE_RESOURCE_REQUEST__INIT;
    req.resource = &upd;
    req.update_mask = &mask;
    assert_int_equal(call_as(booking, "UpdateResource", &req.base, ADMIN, NULL, &res), RPC_INVALID_ARGUMENT);
    assert_string_equal(res.info.meta_value[0], "resource.time_zone");
    upd.time_zone = (char *)"America/Los_Angeles"; /* naming it unchanged is fine */
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(booking, "UpdateResource", &req.base, ADMIN, &resp, &res), RPC_OK);
    assert_string_equal(((Booking__V1__Resource *)resp)->time_zone, "America/Los_Angeles");
    assert_string_equal(((Booking__V1__Resource *)resp)->check_in_local_time, "14:30");
    protobuf_c_message_free_unpacked(resp, NULL);
    mask.paths = paths + 1; /* leaving it out keeps it */
    mask.n_paths = 1;
    upd.time_zone = NULL;
    assert_int_equal(call_as(booking, "UpdateResource", &req.base, ADMIN, &resp, &res), RPC_OK);
    assert_string_equal(((Booking__V1__Resource *)resp)->time_zone, "America/Los_Angeles");
    protobuf_c_message_free_unpacked(resp, NULL);
}

/* ---- Los Angeles: one local night, one unit ---- */

static void test_same_local_night_competes_for_one_unit(void **state)
{
    (void)state;
    const char *la = "America/Los_Angeles";
    char rid[80], ann[80], bob[80], cid[80];
    make("Sunset Motel", la, "Los Angeles", HOTEL, 1, 1440, NULL, NULL, 0, rid);
    int64_t d = today_in(la) + 20;
    int64_t night = local_at(la, d, 0, 0), next = local_at(la, d + 1, 0, 0);
    int64_t s, e;
    /* Ann checks in at 15:00, Bob at 18:00: another UTC date, the same local night */
    int64_t ann_in = local_at(la, d, 15, 0), bob_in = local_at(la, d, 18, 0), out = local_at(la, d + 1, 11, 0);
    assert_true(ann_in / DAY != bob_in / DAY);
    assert_int_equal(hold_range("ann", rid, ann_in, out, 1, ann, &s, &e, NULL), RPC_OK);
    assert_int_equal(s, night);
    assert_int_equal(e, next);
    rpc_result r;
    assert_int_equal(hold_range("bob", rid, bob_in, out, 1, bob, NULL, NULL, &r), RPC_RESOURCE_EXHAUSTED);
    /* the next night is another unit */
    assert_int_equal(hold_range("cid", rid, local_at(la, d + 1, 18, 0), local_at(la, d + 2, 11, 0), 1, cid, &s, &e,
                                NULL),
                     RPC_OK);
    assert_int_equal(s, next);
    assert_int_equal(release("ann", ann), RPC_OK);
    assert_int_equal(hold_range("bob", rid, bob_in, out, 1, bob, &s, NULL, NULL), RPC_OK);
    assert_int_equal(s, night);

    /* the calendar: local dates and times beside the instants */
    Booking__V1__GetCalendarResponse *c = calendar(rid, night, local_at(la, d + 2, 0, 0));
    char text[40], date[16];
    assert_string_equal(c->time_zone, la);
    assert_int_equal(c->n_slots, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(c->slots[i]->slot_start->seconds, local_at(la, d + i, 0, 0));
        assert_string_equal(c->slots[i]->local_date, date_text(d + i, date));
        assert_string_equal(c->slots[i]->local_start, rfc3339(la, local_at(la, d + i, 0, 0), text));
        assert_string_equal(c->slots[i]->local_end, rfc3339(la, local_at(la, d + i + 1, 0, 0), text));
        assert_int_equal(c->slots[i]->available, 0);
    }
    assert_non_null(strstr(c->slots[0]->local_start, "T00:00:00-0"));
    protobuf_c_message_free_unpacked(&c->base, NULL);
    invariants_check(stack, 5000);
}

/* ---- New York: a DST night ---- */

static void test_dst_night_is_held_confirmed_cancelled(void **state)
{
    (void)state;
    const char *ny = "America/New_York";
    char rid[80], h1[80], h2[80], b1[80], b2[80], date[16];
    Booking__V1__CancellationRule rules[] = {rule(24, 100), rule(0, 0)};
    make("Hudson Rooms", ny, "New York", HOTEL, 3, 1440, NULL, rules, 2, rid);
    /* the night of the next change of New York's clocks (at 02:00 local) */
    int64_t change = local_next_change(zone(ny), (int64_t)time(NULL) + 3 * DAY);
    int64_t x = local_day(zone(ny), change);
    int64_t night = local_at(ny, x, 0, 0), next = local_at(ny, x + 1, 0, 0);
    int64_t hours = (next - night) / H;
    assert_true(hours == 23 || hours == 25);
    int64_t s, e;
    assert_int_equal(hold_range("nia", rid, local_at(ny, x, 15, 0), local_at(ny, x + 1, 11, 0), 2, h1, &s, &e, NULL),
                     RPC_OK);
    assert_int_equal(s, night);
    assert_int_equal(e, next);
    /* three nights around it, one unit */
    assert_int_equal(hold_range("oto", rid, local_at(ny, x - 1, 16, 0), local_at(ny, x + 2, 10, 0), 1, h2, &s, &e,
                                NULL),
                     RPC_OK);
    assert_int_equal(e - s, 3 * DAY + (hours - 24) * H);
    confirm("nia", h1, b1);
    confirm("oto", h2, b2);
    const char *params[2] = {rid, NULL};
    char start[24];
    snprintf(start, sizeof start, "%lld", (long long)night);
    params[1] = start;
    assert_int_equal(harness_sql_long(stack,
                                      "SELECT extract(epoch FROM slot_end - slot_start)::bigint / 3600 FROM "
                                      "booking.slots WHERE resource_id = $1 AND slot_start = to_timestamp($2::bigint)",
                                      2, params),
                     hours);
    assert_int_equal(harness_sql_long(stack,
                                      "SELECT confirmed FROM booking.slots WHERE resource_id = $1 "
                                      "AND slot_start = to_timestamp($2::bigint)",
                                      2, params),
                     3);
    assert_int_equal(available_at(search, rid, night, next), 0);
    rpc_code code;
    assert_int_equal(cancel("nia", b1, &code), 2 * 10000); /* full refund: more than 24 h before check-in */
    assert_int_equal(code, RPC_OK);
    assert_int_equal(available_at(search, rid, night, next), 2);
    assert_int_equal(cancel("oto", b2, &code), 3 * 10000);
    for (int64_t day = x - 1; day <= x + 1; day++)
        assert_int_equal(available_at(search, rid, local_at(ny, day, 0, 0), local_at(ny, day + 1, 0, 0)), 3);
    Booking__V1__GetCalendarResponse *c = calendar(rid, night, next);
    assert_int_equal(c->n_slots, 1);
    assert_string_equal(c->slots[0]->local_date, date_text(x, date));
    assert_int_equal(c->slots[0]->slot_end->seconds - c->slots[0]->slot_start->seconds, hours * H);
    protobuf_c_message_free_unpacked(&c->base, NULL);
    invariants_check(stack, 5000);
}

/* ---- search: each hotel's own dates ---- */

static void test_search_reads_dates_in_each_zone(void **state)
{
    (void)state;
    static const char *const zones[] = {"America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata",
                                        "Asia/Kathmandu",      "Pacific/Honolulu", "Pacific/Kiritimati"};
    enum { N = sizeof zones / sizeof zones[0] };
    char ids[N][80], text[40], hid[80];
    for (int i = 0; i < N; i++)
        make(zones[i], zones[i], "Meridian", HOTEL, 1, 1440, NULL, NULL, 0, ids[i]);
    /* "the nights of D and D + 1", written as UTC midnights */
    int64_t d = (int64_t)time(NULL) / DAY + 30;
    for (int i = 0; i < N; i++) /* the read model follows creations within a second */
        wait_presence("Meridian", HOTEL, d * DAY, (d + 2) * DAY, ids[i], 1);
    Booking__V1__SearchAvailabilityResponse *s = search_city("Meridian", HOTEL, d * DAY, (d + 2) * DAY);
    for (int i = 0; i < N; i++) {
        const Booking__V1__AvailabilityResult *r = result_for(s, ids[i]);
        if (!r)
            fail_msg("%s is not in the results", zones[i]);
        int64_t in = local_at(zones[i], d, 15, 0), out = local_at(zones[i], d + 2, 11, 0);
        assert_int_equal(r->start_time->seconds, in);
        assert_int_equal(r->end_time->seconds, out);
        assert_string_equal(r->local_start, rfc3339(zones[i], in, text));
        assert_string_equal(r->local_end, rfc3339(zones[i], out, text));
        assert_int_equal(r->total_price->amount_minor, 2 * 10000);
    }
    /* a hold taken with the result's instants takes exactly those nights */
    const Booking__V1__AvailabilityResult *akl = result_for(s, ids[1]);
    int64_t hs, he;
    assert_int_equal(hold_range("ulu", ids[1], akl->start_time->seconds, akl->end_time->seconds, 1, hid, &hs, &he,
                                NULL),
                     RPC_OK);
    assert_int_equal(hs, local_at(zones[1], d, 0, 0));
    assert_int_equal(he, local_at(zones[1], d + 2, 0, 0));
    protobuf_c_message_free_unpacked(&s->base, NULL);
    wait_presence("Meridian", HOTEL, d * DAY, (d + 2) * DAY, ids[1], 0);
    /* only Auckland's night of D + 1 is gone: Los Angeles is still free on it */
    wait_presence("Meridian", HOTEL, (d + 1) * DAY, (d + 2) * DAY, ids[0], 1);
    wait_presence("Meridian", HOTEL, (d + 2) * DAY, (d + 3) * DAY, ids[1], 1);
    Booking__V1__GetCalendarResponse *c =
        calendar(ids[1], local_at(zones[1], d, 0, 0), local_at(zones[1], d + 2, 0, 0));
    assert_int_equal(c->n_slots, 2);
    assert_string_equal(c->time_zone, "Pacific/Auckland");
    assert_string_equal(c->slots[0]->local_date, date_text(d, text));
    assert_string_equal(c->slots[1]->local_date, date_text(d + 1, text));
    assert_int_equal(c->slots[0]->available, 0);
    protobuf_c_message_free_unpacked(&c->base, NULL);
}

/* ---- timed slots on the local clock ---- */

static void test_appointments_on_the_hour_in_kolkata(void **state)
{
    (void)state;
    const char *kol = "Asia/Kolkata";
    char rid[80], hid[80], text[40];
    make("Clinic", kol, "Pune", CLINIC, 1, 60, NULL, NULL, 0, rid);
    int64_t d = today_in(kol) + 10;
    int64_t nine = local_at(kol, d, 9, 0);
    rpc_result r;
    assert_int_equal(hold_range("vik", rid, nine, nine + H, 1, hid, NULL, NULL, NULL), RPC_OK);
    /* 09:00Z is 14:30 in Kolkata: not an hour there */
    assert_int_equal(hold_range("vik", rid, d * DAY + 9 * H, d * DAY + 10 * H, 1, hid, NULL, NULL, &r),
                     RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "start_time");
    /* the search's 10:00-11:00 is 10:00 IST */
    wait_presence("Pune", CLINIC, d * DAY + 10 * H, d * DAY + 11 * H, rid, 1);
    Booking__V1__SearchAvailabilityResponse *s = search_city("Pune", CLINIC, d * DAY + 10 * H, d * DAY + 11 * H);
    const Booking__V1__AvailabilityResult *res = result_for(s, rid);
    assert_non_null(res);
    assert_string_equal(res->local_start, rfc3339(kol, nine + H, text));
    assert_non_null(strstr(res->local_start, "T10:00:00+05:30"));
    protobuf_c_message_free_unpacked(&s->base, NULL);
    Booking__V1__GetCalendarResponse *c = calendar(rid, nine, nine + 2 * H);
    assert_int_equal(c->n_slots, 2);
    assert_int_equal(c->slots[0]->available, 0);
    assert_int_equal(c->slots[1]->available, 1);
    assert_string_equal(c->slots[1]->local_start, rfc3339(kol, nine + H, text));
    protobuf_c_message_free_unpacked(&c->base, NULL);
}

/* ---- cancellation window: hours to the local check-in ---- */

static void test_cancellation_window_is_measured_to_local_check_in(void **state)
{
    (void)state;
    /* a zone where it is now between 01:00 and 19:59, so that check-in in three hours is today */
    static const char *const zones[] = {"UTC", "America/Los_Angeles", "Asia/Tokyo", "America/New_York",
                                        "Asia/Kolkata", "Pacific/Auckland", "Europe/Lisbon", "Pacific/Honolulu"};
    int64_t now = (int64_t)time(NULL);
    const char *tz = NULL;
    local_tm tm;
    for (size_t i = 0; i < sizeof zones / sizeof zones[0] && !tz; i++) {
        local_time_of(zone(zones[i]), now, &tm);
        if (tm.hour >= 1 && tm.hour <= 19)
            tz = zones[i];
    }
    assert_non_null(tz);
    char check_in[32], rid[80], hid[80], bid[80];
    snprintf(check_in, sizeof check_in, "%02d:%02d", tm.hour + 3, tm.minute);
    Booking__V1__CancellationRule rules[] = {rule(5, 100), rule(0, 50)};
    make("Tonight Inn", tz, "Anywhere", HOTEL, 2, 1440, check_in, rules, 2, rid);
    int64_t today = today_in(tz);
    int64_t s;
    /* tonight: the night began at local midnight, check-in is in about three hours */
    assert_int_equal(hold_range("wes", rid, now, local_at(tz, today + 1, 11, 0), 1, hid, &s, NULL, NULL), RPC_OK);
    assert_int_equal(s, local_at(tz, today, 0, 0));
    assert_true(s < now);
    confirm("wes", hid, bid);
    rpc_code code;
    assert_int_equal(cancel("wes", bid, &code), 5000); /* 3 h before check-in: the 50 % rule */
    assert_int_equal(code, RPC_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_zone_is_required_and_checked),
        cmocka_unit_test(test_same_local_night_competes_for_one_unit),
        cmocka_unit_test(test_dst_night_is_held_confirmed_cancelled),
        cmocka_unit_test(test_search_reads_dates_in_each_zone),
        cmocka_unit_test(test_appointments_on_the_hour_in_kolkata),
        cmocka_unit_test(test_cancellation_window_is_measured_to_local_check_in),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
