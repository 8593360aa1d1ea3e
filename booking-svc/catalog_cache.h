/* catalog_cache.h — booking-svc's copy of the resources it sells, so that CreateHold
 * needs no PostgreSQL round trip: each resource packed with its version, read from
 * PostgreSQL on first use and again when the hold cache shows slot info loaded for
 * another version (hold_create.lua answers STALE); and the slot info (capacity, price)
 * Redis answered for that version, so a hold can be priced before its units are taken.
 * A version's slot info never changes (every change of capacity or price makes a new
 * version). Thread-safe. */
#ifndef BOOKING_SVC_CATALOG_CACHE_H
#define BOOKING_SVC_CATALOG_CACHE_H

#include <stdint.h>

#include "booking/v1/common.pb-c.h"
#include "pg.h"

typedef struct catalog_cache catalog_cache;

catalog_cache *catalog_cache_new(void);
void catalog_cache_free(catalog_cache *c);

/* The resource unpacked with alloc, and its version: from memory, or from PostgreSQL
 * (then remembered) when unknown or `refresh` is set. 1 found, 0 unknown, -1 on a
 * store error. */
int catalog_get(catalog_cache *c, pg_conn *pg, const char *resource_id, int refresh, ProtobufCAllocator *alloc,
                Booking__V1__Resource **out, int64_t *version);
/* Forgets the resource (it changed here). */
void catalog_forget(catalog_cache *c, const char *resource_id);

/* One slot's info under a version of its resource. */
typedef struct slot_info {
    int total;
    int64_t price;  /* override, -1 = the base price */
    int64_t end;    /* where the slot ends (single-slot resources: 0 = no such slot) */
} slot_info;

/* Remembers what Redis said of these slots under `version` (ignored when the cached
 * resource has another version). */
void catalog_put_slots(catalog_cache *c, const char *resource_id, int64_t version, const int64_t *slots,
                       const slot_info *info, int n);
/* 1 when every slot's info under `version` is known (out filled), else 0. */
int catalog_get_slots(catalog_cache *c, const char *resource_id, int64_t version, const int64_t *slots,
                      slot_info *out, int n);

#endif
