/* model_index.c — building and querying views: an id table, (type, city) buckets and
 * a 1-degree geo grid, each an array of compact search rows, and the dictionary of
 * the most common amenities the rows' amenity bits refer to. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "model_mem.h"

#define CELLS (GEO_ROWS * GEO_COLS)

static size_t table_size(size_t n)
{
    size_t size = 16;
    while (size < n * 2)
        size *= 2;
    return size;
}

static const res_meta *meta_of(const model_entry *e) { return atomic_load(&((model_entry *)e)->meta); }

static void build_table(model_view *v)
{
    size_t size = table_size(v->count);
    v->table = mm_alloc(size * sizeof *v->table);
    v->table_mask = size - 1;
    for (size_t k = 0; k < v->count; k++) {
        size_t i = model_hash(v->entries[k]->id) & v->table_mask;
        while (v->table[i])
            i = (i + 1) & v->table_mask;
        v->table[i] = v->entries[k];
    }
}

typedef struct name_count {
    char *name;
    size_t count;
} name_count;

static int by_count(const void *a, const void *b)
{
    const name_count *x = a, *y = b;
    return x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->name, y->name);
}

/* The AMENITY_BITS most common amenity names (a linear tally: names are few). */
static void build_dict(model_view *v)
{
    size_t n = 0, cap = 64;
    name_count *all = malloc(sizeof *all * cap);
    for (size_t k = 0; k < v->count; k++) {
        const res_meta *m = meta_of(v->entries[k]);
        for (size_t a = 0; a < m->res->n_amenities; a++) {
            size_t i = 0;
            while (i < n && strcmp(all[i].name, m->amenities[a]) != 0)
                i++;
            if (i == n && n == cap)
                all = realloc(all, sizeof *all * (cap *= 2));
            if (i == n)
                all[n++] = (name_count){m->amenities[a], 0};
            all[i].count++;
        }
    }
    qsort(all, n, sizeof *all, by_count);
    v->dict_len = n < AMENITY_BITS ? n : AMENITY_BITS;
    for (size_t i = 0; i < v->dict_len; i++)
        v->dict[i] = all[i].name;
    free(all);
}

static search_row row_of(const model_view *v, model_entry *e)
{
    const res_meta *m = meta_of(e);
    const Booking__V1__Resource *r = m->res;
    search_row row = {
        .facts = {.lat = r->latitude, .lon = r->longitude, .rating = r->rating,
                  .amenity_bits = amenity_bits_of(m->amenities, r->n_amenities, (char *const *)v->dict, v->dict_len),
                  .amenities = m->amenities, .n_amenities = (uint32_t)r->n_amenities,
                  .resource_type = (uint8_t)r->resource_type,
                  .active = r->status == BOOKING__V1__RESOURCE_STATUS__RESOURCE_STATUS_ACTIVE},
        .entry = e, .meta = m, .pricing = r->pricing, .clock = m->has_clock ? &m->clock : NULL,
        .base_price = r->base_price->amount_minor,
        .capacity = r->capacity, .slot_minutes = r->slot_minutes, .max_quantity = r->max_quantity_per_hold};
    memcpy(row.facts.currency, r->base_price->currency, strnlen(r->base_price->currency, 3));
    return row;
}

static size_t bucket_slot(const model_view *v, int type, const char *city)
{
    size_t i = (model_hash(city) * 31 + (size_t)type) & v->bucket_mask;
    while (v->buckets[i].city && (v->buckets[i].type != type || strcmp(v->buckets[i].city, city) != 0))
        i = (i + 1) & v->bucket_mask;
    return i;
}

/* Two passes: count per bucket, then place (rows keep their id order). */
static void build_buckets(model_view *v, const search_row *rows)
{
    size_t size = table_size(v->count);
    v->buckets = mm_alloc(size * sizeof *v->buckets);
    v->bucket_mask = size - 1;
    size_t *slot = malloc(sizeof *slot * (v->count + 1));
    for (size_t k = 0; k < v->count; k++) {
        const res_meta *m = rows[k].meta;
        city_bucket *b = &v->buckets[slot[k] = bucket_slot(v, rows[k].facts.resource_type, m->city)];
        b->city = m->city;
        b->type = rows[k].facts.resource_type;
        b->count++;
    }
    uint32_t next = 0;
    for (size_t i = 0; i < size; i++) {
        v->buckets[i].first = next;
        next += v->buckets[i].count;
        v->buckets[i].count = 0;
    }
    v->bucket_rows = mm_alloc(sizeof *v->bucket_rows * (v->count + 1));
    for (size_t k = 0; k < v->count; k++) {
        city_bucket *b = &v->buckets[slot[k]];
        v->bucket_rows[b->first + b->count++] = rows[k];
    }
    free(slot);
}

static int cell_of(const search_row *row) { return geo_row(row->facts.lat) * GEO_COLS + geo_col(row->facts.lon); }

static void build_grid(model_view *v, const search_row *rows)
{
    v->cells = mm_alloc((CELLS + 1) * sizeof *v->cells);
    v->cell_rows = mm_alloc(sizeof *v->cell_rows * (v->count + 1));
    for (size_t k = 0; k < v->count; k++)
        v->cells[cell_of(&rows[k]) + 1]++;
    for (int c = 0; c < CELLS; c++)
        v->cells[c + 1] += v->cells[c];
    uint32_t *fill = calloc(CELLS, sizeof *fill);
    for (size_t k = 0; k < v->count; k++) {
        int c = cell_of(&rows[k]);
        v->cell_rows[v->cells[c] + fill[c]++] = rows[k];
    }
    free(fill);
}

model_view *view_build(model_entry *const *entries, size_t n)
{
    model_view *v = mm_alloc(sizeof *v);
    v->count = n;
    v->entries = mm_alloc(sizeof *v->entries * (n + 1));
    if (n)
        memcpy(v->entries, entries, sizeof *entries * n);
    build_table(v);
    build_dict(v);
    search_row *rows = malloc(sizeof *rows * (n + 1));
    for (size_t k = 0; k < n; k++)
        rows[k] = row_of(v, v->entries[k]);
    build_buckets(v, rows);
    build_grid(v, rows);
    free(rows);
    return v;
}

void view_free(void *p)
{
    model_view *v = p;
    if (!v)
        return;
    mm_free(v->buckets);
    mm_free(v->bucket_rows);
    mm_free(v->cells);
    mm_free(v->cell_rows);
    mm_free(v->table);
    mm_free(v->entries);
    mm_free(v);
}

model_entry *view_find(const model_view *v, const char *id)
{
    for (size_t i = model_hash(id) & v->table_mask; v->table[i]; i = (i + 1) & v->table_mask)
        if (strcmp(v->table[i]->id, id) == 0)
            return v->table[i];
    return NULL;
}

size_t view_city(const model_view *v, int type, const char *city, const search_row **rows)
{
    const city_bucket *b = &v->buckets[bucket_slot(v, type, city)];
    *rows = v->bucket_rows + b->first;
    return b->city ? b->count : 0;
}
