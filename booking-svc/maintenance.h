/* maintenance.h — the booking saga's repair and the housekeeping of booking-svc's
 * schema, run by one replica at a time. */
#ifndef BOOKING_SVC_MAINTENANCE_H
#define BOOKING_SVC_MAINTENANCE_H

#include "rpc_client.h"
#include "service.h"

typedef struct maintenance_settings {
    long repair_interval_ms;  /* REPAIR_INTERVAL_MS: one repair pass */
    long lost_after_seconds;  /* LOST_HOLD_AFTER_SECONDS: history live this long past expiry, Redis ignorant */
    long follower_check_ms;   /* MAINTENANCE_FOLLOWER_CHECK_MS: a follower's tries for the lock */
} maintenance_settings;

extern maintenance_settings maintenance_config;

typedef struct maintenance maintenance;

void maintenance_metrics_init(void);
/* Starts the thread: it runs the passes while it holds the maintenance lock. */
maintenance *maintenance_start(const service_definition *def, const service_settings *settings,
                               rpc_client *payments);
void maintenance_stop(maintenance *m);

#endif
