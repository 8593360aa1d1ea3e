/* resource_meta.h — an immutable copy of one resource: the unpacked booking.v1.Resource,
 * its packed body (copied into answers), and its city and amenities lower-cased for
 * the index and the filters. */
#ifndef SEARCH_SVC_RESOURCE_META_H
#define SEARCH_SVC_RESOURCE_META_H

#include <stddef.h>
#include <stdint.h>

#include "booking/v1/common.pb-c.h"
#include "rpc.h"
#include "slots.h"

typedef struct res_meta {
    Booking__V1__Resource *res;  /* unpacked with the default allocator */
    uint8_t *body;               /* packed Resource as stored */
    size_t body_len;
    int64_t created_at, updated_at;
    char *city;                  /* lower-case location */
    char **amenities;            /* lower-case */
    resource_clock clock;        /* its zone, slots, check-in and check-out */
    int has_clock;               /* 0: its zone is unknown here (the resource is not searched) */
    size_t bytes;                /* memory held, roughly */
} res_meta;

/* Builds a meta from a stored body; NULL when the body does not unpack or has no base
 * price. Free with res_meta_free. */
res_meta *res_meta_new(const uint8_t *body, size_t len, int64_t created_at, int64_t updated_at);
void res_meta_free(res_meta *m);

/* 1 when a and b describe the same stored resource (body and times). */
int res_meta_same(const res_meta *a, const res_meta *b);

/* A copy of the resource in the call's memory (answers outlive the snapshot). */
Booking__V1__Resource *res_meta_copy(const res_meta *m, rpc_call *call);
/* The resource as an answer that borrows m's strings and lists: valid only while m
 * is (a read section held until the answer is packed, see rpc_defer). */
Booking__V1__Resource *res_meta_borrow(const res_meta *m, rpc_call *call);

#endif
