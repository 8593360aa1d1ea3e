/* webhook_sender.h — booking-svc's webhook sender: a background thread on every replica
 * that claims due deliveries from the outbox, POSTs them signed, and records every
 * attempt and its outcome (docs/webhooks.md). */
#ifndef BOOKING_SVC_WEBHOOK_SENDER_H
#define BOOKING_SVC_WEBHOOK_SENDER_H

#include "service.h"

typedef struct webhook_settings {
    int enabled;           /* WEBHOOK_SENDER: this replica sends (every replica by default) */
    long poll_ms;          /* WEBHOOK_POLL_MS: look for due deliveries at least this often */
    long timeout_ms;       /* WEBHOOK_TIMEOUT_MS: one POST, connection included */
    long concurrency;      /* WEBHOOK_CONCURRENCY: POSTs in flight per replica */
    long lease_seconds;    /* WEBHOOK_LEASE_SECONDS: a claim without outcome is retried after this */
    long retry_base_ms;    /* WEBHOOK_RETRY_BASE_MS: wait after the first failed attempt */
    long retry_max_ms;     /* WEBHOOK_RETRY_MAX_MS: the longest wait between attempts */
    long retry_window_s;   /* WEBHOOK_RETRY_WINDOW_SECONDS: how long a delivery is retried */
    long retention_days;   /* WEBHOOK_RETENTION_DAYS: finished events are purged after this */
} webhook_settings;

extern webhook_settings webhook_config;

typedef struct webhook_sender webhook_sender;

/* Registers the sender's metrics (before serving). */
void webhook_metrics_init(void);
/* Starts the sender thread with its own PostgreSQL connection; development (loopback
 * endpoints allowed) when development is set. NULL when it cannot start. */
webhook_sender *webhook_sender_start(const service_definition *def, const service_settings *settings,
                                     int development);
/* Stops it: POSTs in flight are abandoned and their deliveries due again at once. */
void webhook_sender_stop(webhook_sender *s);

#endif
