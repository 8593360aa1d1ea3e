/* bench_dataset.h — the search benchmarks' catalogue: hotel resources res_bench_NNNNN in
 * 50 cities, written to PostgreSQL with COPY (bodies packed with protobuf-c) and their
 * nightly slot rows with one INSERT ... SELECT (deterministic, no random()). */
#ifndef BENCH_DATASET_H
#define BENCH_DATASET_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_CITIES 50

/* City c's name and centre. */
void bench_city(int c, char *name, size_t cap, double *lat, double *lon);
/* The id of resource i ("res_bench_00042"). */
void bench_resource_id(int i, char *out, size_t cap);
/* 00:00Z of the UTC day d from today. */
int64_t bench_day_start(int d);
/* Runs one SQL statement without parameters; exits on failure. */
void bench_sql(PGconn *db, const char *q);
/* Adds resources [from, to) and their rows for nights [0, days): ~12 % of nights sold
 * out, some confirmed, ~10 % with a price override. Exits on failure. */
void bench_load_catalogue(PGconn *db, int from, int to, int days);

#endif
