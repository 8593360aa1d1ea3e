/* booking_metrics.c — the booking flow's counters: hold events, confirmation outcomes,
 * payment declines. Label values come from fixed tables so a series count never grows
 * with input. */
#include "booking_metrics.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const hold_events[] = {"created",   "confirming",       "confirmed",         "released",
                                          "expired",   "payment_declined", "confirm_abandoned", "other"};
static const char *const outcomes[CONFIRM_OUTCOMES] = {"booked",        "declined",  "payment_unknown",
                                                       "capacity_gone", "abandoned", "store_error"};
/* Common provider decline codes (Stripe's names); anything else counts as "other". */
static const char *const decline_reasons[] = {"card_declined", "insufficient_funds", "expired_card",
                                              "incorrect_cvc", "processing_error",   "fraudulent",
                                              "do_not_honor",  "lost_card",          "stolen_card",
                                              "invalid_method", "other"};

static metric *m_hold_events[COUNT(hold_events)], *m_outcomes[CONFIRM_OUTCOMES], *m_declines[COUNT(decline_reasons)];
#define LABELS_MAX 64
static char hold_event_labels[COUNT(hold_events)][LABELS_MAX], outcome_labels[CONFIRM_OUTCOMES][LABELS_MAX],
    decline_labels[COUNT(decline_reasons)][LABELS_MAX];

/* One counter per value of a label; the registry keeps the label strings, so they live
 * in `storage` (n entries of LABELS_MAX) for the life of the process. */
static void register_family(metric **out, char (*storage)[LABELS_MAX], const char *name, const char *label,
                            const char *const *values, size_t n, const char *help)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(storage[i], LABELS_MAX, "%s=\"%s\"", label, values[i]);
        out[i] = metrics_counter(name, storage[i], help);
    }
}

void booking_metrics_init(void)
{
    register_family(m_hold_events, hold_event_labels, "booking_hold_events_total", "event", hold_events, COUNT(hold_events),
                    "hold state changes recorded from the hold log, by event (hold.<event>)");
    register_family(m_outcomes, outcome_labels, "booking_confirmations_total", "outcome", outcomes, CONFIRM_OUTCOMES,
                    "ConfirmBooking calls that reached the payment step, by outcome");
    register_family(m_declines, decline_labels, "booking_payment_declines_total", "reason", decline_reasons, COUNT(decline_reasons),
                    "payments the provider declined, by decline code");
}

/* The index of value in table, or of the table's last entry ("other"). */
static size_t index_of(const char *const *table, size_t n, const char *value)
{
    for (size_t i = 0; value && i + 1 < n; i++)
        if (strcmp(table[i], value) == 0)
            return i;
    return n - 1;
}

void booking_count_hold_event(const char *event_type)
{
    if (!m_hold_events[0])
        return; /* not registered (unit tests) */
    const char *name = event_type && strncmp(event_type, "hold.", 5) == 0 ? event_type + 5 : NULL;
    metric_inc(m_hold_events[index_of(hold_events, COUNT(hold_events), name)], 1);
}

void booking_count_confirmation(confirm_outcome outcome)
{
    if (m_outcomes[0] && (unsigned)outcome < CONFIRM_OUTCOMES)
        metric_inc(m_outcomes[outcome], 1);
}

void booking_count_decline(const char *decline_code)
{
    if (m_declines[0])
        metric_inc(m_declines[index_of(decline_reasons, COUNT(decline_reasons), decline_code)], 1);
}
