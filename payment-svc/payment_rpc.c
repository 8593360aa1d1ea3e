/* payment_rpc.c — CapturePayment, VoidPayment, RefundPayment, GetPayment: each change
 * runs in one transaction with the payment row locked (SELECT ... FOR UPDATE), so
 * concurrent captures and refunds of one payment serialize. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ids.h"
#include "log.h"
#include "payment.h"

#define REASON_MAX 512

/* Opens a transaction and locks the payment. 0, or -1 with the status set (rolled back). */
static int lock_payment(rpc_call *call, const char *payment_id, payment_row *p)
{
    if (check_payment_id(call, payment_id) != 0)
        return -1;
    return load_payment(call, payment_id, 1, p);
}

/* Applies a step decided under the lock, records its event (and the approved capture
 * attempt, when capture_attempt > 0) and commits; *p becomes the row as moved. 0 / -1. */
static int commit_move(rpc_call *call, payment_row *p, const payment_step *step, int64_t captured,
                       int64_t refunded, const char *metadata_json, int capture_attempt)
{
    pg_conn *pg = payment_pg(call);
    payment_change change = change_by(call, metadata_json);
    payment_row now;
    int moved = store_payment_move(pg, p->payment_id, p->status, step, captured, refunded, p->decline_code,
                                   capture_attempt, &change, &now);
    if (moved < 0)
        return store_fail_pg(call, pg);
    if (moved != 1) { /* cannot happen under the row lock; keep nothing of this change */
        pg_rollback(pg);
        return rpc_fail(call, RPC_ABORTED, "CONCURRENT_CHANGE", "payment \"%s\" changed meanwhile; retry",
                        p->payment_id);
    }
    if (pg_commit(pg) != 0)
        return store_fail_pg(call, pg);
    *p = now;
    return 0;
}

/* One capture attempt at the provider, counted whatever its outcome. */
static int capture_locked(rpc_call *call, payment_row *p, const payment_step *step)
{
    pg_conn *pg = payment_pg(call);
    provider_request r = {.payment_id = p->payment_id, .payment_method_id = p->payment_method_id,
                          .currency = p->currency, .amount_minor = p->amount_minor,
                          .operation_id = p->payment_id, .attempt = p->capture_attempts + 1};
    provider_outcome out;
    provider_result result = ask_provider(call, PROVIDER_CAPTURE, &r, &out);
    if (result != PROVIDER_APPROVED) {
        /* the attempt is kept; the payment is unchanged */
        if (store_capture_attempt_add(pg, p->payment_id, r.attempt, out.message) != 0 || pg_commit(pg) != 0)
            return store_fail_pg(call, pg);
        payment_count(M_CAPTURE_PROVIDER_ERROR, 1);
        return fail_provider(call, &out, "capture");
    }
    char amount[24], attempt[16];
    snprintf(amount, sizeof amount, "%" PRId64, p->amount_minor);
    snprintf(attempt, sizeof attempt, "%d", r.attempt);
    const char *meta[] = {"amount_minor", amount, "attempt", attempt};
    if (commit_move(call, p, step, p->amount_minor, 0, event_metadata(call, meta, 2), r.attempt) != 0)
        return -1;
    payment_count(M_CAPTURE_CAPTURED, 1);
    return 0;
}

int rpc_capture_payment(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__CapturePaymentRequest *req = (const Booking__V1__CapturePaymentRequest *)request;
    payment_row p;
    if (lock_payment(call, req->payment_id, &p) != 0)
        return -1;
    payment_step step = payment_next(p.status, PAYMENT_CAPTURE);
    if (step.kind != STEP_MOVE) {
        pg_rollback(payment_pg(call));
        payment_count(step.kind == STEP_ALREADY ? M_CAPTURE_ALREADY : M_CAPTURE_REFUSED, 1);
        if (step.kind == STEP_REFUSED)
            return fail_step(call, &p, &step, "captured");
        *response = &payment_message(call, &p)->base; /* one capture: the first one's result */
        return 0;
    }
    if (capture_locked(call, &p, &step) != 0)
        return -1;
    *response = &payment_message(call, &p)->base; /* the row as captured */
    return 0;
}

int rpc_void_payment(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__VoidPaymentRequest *req = (const Booking__V1__VoidPaymentRequest *)request;
    payment_row p;
    if (lock_payment(call, req->payment_id, &p) != 0)
        return -1;
    payment_step step = payment_next(p.status, PAYMENT_VOID);
    if (step.kind != STEP_MOVE) {
        pg_rollback(payment_pg(call));
        payment_count(step.kind == STEP_ALREADY ? M_VOID_ALREADY : M_VOID_REFUSED, 1);
        if (step.kind == STEP_REFUSED)
            return fail_step(call, &p, &step, "voided");
        *response = &payment_message(call, &p)->base;
        return 0;
    }
    provider_request r = {.payment_id = p.payment_id, .payment_method_id = p.payment_method_id,
                          .currency = p.currency, .amount_minor = p.amount_minor,
                          .operation_id = p.payment_id, .attempt = 1};
    provider_outcome out;
    if (ask_provider(call, PROVIDER_VOID, &r, &out) != PROVIDER_APPROVED) {
        pg_rollback(payment_pg(call));
        return fail_provider(call, &out, "void");
    }
    if (commit_move(call, &p, &step, 0, 0, NULL, 0) != 0)
        return -1;
    payment_count(M_VOID_VOIDED, 1);
    *response = &payment_message(call, &p)->base;
    return 0;
}

static int check_refund(rpc_call *call, const Booking__V1__RefundPaymentRequest *req)
{
    if (check_payment_id(call, req->payment_id) != 0 || check_money(call, "amount", req->amount) != 0)
        return -1;
    if (req->reason && strlen(req->reason) > REASON_MAX)
        return rpc_invalid_argument(call, "reason", "is longer than %d bytes", REASON_MAX);
    return 0;
}

/* The refund's id, which is also the provider's operation id: derived from the
 * idempotency key when there is one, so that a rerun of the same refund (after a crash
 * or a lost answer) asks the provider for the same operation, which it carries out once. */
static void refund_id_of(rpc_call *call, const payment_row *p, char *id, size_t cap)
{
    const char *key = rpc_idempotency_key(call);
    if (*key)
        snprintf(id, cap, "%s/%s", p->payment_id, key);
    else
        new_id("refund", id, cap);
}

/* Asks the provider for the refund, then records it, the new counters and the event
 * in the transaction that holds the payment's lock. */
static int refund_locked(rpc_call *call, payment_row *p, const payment_step *step, const char *refund_id,
                         int64_t amount, int64_t new_refunded, const char *reason)
{
    pg_conn *pg = payment_pg(call);
    char amount_s[24];
    provider_request r = {.payment_id = p->payment_id, .payment_method_id = p->payment_method_id,
                          .currency = p->currency, .amount_minor = amount, .operation_id = refund_id, .attempt = 1};
    provider_outcome out;
    if (ask_provider(call, PROVIDER_REFUND, &r, &out) != PROVIDER_APPROVED) {
        pg_rollback(pg);
        payment_count(M_REFUND_PROVIDER_ERROR, 1);
        return fail_provider(call, &out, "refund");
    }
    if (store_refund_insert(pg, refund_id, p->payment_id, amount, p->currency, reason) != 0)
        return store_fail_pg(call, pg);
    snprintf(amount_s, sizeof amount_s, "%" PRId64, amount);
    const char *meta[] = {"refund_id", refund_id, "amount_minor", amount_s, "reason", reason};
    if (commit_move(call, p, step, p->captured_minor, new_refunded, event_metadata(call, meta, 3), 0) != 0)
        return -1;
    payment_count(M_REFUND_REFUNDED, 1);
    log_info("payment %s: refund %s of %s %s", p->payment_id, refund_id, amount_s, p->currency);
    return 0;
}

int rpc_refund_payment(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__RefundPaymentRequest *req = (const Booking__V1__RefundPaymentRequest *)request;
    payment_row p;
    if (check_refund(call, req) != 0 || lock_payment(call, req->payment_id, &p) != 0)
        return -1;
    if (strcmp(req->amount->currency, p.currency) != 0) {
        pg_rollback(payment_pg(call));
        return rpc_invalid_argument(call, "amount.currency", "must be %s, the payment's currency", p.currency);
    }
    /* a refund already recorded under this key is never applied twice */
    char refund_id[ID_MAX + 256];
    refund_id_of(call, &p, refund_id, sizeof refund_id);
    int done = store_refund_exists(payment_pg(call), refund_id);
    if (done != 0) {
        pg_rollback(payment_pg(call));
        return done < 0 ? store_fail_pg(call, payment_pg(call)) : reply_payment(call, p.payment_id, response);
    }
    int64_t new_refunded = 0;
    payment_step step = payment_refund_step(p.status, p.captured_minor, p.refunded_minor,
                                            req->amount->amount_minor, &new_refunded);
    if (step.kind != STEP_MOVE) {
        pg_rollback(payment_pg(call));
        payment_count(M_REFUND_REFUSED, 1);
        return fail_step(call, &p, &step, "refunded");
    }
    if (refund_locked(call, &p, &step, refund_id, req->amount->amount_minor, new_refunded,
                      req->reason ? req->reason : "") != 0)
        return -1;
    *response = &payment_message(call, &p)->base;
    return 0;
}

int rpc_get_payment(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__GetPaymentRequest *req = (const Booking__V1__GetPaymentRequest *)request;
    if (check_payment_id(call, req->payment_id) != 0)
        return -1;
    return reply_payment(call, req->payment_id, response);
}
