/* test_foundation.c — the runtime end to end against the real service binaries: health
 * (and store outages), UNIMPLEMENTED, malformed input, status details, metrics,
 * graceful shutdown. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "booking/v1/booking.pb-c.h"
#include "booking/v1/payment.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "harness.h"
#include "rpc_client.h"

static harness *stack;
static const char *const all_services[] = {"payment-svc", "booking-svc", "search-svc", "expiry-svc", NULL};

typedef Grpc__Health__V1__HealthCheckResponse__ServingStatus serving_status;

/* Health/Check of `service` on addr: the status, or -(gRPC code) on failure. */
static int health(const char *addr, const char *service)
{
    rpc_client *c = rpc_client_new(addr, &grpc__health__v1__health__descriptor);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    int rc = rpc_client_call(c, "Check", &req.base, NULL, 0, 3000, 0, &resp, &r);
    int out = rc == 0 ? (int)((Grpc__Health__V1__HealthCheckResponse *)resp)->status : -(int)r.code;
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    rpc_client_free(c);
    return out;
}

static int setup(void **state)
{
    (void)state;
    stack = harness_start(all_services, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return harness_stop(stack);
}

static void test_every_service_serving(void **state)
{
    (void)state;
    static const char *const names[] = {"booking.v1.PaymentService", "booking.v1.BookingService",
                                        "booking.v1.SearchService", "booking.v1.ExpiryService"};
    for (int i = 0; i < 4; i++) {
        const char *addr = harness_addr(stack, all_services[i]);
        assert_int_equal(health(addr, ""), GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        assert_int_equal(health(addr, names[i]), GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        assert_int_equal(health(addr, "liveness"), GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        assert_int_equal(health(addr, "booking.v1.NoSuchService"), -RPC_NOT_FOUND);
    }
    /* a service does not claim another's name */
    assert_int_equal(health(harness_addr(stack, "search-svc"), "booking.v1.BookingService"), -RPC_NOT_FOUND);
}

static void test_store_outage_turns_health_not_serving(void **state)
{
    (void)state;
    const char *addr = harness_addr(stack, "booking-svc");
    assert_int_equal(harness_restart_redis(stack), 0); /* data gone, same port: reconnect */
    assert_int_equal(health(addr, ""), GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);

    redisReply *reply = redisCommand(harness_redis(stack), "SHUTDOWN NOSAVE");
    if (reply)
        freeReplyObject(reply);
    /* each worker answers from its own connections: every one must see the outage */
    for (int i = 0; i < 8; i++)
        assert_int_equal(health(addr, "booking.v1.BookingService"),
                         GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
    assert_int_equal(health(addr, "liveness"), GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    /* payment-svc has no Redis: unaffected */
    assert_int_equal(health(harness_addr(stack, "payment-svc"), ""),
                     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    assert_int_equal(harness_restart_redis(stack), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(health(addr, ""), GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}

static void test_postgres_restart_is_survived(void **state)
{
    (void)state;
    const char *addr = harness_addr(stack, "payment-svc");
    assert_int_equal(harness_stop_postgres(stack), 0);
    for (int i = 0; i < 8; i++) /* every handler thread sees it on its own connection */
        assert_int_equal(health(addr, "booking.v1.PaymentService"),
                         GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
    assert_int_equal(health(addr, "liveness"), GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    assert_int_equal(harness_start_postgres(stack), 0);
    for (int i = 0; i < 16; i++) /* and each one reconnects */
        assert_int_equal(health(addr, ""), GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}

static void test_unimplemented_and_unknown_methods(void **state)
{
    (void)state;
    rpc_client *c = rpc_client_new(harness_addr(stack, "expiry-svc"), &booking__v1__booking_service__descriptor);
    Booking__V1__GetHoldRequest req = BOOKING__V1__GET_HOLD_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    /* expiry-svc does not host BookingService: unknown method */
    assert_int_equal(rpc_client_call(c, "GetHold", &req.base, NULL, 0, 3000, 0, &resp, &r), -1);
    assert_int_equal(r.code, RPC_UNIMPLEMENTED);
    assert_non_null(strstr(r.message, "/booking.v1.BookingService/GetHold"));
    assert_string_equal(r.info.reason, "UNKNOWN_METHOD");
    rpc_client_free(c);
}

static void test_malformed_request_is_invalid_argument(void **state)
{
    (void)state;
    const char *addr = harness_addr(stack, "search-svc");
    rpc_client *c = rpc_client_new(addr, &grpc__health__v1__health__descriptor);
    /* field 1 of HealthCheckRequest is a string; send it as a varint */
    Booking__V1__SetInventoryResponse wrong = BOOKING__V1__SET_INVENTORY_RESPONSE__INIT;
    wrong.slots_updated = 7;
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    assert_int_equal(rpc_client_call(c, "Check", &wrong.base, NULL, 0, 3000, 0, &resp, &r), -1);
    assert_int_equal(r.code, RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.reason, "MALFORMED_MESSAGE");
    rpc_client_free(c);
    assert_int_equal(health(addr, ""), GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}

#define CHECK_LABELS "grpc_service=\"grpc.health.v1.Health\",grpc_method=\"Check\",grpc_type=\"unary\""

static void test_metrics_count_calls_by_code(void **state)
{
    (void)state;
    const char *series = "grpc_server_handled_total{" CHECK_LABELS ",grpc_code=\"NotFound\"} "; /* go-grpc-prometheus code names */
    const char *addr = harness_addr(stack, "payment-svc");
    health(addr, "booking.v1.NoSuchService");
    char *before = harness_metrics(stack, "payment-svc");
    for (int i = 0; i < 3; i++)
        health(addr, "booking.v1.NoSuchService");
    char *body = harness_metrics(stack, "payment-svc");
    assert_non_null(before);
    assert_non_null(body);
    assert_non_null(strstr(body, "HTTP/1.0 200 OK"));
    assert_int_equal(harness_metric_value(body, series), harness_metric_value(before, series) + 3);
    free(before);
    assert_true(harness_metric_value(body, "grpc_server_handling_seconds_count{" CHECK_LABELS "} ") >= 4);
    assert_non_null(strstr(body, "grpc_method=\"AuthorizePayment\""));
    free(body);
}

static void *hammer(void *arg)
{
    const char *addr = arg;
    for (int i = 0; i < 50; i++)
        if (health(addr, "") != GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
            return (void *)1;
    return NULL;
}

static void test_concurrent_clients(void **state)
{
    (void)state;
    pthread_t threads[8];
    const char *addr = harness_addr(stack, "booking-svc");
    for (int i = 0; i < 8; i++)
        pthread_create(&threads[i], NULL, hammer, (void *)addr);
    for (int i = 0; i < 8; i++) {
        void *failed;
        pthread_join(threads[i], &failed);
        assert_null(failed);
    }
}

static void test_sigterm_drains_and_exits_zero(void **state)
{
    (void)state;
    /* an open Watch stream must not hold the shutdown beyond the drain of unary calls */
    rpc_client *c = rpc_client_new(harness_addr(stack, "search-svc"), &grpc__health__v1__health__descriptor);
    rpc_queue *q = rpc_queue_new();
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    rpc_pending *watch = rpc_client_start(c, "Watch", &req.base, NULL, 0, 60000, q, NULL);
    assert_non_null(watch);
    usleep(200000);
    assert_int_equal(harness_stop_service(stack, "search-svc", SIGTERM), 0);
    rpc_pending *done = rpc_queue_next(q, 5000);
    assert_ptr_equal(done, watch);
    rpc_result r;
    ProtobufCMessage *resp = NULL;
    rpc_pending_finish(done, &resp, &r, NULL);
    assert_int_not_equal(r.code, RPC_OK); /* the stream was ended by the server, not completed */
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    rpc_queue_free(q);
    rpc_client_free(c);
    assert_int_equal(harness_start_service(stack, "search-svc", NULL), 0);
}

typedef struct slow_call {
    const char *addr;
    rpc_code code;
} slow_call;

static void *authorize_slowly(void *arg)
{
    slow_call *c = arg;
    rpc_client *client = rpc_client_new(c->addr, &booking__v1__payment_service__descriptor);
    Booking__V1__Money amount = BOOKING__V1__MONEY__INIT;
    amount.currency = (char *)"EUR";
    amount.amount_minor = 1500;
    Booking__V1__AuthorizePaymentRequest req = BOOKING__V1__AUTHORIZE_PAYMENT_REQUEST__INIT;
    req.payment_method_id = (char *)"pm_card_ok";
    req.amount = &amount;
    req.reference = (char *)"drain-test";
    rpc_result r;
    rpc_md md[2] = {{"x-user-id", "booking-svc"}, {"x-user-role", "service"}}; /* payment-svc serves services */
    rpc_client_call(client, "AuthorizePayment", &req.base, md, 2, 10000, 0, NULL, &r);
    c->code = r.code;
    rpc_client_free(client);
    return NULL;
}

/* SIGTERM while a unary call is in flight: the call still completes, then exit 0. */
static void test_sigterm_lets_calls_in_flight_finish(void **state)
{
    (void)state;
    static const char *const slow[] = {"SANDBOX_LATENCY_MS=1500", NULL};
    assert_int_equal(harness_start_service(stack, "payment-svc", slow), 0);
    slow_call c = {harness_addr(stack, "payment-svc"), RPC_UNKNOWN};
    pthread_t t;
    pthread_create(&t, NULL, authorize_slowly, &c);
    usleep(400000);
    assert_int_equal(harness_stop_service(stack, "payment-svc", SIGTERM), 0);
    pthread_join(t, NULL);
    assert_int_equal(c.code, RPC_OK);
    assert_int_equal(harness_start_service(stack, "payment-svc", NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_service_serving),
        cmocka_unit_test(test_unimplemented_and_unknown_methods),
        cmocka_unit_test(test_malformed_request_is_invalid_argument),
        cmocka_unit_test(test_concurrent_clients),
        cmocka_unit_test(test_metrics_count_calls_by_code),
        cmocka_unit_test(test_store_outage_turns_health_not_serving),
        cmocka_unit_test(test_postgres_restart_is_survived),
        cmocka_unit_test(test_sigterm_drains_and_exits_zero),
        cmocka_unit_test(test_sigterm_lets_calls_in_flight_finish),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
