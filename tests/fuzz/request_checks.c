/* request_checks.c — for each method whose validation needs no store, the services' own
 * validators run on the fuzzed request, and what they promise is checked: resources
 * (validate_resource, then a quote and refunds under their rules), money, text, the
 * slot span of every time range (for each kind of resource), search queries (query_parse,
 * page tokens, filters, the grid cover) and reflection's lookups in the real descriptor
 * pool. Calls into shared/domain go through check_spans/check_quote only, so an API
 * change there touches two functions. */
#include "request_checks.h"

#include <math.h>
#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "booking/v1/search.pb-c.h"
#include "descriptor_pool.h"
#include "descriptor_set.h"
#include "filters.h"
#include "geo.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "ids.h"
#include "page_token.h"
#include "pricing.h"
#include "query.h"
#include "resource_validate.h"
#include "slots.h"
#include "timeutil.h"

#define CANCEL_REASON_MAX 500   /* booking-svc/saga_store.h, which would pull in the stores */
#define MAX_SLOTS_PER_HOLD 366  /* booking-svc's and search-svc's default MAX_SLOTS_PER_HOLD */
#define MAX_INVENTORY_SLOTS 20000
#define QUOTE_SLOTS_MAX 31

typedef void (*check_fn)(ProtobufCMessage *request);

/* ---- shared/domain (slots, pricing): the only calls into it ---- */

/* slot_span_of for a range as each kind of resource sees it (single slot, 15 min,
 * hourly, nightly, and a slot size no resource may have), with what callers rely on:
 * 1..max slots, the first starting at or before start, the last ending after start and
 * at or before end; on failure a field and a reason. */
static void check_spans(int64_t start, int64_t end, int max)
{
    static const int kinds[] = {SLOT_MINUTES_SINGLE, 15, 60, SLOT_MINUTES_NIGHTLY, 7};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        slot_span span;
        const char *field = NULL;
        char msg[200] = "";
        if (slot_span_of(kinds[k], start, end, max, &span, &field, msg, sizeof msg) != 0) {
            FUZZ_ASSERT(field && msg[0]);
            continue;
        }
        FUZZ_ASSERT(slot_minutes_valid(kinds[k]));
        FUZZ_ASSERT(span.count >= 1 && span.count <= max);
        FUZZ_ASSERT(span.first_start <= start);
        int64_t last_end = slot_span_start(&span, span.count);
        FUZZ_ASSERT(last_end > start && last_end <= end);
    }
}

/* A quote of `count` slots under r's rules, twice (price_quote with lines, price_total
 * without): both agree, and the totals add up. */
static void check_quote(const Booking__V1__Resource *r, const price_slot *slots, int count, int quantity, int64_t now)
{
    quote_line lines[QUOTE_SLOTS_MAX];
    quote q, total;
    int rc = price_quote(r->pricing, slots, count, quantity, now, lines, &q);
    FUZZ_ASSERT(rc == price_total(r->pricing, slots, count, quantity, now, &total));
    if (rc != 0)
        return;
    FUZZ_ASSERT(memcmp(&q, &total, sizeof q) == 0);
    int64_t sum = 0;
    for (int i = 0; i < count; i++) {
        FUZZ_ASSERT(lines[i].amount_minor >= 0 && strnlen(lines[i].description, sizeof lines[i].description) <
                                                      sizeof lines[i].description);
        sum += lines[i].amount_minor;
    }
    FUZZ_ASSERT(sum == q.subtotal_minor && q.fees_minor >= 0 && q.taxes_minor >= 0);
    FUZZ_ASSERT(q.total_minor == q.subtotal_minor + q.fees_minor + q.taxes_minor);
}

/* ---- booking.v1.BookingService ---- */

/* Prices a valid resource: slots of its own size from 2027-01-01 (a Friday: weekend
 * rules apply), their number from capacity, the lead time from the latitude (0-180
 * days), the quantity from max_quantity_per_hold, occupancy falling slot by slot, so
 * the fuzzer steers every rule. */
static void price_resource(const Booking__V1__Resource *r)
{
    const int64_t first = 1798761600; /* 2027-01-01T00:00:00Z */
    int64_t step = r->slot_minutes ? (int64_t)r->slot_minutes * 60 : 3600;
    int count = 1 + r->capacity % QUOTE_SLOTS_MAX;
    price_slot slots[QUOTE_SLOTS_MAX];
    for (int i = 0; i < count; i++)
        slots[i] = (price_slot){first + i * step, first + (i + 1) * step, r->base_price->amount_minor, r->capacity,
                                r->capacity > i ? r->capacity - i : 0};
    int quantity = r->max_quantity_per_hold > 0 ? r->max_quantity_per_hold : 1;
    check_quote(r, slots, count, quantity, first - (int64_t)(r->latitude + 90) * SECONDS_PER_DAY);
}

/* refund_percent of a valid resource's rules: -1 once started, else a percent. */
static void refunds(const Booking__V1__Resource *r)
{
    static const double hours[] = {-1, 0, 1, 24, 8760, 1e9, NAN};
    for (size_t i = 0; i < sizeof hours / sizeof hours[0]; i++) {
        int p = refund_percent((const Booking__V1__CancellationRule *const *)r->cancellation_rules,
                               r->n_cancellation_rules, hours[i]);
        FUZZ_ASSERT(hours[i] >= 0 ? p >= 0 && p <= 100 : p == -1);
    }
}

static void check_resource(Booking__V1__Resource *r)
{
    rpc_call *call = fuzz_call_new();
    int rc = validate_resource(call, r);
    fuzz_expect_validation(call, rc);
    if (rc == 0) {
        FUZZ_ASSERT(r->time_zone && *r->time_zone && r->base_price && r->base_price->currency);
        price_resource(r);
        refunds(r);
    }
    fuzz_call_free(call);
}

static void check_create_resource(ProtobufCMessage *request)
{
    check_resource(((Booking__V1__CreateResourceRequest *)request)->resource);
}

static void check_update_resource(ProtobufCMessage *request)
{
    Booking__V1__UpdateResourceRequest *req = (Booking__V1__UpdateResourceRequest *)request;
    if (req->resource) /* UpdateResource validates the merged resource; an absent one is refused earlier */
        check_resource(req->resource);
}

static void check_set_inventory(ProtobufCMessage *request)
{
    const Booking__V1__SetInventoryRequest *req = (const Booking__V1__SetInventoryRequest *)request;
    if (ts_valid(req->start_time) && ts_valid(req->end_time))
        check_spans(ts_seconds(req->start_time), ts_seconds(req->end_time), MAX_INVENTORY_SLOTS);
    if (req->price_override) {
        rpc_call *call = fuzz_call_new();
        fuzz_expect_validation(call, validate_money(call, "price_override", req->price_override));
        fuzz_call_free(call);
    }
}

static void check_create_hold(ProtobufCMessage *request)
{
    const Booking__V1__CreateHoldRequest *req = (const Booking__V1__CreateHoldRequest *)request;
    (void)id_valid(req->resource_id);
    if (ts_valid(req->start_time) && ts_valid(req->end_time))
        check_spans(ts_seconds(req->start_time), ts_seconds(req->end_time), MAX_SLOTS_PER_HOLD);
}

static void check_cancel_booking(ProtobufCMessage *request)
{
    const Booking__V1__CancelBookingRequest *req = (const Booking__V1__CancelBookingRequest *)request;
    rpc_call *call = fuzz_call_new();
    fuzz_expect_validation(call, validate_text(call, "reason", req->reason, CANCEL_REASON_MAX, 0));
    fuzz_call_free(call);
}

/* ---- booking.v1.SearchService ---- */

/* 1 when cell (row, col) is one the cover scans. */
static int cover_has(const geo_cover *c, int row, int col)
{
    if (row < c->row_lo || row > c->row_hi)
        return 0;
    if (c->all_cols)
        return 1;
    return c->col_lo <= c->col_hi ? col >= c->col_lo && col <= c->col_hi : col >= c->col_lo || col <= c->col_hi;
}

/* The point `km` from (lat, lon) towards `bearing` degrees, on the same sphere. */
static void destination(double lat, double lon, double bearing, double km, double *lat2, double *lon2)
{
    const double deg = M_PI / 180, d = km / GEO_EARTH_RADIUS_KM;
    double p1 = lat * deg, t = bearing * deg;
    double p2 = asin(sin(p1) * cos(d) + cos(p1) * sin(d) * cos(t));
    double l2 = lon * deg + atan2(sin(t) * sin(d) * cos(p1), cos(d) - sin(p1) * sin(p2));
    *lat2 = p2 / deg;
    *lon2 = remainder(l2 / deg, 360);
}

/* The cells a search scans hold every point within its radius: the centre, points just
 * inside the circle in eight directions, the poles and the antimeridian. */
static void check_cover(const search_query *q)
{
    geo_cover c;
    int cols[GEO_COLS];
    geo_cover_circle(q->lat, q->lon, q->radius_km, &c);
    FUZZ_ASSERT(c.row_lo >= 0 && c.row_lo <= c.row_hi && c.row_hi < GEO_ROWS);
    int n = geo_cover_cols(&c, cols);
    FUZZ_ASSERT(n >= 1 && n <= GEO_COLS);
    for (int i = 0; i < n; i++)
        FUZZ_ASSERT(cols[i] >= 0 && cols[i] < GEO_COLS);
    double points[8 + 5][2] = {{q->lat, q->lon}, {90, 0}, {-90, 0}, {0, 180}, {0, -180}};
    for (int i = 0; i < 8; i++)
        destination(q->lat, q->lon, i * 45.0, q->radius_km * 0.999, &points[5 + i][0], &points[5 + i][1]);
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        double lat = points[i][0], lon = points[i][1];
        if (geo_point_valid(lat, lon) && geo_distance_km(q->lat, q->lon, lat, lon) <= q->radius_km)
            FUZZ_ASSERT(cover_has(&c, geo_row(lat), geo_col(lon)));
    }
}

/* The facts of one active Lisbon hotel room, to filter a parsed query against. */
static void check_filters(const search_query *q)
{
    static char *const dict[] = {"wifi", "pool", "parking", "breakfast"};
    static char *const amenities[] = {"wifi", "pool", "sea view"};
    const resource_facts facts = {38.7223, -9.1393, 4.5, 3, amenities, 3, 1, 1, "EUR"};
    amenity_need need = amenity_need_of(q, dict, 4);
    double km;
    (void)filter_resource(q, &need, &facts, &km);
    FUZZ_ASSERT(km >= 0 && !isnan(km));
    (void)filter_amenities(q, amenities, 3);
    (void)filter_price(q, 12345);
    if (q->geo)
        check_cover(q);
}

/* As search_rpc.c's parse_or_fail, at a fixed now with the default limits. */
static void check_search(ProtobufCMessage *request)
{
    const Booking__V1__SearchAvailabilityRequest *req = (const Booking__V1__SearchAvailabilityRequest *)request;
    const query_limits lim = {FUZZ_NOW, FUZZ_NOW + 400 * SECONDS_PER_DAY, 366}; /* search-svc defaults */
    search_query q;
    const char *field = NULL;
    char msg[200] = "";
    if (query_parse(req, &lim, &q, &field, msg, sizeof msg) != 0) {
        FUZZ_ASSERT(field && msg[0]);
        return;
    }
    FUZZ_ASSERT(q.page_size >= 1 && q.page_size <= QUERY_PAGE_SIZE_MAX && q.n_amenities <= QUERY_AMENITIES_MAX);
    FUZZ_ASSERT(q.quantity >= 1 && q.start < q.end && q.order >= RANK_PRICE && q.order <= RANK_RATING);
    check_filters(&q);
    if (!req->page_token || !*req->page_token)
        return;
    page_key key;
    page_key_init(&key, FUZZ_TOKEN_SECRET);
    rank_key cursor;
    if (page_token_decode(&key, query_fingerprint(&q), q.order, req->page_token, &cursor) == PAGE_TOKEN_OK)
        FUZZ_ASSERT(strlen(cursor.resource_id) <= RANK_ID_MAX);
}

static void check_get_calendar(ProtobufCMessage *request)
{
    const Booking__V1__GetCalendarRequest *req = (const Booking__V1__GetCalendarRequest *)request;
    if (ts_valid(req->start_time) && ts_valid(req->end_time))
        check_spans(ts_seconds(req->start_time), ts_seconds(req->end_time), MAX_SLOTS_PER_HOLD);
}

/* ---- grpc.reflection (v1 and v1alpha share the messages) ---- */

static const descriptor_pool *real_pool(void)
{
    static descriptor_pool *pool;
    if (!pool)
        pool = descriptor_pool_new(booking_descriptor_set, booking_descriptor_set_len);
    FUZZ_ASSERT(pool);
    return pool;
}

/* A file found answers with its closure: the file first, each dependency once. */
static void check_file(const descriptor_pool *pool, int file)
{
    if (file < 0)
        return;
    size_t count = descriptor_pool_file_count(pool), closure[64];
    FUZZ_ASSERT((size_t)file < count && count <= 64);
    size_t n = descriptor_pool_closure(pool, (size_t)file, closure, count);
    FUZZ_ASSERT(n >= 1 && n <= count && closure[0] == (size_t)file);
}

/* The lookups server_reflection_info makes for each kind of request. */
static void check_reflection(ProtobufCMessage *request)
{
    const Grpc__Reflection__V1__ServerReflectionRequest *req = (const Grpc__Reflection__V1__ServerReflectionRequest *)request;
    const descriptor_pool *pool = real_pool();
    const char *s;
    int numbers[64];
    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        check_file(pool, descriptor_pool_find_file(pool, req->file_by_filename));
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        s = req->file_containing_symbol ? req->file_containing_symbol : "";
        check_file(pool, descriptor_pool_find_symbol(pool, s[0] == '.' ? s + 1 : s));
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
        if (req->file_containing_extension)
            check_file(pool, descriptor_pool_find_extension(pool, req->file_containing_extension->containing_type,
                                                            req->file_containing_extension->extension_number));
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        s = req->all_extension_numbers_of_type ? req->all_extension_numbers_of_type : "";
        (void)descriptor_pool_extension_numbers(pool, s[0] == '.' ? s + 1 : s, numbers, 64);
        break;
    default:
        break;
    }
}

/* ---- the table ---- */

static const struct {
    const char *service, *method;
    check_fn check;
} checks[] = {
    {"booking.v1.BookingService", "CreateResource", check_create_resource},
    {"booking.v1.BookingService", "UpdateResource", check_update_resource},
    {"booking.v1.BookingService", "SetInventory", check_set_inventory},
    {"booking.v1.BookingService", "CreateHold", check_create_hold},
    {"booking.v1.BookingService", "CancelBooking", check_cancel_booking},
    {"booking.v1.SearchService", "SearchAvailability", check_search},
    {"booking.v1.SearchService", "GetCalendar", check_get_calendar},
    {"grpc.reflection.v1.ServerReflection", "ServerReflectionInfo", check_reflection},
    {"grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo", check_reflection},
};

void request_check(const fuzz_method *m, ProtobufCMessage *request)
{
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (strcmp(m->service->name, checks[i].service) == 0 && strcmp(m->method->name, checks[i].method) == 0) {
            checks[i].check(request);
            return;
        }
}
