/* catalog_cache.h — booking-svc's copy of the resources it sells, so that CreateHold
 * needs no PostgreSQL round trip: each resource packed with its version, read from
 * PostgreSQL on first use and again when the hold cache shows slot info loaded for
 * another version (hold_create.lua answers STALE). Thread-safe. */
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

#endif
