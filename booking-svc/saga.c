/* saga.c — idempotent steps of the booking saga shared by the booking RPCs and the
 * repair routine: settle a booking's payment, void an abandoned authorization, resolve
 * a confirmation whose deadline passed. "Was this hold booked?" is asked of PostgreSQL
 * only, "is it live, and in which state?" of Redis only. */
#include "saga.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "booking/v1/booking.pb-c.h"
#include "hold_cache.h"
#include "log.h"
#include "payments.h"
#include "recorder_store.h"
#include "timeutil.h"
#include "user_holds.h"

#define PAY(s) BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_##s
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
                    actor, NULL};
    return env;
}

static int capture(saga_env *env, booking_row *b)
{
    char key[160];
    payment_key(key, sizeof key, "capture", b->booking_id, NULL);
    payment_outcome p = payments_capture(env->payments, key, b->payment_id, env->payment_timeout_ms);
    if (p.code != RPC_OK || p.status == PAY(AUTHORIZED)) {
        log_info("capture of booking %s not done yet: %s %s", b->booking_id, rpc_code_name(p.code), p.message);
        return -1;
    }
    if (saga_booking_payment(env->pg, b->booking_id, p.status, -1, "booking.payment_captured", env->actor,
                             &b->updated_at) != 0)
        return -1;
    b->payment_status = p.status;
    return 0;
}

#define CANCELLATIONS_MAX 64

/* The refunds still owed, one per cancellation, each under its own key (the first keeps
 * the key every cancellation had before partial ones: refund:<booking>), so a repeat
 * issues none twice. */
static int refund(saga_env *env, const booking_row *b)
{
    cancellation_row owed[CANCELLATIONS_MAX];
    int n = saga_cancellations(env->pg, b->booking_id, 1, owed, CANCELLATIONS_MAX);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char key[160], seq[16];
        snprintf(seq, sizeof seq, "%d", owed[i].seq);
        payment_key(key, sizeof key, "refund", b->booking_id, owed[i].seq == 1 ? NULL : seq);
        payment_outcome p = payments_refund(env->payments, key, b->payment_id, b->currency, owed[i].refund_minor,
                                            "cancellation", env->payment_timeout_ms);
        if (p.code != RPC_OK) {
            log_info("refund %d of booking %s not done yet: %s %s", owed[i].seq, b->booking_id,
                     rpc_code_name(p.code), p.message);
            return -1;
        }
        if (saga_cancellation_refunded(env->pg, b->booking_id, owed[i].seq, p.status, env->actor) != 0)
            return -1;
    }
    return 0;
}

int saga_settle_payment(saga_env *env, booking_row *b)
{
    if (b->payment_status == PAY(AUTHORIZED) && capture(env, b) != 0)
        return -1;
    if (b->refund_due_minor > b->refunded_minor && refund(env, b) != 0)
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
    if (p.code != RPC_OK || (p.status != PAY(AUTHORIZED) && p.status != PAY(VOIDED)))
        return 0; /* still running, payment-svc away or failing, outcome not known: later */
    char key[160];
    payment_key(key, sizeof key, "void", p.payment_id, NULL);
    payment_outcome v = p.status == PAY(VOIDED) ? p : payments_void(env->payments, key, p.payment_id,
                                                                       env->payment_timeout_ms);
    if (v.code != RPC_OK)
        return 0;
    log_info("voided authorization %s of hold %s (no booking)", p.payment_id, a->hold_id);
    return saga_attempt_set(env->pg, a->key, "voided", p.payment_id, NULL) == 0 ? 1 : -1;
}

void saga_finish_confirmed(saga_env *env, const char *resource_id, const char *hold_id, int epoch,
                           const char *booking_id, const char *user_id)
{
    hold_move done = {CONFIRM_DONE, "", env->actor, booking_id, NULL, epoch};
    hold_confirm c = hold_cache_confirm(env->redis, resource_id, hold_id, &done, wall_ms());
    if (c.status == CONFIRM_GONE) /* lost with Redis: its history ends here, not in the hold log */
        recorder_record_booked(env->pg, booking_id, env->actor);
    if (c.status == CONFIRM_OK || c.status == CONFIRM_GONE)
        user_holds_give_back(env->redis, user_id, hold_id);
}

int saga_abandon_confirmation(saga_env *env, const hold_record *h, int epoch, const char *event_type)
{
    int64_t now = wall_ms();
    if (h->expires_ms > now) {
        hold_move undo = {CONFIRM_UNDO, "", env->actor, event_type, NULL, epoch};
        hold_confirm c = hold_cache_confirm(env->redis, h->resource_id, h->hold_id, &undo, now);
        return c.status == CONFIRM_FAILED ? -1 : 0;
    }
    hold_end expire = {'F', "", env->actor, "confirm_timeout", epoch};
    hold_release rel = hold_cache_release(env->redis, h->resource_id, h->hold_id, &expire, now);
    if (rel.status == RELEASE_DONE)
        user_holds_give_back(env->redis, h->user_id, h->hold_id);
    return rel.status == RELEASE_FAILED ? -1 : 0;
}

int saga_resolve_hold(saga_env *env, const char *hold_id)
{
    arena mem;
    arena_init(&mem);
    hold_record h;
    int rc = hold_cache_load(env->redis, hold_id, &mem.allocator, &h);
    if (rc == 1 && (h.status != 'C' || h.confirm_until_ms > wall_ms()))
        rc = 0; /* not (or no longer) a confirmation past its deadline */
    char booking_id[ID_MAX + 1];
    int booked = rc == 1 ? saga_fence(env->pg, hold_id, h.epoch, booking_id, sizeof booking_id) : -1;
    if (booked == 1) {
        saga_finish_confirmed(env, h.resource_id, hold_id, h.epoch, booking_id, h.user_id);
    } else if (booked == 0) {
        log_info("confirmation %d of hold %s passed its deadline unbooked; abandoned", h.epoch, hold_id);
        if (saga_abandon_confirmation(env, &h, h.epoch, "hold.confirm_abandoned") != 0)
            rc = -1;
    } else if (rc == 1) {
        rc = -1;
    }
    arena_free(&mem);
    return rc;
}

/* 1 once the service is stopping: a repair pass ends between two steps (each of which
 * may wait a payment call's deadline on a payment-svc that is gone). */
static int stopping(const saga_env *env) { return env->stop && stopper_stopping(env->stop); }

/* Confirmations past their deadline: the deadline index of every partition holds them
 * at their confirm deadline (the expiry sweep leaves them to us). */
static int repair_holds(saga_env *env, saga_repair_stats *stats)
{
    char now[24], key[32];
    snprintf(now, sizeof now, "%lld", (long long)wall_ms());
    if (redis_pipeline_begin(env->redis) != 0)
        return -1;
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        snprintf(key, sizeof key, "deadlines:{p%02d}", p);
        const char *argv[] = {"ZRANGEBYSCORE", key, "-inf", now, "LIMIT", "0", "200"};
        redis_pipeline_append(env->redis, 7, argv);
    }
    redisReply *due[HOLD_PARTITIONS];
    int rc = redis_pipeline_read(env->redis, HOLD_PARTITIONS, due);
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        for (size_t i = 0; !stopping(env) && due[p] && due[p]->type == REDIS_REPLY_ARRAY && i < due[p]->elements;
             i++)
            if (due[p]->element[i]->type == REDIS_REPLY_STRING && due[p]->element[i]->len <= ID_MAX) {
                int resolved = saga_resolve_hold(env, due[p]->element[i]->str);
                stats->holds_resolved += resolved > 0;
            }
        freeReplyObject(due[p]);
    }
    return rc;
}

/* Attempts whose confirmation is over without a booking: fenced, then voided. */
static int repair_attempts(saga_env *env, saga_repair_stats *stats)
{
    attempt_row attempts[REPAIR_BATCH];
    if (saga_attempts_abandon_stale(env->pg, (int)(env->confirm_timeout_ms / 1000), REPAIR_BATCH) < 0)
        return -1;
    int n = saga_attempts_to_void(env->pg, attempts, REPAIR_BATCH);
    for (int i = 0; i < n && !stopping(env); i++)
        stats->authorizations_voided += saga_void_attempt(env, &attempts[i]) > 0;
    return n < 0 ? -1 : 0;
}

static int repair_payments(saga_env *env, saga_repair_stats *stats)
{
    arena mem;
    arena_init(&mem);
    booking_row *owing = arena_alloc(&mem, sizeof *owing * REPAIR_BATCH);
    int n = saga_bookings_owing(env->pg, 2, &mem.allocator, owing, REPAIR_BATCH);
    for (int i = 0; i < n && !stopping(env); i++)
        stats->payments_settled += saga_settle_payment(env, &owing[i]) == 0;
    arena_free(&mem);
    return n < 0 ? -1 : 0;
}

int saga_repair_pass(saga_env *env, saga_repair_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    int rc = repair_holds(env, stats) | repair_attempts(env, stats) | repair_payments(env, stats);
    int completed = saga_complete_bookings(env->pg, 1000, env->actor);
    if (completed > 0)
        stats->bookings_completed = completed;
    return rc != 0 || completed < 0 ? -1 : 0;
}
