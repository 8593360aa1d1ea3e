/* fuzz_support.c — the per-object heap for unpacked messages, bare calls, the
 * validator contract and the table of hosted methods the fuzz targets share. */
#include "fuzz_support.h"

#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "booking/v1/expiry.pb-c.h"
#include "booking/v1/payment.pb-c.h"
#include "booking/v1/search.pb-c.h"
#include "builtin_services.h"
#include "rpc_internal.h"

/* ---- heap ---- */

static void *heap_alloc(void *data, size_t size)
{
    fuzz_heap *h = data;
    if (h->count == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        void **bigger = realloc(h->blocks, cap * sizeof *bigger);
        if (!bigger)
            return NULL;
        h->blocks = bigger;
        h->cap = cap;
    }
    void *p = malloc(size ? size : 1);
    if (p)
        h->blocks[h->count++] = p;
    return p;
}

/* protobuf-c frees what a failed unpack allocated; the heap frees it all at release. */
static void heap_free(void *data, void *ptr) { (void)data, (void)ptr; }

void fuzz_heap_init(fuzz_heap *h)
{
    memset(h, 0, sizeof *h);
    h->allocator.alloc = heap_alloc;
    h->allocator.free = heap_free;
    h->allocator.allocator_data = h;
}

void fuzz_heap_release(fuzz_heap *h)
{
    for (size_t i = 0; i < h->count; i++)
        free(h->blocks[i]);
    free(h->blocks);
    fuzz_heap_init(h);
}

/* ---- calls ---- */

rpc_call *fuzz_call_new(void)
{
    rpc_call *call = calloc(1, sizeof *call);
    if (!call)
        abort();
    arena_init(&call->mem);
    rpc_call_reset(call);
    call->user_id = "fuzz";
    call->role = "admin";
    return call;
}

void fuzz_call_free(rpc_call *call)
{
    arena_free(&call->mem);
    free(call);
}

void fuzz_expect_validation(const rpc_call *call, int rc)
{
    if (rc == 0) {
        FUZZ_ASSERT(rpc_status_code(call) == RPC_OK);
        return;
    }
    FUZZ_ASSERT(rc == -1);
    FUZZ_ASSERT(rpc_status_code(call) == RPC_INVALID_ARGUMENT);
    const rpc_error_info *info = rpc_status_info(call);
    FUZZ_ASSERT(strcmp(info->reason, "INVALID_FIELD") == 0);
    FUZZ_ASSERT(info->meta_count >= 1 && strcmp(info->meta_key[0], "field") == 0);
    size_t n = strlen(info->meta_value[0]);
    FUZZ_ASSERT(n > 0 && strncmp(rpc_status_message(call), info->meta_value[0], n) == 0);
}

/* ---- hosted methods ---- */

#define MAX_METHODS 64

static fuzz_method methods[MAX_METHODS];
static size_t method_count;

static void add_service(const ProtobufCServiceDescriptor *s)
{
    for (unsigned i = 0; i < s->n_methods; i++) {
        FUZZ_ASSERT(method_count < MAX_METHODS);
        methods[method_count++] = (fuzz_method){s, &s->methods[i]};
    }
}

/* Built on first use; the targets run on one thread. */
static void load_methods(void)
{
    if (method_count)
        return;
    add_service(&booking__v1__booking_service__descriptor);
    add_service(&booking__v1__search_service__descriptor);
    add_service(&booking__v1__payment_service__descriptor);
    add_service(&booking__v1__expiry_service__descriptor);
    add_service(health_service()->descriptor);
    add_service(reflection_service_v1()->descriptor);
    add_service(reflection_service_v1alpha()->descriptor);
}

size_t fuzz_method_count(void)
{
    load_methods();
    return method_count;
}

const fuzz_method *fuzz_method_at(size_t i)
{
    load_methods();
    return i < method_count ? &methods[i] : NULL;
}

int fuzz_method_find(const char *service, const char *method)
{
    load_methods();
    for (size_t i = 0; i < method_count; i++)
        if (strcmp(methods[i].service->name, service) == 0 && strcmp(methods[i].method->name, method) == 0)
            return (int)i;
    return -1;
}
