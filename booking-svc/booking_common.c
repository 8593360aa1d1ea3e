/* booking_common.c — helpers every booking-svc handler uses: stores, ownership,
 * resource loading, small message constructors. */
#include <stdio.h>
#include <string.h>

#include "booking.h"
#include "booking_store.h"
#include "ids.h"
#include "log.h"

booking_settings booking_config;
rpc_client *booking_payments;
catalog_cache *booking_catalog;

pg_conn *booking_pg(rpc_call *call) { return ((service_worker *)rpc_worker_state(call))->pg; }
redis_conn *booking_redis(rpc_call *call) { return ((service_worker *)rpc_worker_state(call))->redis; }

int call_new_id(rpc_call *call, const char *prefix, char *out, size_t cap)
{
    const char *token = rpc_idempotency_token(call);
    if (token)
        snprintf(out, cap, "%s_%s", prefix, token);
    else
        new_id(prefix, out, cap);
    return token != NULL;
}

int require_owner(rpc_call *call, const char *owner_user_id)
{
    if (rpc_is_admin(call) || strcmp(rpc_user_id(call), owner_user_id) == 0)
        return 0;
    return rpc_fail(call, RPC_PERMISSION_DENIED, "NOT_OWNER", "this belongs to another user");
}

int load_resource(rpc_call *call, const char *resource_id, Booking__V1__Resource **out)
{
    int found = inventory_load_resource(booking_pg(call), resource_id, LOCK_NONE, rpc_allocator(call), out);
    if (found < 0)
        return store_fail_pg(call, booking_pg(call));
    if (!found)
        return rpc_fail(call, RPC_NOT_FOUND, "RESOURCE_NOT_FOUND", "resource \"%s\" does not exist", resource_id);
    return 0;
}

Booking__V1__Money *money_new(rpc_call *call, const char *currency, int64_t amount_minor)
{
    Booking__V1__Money *m = RPC_NEW(call, Booking__V1__Money, booking__v1__money__init);
    m->currency = rpc_strdup(call, currency);
    m->amount_minor = amount_minor;
    return m;
}

Google__Protobuf__Timestamp *timestamp_new(rpc_call *call, int64_t seconds)
{
    Google__Protobuf__Timestamp *t = RPC_NEW(call, Google__Protobuf__Timestamp, google__protobuf__timestamp__init);
    t->seconds = seconds;
    return t;
}

Booking__V1__Price *price_message(rpc_call *call, const char *currency, const quote_line *lines, int n, const quote *q,
                                  int quantity)
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
