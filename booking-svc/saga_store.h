/* saga_store.h — SQL of the confirmation saga and of bookings: payment attempts (the
 * saga's log and the fence between a confirmation and the repair), the confirm and
 * cancel transactions (slot rows locked in slot order), booking reads. */
#ifndef BOOKING_SVC_SAGA_STORE_H
#define BOOKING_SVC_SAGA_STORE_H

#include <stdint.h>

#include "booking/v1/booking.pb-c.h"
#include "booking_store.h"
#include "ids.h"
#include "pg.h"

#define CANCEL_REASON_MAX 500 /* bytes */

typedef struct booking_row {
    char booking_id[ID_MAX + 1];
    char hold_id[ID_MAX + 1];
    char user_id[160];
    char resource_id[ID_MAX + 1];
    char payment_id[ID_MAX + 1];
    char currency[8];
    int64_t start_time, end_time, created_at, updated_at;
    int quantity, status, payment_status;
    int cancelled_quantity;      /* units cancelled so far (status CANCELLED once all are) */
    int64_t total_minor, refund_due_minor, refunded_minor;
    char cancel_reason[CANCEL_REASON_MAX + 1];
    Booking__V1__Price *price;  /* unpacked into the caller's allocator */
} booking_row;

typedef struct attempt_row {
    char key[160];
    char hold_id[ID_MAX + 1];
    char payment_method_id[128];
    char currency[8];
    int64_t amount_minor;
    char payment_id[ID_MAX + 1];
    char state[16];
} attempt_row;

/* Records the payment attempt of a hold's confirmation number `epoch` (state pending)
 * before payment-svc is called, under the key authorize:<hold>:<epoch> written into
 * a->key. 1 opened; 0 when that attempt exists already (the repair fenced it, or a
 * previous run wrote it) or the hold has a booking; -1 on error. */
int saga_attempt_open(pg_conn *pg, attempt_row *a, int epoch);
/* Sets an attempt's state, payment id and decline code. 0 or -1. */
int saga_attempt_set(pg_conn *pg, const char *key, const char *state, const char *payment_id, const char *decline);
/* The repair's fence on confirmation `epoch` of a hold: its attempt becomes abandoned
 * (or, never written, is written as fenced) unless it is booked, so a late booking
 * transaction of that confirmation fails. Then: 1 when the hold has a booking (its id
 * into booking_id), 0 when it has none, -1 on error. */
int saga_fence(pg_conn *pg, const char *hold_id, int epoch, char *booking_id, size_t cap);
/* Abandons (up to cap) attempts still pending or authorized after older_than_s seconds:
 * their confirmation is over, whatever happened to it. Returns how many, -1 on error. */
int saga_attempts_abandon_stale(pg_conn *pg, int older_than_s, int cap);
/* Abandoned attempts, whose authorization (if any) must be voided; -1 on error. */
int saga_attempts_to_void(pg_conn *pg, attempt_row *out, int cap);

typedef enum commit_result { COMMIT_DONE, COMMIT_NO_CAPACITY, COMMIT_LOST_RACE, COMMIT_FAILED } commit_result;

/* The confirm transaction: marks the attempt booked (COMMIT_LOST_RACE when the repair
 * abandoned it, or the hold has a booking already), locks the resource (share) and the
 * slot rows in slot order, adds quantity to confirmed only if every slot has room
 * within its sell limit (overbooking included), inserts the booking with its price
 * snapshot and event. Commits on COMMIT_DONE (b's created_at and updated_at set as
 * stored); rolls back otherwise. *oversold: the slots the booking left above their
 * physical capacity. */
commit_result saga_commit_booking(pg_conn *pg, booking_row *b, const int64_t *slot_starts, int n,
                                  const int64_t *slot_ends, const char *attempt_key,
                                  const char *actor, int *oversold);

/* A cancellation of some (or every remaining) unit of a booking. */
typedef struct cancel_request {
    int units;           /* 0 = every unit still booked */
    int refund_percent;  /* by the resource's cancellation rules, now */
    const char *reason, *actor;
} cancel_request;

typedef enum cancel_result {
    CANCEL_DONE,         /* out: the units and refund of this cancellation */
    CANCEL_NOT_ACTIVE,   /* the booking is not CONFIRMED (any more) */
    CANCEL_TOO_MANY,     /* fewer units left than asked: out->remaining */
    CANCEL_FAILED,
} cancel_result;

typedef struct cancel_outcome {
    int units, remaining;  /* cancelled now; still booked after (DONE) or before (TOO_MANY) */
    int64_t refund_minor;
} cancel_outcome;

/* The cancel transaction up to (not including) COMMIT: locks the resource (share), the
 * slots and the booking; records the cancellation (its refund: the percent of the
 * units' share of the total, refund_of_units) as booking_cancellations row, adds it to
 * the booking's cancelled units and refund due (CANCELLED once every unit is), records
 * booking.partially_cancelled or booking.cancelled and gives the units back in slots.
 * On CANCEL_DONE the caller moves the Redis counters and then commits; otherwise the
 * transaction is rolled back. */
cancel_result saga_cancel_booking(pg_conn *pg, const booking_row *b, const int64_t *slot_starts, int n,
                                  const cancel_request *c, cancel_outcome *out);

/* One cancellation of a booking (a line of its price on the wire). */
typedef struct cancellation_row {
    int seq, units, refund_percent;
    int64_t refund_minor, created_at;
    int refunded;
} cancellation_row;

/* The booking's cancellations, oldest first (at most cap; only those whose refund is
 * still owed when owed_only). Returns how many, -1 on error. */
int saga_cancellations(pg_conn *pg, const char *booking_id, int owed_only, cancellation_row *out, int cap);
/* Records the refund of cancellation seq as issued (payment-svc answered payment_status):
 * the booking's refunded amount and payment status move, with booking.refunded. A
 * repeat changes nothing. 0 or -1. */
int saga_cancellation_refunded(pg_conn *pg, const char *booking_id, int seq, int payment_status, const char *actor);

/* 1 found, 0 not found, -1 error. */
int saga_booking_load(pg_conn *pg, const char *booking_id, ProtobufCAllocator *alloc, booking_row *out);
int saga_booking_by_hold(pg_conn *pg, const char *hold_id, ProtobufCAllocator *alloc, booking_row *out);
/* Sets payment status (and refunded amount when >= 0) with one event; *updated_at (may
 * be NULL) is set when the row changed. 0 or -1. */
int saga_booking_payment(pg_conn *pg, const char *booking_id, int payment_status, int64_t refunded_minor,
                         const char *event_type, const char *actor, int64_t *updated_at);
/* Moves a CONFIRMED booking whose end passed to COMPLETED (with its event); returns how
 * many (at most limit), -1 on error. */
int saga_complete_bookings(pg_conn *pg, int limit, const char *actor);
/* Bookings whose payment needs work: still AUTHORIZED (capture), or refund due. */
int saga_bookings_owing(pg_conn *pg, int older_than_s, ProtobufCAllocator *alloc, booking_row *out, int cap);
/* A user's bookings, newest first, after the (created_us, booking_id) cursor when
 * after_id is non-empty; status 0 = all. Returns the count (-1 on error). */
int saga_bookings_list(pg_conn *pg, const char *user_id, int status, int64_t after_created_us, const char *after_id,
                       int limit, ProtobufCAllocator *alloc, booking_row *out, int64_t *created_us);

/* Events of up to two subjects, oldest first. out gets a malloc'd PGresult-free array
 * of events in alloc; returns the count or -1. */
int saga_events_list(pg_conn *pg, const char *subject1, const char *subject2, ProtobufCAllocator *alloc,
                     Booking__V1__Event ***out);

#endif
