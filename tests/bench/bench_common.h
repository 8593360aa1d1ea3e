/* bench_common.h — what the benchmarks share: clocks, percentiles, resource creation. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "rpc_client.h"

double bench_now(void);
/* 00:00Z of the UTC day `days` from today. */
int64_t bench_day(int days);
/* Sorts samples (seconds) and returns the p-th percentile in milliseconds. */
double bench_percentile_ms(double *samples, size_t n, double p);
/* The q-quantile (0..1) of a Prometheus histogram over what happened between two
 * scrapes (before may be NULL: since the start), as the upper bound of the bucket it
 * falls in (seconds); 0 when nothing was observed, INFINITY past the last bound. */
double bench_histogram_quantile(const char *before, const char *after, const char *name, double q);
/* Creates n nightly resources (as admin) with the given capacity; ids into out. Exits on
 * failure. */
void bench_create_resources(rpc_client *booking, char (*out)[80], int n, int capacity, const char *city);

/* How the services reach PostgreSQL, compared side by side (docs/scale-out.md): "named"
 * (direct, statements prepared once per connection), "unnamed" (direct, unnamed
 * statements: DATABASE_POOL_MODE=transaction), "pgbouncer" (unnamed, through PgBouncer in
 * transaction mode). */
#define BENCH_PG_MODES 3
extern const char *const bench_pg_modes[BENCH_PG_MODES];
/* Restarts each of `services` (NULL-terminated) in that mode, with extra env (may be
 * NULL). Exits on failure. */
void bench_use_pg_mode(harness *h, const char *mode, const char *const *services, const char *const *env);

#endif
