/* filters.h — whether a resource matches a query, on what does not depend on time:
 * type, status, city, distance, rating, amenities, and the currency and ceiling of
 * max_price. Pure. */
#ifndef SEARCH_SVC_FILTERS_H
#define SEARCH_SVC_FILTERS_H

#include <stddef.h>
#include <stdint.h>

#include "query.h"

/* The searchable facts of a resource (strings lower-case where matched). */
typedef struct resource_facts {
    int resource_type;
    int active;                    /* status ACTIVE */
    const char *city;              /* lower-case */
    double lat, lon;
    double rating;
    char *const *amenities;        /* lower-case */
    size_t n_amenities;
    const char *currency;          /* of the base price */
} resource_facts;

/* 1 when the resource passes; for coordinate searches *distance_km is set (it is 0
 * otherwise). */
int filter_resource(const search_query *q, const resource_facts *f, double *distance_km);

/* 1 when every amenity the query asks for is among the resource's. */
int filter_amenities(const search_query *q, char *const *amenities, size_t n);

/* 1 when a total price passes max_price (always, when the query sets none). */
int filter_price(const search_query *q, int64_t total_minor);

#endif
