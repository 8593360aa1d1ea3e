/* model.h — the read model: one entry per resource holding three immutable parts
 * (meta, PostgreSQL rows, Redis counters) behind atomic pointers, and an immutable
 * view (the index over entries) swapped whole. Readers (RPC workers) take no lock:
 * they read inside ebr_enter/ebr_exit. One writer (the refresher) replaces parts and
 * retires the old ones; the model_set_* and model_entry_get functions are for it only. */
#ifndef SEARCH_SVC_MODEL_H
#define SEARCH_SVC_MODEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "hold_cache.h"
#include "resource_meta.h"
#include "slot_data.h"

#define MODEL_ID_MAX 64
#define STREAM_ID_MAX 48

typedef struct model_entry {
    char id[MODEL_ID_MAX + 1];
    int partition;
    _Atomic(res_meta *) meta;            /* NULL until loaded, or when deleted */
    _Atomic(slot_rows *) rows;
    _Atomic(slot_counters *) counters;   /* NULL: no counter loaded */
    _Atomic int behind;                  /* a PostgreSQL reload is pending */
    /* the writer's bookkeeping */
    int64_t pg_loaded_ms;                /* last PostgreSQL load */
    int64_t pg_due_ms;                   /* > 0: reload due at this time */
    int64_t noticed_ms;                  /* > 0: oldest change not yet applied */
    int want_counters;
    int queued;                          /* on the writer's work list */
} model_entry;

typedef struct city_bucket {
    char *city;          /* lower-case; NULL = empty bucket */
    int type;
    uint32_t first, count;
} city_bucket;

/* An immutable index over the entries that have a meta. */
typedef struct model_view {
    size_t count;
    model_entry **entries;       /* by id (strcmp) */
    model_entry **table;         /* open addressing by id */
    size_t table_mask;
    city_bucket *buckets;        /* open addressing by (type, city) */
    size_t bucket_mask;
    model_entry **bucket_items;
    uint32_t *cells;             /* GEO_ROWS * GEO_COLS + 1 offsets into cell_items */
    model_entry **cell_items;
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
    int view_stale;                  /* entries or places changed since the view */
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
/* Writer: rebuilds and publishes the view when entries or places changed. */
void model_publish(model *m);
/* Writer: calls fn for every entry. */
void model_each(model *m, void (*fn)(model_entry *e, void *ctx), void *ctx);

/* Reader (inside ebr_enter/exit): the current view, and an entry by id. */
const model_view *model_view_get(const model *m);
model_entry *view_find(const model_view *v, const char *id);
/* The entries of a (type, lower-case city) bucket; returns how many. */
size_t view_city(const model_view *v, int type, const char *city, model_entry *const **items);

/* The last applied stream id of a partition (copied into out). */
void model_applied_get(model *m, int partition, char out[STREAM_ID_MAX]);
void model_applied_set(model *m, int partition, const char *id);

/* Builds a view over n entries (sorted by id); free with view_free. */
model_view *view_build(model_entry *const *entries, size_t n);
void view_free(void *view);

uint64_t model_hash(const char *s);

#endif
