/* booking_rpc.c — ConfirmBooking (the saga: docs/architecture.md), CancelBooking and
 * GetBooking. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "booking.h"
#include "booking_metrics.h"
#include "booking_store.h"
#include "catalog_cache.h"
#include "hold_cache.h"
#include "hold_view.h"
#include "states.h"
#include "user_holds.h"
#include "log.h"
#include "payments.h"
#include "pricing.h"
#include "resource_validate.h"
#include "saga.h"
#include "slots.h"
#include "timeutil.h"
#include "waitlist_offer.h"

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

#define CANCELLATIONS_SHOWN 64

/* The booking's price snapshot as the wire shows it after cancellations: its own lines
 * (the snapshot stays frozen) and one line per cancellation (its units over the whole
 * range; the amount is the refund, negative). Totals stay what was charged. */
static Booking__V1__Price *price_with_cancellations(rpc_call *call, const booking_row *b)
{
    cancellation_row rows[CANCELLATIONS_SHOWN];
    int n = saga_cancellations(booking_pg(call), b->booking_id, 0, rows, CANCELLATIONS_SHOWN);
    if (n <= 0)
        return b->price;
    Booking__V1__Price *p = RPC_NEW(call, Booking__V1__Price, booking__v1__price__init);
    *p = *b->price;
    p->lines = rpc_alloc(call, sizeof *p->lines * (b->price->n_lines + (size_t)n));
    memcpy(p->lines, b->price->lines, sizeof *p->lines * b->price->n_lines);
    for (int i = 0; i < n; i++) {
        Booking__V1__PriceLine *l = RPC_NEW(call, Booking__V1__PriceLine, booking__v1__price_line__init);
        l->slot_start = timestamp_new(call, b->start_time);
        l->slot_end = timestamp_new(call, b->end_time);
        l->quantity = rows[i].units;
        l->amount = money_new(call, b->currency, -rows[i].refund_minor);
        l->description = rpc_sprintf(call, "cancellation %d: %d unit(s), refund %d %%", rows[i].seq, rows[i].units,
                                     rows[i].refund_percent);
        p->lines[p->n_lines++] = l;
    }
    return p;
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
    m->cancelled_quantity = b->cancelled_quantity;
    if (b->cancelled_quantity > 0 && b->price)
        m->price = price_with_cancellations(call, b);
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

static int hold_ended(rpc_call *call, const char *hold_id, int status)
{
    return rpc_fail(call, RPC_FAILED_PRECONDITION, status == HOLD(RELEASED) ? "HOLD_NOT_ACTIVE" : "HOLD_EXPIRED",
                    "hold %s is %s", hold_id, status == HOLD(RELEASED) ? "released" : "expired");
}

/* The attempt of this confirmation could not be opened: the hold has a booking (answer
 * it, and move Redis along), or the repair fenced this epoch (retry). */
static int answer_booked(rpc_call *call, const hold_record *h, int epoch, ProtobufCMessage **response)
{
    booking_row b;
    int found = saga_booking_by_hold(booking_pg(call), h->hold_id, rpc_allocator(call), &b);
    if (found < 0)
        return store_fail_pg(call, booking_pg(call));
    saga_env env = env_of(call);
    if (found) {
        saga_finish_confirmed(&env, h->resource_id, h->hold_id, epoch, b.booking_id, h->user_id);
        *response = &booking_message_of(call, &b)->base;
        return 0;
    }
    saga_abandon_confirmation(&env, h, epoch, "hold.confirm_abandoned");
    return rpc_fail(call, RPC_ABORTED, "CONFIRMATION_ABANDONED", "hold %s changed meanwhile; retry", h->hold_id);
}

typedef enum claim { CLAIMED, ALREADY_BOOKED, CLAIM_FAILED } claim;

/* Another confirmation of the hold holds it: a stuck one (past its deadline) is resolved
 * here and now (then 0: try again); a running one is waited for without holding a
 * thread — the call is parked and runs again (bounded), so that concurrent confirms of
 * one hold answer the one booking. Otherwise -1 with the status set. */
static int confirming_elsewhere(rpc_call *call, const hold_record *h, const hold_confirm *c)
{
    if (c->until_ms <= wall_ms()) {
        saga_env env = env_of(call);
        return saga_resolve_hold(&env, h->hold_id) < 0 ? store_fail_pg(call, booking_pg(call)) : 0;
    }
    if (rpc_parked_for_ms(call) >= CONFIRM_WAIT_MS || rpc_deadline_left_ms(call) < 500)
        return rpc_fail(call, RPC_ABORTED, "HOLD_CONFIRMING", "hold %s is being confirmed; retry", h->hold_id);
    return rpc_park(call, CONFIRM_POLL_MS);
}

/* Takes the hold into CONFIRMING with the next epoch, or finds it booked; *epoch set. */
static claim claim_hold(rpc_call *call, hold_record *h, int *epoch)
{
    const char *token = rpc_idempotency_token(call);
    char nonce[ID_MAX + 1];
    if (token)
        snprintf(nonce, sizeof nonce, "%s", token);
    else
        new_id("c", nonce, sizeof nonce);
    for (;;) {
        int64_t until = wall_ms() + saga_config.confirm_timeout_seconds * 1000;
        char until_s[24];
        snprintf(until_s, sizeof until_s, "%lld", (long long)until);
        hold_move begin = {CONFIRM_BEGIN, rpc_is_admin(call) ? "" : rpc_user_id(call), rpc_user_id(call), until_s,
                           nonce, 0};
        hold_confirm c = hold_cache_confirm(booking_redis(call), h->resource_id, h->hold_id, &begin, wall_ms());
        *epoch = c.epoch;
        switch (c.status) {
        case CONFIRM_OK:
            return CLAIMED;
        case CONFIRM_FAILED:
            return store_fail_redis(call, booking_redis(call)->errstr), CLAIM_FAILED;
        case CONFIRM_NOT_OWNER:
            return require_owner(call, h->user_id), CLAIM_FAILED;
        case CONFIRM_LATE:
        case CONFIRM_GONE:
            return hold_ended(call, h->hold_id, HOLD(EXPIRED)), CLAIM_FAILED;
        default:
            break;
        }
        if (c.state == 'F')
            return ALREADY_BOOKED;
        if (c.state != 'C')
            return hold_ended(call, h->hold_id, hold_status_of_letter(c.state)), CLAIM_FAILED;
        if (confirming_elsewhere(call, h, &c) != 0)
            return CLAIM_FAILED; /* failed, or parked: the status says which */
    }
}

static int payment_declined(rpc_call *call, const hold_record *h, int epoch, const payment_outcome *p,
                            const char *key)
{
    saga_env env = env_of(call);
    saga_attempt_set(booking_pg(call), key, "declined", p->payment_id, p->decline_code);
    saga_abandon_confirmation(&env, h, epoch, "hold.payment_declined");
    booking_count_confirmation(CONFIRM_DECLINED);
    booking_count_decline(p->code != RPC_OK ? "invalid_method" : p->decline_code);
    if (p->code != RPC_OK)
        return rpc_invalid_argument(call, "payment_method_id", "%s", p->message);
    rpc_fail(call, RPC_FAILED_PRECONDITION, "PAYMENT_DECLINED", "payment declined: %s", p->decline_code);
    rpc_error_detail(call, "decline_code", p->decline_code);
    return -1;
}

/* The payment's outcome is unknown (payment-svc timed out or is away): the confirmation
 * is fenced, so it can never book, and the hold is ACTIVE again at once; the repair
 * voids whatever authorization payment-svc made. */
static int payment_unknown(rpc_call *call, const hold_record *h, int epoch, const payment_outcome *p)
{
    saga_env env = env_of(call);
    char booking_id[ID_MAX + 1];
    if (saga_fence(booking_pg(call), h->hold_id, epoch, booking_id, sizeof booking_id) == 0)
        saga_abandon_confirmation(&env, h, epoch, "hold.confirm_abandoned");
    booking_count_confirmation(CONFIRM_PAYMENT_UNKNOWN);
    return rpc_fail(call, RPC_UNAVAILABLE, "PAYMENT_OUTCOME_UNKNOWN",
                    "payment outcome unknown (%s); the hold is kept and any authorization is voided; retry",
                    rpc_code_name(p->code));
}

/* Opens the attempt of this confirmation and authorizes the quoted total under a key
 * derived from the hold and the epoch. 1 authorized; 0 when the hold turned out booked
 * (answered); -1 with the status set. */
static int authorize(rpc_call *call, const hold_record *h, const Booking__V1__Price *price, int epoch,
                     const char *method, payment_outcome *p, char *key, size_t cap)
{
    attempt_row a = {0};
    snprintf(a.hold_id, sizeof a.hold_id, "%s", h->hold_id);
    snprintf(a.payment_method_id, sizeof a.payment_method_id, "%s", method);
    snprintf(a.currency, sizeof a.currency, "%s", price->total->currency);
    a.amount_minor = price->total->amount_minor;
    int opened = saga_attempt_open(booking_pg(call), &a, epoch);
    if (opened < 0)
        return store_fail_pg(call, booking_pg(call));
    if (!opened) /* booked already, or this epoch was fenced: the repair's move */
        return 0;
    snprintf(key, cap, "%s", a.key);
    saga_env env = env_of(call);
    *p = payments_authorize(booking_payments, key, method, a.currency, a.amount_minor, h->hold_id,
                            env.payment_timeout_ms);
    if ((p->code == RPC_OK && p->status == PAY(DECLINED)) || p->code == RPC_INVALID_ARGUMENT)
        return payment_declined(call, h, epoch, p, key);
    if (p->code != RPC_OK || p->status != PAY(AUTHORIZED))
        return payment_unknown(call, h, epoch, p);
    return 1;
}

/* The booking row a confirmed hold becomes. */
static void booking_of(const hold_record *h, Booking__V1__Price *price, const payment_outcome *p, booking_row *b)
{
    memset(b, 0, sizeof *b);
    new_id("bk", b->booking_id, sizeof b->booking_id);
    snprintf(b->hold_id, sizeof b->hold_id, "%s", h->hold_id);
    snprintf(b->user_id, sizeof b->user_id, "%s", h->user_id);
    snprintf(b->resource_id, sizeof b->resource_id, "%s", h->resource_id);
    snprintf(b->payment_id, sizeof b->payment_id, "%s", p->payment_id);
    snprintf(b->currency, sizeof b->currency, "%s", price->total->currency);
    b->start_time = h->start;
    b->end_time = h->end;
    b->quantity = h->quantity;
    b->status = BOOKING(CONFIRMED);
    b->payment_status = PAY(AUTHORIZED);
    b->price = price;
    b->total_minor = price->total->amount_minor;
}

/* The slot boundaries of a hold or booking range: (*starts)[i] is where slot i starts,
 * (*starts)[i + 1] where it ends. */
static int range_slots(rpc_call *call, const char *resource_id, int64_t start, int64_t end, slot_span *span,
                       int64_t **starts)
{
    Booking__V1__Resource *r;
    int64_t version;
    const char *field;
    char msg[200];
    resource_clock clock;
    int found = catalog_get(booking_catalog, booking_pg(call), resource_id, 0, rpc_allocator(call), &r, &version);
    if (found <= 0) /* slot_minutes and time_zone never change: any copy will do */
        return found < 0 ? store_fail_pg(call, booking_pg(call))
                         : rpc_fail(call, RPC_NOT_FOUND, "RESOURCE_NOT_FOUND", "resource \"%s\" does not exist",
                                    resource_id);
    if (resource_clock_or_status(call, r, &clock) != 0)
        return -1;
    if (slot_span_of(&clock, start, end, 100000, span, &field, msg, sizeof msg) != 0)
        return rpc_fail(call, RPC_INTERNAL, "BAD_RANGE", "stored range is invalid: %s", msg);
    *starts = rpc_alloc(call, sizeof **starts * (size_t)(span->count + 1));
    slot_span_bounds(span, *starts);
    return 0;
}

static void void_payment(const payment_outcome *p)
{
    char key[160];
    payment_key(key, sizeof key, "void", p->payment_id, NULL);
    payments_void(booking_payments, key, p->payment_id, saga_config.payment_timeout_ms);
}

/* Capacity vanished in PostgreSQL (Redis had lost state): void, expire, fail. */
static int capacity_gone(rpc_call *call, const hold_record *h, int epoch, const payment_outcome *p, const char *key)
{
    saga_attempt_set(booking_pg(call), key, "abandoned", p->payment_id, NULL); /* the repair voids if we cannot */
    void_payment(p);
    hold_end expire = {'F', "", rpc_user_id(call), "capacity_gone", epoch};
    hold_release rel = hold_cache_release(booking_redis(call), h->resource_id, h->hold_id, &expire, wall_ms());
    if (rel.status == RELEASE_DONE)
        user_holds_give_back(booking_redis(call), h->user_id, h->hold_id);
    booking_count_confirmation(CONFIRM_CAPACITY_GONE);
    return rpc_fail(call, RPC_FAILED_PRECONDITION, "CAPACITY_GONE",
                    "the units of hold %s are no longer available; the payment was voided", h->hold_id);
}

/* The booking transaction refused: another confirmation booked the hold, or the repair
 * fenced this one (it took longer than the confirm timeout). */
static int lost_race(rpc_call *call, const hold_record *h, const payment_outcome *p, ProtobufCMessage **response)
{
    void_payment(p); /* an abandoned attempt is voided by the repair too: the same key */
    booking_row b;
    int found = saga_booking_by_hold(booking_pg(call), h->hold_id, rpc_allocator(call), &b);
    booking_count_confirmation(found > 0 ? CONFIRM_BOOKED : CONFIRM_ABANDONED);
    if (found > 0) {
        *response = &booking_message_of(call, &b)->base;
        return 0;
    }
    return rpc_fail(call, RPC_ABORTED, "CONFIRMATION_ABANDONED",
                    "the confirmation of hold %s took too long and was abandoned; retry", h->hold_id);
}

static int book(rpc_call *call, hold_record *h, int epoch, const char *method, ProtobufCMessage **response)
{
    payment_outcome p;
    char key[160];
    Booking__V1__Price *price =
        h->quote ? booking__v1__price__unpack(rpc_allocator(call), h->quote_len, h->quote) : NULL;
    if (!price || !price->total)
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "HOLD_NOT_PRICED", "hold %s has no quote", h->hold_id);
    int authorized = authorize(call, h, price, epoch, method, &p, key, sizeof key);
    if (authorized <= 0)
        return authorized < 0 ? -1 : answer_booked(call, h, epoch, response);
    booking_row b;
    slot_span span;
    int64_t *starts;
    booking_of(h, price, &p, &b);
    if (range_slots(call, h->resource_id, h->start, h->end, &span, &starts) != 0)
        return -1;
    int oversold = 0;
    switch (saga_commit_booking(booking_pg(call), &b, starts, span.count, starts + 1, key,
                                rpc_user_id(call), &oversold)) {
    case COMMIT_DONE:
        booking_count_oversold(oversold);
        break;
    case COMMIT_NO_CAPACITY:
        return capacity_gone(call, h, epoch, &p, key);
    case COMMIT_LOST_RACE:
        return lost_race(call, h, &p, response);
    default:
        booking_count_confirmation(CONFIRM_STORE_ERROR);
        return store_fail_pg(call, booking_pg(call)); /* the repair settles it from what PostgreSQL says */
    }
    booking_count_confirmation(CONFIRM_BOOKED);
    saga_env env = env_of(call);
    saga_finish_confirmed(&env, h->resource_id, h->hold_id, epoch, b.booking_id, h->user_id);
    saga_settle_payment(&env, &b); /* what fails is retried by the repair routine */
    log_info("booking %s confirmed from hold %s (payment %s)", b.booking_id, h->hold_id, b.payment_id);
    *response = &booking_message_of(call, &b)->base; /* the row as stored: no need to read it back */
    return 0;
}

int rpc_confirm_booking(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__ConfirmBookingRequest *req = (const Booking__V1__ConfirmBookingRequest *)request;
    hold_view h;
    int epoch = 0;
    if (!req->payment_method_id || !*req->payment_method_id)
        return rpc_invalid_argument(call, "payment_method_id", "is required");
    if (!id_valid(req->payment_method_id))
        return rpc_invalid_argument(call, "payment_method_id", "is not a valid payment method id");
    if (load_hold_owned(call, req->hold_id, &h) != 0)
        return -1;
    if (!h.live) /* Redis forgot it: booked long ago, or over */
        return h.row.status == HOLD(CONFIRMED) ? answer_booking_of_hold(call, h.row.hold_id, response)
                                               : hold_ended(call, h.row.hold_id, hold_view_status(&h));
    switch (claim_hold(call, &h.rec, &epoch)) {
    case ALREADY_BOOKED:
        return answer_booking_of_hold(call, h.rec.hold_id, response);
    case CLAIMED:
        return book(call, &h.rec, epoch, req->payment_method_id, response);
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

/* The refund percent the resource's cancellation rules give now; -1 after the start
 * (the local check-in time of the first night, or the first slot's start), -2 with the
 * status set. */
static int refund_percent_now(rpc_call *call, const booking_row *b)
{
    Booking__V1__Resource *r;
    resource_clock clock;
    if (load_resource(call, b->resource_id, &r) != 0 || resource_clock_or_status(call, r, &clock) != 0)
        return -2;
    double hours_left = (double)(slot_check_in(&clock, b->start_time) - wall_seconds()) / 3600.0;
    return refund_percent((const Booking__V1__CancellationRule *const *)r->cancellation_rules,
                          r->n_cancellation_rules, hours_left);
}

/* Cancels `units` units (0: all still booked) of a CONFIRMED booking: 1 cancelled, 0
 * when it was not CONFIRMED any more (the store answers), -1 with the status set. */
static int cancel(rpc_call *call, booking_row *b, int units, const char *reason)
{
    int percent = refund_percent_now(call, b);
    if (percent == -2)
        return -1;
    if (percent < 0)
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "NOT_CANCELLABLE", "booking %s has started", b->booking_id);
    slot_span span;
    int64_t *starts;
    if (range_slots(call, b->resource_id, b->start_time, b->end_time, &span, &starts) != 0)
        return -1;
    pg_conn *pg = booking_pg(call);
    cancel_request req = {units, percent, reason, rpc_user_id(call)};
    cancel_outcome out;
    switch (saga_cancel_booking(pg, b, starts, span.count, &req, &out)) {
    case CANCEL_DONE:
        break;
    case CANCEL_NOT_ACTIVE:
        return 0; /* cancelled or completed meanwhile: answered from the store */
    case CANCEL_TOO_MANY:
        return rpc_invalid_argument(call, "quantity", "booking %s has %d unit(s) left to cancel; %d asked",
                                    b->booking_id, out.remaining, units);
    default:
        return store_fail_pg(call, pg);
    }
    int *deltas = rpc_alloc(call, sizeof *deltas * (size_t)span.count);
    for (int i = 0; i < span.count; i++)
        deltas[i] = out.units;
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
    waitlist_wake(); /* units back: the waiting list may have someone for them */
    return 1;
}

int rpc_cancel_booking(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__CancelBookingRequest *req = (const Booking__V1__CancelBookingRequest *)request;
    booking_row b;
    if (validate_text(call, "reason", req->reason, CANCEL_REASON_MAX, 0) != 0)
        return -1;
    if (req->quantity < 0)
        return rpc_invalid_argument(call, "quantity", "must be 0 (every unit still booked) or more");
    if (load_booking(call, req->booking_id, &b) != 0)
        return -1;
    if (b.status == BOOKING(COMPLETED))
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "NOT_CANCELLABLE", "booking %s is completed", b.booking_id);
    if (b.status == BOOKING(CONFIRMED)) {
        int rc = cancel(call, &b, req->quantity, req->reason ? req->reason : "");
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
