/* test_rpc_call.c — per-call identity and policy: reading request metadata (identity,
 * idempotency key, request id, deadline), role checks, and the failure status a
 * handler sets. Calls are built by hand; no server runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "booking/v1/booking.pb-c.h"
#include "rpc.h"
#include "rpc_internal.h"

/* ---- helpers ---- */

static int call_setup(void **state)
{
    rpc_call *call = calloc(1, sizeof *call);
    if (!call)
        return -1;
    arena_init(&call->mem);
    rpc_call_reset(call);
    *state = call;
    return 0;
}

static int call_teardown(void **state)
{
    rpc_call *call = *state;
    arena_free(&call->mem);
    free(call);
    return 0;
}

#define MAX_MD 8

/* Request metadata as the core hands it over; keys/values point at static strings. */
typedef struct md_builder {
    grpc_metadata items[MAX_MD];
    grpc_metadata_array array;
} md_builder;

static void md_add_bytes(md_builder *b, const char *key, const void *value, size_t len)
{
    assert_true(b->array.count < MAX_MD);
    grpc_metadata *m = &b->items[b->array.count++];
    memset(m, 0, sizeof *m);
    m->key = grpc_slice_from_static_string(key);
    m->value = grpc_slice_from_static_buffer(value, len);
    b->array.metadata = b->items;
    b->array.capacity = MAX_MD;
}

static void md_add(md_builder *b, const char *key, const char *value)
{
    md_add_bytes(b, key, value, strlen(value));
}

static void read_md(rpc_call *call, md_builder *b)
{
    b->array.metadata = b->items;
    rpc_call_read_metadata(call, &b->array, gpr_inf_future(GPR_CLOCK_REALTIME));
}

/* Reads a call whose only metadata is x-request-id: value. */
static const char *request_id_for(rpc_call *call, const char *value)
{
    md_builder b = {0};
    md_add(&b, "x-request-id", value);
    rpc_call_reset(call);
    read_md(call, &b);
    return rpc_request_id(call);
}

static int is_generated_id(const char *id)
{
    if (strlen(id) != 20)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static void identity(rpc_call *call, const char *user_id, const char *role)
{
    call->user_id = user_id;
    call->role = role;
}

/* ---- authorization ---- */

static void test_authorize_without_user_is_unauthenticated(void **state)
{
    rpc_call *call = *state;
    identity(call, "", "admin");
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_CUSTOMER), -1);
    assert_int_equal(rpc_status_code(call), RPC_UNAUTHENTICATED);
    assert_string_equal(call->info.reason, "MISSING_IDENTITY");
    assert_non_null(strstr(rpc_status_message(call), "x-user-id"));

    rpc_call_reset(call);
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_ADMIN), -1);
    assert_int_equal(rpc_status_code(call), RPC_UNAUTHENTICATED);
    assert_string_equal(call->info.reason, "MISSING_IDENTITY");
}

static void test_authorize_customer_on_admin_method_is_denied(void **state)
{
    rpc_call *call = *state;
    identity(call, "u-1", "customer");
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_ADMIN), -1);
    assert_int_equal(rpc_status_code(call), RPC_PERMISSION_DENIED);
    assert_string_equal(call->info.reason, "ADMIN_REQUIRED");
}

static void test_authorize_unknown_role_is_denied(void **state)
{
    rpc_call *call = *state;
    identity(call, "u-1", "superuser");
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_CUSTOMER), -1);
    assert_int_equal(rpc_status_code(call), RPC_PERMISSION_DENIED);
    assert_string_equal(call->info.reason, "UNKNOWN_ROLE");
    assert_non_null(strstr(rpc_status_message(call), "superuser"));

    rpc_call_reset(call);
    identity(call, "u-1", "superuser");
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_ADMIN), -1);
    assert_int_equal(rpc_status_code(call), RPC_PERMISSION_DENIED);
}

static void test_authorize_admin_may_call_everything(void **state)
{
    rpc_call *call = *state;
    identity(call, "ops-1", "admin");
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_ADMIN), 0);
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_CUSTOMER), 0);
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_NONE), 0);
    assert_int_equal(rpc_status_code(call), RPC_OK);
    assert_true(rpc_is_admin(call));
}

static void test_authorize_customer_on_customer_method(void **state)
{
    rpc_call *call = *state;
    identity(call, "u-1", "customer");
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_CUSTOMER), 0);
    assert_int_equal(rpc_status_code(call), RPC_OK);
    assert_false(rpc_is_admin(call));
}

static void test_authorize_role_none_needs_no_identity(void **state)
{
    rpc_call *call = *state;
    assert_string_equal(rpc_user_id(call), "");
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_NONE), 0);
    assert_int_equal(rpc_status_code(call), RPC_OK);
    assert_string_equal(rpc_status_message(call), "");
    identity(call, "u-1", "nonsense");  /* not even checked */
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_NONE), 0);
    assert_int_equal(rpc_status_code(call), RPC_OK);
}

/* x-user-id without x-user-role: a customer. */
static void test_missing_role_defaults_to_customer(void **state)
{
    rpc_call *call = *state;
    md_builder b = {0};
    md_add(&b, "x-user-id", "u-42");
    read_md(call, &b);
    assert_string_equal(rpc_user_id(call), "u-42");
    assert_string_equal(rpc_user_role(call), "");
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_CUSTOMER), 0);
    assert_int_equal(rpc_status_code(call), RPC_OK);
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_ADMIN), -1);
    assert_int_equal(rpc_status_code(call), RPC_PERMISSION_DENIED);
    assert_string_equal(call->info.reason, "ADMIN_REQUIRED");
}

static void test_admin_identity_from_metadata(void **state)
{
    rpc_call *call = *state;
    md_builder b = {0};
    md_add(&b, "x-user-id", "ops-1");
    md_add(&b, "x-user-role", "admin");
    read_md(call, &b);
    assert_int_equal(rpc_call_authorize(call, RPC_ROLE_ADMIN), 0);
    assert_int_equal(rpc_status_code(call), RPC_OK);
}

/* ---- failures ---- */

static void test_invalid_argument_names_the_field(void **state)
{
    rpc_call *call = *state;
    assert_int_equal(rpc_invalid_argument(call, "quantity", "must be between 1 and %d", 10), -1);
    assert_int_equal(rpc_status_code(call), RPC_INVALID_ARGUMENT);
    assert_string_equal(rpc_status_message(call), "quantity: must be between 1 and 10");
    assert_int_equal(call->info.meta_count, 1);
    assert_string_equal(call->info.meta_key[0], "field");
    assert_string_equal(call->info.meta_value[0], "quantity");
    assert_string_not_equal(call->info.reason, "");
}

/* What the client receives for an invalid field, after the wire encoding. */
static void test_invalid_argument_survives_status_details(void **state)
{
    rpc_call *call = *state;
    rpc_invalid_argument(call, "start_time", "is in the past");
    uint8_t *buf;
    size_t len;
    assert_int_equal(rpc_status_details_pack(call->code, call->message, &call->info, &buf, &len), 0);
    int code;
    char message[128];
    rpc_error_info info;
    assert_int_equal(rpc_status_details_unpack(buf, len, &code, message, sizeof message, &info), 0);
    assert_int_equal(code, RPC_INVALID_ARGUMENT);
    assert_string_equal(message, "start_time: is in the past");
    assert_string_equal(info.meta_key[0], "field");
    assert_string_equal(info.meta_value[0], "start_time");
    free(buf);
}

static void test_fail_sets_code_reason_and_details(void **state)
{
    rpc_call *call = *state;
    assert_int_equal(rpc_fail(call, RPC_FAILED_PRECONDITION, "INSUFFICIENT_AVAILABILITY",
                              "only %d of %s left", 2, "room-7"), -1);
    rpc_error_detail(call, "available", "2");
    assert_int_equal(rpc_status_code(call), RPC_FAILED_PRECONDITION);
    assert_string_equal(rpc_status_message(call), "only 2 of room-7 left");
    assert_string_equal(call->info.reason, "INSUFFICIENT_AVAILABILITY");
    assert_int_equal(call->info.meta_count, 1);
    assert_string_equal(call->info.meta_key[0], "available");
}

/* A failure never goes out as OK; without a reason the code's name is used. The
 * reason of rpc_fail(RPC_OK, NULL, ...) is left unasserted: rpc_vfail names it after
 * the code passed in, so it reads "OK" while the status is UNKNOWN. */
static void test_fail_with_ok_becomes_unknown(void **state)
{
    rpc_call *call = *state;
    assert_int_equal(rpc_fail(call, RPC_OK, NULL, "oops"), -1);
    assert_int_equal(rpc_status_code(call), RPC_UNKNOWN);
    assert_string_equal(rpc_status_message(call), "oops");
    rpc_fail(call, RPC_NOT_FOUND, NULL, "no hold");
    assert_int_equal(rpc_status_code(call), RPC_NOT_FOUND);
    assert_string_equal(call->info.reason, "NOT_FOUND");
}

/* A later failure replaces the earlier one, details included. */
static void test_second_fail_replaces_first(void **state)
{
    rpc_call *call = *state;
    rpc_invalid_argument(call, "quantity", "bad");
    rpc_fail(call, RPC_INTERNAL, "STORE_ERROR", "database unavailable");
    assert_int_equal(rpc_status_code(call), RPC_INTERNAL);
    assert_string_equal(rpc_status_message(call), "database unavailable");
    assert_string_equal(call->info.reason, "STORE_ERROR");
    assert_int_equal(call->info.meta_count, 0);
}

static void test_reset_clears_status_and_identity(void **state)
{
    rpc_call *call = *state;
    md_builder b = {0};
    md_add(&b, "x-user-id", "u-1");
    md_add(&b, "x-tenant", "t-1");
    read_md(call, &b);
    rpc_invalid_argument(call, "quantity", "bad");
    rpc_call_reset(call);
    assert_int_equal(rpc_status_code(call), RPC_OK);
    assert_string_equal(rpc_status_message(call), "");
    assert_int_equal(call->info.meta_count, 0);
    assert_string_equal(call->info.reason, "");
    assert_string_equal(rpc_user_id(call), "");
    assert_null(rpc_metadata(call, "x-tenant"));
    assert_int_equal(rpc_deadline_left_ms(call), INT64_MAX);
}

/* ---- idempotency key ---- */

static void test_idempotency_key_from_request_field(void **state)
{
    rpc_call *call = *state;
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.idempotency_key = (char *)"idem-body";
    call->request = &req.base;
    assert_string_equal(rpc_idempotency_key(call), "idem-body");
}

static void test_idempotency_key_prefers_metadata(void **state)
{
    rpc_call *call = *state;
    md_builder b = {0};
    md_add(&b, "idempotency-key", "idem-header");
    read_md(call, &b);
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.idempotency_key = (char *)"idem-body";
    call->request = &req.base;
    assert_string_equal(rpc_idempotency_key(call), "idem-header");
}

static void test_idempotency_key_absent(void **state)
{
    rpc_call *call = *state;
    assert_string_equal(rpc_idempotency_key(call), "");  /* no request yet */
    Booking__V1__CreateHoldRequest empty = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    call->request = &empty.base;
    assert_string_equal(rpc_idempotency_key(call), "");
    Booking__V1__GetHoldRequest other = BOOKING__V1__GET_HOLD_REQUEST__INIT;
    other.hold_id = (char *)"h-1";
    call->request = &other.base;  /* message without the field */
    assert_string_equal(rpc_idempotency_key(call), "");
}

/* ---- metadata ---- */

static void test_read_metadata_identity_and_keys(void **state)
{
    rpc_call *call = *state;
    md_builder b = {0};
    md_add(&b, "x-user-id", "u-7");
    md_add(&b, "x-user-role", "customer");
    md_add(&b, "idempotency-key", "k-1");
    md_add(&b, "x-request-id", "req-abc-123");
    md_add(&b, "x-tenant", "acme");
    read_md(call, &b);
    assert_string_equal(rpc_user_id(call), "u-7");
    assert_string_equal(rpc_user_role(call), "customer");
    assert_string_equal(rpc_idempotency_key(call), "k-1");
    assert_string_equal(rpc_request_id(call), "req-abc-123");
    assert_string_equal(rpc_metadata(call, "x-tenant"), "acme");
    assert_string_equal(rpc_metadata(call, "x-user-id"), "u-7");
    assert_null(rpc_metadata(call, "x-missing"));
}

/* Values are copied into the call: the core's buffers may go away. */
static void test_read_metadata_copies_values(void **state)
{
    rpc_call *call = *state;
    char user[] = "u-8";
    md_builder b = {0};
    md_add_bytes(&b, "x-user-id", user, 3);
    read_md(call, &b);
    user[0] = 'X';
    assert_string_equal(rpc_user_id(call), "u-8");
}

static void test_read_metadata_skips_binary_keys(void **state)
{
    rpc_call *call = *state;
    static const unsigned char trace[] = {0x00, 0x01, 0xff, 0x00};
    md_builder b = {0};
    md_add_bytes(&b, "grpc-trace-bin", trace, sizeof trace);
    md_add_bytes(&b, "x-user-id-bin", "u-evil", 6);
    md_add(&b, "x-user-id", "u-9");
    read_md(call, &b);
    assert_null(rpc_metadata(call, "grpc-trace-bin"));
    assert_null(rpc_metadata(call, "x-user-id-bin"));
    assert_int_equal(call->metadata_count, 1);
    assert_string_equal(rpc_user_id(call), "u-9");
}

static void test_read_metadata_without_entries(void **state)
{
    rpc_call *call = *state;
    md_builder b = {0};
    read_md(call, &b);
    assert_string_equal(rpc_user_id(call), "");
    assert_string_equal(rpc_user_role(call), "");
    assert_string_equal(rpc_idempotency_key(call), "");
    assert_true(is_generated_id(rpc_request_id(call)));
    assert_int_equal(call->metadata_count, 0);
}

/* ---- request ids ---- */

static void test_request_id_kept_when_printable(void **state)
{
    rpc_call *call = *state;
    char longest[65];
    memset(longest, 'r', 64);
    longest[64] = '\0';
    assert_string_equal(request_id_for(call, "0af7651916cd43dd8448eb211c80319c"),
                        "0af7651916cd43dd8448eb211c80319c");
    assert_string_equal(request_id_for(call, longest), longest);
    assert_string_equal(request_id_for(call, "a"), "a");
}

static void test_request_id_replaced_when_bad(void **state)
{
    rpc_call *call = *state;
    char overlong[66];
    memset(overlong, 'r', 65);
    overlong[65] = '\0';
    const char *const bad[] = {overlong, "", "has space", "quote\"d", "back\\slash", "tab\there",
                               "new\nline", "del\x7f", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *id = request_id_for(call, bad[i]);
        if (!is_generated_id(id))
            fail_msg("x-request-id #%zu gave \"%s\", want a generated id", i, id);
    }
}

static void test_generated_request_ids_differ(void **state)
{
    rpc_call *call = *state;
    md_builder b = {0};
    char first[32];
    read_md(call, &b);
    snprintf(first, sizeof first, "%s", rpc_request_id(call));
    rpc_call_reset(call);
    read_md(call, &b);
    assert_true(is_generated_id(first));
    assert_true(is_generated_id(rpc_request_id(call)));
    assert_string_not_equal(first, rpc_request_id(call));
}

/* ---- deadline ---- */

static void test_deadline_none_and_finite(void **state)
{
    rpc_call *call = *state;
    md_builder b = {0};
    b.array.metadata = b.items;
    rpc_call_read_metadata(call, &b.array, gpr_inf_future(GPR_CLOCK_REALTIME));
    assert_int_equal(rpc_deadline_left_ms(call), INT64_MAX);

    rpc_call_reset(call);
    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(5000, GPR_TIMESPAN));
    rpc_call_read_metadata(call, &b.array, deadline);
    int64_t left = rpc_deadline_left_ms(call);
    if (left <= 4000 || left > 5000)
        fail_msg("deadline left %lld ms, want about 5000", (long long)left);

    rpc_call_reset(call);
    deadline = gpr_time_sub(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(1000, GPR_TIMESPAN));
    rpc_call_read_metadata(call, &b.array, deadline);
    assert_true(rpc_deadline_left_ms(call) < 0);
}

/* ---- per-call memory ---- */

static void test_call_memory_helpers(void **state)
{
    rpc_call *call = *state;
    unsigned char *zeroed = rpc_alloc(call, 100);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(zeroed[i], 0);
    assert_string_equal(rpc_strdup(call, NULL), "");
    assert_string_equal(rpc_strdup(call, "hold"), "hold");
    assert_string_equal(rpc_sprintf(call, "%s-%03d", "h", 7), "h-007");
    char big[3000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char *s = rpc_sprintf(call, "%s|%s", big, big);
    assert_int_equal(strlen(s), 2 * (sizeof big - 1) + 1);
    Booking__V1__CreateHoldRequest *req =
        RPC_NEW(call, Booking__V1__CreateHoldRequest, booking__v1__create_hold_request__init);
    assert_ptr_equal(req->base.descriptor, &booking__v1__create_hold_request__descriptor);
}

/* ---- deferred work ---- */

typedef struct deferred_mark {
    char *log;
    char mark;
} deferred_mark;

static void append_mark(void *arg)
{
    deferred_mark *m = arg;
    size_t n = strlen(m->log);
    m->log[n] = m->mark;
    m->log[n + 1] = '\0';
}

/* Deferred work runs once, last registered first; a full list refuses more. */
static void test_deferred_work_runs_once_in_reverse(void **state)
{
    rpc_call *call = *state;
    char log[16] = "";
    deferred_mark marks[RPC_DEFER_MAX + 1];
    for (int i = 0; i <= RPC_DEFER_MAX; i++)
        marks[i] = (deferred_mark){log, (char)('a' + i)};
    for (int i = 0; i < RPC_DEFER_MAX; i++)
        assert_int_equal(rpc_defer(call, append_mark, &marks[i]), 0);
    assert_int_equal(rpc_defer(call, append_mark, &marks[RPC_DEFER_MAX]), -1);
    rpc_call_run_deferred(call);
    assert_string_equal(log, "dcba");
    rpc_call_run_deferred(call);
    rpc_call_reset(call);
    assert_string_equal(log, "dcba"); /* nothing runs twice */
}

#define CALL_TEST(fn) cmocka_unit_test_setup_teardown(fn, call_setup, call_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        CALL_TEST(test_deferred_work_runs_once_in_reverse),
        CALL_TEST(test_authorize_without_user_is_unauthenticated),
        CALL_TEST(test_authorize_customer_on_admin_method_is_denied),
        CALL_TEST(test_authorize_unknown_role_is_denied),
        CALL_TEST(test_authorize_admin_may_call_everything),
        CALL_TEST(test_authorize_customer_on_customer_method),
        CALL_TEST(test_authorize_role_none_needs_no_identity),
        CALL_TEST(test_missing_role_defaults_to_customer),
        CALL_TEST(test_admin_identity_from_metadata),
        CALL_TEST(test_invalid_argument_names_the_field),
        CALL_TEST(test_invalid_argument_survives_status_details),
        CALL_TEST(test_fail_sets_code_reason_and_details),
        CALL_TEST(test_fail_with_ok_becomes_unknown),
        CALL_TEST(test_second_fail_replaces_first),
        CALL_TEST(test_reset_clears_status_and_identity),
        CALL_TEST(test_idempotency_key_from_request_field),
        CALL_TEST(test_idempotency_key_prefers_metadata),
        CALL_TEST(test_idempotency_key_absent),
        CALL_TEST(test_read_metadata_identity_and_keys),
        CALL_TEST(test_read_metadata_copies_values),
        CALL_TEST(test_read_metadata_skips_binary_keys),
        CALL_TEST(test_read_metadata_without_entries),
        CALL_TEST(test_request_id_kept_when_printable),
        CALL_TEST(test_request_id_replaced_when_bad),
        CALL_TEST(test_generated_request_ids_differ),
        CALL_TEST(test_deadline_none_and_finite),
        CALL_TEST(test_call_memory_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
