/* bench_expiry.c — release lag of expired holds, seen from outside, beside Redis's own
 * expired-event delay for plain keys on the same schedule: with 10,000 long-TTL holds
 * live, 1,000 and then 10,000 short holds expire spread over ~3 s; a watcher thread
 * polls each due hold's availability counter (capacity 1: 0 while held, 1 once back)
 * and a subscriber timestamps Redis's expired events. Prints both and the ratio. Not a
 * test. Usage: bench_expiry [event wait cap in s (30)] */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "booking/v1/booking.pb-c.h"
#include "booking/v1/expiry.pb-c.h"
#include "harness.h"
#include "hold_cache.h"
#include "rpc_client.h"
#include "timeutil.h"

#define LONG_HOLDS 10000
#define LONG_RESOURCES 100
#define TTL_CLASSES 24     /* short holds pick a resource whose hold TTL lands them on schedule */
#define CLASS_RESOURCES 4
#define IN_FLIGHT 64
#define SPREAD_MS 3000

typedef struct short_hold {
    int cls, res;
    int64_t slot, exp_ms, back_ms, event_ms;
} short_hold;

typedef struct bench {
    harness *h;
    rpc_client *booking;
    char long_rids[LONG_RESOURCES][80];
    char class_rids[TTL_CLASSES + 1][CLASS_RESOURCES][80];
    int class_next[TTL_CLASSES + 1];
    double create_rate;  /* holds/s, measured on the long holds */
    int64_t event_cap_ms;
    pthread_mutex_t lock;
    short_hold *holds;   /* the current phase */
    int n, phase;
    int *heap, heap_n;   /* indexes of created holds, by exp_ms */
    atomic_int stop;
    int failed;          /* holds that could not be created: the figures would be wrong */
} bench;

typedef struct result {
    double p50, p99, max;
    int missing;
} result;

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t day_start(int days)
{
    int64_t now = (int64_t)time(NULL);
    return now - now % 86400 + (int64_t)days * 86400;
}

/* ---- resources ---------------------------------------------------------------- */

static void create_resource(bench *b, const char *name, int capacity, int slot_minutes, int ttl, char *out)
{
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = 5000;
    Booking__V1__Resource res = BOOKING__V1__RESOURCE__INIT;
    res.resource_type = BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_APPOINTMENT;
    res.name = (char *)name;
    res.location = (char *)"Benchville";
    res.capacity = capacity;
    res.slot_minutes = slot_minutes;
    res.time_zone = (char *)"UTC";
    res.hold_ttl_seconds = ttl;
    res.base_price = &price;
    Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
    req.resource = &res;
    rpc_md md[] = {{"x-user-id", "bench-admin"}, {"x-user-role", "admin"}};
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    if (rpc_client_call(b->booking, "CreateResource", &req.base, md, 2, 10000, 0, &resp, &r) != 0) {
        fprintf(stderr, "CreateResource: %s\n", r.message);
        exit(1);
    }
    snprintf(out, 80, "%s", ((Booking__V1__Resource *)resp)->resource_id);
    protobuf_c_message_free_unpacked(resp, NULL);
}

static void create_resources(bench *b)
{
    char name[64];
    for (int i = 0; i < LONG_RESOURCES; i++) {
        snprintf(name, sizeof name, "long hold room %d", i);
        create_resource(b, name, 1000, 1440, 3600, b->long_rids[i]);
    }
    for (int k = 1; k <= TTL_CLASSES; k++)
        for (int j = 0; j < CLASS_RESOURCES; j++) {
            snprintf(name, sizeof name, "short hold desk %d/%d", k, j);
            create_resource(b, name, 1, 60, k, b->class_rids[k][j]);
        }
}

/* ---- holds through gRPC, IN_FLIGHT at a time ----------------------------------- */

typedef struct hold_spec {
    const char *rid;
    int64_t start, end;
} hold_spec;

typedef void (*spec_fn)(bench *b, int i, hold_spec *out);
typedef void (*done_fn)(bench *b, int i, const Booking__V1__Hold *h);

static void start_hold(bench *b, rpc_queue *q, int i, spec_fn spec)
{
    hold_spec s;
    spec(b, i, &s);
    Google__Protobuf__Timestamp from = GOOGLE__PROTOBUF__TIMESTAMP__INIT, to = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    from.seconds = s.start;
    to.seconds = s.end;
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.resource_id = (char *)s.rid;
    req.start_time = &from;
    req.end_time = &to;
    req.quantity = 1;
    char user[32];
    snprintf(user, sizeof user, "bench-user-%d", i % 2000);
    rpc_md md[] = {{"x-user-id", user}, {"x-user-role", "customer"}};
    rpc_client_start(b->booking, "CreateHold", &req.base, md, 2, 30000, q, (void *)(intptr_t)i);
}

/* Creates n holds; returns how many failed. */
static int create_holds(bench *b, int n, spec_fn spec, done_fn done)
{
    rpc_queue *q = rpc_queue_new();
    int sent = 0, failed = 0;
    for (; sent < n && sent < IN_FLIGHT; sent++)
        start_hold(b, q, sent, spec);
    for (int finished = 0; finished < n; finished++) {
        ProtobufCMessage *resp = NULL;
        rpc_result r;
        void *tag;
        if (rpc_pending_finish(rpc_queue_next(q, -1), &resp, &r, &tag) == 0)
            done(b, (int)(intptr_t)tag, (const Booking__V1__Hold *)resp);
        else if (failed++ < 5)
            fprintf(stderr, "CreateHold: %s\n", r.message);
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        if (sent < n)
            start_hold(b, q, sent++, spec);
    }
    rpc_queue_free(q);
    return failed;
}

static void long_spec(bench *b, int i, hold_spec *out)
{
    out->rid = b->long_rids[i % LONG_RESOURCES];
    out->start = day_start(20);
    out->end = out->start + 86400;
}

static void long_done(bench *b, int i, const Booking__V1__Hold *h) { (void)b, (void)i, (void)h; }

/* ---- the schedule: hold i should expire at base + SPREAD_MS * i / n -------------- */

static int64_t phase_base;

static void short_spec(bench *b, int i, hold_spec *out)
{
    int64_t target = phase_base + (int64_t)SPREAD_MS * i / b->n;
    int64_t k = (target - wall_ms() + 999) / 1000;
    int cls = k < 1 ? 1 : k > TTL_CLASSES ? TTL_CLASSES : (int)k;
    int c = b->class_next[cls]++;
    short_hold *s = &b->holds[i];
    s->cls = cls;
    s->res = c % CLASS_RESOURCES;
    s->slot = day_start(40) + (int64_t)(c / CLASS_RESOURCES) * 3600;
    out->rid = b->class_rids[cls][s->res];
    out->start = s->slot;
    out->end = s->slot + 3600;
}

static void heap_push(bench *b, int i)
{
    int at = b->heap_n++;
    while (at > 0 && b->holds[b->heap[(at - 1) / 2]].exp_ms > b->holds[i].exp_ms) {
        b->heap[at] = b->heap[(at - 1) / 2];
        at = (at - 1) / 2;
    }
    b->heap[at] = i;
}

static int heap_pop(bench *b)
{
    int top = b->heap[0], last = b->heap[--b->heap_n], at = 0;
    for (;;) {
        int child = 2 * at + 1;
        if (child >= b->heap_n)
            break;
        if (child + 1 < b->heap_n && b->holds[b->heap[child + 1]].exp_ms < b->holds[b->heap[child]].exp_ms)
            child++;
        if (b->holds[b->heap[child]].exp_ms >= b->holds[last].exp_ms)
            break;
        b->heap[at] = b->heap[child];
        at = child;
    }
    if (b->heap_n > 0)
        b->heap[at] = last;
    return top;
}

/* A created short hold: watched from now on, and a plain key set to expire with it. */
static void short_done(bench *b, int i, const Booking__V1__Hold *h)
{
    int64_t exp = h->expires_at->seconds * 1000 + h->expires_at->nanos / 1000000;
    pthread_mutex_lock(&b->lock);
    b->holds[i].exp_ms = exp;
    heap_push(b, i);
    pthread_mutex_unlock(&b->lock);
    int64_t px = exp - wall_ms();
    redisReply *r = redisCommand(harness_redis(b->h), "SET benchplain:%d:%d 1 PX %lld", b->phase, i,
                                 (long long)(px > 0 ? px : 1));
    freeReplyObject(r);
}

/* ---- the watcher: units available again? ---------------------------------------- */

static redisContext *redis_for(bench *b)
{
    int port = 0;
    sscanf(strrchr(harness_redis_url(b->h), ':') + 1, "%d", &port);
    redisContext *c = redisConnect("127.0.0.1", port);
    if (!c || c->err) {
        fprintf(stderr, "bench: cannot connect to redis\n");
        exit(1);
    }
    return c;
}

/* Moves holds that are due into due[]; returns the new count. */
static int take_due(bench *b, int *due, int count, int cap)
{
    int64_t now = wall_ms();
    pthread_mutex_lock(&b->lock);
    while (b->heap_n > 0 && count < cap && b->holds[b->heap[0]].exp_ms <= now)
        due[count++] = heap_pop(b);
    pthread_mutex_unlock(&b->lock);
    return count;
}

/* One pipelined look at every due hold's counter; returns the holds still out. */
static int poll_due(bench *b, redisContext *c, int *due, int count)
{
    for (int j = 0; j < count; j++) {
        short_hold *s = &b->holds[due[j]];
        hold_keys k;
        hold_keys_for(&k, b->class_rids[s->cls][s->res], NULL);
        redisAppendCommand(c, "HGET %s %lld", k.avail, (long long)s->slot);
    }
    int out = 0;
    for (int j = 0; j < count; j++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            exit(1);
        int back = r->type == REDIS_REPLY_STRING && atoi(r->str) >= 1;
        freeReplyObject(r);
        if (back)
            b->holds[due[j]].back_ms = wall_ms();
        else
            due[out++] = due[j];
    }
    return out;
}

static void *watcher_main(void *arg)
{
    bench *b = arg;
    redisContext *c = redis_for(b);
    int cap = 20000, count = 0, *due = malloc(sizeof *due * (size_t)cap);
    while (!atomic_load(&b->stop)) {
        count = take_due(b, due, count, cap);
        count = count ? poll_due(b, c, due, count) : 0;
        nap_ms(1);
    }
    free(due);
    redisFree(c);
    return NULL;
}

/* ---- Redis's own expired events for the plain keys ------------------------------ */

static void on_event(bench *b, const char *key)
{
    int phase, i;
    if (sscanf(key, "benchplain:%d:%d", &phase, &i) != 2)
        return;
    pthread_mutex_lock(&b->lock);
    if (phase == b->phase && i >= 0 && i < b->n && !b->holds[i].event_ms)
        b->holds[i].event_ms = wall_ms();
    pthread_mutex_unlock(&b->lock);
}

static void *subscriber_main(void *arg)
{
    bench *b = arg;
    redisContext *c = redis_for(b);
    freeReplyObject(redisCommand(c, "SUBSCRIBE __keyevent@0__:expired"));
    while (!atomic_load(&b->stop)) {
        void *reply = NULL;
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        if (redisGetReplyFromReader(c, &reply) == REDIS_OK && !reply && poll(&pfd, 1, 100) > 0 &&
            (redisBufferRead(c) != REDIS_OK || redisGetReplyFromReader(c, &reply) != REDIS_OK))
            break;
        redisReply *m = reply;
        if (m && m->type == REDIS_REPLY_ARRAY && m->elements == 3 && m->element[2]->type == REDIS_REPLY_STRING)
            on_event(b, m->element[2]->str);
        freeReplyObject(m);
    }
    redisFree(c);
    return NULL;
}

/* ---- a phase --------------------------------------------------------------------- */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, c = *(const double *)y;
    return (a > c) - (a < c);
}

/* Nearest-rank percentiles of lags (ms); a missing sample counts as infinite. */
static result summarize(const short_hold *h, int n, int events)
{
    double *lag = malloc(sizeof *lag * (size_t)n);
    result r = {0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        int64_t t = events ? h[i].event_ms : h[i].back_ms;
        lag[i] = t ? (double)(t - h[i].exp_ms) : INFINITY;
        r.missing += !t;
    }
    qsort(lag, (size_t)n, sizeof *lag, cmp_double);
    r.p50 = lag[(size_t)ceil(0.50 * n) - 1];
    r.p99 = lag[(size_t)ceil(0.99 * n) - 1];
    r.max = lag[n - 1];
    free(lag);
    return r;
}

static int all_seen(bench *b, int events)
{
    int seen = 1;
    pthread_mutex_lock(&b->lock);
    for (int i = 0; i < b->n && seen; i++)
        seen = events ? b->holds[i].event_ms != 0 : b->holds[i].back_ms != 0;
    pthread_mutex_unlock(&b->lock);
    return seen;
}

static int64_t last_expiry(bench *b, int64_t *first)
{
    int64_t last = 0;
    *first = INT64_MAX;
    for (int i = 0; i < b->n; i++) {
        last = b->holds[i].exp_ms > last ? b->holds[i].exp_ms : last;
        *first = b->holds[i].exp_ms && b->holds[i].exp_ms < *first ? b->holds[i].exp_ms : *first;
    }
    return last;
}

static void expiry_lag(bench *b, double *p99, double *max)
{
    rpc_client *c = rpc_client_new(harness_addr(b->h, "expiry-svc"), &booking__v1__expiry_service__descriptor);
    Booking__V1__GetStatsRequest req = BOOKING__V1__GET_STATS_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    *p99 = *max = -1;
    if (rpc_client_call(c, "GetStats", &req.base, NULL, 0, 5000, 0, &resp, NULL) == 0) {
        *p99 = ((Booking__V1__ExpiryStats *)resp)->lag_p99_ms;
        *max = ((Booking__V1__ExpiryStats *)resp)->lag_max_ms;
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    rpc_client_free(c);
}

static void run_phase(bench *b, int phase, int n, result *ours, result *redis, int64_t *spread)
{
    pthread_mutex_lock(&b->lock);
    b->holds = calloc((size_t)n, sizeof *b->holds);
    b->heap = malloc(sizeof *b->heap * (size_t)n);
    b->heap_n = 0;
    b->n = n;
    b->phase = phase;
    pthread_mutex_unlock(&b->lock);
    phase_base = wall_ms() + (int64_t)(1300.0 * n / b->create_rate) + 1500;
    int failed = create_holds(b, n, short_spec, short_done);
    int64_t first, last = last_expiry(b, &first), give_up = last + b->event_cap_ms;
    *spread = last - first;
    while (wall_ms() < give_up && !(all_seen(b, 0) && all_seen(b, 1)))
        nap_ms(50);
    pthread_mutex_lock(&b->lock);
    *ours = summarize(b->holds, n, 0);
    *redis = summarize(b->holds, n, 1);
    free(b->holds);
    free(b->heap);
    b->holds = NULL;
    b->n = b->heap_n = 0;
    pthread_mutex_unlock(&b->lock);
    b->failed += failed;
    if (failed)
        fprintf(stderr, "bench: %d holds of phase %d were not created\n", failed, phase);
}

static void fmt_ms(char *out, size_t cap, double v, int64_t cap_ms)
{
    if (isinf(v))
        snprintf(out, cap, ">%.0f", (double)cap_ms);
    else
        snprintf(out, cap, "%.0f", v);
}

static void print_row(const char *name, int n, int64_t spread, const result *ours, const result *redis,
                      int64_t cap_ms)
{
    char o[3][24], r[3][24];
    const double ov[] = {ours->p50, ours->p99, ours->max}, rv[] = {redis->p50, redis->p99, redis->max};
    for (int i = 0; i < 3; i++) {
        fmt_ms(o[i], sizeof o[i], ov[i], cap_ms);
        fmt_ms(r[i], sizeof r[i], rv[i], cap_ms);
    }
    double ratio = (isinf(redis->p99) ? (double)cap_ms : redis->p99) / (ours->p99 > 1 ? ours->p99 : 1);
    printf("%-26s %6d %7.1f s | %6s %6s %6s %4d | %6s %6s %6s %5d | %s%.0fx\n", name, n, (double)spread / 1000, o[0],
           o[1], o[2], ours->missing, r[0], r[1], r[2], redis->missing, isinf(redis->p99) ? ">" : "", ratio);
    fflush(stdout);
}

static void setup_stack(bench *b)
{
    static const char *const services[] = {"booking-svc", "expiry-svc", NULL};
    static const char *const env[] = {"MAX_HELD_UNITS=1000000", "LOG_LEVEL=warn", NULL};
    b->h = harness_start(services, env);
    b->booking = rpc_client_new(harness_addr(b->h, "booking-svc"), &booking__v1__booking_service__descriptor);
    create_resources(b);
    int64_t t0 = wall_ms();
    int failed = create_holds(b, LONG_HOLDS, long_spec, long_done);
    b->failed += failed;
    b->create_rate = LONG_HOLDS * 1000.0 / (double)(wall_ms() - t0 + 1);
    printf("%d long-TTL holds live (%d failed); CreateHold at %.0f holds/s, %d in flight\n", LONG_HOLDS, failed,
           b->create_rate, IN_FLIGHT);
}

int main(int argc, char **argv)
{
    static bench b;
    b.event_cap_ms = (argc > 1 ? atol(argv[1]) : 30) * 1000;
    pthread_mutex_init(&b.lock, NULL);
    setup_stack(&b);
    pthread_t watcher, subscriber;
    pthread_create(&watcher, NULL, watcher_main, &b);
    pthread_create(&subscriber, NULL, subscriber_main, &b);
    printf("lag from expires_at (ms): ours = units available again (polled counter), redis = expired event "
           "of a plain key with the same expiry; waits up to %lld s\n", (long long)b.event_cap_ms / 1000);
    printf("%-26s %6s %9s | %6s %6s %6s %4s | %6s %6s %6s %5s | %s\n", "case", "holds", "spread", "p50", "p99", "max",
           "miss", "p50", "p99", "max", "miss", "redis/ours p99");
    static const int sizes[] = {1000, 10000};
    for (int phase = 0; phase < 2; phase++) {
        result ours, redis;
        int64_t spread;
        char name[40];
        run_phase(&b, phase, sizes[phase], &ours, &redis, &spread);
        snprintf(name, sizeof name, "%d expiring, %dk live", sizes[phase], LONG_HOLDS / 1000);
        print_row(name, sizes[phase], spread, &ours, &redis, b.event_cap_ms);
        double p99, max;
        expiry_lag(&b, &p99, &max);
        printf("%-26s expiry-svc's own GetStats window: p99 %.0f ms, max %.0f ms\n", "", p99, max);
    }
    atomic_store(&b.stop, 1);
    pthread_join(watcher, NULL);
    pthread_join(subscriber, NULL);
    rpc_client_free(b.booking);
    int stopped = harness_stop(b.h);
    if (b.failed > 0) /* a benchmark whose calls fail measures nothing */
        fprintf(stderr, "bench_expiry: %d hold(s) could not be created\n", b.failed);
    return stopped == 0 && b.failed == 0 ? 0 : 1;
}
