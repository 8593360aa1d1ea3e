/* stats.h — expiry-svc's figures: Prometheus metrics (the process-wide registry) and
 * the values GetStats answers with, including the release-lag window. */
#ifndef EXPIRY_STATS_H
#define EXPIRY_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "lag_window.h"

/* Which path released a hold. */
typedef enum release_path { PATH_SWEEP, PATH_NOTIFICATION, PATH_RECONCILE, PATH_COUNT } release_path;

const char *release_path_name(release_path path);

/* Registers the metrics (once per process). */
void stats_init(void);

/* A hold whose units this process gave back, lag_ms after its expires_at. */
void stats_released(release_path path, double lag_ms);
void stats_notification(void);
void stats_sweep_done(int64_t now_ms, double seconds);
void stats_reconcile(int suspects, int fixed);
void stats_confirming_overdue(void);
void stats_notify_config(int ok);

typedef struct expiry_figures {
    int64_t holds_expired, holds_swept, notifications, mismatches, last_sweep_ms;
    lag_summary lag;
} expiry_figures;

void stats_read(expiry_figures *out);

#endif
