/* hold_view.c — reading a hold for the RPCs: Redis first, history second. */
#include "hold_view.h"

#include <stdio.h>
#include <string.h>

#include "states.h"
#include "timeutil.h"

#define HOLD(s) BOOKING__V1__HOLD_STATUS__HOLD_STATUS_##s

int load_hold_owned(rpc_call *call, const char *hold_id, hold_view *h)
{
    if (!hold_id || !*hold_id)
        return rpc_invalid_argument(call, "hold_id", "is required");
    if (!id_valid(hold_id))
        return rpc_invalid_argument(call, "hold_id", "is not a valid id");
    memset(h, 0, sizeof *h);
    int found = hold_cache_load(booking_redis(call), hold_id, rpc_allocator(call), &h->rec);
    if (found < 0)
        return store_fail_redis(call, booking_redis(call)->errstr);
    h->live = found;
    if (!found) {
        found = store_hold_load(booking_pg(call), hold_id, rpc_allocator(call), &h->row);
        if (found < 0)
            return store_fail_pg(call, booking_pg(call));
        if (!found)
            return rpc_fail(call, RPC_NOT_FOUND, "HOLD_NOT_FOUND", "hold \"%s\" does not exist", hold_id);
    }
    return require_owner(call, h->live ? h->rec.user_id : h->row.user_id);
}

int hold_view_status(const hold_view *h)
{
    if (!h->live)
        return h->row.status == HOLD(ACTIVE) || h->row.status == HOLD(CONFIRMING) ? HOLD(EXPIRED) : h->row.status;
    int status = hold_status_of_letter(h->rec.status);
    if (status == HOLD(ACTIVE) && h->rec.expires_ms <= wall_ms())
        return HOLD(EXPIRED); /* the sweep may lag; the truth does not */
    return status;
}

static Google__Protobuf__Timestamp *timestamp_ms(rpc_call *call, int64_t ms)
{
    Google__Protobuf__Timestamp *t = timestamp_new(call, ms / 1000);
    t->nanos = (int32_t)(ms % 1000) * 1000000;
    return t;
}

/* The history row as the record Redis would have kept (its quote aside). */
static void record_of_row(const hold_row *row, hold_record *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->hold_id, sizeof r->hold_id, "%s", row->hold_id);
    snprintf(r->user_id, sizeof r->user_id, "%s", row->user_id);
    snprintf(r->resource_id, sizeof r->resource_id, "%s", row->resource_id);
    snprintf(r->booking_id, sizeof r->booking_id, "%s", row->booking_id);
    r->quantity = row->quantity;
    r->start = row->start_time;
    r->end = row->end_time;
    r->expires_ms = row->expires_at;
    r->created_ms = row->created_at * 1000;
}

Booking__V1__Hold *hold_message(rpc_call *call, const hold_view *h)
{
    hold_record from_row;
    const hold_record *r = h->live ? &h->rec : &from_row;
    if (!h->live)
        record_of_row(&h->row, &from_row);
    Booking__V1__Hold *m = RPC_NEW(call, Booking__V1__Hold, booking__v1__hold__init);
    m->status = (Booking__V1__HoldStatus)hold_view_status(h);
    m->hold_id = rpc_strdup(call, r->hold_id);
    m->user_id = rpc_strdup(call, r->user_id);
    m->resource_id = rpc_strdup(call, r->resource_id);
    m->start_time = timestamp_new(call, r->start);
    m->end_time = timestamp_new(call, r->end);
    m->quantity = r->quantity;
    m->expires_at = timestamp_ms(call, r->expires_ms);
    m->created_at = timestamp_ms(call, r->created_ms);
    m->booking_id = rpc_strdup(call, r->booking_id);
    m->extensions = r->extensions;
    if (!h->live)
        m->quote = h->row.quote;
    else if (r->quote)
        m->quote = booking__v1__price__unpack(rpc_allocator(call), r->quote_len, r->quote);
    return m;
}
