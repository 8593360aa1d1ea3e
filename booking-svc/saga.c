/* saga.c — idempotent saga steps shared by the booking RPCs and the repair routine. */
#include "saga.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "booking/v1/booking.pb-c.h"
#include "hold_cache.h"
#include "log.h"
#include "payments.h"
#include "timeutil.h"

#define PAY(s) BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_##s
#define HOLD(s) BOOKING__V1__HOLD_STATUS__HOLD_STATUS_##s
#define REPAIR_BATCH 100

saga_settings saga_config;

const config_entry saga_config_table[SAGA_CONFIG_COUNT] = {
    {"PAYMENT_ADDR", CONFIG_STRING, saga_config.payment_addr, "127.0.0.1:50053", 0, 0,
     "payment-svc (dns:///payment-svc:50053 balances round_robin)"},
    {"PAYMENT_TIMEOUT_MS", CONFIG_INT, &saga_config.payment_timeout_ms, "5000", 100, 120000,
     "deadline of one call to payment-svc"},
    {"CONFIRM_TIMEOUT_SECONDS", CONFIG_INT, &saga_config.confirm_timeout_seconds, "60", 1, 3600,
     "how long a hold may stay CONFIRMING before the repair resolves it from PostgreSQL"},
};

saga_env saga_env_for(pg_conn *pg, redis_conn *redis, rpc_client *payments, const char *actor)
{
    saga_env env = {pg, redis, payments, saga_config.payment_timeout_ms, saga_config.confirm_timeout_seconds * 1000,
                    actor};
    return env;
}

static int capture(saga_env *env, const booking_row *b)
{
    char key[160];
    payment_key(key, sizeof key, "capture", b->booking_id, NULL);
    payment_outcome p = payments_capture(env->payments, key, b->payment_id, env->payment_timeout_ms);
    if (p.code != RPC_OK || p.status == PAY(AUTHORIZED)) {
        log_info("capture of booking %s not done yet: %s %s", b->booking_id, rpc_code_name(p.code), p.message);
        return -1;
    }
    return saga_booking_payment(env->pg, b->booking_id, p.status, -1, "booking.payment_captured", env->actor);
}

static int refund(saga_env *env, const booking_row *b)
{
    char key[160];
    payment_key(key, sizeof key, "refund", b->booking_id, NULL);
    int64_t amount = b->refund_due_minor - b->refunded_minor;
    payment_outcome p = payments_refund(env->payments, key, b->payment_id, b->currency, amount, "cancellation",
                                        env->payment_timeout_ms);
    if (p.code != RPC_OK) {
        log_info("refund of booking %s not done yet: %s %s", b->booking_id, rpc_code_name(p.code), p.message);
        return -1;
    }
    return saga_booking_payment(env->pg, b->booking_id, p.status, b->refund_due_minor, "booking.refunded",
                                env->actor);
}

int saga_settle_payment(saga_env *env, const booking_row *b)
{
    booking_row now = *b;
    if (now.payment_status == PAY(AUTHORIZED)) {
        if (capture(env, &now) != 0)
            return -1;
        now.payment_status = PAY(CAPTURED);
    }
    if (now.refund_due_minor > now.refunded_minor && refund(env, &now) != 0)
        return -1;
    return 0;
}

int saga_void_attempt(saga_env *env, const attempt_row *a)
{
    payment_outcome p = payments_authorize(env->payments, a->key, a->payment_method_id, a->currency, a->amount_minor,
                                           a->hold_id, env->payment_timeout_ms);
    int declined = (p.code == RPC_OK && p.status == PAY(DECLINED)) || p.code == RPC_INVALID_ARGUMENT;
    if (declined)
        return saga_attempt_set(env->pg, a->key, "declined", p.payment_id, p.decline_code) == 0 ? 1 : -1;
    if (p.code != RPC_OK || p.status != PAY(AUTHORIZED))
        return 0; /* still running, payment-svc away or failing, outcome not known: later */
    char key[160];
    payment_key(key, sizeof key, "void", p.payment_id, NULL);
    payment_outcome v = payments_void(env->payments, key, p.payment_id, env->payment_timeout_ms);
    if (v.code != RPC_OK)
        return 0;
    log_info("voided authorization %s of hold %s (no booking)", p.payment_id, a->hold_id);
    return saga_attempt_set(env->pg, a->key, "voided", p.payment_id, NULL) == 0 ? 1 : -1;
}

static int void_attempts_of(saga_env *env, const char *hold_id)
{
    attempt_row attempts[8];
    int n = saga_attempts_open(env->pg, hold_id, -1, attempts, 8);
    for (int i = 0; i < n; i++)
        saga_void_attempt(env, &attempts[i]);
    return n < 0 ? -1 : 0;
}

/* Abandons the confirmation of a hold still CONFIRMING: whoever moves the row first
 * decides; the loser (a confirm that finished meanwhile) wins nothing here. */
static int abandon(saga_env *env, const hold_row *h)
{
    int expired = h->expires_at <= wall_ms();
    int to = expired ? HOLD(EXPIRED) : HOLD(ACTIVE);
    int moved = store_hold_transition(env->pg, h->hold_id, to, NULL, expired ? "hold.expired" : "hold.confirm_abandoned",
                                      env->actor, "{\"reason\":\"confirm_timeout\"}");
    if (moved <= 0)
        return moved;
    void_attempts_of(env, h->hold_id);
    char st;
    if (expired)
        hold_cache_release(env->redis, h->resource_id, h->hold_id, 'F', wall_ms());
    else
        hold_cache_confirm(env->redis, h->resource_id, h->hold_id, CONFIRM_UNDO, wall_ms(), 0, &st);
    return 1;
}

int saga_resolve_hold(saga_env *env, const char *hold_id)
{
    arena mem;
    arena_init(&mem);
    hold_row h;
    int rc = 0, found = store_hold_load(env->pg, hold_id, &mem.allocator, &h);
    char st;
    if (found <= 0) {
        rc = found;
    } else if (h.status == HOLD(CONFIRMED)) {
        hold_cache_confirm(env->redis, h.resource_id, hold_id, CONFIRM_DONE, wall_ms(), 0, &st);
        rc = 1;
    } else if (h.status == HOLD(CONFIRMING)) {
        rc = abandon(env, &h);
    } else if (hold_cache_status(env->redis, h.resource_id, hold_id) == 'C') {
        /* Redis moved, PostgreSQL did not (a crash between them): follow PostgreSQL */
        if (h.status == HOLD(ACTIVE))
            hold_cache_confirm(env->redis, h.resource_id, hold_id, CONFIRM_UNDO, wall_ms(), 0, &st);
        else
            hold_cache_release(env->redis, h.resource_id, hold_id, 'F', wall_ms());
        rc = 1;
    }
    arena_free(&mem);
    return rc;
}

static int repair_holds(saga_env *env, saga_repair_stats *stats)
{
    char ids[REPAIR_BATCH][ID_MAX + 1];
    int n = saga_holds_confirming(env->pg, (int)(env->confirm_timeout_ms / 1000), ids, REPAIR_BATCH);
    for (int i = 0; i < n; i++)
        stats->holds_resolved += saga_resolve_hold(env, ids[i]) > 0;
    return n < 0 ? -1 : 0;
}

static int repair_attempts(saga_env *env, saga_repair_stats *stats)
{
    attempt_row attempts[REPAIR_BATCH];
    int n = saga_attempts_open(env->pg, NULL, (int)(env->confirm_timeout_ms / 1000), attempts, REPAIR_BATCH);
    for (int i = 0; i < n; i++)
        stats->authorizations_voided += saga_void_attempt(env, &attempts[i]) > 0;
    return n < 0 ? -1 : 0;
}

static int repair_payments(saga_env *env, saga_repair_stats *stats)
{
    arena mem;
    arena_init(&mem);
    booking_row *owing = arena_alloc(&mem, sizeof *owing * REPAIR_BATCH);
    int n = saga_bookings_owing(env->pg, 2, &mem.allocator, owing, REPAIR_BATCH);
    for (int i = 0; i < n; i++)
        stats->payments_settled += saga_settle_payment(env, &owing[i]) == 0;
    arena_free(&mem);
    return n < 0 ? -1 : 0;
}

int saga_repair_pass(saga_env *env, saga_repair_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    int rc = repair_holds(env, stats) | repair_attempts(env, stats) | repair_payments(env, stats);
    int completed = saga_complete_bookings(env->pg, 1000);
    if (completed > 0)
        stats->bookings_completed = completed;
    return rc != 0 || completed < 0 ? -1 : 0;
}
