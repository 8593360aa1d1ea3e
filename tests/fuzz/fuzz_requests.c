/* fuzz_requests.c — libFuzzer target: request decoding and validation of every method.
 * Input: one byte that picks a hosted method (modulo their count: booking.v1's four
 * services, grpc.health.v1, reflection v1 and v1alpha), then the request's bytes. They
 * are unpacked as the method's request type with protobuf-c, as rpc_server.c does, the
 * runtime's UTF-8 check (proto_check) runs on the message, and a message that passes
 * goes through the method's pure validation (request_checks.c). Handlers that need
 * stores are left to the integration test test_hostile_bytes_never_crash.
 * Also checked: utf8_valid agrees with jansson's UTF-8 check on the request's bytes,
 * and a refused message names a path of string fields that exists in its type. */
#include <jansson.h>
#include <string.h>

#include "fuzz_support.h"
#include "proto_check.h"
#include "request_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when path ("resource.metadata.value") walks message fields of type to a string. */
static int names_string_field(const ProtobufCMessageDescriptor *type, const char *path)
{
    char name[128];
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    if (!type || n == 0 || n >= sizeof name)
        return 0;
    memcpy(name, path, n);
    name[n] = '\0';
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(type, name);
    if (!f)
        return 0;
    if (!dot)
        return f->type == PROTOBUF_C_TYPE_STRING;
    return f->type == PROTOBUF_C_TYPE_MESSAGE && names_string_field(f->descriptor, dot + 1);
}

/* The runtime's UTF-8 check against jansson's (an independent implementation). */
static void check_utf8(const uint8_t *data, size_t size)
{
    json_t *s = json_stringn((const char *)data, size);
    FUZZ_ASSERT(utf8_valid((const char *)data, size) == (s != NULL));
    json_decref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    check_utf8(data + 1, size - 1);
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
            FUZZ_ASSERT(names_string_field(m->method->input, field));
    }
    fuzz_heap_release(&heap);
    return 0;
}
