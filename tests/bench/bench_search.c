/* bench_search.c — SearchAvailability on its own stack: 10,000 hotel resources x 365
 * nights in 50 cities (rows written with SQL, bodies packed with protobuf-c), search-svc's
 * cold start, then 64 searches in flight (3-night ranges, city and geo queries) while
 * holds and releases go through booking-svc in the background; then the reference SQL
 * search (nightly rows joined to resources, GROUP BY ... HAVING MIN(total - confirmed))
 * run by PostgreSQL on the same data. Prints searches/s, p50/p99 (also at 16 and 2 in
 * flight, and for searches that find nothing: the call's own cost on this machine), the
 * SQL's queries/s, the ratio and search-svc's resident memory. Not a test.
 * Usage: bench_search [seconds=10] [resources=10000] [days=365] */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "booking/v1/booking.pb-c.h"
#include "booking/v1/search.pb-c.h"
#include "bench_dataset.h"
#include "harness.h"
#include "rpc_client.h"
#include "timeutil.h"

#define CITIES BENCH_CITIES
#define IN_FLIGHT 64
#define SOME_IN_FLIGHT 16 /* a moderate load */
#define FEW_IN_FLIGHT 2   /* service time with little queueing */
#define SQL_CLIENTS 4
#define RADIUS_KM 25.0
#define CHURN_PER_SECOND 40
#define FIRST_DAY 1
#define LAST_START_DAY 360

static int resources = 10000, days = 365;
static double seconds = 10;
static _Atomic int stop_churn;
static _Atomic long churn_ops;


static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile_ms(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1));
    return v[i] * 1000;
}

/* ---- queries ------------------------------------------------------------------- */

typedef struct bench_query {
    int geo, city, start_day, quantity, sort;
    double lat, lon;
    char city_name[32];
} bench_query;

static bench_query random_query(unsigned *seed)
{
    bench_query q;
    memset(&q, 0, sizeof q);
    q.city = (int)(rand_r(seed) % CITIES);
    bench_city(q.city, q.city_name, sizeof q.city_name, &q.lat, &q.lon);
    q.geo = rand_r(seed) % 2;
    q.start_day = FIRST_DAY + (int)(rand_r(seed) % (LAST_START_DAY - FIRST_DAY));
    q.quantity = rand_r(seed) % 5 == 0 ? 2 : 1;
    int s = (int)(rand_r(seed) % 100);
    q.sort = s < 70 ? BOOKING__V1__SORT_ORDER__SORT_ORDER_PRICE
             : s < 85 || !q.geo ? BOOKING__V1__SORT_ORDER__SORT_ORDER_RATING
                                : BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE;
    return q;
}

/* The request of q (timestamps in the caller's storage). */
static void search_request(const bench_query *q, Booking__V1__SearchAvailabilityRequest *r,
                           Google__Protobuf__Timestamp *start, Google__Protobuf__Timestamp *end)
{
    booking__v1__search_availability_request__init(r);
    google__protobuf__timestamp__init(start);
    google__protobuf__timestamp__init(end);
    start->seconds = bench_day_start(q->start_day) + 15 * 3600;
    end->seconds = bench_day_start(q->start_day + 3) + 11 * 3600;
    r->resource_type = BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM;
    r->start_time = start;
    r->end_time = end;
    r->quantity = q->quantity;
    r->sort = (Booking__V1__SortOrder)q->sort;
    r->page_size = 20;
    if (q->geo) {
        r->latitude = q->lat;
        r->longitude = q->lon;
        r->radius_km = RADIUS_KM;
    } else {
        r->location = (char *)q->city_name;
    }
}

/* ---- search-svc under load ------------------------------------------------------ */

typedef struct samples {
    double *v;
    size_t n, cap;
    long errors, results;
} samples;

static void add_sample(samples *s, double x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 65536;
        s->v = realloc(s->v, sizeof *s->v * s->cap);
    }
    s->v[s->n++] = x;
}

/* Starts one search; `empty`: in a city with no resources (the call's own cost). */
static void start_search(rpc_client *c, rpc_queue *queue, unsigned *seed, int empty)
{
    bench_query q = random_query(seed);
    if (empty) {
        q.geo = 0;
        q.sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_PRICE;
        snprintf(q.city_name, sizeof q.city_name, "Nowhere");
    }
    Booking__V1__SearchAvailabilityRequest r;
    Google__Protobuf__Timestamp start, end;
    search_request(&q, &r, &start, &end);
    double *t0 = malloc(sizeof *t0);
    *t0 = monotonic_seconds();
    if (!rpc_client_start(c, "SearchAvailability", &r.base, NULL, 0, 10000, queue, t0))
        exit(1);
}

/* Closed loop with `in_flight` calls on one connection for `duration` seconds; the
 * latencies go into s. `empty`: searches in a city with no resources. Returns the
 * seconds it took. */
static double drive_search(const char *addr, int in_flight, int empty, double duration, samples *s)
{
    rpc_client *c = rpc_client_new(addr, &booking__v1__search_service__descriptor);
    rpc_queue *queue = rpc_queue_new();
    unsigned seed = 12345u + (unsigned)in_flight;
    for (int i = 0; i < in_flight; i++)
        start_search(c, queue, &seed, empty);
    double began = monotonic_seconds(), end = began + duration;
    int outstanding = in_flight;
    while (outstanding > 0) {
        rpc_pending *p = rpc_queue_next(queue, -1);
        void *ud;
        ProtobufCMessage *resp = NULL;
        rpc_result res;
        /* a real client is elsewhere: decode one answer in 16 (for the result count) */
        int rc = rpc_pending_finish(p, s->n % 16 == 0 ? &resp : NULL, &res, &ud);
        double t = monotonic_seconds();
        add_sample(s, t - *(double *)ud);
        free(ud);
        s->errors += rc != 0;
        if (rc != 0 && s->errors == 1)
            fprintf(stderr, "bench: first failed search: %s %s\n", rpc_code_name(res.code), res.message);
        if (resp) {
            s->results += 16 * (long)((Booking__V1__SearchAvailabilityResponse *)resp)->n_results;
            protobuf_c_message_free_unpacked(resp, NULL);
        }
        outstanding--;
        if (t < end) {
            start_search(c, queue, &seed, empty);
            outstanding++;
        }
    }
    double took = monotonic_seconds() - began;
    rpc_queue_free(queue);
    rpc_client_free(c);
    return took;
}

/* ---- bookings changing in the background ---------------------------------------- */

static void *churn(void *arg)
{
    rpc_client *c = rpc_client_new((const char *)arg, &booking__v1__booking_service__descriptor);
    unsigned seed = 777;
    for (long n = 0; !atomic_load(&stop_churn); n++) {
        char rid[32], user[32];
        snprintf(rid, sizeof rid, "res_bench_%05d", (int)(rand_r(&seed) % (unsigned)resources));
        snprintf(user, sizeof user, "bench-user-%ld", n % 1000);
        int d = FIRST_DAY + (int)(rand_r(&seed) % (LAST_START_DAY - FIRST_DAY));
        Google__Protobuf__Timestamp start = GOOGLE__PROTOBUF__TIMESTAMP__INIT, end = start;
        start.seconds = bench_day_start(d), end.seconds = bench_day_start(d + 1 + (int)(rand_r(&seed) % 3));
        Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
        req.resource_id = rid, req.start_time = &start, req.end_time = &end, req.quantity = 1;
        rpc_md md[2] = {{"x-user-id", user}, {"x-user-role", "customer"}};
        ProtobufCMessage *resp = NULL;
        rpc_result res;
        if (rpc_client_call(c, "CreateHold", &req.base, md, 2, 5000, 0, &resp, &res) == 0) {
            Booking__V1__ReleaseHoldRequest rel = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
            rel.hold_id = ((Booking__V1__Hold *)resp)->hold_id;
            rpc_client_call(c, "ReleaseHold", &rel.base, md, 2, 5000, 0, NULL, &res);
            protobuf_c_message_free_unpacked(resp, NULL);
        }
        atomic_fetch_add(&churn_ops, 2);
        usleep(1000000 / CHURN_PER_SECOND);
    }
    rpc_client_free(c);
    return NULL;
}

/* ---- the reference SQL search -------------------------------------------------- */

#define SQL_CITY                                                                                            \
    "SELECT r.resource_id, min(s.total_capacity - s.confirmed) AS available, "                              \
    "sum(coalesce(s.price_minor, r.base_price_minor)) * $4::int AS total "                                  \
    "FROM booking.resources r JOIN booking.slots s ON s.resource_id = r.resource_id "                       \
    "WHERE r.resource_type = 1 AND r.status = 1 AND r.location = $1 "                                       \
    "AND s.slot_start >= to_timestamp($2::float8) AND s.slot_start < to_timestamp($3::float8) "                             \
    "GROUP BY r.resource_id HAVING min(s.total_capacity - s.confirmed) >= $4::int AND count(*) = 3 "        \
    "ORDER BY total, r.resource_id LIMIT 20"
#define SQL_GEO                                                                                             \
    "SELECT r.resource_id, min(s.total_capacity - s.confirmed) AS available, "                              \
    "sum(coalesce(s.price_minor, r.base_price_minor)) * $4::int AS total "                                  \
    "FROM booking.resources r JOIN booking.slots s ON s.resource_id = r.resource_id "                       \
    "WHERE r.resource_type = 1 AND r.status = 1 "                                                           \
    "AND r.latitude BETWEEN $5::float8 - $7::float8 AND $5::float8 + $7::float8 "                           \
    "AND r.longitude BETWEEN $6::float8 - $8::float8 AND $6::float8 + $8::float8 "                          \
    "AND 2 * 6371.0088 * asin(sqrt(power(sin(radians(r.latitude - $5::float8) / 2), 2) + cos(radians($5::float8)) " \
    "* cos(radians(r.latitude)) * power(sin(radians(r.longitude - $6::float8) / 2), 2))) <= $9::float8 "     \
    "AND s.slot_start >= to_timestamp($2::float8) AND s.slot_start < to_timestamp($3::float8) "                             \
    "GROUP BY r.resource_id HAVING min(s.total_capacity - s.confirmed) >= $4::int AND count(*) = 3 "        \
    "ORDER BY total, r.resource_id LIMIT 20"

typedef struct sql_worker {
    const char *url;
    double until;
    long queries, rows, errors;
    samples lat;
    unsigned seed;
} sql_worker;

static void run_sql(PGconn *db, sql_worker *w)
{
    bench_query q = random_query(&w->seed);
    char p[9][32];
    snprintf(p[0], 32, "%s", q.city_name);
    snprintf(p[1], 32, "%lld", (long long)bench_day_start(q.start_day));
    snprintf(p[2], 32, "%lld", (long long)bench_day_start(q.start_day + 3));
    snprintf(p[3], 32, "%d", q.quantity);
    snprintf(p[4], 32, "%.6f", q.lat);
    snprintf(p[5], 32, "%.6f", q.lon);
    snprintf(p[6], 32, "%.6f", RADIUS_KM / 111.0);
    snprintf(p[7], 32, "%.6f", RADIUS_KM / (111.0 * cos(q.lat * M_PI / 180)));
    snprintf(p[8], 32, "%.1f", RADIUS_KM);
    const char *params[9] = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]};
    double t0 = monotonic_seconds();
    PGresult *r = q.geo ? PQexecPrepared(db, "geo", 9, params, NULL, NULL, 0)
                        : PQexecPrepared(db, "city", 4, params, NULL, NULL, 0);
    add_sample(&w->lat, monotonic_seconds() - t0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        w->rows += PQntuples(r);
    else
        w->errors++;
    PQclear(r);
    w->queries++;
}

static void *sql_loop(void *arg)
{
    sql_worker *w = arg;
    PGconn *db = PQconnectdb(w->url);
    static const Oid text[9] = {25, 25, 25, 25, 25, 25, 25, 25, 25}; /* all text, cast in the SQL */
    PQclear(PQprepare(db, "city", SQL_CITY, 4, text));
    PQclear(PQprepare(db, "geo", SQL_GEO, 9, text));
    while (monotonic_seconds() < w->until)
        run_sql(db, w);
    PQfinish(db);
    return NULL;
}

static void drive_sql(const char *url, double duration, sql_worker *w)
{
    pthread_t th[SQL_CLIENTS];
    double until = monotonic_seconds() + duration;
    for (int i = 0; i < SQL_CLIENTS; i++) {
        w[i] = (sql_worker){.url = url, .until = until, .seed = 12345u + (unsigned)i};
        pthread_create(&th[i], NULL, sql_loop, &w[i]);
    }
    for (int i = 0; i < SQL_CLIENTS; i++)
        pthread_join(th[i], NULL);
}

/* ---- search-svc's own figures (its /metrics) ------------------------------------ */

/* One series of search-svc's /metrics ("name" without labels), -1 when absent. */
static double scrape(const harness *h, const char *name)
{
    char series[128], *body = harness_metrics(h, "search-svc");
    snprintf(series, sizeof series, "%s ", name);
    double v = harness_metric_value(body, series);
    free(body);
    return v;
}

/* ---- main ---------------------------------------------------------------------- */

/* One measured load on search-svc. */
typedef struct load_run {
    int in_flight;
    int empty;  /* searches in a city with no resources: the RPC's own cost */
    samples s;
    double took, cpu;  /* seconds; search-svc's CPU seconds meanwhile */
    double handler;    /* mean seconds in the handler (service time, no queueing) */
} load_run;

static void run_load(const harness *h, const char *addr, load_run *r)
{
    double cpu0 = scrape(h, "process_cpu_seconds_total");
    double sum0 = scrape(h, "search_query_seconds_sum");
    double count0 = scrape(h, "search_query_seconds_count");
    r->took = drive_search(addr, r->in_flight, r->empty,
                           r->in_flight == IN_FLIGHT && !r->empty ? seconds : seconds / 2, &r->s);
    r->cpu = scrape(h, "process_cpu_seconds_total") - cpu0;
    double calls = scrape(h, "search_query_seconds_count") - count0;
    r->handler = calls > 0 ? (scrape(h, "search_query_seconds_sum") - sum0) / calls : 0;
}

static void print_load(load_run *r)
{
    samples *s = &r->s;
    printf("search-svc, %d in flight%s: %.0f searches/s, p50 %.2f ms, p99 %.2f ms "
           "(%zu calls, %ld errors, %.1f results/search; %.0f us of search-svc CPU per search, %.0f us in the "
           "handler)\n",
           r->in_flight, r->empty ? ", answering nothing (a city with no resources: the call's own cost)" : "", (double)s->n / r->took,
           percentile_ms(s->v, s->n, 50), percentile_ms(s->v, s->n, 99), s->n, s->errors,
           s->n ? (double)s->results / (double)s->n : 0, s->n ? r->cpu / (double)s->n * 1e6 : 0, r->handler * 1e6);
}

static void report(const harness *h, double cold, load_run *runs, int nruns, const sql_worker *w)
{
    long sql_q = 0, sql_err = 0;
    samples all = {0};
    for (int i = 0; i < SQL_CLIENTS; i++) {
        sql_q += w[i].queries, sql_err += w[i].errors;
        for (size_t k = 0; k < w[i].lat.n; k++)
            add_sample(&all, w[i].lat.v[k]);
    }
    double sql_qps = (double)sql_q / seconds, took = 0;
    printf("data: %d resources x %d nights in %d cities (%.1f M slot rows)\n", resources, days, CITIES,
           (double)resources * days / 1e6);
    printf("search-svc cold start: %.2f s to SERVING (model load %.2f s; %.0f resources, %.2f M slot cells)\n",
           cold, scrape(h, "search_model_load_seconds"), scrape(h, "search_model_resources"),
           scrape(h, "search_model_slots") / 1e6);
    for (int i = 0; i < nruns; i++) {
        print_load(&runs[i]);
        took += runs[i].took;
    }
    printf("SQL reference search: %.1f queries/s, p50 %.1f ms, p99 %.1f ms (%d connections, %ld errors)\n", sql_qps,
           percentile_ms(all.v, all.n, 50), percentile_ms(all.v, all.n, 99), SQL_CLIENTS, sql_err);
    for (int i = 0; i < nruns; i++)
        if (runs[i].in_flight == IN_FLIGHT && !runs[i].empty)
            printf("ratio at %d in flight: %.1fx the SQL search's throughput\n", IN_FLIGHT,
                   sql_qps > 0 ? (double)runs[i].s.n / runs[i].took / sql_qps : 0);
    printf("search-svc resident memory: %.1f MB (model data %.1f MB)\n",
           scrape(h, "process_resident_memory_bytes") / 1e6, scrape(h, "search_model_bytes") / 1e6);
    printf("background: %.1f hold/release calls/s through booking-svc\n",
           (double)atomic_load(&churn_ops) / (took + seconds));
    free(all.v);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        seconds = atof(argv[1]);
    if (argc > 2)
        resources = atoi(argv[2]);
    if (argc > 3)
        days = atoi(argv[3]);
    static const char *const services[] = {"booking-svc", NULL};
    harness *h = harness_start(services, NULL);
    double t0 = monotonic_seconds();
    bench_load_catalogue(harness_db(h), 0, resources, days);
    printf("loaded %d resources and their nights with SQL in %.1f s\n", resources, monotonic_seconds() - t0);
    t0 = monotonic_seconds();
    char workers[48];
    snprintf(workers, sizeof workers, "GRPC_WORKERS=%s", getenv("BENCH_SEARCH_WORKERS") ? getenv("BENCH_SEARCH_WORKERS") : "4");
    const char *const search_env[] = {workers, NULL};
    if (harness_start_service(h, "search-svc", search_env) != 0)
        return 1;
    double cold = monotonic_seconds() - t0;
    pthread_t churner;
    pthread_create(&churner, NULL, churn, (void *)harness_addr(h, "booking-svc"));
    const char *addr = harness_addr(h, "search-svc");
    samples warm = {0};
    drive_search(addr, IN_FLIGHT, 0, 1, &warm);
    load_run runs[] = {{.in_flight = IN_FLIGHT},
                       {.in_flight = SOME_IN_FLIGHT},
                       {.in_flight = FEW_IN_FLIGHT},
                       {.in_flight = IN_FLIGHT, .empty = 1}};
    int nruns = (int)(sizeof runs / sizeof runs[0]);
    for (int i = 0; i < nruns; i++)
        run_load(h, addr, &runs[i]);
    char url[160];
    snprintf(url, sizeof url, "%s", harness_database_url(h, "postgres"));
    sql_worker w[SQL_CLIENTS];
    drive_sql(url, seconds, w);
    atomic_store(&stop_churn, 1);
    pthread_join(churner, NULL);
    report(h, cold, runs, nruns, w);
    for (int i = 0; i < SQL_CLIENTS; i++)
        free(w[i].lat.v);
    long errors = warm.errors;
    for (int i = 0; i < nruns; i++) {
        errors += runs[i].s.errors;
        free(runs[i].s.v);
    }
    for (int i = 0; i < SQL_CLIENTS; i++)
        errors += w[i].errors;
    free(warm.v);
    int stopped = harness_stop(h);
    if (errors > 0) /* a benchmark whose calls fail measures nothing */
        fprintf(stderr, "bench_search: %ld call(s) failed\n", errors);
    return stopped == 0 && errors == 0 ? 0 : 1;
}
