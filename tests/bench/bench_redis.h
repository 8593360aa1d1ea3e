/* bench_redis.h — what the benchmarks read from the test Redis: INFO figures (memory,
 * the main thread's CPU, forks, calls per command), key counts, AOF compaction between
 * runs, and redis-benchmark as the reference a hold path is compared with. */
#ifndef BENCH_REDIS_H
#define BENCH_REDIS_H

#include "harness.h"

/* A number of Redis's INFO `section` ("used_memory" in "memory"), or 0. */
double bench_redis_info(harness *h, const char *section, const char *name);
/* CPU seconds Redis's main thread (the one that runs every command) has used so far. */
double bench_redis_cpu(harness *h);
/* Compacts the AOF and waits for it (up to a minute), so that no measured run pays for
 * a rewrite that an earlier run's writes triggered: each run starts alike. */
void bench_redis_compact_aof(harness *h);
/* Keys matching `pattern` (SCAN: the one-node test Redis). */
long bench_redis_count_keys(harness *h, const char *pattern);

#define BENCH_COMMAND_KINDS 64

/* Redis's counters at one moment: calls per command (INFO commandstats), the main
 * thread's CPU and the forks so far (AOF rewrites). */
typedef struct bench_redis_counts {
    int n;
    char name[BENCH_COMMAND_KINDS][40];
    long long calls[BENCH_COMMAND_KINDS];
    long long usec[BENCH_COMMAND_KINDS]; /* time in the command (a script's includes its calls') */
    double cpu;
    long long forks;
} bench_redis_counts;

void bench_redis_counts_now(harness *h, bench_redis_counts *c);
/* Prints the commands Redis ran per operation between two counts (those of at least
 * 0.05) with the microseconds spent in them, the main thread's CPU per operation and the
 * forks. */
void bench_redis_print_per_op(const bench_redis_counts *before, const bench_redis_counts *after, long ops);

/* Runs redis-benchmark (50 clients) `requests` times on `args` (what follows -n/-r) after
 * compacting the AOF; returns requests/s (0 when it failed) and sets *cpu_us to the main
 * thread's CPU per request. */
double bench_redis_benchmark(harness *h, int requests, const char *args, double *cpu_us);

#endif
