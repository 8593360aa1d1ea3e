/* test_expiry_scale.c — 1,000 holds expiring within about a second, with two expiry-svc
 * replicas racing for them: every hold comes back exactly once (counters full, 1,000
 * EXPIRED rows, 1,000 distinct hold.expired events) and the replicas' counts add up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_expiry_common.h"

#define HOLDS 1000
#define RESOURCES 20
#define CAPACITY 60
#define IN_FLIGHT 64

static harness *stack;
static rpc_client *booking;
static char rids[RESOURCES][80];

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"booking-svc", "expiry-svc", NULL};
    static const char *const env[] = {"MAX_HELD_UNITS=1000000", NULL};
    stack = harness_start(services, env);
    if (harness_start_service(stack, "expiry-svc#2", NULL) != 0)
        return -1;
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    return harness_stop(stack);
}

typedef struct creation {
    rpc_queue *q;
    int64_t d, first_exp, last_exp;
    int sent, ok;
    char users[IN_FLIGHT][32];
} creation;

static void start_one(creation *c, int slot)
{
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.resource_id = rids[c->sent % RESOURCES];
    req.start_time = at(c->d);
    req.end_time = at(c->d + 86400);
    req.quantity = 1;
    snprintf(c->users[slot], sizeof c->users[slot], "scale-%d", c->sent % 200);
    rpc_md md[2] = {{"x-user-id", c->users[slot]}, {"x-user-role", "customer"}};
    rpc_client_start(booking, "CreateHold", &req.base, md, 2, 20000, c->q, (void *)(intptr_t)slot);
    c->sent++;
}

static void finish_one(creation *c, rpc_pending *p, int *slot)
{
    ProtobufCMessage *resp = NULL;
    rpc_result res;
    void *tag;
    if (rpc_pending_finish(p, &resp, &res, &tag) == 0) {
        Booking__V1__Hold *h = (Booking__V1__Hold *)resp;
        int64_t exp = h->expires_at->seconds * 1000 + h->expires_at->nanos / 1000000;
        c->first_exp = c->first_exp && c->first_exp < exp ? c->first_exp : exp;
        c->last_exp = exp > c->last_exp ? exp : c->last_exp;
        c->ok++;
        protobuf_c_message_free_unpacked(resp, NULL);
    } else {
        print_message("CreateHold: %s %s\n", rpc_code_name(res.code), res.message);
    }
    *slot = (int)(intptr_t)tag;
}

/* Creates HOLDS holds with IN_FLIGHT calls outstanding. */
static void create_holds(creation *c)
{
    c->q = rpc_queue_new();
    for (int i = 0; i < IN_FLIGHT; i++)
        start_one(c, i);
    for (int done = 0; done < HOLDS; done++) {
        int slot;
        finish_one(c, rpc_queue_next(c->q, -1), &slot);
        if (c->sent < HOLDS)
            start_one(c, slot);
    }
    rpc_queue_free(c->q);
}

static int all_full(int64_t d)
{
    for (int i = 0; i < RESOURCES; i++)
        if (counter(stack, rids[i], d) != CAPACITY)
            return 0;
    return 1;
}

static long rows(const char *sql)
{
    return harness_sql_long(stack, sql, 0, NULL);
}

static void test_thousand_holds_two_replicas_exactly_once(void **state)
{
    (void)state;
    creation c = {.d = day(11)};
    for (int i = 0; i < RESOURCES; i++) {
        char name[32];
        snprintf(name, sizeof name, "Scale Hotel %d", i);
        make_resource(booking, name, CAPACITY, 1440, 3, rids[i], sizeof rids[i]);
    }
    create_holds(&c);
    assert_int_equal(c.ok, HOLDS);
    print_message("%d holds expire over %lld ms\n", HOLDS, (long long)(c.last_exp - c.first_exp));
    while (!all_full(c.d) && wall_ms() < c.last_exp + 10000)
        sleep_ms(10);
    assert_true(all_full(c.d));
    print_message("all units back %lld ms after the last expires_at (the lag target: bench_expiry)\n",
                  (long long)(wall_ms() - c.last_exp));
    int64_t give_up = wall_ms() + 15000;
    while (rows("SELECT count(*) FROM booking.holds WHERE status = 5") < HOLDS && wall_ms() < give_up)
        sleep_ms(50);
    assert_int_equal(rows("SELECT count(*) FROM booking.holds WHERE status = 5"), HOLDS);
    assert_int_equal(rows("SELECT count(*) FROM booking.events WHERE event_type = 'hold.expired'"), HOLDS);
    assert_int_equal(rows("SELECT count(DISTINCT subject_id) FROM booking.events WHERE event_type = 'hold.expired'"),
                     HOLDS);
    Booking__V1__ExpiryStats *a = expiry_stats(harness_addr(stack, "expiry-svc"));
    Booking__V1__ExpiryStats *b = expiry_stats(harness_addr(stack, "expiry-svc#2"));
    print_message("replica 1: %lld expired (p99 %.1f ms), replica 2: %lld expired (p99 %.1f ms)\n",
                  (long long)a->holds_expired, a->lag_p99_ms, (long long)b->holds_expired, b->lag_p99_ms);
    assert_int_equal(a->holds_expired + b->holds_expired, HOLDS);
    protobuf_c_message_free_unpacked(&a->base, NULL);
    protobuf_c_message_free_unpacked(&b->base, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thousand_holds_two_replicas_exactly_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
