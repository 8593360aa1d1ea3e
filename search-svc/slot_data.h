/* slot_data.h — the read model's per-resource slot data and how a slot's state is
 * resolved from it. Two immutable parts, replaced independently: rows (PostgreSQL:
 * total capacity, confirmed, price override) over a window, dense for nightly
 * resources (one cell per local night) and sparse (only rows that exist) for timed and
 * single-slot ones; and counters (Redis: units available where a counter is loaded).
 * Pure. */
#ifndef SEARCH_SVC_SLOT_DATA_H
#define SEARCH_SVC_SLOT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "pricing.h"
#include "slots.h"

/* One slot with a row, as read: its three numbers. */
typedef struct slot_cell {
    int32_t total;        /* -1: no row, the resource's capacity */
    int32_t confirmed;
    int32_t price;        /* -1: the base price; else an index into prices */
} slot_cell;

/* As stored when every value fits (nearly always: capacities below 65,535): 6 bytes a
 * slot instead of 12, so a resource-year of nights is 2.4 KB (docs/scale-out.md). */
typedef struct slot_cell16 {
    uint16_t total;       /* SLOT_NO_ROW16: no row */
    uint16_t confirmed;
    int16_t price;        /* -1: the base price */
} slot_cell16;

#define SLOT_NO_ROW16 UINT16_MAX
#define SLOT_NARROW_MAX (UINT16_MAX - 1) /* the largest total or confirmed a narrow cell holds */

typedef struct slot_rows {
    int64_t lo, hi;       /* the window the rows describe: slot starts in [lo, hi) */
    int dense;            /* 1: cell i is the night of local day day0 + i in zone */
    int wide;             /* cells are slot_cell (else slot_cell16) */
    int n;                /* cells (dense) or rows (sparse) */
    const local_zone *zone; /* dense: the resource's zone */
    int64_t day0;         /* dense: the local day of cell 0 (lo is its first instant) */
    int64_t *start;       /* sparse: sorted; NULL when dense */
    int64_t *end;         /* sparse: slot ends */
    void *cells;          /* slot_cell or slot_cell16, per `wide` */
    int64_t *prices;      /* the distinct override prices */
    int nprices, price_cap;
    size_t bytes;         /* memory held */
} slot_rows;

typedef struct slot_counters {
    int n;
    int64_t *start;       /* sorted */
    int32_t *value;       /* units available */
    size_t bytes;
} slot_counters;

/* Allocates rows in one block (every cell without a row and at the base price), with
 * room for price_cap distinct override prices; free with slot_rows_free. Wide when a
 * total or confirmed count may pass SLOT_NARROW_MAX (slot_rows_narrow_fits says).
 * Sparse: n rows, zone unused (NULL). Dense: the local nights of zone whose first
 * instants lie in [lo, hi) (n is ignored; lo and hi are narrowed to the first instants
 * of the first night and of the night after the last). */
slot_rows *slot_rows_new(int dense, int64_t lo, int64_t hi, const local_zone *zone, int n, int price_cap, int wide);
/* The cell or row index of the slot starting at start: -1 when it has no row (sparse),
 * -2 when it is outside the window or (dense) not the first instant of a local night. */
int slot_rows_index(const slot_rows *r, int64_t start);
void slot_rows_free(void *rows);
/* 1 when a row with these counts fits a narrow cell. */
int slot_rows_narrow_fits(int64_t total, int64_t confirmed);
/* Sets cell i; price_minor -1 = the base price. Aborts when narrow rows are given a
 * count that does not fit (the caller asked for the wrong layout). */
void slot_rows_set(slot_rows *r, int i, int32_t total, int32_t confirmed, int64_t price_minor);
/* Cell i as read, and its address (for prefetching). */
slot_cell slot_rows_cell(const slot_rows *r, int i);
const void *slot_rows_cell_addr(const slot_rows *r, int i);
/* Room for n counters; free with slot_counters_free. */
slot_counters *slot_counters_new(int n);
void slot_counters_free(void *counters);
/* Sorts counters by start (after filling them in any order). */
void slot_counters_sort(slot_counters *c);
/* 1 when both hold the same data (so a reload changed nothing). */
int slot_rows_equal(const slot_rows *a, const slot_rows *b);
int slot_counters_equal(const slot_counters *a, const slot_counters *b);

/* Everything needed to resolve a resource's slots. */
typedef struct slot_source {
    const slot_rows *rows;
    const slot_counters *counters;  /* NULL: none loaded */
    int capacity;                   /* of a slot without a row */
    int single;                     /* single-slot resource: only rows are slots */
    int64_t base_price;
    int overbooking_percent;        /* a slot sells up to slot_sell_limit(total, this) */
} slot_source;

/* One slot as the calendar and pricing see it. */
typedef struct slot_state {
    int64_t start, end;
    int total, confirmed;
    int limit;            /* the sell limit: total plus the overbooking allowance */
    int counter;          /* -1: none loaded */
    int64_t price;        /* per unit: the override or the base price */
    int available;        /* counter, else limit - confirmed; never negative */
} slot_state;

/* Resolves the slot [start, end) (a row of a sparse resource says its own end). 0, or
 * -1 when the model cannot say: outside the window, or (single-slot) no such slot. */
int slot_resolve(const slot_source *src, int64_t start, int64_t end, slot_state *out);

/* The count slots whose times are `times` (price_slots_at of a span) as price_quote
 * wants them: times with each slot's price, capacity and availability. Returns the
 * minimum available over them, or -1 when a slot cannot be resolved. */
int slot_range(const slot_source *src, const price_slot *times, int count, price_slot *out);

/* Sparse rows with start in [from, to): *first is the index of the first, returns how many. */
int slot_rows_between(const slot_rows *rows, int64_t from, int64_t to, int *first);

#endif
