/* test_expiry_common.c — helpers shared by expiry-svc's integration tests. */
#include "test_expiry_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "grpc/health/v1/health.pb-c.h"
#include "hold_cache.h"

void make_resource(rpc_client *booking, const char *name, int capacity, int slot_minutes, int ttl_seconds, char *out,
                   size_t cap)
{
    make_resource_id(booking, NULL, name, capacity, slot_minutes, ttl_seconds, out, cap);
}

void make_resource_id(rpc_client *booking, const char *id, const char *name, int capacity, int slot_minutes,
                      int ttl_seconds, char *out, size_t cap)
{
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = 1000;
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_id = (char *)id;
    r.resource_type = BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM;
    r.name = (char *)name;
    r.location = (char *)"Lisbon";
    r.capacity = capacity;
    r.slot_minutes = slot_minutes;
    r.hold_ttl_seconds = ttl_seconds;
    r.base_price = &price;
    create_resource_from(booking, &r, out, cap);
}

rpc_code hold_ms(rpc_client *booking, const char *user, const char *rid, int64_t start, int64_t end, int quantity,
                 char *hold_id, size_t cap, int64_t *expires_ms)
{
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.start_time = at(start);
    req.end_time = at(end);
    req.quantity = quantity;
    ProtobufCMessage *resp = NULL;
    rpc_result res;
    rpc_code code = call_as(booking, "CreateHold", &req.base, CUSTOMER(user), &resp, &res);
    if (code == RPC_OK) {
        Booking__V1__Hold *h = (Booking__V1__Hold *)resp;
        snprintf(hold_id, cap, "%s", h->hold_id);
        *expires_ms = h->expires_at->seconds * 1000 + h->expires_at->nanos / 1000000;
    } else {
        print_message("CreateHold: %s %s\n", rpc_code_name(code), res.message);
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

long counter(harness *h, const char *rid, int64_t slot)
{
    hold_keys k;
    hold_keys_for(&k, rid, NULL);
    redisReply *r = redis_command(harness_redis_client(h), "HGET %s %lld", k.avail, (long long)slot);
    long v = r && r->type == REDIS_REPLY_STRING ? strtol(r->str, NULL, 10) : -1;
    freeReplyObject(r);
    return v;
}

long redis_int(harness *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(harness_redis(h), fmt, ap);
    va_end(ap);
    assert_non_null(r);
    long v = r->type == REDIS_REPLY_INTEGER ? (long)r->integer : r->type == REDIS_REPLY_STRING ? strtol(r->str, NULL, 10) : -1;
    if (r->type == REDIS_REPLY_ERROR)
        print_message("redis: %s\n", r->str);
    freeReplyObject(r);
    return v;
}

long hold_status(harness *h, const char *hold_id)
{
    const char *params[1] = {hold_id};
    return harness_sql_long(h, "SELECT coalesce(max(status), 0) FROM booking.holds WHERE hold_id = $1", 1, params);
}

long hold_events(harness *h, const char *hold_id, const char *type)
{
    const char *params[2] = {hold_id, type};
    return harness_sql_long(h, "SELECT count(*) FROM booking.events WHERE subject_id = $1 AND event_type = $2", 2,
                            params);
}

long wait_status(harness *h, const char *hold_id, long status, long timeout_ms)
{
    int64_t give_up = wall_ms() + timeout_ms;
    long st;
    while ((st = hold_status(h, hold_id)) != status && wall_ms() < give_up)
        sleep_ms(20);
    return st;
}

long wait_counter(harness *h, const char *rid, int64_t slot, long value, long timeout_ms)
{
    int64_t started = wall_ms();
    while (counter(h, rid, slot) != value) {
        if (wall_ms() - started > timeout_ms)
            return -1;
        sleep_ms(5);
    }
    return (long)(wall_ms() - started);
}

Booking__V1__ExpiryStats *expiry_stats(const char *addr)
{
    rpc_client *c = rpc_client_new(addr, &booking__v1__expiry_service__descriptor);
    Booking__V1__GetStatsRequest req = BOOKING__V1__GET_STATS_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    rpc_code code = call_as(c, "GetStats", &req.base, (identity){0}, &resp, NULL);
    rpc_client_free(c);
    assert_int_equal(code, RPC_OK);
    return (Booking__V1__ExpiryStats *)resp;
}

rpc_code run_sweep(const char *addr, int *released, int *fixed)
{
    rpc_client *c = rpc_client_new(addr, &booking__v1__expiry_service__descriptor);
    Booking__V1__RunSweepRequest req = BOOKING__V1__RUN_SWEEP_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    rpc_result res;
    rpc_code code = call_as(c, "RunSweep", &req.base, (identity){0}, &resp, &res);
    rpc_client_free(c);
    if (code != RPC_OK) {
        print_message("RunSweep: %s %s\n", rpc_code_name(code), res.message);
        return code;
    }
    Booking__V1__RunSweepResponse *r = (Booking__V1__RunSweepResponse *)resp;
    if (released)
        *released = r->holds_released;
    if (fixed)
        *fixed = r->mismatches_fixed;
    protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

int serving(const char *addr)
{
    rpc_client *c = rpc_client_new(addr, &grpc__health__v1__health__descriptor);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int st = -1;
    if (rpc_client_call(c, "Check", &req.base, NULL, 0, 1000, 0, &resp, NULL) == 0)
        st = ((Grpc__Health__V1__HealthCheckResponse *)resp)->status ==
             GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    rpc_client_free(c);
    return st;
}

