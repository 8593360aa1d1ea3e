/* bench_dataset.c — the search benchmarks' catalogue written straight to PostgreSQL
 * (COPY for resources, one INSERT ... SELECT for their nights). */
#include "bench_dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "booking/v1/common.pb-c.h"

int64_t bench_day_start(int d)
{
    int64_t now = (int64_t)time(NULL);
    return now - now % 86400 + (int64_t)d * 86400;
}

void bench_resource_id(int i, char *out, size_t cap) { snprintf(out, cap, "res_bench_%05d", i); }

void bench_city(int c, char *name, size_t cap, double *lat, double *lon)
{
    snprintf(name, cap, "Benchcity%02d", c);
    *lat = -45.0 + (c % 10) * 10.0 + 0.5;
    *lon = -175.0 + (c / 10) * 70.0 + (c % 3) * 5.0;
}

static double jitter(int i, int salt) { return ((double)((i * 7919 + salt * 104729) % 1000) / 1000.0 - 0.5) * 0.3; }

/* The packed booking.v1.Resource of resource i (malloc'd; *len set). */
static uint8_t *resource_body(int i, const char *id, const char *city, double lat, double lon, size_t *len)
{
    static char *amen_all[] = {"wifi", "pool", "spa", "parking", "gym"};
    char *amen[5], name[64];
    size_t n = 0;
    for (int b = 0; b < 5; b++)
        if ((i >> b) & 1)
            amen[n++] = amen_all[b];
    snprintf(name, sizeof name, "Bench hotel %d", i);
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = 5000 + (i * 37) % 20000;
    Booking__V1__PricingRules rules = BOOKING__V1__PRICING_RULES__INIT;
    rules.weekend_multiplier_bp = 12000;
    rules.tax_bp = 1000;
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_id = (char *)id, r.resource_type = BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM;
    r.name = name, r.location = (char *)city, r.latitude = lat, r.longitude = lon;
    r.capacity = 1 + i % 8, r.slot_minutes = 1440, r.time_zone = (char *)"UTC";
    r.status = BOOKING__V1__RESOURCE_STATUS__RESOURCE_STATUS_ACTIVE;
    r.rating = (double)(i % 41) / 8.0, r.amenities = amen, r.n_amenities = n, r.base_price = &price;
    r.pricing = i % 4 == 0 ? &rules : NULL;
    *len = booking__v1__resource__get_packed_size(&r);
    uint8_t *buf = malloc(*len);
    booking__v1__resource__pack(&r, buf);
    return buf;
}

/* One COPY line of the resources table (body as bytea hex, escaped for COPY text). */
static int copy_line(int i, char *line, size_t cap)
{
    char id[32], city[32];
    double clat, clon;
    bench_resource_id(i, id, sizeof id);
    bench_city(i % BENCH_CITIES, city, sizeof city, &clat, &clon);
    double lat = clat + jitter(i, 1), lon = clon + jitter(i, 2);
    size_t len;
    uint8_t *body = resource_body(i, id, city, lat, lon, &len);
    int n = snprintf(line, cap, "%s\t1\tBench hotel %d\t%s\t%.6f\t%.6f\t%d\t1440\t1\t%.4f\tEUR\t%d\t\\\\x", id, i, city,
                     lat, lon, 1 + i % 8, (double)(i % 41) / 8.0, 5000 + (i * 37) % 20000);
    for (size_t k = 0; k < len; k++)
        n += snprintf(line + n, cap - (size_t)n, "%02x", body[k]);
    n += snprintf(line + n, cap - (size_t)n, "\n");
    free(body);
    return n;
}

void bench_sql(PGconn *db, const char *q)
{
    PGresult *r = PQexec(db, q);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "bench: %s\n%s", q, PQerrorMessage(db));
        exit(1);
    }
    PQclear(r);
}

static void load_resources(PGconn *db, int from, int to)
{
    PGresult *r = PQexec(db, "COPY booking.resources (resource_id, resource_type, name, location, latitude, "
                             "longitude, capacity, slot_minutes, status, rating, currency, base_price_minor, body) "
                             "FROM STDIN");
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        fprintf(stderr, "bench: COPY resources: %s", PQerrorMessage(db));
        exit(1);
    }
    PQclear(r);
    char line[4096];
    for (int i = from; i < to; i++) {
        int n = copy_line(i, line, sizeof line);
        if (PQputCopyData(db, line, n) != 1)
            exit(1);
    }
    PQputCopyEnd(db, NULL);
    r = PQgetResult(db);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bench: COPY resources: %s", PQerrorMessage(db));
        exit(1);
    }
    PQclear(r);
}

/* Nightly rows for every resource: ~12 % of nights sold out, some confirmed elsewhere,
 * ~10 % with a price override (deterministic hashes, no random()). */
static void load_slots(PGconn *db, int from, int to, int days)
{
    char q[1400];
    snprintf(q, sizeof q,
             "INSERT INTO booking.slots (resource_id, slot_start, slot_end, total_capacity, confirmed, price_minor) "
             "SELECT r.resource_id, d, d + interval '1 day', r.capacity, "
             "CASE WHEN h %% 100 < 12 THEN r.capacity ELSE (h %% 7) * r.capacity / 14 END, "
             "CASE WHEN h %% 10 = 3 THEN r.base_price_minor + 1500 END "
             "FROM booking.resources r, generate_series(to_timestamp(%lld), to_timestamp(%lld), interval '1 day') d, "
             "LATERAL (SELECT hashtext(r.resource_id || extract(epoch FROM d)::text) & 2147483647 AS h) x "
             "WHERE r.resource_id = ANY (SELECT 'res_bench_' || CASE WHEN g < 100000 THEN lpad(g::text, 5, '0') "
             "ELSE g::text END FROM generate_series(%d, %d) g)",
             (long long)bench_day_start(0), (long long)bench_day_start(days - 1), from, to - 1);
    /* bulk load: the keys are built once afterwards instead of row by row (then restored
     * exactly as the migration declares them) */
    bench_sql(db, "SET synchronous_commit = off");
    bench_sql(db, "SET maintenance_work_mem = '256MB'");
    bench_sql(db, "ALTER TABLE booking.slots DROP CONSTRAINT slots_pkey, DROP CONSTRAINT slots_resource_id_fkey");
    bench_sql(db, q);
    bench_sql(db, "ALTER TABLE booking.slots ADD CONSTRAINT slots_pkey PRIMARY KEY (resource_id, slot_start), "
            "ADD CONSTRAINT slots_resource_id_fkey FOREIGN KEY (resource_id) REFERENCES booking.resources "
            "ON DELETE CASCADE");
    bench_sql(db, "ANALYZE booking.resources");
    bench_sql(db, "ANALYZE booking.slots");
}


void bench_load_catalogue(PGconn *db, int from, int to, int days)
{
    load_resources(db, from, to);
    load_slots(db, from, to, days);
}
