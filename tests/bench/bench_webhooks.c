/* bench_webhooks.c — webhook delivery through the outbox to a loopback receiver
 * (tests/harness/webhook_receiver.c, which verifies every signature): a burst of events
 * added to the outbox in one transaction (events/s from its commit to the last receipt),
 * then bookings confirmed by 16 clients for a few seconds (delivery lag from each
 * booking.confirmed event to its receipt: p50, p99, max). Every event must arrive,
 * signed, and every delivery end DELIVERED, or it exits 1. Not a test: a figure.
 *   bench_webhooks [BURST_EVENTS (5000)] [BOOKING_SECONDS (8)] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "booking/v1/booking.pb-c.h"
#include "harness.h"
#include "timeutil.h"
#include "webhook_receiver.h"

#define SECRET "whsec_bench_0123456789abcdef"
#define CLIENTS 16
#define RESOURCES 100
#define DRAIN_S 60 /* the longest wait for deliveries after the events */

static rpc_client *booking;
static char resources[RESOURCES][80];

typedef struct client {
    int index;
    double until;
    long booked, failed;
} client;

static int call(const char *method, const ProtobufCMessage *req, const char *user, const char *role,
                ProtobufCMessage **resp)
{
    rpc_md md[] = {{"x-user-id", user}, {"x-user-role", role}};
    rpc_result r;
    *resp = NULL;
    rpc_client_call(booking, method, req, md, 2, 15000, 0, resp, &r);
    if (r.code != RPC_OK)
        fprintf(stderr, "%s: %s %s\n", method, rpc_code_name(r.code), r.message);
    return r.code == RPC_OK ? 0 : -1;
}

/* Hold + confirm, one after the other, until the client's time is up. */
static void *book_loop(void *arg)
{
    client *c = arg;
    char user[32];
    snprintf(user, sizeof user, "bench-%d", c->index);
    for (int n = 0; bench_now() < c->until; n++) {
        Google__Protobuf__Timestamp from = GOOGLE__PROTOBUF__TIMESTAMP__INIT, to = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
        int night = 2 + (c->index * 37 + n) % 300;
        from.seconds = bench_day(night);
        to.seconds = bench_day(night + 1);
        Booking__V1__CreateHoldRequest hreq = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
        hreq.resource_id = resources[(c->index + n * CLIENTS) % RESOURCES];
        hreq.start_time = &from;
        hreq.end_time = &to;
        hreq.quantity = 1;
        ProtobufCMessage *hold, *b;
        if (call("CreateHold", &hreq.base, user, "customer", &hold) != 0) {
            c->failed++;
            continue;
        }
        Booking__V1__ConfirmBookingRequest creq = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
        creq.hold_id = ((Booking__V1__Hold *)hold)->hold_id;
        creq.payment_method_id = (char *)"pm_card_ok";
        if (call("ConfirmBooking", &creq.base, user, "customer", &b) == 0) {
            c->booked++;
            protobuf_c_message_free_unpacked(b, NULL);
        } else {
            c->failed++;
        }
        protobuf_c_message_free_unpacked(hold, NULL);
    }
    return NULL;
}

/* Waits until `want` distinct events of `type` arrived (or DRAIN_S passed); fills lag
 * samples (seconds from the event to its first receipt) and returns how many distinct
 * events came. bad counts requests whose signature did not verify. */
static long drain(webhook_receiver *rx, const char *type, long want, int first, double *lag, long *bad,
                  int64_t *last_ms)
{
    int64_t deadline = monotonic_ms() + DRAIN_S * 1000;
    while (receiver_count(rx) - first < want && monotonic_ms() < deadline)
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    int n = receiver_count(rx);
    long distinct = 0;
    char (*seen)[40] = calloc((size_t)(n - first + 1), sizeof *seen);
    for (int i = first; i < n; i++) {
        received_hook h;
        receiver_get(rx, i, &h);
        *bad += !h.verified;
        if (strcmp(h.event_type, type) != 0)
            continue;
        int dup = 0;
        for (long k = distinct - 1; k >= 0 && !dup; k--) /* duplicates come late: look back from the end */
            dup = strcmp(seen[k], h.event_id) == 0;
        if (dup)
            continue;
        memcpy(seen[distinct], h.event_id, sizeof seen[distinct]);
        lag[distinct++] = (double)(h.at_ms - h.created_ms) / 1000.0;
        *last_ms = h.at_ms > *last_ms ? h.at_ms : *last_ms;
    }
    free(seen);
    return distinct;
}

/* A burst of n events over RESOURCES resources, added in one transaction. */
static int burst(harness *h, webhook_receiver *rx, long n)
{
    char count[24];
    snprintf(count, sizeof count, "%ld", n);
    const char *params[1] = {count};
    int first = receiver_count(rx);
    int64_t committed = wall_ms();
    long made = harness_sql_long(h,
        "SELECT booking.webhook_outbox_add(array_agg('waitlist.offered'::text), array_agg('bench-res-' || (g % 100)), "
        "array_agg('bench-entry-' || g), array_agg(jsonb_build_object('entry_id', 'bench-entry-' || g)), "
        "array_agg(clock_timestamp()), array_agg(NULL::bigint)) FROM generate_series(1, $1::int) g",
        1, params);
    committed = (committed + wall_ms()) / 2;
    double *lag = calloc((size_t)n + 1, sizeof *lag);
    long bad = 0;
    int64_t last = committed;
    long got = drain(rx, "waitlist.offered", n, first, lag, &bad, &last);
    double seconds = (double)(last - committed) / 1000.0;
    printf("burst: %ld events in one transaction (%ld deliveries made): %ld delivered in %.2f s = %.0f events/s; "
           "lag p50 %.0f ms, p99 %.0f ms\n",
           n, made, got, seconds, seconds > 0 ? (double)got / seconds : 0, bench_percentile_ms(lag, (size_t)got, 50),
           bench_percentile_ms(lag, (size_t)got, 99));
    free(lag);
    if (got != n || bad)
        fprintf(stderr, "burst: %ld of %ld events arrived, %ld unsigned\n", got, n, bad);
    return got == n && !bad ? 0 : -1;
}

/* Bookings by CLIENTS clients for `seconds`: the lag of their booking.confirmed events. */
static int bookings(harness *h, webhook_receiver *rx, int seconds)
{
    client cs[CLIENTS];
    pthread_t threads[CLIENTS];
    int first = receiver_count(rx);
    char *before = harness_metrics_body(h, "booking-svc");
    double start = bench_now();
    for (int i = 0; i < CLIENTS; i++) {
        cs[i] = (client){i, start + seconds, 0, 0};
        pthread_create(&threads[i], NULL, book_loop, &cs[i]);
    }
    long booked = 0, failed = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        booked += cs[i].booked;
        failed += cs[i].failed;
    }
    double elapsed = bench_now() - start;
    double *lag = calloc((size_t)booked + 1, sizeof *lag);
    long bad = 0;
    int64_t last = 0;
    long got = drain(rx, "booking.confirmed", booked, first, lag, &bad, &last);
    char *after = harness_metrics_body(h, "booking-svc");
    double hist_p99 = bench_histogram_quantile(before, after, "booking_webhook_delivery_lag_seconds", 0.99);
    printf("bookings: %ld confirmed by %d clients in %.1f s (%.0f/s, %ld failed calls); %ld booking.confirmed "
           "delivered: lag p50 %.0f ms, p99 %.0f ms, max %.0f ms (sender's histogram p99 <= %.3f s)\n",
           booked, CLIENTS, elapsed, (double)booked / elapsed, failed, got, bench_percentile_ms(lag, (size_t)got, 50),
           bench_percentile_ms(lag, (size_t)got, 99), bench_percentile_ms(lag, (size_t)got, 100), hist_p99);
    free(lag);
    free(before);
    free(after);
    if (got != booked || bad)
        fprintf(stderr, "bookings: %ld of %ld events arrived, %ld unsigned\n", got, booked, bad);
    return got == booked && !bad ? 0 : -1;
}

static void create_endpoint(const char *url)
{
    static const char *const types[] = {"booking.confirmed", "waitlist.offered"};
    Booking__V1__CreateWebhookEndpointRequest req = BOOKING__V1__CREATE_WEBHOOK_ENDPOINT_REQUEST__INIT;
    req.url = (char *)url;
    req.secret = (char *)SECRET;
    req.event_types = (char **)types;
    req.n_event_types = 2;
    ProtobufCMessage *resp;
    if (call("CreateWebhookEndpoint", &req.base, "bench-admin", "admin", &resp) != 0)
        exit(1);
    protobuf_c_message_free_unpacked(resp, NULL);
}

int main(int argc, char **argv)
{
    long burst_events = argc > 1 ? atol(argv[1]) : 5000;
    int seconds = argc > 2 ? atoi(argv[2]) : 8;
    static const char *const services[] = {"payment-svc", "booking-svc", NULL};
    harness *h = harness_start(services, NULL);
    booking = rpc_client_new(harness_addr(h, "booking-svc"), &booking__v1__booking_service__descriptor);
    webhook_receiver *rx = receiver_start(SECRET);
    create_endpoint(receiver_url(rx));
    bench_create_resources(booking, resources, RESOURCES, 1000, "Webhookton");
    int rc = burst(h, rx, burst_events) | bookings(h, rx, seconds);
    /* the last answers' outcomes are recorded a moment after the receiver saw them */
    long undelivered = -1;
    for (int i = 0; i < 100 && undelivered != 0; i++, nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL))
        undelivered = harness_sql_long(h, "SELECT count(*) FROM booking.webhook_deliveries WHERE status <> 2", 0, NULL);
    if (undelivered) {
        fprintf(stderr, "%ld deliveries not DELIVERED\n", undelivered);
        rc = -1;
    }
    rpc_client_free(booking);
    receiver_stop(rx);
    if (harness_stop(h) != 0)
        rc = -1;
    return rc ? 1 : 0;
}
