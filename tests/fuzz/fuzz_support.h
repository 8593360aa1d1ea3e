/* fuzz_support.h — what the fuzz targets share: a bare rpc_call for validators that
 * report through one (no server, no stores), a protobuf-c allocator that gives every
 * object its own heap block, every method the servers host, and FUZZ_ASSERT for the
 * properties a target checks beyond "does not crash". */
#ifndef TESTS_FUZZ_SUPPORT_H
#define TESTS_FUZZ_SUPPORT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rpc.h"

/* Targets never read the wall clock (a saved input must replay the same way): "now"
 * is 2026-12-01T00:00:00Z. Page tokens are signed with the key of FUZZ_TOKEN_SECRET. */
#define FUZZ_NOW 1796083200
#define FUZZ_TOKEN_SECRET "fuzz"
/* The query fingerprint fuzz_page_token binds the tokens it decodes to. */
#define FUZZ_TOKEN_FINGERPRINT 0x0123456789abcdefULL

/* A broken property is a finding: report it and abort, so libFuzzer saves the input. */
#define FUZZ_ASSERT(cond)                                                              \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "fuzz: %s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* Unpacked messages live here: one malloc per object (so ASan puts a red zone after
 * each, which the call arena of production would not), freed together. Objects may be
 * changed and pointed at static data (as validators do) without harm. */
typedef struct fuzz_heap {
    ProtobufCAllocator allocator;
    void **blocks;
    size_t count, cap;
} fuzz_heap;

void fuzz_heap_init(fuzz_heap *h);
/* Frees every block and the heap's own array; the heap can be used again after init. */
void fuzz_heap_release(fuzz_heap *h);

/* A call as a handler sees it, for user "fuzz" with the admin role, on no server.
 * Free with fuzz_call_free. */
rpc_call *fuzz_call_new(void);
void fuzz_call_free(rpc_call *call);

/* The contract of an ..._or_status validator: 0 leaves the call OK; -1 sets
 * INVALID_ARGUMENT with an ErrorInfo naming the field, and a message starting with it. */
void fuzz_expect_validation(const rpc_call *call, int rc);

/* One method of a hosted service: its service and method descriptors. */
typedef struct fuzz_method {
    const ProtobufCServiceDescriptor *service;
    const ProtobufCMethodDescriptor *method;
} fuzz_method;

/* Every method of booking.v1's four services, grpc.health.v1 and server reflection
 * (v1, v1alpha), in a fixed order: a target's first byte modulo the count picks one. */
size_t fuzz_method_count(void);
const fuzz_method *fuzz_method_at(size_t i);
/* Index of "package.Service" / "Method", or -1 (for the seed generator). */
int fuzz_method_find(const char *service, const char *method);

#endif
