/* test_idempotency_rules.c — which outcomes an idempotency key replays (final ones) and
 * which it lets run again, and the token a key's record stands for: equal requests
 * under one key match, any change differs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "booking/v1/booking.pb-c.h"
#include "idempotency.h"

static void test_final_outcomes_are_replayed(void **state)
{
    (void)state;
    const rpc_code final[] = {RPC_OK, RPC_INVALID_ARGUMENT, RPC_NOT_FOUND, RPC_ALREADY_EXISTS,
                              RPC_PERMISSION_DENIED, RPC_FAILED_PRECONDITION, RPC_OUT_OF_RANGE};
    const rpc_code retry[] = {RPC_CANCELLED, RPC_UNKNOWN, RPC_DEADLINE_EXCEEDED, RPC_RESOURCE_EXHAUSTED,
                              RPC_ABORTED, RPC_UNIMPLEMENTED, RPC_INTERNAL, RPC_UNAVAILABLE, RPC_DATA_LOSS,
                              RPC_UNAUTHENTICATED};
    for (size_t i = 0; i < sizeof final / sizeof final[0]; i++)
        assert_true(idempotency_code_is_final(final[i]));
    /* availability can come back, a store can come back: these run again */
    for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
        assert_false(idempotency_code_is_final(retry[i]));
}

/* The token a key's record stands for (and that CreateHold and CreateResource name what
 * they create after): the same request under the same key gives the same token, any
 * change of request, key, user or method gives another. */
static void test_token_binds_key_and_request(void **state)
{
    (void)state;
    Google__Protobuf__Timestamp start = GOOGLE__PROTOBUF__TIMESTAMP__INIT, end = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    start.seconds = 1780000000;
    end.seconds = 1780086400;
    Booking__V1__CreateHoldRequest a = BOOKING__V1__CREATE_HOLD_REQUEST__INIT, b;
    a.resource_id = (char *)"hotel-1";
    a.start_time = &start;
    a.end_time = &end;
    a.quantity = 2;
    b = a;
    static const char method[] = "/booking.v1.BookingService/CreateHold";
    char ta[21], tb[21];
    idempotency_token_of("ana", method, "k1", &a.base, ta);
    idempotency_token_of("ana", method, "k1", &b.base, tb);
    assert_string_equal(ta, tb);
    assert_int_equal(strlen(ta), 20);
    b.quantity = 3;
    idempotency_token_of("ana", method, "k1", &b.base, tb);
    assert_string_not_equal(ta, tb);
    b = a;
    b.resource_id = (char *)"hotel-2";
    idempotency_token_of("ana", method, "k1", &b.base, tb);
    assert_string_not_equal(ta, tb);
    idempotency_token_of("ana", method, "k2", &a.base, tb);
    assert_string_not_equal(ta, tb);
    idempotency_token_of("ben", method, "k1", &a.base, tb);
    assert_string_not_equal(ta, tb);
    idempotency_token_of("ana", "/booking.v1.BookingService/ReleaseHold", "k1", &a.base, tb);
    assert_string_not_equal(ta, tb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_final_outcomes_are_replayed),
        cmocka_unit_test(test_token_binds_key_and_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
