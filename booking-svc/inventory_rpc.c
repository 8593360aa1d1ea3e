/* inventory_rpc.c — SetInventory (admin): capacity and price of every slot of a range,
 * never below what is already confirmed. The resource's version moves on; Redis counters
 * move by the same delta and the resource's slot info is dropped (the next hold loads
 * capacity and price under the new version), while the resource row is locked, so a
 * concurrent load cannot count anything twice. */
#include <stdio.h>
#include <string.h>

#include "booking.h"
#include "booking_store.h"
#include "catalog_cache.h"
#include "hold_cache.h"
#include "inventory_store.h"
#include "resource_validate.h"
#include "slots.h"
#include "timeutil.h"

typedef struct inventory_change {
    const char *resource_id;
    slot_span span;
    int64_t *starts;  /* span.count + 1 boundaries: slot i ends at starts[i + 1] */
    int total;
    int64_t price;  /* -1: base price */
} inventory_change;

static int plan_change(rpc_call *call, const Booking__V1__SetInventoryRequest *req, const Booking__V1__Resource *r,
                       inventory_change *c)
{
    const char *field;
    char msg[200];
    resource_clock clock;
    if (!ts_valid(req->start_time) || !ts_valid(req->end_time))
        return rpc_invalid_argument(call, ts_valid(req->start_time) ? "end_time" : "start_time", "is required");
    if (resource_clock_or_status(call, r, &clock) != 0)
        return -1;
    if (slot_span_of(&clock, ts_seconds(req->start_time), ts_seconds(req->end_time),
                     (int)booking_config.max_inventory_slots, &c->span, &field, msg, sizeof msg) != 0)
        return rpc_invalid_argument(call, field, "%s", msg);
    if (req->total_capacity < 0 || req->total_capacity > MAX_CAPACITY)
        return rpc_invalid_argument(call, "total_capacity", "must be between 0 and %d", MAX_CAPACITY);
    c->price = -1;
    if (req->price_override) {
        if (validate_money(call, "price_override", req->price_override) != 0)
            return -1;
        if (strcmp(req->price_override->currency, r->base_price->currency) != 0)
            return rpc_invalid_argument(call, "price_override", "currency must be the resource's (%s)",
                                        r->base_price->currency);
        c->price = req->price_override->amount_minor;
    }
    c->resource_id = r->resource_id;
    c->total = req->total_capacity;
    c->starts = rpc_alloc(call, sizeof *c->starts * (size_t)(c->span.count + 1));
    slot_span_bounds(&c->span, c->starts);
    return 0;
}

/* Checks against confirmed units and (single-slot resources) overlapping events. */
static int check_change(rpc_call *call, pg_conn *pg, const Booking__V1__Resource *r, const inventory_change *c)
{
    int64_t end = c->span.end;
    int above = store_slots_confirmed_above(pg, c->resource_id, c->span.first_start, end, c->total);
    if (above < 0)
        return store_fail_pg(call, pg);
    if (above > 0)
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "BELOW_CONFIRMED",
                        "total_capacity %d is below what is already confirmed in %d slot(s)", c->total, above);
    if (r->slot_minutes == SLOT_MINUTES_SINGLE) {
        int overlaps = store_slot_overlaps(pg, c->resource_id, c->span.first_start, end);
        if (overlaps < 0)
            return store_fail_pg(call, pg);
        if (overlaps)
            return rpc_invalid_argument(call, "start_time", "the slot overlaps another slot of this resource");
    }
    return 0;
}

/* Writes the slots and moves loaded counters by new - old total; returns the deltas. */
static int apply_change(rpc_call *call, pg_conn *pg, const Booking__V1__Resource *r, const inventory_change *c,
                        int *deltas)
{
    int n = c->span.count;
    slot_row *old = rpc_alloc(call, sizeof *old * (size_t)n);
    int implicit = r->slot_minutes == SLOT_MINUTES_SINGLE ? 0 : r->capacity;
    if (inventory_load_slots(pg, c->resource_id, c->starts, n, c->starts + 1, implicit, old) != 0 ||
        store_slots_set(pg, c->resource_id, c->starts, n, c->starts + 1, c->total, c->price) < 0 ||
        store_resource_bump_version(pg, c->resource_id) != 0)
        return store_fail_pg(call, pg);
    for (int i = 0; i < n; i++)
        deltas[i] = c->total - old[i].total;
    if (hold_cache_adjust(booking_redis(call), c->resource_id, c->starts, deltas, n) != 0 ||
        hold_cache_forget_resource(booking_redis(call), c->resource_id) != 0) {
        pg_rollback(pg);
        return store_fail_redis(call, booking_redis(call)->errstr);
    }
    return 0;
}

int rpc_set_inventory(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__SetInventoryRequest *req = (const Booking__V1__SetInventoryRequest *)request;
    pg_conn *pg = booking_pg(call);
    Booking__V1__Resource *r;
    inventory_change c;
    if (!req->resource_id || !*req->resource_id)
        return rpc_invalid_argument(call, "resource_id", "is required");
    if (pg_begin(pg) != 0)
        return store_fail_pg(call, pg);
    int found = inventory_load_resource(pg, req->resource_id, LOCK_UPDATE, rpc_allocator(call), &r);
    if (found <= 0) {
        pg_rollback(pg);
        return found < 0 ? store_fail_pg(call, pg)
                         : rpc_fail(call, RPC_NOT_FOUND, "RESOURCE_NOT_FOUND", "resource \"%s\" does not exist",
                                    req->resource_id);
    }
    if (plan_change(call, req, r, &c) != 0 || check_change(call, pg, r, &c) != 0) {
        pg_rollback(pg);
        return -1;
    }
    int *deltas = rpc_alloc(call, sizeof *deltas * (size_t)c.span.count);
    if (apply_change(call, pg, r, &c, deltas) != 0)
        return -1;
    if (pg_commit(pg) != 0) {
        for (int i = 0; i < c.span.count; i++)
            deltas[i] = -deltas[i];
        hold_cache_adjust(booking_redis(call), c.resource_id, c.starts, deltas, c.span.count);
        return store_fail_pg(call, pg);
    }
    catalog_forget(booking_catalog, c.resource_id);
    hold_cache_touch(booking_redis(call), c.resource_id); /* readers refresh from PostgreSQL */
    Booking__V1__SetInventoryResponse *resp =
        RPC_NEW(call, Booking__V1__SetInventoryResponse, booking__v1__set_inventory_response__init);
    resp->slots_updated = c.span.count;
    *response = &resp->base;
    return 0;
}
