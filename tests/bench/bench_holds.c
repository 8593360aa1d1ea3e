/* bench_holds.c — the hold path at 64 in flight through gRPC, side by side in one run:
 * an empty call through the same runtime, CreateHold alone and CreateHold+ReleaseHold
 * on random resources and on one hot resource, redis-benchmark running the hold
 * scripts themselves on the same Redis, the recorder's lag over the run, and the
 * ratios against the targets; then CreateHold+ReleaseHold on random resources
 * again with booking-svc's statements named, unnamed and through PgBouncer
 * (bench_pg_modes: the recorder writes every hold's history); then the same random runs
 * on a Redis Cluster of 3 primaries + 3 replicas, without and with WAIT 1 after every
 * script write, beside the one-node figures (docs/redis-cluster.md). `bench_holds
 * SECONDS IN_FLIGHT cluster` runs only that comparison. Exits non-zero when calls fail.
 * Not a test. */
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "bench_redis.h"
#include "booking/v1/booking.pb-c.h"
#include "harness.h"
#include "hold_cache.h"
#include "hold_log.h"
#include "rpc_client.h"

#define MAX_IN_FLIGHT 256
#define RESOURCES 200
#define NIGHTS 30
#define SAMPLES 4000000
#define ROUNDS 3 /* the runs and the scripts alone, interleaved: the machine's drift hits all alike */
#define SCRIPT_REQUESTS 200000 /* per script over all rounds */

static int in_flight = 64;

extern const unsigned char lua_hold_create_lua[];
extern const unsigned char lua_user_take_lua[];

/* WARM_UP: CreateHold+ReleaseHold once on every night of every resource, in order, so
 * that the runs measure the steady state (each slot's counter and info loaded once). */
typedef enum workload { EMPTY_CALL, CREATE_ONLY, CREATE_RELEASE, WARM_UP } workload;

typedef struct slot {
    int phase;  /* 0 creating (or the empty call), 1 releasing */
    double started;
    char hold_id[80];
    char user[40];
} slot;

typedef struct run {
    const char *name;
    workload kind;
    char (*resources)[80];
    int resource_count;
    double *latency;
    size_t samples;
    long done, errors;
    long finished;  /* every operation that ended, the warm-up second's included */
    int next;  /* WARM_UP: the next (resource, night) */
    double seconds; /* measured so far */
} run;

static void md_for(const slot *s, rpc_md *md)
{
    md[0] = (rpc_md){"x-user-id", s->user};
    md[1] = (rpc_md){"x-user-role", "customer"};
}

static void start_first(rpc_client *c, rpc_queue *q, slot *s, run *r)
{
    static long calls;
    rpc_md md[2];
    snprintf(s->user, sizeof s->user, "bench-%ld", calls++); /* many users, each with a few holds */
    md_for(s, md);
    s->phase = 0;
    s->started = bench_now();
    if (r->kind == EMPTY_CALL) { /* decoded, dispatched to a handler thread, refused there */
        Booking__V1__GetHoldRequest req = BOOKING__V1__GET_HOLD_REQUEST__INIT;
        rpc_client_start(c, "GetHold", &req.base, md, 2, 10000, q, s);
        return;
    }
    Google__Protobuf__Timestamp from = GOOGLE__PROTOBUF__TIMESTAMP__INIT, to = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    int pick = r->kind == WARM_UP ? r->next++ : rand() % (r->resource_count * NIGHTS);
    int night = 1 + pick % NIGHTS;
    from.seconds = bench_day(night);
    to.seconds = bench_day(night + 1);
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.resource_id = r->resources[pick / NIGHTS % r->resource_count];
    req.start_time = &from;
    req.end_time = &to;
    req.quantity = 1;
    rpc_client_start(c, "CreateHold", &req.base, md, 2, 10000, q, s);
}

static void start_release(rpc_client *c, rpc_queue *q, slot *s)
{
    Booking__V1__ReleaseHoldRequest req = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
    req.hold_id = s->hold_id;
    rpc_md md[2];
    md_for(s, md);
    s->phase = 1;
    rpc_client_start(c, "ReleaseHold", &req.base, md, 2, 10000, q, s);
}

/* One completion; returns 1 when the slot is done for good. */
static int advance(rpc_client *c, rpc_queue *q, rpc_pending *p, run *r, double warm, double end)
{
    void *tag;
    ProtobufCMessage *resp = NULL;
    rpc_result res;
    int rc = rpc_pending_finish(p, &resp, &res, &tag);
    slot *s = tag;
    int ok = r->kind == EMPTY_CALL ? res.code == RPC_INVALID_ARGUMENT : rc == 0;
    if (ok && (r->kind == CREATE_RELEASE || r->kind == WARM_UP) && s->phase == 0) {
        snprintf(s->hold_id, sizeof s->hold_id, "%s", ((Booking__V1__Hold *)resp)->hold_id);
        protobuf_c_message_free_unpacked(resp, NULL);
        start_release(c, q, s);
        return 0;
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    if (!ok && r->errors < 3)
        fprintf(stderr, "%s: %s %s\n", r->name, rpc_code_name(res.code), res.message);
    double t = bench_now();
    r->finished++;
    if (t >= warm && t < end) {
        r->errors += !ok;
        r->done += ok;
        if (ok && r->samples < SAMPLES)
            r->latency[r->samples++] = t - s->started;
    }
    if (t >= end || (r->kind == WARM_UP && r->next >= r->resource_count * NIGHTS))
        return 1;
    start_first(c, q, s, r);
    return 0;
}

/* Drives the run for `seconds` after a second's warm-up, adding to its counts. */
static void drive_slice(const char *addr, run *r, double seconds)
{
    rpc_client *c = rpc_client_new(addr, &booking__v1__booking_service__descriptor);
    rpc_queue *q = rpc_queue_new();
    static slot slots[MAX_IN_FLIGHT];
    double warm = bench_now() + 1, end = warm + seconds;
    for (int i = 0; i < in_flight; i++) {
        slots[i] = (slot){0};
        start_first(c, q, &slots[i], r);
    }
    for (int outstanding = in_flight; outstanding > 0;)
        outstanding -= advance(c, q, rpc_queue_next(q, -1), r, warm, end);
    r->seconds += seconds;
    rpc_queue_free(q);
    rpc_client_free(c);
}

/* Prints the run's rate and latency over all its slices; returns the rate. */
static double report(run *r)
{
    static const char *const units[] = {"calls/s", "holds/s", "pairs/s", "pairs/s"};
    double rate = r->seconds > 0 ? (double)r->done / r->seconds : 0;
    printf("%-36s %8.0f %-8s p50 %6.2f ms  p99 %6.2f ms  errors %ld\n", r->name, rate, units[r->kind],
           bench_percentile_ms(r->latency, r->samples, 50), bench_percentile_ms(r->latency, r->samples, 99),
           r->errors);
    fflush(stdout);
    return rate;
}

static double drive(const char *addr, run *r, double seconds)
{
    drive_slice(addr, r, seconds);
    if (r->kind != WARM_UP)
        return report(r);
    printf("warm-up: %d slots of %d resources touched once (errors %ld)\n", r->next, r->resource_count, r->errors);
    return 0;
}

static void script_sha(redisContext *r, const unsigned char *source, char sha[41])
{
    redisReply *reply = redisCommand(r, "SCRIPT LOAD %s", (const char *)source);
    snprintf(sha, 41, "%s", reply && reply->type == REDIS_REPLY_STRING ? reply->str : "");
    freeReplyObject(reply);
}

/* A quote of the size of a one-night quote (the script stores and logs it). */
#define QUOTE_BYTES "0a2e0a0c08808080800610ffffffff0f120c0880a5e7800610ffffffff0f1a0a0a034555521090ce001a"

/* The scripts of one CreateHold on their own, run by redis-benchmark in slices between
 * the rounds of gRPC runs: [0] hold_create.lua on a hot resource with room for every
 * hold and loaded slot info (a fresh hold id per call), priced before the take (the hold
 * is announced by the same script); [1] user_take.lua for a fresh user per call. Their
 * keys have the hold path's shapes in partition 0, under names booking-svc never reads
 * (its recorder must not record these holds). */
typedef struct script_runs {
    char args[2][1500];
    double requests[2], seconds[2], cpu[2]; /* cpu: seconds of Redis's main thread */
    int failed;
} script_runs;

static void scripts_prepare(harness *h, script_runs *s)
{
    memset(s, 0, sizeof *s);
    redisContext *r = harness_redis(h);
    int64_t night = bench_day(3);
    char create[41], user[41];
    script_sha(r, lua_hold_create_lua, create);
    script_sha(r, lua_user_take_lua, user);
    freeReplyObject(redisCommand(r, "HSET bavail:{p00}:rb %lld 2000000000", (long long)night));
    freeReplyObject(redisCommand(r, "HSET bslotinfo:{p00}:rb v 1 %lld \"2000000000 -1 %lld\"", (long long)night,
                                 (long long)(night + 86400)));
    long long now = (long long)time(NULL) * 1000;
    snprintf(s->args[0], sizeof s->args[0],
             "EVALSHA %s 8 bavail:{p00}:rb bslotinfo:{p00}:rb bhold:{p00}:__rand_int__ bholdttl:{p00}:__rand_int__ "
             "bdeadlines:{p00} blive:{p00}:rb bchanges:{p00} bholdlog:{p00} h__rand_int__ rb bench 1 %lld 600000 1 "
             "%lld %lld %lld %s bench %lld",
             create, now + 600000, (long long)night, (long long)night + 86400, now, QUOTE_BYTES, (long long)night);
    snprintf(s->args[1], sizeof s->args[1], "EVALSHA %s 1 buheld:{u:__rand_int__} h1 1 20 %lld %lld", user, now,
             now + 660000);
}

/* Each script `requests` times: the same count in every round, so that the scripts'
 * keys grow as they would in one run of ROUNDS * requests. */
static void scripts_slice(harness *h, script_runs *s, int requests)
{
    for (int i = 0; i < 2; i++) {
        double cpu_us, rate = bench_redis_benchmark(h, requests, s->args[i], &cpu_us);
        if (rate <= 0) {
            s->failed = 1;
            continue;
        }
        s->requests[i] += requests;
        s->seconds[i] += requests / rate;
        s->cpu[i] += cpu_us * requests / 1e6;
    }
}

typedef struct script_rates {
    double create, user, chain;
} script_rates;

static script_rates scripts_report(const script_runs *s)
{
    script_rates out = {0, 0, 0};
    if (s->failed || s->seconds[0] <= 0 || s->seconds[1] <= 0)
        return out;
    out.create = s->requests[0] / s->seconds[0];
    out.user = s->requests[1] / s->seconds[1];
    out.chain = 1 / (1 / out.create + 1 / out.user);
    static const char *const names[2] = {"redis-benchmark hold_create.lua", "redis-benchmark user_take.lua"};
    for (int i = 0; i < 2; i++)
        printf("%-36s %8.0f scripts/s (EVALSHA, 50 clients)\n  Redis main thread: %.1f us of CPU per script\n",
               names[i], s->requests[i] / s->seconds[i], 1e6 * s->cpu[i] / s->requests[i]);
    printf("%-36s %8.0f /s (one after the other)\n", "  both scripts of a hold", out.chain);
    return out;
}

/* Entries of the hold log the recorder has not yet acknowledged: per partition, the
 * group's pending entries plus those not yet delivered (XINFO GROUPS "lag"), summed. */
static long recorder_backlog(harness *h)
{
    long total = 0;
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        char key[64];
        hold_log_key(key, sizeof key, p);
        redisReply *r = redis_command(harness_redis_client(h), "XINFO GROUPS %s", key); /* on its node */
        for (size_t g = 0; r && r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
            const redisReply *f = r->element[g];
            for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2)
                if (f->element[i]->type == REDIS_REPLY_STRING && f->element[i + 1]->type == REDIS_REPLY_INTEGER &&
                    (strcmp(f->element[i]->str, "pending") == 0 || strcmp(f->element[i]->str, "lag") == 0))
                    total += (long)f->element[i + 1]->integer;
        }
        freeReplyObject(r);
    }
    return total;
}

/* Waits (up to a minute) for the recorder to catch up, so that no run pays for the
 * previous run's events; prints how long it took. */
static void drain_recorder(harness *h)
{
    double start = bench_now();
    long backlog = recorder_backlog(h), first = backlog;
    while (backlog > 0 && bench_now() - start < 60) {
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
        backlog = recorder_backlog(h);
    }
    if (first > 0)
        printf("  (recorder caught up with %ld events in %.1f s%s)\n", first, bench_now() - start,
               backlog > 0 ? ", not yet" : "");
}

/* Before a measured run: the recorder caught up and the AOF compacted. */
static void before_run(harness *h)
{
    drain_recorder(h);
    bench_redis_compact_aof(h);
}

/* CreateHold and CreateHold+ReleaseHold on RESOURCES fresh random resources of the
 * stack, after a warm-up; rates into rate[0..1]. Returns the calls that failed. */
static long random_runs(harness *h, double seconds, const char *where, double rate[2])
{
    const char *addr = harness_addr(h, "booking-svc");
    static char ids[RESOURCES][80];
    static double latency[2][SAMPLES], warm_latency[SAMPLES];
    rpc_client *c = rpc_client_new(addr, &booking__v1__booking_service__descriptor);
    bench_create_resources(c, ids, RESOURCES, 100000, "Clusterville");
    rpc_client_free(c);
    run warm = {"warm-up", WARM_UP, ids, RESOURCES, warm_latency, 0, 0, 0, 0, 0, 0};
    drive(addr, &warm, 1e6);
    char names[2][64];
    snprintf(names[0], sizeof names[0], "CreateHold, random (%s)", where);
    snprintf(names[1], sizeof names[1], "pairs, random (%s)", where);
    run runs[2] = {{names[0], CREATE_ONLY, ids, RESOURCES, latency[0], 0, 0, 0, 0, 0, 0},
                   {names[1], CREATE_RELEASE, ids, RESOURCES, latency[1], 0, 0, 0, 0, 0, 0}};
    long errors = warm.errors;
    for (int i = 0; i < 2; i++) {
        before_run(h);
        bench_redis_counts counted[2];
        bench_redis_counts_now(h, &counted[0]);
        rate[i] = drive(addr, &runs[i], seconds);
        bench_redis_counts_now(h, &counted[1]);
        bench_redis_print_per_op(&counted[0], &counted[1], runs[i].finished);
        if (harness_redis_node_count(h) > 1)
            printf("  (Redis figures of the first of %d nodes only)\n", harness_redis_node_count(h));
        errors += runs[i].errors;
    }
    return errors;
}

static const char *const bench_env[] = {"MAX_HELD_UNITS=1000000", "GRPC_WORKERS=16", "LOG_LEVEL=warn", NULL};
static const char *const booking_only[] = {"booking-svc", NULL};

/* The random runs on a Redis Cluster (3 primaries + 3 replicas), then again with
 * booking-svc waiting for one replica after every script write; printed beside the
 * one-node rates. Returns the calls that failed (-1 when a stack did not stop cleanly). */
static long cluster_comparison(double seconds, const double one_node[2])
{
    harness_cluster shape = {3, 1, 2000, "bench-secret"};
    harness *h = harness_start_cluster(booking_only, bench_env, &shape);
    double cluster[2], waited[2] = {0, 0};
    long errors = random_runs(h, seconds, "cluster", cluster);
    static const char *const wait_env[] = {"REDIS_WAIT_REPLICAS=1", "REDIS_WAIT_ALL_WRITES=true", NULL};
    if (harness_start_service(h, "booking-svc", wait_env) != 0)
        errors++;
    else
        errors += random_runs(h, seconds, "cluster+WAIT", waited);
    printf("one node vs a Redis Cluster of 3 primaries + 3 replicas (same machine, same booking-svc):\n");
    printf("  %-34s %10s %12s %14s\n", "", "1 node", "3 primaries", "+ WAIT 1");
    static const char *const what[2] = {"CreateHold, random (holds/s)", "CreateHold+ReleaseHold (pairs/s)"};
    for (int i = 0; i < 2; i++)
        printf("  %-34s %10.0f %12.0f %14.0f\n", what[i], one_node[i], cluster[i], waited[i]);
    if (harness_stop(h) != 0)
        return -1;
    return errors;
}

static void target(const char *what, double value, double goal)
{
    printf("  %-48s %6.1f %%   target %s %.0f %%: %s\n", what, value, what[0] == 'h' ? "within" : ">=", goal,
           (what[0] == 'h' ? value <= goal : value >= goal) ? "met" : "MISSED");
}

/* CreateHold+ReleaseHold on random resources per PostgreSQL mode, with the recorder's
 * lag (its batches are the hold path's PostgreSQL writes). Returns the errors. */
static long pg_modes(harness *h, char (*ids)[80], double seconds)
{
    static const char *const services[] = {"booking-svc", NULL};
    static double latency[SAMPLES];
    long errors = 0;
    printf("PostgreSQL statements of booking-svc (the recorder's writes):\n");
    for (int m = 0; m < BENCH_PG_MODES; m++) {
        bench_use_pg_mode(h, bench_pg_modes[m], services, NULL);
        char name[64];
        snprintf(name, sizeof name, "  pairs random, %s", bench_pg_modes[m]);
        run r = {name, CREATE_RELEASE, ids, RESOURCES, latency, 0, 0, 0, 0, 0, 0};
        char *before = harness_metrics(h, "booking-svc");
        drive(harness_addr(h, "booking-svc"), &r, seconds);
        char *after = harness_metrics(h, "booking-svc");
        printf("  %-34s recorder lag p99 <= %.3f s\n", "", bench_histogram_quantile(before, after,
                                                                                 "booking_recorder_lag_seconds", 0.99));
        free(before);
        free(after);
        errors += r.errors;
    }
    return errors;
}

/* Only the comparison: one node, then the cluster. */
static int cluster_only(double seconds)
{
    harness *h = harness_start(booking_only, bench_env);
    double one_node[2];
    long errors = random_runs(h, seconds, "1 node", one_node);
    int stopped = harness_stop(h);
    long more = cluster_comparison(seconds, one_node);
    if (errors || more)
        fprintf(stderr, "bench_holds: %ld call(s) failed\n", errors + (more > 0 ? more : 0));
    return stopped == 0 && errors == 0 && more == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10;
    if (argc > 2)
        in_flight = atoi(argv[2]) > 0 && atoi(argv[2]) <= MAX_IN_FLIGHT ? atoi(argv[2]) : 64;
    if (argc > 3 && strcmp(argv[3], "cluster") == 0)
        return cluster_only(seconds);
    harness *h = harness_start(booking_only, bench_env);
    const char *addr = harness_addr(h, "booking-svc");
    rpc_client *c = rpc_client_new(addr, &booking__v1__booking_service__descriptor);
    static char random_ids[RESOURCES][80], hot_id[1][80];
    bench_create_resources(c, random_ids, RESOURCES, 100000, "Benchville");
    bench_create_resources(c, hot_id, 1, 100000, "Benchville");
    rpc_client_free(c);
    printf("booking-svc: 16 handler threads; %d calls in flight; %.0f s per run; %d resources x %d nights; "
           "PostgreSQL fsync off, Redis AOF everysec (test stack)\n", in_flight, seconds, RESOURCES, NIGHTS);
    static double latency[5][SAMPLES];
    run runs[5] = {
        {"empty call (same runtime)", EMPTY_CALL, random_ids, RESOURCES, latency[0], 0, 0, 0, 0, 0, 0},
        {"CreateHold, random resources", CREATE_ONLY, random_ids, RESOURCES, latency[1], 0, 0, 0, 0, 0, 0},
        {"CreateHold, one hot resource", CREATE_ONLY, hot_id, 1, latency[2], 0, 0, 0, 0, 0, 0},
        {"CreateHold+ReleaseHold, random", CREATE_RELEASE, random_ids, RESOURCES, latency[3], 0, 0, 0, 0, 0, 0},
        {"CreateHold+ReleaseHold, one hot", CREATE_RELEASE, hot_id, 1, latency[4], 0, 0, 0, 0, 0, 0},
    };
    static double warm_latency[SAMPLES];
    run warm = {"warm-up", WARM_UP, random_ids, RESOURCES, warm_latency, 0, 0, 0, 0, 0, 0};
    drive(addr, &warm, 1e6);
    run warm_hot = {"warm-up", WARM_UP, hot_id, 1, warm_latency, 0, 0, 0, 0, 0, 0};
    drive(addr, &warm_hot, 1e6);
    char *before = harness_metrics(h, "booking-svc");
    long errors = 0;
    static bench_redis_counts counted[5][2]; /* each run's first slice */
    long finished_first[5] = {0};
    double redis_cpu[5] = {0};
    long long forks[5] = {0};
    long long memory_before = 0;
    long holds_before = 0;
    script_runs scripts;
    scripts_prepare(h, &scripts);
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < 5; i++) {
            before_run(h);
            if (round == 0 && i == 1) {
                memory_before = (long long)bench_redis_info(h, "memory", "used_memory");
                holds_before = bench_redis_count_keys(h, "hold:*");
            }
            if (round == 0 && i == 2) { /* the holds of run 1 are still live (TTL 10 min) and recorded */
                long live = bench_redis_count_keys(h, "hold:*") - holds_before;
                double memory = bench_redis_info(h, "memory", "used_memory") - (double)memory_before;
                printf("%-36s %8.0f bytes (%ld live holds, recorder caught up)\n", "Redis memory per live hold",
                       memory / (double)(live > 0 ? live : 1), live);
            }
            bench_redis_counts now[2];
            bench_redis_counts *count = round == 0 ? counted[i] : now;
            long finished = runs[i].finished;
            bench_redis_counts_now(h, &count[0]);
            drive_slice(addr, &runs[i], seconds / ROUNDS);
            bench_redis_counts_now(h, &count[1]);
            redis_cpu[i] += count[1].cpu - count[0].cpu;
            forks[i] += count[1].forks - count[0].forks;
            if (round == 0)
                finished_first[i] = runs[i].finished - finished;
        }
        drain_recorder(h); /* the scripts alone: booking-svc paused, its recorder caught up (redis-benchmark
                            * runs compact the AOF themselves) */
        harness_signal(h, "booking-svc", SIGSTOP);
        scripts_slice(h, &scripts, SCRIPT_REQUESTS / ROUNDS);
        harness_signal(h, "booking-svc", SIGCONT);
    }
    double rate[5];
    for (int i = 0; i < 5; i++) {
        rate[i] = report(&runs[i]);
        bench_redis_print_per_op(&counted[i][0], &counted[i][1], finished_first[i]);
        printf("  over all rounds: Redis main thread %.1f us of CPU per operation; %lld fork(s) during the runs\n",
               1e6 * redis_cpu[i] / (double)(runs[i].finished > 0 ? runs[i].finished : 1), forks[i]);
        errors += runs[i].errors;
    }
    script_rates s = scripts_report(&scripts);
    char *after = harness_metrics(h, "booking-svc");
    double lag_p99 = bench_histogram_quantile(before, after, "booking_recorder_lag_seconds", 0.99);
    double lag_p50 = bench_histogram_quantile(before, after, "booking_recorder_lag_seconds", 0.50);
    printf("%-36s p50 <= %.3f s, p99 <= %.3f s over the runs (histogram bucket bounds)\n", "recorder lag", lag_p50,
           lag_p99);
    free(before);
    free(after);
    if (s.create > 0) {
        printf("ratios (targets from issue 10; all runs interleaved in %d rounds):\n", ROUNDS);
        target("CreateHold random / hold_create.lua", 100 * rate[1] / s.create, 40);
        target("CreateHold hot / hold_create.lua", 100 * rate[2] / s.create, 40);
        target("pairs random / hold_create.lua", 100 * rate[3] / s.create, 20);
        target("pairs hot / hold_create.lua", 100 * rate[4] / s.create, 20);
        target("hot vs random, CreateHold (difference)", fabs(100 * (rate[1] - rate[2]) / rate[1]), 10);
        target("hot vs random, pairs (difference)", fabs(100 * (rate[3] - rate[4]) / rate[3]), 10);
        printf("  %-48s %6.1f %%\n", "CreateHold random / empty call", 100 * rate[1] / rate[0]);
        printf("  %-48s %6.1f %%\n", "CreateHold random / both scripts of a hold", 100 * rate[1] / s.chain);
        printf("  recorder lag p99 %.3f s: target <= 1 s: %s\n", lag_p99, lag_p99 <= 1 ? "met" : "MISSED");
    }
    if (getenv("BENCH_HOLDS_QUICK") == NULL) /* else the one-node runs and ratios only */
        errors += pg_modes(h, random_ids, seconds);
    int stopped = harness_stop(h) == 0 ? 0 : -1;
    double one_node[2] = {rate[1], rate[3]};
    long cluster_errors = getenv("BENCH_HOLDS_QUICK") ? 0 : cluster_comparison(seconds, one_node);
    if (cluster_errors < 0)
        stopped = -1;
    else
        errors += cluster_errors;
    int scripts_ran = s.create > 0 && s.user > 0;
    if (errors > 0 || !scripts_ran)
        fprintf(stderr, "bench_holds: %ld call(s) failed%s\n", errors, scripts_ran ? "" : ", redis-benchmark failed");
    return stopped == 0 && errors == 0 && scripts_ran ? 0 : 1;
}
