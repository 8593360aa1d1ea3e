/* search_checks.c — booking.v1.SearchService's pure validation on fuzzed requests:
 * query_parse at a fixed now with search-svc's default limits, then the query's page
 * token, the filters against one resource and the grid cover of a circle search (every
 * point within the radius lies in a cell it scans); the calendar range's slot spans. */
#include <math.h>
#include <string.h>

#include "booking/v1/search.pb-c.h"
#include "filters.h"
#include "geo.h"
#include "page_token.h"
#include "query.h"
#include "request_checks.h"
#include "slots.h"
#include "timeutil.h"

#define MAX_SLOTS_PER_HOLD 366 /* search-svc's default MAX_SLOTS_PER_HOLD */

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
void check_search(ProtobufCMessage *request)
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

void check_get_calendar(ProtobufCMessage *request)
{
    const Booking__V1__GetCalendarRequest *req = (const Booking__V1__GetCalendarRequest *)request;
    if (ts_valid(req->start_time) && ts_valid(req->end_time))
        check_spans(ts_seconds(req->start_time), ts_seconds(req->end_time), MAX_SLOTS_PER_HOLD);
}
