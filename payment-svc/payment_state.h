/* payment_state.h — the payment state machine and the refund arithmetic, in one
 * place: pure functions over PaymentStatus values, no I/O. */
#ifndef PAYMENT_SVC_PAYMENT_STATE_H
#define PAYMENT_SVC_PAYMENT_STATE_H

#include <stdint.h>

#include "booking/v1/common.pb-c.h"

typedef Booking__V1__PaymentStatus payment_status;

#define PAY_NONE BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_UNSPECIFIED /* before the row exists */
#define PAY_AUTHORIZED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_AUTHORIZED
#define PAY_CAPTURED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_CAPTURED
#define PAY_PARTIALLY_REFUNDED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_PARTIALLY_REFUNDED
#define PAY_REFUNDED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_REFUNDED
#define PAY_VOIDED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_VOIDED
#define PAY_DECLINED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_DECLINED
#define PAY_UNKNOWN BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_UNKNOWN
#define PAY_STATUS_COUNT 8 /* 0..7 */

/* What happens to a payment. */
typedef enum payment_action {
    PAYMENT_OPEN = 0,            /* the row is recorded before the provider answers */
    PAYMENT_AUTHORIZE_APPROVED,  /* the provider approved the authorization */
    PAYMENT_AUTHORIZE_DECLINED,  /* the provider declined it */
    PAYMENT_CAPTURE,
    PAYMENT_VOID,
    PAYMENT_REFUND_PARTIAL,      /* a refund that leaves part of the capture */
    PAYMENT_REFUND_FULL,         /* a refund that reaches the captured amount */
    PAYMENT_ACTION_COUNT
} payment_action;

typedef enum payment_step_kind {
    STEP_MOVE = 0,  /* do it: the payment goes to `to`, recorded with event `event_type` */
    STEP_ALREADY,   /* already done (capture of a captured payment, void of a voided one) */
    STEP_REFUSED,   /* not from this state: FAILED_PRECONDITION with `reason` */
} payment_step_kind;

typedef struct payment_step {
    payment_step_kind kind;
    payment_status to;       /* STEP_MOVE: the new status; otherwise the current one */
    const char *event_type;  /* STEP_MOVE: "payment.captured", ... */
    const char *reason;      /* STEP_REFUSED: "PAYMENT_VOIDED", "OUTCOME_UNKNOWN", ... */
} payment_step;

/* 1 when a payment may go from `from` to `to` (PAY_NONE -> UNKNOWN is its creation). */
int payment_transition_allowed(payment_status from, payment_status to);

/* What `action` does to a payment in status `from`. Every STEP_MOVE it returns is an
 * allowed transition; anything unknown is refused. */
payment_step payment_next(payment_status from, payment_action action);

typedef enum refund_check {
    REFUND_OK = 0,
    REFUND_NOT_POSITIVE,       /* amount <= 0 */
    REFUND_EXCEEDS_CAPTURED,   /* refunded + amount > captured */
} refund_check;

/* The refund arithmetic: whether `amount` fits in captured - refunded (no overflow for
 * any int64 input), and if so the new refunded total and whether it is full. */
refund_check refund_plan(int64_t captured, int64_t refunded, int64_t amount, int64_t *new_refunded,
                         payment_action *action);

/* A refund of `amount` on a payment in `from`: the state machine first (only captured
 * payments refund), then the arithmetic. REFUND_EXCEEDS_CAPTURED is refused with
 * reason "REFUND_EXCEEDS_CAPTURED" (amount <= 0: "REFUND_NOT_POSITIVE"). */
payment_step payment_refund_step(payment_status from, int64_t captured, int64_t refunded, int64_t amount,
                                 int64_t *new_refunded);

/* "AUTHORIZED", "CAPTURED", ... ("UNSPECIFIED" for anything else). */
const char *payment_status_name(payment_status s);

#endif
