/* test_status.c — gRPC code names and the google.rpc.Status + ErrorInfo encoding that
 * travels in grpc-status-details-bin (round trip, wire shape, limits, garbage). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "status.h"

#define ERROR_INFO_URL "type.googleapis.com/google.rpc.ErrorInfo"

/* ---- helpers ---- */

static rpc_error_info info_of(const char *reason)
{
    rpc_error_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.reason, sizeof info.reason, "%s", reason);
    return info;
}

/* Serialises a hand-made Status. Caller frees the result. */
static uint8_t *pack_status(const Google__Rpc__Status *st, size_t *len)
{
    *len = google__rpc__status__get_packed_size(st);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    google__rpc__status__pack(st, buf);
    return buf;
}

/* Packs ErrorInfo{reason, n metadata entries k0=v0...} into an Any. value.data is malloc'd. */
static void error_info_any(Google__Protobuf__Any *any, const char *reason, size_t n)
{
    static char keys[8][8], values[8][8];
    Google__Rpc__ErrorInfo ei = GOOGLE__RPC__ERROR_INFO__INIT;
    Google__Rpc__ErrorInfo__MetadataEntry entries[8], *ptrs[8];
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        google__rpc__error_info__metadata_entry__init(&entries[i]);
        keys[i][0] = 'k', values[i][0] = 'v';
        keys[i][1] = values[i][1] = (char)('0' + i);
        keys[i][2] = values[i][2] = '\0';
        entries[i].key = keys[i];
        entries[i].value = values[i];
        ptrs[i] = &entries[i];
    }
    ei.reason = (char *)reason;
    ei.domain = (char *)"other.domain";
    ei.n_metadata = n;
    ei.metadata = ptrs;
    google__protobuf__any__init(any);
    any->type_url = (char *)ERROR_INFO_URL;
    any->value.len = google__rpc__error_info__get_packed_size(&ei);
    any->value.data = malloc(any->value.len ? any->value.len : 1);
    assert_non_null(any->value.data);
    google__rpc__error_info__pack(&ei, any->value.data);
}

/* ---- code names ---- */

static void test_code_names_cover_every_code(void **state)
{
    static const char *const names[RPC_CODE_COUNT] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED"};
    for (int c = 0; c < RPC_CODE_COUNT; c++)
        assert_string_equal(rpc_code_name(c), names[c]);
    /* spot-check the enum numbering against the wire values */
    assert_string_equal(rpc_code_name(RPC_NOT_FOUND), "NOT_FOUND");
    assert_int_equal(RPC_NOT_FOUND, 5);
    assert_string_equal(rpc_code_name(RPC_UNAUTHENTICATED), "UNAUTHENTICATED");
    assert_int_equal(RPC_UNAUTHENTICATED, 16);
}

static void test_code_name_out_of_range_is_unknown(void **state)
{
    static const int bad[] = {-1, RPC_CODE_COUNT, 100, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(rpc_code_name(bad[i]), "UNKNOWN");
}

/* ---- ErrorInfo metadata ---- */

static void test_error_info_add_keeps_order(void **state)
{
    rpc_error_info info = info_of("X");
    rpc_error_info_add(&info, "field", "quantity");
    rpc_error_info_add(&info, "resource_id", "room-7");
    assert_int_equal(info.meta_count, 2);
    assert_string_equal(info.meta_key[0], "field");
    assert_string_equal(info.meta_value[0], "quantity");
    assert_string_equal(info.meta_key[1], "resource_id");
    assert_string_equal(info.meta_value[1], "room-7");
}

static void test_error_info_add_ignores_overflow(void **state)
{
    rpc_error_info info = info_of("X");
    char key[8], value[8];
    for (int i = 0; i < RPC_ERROR_META_MAX + 3; i++) {
        snprintf(key, sizeof key, "k%d", i);
        snprintf(value, sizeof value, "v%d", i);
        rpc_error_info_add(&info, key, value);
    }
    assert_int_equal(info.meta_count, RPC_ERROR_META_MAX);
    assert_string_equal(info.meta_key[RPC_ERROR_META_MAX - 1], "k3");
    assert_string_equal(info.meta_value[RPC_ERROR_META_MAX - 1], "v3");
    assert_string_equal(info.reason, "X");  /* neighbours untouched */
}

static void test_error_info_add_truncates_long_strings(void **state)
{
    rpc_error_info info = info_of("X");
    char key[100], value[300];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    rpc_error_info_add(&info, key, value);
    assert_int_equal(info.meta_count, 1);
    assert_int_equal(strlen(info.meta_key[0]), sizeof info.meta_key[0] - 1);
    assert_int_equal(strlen(info.meta_value[0]), sizeof info.meta_value[0] - 1);
}

/* ---- pack / unpack ---- */

static void test_round_trip_with_reason_and_metadata(void **state)
{
    rpc_error_info in = info_of("INSUFFICIENT_AVAILABILITY"), out;
    rpc_error_info_add(&in, "field", "quantity");
    rpc_error_info_add(&in, "available", "2");
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(rpc_status_details_pack(RPC_FAILED_PRECONDITION, "only 2 left", &in, &buf, &len), 0);
    assert_non_null(buf);
    assert_true(len > 0);

    int code = -1;
    char message[64];
    assert_int_equal(rpc_status_details_unpack(buf, len, &code, message, sizeof message, &out), 0);
    assert_int_equal(code, RPC_FAILED_PRECONDITION);
    assert_string_equal(message, "only 2 left");
    assert_string_equal(out.reason, "INSUFFICIENT_AVAILABILITY");
    assert_int_equal(out.meta_count, 2);
    assert_string_equal(out.meta_key[0], "field");
    assert_string_equal(out.meta_value[0], "quantity");
    assert_string_equal(out.meta_key[1], "available");
    assert_string_equal(out.meta_value[1], "2");
    free(buf);
}

/* What other gRPC clients see: a google.rpc.Status whose only detail is an ErrorInfo
 * Any in the booking.v1 domain. */
static void test_packed_bytes_are_a_standard_status(void **state)
{
    rpc_error_info in = info_of("HOLD_EXPIRED");
    rpc_error_info_add(&in, "hold_id", "h-1");
    uint8_t *buf;
    size_t len;
    assert_int_equal(rpc_status_details_pack(RPC_NOT_FOUND, "hold h-1 expired", &in, &buf, &len), 0);
    Google__Rpc__Status *st = google__rpc__status__unpack(NULL, len, buf);
    assert_non_null(st);
    assert_int_equal(st->code, RPC_NOT_FOUND);
    assert_string_equal(st->message, "hold h-1 expired");
    assert_int_equal(st->n_details, 1);
    assert_string_equal(st->details[0]->type_url, ERROR_INFO_URL);
    Google__Rpc__ErrorInfo *ei =
        google__rpc__error_info__unpack(NULL, st->details[0]->value.len, st->details[0]->value.data);
    assert_non_null(ei);
    assert_string_equal(ei->reason, "HOLD_EXPIRED");
    assert_string_equal(ei->domain, RPC_ERROR_DOMAIN);
    assert_string_equal(ei->domain, "booking.v1");
    assert_int_equal(ei->n_metadata, 1);
    assert_string_equal(ei->metadata[0]->key, "hold_id");
    assert_string_equal(ei->metadata[0]->value, "h-1");
    google__rpc__error_info__free_unpacked(ei, NULL);
    google__rpc__status__free_unpacked(st, NULL);
    free(buf);
}

static void test_round_trip_full_metadata_and_long_values(void **state)
{
    rpc_error_info in = info_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_ABCDEFGHIJKLMNOPQRSTUVWXYZ_012345678"), out;
    char value[128];
    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    for (int i = 0; i < RPC_ERROR_META_MAX + 2; i++) {
        char key[32];
        snprintf(key, sizeof key, "key_%d_%s", i, "padding_padding_pad");
        rpc_error_info_add(&in, key, value);
    }
    uint8_t *buf;
    size_t len;
    int code;
    char message[8];
    assert_int_equal(rpc_status_details_pack(RPC_INVALID_ARGUMENT, "bad", &in, &buf, &len), 0);
    assert_int_equal(rpc_status_details_unpack(buf, len, &code, message, sizeof message, &out), 0);
    assert_int_equal(strlen(in.reason), sizeof in.reason - 1);  /* the longest reason */
    assert_string_equal(out.reason, in.reason);
    assert_int_equal(out.meta_count, RPC_ERROR_META_MAX);
    for (int i = 0; i < RPC_ERROR_META_MAX; i++) {
        assert_string_equal(out.meta_key[i], in.meta_key[i]);
        assert_string_equal(out.meta_value[i], value);
    }
    free(buf);
}

static void test_round_trip_without_reason(void **state)
{
    rpc_error_info in = info_of(""), out;
    uint8_t *buf;
    size_t len;
    int code = -1;
    char message[16] = "stale";
    assert_int_equal(rpc_status_details_pack(RPC_INTERNAL, "", &in, &buf, &len), 0);
    assert_int_equal(rpc_status_details_unpack(buf, len, &code, message, sizeof message, &out), 0);
    assert_int_equal(code, RPC_INTERNAL);
    assert_string_equal(message, "");
    assert_string_equal(out.reason, "");
    assert_int_equal(out.meta_count, 0);
    free(buf);
}

static void test_unpack_truncates_message_to_cap(void **state)
{
    rpc_error_info in = info_of("R"), out;
    uint8_t *buf;
    size_t len;
    int code;
    char message[8];
    memset(message, 'Z', sizeof message);
    assert_int_equal(rpc_status_details_pack(RPC_ABORTED, "conflict, retry later", &in, &buf, &len), 0);
    assert_int_equal(rpc_status_details_unpack(buf, len, &code, message, 5, &out), 0);
    assert_string_equal(message, "conf");
    assert_int_equal(message[5], 'Z');
    free(buf);
}

/* A peer may send more metadata than we keep: the extra entries are dropped. */
static void test_unpack_ignores_metadata_beyond_max(void **state)
{
    Google__Protobuf__Any any;
    Google__Protobuf__Any *details[1] = {&any};
    error_info_any(&any, "MANY", RPC_ERROR_META_MAX + 3);
    Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
    st.code = RPC_RESOURCE_EXHAUSTED;
    st.message = (char *)"slow down";
    st.n_details = 1;
    st.details = details;
    size_t len;
    uint8_t *buf = pack_status(&st, &len);
    rpc_error_info out;
    int code;
    char message[32];
    assert_int_equal(rpc_status_details_unpack(buf, len, &code, message, sizeof message, &out), 0);
    assert_int_equal(code, RPC_RESOURCE_EXHAUSTED);
    assert_string_equal(out.reason, "MANY");
    assert_int_equal(out.meta_count, RPC_ERROR_META_MAX);
    assert_string_equal(out.meta_key[0], "k0");
    assert_string_equal(out.meta_value[RPC_ERROR_META_MAX - 1], "v3");
    free(any.value.data);
    free(buf);
}

/* Details of other types are skipped; the ErrorInfo is found wherever it is. */
static void test_unpack_skips_other_detail_types(void **state)
{
    Google__Protobuf__Any other = GOOGLE__PROTOBUF__ANY__INIT, info_any;
    other.type_url = (char *)"type.googleapis.com/google.rpc.RetryInfo";
    other.value.data = (uint8_t *)"\x0a\x02\x08\x05";
    other.value.len = 4;
    error_info_any(&info_any, "SECOND", 1);
    Google__Protobuf__Any *details[2] = {&other, &info_any};
    Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
    st.code = RPC_UNAVAILABLE;
    st.message = (char *)"retry";
    st.n_details = 2;
    st.details = details;
    size_t len;
    uint8_t *buf = pack_status(&st, &len);
    rpc_error_info out;
    int code;
    char message[32];
    assert_int_equal(rpc_status_details_unpack(buf, len, &code, message, sizeof message, &out), 0);
    assert_int_equal(code, RPC_UNAVAILABLE);
    assert_string_equal(out.reason, "SECOND");
    assert_int_equal(out.meta_count, 1);
    free(info_any.value.data);
    free(buf);
}

static void test_unpack_status_without_details(void **state)
{
    Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
    st.code = RPC_NOT_FOUND;
    st.message = (char *)"no such hold";
    size_t len;
    uint8_t *buf = pack_status(&st, &len);
    rpc_error_info out;
    memset(&out, 0x55, sizeof out);
    int code;
    char message[32];
    assert_int_equal(rpc_status_details_unpack(buf, len, &code, message, sizeof message, &out), 0);
    assert_int_equal(code, RPC_NOT_FOUND);
    assert_string_equal(message, "no such hold");
    assert_string_equal(out.reason, "");
    assert_int_equal(out.meta_count, 0);
    free(buf);
}

static void test_unpack_garbage_fails(void **state)
{
    static const uint8_t garbage[][6] = {
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},  /* varint that never ends */
        {0x12, 0x40, 'a', 'b', 'c', 'd'},      /* message: length 64, 4 bytes present */
        {0x0f, 0x01, 0x02, 0x03, 0x04, 0x05},  /* wire type 7 does not exist */
        {0x1a, 0x03, 0x0a, 0x10, 'x', 'y'},    /* details: Any whose type_url overruns */
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        rpc_error_info out;
        int code = 12345;
        char message[16];
        if (rpc_status_details_unpack(garbage[i], sizeof garbage[i], &code, message, sizeof message, &out) != -1)
            fail_msg("garbage #%zu was accepted", i);
        assert_int_equal(out.meta_count, 0);
        assert_string_equal(out.reason, "");
    }
}

static void test_unpack_truncated_status_fails(void **state)
{
    rpc_error_info in = info_of("INSUFFICIENT_AVAILABILITY"), out;
    rpc_error_info_add(&in, "field", "quantity");
    uint8_t *buf;
    size_t len;
    int code;
    char message[32];
    assert_int_equal(rpc_status_details_pack(RPC_FAILED_PRECONDITION, "only 2 left", &in, &buf, &len), 0);
    assert_int_equal(rpc_status_details_unpack(buf, len - 1, &code, message, sizeof message, &out), -1);
    assert_int_equal(rpc_status_details_unpack(buf, len / 2, &code, message, sizeof message, &out), -1);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_names_cover_every_code),
        cmocka_unit_test(test_code_name_out_of_range_is_unknown),
        cmocka_unit_test(test_error_info_add_keeps_order),
        cmocka_unit_test(test_error_info_add_ignores_overflow),
        cmocka_unit_test(test_error_info_add_truncates_long_strings),
        cmocka_unit_test(test_round_trip_with_reason_and_metadata),
        cmocka_unit_test(test_packed_bytes_are_a_standard_status),
        cmocka_unit_test(test_round_trip_full_metadata_and_long_values),
        cmocka_unit_test(test_round_trip_without_reason),
        cmocka_unit_test(test_unpack_truncates_message_to_cap),
        cmocka_unit_test(test_unpack_ignores_metadata_beyond_max),
        cmocka_unit_test(test_unpack_skips_other_detail_types),
        cmocka_unit_test(test_unpack_status_without_details),
        cmocka_unit_test(test_unpack_garbage_fails),
        cmocka_unit_test(test_unpack_truncated_status_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
