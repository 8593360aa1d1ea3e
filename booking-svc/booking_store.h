/* booking_store.h — booking-svc's SQL: resources, inventory writes, and reads of hold
 * history (the recorder writes it: recorder_store.h). Every statement is parameterised. */
#ifndef BOOKING_SVC_BOOKING_STORE_H
#define BOOKING_SVC_BOOKING_STORE_H

#include <stdint.h>

#include "booking/v1/booking.pb-c.h"
#include "ids.h"
#include "inventory_store.h"
#include "pg.h"

/* 1 inserted, 0 when the id exists, -1 on a store error. */
int store_resource_insert(pg_conn *pg, const Booking__V1__Resource *r);
/* Rewrites the resource and bumps its version; 0 or -1. */
int store_resource_update(pg_conn *pg, const Booking__V1__Resource *r);

/* How many slots in [from, to) have more confirmed units than total; -1 on error. */
int store_slots_confirmed_above(pg_conn *pg, const char *resource_id, int64_t from, int64_t to, int total);
/* Sets total capacity and price override (-1 = base price) of the slots starting at
 * starts[0..n); creates missing rows. Returns the rows written or -1. */
int store_slots_set(pg_conn *pg, const char *resource_id, const int64_t *starts, int n, const int64_t *ends,
                    int total, int64_t price_minor);
/* The resource's version moves on (its slots' capacity or price changed). 0 or -1. */
int store_resource_bump_version(pg_conn *pg, const char *resource_id);
/* Moves the slot rows that follow the resource's capacity to `capacity`: 0 done, 1 when
 * one of them has more confirmed units than that (nothing changed), -1 on error. */
int store_slots_follow_capacity(pg_conn *pg, const char *resource_id, int capacity);
/* For single-slot resources: 1 when a slot other than [start, end) overlaps it. */
int store_slot_overlaps(pg_conn *pg, const char *resource_id, int64_t start, int64_t end);

typedef struct hold_row {
    char hold_id[ID_MAX + 1];
    char user_id[160];
    char resource_id[ID_MAX + 1];
    int64_t start_time, end_time, expires_at, created_at;
    int quantity;
    int status;                 /* Booking__V1__HoldStatus */
    char booking_id[ID_MAX + 1];
    Booking__V1__Price *quote;  /* unpacked into the caller's allocator; NULL when never priced */
} hold_row;

/* A hold's history row (the latest state the recorder wrote). 1 found, 0 not found,
 * -1 error. */
int store_hold_load(pg_conn *pg, const char *hold_id, ProtobufCAllocator *alloc, hold_row *out);

#endif
