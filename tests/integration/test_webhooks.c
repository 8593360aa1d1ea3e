/* test_webhooks.c — webhooks through the outbox, end to end: real PostgreSQL, Redis,
 * booking-svc (its sender), payment-svc and expiry-svc, and loopback receivers
 * (harness/webhook_receiver.c) that verify every signature and answer as told. Covers
 * the admin RPCs and their validation, booking/hold/payment/waiting-list events with
 * per-resource sequence numbers, retries then success, order-insensitive de-duplication
 * by event id, redelivery, giving up after the retry window, 410 disabling an endpoint,
 * two replicas sharing the work, and a sender SIGKILLed mid-delivery losing nothing;
 * the shared invariant checker (outbox invariant included) after each. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "invariants.h"
#include "support.h"
#include "timeutil.h"
#include "webhook_receiver.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM
#define DELIVERY(s) BOOKING__V1__WEBHOOK_DELIVERY_STATUS__WEBHOOK_DELIVERY_STATUS_##s
#define ENDPOINT(s) BOOKING__V1__WEBHOOK_ENDPOINT_STATUS__WEBHOOK_ENDPOINT_STATUS_##s
#define SETTLE_MS 15000
#define WAIT_MS 20000
#define SECRET_A "whsec_test_receiver_a_0123456789"

static harness *stack;
static rpc_client *booking;
static webhook_receiver *rx_a; /* subscribed to every type; healthy unless a test says otherwise */
static char endpoint_a[80];

static const char *const all_types[] = {"booking.confirmed", "booking.cancelled", "booking.completed",
                                        "hold.expired",      "waitlist.offered",  "payment.refunded"};

static rpc_code create_endpoint(const char *url, const char *secret, const char *const *types, size_t n, identity id,
                                Booking__V1__WebhookEndpoint **out, rpc_result *r)
{
    Booking__V1__CreateWebhookEndpointRequest req = BOOKING__V1__CREATE_WEBHOOK_ENDPOINT_REQUEST__INIT;
    req.url = (char *)url;
    req.secret = (char *)(secret ? secret : "");
    req.event_types = (char **)types;
    req.n_event_types = n;
    ProtobufCMessage *resp = NULL;
    rpc_code code = call_as(booking, "CreateWebhookEndpoint", &req.base, id, out ? &resp : NULL, r);
    if (out)
        *out = (Booking__V1__WebhookEndpoint *)resp;
    return code;
}

/* An endpoint that must be created; its id into out. */
static void endpoint_for(webhook_receiver *rx, const char *secret, const char *const *types, size_t n, char *out,
                         size_t cap)
{
    Booking__V1__WebhookEndpoint *e = NULL;
    rpc_result r;
    if (create_endpoint(receiver_url(rx), secret, types, n, ADMIN, &e, &r) != RPC_OK)
        fail_msg("CreateWebhookEndpoint: %s %s", rpc_code_name(r.code), r.message);
    snprintf(out, cap, "%s", e->endpoint_id);
    protobuf_c_message_free_unpacked(&e->base, NULL);
}

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", "expiry-svc", NULL};
    static const char *const env[] = {"WEBHOOK_POLL_MS=200",          "WEBHOOK_TIMEOUT_MS=3000",
                                      "WEBHOOK_RETRY_BASE_MS=200",    "WEBHOOK_RETRY_MAX_MS=1000",
                                      "WEBHOOK_RETRY_WINDOW_SECONDS=6", "WEBHOOK_LEASE_SECONDS=8",
                                      "PAYMENT_TIMEOUT_MS=1500",      NULL};
    stack = harness_start(services, env);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    rx_a = receiver_start(SECRET_A);
    endpoint_for(rx_a, SECRET_A, all_types, 6, endpoint_a, sizeof endpoint_a);
    /* events count for an endpoint from a second after its creation (the invariant's margin) */
    nanosleep(&(struct timespec){1, 100 * 1000000L}, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    int rc = harness_stop(stack);
    receiver_stop(rx_a);
    return rc;
}

/* ---- helpers ------------------------------------------------------------------------- */

/* A nightly resource that refunds everything until its start. */
static const char *refunding_resource(const char *name, int hold_ttl)
{
    static char ids[4][80];
    static int next;
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = 9000;
    Booking__V1__CancellationRule rule = BOOKING__V1__CANCELLATION_RULE__INIT;
    rule.hours_before_start = 0;
    rule.refund_percent = 100;
    Booking__V1__CancellationRule *rules[] = {&rule};
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_type = HOTEL;
    r.name = (char *)name;
    r.location = (char *)"Hooksville";
    r.capacity = 50;
    r.slot_minutes = 1440;
    r.base_price = &price;
    r.n_cancellation_rules = 1;
    r.cancellation_rules = rules;
    r.hold_ttl_seconds = hold_ttl;
    char *id = ids[next++ % 4];
    create_resource_from(booking, &r, id, 80);
    return id;
}

/* Holds and confirms one unit on night `d`; the booking id into out. */
static void book(const char *rid, const char *user, int d, char *out, size_t cap)
{
    char hid[80];
    assert_int_equal(hold(booking, user, rid, day(d), day(d + 1), 1, hid, sizeof hid), RPC_OK);
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = hid;
    req.payment_method_id = (char *)"pm_card_ok";
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    if (call_as(booking, "ConfirmBooking", &req.base, CUSTOMER(user), &resp, &r) != RPC_OK)
        fail_msg("ConfirmBooking: %s %s", rpc_code_name(r.code), r.message);
    snprintf(out, cap, "%s", ((Booking__V1__Booking *)resp)->booking_id);
    protobuf_c_message_free_unpacked(resp, NULL);
}

static void cancel(const char *booking_id, const char *user)
{
    Booking__V1__CancelBookingRequest req = BOOKING__V1__CANCEL_BOOKING_REQUEST__INIT;
    req.booking_id = (char *)booking_id;
    req.reason = (char *)"plans changed";
    assert_int_equal(call_as(booking, "CancelBooking", &req.base, CUSTOMER(user), NULL, NULL), RPC_OK);
}

/* The index of the first request of `type` about `subject` from index `from` on, or -1. */
static int find_hook(webhook_receiver *rx, const char *type, const char *subject, int from, received_hook *out)
{
    received_hook h;
    for (int i = from; receiver_get(rx, i, &h) == 0; i++)
        if (strcmp(h.event_type, type) == 0 && strcmp(h.subject, subject) == 0) {
            if (out)
                *out = h;
            return i;
        }
    return -1;
}

/* Waits for a request of `type` about `subject`; fails the test after WAIT_MS. */
static received_hook wait_hook(webhook_receiver *rx, const char *type, const char *subject)
{
    int64_t start = monotonic_ms();
    received_hook h;
    while (find_hook(rx, type, subject, 0, &h) < 0) {
        if (monotonic_ms() - start > WAIT_MS)
            fail_msg("no %s webhook about %s within %d ms", type, subject, WAIT_MS);
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    }
    return h;
}

/* The body of the first request of `type` about `subject` holds needle. */
static void assert_body_has(webhook_receiver *rx, const char *type, const char *subject, const char *needle)
{
    char *body = receiver_body(rx, find_hook(rx, type, subject, 0, NULL));
    assert_non_null(body);
    if (!strstr(body, needle))
        fail_msg("%s of %s: no %s in %s", type, subject, needle, body);
    free(body);
}

/* How many requests carried event_id. */
static int times_received(webhook_receiver *rx, const char *event_id)
{
    received_hook h;
    int n = 0;
    for (int i = 0; receiver_get(rx, i, &h) == 0; i++)
        n += strcmp(h.event_id, event_id) == 0;
    return n;
}

/* Deliveries of an endpoint, newest first (caller frees). */
static Booking__V1__ListWebhookDeliveriesResponse *deliveries(const char *endpoint_id, int page_size,
                                                              const char *token)
{
    Booking__V1__ListWebhookDeliveriesRequest req = BOOKING__V1__LIST_WEBHOOK_DELIVERIES_REQUEST__INIT;
    req.endpoint_id = (char *)endpoint_id;
    req.page_size = page_size;
    req.page_token = (char *)(token ? token : "");
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    if (call_as(booking, "ListWebhookDeliveries", &req.base, ADMIN, &resp, &r) != RPC_OK)
        fail_msg("ListWebhookDeliveries: %s %s", rpc_code_name(r.code), r.message);
    return (Booking__V1__ListWebhookDeliveriesResponse *)resp;
}

/* The delivery of event_id to the endpoint (a copy of its id, status, attempts), waiting
 * until its status is `want` (0: any). */
static Booking__V1__WebhookDelivery *delivery_of(const char *endpoint_id, const char *event_id, int want,
                                                 Booking__V1__ListWebhookDeliveriesResponse **owner)
{
    int64_t start = monotonic_ms();
    for (;;) {
        Booking__V1__ListWebhookDeliveriesResponse *list = deliveries(endpoint_id, 100, NULL);
        for (size_t i = 0; i < list->n_deliveries; i++)
            if (strcmp(list->deliveries[i]->event_id, event_id) == 0 &&
                (!want || (int)list->deliveries[i]->status == want)) {
                *owner = list;
                return list->deliveries[i];
            }
        protobuf_c_message_free_unpacked(&list->base, NULL);
        if (monotonic_ms() - start > WAIT_MS)
            fail_msg("delivery of %s to %s not in status %d within %d ms", event_id, endpoint_id, want, WAIT_MS);
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    }
}

static void free_list(Booking__V1__ListWebhookDeliveriesResponse *list)
{
    protobuf_c_message_free_unpacked(&list->base, NULL);
}

/* ---- tests --------------------------------------------------------------------------- */

static void expect_invalid(const char *url, const char *secret, const char *const *types, size_t n,
                           const char *field)
{
    rpc_result r;
    assert_int_equal(create_endpoint(url, secret, types, n, ADMIN, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.reason, "INVALID_FIELD");
    assert_non_null(strstr(r.message, field));
}

static void test_endpoint_admin_rpcs(void **state)
{
    (void)state;
    const char *one[] = {"booking.confirmed"}, *unknown[] = {"booking.confirmed", "booking.refunded"},
               *twice[] = {"hold.expired", "hold.expired"};
    expect_invalid("http://hooks.example.com/x", NULL, one, 1, "url");
    expect_invalid("ftp://127.0.0.1/x", NULL, one, 1, "url");
    expect_invalid("", NULL, one, 1, "url");
    expect_invalid(receiver_url(rx_a), "short", one, 1, "secret");
    expect_invalid(receiver_url(rx_a), NULL, NULL, 0, "event_types");
    expect_invalid(receiver_url(rx_a), NULL, unknown, 2, "event_types[1]");
    expect_invalid(receiver_url(rx_a), NULL, twice, 2, "event_types[1]");
    /* admin only */
    assert_int_equal(create_endpoint(receiver_url(rx_a), NULL, one, 1, CUSTOMER("eve"), NULL, NULL),
                     RPC_PERMISSION_DENIED);
    assert_int_equal(create_endpoint(receiver_url(rx_a), NULL, one, 1, (identity){NULL, NULL, NULL}, NULL, NULL),
                     RPC_UNAUTHENTICATED);
    /* idempotent: the same key and request answer the same endpoint (and secret); the
     * same key with another request is ALREADY_EXISTS */
    identity keyed = {"admin-1", "admin", "hook-create-1"};
    Booking__V1__WebhookEndpoint *e1 = NULL, *e2 = NULL;
    assert_int_equal(create_endpoint("http://localhost:9/x", NULL, one, 1, keyed, &e1, NULL), RPC_OK);
    assert_int_equal(create_endpoint("http://localhost:9/x", NULL, one, 1, keyed, &e2, NULL), RPC_OK);
    assert_string_equal(e1->endpoint_id, e2->endpoint_id);
    assert_string_equal(e1->secret, e2->secret);
    assert_int_equal(strlen(e1->secret), 6 + 64);
    assert_int_equal(strncmp(e1->secret, "whsec_", 6), 0);
    assert_int_equal(e1->status, ENDPOINT(ENABLED));
    assert_int_equal(create_endpoint("http://localhost:9/y", NULL, one, 1, keyed, NULL, NULL), RPC_ALREADY_EXISTS);
    /* listed without its secret; deleted once */
    Booking__V1__ListWebhookEndpointsRequest lreq = BOOKING__V1__LIST_WEBHOOK_ENDPOINTS_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(booking, "ListWebhookEndpoints", &lreq.base, ADMIN, &resp, NULL), RPC_OK);
    Booking__V1__ListWebhookEndpointsResponse *list = (Booking__V1__ListWebhookEndpointsResponse *)resp;
    int seen = 0;
    for (size_t i = 0; i < list->n_endpoints; i++) {
        assert_string_equal(list->endpoints[i]->secret, "");
        if (strcmp(list->endpoints[i]->endpoint_id, e1->endpoint_id) == 0) {
            seen = 1;
            assert_int_equal(list->endpoints[i]->n_event_types, 1);
            assert_string_equal(list->endpoints[i]->event_types[0], "booking.confirmed");
        }
    }
    assert_true(seen);
    protobuf_c_message_free_unpacked(resp, NULL);
    assert_int_equal(call_as(booking, "ListWebhookEndpoints", &lreq.base, CUSTOMER("eve"), NULL, NULL),
                     RPC_PERMISSION_DENIED);
    Booking__V1__DeleteWebhookEndpointRequest dreq = BOOKING__V1__DELETE_WEBHOOK_ENDPOINT_REQUEST__INIT;
    dreq.endpoint_id = e1->endpoint_id;
    assert_int_equal(call_as(booking, "DeleteWebhookEndpoint", &dreq.base, ADMIN, NULL, NULL), RPC_OK);
    assert_int_equal(call_as(booking, "DeleteWebhookEndpoint", &dreq.base, ADMIN, NULL, NULL), RPC_NOT_FOUND);
    protobuf_c_message_free_unpacked(&e1->base, NULL);
    protobuf_c_message_free_unpacked(&e2->base, NULL);
    /* redelivery of what does not exist */
    Booking__V1__RedeliverWebhookRequest rreq = BOOKING__V1__REDELIVER_WEBHOOK_REQUEST__INIT;
    rreq.delivery_id = (char *)"whd_999999999";
    assert_int_equal(call_as(booking, "RedeliverWebhook", &rreq.base, ADMIN, NULL, NULL), RPC_NOT_FOUND);
    rreq.delivery_id = (char *)"delivery-1";
    assert_int_equal(call_as(booking, "RedeliverWebhook", &rreq.base, ADMIN, NULL, NULL), RPC_INVALID_ARGUMENT);
}

/* A booking confirmed, cancelled and refunded: three signed events of its resource, in
 * commit order by sequence number, each delivered once at its first attempt. */
static void test_booking_lifecycle_events_are_signed_and_sequenced(void **state)
{
    (void)state;
    const char *rid = refunding_resource("Hook Hotel", 0);
    char bid[80];
    book(rid, "hana", 40, bid, sizeof bid);
    cancel(bid, "hana");
    received_hook confirmed = wait_hook(rx_a, "booking.confirmed", bid);
    received_hook cancelled = wait_hook(rx_a, "booking.cancelled", bid);
    received_hook refunded = wait_hook(rx_a, "payment.refunded", bid);
    received_hook all[3] = {confirmed, cancelled, refunded};
    for (int i = 0; i < 3; i++) {
        assert_true(all[i].verified);
        assert_string_equal(all[i].resource_id, rid);
        assert_int_equal(all[i].sequence, i + 1); /* the resource's first three events */
        assert_string_equal(all[i].header_event_id, all[i].event_id);
        assert_int_equal(strncmp(all[i].signature, "t=", 2), 0);
        assert_true(all[i].at_ms - all[i].created_ms < 5000); /* first delivery well within 5 s */
    }
    assert_string_not_equal(confirmed.event_id, cancelled.event_id);
    /* the payload: a snapshot of the booking as of each event */
    assert_body_has(rx_a, "booking.cancelled", bid, "\"status\": \"CANCELLED\"");
    assert_body_has(rx_a, "booking.cancelled", bid, "\"cancel_reason\": \"plans changed\"");
    Booking__V1__ListWebhookDeliveriesResponse *owner;
    Booking__V1__WebhookDelivery *d = delivery_of(endpoint_a, confirmed.event_id, DELIVERY(DELIVERED), &owner);
    assert_int_equal(d->attempt_count, 1);
    assert_int_equal(d->n_attempts, 1);
    assert_int_equal(d->attempts[0]->status_code, 200);
    assert_string_equal(d->attempts[0]->error, "");
    assert_string_equal(d->event_type, "booking.confirmed");
    assert_int_equal(d->sequence, 1);
    assert_non_null(d->delivered_at);
    free_list(owner);
    invariants_check(stack, SETTLE_MS);
}

/* The receiver fails the first three attempts: the same event (same id, same body) comes
 * four times, each attempt recorded, and the delivery ends delivered. A receiver keeping
 * the set of event ids it has seen ends with exactly the events of its deliveries,
 * whatever the duplicates and their order. */
static void test_retries_then_success_and_dedup_by_event_id(void **state)
{
    (void)state;
    const char *rid = refunding_resource("Retry Hotel", 0);
    char bid[80];
    receiver_fail_next(rx_a, 3, 503);
    book(rid, "rita", 41, bid, sizeof bid);
    received_hook h = wait_hook(rx_a, "booking.confirmed", bid);
    Booking__V1__ListWebhookDeliveriesResponse *owner;
    Booking__V1__WebhookDelivery *d = delivery_of(endpoint_a, h.event_id, DELIVERY(DELIVERED), &owner);
    assert_int_equal(d->attempt_count, 4);
    assert_int_equal(d->n_attempts, 4);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(d->attempts[i]->status_code, 503);
        assert_string_equal(d->attempts[i]->error, "HTTP 503");
    }
    assert_int_equal(d->attempts[3]->status_code, 200);
    free_list(owner);
    assert_int_equal(times_received(rx_a, h.event_id), 4);
    int first = find_hook(rx_a, "booking.confirmed", bid, 0, NULL);
    char *b0 = receiver_body(rx_a, first);
    for (int i = first + 1, k = 1; k < 4; i++) {
        received_hook again;
        if (receiver_get(rx_a, i, &again) != 0 || strcmp(again.event_id, h.event_id) != 0)
            continue;
        char *b = receiver_body(rx_a, i);
        assert_string_equal(b, b0); /* byte for byte: the signature covers the same body */
        assert_true(again.verified);
        free(b);
        k++;
    }
    free(b0);
    /* order-insensitive de-duplication: distinct ids received = events delivered to A */
    int n = receiver_count(rx_a), distinct = 0;
    received_hook *seen = calloc((size_t)n, sizeof *seen);
    for (int i = 0; i < n; i++) {
        received_hook x;
        receiver_get(rx_a, i, &x);
        int dup = 0;
        for (int k = 0; k < distinct && !dup; k++)
            dup = strcmp(seen[k].event_id, x.event_id) == 0;
        if (!dup)
            seen[distinct++] = x;
    }
    free(seen);
    const char *params[1] = {endpoint_a};
    assert_int_equal(wait_sql(stack, "SELECT count(*) FROM booking.webhook_deliveries WHERE endpoint_id = $1 "
                                     "AND status = 2", 1, params, distinct, 5000), distinct);
    invariants_check(stack, SETTLE_MS);
}

/* RedeliverWebhook sends the same event again (once per idempotency key). */
static void test_redeliver(void **state)
{
    (void)state;
    const char *rid = refunding_resource("Redeliver Hotel", 0);
    char bid[80];
    book(rid, "remy", 42, bid, sizeof bid);
    received_hook h = wait_hook(rx_a, "booking.confirmed", bid);
    Booking__V1__ListWebhookDeliveriesResponse *owner;
    Booking__V1__WebhookDelivery *d = delivery_of(endpoint_a, h.event_id, DELIVERY(DELIVERED), &owner);
    Booking__V1__RedeliverWebhookRequest req = BOOKING__V1__REDELIVER_WEBHOOK_REQUEST__INIT;
    req.delivery_id = d->delivery_id;
    ProtobufCMessage *resp = NULL;
    identity keyed = {"admin-1", "admin", "redeliver-1"};
    assert_int_equal(call_as(booking, "RedeliverWebhook", &req.base, keyed, &resp, NULL), RPC_OK);
    assert_string_equal(((Booking__V1__WebhookDelivery *)resp)->event_id, h.event_id);
    protobuf_c_message_free_unpacked(resp, NULL);
    assert_int_equal(call_as(booking, "RedeliverWebhook", &req.base, keyed, NULL, NULL), RPC_OK); /* replayed */
    int64_t start = monotonic_ms();
    while (times_received(rx_a, h.event_id) < 2 && monotonic_ms() - start < WAIT_MS)
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    nanosleep(&(struct timespec){1, 0}, NULL); /* a second redelivery would show by now */
    assert_int_equal(times_received(rx_a, h.event_id), 2);
    Booking__V1__ListWebhookDeliveriesResponse *after;
    Booking__V1__WebhookDelivery *d2 = delivery_of(endpoint_a, h.event_id, DELIVERY(DELIVERED), &after);
    assert_int_equal(d2->attempt_count, 2);
    free_list(after);
    free_list(owner);
    /* paging: newest first, tokens move on (the tests before made more than two) */
    const char *ep[1] = {endpoint_a};
    assert_true(harness_sql_long(stack, "SELECT count(*) FROM booking.webhook_deliveries WHERE endpoint_id = $1", 1,
                                 ep) > 2);
    Booking__V1__ListWebhookDeliveriesResponse *p1 = deliveries(endpoint_a, 2, NULL);
    assert_int_equal(p1->n_deliveries, 2);
    assert_string_not_equal(p1->next_page_token, "");
    Booking__V1__ListWebhookDeliveriesResponse *p2 = deliveries(endpoint_a, 2, p1->next_page_token);
    assert_true(p2->n_deliveries >= 1);
    assert_true(atoll(p2->deliveries[0]->delivery_id + 4) < atoll(p1->deliveries[1]->delivery_id + 4));
    free_list(p1);
    free_list(p2);
}

/* One receiver always fails (500): its delivery is given up after the retry window. One
 * answers 410 Gone: its endpoint is disabled at once, gets nothing more, and refuses
 * redelivery. The healthy endpoint gets the same event regardless. */
static void test_give_up_and_gone(void **state)
{
    (void)state;
    webhook_receiver *failing = receiver_start("whsec_failing_receiver_000"),
                     *gone = receiver_start("whsec_gone_receiver_0000000");
    receiver_answer(failing, 500);
    receiver_answer(gone, 410);
    const char *types[] = {"booking.confirmed"};
    char ep_failing[80], ep_gone[80];
    endpoint_for(failing, "whsec_failing_receiver_000", types, 1, ep_failing, sizeof ep_failing);
    endpoint_for(gone, "whsec_gone_receiver_0000000", types, 1, ep_gone, sizeof ep_gone);
    nanosleep(&(struct timespec){1, 100 * 1000000L}, NULL);
    const char *rid = refunding_resource("Failing Hotel", 0);
    char bid[80], bid2[80];
    book(rid, "fred", 43, bid, sizeof bid);
    received_hook h = wait_hook(rx_a, "booking.confirmed", bid);
    /* 410: disabled, its delivery failed, no more deliveries made for it */
    Booking__V1__ListWebhookDeliveriesResponse *owner;
    Booking__V1__WebhookDelivery *d = delivery_of(ep_gone, h.event_id, DELIVERY(FAILED), &owner);
    assert_int_equal(d->attempt_count, 1);
    assert_int_equal(d->last_status_code, 410);
    Booking__V1__RedeliverWebhookRequest req = BOOKING__V1__REDELIVER_WEBHOOK_REQUEST__INIT;
    req.delivery_id = d->delivery_id;
    rpc_result r;
    assert_int_equal(call_as(booking, "RedeliverWebhook", &req.base, ADMIN, NULL, &r), RPC_FAILED_PRECONDITION);
    assert_string_equal(r.info.reason, "ENDPOINT_DISABLED");
    free_list(owner);
    const char *gp[1] = {ep_gone};
    assert_int_equal(harness_sql_long(stack, "SELECT status FROM booking.webhook_endpoints WHERE endpoint_id = $1",
                                      1, gp), ENDPOINT(DISABLED));
    book(rid, "fred", 44, bid2, sizeof bid2);
    wait_hook(rx_a, "booking.confirmed", bid2);
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.webhook_deliveries WHERE endpoint_id = $1",
                                      1, gp), 1);
    assert_int_equal(receiver_count(gone), 1);
    /* 500 for ever: retried with backoff over the (6 s) window, then failed */
    d = delivery_of(ep_failing, h.event_id, DELIVERY(FAILED), &owner);
    assert_true(d->attempt_count >= 4);
    assert_int_equal(d->last_status_code, 500);
    assert_string_equal(d->last_error, "HTTP 500");
    int64_t first = d->attempts[0]->started_at->seconds, last = d->attempts[d->n_attempts - 1]->started_at->seconds;
    assert_true(last - first >= 5 && last - first <= 8);
    free_list(owner);
    receiver_stop(failing);
    receiver_stop(gone);
    invariants_check(stack, SETTLE_MS);
    Booking__V1__DeleteWebhookEndpointRequest del = BOOKING__V1__DELETE_WEBHOOK_ENDPOINT_REQUEST__INIT;
    del.endpoint_id = ep_failing;
    assert_int_equal(call_as(booking, "DeleteWebhookEndpoint", &del.base, ADMIN, NULL, NULL), RPC_OK);
    del.endpoint_id = ep_gone;
    assert_int_equal(call_as(booking, "DeleteWebhookEndpoint", &del.base, ADMIN, NULL, NULL), RPC_OK);
}

/* hold.expired reaches the outbox through the hold log (the recorder's transaction). */
static void test_hold_expired_event(void **state)
{
    (void)state;
    const char *rid = refunding_resource("Expiring Hotel", 1);
    char hid[80];
    assert_int_equal(hold(booking, "xena", rid, day(45), day(46), 2, hid, sizeof hid), RPC_OK);
    received_hook h = wait_hook(rx_a, "hold.expired", hid);
    assert_true(h.verified);
    assert_string_equal(h.resource_id, rid);
    assert_body_has(rx_a, "hold.expired", hid, "\"status\": \"EXPIRED\"");
    assert_body_has(rx_a, "hold.expired", hid, "\"quantity\": 2");
    invariants_check(stack, SETTLE_MS);
}

/* booking.completed comes from the repair pass (one replica), after the booking's end. */
static void test_booking_completed_event(void **state)
{
    (void)state;
    const char *rid = refunding_resource("Completed Hotel", 0);
    char bid[80];
    book(rid, "cleo", 47, bid, sizeof bid);
    const char *params[1] = {bid};
    /* time travel for the test: the stay is over */
    harness_sql_long(stack, "WITH b AS (UPDATE booking.bookings SET start_time = now() - interval '2 days', "
                            "end_time = now() - interval '1 day' WHERE booking_id = $1 RETURNING 1) "
                            "SELECT count(*) FROM b", 1, params);
    received_hook confirmed = wait_hook(rx_a, "booking.confirmed", bid), done = wait_hook(rx_a, "booking.completed", bid);
    assert_true(done.verified);
    assert_int_equal(confirmed.sequence, 1);
    assert_int_equal(done.sequence, 2);
    assert_body_has(rx_a, "booking.completed", bid, "\"status\": \"COMPLETED\"");
    /* back from the time travel: the stay on its own nights again, for the invariants */
    harness_sql_long(stack, "WITH b AS (UPDATE booking.bookings b SET start_time = h.start_time, end_time = h.end_time "
                            "FROM booking.holds h WHERE h.hold_id = b.hold_id AND b.booking_id = $1 RETURNING 1) "
                            "SELECT count(*) FROM b", 1, params);
    invariants_check(stack, SETTLE_MS);
}

/* waitlist.offered: recorded as an audit event by whoever makes the offer, or added to
 * the outbox directly (what webhook_emit runs) — either is one statement. */
static void test_waitlist_offered(void **state)
{
    (void)state;
    const char *rid = refunding_resource("Waiting Hotel", 0);
    const char *params[1] = {rid};
    harness_sql_long(stack,
                     "WITH e AS (INSERT INTO booking.events (subject_id, event_type, actor_id, metadata) VALUES "
                     "('wl_test_1', 'waitlist.offered', 'test', jsonb_build_object('entry_id', 'wl_test_1', "
                     "'resource_id', $1::text, 'offered_hold_id', 'hold_00_x')) RETURNING 1) SELECT count(*) FROM e",
                     1, params);
    received_hook h = wait_hook(rx_a, "waitlist.offered", "wl_test_1");
    assert_string_equal(h.resource_id, rid);
    assert_int_equal(h.sequence, 1);
    assert_int_equal(harness_sql_long(stack,
                                      "SELECT booking.webhook_outbox_add(ARRAY['waitlist.offered'], ARRAY[$1::text], "
                                      "ARRAY['wl_test_2'], ARRAY['{\"entry_id\":\"wl_test_2\"}'::jsonb], "
                                      "ARRAY[clock_timestamp()], ARRAY[NULL::bigint])",
                                      1, params),
                     1);
    h = wait_hook(rx_a, "waitlist.offered", "wl_test_2");
    assert_int_equal(h.sequence, 2);
}

/* Two replicas share the outbox: every event is delivered exactly once (no failures, so
 * no duplicates either: a claim is one sender's). */
static void test_two_replicas_deliver_each_event_once(void **state)
{
    (void)state;
    enum { N = 12 };
    assert_int_equal(harness_start_service(stack, "booking-svc#2", NULL), 0);
    rpc_client *primary = booking,
               *replica = rpc_client_new(harness_addr(stack, "booking-svc#2"), &booking__v1__booking_service__descriptor);
    const char *rid = refunding_resource("Replica Hotel", 0);
    char bids[N][80];
    for (int i = 0; i < N; i++) {
        booking = i % 2 ? replica : primary;
        book(rid, "rena", 50 + i, bids[i], sizeof bids[i]);
    }
    booking = primary;
    rpc_client_free(replica);
    for (int i = 0; i < N; i++)
        assert_true(wait_hook(rx_a, "booking.confirmed", bids[i]).verified);
    nanosleep(&(struct timespec){0, 500 * 1000000L}, NULL);
    for (int i = 0; i < N; i++) {
        received_hook h;
        find_hook(rx_a, "booking.confirmed", bids[i], 0, &h);
        assert_int_equal(times_received(rx_a, h.event_id), 1);
        assert_int_equal(h.sequence, i + 1);
    }
    assert_int_equal(harness_stop_service(stack, "booking-svc#2", SIGTERM), 0);
    invariants_check(stack, SETTLE_MS);
}

/* The sender is SIGKILLed while its POSTs wait for slow answers: after a restart every
 * event arrives (the claims' leases run out and they are sent again), and the attempts
 * the dead sender made show no outcome. */
static void test_sigkill_mid_delivery_loses_nothing(void **state)
{
    (void)state;
    enum { N = 6 };
    const char *rid = refunding_resource("Killed Hotel", 0);
    char bids[N][80];
    receiver_delay(rx_a, 5000);
    for (int i = 0; i < N; i++)
        book(rid, "kurt", 70 + i, bids[i], sizeof bids[i]);
    for (int i = 0; i < N; i++) /* every POST in flight, none answered yet */
        wait_hook(rx_a, "booking.confirmed", bids[i]);
    assert_int_equal(harness_stop_service(stack, "booking-svc", SIGKILL), 128 + SIGKILL);
    receiver_delay(rx_a, 0);
    assert_int_equal(harness_start_service(stack, "booking-svc", NULL), 0);
    for (int i = 0; i < N; i++) {
        received_hook h;
        find_hook(rx_a, "booking.confirmed", bids[i], 0, &h);
        Booking__V1__ListWebhookDeliveriesResponse *owner;
        Booking__V1__WebhookDelivery *d = delivery_of(endpoint_a, h.event_id, DELIVERY(DELIVERED), &owner);
        assert_int_equal(d->attempt_count, 2);
        assert_string_equal(d->attempts[0]->error, "no outcome recorded");
        assert_int_equal(d->attempts[1]->status_code, 200);
        free_list(owner);
        assert_int_equal(times_received(rx_a, h.event_id), 2); /* at least once: here twice */
    }
    invariants_check(stack, SETTLE_MS);
}

/* The sender's metrics move and pass promtool. */
static void test_metrics(void **state)
{
    (void)state;
    char *body = harness_metrics_body(stack, "booking-svc");
    assert_non_null(body);
    assert_true(harness_metric_value(body, "booking_webhook_deliveries_total{result=\"delivered\"} ") > 0);
    assert_true(harness_metric_value(body, "booking_webhook_attempt_seconds_count ") > 0);
    assert_true(harness_metric_value(body, "booking_webhook_delivery_lag_seconds_count ") > 0);
    assert_true(harness_metric_value(body, "booking_webhook_backlog ") >= 0);
    assert_true(harness_metric_value(body, "booking_webhook_oldest_pending_seconds ") >= 0);
    char *report = NULL;
    if (harness_promtool_check(body, &report) != 0)
        fail_msg("promtool: %s", report);
    free(report);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint_admin_rpcs),
        cmocka_unit_test(test_booking_lifecycle_events_are_signed_and_sequenced),
        cmocka_unit_test(test_retries_then_success_and_dedup_by_event_id),
        cmocka_unit_test(test_redeliver),
        cmocka_unit_test(test_give_up_and_gone),
        cmocka_unit_test(test_hold_expired_event),
        cmocka_unit_test(test_booking_completed_event),
        cmocka_unit_test(test_waitlist_offered),
        cmocka_unit_test(test_two_replicas_deliver_each_event_once),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_sigkill_mid_delivery_loses_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
