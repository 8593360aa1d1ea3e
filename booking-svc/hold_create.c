/* hold_create.c — CreateHold at Redis's pace: validate, count the units against the
 * user's allowance (one script), then take them in every slot at once and create the
 * live hold (a second, hold_take.c), which also announces it when the hold could be
 * priced first. PostgreSQL is read only for what Redis has not loaded yet. */
#include <stdio.h>
#include <string.h>

#include "booking.h"
#include "hold_cache.h"
#include "hold_take.h"
#include "hold_view.h"
#include "log.h"
#include "saga.h"
#include "timeutil.h"
#include "user_holds.h"

/* The allowance refused a hold its take created in the same round trip: an unannounced
 * one leaves no trace; an announced one is released at once (its history says so). */
static void end_refused(rpc_call *call, const hold_plan *p)
{
    hold_end release = {'R', "", rpc_user_id(call), "over the user's allowance", 0};
    if (p->announced)
        hold_cache_release(booking_redis(call), p->resource->resource_id, p->hold_id, &release, wall_ms());
    else
        hold_abort_creation(call, p);
}

/* The hold just created, as the plan has it. */
static void answer_new_hold(rpc_call *call, const hold_plan *p, ProtobufCMessage **response)
{
    hold_view h = {.live = 1};
    hold_record *r = &h.rec;
    snprintf(r->hold_id, sizeof r->hold_id, "%s", p->hold_id);
    snprintf(r->resource_id, sizeof r->resource_id, "%s", p->resource->resource_id);
    snprintf(r->user_id, sizeof r->user_id, "%s", p->user_id);
    r->status = 'A';
    r->quantity = p->quantity;
    r->start = p->span.first_start;
    r->end = p->span.end;
    r->expires_ms = p->expires_ms;
    r->created_ms = p->now_ms;
    Booking__V1__Hold *m = hold_message(call, &h);
    m->quote = p->quote;
    *response = &m->base;
}

/* The hold as Redis has it now (the one a retry finds). */
static int answer_hold(rpc_call *call, const char *hold_id, ProtobufCMessage **response)
{
    hold_view h = {.live = 1};
    int found = hold_cache_load(booking_redis(call), hold_id, rpc_allocator(call), &h.rec);
    if (found <= 0)
        return found < 0 ? store_fail_redis(call, booking_redis(call)->errstr)
                         : rpc_fail(call, RPC_UNAVAILABLE, "HOLD_LOST", "hold %s was lost; retry", hold_id);
    *response = &hold_message(call, &h)->base;
    return 0;
}

int rpc_create_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__CreateHoldRequest *req = (const Booking__V1__CreateHoldRequest *)request;
    hold_plan p = {.now_ms = wall_ms()};
    if (hold_check_request(call, req->user_id, req->resource_id, req->start_time, req->end_time, &p) != 0 ||
        hold_plan_resource(call, req->resource_id, 0, &p) != 0 ||
        hold_plan_range(call, &p, ts_seconds(req->start_time), ts_seconds(req->end_time), req->quantity, NULL, 0) !=
            0)
        return -1;
    user_take_call allowance;
    user_holds_take_call(&allowance, p.user_id, p.hold_id, p.quantity, booking_config.max_held_units, p.now_ms,
                         p.expires_ms + saga_config.confirm_timeout_seconds * 1000);
    hold_taken t = hold_take_units(call, &p, &allowance);
    if (t == OVER_ALLOWANCE) { /* taken beside the refused allowance: given back at once */
        end_refused(call, &p);
        return -1;
    }
    if (t == TAKEN_BEFORE && !hold_was_announced(call, p.hold_id)) { /* a run died between take and announce */
        hold_abort_creation(call, &p);
        t = hold_take_units(call, &p, &allowance);
    }
    if (t == TAKE_FAILED) {
        user_holds_give_back(booking_redis(call), p.user_id, p.hold_id);
        return -1;
    }
    if (t == TAKEN_NEW && !p.announced && hold_announce(call, &p) != 0) {
        hold_abort_creation(call, &p);
        user_holds_give_back(booking_redis(call), p.user_id, p.hold_id);
        return -1;
    }
    log_debug("hold %s: %d x %d slot(s) of %s for %s", p.hold_id, p.quantity, p.span.count,
              p.resource->resource_id, p.user_id);
    if (t == TAKEN_BEFORE)
        return answer_hold(call, p.hold_id, response);
    answer_new_hold(call, &p, response);
    return 0;
}
