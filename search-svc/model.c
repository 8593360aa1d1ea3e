/* model.c — entries, their atomic parts, and publication of views (writer side), with
 * memory accounting for the model-size metrics. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebr.h"
#include "model_mem.h"

uint64_t model_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

model *model_new(int horizon_days)
{
    model *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->horizon_days = horizon_days;
    pthread_mutex_init(&m->applied_lock, NULL);
    for (int p = 0; p < HOLD_PARTITIONS; p++)
        snprintf(m->applied[p], STREAM_ID_MAX, "0-0");
    m->map_mask = 1023;
    m->map = calloc(m->map_mask + 1, sizeof *m->map);
    atomic_store(&m->view, view_build(NULL, 0));
    return m;
}

static void entry_free(model_entry *e)
{
    res_meta_free(atomic_load(&e->meta));
    slot_rows_free(atomic_load(&e->rows));
    slot_counters_free(atomic_load(&e->counters));
    mm_free(e);
}

void model_free(model *m)
{
    if (!m)
        return;
    ebr_drain();
    for (size_t i = 0; i < m->replaced_count; i++)
        res_meta_free(m->replaced[i]);
    free(m->replaced);
    view_free(atomic_load(&m->view));
    for (size_t i = 0; i <= m->map_mask; i++)
        if (m->map[i])
            entry_free(m->map[i]);
    free(m->map);
    pthread_mutex_destroy(&m->applied_lock);
    free(m);
    mm_release_all();
}

static void map_insert(model_entry **map, size_t mask, model_entry *e)
{
    size_t i = model_hash(e->id) & mask;
    while (map[i])
        i = (i + 1) & mask;
    map[i] = e;
}

static void map_grow(model *m)
{
    size_t mask = m->map_mask * 2 + 1;
    model_entry **map = calloc(mask + 1, sizeof *map);
    for (size_t i = 0; i <= m->map_mask; i++)
        if (m->map[i])
            map_insert(map, mask, m->map[i]);
    free(m->map);
    m->map = map;
    m->map_mask = mask;
}

model_entry *model_entry_get(model *m, const char *id, int create)
{
    if (!id || strlen(id) > MODEL_ID_MAX)
        return NULL;
    for (size_t i = model_hash(id) & m->map_mask; m->map[i]; i = (i + 1) & m->map_mask)
        if (strcmp(m->map[i]->id, id) == 0)
            return m->map[i];
    if (!create)
        return NULL;
    if ((m->map_count + 1) * 2 > m->map_mask + 1)
        map_grow(m);
    model_entry *e = mm_alloc(sizeof *e); /* 64-byte aligned: one line holds the hot fields */
    snprintf(e->id, sizeof e->id, "%s", id);
    e->partition = hold_partition(id);
    map_insert(m->map, m->map_mask, e);
    m->map_count++;
    return e;
}

static void free_meta(void *p) { res_meta_free(p); }

/* The old meta may be in the current view's rows: it is retired with that view. */
void model_set_meta(model *m, model_entry *e, res_meta *meta)
{
    res_meta *old = atomic_exchange(&e->meta, meta);
    m->view_stale = 1;
    atomic_fetch_add(&m->bytes, (int64_t)(meta ? meta->bytes : 0) - (int64_t)(old ? old->bytes : 0));
    if (!old)
        return;
    if (m->replaced_count == m->replaced_cap) {
        m->replaced_cap = m->replaced_cap ? m->replaced_cap * 2 : 64;
        m->replaced = realloc(m->replaced, sizeof *m->replaced * m->replaced_cap);
    }
    m->replaced[m->replaced_count++] = old;
}

void model_set_rows(model *m, model_entry *e, slot_rows *rows)
{
    slot_rows *old = atomic_exchange(&e->rows, rows);
    atomic_fetch_add(&m->bytes, (int64_t)(rows ? rows->bytes : 0) - (int64_t)(old ? old->bytes : 0));
    atomic_fetch_add(&m->slot_count, (long)(rows ? rows->n : 0) - (long)(old ? old->n : 0));
    ebr_retire(old, slot_rows_free);
}

void model_set_counters(model *m, model_entry *e, slot_counters *counters)
{
    slot_counters *old = atomic_exchange(&e->counters, counters);
    atomic_fetch_add(&m->bytes, (int64_t)(counters ? counters->bytes : 0) - (int64_t)(old ? old->bytes : 0));
    ebr_retire(old, slot_counters_free);
}

static int by_id(const void *a, const void *b)
{
    return strcmp((*(model_entry *const *)a)->id, (*(model_entry *const *)b)->id);
}

void model_publish(model *m)
{
    if (!m->view_stale)
        return;
    model_entry **live = malloc(sizeof *live * (m->map_count + 1));
    size_t n = 0;
    for (size_t i = 0; i <= m->map_mask; i++)
        if (m->map[i] && atomic_load(&m->map[i]->meta) && atomic_load(&m->map[i]->rows))
            live[n++] = m->map[i];
    qsort(live, n, sizeof *live, by_id);
    model_view *old = atomic_exchange(&m->view, view_build(live, n));
    free(live);
    ebr_retire(old, view_free);
    for (size_t i = 0; i < m->replaced_count; i++)
        ebr_retire(m->replaced[i], free_meta);
    m->replaced_count = 0;
    m->view_stale = 0;
}

void model_each(model *m, void (*fn)(model_entry *e, void *ctx), void *ctx)
{
    for (size_t i = 0; i <= m->map_mask; i++)
        if (m->map[i])
            fn(m->map[i], ctx);
}

const model_view *model_view_get(const model *m) { return atomic_load_explicit(&((model *)m)->view, memory_order_acquire); }

void model_applied_get(model *m, int partition, char out[STREAM_ID_MAX])
{
    pthread_mutex_lock(&m->applied_lock);
    memcpy(out, m->applied[partition], STREAM_ID_MAX);
    pthread_mutex_unlock(&m->applied_lock);
}

void model_applied_set(model *m, int partition, const char *id)
{
    pthread_mutex_lock(&m->applied_lock);
    snprintf(m->applied[partition], STREAM_ID_MAX, "%s", id);
    pthread_mutex_unlock(&m->applied_lock);
}
