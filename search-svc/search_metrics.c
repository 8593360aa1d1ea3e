/* search_metrics.c — search-svc's own metrics: searches, candidates and results,
 * latency, fallbacks to the stores, and the read model's size, freshness and refresh
 * activity (computed when scraped: monotonic counts as counters named _total). The
 * process's CPU and memory are the runtime's process_* metrics. */
#include "ebr.h"
#include "log.h"
#include "metrics.h"
#include "search.h"
#include "timeutil.h"

static metric *searches, *candidates, *results, *latency, *fallbacks;

void search_metrics_query(size_t examined, size_t returned, double seconds)
{
    metric_inc(searches, 1);
    metric_inc(candidates, examined);
    metric_inc(results, returned);
    metric_observe(latency, seconds);
}

void search_metrics_fallback(void) { metric_inc(fallbacks, 1); }

static double lag(void *ctx)
{
    int64_t mark = model_as_of_ms(((search_app *)ctx)->model);
    return mark > 0 ? (double)(wall_ms() - mark) / 1000.0 : -1;
}

static double resources(void *ctx) { return (double)model_view_get(((search_app *)ctx)->model)->count; }
static double slot_count(void *ctx) { return (double)atomic_load(&((search_app *)ctx)->model->slot_count); }
static double model_bytes(void *ctx) { return (double)atomic_load(&((search_app *)ctx)->model->bytes); }
static double retired(void *ctx) { return ctx ? (double)ebr_pending() : 0; }

static double stat_of(search_app *app, int which)
{
    refresher_stats s;
    refresher_get_stats(app->refresher, &s);
    uint64_t v[] = {s.stream_entries, s.counter_reloads, s.pg_reloads, s.full_refreshes, s.redis_resyncs};
    return which < 5 ? (double)v[which] : s.last_load_seconds;
}

static double st_entries(void *ctx) { return stat_of(ctx, 0); }
static double st_counters(void *ctx) { return stat_of(ctx, 1); }
static double st_pg(void *ctx) { return stat_of(ctx, 2); }
static double st_full(void *ctx) { return stat_of(ctx, 3); }
static double st_resync(void *ctx) { return stat_of(ctx, 4); }
static double st_load(void *ctx) { return stat_of(ctx, 5); }

static void model_gauges(search_app *app)
{
    metrics_gauge_fn("search_model_resources", "", "resources in the read model", resources, app);
    metrics_gauge_fn("search_model_slots", "", "slot cells held by the read model", slot_count, app);
    metrics_gauge_fn("search_model_bytes", "", "memory held by the read model's data", model_bytes, app);
    metrics_gauge_fn("search_model_retired", "", "replaced snapshots not yet freed", retired, app);
    metrics_gauge_fn("search_refresh_lag_seconds", "", "now minus the model's watermark (as_of)", lag, app);
    metrics_gauge_fn("search_model_load_seconds", "", "duration of the last full load", st_load, app);
    metrics_counter_fn("search_stream_entries_read_total", "", "change-stream entries read", st_entries, app);
    metrics_counter_fn("search_availability_reloads_total", "",
                       "resources whose availability counts were re-read from Redis",
                       st_counters, app);
    metrics_counter_fn("search_pg_reloads_total", "", "resources re-read from PostgreSQL after a change", st_pg,
                       app);
    metrics_counter_fn("search_full_refreshes_total", "", "full refresh passes finished", st_full, app);
    metrics_counter_fn("search_redis_resyncs_total", "", "full refreshes after lost change-stream entries",
                       st_resync, app);
}

void search_metrics_init(search_app *app)
{
    searches = metrics_counter("search_queries_total", "", "SearchAvailability queries answered");
    candidates = metrics_counter("search_candidates_total", "", "resources examined by queries (index hits)");
    results = metrics_counter("search_results_total", "", "results returned by queries");
    latency = metrics_histogram("search_query_seconds", "", "SearchAvailability time in the handler");
    fallbacks = metrics_counter("search_store_fallbacks_total", "",
                                "GetResource/GetCalendar answered from the stores because the model was behind");
    model_gauges(app);
}
