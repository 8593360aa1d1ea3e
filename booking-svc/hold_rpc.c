/* hold_rpc.c — GetHold and ReleaseHold: the live hold from Redis (a hold Redis no
 * longer knows from its history), and its release through the release script, which
 * gives the units back and logs hold.released in one step. */
#include <string.h>

#include "booking.h"
#include "hold_cache.h"
#include "hold_view.h"
#include "timeutil.h"
#include "user_holds.h"
#include "waitlist_offer.h"

int rpc_get_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__GetHoldRequest *req = (const Booking__V1__GetHoldRequest *)request;
    hold_view h;
    if (load_hold_owned(call, req->hold_id, &h) != 0)
        return -1;
    *response = &hold_message(call, &h)->base;
    return 0;
}

static int not_releasable(rpc_call *call, const char *hold_id, char status)
{
    return rpc_fail(call, RPC_FAILED_PRECONDITION, "HOLD_CONFIRMED", "hold \"%s\" is %s and cannot be released",
                    hold_id, status == 'F' ? "confirmed" : "being confirmed");
}

/* Releases a live ACTIVE hold and gives its units back to its user in the same round
 * trip (were a confirmation to begin between the read and the release, the release
 * refuses and the user's units are given back early, the only cost of the race); h
 * follows what happened. */
static int release_live(rpc_call *call, hold_view *h)
{
    hold_end how = {'R', "", rpc_user_id(call), "", 0};
    user_give_back_call give_back;
    user_holds_give_back_call(&give_back, h->rec.user_id, h->rec.hold_id);
    hold_release rel = hold_cache_release_before(booking_redis(call), h->rec.resource_id, h->rec.hold_id, &how,
                                                 wall_ms(), &give_back.call);
    freeReplyObject(give_back.call.reply);
    switch (rel.status) {
    case RELEASE_DONE:
        h->rec.status = rel.final_status;
        waitlist_wake(); /* units back: the waiting list may have someone for them */
        return 0;
    case RELEASE_FINAL: /* it moved meanwhile */
        if (rel.final_status == 'C' || rel.final_status == 'F')
            return not_releasable(call, h->rec.hold_id, rel.final_status);
        h->rec.status = rel.final_status;
        return 0;
    case RELEASE_GONE:
        h->rec.status = 'X';
        return 0;
    default:
        return store_fail_redis(call, booking_redis(call)->errstr);
    }
}

int rpc_release_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__ReleaseHoldRequest *req = (const Booking__V1__ReleaseHoldRequest *)request;
    hold_view h;
    if (load_hold_owned(call, req->hold_id, &h) != 0)
        return -1;
    if (h.live && (h.rec.status == 'C' || h.rec.status == 'F'))
        return not_releasable(call, h.rec.hold_id, h.rec.status);
    if (!h.live && h.row.status == BOOKING__V1__HOLD_STATUS__HOLD_STATUS_CONFIRMED)
        return not_releasable(call, h.row.hold_id, 'F');
    if (h.live && h.rec.status == 'A' && release_live(call, &h) != 0)
        return -1;
    *response = &hold_message(call, &h)->base; /* ended already: released twice is released once */
    return 0;
}
