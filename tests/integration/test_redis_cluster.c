/* test_redis_cluster.c — the four services on a real Redis Cluster (3 primaries, each
 * with a replica, a password; tests/stack.sh redis-cluster-start): holds, bookings and
 * the hold log on partitions of every node; the 100-client race on each node; expiry on
 * every node within the lag target; the client following ASK and MOVED while a slot
 * migrates between primaries; a primary SIGKILLed under load, its replica taking
 * over and holds going on; expiry by keyspace notifications from every primary,
 * the promoted one included; then the invariants in PostgreSQL and Redis
 * (docs/redis-cluster.md). */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hold_cache.h"
#include "invariants.h"
#include "test_expiry_common.h"

#define NODES 3
#define PASSWORD "cluster-test-secret"
#define LOAD_THREADS 6
#define LOAD_RESOURCES (2 * NODES)

static harness *stack;
static rpc_client *booking;

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", "search-svc", "expiry-svc", NULL};
    /* as in k8s/overlays/prod: the confirmation's moves wait for their replica */
    static const char *const env[] = {"RECONCILE_INTERVAL_MS=1000", "LOST_HOLD_AFTER_SECONDS=2",
                                      "MAX_HELD_UNITS=100000", "REDIS_WAIT_REPLICAS=1", NULL};
    harness_cluster cluster = {NODES, 1, 2000, PASSWORD};
    stack = harness_start_cluster(services, env, &cluster);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    return harness_stop(stack);
}

/* The cluster node serving a resource's partition now. */
static int node_of_resource(const char *rid)
{
    char tag[16];
    snprintf(tag, sizeof tag, "{p%02d}", hold_partition(rid));
    return harness_redis_node_of(stack, tag);
}

/* Creates a hotel resource whose partition lives on cluster node `node` (ids tried in
 * turn); its id into out. */
static void resource_on_node(int node, const char *name, int capacity, int slot_minutes, int ttl_seconds, char *out,
                             size_t cap)
{
    static int made;
    char id[64];
    int k = 0, serial = made++;
    do
        snprintf(id, sizeof id, "%s-%d-%d", name, serial, k++);
    while (node_of_resource(id) != node && k < 1000);
    assert_int_equal(node_of_resource(id), node);
    make_resource_id(booking, id, name, capacity, slot_minutes, ttl_seconds, out, cap);
}

/* Per node: a hold, its release, a hold confirmed into a booking; the counters move on
 * the right node and the recorder brings every node's hold log to PostgreSQL. */
static void test_holds_and_bookings_on_every_node(void **state)
{
    (void)state;
    int64_t d = day(10);
    for (int node = 0; node < NODES; node++) {
        char rid[80], first[80], second[80], user[16];
        int64_t expires;
        snprintf(user, sizeof user, "node-%d", node);
        resource_on_node(node, "every-node", 6, 1440, 600, rid, sizeof rid);
        assert_int_equal(hold_ms(booking, user, rid, d, d + 2 * 86400, 2, first, sizeof first, &expires), RPC_OK);
        assert_int_equal(counter(stack, rid, d + 86400), 4);
        assert_int_equal(hold_status_of(booking, first), BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE);
        assert_int_equal(release_hold(booking, user, first), RPC_OK);
        assert_int_equal(counter(stack, rid, d), 6);
        assert_int_equal(hold_ms(booking, user, rid, d, d + 86400, 3, second, sizeof second, &expires), RPC_OK);
        assert_int_equal(confirm_hold(booking, user, second, "pm_card_ok"), RPC_OK);
        char night[24];
        snprintf(night, sizeof night, "%lld", (long long)d);
        const char *params[2] = {rid, night};
        assert_int_equal(harness_sql_long(stack, "SELECT confirmed FROM booking.slots WHERE resource_id = $1 "
                                                 "AND slot_start = to_timestamp($2::bigint)", 2, params), 3);
        const char *hp[1] = {second};
        assert_int_equal(wait_sql(stack, "SELECT coalesce(max(status), 0) FROM booking.holds WHERE hold_id = $1", 1,
                                  hp, 3, 10000), 3);
        const char *fp[1] = {first};
        assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.events WHERE subject_id = $1", 1, fp, 2,
                                  10000), 2); /* hold.created, hold.released: from this node's stream */
    }
}

/* 100 clients race for the last 5 units of a resource, on each node in turn. */
static void test_hundred_clients_race_on_every_node(void **state)
{
    (void)state;
    int64_t start = day(6) + 19 * 3600;
    for (int node = 0; node < NODES; node++) {
        char rid[80];
        int ok = 0, exhausted = 0;
        resource_on_node(node, "race", 5, 60, 600, rid, sizeof rid);
        race_for_holds(harness_addr(stack, "booking-svc"), rid, start, start + 3600, 100, &ok, &exhausted);
        assert_int_equal(ok, 5);
        assert_int_equal(exhausted, 95);
        assert_int_equal(counter(stack, rid, start), 0);
    }
}

/* Short holds on every node come back within the expiry lag target: expiry-svc's own
 * measure (release time - expires_at, p99 <= 200 ms), and from outside, units back. */
static void test_expiry_on_every_node(void **state)
{
    (void)state;
    enum { HOLDS = 4 };
    int64_t d = day(12), last_expiry = 0;
    char rid[NODES][80];
    for (int node = 0; node < NODES; node++) {
        resource_on_node(node, "expiring", 10, 1440, 2, rid[node], sizeof rid[node]);
        for (int i = 0; i < HOLDS; i++) {
            char hid[80], user[24];
            int64_t expires;
            snprintf(user, sizeof user, "short-%d-%d", node, i);
            assert_int_equal(hold_ms(booking, user, rid[node], d, d + 86400, 1, hid, sizeof hid, &expires), RPC_OK);
            last_expiry = expires > last_expiry ? expires : last_expiry;
        }
        assert_int_equal(counter(stack, rid[node], d), 10 - HOLDS);
    }
    for (int node = 0; node < NODES; node++)
        assert_true(wait_counter(stack, rid[node], d, 10, 15000) >= 0);
    long late = (long)(wall_ms() - last_expiry);
    print_message("every node's units back %ld ms after the last expires_at\n", late);
    Booking__V1__ExpiryStats *s = expiry_stats(harness_addr(stack, "expiry-svc"));
    print_message("expiry-svc: %llu expired, lag p50 %lld ms, p99 %lld ms\n", (unsigned long long)s->holds_expired,
                  (long long)s->lag_p50_ms, (long long)s->lag_p99_ms);
    assert_true(s->holds_expired >= NODES * HOLDS);
    assert_true(s->lag_p99_ms <= 200);
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

/* ---- a slot migrating: ASK, then MOVED --------------------------------------------------- */

/* A command on one node process (an authenticated connection of its own). */
static redisReply *on_node(int node, const char *fmt, ...)
{
    char err[256];
    redisContext *c = redis_open_endpoint(harness_redis_client(stack), "127.0.0.1",
                                          harness_redis_node_port(stack, node), err, sizeof err);
    assert_non_null(c);
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    return reply;
}

static void node_id(int node, char *out, size_t cap)
{
    redisReply *r = on_node(node, "CLUSTER MYID");
    assert_true(r && r->type == REDIS_REPLY_STRING);
    snprintf(out, cap, "%s", r->str);
    freeReplyObject(r);
}

static void expect_value_of(redis_conn *c, const char *key, const char *value)
{
    redisReply *r = redis_command(c, "GET %s", key);
    assert_non_null(r);
    if (r->type != REDIS_REPLY_STRING)
        fail_msg("GET %s: %s", key, r->type == REDIS_REPLY_ERROR ? r->str : "not a string");
    assert_string_equal(r->str, value);
    freeReplyObject(r);
}

static void ok_reply(redisReply *r)
{
    if (!r || r->type == REDIS_REPLY_ERROR)
        fail_msg("%s", r ? r->str : "no reply");
    freeReplyObject(r);
}

/* A fresh client whose slot table predates the move: keys of a slot migrating from
 * node A to node B are answered ASK (then found through ASKING), scripts are loaded on
 * B when it answers NOSCRIPT, and once the slot is B's, A answers MOVED and the client
 * points the slot at B. The slot is not one of the partitions' {pNN}. */
static void test_client_follows_ask_and_moved(void **state)
{
    (void)state;
    static redis_script counter_script = REDIS_SCRIPT_RETRYABLE("route_test", "return redis.call('INCR', KEYS[1])");
    const char *k1 = "route{zz}:old", *k2 = "route{zz}:new";
    char slot[8], ida[64], idb[64], port[16];
    snprintf(slot, sizeof slot, "%u", redis_key_slot("zz", 2));
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        char tag[8];
        snprintf(tag, sizeof tag, "p%02d", p);
        assert_int_not_equal(redis_key_slot(tag, 3), redis_key_slot("zz", 2));
    }
    redis_conn *c = redis_connect_as(harness_redis_url(stack), NULL, PASSWORD, 2000);
    int a = harness_redis_node_of(stack, k1), b = (a + 1) % NODES; /* nodes 0..2 are the primaries */
    assert_true(a >= 0 && a < NODES);
    ok_reply(redis_command(c, "SET %s %s", k1, "v1"));
    node_id(a, ida, sizeof ida);
    node_id(b, idb, sizeof idb);
    ok_reply(on_node(b, "CLUSTER SETSLOT %s IMPORTING %s", slot, ida));
    ok_reply(on_node(a, "CLUSTER SETSLOT %s MIGRATING %s", slot, idb));
    ok_reply(redis_command(c, "SET %s %s", k2, "v2")); /* not on A: ASK -> B */
    expect_value_of(c, k1, "v1");                       /* still on A */
    snprintf(port, sizeof port, "%d", harness_redis_node_port(stack, b));
    ok_reply(on_node(a, "MIGRATE 127.0.0.1 %s %s 0 5000 AUTH %s KEYS %s", port, "", PASSWORD, k1));
    expect_value_of(c, k1, "v1");                       /* moved: ASK -> B */
    expect_value_of(c, k2, "v2");
    const char *keys[] = {k1};
    redisReply *r = redis_eval(c, &counter_script, 1, 1, keys); /* a string: the script's error, from B */
    assert_true(r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "not an integer"));
    freeReplyObject(r);
    for (int node = NODES; node-- > 0;) /* B first, then A, then the others */
        ok_reply(on_node(node == a ? b : node == b ? a : node, "CLUSTER SETSLOT %s NODE %s", slot, idb));
    expect_value_of(c, k1, "v1");                       /* A: MOVED -> B */
    redis_endpoint at;
    assert_int_equal(redis_key_endpoint(c, k1, &at), 0);
    assert_int_equal(at.port, harness_redis_node_port(stack, b));
    const char *counted[] = {"route{zz}:n"};
    for (int i = 1; i <= 3; i++) {
        r = redis_eval(c, &counter_script, 1, 1, counted);
        assert_true(r && r->type == REDIS_REPLY_INTEGER && r->integer == i);
        freeReplyObject(r);
    }
    ok_reply(redis_command(c, "DEL %s", k1));
    redis_close(c);
}

/* ---- a primary killed under load -------------------------------------------------------- */

typedef struct load {
    char rid[LOAD_RESOURCES][80];
    int victim;                    /* the node killed */
    atomic_int stop, after;        /* after: the cluster is whole again */
    atomic_long ok, failed, ok_after_on_victim;
} load;

typedef struct worker_arg {
    load *l;
    int index;
} worker_arg;

/* Resources 2n and 2n+1 were made on node n. */
static int on_victim(load *l, int r) { return r / 2 == l->victim; }

/* Holds on every resource: most released, one in four confirmed (payment and booking). */
static void *load_worker(void *arg)
{
    worker_arg *a = arg;
    load *l = a->l;
    rpc_client *c = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    unsigned seed = (unsigned)a->index * 7919u + 1;
    char user[32], hid[80];
    snprintf(user, sizeof user, "loader-%d", a->index);
    for (long n = 0; !atomic_load(&l->stop); n++) {
        int r = (int)(rand_r(&seed) % LOAD_RESOURCES), night = 20 + (int)(rand_r(&seed) % 30);
        int64_t d = day(night);
        int after = atomic_load(&l->after);
        rpc_code code = hold(c, user, l->rid[r], d, d + 86400, 1, hid, sizeof hid);
        if (code == RPC_OK)
            code = n % 4 == 0 ? confirm_hold(c, user, hid, "pm_card_ok") : release_hold(c, user, hid);
        if (code == RPC_OK) {
            atomic_fetch_add(&l->ok, 1);
            if (after && on_victim(l, r))
                atomic_fetch_add(&l->ok_after_on_victim, 1);
        } else {
            atomic_fetch_add(&l->failed, 1);
            sleep_ms(20); /* UNAVAILABLE while the cluster fails over: retry a little later */
        }
    }
    rpc_client_free(c);
    return NULL;
}

static void test_primary_killed_under_load(void **state)
{
    (void)state;
    static load l;
    for (int r = 0; r < LOAD_RESOURCES; r++)
        resource_on_node(r / 2, "load", 1000, 1440, 600, l.rid[r], sizeof l.rid[r]);
    /* a primary other than the first node, which REDIS_URL names: services started later
     * still find the cluster through it (in k8s/ REDIS_URL is a Service over every node) */
    l.victim = node_of_resource(l.rid[2]);
    pthread_t threads[LOAD_THREADS];
    worker_arg args[LOAD_THREADS];
    for (int i = 0; i < LOAD_THREADS; i++) {
        args[i] = (worker_arg){&l, i};
        pthread_create(&threads[i], NULL, load_worker, &args[i]);
    }
    sleep_ms(2000);
    long before = atomic_load(&l.ok);
    assert_true(before > 0);
    assert_int_equal(harness_signal_redis_node(stack, l.victim, SIGKILL), 0);
    int64_t killed = wall_ms();
    long whole = harness_wait_cluster(stack, 30000);
    assert_true(whole >= 0);
    print_message("primary %d (port %d) SIGKILLed after %ld operations; its replica serves its slots %ld ms later\n",
                  l.victim, harness_redis_node_port(stack, l.victim), before, whole);
    atomic_store(&l.after, 1);
    int64_t give_up = wall_ms() + 20000;
    while (atomic_load(&l.ok_after_on_victim) < 20 && wall_ms() < give_up)
        sleep_ms(100);
    sleep_ms(1000);
    atomic_store(&l.stop, 1);
    for (int i = 0; i < LOAD_THREADS; i++)
        pthread_join(threads[i], NULL);
    print_message("%ld operations ok (%ld after the failover on the failed node's partitions), %ld failed, in %lld ms\n",
                  atomic_load(&l.ok), atomic_load(&l.ok_after_on_victim), atomic_load(&l.failed),
                  (long long)(wall_ms() - killed));
    assert_true(atomic_load(&l.ok_after_on_victim) >= 20);
    assert_int_not_equal(node_of_resource(l.rid[2]), l.victim);
}

/* PUBSUB NUMSUB of the expired-event channel on every primary; the smallest. */
static long fewest_subscribers(void)
{
    redis_conn *r = harness_redis_client(stack);
    long fewest = -1;
    redis_topology_stale(r);
    for (int node = 0, nodes = redis_node_count(r); node < nodes; node++) {
        redisReply *reply = redis_node_command(r, node, "PUBSUB NUMSUB __keyevent@0__:expired");
        long n = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 ? (long)reply->element[1]->integer
                                                                                  : 0;
        fewest = fewest < 0 || n < fewest ? n : fewest;
        freeReplyObject(reply);
    }
    return fewest;
}

/* With the sweep off, holds on every primary (the promoted replica included) come back
 * through keyspace notifications alone: expiry-svc listens to every primary. */
static void test_notifications_from_every_primary(void **state)
{
    (void)state;
    static const char *const env[] = {"SWEEP_INTERVAL_MS=3600000", NULL};
    assert_int_equal(harness_start_service(stack, "expiry-svc", env), 0);
    int64_t give_up = wall_ms() + 10000, d = day(14);
    while (fewest_subscribers() < 1 && wall_ms() < give_up)
        sleep_ms(50);
    assert_true(fewest_subscribers() >= 1);
    char rid[NODES][80], hid[NODES][80];
    for (int node = 0; node < NODES; node++) {
        int64_t expires;
        char user[24];
        snprintf(user, sizeof user, "notified-%d", node);
        /* the n-th primary now (after the failover one of them is a promoted replica) */
        redis_endpoint at;
        assert_int_equal(redis_node_endpoint(harness_redis_client(stack), node, &at), 0);
        int process = -1;
        for (int i = 0; i < harness_redis_node_count(stack); i++)
            process = harness_redis_node_port(stack, i) == at.port ? i : process;
        resource_on_node(process, "notified", 3, 1440, 2, rid[node], sizeof rid[node]);
        assert_int_equal(hold_ms(booking, user, rid[node], d, d + 86400, 1, hid[node], sizeof hid[node], &expires),
                         RPC_OK);
    }
    for (int node = 0; node < NODES; node++) {
        assert_true(wait_counter(stack, rid[node], d, 3, 10000) >= 0);
        assert_int_equal(wait_status(stack, hid[node], HOLD_EXPIRED, 5000), HOLD_EXPIRED);
        const char *params[1] = {hid[node]};
        assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.events WHERE subject_id = $1 AND "
                                                 "event_type = 'hold.expired' AND metadata->>'path' = 'notification'",
                                          1, params), 1);
    }
    assert_int_equal(harness_start_service(stack, "expiry-svc", NULL), 0);
}

/* After all of it: no unit double-sold, counters reconciled, every event once. */
static void test_invariants_after_failover(void **state)
{
    (void)state;
    invariants_check(stack, 60000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holds_and_bookings_on_every_node),
        cmocka_unit_test(test_hundred_clients_race_on_every_node),
        cmocka_unit_test(test_expiry_on_every_node),
        cmocka_unit_test(test_client_follows_ask_and_moved),
        cmocka_unit_test(test_primary_killed_under_load),
        cmocka_unit_test(test_notifications_from_every_primary),
        cmocka_unit_test(test_invariants_after_failover),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
