/* rpc_buffer.c — a protobuf-c message packed into a gRPC byte buffer (rpc_buffer.h). */
#include "rpc_buffer.h"

#include <grpc/byte_buffer.h>

grpc_byte_buffer *rpc_pack_message(const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    grpc_slice slice = grpc_slice_malloc(len);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}
