/* seed_messages.h — messages the seed generator packs: each type filled field by field
 * through its descriptor, and hand-made requests as real clients send them. */
#ifndef TESTS_FUZZ_SEED_MESSAGES_H
#define TESTS_FUZZ_SEED_MESSAGES_H

#include "fuzz_support.h"

/* A message of `type` with every field set (strings "seed", numbers 1, the first named
 * enum value, two elements in repeated fields, sub-messages filled three levels deep,
 * the first member of each oneof), in h. */
ProtobufCMessage *seed_filled(fuzz_heap *h, const ProtobufCMessageDescriptor *type);

/* A hand-made request: its method and a name for the seed file. */
typedef struct seed_request {
    const char *service, *method, *name;
    ProtobufCMessage *message;
} seed_request;

/* Writes up to cap real requests (in h) into out; returns how many. */
size_t seed_requests(fuzz_heap *h, seed_request *out, size_t cap);

/* Packs m into a malloc'd buffer after `prefix_len` bytes of prefix; *len = the total. */
uint8_t *seed_pack(const ProtobufCMessage *m, const uint8_t *prefix, size_t prefix_len, size_t *len);

#endif
