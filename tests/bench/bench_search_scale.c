/* bench_search_scale.c — search-svc's memory and cold start as the catalogue grows
 * (default 10,000, 50,000 and 200,000 hotel resources x 365 nights, written with SQL),
 * for one replica holding everything and for shards holding half and a quarter of the
 * partitions (SEARCH_SHARD 0/2, 0/4): seconds to SERVING, resident memory, the model's
 * own bytes, and both per resource. The running time is bounded: a size whose
 * projected time (from the last one) would pass the budget is skipped.
 * Usage: bench_search_scale [sizes=10000,50000,200000] [budget_seconds=1500]. Not a test. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_dataset.h"
#include "harness.h"
#include "timeutil.h"

#define NIGHTS 365

/* One series of an instance's /metrics, -1 when absent. */
static double scrape(const harness *h, const char *instance, const char *name)
{
    char series[128], *body = harness_metrics(h, instance);
    snprintf(series, sizeof series, "%s ", name);
    double v = harness_metric_value(body, series);
    free(body);
    return v;
}

/* Starts a replica holding `shard` ("1/1" = all), prints its figures, stops it.
 * Returns the seconds it took to serve, -1 when it failed. */
static double measure(harness *h, int resources, const char *shard)
{
    char setting[40];
    snprintf(setting, sizeof setting, "SEARCH_SHARD=%s", strcmp(shard, "1/1") == 0 ? "0/1" : shard);
    const char *const env[] = {setting, "SEARCH_FULL_REFRESH_SECONDS=0", "LOG_LEVEL=warn", NULL};
    double t0 = monotonic_seconds();
    if (harness_start_service(h, "search-svc", env) != 0)
        return -1;
    double cold = monotonic_seconds() - t0;
    double held = scrape(h, "search-svc", "search_model_resources");
    double rss = scrape(h, "search-svc", "process_resident_memory_bytes");
    double model = scrape(h, "search-svc", "search_model_bytes");
    double load = scrape(h, "search-svc", "search_model_load_seconds");
    printf("%8d  %-5s %8.0f %9.2f s %8.2f s %10.1f MB %10.1f MB %9.0f B %9.0f B\n", resources, shard, held, cold, load,
           rss / 1e6, model / 1e6, held > 0 ? rss / held : 0, held > 0 ? model / held : 0);
    fflush(stdout);
    return harness_stop_service(h, "search-svc", SIGTERM) == 0 ? cold : -1;
}

int main(int argc, char **argv)
{
    const char *sizes = argc > 1 ? argv[1] : "10000,50000,200000";
    double budget = argc > 2 ? atof(argv[2]) : 1500, began = monotonic_seconds(), per_resource = 0;
    static const char *const shards[] = {"1/1", "0/2", "0/4"};
    harness *h = harness_start(NULL, NULL);
    printf("search-svc cold start and memory by catalogue size (hotels x %d nights of rows, window of %d days);\n"
           "shard i/n holds 1/n of the 64 partitions; test stack, PostgreSQL fsync off, nothing else running\n",
           NIGHTS, 400 + 1);
    printf("%8s  %-5s %8s %11s %10s %13s %13s %11s %11s\n", "catalog", "shard", "held", "to SERVING", "model load",
           "resident", "model data", "RSS/res", "model/res");
    int loaded = 0, failures = 0;
    char list[256], *save = NULL;
    snprintf(list, sizeof list, "%s", sizes);
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int n = atoi(tok);
        double left = budget - (monotonic_seconds() - began);
        if (n <= loaded || (per_resource > 0 && per_resource * n > left)) {
            printf("%8d  skipped (projected %.0f s, %.0f s of the budget left)\n", n, per_resource * n, left);
            continue;
        }
        double t0 = monotonic_seconds();
        bench_load_catalogue(harness_db(h), loaded, n, NIGHTS);
        printf("%8d  (catalogue grown from %d with SQL in %.1f s)\n", n, loaded, monotonic_seconds() - t0);
        loaded = n;
        for (size_t i = 0; i < sizeof shards / sizeof shards[0]; i++)
            failures += measure(h, n, shards[i]) < 0;
        per_resource = (monotonic_seconds() - t0) / n * 1.1; /* the next size costs at least this per resource */
    }
    int stopped = harness_stop(h);
    if (failures)
        fprintf(stderr, "bench_search_scale: %d replica(s) failed to start or stop\n", failures);
    return stopped == 0 && failures == 0 ? 0 : 1;
}
