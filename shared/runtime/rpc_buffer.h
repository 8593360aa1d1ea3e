/* rpc_buffer.h — a protobuf-c message packed into a gRPC byte buffer, the one way the
 * server (answers) and the client (requests) put a message on the wire. */
#ifndef RPC_BUFFER_H
#define RPC_BUFFER_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

/* A new byte buffer holding `msg` packed; the caller destroys it. */
grpc_byte_buffer *rpc_pack_message(const ProtobufCMessage *msg);

#endif
