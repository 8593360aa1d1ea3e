/* proto_check.h — checks every string of a decoded message is valid UTF-8 (proto3
 * requires it; protobuf-c does not check), so hostile bytes never reach a store. */
#ifndef SHARED_PROTO_CHECK_H
#define SHARED_PROTO_CHECK_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* 1 when the n bytes are valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *s, size_t n);

/* 0 when every string field (nested and repeated too) is valid UTF-8; otherwise -1
 * with the field's path ("resource.amenities") written into path. */
int proto_check_utf8(const ProtobufCMessage *msg, char *path, size_t cap);

#endif
