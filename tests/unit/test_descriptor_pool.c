/* test_descriptor_pool.c — the descriptor pool over the embedded booking descriptor set
 * (files, symbols, extensions, closures) and over malformed or hand-made sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "descriptor_pool.h"
#include "descriptor_set.h"
#include "google/protobuf/descriptor.pb-c.h"

#define MAX_FILES 64

/* ---- helpers ---- */

static int pool_setup(void **state)
{
    *state = descriptor_pool_new(booking_descriptor_set, booking_descriptor_set_len);
    return *state ? 0 : -1;
}

static int pool_teardown(void **state)
{
    descriptor_pool_free(*state);
    return 0;
}

/* Name of the file declaring `symbol`, or NULL. */
static const char *symbol_file(const descriptor_pool *pool, const char *symbol)
{
    int f = descriptor_pool_find_symbol(pool, symbol);
    return f < 0 ? NULL : descriptor_pool_file_name(pool, (size_t)f);
}

static int closure_has(const size_t *files, size_t n, size_t file)
{
    int count = 0;
    for (size_t i = 0; i < n; i++)
        count += files[i] == file;
    return count;
}

/* Serialises hand-made files as a FileDescriptorSet. Caller frees the result. */
static uint8_t *pack_set(Google__Protobuf__FileDescriptorProto **files, size_t n, size_t *len)
{
    Google__Protobuf__FileDescriptorSet set = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_SET__INIT;
    set.n_file = n;
    set.file = files;
    *len = google__protobuf__file_descriptor_set__get_packed_size(&set);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    google__protobuf__file_descriptor_set__pack(&set, buf);
    return buf;
}

static descriptor_pool *pool_of(Google__Protobuf__FileDescriptorProto **files, size_t n, uint8_t **buf)
{
    size_t len;
    *buf = pack_set(files, n, &len);
    return descriptor_pool_new(*buf, len);
}

/* Exercises every query of a pool built from damaged bytes: none may crash. */
static void poke(const descriptor_pool *pool)
{
    size_t closure[MAX_FILES], len;
    int numbers[8];
    for (size_t f = 0; f < descriptor_pool_file_count(pool); f++) {
        assert_non_null(descriptor_pool_file_name(pool, f));
        assert_non_null(descriptor_pool_file_bytes(pool, f, &len));
        assert_true(descriptor_pool_closure(pool, f, closure, MAX_FILES) <= descriptor_pool_file_count(pool));
    }
    descriptor_pool_find_symbol(pool, "booking.v1.Hold");
    descriptor_pool_find_file(pool, "booking/v1/booking.proto");
    descriptor_pool_find_extension(pool, "google.protobuf.MethodOptions", 72295728);
    descriptor_pool_extension_numbers(pool, "google.protobuf.MethodOptions", numbers, 8);
}

/* ---- the embedded set ---- */

static void test_files(void **state)
{
    const descriptor_pool *pool = *state;
    assert_true(descriptor_pool_file_count(pool) >= 17); /* booking.v1 and what it imports, health, reflection */
    int f = descriptor_pool_find_file(pool, "booking/v1/booking.proto");
    assert_true(f >= 0);
    assert_string_equal(descriptor_pool_file_name(pool, (size_t)f), "booking/v1/booking.proto");
    assert_true(descriptor_pool_find_file(pool, "grpc/reflection/v1alpha/reflection.proto") >= 0);
    assert_int_equal(descriptor_pool_find_file(pool, "booking/v1/nope.proto"), -1);
    assert_int_equal(descriptor_pool_find_file(pool, ""), -1);
    assert_null(descriptor_pool_file_name(pool, descriptor_pool_file_count(pool)));
}

/* The bytes of a file are the FileDescriptorProto itself, inside the embedded set. */
static void test_file_bytes(void **state)
{
    const descriptor_pool *pool = *state;
    size_t len;
    int f = descriptor_pool_find_file(pool, "booking/v1/common.proto");
    const uint8_t *bytes = descriptor_pool_file_bytes(pool, (size_t)f, &len);
    assert_true(bytes > booking_descriptor_set && bytes + len <= booking_descriptor_set + booking_descriptor_set_len);
    Google__Protobuf__FileDescriptorProto *fd = google__protobuf__file_descriptor_proto__unpack(NULL, len, bytes);
    assert_non_null(fd);
    assert_string_equal(fd->name, "booking/v1/common.proto");
    assert_string_equal(fd->package, "booking.v1");
    google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
    assert_null(descriptor_pool_file_bytes(pool, 99, &len));
    assert_int_equal(len, 0);
}

static void test_symbols(void **state)
{
    const descriptor_pool *pool = *state;
    assert_string_equal(symbol_file(pool, "booking.v1.BookingService"), "booking/v1/booking.proto");
    assert_string_equal(symbol_file(pool, "booking.v1.BookingService.CreateHold"), "booking/v1/booking.proto");
    assert_string_equal(symbol_file(pool, "booking.v1.Hold"), "booking/v1/booking.proto");
    assert_string_equal(symbol_file(pool, "booking.v1.Hold.expires_at"), "booking/v1/booking.proto");
    assert_string_equal(symbol_file(pool, "booking.v1.Resource"), "booking/v1/common.proto");
    assert_string_equal(symbol_file(pool, "booking.v1.SearchService"), "booking/v1/search.proto");
    assert_string_equal(symbol_file(pool, "grpc.health.v1.Health"), "grpc/health/v1/health.proto");
    assert_string_equal(symbol_file(pool, "grpc.health.v1.Health.Watch"), "grpc/health/v1/health.proto");
    assert_string_equal(symbol_file(pool, "google.protobuf.Timestamp"), "google/protobuf/timestamp.proto");
    assert_string_equal(symbol_file(pool, "grpc.reflection.v1alpha.ServerReflection"),
                        "grpc/reflection/v1alpha/reflection.proto");
    assert_string_equal(symbol_file(pool, "grpc.reflection.v1.ServerReflectionRequest.message_request"),
                        "grpc/reflection/v1/reflection.proto");
}

static void test_nested_types(void **state)
{
    const descriptor_pool *pool = *state;
    assert_string_equal(symbol_file(pool, "booking.v1.Resource.MetadataEntry"), "booking/v1/common.proto");
    assert_string_equal(symbol_file(pool, "booking.v1.Resource.MetadataEntry.key"), "booking/v1/common.proto");
    assert_string_equal(symbol_file(pool, "booking.v1.Event.MetadataEntry"), "booking/v1/common.proto");
    assert_string_equal(symbol_file(pool, "google.protobuf.DescriptorProto.ExtensionRange"),
                        "google/protobuf/descriptor.proto");
    assert_string_equal(symbol_file(pool, "grpc.health.v1.HealthCheckResponse.ServingStatus"),
                        "grpc/health/v1/health.proto");
}

/* Values answer as Enum.VALUE and, by protobuf's scoping, as siblings of the enum. */
static void test_enum_values(void **state)
{
    const descriptor_pool *pool = *state;
    assert_string_equal(symbol_file(pool, "booking.v1.HoldStatus"), "booking/v1/booking.proto");
    assert_string_equal(symbol_file(pool, "booking.v1.HoldStatus.HOLD_STATUS_ACTIVE"), "booking/v1/booking.proto");
    assert_string_equal(symbol_file(pool, "booking.v1.HOLD_STATUS_ACTIVE"), "booking/v1/booking.proto");
    assert_string_equal(symbol_file(pool, "booking.v1.ResourceType.RESOURCE_TYPE_HOTEL_ROOM"),
                        "booking/v1/common.proto");
    assert_string_equal(symbol_file(pool, "grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING"),
                        "grpc/health/v1/health.proto");
    assert_string_equal(symbol_file(pool, "grpc.health.v1.HealthCheckResponse.SERVING"),
                        "grpc/health/v1/health.proto");
}

static void test_unknown_symbols(void **state)
{
    const descriptor_pool *pool = *state;
    assert_int_equal(descriptor_pool_find_symbol(pool, "booking.v1.Nope"), -1);
    assert_int_equal(descriptor_pool_find_symbol(pool, "booking.v1.BookingService.Nope"), -1);
    assert_int_equal(descriptor_pool_find_symbol(pool, "booking.v1"), -1);  /* packages are not symbols */
    assert_int_equal(descriptor_pool_find_symbol(pool, ".booking.v1.Hold"), -1);
    assert_int_equal(descriptor_pool_find_symbol(pool, ""), -1);
    assert_int_equal(descriptor_pool_find_symbol(pool, NULL), -1);
}

static void test_http_extension(void **state)
{
    const descriptor_pool *pool = *state;
    int f = descriptor_pool_find_extension(pool, "google.protobuf.MethodOptions", 72295728);
    assert_true(f >= 0);
    assert_string_equal(descriptor_pool_file_name(pool, (size_t)f), "google/api/annotations.proto");
    assert_string_equal(symbol_file(pool, "google.api.http"), "google/api/annotations.proto");
    assert_int_equal(descriptor_pool_find_extension(pool, "google.protobuf.MethodOptions", 1), -1);
    assert_int_equal(descriptor_pool_find_extension(pool, "google.protobuf.FieldOptions", 72295728), -1);

    int numbers[4] = {0};
    assert_int_equal(descriptor_pool_extension_numbers(pool, "google.protobuf.MethodOptions", numbers, 4), 1);
    assert_int_equal(numbers[0], 72295728);
    assert_int_equal(descriptor_pool_extension_numbers(pool, "google.protobuf.MethodOptions", NULL, 0), 1);
    assert_int_equal(descriptor_pool_extension_numbers(pool, "booking.v1.Hold", numbers, 4), 0);
}

/* booking.proto, then every file it imports transitively, each exactly once. */
static void test_closure(void **state)
{
    const descriptor_pool *pool = *state;
    static const char *const expected[] = {
        "google/api/annotations.proto", "google/api/http.proto",  "google/protobuf/descriptor.proto",
        "google/protobuf/timestamp.proto", "booking/v1/common.proto",
    };
    size_t files[MAX_FILES];
    size_t booking = (size_t)descriptor_pool_find_file(pool, "booking/v1/booking.proto");
    size_t n = descriptor_pool_closure(pool, booking, files, MAX_FILES);
    assert_true(n >= 6 && n <= descriptor_pool_file_count(pool));
    assert_int_equal(files[0], booking);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_int_equal(closure_has(files, n, (size_t)descriptor_pool_find_file(pool, expected[i])), 1);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(closure_has(files, n, files[i]), 1);
    assert_int_equal(closure_has(files, n, (size_t)descriptor_pool_find_file(pool, "grpc/health/v1/health.proto")),
                     0);
}

/* Every file of a closure has its own imports in the closure too. */
static void test_closure_is_closed(void **state)
{
    const descriptor_pool *pool = *state;
    size_t files[MAX_FILES], len;
    size_t booking = (size_t)descriptor_pool_find_file(pool, "booking/v1/booking.proto");
    size_t n = descriptor_pool_closure(pool, booking, files, MAX_FILES);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *bytes = descriptor_pool_file_bytes(pool, files[i], &len);
        Google__Protobuf__FileDescriptorProto *fd = google__protobuf__file_descriptor_proto__unpack(NULL, len, bytes);
        assert_non_null(fd);
        for (size_t d = 0; d < fd->n_dependency; d++)
            assert_int_equal(closure_has(files, n, (size_t)descriptor_pool_find_file(pool, fd->dependency[d])), 1);
        google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
    }
}

/* A small out reports the full count and writes only what fits. */
static void test_closure_cap(void **state)
{
    const descriptor_pool *pool = *state;
    size_t files[2] = {99, 99}, all[MAX_FILES];
    size_t booking = (size_t)descriptor_pool_find_file(pool, "booking/v1/booking.proto");
    size_t n = descriptor_pool_closure(pool, booking, all, MAX_FILES);
    assert_int_equal(descriptor_pool_closure(pool, booking, files, 1), n);
    assert_int_equal(files[0], booking);
    assert_int_equal(files[1], 99);
    size_t timestamp = (size_t)descriptor_pool_find_file(pool, "google/protobuf/timestamp.proto");
    assert_int_equal(descriptor_pool_closure(pool, timestamp, all, MAX_FILES), 1);
    assert_int_equal(descriptor_pool_closure(pool, 999, all, MAX_FILES), 0);
}

/* ---- malformed input ---- */

static void test_null_pool(void **state)
{
    (void)state;
    size_t len = 1, out[1];
    assert_int_equal(descriptor_pool_file_count(NULL), 0);
    assert_null(descriptor_pool_file_bytes(NULL, 0, &len));
    assert_int_equal(descriptor_pool_find_file(NULL, "a.proto"), -1);
    assert_int_equal(descriptor_pool_find_symbol(NULL, "a.B"), -1);
    assert_int_equal(descriptor_pool_find_extension(NULL, "a.B", 1), -1);
    assert_int_equal(descriptor_pool_extension_numbers(NULL, "a.B", NULL, 0), 0);
    assert_int_equal(descriptor_pool_closure(NULL, 0, out, 1), 0);
    descriptor_pool_free(NULL);
    assert_null(descriptor_pool_new(NULL, 5));
    descriptor_pool *empty = descriptor_pool_new(NULL, 0);
    assert_non_null(empty);
    assert_int_equal(descriptor_pool_file_count(empty), 0);
    poke(empty);
    descriptor_pool_free(empty);
}

static void test_bad_framing(void **state)
{
    (void)state;
    static const struct { const char *bytes; size_t len; } cases[] = {
        {"\x0a\xff", 2},                                           /* length past the end */
        {"\x0a\x05\x0a\x01", 4},                                   /* file cut short */
        {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12},  /* overlong varint tag */
        {"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11},      /* huge length */
        {"\x08\x01", 2},                                           /* file as a varint */
        {"\x0b\x0c", 2},                                           /* a group */
        {"\x00\x00", 2},                                           /* field number 0 */
        {"\x0a\x00", 2},                                           /* a file without a name */
        {"\x0a\x02\x08\x01", 4},                                   /* name as a varint */
        {"\x0a\x03\x0a\x05\x61", 5},                               /* name longer than the file */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        descriptor_pool *pool = descriptor_pool_new((const uint8_t *)cases[i].bytes, cases[i].len);
        if (pool)
            fail_msg("case %zu was accepted", i);
    }
}

/* Unknown fields of the set are skipped; an empty set is an empty pool. */
static void test_lenient_framing(void **state)
{
    (void)state;
    static const uint8_t set[] = {0x10, 0x01, 0x0a, 0x03, 0x0a, 0x01, 'a', 0x1d, 1, 2, 3, 4};
    descriptor_pool *pool = descriptor_pool_new(set, sizeof set);
    assert_non_null(pool);
    assert_int_equal(descriptor_pool_file_count(pool), 1);
    assert_int_equal(descriptor_pool_find_file(pool, "a"), 0);
    descriptor_pool_free(pool);
    pool = descriptor_pool_new(set, 0);
    assert_non_null(pool);
    assert_int_equal(descriptor_pool_file_count(pool), 0);
    poke(pool);
    descriptor_pool_free(pool);
}

/* Every prefix of the set is refused, or (cut between files) a smaller valid pool. */
static void test_truncated(void **state)
{
    size_t whole = descriptor_pool_file_count(*state), accepted = 0;
    for (size_t len = 0; len < booking_descriptor_set_len; len++) {
        uint8_t *copy = malloc(len ? len : 1); /* exact size, so ASan sees any overread */
        memcpy(copy, booking_descriptor_set, len);
        descriptor_pool *pool = descriptor_pool_new(copy, len);
        if (pool) {
            accepted++;
            assert_true(descriptor_pool_file_count(pool) < whole);
            poke(pool);
            descriptor_pool_free(pool);
        }
        free(copy);
    }
    assert_true(accepted >= 2 && accepted <= whole); /* the empty prefix, whole leading files */
}

/* Random byte damage: refused or indexed, never a crash (run under ASan/UBSan). */
static void test_corrupted(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    uint8_t *copy = malloc(booking_descriptor_set_len);
    for (int round = 0; round < 3000; round++) {
        memcpy(copy, booking_descriptor_set, booking_descriptor_set_len);
        for (int k = 0; k <= round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % booking_descriptor_set_len;
            seed = seed * 1103515245u + 12345u;
            copy[at] = (uint8_t)(seed >> 16);
        }
        descriptor_pool *pool = descriptor_pool_new(copy, booking_descriptor_set_len);
        if (pool) {
            poke(pool);
            descriptor_pool_free(pool);
        }
    }
    free(copy);
}

/* ---- hand-made sets ---- */

static Google__Protobuf__FileDescriptorProto make_file(const char *name, const char *package)
{
    Google__Protobuf__FileDescriptorProto fd = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT;
    fd.name = (char *)name;
    fd.package = (char *)package;
    return fd;
}

static void test_missing_dependency(void **state)
{
    (void)state;
    char *deps[] = {"b.proto"};
    Google__Protobuf__FileDescriptorProto a = make_file("a.proto", "x");
    a.n_dependency = 1;
    a.dependency = deps;
    Google__Protobuf__FileDescriptorProto *files[] = {&a};
    uint8_t *buf;
    assert_null(pool_of(files, 1, &buf));
    free(buf);
}

static void test_duplicate_file(void **state)
{
    (void)state;
    Google__Protobuf__FileDescriptorProto a = make_file("a.proto", "x"), b = make_file("a.proto", "y");
    Google__Protobuf__FileDescriptorProto *files[] = {&a, &b};
    uint8_t *buf;
    assert_null(pool_of(files, 2, &buf));
    free(buf);
}

/* Import cycles (which protoc refuses) still give each file once. */
static void test_import_cycle(void **state)
{
    (void)state;
    char *to_b[] = {"b.proto"}, *to_a[] = {"a.proto"};
    Google__Protobuf__FileDescriptorProto a = make_file("a.proto", "x"), b = make_file("b.proto", "x");
    a.n_dependency = b.n_dependency = 1;
    a.dependency = to_b;
    b.dependency = to_a;
    Google__Protobuf__FileDescriptorProto *files[] = {&a, &b};
    uint8_t *buf;
    descriptor_pool *pool = pool_of(files, 2, &buf);
    assert_non_null(pool);
    size_t out[4];
    assert_int_equal(descriptor_pool_closure(pool, 1, out, 4), 2);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 0);
    descriptor_pool_free(pool);
    free(buf);
}

/* An extension declared inside a message is found by its scoped name and number. */
static void test_nested_extension(void **state)
{
    (void)state;
    Google__Protobuf__FieldDescriptorProto ext = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
    ext.name = "tag";
    ext.has_number = 1;
    ext.number = 50001;
    ext.extendee = ".google.protobuf.FieldOptions";
    Google__Protobuf__FieldDescriptorProto *exts[] = {&ext};
    Google__Protobuf__DescriptorProto outer = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT;
    outer.name = "Outer";
    outer.n_extension = 1;
    outer.extension = exts;
    Google__Protobuf__DescriptorProto *messages[] = {&outer};
    Google__Protobuf__FileDescriptorProto a = make_file("a.proto", NULL); /* no package */
    a.n_message_type = 1;
    a.message_type = messages;
    Google__Protobuf__FileDescriptorProto *files[] = {&a};
    uint8_t *buf;
    descriptor_pool *pool = pool_of(files, 1, &buf);
    assert_non_null(pool);
    assert_int_equal(descriptor_pool_find_symbol(pool, "Outer"), 0);
    assert_int_equal(descriptor_pool_find_symbol(pool, "Outer.tag"), 0);
    assert_int_equal(descriptor_pool_find_extension(pool, "google.protobuf.FieldOptions", 50001), 0);
    descriptor_pool_free(pool);
    free(buf);
}

/* A declaration without a name makes the set invalid. */
static void test_unnamed_symbol(void **state)
{
    (void)state;
    Google__Protobuf__DescriptorProto unnamed = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT;
    Google__Protobuf__DescriptorProto *messages[] = {&unnamed};
    Google__Protobuf__FileDescriptorProto a = make_file("a.proto", "x");
    a.n_message_type = 1;
    a.message_type = messages;
    Google__Protobuf__FileDescriptorProto *files[] = {&a};
    uint8_t *buf;
    assert_null(pool_of(files, 1, &buf));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest embedded[] = {
        cmocka_unit_test(test_files),           cmocka_unit_test(test_file_bytes),
        cmocka_unit_test(test_symbols),         cmocka_unit_test(test_nested_types),
        cmocka_unit_test(test_enum_values),     cmocka_unit_test(test_unknown_symbols),
        cmocka_unit_test(test_http_extension),  cmocka_unit_test(test_closure),
        cmocka_unit_test(test_closure_is_closed), cmocka_unit_test(test_closure_cap),
    };
    const struct CMUnitTest malformed[] = {
        cmocka_unit_test(test_null_pool),          cmocka_unit_test(test_bad_framing),
        cmocka_unit_test(test_lenient_framing),    cmocka_unit_test_setup_teardown(test_truncated, pool_setup, pool_teardown),
        cmocka_unit_test(test_corrupted),          cmocka_unit_test(test_missing_dependency),
        cmocka_unit_test(test_duplicate_file),     cmocka_unit_test(test_import_cycle),
        cmocka_unit_test(test_nested_extension),   cmocka_unit_test(test_unnamed_symbol),
    };
    int failed = cmocka_run_group_tests_name("descriptor_pool_embedded", embedded, pool_setup, pool_teardown);
    return failed + cmocka_run_group_tests_name("descriptor_pool_malformed", malformed, NULL, NULL);
}
