/* support.h — helpers for integration tests: calls with identity metadata, builders
 * for resources and holds, and assertions on gRPC outcomes. */
#ifndef TESTS_SUPPORT_H
#define TESTS_SUPPORT_H

#include "booking/v1/booking.pb-c.h"
#include "booking/v1/search.pb-c.h"
#include "harness.h"
#include "rpc_client.h"

typedef struct identity {
    const char *user;  /* NULL: no x-user-id */
    const char *role;  /* "customer", "admin" or NULL */
    const char *key;   /* idempotency-key or NULL */
} identity;

#define ADMIN ((identity){"admin-1", "admin", NULL})
#define CUSTOMER(u) ((identity){(u), "customer", NULL})

/* Calls a method with the identity's metadata; returns the status code. On OK,
 * *resp must be freed with protobuf_c_message_free_unpacked (resp may be NULL). */
rpc_code call_as(rpc_client *c, const char *method, const ProtobufCMessage *req, identity id, ProtobufCMessage **resp,
                 rpc_result *result);

/* A timestamp at Unix seconds (static storage rotated across 16 calls). */
Google__Protobuf__Timestamp *at(int64_t seconds);
/* 00:00Z of the UTC day `days` from today. */
int64_t day(int days);
/* Sleeps ms milliseconds. */
void sleep_ms(long ms);

/* CreateResource (as admin) of r; fails the test otherwise; its id into out. */
/* time_zone defaults to "UTC" when r has none. */
void create_resource_from(rpc_client *booking, Booking__V1__Resource *r, char *out, size_t cap);

/* Creates a resource (as admin) and returns its id (static storage rotated across 8
 * calls). slot_minutes 1440 = nightly. Fails the test on error. */
const char *create_resource(rpc_client *booking, const char *name, Booking__V1__ResourceType type, int capacity,
                            int slot_minutes, int64_t price_minor);

/* UpdateResource (as admin) of the one field `path` of upd (upd->resource_id names the
 * resource); returns the code (r: its details, may be NULL). */
rpc_code update_resource_field(rpc_client *booking, Booking__V1__Resource *upd, const char *path, rpc_result *r);

/* The checkout lifecycle's hotel (docs/checkout-lifecycle.md): nightly, 100.00 EUR a
 * night, a full refund until the start, with these hold TTL, ExtendHold bounds and
 * overbooking percent (0: the service's defaults / none). Its id, as create_resource. */
typedef struct lifecycle_settings {
    int hold_ttl, max_extensions, max_hold_seconds, overbooking_percent;
} lifecycle_settings;
const char *lifecycle_hotel(rpc_client *booking, const char *name, int capacity, lifecycle_settings s);

/* A CreateHold request (its times from `at`: valid for the next few calls of at). */
Booking__V1__CreateHoldRequest hold_request(const char *resource_id, int64_t start, int64_t end, int quantity);

/* CreateHold as `user`; returns the code; on OK copies the hold id into hold_id. */
rpc_code hold(rpc_client *booking, const char *user, const char *resource_id, int64_t start, int64_t end,
              int quantity, char *hold_id, size_t cap);

/* ConfirmBooking of a hold as `user` with a sandbox payment method; ReleaseHold. The code. */
rpc_code confirm_hold(rpc_client *booking, const char *user, const char *hold_id, const char *payment_method);
rpc_code release_hold(rpc_client *booking, const char *user, const char *hold_id);

/* `clients` clients (a channel and a user each) call CreateHold for one unit of
 * [start, end) at the same moment; counts the OK and RESOURCE_EXHAUSTED answers
 * (any other is printed). */
void race_for_holds(const char *booking_addr, const char *resource_id, int64_t start, int64_t end, int clients,
                    int *ok, int *exhausted);

/* Polls harness_sql_long until it answers `want` or timeout_ms pass; returns the last
 * answer. For what the stack settles in the background (recorder, repair). */
long wait_sql(harness *h, const char *sql, int nparams, const char *const *params, long want, long timeout_ms);

/* The hold's status per GetHold (as admin): Redis's, the authority of a live hold. */
int hold_status_of(rpc_client *booking, const char *hold_id);

/* Available units of the slot starting at `slot` per GetCalendar (-1 on error). */
int available_at(rpc_client *search, const char *resource_id, int64_t slot, int64_t slot_end);

/* ConfirmBooking of hold_id as `user` with the payment method; on OK *out (may be NULL)
 * is the booking (free it). Returns the code. */
rpc_code confirm_as(rpc_client *booking, const char *hold_id, const char *user, const char *method,
                    Booking__V1__Booking **out, rpc_result *r);
/* CancelBooking of `quantity` units (0 = all left) as id; on OK *out (may be NULL) is the
 * booking (free it). Returns the code. */
rpc_code cancel_units(rpc_client *booking, const char *booking_id, identity id, int quantity,
                      Booking__V1__Booking **out, rpc_result *r);
/* The value of key in a failure's ErrorInfo metadata, or "". */
const char *error_detail(const rpc_result *r, const char *key);

#endif
