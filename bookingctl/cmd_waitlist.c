/* cmd_waitlist.c — `bookingctl waitlist join|leave|list`: a place in the waiting list of
 * a sold-out range, and the offers (holds) it gets (docs/checkout-lifecycle.md). */
#include <stdio.h>

#include "booking/v1/booking.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "table.h"
#include "timeutil.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

static void print_entry(const ProtobufCMessage *m)
{
    const Booking__V1__WaitlistEntry *e = (const Booking__V1__WaitlistEntry *)m;
    char buf[FMT_TIME_CAP];
    ctl_table *t = table_new(2, NULL);
    table_add(t, "entry");
    table_add(t, e->entry_id);
    table_add(t, "status");
    table_add(t, fmt_enum_label(&booking__v1__waitlist_status__descriptor, e->status, buf, sizeof buf));
    table_add(t, "offered hold");
    table_add(t, *e->offered_hold_id ? e->offered_hold_id : "-");
    table_add(t, "resource");
    table_add(t, e->resource_id);
    ctl_range_rows(t, e->resource_id, e->start_time, e->end_time);
    table_add(t, "quantity");
    table_addf(t, "%d", e->quantity);
    table_add(t, "user");
    table_add(t, e->user_id);
    table_add(t, "joined");
    table_add(t, fmt_time(e->created_at, buf, sizeof buf));
    table_print(t, stdout);
    table_free(t);
    if (*e->offered_hold_id && e->status == BOOKING__V1__WAITLIST_STATUS__WAITLIST_STATUS_OFFERED)
        printf("\nconfirm the offer with `bookingctl hold confirm %s` before it expires\n", e->offered_hold_id);
}

/* Prints an entry in its resource's local time. */
static int output_entry(ctl_context *ctx, ProtobufCMessage *resp)
{
    return ctl_output_local(ctx, resp, ((Booking__V1__WaitlistEntry *)resp)->resource_id, print_entry);
}

int ctl_waitlist_join(ctl_context *ctx, int argc, char **argv)
{
    const char *resource_id, *from_text = NULL, *to_text = NULL;
    int64_t from = 0, to = 0;
    int32_t quantity = 1;
    ctl_opt opts[] = {{"--from", CTL_OPT_STR, &from_text, 1, 0},
                      {"--to", CTL_OPT_STR, &to_text, 1, 0},
                      {"--quantity", CTL_OPT_INT, &quantity, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, N_OPTS(opts), &resource_id, 1) != 0)
        return 2;
    int rc = ctl_range_args(ctx, resource_id, from_text, to_text, &from, &to);
    if (rc != 0)
        return rc;
    Google__Protobuf__Timestamp start, end;
    Booking__V1__JoinWaitlistRequest req = BOOKING__V1__JOIN_WAITLIST_REQUEST__INIT;
    ts_set(&start, from);
    ts_set(&end, to);
    req.user_id = (char *)ctx->user_id;
    req.resource_id = (char *)resource_id;
    req.start_time = &start;
    req.end_time = &end;
    req.quantity = quantity;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_BOOKING, "JoinWaitlist", &req.base, 1, &resp) != 0)
        return 1;
    return output_entry(ctx, resp);
}

int ctl_waitlist_leave(ctl_context *ctx, int argc, char **argv)
{
    ProtobufCMessage *resp;
    int rc = ctl_call_with_id(ctx, argc, argv, CTL_BOOKING, "LeaveWaitlist",
                              &booking__v1__leave_waitlist_request__descriptor, "entry_id", 1, &resp);
    return rc ? rc : output_entry(ctx, resp);
}

static void print_entries(const ProtobufCMessage *m)
{
    static const char *const headers[] = {"ENTRY", "STATUS", "USER", "RESOURCE", "FROM", "TO", "QTY", "OFFERED HOLD"};
    const Booking__V1__ListWaitlistResponse *r = (const Booking__V1__ListWaitlistResponse *)m;
    char buf[FMT_LOCAL_CAP];
    ctl_table *t = table_new(8, headers);
    table_right(t, 6);
    for (size_t i = 0; i < r->n_entries; i++) {
        const Booking__V1__WaitlistEntry *e = r->entries[i];
        table_add(t, e->entry_id);
        table_add(t, fmt_enum_label(&booking__v1__waitlist_status__descriptor, e->status, buf, sizeof buf));
        table_add(t, e->user_id);
        table_add(t, e->resource_id);
        table_add(t, ctl_stay_edge(e->resource_id, e->start_time, 0, buf, sizeof buf));
        table_add(t, ctl_stay_edge(e->resource_id, e->end_time, 1, buf, sizeof buf));
        table_addf(t, "%d", e->quantity);
        table_add(t, *e->offered_hold_id ? e->offered_hold_id : "-");
    }
    if (r->n_entries)
        table_print(t, stdout);
    else
        printf("no waiting-list entries\n");
    table_free(t);
    if (*r->next_page_token)
        printf("\nmore: repeat with --page-token %s\n", r->next_page_token);
}

int ctl_waitlist_list(ctl_context *ctx, int argc, char **argv)
{
    const char *resource_id = "", *status = NULL, *token = "";
    int32_t page_size = 0;
    int value = 0;
    ctl_opt opts[] = {{"--resource", CTL_OPT_STR, &resource_id, 0, 0},
                      {"--status", CTL_OPT_STR, &status, 0, 0},
                      {"--page-size", CTL_OPT_INT, &page_size, 0, 0},
                      {"--page-token", CTL_OPT_STR, &token, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, N_OPTS(opts), NULL, 0) != 0)
        return 2;
    if (status && fmt_parse_enum(&booking__v1__waitlist_status__descriptor, status, &value) != 0)
        return ctl_usage_error(ctx, "--status: \"%s\" is not waiting, offered, expired, converted or left", status);
    Booking__V1__ListWaitlistRequest req = BOOKING__V1__LIST_WAITLIST_REQUEST__INIT;
    req.user_id = (char *)(*resource_id ? "" : ctx->user_id); /* a resource's list: admins */
    req.resource_id = (char *)resource_id;
    req.page_size = page_size;
    req.page_token = (char *)token;
    req.status = (Booking__V1__WaitlistStatus)value;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_BOOKING, "ListWaitlist", &req.base, 0, &resp) != 0)
        return 1;
    const Booking__V1__ListWaitlistResponse *list = (const Booking__V1__ListWaitlistResponse *)resp;
    for (size_t i = 0; !ctx->json && i < list->n_entries; i++) /* their local times */
        ctl_clock(ctx, list->entries[i]->resource_id);
    return ctl_output(ctx, resp, print_entries);
}
