/* saga.h — the steps of the booking saga that both ConfirmBooking/CancelBooking and the
 * repair routine take (SPEC §5): settle a booking's payment, resolve a hold stuck in
 * CONFIRMING from what PostgreSQL says, void authorizations that never became a booking,
 * complete bookings whose end passed. Every step is idempotent. */
#ifndef BOOKING_SVC_SAGA_H
#define BOOKING_SVC_SAGA_H

#include <stdint.h>

#include "config.h"
#include "pg.h"
#include "redis.h"
#include "rpc_client.h"
#include "saga_store.h"

/* The saga's settings, shared by booking-svc (the saga) and expiry-svc (its repair):
 * one table, so both read the same names with the same defaults. */
typedef struct saga_settings {
    char payment_addr[CONFIG_STRING_MAX];
    long payment_timeout_ms;       /* one call to payment-svc */
    long confirm_timeout_seconds;  /* how long a hold may stay CONFIRMING */
} saga_settings;

extern saga_settings saga_config;
#define SAGA_CONFIG_COUNT 3
extern const config_entry saga_config_table[SAGA_CONFIG_COUNT];

typedef struct saga_env {
    pg_conn *pg;
    redis_conn *redis;
    rpc_client *payments;
    int64_t payment_timeout_ms;
    int64_t confirm_timeout_ms;  /* how long a hold may stay CONFIRMING */
    const char *actor;           /* audit actor of repair steps */
} saga_env;

typedef struct saga_repair_stats {
    int holds_resolved;
    int authorizations_voided;
    int payments_settled;
    int bookings_completed;
} saga_repair_stats;

/* Captures a booking still AUTHORIZED and issues the refund due after a cancellation,
 * recording each in the booking. 0 when nothing is left to do, -1 when a step must be
 * retried later. */
int saga_settle_payment(saga_env *env, const booking_row *b);

/* Resolves a hold whose confirm deadline passed: CONFIRMED in PostgreSQL → finish it in
 * Redis; still CONFIRMING → abandon the confirmation (back to ACTIVE, or EXPIRED when
 * its own expiry passed), void its authorizations, give units back. 1 resolved,
 * 0 nothing to do, -1 retry later. */
int saga_resolve_hold(saga_env *env, const char *hold_id);

/* Voids an authorization attempt that never became a booking: the same AuthorizePayment
 * (same key) replays its outcome, then the payment is voided. 1 voided or settled as
 * declined, 0 outcome still unknown, -1 error. */
int saga_void_attempt(saga_env *env, const attempt_row *a);

/* The environment of saga steps run on these stores by `actor`, with saga_config. */
saga_env saga_env_for(pg_conn *pg, redis_conn *redis, rpc_client *payments, const char *actor);

/* One repair pass over everything above. 0, or -1 when a store is unreachable. */
int saga_repair_pass(saga_env *env, saga_repair_stats *stats);

#endif
