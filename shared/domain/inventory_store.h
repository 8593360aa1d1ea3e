/* inventory_store.h — SQL over the booking schema's catalogue that booking-svc,
 * search-svc and expiry-svc all read: resources, and per-slot capacity, confirmed count
 * and price override. */
#ifndef SHARED_INVENTORY_STORE_H
#define SHARED_INVENTORY_STORE_H

#include <stdint.h>

#include "booking/v1/common.pb-c.h"
#include "pg.h"

typedef enum row_lock { LOCK_NONE, LOCK_SHARE, LOCK_UPDATE } row_lock;

/* Loads a resource: 1 found (*out unpacked with alloc, created_at/updated_at filled),
 * 0 not found, -1 on error. lock: FOR SHARE / FOR UPDATE inside a transaction. */
int inventory_load_resource(pg_conn *pg, const char *resource_id, row_lock lock, ProtobufCAllocator *alloc,
                            Booking__V1__Resource **out);
/* The same, also setting *version (bumped by every change of the resource). */
int inventory_load_versioned(pg_conn *pg, const char *resource_id, row_lock lock, ProtobufCAllocator *alloc,
                             Booking__V1__Resource **out, int64_t *version);

/* One slot. A slot without a row (exists = 0) has the resource's capacity, nothing
 * confirmed and the base price; so has, for its capacity, a row that inherits. */
typedef struct slot_row {
    int64_t start, end;    /* Unix seconds */
    int total;
    int limit;             /* the sell limit: total plus the overbooking allowance */
    int confirmed;
    int64_t price_minor;   /* override, or -1 for the base price */
    int exists;
    int inherits;          /* the row's capacity follows the resource's (made by a booking) */
} slot_row;

/* Loads the slots starting at starts[0..n) and ending at ends[0..n) into out, filling
 * rows that do not exist with default_capacity and the resource's overbooking_percent
 * (and their end from ends; ends NULL: their start, for callers that need no ends).
 * 0, or -1 on a store error. */
int inventory_load_slots(pg_conn *pg, const char *resource_id, const int64_t *starts, int n, const int64_t *ends,
                         int default_capacity, int overbooking_percent, slot_row *out);
/* Opens a transaction, locks the resource FOR UPDATE (*locked, *version) and loads its
 * slots as inventory_load_slots does with the locked row's capacity (0 when single)
 * and overbooking_percent, in one round trip. 1, 0 (no such resource) or -1; the
 * transaction stays open whatever the outcome (the caller commits or rolls back). */
int inventory_lock_slots_for_load(pg_conn *pg, const char *resource_id, const int64_t *starts, int n,
                                  const int64_t *ends, int single, ProtobufCAllocator *alloc,
                                  Booking__V1__Resource **locked, int64_t *version, slot_row *out);

/* Loads the rows that exist with slot_start in [from, to), ordered by start; *count is
 * set to how many (at most cap). 0 or -1. */
int inventory_load_range(pg_conn *pg, const char *resource_id, int64_t from, int64_t to, slot_row *out, int cap,
                         int *count);

/* Writes "{1,2,3}" (a bigint[] literal) of n values into a malloc'd string. */
char *int64_array_literal(const int64_t *values, int n);

#endif
