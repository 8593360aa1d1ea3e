/* cmd_webhooks.c — `bookingctl webhooks create|list|delete|deliveries|redeliver`: webhook
 * endpoints and the record of their deliveries (admin; docs/webhooks.md). */
#include <stdio.h>
#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "table.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

static void add_row(ctl_table *t, const char *label, const char *value)
{
    table_add(t, label);
    table_add(t, value);
}

static const char *endpoint_status(int value, char *buf, size_t cap)
{
    return fmt_enum_label(&booking__v1__webhook_endpoint_status__descriptor, value, buf, cap);
}

static const char *delivery_status(int value, char *buf, size_t cap)
{
    return fmt_enum_label(&booking__v1__webhook_delivery_status__descriptor, value, buf, cap);
}

static void join_types(const Booking__V1__WebhookEndpoint *e, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < e->n_event_types && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "", e->event_types[i]);
}

static void print_endpoint(const ProtobufCMessage *m)
{
    const Booking__V1__WebhookEndpoint *e = (const Booking__V1__WebhookEndpoint *)m;
    char buf[512];
    ctl_table *t = table_new(2, NULL);
    add_row(t, "endpoint", e->endpoint_id);
    add_row(t, "url", e->url);
    join_types(e, buf, sizeof buf);
    add_row(t, "events", buf);
    add_row(t, "status", endpoint_status(e->status, buf, sizeof buf));
    if (*e->disabled_reason)
        add_row(t, "disabled", e->disabled_reason);
    if (*e->secret)
        add_row(t, "secret", e->secret);
    add_row(t, "created", fmt_time(e->created_at, buf, sizeof buf));
    table_print(t, stdout);
    table_free(t);
    if (*e->secret)
        printf("\nkeep the secret: receivers verify the Booking-Signature header with it, and it is not shown "
               "again\n");
}

static void print_endpoints(const ProtobufCMessage *m)
{
    static const char *const headers[] = {"ENDPOINT", "STATUS", "URL", "EVENTS", "CREATED"};
    const Booking__V1__ListWebhookEndpointsResponse *r = (const Booking__V1__ListWebhookEndpointsResponse *)m;
    char buf[512];
    ctl_table *t = table_new(5, headers);
    for (size_t i = 0; i < r->n_endpoints; i++) {
        const Booking__V1__WebhookEndpoint *e = r->endpoints[i];
        table_add(t, e->endpoint_id);
        table_add(t, endpoint_status(e->status, buf, sizeof buf));
        table_add(t, e->url);
        join_types(e, buf, sizeof buf);
        table_add(t, buf);
        table_add(t, fmt_time(e->created_at, buf, sizeof buf));
    }
    if (r->n_endpoints)
        table_print(t, stdout);
    else
        printf("no webhook endpoints\n");
    table_free(t);
}

/* "200", "HTTP 503", "timeout ..." — what the last attempt got. */
static const char *last_outcome(const Booking__V1__WebhookDelivery *d, char *buf, size_t cap)
{
    if (*d->last_error)
        return d->last_error;
    if (d->last_status_code)
        snprintf(buf, cap, "%d", d->last_status_code);
    else
        snprintf(buf, cap, "-");
    return buf;
}

static void print_deliveries(const ProtobufCMessage *m)
{
    static const char *const headers[] = {"DELIVERY", "EVENT", "TYPE", "RESOURCE", "SEQ", "STATUS", "ATTEMPTS",
                                          "LAST"};
    const Booking__V1__ListWebhookDeliveriesResponse *r = (const Booking__V1__ListWebhookDeliveriesResponse *)m;
    char buf[FMT_TIME_CAP + 64];
    ctl_table *t = table_new(8, headers);
    table_right(t, 4);
    table_right(t, 6);
    for (size_t i = 0; i < r->n_deliveries; i++) {
        const Booking__V1__WebhookDelivery *d = r->deliveries[i];
        table_add(t, d->delivery_id);
        table_add(t, d->event_id);
        table_add(t, d->event_type);
        table_add(t, d->resource_id);
        table_addf(t, "%lld", (long long)d->sequence);
        table_add(t, delivery_status(d->status, buf, sizeof buf));
        table_addf(t, "%d", d->attempt_count);
        table_add(t, last_outcome(d, buf, sizeof buf));
    }
    if (r->n_deliveries)
        table_print(t, stdout);
    else
        printf("no deliveries\n");
    table_free(t);
    if (*r->next_page_token)
        printf("\nmore: repeat with --page-token %s\n", r->next_page_token);
}

/* One delivery and every attempt of it. */
static void print_delivery(const ProtobufCMessage *m)
{
    static const char *const headers[] = {"ATTEMPT", "STARTED", "STATUS", "LATENCY", "ERROR"};
    const Booking__V1__WebhookDelivery *d = (const Booking__V1__WebhookDelivery *)m;
    char buf[FMT_TIME_CAP];
    ctl_table *t = table_new(2, NULL);
    add_row(t, "delivery", d->delivery_id);
    add_row(t, "event", d->event_id);
    add_row(t, "type", d->event_type);
    add_row(t, "endpoint", d->endpoint_id);
    add_row(t, "status", delivery_status(d->status, buf, sizeof buf));
    add_row(t, "next attempt", fmt_time(d->next_attempt_at, buf, sizeof buf));
    table_print(t, stdout);
    table_free(t);
    t = table_new(5, headers);
    table_right(t, 3);
    for (size_t i = 0; i < d->n_attempts; i++) {
        const Booking__V1__WebhookAttempt *a = d->attempts[i];
        table_addf(t, "%d", a->attempt);
        table_add(t, fmt_time(a->started_at, buf, sizeof buf));
        table_addf(t, "%d", a->status_code);
        table_addf(t, "%.1f ms", a->latency_ms);
        table_add(t, a->error);
    }
    if (d->n_attempts) {
        putchar('\n');
        table_print(t, stdout);
    }
    table_free(t);
}

int ctl_webhooks_create(ctl_context *ctx, int argc, char **argv)
{
    const char *url = NULL, *secret = "";
    ctl_list events = {{0}, 0};
    ctl_opt opts[] = {{"--url", CTL_OPT_STR, &url, 1, 0},
                      {"--event", CTL_OPT_LIST, &events, 1, 0},
                      {"--secret", CTL_OPT_STR, &secret, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, N_OPTS(opts), NULL, 0) != 0)
        return 2;
    Booking__V1__CreateWebhookEndpointRequest req = BOOKING__V1__CREATE_WEBHOOK_ENDPOINT_REQUEST__INIT;
    req.url = (char *)url;
    req.secret = (char *)secret;
    req.event_types = (char **)events.item;
    req.n_event_types = events.count;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_BOOKING, "CreateWebhookEndpoint", &req.base, 1, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_endpoint);
}

int ctl_webhooks_list(ctl_context *ctx, int argc, char **argv)
{
    if (ctl_parse_opts(ctx, argc, argv, NULL, 0, NULL, 0) != 0)
        return 2;
    Booking__V1__ListWebhookEndpointsRequest req = BOOKING__V1__LIST_WEBHOOK_ENDPOINTS_REQUEST__INIT;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_BOOKING, "ListWebhookEndpoints", &req.base, 0, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_endpoints);
}

int ctl_webhooks_delete(ctl_context *ctx, int argc, char **argv)
{
    ProtobufCMessage *resp;
    int rc = ctl_call_with_id(ctx, argc, argv, CTL_BOOKING, "DeleteWebhookEndpoint",
                              &booking__v1__delete_webhook_endpoint_request__descriptor, "endpoint_id", 1, &resp);
    return rc ? rc : ctl_output(ctx, resp, print_endpoint);
}

int ctl_webhooks_deliveries(ctl_context *ctx, int argc, char **argv)
{
    const char *endpoint = "", *status = NULL, *token = "";
    int32_t page_size = 0;
    int value = 0;
    ctl_opt opts[] = {{"--endpoint", CTL_OPT_STR, &endpoint, 0, 0},
                      {"--status", CTL_OPT_STR, &status, 0, 0},
                      {"--page-size", CTL_OPT_INT, &page_size, 0, 0},
                      {"--page-token", CTL_OPT_STR, &token, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, N_OPTS(opts), NULL, 0) != 0)
        return 2;
    if (status && fmt_parse_enum(&booking__v1__webhook_delivery_status__descriptor, status, &value) != 0)
        return ctl_usage_error(ctx, "--status: \"%s\" is not pending, delivered or failed", status);
    Booking__V1__ListWebhookDeliveriesRequest req = BOOKING__V1__LIST_WEBHOOK_DELIVERIES_REQUEST__INIT;
    req.endpoint_id = (char *)endpoint;
    req.status = (Booking__V1__WebhookDeliveryStatus)value;
    req.page_size = page_size;
    req.page_token = (char *)token;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_BOOKING, "ListWebhookDeliveries", &req.base, 0, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_deliveries);
}

int ctl_webhooks_redeliver(ctl_context *ctx, int argc, char **argv)
{
    ProtobufCMessage *resp;
    int rc = ctl_call_with_id(ctx, argc, argv, CTL_BOOKING, "RedeliverWebhook",
                              &booking__v1__redeliver_webhook_request__descriptor, "delivery_id", 1, &resp);
    return rc ? rc : ctl_output(ctx, resp, print_delivery);
}
