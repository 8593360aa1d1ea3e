/* fuzz_requests.c — libFuzzer target: request decoding and validation of every method.
 * Input: one byte that picks a hosted method (modulo their count: booking.v1's four
 * services, grpc.health.v1, reflection v1 and v1alpha), then the request's bytes. They
 * are unpacked as the method's request type with protobuf-c, as rpc_server.c does, the
 * runtime's UTF-8 check (proto_check) runs on the message, and a message that passes
 * goes through the method's pure validation (request_checks.c). Handlers that need
 * stores are left to the integration test test_hostile_bytes_never_crash. */
#include <string.h>

#include "fuzz_support.h"
#include "proto_check.h"
#include "request_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const fuzz_method *m = fuzz_method_at(data[0] % fuzz_method_count());
    fuzz_heap heap;
    fuzz_heap_init(&heap);
    ProtobufCMessage *request = protobuf_c_message_unpack(m->method->input, &heap.allocator, size - 1, data + 1);
    if (request) {
        FUZZ_ASSERT(request->descriptor == m->method->input);
        char field[128];
        if (proto_check_utf8(request, field, sizeof field) == 0)
            request_check(m, request);
        else
            FUZZ_ASSERT(field[0] != '\0' && strlen(field) < sizeof field);
    }
    fuzz_heap_release(&heap);
    return 0;
}
