/* hold_rpc.c — GetHold and ReleaseHold: the live hold from Redis (a hold Redis no
 * longer knows from its history), and its release through the release script, which
 * gives the units back and logs hold.released in one step. Its owner releases a hold
 * whose id names its resource in one round trip. */
#include <limits.h>
#include <string.h>

#include "booking.h"
#include "hold_cache.h"
#include "hold_view.h"
#include "saga.h"
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

/* What either release path does with the outcome, the give-back of the hold's units
 * having gone with the release: units back wake the waiting list; a hold found being
 * confirmed gets its user's allowance entry back (it counts until its confirmation ends)
 * and, like a confirmed one, is refused. rec: the hold (its user, quantity, expiry). 0,
 * or -1 refused (status set). */
static int after_release(rpc_call *call, const hold_release *rel, const hold_record *rec, int64_t now_ms)
{
    if (rel->status == RELEASE_DONE)
        waitlist_wake();
    if (rel->status != RELEASE_FINAL || (rel->final_status != 'C' && rel->final_status != 'F'))
        return 0;
    if (rel->final_status == 'C') {
        long held;
        user_holds_take(booking_redis(call), rec->user_id, rec->hold_id, rec->quantity, LONG_MAX, now_ms,
                        rec->expires_ms + saga_config.confirm_timeout_seconds * 1000, &held);
    }
    return not_releasable(call, rec->hold_id, rel->final_status);
}

/* Releases a live ACTIVE hold (read first) and gives its units back to its user in the
 * same round trip; h follows what happened. */
static int release_live(rpc_call *call, hold_view *h)
{
    hold_end how = {'R', "", rpc_user_id(call), "", 0};
    user_give_back_call give_back;
    user_holds_give_back_call(&give_back, h->rec.user_id, h->rec.hold_id);
    int64_t now_ms = wall_ms();
    hold_release rel = hold_cache_release_before(booking_redis(call), h->rec.resource_id, h->rec.hold_id, &how,
                                                 now_ms, &give_back.call);
    freeReplyObject(give_back.call.reply);
    if (rel.status != RELEASE_DONE && rel.status != RELEASE_FINAL && rel.status != RELEASE_GONE)
        return store_fail_redis(call, booking_redis(call)->errstr);
    if (after_release(call, &rel, &h->rec, now_ms) != 0)
        return -1;
    h->rec.status = rel.status == RELEASE_GONE ? 'X' : rel.final_status; /* it may have moved meanwhile */
    return 0;
}

/* The release in one round trip, when the hold id names its resource and the caller is
 * a user: the script refuses another user's hold and answers with the hold as it ends up;
 * the give-back of the caller's units goes along. 1 answered (h filled), 0 the general
 * path must answer (an id without its resource, another user's hold, one Redis does not
 * know), -1 failed (status set). */
static int release_by_id(rpc_call *call, const char *hold_id, hold_view *h)
{
    char resource_id[ID_MAX + 1];
    const char *user = rpc_user_id(call);
    if (!*user || !id_valid(hold_id) || !hold_id_resource(hold_id, resource_id, sizeof resource_id))
        return 0;
    hold_end how = {'R', user, user, "", 0};
    user_give_back_call give_back;
    user_holds_give_back_call(&give_back, user, hold_id);
    memset(h, 0, sizeof *h);
    int64_t now_ms = wall_ms();
    hold_release rel = hold_cache_release_read(booking_redis(call), resource_id, hold_id, &how, now_ms,
                                               &give_back.call, rpc_allocator(call), &h->rec);
    freeReplyObject(give_back.call.reply);
    if (rel.status == RELEASE_FAILED)
        return store_fail_redis(call, booking_redis(call)->errstr);
    if ((rel.status != RELEASE_DONE && rel.status != RELEASE_FINAL) || !h->rec.status)
        return 0;
    h->live = 1; /* ended already (R, X) answers as is: released twice is released once */
    return after_release(call, &rel, &h->rec, now_ms) == 0 ? 1 : -1;
}

int rpc_release_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__ReleaseHoldRequest *req = (const Booking__V1__ReleaseHoldRequest *)request;
    hold_view h;
    int done = req->hold_id ? release_by_id(call, req->hold_id, &h) : 0;
    if (done != 0) {
        if (done > 0)
            *response = &hold_message(call, &h)->base;
        return done > 0 ? 0 : -1;
    }
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
