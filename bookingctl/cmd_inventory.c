/* cmd_inventory.c — `bookingctl inventory set`: capacity and price of a range of slots. */
#include <stdio.h>
#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "timeutil.h"

/* The options of `inventory set`; currency NULL = no price override. */
typedef struct inventory_args {
    const char *resource_id, *currency, *from_text, *to_text;
    int64_t from, to, price;
    int32_t capacity;
} inventory_args;

static void print_updated(const ProtobufCMessage *m)
{
    int32_t n = ((const Booking__V1__SetInventoryResponse *)m)->slots_updated;
    printf("%d slot%s updated\n", n, n == 1 ? "" : "s");
}

static int set_inventory(ctl_context *ctx, const inventory_args *a)
{
    Google__Protobuf__Timestamp start, end;
    Booking__V1__Money override = BOOKING__V1__MONEY__INIT;
    Booking__V1__SetInventoryRequest req = BOOKING__V1__SET_INVENTORY_REQUEST__INIT;
    ts_set(&start, a->from);
    ts_set(&end, a->to);
    req.resource_id = (char *)a->resource_id;
    req.start_time = &start;
    req.end_time = &end;
    req.total_capacity = a->capacity;
    if (a->currency) {
        override.currency = (char *)a->currency;
        override.amount_minor = a->price;
        req.price_override = &override;
    }
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_BOOKING, "SetInventory", &req.base, 1, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_updated);
}

int ctl_inventory_set(ctl_context *ctx, int argc, char **argv)
{
    inventory_args a;
    memset(&a, 0, sizeof a);
    ctl_opt opts[] = {
        {"--from", CTL_OPT_STR, &a.from_text, 1, 0},     {"--to", CTL_OPT_STR, &a.to_text, 1, 0},
        {"--capacity", CTL_OPT_INT, &a.capacity, 1, 0},  {"--price", CTL_OPT_AMOUNT, &a.price, 0, 0},
        {"--currency", CTL_OPT_STR, &a.currency, 0, 0},
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    if (ctl_parse_opts(ctx, argc, argv, opts, n_opts, &a.resource_id, 1) != 0)
        return 2;
    if (ctl_opt_seen(opts, n_opts, "--price") != ctl_opt_seen(opts, n_opts, "--currency"))
        return ctl_usage_error(ctx, "--price and --currency go together");
    if (a.currency && !fmt_currency_valid(a.currency))
        return ctl_usage_error(ctx, "--currency: \"%s\" is not an ISO 4217 code such as EUR", a.currency);
    const resource_clock *clock = ctl_clock(ctx, a.resource_id); /* dates: its local midnights */
    if (!clock)
        return 1;
    if (ctl_local_arg(ctx, clock, "--from", a.from_text, 0, &a.from) != 0 ||
        ctl_local_arg(ctx, clock, "--to", a.to_text, 0, &a.to) != 0)
        return 2;
    return set_inventory(ctx, &a);
}
