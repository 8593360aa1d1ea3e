/* fuzz_descriptor_pool.c — libFuzzer target: the descriptor pool (descriptor_pool.c)
 * fed arbitrary bytes as a FileDescriptorSet, then every lookup reflection makes.
 * Checked beyond not crashing: a set the pool accepts is one protobuf-c unpacks too, with
 * the same files in the same order; each file is found by its name, its bytes lie in
 * the set, its closure starts with it and names each file once; every top-level
 * message, enum, service and extension of a file is found as a symbol, and every
 * extension by (extendee, number). */
#include <stdlib.h>
#include <string.h>

#include "descriptor_pool.h"
#include "fuzz_support.h"
#include "google/protobuf/descriptor.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_closure(const descriptor_pool *pool, size_t file, size_t count)
{
    size_t *closure = calloc(count, sizeof *closure);
    unsigned char *seen = calloc(count, 1);
    FUZZ_ASSERT(closure && seen);
    size_t n = descriptor_pool_closure(pool, file, closure, count);
    FUZZ_ASSERT(n >= 1 && n <= count && closure[0] == file);
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(closure[i] < count && !seen[closure[i]]);
        seen[closure[i]] = 1;
    }
    free(closure);
    free(seen);
}

/* `package.name` (or `name` without a package) is a symbol of the pool. */
static void expect_symbol(const descriptor_pool *pool, const char *package, const char *name)
{
    char full[1024];
    int n = snprintf(full, sizeof full, "%s%s%s", package, *package ? "." : "", name);
    if (n > 0 && (size_t)n < sizeof full)
        FUZZ_ASSERT(descriptor_pool_find_symbol(pool, full) >= 0);
}

static void check_symbols(const descriptor_pool *pool, const Google__Protobuf__FileDescriptorProto *fd)
{
    const char *package = fd->package ? fd->package : "";
    for (size_t i = 0; i < fd->n_message_type; i++)
        expect_symbol(pool, package, fd->message_type[i]->name);
    for (size_t i = 0; i < fd->n_enum_type; i++)
        expect_symbol(pool, package, fd->enum_type[i]->name);
    for (size_t i = 0; i < fd->n_service; i++)
        expect_symbol(pool, package, fd->service[i]->name);
    for (size_t i = 0; i < fd->n_extension; i++) {
        const Google__Protobuf__FieldDescriptorProto *ext = fd->extension[i];
        expect_symbol(pool, package, ext->name);
        const char *extendee = ext->extendee[0] == '.' ? ext->extendee + 1 : ext->extendee;
        FUZZ_ASSERT(descriptor_pool_find_extension(pool, extendee, ext->number) >= 0);
        FUZZ_ASSERT(descriptor_pool_extension_numbers(pool, extendee, NULL, 0) >= 1);
    }
}

static void check_files(const descriptor_pool *pool, const uint8_t *data, size_t size)
{
    Google__Protobuf__FileDescriptorSet *set = google__protobuf__file_descriptor_set__unpack(NULL, size, data);
    FUZZ_ASSERT(set);
    size_t count = descriptor_pool_file_count(pool);
    FUZZ_ASSERT(set->n_file == count);
    for (size_t f = 0; f < count; f++) {
        const char *name = descriptor_pool_file_name(pool, f);
        FUZZ_ASSERT(name && strcmp(name, set->file[f]->name) == 0);
        FUZZ_ASSERT(descriptor_pool_find_file(pool, name) == (int)f);
        size_t len;
        const uint8_t *bytes = descriptor_pool_file_bytes(pool, f, &len);
        FUZZ_ASSERT(bytes >= data && len <= size && (size_t)(bytes - data) <= size - len);
        check_closure(pool, f, count);
        check_symbols(pool, set->file[f]);
    }
    FUZZ_ASSERT(descriptor_pool_file_name(pool, count) == NULL && descriptor_pool_closure(pool, count, NULL, 0) == 0);
    google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    descriptor_pool *pool = descriptor_pool_new(data, size);
    if (!pool)
        return 0;
    check_files(pool, data, size);
    static const char *const lookups[] = {"", ".", "booking.v1.Hold", "google.protobuf.FileOptions", "a..b"};
    int numbers[8];
    for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
        (void)descriptor_pool_find_file(pool, lookups[i]);
        (void)descriptor_pool_find_symbol(pool, lookups[i]);
        (void)descriptor_pool_find_extension(pool, lookups[i], 72295728);
        (void)descriptor_pool_extension_numbers(pool, lookups[i], numbers, 8);
    }
    descriptor_pool_free(pool);
    return 0;
}
