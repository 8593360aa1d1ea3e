/* filters.h — whether a resource matches a query, on what does not depend on time:
 * type, status, distance, rating, amenities, and the currency of max_price and the
 * ceiling itself. (The city is matched by the index: a city bucket holds exactly its
 * city's resources.) Pure. */
#ifndef SEARCH_SVC_FILTERS_H
#define SEARCH_SVC_FILTERS_H

#include <stddef.h>
#include <stdint.h>

#include "query.h"

#define AMENITY_BITS 64

/* The searchable facts of a resource, compact so that a query scans them without
 * touching anything else. */
typedef struct resource_facts {
    double lat, lon, rating;
    uint64_t amenity_bits;        /* its amenities that are in the index's dictionary */
    char *const *amenities;       /* all of them, lower-case */
    uint32_t n_amenities;
    uint8_t resource_type;
    uint8_t active;               /* status ACTIVE */
    char currency[4];             /* of the base price */
} resource_facts;

/* What a query asks of amenities, against a dictionary: bits it needs, and whether
 * some asked amenity is outside the dictionary (then names are compared). */
typedef struct amenity_need {
    uint64_t bits;
    int outside;
} amenity_need;

/* Maps the query's amenities onto a dictionary of up to AMENITY_BITS names. */
amenity_need amenity_need_of(const search_query *q, char *const *dict, size_t dict_len);
/* The dictionary bits of a list of lower-case names. */
uint64_t amenity_bits_of(char *const *names, size_t n, char *const *dict, size_t dict_len);

/* 1 when the resource passes; for coordinate searches *distance_km is set (0 otherwise). */
int filter_resource(const search_query *q, const amenity_need *need, const resource_facts *f, double *distance_km);

/* 1 when every amenity the query asks for is among the names. */
int filter_amenities(const search_query *q, char *const *amenities, size_t n);

/* 1 when a total price passes max_price (always, when the query sets none). */
int filter_price(const search_query *q, int64_t total_minor);

#endif
