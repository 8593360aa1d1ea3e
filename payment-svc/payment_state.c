/* payment_state.c — the payment state machine (one table of moves) and the refund
 * arithmetic. Pure: unit-tested exhaustively in tests/unit/test_payment_state.c. */
#include "payment_state.h"

#include <stddef.h>

typedef struct move {
    payment_action action;
    payment_status from, to;
    const char *event_type;
} move;

/* Every transition a payment can make, and the only ones. */
static const move moves[] = {
    {PAYMENT_OPEN, PAY_NONE, PAY_UNKNOWN, "payment.unknown"},
    {PAYMENT_AUTHORIZE_APPROVED, PAY_UNKNOWN, PAY_AUTHORIZED, "payment.authorized"},
    {PAYMENT_AUTHORIZE_DECLINED, PAY_UNKNOWN, PAY_DECLINED, "payment.declined"},
    {PAYMENT_CAPTURE, PAY_AUTHORIZED, PAY_CAPTURED, "payment.captured"},
    {PAYMENT_VOID, PAY_AUTHORIZED, PAY_VOIDED, "payment.voided"},
    {PAYMENT_REFUND_PARTIAL, PAY_CAPTURED, PAY_PARTIALLY_REFUNDED, "payment.refunded"},
    {PAYMENT_REFUND_PARTIAL, PAY_PARTIALLY_REFUNDED, PAY_PARTIALLY_REFUNDED, "payment.refunded"},
    {PAYMENT_REFUND_FULL, PAY_CAPTURED, PAY_REFUNDED, "payment.refunded"},
    {PAYMENT_REFUND_FULL, PAY_PARTIALLY_REFUNDED, PAY_REFUNDED, "payment.refunded"},
};
#define MOVE_COUNT (sizeof moves / sizeof moves[0])

static const char *const names[PAY_STATUS_COUNT] = {
    "UNSPECIFIED", "AUTHORIZED", "CAPTURED", "PARTIALLY_REFUNDED", "REFUNDED", "VOIDED", "DECLINED", "UNKNOWN",
};

/* "PAYMENT_<STATUS>": the reason of a refusal that only the status explains. */
static const char *const status_reasons[PAY_STATUS_COUNT] = {
    "PAYMENT_NOT_FOUND", "PAYMENT_AUTHORIZED", "PAYMENT_CAPTURED", "PAYMENT_PARTIALLY_REFUNDED",
    "PAYMENT_REFUNDED", "PAYMENT_VOIDED", "PAYMENT_DECLINED", "OUTCOME_UNKNOWN",
};

static int valid_status(payment_status s) { return (int)s >= 0 && (int)s < PAY_STATUS_COUNT; }

static int captured_family(payment_status s)
{
    return s == PAY_CAPTURED || s == PAY_PARTIALLY_REFUNDED || s == PAY_REFUNDED;
}

const char *payment_status_name(payment_status s) { return valid_status(s) ? names[s] : names[0]; }

int payment_transition_allowed(payment_status from, payment_status to)
{
    for (size_t i = 0; i < MOVE_COUNT; i++)
        if (moves[i].from == from && moves[i].to == to)
            return 1;
    return 0;
}

/* 1 when `action` has nothing left to do in `s` (asked again after it happened). */
static int already_done(payment_status s, payment_action action)
{
    switch (action) {
    case PAYMENT_AUTHORIZE_APPROVED: return s == PAY_AUTHORIZED;
    case PAYMENT_AUTHORIZE_DECLINED: return s == PAY_DECLINED;
    case PAYMENT_CAPTURE: return captured_family(s); /* one capture, whatever came after */
    case PAYMENT_VOID: return s == PAY_VOIDED;
    default: return 0;
    }
}

static const char *refusal_reason(payment_status s, payment_action action)
{
    if (!valid_status(s))
        return "PAYMENT_STATE_INVALID";
    if (action == PAYMENT_OPEN)
        return "PAYMENT_EXISTS";
    if (action == PAYMENT_VOID && captured_family(s))
        return "PAYMENT_CAPTURED"; /* refund it instead */
    if ((action == PAYMENT_REFUND_PARTIAL || action == PAYMENT_REFUND_FULL) && s == PAY_AUTHORIZED)
        return "PAYMENT_NOT_CAPTURED";
    if ((action == PAYMENT_REFUND_PARTIAL || action == PAYMENT_REFUND_FULL) && s == PAY_REFUNDED)
        return "REFUND_EXCEEDS_CAPTURED";
    return status_reasons[s];
}

payment_step payment_next(payment_status from, payment_action action)
{
    for (size_t i = 0; i < MOVE_COUNT; i++)
        if (moves[i].action == action && moves[i].from == from)
            return (payment_step){STEP_MOVE, moves[i].to, moves[i].event_type, NULL};
    if (already_done(from, action))
        return (payment_step){STEP_ALREADY, from, NULL, NULL};
    return (payment_step){STEP_REFUSED, from, NULL, refusal_reason(from, action)};
}

refund_check refund_plan(int64_t captured, int64_t refunded, int64_t amount, int64_t *new_refunded,
                         payment_action *action)
{
    if (amount <= 0)
        return REFUND_NOT_POSITIVE;
    if (captured < 0 || refunded < 0 || refunded > captured || amount > captured - refunded)
        return REFUND_EXCEEDS_CAPTURED;
    *new_refunded = refunded + amount;
    *action = *new_refunded == captured ? PAYMENT_REFUND_FULL : PAYMENT_REFUND_PARTIAL;
    return REFUND_OK;
}

payment_step payment_refund_step(payment_status from, int64_t captured, int64_t refunded, int64_t amount,
                                 int64_t *new_refunded)
{
    payment_action action = PAYMENT_REFUND_PARTIAL;
    if (from != PAY_CAPTURED && from != PAY_PARTIALLY_REFUNDED)
        return payment_next(from, action); /* refused by state, with its reason */
    refund_check check = refund_plan(captured, refunded, amount, new_refunded, &action);
    if (check != REFUND_OK)
        return (payment_step){STEP_REFUSED, from, NULL,
                              check == REFUND_NOT_POSITIVE ? "REFUND_NOT_POSITIVE" : "REFUND_EXCEEDS_CAPTURED"};
    return payment_next(from, action);
}
