/* hold_create.c — CreateHold at Redis's pace: validate, count the units against the
 * user's allowance (one script), then take them in every slot at once and create the
 * live hold (a second). When the process knows the slots' capacity and price for the
 * resource's current version and the price does not depend on availability, the hold is
 * priced first and announced (hold.created on the hold log) by that same script; else
 * it is priced from what the take answered and announced by a third. The resource comes
 * from the process's catalogue copy; PostgreSQL is read only for what Redis has not
 * loaded yet (first use of a slot, a resource changed). */
#include <stdio.h>
#include <string.h>

#include "booking.h"
#include "catalog_cache.h"
#include "hold_cache.h"
#include "hold_view.h"
#include "ids.h"
#include "inventory_store.h"
#include "log.h"
#include "pricing.h"
#include "resource_validate.h"
#include "saga.h"
#include "slots.h"
#include "timeutil.h"
#include "user_holds.h"

#define USER_ID_MAX 128
#define TAKE_ATTEMPTS 4  /* a load of missing slots or a newer resource, then the take again */

typedef struct hold_plan {
    Booking__V1__Resource *resource;
    int64_t version;
    const char *user_id;
    slot_span span;             /* on the resource's local clock */
    int64_t *starts;            /* span.count + 1 boundaries: slot i ends at starts[i + 1] */
    int *before, *total;
    int64_t *price, *end;
    int quantity;
    int64_t expires_ms, ttl_ms, now_ms;
    Booking__V1__Price *quote;  /* once priced */
    int announced;              /* hold.created logged */
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

/* The resource from the catalogue copy (refresh: from PostgreSQL). */
static int load_catalog(rpc_call *call, const char *resource_id, int refresh, hold_plan *p)
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

static int check_quantity(rpc_call *call, const Booking__V1__CreateHoldRequest *req, hold_plan *p)
{
    long max = p->resource->max_quantity_per_hold > 0 ? p->resource->max_quantity_per_hold : booking_config.max_quantity;
    if (req->quantity < 1 || req->quantity > max)
        return rpc_invalid_argument(call, "quantity", "must be between 1 and %ld", max);
    p->quantity = req->quantity;
    return 0;
}

/* The slots of the range, the hold's id and its expiry. */
static int plan_hold(rpc_call *call, const Booking__V1__CreateHoldRequest *req, hold_plan *p)
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
    if (slot_span_of(&clock, ts_seconds(req->start_time), ts_seconds(req->end_time),
                     (int)booking_config.max_slots, &p->span, &field, msg, sizeof msg) != 0)
        return rpc_invalid_argument(call, field, "%s", msg);
    if (check_window(call, p) != 0 || check_quantity(call, req, p) != 0)
        return -1;
    int n = p->span.count;
    p->starts = rpc_alloc(call, sizeof *p->starts * (size_t)(n + 1));
    p->before = rpc_alloc(call, sizeof *p->before * (size_t)n);
    p->total = rpc_alloc(call, sizeof *p->total * (size_t)n);
    p->price = rpc_alloc(call, sizeof *p->price * (size_t)n);
    p->end = rpc_alloc(call, sizeof *p->end * (size_t)n);
    slot_span_bounds(&p->span, p->starts);
    hold_id_new(r->resource_id, rpc_idempotency_token(call), p->hold_id, sizeof p->hold_id);
    long ttl = r->hold_ttl_seconds > 0 ? r->hold_ttl_seconds : booking_config.hold_ttl_seconds;
    p->ttl_ms = ttl * 1000;
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

/* Loads what PostgreSQL says of the slots into Redis — counters as total - confirmed,
 * capacity and price — under the resource row lock that SetInventory, UpdateResource and
 * cancellations take before they move counters, so nothing is counted twice; the slot
 * info is stamped with the version read under that lock. */
static int load_slots(rpc_call *call, hold_plan *p, const int64_t *slots, int n)
{
    pg_conn *pg = booking_pg(call);
    Booking__V1__Resource *locked;
    slot_row *rows = rpc_alloc(call, sizeof *rows * (size_t)(n ? n : 1));
    int64_t version;
    if (pg_begin(pg) != 0 ||
        inventory_load_versioned(pg, p->resource->resource_id, LOCK_UPDATE, rpc_allocator(call), &locked,
                                 &version) <= 0)
        goto failed;
    int single = locked->slot_minutes == SLOT_MINUTES_SINGLE;
    if (inventory_load_slots(pg, p->resource->resource_id, slots, n, slot_ends(call, p, slots, n),
                             single ? 0 : locked->capacity, rows) != 0)
        goto failed;
    if (hold_cache_init_slots(booking_redis(call), p->resource->resource_id, version, rows, n, single) != 0) {
        pg_rollback(pg);
        return store_fail_redis(call, booking_redis(call)->errstr);
    }
    if (pg_commit(pg) != 0)
        goto failed;
    if (version != p->version) /* the copy we price with is not the one just loaded */
        return load_catalog(call, p->resource->resource_id, 1, p);
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

typedef enum taken { TAKEN_NEW, TAKEN_BEFORE, TAKE_FAILED, OVER_ALLOWANCE } taken;

/* Takes the units and creates the hold, loading what Redis misses first. TAKEN_BEFORE:
 * a hold of this id exists (a retry under the same idempotency key). */
static taken take_units(rpc_call *call, hold_plan *p)
{
    hold_take t = {.before = p->before, .total = p->total, .price = p->price, .end = p->end,
                   .missing = rpc_alloc(call, sizeof(int64_t) * (size_t)p->span.count)};
    user_take_call allowance;
    int64_t deadline = p->expires_ms + saga_config.confirm_timeout_seconds * 1000;
    user_holds_take_call(&allowance, p->user_id, p->hold_id, p->quantity, booking_config.max_held_units, p->now_ms,
                         deadline);
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
        hold_cache_take_after(booking_redis(call), attempt == 0 ? &allowance.call : NULL, &a, &t);
        if (attempt == 0 && allowance_answer(call, p, allowance.call.reply) != 0)
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
            rc = t.stale_version > p->version ? load_catalog(call, p->resource->resource_id, 1, p)
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

/* Prices a hold taken unpriced, stores the quote and announces it (hold.created). */
static int announce(rpc_call *call, hold_plan *p)
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

/* Undoes a creation never announced: the units go back, no trace is left. */
static void abort_creation(rpc_call *call, const hold_plan *p)
{
    hold_end abort = {'Z', "", rpc_user_id(call), "", 0};
    hold_cache_release(booking_redis(call), p->resource->resource_id, p->hold_id, &abort, wall_ms());
}

/* The allowance refused a hold its take created in the same round trip: an unannounced
 * one leaves no trace; an announced one is released at once (its history says so). */
static void end_refused(rpc_call *call, const hold_plan *p)
{
    hold_end release = {'R', "", rpc_user_id(call), "over the user's allowance", 0};
    if (p->announced)
        hold_cache_release(booking_redis(call), p->resource->resource_id, p->hold_id, &release, wall_ms());
    else
        abort_creation(call, p);
}

/* 1 unless the hold exists unpriced (its creation never finished). */
static int announced(rpc_call *call, const char *hold_id)
{
    hold_record rec;
    return hold_cache_load(booking_redis(call), hold_id, rpc_allocator(call), &rec) != 1 || rec.quote != NULL;
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
    if (check_identity(call, req, &p) != 0 || load_catalog(call, req->resource_id, 0, &p) != 0 ||
        plan_hold(call, req, &p) != 0)
        return -1;
    taken t = take_units(call, &p);
    if (t == OVER_ALLOWANCE) { /* taken beside the refused allowance: given back at once */
        end_refused(call, &p);
        return -1;
    }
    if (t == TAKEN_BEFORE && !announced(call, p.hold_id)) { /* a run died between take and announce */
        abort_creation(call, &p);
        t = take_units(call, &p);
    }
    if (t == TAKE_FAILED) {
        user_holds_give_back(booking_redis(call), p.user_id, p.hold_id);
        return -1;
    }
    if (t == TAKEN_NEW && !p.announced && announce(call, &p) != 0) {
        abort_creation(call, &p);
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
