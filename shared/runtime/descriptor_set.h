/* descriptor_set.h — the FileDescriptorSet of every proto, embedded at build time. */
#ifndef SHARED_DESCRIPTOR_SET_H
#define SHARED_DESCRIPTOR_SET_H

#include <stddef.h>

extern const unsigned char booking_descriptor_set[];
extern const size_t booking_descriptor_set_len;

#endif
