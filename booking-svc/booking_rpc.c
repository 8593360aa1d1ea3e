/* booking_rpc.c — ConfirmBooking (the saga of SPEC §5), CancelBooking, GetBooking,
 * ListBookings and ListEvents. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "booking.h"
#include "booking_store.h"
#include "hold_cache.h"
#include "log.h"
#include "payments.h"
#include "pricing.h"
#include "resource_validate.h"
#include "saga.h"
#include "slots.h"
#include "timeutil.h"

#define HOLD(s) BOOKING__V1__HOLD_STATUS__HOLD_STATUS_##s
#define BOOKING(s) BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_##s
#define PAY(s) BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_##s
#define CONFIRM_POLL_MS 25
#define CONFIRM_WAIT_MS 10000 /* how long a confirm waits for another of the same hold */

static saga_env env_of(rpc_call *call)
{
    saga_env env = saga_env_for(booking_pg(call), booking_redis(call), booking_payments, "booking-svc");
    int64_t left = rpc_deadline_left_ms(call) - 200;
    if (left < env.payment_timeout_ms)
        env.payment_timeout_ms = left > 100 ? left : 100;
    return env;
}

Booking__V1__Booking *booking_message_of(rpc_call *call, const booking_row *b)
{
    Booking__V1__Booking *m = RPC_NEW(call, Booking__V1__Booking, booking__v1__booking__init);
    m->booking_id = rpc_strdup(call, b->booking_id);
    m->hold_id = rpc_strdup(call, b->hold_id);
    m->user_id = rpc_strdup(call, b->user_id);
    m->resource_id = rpc_strdup(call, b->resource_id);
    m->start_time = timestamp_new(call, b->start_time);
    m->end_time = timestamp_new(call, b->end_time);
    m->quantity = b->quantity;
    m->status = (Booking__V1__BookingStatus)b->status;
    m->payment_status = (Booking__V1__PaymentStatus)b->payment_status;
    m->payment_id = rpc_strdup(call, b->payment_id);
    m->price = b->price;
    m->refunded = money_new(call, b->currency, b->refunded_minor);
    m->created_at = timestamp_new(call, b->created_at);
    m->updated_at = timestamp_new(call, b->updated_at);
    m->cancel_reason = rpc_strdup(call, b->cancel_reason);
    return m;
}

static int answer_booking_of_hold(rpc_call *call, const char *hold_id, ProtobufCMessage **response)
{
    booking_row b;
    int found = saga_booking_by_hold(booking_pg(call), hold_id, rpc_allocator(call), &b);
    if (found < 0)
        return store_fail_pg(call, booking_pg(call));
    if (!found)
        return rpc_fail(call, RPC_UNAVAILABLE, "BOOKING_PENDING", "the booking of hold %s is being recorded", hold_id);
    *response = &booking_message_of(call, &b)->base;
    return 0;
}

static int hold_gone(rpc_call *call, const hold_row *h)
{
    return rpc_fail(call, RPC_FAILED_PRECONDITION, "HOLD_NOT_ACTIVE", "hold %s is %s", h->hold_id,
                    h->status == HOLD(RELEASED) ? "released" : "expired");
}

typedef enum claim { CLAIMED, ALREADY_BOOKED, CLAIM_FAILED } claim;

/* Takes the hold into CONFIRMING in Redis, or waits while another confirmation of it
 * runs; ends when this call may pay, the hold is booked, or it cannot be. */
static claim claim_hold(rpc_call *call, hold_row *h)
{
    int64_t give_up = wall_ms() + CONFIRM_WAIT_MS;
    for (;;) {
        if (h->status == HOLD(CONFIRMED))
            return ALREADY_BOOKED;
        if (h->status != HOLD(ACTIVE) && h->status != HOLD(CONFIRMING))
            return hold_gone(call, h), CLAIM_FAILED;
        int64_t until = wall_ms() + saga_config.confirm_timeout_seconds * 1000;
        char st = 0;
        hold_confirm_status cs =
            hold_cache_confirm(booking_redis(call), h->resource_id, h->hold_id, CONFIRM_BEGIN, wall_ms(), until, &st);
        if (cs == CONFIRM_OK)
            return CLAIMED;
        if (cs == CONFIRM_FAILED)
            return store_fail_redis(call, booking_redis(call)->errstr), CLAIM_FAILED;
        if (cs == CONFIRM_LATE || cs == CONFIRM_GONE || st == 'R' || st == 'X')
            return rpc_fail(call, RPC_FAILED_PRECONDITION, "HOLD_EXPIRED", "hold %s has expired", h->hold_id),
                   CLAIM_FAILED;
        if (rpc_deadline_left_ms(call) < 500 || wall_ms() >= give_up)
            return rpc_fail(call, RPC_ABORTED, "HOLD_CONFIRMING", "hold %s is being confirmed; retry", h->hold_id),
                   CLAIM_FAILED;
        nanosleep(&(struct timespec){0, CONFIRM_POLL_MS * 1000000L}, NULL);
        if (store_hold_load(booking_pg(call), h->hold_id, rpc_allocator(call), h) <= 0)
            return store_fail_pg(call, booking_pg(call)), CLAIM_FAILED;
    }
}

static int payment_declined(rpc_call *call, const hold_row *h, const payment_outcome *p, const char *key)
{
    char st;
    /* PostgreSQL first: a confirm waiting on Redis then finds the hold ACTIVE in both */
    saga_attempt_set(booking_pg(call), key, "declined", p->payment_id, p->decline_code);
    store_hold_transition(booking_pg(call), h->hold_id, HOLD(ACTIVE), NULL, "hold.payment_declined",
                          rpc_user_id(call), NULL);
    hold_cache_confirm(booking_redis(call), h->resource_id, h->hold_id, CONFIRM_UNDO, wall_ms(), 0, &st);
    if (p->code != RPC_OK)
        return rpc_invalid_argument(call, "payment_method_id", "%s", p->message);
    rpc_fail(call, RPC_FAILED_PRECONDITION, "PAYMENT_DECLINED", "payment declined: %s", p->decline_code);
    rpc_error_detail(call, "decline_code", p->decline_code);
    return -1;
}

/* Authorizes the quoted total under a key derived from the hold (its n-th attempt). */
static int authorize(rpc_call *call, const hold_row *h, const char *method, payment_outcome *p, char *key, size_t cap)
{
    attempt_row a = {0};
    snprintf(a.hold_id, sizeof a.hold_id, "%s", h->hold_id);
    snprintf(a.payment_method_id, sizeof a.payment_method_id, "%s", method);
    snprintf(a.currency, sizeof a.currency, "%s", h->quote->total->currency);
    a.amount_minor = h->quote->total->amount_minor;
    if (saga_attempt_open(booking_pg(call), &a) != 0)
        return store_fail_pg(call, booking_pg(call));
    snprintf(key, cap, "%s", a.key);
    saga_env env = env_of(call);
    *p = payments_authorize(booking_payments, key, method, a.currency, a.amount_minor, h->hold_id,
                            env.payment_timeout_ms);
    if ((p->code == RPC_OK && p->status == PAY(DECLINED)) || p->code == RPC_INVALID_ARGUMENT)
        return payment_declined(call, h, p, key);
    if (p->code != RPC_OK || p->status != PAY(AUTHORIZED))
        return rpc_fail(call, RPC_UNAVAILABLE, "PAYMENT_OUTCOME_UNKNOWN",
                        "payment outcome unknown (%s); the hold stays reserved and is settled automatically",
                        rpc_code_name(p->code));
    saga_attempt_set(booking_pg(call), key, "authorized", p->payment_id, NULL);
    return 0;
}

/* The booking row a confirmed hold becomes. */
static void booking_of(rpc_call *call, const hold_row *h, const payment_outcome *p, booking_row *b)
{
    memset(b, 0, sizeof *b);
    new_id("bk", b->booking_id, sizeof b->booking_id);
    snprintf(b->hold_id, sizeof b->hold_id, "%s", h->hold_id);
    snprintf(b->user_id, sizeof b->user_id, "%s", h->user_id);
    snprintf(b->resource_id, sizeof b->resource_id, "%s", h->resource_id);
    snprintf(b->payment_id, sizeof b->payment_id, "%s", p->payment_id);
    snprintf(b->currency, sizeof b->currency, "%s", h->quote->total->currency);
    b->start_time = h->start_time;
    b->end_time = h->end_time;
    b->quantity = h->quantity;
    b->status = BOOKING(CONFIRMED);
    b->payment_status = PAY(AUTHORIZED);
    b->price = h->quote;
    b->total_minor = h->quote->total->amount_minor;
    (void)call;
}

/* The slot starts of a hold or booking range. */
static int range_slots(rpc_call *call, const char *resource_id, int64_t start, int64_t end, slot_span *span,
                       int64_t **starts)
{
    Booking__V1__Resource *r;
    const char *field;
    char msg[200];
    if (load_resource(call, resource_id, &r) != 0)
        return -1;
    if (slot_span_of(r->slot_minutes, start, end, 100000, span, &field, msg, sizeof msg) != 0)
        return rpc_fail(call, RPC_INTERNAL, "BAD_RANGE", "stored range is invalid: %s", msg);
    *starts = rpc_alloc(call, sizeof **starts * (size_t)span->count);
    for (int i = 0; i < span->count; i++)
        (*starts)[i] = slot_span_start(span, i);
    return 0;
}

/* Capacity vanished in PostgreSQL (Redis had lost state): void, expire, fail. */
static int capacity_gone(rpc_call *call, const hold_row *h, const payment_outcome *p)
{
    char key[160];
    payment_key(key, sizeof key, "void", p->payment_id, NULL);
    payments_void(booking_payments, key, p->payment_id, saga_config.payment_timeout_ms);
    store_hold_transition(booking_pg(call), h->hold_id, HOLD(EXPIRED), NULL, "hold.expired", rpc_user_id(call),
                          "{\"reason\":\"capacity_gone\"}");
    hold_cache_release(booking_redis(call), h->resource_id, h->hold_id, 'F', wall_ms());
    return rpc_fail(call, RPC_FAILED_PRECONDITION, "CAPACITY_GONE",
                    "the units of hold %s are no longer available; the payment was voided", h->hold_id);
}

static int book(rpc_call *call, hold_row *h, const char *method, ProtobufCMessage **response)
{
    payment_outcome p;
    char key[160], st;
    int moved = store_hold_transition(booking_pg(call), h->hold_id, HOLD(CONFIRMING), NULL, "hold.confirming",
                                      rpc_user_id(call), NULL);
    if (moved != 1) { /* Redis moved and PostgreSQL did not: put Redis back */
        hold_cache_confirm(booking_redis(call), h->resource_id, h->hold_id, CONFIRM_UNDO, wall_ms(), 0, &st);
        return moved < 0 ? store_fail_pg(call, booking_pg(call))
                         : rpc_fail(call, RPC_ABORTED, "HOLD_CONFIRMING", "hold %s changed meanwhile; retry",
                                    h->hold_id);
    }
    if (authorize(call, h, method, &p, key, sizeof key) != 0)
        return -1;
    booking_row b;
    slot_span span;
    int64_t *starts;
    booking_of(call, h, &p, &b);
    if (range_slots(call, h->resource_id, h->start_time, h->end_time, &span, &starts) != 0)
        return -1;
    switch (saga_commit_booking(booking_pg(call), &b, starts, span.count, span.slot_seconds, key,
                                rpc_user_id(call))) {
    case COMMIT_DONE:
        break;
    case COMMIT_NO_CAPACITY:
        return capacity_gone(call, h, &p);
    case COMMIT_LOST_RACE:
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "HOLD_EXPIRED", "hold %s expired while paying", h->hold_id);
    default:
        return store_fail_pg(call, booking_pg(call));
    }
    saga_env env = env_of(call);
    if (saga_settle_payment(&env, &b) == 0)
        b.payment_status = PAY(CAPTURED);
    hold_cache_confirm(booking_redis(call), h->resource_id, h->hold_id, CONFIRM_DONE, wall_ms(), 0, &st);
    log_info("booking %s confirmed from hold %s (payment %s)", b.booking_id, h->hold_id, b.payment_id);
    return answer_booking_of_hold(call, h->hold_id, response);
}

int rpc_confirm_booking(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__ConfirmBookingRequest *req = (const Booking__V1__ConfirmBookingRequest *)request;
    hold_row h;
    if (!req->payment_method_id || !*req->payment_method_id)
        return rpc_invalid_argument(call, "payment_method_id", "is required");
    if (!id_valid(req->payment_method_id))
        return rpc_invalid_argument(call, "payment_method_id", "is not a valid payment method id");
    if (load_hold_owned(call, req->hold_id, &h) != 0)
        return -1;
    switch (claim_hold(call, &h)) {
    case ALREADY_BOOKED:
        return answer_booking_of_hold(call, h.hold_id, response);
    case CLAIMED:
        return book(call, &h, req->payment_method_id, response);
    default:
        return -1;
    }
}

/* ---- reads and cancellation ------------------------------------------------------- */

static int load_booking(rpc_call *call, const char *booking_id, booking_row *b)
{
    if (!booking_id || !*booking_id)
        return rpc_invalid_argument(call, "booking_id", "is required");
    int found = saga_booking_load(booking_pg(call), booking_id, rpc_allocator(call), b);
    if (found < 0)
        return store_fail_pg(call, booking_pg(call));
    if (!found)
        return rpc_fail(call, RPC_NOT_FOUND, "BOOKING_NOT_FOUND", "booking \"%s\" does not exist", booking_id);
    return require_owner(call, b->user_id);
}

int rpc_get_booking(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__GetBookingRequest *req = (const Booking__V1__GetBookingRequest *)request;
    booking_row b;
    if (load_booking(call, req->booking_id, &b) != 0)
        return -1;
    *response = &booking_message_of(call, &b)->base;
    return 0;
}

/* The refund the resource's cancellation rules give now; -1 after the start. */
static int64_t refund_now(rpc_call *call, const booking_row *b)
{
    Booking__V1__Resource *r;
    if (load_resource(call, b->resource_id, &r) != 0)
        return -2;
    double hours_left = (double)(b->start_time - wall_seconds()) / 3600.0;
    int percent = refund_percent((const Booking__V1__CancellationRule *const *)r->cancellation_rules,
                                 r->n_cancellation_rules, hours_left);
    return percent < 0 ? -1 : apply_bp(b->total_minor, (int64_t)percent * 100);
}

static int cancel(rpc_call *call, booking_row *b, const char *reason)
{
    int64_t refund = refund_now(call, b);
    if (refund == -2)
        return -1;
    if (refund < 0)
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "NOT_CANCELLABLE", "booking %s has started", b->booking_id);
    slot_span span;
    int64_t *starts;
    if (range_slots(call, b->resource_id, b->start_time, b->end_time, &span, &starts) != 0)
        return -1;
    pg_conn *pg = booking_pg(call);
    int cancelled = saga_cancel_booking(pg, b, starts, span.count, refund, reason, rpc_user_id(call));
    if (cancelled < 0)
        return store_fail_pg(call, pg);
    if (cancelled == 0)
        return 0; /* cancelled meanwhile: answered from the store */
    int *deltas = rpc_alloc(call, sizeof *deltas * (size_t)span.count);
    for (int i = 0; i < span.count; i++)
        deltas[i] = b->quantity;
    /* counters move before the commit, under the resource lock counter loads respect */
    if (hold_cache_adjust(booking_redis(call), b->resource_id, starts, deltas, span.count) != 0) {
        pg_rollback(pg);
        return store_fail_redis(call, booking_redis(call)->errstr);
    }
    if (pg_commit(pg) != 0) {
        for (int i = 0; i < span.count; i++)
            deltas[i] = -deltas[i];
        hold_cache_adjust(booking_redis(call), b->resource_id, starts, deltas, span.count);
        return store_fail_pg(call, pg);
    }
    return 1;
}

int rpc_cancel_booking(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__CancelBookingRequest *req = (const Booking__V1__CancelBookingRequest *)request;
    booking_row b;
    if (validate_text(call, "reason", req->reason, 500, 0) != 0 || load_booking(call, req->booking_id, &b) != 0)
        return -1;
    if (b.status == BOOKING(COMPLETED))
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "NOT_CANCELLABLE", "booking %s is completed", b.booking_id);
    if (b.status == BOOKING(CONFIRMED)) {
        int rc = cancel(call, &b, req->reason ? req->reason : "");
        if (rc < 0)
            return -1;
        if (load_booking(call, req->booking_id, &b) != 0)
            return -1;
    }
    saga_env env = env_of(call);
    saga_settle_payment(&env, &b); /* what fails is retried by the repair routine */
    if (load_booking(call, req->booking_id, &b) != 0)
        return -1;
    *response = &booking_message_of(call, &b)->base;
    return 0;
}
