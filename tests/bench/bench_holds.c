/* bench_holds.c — CreateHold + ReleaseHold through gRPC at 64 in flight, on random
 * resources and on one hot resource, beside redis-benchmark running the hold script
 * itself on the same Redis; prints holds/s, p50/p99 and the ratio. Not a test. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "booking/v1/booking.pb-c.h"
#include "harness.h"
#include "hold_cache.h"
#include "rpc_client.h"

#define MAX_IN_FLIGHT 256
static int in_flight = 64;
#define RESOURCES 200

extern const unsigned char lua_hold_create_lua[];

typedef struct slot {
    int index;
    int phase;  /* 0 creating, 1 releasing */
    double started;
    char hold_id[80];
    char user[32];
} slot;

typedef struct run {
    const char *name;
    char (*resources)[80];
    int resource_count;
    double *latency;
    size_t samples, cap;
    long pairs, errors;
} run;

static void md_for(const slot *s, rpc_md *md)
{
    md[0] = (rpc_md){"x-user-id", s->user};
    md[1] = (rpc_md){"x-user-role", "customer"};
}

static void start_create(rpc_client *c, rpc_queue *q, slot *s, run *r)
{
    Google__Protobuf__Timestamp from = GOOGLE__PROTOBUF__TIMESTAMP__INIT, to = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    int night = 1 + rand() % 30;
    from.seconds = bench_day(night);
    to.seconds = bench_day(night + 1);
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.resource_id = r->resources[rand() % r->resource_count];
    req.start_time = &from;
    req.end_time = &to;
    req.quantity = 1;
    rpc_md md[2];
    md_for(s, md);
    s->phase = 0;
    s->started = bench_now();
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

/* Handles one completion: a created hold is released; a finished pair is counted and,
 * before `end`, the slot starts the next pair. Returns 1 when the slot is done. */
static int advance(rpc_client *c, rpc_queue *q, rpc_pending *p, run *r, double warm, double end)
{
    void *tag;
    ProtobufCMessage *resp = NULL;
    int ok = rpc_pending_finish(p, &resp, NULL, &tag) == 0;
    slot *s = tag;
    if (ok && s->phase == 0) {
        snprintf(s->hold_id, sizeof s->hold_id, "%s", ((Booking__V1__Hold *)resp)->hold_id);
        protobuf_c_message_free_unpacked(resp, NULL);
        start_release(c, q, s);
        return 0;
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    double t = bench_now();
    if (t >= warm && t < end) {
        r->errors += !ok;
        r->pairs += ok;
        if (ok && r->samples < r->cap)
            r->latency[r->samples++] = t - s->started;
    }
    if (t >= end)
        return 1;
    start_create(c, q, s, r);
    return 0;
}

static double drive(const char *addr, run *r, double seconds)
{
    rpc_client *c = rpc_client_new(addr, &booking__v1__booking_service__descriptor);
    rpc_queue *q = rpc_queue_new();
    static slot slots[MAX_IN_FLIGHT];
    double warm = bench_now() + 1, end = warm + seconds;
    for (int i = 0; i < in_flight; i++) {
        slots[i] = (slot){.index = i};
        snprintf(slots[i].user, sizeof slots[i].user, "bench-%s-%d", r->name, i);
        start_create(c, q, &slots[i], r);
    }
    for (int outstanding = in_flight; outstanding > 0;)
        outstanding -= advance(c, q, rpc_queue_next(q, -1), r, warm, end);
    double rate = (double)r->pairs / seconds;
    double p50 = bench_percentile_ms(r->latency, r->samples, 50), p99 = bench_percentile_ms(r->latency, r->samples, 99);
    printf("gRPC %-23s %8.0f holds/s (CreateHold+ReleaseHold)  pair p50 %6.2f ms  p99 %6.2f ms  errors %ld\n",
           r->name, rate, p50, p99, r->errors);
    fflush(stdout);
    rpc_queue_free(q);
    rpc_client_free(c);
    return rate;
}

/* redis-benchmark runs the hold script itself on the same Redis: a hot resource with
 * room for every hold, a fresh hold id per call. Returns requests/s. */
static double redis_benchmark(harness *h, int requests)
{
    redisContext *r = harness_redis(h);
    int64_t night = bench_day(3);
    redisReply *reply = redisCommand(r, "SCRIPT LOAD %s", (const char *)lua_hold_create_lua);
    char sha[41];
    snprintf(sha, sizeof sha, "%s", reply->str);
    freeReplyObject(reply);
    freeReplyObject(redisCommand(r, "HSET avail:{p00}:rb %lld 2000000000", (long long)night));
    int port = 0;
    sscanf(strrchr(harness_redis_url(h), ':') + 1, "%d", &port);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "redis-benchmark -h 127.0.0.1 -p %d -c 50 -n %d -r 1000000000 -q EVALSHA %s 6 avail:{p00}:rb "
             "hold:{p00}:__rand_int__ holdttl:{p00}:__rand_int__ deadlines:{p00} live:{p00}:rb changes:{p00} "
             "h__rand_int__ rb bench 1 %lld 600000 %lld 2>&1",
             port, requests, sha, (long long)((time(NULL) + 600) * 1000), (long long)night);
    FILE *p = popen(cmd, "r");
    char line[512];
    double rate = 0;
    while (p && fgets(line, sizeof line, p)) {
        char *rps = strstr(line, "requests per second");
        if (!rps) {
            if (strstr(line, "ERR") || strstr(line, "rror"))
                fprintf(stderr, "redis-benchmark: %s", line);
            continue;
        }
        *rps = '\0';
        char *colon = strrchr(line, ':');
        if (colon)
            rate = atof(colon + 1);
    }
    if (p)
        pclose(p);
    printf("redis-benchmark hold script     %8.0f scripts/s (EVALSHA hold_create, 50 clients)\n", rate);
    return rate;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10;
    if (argc > 2)
        in_flight = atoi(argv[2]) > 0 && atoi(argv[2]) <= MAX_IN_FLIGHT ? atoi(argv[2]) : 64;
    static const char *const services[] = {"booking-svc", NULL};
    static const char *const env[] = {"MAX_HELD_UNITS=1000000", "GRPC_WORKERS=16", "LOG_LEVEL=warn", NULL};
    harness *h = harness_start(services, env);
    const char *addr = harness_addr(h, "booking-svc");
    rpc_client *c = rpc_client_new(addr, &booking__v1__booking_service__descriptor);
    static char random_ids[RESOURCES][80], hot_id[1][80];
    bench_create_resources(c, random_ids, RESOURCES, 1000, "Benchville");
    bench_create_resources(c, hot_id, 1, 100000, "Benchville");
    rpc_client_free(c);
    printf("booking-svc: 16 workers; %d calls in flight; %.0f s per run; PostgreSQL synchronous_commit off "
           "(test stack)\n", in_flight, seconds);
    static double latency[2][4000000];
    run random_run = {"random resources", random_ids, RESOURCES, latency[0], 0, 4000000, 0, 0};
    run hot_run = {"one hot resource", hot_id, 1, latency[1], 0, 4000000, 0, 0};
    double r1 = drive(addr, &random_run, seconds);
    double r2 = drive(addr, &hot_run, seconds);
    double script = redis_benchmark(h, 200000);
    if (script > 0)
        printf("ratio gRPC/script: random %.1f %%, hot %.1f %%\n", 100 * r1 / script, 100 * r2 / script);
    return harness_stop(h) == 0 ? 0 : 1;
}
