/* model.h — the read model: one entry per resource holding three immutable parts
 * (meta, PostgreSQL rows, Redis counters) behind atomic pointers, and an immutable
 * view swapped whole: the index, whose compact search rows carry each resource's
 * searchable facts and its meta as of the view. Readers (RPC workers) take no lock:
 * they read inside ebr_enter/ebr_exit. One writer (the refresher) replaces parts and
 * retires the old ones (a replaced meta only after the view that may show it); the
 * model_set_*, model_publish and model_entry_get functions are for it only. */
#ifndef SEARCH_SVC_MODEL_H
#define SEARCH_SVC_MODEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "filters.h"
#include "hold_cache.h"
#include "resource_meta.h"
#include "slot_data.h"

#define MODEL_ID_MAX 64
#define STREAM_ID_MAX 48

/* Hot fields first: a query reads rows, counters and the id from one cache line. */
typedef struct model_entry {
    _Atomic(slot_rows *) rows;
    _Atomic(slot_counters *) counters;   /* NULL: no counter loaded */
    _Atomic(res_meta *) meta;            /* NULL until loaded, or when deleted */
    _Atomic int behind;                  /* a PostgreSQL reload is pending */
    int partition;
    char id[MODEL_ID_MAX + 1];
    /* the writer's bookkeeping */
    int want_counters;
    int queued;                          /* on the writer's work list */
    int64_t pg_loaded_ms;                /* last PostgreSQL load */
    int64_t pg_due_ms;                   /* > 0: reload due at this time */
    int64_t noticed_ms;                  /* > 0: oldest change not yet applied */
} model_entry;

/* One resource as a query scans it: filters read only this row; the slots come from
 * the entry. meta and pricing stay valid as long as the view does. */
typedef struct search_row {
    resource_facts facts;
    model_entry *entry;
    const res_meta *meta;
    const Booking__V1__PricingRules *pricing;
    const resource_clock *clock;         /* the meta's; NULL: its zone is unknown (never a result) */
    int64_t base_price;
    int32_t capacity, slot_minutes, max_quantity;
} search_row;

typedef struct city_bucket {
    const char *city;    /* lower-case (a meta's); NULL = empty bucket */
    int type;
    uint32_t first, count;
} city_bucket;

/* An immutable index over the entries that have a meta and rows. */
typedef struct model_view {
    size_t count;
    model_entry **entries;       /* by id (strcmp) */
    model_entry **table;         /* open addressing by id */
    size_t table_mask;
    city_bucket *buckets;        /* open addressing by (type, city) */
    size_t bucket_mask;
    search_row *bucket_rows;     /* grouped by bucket */
    uint32_t *cells;             /* GEO_ROWS * GEO_COLS + 1 offsets into cell_rows */
    search_row *cell_rows;       /* grouped by grid cell */
    char *dict[AMENITY_BITS];    /* the most common amenities (a meta's strings) */
    size_t dict_len;
} model_view;

typedef struct model {
    _Atomic(model_view *) view;
    _Atomic int64_t watermark_ms;    /* every change noticed before it is applied */
    _Atomic int ready;               /* the first full load finished */
    _Atomic long slot_count;
    _Atomic int64_t bytes;
    int horizon_days;
    pthread_mutex_t applied_lock;
    char applied[HOLD_PARTITIONS][STREAM_ID_MAX]; /* last change-stream id applied */
    /* writer only */
    model_entry **map;               /* every entry ever seen, open addressing */
    size_t map_mask, map_count;
    int view_stale;                  /* metas changed since the view */
    res_meta **replaced;             /* metas the current view may still show */
    size_t replaced_count, replaced_cap;
} model;

model *model_new(int horizon_days);
/* Frees everything; no reader or writer may run. */
void model_free(model *m);

/* Writer: the entry of id, created (without data) when create is set. NULL when absent
 * or id is longer than MODEL_ID_MAX. */
model_entry *model_entry_get(model *m, const char *id, int create);
/* Writer: replace one part (ownership passes to the model; the old one is retired). */
void model_set_meta(model *m, model_entry *e, res_meta *meta);
void model_set_rows(model *m, model_entry *e, slot_rows *rows);
void model_set_counters(model *m, model_entry *e, slot_counters *counters);
/* Writer: rebuilds and publishes the view when metas changed, then retires the view
 * and metas it replaces. */
void model_publish(model *m);
/* Writer: calls fn for every entry. */
void model_each(model *m, void (*fn)(model_entry *e, void *ctx), void *ctx);

/* Reader (inside ebr_enter/exit): the current view, and an entry by id. */
const model_view *model_view_get(const model *m);
model_entry *view_find(const model_view *v, const char *id);
/* The rows of a (type, lower-case city) bucket; returns how many. */
size_t view_city(const model_view *v, int type, const char *city, const search_row **rows);

/* The last applied stream id of a partition (copied into out). */
void model_applied_get(model *m, int partition, char out[STREAM_ID_MAX]);
void model_applied_set(model *m, int partition, const char *id);

/* Builds a view over n entries (sorted by id; each has a meta and rows); free with view_free. */
model_view *view_build(model_entry *const *entries, size_t n);
void view_free(void *view);

uint64_t model_hash(const char *s);

#endif
