/* filters.c — time-independent result filters. */
#include "filters.h"

#include <string.h>

#include "geo.h"

int filter_amenities(const search_query *q, char *const *amenities, size_t n)
{
    for (size_t i = 0; i < q->n_amenities; i++) {
        size_t k = 0;
        while (k < n && strcmp(q->amenities[i], amenities[k]) != 0)
            k++;
        if (k == n)
            return 0;
    }
    return 1;
}

int filter_price(const search_query *q, int64_t total_minor)
{
    return !q->has_max_price || total_minor <= q->max_price_minor;
}

int filter_resource(const search_query *q, const resource_facts *f, double *distance_km)
{
    *distance_km = 0;
    if (!f->active || (q->resource_type && f->resource_type != q->resource_type))
        return 0;
    if (q->city[0] && strcmp(q->city, f->city) != 0)
        return 0;
    if (f->rating < q->min_rating)
        return 0;
    if (q->has_max_price && strcmp(q->currency, f->currency) != 0)
        return 0;
    if (!filter_amenities(q, f->amenities, f->n_amenities))
        return 0;
    if (q->geo) {
        *distance_km = geo_distance_km(q->lat, q->lon, f->lat, f->lon);
        if (*distance_km > q->radius_km)
            return 0;
    }
    return 1;
}
