/* webhook_rpc.c — the webhook admin RPCs: CreateWebhookEndpoint, ListWebhookEndpoints,
 * DeleteWebhookEndpoint, ListWebhookDeliveries, RedeliverWebhook (docs/webhooks.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "auth.h"
#include "booking.h"
#include "ids.h"
#include "webhook_rules.h"
#include "webhook_store.h"

#define PAGE_DEFAULT 20
#define PAGE_MAX 100
#define MAX_ENDPOINTS 100

/* "whsec_" and 64 hex digits of the kernel's random source. */
static char *new_secret(rpc_call *call)
{
    unsigned char bytes[32];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
        return NULL;
    char *s = rpc_alloc(call, 6 + 2 * sizeof bytes + 1);
    memcpy(s, "whsec_", 6);
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(s + 6 + 2 * i, 3, "%02x", bytes[i]);
    return s;
}

static int validate_endpoint_or_status(rpc_call *call, const Booking__V1__CreateWebhookEndpointRequest *req)
{
    const char *problem = webhook_url_problem(req->url, !auth_jwt_mode());
    if (problem)
        return rpc_invalid_argument(call, "url", "%s", problem);
    if (req->secret && *req->secret && (problem = webhook_secret_problem(req->secret)) != NULL)
        return rpc_invalid_argument(call, "secret", "%s", problem);
    if (req->n_event_types == 0)
        return rpc_invalid_argument(call, "event_types", "name at least one of booking.confirmed, booking.cancelled, "
                                                         "booking.completed, hold.expired, waitlist.offered, "
                                                         "payment.refunded");
    for (size_t i = 0; i < req->n_event_types; i++) {
        char field[48];
        snprintf(field, sizeof field, "event_types[%zu]", i);
        if (!webhook_event_type_known(req->event_types[i]))
            return rpc_invalid_argument(call, field, "\"%.64s\" is not an event type", req->event_types[i]);
        for (size_t k = 0; k < i; k++)
            if (strcmp(req->event_types[k], req->event_types[i]) == 0)
                return rpc_invalid_argument(call, field, "\"%s\" is named twice", req->event_types[i]);
    }
    return 0;
}

static int endpoint_count_or_status(rpc_call *call)
{
    Booking__V1__WebhookEndpoint **all;
    int n = webhook_endpoints_list(booking_pg(call), rpc_allocator(call), &all);
    if (n < 0)
        return store_fail_pg(call, booking_pg(call));
    if (n >= MAX_ENDPOINTS)
        return rpc_fail(call, RPC_RESOURCE_EXHAUSTED, "TOO_MANY_ENDPOINTS", "at most %d webhook endpoints",
                        MAX_ENDPOINTS);
    return 0;
}

int rpc_create_webhook_endpoint(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__CreateWebhookEndpointRequest *req = (const Booking__V1__CreateWebhookEndpointRequest *)request;
    if (validate_endpoint_or_status(call, req) != 0 || endpoint_count_or_status(call) != 0)
        return -1;
    Booking__V1__WebhookEndpoint *e = RPC_NEW(call, Booking__V1__WebhookEndpoint, booking__v1__webhook_endpoint__init);
    /* under an idempotency key the id comes from it: a run that died after its insert
     * finds its endpoint again instead of making a second one */
    char id[ID_MAX + 1];
    int from_key = call_new_id(call, "we", id, sizeof id);
    e->endpoint_id = rpc_strdup(call, id);
    e->url = req->url;
    e->secret = req->secret && *req->secret ? req->secret : new_secret(call);
    if (!e->secret)
        return rpc_fail(call, RPC_UNAVAILABLE, "NO_RANDOMNESS", "no random source for a secret; retry");
    e->n_event_types = req->n_event_types;
    e->event_types = req->event_types;
    int inserted = webhook_endpoint_insert(booking_pg(call), e);
    if (inserted < 0)
        return store_fail_pg(call, booking_pg(call));
    if (!inserted && !from_key)
        return rpc_fail(call, RPC_ALREADY_EXISTS, "ENDPOINT_EXISTS", "endpoint \"%s\" already exists", id);
    /* the secret is shown once, here (the stored one: a run taking over from a dead one
     * answers what that run stored) */
    Booking__V1__WebhookEndpoint *stored;
    if (webhook_endpoint_load(booking_pg(call), id, 1, rpc_allocator(call), &stored) != 1)
        return store_fail_pg(call, booking_pg(call));
    *response = &stored->base;
    return 0;
}

int rpc_list_webhook_endpoints(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    (void)request;
    Booking__V1__ListWebhookEndpointsResponse *resp =
        RPC_NEW(call, Booking__V1__ListWebhookEndpointsResponse, booking__v1__list_webhook_endpoints_response__init);
    int n = webhook_endpoints_list(booking_pg(call), rpc_allocator(call), &resp->endpoints);
    if (n < 0)
        return store_fail_pg(call, booking_pg(call));
    resp->n_endpoints = (size_t)n;
    *response = &resp->base;
    return 0;
}

int rpc_delete_webhook_endpoint(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__DeleteWebhookEndpointRequest *req = (const Booking__V1__DeleteWebhookEndpointRequest *)request;
    if (!req->endpoint_id || !*req->endpoint_id)
        return rpc_invalid_argument(call, "endpoint_id", "is required");
    Booking__V1__WebhookEndpoint *e;
    int found = webhook_endpoint_delete(booking_pg(call), req->endpoint_id, rpc_allocator(call), &e);
    if (found < 0)
        return store_fail_pg(call, booking_pg(call));
    if (!found)
        return rpc_fail(call, RPC_NOT_FOUND, "ENDPOINT_NOT_FOUND", "webhook endpoint \"%.64s\" does not exist",
                        req->endpoint_id);
    *response = &e->base;
    return 0;
}

/* "<prefix>_<digits>" -> the number; 0 when s is not such an id. */
static int64_t wire_number(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    if (!s || strncmp(s, prefix, n) != 0 || s[n] != '_' || !s[n + 1] || strlen(s + n + 1) > 18)
        return 0;
    for (const char *c = s + n + 1; *c; c++)
        if (*c < '0' || *c > '9')
            return 0;
    return strtoll(s + n + 1, NULL, 10);
}

static int deliveries_args_or_status(rpc_call *call, const Booking__V1__ListWebhookDeliveriesRequest *req,
                                     int64_t *before, int *limit)
{
    if (req->page_size < 0 || req->page_size > PAGE_MAX)
        return rpc_invalid_argument(call, "page_size", "must be between 0 and %d", PAGE_MAX);
    if (req->status < 0 || req->status > BOOKING__V1__WEBHOOK_DELIVERY_STATUS__WEBHOOK_DELIVERY_STATUS_FAILED)
        return rpc_invalid_argument(call, "status", "is not a WebhookDeliveryStatus");
    *before = 0;
    if (req->page_token && *req->page_token && (*before = wire_number(req->page_token, "whd")) <= 0)
        return rpc_invalid_argument(call, "page_token", "is not a token this service issued");
    *limit = req->page_size ? req->page_size : PAGE_DEFAULT;
    return 0;
}

int rpc_list_webhook_deliveries(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__ListWebhookDeliveriesRequest *req = (const Booking__V1__ListWebhookDeliveriesRequest *)request;
    int64_t before = 0;
    int limit = PAGE_DEFAULT;
    if (deliveries_args_or_status(call, req, &before, &limit) != 0)
        return -1;
    const char *endpoint = req->endpoint_id ? req->endpoint_id : "";
    Booking__V1__WebhookEndpoint *e;
    int found = *endpoint ? webhook_endpoint_load(booking_pg(call), endpoint, 0, rpc_allocator(call), &e) : 1;
    if (found < 0)
        return store_fail_pg(call, booking_pg(call));
    if (!found)
        return rpc_fail(call, RPC_NOT_FOUND, "ENDPOINT_NOT_FOUND", "webhook endpoint \"%.64s\" does not exist",
                        endpoint);
    Booking__V1__ListWebhookDeliveriesResponse *resp = RPC_NEW(call, Booking__V1__ListWebhookDeliveriesResponse,
                                                               booking__v1__list_webhook_deliveries_response__init);
    int n = webhook_deliveries_list(booking_pg(call), endpoint, req->status, before, limit + 1, rpc_allocator(call),
                                    &resp->deliveries);
    if (n < 0)
        return store_fail_pg(call, booking_pg(call));
    resp->n_deliveries = (size_t)(n > limit ? limit : n);
    resp->next_page_token = n > limit ? resp->deliveries[limit - 1]->delivery_id : rpc_strdup(call, "");
    *response = &resp->base;
    return 0;
}

int rpc_redeliver_webhook(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__RedeliverWebhookRequest *req = (const Booking__V1__RedeliverWebhookRequest *)request;
    int64_t id = wire_number(req->delivery_id, "whd");
    if (id <= 0)
        return rpc_invalid_argument(call, "delivery_id", "is not a delivery id (whd_<number>)");
    switch (webhook_redeliver(booking_pg(call), id)) {
    case REDELIVER_ERROR:
        return store_fail_pg(call, booking_pg(call));
    case REDELIVER_NOT_FOUND:
        return rpc_fail(call, RPC_NOT_FOUND, "DELIVERY_NOT_FOUND", "delivery \"%s\" does not exist", req->delivery_id);
    case REDELIVER_DISABLED:
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "ENDPOINT_DISABLED",
                        "the endpoint of delivery \"%s\" is disabled (it answered 410 Gone)", req->delivery_id);
    case REDELIVER_DONE:
        break;
    }
    Booking__V1__WebhookDelivery **one;
    int n = webhook_deliveries_list(booking_pg(call), "", 0, id + 1, 1, rpc_allocator(call), &one);
    if (n != 1)
        return n < 0 ? store_fail_pg(call, booking_pg(call))
                     : rpc_fail(call, RPC_NOT_FOUND, "DELIVERY_NOT_FOUND", "delivery \"%s\" is gone", req->delivery_id);
    *response = &one[0]->base;
    return 0;
}
