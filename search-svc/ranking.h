/* ranking.h — the order of search results: price (ascending), distance (ascending) or
 * rating (descending), ties broken by resource_id so that the order is total and the
 * same on every page. Pure. */
#ifndef SEARCH_SVC_RANKING_H
#define SEARCH_SVC_RANKING_H

#include <stddef.h>
#include <stdint.h>

typedef enum rank_order {
    RANK_PRICE = 1,     /* total price, then currency code, then resource_id */
    RANK_DISTANCE = 2,  /* distance_km, then resource_id */
    RANK_RATING = 3,    /* rating highest first, then resource_id */
} rank_order;

#define RANK_ID_MAX 64

/* What a result is ranked by; also what a page token remembers of the last result. */
typedef struct rank_key {
    int64_t price_minor;
    char currency[4];
    double distance_km;
    double rating;
    char resource_id[RANK_ID_MAX + 1];
} rank_key;

/* < 0 when a comes before b under order, > 0 after, 0 only for the same resource. */
int rank_compare(rank_order order, const rank_key *a, const rank_key *b);

/* Sorts n elements of size `size` whose first member is a rank_key. */
void rank_sort(rank_order order, void *items, size_t n, size_t size);
/* Sorts n pointers to keys (cheaper than moving whole elements). */
void rank_sort_refs(rank_order order, const rank_key **refs, size_t n);
/* Puts the first k of n keys in order at the front, sorted; the rest follow in no
 * particular order (each after all of the first k). Cheaper than sorting all when
 * only a page is wanted. */
void rank_select_refs(rank_order order, const rank_key **refs, size_t n, size_t k);

#endif
