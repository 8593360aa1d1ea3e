/* catalog_cache.c — resources in memory: a hash table of packed messages under a
 * read-write lock, each with a small open-addressing table of its slots' info; cleared
 * whole when it reaches CATALOG_MAX entries. */
#include "catalog_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_store.h"

#define BUCKETS 4096
#define CATALOG_MAX 200000
#define SLOTS_CAP 2048  /* slot infos kept per resource (a power of two); more are not kept */

typedef struct slot_cell {
    int64_t start;  /* 0 = empty */
    slot_info info;
} slot_cell;

typedef struct entry {
    struct entry *next;
    char *id;
    uint8_t *packed;
    size_t len;
    int64_t version;
    slot_cell *slots;  /* SLOTS_CAP cells, allocated on the first put */
    int slot_count;
} entry;

struct catalog_cache {
    pthread_rwlock_t lock;
    entry *buckets[BUCKETS];
    size_t count;
};

static uint32_t bucket_of(const char *id)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % BUCKETS;
}

catalog_cache *catalog_cache_new(void)
{
    catalog_cache *c = calloc(1, sizeof *c);
    pthread_rwlock_init(&c->lock, NULL);
    return c;
}

static void entry_free(entry *e)
{
    free(e->id);
    free(e->packed);
    free(e->slots);
    free(e);
}

static void clear_all(catalog_cache *c)
{
    for (int b = 0; b < BUCKETS; b++)
        for (entry *e = c->buckets[b], *next; e; e = next) {
            next = e->next;
            entry_free(e);
        }
    memset(c->buckets, 0, sizeof c->buckets);
    c->count = 0;
}

void catalog_cache_free(catalog_cache *c)
{
    if (!c)
        return;
    clear_all(c);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

/* Unpacks a cached copy; 1 found, 0 not cached. */
static int lookup(catalog_cache *c, const char *id, ProtobufCAllocator *alloc, Booking__V1__Resource **out,
                  int64_t *version)
{
    int found = 0;
    pthread_rwlock_rdlock(&c->lock);
    for (entry *e = c->buckets[bucket_of(id)]; e && !found; e = e->next)
        if (strcmp(e->id, id) == 0) {
            *out = booking__v1__resource__unpack(alloc, e->len, e->packed);
            *version = e->version;
            found = *out != NULL;
        }
    pthread_rwlock_unlock(&c->lock);
    return found;
}

/* Removes id's entry (under the write lock). */
static void unlink_entry(catalog_cache *c, const char *id)
{
    for (entry **p = &c->buckets[bucket_of(id)]; *p; p = &(*p)->next)
        if (strcmp((*p)->id, id) == 0) {
            entry *gone = *p;
            *p = gone->next;
            entry_free(gone);
            c->count--;
            return;
        }
}

static void remember(catalog_cache *c, const char *id, const Booking__V1__Resource *r, int64_t version)
{
    entry *e = calloc(1, sizeof *e);
    e->id = strdup(id);
    e->len = protobuf_c_message_get_packed_size(&r->base);
    e->packed = malloc(e->len + 1);
    protobuf_c_message_pack(&r->base, e->packed);
    e->version = version;
    pthread_rwlock_wrlock(&c->lock);
    unlink_entry(c, id);
    if (c->count >= CATALOG_MAX)
        clear_all(c);
    uint32_t b = bucket_of(id);
    e->next = c->buckets[b];
    c->buckets[b] = e;
    c->count++;
    pthread_rwlock_unlock(&c->lock);
}

int catalog_get(catalog_cache *c, pg_conn *pg, const char *resource_id, int refresh, ProtobufCAllocator *alloc,
                Booking__V1__Resource **out, int64_t *version)
{
    if (!refresh && lookup(c, resource_id, alloc, out, version))
        return 1;
    int found = inventory_load_versioned(pg, resource_id, LOCK_NONE, alloc, out, version);
    if (found == 1)
        remember(c, resource_id, *out, *version);
    return found;
}

void catalog_forget(catalog_cache *c, const char *resource_id)
{
    pthread_rwlock_wrlock(&c->lock);
    unlink_entry(c, resource_id);
    pthread_rwlock_unlock(&c->lock);
}

/* The entry of id (under the lock), or NULL. */
static entry *find(catalog_cache *c, const char *id)
{
    for (entry *e = c->buckets[bucket_of(id)]; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

static slot_cell *cell_of(entry *e, int64_t start, int insert)
{
    uint32_t i = (uint32_t)((uint64_t)start / 60 * 2654435761u) & (SLOTS_CAP - 1);
    for (int probes = 0; probes < SLOTS_CAP; probes++, i = (i + 1) & (SLOTS_CAP - 1)) {
        if (e->slots[i].start == start)
            return &e->slots[i];
        if (e->slots[i].start == 0)
            return insert && e->slot_count < SLOTS_CAP / 2 ? &e->slots[i] : NULL;
    }
    return NULL;
}

void catalog_put_slots(catalog_cache *c, const char *resource_id, int64_t version, const int64_t *slots,
                       const slot_info *info, int n)
{
    pthread_rwlock_wrlock(&c->lock);
    entry *e = find(c, resource_id);
    if (e && e->version == version) {
        if (!e->slots)
            e->slots = calloc(SLOTS_CAP, sizeof *e->slots);
        for (int i = 0; i < n; i++) {
            slot_cell *cell = slots[i] ? cell_of(e, slots[i], 1) : NULL;
            if (cell && cell->start == 0) {
                cell->start = slots[i];
                e->slot_count++;
            }
            if (cell)
                cell->info = info[i];
        }
    }
    pthread_rwlock_unlock(&c->lock);
}

int catalog_get_slots(catalog_cache *c, const char *resource_id, int64_t version, const int64_t *slots,
                      slot_info *out, int n)
{
    int known = 0;
    pthread_rwlock_rdlock(&c->lock);
    entry *e = find(c, resource_id);
    if (e && e->version == version && e->slots)
        for (known = 1; known && n-- > 0;) {
            slot_cell *cell = cell_of(e, slots[n], 0);
            known = cell != NULL;
            if (known)
                out[n] = cell->info;
        }
    pthread_rwlock_unlock(&c->lock);
    return known;
}
