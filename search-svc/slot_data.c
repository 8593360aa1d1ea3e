/* slot_data.c — allocation, comparison and lookups of slot rows and counters. */
#include "slot_data.h"

#include <stdlib.h>
#include <string.h>

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

slot_rows *slot_rows_new(int dense, int64_t lo, int64_t hi, int64_t step, int n, int with_price)
{
    size_t un = (size_t)(n > 0 ? n : 0);
    size_t head = align8(sizeof(slot_rows)), times = dense ? 0 : 2 * un * sizeof(int64_t);
    size_t ints = align8(2 * un * sizeof(int32_t)), prices = with_price ? un * sizeof(int64_t) : 0;
    slot_rows *r = calloc(1, head + times + ints + prices);
    if (!r)
        abort();
    char *p = (char *)r + head;
    r->lo = lo, r->hi = hi, r->dense = dense, r->step = step, r->n = n;
    r->bytes = head + times + ints + prices;
    if (!dense) {
        r->start = (int64_t *)p;
        r->end = r->start + un;
        p += times;
    }
    r->total = (int32_t *)p;
    r->confirmed = r->total + un;
    r->price = with_price ? (int64_t *)(p + ints) : NULL;
    for (size_t i = 0; i < un; i++) {
        r->total[i] = -1;
        if (r->price)
            r->price[i] = -1;
    }
    return r;
}

slot_counters *slot_counters_new(int n)
{
    size_t un = (size_t)(n > 0 ? n : 0);
    size_t head = align8(sizeof(slot_counters));
    slot_counters *c = calloc(1, head + un * (sizeof(int64_t) + sizeof(int32_t)));
    if (!c)
        abort();
    c->n = n;
    c->start = (int64_t *)((char *)c + head);
    c->value = (int32_t *)(c->start + un);
    c->bytes = head + un * (sizeof(int64_t) + sizeof(int32_t));
    return c;
}

/* Insertion sort on parallel arrays: counters come from one hash, usually few. */
void slot_counters_sort(slot_counters *c)
{
    for (int i = 1; i < c->n; i++) {
        int64_t s = c->start[i];
        int32_t v = c->value[i];
        int j = i - 1;
        for (; j >= 0 && c->start[j] > s; j--) {
            c->start[j + 1] = c->start[j];
            c->value[j + 1] = c->value[j];
        }
        c->start[j + 1] = s;
        c->value[j + 1] = v;
    }
}

int slot_rows_equal(const slot_rows *a, const slot_rows *b)
{
    if (!a || !b || a->bytes != b->bytes || a->lo != b->lo || a->hi != b->hi || a->dense != b->dense ||
        a->n != b->n || (a->price == NULL) != (b->price == NULL))
        return 0;
    size_t head = align8(sizeof(slot_rows));
    return memcmp((const char *)a + head, (const char *)b + head, a->bytes - head) == 0;
}

int slot_counters_equal(const slot_counters *a, const slot_counters *b)
{
    if (!a || !b)
        return a == b;
    if (a->n != b->n)
        return 0;
    size_t n = (size_t)a->n;
    return memcmp(a->start, b->start, n * sizeof(int64_t)) == 0 && memcmp(a->value, b->value, n * sizeof(int32_t)) == 0;
}

/* Index of the first element of a sorted array >= key (n when none). */
static int lower_bound(const int64_t *a, int n, int64_t key)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (a[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int counter_of(const slot_counters *c, int64_t start)
{
    if (!c || c->n == 0)
        return -1;
    int i = lower_bound(c->start, c->n, start);
    return i < c->n && c->start[i] == start ? c->value[i] : -1;
}

/* The row index of the slot, -1 when it has no row, -2 when outside the window or
 * misaligned (dense). */
static int row_index(const slot_rows *r, int64_t start)
{
    if (start < r->lo || start >= r->hi)
        return -2;
    if (r->dense)
        return (start - r->lo) % r->step == 0 ? (int)((start - r->lo) / r->step) : -2;
    int i = lower_bound(r->start, r->n, start);
    return i < r->n && r->start[i] == start ? i : -1;
}

int slot_resolve(const slot_source *src, int64_t start, int64_t seconds, slot_state *out)
{
    const slot_rows *r = src->rows;
    int i = row_index(r, start);
    if (i == -2 || (i == -1 && src->single))
        return -1;
    out->start = start;
    out->end = i >= 0 && !r->dense ? r->end[i] : start + seconds;
    out->total = i >= 0 && r->total[i] >= 0 ? r->total[i] : src->capacity;
    out->confirmed = i >= 0 ? r->confirmed[i] : 0;
    out->price = i >= 0 && r->price && r->price[i] >= 0 ? r->price[i] : src->base_price;
    out->counter = counter_of(src->counters, start);
    int available = out->counter >= 0 ? out->counter : out->total - out->confirmed;
    out->available = available > 0 ? available : 0;
    return 0;
}

int slot_range(const slot_source *src, const slot_span *span, price_slot *out)
{
    int min = -1;
    for (int i = 0; i < span->count; i++) {
        slot_state s;
        int64_t start = slot_span_start(span, i);
        if (slot_resolve(src, start, span->slot_seconds, &s) != 0)
            return -1;
        if (src->single && s.end != start + span->slot_seconds)
            return -1; /* a single slot is exactly [start, end) */
        out[i] = (price_slot){s.start, s.end, s.price, s.total, s.available};
        if (min < 0 || s.available < min)
            min = s.available;
    }
    return min;
}

int slot_rows_between(const slot_rows *rows, int64_t from, int64_t to, int *first)
{
    if (rows->dense || rows->n == 0) {
        *first = 0;
        return 0;
    }
    *first = lower_bound(rows->start, rows->n, from);
    int last = lower_bound(rows->start, rows->n, to);
    return last - *first;
}
