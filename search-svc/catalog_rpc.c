/* catalog_rpc.c — GetResource and GetCalendar: a resource and its per-slot capacity,
 * availability (Redis counters, or total - confirmed where none is loaded) and price. */
#include <stdio.h>
#include <string.h>

#include "booking/v1/search.pb-c.h"
#include "hold_cache.h"
#include "inventory_store.h"
#include "search.h"
#include "slots.h"
#include "timeutil.h"

static int load_resource_or_fail(rpc_call *call, const char *resource_id, Booking__V1__Resource **out)
{
    if (!resource_id || !*resource_id)
        return rpc_invalid_argument(call, "resource_id", "is required");
    int found = inventory_load_resource(search_pg(call), resource_id, LOCK_NONE, rpc_allocator(call), out);
    if (found < 0)
        return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "database unavailable; safe to retry");
    if (!found)
        return rpc_fail(call, RPC_NOT_FOUND, "RESOURCE_NOT_FOUND", "resource \"%s\" does not exist", resource_id);
    return 0;
}

int rpc_get_resource(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__GetResourceRequest *req = (const Booking__V1__GetResourceRequest *)request;
    return load_resource_or_fail(call, req->resource_id, (Booking__V1__Resource **)response);
}

/* The slot starts the calendar shows: the range widened to whole slots, or, for a
 * single-slot resource, the slots that exist in it. */
static int calendar_slots(rpc_call *call, const Booking__V1__Resource *r, int64_t from, int64_t to,
                          slot_row *rows, int *count)
{
    if (r->slot_minutes == SLOT_MINUTES_SINGLE) {
        if (inventory_load_range(search_pg(call), r->resource_id, from, to, rows, CALENDAR_MAX_SLOTS, count) != 0)
            return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "database unavailable; safe to retry");
        return 0;
    }
    int64_t len = (int64_t)r->slot_minutes * 60;
    int64_t first = from - ((from % len) + len) % len, last = to + (len - ((to % len) + len) % len) % len;
    if ((last - first) / len > CALENDAR_MAX_SLOTS)
        return rpc_invalid_argument(call, "end_time", "the calendar covers more than %d slots", CALENDAR_MAX_SLOTS);
    *count = (int)((last - first) / len);
    int64_t *starts = rpc_alloc(call, sizeof *starts * (size_t)(*count + 1));
    for (int i = 0; i < *count; i++)
        starts[i] = first + i * len;
    if (inventory_load_slots(search_pg(call), r->resource_id, starts, *count, len, r->capacity, rows) != 0)
        return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "database unavailable; safe to retry");
    return 0;
}

static Booking__V1__SlotAvailability *slot_message(rpc_call *call, const Booking__V1__Resource *r,
                                                   const slot_row *row, int counter)
{
    Booking__V1__SlotAvailability *s =
        RPC_NEW(call, Booking__V1__SlotAvailability, booking__v1__slot_availability__init);
    s->slot_start = RPC_NEW(call, Google__Protobuf__Timestamp, google__protobuf__timestamp__init);
    s->slot_start->seconds = row->start;
    s->slot_end = RPC_NEW(call, Google__Protobuf__Timestamp, google__protobuf__timestamp__init);
    s->slot_end->seconds = row->end;
    s->total_capacity = row->total;
    s->confirmed = row->confirmed;
    int available = counter >= 0 ? counter : row->total - row->confirmed;
    s->available = available > 0 ? available : 0;
    s->held = counter >= 0 ? row->total - row->confirmed - counter : 0;
    if (s->held < 0)
        s->held = 0;
    s->price = RPC_NEW(call, Booking__V1__Money, booking__v1__money__init);
    s->price->currency = r->base_price->currency;
    s->price->amount_minor = row->price_minor >= 0 ? row->price_minor : r->base_price->amount_minor;
    return s;
}

int rpc_get_calendar(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__GetCalendarRequest *req = (const Booking__V1__GetCalendarRequest *)request;
    Booking__V1__Resource *r;
    if (load_resource_or_fail(call, req->resource_id, &r) != 0)
        return -1;
    if (!ts_valid(req->start_time) || !ts_valid(req->end_time))
        return rpc_invalid_argument(call, ts_valid(req->start_time) ? "end_time" : "start_time", "is required");
    int64_t from = ts_seconds(req->start_time), to = ts_seconds(req->end_time);
    if (to <= from)
        return rpc_invalid_argument(call, "end_time", "must be after start_time");
    slot_row *rows = rpc_alloc(call, sizeof *rows * (CALENDAR_MAX_SLOTS + 1));
    int count = 0;
    if (calendar_slots(call, r, from, to, rows, &count) != 0)
        return -1;
    int64_t *starts = rpc_alloc(call, sizeof *starts * (size_t)(count + 1));
    int *counters = rpc_alloc(call, sizeof *counters * (size_t)(count + 1));
    for (int i = 0; i < count; i++)
        starts[i] = rows[i].start;
    if (count > 0 && hold_cache_read(search_redis(call), r->resource_id, starts, count, counters) != 0)
        return rpc_fail(call, RPC_UNAVAILABLE, "CACHE_UNAVAILABLE", "hold cache unavailable; safe to retry");
    Booking__V1__GetCalendarResponse *resp =
        RPC_NEW(call, Booking__V1__GetCalendarResponse, booking__v1__get_calendar_response__init);
    resp->n_slots = (size_t)count;
    resp->slots = rpc_alloc(call, sizeof *resp->slots * (size_t)(count + 1));
    for (int i = 0; i < count; i++)
        resp->slots[i] = slot_message(call, r, &rows[i], counters[i]);
    resp->as_of = RPC_NEW(call, Google__Protobuf__Timestamp, google__protobuf__timestamp__init);
    resp->as_of->seconds = wall_seconds();
    *response = &resp->base;
    return 0;
}
