/* booking_checks.c — booking.v1.BookingService's pure validation on fuzzed requests:
 * validate_resource (then the resource's quote and refunds), validate_money and
 * validate_text through a bare call, the slot spans of inventory and hold ranges, and
 * the webhook rules (endpoint URL and secret, the signature header). */
#include <stdlib.h>
#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "ids.h"
#include "request_checks.h"
#include "resource_validate.h"
#include "timeutil.h"
#include "webhook_rules.h"

#define CANCEL_REASON_MAX 500   /* booking-svc/saga_store.h, which would pull in the stores */
#define MAX_SLOTS_PER_HOLD 366  /* booking-svc's default MAX_SLOTS_PER_HOLD */
#define MAX_INVENTORY_SLOTS 20000

static void check_resource(Booking__V1__Resource *r)
{
    rpc_call *call = fuzz_call_new();
    int rc = validate_resource(call, r);
    fuzz_expect_validation(call, rc);
    if (rc == 0) {
        FUZZ_ASSERT(r->time_zone && *r->time_zone && r->base_price && r->base_price->currency);
        check_prices(r);
        check_refunds(r);
    }
    fuzz_call_free(call);
}

void check_create_resource(ProtobufCMessage *request)
{
    check_resource(((Booking__V1__CreateResourceRequest *)request)->resource);
}

void check_update_resource(ProtobufCMessage *request)
{
    Booking__V1__UpdateResourceRequest *req = (Booking__V1__UpdateResourceRequest *)request;
    if (req->resource) /* UpdateResource validates the merged resource; an absent one is refused earlier */
        check_resource(req->resource);
}

void check_set_inventory(ProtobufCMessage *request)
{
    const Booking__V1__SetInventoryRequest *req = (const Booking__V1__SetInventoryRequest *)request;
    if (ts_valid(req->start_time) && ts_valid(req->end_time))
        check_spans(ts_seconds(req->start_time), ts_seconds(req->end_time), MAX_INVENTORY_SLOTS);
    if (req->price_override) {
        rpc_call *call = fuzz_call_new();
        fuzz_expect_validation(call, validate_money(call, "price_override", req->price_override));
        fuzz_call_free(call);
    }
}

void check_create_hold(ProtobufCMessage *request)
{
    const Booking__V1__CreateHoldRequest *req = (const Booking__V1__CreateHoldRequest *)request;
    (void)id_valid(req->resource_id);
    if (ts_valid(req->start_time) && ts_valid(req->end_time))
        check_spans(ts_seconds(req->start_time), ts_seconds(req->end_time), MAX_SLOTS_PER_HOLD);
}

void check_cancel_booking(ProtobufCMessage *request)
{
    const Booking__V1__CancelBookingRequest *req = (const Booking__V1__CancelBookingRequest *)request;
    rpc_call *call = fuzz_call_new();
    fuzz_expect_validation(call, validate_text(call, "reason", req->reason, CANCEL_REASON_MAX, 0));
    fuzz_call_free(call);
}

/* An endpoint production accepts, development accepts too; a signature made with the
 * request's secret verifies over the URL's bytes and fails over other bytes; the secret
 * read as a Booking-Signature header never verifies by chance. */
void check_create_webhook_endpoint(ProtobufCMessage *request)
{
    const Booking__V1__CreateWebhookEndpointRequest *req = (const Booking__V1__CreateWebhookEndpointRequest *)request;
    const char *url = req->url ? req->url : "", *secret = req->secret ? req->secret : "";
    if (!webhook_url_problem(url, 0))
        FUZZ_ASSERT(!webhook_url_problem(url, 1));
    (void)webhook_secret_problem(secret);
    for (size_t i = 0; i < req->n_event_types; i++)
        (void)webhook_event_type_known(req->event_types[i]);
    char header[WEBHOOK_SIGNATURE_MAX];
    int64_t t = 1767225600;
    FUZZ_ASSERT(webhook_sign(secret, t, url, strlen(url), header, sizeof header) == 0);
    FUZZ_ASSERT(webhook_verify(header, secret, url, strlen(url), t, WEBHOOK_TOLERANCE_S) == 0);
    FUZZ_ASSERT(webhook_verify(header, secret, url, strlen(url), t + WEBHOOK_TOLERANCE_S + 1, WEBHOOK_TOLERANCE_S) != 0);
    size_t len = strlen(url);
    char *other = malloc(len + 2);
    memcpy(other, url, len);
    memcpy(other + len, "!", 2);
    FUZZ_ASSERT(webhook_verify(header, secret, other, len + 1, t, WEBHOOK_TOLERANCE_S) != 0);
    free(other);
    FUZZ_ASSERT(webhook_verify(secret, secret, url, len, t, WEBHOOK_TOLERANCE_S) != 0);
}
