/* slot_data.c — allocation, comparison and lookups of slot rows and counters. */
#include "slot_data.h"

#include <stdlib.h>
#include <string.h>

#include "model_mem.h"

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Layout: header, override prices (few; on the header's cache lines), sparse starts
 * and ends, cells. */
slot_rows *slot_rows_new(int dense, int64_t lo, int64_t hi, const local_zone *zone, int n, int price_cap, int wide)
{
    int64_t day0 = 0;
    if (dense) { /* the nights that start in [lo, hi) */
        day0 = local_day(zone, lo);
        if (local_day_start(zone, day0) < lo)
            day0++;
        int64_t end = local_day(zone, hi);
        n = end > day0 ? (int)(end - day0) : 0;
        lo = local_day_start(zone, day0);
        hi = local_day_start(zone, day0 + n);
    }
    size_t un = (size_t)(n > 0 ? n : 0), pc = (size_t)(price_cap > 0 ? price_cap : 0);
    wide = wide || pc > INT16_MAX;
    size_t head = align8(sizeof(slot_rows)), prices = pc * sizeof(int64_t);
    size_t times = dense ? 0 : 2 * un * sizeof(int64_t);
    size_t cells = align8(un * (wide ? sizeof(slot_cell) : sizeof(slot_cell16)));
    slot_rows *r = mm_alloc(head + prices + times + cells);
    char *p = (char *)r + head;
    r->lo = lo, r->hi = hi, r->dense = dense, r->wide = wide, r->zone = zone, r->day0 = day0, r->n = n;
    r->price_cap = (int)pc;
    r->bytes = head + prices + times + cells;
    r->prices = (int64_t *)p;
    p += prices;
    if (!dense) {
        r->start = (int64_t *)p;
        r->end = r->start + un;
        p += times;
    }
    r->cells = p;
    for (size_t i = 0; i < un; i++)
        slot_rows_set(r, (int)i, -1, 0, -1);
    return r;
}

int slot_rows_narrow_fits(int64_t total, int64_t confirmed)
{
    return total >= -1 && total <= SLOT_NARROW_MAX && confirmed >= 0 && confirmed <= SLOT_NARROW_MAX;
}

slot_cell slot_rows_cell(const slot_rows *r, int i)
{
    if (r->wide)
        return ((const slot_cell *)r->cells)[i];
    slot_cell16 c = ((const slot_cell16 *)r->cells)[i];
    return (slot_cell){c.total == SLOT_NO_ROW16 ? -1 : c.total, c.confirmed, c.price};
}

const void *slot_rows_cell_addr(const slot_rows *r, int i)
{
    return r->wide ? (const void *)((const slot_cell *)r->cells + i) : (const void *)((const slot_cell16 *)r->cells + i);
}

void slot_rows_free(void *rows) { mm_free(rows); }
void slot_counters_free(void *counters) { mm_free(counters); }

/* The index of price in the distinct prices (added when new; the last one is reused
 * when the room is full, which only a caller giving too small a price_cap causes). */
static int32_t price_ref(slot_rows *r, int64_t price)
{
    for (int i = r->nprices - 1; i >= 0 && i >= r->nprices - 16; i--)
        if (r->prices[i] == price)
            return i;
    if (r->nprices == r->price_cap)
        abort();
    r->prices[r->nprices] = price;
    return r->nprices++;
}

void slot_rows_set(slot_rows *r, int i, int32_t total, int32_t confirmed, int64_t price_minor)
{
    int32_t price = price_minor >= 0 ? price_ref(r, price_minor) : -1;
    if (r->wide) {
        ((slot_cell *)r->cells)[i] = (slot_cell){total, confirmed, price};
        return;
    }
    if (!slot_rows_narrow_fits(total, confirmed))
        abort();
    ((slot_cell16 *)r->cells)[i] =
        (slot_cell16){total < 0 ? SLOT_NO_ROW16 : (uint16_t)total, (uint16_t)confirmed, (int16_t)price};
}

slot_counters *slot_counters_new(int n)
{
    size_t un = (size_t)(n > 0 ? n : 0);
    size_t head = align8(sizeof(slot_counters));
    slot_counters *c = mm_alloc(head + un * (sizeof(int64_t) + sizeof(int32_t)));
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
        a->wide != b->wide || a->n != b->n || a->nprices != b->nprices || a->zone != b->zone || a->day0 != b->day0)
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

int slot_rows_index(const slot_rows *r, int64_t start)
{
    if (start < r->lo || start >= r->hi)
        return -2;
    if (r->dense) {
        int64_t day = local_day(r->zone, start);
        return local_day_start(r->zone, day) == start ? (int)(day - r->day0) : -2;
    }
    int i = lower_bound(r->start, r->n, start);
    return i < r->n && r->start[i] == start ? i : -1;
}

int slot_resolve(const slot_source *src, int64_t start, int64_t end, slot_state *out)
{
    const slot_rows *r = src->rows;
    int i = slot_rows_index(r, start);
    if (i == -2 || (i == -1 && src->single))
        return -1;
    slot_cell c = i >= 0 ? slot_rows_cell(r, i) : (slot_cell){-1, 0, -1};
    out->start = start;
    out->end = i >= 0 && !r->dense ? r->end[i] : end;
    out->total = c.total >= 0 ? c.total : src->capacity;
    out->confirmed = c.confirmed;
    out->limit = slot_sell_limit(out->total, src->overbooking_percent);
    out->price = c.price >= 0 ? r->prices[c.price] : src->base_price;
    out->counter = counter_of(src->counters, start);
    int available = out->counter >= 0 ? out->counter : out->limit - out->confirmed;
    out->available = available > 0 ? available : 0;
    return 0;
}

int slot_range(const slot_source *src, const price_slot *times, int count, price_slot *out)
{
    int min = -1;
    for (int i = 0; i < count; i++) {
        slot_state s;
        if (slot_resolve(src, times[i].start, times[i].end, &s) != 0)
            return -1;
        if (src->single && s.end != times[i].end)
            return -1; /* a single slot is exactly [start, end) */
        out[i] = times[i];
        out[i].base_price_minor = s.price;
        out[i].total_capacity = s.total;
        out[i].available = s.available;
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
