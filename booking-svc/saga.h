/* saga.h — the steps of the booking saga that both ConfirmBooking/CancelBooking and the
 * repair routine take (docs/architecture.md, "The booking saga"): settle a booking's
 * payment, resolve a confirmation past its deadline, void authorizations that never
 * became a booking, complete bookings whose end passed. Every step is idempotent. */
#ifndef BOOKING_SVC_SAGA_H
#define BOOKING_SVC_SAGA_H

#include <stdint.h>

#include "background.h"
#include "config.h"
#include "hold_cache.h"
#include "pg.h"
#include "redis.h"
#include "rpc_client.h"
#include "saga_store.h"

/* The saga's settings (a table of their own: the saga's library reads them). */
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
    stopper *stop;               /* the repair's: a pass ends between steps once it is stopped */
} saga_env;

typedef struct saga_repair_stats {
    int holds_resolved;
    int authorizations_voided;
    int payments_settled;
    int bookings_completed;
} saga_repair_stats;

/* Captures a booking still AUTHORIZED and issues the refund due after a cancellation,
 * recording each in the booking (b follows the capture: payment status, updated_at). 0
 * when nothing is left to do, -1 when a step must be retried later. */
int saga_settle_payment(saga_env *env, booking_row *b);

/* Resolves a hold Redis shows CONFIRMING past its confirm deadline: the confirmation is
 * fenced in PostgreSQL; booked -> CONFIRMED in Redis; not booked -> back to ACTIVE (or
 * EXPIRED when its own expiry passed), its authorization left to the attempts pass.
 * 1 resolved, 0 nothing to do, -1 retry later. */
int saga_resolve_hold(saga_env *env, const char *hold_id);

/* Moves a booked confirmation's hold to CONFIRMED in Redis and gives its units back to
 * the user's allowance (a hold Redis lost is given back too). */
void saga_finish_confirmed(saga_env *env, const char *resource_id, const char *hold_id, int epoch,
                           const char *booking_id, const char *user_id);

/* Ends confirmation `epoch` of a hold without a booking: back to ACTIVE recording
 * event_type, or EXPIRED (units back, allowance given back) when its expiry passed.
 * 0, or -1 when Redis did not answer. */
int saga_abandon_confirmation(saga_env *env, const hold_record *h, int epoch, const char *event_type);

/* Voids an abandoned attempt's authorization: the same AuthorizePayment (same key)
 * replays its outcome, then the payment is voided. 1 voided or settled as declined,
 * 0 outcome still unknown, -1 error. */
int saga_void_attempt(saga_env *env, const attempt_row *a);

/* The environment of saga steps run on these stores by `actor`, with saga_config. */
saga_env saga_env_for(pg_conn *pg, redis_conn *redis, rpc_client *payments, const char *actor);

/* One repair pass: confirmations past their deadline, attempts to abandon and void,
 * payments owed, bookings to complete. 0, or -1 when a store is unreachable. */
int saga_repair_pass(saga_env *env, saga_repair_stats *stats);

#endif
