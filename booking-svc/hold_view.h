/* hold_view.h — a hold as a caller sees it: live from Redis (its authority), or, once
 * Redis has forgotten it, from its history row in PostgreSQL; and its wire message. */
#ifndef BOOKING_SVC_HOLD_VIEW_H
#define BOOKING_SVC_HOLD_VIEW_H

#include "booking.h"
#include "booking_store.h"
#include "hold_cache.h"

typedef struct hold_view {
    int live;         /* 1: rec is Redis's; 0: row is the history */
    hold_record rec;
    hold_row row;
} hold_view;

/* Finds the hold and checks the caller may see it. 0, or -1 with the status set
 * (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, UNAVAILABLE). */
int load_hold_owned(rpc_call *call, const char *hold_id, hold_view *h);

/* The hold's status as the contract names it (Booking__V1__HoldStatus): an ACTIVE hold
 * past expires_at is EXPIRED whatever the sweep did yet; a hold whose history is still
 * live but Redis no longer knows was lost with Redis, so it is EXPIRED too. */
int hold_view_status(const hold_view *h);

/* The wire message (call memory). */
Booking__V1__Hold *hold_message(rpc_call *call, const hold_view *h);

#endif
