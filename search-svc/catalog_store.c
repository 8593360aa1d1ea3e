/* catalog_store.c — GetResource and GetCalendar answered straight from the stores
 * (PostgreSQL rows, Redis counters), for what the read model cannot answer itself. */
#include <stdio.h>
#include <string.h>

#include "hold_cache.h"
#include "inventory_store.h"
#include "search.h"
#include "slots.h"
#include "timeutil.h"

int store_get_resource(rpc_call *call, const char *resource_id, Booking__V1__Resource **out)
{
    int found = inventory_load_resource(search_pg(call), resource_id, LOCK_NONE, rpc_allocator(call), out);
    if (found < 0)
        return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "database unavailable; safe to retry");
    if (!found)
        return rpc_fail(call, RPC_NOT_FOUND, "RESOURCE_NOT_FOUND", "resource \"%s\" does not exist", resource_id);
    return 0;
}

/* The slots the calendar shows: the range widened to whole slots of the resource's
 * local clock, or, for a single-slot resource, the slots that exist in it. */
static int calendar_slots(rpc_call *call, const Booking__V1__Resource *r, const resource_clock *clock, int64_t from,
                          int64_t to, slot_row *rows, int *count)
{
    if (r->slot_minutes == SLOT_MINUTES_SINGLE) {
        if (inventory_load_range(search_pg(call), r->resource_id, from, to, rows, CALENDAR_MAX_SLOTS, count) != 0)
            return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "database unavailable; safe to retry");
        return 0;
    }
    int64_t *bounds;
    if (calendar_bounds(call, clock, from, to, &bounds, count) != 0)
        return -1;
    if (inventory_load_slots(search_pg(call), r->resource_id, bounds, *count, bounds + 1, r->capacity, rows) != 0)
        return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "database unavailable; safe to retry");
    return 0;
}

static Booking__V1__SlotAvailability *slot_message(rpc_call *call, const Booking__V1__Resource *r,
                                                   const resource_clock *clock, const slot_row *row, int counter)
{
    Booking__V1__SlotAvailability *s =
        RPC_NEW(call, Booking__V1__SlotAvailability, booking__v1__slot_availability__init);
    s->slot_start = stamp_ms(call, row->start * 1000);
    s->slot_end = stamp_ms(call, row->end * 1000);
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
    slot_local_times(call, s, clock->zone);
    return s;
}

int store_get_calendar(rpc_call *call, const Booking__V1__Resource *r, int64_t from, int64_t to,
                       Booking__V1__GetCalendarResponse **out)
{
    slot_row *rows = rpc_alloc(call, sizeof *rows * (CALENDAR_MAX_SLOTS + 1));
    int count = 0;
    resource_clock clock;
    const char *field;
    if (resource_clock_of(r, &clock, &field) != 0)
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "RESOURCE_TIME_ZONE", "resource %s: its %s is not usable",
                        r->resource_id, field);
    if (calendar_slots(call, r, &clock, from, to, rows, &count) != 0)
        return -1;
    int64_t *starts = rpc_alloc(call, sizeof *starts * (size_t)(count + 1));
    int *counters = rpc_alloc(call, sizeof *counters * (size_t)(count + 1));
    for (int i = 0; i < count; i++)
        starts[i] = rows[i].start;
    int64_t read_at = wall_ms();
    if (count > 0 && hold_cache_read(search_redis(call), r->resource_id, starts, count, counters) != 0)
        return rpc_fail(call, RPC_UNAVAILABLE, "CACHE_UNAVAILABLE", "hold cache unavailable; safe to retry");
    Booking__V1__GetCalendarResponse *resp =
        RPC_NEW(call, Booking__V1__GetCalendarResponse, booking__v1__get_calendar_response__init);
    resp->n_slots = (size_t)count;
    resp->slots = rpc_alloc(call, sizeof *resp->slots * (size_t)(count + 1));
    for (int i = 0; i < count; i++)
        resp->slots[i] = slot_message(call, r, &clock, &rows[i], counters[i]);
    resp->as_of = stamp_ms(call, read_at);
    resp->time_zone = rpc_strdup(call, local_zone_name(clock.zone));
    *out = resp;
    return 0;
}
