/* resource_rpc.c — CreateResource and UpdateResource (admin). */
#include <string.h>

#include "booking.h"
#include "booking_store.h"
#include "catalog_cache.h"
#include "hold_cache.h"
#include "ids.h"
#include "inventory_store.h"
#include "resource_validate.h"
#include "slots.h"

/* Fields an update may change; the others define the resource's identity and slots
 * (time_zone is listed so that an update may name it, but check_immutable refuses
 * another value: the slots, holds and bookings of the resource are its local times). */
static const char *const updatable[] = {"name", "location", "latitude", "longitude", "capacity", "time_zone",
                                        "status", "rating", "amenities", "base_price", "hold_ttl_seconds",
                                        "cancellation_rules", "metadata", "pricing", "max_quantity_per_hold",
                                        "check_in_local_time", "check_out_local_time"};
#define UPDATABLE_COUNT (sizeof updatable / sizeof updatable[0])

int rpc_create_resource(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__CreateResourceRequest *req = (const Booking__V1__CreateResourceRequest *)request;
    Booking__V1__Resource *r = req->resource;
    if (validate_resource(call, r) != 0)
        return -1;
    /* a server-assigned id comes from the idempotency key when there is one, so a run
     * that died between its commit and recording its answer is found again, not doubled */
    int from_key = 0;
    if (!r->resource_id || !*r->resource_id) {
        char id[ID_MAX + 1];
        from_key = call_new_id(call, "res", id, sizeof id);
        r->resource_id = rpc_strdup(call, id);
    }
    r->created_at = r->updated_at = NULL;
    int inserted = store_resource_insert(booking_pg(call), r);
    if (inserted < 0)
        return store_fail_pg(call, booking_pg(call));
    if (!inserted && !from_key)
        return rpc_fail(call, RPC_ALREADY_EXISTS, "RESOURCE_EXISTS", "resource \"%s\" already exists",
                        r->resource_id);
    hold_cache_touch(booking_redis(call), r->resource_id);
    return load_resource(call, r->resource_id, (Booking__V1__Resource **)response);
}

/* Copies one field, by its proto name, from src to dst (both in call memory). */
static void copy_field(Booking__V1__Resource *dst, const Booking__V1__Resource *src, const char *name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(&booking__v1__resource__descriptor, name);
    size_t size = f->label == PROTOBUF_C_LABEL_REPEATED || f->type == PROTOBUF_C_TYPE_MESSAGE ||
                          f->type == PROTOBUF_C_TYPE_STRING
                      ? sizeof(void *)
                  : f->type == PROTOBUF_C_TYPE_DOUBLE ? sizeof(double)
                                                      : sizeof(int32_t);
    memcpy((char *)dst + f->offset, (const char *)src + f->offset, size);
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        memcpy((char *)dst + f->quantifier_offset, (const char *)src + f->quantifier_offset, sizeof(size_t));
}

/* The top-level proto name a mask path names, in any of the spellings clients send:
 * proto ("base_price"), JSON ("basePrice") or Go ("BasePrice", what a REST gateway
 * derives from a PATCH body, down to the leaves: "BasePrice.AmountMinor", "Metadata.K").
 * A nested path updates its whole top-level field. */
static void mask_field_name(const char *path, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; path[i] && path[i] != '.' && n + 2 < cap; i++) {
        char c = path[i];
        if (c >= 'A' && c <= 'Z') {
            if (n > 0 && out[n - 1] != '_')
                out[n++] = '_';
            c = (char)(c - 'A' + 'a');
        }
        out[n++] = c;
    }
    out[n] = '\0';
}

static int apply_mask(rpc_call *call, Booking__V1__Resource *dst, const Booking__V1__Resource *src,
                      const Google__Protobuf__FieldMask *mask)
{
    size_t n = mask ? mask->n_paths : 0;
    if (n == 0) {
        for (size_t i = 0; i < UPDATABLE_COUNT; i++)
            copy_field(dst, src, updatable[i]);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char name[64];
        mask_field_name(mask->paths[i], name, sizeof name);
        if (strcmp(name, "resource_id") == 0)
            continue; /* names the resource (checked unchanged), changes nothing */
        size_t k = 0;
        while (k < UPDATABLE_COUNT && strcmp(name, updatable[k]) != 0)
            k++;
        if (k == UPDATABLE_COUNT)
            return rpc_invalid_argument(call, "update_mask", "\"%s\" cannot be updated", mask->paths[i]);
        copy_field(dst, src, updatable[k]);
    }
    return 0;
}

/* A changed default capacity moves the slots that follow it: rows a booking created
 * (never below their confirmed units) and every loaded counter of such a slot or of a
 * slot without a row; explicit SetInventory rows keep theirs. */
static int shift_implicit_slots(rpc_call *call, const Booking__V1__Resource *r, int delta)
{
    int refused = store_slots_follow_capacity(booking_pg(call), r->resource_id, r->capacity);
    if (refused < 0)
        return store_fail_pg(call, booking_pg(call));
    if (refused)
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "BELOW_CONFIRMED",
                        "capacity %d is below what is already confirmed on some slot", r->capacity);
    hold_keys k;
    hold_keys_for(&k, r->resource_id, NULL);
    redisReply *reply = redis_command(booking_redis(call), "HKEYS %s", k.avail);
    if (!reply)
        return store_fail_redis(call, booking_redis(call)->errstr);
    int n = (int)reply->elements;
    int64_t *starts = rpc_alloc(call, sizeof *starts * (size_t)(n + 1));
    int *deltas = rpc_alloc(call, sizeof *deltas * (size_t)(n + 1));
    slot_row *rows = rpc_alloc(call, sizeof *rows * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        starts[i] = strtoll(reply->element[i]->str, NULL, 10);
    freeReplyObject(reply);
    if (inventory_load_slots(booking_pg(call), r->resource_id, starts, n, NULL, r->capacity, rows) != 0)
        return store_fail_pg(call, booking_pg(call));
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!rows[i].exists || rows[i].inherits) {
            starts[m] = starts[i];
            deltas[m++] = delta;
        }
    if (hold_cache_adjust(booking_redis(call), r->resource_id, starts, deltas, m) != 0)
        return store_fail_redis(call, booking_redis(call)->errstr);
    return 0;
}

static int check_immutable(rpc_call *call, const Booking__V1__Resource *old, const Booking__V1__Resource *given)
{
    if (given->resource_type && given->resource_type != old->resource_type)
        return rpc_invalid_argument(call, "resource.resource_type", "cannot change");
    if (given->slot_minutes && given->slot_minutes != old->slot_minutes)
        return rpc_invalid_argument(call, "resource.slot_minutes", "cannot change once the resource exists");
    if (given->time_zone && *given->time_zone && strcmp(given->time_zone, old->time_zone) != 0)
        return rpc_invalid_argument(call, "resource.time_zone", "cannot change once the resource exists (it is %s)",
                                    old->time_zone);
    if (given->base_price && given->base_price->currency && *given->base_price->currency &&
        strcmp(given->base_price->currency, old->base_price->currency) != 0)
        return rpc_invalid_argument(call, "resource.base_price", "currency cannot change");
    return 0;
}

int rpc_update_resource(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__UpdateResourceRequest *req = (const Booking__V1__UpdateResourceRequest *)request;
    pg_conn *pg = booking_pg(call);
    if (!req->resource || !req->resource->resource_id || !*req->resource->resource_id)
        return rpc_invalid_argument(call, "resource.resource_id", "is required");
    Booking__V1__Resource *r;
    if (pg_begin(pg) != 0)
        return store_fail_pg(call, pg);
    int found = inventory_load_resource(pg, req->resource->resource_id, LOCK_UPDATE, rpc_allocator(call), &r);
    if (found <= 0) {
        pg_rollback(pg);
        return found < 0 ? store_fail_pg(call, pg)
                         : rpc_fail(call, RPC_NOT_FOUND, "RESOURCE_NOT_FOUND", "resource \"%s\" does not exist",
                                    req->resource->resource_id);
    }
    int old_capacity = r->capacity;
    char *zone = r->time_zone; /* it cannot change: an update that leaves it out keeps it */
    int rc = check_immutable(call, r, req->resource) != 0 || apply_mask(call, r, req->resource, req->update_mask) != 0;
    r->time_zone = zone;
    if (rc != 0 || validate_resource(call, r) != 0) {
        pg_rollback(pg);
        return -1;
    }
    if (store_resource_update(pg, r) != 0)
        return store_fail_pg(call, pg);
    if (r->capacity != old_capacity && r->slot_minutes != SLOT_MINUTES_SINGLE &&
        shift_implicit_slots(call, r, r->capacity - old_capacity) != 0) {
        pg_rollback(pg);
        return -1;
    }
    /* holds load the new version before they use any slot info again (under this lock) */
    if (hold_cache_forget_resource(booking_redis(call), r->resource_id) != 0) {
        pg_rollback(pg);
        return store_fail_redis(call, booking_redis(call)->errstr);
    }
    if (pg_commit(pg) != 0)
        return store_fail_pg(call, pg);
    catalog_forget(booking_catalog, r->resource_id);
    hold_cache_touch(booking_redis(call), r->resource_id); /* readers refresh from PostgreSQL */
    return load_resource(call, r->resource_id, (Booking__V1__Resource **)response);
}
