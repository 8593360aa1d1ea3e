/* router.c — search-svc as the router over its shards (SEARCH_SHARDS set): it holds no
 * read model and no store connection. SearchAvailability goes to every shard at once
 * (each answers the first page of its partitions after the same page token) and the
 * pages are merged in rank order; GetResource and GetCalendar go to the one shard that
 * holds the resource's partition. The answer is what one unsharded replica would give:
 * the same results, order and page tokens (SEARCH_TOKEN_KEY shared), as_of the oldest
 * of the shards' (docs/scale-out.md, "Sharded search"). */
#include "router.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hold_cache.h"
#include "log.h"
#include "rpc_client.h"
#include "search.h"
#include "shard.h"

#define ROUTER_TIMEOUT_MS 10000 /* at most, when the caller set no shorter deadline */

struct search_router {
    int count;
    rpc_client *shards[SHARD_MAX];
    page_key token_key;
};

static search_router *router_of(rpc_call *call) { return ((service_worker *)rpc_worker_state(call))->app; }

search_router *router_new(const char *addresses, const char *token_key, char *err, size_t errlen)
{
    search_router *rt = calloc(1, sizeof *rt);
    char list[CONFIG_STRING_MAX], *save = NULL;
    snprintf(list, sizeof list, "%s", addresses);
    for (char *a = strtok_r(list, ", ", &save); a; a = strtok_r(NULL, ", ", &save)) {
        if (rt->count == SHARD_MAX) {
            snprintf(err, errlen, "SEARCH_SHARDS: more than %d shards", SHARD_MAX);
            router_free(rt);
            return NULL;
        }
        rt->shards[rt->count++] = rpc_client_new(a, &booking__v1__search_service__descriptor);
    }
    if (rt->count == 0 || page_key_init(&rt->token_key, token_key) != 0) {
        snprintf(err, errlen, rt->count ? "no randomness for the page-token key" : "SEARCH_SHARDS names no shard");
        router_free(rt);
        return NULL;
    }
    log_info("routing searches over %d shard(s)", rt->count);
    return rt;
}

void router_free(search_router *rt)
{
    if (!rt)
        return;
    for (int i = 0; i < rt->count; i++)
        rpc_client_free(rt->shards[i]);
    free(rt);
}

/* The shard's failure as this call's: code, message and ErrorInfo (field included). */
static int fail_from(rpc_call *call, int index, const rpc_result *r)
{
    if (r->code != RPC_INVALID_ARGUMENT)
        log_warn("search shard %d: %s %s", index, rpc_code_name(r->code), r->message);
    rpc_fail(call, r->code, r->info.reason[0] ? r->info.reason : "SHARD_FAILED", "%s", r->message);
    for (size_t i = 0; i < r->info.meta_count; i++)
        rpc_error_detail(call, r->info.meta_key[i], r->info.meta_value[i]);
    return -1;
}

static int64_t timeout_ms(rpc_call *call)
{
    int64_t left = rpc_deadline_left_ms(call);
    return left < ROUTER_TIMEOUT_MS ? left : ROUTER_TIMEOUT_MS;
}

static void free_message(void *message) { protobuf_c_message_free_unpacked(message, NULL); }

/* Frees the shards' answers once this call's answer (which points into them) is packed. */
typedef struct answers {
    int count;
    ProtobufCMessage *msg[SHARD_MAX];
} answers;

static void free_answers(void *arg)
{
    answers *a = arg;
    for (int i = 0; i < a->count; i++)
        if (a->msg[i])
            protobuf_c_message_free_unpacked(a->msg[i], NULL);
}

/* Sends the request to every shard at once; 0 with every answer in *out, or -1 with the
 * first failure as the call's status. */
static int ask_all(rpc_call *call, search_router *rt, const char *method, const ProtobufCMessage *request,
                   answers *out)
{
    int64_t timeout = timeout_ms(call);
    if (timeout <= 0)
        return rpc_fail(call, RPC_DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", "no time left to ask the search shards");
    out->count = rt->count;
    if (rpc_defer(call, free_answers, out) != 0)
        return rpc_fail(call, RPC_INTERNAL, "INTERNAL", "too many deferred steps");
    rpc_queue *q = rpc_queue_new();
    for (int i = 0; i < rt->count; i++)
        if (!rpc_client_start(rt->shards[i], method, request, NULL, 0, timeout, q, (void *)(intptr_t)i))
            abort(); /* the method is in the descriptor */
    int failed = -1;
    rpc_result first;
    memset(&first, 0, sizeof first);
    for (int n = 0; n < rt->count; n++) {
        rpc_result r;
        void *tag;
        ProtobufCMessage *msg = NULL;
        if (rpc_pending_finish(rpc_queue_next(q, -1), &msg, &r, &tag) != 0 && failed < 0) {
            failed = (int)(intptr_t)tag;
            first = r;
        }
        out->msg[(intptr_t)tag] = msg;
    }
    rpc_queue_free(q);
    return failed < 0 ? 0 : fail_from(call, failed, &first);
}

typedef struct ranked {
    rank_key key; /* first: rank_sort orders by it */
    Booking__V1__AvailabilityResult *result;
} ranked;

/* The rank key a shard ranked a result by (search_rpc.c's candidate key). */
static rank_key key_of(const Booking__V1__AvailabilityResult *r)
{
    rank_key k;
    memset(&k, 0, sizeof k);
    if (r->total_price) {
        k.price_minor = r->total_price->amount_minor;
        snprintf(k.currency, sizeof k.currency, "%s", r->total_price->currency ? r->total_price->currency : "");
    }
    k.distance_km = r->distance_km;
    k.rating = r->resource ? r->resource->rating : 0;
    snprintf(k.resource_id, sizeof k.resource_id, "%s", r->resource && r->resource->resource_id ? r->resource->resource_id : "");
    return k;
}

static int64_t stamp_of(const Google__Protobuf__Timestamp *t)
{
    return t ? t->seconds * 1000 + t->nanos / 1000000 : 0;
}

/* The merged page: the first page_size results of all shards in rank order; a next page
 * when more were found than fit, or a shard had more than it sent. */
static void merge(rpc_call *call, search_router *rt, const search_query *q, const answers *a,
                  Booking__V1__SearchAvailabilityResponse *out)
{
    size_t total = 0, k = 0;
    int more = 0;
    int64_t as_of = INT64_MAX;
    for (int i = 0; i < a->count; i++) {
        const Booking__V1__SearchAvailabilityResponse *r = (const void *)a->msg[i];
        total += r->n_results;
        more |= r->next_page_token && *r->next_page_token;
        int64_t t = stamp_of(r->as_of);
        as_of = t < as_of ? t : as_of;
    }
    ranked *items = rpc_alloc(call, sizeof *items * (total + 1));
    for (int i = 0; i < a->count; i++) {
        const Booking__V1__SearchAvailabilityResponse *r = (const void *)a->msg[i];
        for (size_t j = 0; j < r->n_results; j++, k++)
            items[k] = (ranked){key_of(r->results[j]), r->results[j]};
    }
    rank_sort(q->order, items, total, sizeof *items);
    size_t n = total < (size_t)q->page_size ? total : (size_t)q->page_size;
    out->results = rpc_alloc(call, sizeof *out->results * (n + 1));
    for (size_t i = 0; i < n; i++)
        out->results[i] = items[i].result;
    out->n_results = n;
    if ((more || total > n) && n > 0) {
        out->next_page_token = rpc_alloc(call, PAGE_TOKEN_MAX);
        page_token_encode(&rt->token_key, query_fingerprint(q), q->order, &items[n - 1].key, out->next_page_token);
    }
    out->as_of = stamp_ms(call, as_of == INT64_MAX ? 0 : as_of);
}

int router_search(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__SearchAvailabilityRequest *req = (const Booking__V1__SearchAvailabilityRequest *)request;
    search_router *rt = router_of(call);
    search_query q;
    rank_key cursor;
    int has_cursor;
    if (search_parse_or_fail(call, &rt->token_key, req, &q, &cursor, &has_cursor) != 0)
        return -1; /* what every shard would answer: fail here, once */
    answers *a = rpc_alloc(call, sizeof *a);
    if (ask_all(call, rt, "SearchAvailability", request, a) != 0)
        return -1;
    Booking__V1__SearchAvailabilityResponse *resp =
        RPC_NEW(call, Booking__V1__SearchAvailabilityResponse, booking__v1__search_availability_response__init);
    merge(call, rt, &q, a, resp);
    *response = &resp->base;
    return 0;
}

/* Sends a resource's call to the shard holding it; its answer (or failure) is this call's. */
static int forward(rpc_call *call, const char *method, const char *resource_id, const ProtobufCMessage *request,
                   ProtobufCMessage **response)
{
    search_router *rt = router_of(call);
    if (!resource_id || !*resource_id)
        return rpc_invalid_argument(call, "resource_id", "is required");
    int i = shard_of_partition(hold_partition(resource_id), rt->count);
    int64_t timeout = timeout_ms(call);
    rpc_result r;
    ProtobufCMessage *msg = NULL;
    if (timeout <= 0)
        return rpc_fail(call, RPC_DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", "no time left to ask the search shard");
    if (rpc_client_call(rt->shards[i], method, request, NULL, 0, timeout, 1, &msg, &r) != 0)
        return fail_from(call, i, &r);
    if (rpc_defer(call, free_message, msg) != 0) {
        free_message(msg);
        return rpc_fail(call, RPC_INTERNAL, "INTERNAL", "too many deferred steps");
    }
    *response = msg;
    return 0;
}

int router_get_resource(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__GetResourceRequest *req = (const Booking__V1__GetResourceRequest *)request;
    return forward(call, "GetResource", req->resource_id, request, response);
}

int router_get_calendar(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__GetCalendarRequest *req = (const Booking__V1__GetCalendarRequest *)request;
    return forward(call, "GetCalendar", req->resource_id, request, response);
}
