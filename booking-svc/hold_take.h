/* hold_take.h — taking the units of a new hold and announcing it, the steps CreateHold
 * and the waiting list's offers share (docs/architecture.md, "A hold at Redis's pace"):
 * the plan of a hold over a range on its resource's local clock, the take of its units
 * in every slot at once (loading what Redis has not loaded), its quote and its
 * announcement (hold.created on the hold log). */
#ifndef BOOKING_SVC_HOLD_TAKE_H
#define BOOKING_SVC_HOLD_TAKE_H

#include <stdint.h>

#include "booking.h"
#include "ids.h"
#include "slots.h"
#include "user_holds.h"

/* A hold being made; arrays in call memory. */
typedef struct hold_plan {
    Booking__V1__Resource *resource;
    int64_t version;
    const char *user_id;
    slot_span span;             /* on the resource's local clock */
    int64_t *starts;            /* span.count + 1 boundaries: slot i ends at starts[i + 1] */
    int *before, *total;
    int64_t *price, *end;
    int quantity;
    int64_t expires_ms, ttl_ms, now_ms;
    Booking__V1__Price *quote;  /* once priced */
    int announced;              /* hold.created logged */
    char hold_id[ID_MAX + 1];
} hold_plan;


/* The caller's request: user_id (empty: the caller), resource_id and the range are
 * present and well formed, and a customer acts for themselves. 0, or -1 with the status
 * set (INVALID_ARGUMENT naming the field, PERMISSION_DENIED). */
int hold_check_request(rpc_call *call, const char *user_id, const char *resource_id,
                       const Google__Protobuf__Timestamp *start, const Google__Protobuf__Timestamp *end, hold_plan *p);
/* The resource from the catalogue copy (refresh: from PostgreSQL). 0, or -1 with
 * NOT_FOUND or a store failure set. */
int hold_plan_resource(rpc_call *call, const char *resource_id, int refresh, hold_plan *p);
/* The slots of [start, end) on the resource's clock (bookable resource, range within
 * bounds, not past, within the horizon), `quantity` within the resource's limit, the
 * hold's id (body: 20 id characters naming it, else the call's idempotency token, else
 * random) and its expiry (ttl_ms > 0, else the resource's). 0, or -1 with the status. */
int hold_plan_range(rpc_call *call, hold_plan *p, int64_t start, int64_t end, int quantity, const char *body,
                    int64_t ttl_ms);

typedef enum hold_taken {
    TAKEN_NEW,       /* created now: announced unless p->announced is 0 (hold_announce next) */
    TAKEN_BEFORE,    /* a hold of this id exists (a retry under the same key, or offer) */
    TAKE_FAILED,     /* the status is set (not enough units: RESOURCE_EXHAUSTED) */
    OVER_ALLOWANCE,  /* taken beside an allowance that refused it: end it (status set) */
} hold_taken;

/* Takes the units and creates the hold, loading what Redis misses first; allowance
 * (the user's, sent beside the first take; NULL: none) may refuse it. */
hold_taken hold_take_units(rpc_call *call, hold_plan *p, user_take_call *allowance);
/* Prices a hold taken unpriced, stores the quote and announces it (hold.created).
 * 0, or -1 with the status set. */
int hold_announce(rpc_call *call, hold_plan *p);
/* Undoes a creation never announced: the units go back, no trace is left. */
void hold_abort_creation(rpc_call *call, const hold_plan *p);
/* 1 unless the hold exists unpriced (its creation never finished). */
int hold_was_announced(rpc_call *call, const char *hold_id);
/* The fewest units available over the plan's slots now (counters PostgreSQL had not
 * loaded into Redis are loaded). 0, or -1 with the status set. */
int hold_plan_available(rpc_call *call, hold_plan *p, int *available);

#endif
