/* filters.c — time-independent result filters, on compact facts and amenity bits. */
#include "filters.h"

#include <string.h>

#include "geo.h"

static int dict_index(const char *name, char *const *dict, size_t dict_len)
{
    for (size_t i = 0; i < dict_len && i < AMENITY_BITS; i++)
        if (strcmp(dict[i], name) == 0)
            return (int)i;
    return -1;
}

uint64_t amenity_bits_of(char *const *names, size_t n, char *const *dict, size_t dict_len)
{
    uint64_t bits = 0;
    for (size_t i = 0; i < n; i++) {
        int k = dict_index(names[i], dict, dict_len);
        if (k >= 0)
            bits |= 1ull << k;
    }
    return bits;
}

amenity_need amenity_need_of(const search_query *q, char *const *dict, size_t dict_len)
{
    amenity_need need = {0, 0};
    for (size_t i = 0; i < q->n_amenities; i++) {
        int k = dict_index(q->amenities[i], dict, dict_len);
        if (k < 0)
            need.outside = 1;
        else
            need.bits |= 1ull << k;
    }
    return need;
}

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

int filter_resource(const search_query *q, const amenity_need *need, const resource_facts *f, double *distance_km)
{
    *distance_km = 0;
    if (!f->active || (q->resource_type && f->resource_type != q->resource_type) || f->rating < q->min_rating)
        return 0;
    if (q->has_max_price && memcmp(q->currency, f->currency, 4) != 0)
        return 0;
    if ((f->amenity_bits & need->bits) != need->bits ||
        (need->outside && !filter_amenities(q, f->amenities, f->n_amenities)))
        return 0;
    if (q->geo) {
        *distance_km = geo_distance_km(q->lat, q->lon, f->lat, f->lon);
        if (*distance_km > q->radius_km)
            return 0;
    }
    return 1;
}
