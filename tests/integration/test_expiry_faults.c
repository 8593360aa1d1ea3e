/* test_expiry_faults.c — expiry-svc through faults: SIGKILLed while holds expire and
 * back within a sweep interval; the notification path alone, across a Redis restart;
 * Redis without keyspace notifications (NOT_SERVING, the sweep still releases);
 * background reconciliation of a corrupted counter. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hold_cache.h"
#include "test_expiry_common.h"

#define CRASH_HOLDS 40

static harness *stack;
static rpc_client *booking;

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"booking-svc", "expiry-svc", NULL};
    static const char *const env[] = {"MAX_HELD_UNITS=100000", NULL};
    stack = harness_start(services, env);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    return harness_stop(stack);
}

static long expired_of_resource(const char *rid, const char *what)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM booking.events e JOIN booking.holds h ON h.hold_id = e.subject_id "
             "WHERE h.resource_id = $1 AND e.event_type = 'hold.expired'",
             what);
    const char *params[1] = {rid};
    return harness_sql_long(stack, sql, 1, params);
}

static long wait_expired_rows(const char *rid, long want, long timeout_ms)
{
    const char *params[1] = {rid};
    int64_t give_up = wall_ms() + timeout_ms;
    long n;
    while ((n = harness_sql_long(stack, "SELECT count(*) FROM booking.holds WHERE resource_id = $1 AND status = 5", 1,
                                 params)) != want &&
           wall_ms() < give_up)
        sleep_ms(50);
    return n;
}

/* Creates holds 50 ms apart and SIGKILLs expiry-svc once the first is due. */
static int64_t holds_through_a_crash(const char *rid, int64_t d)
{
    int64_t first = 0, last = 0, expires;
    int killed = 0;
    for (int i = 0; i < CRASH_HOLDS; i++) {
        char user[32], hid[80];
        snprintf(user, sizeof user, "crash-%d", i);
        assert_int_equal(hold_ms(booking, user, rid, d, d + 86400, 1, hid, sizeof hid, &expires), RPC_OK);
        first = first ? first : expires;
        last = expires;
        if (!killed && wall_ms() >= first + 100) {
            assert_int_equal(harness_stop_service(stack, "expiry-svc", SIGKILL), 128 + SIGKILL);
            killed = 1;
        }
        sleep_ms(50);
    }
    if (!killed)
        assert_int_equal(harness_stop_service(stack, "expiry-svc", SIGKILL), 128 + SIGKILL);
    return last;
}

static void test_back_within_a_sweep_interval_after_sigkill(void **state)
{
    (void)state;
    char rid[80];
    int64_t d = day(6);
    make_resource(booking, "Crash Motel", 100, 1440, 2, rid, sizeof rid);
    int64_t last = holds_through_a_crash(rid, d);
    sleep_ms((long)(last - wall_ms()) + 1000);
    long before = counter(stack, rid, d);
    print_message("released before the crash: %ld of %d\n", before - (100 - CRASH_HOLDS), CRASH_HOLDS);
    assert_true(before < 100); /* the rest waits for expiry-svc */
    static const char *const env[] = {"LOST_HOLD_AFTER_SECONDS=1", NULL};
    int64_t t0 = wall_ms();
    assert_int_equal(harness_start_service(stack, "expiry-svc", env), 0);
    int64_t serving_at = wall_ms();
    long waited = wait_counter(stack, rid, d, 100, 5000);
    print_message("restart to SERVING %lld ms; all units back %ld ms after that\n", (long long)(serving_at - t0),
                  waited);
    assert_true(waited >= 0 && waited <= 50 + 500);
    /* a release recorded in Redis but not yet in PostgreSQL at the kill is found by the
     * lost-holds pass (LOST_HOLD_AFTER_SECONDS=1 here) */
    assert_int_equal(run_sweep(harness_addr(stack, "expiry-svc"), NULL, NULL), RPC_OK);
    assert_int_equal(wait_expired_rows(rid, CRASH_HOLDS, 10000), CRASH_HOLDS);
    assert_int_equal(expired_of_resource(rid, "count(*)"), CRASH_HOLDS);
    assert_int_equal(expired_of_resource(rid, "count(DISTINCT e.subject_id)"), CRASH_HOLDS);
}

static const char *event_path(const char *hold_id)
{
    static char path[32];
    const char *params[1] = {hold_id};
    PGresult *r = PQexecParams(harness_db(stack),
                               "SELECT coalesce(max(metadata->>'path'), '') FROM booking.events "
                               "WHERE subject_id = $1 AND event_type = 'hold.expired'",
                               1, NULL, params, NULL, NULL, 0);
    snprintf(path, sizeof path, "%s", PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "?");
    PQclear(r);
    return path;
}

static long subscribers(void)
{
    redisReply *r = redisCommand(harness_redis(stack), "PUBSUB NUMSUB __keyevent@0__:expired");
    long n = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? (long)r->element[1]->integer : -1;
    freeReplyObject(r);
    return n;
}

/* A 2 s hold released by the keyevent notification alone (the sweep is off). */
static void released_by_notification(const char *rid, int64_t d, const char *user)
{
    char hid[80];
    int64_t expires, give_up = wall_ms() + 10000;
    while (subscribers() < 1 && wall_ms() < give_up)
        sleep_ms(50); /* expiry-svc (re)subscribing */
    assert_true(subscribers() >= 1);
    rpc_code code = RPC_UNAVAILABLE;
    for (int attempt = 0; attempt < 50 && code == RPC_UNAVAILABLE; attempt++)
        if ((code = hold_ms(booking, user, rid, d, d + 86400, 1, hid, sizeof hid, &expires)) == RPC_UNAVAILABLE)
            sleep_ms(100); /* booking-svc reconnecting after the Redis restart */
    assert_int_equal(code, RPC_OK);
    assert_int_equal(counter(stack, rid, d), 2);
    assert_true(wait_counter(stack, rid, d, 3, 8000) >= 0);
    print_message("notification path: units back %lld ms after expires_at\n", (long long)(wall_ms() - expires));
    assert_int_equal(wait_status(stack, hid, HOLD_EXPIRED, 5000), HOLD_EXPIRED);
    assert_string_equal(event_path(hid), "notification");
}

static void test_notification_path_survives_a_redis_restart(void **state)
{
    (void)state;
    static const char *const env[] = {"SWEEP_INTERVAL_MS=3600000", NULL};
    char rid[80];
    int64_t d = day(7);
    assert_int_equal(harness_start_service(stack, "expiry-svc", env), 0);
    make_resource(booking, "Notify Inn", 3, 1440, 2, rid, sizeof rid);
    released_by_notification(rid, d, "nora");
    assert_int_equal(harness_restart_redis(stack), 0);
    released_by_notification(rid, d, "nora");
    Booking__V1__ExpiryStats *s = expiry_stats(harness_addr(stack, "expiry-svc"));
    assert_true(s->notifications_received >= 2);
    assert_int_equal(s->holds_expired, 2);
    assert_int_equal(s->holds_swept, 0);
    protobuf_c_message_free_unpacked(&s->base, NULL);
    assert_int_equal(harness_start_service(stack, "expiry-svc", NULL), 0);
}

static int free_port(int from)
{
    for (int port = from;; port++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        if (ok)
            return port;
    }
}

/* Runs an expiry-svc of our own (the harness waits for SERVING, which this one is not). */
static pid_t spawn_expiry(char *addr, size_t cap, const char *log)
{
    char e[6][300];
    int port = free_port(33000 + getpid() % 1000);
    snprintf(addr, cap, "127.0.0.1:%d", port);
    snprintf(e[0], sizeof e[0], "GRPC_LISTEN=%s", addr);
    snprintf(e[1], sizeof e[1], "METRICS_LISTEN=127.0.0.1:%d", free_port(port + 1));
    snprintf(e[2], sizeof e[2], "REDIS_URL=%s", harness_redis_url(stack));
    snprintf(e[3], sizeof e[3], "DATABASE_URL=%s", harness_database_url(stack, "booking_svc"));
    snprintf(e[4], sizeof e[4], "NOTIFY_CHECK_INTERVAL_MS=200");
    snprintf(e[5], sizeof e[5], "ASAN_OPTIONS=%s", getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "");
    char *envp[] = {e[0], e[1], e[2], e[3], e[4], e[5], NULL};
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log, "w", stdout) || dup2(fileno(stdout), STDERR_FILENO) < 0)
            _exit(126);
        execle(EXPIRY_SVC_BIN, EXPIRY_SVC_BIN, (char *)NULL, envp);
        _exit(127);
    }
    return pid;
}

static int wait_health(const char *addr, int want, long timeout_ms)
{
    int64_t give_up = wall_ms() + timeout_ms;
    int st;
    while ((st = serving(addr)) != want && wall_ms() < give_up)
        sleep_ms(50);
    return st;
}

static int log_mentions(const char *log, const char *text)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "grep -q '%s' '%s'", text, log);
    return system(cmd) == 0;
}

static void check_sweep_alone_releases(void)
{
    char rid[80], hid[80];
    int64_t d = day(8), expires;
    make_resource(booking, "Quiet Redis Hotel", 2, 1440, 2, rid, sizeof rid);
    assert_int_equal(hold_ms(booking, "quinn", rid, d, d + 86400, 1, hid, sizeof hid, &expires), RPC_OK);
    assert_true(wait_counter(stack, rid, d, 2, 6000) >= 0); /* released by the sweep alone */
    assert_int_equal(wait_status(stack, hid, HOLD_EXPIRED, 5000), HOLD_EXPIRED);
    assert_string_equal(event_path(hid), "sweep");
}

static void test_without_notifications_not_serving_but_sweeping(void **state)
{
    (void)state;
    char addr[64], log[] = "/tmp/expiry-no-notify-XXXXXX";
    int status = -1, fd = mkstemp(log);
    close(fd);
    assert_int_equal(harness_stop_service(stack, "expiry-svc", SIGTERM), 0);
    redis_int(stack, "CONFIG SET notify-keyspace-events %s", "");
    pid_t pid = spawn_expiry(addr, sizeof addr, log);
    assert_int_equal(wait_health(addr, 0, 15000), 0);
    assert_true(log_mentions(log, "notify-keyspace-events"));
    assert_true(log_mentions(log, "NOT_SERVING"));
    check_sweep_alone_releases();
    redis_int(stack, "CONFIG SET notify-keyspace-events Ex");
    assert_int_equal(wait_health(addr, 1, 5000), 1); /* the periodic check sees it back */
    redis_int(stack, "CONFIG SET notify-keyspace-events %s", "");
    assert_int_equal(wait_health(addr, 0, 5000), 0); /* and gone again */
    redis_int(stack, "CONFIG SET notify-keyspace-events Ex");
    assert_int_equal(wait_health(addr, 1, 5000), 1);
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "tail -n 40 '%s' >&2", log);
        assert_int_equal(system(cmd), 0);
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    unlink(log);
    assert_int_equal(harness_start_service(stack, "expiry-svc", NULL), 0);
}

static void test_background_reconciliation_repairs_a_counter(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONCILE_INTERVAL_MS=300", NULL};
    char rid[80], hid[80];
    int64_t d = day(9), expires;
    assert_int_equal(harness_start_service(stack, "expiry-svc", env), 0);
    make_resource(booking, "Drifting Counter Inn", 8, 1440, 0, rid, sizeof rid);
    assert_int_equal(hold_ms(booking, "rita", rid, d, d + 86400, 3, hid, sizeof hid, &expires), RPC_OK);
    hold_keys k;
    hold_keys_for(&k, rid, NULL);
    assert_int_equal(redis_int(stack, "HINCRBY %s %lld 2", k.avail, (long long)d), 7);
    long waited = wait_counter(stack, rid, d, 5, 5000);
    print_message("corrupted counter repaired after %ld ms\n", waited);
    assert_true(waited >= 0);
    Booking__V1__ExpiryStats *s = expiry_stats(harness_addr(stack, "expiry-svc"));
    assert_true(s->reconcile_mismatches >= 1);
    protobuf_c_message_free_unpacked(&s->base, NULL);
    assert_int_equal(harness_start_service(stack, "expiry-svc", NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_back_within_a_sweep_interval_after_sigkill),
        cmocka_unit_test(test_notification_path_survives_a_redis_restart),
        cmocka_unit_test(test_without_notifications_not_serving_but_sweeping),
        cmocka_unit_test(test_background_reconciliation_repairs_a_counter),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
