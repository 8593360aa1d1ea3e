/* cmd_holds.c — `bookingctl hold create|get|release`: holds and their price quotes; the
 * price table and CreateHold that `book` uses too. */
#include <stdio.h>

#include "booking/v1/booking.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "table.h"
#include "timeutil.h"

/* A total row of the quote table: label in the first column, amount in AMOUNT. */
static void total_row(ctl_table *t, const char *label, const Booking__V1__Money *m)
{
    char buf[FMT_MONEY_CAP];
    if (!m)
        return;
    table_add(t, label);
    for (int c = 1; c < 4; c++)
        table_add(t, "");
    table_add(t, fmt_money(m, buf, sizeof buf));
    table_add(t, "");
}

/* A slot boundary in the resource's local time (no zone: the table says it), else UTC. */
static char *slot_time(const resource_clock *c, const Google__Protobuf__Timestamp *t, char *buf, size_t cap)
{
    return c && t ? fmt_local(c->zone, t->seconds, 0, buf, cap) : fmt_time(t, buf, cap);
}

void ctl_print_price(const Booking__V1__Price *p, const char *resource_id)
{
    static const char *const headers[] = {"SLOT START", "SLOT END", "UNIT PRICE", "QTY", "AMOUNT", "NOTE"};
    char buf[FMT_LOCAL_CAP];
    const resource_clock *clock = ctl_clock_known(resource_id);
    ctl_table *t = table_new(6, headers);
    for (size_t c = 2; c < 5; c++)
        table_right(t, c);
    for (size_t i = 0; i < p->n_lines; i++) {
        const Booking__V1__PriceLine *l = p->lines[i];
        table_add(t, slot_time(clock, l->slot_start, buf, sizeof buf));
        table_add(t, slot_time(clock, l->slot_end, buf, sizeof buf));
        table_add(t, fmt_money(l->unit_price, buf, sizeof buf));
        table_addf(t, "%d", l->quantity);
        table_add(t, fmt_money(l->amount, buf, sizeof buf));
        table_add(t, l->description);
    }
    total_row(t, "subtotal", p->subtotal);
    total_row(t, "fees", p->fees);
    total_row(t, "taxes", p->taxes);
    total_row(t, "total", p->total);
    printf("\n");
    if (clock)
        printf("slots in local time (%s)\n", local_zone_name(clock->zone));
    table_print(t, stdout);
    table_free(t);
}

static void print_hold(const ProtobufCMessage *m)
{
    const Booking__V1__Hold *h = (const Booking__V1__Hold *)m;
    char buf[FMT_TIME_CAP];
    ctl_table *t = table_new(2, NULL);
    table_add(t, "hold");
    table_add(t, h->hold_id);
    table_add(t, "status");
    table_add(t, fmt_enum_label(&booking__v1__hold_status__descriptor, h->status, buf, sizeof buf));
    table_add(t, "expires at");
    table_add(t, fmt_time(h->expires_at, buf, sizeof buf));
    table_add(t, "resource");
    table_add(t, h->resource_id);
    ctl_range_rows(t, h->resource_id, h->start_time, h->end_time);
    table_add(t, "quantity");
    table_addf(t, "%d", h->quantity);
    table_add(t, "user");
    table_add(t, h->user_id);
    table_add(t, "booking");
    table_add(t, *h->booking_id ? h->booking_id : "-");
    table_print(t, stdout);
    table_free(t);
    if (h->quote)
        ctl_print_price(h->quote, h->resource_id);
}

/* Prints a hold in its resource's local time (fetching its clock for the table). */
static int output_hold(ctl_context *ctx, ProtobufCMessage *resp)
{
    if (!ctx->json)
        ctl_clock(ctx, ((Booking__V1__Hold *)resp)->resource_id);
    return ctl_output(ctx, resp, print_hold);
}

int ctl_range_args(ctl_context *ctx, const char *resource_id, const char *from_text, const char *to_text,
                   int64_t *from, int64_t *to)
{
    const resource_clock *c = ctl_clock(ctx, resource_id);
    if (!c)
        return 1;
    int nightly = c->slot_minutes == SLOT_MINUTES_NIGHTLY;
    if (ctl_local_arg(ctx, c, "--from", from_text, nightly ? c->check_in : 0, from) != 0 ||
        ctl_local_arg(ctx, c, "--to", to_text, nightly ? c->check_out : 0, to) != 0)
        return 2;
    return 0;
}

int ctl_create_hold(ctl_context *ctx, const char *resource_id, int64_t from, int64_t to, int32_t quantity,
                    ProtobufCMessage **hold)
{
    Google__Protobuf__Timestamp start, end;
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    ts_set(&start, from);
    ts_set(&end, to);
    req.user_id = (char *)ctx->user_id;
    req.resource_id = (char *)resource_id;
    req.start_time = &start;
    req.end_time = &end;
    req.quantity = quantity;
    return ctl_call(ctx, CTL_BOOKING, "CreateHold", &req.base, 1, hold);
}

int ctl_hold_create(ctl_context *ctx, int argc, char **argv)
{
    const char *resource_id, *from_text = NULL, *to_text = NULL;
    int64_t from = 0, to = 0;
    int32_t quantity = 1;
    ctl_opt opts[] = {{"--from", CTL_OPT_STR, &from_text, 1, 0},
                      {"--to", CTL_OPT_STR, &to_text, 1, 0},
                      {"--quantity", CTL_OPT_INT, &quantity, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &resource_id, 1) != 0)
        return 2;
    int rc = ctl_range_args(ctx, resource_id, from_text, to_text, &from, &to);
    if (rc != 0)
        return rc;
    ProtobufCMessage *resp;
    if (ctl_create_hold(ctx, resource_id, from, to, quantity, &resp) != 0)
        return 1;
    return output_hold(ctx, resp);
}

int ctl_hold_get(ctl_context *ctx, int argc, char **argv)
{
    ProtobufCMessage *resp;
    int rc = ctl_call_with_id(ctx, argc, argv, CTL_BOOKING, "GetHold", &booking__v1__get_hold_request__descriptor,
                              "hold_id", 0, &resp);
    return rc ? rc : output_hold(ctx, resp);
}

int ctl_hold_release(ctl_context *ctx, int argc, char **argv)
{
    ProtobufCMessage *resp;
    int rc = ctl_call_with_id(ctx, argc, argv, CTL_BOOKING, "ReleaseHold",
                              &booking__v1__release_hold_request__descriptor, "hold_id", 1, &resp);
    return rc ? rc : output_hold(ctx, resp);
}
