/* query.h — a SearchAvailability request validated and normalised (defaults applied,
 * city and amenities lower-cased), with errors that name the field, and the query's
 * fingerprint that page tokens are bound to. Pure. */
#ifndef SEARCH_SVC_QUERY_H
#define SEARCH_SVC_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "booking/v1/search.pb-c.h"
#include "ranking.h"

#define QUERY_CITY_MAX 100
#define QUERY_AMENITIES_MAX 20
#define QUERY_AMENITY_MAX 64
#define QUERY_QUANTITY_MAX 100000
#define QUERY_PAGE_SIZE_DEFAULT 20
#define QUERY_PAGE_SIZE_MAX 100
#define LATEST_ZONE_BEHIND (12 * 3600) /* the zone furthest behind UTC (Etc/GMT+12) */

typedef struct search_query {
    int resource_type;                /* 0 = every type */
    char city[QUERY_CITY_MAX + 1];    /* lower-case; "" = no city filter */
    int geo;                          /* 1: within radius_km of (lat, lon) */
    double lat, lon, radius_km;
    int64_t start, end;               /* wall-clock seconds, as asked: local at each resource */
    int quantity;
    int has_max_price;
    char currency[4];                 /* of max_price */
    int64_t max_price_minor;
    double min_rating;
    size_t n_amenities;
    char amenities[QUERY_AMENITIES_MAX][QUERY_AMENITY_MAX + 1]; /* lower-case */
    rank_order order;
    int page_size;
} search_query;

typedef struct query_limits {
    int64_t now;          /* Unix seconds */
    int64_t horizon_end;  /* a range may not end after this (the read model's window) */
    int max_range_days;   /* end - start at most this many days */
} query_limits;

/* Validates req into q. 0, or -1 with *field set to the offending field's name and a
 * reason in msg. */
int query_parse(const Booking__V1__SearchAvailabilityRequest *req, const query_limits *lim, search_query *q,
                const char **field, char *msg, size_t msglen);

/* A stable 64-bit digest of everything that selects and orders results (not the
 * page size or token). */
uint64_t query_fingerprint(const search_query *q);

/* ASCII lower-case copy of in (other bytes kept: UTF-8 stays valid), at most cap-1 bytes. */
void text_lower(char *out, const char *in, size_t cap);

#endif
