/* stats.c — metric handles and the lag window; the registry outlives the service
 * state, so everything a scrape reads is static here. */
#include "stats.h"

#include <pthread.h>
#include <stdatomic.h>

#include "metrics.h"

static struct {
    metric *expired[PATH_COUNT];
    metric *lag, *lag_window, *notifications, *last_sweep, *sweep_seconds;
    metric *suspects, *mismatches, *confirming, *notify_ok;
    _Atomic int64_t last_sweep_ms;
} m;

static lag_window window = LAG_WINDOW_INIT;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const char *const path_names[PATH_COUNT] = {"sweep", "notification", "reconcile"};

const char *release_path_name(release_path path) { return path_names[path]; }

/* The window's quantiles in seconds: 0.5 and 0.99 (nearest rank) and 1 (the maximum),
 * from one pass over the window. */
static const double window_quantiles[] = {0.5, 0.99, 1};

static void read_window(void *ctx, const double *q, double *out, size_t n)
{
    lag_summary s = lag_window_summary(ctx);
    for (size_t i = 0; i < n; i++)
        out[i] = (q[i] >= 1 ? s.max : q[i] >= 0.99 ? s.p99 : s.p50) / 1000.0;
}

static void register_release_metrics(void)
{
    static const char help[] = "holds whose units this process gave back, by the path that found them";
    m.expired[PATH_SWEEP] = metrics_counter("expiry_holds_expired_total", "path=\"sweep\"", help);
    m.expired[PATH_NOTIFICATION] = metrics_counter("expiry_holds_expired_total", "path=\"notification\"", help);
    m.expired[PATH_RECONCILE] = metrics_counter("expiry_holds_expired_total", "path=\"reconcile\"", help);
    m.lag = metrics_histogram("expiry_release_lag_seconds", "", "expires_at -> units available");
    /* a summary: quantiles over the most recent releases, _sum/_count since start */
    m.lag_window = metrics_summary("expiry_release_lag_window_seconds", "",
                                   "release lag over the most recent releases (GetStats lag_p50/p99/max_ms)",
                                   window_quantiles, 3, read_window, &window);
    m.notifications = metrics_counter("expiry_notifications_received_total", "",
                                      "expired events of hold TTL markers received");
    m.last_sweep = metrics_gauge("expiry_last_sweep_timestamp_seconds", "", "end of the last deadline sweep");
    m.sweep_seconds = metrics_histogram("expiry_sweep_duration_seconds", "", "one pass over the partitions");
}

static void register_other_metrics(void)
{
    m.suspects = metrics_counter("expiry_reconcile_suspects_total", "",
                                 "counter mismatches seen once (corrected if seen again)");
    m.mismatches = metrics_counter("expiry_reconcile_mismatches_total", "",
                                   "counter mismatches confirmed on two passes and corrected");
    m.confirming = metrics_counter("expiry_confirming_overdue_total", "",
                                   "CONFIRMING holds found past their confirm deadline (left to booking-svc's repair)");
    m.notify_ok = metrics_gauge("expiry_notify_config_ok", "",
                                "1 when Redis notify-keyspace-events publishes expired events");
}

static void register_all(void)
{
    register_release_metrics();
    register_other_metrics();
}

void stats_init(void) { pthread_once(&once, register_all); }

void stats_released(release_path path, double lag_ms)
{
    metric_inc(m.expired[path], 1);
    metric_observe(m.lag, lag_ms > 0 ? lag_ms / 1000.0 : 0);
    metric_observe(m.lag_window, lag_ms > 0 ? lag_ms / 1000.0 : 0);
    lag_window_add(&window, lag_ms);
}

void stats_notification(void) { metric_inc(m.notifications, 1); }

void stats_sweep_done(int64_t now_ms, double seconds)
{
    atomic_store(&m.last_sweep_ms, now_ms);
    metric_set(m.last_sweep, (double)now_ms / 1000.0);
    metric_observe(m.sweep_seconds, seconds);
}

void stats_reconcile(int suspects, int fixed)
{
    metric_inc(m.suspects, (uint64_t)suspects);
    metric_inc(m.mismatches, (uint64_t)fixed);
}

void stats_confirming_overdue(void) { metric_inc(m.confirming, 1); }
void stats_notify_config(int ok) { metric_set(m.notify_ok, ok); }

void stats_read(expiry_figures *out)
{
    out->holds_expired = 0;
    for (int p = 0; p < PATH_COUNT; p++)
        out->holds_expired += (int64_t)metric_count(m.expired[p]);
    out->holds_swept = (int64_t)metric_count(m.expired[PATH_SWEEP]);
    out->notifications = (int64_t)metric_count(m.notifications);
    out->mismatches = (int64_t)metric_count(m.mismatches);
    out->last_sweep_ms = atomic_load(&m.last_sweep_ms);
    out->lag = lag_window_summary(&window);
}
