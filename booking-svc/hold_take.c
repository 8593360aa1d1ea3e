/* hold_take.c — the steps of making a hold (hold_take.h): plan, take, price, announce.
 * When the process knows the slots' capacity and price for the resource's current
 * version and the price does not depend on availability, the hold is priced first and
 * announced (hold.created on the hold log) by the take's own script; else it is priced
 * from what the take answered and announced by a second. The resource comes from the
 * process's catalogue copy; PostgreSQL is read only for what Redis has not loaded yet
 * (first use of a slot, a resource changed). */
#include "hold_take.h"

#include <stdio.h>
#include <string.h>

#include "catalog_cache.h"
#include "hold_cache.h"
#include "inventory_store.h"
#include "log.h"
#include "pricing.h"
#include "resource_validate.h"
#include "saga.h"
#include "timeutil.h"

#define USER_ID_MAX 128
#define TAKE_ATTEMPTS 4  /* a load of missing slots or a newer resource, then the take again */

int hold_check_request(rpc_call *call, const char *user_id, const char *resource_id,
                       const Google__Protobuf__Timestamp *start, const Google__Protobuf__Timestamp *end, hold_plan *p)
{
    p->user_id = user_id && *user_id ? user_id : rpc_user_id(call);
    if (strlen(p->user_id) > USER_ID_MAX)
        return rpc_invalid_argument(call, "user_id", "is longer than %d bytes", USER_ID_MAX);
    if (!rpc_is_admin(call) && strcmp(p->user_id, rpc_user_id(call)) != 0)
        return rpc_fail(call, RPC_PERMISSION_DENIED, "NOT_OWNER", "a customer can only hold for themselves");
    if (!resource_id || !*resource_id)
        return rpc_invalid_argument(call, "resource_id", "is required");
    if (!id_valid(resource_id))
        return rpc_invalid_argument(call, "resource_id", "is not a valid id");
    if (!ts_valid(start))
        return rpc_invalid_argument(call, "start_time", "is required");
    if (!ts_valid(end))
        return rpc_invalid_argument(call, "end_time", "is required");
    return 0;
}

int hold_plan_resource(rpc_call *call, const char *resource_id, int refresh, hold_plan *p)
{
    int found = catalog_get(booking_catalog, booking_pg(call), resource_id, refresh, rpc_allocator(call),
                            &p->resource, &p->version);
    if (found < 0)
        return store_fail_pg(call, booking_pg(call));
    if (!found)
        return rpc_fail(call, RPC_NOT_FOUND, "RESOURCE_NOT_FOUND", "resource \"%s\" does not exist", resource_id);
    return 0;
}

static int check_window(rpc_call *call, const hold_plan *p)
{
    int64_t now = p->now_ms / 1000;
    /* nightly: tonight (local) is still sold */
    int64_t earliest = p->resource->slot_minutes == SLOT_MINUTES_NIGHTLY ? slot_floor(&p->span.clock, now) : now;
    if (p->span.first_start < earliest)
        return rpc_invalid_argument(call, "start_time", "is in the past");
    int64_t end = p->span.end;
    if (end > now + booking_config.horizon_days * SECONDS_PER_DAY)
        return rpc_invalid_argument(call, "end_time", "is more than %ld days ahead", booking_config.horizon_days);
    return 0;
}

static int check_quantity(rpc_call *call, int quantity, hold_plan *p)
{
    long max = p->resource->max_quantity_per_hold > 0 ? p->resource->max_quantity_per_hold : booking_config.max_quantity;
    if (quantity < 1 || quantity > max)
        return rpc_invalid_argument(call, "quantity", "must be between 1 and %ld", max);
    p->quantity = quantity;
    return 0;
}

int hold_plan_range(rpc_call *call, hold_plan *p, int64_t start, int64_t end, int quantity, const char *body,
                    int64_t ttl_ms)
{
    const char *field;
    char msg[200];
    const Booking__V1__Resource *r = p->resource;
    resource_clock clock;
    if (r->status != BOOKING__V1__RESOURCE_STATUS__RESOURCE_STATUS_ACTIVE)
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "RESOURCE_INACTIVE", "resource \"%s\" is not bookable",
                        r->resource_id);
    if (resource_clock_or_status(call, r, &clock) != 0)
        return -1;
    if (slot_span_of(&clock, start, end, (int)booking_config.max_slots, &p->span, &field, msg, sizeof msg) != 0)
        return rpc_invalid_argument(call, field, "%s", msg);
    if (check_window(call, p) != 0 || check_quantity(call, quantity, p) != 0)
        return -1;
    int n = p->span.count;
    p->starts = rpc_alloc(call, sizeof *p->starts * (size_t)(n + 1));
    p->before = rpc_alloc(call, sizeof *p->before * (size_t)n);
    p->total = rpc_alloc(call, sizeof *p->total * (size_t)n);
    p->price = rpc_alloc(call, sizeof *p->price * (size_t)n);
    p->end = rpc_alloc(call, sizeof *p->end * (size_t)n);
    slot_span_bounds(&p->span, p->starts);
    hold_id_new(r->resource_id, body ? body : rpc_idempotency_token(call), p->hold_id, sizeof p->hold_id);
    long ttl = r->hold_ttl_seconds > 0 ? r->hold_ttl_seconds : booking_config.hold_ttl_seconds;
    p->ttl_ms = ttl_ms > 0 ? ttl_ms : ttl * 1000;
    p->expires_ms = p->now_ms + p->ttl_ms;
    return 0;
}

/* A single-slot resource sells exactly its existing slots: [start_time, end_time) must
 * be one. slot_end: where the slot starting at start_time ends (0: there is none). */
static int check_single_slot(rpc_call *call, const hold_plan *p, int64_t slot_end)
{
    if (p->resource->slot_minutes != SLOT_MINUTES_SINGLE || slot_end == p->span.end)
        return 0;
    return rpc_invalid_argument(call, "start_time", "no slot of this resource is [start_time, end_time)");
}

/* Where each of the n slots starting at starts ends (a slot without a row ends there). */
static int64_t *slot_ends(rpc_call *call, const hold_plan *p, const int64_t *starts, int n)
{
    int64_t *ends = rpc_alloc(call, sizeof *ends * (size_t)(n ? n : 1));
    int single = p->resource->slot_minutes == SLOT_MINUTES_SINGLE;
    for (int i = 0; i < n; i++)
        ends[i] = single ? p->span.end : slot_next(&p->span.clock, starts[i]);
    return ends;
}

/* Loads what PostgreSQL says of the slots into Redis — counters as limit - confirmed
 * (the sell limit counts the overbooking allowance),
 * capacity and price — under the resource row lock that SetInventory, UpdateResource and
 * cancellations take before they move counters, so nothing is counted twice; the slot
 * info is stamped with the version read under that lock. */
static int load_slots(rpc_call *call, hold_plan *p, const int64_t *slots, int n)
{
    pg_conn *pg = booking_pg(call);
    Booking__V1__Resource *locked;
    slot_row *rows = rpc_alloc(call, sizeof *rows * (size_t)(n ? n : 1));
    int64_t version;
    int single = p->resource->slot_minutes == SLOT_MINUTES_SINGLE; /* slot_minutes never changes */
    if (inventory_lock_slots_for_load(pg, p->resource->resource_id, slots, n, slot_ends(call, p, slots, n), single,
                                      rpc_allocator(call), &locked, &version, rows) <= 0)
        goto failed;
    if (hold_cache_init_slots(booking_redis(call), p->resource->resource_id, version, rows, n, single) != 0) {
        pg_rollback(pg);
        return store_fail_redis(call, booking_redis(call)->errstr);
    }
    if (pg_commit(pg) != 0)
        goto failed;
    if (version != p->version) /* the copy we price with is not the one just loaded */
        return hold_plan_resource(call, p->resource->resource_id, 1, p);
    return 0;
failed:
    pg_rollback(pg);
    return store_fail_pg(call, pg);
}

static int answer_short(rpc_call *call, const hold_plan *p, const hold_take *t)
{
    char slot[40], available[16];
    int left = t->short_available < 0 ? 0 : t->short_available;
    rpc_fail(call, RPC_RESOURCE_EXHAUSTED, "INSUFFICIENT_AVAILABILITY", "only %d unit(s) left at %s; %d requested",
             left, format_rfc3339(t->short_slot, slot, sizeof slot), p->quantity);
    snprintf(available, sizeof available, "%d", left);
    rpc_error_detail(call, "slot_start", slot);
    rpc_error_detail(call, "available", available);
    return -1;
}

/* The hold's quote: each slot's price (override or base) and capacity, and the
 * availability before this hold (occupancy pricing). */
static int quote_hold(rpc_call *call, hold_plan *p)
{
    int n = p->span.count;
    price_slot *slots = rpc_alloc(call, sizeof *slots * (size_t)n);
    quote_line *lines = rpc_alloc(call, sizeof *lines * (size_t)n);
    quote q;
    for (int i = 0; i < n; i++) {
        slots[i] = price_slot_at(&p->span.clock, p->starts[i], p->starts[i + 1]);
        slots[i].base_price_minor = p->price[i] >= 0 ? p->price[i] : p->resource->base_price->amount_minor;
        slots[i].total_capacity = p->total[i];
        slots[i].available = p->before[i];
    }
    if (price_quote(p->resource->pricing, slots, n, p->quantity, p->now_ms / 1000, lines, &q) != 0)
        return rpc_invalid_argument(call, "quantity", "the price of this hold is too large");
    p->quote = price_message(call, p->resource->base_price->currency, lines, n, &q, p->quantity);
    return 0;
}

/* The packed quote (call memory) of p->quote. */
static uint8_t *pack_quote(rpc_call *call, const hold_plan *p, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(&p->quote->base);
    uint8_t *packed = rpc_alloc(call, *len + 1);
    protobuf_c_message_pack(&p->quote->base, packed);
    return packed;
}

/* Prices the hold before its units are taken, from the slot info this process has for
 * the resource's version, when the price does not depend on availability. 1 priced,
 * 0 not (price after the take), -1 with the status set. */
static int price_first(rpc_call *call, hold_plan *p)
{
    const Booking__V1__PricingRules *rules = p->resource->pricing;
    int n = p->span.count;
    if (rules && rules->n_occupancy > 0)
        return 0;
    slot_info *info = rpc_alloc(call, sizeof *info * (size_t)n);
    if (!catalog_get_slots(booking_catalog, p->resource->resource_id, p->version, p->starts, info, n))
        return 0;
    for (int i = 0; i < n; i++) {
        p->total[i] = p->before[i] = info[i].total;
        p->price[i] = info[i].price;
        p->end[i] = info[i].end;
    }
    if (check_single_slot(call, p, p->end[0]) != 0 || quote_hold(call, p) != 0)
        return -1;
    return 1;
}

/* What the take answered of the slots, for the next hold of this version. */
static void remember_slots(rpc_call *call, const hold_plan *p)
{
    int n = p->span.count;
    slot_info *info = rpc_alloc(call, sizeof *info * (size_t)n);
    for (int i = 0; i < n; i++)
        info[i] = (slot_info){p->total[i], p->price[i], p->end[i]};
    catalog_put_slots(booking_catalog, p->resource->resource_id, p->version, p->starts, info, n);
}

/* The user's allowance, as user_take.lua answered it beside the first take: 0 taken,
 * -1 with the status set (over the limit, or Redis failed). */
static int allowance_answer(rpc_call *call, const hold_plan *p, redisReply *reply)
{
    long held = 0;
    user_take_status st = user_holds_take_result(reply, p->user_id, &held);
    freeReplyObject(reply);
    if (st == USER_TAKEN)
        return 0;
    if (st == USER_FAILED)
        return store_fail_redis(call, booking_redis(call)->errstr);
    char limit[24];
    snprintf(limit, sizeof limit, "%ld", booking_config.max_held_units);
    rpc_fail(call, RPC_RESOURCE_EXHAUSTED, "TOO_MANY_HELD_UNITS", "user %s already holds %ld unit(s); at most %ld at once",
             p->user_id, held, booking_config.max_held_units);
    rpc_error_detail(call, "limit", limit);
    return -1;
}

hold_taken hold_take_units(rpc_call *call, hold_plan *p, user_take_call *allowance)
{
    hold_take t = {.before = p->before, .total = p->total, .price = p->price, .end = p->end,
                   .missing = rpc_alloc(call, sizeof(int64_t) * (size_t)p->span.count)};
    for (int attempt = 0; attempt < TAKE_ATTEMPTS; attempt++) {
        int priced = price_first(call, p);
        if (priced < 0)
            return TAKE_FAILED;
        size_t len = 0;
        uint8_t *packed = priced ? pack_quote(call, p, &len) : NULL;
        hold_take_args a = {p->resource->resource_id, p->hold_id, p->user_id, p->quantity, p->expires_ms, p->ttl_ms,
                            p->now_ms, p->version, p->span.first_start, p->span.end,
                            p->starts, p->span.count, packed, len, rpc_user_id(call)};
        /* the user's allowance first, in the same round trip (the first time only) */
        int ask = attempt == 0 && allowance;
        hold_cache_take_after(booking_redis(call), ask ? &allowance->call : NULL, &a, &t);
        if (ask && allowance_answer(call, p, allowance->call.reply) != 0)
            return t.status == HOLD_TAKEN ? (p->announced = priced, OVER_ALLOWANCE) : TAKE_FAILED;
        int rc = 0;
        switch (t.status) {
        case HOLD_TAKEN:
            p->announced = priced;
            if (!priced)
                remember_slots(call, p);
            return TAKEN_NEW;
        case HOLD_EXISTS:
            if (strcmp(t.exists_user, p->user_id) == 0)
                return TAKEN_BEFORE;
            return rpc_fail(call, RPC_INTERNAL, "HOLD_ID_TAKEN", "hold id %s is taken", p->hold_id), TAKE_FAILED;
        case HOLD_SHORT:
            if (check_single_slot(call, p, t.first_end) != 0)
                return TAKE_FAILED;
            return answer_short(call, p, &t), TAKE_FAILED;
        case HOLD_FAILED:
            return store_fail_redis(call, t.errstr), TAKE_FAILED;
        case HOLD_MISSING:
            rc = load_slots(call, p, t.missing, t.missing_count);
            break;
        case HOLD_STALE: /* a newer resource: read it; unknown or older slot info: load it */
            rc = t.stale_version > p->version ? hold_plan_resource(call, p->resource->resource_id, 1, p)
                                              : load_slots(call, p, p->starts, p->span.count);
            break;
        }
        if (rc != 0)
            return TAKE_FAILED;
    }
    rpc_fail(call, RPC_UNAVAILABLE, "RESOURCE_CHANGING", "resource %s kept changing; retry",
             p->resource->resource_id);
    return TAKE_FAILED;
}

int hold_announce(rpc_call *call, hold_plan *p)
{
    if (check_single_slot(call, p, p->end[0]) != 0 || quote_hold(call, p) != 0)
        return -1;
    size_t len;
    uint8_t *packed = pack_quote(call, p, &len);
    hold_quote_status qs = hold_cache_quote(booking_redis(call), p->resource->resource_id, p->hold_id, packed, len,
                                            rpc_user_id(call), wall_ms());
    if (qs == QUOTE_STORED || qs == QUOTE_ALREADY)
        return 0;
    return store_fail_redis(call, booking_redis(call)->errstr);
}

void hold_abort_creation(rpc_call *call, const hold_plan *p)
{
    hold_end abort = {'Z', "", rpc_user_id(call), "", 0};
    hold_cache_release(booking_redis(call), p->resource->resource_id, p->hold_id, &abort, wall_ms());
}

int hold_was_announced(rpc_call *call, const char *hold_id)
{
    hold_record rec;
    return hold_cache_load(booking_redis(call), hold_id, rpc_allocator(call), &rec) != 1 || rec.quote != NULL;
}

int hold_plan_available(rpc_call *call, hold_plan *p, int *available)
{
    int n = p->span.count;
    int *values = rpc_alloc(call, sizeof *values * (size_t)n);
    int64_t *missing = rpc_alloc(call, sizeof *missing * (size_t)n);
    for (int attempt = 0; attempt < 2; attempt++) {
        int m = 0;
        if (hold_cache_read(booking_redis(call), p->resource->resource_id, p->starts, n, values) != 0)
            return store_fail_redis(call, booking_redis(call)->errstr);
        *available = -1;
        for (int i = 0; i < n; i++) {
            if (values[i] < 0)
                missing[m++] = p->starts[i];
            else if (*available < 0 || values[i] < *available)
                *available = values[i];
        }
        if (m == 0)
            return 0;
        if (load_slots(call, p, missing, m) != 0)
            return -1;
    }
    return rpc_fail(call, RPC_UNAVAILABLE, "RESOURCE_CHANGING", "resource %s kept changing; retry",
                    p->resource->resource_id);
}
