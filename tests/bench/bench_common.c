/* bench_common.c — clocks, percentiles and resource creation for the benchmarks. */
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <math.h>

#include "booking/v1/booking.pb-c.h"
#include "harness.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t bench_day(int days)
{
    int64_t now = (int64_t)time(NULL);
    return now - now % 86400 + (int64_t)days * 86400;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_percentile_ms(double *samples, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(samples, n, sizeof *samples, cmp);
    size_t i = (size_t)(p / 100.0 * (double)n);
    return samples[i < n ? i : n - 1] * 1e3;
}

void bench_create_resources(rpc_client *booking, char (*out)[80], int n, int capacity, const char *city)
{
    for (int i = 0; i < n; i++) {
        Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
        price.currency = (char *)"EUR";
        price.amount_minor = 10000;
        Booking__V1__Resource res = BOOKING__V1__RESOURCE__INIT;
        res.resource_type = BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM;
        char name[48];
        snprintf(name, sizeof name, "bench hotel %d", i);
        res.name = name;
        res.location = (char *)city;
        res.capacity = capacity;
        res.slot_minutes = 1440;
        res.time_zone = (char *)"UTC";
        res.base_price = &price;
        Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
        req.resource = &res;
        rpc_md md[] = {{"x-user-id", "bench-admin"}, {"x-user-role", "admin"}};
        ProtobufCMessage *resp = NULL;
        rpc_result r;
        if (rpc_client_call(booking, "CreateResource", &req.base, md, 2, 10000, 0, &resp, &r) != 0) {
            fprintf(stderr, "CreateResource: %s\n", r.message);
            exit(1);
        }
        snprintf(out[i], 80, "%s", ((Booking__V1__Resource *)resp)->resource_id);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
}

/* The cumulative count of a histogram's bucket with upper bound le in a scrape (0 when
 * absent or no scrape). */
static double bucket_count(const char *scrape, const char *name, const char *le)
{
    if (!scrape)
        return 0;
    char series[160];
    snprintf(series, sizeof series, "%s_bucket{le=\"%s\"} ", name, le);
    double v = harness_metric_value(scrape, series);
    return v < 0 ? 0 : v;
}

double bench_histogram_quantile(const char *before, const char *after, const char *name, double q)
{
    static const char *const les[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
                                      "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5",    "10"};
    double total = bucket_count(after, name, "+Inf") - bucket_count(before, name, "+Inf");
    if (total <= 0)
        return 0;
    for (size_t i = 0; i < sizeof les / sizeof les[0]; i++)
        if (bucket_count(after, name, les[i]) - bucket_count(before, name, les[i]) >= q * total)
            return atof(les[i]);
    return INFINITY;
}

const char *const bench_pg_modes[BENCH_PG_MODES] = {"named", "unnamed", "pgbouncer"};

void bench_use_pg_mode(harness *h, const char *mode, const char *const *services, const char *const *env)
{
    for (size_t i = 0; services[i]; i++) {
        const char *role = strncmp(services[i], "payment-svc", 11) == 0 ? "payment_svc" : "booking_svc";
        char url[200], direct[200];
        const char *all[16];
        size_t n = 0;
        if (strcmp(mode, "named") != 0) { /* the maintenance lock's session: past any pooler */
            snprintf(direct, sizeof direct, "DATABASE_DIRECT_URL=%s", harness_database_url(h, role));
            all[n++] = "DATABASE_POOL_MODE=transaction";
            all[n++] = direct;
        }
        if (strcmp(mode, "pgbouncer") == 0) {
            snprintf(url, sizeof url, "DATABASE_URL=%s", harness_pgbouncer_url(h, role));
            all[n++] = url;
        }
        for (size_t k = 0; env && env[k] && n + 1 < sizeof all / sizeof all[0]; k++)
            all[n++] = env[k];
        all[n] = NULL;
        if (harness_start_service(h, services[i], all) != 0) {
            fprintf(stderr, "bench: %s did not start in mode %s\n", services[i], mode);
            exit(1);
        }
    }
}
