/* resource_meta.c — building, comparing and copying resource metas. */
#include "resource_meta.h"

#include <stdlib.h>
#include <string.h>

#include "query.h"

static char *lower_dup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *out = malloc(n);
    if (!out)
        abort();
    text_lower(out, s ? s : "", n);
    return out;
}

res_meta *res_meta_new(const uint8_t *body, size_t len, int64_t created_at, int64_t updated_at)
{
    Booking__V1__Resource *r = booking__v1__resource__unpack(NULL, len, body);
    if (!r || !r->base_price || !r->base_price->currency || !r->resource_id) {
        if (r)
            booking__v1__resource__free_unpacked(r, NULL);
        return NULL;
    }
    res_meta *m = calloc(1, sizeof *m);
    if (!m || !(m->body = malloc(len ? len : 1)))
        abort();
    m->res = r;
    memcpy(m->body, body, len);
    m->body_len = len;
    m->created_at = created_at;
    m->updated_at = updated_at;
    m->city = lower_dup(r->location);
    m->amenities = calloc(r->n_amenities + 1, sizeof *m->amenities);
    for (size_t i = 0; i < r->n_amenities; i++)
        m->amenities[i] = lower_dup(r->amenities[i]);
    m->bytes = sizeof *m + 3 * len + strlen(m->city) + 64 * (r->n_amenities + 1);
    const char *field;
    m->has_clock = resource_clock_of(r, &m->clock, &field) == 0;
    return m;
}

void res_meta_free(res_meta *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->res->n_amenities; i++)
        free(m->amenities[i]);
    free(m->amenities);
    free(m->city);
    free(m->body);
    booking__v1__resource__free_unpacked(m->res, NULL);
    free(m);
}

int res_meta_same(const res_meta *a, const res_meta *b)
{
    return a && b && a->body_len == b->body_len && a->created_at == b->created_at &&
           a->updated_at == b->updated_at && memcmp(a->body, b->body, a->body_len) == 0;
}

static Google__Protobuf__Timestamp *stamp(rpc_call *call, int64_t seconds)
{
    Google__Protobuf__Timestamp *t = RPC_NEW(call, Google__Protobuf__Timestamp, google__protobuf__timestamp__init);
    t->seconds = seconds;
    return t;
}

Booking__V1__Resource *res_meta_borrow(const res_meta *m, rpc_call *call)
{
    Booking__V1__Resource *r = rpc_alloc(call, sizeof *r);
    *r = *m->res; /* top level copied: the times below are this answer's own */
    r->created_at = stamp(call, m->created_at);
    r->updated_at = stamp(call, m->updated_at);
    return r;
}

Booking__V1__Resource *res_meta_copy(const res_meta *m, rpc_call *call)
{
    Booking__V1__Resource *r = booking__v1__resource__unpack(rpc_allocator(call), m->body_len, m->body);
    if (r) {
        r->created_at = stamp(call, m->created_at);
        r->updated_at = stamp(call, m->updated_at);
    }
    return r;
}
