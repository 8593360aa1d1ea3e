/* booking_metrics.h — what the booking flow counts for dashboards and alerts
 * (docs/operations.md lists them): hold events as the recorder writes them from the
 * hold log, confirmations by outcome, payment declines by reason. */
#ifndef BOOKING_METRICS_H
#define BOOKING_METRICS_H

typedef enum confirm_outcome {
    CONFIRM_BOOKED,          /* a booking was made (or found made by an earlier call) */
    CONFIRM_DECLINED,        /* the provider declined the payment */
    CONFIRM_PAYMENT_UNKNOWN, /* payment-svc did not answer in time: fenced, hold kept */
    CONFIRM_CAPACITY_GONE,   /* PostgreSQL had no room left (Redis had lost state) */
    CONFIRM_ABANDONED,       /* the repair fenced this confirmation first */
    CONFIRM_STORE_ERROR,     /* PostgreSQL failed; the repair settles it */
    CONFIRM_OUTCOMES
} confirm_outcome;

/* Registers the families; call once at start-up. */
void booking_metrics_init(void);
/* booking_hold_events_total{event=...}: event_type is "hold.created", "hold.expired"... */
void booking_count_hold_event(const char *event_type);
/* booking_confirmations_total{outcome=...} */
void booking_count_confirmation(confirm_outcome outcome);
/* booking_payment_declines_total{reason=...}: the provider's decline code when it is one
 * of the common ones, "invalid_method" for a method the provider refused, else "other"
 * (labels stay a bounded set). */
void booking_count_decline(const char *decline_code);

#endif
