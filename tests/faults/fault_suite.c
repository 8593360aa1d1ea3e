/* fault_suite.c — seeded fault runs against the real stack (payment-, booking- and
 * expiry-svc, PostgreSQL, Redis): concurrent booking flows (holds, confirmations with
 * cards that approve, decline or time out, releases, cancellations, abandoned holds,
 * idempotent retries) while faults are injected at random moments — SIGKILL and SIGSTOP
 * of each service, PostgreSQL restarted and stalled, Redis crashed with and without its
 * data and stalled, duplicated and early expiry notifications. After each fault: every
 * hold that was ACTIVE through it can still be confirmed or is refused for good. After
 * the run: every answer a client saw was in the contract (never INTERNAL or UNKNOWN)
 * and the invariants hold (tests/integration/invariants.c).
 *
 * FAULT_SEED replays a run (it prints its seed); FAULT_ROUNDS sets how many faults. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hold_cache.h"
#include "invariants.h"
#include "support.h"

#define WORKERS 6
#define RESOURCES 3
#define MAX_HOLDS 20000
#define SETTLE_MS 90000
#define CALL_TIMEOUT_MS 4000

static harness *stack;
static rpc_client *admin;
static unsigned seed;
static int rounds;
static char resource_ids[RESOURCES][80];

typedef struct ledger {
    atomic_int stop;
    atomic_int codes[17];  /* every answer a client saw, by code */
    pthread_mutex_t lock;
    char (*holds)[80];     /* every hold a client got */
    int count;
} ledger;

static ledger book;

static void saw(rpc_code code) { atomic_fetch_add(&book.codes[code <= 16 ? code : 2], 1); }

static void remember(const char *hold_id)
{
    pthread_mutex_lock(&book.lock);
    if (book.count < MAX_HOLDS)
        snprintf(book.holds[book.count++], 80, "%s", hold_id);
    pthread_mutex_unlock(&book.lock);
}

/* A call as `user` with a short deadline (a stalled service answers DEADLINE_EXCEEDED),
 * retried under the same idempotency key while the answer says "retry". */
static rpc_code call(rpc_client *c, const char *method, const ProtobufCMessage *req, const char *user,
                     const char *key, ProtobufCMessage **resp)
{
    rpc_md md[3] = {{"x-user-id", user}, {"x-user-role", "customer"}, {"idempotency-key", key}};
    rpc_result r;
    rpc_code code = RPC_UNAVAILABLE;
    for (int attempt = 0; attempt < (key ? 3 : 1); attempt++) {
        ProtobufCMessage *out = NULL;
        rpc_client_call(c, method, req, md, key ? 3 : 2, CALL_TIMEOUT_MS, 0, &out, &r);
        code = r.code;
        saw(code);
        if (code == RPC_INTERNAL || code == RPC_UNKNOWN)
            fprintf(stderr, "fault suite: %s answered %s: %s\n", method, rpc_code_name(code), r.message);
        if (resp)
            *resp = out;
        else if (out)
            protobuf_c_message_free_unpacked(out, NULL);
        if (code != RPC_UNAVAILABLE && code != RPC_ABORTED && code != RPC_DEADLINE_EXCEEDED)
            break;
        if (resp && *resp)
            protobuf_c_message_free_unpacked(*resp, NULL), *resp = NULL;
        usleep(100000);
    }
    return code;
}

static void confirm_and_maybe_cancel(rpc_client *c, const char *user, const char *hold_id, const char *card,
                                     unsigned *r)
{
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    req.payment_method_id = (char *)card;
    char key[96];
    snprintf(key, sizeof key, "confirm-%s-%s", hold_id, card);
    ProtobufCMessage *resp = NULL;
    if (call(c, "ConfirmBooking", &req.base, user, rand_r(r) % 2 ? key : NULL, &resp) != RPC_OK || !resp)
        return;
    Booking__V1__CancelBookingRequest cancel = BOOKING__V1__CANCEL_BOOKING_REQUEST__INIT;
    cancel.booking_id = ((Booking__V1__Booking *)resp)->booking_id;
    snprintf(key, sizeof key, "cancel-%s", cancel.booking_id);
    if (rand_r(r) % 2 == 0) /* cancellations keep rooms coming back */
        call(c, "CancelBooking", &cancel.base, user, key, NULL);
    protobuf_c_message_free_unpacked(resp, NULL);
}

/* What a flow does with a hold it got. */
static void use_hold(rpc_client *c, const char *user, const char *hold_id, unsigned *r)
{
    int action = (int)(rand_r(r) % 10);
    if (action < 4) {
        confirm_and_maybe_cancel(c, user, hold_id, "pm_card_ok", r);
    } else if (action == 4) {
        confirm_and_maybe_cancel(c, user, hold_id, "pm_card_declined", r);
        confirm_and_maybe_cancel(c, user, hold_id, "pm_card_ok", r);
    } else if (action == 5) {
        confirm_and_maybe_cancel(c, user, hold_id, "pm_card_timeout", r);
    } else if (action < 8) {
        Booking__V1__ReleaseHoldRequest rel = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
        rel.hold_id = (char *)hold_id;
        char key[96];
        snprintf(key, sizeof key, "release-%s", hold_id);
        call(c, "ReleaseHold", &rel.base, user, rand_r(r) % 2 ? key : NULL, NULL);
    } /* else: abandoned, left to expire */
}

static void *flow_worker(void *arg)
{
    unsigned r = seed + (unsigned)(intptr_t)arg * 7919u;
    rpc_client *c = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    char user[32], key[64];
    snprintf(user, sizeof user, "flow-%d", (int)(intptr_t)arg);
    for (int n = 0; !atomic_load(&book.stop); n++) {
        int night = 1 + (int)(rand_r(&r) % 20), q = 1 + (int)(rand_r(&r) % 2);
        Booking__V1__CreateHoldRequest req =
            hold_request(resource_ids[rand_r(&r) % RESOURCES], day(night), day(night + 1), q);
        snprintf(key, sizeof key, "hold-%s-%d", user, n);
        ProtobufCMessage *resp = NULL;
        if (call(c, "CreateHold", &req.base, user, rand_r(&r) % 3 == 0 ? key : NULL, &resp) == RPC_OK && resp) {
            char hold_id[80];
            snprintf(hold_id, sizeof hold_id, "%s", ((Booking__V1__Hold *)resp)->hold_id);
            protobuf_c_message_free_unpacked(resp, NULL);
            remember(hold_id);
            use_hold(c, user, hold_id, &r);
        } else {
            usleep(50000); /* sold out or a store away */
        }
    }
    rpc_client_free(c);
    return NULL;
}

/* ---- faults ---------------------------------------------------------------------- */

static long pause_ms(unsigned *r, long min, long max) { return min + (long)(rand_r(r) % (unsigned)(max - min + 1)); }

static void sleep_for(long ms) { nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL); }

static const char *const services[] = {"booking-svc", "payment-svc", "expiry-svc"};

static void kill_service(unsigned *r, char *what, size_t cap)
{
    const char *svc = services[rand_r(r) % 3];
    long down = pause_ms(r, 200, 1500);
    snprintf(what, cap, "SIGKILL %s, back after %ld ms", svc, down);
    harness_stop_service(stack, svc, SIGKILL);
    sleep_for(down);
    assert_int_equal(harness_start_service(stack, svc, NULL), 0);
}

static void stop_service(unsigned *r, char *what, size_t cap)
{
    const char *svc = services[rand_r(r) % 3];
    long stalled = pause_ms(r, 500, 3000);
    snprintf(what, cap, "SIGSTOP %s for %ld ms", svc, stalled);
    harness_signal(stack, svc, SIGSTOP);
    sleep_for(stalled);
    harness_signal(stack, svc, SIGCONT);
}

static void restart_postgres(unsigned *r, char *what, size_t cap)
{
    long down = pause_ms(r, 200, 2000);
    snprintf(what, cap, "PostgreSQL restarted (down %ld ms)", down);
    assert_int_equal(harness_stop_postgres(stack), 0);
    sleep_for(down);
    assert_int_equal(harness_start_postgres(stack), 0);
}

static void stall_postgres(unsigned *r, char *what, size_t cap)
{
    long stalled = pause_ms(r, 500, 3000);
    snprintf(what, cap, "PostgreSQL stalled for %ld ms", stalled);
    harness_signal_postgres(stack, SIGSTOP);
    sleep_for(stalled);
    harness_signal_postgres(stack, SIGCONT);
}

static void crash_redis(unsigned *r, char *what, size_t cap)
{
    (void)r;
    snprintf(what, cap, "Redis killed and restarted on its append-only file");
    assert_int_equal(harness_crash_redis(stack), 0);
}

static void lose_redis(unsigned *r, char *what, size_t cap)
{
    (void)r;
    snprintf(what, cap, "Redis restarted with its data gone");
    assert_int_equal(harness_restart_redis(stack), 0);
}

static void stall_redis(unsigned *r, char *what, size_t cap)
{
    long stalled = pause_ms(r, 500, 3000);
    snprintf(what, cap, "Redis stalled for %ld ms", stalled);
    harness_signal_redis(stack, SIGSTOP);
    sleep_for(stalled);
    harness_signal_redis(stack, SIGCONT);
}

/* Expired events for holds that are not due, and for holds already ended: the
 * notification path must change nothing. */
static void false_notifications(unsigned *r, char *what, size_t cap)
{
    int sent = 0;
    pthread_mutex_lock(&book.lock);
    for (int i = book.count - 1; i >= 0 && sent < 50; i--, sent++) {
        int p = hold_id_partition(book.holds[i]);
        redisReply *reply = redisCommand(harness_redis(stack), "PUBLISH __keyevent@0__:expired holdttl:{p%02d}:%s", p,
                                         book.holds[i]);
        freeReplyObject(reply);
    }
    pthread_mutex_unlock(&book.lock);
    snprintf(what, cap, "%d duplicated or early expiry notifications", sent);
    (void)r;
}

typedef void (*fault_fn)(unsigned *r, char *what, size_t cap);
static const fault_fn faults[] = {kill_service,  stop_service, restart_postgres, stall_postgres,
                                  crash_redis,   lose_redis,   stall_redis,      false_notifications};
#define FAULT_KINDS (sizeof faults / sizeof faults[0])

/* After a fault: holds ACTIVE now can be confirmed, or are refused for good (expired,
 * no room) — never left hanging (ABORTED or UNAVAILABLE once the stack is back). */
static void check_confirmable(void)
{
    char ids[8][80];
    int n = 0;
    pthread_mutex_lock(&book.lock);
    for (int i = book.count - 1; i >= 0 && n < 8; i--)
        snprintf(ids[n++], 80, "%s", book.holds[i]);
    pthread_mutex_unlock(&book.lock);
    for (int i = 0; i < n; i++) {
        if (hold_status_of(admin, ids[i]) != BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE)
            continue;
        Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
        req.hold_id = ids[i];
        req.payment_method_id = (char *)"pm_card_ok";
        rpc_code code = RPC_UNAVAILABLE;
        for (int attempt = 0; attempt < 50 && (code == RPC_UNAVAILABLE || code == RPC_ABORTED ||
                                               code == RPC_DEADLINE_EXCEEDED); attempt++) {
            if (attempt)
                sleep_for(200);
            code = call_as(admin, "ConfirmBooking", &req.base, (identity){"ops", "admin", NULL}, NULL, NULL);
        }
        if (code != RPC_OK && code != RPC_FAILED_PRECONDITION)
            fail_msg("seed %u: hold %s cannot be confirmed after the fault: %s", seed, ids[i], rpc_code_name(code));
    }
}

/* Faults are answered with codes of the contract only. */
static void check_answers(void)
{
    static const rpc_code allowed[] = {RPC_OK, RPC_UNAVAILABLE, RPC_ABORTED, RPC_DEADLINE_EXCEEDED,
                                       RPC_FAILED_PRECONDITION, RPC_RESOURCE_EXHAUSTED, RPC_NOT_FOUND};
    for (int code = 0; code <= 16; code++) {
        int n = atomic_load(&book.codes[code]), ok = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            ok |= (int)allowed[i] == code;
        if (n)
            print_message("  %-20s %d\n", rpc_code_name(code), n);
        if (n && !ok)
            fail_msg("seed %u: %d answer(s) %s", seed, n, rpc_code_name(code));
    }
}

static void make_resources(void)
{
    for (int i = 0; i < RESOURCES; i++) {
        Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
        price.currency = (char *)"EUR";
        price.amount_minor = 8000;
        Booking__V1__Resource res = BOOKING__V1__RESOURCE__INIT;
        res.resource_type = BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM;
        res.name = (char *)"Fault hotel";
        res.location = (char *)"Faultville";
        res.capacity = 10;
        res.slot_minutes = 1440;
        res.hold_ttl_seconds = 6; /* holds expire within the run */
        res.base_price = &price;
        Booking__V1__CancellationRule rule = BOOKING__V1__CANCELLATION_RULE__INIT, *rules[1] = {&rule};
        rule.hours_before_start = 0;
        rule.refund_percent = 100;
        res.cancellation_rules = rules;
        res.n_cancellation_rules = 1;
        create_resource_from(admin, &res, resource_ids[i], sizeof resource_ids[i]);
    }
}

static void test_faults(void **state)
{
    (void)state;
    pthread_t workers[WORKERS];
    make_resources();
    for (intptr_t i = 0; i < WORKERS; i++)
        pthread_create(&workers[i], NULL, flow_worker, (void *)i);
    unsigned r = seed;
    for (int round = 0; round < rounds; round++) {
        char what[160];
        sleep_for(pause_ms(&r, 500, 2000));
        faults[rand_r(&r) % FAULT_KINDS](&r, what, sizeof what);
        print_message("seed %u, fault %d/%d: %s\n", seed, round + 1, rounds, what);
        sleep_for(1000); /* back to normal load */
        check_confirmable();
    }
    atomic_store(&book.stop, 1);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i], NULL);
    print_message("seed %u: %d holds; answers:\n", seed, book.count);
    check_answers();
    invariants_check(stack, SETTLE_MS);
}

static int setup(void **state)
{
    (void)state;
    seed = getenv("FAULT_SEED") ? (unsigned)strtoul(getenv("FAULT_SEED"), NULL, 10) : (unsigned)time(NULL);
    rounds = getenv("FAULT_ROUNDS") ? atoi(getenv("FAULT_ROUNDS")) : 8;
    print_message("fault suite: seed %u, %d faults (replay: FAULT_SEED=%u)\n", seed, rounds, seed);
    static const char *const all[] = {"payment-svc", "booking-svc", "expiry-svc", NULL};
    static const char *const env[] = {"CONFIRM_TIMEOUT_SECONDS=3", "RECONCILE_INTERVAL_MS=1000",
                                      "RECORDER_CLAIM_IDLE_MS=1000", "IDEMPOTENCY_LEASE_SECONDS=2",
                                      "PAYMENT_TIMEOUT_MS=1500", "LOST_HOLD_AFTER_SECONDS=5", NULL};
    stack = harness_start(all, env);
    admin = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    book.holds = calloc(MAX_HOLDS, sizeof *book.holds);
    pthread_mutex_init(&book.lock, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(admin);
    free(book.holds);
    return harness_stop(stack);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_faults)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
