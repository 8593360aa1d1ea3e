/* test_idempotency_rules.c — which outcomes an idempotency key replays (final ones) and
 * which it lets run again, and the request fingerprint the key is bound to: equal
 * requests (also when the key travels in the request field) match, any change differs. */
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

/* The fingerprint is the packed request. */
static size_t fingerprint(const Booking__V1__CreateHoldRequest *req, uint8_t *out)
{
    size_t n = booking__v1__create_hold_request__get_packed_size(req);
    assert_true(n < 512);
    booking__v1__create_hold_request__pack(req, out);
    return n;
}

static void test_fingerprint_binds_the_request(void **state)
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
    uint8_t fa[512], fb[512];
    size_t na = fingerprint(&a, fa), nb = fingerprint(&b, fb);
    assert_int_equal(na, nb);
    assert_memory_equal(fa, fb, na);
    b.quantity = 3;
    nb = fingerprint(&b, fb);
    assert_true(na != nb || memcmp(fa, fb, na) != 0);
    b = a;
    b.resource_id = (char *)"hotel-2";
    nb = fingerprint(&b, fb);
    assert_true(na != nb || memcmp(fa, fb, na) != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_final_outcomes_are_replayed),
        cmocka_unit_test(test_fingerprint_binds_the_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
