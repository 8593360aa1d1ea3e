/* query.c — validation and normalisation of SearchAvailability requests. */
#include "query.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "geo.h"
#include "sha256.h"
#include "strbuf.h"
#include "slots.h"
#include "timeutil.h"

#define MAX_PRICE_MINOR 1000000000000LL

__attribute__((format(printf, 5, 6))) static int fail(const char **field, const char *name, char *msg, size_t msglen,
                                                      const char *fmt, ...)
{
    *field = name;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
    return -1;
}

void text_lower(char *out, const char *in, size_t cap)
{
    size_t i = 0;
    for (; in && in[i] && i + 1 < cap; i++)
        out[i] = in[i] >= 'A' && in[i] <= 'Z' ? (char)(in[i] - 'A' + 'a') : in[i];
    out[i] = '\0';
}

static int parse_place(const Booking__V1__SearchAvailabilityRequest *req, search_query *q, const char **field,
                       char *msg, size_t n)
{
    const char *city = req->location ? req->location : "";
    if (strlen(city) > QUERY_CITY_MAX)
        return fail(field, "location", msg, n, "is longer than %d bytes", QUERY_CITY_MAX);
    text_lower(q->city, city, sizeof q->city);
    if (isnan(req->radius_km) || req->radius_km < 0 || req->radius_km > GEO_MAX_RADIUS_KM)
        return fail(field, "radius_km", msg, n, "must be between 0 and %.0f", GEO_MAX_RADIUS_KM);
    if (!isfinite(req->latitude) || req->latitude < -90 || req->latitude > 90)
        return fail(field, "latitude", msg, n, "must be between -90 and 90");
    if (!isfinite(req->longitude) || req->longitude < -180 || req->longitude > 180)
        return fail(field, "longitude", msg, n, "must be between -180 and 180");
    q->geo = req->radius_km > 0;
    if (!q->geo && (req->latitude != 0 || req->longitude != 0))
        return fail(field, "radius_km", msg, n, "is required with latitude/longitude");
    q->lat = req->latitude;
    q->lon = req->longitude;
    q->radius_km = req->radius_km;
    if (!q->geo && !q->city[0])
        return fail(field, "location", msg, n, "a city, or latitude/longitude with radius_km, is required");
    return 0;
}

static int parse_range(const Booking__V1__SearchAvailabilityRequest *req, const query_limits *lim, search_query *q,
                       const char **field, char *msg, size_t n)
{
    if (!ts_valid(req->start_time))
        return fail(field, "start_time", msg, n, "is required");
    if (!ts_valid(req->end_time))
        return fail(field, "end_time", msg, n, "is required");
    q->start = ts_seconds(req->start_time);
    q->end = ts_seconds(req->end_time);
    if (q->end <= q->start)
        return fail(field, "end_time", msg, n, "must be after start_time");
    /* a local date: in the past everywhere once it is before today where the day ends
     * last (UTC-12); a resource where it is already over is left out of the results */
    int64_t west = lim->now - LATEST_ZONE_BEHIND;
    if (q->start < west - floor_mod64(west, SECONDS_PER_DAY))
        return fail(field, "start_time", msg, n, "is in the past");
    if (q->end > lim->horizon_end)
        return fail(field, "end_time", msg, n, "is beyond the search horizon");
    if (q->end - q->start > (int64_t)lim->max_range_days * SECONDS_PER_DAY)
        return fail(field, "end_time", msg, n, "the range is longer than %d days", lim->max_range_days);
    return 0;
}

static int parse_price(const Booking__V1__Money *m, search_query *q, const char **field, char *msg, size_t n)
{
    if (!m)
        return 0;
    const char *c = m->currency ? m->currency : "";
    if (strlen(c) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' || c[2] < 'A' || c[2] > 'Z')
        return fail(field, "max_price", msg, n, "currency must be an ISO 4217 code such as \"EUR\"");
    if (m->amount_minor < 0 || m->amount_minor > MAX_PRICE_MINOR)
        return fail(field, "max_price", msg, n, "amount_minor must be between 0 and %lld", MAX_PRICE_MINOR);
    q->has_max_price = 1;
    memcpy(q->currency, c, 4);
    q->max_price_minor = m->amount_minor;
    return 0;
}

static int parse_filters(const Booking__V1__SearchAvailabilityRequest *req, search_query *q, const char **field,
                         char *msg, size_t n)
{
    if (req->quantity < 0 || req->quantity > QUERY_QUANTITY_MAX)
        return fail(field, "quantity", msg, n, "must be between 1 and %d", QUERY_QUANTITY_MAX);
    q->quantity = req->quantity ? req->quantity : 1;
    if (parse_price(req->max_price, q, field, msg, n) != 0)
        return -1;
    if (isnan(req->min_rating) || req->min_rating < 0 || req->min_rating > 5)
        return fail(field, "min_rating", msg, n, "must be between 0 and 5");
    q->min_rating = req->min_rating;
    if (req->n_amenities > QUERY_AMENITIES_MAX)
        return fail(field, "amenities", msg, n, "at most %d amenities", QUERY_AMENITIES_MAX);
    for (size_t i = 0; i < req->n_amenities; i++) {
        size_t len = strlen(req->amenities[i]);
        if (len == 0 || len > QUERY_AMENITY_MAX)
            return fail(field, "amenities", msg, n, "each amenity must be 1 to %d bytes", QUERY_AMENITY_MAX);
        text_lower(q->amenities[i], req->amenities[i], sizeof q->amenities[i]);
    }
    q->n_amenities = req->n_amenities;
    return 0;
}

static int parse_order(const Booking__V1__SearchAvailabilityRequest *req, search_query *q, const char **field,
                       char *msg, size_t n)
{
    switch (req->sort) {
    case BOOKING__V1__SORT_ORDER__SORT_ORDER_UNSPECIFIED:
    case BOOKING__V1__SORT_ORDER__SORT_ORDER_PRICE:
        q->order = RANK_PRICE;
        break;
    case BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE:
        if (!q->geo)
            return fail(field, "sort", msg, n, "SORT_ORDER_DISTANCE needs latitude/longitude and radius_km");
        q->order = RANK_DISTANCE;
        break;
    case BOOKING__V1__SORT_ORDER__SORT_ORDER_RATING:
        q->order = RANK_RATING;
        break;
    default:
        return fail(field, "sort", msg, n, "is not a known SortOrder");
    }
    if (req->page_size < 0)
        return fail(field, "page_size", msg, n, "must not be negative");
    q->page_size = req->page_size == 0                    ? QUERY_PAGE_SIZE_DEFAULT
                   : req->page_size > QUERY_PAGE_SIZE_MAX ? QUERY_PAGE_SIZE_MAX
                                                          : req->page_size;
    return 0;
}

int query_parse(const Booking__V1__SearchAvailabilityRequest *req, const query_limits *lim, search_query *q,
                const char **field, char *msg, size_t msglen)
{
    memset(q, 0, sizeof *q);
    if (req->resource_type < 0 || req->resource_type > BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_RENTAL_CAR)
        return fail(field, "resource_type", msg, msglen, "is not a known ResourceType");
    q->resource_type = req->resource_type;
    if (parse_place(req, q, field, msg, msglen) != 0 || parse_range(req, lim, q, field, msg, msglen) != 0 ||
        parse_filters(req, q, field, msg, msglen) != 0 || parse_order(req, q, field, msg, msglen) != 0)
        return -1;
    return 0;
}

/* Fields are hashed in a fixed binary layout (doubles by their bits). */
uint64_t query_fingerprint(const search_query *q)
{
    int32_t ints[6] = {q->resource_type, q->geo, q->quantity, q->has_max_price, (int32_t)q->order,
                       (int32_t)q->n_amenities};
    int64_t longs[3] = {q->start, q->end, q->max_price_minor};
    double doubles[4] = {q->lat, q->lon, q->radius_km, q->min_rating};
    strbuf b = STRBUF_INIT;
    strbuf_append(&b, (const char *)ints, sizeof ints);
    strbuf_append(&b, (const char *)longs, sizeof longs);
    strbuf_append(&b, (const char *)doubles, sizeof doubles);
    strbuf_append(&b, q->currency, sizeof q->currency);
    strbuf_append(&b, q->city, strlen(q->city) + 1);
    for (size_t i = 0; i < q->n_amenities; i++)
        strbuf_append(&b, q->amenities[i], strlen(q->amenities[i]) + 1);
    uint8_t digest[SHA256_BYTES];
    sha256(b.data, b.len, digest);
    strbuf_free(&b);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | digest[i];
    return v;
}
