/* model_index.c — building and querying views: an id table, (type, city) buckets and
 * a 1-degree geo grid, each a compact array of entry pointers. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "geo.h"

#define CELLS (GEO_ROWS * GEO_COLS)

static size_t table_size(size_t n)
{
    size_t size = 16;
    while (size < n * 2)
        size *= 2;
    return size;
}

static void build_table(model_view *v)
{
    size_t size = table_size(v->count);
    v->table = calloc(size, sizeof *v->table);
    v->table_mask = size - 1;
    for (size_t k = 0; k < v->count; k++) {
        size_t i = model_hash(v->entries[k]->id) & v->table_mask;
        while (v->table[i])
            i = (i + 1) & v->table_mask;
        v->table[i] = v->entries[k];
    }
}

static size_t bucket_slot(const model_view *v, int type, const char *city)
{
    size_t i = (model_hash(city) * 31 + (size_t)type) & v->bucket_mask;
    while (v->buckets[i].city && (v->buckets[i].type != type || strcmp(v->buckets[i].city, city) != 0))
        i = (i + 1) & v->bucket_mask;
    return i;
}

static const res_meta *meta_of(const model_entry *e) { return atomic_load(&((model_entry *)e)->meta); }

/* Two passes: count per bucket, then place (entries keep their id order). */
static void build_buckets(model_view *v)
{
    size_t size = table_size(v->count);
    v->buckets = calloc(size, sizeof *v->buckets);
    v->bucket_mask = size - 1;
    size_t *slot = malloc(sizeof *slot * (v->count + 1));
    for (size_t k = 0; k < v->count; k++) {
        const res_meta *m = meta_of(v->entries[k]);
        city_bucket *b = &v->buckets[slot[k] = bucket_slot(v, m->facts.resource_type, m->city)];
        if (!b->city) {
            b->city = strdup(m->city);
            b->type = m->facts.resource_type;
        }
        b->count++;
    }
    uint32_t next = 0;
    for (size_t i = 0; i < size; i++) {
        v->buckets[i].first = next;
        next += v->buckets[i].count;
        v->buckets[i].count = 0;
    }
    v->bucket_items = malloc(sizeof *v->bucket_items * (v->count + 1));
    for (size_t k = 0; k < v->count; k++) {
        city_bucket *b = &v->buckets[slot[k]];
        v->bucket_items[b->first + b->count++] = v->entries[k];
    }
    free(slot);
}

static int cell_of(const model_entry *e)
{
    const res_meta *m = meta_of(e);
    return geo_row(m->facts.lat) * GEO_COLS + geo_col(m->facts.lon);
}

static void build_grid(model_view *v)
{
    v->cells = calloc(CELLS + 1, sizeof *v->cells);
    v->cell_items = malloc(sizeof *v->cell_items * (v->count + 1));
    for (size_t k = 0; k < v->count; k++)
        v->cells[cell_of(v->entries[k]) + 1]++;
    for (int c = 0; c < CELLS; c++)
        v->cells[c + 1] += v->cells[c];
    uint32_t *fill = calloc(CELLS, sizeof *fill);
    for (size_t k = 0; k < v->count; k++) {
        int c = cell_of(v->entries[k]);
        v->cell_items[v->cells[c] + fill[c]++] = v->entries[k];
    }
    free(fill);
}

model_view *view_build(model_entry *const *entries, size_t n)
{
    model_view *v = calloc(1, sizeof *v);
    v->count = n;
    v->entries = malloc(sizeof *v->entries * (n + 1));
    if (n)
        memcpy(v->entries, entries, sizeof *entries * n);
    build_table(v);
    build_buckets(v);
    build_grid(v);
    return v;
}

void view_free(void *p)
{
    model_view *v = p;
    if (!v)
        return;
    for (size_t i = 0; i <= v->bucket_mask; i++)
        free(v->buckets[i].city);
    free(v->buckets);
    free(v->bucket_items);
    free(v->cells);
    free(v->cell_items);
    free(v->table);
    free(v->entries);
    free(v);
}

model_entry *view_find(const model_view *v, const char *id)
{
    for (size_t i = model_hash(id) & v->table_mask; v->table[i]; i = (i + 1) & v->table_mask)
        if (strcmp(v->table[i]->id, id) == 0)
            return v->table[i];
    return NULL;
}

size_t view_city(const model_view *v, int type, const char *city, model_entry *const **items)
{
    const city_bucket *b = &v->buckets[bucket_slot(v, type, city)];
    *items = v->bucket_items + b->first;
    return b->city ? b->count : 0;
}
