/* hold_rpc.c — CreateHold, GetHold, ReleaseHold: validate, take units in Redis
 * atomically (loading missing counters from PostgreSQL), record the hold's history. */
#include <stdio.h>
#include <string.h>

#include "booking.h"
#include "booking_store.h"
#include "hold_cache.h"
#include "ids.h"
#include "inventory_store.h"
#include "log.h"
#include "pricing.h"
#include "slots.h"
#include "timeutil.h"

#define USER_ID_MAX 128

typedef struct hold_plan {
    Booking__V1__Resource *resource;
    const char *user_id;
    slot_span span;
    int64_t *starts;
    slot_row *rows;
    int *available;   /* per slot, before this hold */
    int quantity;
    int64_t expires_ms, ttl_ms;
    char hold_id[ID_MAX + 1];
} hold_plan;

static int check_identity(rpc_call *call, const Booking__V1__CreateHoldRequest *req, hold_plan *p)
{
    p->user_id = req->user_id && *req->user_id ? req->user_id : rpc_user_id(call);
    if (strlen(p->user_id) > USER_ID_MAX)
        return rpc_invalid_argument(call, "user_id", "is longer than %d bytes", USER_ID_MAX);
    if (!rpc_is_admin(call) && strcmp(p->user_id, rpc_user_id(call)) != 0)
        return rpc_fail(call, RPC_PERMISSION_DENIED, "NOT_OWNER", "a customer can only hold for themselves");
    if (!req->resource_id || !*req->resource_id)
        return rpc_invalid_argument(call, "resource_id", "is required");
    if (!id_valid(req->resource_id))
        return rpc_invalid_argument(call, "resource_id", "is not a valid id");
    if (!ts_valid(req->start_time))
        return rpc_invalid_argument(call, "start_time", "is required");
    if (!ts_valid(req->end_time))
        return rpc_invalid_argument(call, "end_time", "is required");
    return 0;
}

static int check_window(rpc_call *call, const hold_plan *p)
{
    int64_t now = wall_seconds();
    int64_t earliest = p->resource->slot_minutes == SLOT_MINUTES_NIGHTLY ? now - now % SECONDS_PER_DAY : now;
    if (p->span.first_start < earliest)
        return rpc_invalid_argument(call, "start_time", "is in the past");
    int64_t end = slot_span_start(&p->span, p->span.count);
    if (end > now + booking_config.horizon_days * SECONDS_PER_DAY)
        return rpc_invalid_argument(call, "end_time", "is more than %ld days ahead", booking_config.horizon_days);
    return 0;
}

static int check_quantity(rpc_call *call, const Booking__V1__CreateHoldRequest *req, hold_plan *p)
{
    long max = p->resource->max_quantity_per_hold > 0 ? p->resource->max_quantity_per_hold : booking_config.max_quantity;
    if (req->quantity < 1 || req->quantity > max)
        return rpc_invalid_argument(call, "quantity", "must be between 1 and %ld", max);
    p->quantity = req->quantity;
    return 0;
}

/* The slots of the range and their rows; a single-slot resource needs its slot. */
static int plan_slots(rpc_call *call, const Booking__V1__CreateHoldRequest *req, hold_plan *p)
{
    const char *field;
    char msg[200];
    const Booking__V1__Resource *r = p->resource;
    if (r->status != BOOKING__V1__RESOURCE_STATUS__RESOURCE_STATUS_ACTIVE)
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "RESOURCE_INACTIVE", "resource \"%s\" is not bookable",
                        r->resource_id);
    if (slot_span_of(r->slot_minutes, ts_seconds(req->start_time), ts_seconds(req->end_time),
                     (int)booking_config.max_slots, &p->span, &field, msg, sizeof msg) != 0)
        return rpc_invalid_argument(call, field, "%s", msg);
    if (check_window(call, p) != 0 || check_quantity(call, req, p) != 0)
        return -1;
    int n = p->span.count;
    p->starts = rpc_alloc(call, sizeof *p->starts * (size_t)n);
    p->rows = rpc_alloc(call, sizeof *p->rows * (size_t)n);
    p->available = rpc_alloc(call, sizeof *p->available * (size_t)n);
    for (int i = 0; i < n; i++)
        p->starts[i] = slot_span_start(&p->span, i);
    int implicit = r->slot_minutes == SLOT_MINUTES_SINGLE ? 0 : r->capacity;
    if (inventory_load_slots(booking_pg(call), r->resource_id, p->starts, n, p->span.slot_seconds, implicit,
                             p->rows) != 0)
        return store_fail_pg(call, booking_pg(call));
    if (r->slot_minutes == SLOT_MINUTES_SINGLE &&
        (!p->rows[0].exists || p->rows[0].end != p->starts[0] + p->span.slot_seconds))
        return rpc_invalid_argument(call, "start_time", "no slot of this resource is [start_time, end_time)");
    return 0;
}

/* Loads missing counters as total - confirmed, under the resource row lock that
 * SetInventory and cancellations take before they move counters. */
static int load_counters(rpc_call *call, hold_plan *p, const int64_t *missing, int n)
{
    pg_conn *pg = booking_pg(call);
    Booking__V1__Resource *locked;
    slot_row *rows = rpc_alloc(call, sizeof *rows * (size_t)n);
    int *values = rpc_alloc(call, sizeof *values * (size_t)n);
    if (inventory_load_resource(pg, p->resource->resource_id, LOCK_UPDATE, rpc_allocator(call), &locked) <= 0)
        return store_fail_pg(call, pg);
    int implicit = locked->slot_minutes == SLOT_MINUTES_SINGLE ? 0 : locked->capacity;
    if (inventory_load_slots(pg, p->resource->resource_id, missing, n, p->span.slot_seconds, implicit, rows) != 0)
        return store_fail_pg(call, pg);
    for (int i = 0; i < n; i++)
        values[i] = rows[i].total - rows[i].confirmed;
    if (hold_cache_init_slots(booking_redis(call), p->resource->resource_id, missing, values, n) != 0)
        return store_fail_redis(call, booking_redis(call)->errstr);
    return 0;
}

static int take_units(rpc_call *call, hold_plan *p)
{
    hold_take t = {.available = p->available, .missing = rpc_alloc(call, sizeof(int64_t) * (size_t)p->span.count)};
    for (int attempt = 0; attempt < 2; attempt++) {
        hold_cache_take(booking_redis(call), p->resource->resource_id, p->hold_id, p->user_id, p->quantity,
                        p->expires_ms, p->ttl_ms, p->starts, p->span.count, &t);
        if (t.status != HOLD_MISSING)
            break;
        if (load_counters(call, p, t.missing, t.missing_count) != 0)
            return -1;
    }
    switch (t.status) {
    case HOLD_TAKEN:
        return 0;
    case HOLD_SHORT: {
        char slot[40], available[16];
        rpc_fail(call, RPC_RESOURCE_EXHAUSTED, "INSUFFICIENT_AVAILABILITY",
                 "only %d unit(s) left at %s; %d requested", t.short_available < 0 ? 0 : t.short_available,
                 format_rfc3339(t.short_slot, slot, sizeof slot), p->quantity);
        snprintf(available, sizeof available, "%d", t.short_available < 0 ? 0 : t.short_available);
        rpc_error_detail(call, "slot_start", slot);
        rpc_error_detail(call, "available", available);
        return -1;
    }
    case HOLD_FAILED:
        return store_fail_redis(call, t.errstr);
    default:
        return rpc_fail(call, RPC_INTERNAL, "HOLD_CACHE", "unexpected hold cache state");
    }
}

static int check_allowance(rpc_call *call, const hold_plan *p)
{
    long held = store_begin_hold(booking_pg(call), p->user_id);
    if (held < 0)
        return store_fail_pg(call, booking_pg(call));
    if (held + p->quantity > booking_config.max_held_units) {
        char limit[24];
        snprintf(limit, sizeof limit, "%ld", booking_config.max_held_units);
        rpc_fail(call, RPC_RESOURCE_EXHAUSTED, "TOO_MANY_HELD_UNITS",
                 "user %s already holds %ld unit(s); at most %ld at once", p->user_id, held,
                 booking_config.max_held_units);
        rpc_error_detail(call, "limit", limit);
        return -1;
    }
    return 0;
}

static Booking__V1__Price *price_message(rpc_call *call, const char *currency, const quote_line *lines, int n,
                                         const quote *q, int quantity)
{
    Booking__V1__Price *price = RPC_NEW(call, Booking__V1__Price, booking__v1__price__init);
    price->n_lines = (size_t)n;
    price->lines = rpc_alloc(call, sizeof *price->lines * (size_t)n);
    for (int i = 0; i < n; i++) {
        Booking__V1__PriceLine *l = RPC_NEW(call, Booking__V1__PriceLine, booking__v1__price_line__init);
        l->slot_start = timestamp_new(call, lines[i].slot_start);
        l->slot_end = timestamp_new(call, lines[i].slot_end);
        l->unit_price = money_new(call, currency, lines[i].unit_price_minor);
        l->quantity = quantity;
        l->amount = money_new(call, currency, lines[i].amount_minor);
        l->description = rpc_strdup(call, lines[i].description);
        price->lines[i] = l;
    }
    price->subtotal = money_new(call, currency, q->subtotal_minor);
    price->fees = money_new(call, currency, q->fees_minor);
    price->taxes = money_new(call, currency, q->taxes_minor);
    price->total = money_new(call, currency, q->total_minor);
    return price;
}

static int quote_hold(rpc_call *call, const hold_plan *p, Booking__V1__Price **out)
{
    int n = p->span.count;
    price_slot *slots = rpc_alloc(call, sizeof *slots * (size_t)n);
    quote_line *lines = rpc_alloc(call, sizeof *lines * (size_t)n);
    quote q;
    for (int i = 0; i < n; i++)
        slots[i] = (price_slot){p->rows[i].start, p->rows[i].end,
                                p->rows[i].price_minor >= 0 ? p->rows[i].price_minor
                                                            : p->resource->base_price->amount_minor,
                                p->rows[i].total, p->available[i]};
    if (price_quote(p->resource->pricing, slots, n, p->quantity, wall_seconds(), lines, &q) != 0)
        return rpc_invalid_argument(call, "quantity", "the price of this hold is too large");
    *out = price_message(call, p->resource->base_price->currency, lines, n, &q, p->quantity);
    return 0;
}

static Booking__V1__Hold *hold_message(rpc_call *call, const hold_row *h)
{
    Booking__V1__Hold *m = RPC_NEW(call, Booking__V1__Hold, booking__v1__hold__init);
    m->hold_id = rpc_strdup(call, h->hold_id);
    m->user_id = rpc_strdup(call, h->user_id);
    m->resource_id = rpc_strdup(call, h->resource_id);
    m->start_time = timestamp_new(call, h->start_time);
    m->end_time = timestamp_new(call, h->end_time);
    m->quantity = h->quantity;
    m->status = (Booking__V1__HoldStatus)h->status;
    if (h->status == BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE && h->expires_at <= wall_ms())
        m->status = BOOKING__V1__HOLD_STATUS__HOLD_STATUS_EXPIRED; /* the sweep may lag; the truth does not */
    m->expires_at = timestamp_new(call, h->expires_at / 1000);
    m->expires_at->nanos = (int32_t)(h->expires_at % 1000) * 1000000;
    m->quote = h->quote;
    m->created_at = timestamp_new(call, h->created_at);
    m->booking_id = rpc_strdup(call, h->booking_id);
    return m;
}

static void plan_expiry(hold_plan *p)
{
    long ttl = p->resource->hold_ttl_seconds > 0 ? p->resource->hold_ttl_seconds : booking_config.hold_ttl_seconds;
    p->ttl_ms = ttl * 1000;
    p->expires_ms = wall_ms() + p->ttl_ms;
}

/* Records the taken hold; gives the units back if that fails. */
static int record_hold(rpc_call *call, hold_plan *p, hold_row *row)
{
    pg_conn *pg = booking_pg(call);
    Booking__V1__Price *price = NULL;
    memset(row, 0, sizeof *row);
    snprintf(row->hold_id, sizeof row->hold_id, "%s", p->hold_id);
    snprintf(row->user_id, sizeof row->user_id, "%s", p->user_id);
    snprintf(row->resource_id, sizeof row->resource_id, "%s", p->resource->resource_id);
    row->start_time = p->span.first_start;
    row->end_time = slot_span_start(&p->span, p->span.count);
    row->quantity = p->quantity;
    row->status = BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE;
    row->expires_at = p->expires_ms;
    row->created_at = wall_seconds();
    int rc = quote_hold(call, p, &price);
    if (rc == 0 && store_hold_insert_commit(pg, row, price, rpc_user_id(call)) != 0)
        rc = store_fail_pg(call, pg);
    if (rc != 0) {
        pg_rollback(pg);
        hold_cache_release(booking_redis(call), p->resource->resource_id, p->hold_id, 'R', wall_ms());
        return -1;
    }
    row->quote = price;
    return 0;
}

int rpc_create_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__CreateHoldRequest *req = (const Booking__V1__CreateHoldRequest *)request;
    hold_plan p = {0};
    hold_row row;
    if (check_identity(call, req, &p) != 0 || load_resource(call, req->resource_id, &p.resource) != 0 ||
        plan_slots(call, req, &p) != 0)
        return -1;
    new_id("hold", p.hold_id, sizeof p.hold_id);
    plan_expiry(&p);
    pg_conn *pg = booking_pg(call);
    if (check_allowance(call, &p) != 0 || take_units(call, &p) != 0) {
        pg_rollback(pg);
        return -1;
    }
    if (record_hold(call, &p, &row) != 0)
        return -1;
    log_debug("hold %s: %d x %d slot(s) of %s for %s", p.hold_id, p.quantity, p.span.count, p.resource->resource_id,
              p.user_id);
    *response = &hold_message(call, &row)->base;
    return 0;
}

int load_hold_owned(rpc_call *call, const char *hold_id, hold_row *h)
{
    if (!hold_id || !*hold_id)
        return rpc_invalid_argument(call, "hold_id", "is required");
    int found = store_hold_load(booking_pg(call), hold_id, rpc_allocator(call), h);
    if (found < 0)
        return store_fail_pg(call, booking_pg(call));
    if (!found)
        return rpc_fail(call, RPC_NOT_FOUND, "HOLD_NOT_FOUND", "hold \"%s\" does not exist", hold_id);
    return require_owner(call, h->user_id);
}

int rpc_get_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__GetHoldRequest *req = (const Booking__V1__GetHoldRequest *)request;
    hold_row h;
    if (load_hold_owned(call, req->hold_id, &h) != 0)
        return -1;
    *response = &hold_message(call, &h)->base;
    return 0;
}

/* Records the end of a hold whose units Redis gave back (or lost); h follows. */
static int record_release(rpc_call *call, hold_row *h, char final_status)
{
    int to = final_status == 'X' ? BOOKING__V1__HOLD_STATUS__HOLD_STATUS_EXPIRED
                                 : BOOKING__V1__HOLD_STATUS__HOLD_STATUS_RELEASED;
    const char *type = final_status == 'X' ? "hold.expired" : "hold.released";
    int moved = store_hold_transition(booking_pg(call), h->hold_id, to, NULL, type, rpc_user_id(call), NULL);
    if (moved < 0)
        return store_fail_pg(call, booking_pg(call));
    if (moved == 1) {
        h->status = to;
        return 0;
    }
    return load_hold_owned(call, h->hold_id, h); /* someone else ended it first */
}

int rpc_release_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__ReleaseHoldRequest *req = (const Booking__V1__ReleaseHoldRequest *)request;
    hold_row h;
    if (load_hold_owned(call, req->hold_id, &h) != 0)
        return -1;
    if (h.status == BOOKING__V1__HOLD_STATUS__HOLD_STATUS_CONFIRMING ||
        h.status == BOOKING__V1__HOLD_STATUS__HOLD_STATUS_CONFIRMED)
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "HOLD_CONFIRMED", "hold \"%s\" is %s and cannot be released",
                        h.hold_id, h.status == BOOKING__V1__HOLD_STATUS__HOLD_STATUS_CONFIRMED ? "confirmed" : "being confirmed");
    if (h.status == BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE) {
        hold_release rel = hold_cache_release(booking_redis(call), h.resource_id, h.hold_id, 'R', wall_ms());
        hold_release_status rs = rel.status;
        char st = rel.final_status;
        if (rs == RELEASE_FAILED)
            return store_fail_redis(call, booking_redis(call)->errstr);
        if (rs == RELEASE_FINAL && (st == 'C' || st == 'F'))
            return rpc_fail(call, RPC_FAILED_PRECONDITION, "HOLD_CONFIRMED", "hold \"%s\" is being confirmed",
                            h.hold_id);
        if (rs == RELEASE_GONE || rs == RELEASE_DONE || rs == RELEASE_FINAL) {
            char final = rs == RELEASE_GONE ? (h.expires_at <= wall_ms() ? 'X' : 'R') : st;
            if (record_release(call, &h, final) != 0)
                return -1;
        }
    }
    *response = &hold_message(call, &h)->base;
    return 0;
}
