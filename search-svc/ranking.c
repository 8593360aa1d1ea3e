/* ranking.c — result order and its tie-breaks. */
#include "ranking.h"

#include <stdlib.h>
#include <string.h>

static int cmp_double(double a, double b) { return a < b ? -1 : a > b ? 1 : 0; }
static int cmp_int64(int64_t a, int64_t b) { return a < b ? -1 : a > b ? 1 : 0; }

int rank_compare(rank_order order, const rank_key *a, const rank_key *b)
{
    int c = 0;
    switch (order) {
    case RANK_DISTANCE:
        c = cmp_double(a->distance_km, b->distance_km);
        break;
    case RANK_RATING:
        c = cmp_double(b->rating, a->rating);
        break;
    case RANK_PRICE:
    default:
        c = cmp_int64(a->price_minor, b->price_minor);
        if (c == 0)
            c = strcmp(a->currency, b->currency);
        break;
    }
    return c != 0 ? c : strcmp(a->resource_id, b->resource_id);
}

static int compare_items(const void *a, const void *b, void *order)
{
    return rank_compare(*(const rank_order *)order, (const rank_key *)a, (const rank_key *)b);
}

void rank_sort(rank_order order, void *items, size_t n, size_t size)
{
    if (n > 1)
        qsort_r(items, n, size, compare_items, &order);
}

static int compare_refs(const void *a, const void *b, void *order)
{
    return rank_compare(*(const rank_order *)order, *(const rank_key *const *)a, *(const rank_key *const *)b);
}

void rank_sort_refs(rank_order order, const rank_key **refs, size_t n)
{
    if (n > 1)
        qsort_r(refs, n, sizeof *refs, compare_refs, &order);
}

/* Restores the max-heap (the last in order at the top) below node i of refs[0, n). */
static void sift_down(rank_order order, const rank_key **refs, size_t n, size_t i)
{
    for (;;) {
        size_t worst = i, l = 2 * i + 1, r = l + 1;
        if (l < n && rank_compare(order, refs[l], refs[worst]) > 0)
            worst = l;
        if (r < n && rank_compare(order, refs[r], refs[worst]) > 0)
            worst = r;
        if (worst == i)
            return;
        const rank_key *t = refs[i];
        refs[i] = refs[worst];
        refs[worst] = t;
        i = worst;
    }
}

void rank_select_refs(rank_order order, const rank_key **refs, size_t n, size_t k)
{
    if (k >= n) {
        rank_sort_refs(order, refs, n);
        return;
    }
    for (size_t i = k / 2; i-- > 0;)
        sift_down(order, refs, k, i);
    for (size_t i = k; i < n; i++)
        if (k > 0 && rank_compare(order, refs[i], refs[0]) < 0) {
            const rank_key *t = refs[0];
            refs[0] = refs[i];
            refs[i] = t;
            sift_down(order, refs, k, 0);
        }
    rank_sort_refs(order, refs, k);
}
