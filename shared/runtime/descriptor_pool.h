/* descriptor_pool.h — an index over a serialized FileDescriptorSet: files by name,
 * the file declaring a symbol, extensions, and a file's transitive dependencies.
 * Serves server reflection without copying the descriptors. */
#ifndef SHARED_DESCRIPTOR_POOL_H
#define SHARED_DESCRIPTOR_POOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct descriptor_pool descriptor_pool;

/* Indexes `set` (bytes of google.protobuf.FileDescriptorSet), which must outlive the
 * pool. Returns NULL when the bytes are not a FileDescriptorSet. Free with
 * descriptor_pool_free. */
descriptor_pool *descriptor_pool_new(const uint8_t *set, size_t len);
void descriptor_pool_free(descriptor_pool *pool);

size_t descriptor_pool_file_count(const descriptor_pool *pool);
const char *descriptor_pool_file_name(const descriptor_pool *pool, size_t file);
/* The serialized FileDescriptorProto of a file, exactly as in the set. */
const uint8_t *descriptor_pool_file_bytes(const descriptor_pool *pool, size_t file, size_t *len);

/* Index of a file by name ("booking/v1/booking.proto"), or -1. */
int descriptor_pool_find_file(const descriptor_pool *pool, const char *name);
/* Index of the file declaring a fully-qualified symbol: package.Message,
 * package.Message.Nested, package.Enum, package.Service, package.Service.Method,
 * package.Message.field, package.Enum.VALUE or package.extension; or -1. */
int descriptor_pool_find_symbol(const descriptor_pool *pool, const char *symbol);
/* Index of the file declaring extension `number` of message `extendee`
 * (fully-qualified, no leading dot), or -1. */
int descriptor_pool_find_extension(const descriptor_pool *pool, const char *extendee, int number);
/* Writes up to cap extension numbers of `extendee` into out; returns how many exist. */
size_t descriptor_pool_extension_numbers(const descriptor_pool *pool, const char *extendee,
                                         int *out, size_t cap);
/* Writes `file` and then its transitive dependencies (each once) into out; returns the
 * count (at most descriptor_pool_file_count). */
size_t descriptor_pool_closure(const descriptor_pool *pool, size_t file, size_t *out, size_t cap);

#endif
