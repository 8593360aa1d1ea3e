/* waitlist_offer.h — the waiting list's offer worker (every booking-svc replica): when
 * units come back (a release, an expiry, a cancellation, a capacity raise), the oldest
 * WAITING entries that now fit get a hold made for them, in join order, exactly once
 * (docs/checkout-lifecycle.md, "The waiting list"). */
#ifndef BOOKING_SVC_WAITLIST_OFFER_H
#define BOOKING_SVC_WAITLIST_OFFER_H

#include "service.h"

typedef struct waitlist_settings {
    long offer_ttl_seconds;  /* WAITLIST_OFFER_TTL_SECONDS: how long an offered hold lives */
    long interval_ms;        /* WAITLIST_INTERVAL_MS: the worker's pass (sooner when woken) */
    long max_open;           /* WAITLIST_MAX_PER_USER: a user's entries WAITING or OFFERED at once */
    long rescan_seconds;     /* WAITLIST_RESCAN_SECONDS: a pass that ignores the hint (lost with Redis) */
} waitlist_settings;

/* Read from the service's settings table (main.c). */
extern waitlist_settings waitlist_config;

typedef struct waitlist_worker waitlist_worker;

/* Starts the worker on its own store connections; NULL on failure. */
waitlist_worker *waitlist_worker_start(const service_definition *def, const service_settings *settings);
void waitlist_worker_stop(waitlist_worker *w);
void waitlist_metrics_init(void);

/* Units came back in this process (released, cancelled, capacity raised): the worker
 * runs its pass now instead of at its next interval. Thread-safe; nothing when no
 * worker runs. Units that come back elsewhere (expiry-svc) are found by the pass. */
void waitlist_wake(void);

#endif
