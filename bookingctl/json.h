/* json.h — any protobuf-c message as one JSON document, for scripts (--json). */
#ifndef BOOKINGCTL_JSON_H
#define BOOKINGCTL_JSON_H

#include <protobuf-c/protobuf-c.h>

#include "strbuf.h"

/* Appends s as a quoted JSON string, escaped (quotes, backslashes, control
 * characters); NULL is "". */
void json_quote(strbuf *b, const char *s);

/* Appends msg as a JSON object: proto field names, every field (defaults included)
 * except absent sub-messages, enums by their full proto name ("HOLD_STATUS_ACTIVE"),
 * Timestamps as RFC 3339 UTC strings, 64-bit integers as numbers, maps as objects,
 * non-finite doubles as null. */
void json_message(strbuf *b, const ProtobufCMessage *msg);

#endif
