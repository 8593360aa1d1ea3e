/* booking.h — what booking-svc's handlers share: settings, store access, identity
 * checks and the conversions between stored rows and wire messages. */
#ifndef BOOKING_SVC_BOOKING_H
#define BOOKING_SVC_BOOKING_H

#include "booking/v1/booking.pb-c.h"
#include "pricing.h"
#include "rpc.h"
#include "rpc_client.h"
#include "service.h"
#include "store_status.h"

typedef struct catalog_cache catalog_cache;

typedef struct booking_settings {
    long hold_ttl_seconds;     /* default hold lifetime */
    long max_held_units;       /* anti-hoarding: units one user may hold at once */
    long max_quantity;         /* per hold, unless the resource says otherwise */
    long max_slots;            /* slots one hold may cover */
    long horizon_days;         /* how far ahead holds may reach */
    long max_inventory_slots;  /* slots one SetInventory may change */
} booking_settings;

extern booking_settings booking_config;
/* The channel to payment-svc (thread-safe; made at start). */
extern rpc_client *booking_payments;
/* The process's copy of the catalogue (thread-safe; made at start). */
extern catalog_cache *booking_catalog;

/* The worker's stores. */
pg_conn *booking_pg(rpc_call *call);
redis_conn *booking_redis(rpc_call *call);


/* The id of what a call creates, prefix + "_" + 20 characters: those of the call's
 * idempotency token under a key (the same for every run of the same key and request, so
 * a run taking over after a crash finds what the first one made), else random. Returns
 * 1 when the id came from the key. */
int call_new_id(rpc_call *call, const char *prefix, char *out, size_t cap);

/* A customer may act only on their own records; admins on any. -1 with status set. */
int require_owner(rpc_call *call, const char *owner_user_id);

/* A resource loaded from the store (body unpacked into call memory). 0 found, -1 with
 * NOT_FOUND or a store failure set. */
int load_resource(rpc_call *call, const char *resource_id, Booking__V1__Resource **out);


typedef struct booking_row booking_row;
/* The wire message of a stored booking (call memory). */
Booking__V1__Booking *booking_message_of(rpc_call *call, const booking_row *b);

/* A Money in call memory. */
Booking__V1__Money *money_new(rpc_call *call, const char *currency, int64_t amount_minor);
/* A Timestamp in call memory. */
Google__Protobuf__Timestamp *timestamp_new(rpc_call *call, int64_t seconds);
/* The wire Price of a quote's lines and totals (call memory). */
Booking__V1__Price *price_message(rpc_call *call, const char *currency, const quote_line *lines, int n, const quote *q,
                                  int quantity);

/* Handlers (one signature for every RPC). */
int rpc_create_resource(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_update_resource(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_set_inventory(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_create_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_get_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_release_hold(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_confirm_booking(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_get_booking(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_cancel_booking(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_list_bookings(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_list_events(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_create_webhook_endpoint(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_list_webhook_endpoints(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_delete_webhook_endpoint(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_list_webhook_deliveries(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_redeliver_webhook(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);

#endif
