/* support.c — integration-test helpers (see support.h). */
#include "support.h"
#include "timeutil.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

rpc_code call_as(rpc_client *c, const char *method, const ProtobufCMessage *req, identity id, ProtobufCMessage **resp,
                 rpc_result *result)
{
    rpc_md md[3];
    size_t n = 0;
    if (id.user)
        md[n++] = (rpc_md){"x-user-id", id.user};
    if (id.role)
        md[n++] = (rpc_md){"x-user-role", id.role};
    if (id.key)
        md[n++] = (rpc_md){"idempotency-key", id.key};
    rpc_result local;
    rpc_result *r = result ? result : &local;
    ProtobufCMessage *out = NULL;
    rpc_client_call(c, method, req, md, n, 20000, 0, &out, r);
    if (resp)
        *resp = out;
    else if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    return r->code;
}

Google__Protobuf__Timestamp *at(int64_t seconds)
{
    static _Thread_local Google__Protobuf__Timestamp ring[16];
    static _Thread_local int next;
    Google__Protobuf__Timestamp *t = &ring[next++ % 16];
    google__protobuf__timestamp__init(t);
    t->seconds = seconds;
    return t;
}

int64_t day(int days)
{
    int64_t now = (int64_t)time(NULL);
    return now - now % 86400 + (int64_t)days * 86400;
}

void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void create_resource_from(rpc_client *booking, Booking__V1__Resource *r, char *out, size_t cap)
{
    if (!r->time_zone || !*r->time_zone)
        r->time_zone = (char *)"UTC"; /* required; the tests' default */
    Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
    req.resource = r;
    ProtobufCMessage *resp = NULL;
    rpc_result res;
    if (call_as(booking, "CreateResource", &req.base, ADMIN, &resp, &res) != RPC_OK)
        fail_msg("CreateResource: %s %s", rpc_code_name(res.code), res.message);
    snprintf(out, cap, "%s", ((Booking__V1__Resource *)resp)->resource_id);
    protobuf_c_message_free_unpacked(resp, NULL);
}

const char *create_resource(rpc_client *booking, const char *name, Booking__V1__ResourceType type, int capacity,
                            int slot_minutes, int64_t price_minor)
{
    static char ids[8][80];
    static int next;
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = price_minor;
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_type = type;
    r.name = (char *)name;
    r.location = (char *)"Lisbon";
    r.capacity = capacity;
    r.slot_minutes = slot_minutes;
    r.base_price = &price;
    char *id = ids[next++ % 8];
    create_resource_from(booking, &r, id, 80);
    return id;
}

rpc_code update_resource_field(rpc_client *booking, Booking__V1__Resource *upd, const char *path, rpc_result *r)
{
    char *paths[] = {(char *)path};
    Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
    mask.n_paths = 1;
    mask.paths = paths;
    Booking__V1__UpdateResourceRequest req = BOOKING__V1__UPDATE_RESOURCE_REQUEST__INIT;
    req.resource = upd;
    req.update_mask = &mask;
    return call_as(booking, "UpdateResource", &req.base, ADMIN, NULL, r);
}

const char *lifecycle_hotel(rpc_client *booking, const char *name, int capacity, lifecycle_settings s)
{
    static char ids[8][80];
    static int next;
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = 10000;
    Booking__V1__CancellationRule full = BOOKING__V1__CANCELLATION_RULE__INIT, *rules[] = {&full};
    full.refund_percent = 100;
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_type = BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM;
    r.name = (char *)name;
    r.location = (char *)"Lisbon";
    r.capacity = capacity;
    r.slot_minutes = 1440;
    r.base_price = &price;
    r.hold_ttl_seconds = s.hold_ttl;
    r.max_hold_extensions = s.max_extensions;
    r.max_hold_seconds = s.max_hold_seconds;
    r.overbooking_percent = s.overbooking_percent;
    r.n_cancellation_rules = 1;
    r.cancellation_rules = rules;
    char *id = ids[next++ % 8];
    create_resource_from(booking, &r, id, 80);
    return id;
}

Booking__V1__CreateHoldRequest hold_request(const char *resource_id, int64_t start, int64_t end, int quantity)
{
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.resource_id = (char *)resource_id;
    req.start_time = at(start);
    req.end_time = at(end);
    req.quantity = quantity;
    return req;
}

rpc_code hold(rpc_client *booking, const char *user, const char *resource_id, int64_t start, int64_t end,
              int quantity, char *hold_id, size_t cap)
{
    Booking__V1__CreateHoldRequest req = hold_request(resource_id, start, end, quantity);
    ProtobufCMessage *resp = NULL;
    rpc_code code = call_as(booking, "CreateHold", &req.base, CUSTOMER(user), &resp, NULL);
    if (code == RPC_OK && hold_id)
        snprintf(hold_id, cap, "%s", ((Booking__V1__Hold *)resp)->hold_id);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

int available_at(rpc_client *search, const char *resource_id, int64_t slot, int64_t slot_end)
{
    Booking__V1__GetCalendarRequest req = BOOKING__V1__GET_CALENDAR_REQUEST__INIT;
    req.resource_id = (char *)resource_id;
    req.start_time = at(slot);
    req.end_time = at(slot_end);
    ProtobufCMessage *resp = NULL;
    if (call_as(search, "GetCalendar", &req.base, CUSTOMER("viewer"), &resp, NULL) != RPC_OK)
        return -1;
    Booking__V1__GetCalendarResponse *cal = (Booking__V1__GetCalendarResponse *)resp;
    int available = -1;
    for (size_t i = 0; i < cal->n_slots; i++)
        if (cal->slots[i]->slot_start->seconds == slot)
            available = cal->slots[i]->available;
    protobuf_c_message_free_unpacked(resp, NULL);
    return available;
}

long wait_sql(harness *h, const char *sql, int nparams, const char *const *params, long want, long timeout_ms)
{
    int64_t start = monotonic_ms();
    for (;;) {
        long got = harness_sql_long(h, sql, nparams, params);
        long waited = (long)(monotonic_ms() - start);
        if (got == want || waited >= timeout_ms)
            return got;
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    }
}

int hold_status_of(rpc_client *booking, const char *hold_id)
{
    Booking__V1__GetHoldRequest req = BOOKING__V1__GET_HOLD_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    ProtobufCMessage *resp = NULL;
    if (call_as(booking, "GetHold", &req.base, (identity){"ops", "admin", NULL}, &resp, NULL) != RPC_OK)
        return -1;
    int status = ((Booking__V1__Hold *)resp)->status;
    protobuf_c_message_free_unpacked(resp, NULL);
    return status;
}

rpc_code confirm_as(rpc_client *booking, const char *hold_id, const char *user, const char *method,
                    Booking__V1__Booking **out, rpc_result *r)
{
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    req.payment_method_id = (char *)method;
    ProtobufCMessage *resp = NULL;
    rpc_code code = call_as(booking, "ConfirmBooking", &req.base, CUSTOMER(user), &resp, r);
    if (out)
        *out = (Booking__V1__Booking *)resp;
    else if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

rpc_code cancel_units(rpc_client *booking, const char *booking_id, identity id, int quantity,
                      Booking__V1__Booking **out, rpc_result *r)
{
    Booking__V1__CancelBookingRequest req = BOOKING__V1__CANCEL_BOOKING_REQUEST__INIT;
    req.booking_id = (char *)booking_id;
    req.reason = (char *)"plans changed";
    req.quantity = quantity;
    ProtobufCMessage *resp = NULL;
    rpc_code code = call_as(booking, "CancelBooking", &req.base, id, &resp, r);
    if (out)
        *out = (Booking__V1__Booking *)resp;
    else if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

const char *error_detail(const rpc_result *r, const char *key)
{
    for (size_t i = 0; i < r->info.meta_count; i++)
        if (strcmp(r->info.meta_key[i], key) == 0)
            return r->info.meta_value[i];
    return "";
}

rpc_code confirm_hold(rpc_client *booking, const char *user, const char *hold_id, const char *payment_method)
{
    return confirm_as(booking, hold_id, user, payment_method, NULL, NULL);
}

rpc_code release_hold(rpc_client *booking, const char *user, const char *hold_id)
{
    Booking__V1__ReleaseHoldRequest req = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    return call_as(booking, "ReleaseHold", &req.base, CUSTOMER(user), NULL, NULL);
}

typedef struct racer {
    const char *addr, *resource_id;
    int64_t start, end;
    int index;
    pthread_barrier_t *go;
    rpc_code code;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    rpc_client *c = rpc_client_new(r->addr, &booking__v1__booking_service__descriptor);
    char user[32];
    snprintf(user, sizeof user, "racer-%d", r->index);
    pthread_barrier_wait(r->go);
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.resource_id = (char *)r->resource_id;
    Google__Protobuf__Timestamp s = GOOGLE__PROTOBUF__TIMESTAMP__INIT, e = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    s.seconds = r->start;
    e.seconds = r->end;
    req.start_time = &s;
    req.end_time = &e;
    req.quantity = 1;
    r->code = call_as(c, "CreateHold", &req.base, CUSTOMER(user), NULL, NULL);
    rpc_client_free(c);
    return NULL;
}

void race_for_holds(const char *booking_addr, const char *resource_id, int64_t start, int64_t end, int clients,
                    int *ok, int *exhausted)
{
    racer *racers = calloc((size_t)clients, sizeof *racers);
    pthread_t *threads = calloc((size_t)clients, sizeof *threads);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, (unsigned)clients);
    for (int i = 0; i < clients; i++) {
        racers[i] = (racer){booking_addr, resource_id, start, end, i, &go, RPC_OK};
        pthread_create(&threads[i], NULL, race, &racers[i]);
    }
    *ok = *exhausted = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(threads[i], NULL);
        *ok += racers[i].code == RPC_OK;
        *exhausted += racers[i].code == RPC_RESOURCE_EXHAUSTED;
        if (racers[i].code != RPC_OK && racers[i].code != RPC_RESOURCE_EXHAUSTED)
            print_message("racer %d: %s\n", i, rpc_code_name(racers[i].code));
    }
    pthread_barrier_destroy(&go);
    free(threads);
    free(racers);
}
