/* hold_extend.c — ExtendHold: the owner moves an ACTIVE hold's expiry later, within the
 * resource's bounds (max_hold_extensions, max_hold_seconds from creation), in one step
 * with its TTL marker and deadline entry (lua/hold_extend.lua), so a racing expiry
 * either came first or finds the new deadline (docs/checkout-lifecycle.md, "Extending a
 * hold"). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "booking.h"
#include "catalog_cache.h"
#include "hold_cache.h"
#include "hold_view.h"
#include "ids.h"
#include "saga.h"
#include "timeutil.h"
#include "user_holds.h"

typedef struct extend_bounds {
    long max_extensions;
    long max_seconds;  /* a hold's longest life, from its creation */
} extend_bounds;

/* The resource's bounds, or the service's where it sets none. */
static int bounds_of(rpc_call *call, const char *resource_id, extend_bounds *b)
{
    Booking__V1__Resource *r;
    int64_t version;
    b->max_extensions = booking_config.max_hold_extensions;
    b->max_seconds = booking_config.max_hold_seconds;
    int found = catalog_get(booking_catalog, booking_pg(call), resource_id, 0, rpc_allocator(call), &r, &version);
    if (found < 0)
        return store_fail_pg(call, booking_pg(call));
    if (found && r->max_hold_extensions > 0)
        b->max_extensions = r->max_hold_extensions;
    if (found && r->max_hold_seconds > 0)
        b->max_seconds = r->max_hold_seconds;
    return 0;
}

static const char *state_name(char letter)
{
    switch (letter) {
    case 'C': return "being confirmed";
    case 'F': return "confirmed";
    case 'R': return "released";
    default: return "expired";
    }
}

/* FAILED_PRECONDITION HOLD_NOT_EXTENDABLE, the reason in the message and in `why`. */
static int not_extendable(rpc_call *call, const char *hold_id, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int not_extendable(rpc_call *call, const char *hold_id, const char *why, const char *fmt, ...)
{
    char reason[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    rpc_fail(call, RPC_FAILED_PRECONDITION, "HOLD_NOT_EXTENDABLE", "hold %s cannot be extended: %s", hold_id, reason);
    rpc_error_detail(call, "why", why);
    return -1;
}

static int refused(rpc_call *call, const char *hold_id, const hold_extend *x, const extend_bounds *b)
{
    if (strcmp(x->why, "count") == 0)
        return not_extendable(call, hold_id, "max_hold_extensions", "it was extended %d time(s); at most %ld",
                              x->extensions, b->max_extensions);
    if (strcmp(x->why, "lifetime") == 0)
        return not_extendable(call, hold_id, "max_hold_seconds",
                              "a hold lives at most %ld s from its creation", b->max_seconds);
    if (strcmp(x->why, "expired") == 0)
        return not_extendable(call, hold_id, "expired", "it is expired");
    return not_extendable(call, hold_id, "state", "it is %s", state_name(x->state));
}

/* Moves the hold's expiry; h follows. */
static int extend_live(rpc_call *call, hold_view *h, int64_t extend_ms, const extend_bounds *b)
{
    char nonce[ID_MAX + 1];
    const char *token = rpc_idempotency_token(call);
    if (token) /* a retry of a call that already moved the hold moves it no further */
        snprintf(nonce, sizeof nonce, "%s", token);
    else
        new_id("x", nonce, sizeof nonce);
    hold_extend_args args = {rpc_is_admin(call) ? "" : rpc_user_id(call), rpc_user_id(call), nonce, extend_ms,
                             (int)b->max_extensions, (int64_t)b->max_seconds * 1000};
    hold_extend x = hold_cache_extend(booking_redis(call), h->rec.resource_id, h->rec.hold_id, &args, wall_ms());
    switch (x.status) {
    case EXTEND_DONE:
        /* the user's held units count until the new deadline (lost: they count less long) */
        user_holds_extend(booking_redis(call), x.user_id, h->rec.hold_id,
                          x.expires_ms + saga_config.confirm_timeout_seconds * 1000);
        h->rec.expires_ms = x.expires_ms;
        h->rec.extensions = x.extensions;
        return 0;
    case EXTEND_REFUSED:
        return refused(call, h->rec.hold_id, &x, b);
    case EXTEND_NOT_OWNER:
        return require_owner(call, h->rec.user_id);
    case EXTEND_GONE:
        return not_extendable(call, h->rec.hold_id, "expired", "it is expired");
    default:
        return store_fail_redis(call, booking_redis(call)->errstr);
    }
}

int rpc_extend_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__ExtendHoldRequest *req = (const Booking__V1__ExtendHoldRequest *)request;
    hold_view h;
    extend_bounds b;
    if (load_hold_owned(call, req->hold_id, &h) != 0)
        return -1;
    if (bounds_of(call, h.live ? h.rec.resource_id : h.row.resource_id, &b) != 0)
        return -1;
    if (req->extend_seconds < 1 || req->extend_seconds > b.max_seconds)
        return rpc_invalid_argument(call, "extend_seconds", "must be between 1 and %ld", b.max_seconds);
    if (!h.live) {
        int status = hold_view_status(&h);
        return not_extendable(call, h.row.hold_id, "state", "it is %s",
                              status == BOOKING__V1__HOLD_STATUS__HOLD_STATUS_CONFIRMED  ? "confirmed"
                              : status == BOOKING__V1__HOLD_STATUS__HOLD_STATUS_RELEASED ? "released"
                                                                                         : "expired");
    }
    if (extend_live(call, &h, (int64_t)req->extend_seconds * 1000, &b) != 0)
        return -1;
    *response = &hold_message(call, &h)->base;
    return 0;
}
