/* test_method_table.c — method tables as data: a table must name methods its service
 * descriptor declares, each once and with a handler; a server refuses to start on a bad
 * table (instead of answering UNIMPLEMENTED for a typo forever). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "booking/v1/booking.pb-c.h"
#include "builtin_services.h"
#include "rpc_server.h"

static int handler(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    (void)call, (void)request, (void)response;
    return -1;
}

static void test_builtin_tables_are_valid(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(rpc_service_check(health_service(), err, sizeof err), 0);
    assert_int_equal(rpc_service_check(reflection_service_v1(), err, sizeof err), 0);
    assert_int_equal(rpc_service_check(reflection_service_v1alpha(), err, sizeof err), 0);
}

static void test_bad_tables_are_refused(void **state)
{
    (void)state;
    char err[256];
    const rpc_method typo[] = {{"CreateHolds", handler, RPC_ROLE_CUSTOMER, RPC_UNARY, 0}};
    const rpc_method twice[] = {{"GetHold", handler, RPC_ROLE_CUSTOMER, RPC_UNARY, 0},
                                {"GetHold", handler, RPC_ROLE_CUSTOMER, RPC_UNARY, 0}};
    const rpc_method no_handler[] = {{"GetHold", NULL, RPC_ROLE_CUSTOMER, RPC_UNARY, 0}};
    const rpc_service s1 = {&booking__v1__booking_service__descriptor, typo, 1};
    const rpc_service s2 = {&booking__v1__booking_service__descriptor, twice, 2};
    const rpc_service s3 = {&booking__v1__booking_service__descriptor, no_handler, 1};
    assert_int_equal(rpc_service_check(&s1, err, sizeof err), -1);
    assert_non_null(strstr(err, "CreateHolds"));
    assert_int_equal(rpc_service_check(&s2, err, sizeof err), -1);
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(rpc_service_check(&s3, err, sizeof err), -1);
    assert_non_null(strstr(err, "no handler"));
}

static void test_partial_table_is_valid(void **state)
{
    (void)state;
    char err[256];
    /* methods left out answer UNIMPLEMENTED: a valid table */
    const rpc_method some[] = {{"GetHold", handler, RPC_ROLE_CUSTOMER, RPC_UNARY, 0}};
    const rpc_service s = {&booking__v1__booking_service__descriptor, some, 1};
    assert_int_equal(rpc_service_check(&s, err, sizeof err), 0);
}

static void test_server_refuses_a_bad_table(void **state)
{
    (void)state;
    const rpc_method typo[] = {{"ConfirmBookings", handler, RPC_ROLE_CUSTOMER, RPC_UNARY, 0}};
    const rpc_service svc = {&booking__v1__booking_service__descriptor, typo, 1};
    const rpc_service *services[] = {&svc};
    rpc_server_options opts = {.listen_addr = "127.0.0.1:0", .services = services, .service_count = 1};
    char err[256] = "";
    assert_null(rpc_server_start(&opts, err, sizeof err));
    assert_non_null(strstr(err, "ConfirmBookings"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_tables_are_valid),
        cmocka_unit_test(test_bad_tables_are_refused),
        cmocka_unit_test(test_partial_table_is_valid),
        cmocka_unit_test(test_server_refuses_a_bad_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
