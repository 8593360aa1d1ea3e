/* waitlist_store.h — the waiting list's SQL (table waitlist_entries, migration 008):
 * entries and their moves, each with its audit event in the same statement, the
 * per-resource lock of the offer worker, and the settling of offers whose hold ended.
 * docs/checkout-lifecycle.md, "The waiting list". */
#ifndef BOOKING_SVC_WAITLIST_STORE_H
#define BOOKING_SVC_WAITLIST_STORE_H

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ids.h"
#include "pg.h"

typedef struct waitlist_row {
    char entry_id[ID_MAX + 1];
    char user_id[160];
    char resource_id[ID_MAX + 1];
    char offered_hold_id[ID_MAX + 1];  /* "" until offered */
    int64_t start_time, end_time;      /* Unix seconds */
    int64_t created_us, offered_us, updated_us;
    int64_t join_seq;
    int quantity, status;              /* Booking__V1__WaitlistStatus */
    int n_slots;                       /* waitlist_waiting: the slot starts of its range */
    int64_t *slots;
} waitlist_row;

typedef enum waitlist_join_result { JOIN_DONE, JOIN_EXISTS, JOIN_TOO_MANY, JOIN_FAILED } waitlist_join_result;

/* Inserts a WAITING entry (slots: its range's slot starts) with waitlist.joined, unless
 * the user already has max_open entries WAITING or OFFERED. JOIN_EXISTS: the entry id is
 * taken (a retry under the same key). */
waitlist_join_result waitlist_insert(pg_conn *pg, const waitlist_row *e, const int64_t *slots, int n, int max_open,
                                     const char *actor);

/* 1 found, 0 not, -1 error. */
int waitlist_load(pg_conn *pg, const char *entry_id, waitlist_row *out);

/* Entries, oldest first (join order), after join_seq `after`: of a user (user_id
 * non-NULL), or of a resource; status 0 = any. Returns the count (at most limit), -1 on
 * error. */
int waitlist_list(pg_conn *pg, const char *user_id, const char *resource_id, int status, int64_t after, int limit,
                  waitlist_row *out);

/* Moves an entry to `to` if its status allows it (states.c), recording event_type with
 * meta_json (a JSON object; may be NULL) as actor. OFFERED also sets offered_hold_id, the
 * offer's sequence number and offered_at. 1 moved, 0 not (another status), -1 error. */
int waitlist_move(pg_conn *pg, const char *entry_id, int to, const char *hold_id, const char *event_type,
                  const char *meta_json, const char *actor);

/* The oldest WAITING entries of every resource (at most per_resource of each, cap in
 * all), by resource then join order, with their slots (allocated with alloc). Returns
 * the count, -1 on error. */
int waitlist_waiting(pg_conn *pg, ProtobufCAllocator *alloc, waitlist_row *out, int cap, int per_resource);

/* The resources with entries WAITING or OFFERED (at most cap ids into out). Returns
 * the count, -1 on error. */
int waitlist_open_resources(pg_conn *pg, char (*out)[ID_MAX + 1], int cap);

/* OFFERED entries whose hold's history says it ended: CONVERTED when it was confirmed
 * (ConfirmBooking converts in its own transaction; this is the catch-all), EXPIRED when
 * it expired or was released, each with its event. Returns how many, -1 on error. */
int waitlist_settle_offers(pg_conn *pg, const char *actor);

/* The worker's lock on a resource's list: a session advisory lock on its own
 * connection, so one replica at a time makes a resource's offers (a replica that dies
 * loses it with its connection). 1 held, 0 held elsewhere, -1 error. */
int waitlist_lock(pg_conn *pg, const char *resource_id);
void waitlist_unlock(pg_conn *pg, const char *resource_id);

#endif
